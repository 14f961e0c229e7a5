"""Chart images for slides: every chart of a report page also as a PNG (2x) and an SVG under
``img/``, linked under the chart, with its title, sources and the data's as-of date drawn in;
one Chromium (kaleido) per build, the world map from ``helpers/assets``; without Chromium one
line and no image links; a failed image leaves the previous reports as they were.

The rendering tests read the session's full build (tests/conftest.py) and are skipped when
Debian's chromium is missing; the builds made here replay the session's executions (no kernel).
"""

from __future__ import annotations

import csv
import html as html_lib
import json
import re
import shutil
import struct
from pathlib import Path

import pytest

from helpers import formatting, images, report
from helpers.atlas import Atlas
from tests.conftest import SessionReports, replaying, tree_digest

CHROMIUM = images.browser_path()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed: run `make browser` as root "
    "(apt-get install chromium) to enable the image tests")
PAGES = ["01-global-growth.html", "02-workforce-and-investment.html",
         "03-regulatory-pressure.html", "04-autumn-2020.html"]
LINKS = re.compile(r"<p class=[\"']atlas-images[\"']>(.*?)</p>", re.S)
HREF = re.compile(r"href=[\"'](img/[^\"']+)[\"']")
CHART = re.compile(r"<figure class=[\"']atlas-chart[\"']>(.*?</figure>\s*(?:<p class=[\"']"
                   r"atlas-images[\"']>.*?</p>)?)", re.S)
"""A chart and the links to its images under it."""
NEWPLOT = re.compile(r"Plotly\.newPlot\(\s*\"([^\"]+)\",\s*")
REPLAYED = "03-regulatory-pressure"
"""The notebook the builds of this file replay: a map, a timeline and two pressure charts."""


@pytest.fixture
def built(session_reports: SessionReports) -> Path:
    """The full reports built once for the session: read, never write."""
    return session_reports.out


def _charts(page: str) -> list[tuple[str, list[str]]]:
    """(chart div id, image links) of every chart on ``page``, in order."""
    found = []
    for chart in CHART.findall(page):
        div = re.search(r"<div class=\"plotly-graph-div\" id=\"([^\"]+)\"", chart)
        links = LINKS.findall(chart)
        found.append((div.group(1) if div else "", HREF.findall(links[0]) if links else []))
    return found


def _layouts(page: str) -> dict[str, dict]:
    """Each chart's plotly layout on ``page``, by div id."""
    decoder = json.JSONDecoder()
    layouts = {}
    for match in NEWPLOT.finditer(page):
        _, end = decoder.raw_decode(page, match.end())
        start = page.index(",", end) + 1
        while page[start].isspace():
            start += 1
        layouts[match.group(1)], _ = decoder.raw_decode(page, start)
    return layouts


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path.name
    return struct.unpack(">II", data[16:24])


def _svg_size(text: str) -> tuple[float, float]:
    root = re.search(r"<svg [^>]*>", text).group(0)
    return (float(re.search(r' width="([\d.]+)"', root).group(1)),
            float(re.search(r' height="([\d.]+)"', root).group(1)))


def _svg_text(text: str) -> str:
    """The words an SVG shows, tags removed, entities resolved, spaces folded."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _words(title_html: str) -> str:
    """The first words of a chart's title as shown (tags removed)."""
    first = re.split(r"<br\s*/?>", title_html)[0]
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", first)).split()[:4])


# ---------------------------------------------------------------- without a browser


def _spec(tmp_path: Path, view: str, index: int = 0) -> tuple[dict, object]:
    from helpers import figures, selections

    selection = selections.SELECTIONS[view](Atlas.load())
    fig = figures.charts(selection, static=True)[index]
    images.record(tmp_path, "01-page", view, fig.to_plotly_json(), ["A", "B"])
    spec = json.loads((tmp_path / images.SPEC_DIR / f"01-page-{view}.json").read_text("utf-8"))
    return spec, fig


def test_an_image_is_the_default_state_without_controls_and_the_chart_is_unchanged(
        tmp_path: Path) -> None:
    spec, fig = _spec(tmp_path, "users-map")
    before = fig.to_json()
    image = images.image(spec, Atlas.load().as_of)
    lay = image.figure["layout"]
    assert "updatemenus" not in lay and "sliders" not in lay and "frames" not in image.figure
    assert (image.width, image.height) == (lay["width"], lay["height"])
    assert image.width == images.MAP_WIDTH and lay["autosize"] is False
    # the slider's title names the year the image shows; the page's chart keeps its slider
    assert "the year on the slider" not in lay["title"]["text"]
    last = spec["figure"]["layout"]["sliders"][0]["steps"][-1]["label"]
    assert f"up to {last}" in lay["title"]["text"]
    assert fig.to_json() == before and fig.layout.sliders and fig.frames


def test_an_image_leaves_out_the_menu_rows_and_keeps_the_plot_s_height(tmp_path: Path) -> None:
    spec, _ = _spec(tmp_path, "growth")
    lay = spec["figure"]["layout"]
    image = images.image(spec, Atlas.load().as_of)
    new = image.figure["layout"]
    assert lay["updatemenus"] and "updatemenus" not in new and image.width == images.WIDTH
    plot = lay["height"] - lay["margin"]["t"]
    assert new["height"] - new["margin"]["t"] == plot  # only the space above the plot changed
    assert new["margin"]["t"] < lay["margin"]["t"]


def test_the_source_line_names_the_publishers_or_counts_them_and_gives_the_date() -> None:
    as_of = Atlas.load().as_of
    day = formatting.day(as_of)
    assert images.source_line(["Reuters"], "01-x", as_of) == (
        f"Source: Reuters · data as of {day} · TikTok Growth Atlas")
    assert images.source_line(["Reuters", "BBC", "Ofcom"], "01-x", as_of).startswith(
        "Sources: Reuters, BBC and Ofcom · ")
    many = [f"Publisher number {i}" for i in range(40)]
    line = images.source_line(many, "01-x", as_of)
    shown = line.split(" and ")[0].removeprefix("Sources: ").split(", ")
    assert f" and {40 - len(shown)} more publishers, all named on the atlas page 01-x.html" \
        in line and shown == many[:len(shown)]
    assert images.source_line([], "01-x", as_of).startswith("No sources: nothing is drawn")


def test_publishers_of_the_rows_come_first_most_cited_first() -> None:
    import pandas as pd

    rows = pd.DataFrame({"source_publisher": ["B", "A", "A", None]})
    events = pd.DataFrame({"source_publisher": ["C", "B", "C"]})
    assert images.publishers([rows, events, pd.DataFrame()]) == ["A", "B", "C"]


def test_links_to_images_that_were_not_built_are_removed(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "p-a.png").write_bytes(b"x")
    (tmp_path / "img" / "p-a.svg").write_text("x", encoding="utf-8")
    (tmp_path / "img" / "p-b.png").write_bytes(b"x")  # its SVG is missing
    page = ("<figure>" + images.links_html("p-a") + "</figure><figure>"
            + images.links_html("p-b").replace("'", '"') + "</figure>")
    kept = images.keep_built_links(page, tmp_path)
    assert "img/p-a.png" in kept and "img/p-a.svg" in kept
    assert "p-b" not in kept and kept.count("atlas-images") == 1


# ---------------------------------------------------------------- the session's build


@needs_chromium
def test_the_session_build_has_the_images(built: Path) -> None:
    pngs, svgs = ({p.stem for p in (built / "img").glob(f"*.{s}")} for s in ("png", "svg"))
    assert len(pngs) >= 12 and pngs == svgs
    assert not list(built.rglob(images.SPEC_DIR))  # the records are not published


@needs_chromium
def test_every_chart_links_a_png_and_an_svg_that_exist(built: Path) -> None:
    linked = set()
    for name in PAGES:
        page = (built / name).read_text(encoding="utf-8")
        charts = _charts(page)
        assert charts, name
        for div, links in charts:
            stem = f"{Path(name).stem}-{div.removeprefix('fig-')}"
            assert links == [f"img/{stem}.png", f"img/{stem}.svg"], (name, div)
            for link in links:
                assert (built / link).is_file(), link
            linked.update(links)
    assert linked == {f"img/{p.name}" for p in (built / "img").iterdir()}  # none unlinked


@needs_chromium
def test_pngs_are_twice_the_size_of_their_svgs(built: Path) -> None:
    for png in sorted((built / "img").glob("*.png")):
        width, height = _svg_size(png.with_suffix(".svg").read_text(encoding="utf-8"))
        assert width in (images.WIDTH, images.MAP_WIDTH), png.name
        assert _png_size(png) == (images.SCALE * width, images.SCALE * height), png.name


def _publishers(csv_file: Path) -> set[str]:
    with csv_file.open(encoding="utf-8", newline="") as handle:
        return {row["source_publisher"] for row in csv.DictReader(handle)
                if row.get("source_publisher")}


@needs_chromium
def test_svgs_show_the_title_the_sources_and_the_as_of_date(built: Path) -> None:
    as_of = f"data as of {formatting.day(Atlas.load().as_of)}"
    for name in PAGES:
        page = (built / name).read_text(encoding="utf-8")
        layouts = _layouts(page)
        for div, links in _charts(page):
            svg = _svg_text((built / links[1]).read_text(encoding="utf-8"))
            title = _words(layouts[div]["title"]["text"])
            assert title and title in svg, (links[1], title)
            assert as_of in svg and "TikTok Growth Atlas" in svg, links[1]
            assert re.search(r"\bSources?: \S", svg), links[1]
            view = div.removeprefix("fig-")
            rows = built / "data" / Path(name).stem / f"{view}.csv"
            named = _publishers(rows) if rows.is_file() else set()
            if named:  # the view's own rows come first in the source line
                line = svg[svg.index("Source"):]
                assert any(p in line for p in named), (links[1], line[:200])


@needs_chromium
def test_map_images_draw_the_countries_from_the_local_world_map(built: Path) -> None:
    maps = sorted((built / "img").glob("*map.svg"))
    assert len(maps) >= 3
    for svg in maps:
        text = svg.read_text(encoding="utf-8")
        geo = text[text.index('class="geolayer"'):]
        assert geo.count('class="choroplethlocation"') >= 5, svg.name
        outlines = [len(d) for d in re.findall(r'<path[^>]* d="([^"]+)"', geo)]
        assert max(outlines) > 20_000, svg.name  # land and borders of the whole world


@needs_chromium
def test_the_interactive_charts_keep_their_controls(built: Path) -> None:
    layouts = _layouts((built / "01-global-growth.html").read_text(encoding="utf-8"))
    assert layouts["fig-growth"]["updatemenus"]
    assert layouts["fig-users-map"]["sliders"]
    assert "the year on the slider" in layouts["fig-users-map"]["title"]["text"]


# ---------------------------------------------------------------- builds


def _replay(monkeypatch: pytest.MonkeyPatch, session_reports: SessionReports) -> None:
    """Builds replay the session's executions (no kernel; their records of the charts too)."""
    monkeypatch.setattr(report, "_execute", replaying(session_reports.executed))


def test_without_chromium_the_build_says_so_once_and_writes_the_pages(
        session_reports: SessionReports, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _replay(monkeypatch, session_reports)
    lines: list[str] = []
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    out = report.build_reports(tmp_path / "reports", notebooks=[REPLAYED],
                               progress=lines.append)
    about = [line for line in lines if "image" in line]
    assert len(about) == 1 and about[0].startswith("chart images not built: no Chromium")
    page = (out / f"{REPLAYED}.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot(" in page and not LINKS.search(page) and 'href="img/' not in page
    assert not (out / "img").exists() and not list(out.rglob(images.SPEC_DIR))


@needs_chromium
def test_a_failed_image_leaves_the_previous_reports_untouched(
        session_reports: SessionReports, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "reports"
    shutil.copytree(session_reports.out, out)
    before = tree_digest(out)
    _replay(monkeypatch, session_reports)
    empty = tmp_path / "no-world-map"
    empty.mkdir()
    monkeypatch.setattr(images, "ASSETS_DIR", empty)  # the status map cannot be drawn
    with pytest.raises(report.ReportBuildError, match=rf"{REPLAYED}: could not draw .*"
                                                      r"status-map"):
        report.build_reports(out, notebooks=[REPLAYED], progress=lambda line: None)
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-world-map", "reports"]


@needs_chromium
def test_a_replayed_build_draws_its_page_s_images_with_one_browser(
        session_reports: SessionReports, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _replay(monkeypatch, session_reports)
    lines: list[str] = []
    started = []
    real = images.Renderer.start
    monkeypatch.setattr(images.Renderer, "start",
                        lambda self: started.append(self) or real(self))
    out = report.build_reports(tmp_path / "reports", notebooks=[REPLAYED],
                               progress=lines.append)
    assert len(started) == 1
    drawn = sorted(p.name for p in (out / "img").iterdir())
    assert drawn == sorted(p.name for p in (session_reports.out / "img").glob(f"{REPLAYED}-*"))
    for name in drawn:  # the same bytes as the session's build (SVG ids made stable)
        assert (out / "img" / name).read_bytes() == (session_reports.out / "img" /
                                                     name).read_bytes(), name
    assert sum("charts as PNG (2x) and SVG images in img/" in line for line in lines) == 1


# ---------------------------------------------------------------- in Chromium


@needs_chromium
@pytest.mark.browser
def test_image_links_fit_a_phone_and_are_not_printed(browser, built: Path) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for name in PAGES:
        page.goto((built / name).as_uri())
        boxes = page.eval_on_selector_all(
            ".atlas-images", "els => els.map(e => e.getBoundingClientRect().right)")
        assert boxes and max(boxes) <= 390, (name, boxes)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        page.emulate_media(media="print")
        shown = page.eval_on_selector_all(
            ".atlas-images", "els => els.filter(e => e.offsetParent !== null).length")
        assert shown == 0, name
        page.emulate_media(media="screen")
    page.close()
