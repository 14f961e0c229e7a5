"""Hostile and broken inputs: parameters that try to run code, outputs that are files, builds
killed at any moment, broken descriptors, formula cells and CSV exports."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from helpers import checks, report, tables
from helpers.data import DataValidationError, clear_cache, load_table
from helpers.export import csv_text
from helpers.report import ReportBuildError, build_reports
from tests.conftest import ROOT, SessionReports, replaying

NOTEBOOK = "03-regulatory-pressure"  # the page the killed and failing builds rebuild


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True,
                          text=True, cwd=ROOT)


# ---------------------------------------------------------------- parameters


def test_a_param_name_cannot_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    name = f"import os;os.system('touch {marker}');x"
    with pytest.raises(ReportBuildError, match="is not a parameter"):
        build_reports(tmp_path / "out", params={name: "1"}, notebooks=[NOTEBOOK])
    run = _cli("report", "--out", str(tmp_path / "out"), "--notebook", NOTEBOOK,
               "--param", f"{name}=1")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "is not a parameter" in run.stderr
    assert not marker.exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("params", "message"), [
    ({"region": "Atlantis"}, "region: expected a region"),
    ({"start": 2030, "end": 2010}, "must not be after end"),
    ({"start": "twenty"}, "start: expected a year"),
    ({"countries": "USA"}, "is not a parameter of 03"),
    ({"weights": {"ban": -1}}, "weights: expected None or a dict"),
    ({"half_life_years": 0}, "half_life_years: expected None"),
    ({"freq": "month"}, "freq: expected one of year, quarter"),
    ({"data_dir": "/etc"}, "set by the report builder"),
    ({"report_mode": False}, "set by the report builder"),
])
def test_param_values_are_checked_before_a_kernel_starts(tmp_path: Path, params: dict,
                                                         message: str) -> None:
    with pytest.raises(ReportBuildError, match=message):
        build_reports(tmp_path / "out", params=params, notebooks=[NOTEBOOK])
    assert not list(tmp_path.iterdir())  # nothing written, no work folder


def test_every_notebook_param_of_the_export_buttons_is_accepted() -> None:
    from helpers.atlas import Atlas
    from helpers.parameters import check_parameters
    from helpers.report import notebook_paths

    atlas = Atlas.load()
    paths = notebook_paths()
    check_parameters({"region": "Europe", "start": 2019, "end": 2025,
                      "countries": ["USA", "IND"], "metric": "All", "freq": "quarter",
                      "half_life_years": 2.0, "weights": {"ban": 5, "fine": 0.5}}, paths, atlas)


# ---------------------------------------------------------------- output folder


def test_out_naming_a_file_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    run = _cli("report", "--out", str(target), "--notebook", NOTEBOOK)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "is an existing file, not a folder" in run.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


def test_out_that_cannot_be_written_is_a_clear_error() -> None:
    run = _cli("report", "--out", "/proc/atlas-reports", "--notebook", NOTEBOOK)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "Report not built" in run.stderr


# ---------------------------------------------------------------- crash-safe replacement
#
# These tests are about what a build does with files around the execution of a notebook, so
# the builds they kill or break replay the execution of NOTEBOOK recorded by the session's
# real build (tests/conftest.py: the same executed notebook and CSVs, no kernel). The
# rendering, the work folders, the file-by-file replacement and the clean-up are the real
# code; kernels are exercised by every other build of the suite.

KILLER = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import helpers.report as report
    from tests.conftest import replaying
    out, when, executed = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    calls = {"n": 0}
    real_replace, real_render = os.replace, report._render_page
    def replace(src, dst):
        if when == "rename-index" and Path(dst).name == "index.html":
            os._exit(9)  # every new page is in place, the old index.html is not replaced yet
        if when.startswith("rename-") and when[7:].isdigit() and calls["n"] == int(when[7:]):
            os._exit(9)  # killed: no clean-up code runs
        calls["n"] += 1
        real_replace(src, dst)
    def render(*args, **kwargs):
        if when == "execute":
            os._exit(9)  # the notebook ran, its CSVs are in the work folder, no page yet
        return real_render(*args, **kwargs)
    report.os.replace = replace
    report._render_page = render
    report._execute = replaying(executed)
    report.build_reports(out, notebooks=[sys.argv[4]], progress=lambda s: None)
""")


@pytest.fixture(scope="module")
def previous(session_reports: SessionReports, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's full build: the previous reports the killed builds replace."""
    out = tmp_path_factory.mktemp("swap") / "reports"
    shutil.copytree(session_reports.out, out)
    return out


def _complete(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>"), page.name
    return html


def _readable(out: Path) -> None:
    """index.html and every page it links to are complete, and every CSV a page links to
    exists: what a reader can open is whole, whichever build it comes from."""
    index = _complete(out / "index.html")
    pages = set(re.findall(r'href="([^"/]+\.html)"', index)) - {"index.html"}
    assert f"{NOTEBOOK}.html" in pages
    for name in sorted(pages):
        html = _complete(out / name)
        for link in re.findall(r'href="(data/[^"]+\.csv)"', html):
            assert (out / link).is_file(), (name, link)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("when", ["execute", "rename-0", "rename-3", "rename-index"])
def test_a_killed_build_leaves_the_previous_reports_readable(
        previous: Path, session_reports: SessionReports, when: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    run = subprocess.run([sys.executable, "-c", KILLER, str(previous), when,
                          str(session_reports.executed), NOTEBOOK], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 9, run.stderr
    _readable(previous)
    assert _leftovers(previous)  # the killed build could not clean up after itself
    monkeypatch.setattr(report, "_execute", replaying(session_reports.executed))
    build_reports(previous, notebooks=[NOTEBOOK], progress=lambda s: None)
    _readable(previous)
    assert _leftovers(previous) == []  # the next build removed what the killed one left
    assert {p.name for p in previous.glob("*.html")} == {"index.html", "glance.html",
                                                        f"{NOTEBOOK}.html"}


def test_an_io_error_while_replacing_is_a_clear_error(previous: Path,
                                                      session_reports: SessionReports,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace
    calls = {"n": 0}

    def failing(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device", str(dst))
        real(src, dst)

    before = (previous / "index.html").read_bytes()
    monkeypatch.setattr(report, "_execute", replaying(session_reports.executed))
    monkeypatch.setattr(report.os, "replace", failing)
    with pytest.raises(ReportBuildError, match="No space left on device"):
        build_reports(previous, notebooks=[NOTEBOOK], progress=lambda s: None)
    assert calls["n"] == 2  # it failed while replacing, not before
    _readable(previous)
    assert (previous / "index.html").read_bytes() == before  # index.html is replaced last
    assert _leftovers(previous) == []


# ---------------------------------------------------------------- broken packages


def _descriptor(data_copy: Path) -> dict:
    return json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))


def _write(data_copy: Path, package: dict) -> None:
    (data_copy / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")


@pytest.mark.parametrize(("breakage", "where"), [
    ("invalid_json", None),
    ("no_schema", "resources[2].schema"),
    ("no_type", "resources[2].schema.fields[7].type"),
    ("fk_to_nowhere", "resources[2].schema.foreignKeys[0].reference.resource"),
    ("no_resources", "resources"),
])
def test_a_broken_descriptor_is_reported_like_a_broken_csv(data_copy: Path, breakage: str,
                                                           where: str | None) -> None:
    package = _descriptor(data_copy)
    if breakage == "invalid_json":
        text = (data_copy / "datapackage.json").read_text(encoding="utf-8")
        (data_copy / "datapackage.json").write_text(text.replace("}", "", 1), encoding="utf-8")
    else:
        users = package["resources"][2]
        assert users["name"] == "users"
        if breakage == "no_schema":
            del users["schema"]
        elif breakage == "no_type":
            del users["schema"]["fields"][7]["type"]
        elif breakage == "fk_to_nowhere":
            users["schema"]["foreignKeys"][0]["reference"]["resource"] = "places"
        else:
            del package["resources"]
        _write(data_copy, package)
    commands = [["validate", "--fast"]]
    if breakage in ("invalid_json", "fk_to_nowhere"):  # every command reads the descriptor
        commands += [["docs"], ["report", "--out", str(data_copy.parent / "r")]]
    for command in commands:
        run = _cli(*command, "--data-dir", str(data_copy))
        assert run.returncode == 1, (command, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr, run.stderr
        assert "datapackage.json" in run.stderr
        if where:
            assert f"column '{where}'" in run.stderr, run.stderr
        else:
            assert "line " in run.stderr


def test_header_only_regions_are_refused_everywhere(data_copy: Path) -> None:
    path = data_copy / "regions.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    problems = checks.errors(checks.validate_package(data_copy))
    assert any(p.file == "regions.csv" and p.line == 2 for p in problems)
    assert any(p.file == "users.csv" and p.column == "geo" for p in problems)  # no target
    with pytest.raises(DataValidationError):
        build_reports(data_copy.parent / "r", data_dir=data_copy, notebooks=[NOTEBOOK])
    assert not (data_copy.parent / "r").exists()


def test_reordered_columns_are_accepted_unchanged(data_copy: Path) -> None:
    import csv

    path = data_copy / "users.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    order = [0, 2, 1, *range(3, len(rows[0]))]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([[r[i] for i in order] for r in rows])
    clear_cache()
    assert checks.errors(checks.validate_package(data_copy)) == []
    run = _cli("validate", "--data-dir", str(data_copy))  # frictionless agrees
    assert run.returncode == 0, run.stderr
    pd.testing.assert_frame_equal(load_table("users", data_copy), load_table("users"))


def test_a_huge_cell_is_refused_with_line_and_column(data_copy: Path) -> None:
    path = data_copy / "users.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0] + "," + "x" * 1_000_000
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = checks.validate_package(data_copy)
    assert any(p.file == "users.csv" and p.line == 5 and p.column == "note"
               and "at most 10,000 characters" in p.message for p in problems)


# ---------------------------------------------------------------- CSV exports


FORMULAS = pd.DataFrame({"text": ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1)", "-5", "plain", "\tTAB"],
                         "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})


def test_exported_csv_shows_formula_text_as_text() -> None:
    data = csv_text(FORMULAS).encode("utf-8")
    lines = data.decode("utf-8").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[2].startswith("'+cmd")
    assert lines[3] == "'-2+3,3.0" and lines[4] == "'@SUM(A1),4.0"
    assert lines[5] == "-5,5.0" and lines[6] == "plain,6.0"  # a number stays a number
    assert lines[1].endswith(",1.0") and ",-2.0" in lines[2]  # numeric cells untouched
    link = tables.csv_download_link(FORMULAS, "x.csv")
    payload = base64.b64decode(link.split("base64,", 1)[1].split('"', 1)[0]).decode("utf-8")
    assert payload == data.decode("utf-8")


def test_report_csv_files_are_neutralised(tmp_path: Path) -> None:
    from helpers import figures, views
    from helpers.selections import Selection

    views.configure(report_mode=True, csv_dir=tmp_path)
    try:
        views.StaticView("formulas", Selection("formulas", {}, FORMULAS),
                         [figures.empty_figure("x")], FORMULAS, ("text",))
    finally:
        views.configure(report_mode=False)
    written = next(tmp_path.glob("*.csv")).read_text(encoding="utf-8")
    assert "\n'-2+3," in written and "\n-5," in written


def test_leftovers_of_other_outputs_are_left_alone(tmp_path: Path) -> None:
    other = tmp_path / ".elsewhere.building-1"
    other.mkdir()
    shutil.copytree(other, tmp_path / ".reports-notes")  # not a build folder of ours
    from helpers.report import _remove_leftovers

    (tmp_path / ".reports.building-999999999").mkdir()
    _remove_leftovers(tmp_path / "reports")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".elsewhere.building-1",
                                                          ".reports-notes"]


@pytest.mark.parametrize("column", ["category", "event_type"])
def test_a_doubled_events_column_is_refused_without_traceback(data_copy: Path,
                                                              column: str) -> None:
    import csv

    path = data_copy / "events.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    i = rows[0].index(column)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([r + [r[i]] for r in rows])
    problems = checks.errors(checks.validate_package(data_copy))
    assert any(p.file == "events.csv" and p.line == 1 and p.column == column
               and "twice" in p.message for p in problems)
