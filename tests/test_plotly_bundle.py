"""The lean plotly.js of the report pages (helpers/assets/plotly-atlas.min.js, rebuilt by
`make plotly-bundle`): the plotly.js version plotly.py embeds, every trace type the reports
draw, the asset its manifest describes, and pages under 2 MB that inline it once."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from helpers import figures, pages, places, selections
from helpers.atlas import Atlas
from helpers.plotly_assets import geo_assets_js
from helpers.report import ReportBuildError, build_reports
from tests.conftest import ROOT, SessionReports

MAX_PAGE_BYTES = 2_000_000
REBUILD = "run `make plotly-bundle` and commit helpers/assets/plotly-atlas.*"
NEWPLOT = re.compile(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*")
ADDFRAMES = re.compile(r"Plotly\.addFrames\(\s*'[^']+',\s*")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(pages.LEAN_MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lean() -> str:
    return pages.LEAN_BUNDLE.read_text(encoding="utf-8")


def test_bundle_is_plotly_py_s_plotly_js_version(manifest: dict) -> None:
    assert manifest["plotlyjs_version"] == get_plotlyjs_version(), (
        f"plotly.py embeds plotly.js {get_plotlyjs_version()} but the lean bundle is "
        f"{manifest['plotlyjs_version']}: {REBUILD}")


def test_manifest_describes_the_asset(manifest: dict, lean: str) -> None:
    raw = pages.LEAN_BUNDLE.read_bytes()
    assert manifest["file"] == pages.LEAN_BUNDLE.name
    assert manifest["sha256"] == hashlib.sha256(raw).hexdigest(), f"asset changed: {REBUILD}"
    assert manifest["bytes"] == len(raw)
    assert manifest["bytes"] < 2_000_000 < len(get_plotlyjs().encode())
    # one banner naming the version (what the report tests recognise plotly.js by), and the
    # global the pages and their print script call
    assert lean.startswith(f"/**\n* plotly.js v{manifest['plotlyjs_version']}, partial bundle")
    assert lean.count("plotly.js v") == 1
    assert "var Plotly=(()=>{" in lean[:2000]


def test_manifest_traces_are_those_the_entry_registers(manifest: dict) -> None:
    entry = (ROOT / "scripts" / "plotly-bundle" / "entry.js").read_text(encoding="utf-8")
    modules = re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)
    assert modules[0] == "core"
    assert manifest["trace_types"] == sorted(["scatter", *modules[1:]])
    package = json.loads((ROOT / "scripts" / "plotly-bundle" / "package.json").read_text())
    assert package["dependencies"]["plotly.js"] == manifest["plotlyjs_version"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in package["dependencies"].values())


def _trace_types(figs: Iterable[go.Figure]) -> Iterator[tuple[str, set[str]]]:
    """(trace type, attribute names ending in 'calendar') of every trace and frame trace."""
    for fig in figs:
        for trace in [*fig.data, *(t for frame in fig.frames or () for t in frame.data)]:
            calendars = {k for k in trace.to_plotly_json() if k.endswith("calendar")}
            yield trace.type, calendars


def test_bundle_has_every_trace_type_the_views_and_profiles_draw(manifest: dict) -> None:
    atlas = Atlas.load()
    drawn: dict[str, set[str]] = {}
    for view, select in selections.SELECTIONS.items():
        for kind, calendars in _trace_types(figures.charts(select(atlas), static=True)):
            drawn.setdefault(kind, set()).add(view)
            assert not calendars, (view, calendars)  # the calendars module is not bundled
    for place in places.places_with_data(atlas):
        claims = places.profile(atlas, place).claims
        if claims is not None:
            for kind, _ in _trace_types(figures.charts(claims, static=True)):
                drawn.setdefault(kind, set()).add(f"profile {place.slug}")
    missing = {kind: sorted(where) for kind, where in drawn.items()
               if kind not in manifest["trace_types"]}
    assert not missing, (f"trace types the lean plotly.js lacks (add them to "
                         f"scripts/plotly-bundle/entry.js, then {REBUILD}): {missing}")
    assert {"scatter", "bar", "heatmap", "choropleth"} <= set(drawn)


KEPT_PROJECTIONS = {"natural earth", "equirectangular"}
"""Projections the lean bundle draws: "natural earth" (scripts/plotly-bundle/shims) and
d3-geo's own, of which plotly.js's default; d3-geo-projection's others are left out."""


def _geo_needs(data: Iterable[dict], layout: dict) -> set[str]:
    """What a figure's maps need that the lean bundle may lack: a choropleth's locationmode
    other than ISO-3 (country names need the left-out country-iso-search), a projection not
    kept."""
    needs = {f"locationmode {t.get('locationmode')}" for t in data
             if t.get("type") == "choropleth" and t.get("locationmode", "ISO-3") != "ISO-3"}
    for key, value in layout.items():
        if key.startswith("geo") and isinstance(value, dict):
            kind = (value.get("projection") or {}).get("type", "equirectangular")
            if kind not in KEPT_PROJECTIONS:
                needs.add(f"projection {kind}")
    return needs


def test_maps_need_nothing_the_bundle_leaves_out(session_reports: SessionReports,
                                                 manifest: dict) -> None:
    """The bundle leaves out country-iso-search and d3-geo-projection (manifest "shims"):
    every map of the views and of the built pages gives ISO-3 codes and a kept projection."""
    assert manifest["shims"] == ["country-iso-search", "d3-geo-projection"]
    atlas = Atlas.load()
    maps = 0
    for view, select in selections.SELECTIONS.items():
        for fig in figures.charts(select(atlas), static=True):
            fig_json = fig.to_plotly_json()
            frames = [t for f in fig_json.get("frames", ()) for t in f.get("data", ())]
            assert not _geo_needs([*fig_json["data"], *frames], fig_json["layout"]), view
            maps += any(k.startswith("geo") for k in fig_json["layout"])
    decoder = json.JSONDecoder()
    for path in sorted(session_reports.out.rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        for match in NEWPLOT.finditer(html):
            data, end = decoder.raw_decode(html, match.end())
            layout, _ = decoder.raw_decode(html, html.index("{", end))
            assert not _geo_needs(data, layout), path.name
            maps += any(k.startswith("geo") for k in layout)
    assert maps >= 6


def _page_trace_types(html: str) -> set[str]:
    """The trace types of every figure and animation frame a built page draws."""
    decoder = json.JSONDecoder()
    kinds = set()
    for match in NEWPLOT.finditer(html):
        data, _ = decoder.raw_decode(html, match.end())
        kinds |= {t.get("type", "scatter") for t in data}
    for match in ADDFRAMES.finditer(html):
        frames, _ = decoder.raw_decode(html, match.end())
        kinds |= {t.get("type", "scatter") for f in frames for t in f.get("data", [])}
    return kinds


def test_built_pages_are_lean_and_inline_the_bundle_once(session_reports: SessionReports,
                                                         manifest: dict, lean: str) -> None:
    out = session_reports.out
    built = sorted(out.rglob("*.html"))
    assert len(built) > 10
    sizes = {str(p.relative_to(out)): p.stat().st_size for p in built}
    too_big = {name: size for name, size in sizes.items() if size > MAX_PAGE_BYTES}
    assert not too_big, f"pages over {MAX_PAGE_BYTES:,} bytes: {too_big}"
    charts = 0
    for path in built:
        html = path.read_text(encoding="utf-8")
        kinds = _page_trace_types(html)
        assert kinds <= set(manifest["trace_types"]), (path.name, kinds)
        charts += bool(kinds)
        if path.parent == out and kinds:  # the chapters inline plotly.js
            assert html.count(lean) == 1, path.name
            assert html.count("plotly.js v") == 1, path.name
        else:  # the index, the glance page and the profiles inline none
            assert "plotly.js v" not in html, path.name
    assert charts >= 5
    # the profiles share one file: the lean bundle too
    assert (out / "assets" / "plotly.min.js").read_text(encoding="utf-8") == lean


def test_the_full_bundle_stays_available(tmp_path: Path) -> None:
    full = pages.Scripts(bundle="full").head()
    assert get_plotlyjs() in full and pages.plotlyjs("full") == get_plotlyjs()
    assert pages.plotlyjs() in pages.Scripts().head()
    assert pages.plotlyjs() == pages.LEAN_BUNDLE.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="expected one of lean, full"):
        pages.Scripts(bundle="tiny")
    with pytest.raises(ReportBuildError, match="expected one of lean, full"):
        build_reports(tmp_path / "out", plotly_bundle="tiny", progress=lambda line: None)
    assert not (tmp_path / "out").exists()


def test_cli_offers_lean_and_full(capsys: pytest.CaptureFixture[str]) -> None:
    from helpers.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["report", "--plotly", "tiny"])
    assert exit_.value.code == 2
    assert "choose from 'lean', 'full'" in capsys.readouterr().err


def test_a_bundle_of_another_version_gives_the_full_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "lean_manifest", lambda: {"plotlyjs_version": "0.0.1"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert pages.plotlyjs.__wrapped__("lean") == get_plotlyjs()  # past the cache
    assert any("make plotly-bundle" in str(w.message) for w in caught)


def test_npm_runs_only_in_make_plotly_bundle() -> None:
    recipes: dict[str, list[str]] = {}
    target = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("\t") and target:
            recipes[target].append(line)
        elif re.match(r"^[a-z$()A-Z_-]+:", line):
            target = line.split(":", 1)[0]
            recipes[target] = []
    assert any("scripts/plotly-bundle/build.sh" in line for line in recipes["plotly-bundle"])
    for name, lines in recipes.items():
        if name != "plotly-bundle":
            assert not any(re.search(r"\bnpm\b|\bnpx\b|plotly-bundle", ln) for ln in lines), name


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed: run `make browser` as root")
def test_bundle_in_chromium_is_the_plotly_object_with_its_trace_types(browser, manifest: dict,
                                                                  lean: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content("<!DOCTYPE html><html><head></head><body></body></html>")
    page.add_script_tag(content=lean)
    found = page.evaluate("""() => ({
        version: Plotly.version,
        api: ['newPlot', 'relayout', 'restyle', 'update', 'animate', 'addFrames', 'react']
             .filter(name => typeof Plotly[name] !== 'function'),
        resize: typeof Plotly.Plots.resize,
        traces: Object.keys(Plotly.PlotSchema.get().traces).sort()})""")
    page.close()
    assert errors == []
    assert found == {"version": manifest["plotlyjs_version"], "api": [], "resize": "function",
                     "traces": manifest["trace_types"]}


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed: run `make browser` as root")
def test_bundle_draws_natural_earth_maps_and_names_what_it_leaves_out(browser,
                                                                      lean: str) -> None:
    """The shims of scripts/plotly-bundle stand in for two packages plotly.js requires: a
    "natural earth" map of ISO-3 codes draws as with the full bundle; country names or a
    left-out projection fail with a message that says so, never a silent blank map."""
    page = browser.new_page()
    page.set_content("<!DOCTYPE html><html><head></head><body><div id='map'></div></body>"
                     "</html>")
    page.add_script_tag(content=lean)
    page.add_script_tag(content=geo_assets_js())
    found = page.evaluate("""async () => {
        const draw = async (trace, projection) => {
            try {
                await Plotly.newPlot('map', [Object.assign({type: 'choropleth', z: [1, 2]},
                    trace)], {geo: {projection: {type: projection}}});
                return document.querySelectorAll('#map .choroplethlocation').length;
            } catch (e) { return String(e.message || e); }
        };
        return {
            iso3: await draw({locations: ['FRA', 'IND']}, 'natural earth'),
            names: await draw({locations: ['France', 'India'], locationmode: 'country names'},
                              'natural earth'),
            robinson: await draw({locations: ['FRA', 'IND']}, 'robinson'),
        };
    }""")
    page.close()
    assert found["iso3"] == 2
    assert "country names" in str(found["names"]) and "--plotly full" in str(found["names"])
    assert "geoRobinson" in str(found["robinson"]) and "natural earth" in str(found["robinson"])
