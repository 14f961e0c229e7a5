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


def test_restriction_roles_come_from_event_types(data_copy: Path) -> None:
    """A new nationwide type (restriction `block` in event_types.csv) is held to the same
    rules as temporary_block: one root per episode; no code names it."""
    with open(data_copy / "event_types.csv", "a", encoding="utf-8") as f:
        f.write("shutdown_order,regulatory,shutdown order,block,6,no,yes,#d6604d,cross-open,"
                "An order to shut the app down nationwide for a time.\n")
    source = "9news-202306-the-scale-of-tiktok-s-growth"
    rows = [f"E99{i},regulatory,shutdown_order,KAZ,,2021-03-01,day,2021-03-20,Shutdown,"
            f"App,lifted,Government,,,,{source},test\n" for i in (1, 2)]
    events = data_copy / "events.csv"
    lines_before = events.read_text(encoding="utf-8").count("\n")
    with open(events, "a", encoding="utf-8") as f:
        f.writelines(rows)
    problems = checks.errors(checks.validate_package(data_copy))
    assert [(p.rule, p.line, p.column) for p in problems] == [
        ("one-root-per-episode", lines_before + 2, "same_event_as")], problems
    assert "second shutdown_order of KAZ" in problems[0].message


def test_lift_types_come_from_event_types(data_copy: Path) -> None:
    """The lifted-has-end rule names the lifting types of event_types.csv."""
    path = data_copy / "event_types.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "ban_lifted,regulatory,ban lifted,lift,", "ban_lifted,regulatory,ban lifted,,"),
        encoding="utf-8")
    with open(path, "a", encoding="utf-8") as f:
        f.write("restriction_lifted,regulatory,restriction lifted,lift,0,no,yes,#1b7837,"
                "triangle-down,The end of a ban or block.\n")
    file_name, line = _apply(next(c for c in CASES if c["rule"] == "lifted-has-end"), data_copy)
    problems = [p for p in checks.errors(checks.validate_package(data_copy))
                if p.rule == "lifted-has-end" and p.line == line]
    assert problems and "a later restriction_lifted event" in problems[0].message
