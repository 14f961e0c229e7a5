"""Offline HTML reports: files, offline, one plotly.js per page, deterministic, atomic, escaped."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import report
from tests.conftest import ROOT, SessionReports

PAGES = ["01-global-growth.html", "02-workforce-and-investment.html",
         "03-regulatory-pressure.html", "04-autumn-2020.html"]
PLOTLY_MARK = "plotly.js v"  # the banner at the top of plotly.js, the lean bundle or the full one


@pytest.fixture
def built(session_reports: SessionReports) -> Path:
    """The full reports built once for the session (tests/conftest.py): read, never write."""
    return session_reports.out


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_files(built: Path) -> None:
    names = {p.name for p in built.iterdir()}
    assert {"index.html", *PAGES} <= names
    index = (built / "index.html").read_text(encoding="utf-8")
    for page in PAGES:
        assert f'href="{page}"' in index
    assert re.search(r"Data as of \d{2} \w+ 20\d\d", index)
    csvs = list((built / "data").rglob("*.csv"))
    assert len(csvs) >= 8
    for page in PAGES:
        html = (built / page).read_text(encoding="utf-8")
        for link in re.findall(r'href="(data/[^"]+\.csv)"', html):
            assert (built / link).is_file(), link


def _without_plotlyjs(html: str) -> str:
    start = html.index("<script>", 0)
    end = html.index("</script>", html.index(PLOTLY_MARK))
    assert start < html.index(PLOTLY_MARK) < end
    return html[:start] + html[end:]


def test_offline_one_plotlyjs_per_page(built: Path) -> None:
    for page in PAGES:
        html = (built / page).read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", html), page
        assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", html), page
        assert html.count(PLOTLY_MARK) == 1, page
        ours = _without_plotlyjs(html)  # plotly.min.js itself names CDNs it never loads here
        assert "cdn.jsdelivr" not in ours and "cdnjs" not in ours
        assert "mathjax" not in ours.lower() and "require.js" not in ours
        assert html.count("Plotly.newPlot(") >= 1
        assert "In&nbsp;[" not in html and "jp-InputArea" not in html


def test_every_chart_has_a_table_and_csv_and_page_ends_with_sources(built: Path) -> None:
    for page in PAGES:
        html = (built / page).read_text(encoding="utf-8")
        charts = len(re.findall(r"class=[\"']atlas-view[\"']", html))
        assert charts >= 1
        assert len(re.findall(r"<details class=[\"']atlas-data[\"']>", html)) == charts
        assert len(re.findall(r"class=[\"']atlas-csv[\"']", html)) == charts
        tail = html[html.rindex("<h2>Sources</h2>"):]
        assert "<ol>" in tail and len(re.findall(r"<li id=[\"']src-", tail)) >= 3
        assert html.rindex("<h2>Sources</h2>") > html.rindex("Plotly.newPlot(")


def test_maps_draw_offline(built: Path) -> None:
    html = (built / "01-global-growth.html").read_text(encoding="utf-8")
    assert "window.PlotlyGeoAssets" in html and "world_110m" in html


def test_deterministic(built: Path, tmp_path: Path) -> None:
    """A second build, in other kernel processes (so other hash seeds), gives the same bytes
    for every page, CSV and the index. All four notebooks are rebuilt: each has views that
    the others lack (02 alone has the workforce and investment views, 03 the pressure views),
    so a partial rebuild would leave views unchecked."""
    again = tmp_path / "again"
    report.build_reports(again, progress=lambda line: None)
    first, second = _tree(built), _tree(again)
    assert first.keys() == second.keys()
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_failure_leaves_previous_reports_untouched(built: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "reports"
    shutil.copytree(built, out)  # the previous reports: a full build
    before = _tree(out)
    original = report._execute
    executed = []

    def explode(path, *args, **kwargs):
        if path.stem.startswith("02"):
            raise report.ReportBuildError(f"{path.stem}: simulated failure")
        executed.append(path.stem)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(report, "_execute", explode)
    with pytest.raises(report.ReportBuildError, match="simulated failure"):
        report.build_reports(out, notebooks=["01", "02"], progress=lambda line: None)
    assert executed == ["01-global-growth"]  # one page succeeded, one failed: none is used
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]  # no temporary folder left


def test_cli_with_broken_data_exits_nonzero_and_keeps_reports(data_copy: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("previous build", encoding="utf-8")
    users = data_copy / "users.csv"
    users.write_text(users.read_text(encoding="utf-8").replace(",company,", ",unknown,", 1),
                     encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "helpers", "report", "--data-dir",
                          str(data_copy), "--out", str(out)], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 1
    assert "users.csv, line 2, column 'claim_type'" in run.stderr
    assert "previous reports are untouched" in run.stderr
    assert "Traceback" not in run.stderr
    assert (out / "index.html").read_text(encoding="utf-8") == "previous build"


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _poison(path: Path, columns: list[str]) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for column in columns:
            if row.get(column):
                row[column] = HOSTILE + row[column]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_hostile_text_is_escaped_everywhere(data_copy: Path, tmp_path: Path) -> None:
    _poison(data_copy / "events.csv", ["title", "scope", "note", "authority", "subdivision"])
    _poison(data_copy / "sources.csv", ["title", "publisher"])
    _poison(data_copy / "users.csv", ["note"])
    _poison(data_copy / "workforce.csv", ["scope", "note"])
    _poison(data_copy / "investments.csv", ["scope", "note"])
    _poison(data_copy / "regions.csv", ["name"])
    out = tmp_path / "hostile"
    report.build_reports(out, data_dir=data_copy, progress=lambda line: None)
    for page in ["index.html", *PAGES]:
        html = (out / page).read_text(encoding="utf-8")
        assert "<script>alert" not in html, page
        assert "<img src=x" not in html, page
        assert "\\u003cscript\\u003ealert" not in html, page
    assert "&lt;script&gt;alert" in (out / "03-regulatory-pressure.html").read_text("utf-8")


def test_parameters_and_sets(tmp_path: Path) -> None:
    assert report.parse_param("2020") == 2020
    assert report.parse_param("Europe") == "Europe"
    assert report.parse_param("['USA', 'IND']") == ["USA", "IND"]
    assert report.set_slug({"region": "Europe"}) == "region-europe"
    assert report.main_with_default_out({"region": "Europe"}, None) == Path(
        "reports/sets/region-europe")
    with pytest.raises(report.ReportBuildError, match="no notebook"):
        report.notebook_paths(["99-nothing"])
    with pytest.raises(report.ReportBuildError, match="set by the report builder"):
        report.build_reports(tmp_path / "x", params={"report_mode": False})
    out = tmp_path / "reports"
    report.build_reports(out / "sets" / "region-europe", params={"region": "Europe"},
                         notebooks=["02"], progress=lambda line: None)
    report.build_reports(out, notebooks=["02"], progress=lambda line: None)
    assert (out / "sets" / "region-europe" / "02-workforce-and-investment.html").is_file()
    assert 'href="sets/region-europe/index.html"' in (out / "index.html").read_text("utf-8")
    page = (out / "sets" / "region-europe" / "02-workforce-and-investment.html").read_text(
        "utf-8")
    assert "region = &#x27;Europe&#x27;" in (out / "sets" / "region-europe" /
                                            "index.html").read_text("utf-8")
    workforce_view = page.split('id="view-workforce"')[1].split("</section>")[0]
    assert "United States" not in workforce_view and "United Kingdom" in workforce_view


def test_a_rebuild_leaves_no_file_of_the_previous_build(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    shutil.copytree(built, out)  # a previous build of every notebook
    assert (out / "01-global-growth.html").is_file()
    assert (out / "data" / "01-global-growth").is_dir()
    report.build_reports(out, notebooks=["02"], progress=lambda line: None)
    assert not (out / "01-global-growth.html").exists()
    assert not (out / "data" / "01-global-growth").exists()
    images = ["img"] if (built / "img").is_dir() else []  # chart images need Chromium
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "02-workforce-and-investment.html", "assets", "data", "glance.html", "index.html",
        "places", *images])
    assert [p.name for p in (out / "data").iterdir()] == ["02-workforce-and-investment"]
    assert all(p.name.startswith("02-") for p in out.glob("img/*"))


def test_export_button_builds_the_current_selection(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import html as html_lib

    from helpers import views
    from helpers.atlas import Atlas

    real = report.build_single_report
    built: list[tuple[str, dict, Path]] = []

    def into_tmp(notebook: str, params=None) -> Path:  # not into the project's reports/
        page = real(notebook, params, reports_dir=tmp_path / "reports")
        built.append((notebook, dict(params or {}), page))
        return page

    monkeypatch.setattr(report, "build_single_report", into_tmp)
    atlas = Atlas.load()
    assert atlas.default_weights["fine"] != 12.5  # so the page can only show the slider's
    explorer = views.pressure(atlas, region="Europe", start=2021, end=2024)
    explorer.weight_sliders["fine"].value = 12.5
    explorer.export_button.click()
    assert len(built) == 1, explorer.export_status.value
    notebook, params, page = built[0]
    assert notebook == "03-regulatory-pressure"
    assert params["weights"]["fine"] == 12.5 and params["region"] == "Europe"
    assert "Report written" in explorer.export_status.value
    assert html_lib.escape(str(page)) in explorer.export_status.value
    assert page.name == "03-regulatory-pressure.html" and page.is_file()
    assert page.parent.parent == tmp_path / "reports" / "sets"
    html = page.read_text(encoding="utf-8")
    weights = re.findall(r"<tr>\s*<td>(?:<code>)?([\w ]+?)(?:</code>)?</td>\s*<td>([\d.]+)</td>",
                         html)
    assert ("fine", "12.5") in weights, weights  # the weights table of the formula
    index = (page.parent / "index.html").read_text(encoding="utf-8")
    assert "region = &#x27;Europe&#x27;" in index and "start = 2021" in index


def test_quiet_kernel_manager_still_overrides_jupyter_clients_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """helpers/kernels.py overrides a private method of jupyter_client and falls back to the
    plain (noisier) manager when the method is gone: this guard fails instead."""
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    from helpers.kernels import quiet_kernel_manager

    assert hasattr(AsyncKernelManager, "_async_start_kernel"), "jupyter_client renamed it"
    manager = quiet_kernel_manager()
    assert manager is not AsyncKernelManager and issubclass(manager, AsyncKernelManager)
    seen: dict = {}

    async def start(self, **kwargs) -> None:  # what the kernel process would be started with
        seen.update(kwargs)

    monkeypatch.setattr(AsyncKernelManager, "_async_start_kernel", start)
    asyncio.run(manager().start_kernel())  # nbclient and papermill await start_kernel
    assert seen["stderr"] is subprocess.DEVNULL
