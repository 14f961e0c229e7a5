"""The project's rules run in ``validate``: the real package passes, and a broken copy of
each rule's case is refused with file, line and column."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import checks
from tests.conftest import CORPUS, ROOT
from tests.test_broken_inputs import _apply

RULE_CORPUS = CORPUS / "rules"


def _rule_cases() -> list[dict[str, str]]:
    with open(RULE_CORPUS / "manifest.csv", newline="", encoding="utf-8") as f:
        return [dict(c, case_file=f"rules/{c['case_file']}") for c in csv.DictReader(f)]


CASES = _rule_cases()


def test_the_package_passes_every_rule() -> None:
    problems = checks.validate_package()
    assert checks.errors(problems) == [], "\n".join(map(str, problems[:20]))


def test_every_error_rule_has_a_broken_case() -> None:
    error_rules = {r.name for r in checks.RULES if r.level == checks.ERROR}
    assert error_rules <= {c["rule"] for c in CASES}
    assert all(r.reason and r.level in (checks.ERROR, checks.WARNING) for r in checks.RULES)


@pytest.mark.parametrize("case", CASES, ids=[c["case_file"] for c in CASES])
def test_rule_case_is_refused_with_location(case: dict[str, str], data_copy: Path) -> None:
    file_name, line = _apply(case, data_copy)
    problems = checks.validate_package(data_copy)
    hit = [p for p in checks.errors(problems) if p.rule == case["rule"]]
    shown = "\n".join(map(str, problems))
    assert hit, f"expected rule {case['rule']} to refuse the copy:\n{shown}"
    here = [p for p in hit if p.file == file_name and p.line == line
            and p.column == case["column"]]
    assert here, f"expected {file_name}, line {line}, column {case['column']}:\n{shown}"
    assert f"[{case['rule']}] expected" in here[0].message
    assert "found" in here[0].message


@pytest.mark.parametrize("case", CASES[::4], ids=[c["case_file"] for c in CASES[::4]])
def test_cli_validate_refuses_rule_cases(case: dict[str, str], data_copy: Path) -> None:
    file_name, line = _apply(case, data_copy)
    run = subprocess.run([sys.executable, "-m", "helpers", "validate", "--fast", "--data-dir",
                          str(data_copy)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert f"{file_name}, line {line}, column '{case['column']}'" in run.stderr
    assert f"[{case['rule']}]" in run.stderr


def test_warnings_are_reported_but_do_not_refuse(data_copy: Path) -> None:
    with open(data_copy / "sources.csv", "a", encoding="utf-8") as f:
        f.write("zz-unused,An unused page,Test,2024-01-01,https://example.org/a,weak\n")
    run = subprocess.run([sys.executable, "-m", "helpers", "validate", "--fast", "--data-dir",
                          str(data_copy)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "1 warning" in run.stderr and "[source-is-used]" in run.stderr
    assert "zz-unused" in run.stderr


def test_cli_lists_the_rules() -> None:
    run = subprocess.run([sys.executable, "-m", "helpers", "validate", "--rules"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0
    for r in checks.RULES:
        assert f"{r.name} ({r.level}): {r.reason}" in run.stdout
