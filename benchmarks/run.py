"""Benchmarks of the TikTok Growth Atlas: load times, widget updates, report build and size.

    python benchmarks/run.py          # a table, with the targets
    python benchmarks/run.py --json   # one JSON line

Targets (issue "Benchmarks and hardening"): loading adds <= 150 ms to ``import pandas`` cold
and takes <= 5 ms warm; widget update median <= 10 ms and p95 <= 30 ms; report build <=
1.3 x the nbconvert floor; each page <= 1.15 x plotly.min.js plus its own data.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD = """
import time
t0 = time.perf_counter()
import pandas
t1 = time.perf_counter()
from helpers.data import load_table, table_names
for name in table_names():
    load_table(name)
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""


def load_cold(runs: int = 5) -> tuple[float, float]:
    """Median ms of ``import pandas`` and of importing helpers plus loading every table."""
    pandas_ms, load_ms = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout.split()
        pandas_ms.append(float(out[0]))
        load_ms.append(float(out[1]))
    return statistics.median(pandas_ms), statistics.median(load_ms)


def load_warm(runs: int = 50) -> float:
    """Median ms to load every table again from the per-process cache."""
    from helpers.data import load_table, table_names

    for name in table_names():
        load_table(name)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for name in table_names():
            load_table(name)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _changes(explorer) -> list[tuple[object, object]]:
    """(control, value) pairs that walk each control through a few values and back."""
    import ipywidgets as w

    pairs = []
    for control in explorer.controls.values():
        original = control.value
        if isinstance(control, w.SelectMultiple):
            values = [o[1] if isinstance(o, tuple) else o for o in control.options]
            choices = [tuple(values[:1]), tuple(values[:3]), original]
        elif isinstance(control, w.SelectionRangeSlider):
            first, last = control.options[0], control.options[-1]
            choices = [(first + 2, last), (first, last - 2), original]
        elif isinstance(control, w.Dropdown):
            values = [o[1] if isinstance(o, tuple) else o for o in control.options]
            choices = [v for v in values if v != original][:2] + [original]
        elif isinstance(control, w.IntSlider | w.FloatSlider):
            choices = [control.min, control.max, original]
        elif isinstance(control, w.Checkbox):
            choices = [not original, original]
        else:
            continue
        pairs.extend((control, value) for value in choices)
    return pairs


def widget_updates() -> list[float]:
    """Kernel-side ms from a control's value change until the FigureWidget holds new data."""
    from helpers import widgets
    from helpers.atlas import Atlas

    atlas = Atlas.load()
    classes = [widgets.GrowthExplorer, widgets.ClaimsExplorer, widgets.UsersMapExplorer,
               widgets.WorkforceExplorer, widgets.InvestmentExplorer,
               widgets.InvestmentMapExplorer, widgets.TimelineExplorer,
               widgets.StatusMapExplorer, widgets.PressureExplorer]
    times = []
    for cls in classes:
        explorer = cls(atlas)
        for control, value in _changes(explorer):
            explorer.figure_updated_at = None
            t0 = time.perf_counter()
            control.value = value
            done = explorer.figure_updated_at or time.perf_counter()  # empty: message shown
            times.append((done - t0) * 1000)
    return times


def report_build() -> tuple[float, int, int]:
    """Seconds of a full report build (subprocess), largest page bytes, peak RSS MB."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reports"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "helpers", "report", "--out", str(out)],
                       check=True, cwd=ROOT, capture_output=True)
        seconds = time.perf_counter() - t0
        largest = max(p.stat().st_size for p in out.glob("*.html"))
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, largest, peak_kb // 1024


def report_floor(pages: int) -> float:
    """nbconvert executing an empty notebook to HTML, times the number of pages."""
    import nbformat

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "empty.ipynb"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, path)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html",
                        "--execute", str(path)], check=True, capture_output=True, cwd=tmp)
        return (time.perf_counter() - t0) * pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    from plotly.offline import get_plotlyjs

    from helpers.report import notebook_paths

    pandas_ms, cold_ms = load_cold()
    warm_ms = load_warm()
    updates = sorted(widget_updates())
    build_s, largest, peak_mb = report_build()
    pages = len(notebook_paths())
    floor_s = report_floor(pages)
    plotlyjs = len(get_plotlyjs().encode("utf-8"))
    result = {
        "pandas_import_ms": round(pandas_ms, 1),
        "load_cold_ms": round(cold_ms, 1),
        "load_warm_ms": round(warm_ms, 2),
        "widget_updates": len(updates),
        "widget_update_ms_median": round(statistics.median(updates), 2),
        "widget_update_ms_p95": round(updates[int(0.95 * (len(updates) - 1))], 2),
        "report_build_s": round(build_s, 2),
        "report_floor_s": round(floor_s, 2),
        "largest_page_bytes": largest,
        "plotlyjs_bytes": plotlyjs,
        "peak_rss_mb": peak_mb,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    targets = {
        "load_cold_ms": (cold_ms <= 150, "<= 150 ms on top of import pandas"),
        "load_warm_ms": (warm_ms <= 5, "<= 5 ms"),
        "widget_update_ms_median": (result["widget_update_ms_median"] <= 10, "<= 10 ms"),
        "widget_update_ms_p95": (result["widget_update_ms_p95"] <= 30, "<= 30 ms"),
        "report_build_s": (build_s <= 1.3 * floor_s, f"<= 1.3 x floor = {1.3 * floor_s:.1f} s"),
        "largest_page_bytes": (largest <= 1.15 * plotlyjs + 400_000,
                               "<= 1.15 x plotly.min.js + its own data"),
    }
    width = max(map(len, result))
    for key, value in result.items():
        ok, text = targets.get(key, (None, ""))
        mark = "" if ok is None else ("ok  " if ok else "MISS")
        print(f"{key:<{width}}  {value:>12}  {mark} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
