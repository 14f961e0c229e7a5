"""End-to-end latency of the explorers in JupyterLab, in headless Chromium.

    python benchmarks/browser_latency.py                 # a table, and .bench/browser_latency.json
    python benchmarks/browser_latency.py --notebook 03   # one notebook (a prefix of its name)

One JupyterLab server on a copy of notebooks/ (in a temporary folder, with its own config and
workspaces); for each notebook a fresh page runs all cells, then every control of every
explorer in the page is changed through the DOM (dropdowns and multiple selections with
Playwright's ``select_option``, check boxes by a click, sliders by ArrowRight/ArrowLeft on the
focused handle, place tags by removing one and typing it back) and, in the page's own clock
(``performance.now()``), the time from the input event to the chart redrawn is taken: the
first plotly event (``plotly_afterplot``, ``_restyle``, ``_relayout``, ``_update``,
``_redraw``) after which the explorer's charts show their final data and layout, or, when
the change swaps the chart for the explorer's message, the moment the message is shown. A
change that shows nothing new is recorded as "no visible change" (not timed); one that
takes more than 5 s, or shows "Could not draw", is a failure.

Every kernel message of a change is kept (JupyterLab's kernel connection, with the kernel's
own timestamps), and each explorer's ``update`` is timed in the kernel (a wrapper installed
on the explorer objects of the benchmark's kernel; helpers/ is not changed), so the table of
the slowest changes says where the time went: the page sending the change, the kernel,
the transport back, and the page drawing it. plotly.js alone (``Plotly.newPlot``,
``Plotly.react`` and the widget's deleteTraces + addTraces + relayout of a copy of each chart,
off screen) is timed for comparison. benchmarks/README.md has the method and the results.

Targets (issue "end-to-end latency"): median <= 150 ms, p95 <= 300 ms, none over 500 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench" / "browser_latency.json"
PROBE_JS = Path(__file__).with_name("browser_latency.js")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
TARGETS = {"median": 150.0, "p95": 300.0, "max": 500.0}  # ms
CHANGE_TIMEOUT_MS = 5000  # a change not redrawn by then is a failure
QUIET_MS = 150  # settled: nothing moved in the page for this long, every request answered
CAP_S = 600  # hard cap on the whole run
VIEWPORT = {"width": 1400, "height": 1000}
LEAVE = {"Show": "change since base year (%)"}  # left at this option (base year then shows)
VIEWS = (("Places", "growth"), ("As of end", "users-map"), ("Place", "claims"),
         ("Kind", "workforce"), ("Up to end", "investments-map"), ("Decay", "pressure"),
         ("Purpose", "investments"), ("Category", "timeline"), ("End of", "status-map"))


class Budget(Exception):
    """The hard cap on the run's time was reached."""


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str,
             interval: float = 0.05) -> Any:
    """Poll ``condition`` (a state query) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Lab:
    """ONE JupyterLab server on a copy of notebooks/ in a temporary folder."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.token = "bench-" + os.urandom(12).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.root = tmp / "notebooks"
        shutil.copytree(ROOT / "notebooks", self.root,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.log_path = tmp / "server.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 120) -> None:
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(self.tmp / "config"),
               "JUPYTERLAB_WORKSPACES_DIR": str(self.tmp / "workspaces")}
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
                   f"--port={self.port}", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                   # window.jupyterapp: the page's kernel connection (its messages) and the
                   # notebook's model (Run All finished)
                   "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(command, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, cwd=self.tmp)

        def answering() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {self.log_path.read_text()[-2000:]}")
            try:
                return self.api("status") is not None
            except (OSError, urllib.error.URLError):
                return False

        wait_for(answering, timeout, "JupyterLab's /api/status", interval=0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"{self.url}/api/{path}?token={self.token}",
                                         method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def session(self, notebook: str) -> dict | None:
        return next((s for s in self.api("sessions") if s["path"] == notebook), None)

    def kernel_idle(self, notebook: str) -> bool:
        """The server's view (``/api/kernels``): the notebook's kernel exists and is idle."""
        session = self.session(notebook)
        if not session:
            return False
        kernels = {k["id"]: k for k in self.api("kernels")}
        kernel = kernels.get(session["kernel"]["id"])
        return bool(kernel) and kernel["execution_state"] == "idle"

    def shut_down(self, notebook: str) -> None:
        """Stop the notebook's kernel: the next notebook's kernel does not compete with it."""
        try:
            session = self.session(notebook)
            if session:
                self.api(f"sessions/{session['id']}", method="DELETE")
        except OSError:
            pass


# ---------------------------------------------------------------- the page

# The notebook panel of ``path``, from JupyterLab's application object.
PANEL = """path => [...window.jupyterapp.shell.widgets('main')]
                     .find(w => w.context && w.context.path === path)"""
READY = f"""path => {{
    if (!window.jupyterapp) return false;
    const panel = ({PANEL})(path);
    if (!panel || !panel.context.isReady || window.jupyterapp.shell.currentWidget !== panel)
        return false;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}}"""
RUN_STATE = f"""path => {{
    const panel = ({PANEL})(path);
    const cells = [...panel.content.model.cells].filter(c => c.type === 'code');
    for (const cell of cells)
        for (let i = 0; i < cell.outputs.length; i++)
            if (cell.outputs.get(i).type === 'error')
                return 'error: ' + JSON.stringify(cell.outputs.get(i).toJSON()).slice(0, 1000);
    const done = cells.every(c => c.executionCount !== null && c.executionState === 'idle');
    return done && panel.sessionContext.session.kernel.status === 'idle' ? 'done' : false;
}}"""
STARTED = f"""path => [...({PANEL})(path).content.model.cells]
                      .some(c => c.type === 'code' && c.executionState === 'running')"""
DRAWN = """() => { const els = [...document.querySelectorAll('.jp-OutputArea .js-plotly-plot')];
                   return els.length > 0 && els.every(el => Array.isArray(el.data)
                                                      && el.data.length > 0); }"""
EXECUTE = """async code => {
    const future = window.__bench.kernel.requestExecute({code, silent: true,
                                                         store_history: false});
    const reply = await future.done;
    return reply.content.status === 'ok' ? 'ok' : reply.content.ename + ': ' + reply.content.evalue;
}"""

# Installed in the benchmark's kernel (never in helpers/): times every explorer's update()
# and, inside it, the steps named in PARTS (where they exist), the comm messages it sends and
# the bytes the kernel serialises for them.
KERNEL_PROBE = """
def _bench_probe(path):
    import importlib, json, time
    from IPython import get_ipython
    from helpers.widgets import Explorer
    acc = {}
    def wrap(owner, attr, name):
        original = getattr(owner, attr, None)
        if original is None or getattr(original, "_bench", False):
            return
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                entry = acc.setdefault(name, [0.0, 0])
                entry[0] += (time.perf_counter() - start) * 1000
                entry[1] += 1
        timed._bench = True
        setattr(owner, attr, timed)
    for module, attr, name in PARTS:
        try:
            wrap(importlib.import_module(module), attr, name)
        except ImportError:
            pass
    session = get_ipython().kernel.session
    serialize = session.serialize
    def counted(msg, *args, **kwargs):
        frames = serialize(msg, *args, **kwargs)
        entry = acc.setdefault("bytes sent", [0, 0])
        entry[0] += sum(len(f) for f in frames)
        entry[1] += 1
        return frames
    if not getattr(serialize, "_bench", False):
        counted._bench = True
        session.serialize = counted
    explorers = {id(o): o for o in get_ipython().user_ns.get("Out", {}).values()
                 if isinstance(o, Explorer) and "update" not in vars(o)}
    for explorer in explorers.values():
        if explorer.figures:
            wrap(type(explorer.figures[0].comm), "publish_msg", "comm send")
        wrap(explorer, "select", "select")
        def update(original=explorer.update, explorer=explorer):
            acc.clear()
            wall, start = time.time(), time.perf_counter()
            explorer.figure_updated_at = None
            try:
                original()
            finally:
                end = time.perf_counter()
                drawn = getattr(explorer, "figure_updated_at", None)
                with open(path, "a") as log:
                    log.write(json.dumps({
                        "view": explorer.view, "start_epoch_ms": wall * 1000,
                        "update_ms": (end - start) * 1000,
                        "figure_ms": None if drawn is None else (drawn - start) * 1000,
                        "empty": explorer.is_empty,
                        "parts": {k: [round(v[0], 2), v[1]] for k, v in acc.items()}}) + "\\n")
        explorer.update = update
    return len(explorers)
_bench_probe(PATH)
del _bench_probe
"""
PARTS = [("helpers.figures", "charts", "charts"),
         ("helpers.widgets.explorers", "sync_figure", "sync_figure"),
         ("helpers.widgets.sync", "replace_figure", "replace_figure"),
         ("helpers.widgets.sync", "keep_widget_state", "keep_widget_state"),
         ("helpers.tables", "frame_to_html_table", "table html"),
         ("helpers.tables", "csv_download_link", "csv link")]


# Before any page script: record the time and size of every kernel websocket frame sent and
# received (the listener runs before JupyterLab's own handler, so parsing is what follows it).
FRAMES_INIT = """(() => {
  const Native = window.WebSocket;
  window.__benchFrames = [];
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      if (!String(url).includes('/channels')) return;
      this.__bench = true;
      this.addEventListener('message', e => record('recv', e.data));
    }
    send(data) {
      if (this.__bench) record('send', data);
      return super.send(data);
    }
  };
  function record(dir, d) {
    const frames = window.__benchFrames;
    frames.push({t: performance.now(), dir,
                 bytes: typeof d === 'string' ? d.length : (d.byteLength || d.size || 0)});
    if (frames.length > 4000) frames.splice(0, 1000);
  }
})();"""


def probe_js() -> str:
    """browser_latency.js without its leading comment (a function expression)."""
    lines = PROBE_JS.read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


@dataclass
class Step:
    """One change of a control: ``prepare`` (not timed) then ``act`` (the input)."""

    action: str
    act: Callable[[], Any]
    prepare: Callable[[], Any] | None = None


@dataclass
class Notebook:
    """A notebook's page while its explorers are measured."""

    name: str
    page: Any
    lab: Lab
    deadline: float
    probe_log: Path
    probe_read: int = 0
    records: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    plotly_alone: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    loadavg: list[float] = field(default_factory=list)  # 1-minute load at start and end
    only: set[str] = field(default_factory=set)  # control labels to measure (empty: all)

    @property
    def file(self) -> str:
        return f"{self.name}.ipynb"

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def kernel_updates(self) -> list[dict]:
        """The kernel's update() timings written since the last call."""
        if not self.probe_log.exists():
            return []
        lines = self.probe_log.read_text().splitlines()
        new, self.probe_read = lines[self.probe_read:], len(lines)
        return [json.loads(line) for line in new if line.strip()]


def open_and_run(nb: Notebook) -> None:
    """Open the notebook in a fresh workspace, wait for its kernel, Run All, wait for the
    charts; then install the probe in the page and in the kernel."""
    page, lab = nb.page, nb.lab
    page.goto(f"{lab.url}/lab/workspaces/bench-{nb.name}/tree/{nb.file}?reset&token={lab.token}")
    page.wait_for_function(READY, arg=nb.file, timeout=min(180, nb.left()) * 1000)
    wait_for(lambda: lab.kernel_idle(nb.file), min(180, nb.left()), "the kernel to be idle")
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click('li.lm-Menu-item[data-command="runmenu:run-all"]')
    page.wait_for_function(f"path => ({STARTED})(path) || ({RUN_STATE})(path)", arg=nb.file,
                           timeout=30_000)
    state = page.wait_for_function(RUN_STATE, arg=nb.file,
                                   timeout=min(300, nb.left()) * 1000).json_value()
    if state != "done":
        raise RuntimeError(f"{nb.name}: Run All failed: {state}")
    wait_for(lambda: lab.kernel_idle(nb.file), min(120, nb.left()), "the kernel to be idle")
    page.wait_for_function(DRAWN, timeout=min(120, nb.left()) * 1000)
    page.evaluate(probe_js())
    page.evaluate("() => window.__bench.hookKernel()")
    code = KERNEL_PROBE.replace("PATH", repr(str(nb.probe_log))).replace("PARTS", repr(PARTS))
    status = page.evaluate(EXECUTE, code)
    if status != "ok":
        nb.errors.append(f"kernel probe not installed: {status}")
    wait_for(lambda: lab.kernel_idle(nb.file), 60, "the kernel to be idle")


# ---------------------------------------------------------------- the controls


def _dropdown(page: Any, loc: Any, label: str) -> Iterator[Step]:
    select = loc.locator("select")
    options = select.evaluate("s => [...s.options].map(o => o.label.replace(/\\u00a0/g, ' '))")
    original = select.evaluate("s => s.selectedIndex")
    if len(options) < 2:
        return
    other = (original + 1) % len(options)
    yield Step(f"-> {options[other]}", lambda: select.select_option(index=other))
    yield Step(f"-> {options[original]}", lambda: select.select_option(index=original))
    leave = LEAVE.get(label)
    if leave in options and options.index(leave) != original:
        index = options.index(leave)
        yield Step(f"-> {leave}", lambda: select.select_option(index=index))


def _short(labels: list[str]) -> str:
    text = ", ".join(labels) or "none"
    return text if len(text) <= 40 else text[:37] + "..."


def _multi(page: Any, loc: Any, label: str) -> Iterator[Step]:
    select = loc.locator("select")
    labels = select.evaluate("s => [...s.options].map(o => o.label)")
    chosen = select.evaluate("s => [...s.selectedOptions].map(o => o.label)")
    target = labels[:1] if chosen != labels[:1] else labels[:2]
    yield Step(f"choose {_short(target)}", lambda: select.select_option(label=target))
    yield Step(f"choose {_short(chosen)}", lambda: select.select_option(label=chosen))


def _checkbox(page: Any, loc: Any, label: str) -> Iterator[Step]:
    box = loc.locator("input[type=checkbox]")
    for _ in range(2):
        yield Step("untick" if box.is_checked() else "tick", box.click)


def _slider(page: Any, loc: Any, label: str) -> Iterator[Step]:
    handles = loc.locator(".noUi-handle")
    handle = handles.first
    now = float(handle.get_attribute("aria-valuenow"))
    top = float((handles.last if handles.count() > 1 else handle).get_attribute(
        "aria-valuenow" if handles.count() > 1 else "aria-valuemax"))
    keys = ("ArrowRight", "ArrowLeft") if now < top else ("ArrowLeft", "ArrowRight")
    for key in keys:
        yield Step(f"{'start ' if handles.count() > 1 else ''}{key}",
                   lambda key=key: page.keyboard.press(key), prepare=handle.focus)


def _tags(page: Any, loc: Any, label: str) -> Iterator[Step]:
    tags = loc.locator(".jupyter-widget-tag:not(.jupyter-widget-taginput)")
    field_ = loc.locator("input.jupyter-widget-taginput")
    names = [t.strip() for t in tags.all_text_contents()]

    # a tag is committed by the input's change event: Tab (Enter only closes the datalist's
    # suggestions in Chromium)
    def typed(name: str) -> Callable[[], None]:
        def prepare() -> None:
            loc.evaluate("el => el.click()")  # the widget shows and focuses its input
            field_.fill(name)
        return prepare

    if names:
        name = names[-1]
        yield Step(f"remove {name}",
                   lambda: tags.nth(len(names) - 1).locator(".jupyter-widget-tag-close").click())
        yield Step(f"add {name}", lambda: field_.press("Tab"), prepare=typed(name))
        return
    allowed = loc.locator("datalist option").evaluate_all("os => os.map(o => o.value)")
    if allowed:
        yield Step(f"add {allowed[0]}", lambda: field_.press("Tab"), prepare=typed(allowed[0]))
        yield Step(f"remove {allowed[0]}",
                   lambda: tags.first.locator(".jupyter-widget-tag-close").click())


DRIVERS: dict[str, Callable[..., Iterator[Step]]] = {
    "dropdown": _dropdown, "multi": _multi, "checkbox": _checkbox, "slider": _slider,
    "range": _slider, "tags": _tags}


def view_name(labels: list[str], cell: int) -> str:
    for label, name in VIEWS:
        if label in labels:
            return name
    return f"explorer-cell-{cell}"


# ---------------------------------------------------------------- one change


def settle(nb: Notebook) -> bool:
    """Wait until the change has settled in the page and the server sees the kernel idle."""
    settled = nb.page.evaluate("([q, t]) => window.__bench.settle(q, t)",
                               [QUIET_MS, CHANGE_TIMEOUT_MS + 8 * QUIET_MS])
    try:
        wait_for(lambda: nb.lab.kernel_idle(nb.file), max(5.0, min(60, nb.left())),
                 "the kernel to be idle after a change")
    except TimeoutError:
        return False
    return bool(settled)


def classify(result: dict, settled: bool) -> str:
    message = result.get("message") or ""
    if result.get("input") is None:
        return "not driven"
    if message.startswith("Could not draw"):
        return "error"
    if not result.get("changed"):
        return "no visible change" if settled else "timeout"
    if result.get("ms") is None or result["ms"] > CHANGE_TIMEOUT_MS or not settled:
        return "timeout"
    return "ok"


def measure(nb: Notebook, explorer: int, step: Step) -> dict:
    """One change: arm the page's probe, make the input, wait until it settled, collect."""
    from playwright.sync_api import Error as PlaywrightError

    if step.prepare is not None:
        step.prepare()
    nb.kernel_updates()  # forget anything before this change
    nb.page.evaluate("i => window.__bench.arm(i)", explorer)
    try:
        step.act()
    except PlaywrightError as exc:
        return {"status": "not driven", "error": str(exc).splitlines()[0]}
    settled = settle(nb)
    result = nb.page.evaluate("() => window.__bench.result()")
    result["status"] = classify(result, settled)
    result["kernel_updates"] = nb.kernel_updates()
    return result


def expand(nb: Notebook, index: int, control: dict, loc: Any) -> None:
    """Open the accordion around a folded control (not timed)."""
    nb.page.locator(f'[data-bench-explorer="{index}"] .jupyter-widget-Collapse'
                    f':has([data-bench-control="{control["k"]}"])'
                    " > .jupyter-widget-Collapse-header").click()
    loc.wait_for(state="visible", timeout=10_000)
    wait_for(lambda: nb.lab.kernel_idle(nb.file), 30, "the kernel to be idle")


def measure_control(nb: Notebook, index: int, view: str, control: dict) -> None:
    page = nb.page
    loc = page.locator(f'[data-bench-explorer="{index}"] [data-bench-control="{control["k"]}"]')
    where = {"notebook": nb.name, "explorer": view, "control": control["label"],
             "kind": control["kind"]}
    if control["folded"] and not loc.is_visible():
        expand(nb, index, control, loc)
    loc.scroll_into_view_if_needed()
    for step in DRIVERS[control["kind"]](page, loc, control["label"]):
        if nb.left() < 15:
            raise Budget
        loc.scroll_into_view_if_needed()
        result = measure(nb, index, step)
        nb.records.append({**where, "action": step.action, **result})


def measure_notebook(nb: Notebook) -> None:
    from playwright.sync_api import Error as PlaywrightError

    open_and_run(nb)
    for explorer in nb.page.evaluate("() => window.__bench.explorers()"):
        index = explorer["index"]
        view = view_name(explorer["labels"], explorer["cell"])
        for control in nb.page.evaluate("i => window.__bench.controls(i)", index):
            if nb.only and control["label"] not in nb.only:
                continue
            try:
                measure_control(nb, index, view, control)
            except PlaywrightError as exc:
                nb.skipped.append({"notebook": nb.name, "explorer": view,
                                   "control": control["label"], "kind": control["kind"],
                                   "reason": str(exc).splitlines()[0][:200]})
        alone = nb.page.evaluate("([i, n]) => window.__bench.plotlyAlone(i, n)", [index, 3])
        for chart, times in enumerate(alone or []):
            nb.plotly_alone.append({"notebook": nb.name, "explorer": view, "chart": chart,
                                    **times})


# ---------------------------------------------------------------- the run


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarise(records: list[dict]) -> dict:
    timed = [r["ms"] if r.get("ms") is not None else CHANGE_TIMEOUT_MS
             for r in records if r["status"] in ("ok", "timeout", "error")]
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary: dict[str, Any] = {"changes": len(records), "timed": len(timed), **counts}
    if timed:
        summary.update(median_ms=round(statistics.median(timed), 1),
                       p95_ms=round(percentile(timed, 0.95), 1), max_ms=round(max(timed), 1))
        failures = counts.get("timeout", 0) + counts.get("error", 0)
        summary["pass"] = {"median": summary["median_ms"] <= TARGETS["median"],
                           "p95": summary["p95_ms"] <= TARGETS["p95"],
                           "max": summary["max_ms"] <= TARGETS["max"],
                           "no failures": failures == 0,
                           "at least 60 changes": len(timed) >= 60}
    return summary


def run(notebooks: list[str], cap: float = CAP_S, only: set[str] | None = None) -> dict:
    """Measure ``notebooks`` (names without .ipynb); returns everything written to JSON."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("chromium is missing (apt-get install chromium, or `make browser`)")
    deadline = time.monotonic() + cap
    started = time.time()
    done: list[Notebook] = []
    meta: dict[str, Any] = {"cap_s": cap, "targets_ms": TARGETS, "cpus": os.cpu_count(),
                            "loadavg_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        lab = Lab(Path(tmp))
        try:
            lab.start()
            with sync_playwright() as play:
                browser = play.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                meta["chromium"] = browser.version
                try:
                    for name in notebooks:
                        done.append(run_one(browser, lab, name, deadline, Path(tmp), only))
                        if done[-1].left() < 15:
                            break
                finally:
                    browser.close()
        finally:
            lab.stop()
    meta["seconds"] = round(time.time() - started, 1)
    meta["loadavg_end"] = os.getloadavg()
    meta["loadavg_by_notebook"] = {nb.name: nb.loadavg for nb in done}
    records = [r for nb in done for r in nb.records]
    return {"meta": meta, "summary": summarise(records), "records": records,
            "skipped": [s for nb in done for s in nb.skipped],
            "plotly_alone": [p for nb in done for p in nb.plotly_alone],
            "errors": [e for nb in done for e in nb.errors],
            "not_reached": [n for n in notebooks if n not in {nb.name for nb in done}]}


def run_one(browser: Any, lab: Lab, name: str, deadline: float, tmp: Path,
            only: set[str] | None = None) -> Notebook:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(FRAMES_INIT)
    page = context.new_page()
    page.set_default_timeout(10_000)  # one control's action (the waits set their own)
    nb = Notebook(name, page, lab, deadline, tmp / f"{name}.kernel.jsonl", only=only or set())
    page.on("pageerror", lambda e: nb.errors.append(f"page error: {e}"))
    nb.loadavg.append(os.getloadavg()[0])
    try:
        measure_notebook(nb)
    except Budget:
        nb.errors.append(f"{name}: stopped at the time cap")
    except Exception as exc:  # report what was measured, and why the rest was not
        nb.errors.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    finally:
        nb.loadavg.append(os.getloadavg()[0])
        context.close()
        lab.shut_down(nb.file)
    return nb


# ---------------------------------------------------------------- the report


def _segments(r: dict) -> dict[str, float | None]:
    """Where the time of one change went (ms, from the input event; None when unknown)."""
    b, ms = r.get("breakdown") or {}, r.get("ms")
    kernel = r.get("kernel_updates") or []
    update = (round(kernel[0]["start_epoch_ms"] - r["t0_epoch"], 1)
              if kernel and r.get("t0_epoch") else None)

    def diff(a: float | None, z: float | None) -> float | None:
        return None if a is None or z is None else round(z - a, 1)

    return {"input->sent": b.get("send"),
            "->kernel": diff(b.get("send"), b.get("kernel_busy")),
            "->update()": diff(b.get("kernel_busy"), update),
            "->chart msg": diff(update, b.get("last_draw_msg_sent")),
            "->in page": diff(b.get("last_draw_msg_sent"), b.get("last_draw_frame")),
            "parsed": diff(b.get("last_draw_frame"), b.get("last_draw_msg_recv")),
            "->drawn": diff(b.get("last_draw_msg_recv"), ms),
            "update()": round(sum(k["update_ms"] for k in kernel), 1) if kernel else None,
            "plotting": b.get("plotting_ms"),
            "plots": b.get("full_plots"),
            "longtasks": b.get("longtask_ms"),
            "kB in": (round(b["frame_bytes_before_end"] / 1000)
                      if b.get("frame_bytes_before_end") is not None else None)}


SEGMENT_HELP = """\
  input->sent   page: the input event until the widget's comm message is sent
  ->kernel      until the kernel says busy with it (kernel clock)
  ->update()    the kernel: message, widget state and observers until the explorer's update()
  ->chart msg   update(): selection, figures, sync, until the last chart message is created
  ->in page     that message serialised, through the server, until its websocket frame is
                handled in the page (waits for the page's main thread)
  parsed        the page parses it (JupyterLab's kernel connection)
  ->drawn       ipywidgets and plotly.js until the chart shows its final state
  update()      the explorer's whole update() in the kernel (table and CSV link included)
  plotting      page time inside full plotly plots (beforeplot -> afterplot), 'plots' of them
  longtasks     page main-thread tasks over 50 ms during the change
  kB in         websocket bytes received by the page until the chart was drawn"""


def report(data: dict) -> str:
    meta = data["meta"]
    load = ", ".join(f"{n[:2]} {v[0]:.1f}-{v[-1]:.1f}"
                     for n, v in meta.get("loadavg_by_notebook", {}).items() if v)
    lines = ["End-to-end latency in JupyterLab (headless Chromium "
             f"{meta.get('chromium', '?')}): control change -> chart redrawn, ms",
             f"machine: {meta.get('cpus')} CPUs, 1-minute load average by notebook "
             f"(start-end): {load or '?'}", ""]
    rows: dict[tuple[str, str, str], list[str]] = {}
    for r in data["records"]:
        key = (r["notebook"][:2], r["explorer"], r["control"])
        value = f"{r['ms']:.0f}" if r.get("ms") is not None and r["status"] == "ok" else {
            "no visible change": "same", "not driven": "n/d"}.get(r["status"], r["status"])
        rows.setdefault(key, []).append(value)
    width = max([len(k[2]) for k in rows] + [7])
    for (nb, view, control), values in rows.items():
        lines.append(f"  {nb}  {view:<15} {control:<{width}}  {' '.join(values)}")
    s = data["summary"]
    lines.append("")
    if "median_ms" not in s:
        lines.append("no change was timed")
        return "\n".join(lines + [f"error: {e}" for e in data["errors"]])
    others = ", ".join(f"{k} {v}" for k, v in s.items()
                       if k not in ("changes", "timed", "median_ms", "p95_ms", "max_ms",
                                    "pass", "ok"))
    lines.append(f"changes {s['changes']}, timed {s['timed']} ({others or 'no others'})")
    for key, target in TARGETS.items():
        value = s[f"{key}_ms"]
        lines.append(f"  {key:<7} {value:>8.1f} ms   target <= {target:.0f}   "
                     f"{'PASS' if value <= target else 'FAIL'}")
    for key in ("no failures", "at least 60 changes"):
        lines.append(f"  {key:<26} {'PASS' if s['pass'][key] else 'FAIL'}")
    lines += _breakdown_lines(data) + _path_lines(data) + _kernel_lines(data)
    lines += _plotly_lines(data)
    lines += [f"could not drive: {x['notebook'][:2]} {x['explorer']} {x['control']}: "
              f"{x['reason']}" for x in data["skipped"]]
    lines += [f"error: {e}" for e in data["errors"]]
    return "\n".join(lines)


def _breakdown_lines(data: dict, slowest: int = 15) -> list[str]:
    timed = [r for r in data["records"] if r.get("ms") is not None]
    if not timed:
        return []
    keys = list(_segments(timed[0]))
    widths = [max(6, len(k) + 1) for k in ("ms", *keys)]

    def cell(v: Any) -> str:
        return "-" if v is None else f"{v:.0f}" if isinstance(v, float | int) else str(v)

    def row(name: str, values: list[Any]) -> str:
        return f"  {name:<40}" + "".join(f"{cell(v):>{w}}"
                                         for v, w in zip(values, widths, strict=True))

    lines = ["", f"Where the time goes, the {slowest} slowest changes (ms from the input):",
             f"  {'change':<40}" + "".join(f"{k:>{w}}" for k, w in zip(("ms", *keys), widths,
                                                                       strict=True))]
    for r in sorted(timed, key=lambda r: -r["ms"])[:slowest]:
        name = f"{r['notebook'][:2]} {r['explorer']} {r['control']} {r['action']}"[:39]
        lines.append(row(name, [r["ms"], *_segments(r).values()]))
    medians: list[Any] = [statistics.median(r["ms"] for r in timed)]
    for k in keys:
        values = [v for v in (_segments(r)[k] for r in timed) if v is not None]
        medians.append(statistics.median(values) if values else None)
    lines.append(row("median of every timed change", medians))
    return [*lines, SEGMENT_HELP]


def draw_path(r: dict) -> str:
    """How the page redrew: the plotly widget messages of the change, in order, deduplicated."""
    keys = (r.get("breakdown") or {}).get("draw_msg_keys") or []
    path: list[str] = []
    for key in keys:
        name = key.replace("_py2js_", "")
        if not path or path[-1] != name:
            path.append(name)
    return "+".join(path) or "?"


def _path_lines(data: dict) -> list[str]:
    timed = [r for r in data["records"] if r.get("ms") is not None]
    paths: dict[str, list[dict]] = {}
    for r in timed:
        paths.setdefault(draw_path(r), []).append(r)
    lines = ["", "By how the page redrew (the plotly widget messages of a change):",
             f"  {'messages':<44}{'changes':>8}{'median':>8}{'p95':>8}{'max':>8}"
             f"{'plots':>7}{'plotting':>9}"]
    for path, rs in sorted(paths.items(), key=lambda kv: -len(kv[1])):
        ms = [r["ms"] for r in rs]
        plots = statistics.median((r["breakdown"] or {}).get("full_plots") or 0 for r in rs)
        plotting = statistics.median((r["breakdown"] or {}).get("plotting_ms") or 0 for r in rs)
        lines.append(f"  {path:<44}{len(rs):>8}{statistics.median(ms):>8.0f}"
                     f"{percentile(ms, 0.95):>8.0f}{max(ms):>8.0f}{plots:>7.0f}{plotting:>9.0f}")
    return lines


def _kernel_lines(data: dict) -> list[str]:
    parts: dict[str, list[float]] = {}
    for r in data["records"]:
        for k in r.get("kernel_updates") or []:
            parts.setdefault("update() in all", []).append(k["update_ms"])
            if k.get("figure_ms") is not None:
                parts.setdefault("  until the figure is synced", []).append(k["figure_ms"])
            for name, (value, _calls) in (k.get("parts") or {}).items():
                parts.setdefault(f"  {name}", []).append(value)
    if not parts:
        return []
    lines = ["", "In the kernel, per change (the benchmark's probe around update()):",
             f"  {'':<32}{'changes':>8}{'median':>9}{'p95':>9}"]
    for name, values in parts.items():
        unit = "B" if "bytes" in name else "ms"
        lines.append(f"  {name:<32}{len(values):>8}{statistics.median(values):>9.1f}"
                     f"{percentile(values, 0.95):>9.1f} {unit}")
    return lines


def _plotly_lines(data: dict) -> list[str]:
    if not data["plotly_alone"]:
        return []
    lines = ["", "plotly.js alone in the page, on a copy of each chart's final figure (median "
             "of 3, ms);",
             "'replace' = deleteTraces + addTraces + relayout, what the widget does when an "
             "explorer replaces its figure:",
             f"  {'':<28}{'traces':>7}{'newPlot':>8}{'react':>7}{'replace':>8}{'plots':>6}"]
    for p in data["plotly_alone"]:
        name = f"{p['notebook'][:2]} {p['explorer']} {p['chart']}"
        lines.append(f"  {name:<28}{p['traces']:>7}{p['newPlot_ms']:>8.0f}{p['react_ms']:>7.0f}"
                     f"{p.get('replace_ms', 0):>8.0f}{p.get('replace_plots', 0):>6.0f}")
    first = data["plotly_alone"][0]
    lines.append(f"  (page Plotly {first['page_plotly']}; widget: {first['widget_plotly']})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebook", action="append", default=[],
                        help="only notebooks whose name starts with this (repeatable)")
    parser.add_argument("--control", action="append", default=[],
                        help="only controls with this label (repeatable; for debugging)")
    parser.add_argument("--cap", type=float, default=CAP_S, help="hard cap in seconds")
    parser.add_argument("--out", type=Path, default=OUT, help="where the JSON goes")
    args = parser.parse_args(argv)
    names = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    if args.notebook:
        names = [n for n in names if any(n.startswith(p) for p in args.notebook)]

    def too_long(*_: object) -> None:  # a backstop: every wait is bounded on its own
        raise TimeoutError(f"browser latency benchmark over its {args.cap + 60:.0f} s cap")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally blocks still run
    signal.alarm(int(args.cap + 60))
    try:
        data = run(names, args.cap, set(args.control))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1))
    print(report(data))
    print(f"\n{data['meta']['seconds']:.0f} s; JSON in {args.out}")
    s = data["summary"]
    return 0 if s.get("pass") and all(s["pass"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
