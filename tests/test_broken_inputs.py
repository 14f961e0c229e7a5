"""Every kind of broken file is refused with file, line and column; oddities load."""

from __future__ import annotations

import copy
import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.data import (
    DataValidationError,
    descriptor_problems,
    load_table,
    read_package,
    resource,
    validate_package,
)
from tests.conftest import CORPUS, ROOT


def _cases() -> list[dict[str, str]]:
    with open(CORPUS / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


BROKEN = [c for c in _cases() if c["expect"] != "OK"]
WELL_FORMED = [c for c in _cases() if c["expect"] == "OK"]


def _apply(case: dict[str, str], data_dir: Path) -> tuple[str, int | None]:
    """Put the case into the data copy; returns the file name and the expected line."""
    target = data_dir / resource(case["table"], data_dir)["path"]
    if case["mode"] == "delete":
        target.unlink()
        return target.name, None
    payload = (CORPUS / case["case_file"]).read_bytes()
    if case["mode"] == "replace":
        target.write_bytes(payload)
        return target.name, int(case["line"]) if case["line"] else None
    existing = target.read_bytes()
    lines_before = existing.count(b"\n") + (0 if existing.endswith(b"\n") else 1)
    body = payload.split(b"\n", 1)[1]
    target.write_bytes(existing.rstrip(b"\n") + b"\n" + body)
    return target.name, lines_before + int(case["line"].lstrip("+"))


def test_corpus_has_enough_cases() -> None:
    assert len(BROKEN) >= 15
    assert {c["case_file"] for c in BROKEN if c["case_file"]} <= {
        p.name for p in CORPUS.glob("*.csv")}


@pytest.mark.parametrize("case", BROKEN, ids=[c["case_file"] or "missing_file" for c in BROKEN])
def test_broken_file_is_refused_with_location(case: dict[str, str], data_copy: Path) -> None:
    file_name, line = _apply(case, data_copy)
    with pytest.raises(DataValidationError) as info:
        load_table(case["table"], data_copy)
    message = str(info.value)
    problems = [p for p in info.value.problems if p.file.endswith(file_name)]
    assert problems, message
    hit = [p for p in problems if case["expect"] in p.message]
    assert hit, f"expected {case['expect']!r} in:\n{message}"
    if line is not None:
        assert any(p.line == line for p in hit), message
        assert f"line {line}" in message
    if case["column"]:
        assert any(p.column == case["column"] for p in hit), message
        assert f"column '{case['column']}'" in message
    assert file_name in message


@pytest.mark.parametrize("case", BROKEN[:6] + BROKEN[-3:],
                         ids=[c["case_file"] or "missing_file" for c in BROKEN[:6] + BROKEN[-3:]])
def test_cli_validate_reports_without_traceback(case: dict[str, str], data_copy: Path) -> None:
    file_name, line = _apply(case, data_copy)
    run = subprocess.run([sys.executable, "-m", "helpers", "validate", "--fast", "--data-dir",
                          str(data_copy)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert file_name in run.stderr
    if line is not None:
        assert f"line {line}" in run.stderr


@pytest.mark.parametrize("case", WELL_FORMED, ids=[c["case_file"] for c in WELL_FORMED])
def test_well_formed_oddities_load(case: dict[str, str], data_copy: Path) -> None:
    _apply(case, data_copy)
    users = load_table("users", data_copy)
    assert len(users) == 2
    assert users["value"].tolist() == [8_500_000.0, 8_500_000.0]
    assert list(users.columns)[0] == "fact_id"  # no BOM left in the header


def test_every_problem_of_a_file_is_reported(data_copy: Path) -> None:
    path = data_copy / "users.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    rows[1] = rows[1].replace(",tiktok,", ",tictoc,", 1)
    cells = rows[4].split(",")
    cells[header.index("date")] = cells[header.index("date")][:8] + "31"  # e.g. 2023-06-31
    if cells[header.index("date")][5:7] in ("01", "03", "05", "07", "08", "10", "12"):
        cells[header.index("date")] = cells[header.index("date")][:5] + "02-30"
    rows[4] = ",".join(cells)
    rows.append(rows[2])  # duplicate key
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    found = {(p.line, p.column) for p in validate_package(data_copy)}
    assert {(2, "product"), (5, "date"), (len(rows), "fact_id")} <= found


def test_bom_crlf_real_table_loads(data_copy: Path) -> None:
    path = data_copy / "events.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert len(load_table("events", data_copy)) == text.count("\n") - 1


def test_error_message_lists_the_first_few_and_counts_the_rest(data_copy: Path) -> None:
    path = data_copy / "users.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    rows = [rows[0]] + [r.replace(",company,", ",someone,") for r in rows[1:]]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_table("users", data_copy)
    assert len(info.value.problems) > 12
    assert "more" in str(info.value)


def test_cache_is_reused_and_refreshed_when_a_file_changes(data_copy: Path) -> None:
    import os

    first = load_table("users", data_copy)
    again = load_table("users", data_copy)
    assert again is not first and again["value"].equals(first["value"])  # a copy each time
    again["value"] = 0.0  # changing a result does not change the cache
    assert load_table("users", data_copy)["value"].equals(first["value"])
    path = data_copy / "users.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",8500000,", ",8600000,", 1), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert 8_600_000.0 in set(load_table("users", data_copy)["value"])


# ---------------------------------------------------------------- labels and vocabularies


def _at(package: dict, table: str, field: str | None = None) -> tuple[dict, str]:
    """The resource (or field) descriptor of ``table`` and its JSON path."""
    i = [r["name"] for r in package["resources"]].index(table)
    res = package["resources"][i]
    if field is None:
        return res, f"resources[{i}]"
    j = [f["name"] for f in res["schema"]["fields"]].index(field)
    return res["schema"]["fields"][j], f"resources[{i}].schema.fields[{j}]"


def _label_unknown_value(package: dict) -> str:
    field, at = _at(package, "users", "metric")
    field["x-labels"]["weekly_active_users"] = "weekly active users"
    return f"{at}.x-labels.weekly_active_users"


def _label_missing(package: dict) -> str:
    field, at = _at(package, "workforce", "metric")
    del field["x-labels"]["layoffs"]
    return f"{at}.x-labels"


def _labels_without_enum(package: dict) -> str:
    field, at = _at(package, "users", "note")
    field["x-labels"] = {"a": "b"}
    return f"{at}.x-labels"


def _symbol_unknown_value(package: dict) -> str:
    field, at = _at(package, "investments", "claim_type")
    field["x-symbols"]["analyst"] = "star"
    return f"{at}.x-symbols.analyst"


def _symbol_not_a_name(package: dict) -> str:
    field, at = _at(package, "users", "claim_type")
    field["x-symbols"]["company"] = "Circle!"
    return f"{at}.x-symbols.company"


def _empty_label(package: dict) -> str:
    field, at = _at(package, "events", "status_after")
    field["x-labels"]["pending"] = " "
    return f"{at}.x-labels.pending"


def _composite_key_lengths(package: dict) -> str:
    events, at = _at(package, "events")
    k = next(k for k, fk in enumerate(events["schema"]["foreignKeys"])
             if fk["reference"]["resource"] == "event_types")
    events["schema"]["foreignKeys"][k]["reference"]["fields"] = ["event_type"]
    return f"{at}.schema.foreignKeys[{k}].reference.fields"


def _vocabulary_not_boolean(package: dict) -> str:
    res, at = _at(package, "event_types")
    res["x-vocabulary"] = "yes"
    return f"{at}.x-vocabulary"


DESCRIPTOR_BREAKAGES: dict[str, tuple[Callable[[dict], str], str]] = {
    "label_for_a_value_not_in_the_enum": (_label_unknown_value, "expected a value of the "
                                                                "field's enum"),
    "enum_value_without_label": (_label_missing, "found none for layoffs"),
    "labels_on_a_field_without_enum": (_labels_without_enum, "constraints.enum"),
    "symbol_for_a_value_not_in_the_enum": (_symbol_unknown_value, "expected a value of the "
                                                                  "field's enum"),
    "symbol_that_is_not_a_name": (_symbol_not_a_name, "plotly marker symbol"),
    "empty_label": (_empty_label, "non-empty text"),
    "composite_key_of_unequal_lengths": (_composite_key_lengths, "as many fields"),
    "vocabulary_flag_not_boolean": (_vocabulary_not_boolean, "true or false"),
}


def test_the_shipped_descriptor_has_no_problems() -> None:
    assert descriptor_problems(read_package()) == []


@pytest.mark.parametrize("breakage", DESCRIPTOR_BREAKAGES)
def test_a_broken_label_or_vocabulary_is_refused_with_its_json_path(breakage: str) -> None:
    package = copy.deepcopy(read_package())
    mutate, expect = DESCRIPTOR_BREAKAGES[breakage]
    where = mutate(package)
    problems = descriptor_problems(package)
    assert [p.column for p in problems] == [where], problems
    assert expect in problems[0].message and "found" in problems[0].message
    assert problems[0].file == "datapackage.json"


def test_a_label_for_an_unknown_value_stops_the_loader(data_copy: Path) -> None:
    path = data_copy / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    where = _label_unknown_value(package)
    path.write_text(json.dumps(package, indent=2), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_table("users", data_copy)
    assert f"datapackage.json, column '{where}': expected a value of the field's enum" in str(
        info.value)
    assert "found 'weekly_active_users'" in str(info.value)
