"""Report pages with the lean and the full plotly.js, side by side in one run: every page's
size, and the time until every chart of a page is drawn, in headless Chromium over file://.

    python benchmarks/page_draw.py                          # builds both, a table + JSON
    python benchmarks/page_draw.py --lean DIR --full DIR    # reports built already
    python benchmarks/page_draw.py --runs 9

The two builds are ``python -m helpers report`` and ``python -m helpers report --plotly full``.
A page's size is its HTML file plus the local scripts it loads (the place profiles share
``assets/plotly.min.js``). Each page is loaded ``runs`` times with each bundle, lean and full
taking turns (which goes first alternates from round to round), each load in a fresh browser
context after one warm-up round. The time is the page's own clock (``performance.now()``,
from the start of the navigation) at the first moment when the document is parsed and every
chart is drawn: every ``.plotly-graph-div`` is a ``.js-plotly-plot`` that has
``_fullLayout`` and an ``svg.main-svg``. The state is checked at ``DOMContentLoaded`` (the
report's charts are drawn by inline scripts, before it) and then at every animation frame.

Targets (issue 12, "Lean pages"): every page at most 2.0 MB, and the median time until every
chart of a page is drawn at most 1.0 s and at most half of the full-bundle page's.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench" / "page_draw.json"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
VIEWPORT = {"width": 1280, "height": 900}
BUNDLES = ("lean", "full")
MAX_PAGE_BYTES = 2_000_000
MAX_DRAW_MS = 1000.0
MAX_RATIO = 0.5
TIMED_PROFILE = "places/fra.html"  # a place profile with a chart (plotly.js from a shared file)
LOAD_TIMEOUT_MS = 60_000

# Installed before any script of the page: records when every chart is drawn.
DRAWN_PROBE = """(() => {
  const drawn = () => {
    if (document.readyState === 'loading') return false;
    const divs = document.querySelectorAll('.plotly-graph-div');
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    return divs.length > 0 && plots.length === divs.length
      && plots.every(gd => !!gd._fullLayout && !!gd.querySelector('svg.main-svg'));
  };
  const check = () => {
    if (window.__atlasDrawnAt !== undefined) return;
    if (drawn()) window.__atlasDrawnAt = performance.now();
    else requestAnimationFrame(check);
  };
  document.addEventListener('DOMContentLoaded', check);
})();"""
SCRIPT_SRC = re.compile(r"<script[^>]*\ssrc=\"([^\"]+)\"")


def build(out: Path, bundle: str) -> None:
    """``python -m helpers report --plotly BUNDLE --out OUT`` in a subprocess."""
    subprocess.run([sys.executable, "-m", "helpers", "report", "--plotly", bundle, "--out",
                    str(out)], check=True, cwd=ROOT, capture_output=True)


def page_sizes(folder: Path) -> dict[str, int]:
    """Bytes of every page of a build: the HTML and the local scripts it loads."""
    sizes = {}
    for page in sorted(folder.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        scripts = {(page.parent / src).resolve() for src in SCRIPT_SRC.findall(html)}
        sizes[str(page.relative_to(folder))] = page.stat().st_size + sum(
            s.stat().st_size for s in scripts if s.is_file())
    return sizes


def chart_pages(folder: Path) -> list[str]:
    """The pages timed: every chapter with charts, and one place profile."""
    chapters = sorted(p.name for p in folder.glob("[0-9][0-9]-*.html"))
    return [*chapters, TIMED_PROFILE] if (folder / TIMED_PROFILE).is_file() else chapters


def time_loads(folders: dict[str, Path], pages: list[str], runs: int) -> dict[str, Any]:
    """ms until every chart is drawn, per bundle and page: a list of ``runs`` loads."""
    from playwright.sync_api import sync_playwright

    times: dict[str, dict[str, list[float]]] = {b: {p: [] for p in pages} for b in folders}
    errors: list[str] = []
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=shutil.which("chromium"),
                                       args=CHROMIUM_ARGS)
        try:
            for round_ in range(runs + 1):  # round 0 warms up Chromium and the file cache
                order = list(folders) if round_ % 2 else list(reversed(folders))
                for page in pages:
                    for bundle in order:
                        ms = _load(browser, folders[bundle] / page, errors)
                        if round_:
                            times[bundle][page].append(ms)
        finally:
            browser.close()
    return {"times": times, "errors": errors}


def _load(browser: Any, path: Path, errors: list[str]) -> float:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(DRAWN_PROBE)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"{path}: {e}"))
    page.on("console", lambda m: errors.append(f"{path}: {m.text}")
            if m.type == "error" else None)
    try:
        page.goto(path.as_uri(), wait_until="commit")
        page.wait_for_function("() => window.__atlasDrawnAt !== undefined",
                               timeout=LOAD_TIMEOUT_MS)
        return float(page.evaluate("window.__atlasDrawnAt"))
    finally:
        context.close()


def measure(folders: dict[str, Path], runs: int = 7) -> dict[str, Any]:
    """Sizes and draw times of the lean and full builds in ``folders``, and the summary."""
    sizes = {bundle: page_sizes(folder) for bundle, folder in folders.items()}
    pages = chart_pages(folders["lean"])
    timed = time_loads(folders, pages, runs)
    medians = {b: {p: statistics.median(t) for p, t in timed["times"][b].items()}
               for b in folders}
    ratios = {p: medians["lean"][p] / medians["full"][p] for p in pages}
    summary = {
        "page_bytes_max_lean": max(sizes["lean"].values()),
        "page_bytes_max_full": max(sizes["full"].values()),
        "draw_ms_median_lean": round(max(medians["lean"].values()), 1),
        "draw_ms_median_full": round(max(medians["full"].values()), 1),
        "draw_ratio_max": round(max(ratios.values()), 3),
        "draw_runs": runs,
        "draw_errors": len(timed["errors"]),
    }
    return {"summary": summary, "sizes": sizes, "pages": pages, "medians": medians,
            "ratios": ratios, **timed}


def targets(summary: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    """Each target key: (met, what it asks)."""
    return {
        "page_bytes_max_lean": (summary["page_bytes_max_lean"] <= MAX_PAGE_BYTES,
                                "<= 2.0 MB, every page (lean)"),
        "draw_ms_median_lean": (summary["draw_ms_median_lean"] <= MAX_DRAW_MS,
                                "<= 1000 ms, the slowest page's median (lean)"),
        "draw_ratio_max": (summary["draw_ratio_max"] <= MAX_RATIO,
                           "<= 0.5 x the full-bundle page, every page"),
        "draw_errors": (summary["draw_errors"] == 0, "none (page errors, console errors)"),
    }


def table(result: dict[str, Any]) -> str:
    """One line per page: sizes (lean, full) and median draw times (lean, full, ratio)."""
    sizes, medians = result["sizes"], result["medians"]
    lines = [f"{'page':<36} {'lean bytes':>11} {'full bytes':>11} {'lean ms':>8} "
             f"{'full ms':>8} {'ratio':>6}"]
    profiles = [p for p in sizes["lean"] if p.startswith("places/")]
    shown = [p for p in sizes["lean"] if not p.startswith("places/")]
    if TIMED_PROFILE in sizes["lean"]:
        shown.append(TIMED_PROFILE)
    for page in shown:
        timed = page in medians["lean"]
        lines.append(f"{page:<36} {sizes['lean'][page]:>11,} {sizes['full'][page]:>11,} "
                     + (f"{medians['lean'][page]:>8.0f} {medians['full'][page]:>8.0f} "
                        f"{result['ratios'][page]:>6.2f}" if timed else ""))
    if profiles:
        largest = max(profiles, key=sizes["lean"].get)
        lines.append(f"{'places/* largest: ' + largest:<36} {sizes['lean'][largest]:>11,} "
                     f"{sizes['full'][largest]:>11,}")
    return "\n".join(lines)


def run(lean: Path | None = None, full: Path | None = None, runs: int = 7,
        out: Path = OUT) -> dict[str, Any]:
    """Build what is missing, measure, write the JSON to ``out``; returns the result."""
    with tempfile.TemporaryDirectory() as tmp:
        folders = {"lean": lean or Path(tmp) / "lean", "full": full or Path(tmp) / "full"}
        for bundle in BUNDLES:
            if not (folders[bundle] / "index.html").is_file():
                build(folders[bundle], bundle)
        result = measure(folders, runs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lean", type=Path, help="reports built with the lean bundle")
    parser.add_argument("--full", type=Path, help="reports built with --plotly full")
    parser.add_argument("--runs", type=int, default=7, help="loads per page and bundle")
    parser.add_argument("--out", type=Path, default=OUT, help="where the JSON goes")
    args = parser.parse_args(argv)
    if shutil.which("chromium") is None:
        print("page draw: skipped, chromium is missing (`make browser` installs it)")
        return 0
    result = run(args.lean, args.full, args.runs, args.out)
    print(table(result))
    for key, (ok, text) in targets(result["summary"]).items():
        print(f"{key:<22} {result['summary'][key]:>12}  {'ok  ' if ok else 'MISS'} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
