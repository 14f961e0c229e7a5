"""The dashboard of ``make app`` (Voila): its command, where its kernels link to, and in
Debian's Chromium every notebook drawn with data (also without progressive rendering), maps
drawn offline, a dropdown that redraws, no request off the machine, a failing cell that says
what failed in one line, the export link opening the built page, a page left normally ending
its kernel at once, and no kernel left once a page has vanished and the cull time has passed.

One server for the session, started with :func:`helpers.kernels.app_command` (the command of
``make app``) with a short cull time, on a copy of the notebooks plus one that fails. Every wait
is on a state (plotly's data on the chart elements, Voila's placeholders, the server's kernel
API), never a fixed delay; timeouts are generous (a busy machine is slow, not broken).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from helpers import kernels
from helpers.paths import ASSETS_DIR, NOTEBOOKS_DIR
from helpers.widgets import EXPLORERS
from tests.conftest import ROOT, wait_until

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed: run `make browser` as root "
    "(apt-get install chromium) to enable these tests")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
START_TIMEOUT = 120  # s: the server answering
PAGE_TIMEOUT = 300_000  # ms: every cell of a notebook run and every chart drawn
DRAW_TIMEOUT = 120_000  # ms: a chart redrawn after a change
EXPORT_TIMEOUT = 300_000  # ms: the report built by the export button
CULL_IDLE = 20  # s: the test server's cull time (make app: kernels.CULL_IDLE_TIMEOUT)
UNLOAD_TIMEOUT = 12  # s: a page left normally ends its kernel (well before the cull time)
CULL_INTERVAL = 3  # s
GONE_TIMEOUT = 120  # s: a closed page's kernel culled (cull time and interval, plus slack)
FAILING = "zz-failing"
FAILURE = "the data package is invalid: users.csv line 3"
CHANGES = {  # a dropdown of each notebook's first explorer and an option that redraws it
    "01-global-growth": ("Region", "Europe"),
    "02-workforce-and-investment": ("Region", "Southeast Asia"),
    "03-regulatory-pressure": ("Category", "business"),
    "04-autumn-2020": ("Claim", "third-party estimate"),
}


# ---------------------------------------------------------------- without a browser


def test_make_app_starts_voila_on_the_notebooks_on_127_0_0_1_only() -> None:
    command = kernels.app_command(8899)
    assert command[1:4] == ["-m", "helpers.voila", str(NOTEBOOKS_DIR)]
    assert "--Voila.ip=127.0.0.1" in command and "--port=8899" in command
    assert "--no-browser" in command and "--VoilaConfiguration.template=atlas" in command
    assert f"--MappingKernelManager.cull_idle_timeout={kernels.CULL_IDLE_TIMEOUT}" in command
    assert "--MappingKernelManager.cull_connected=False" in command
    short = kernels.app_command(8899, ["--debug"], cull_idle_timeout=5, cull_interval=1,
                                progressive=False)
    assert "--MappingKernelManager.cull_idle_timeout=5" in short
    assert "--MappingKernelManager.cull_interval=1" in short
    assert "--VoilaConfiguration.progressive_rendering=False" in short and short[-1] == "--debug"
    dry = subprocess.run(["make", "-n", "app", "PORT=8899"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "-m helpers app --port 8899" in dry
    assert "make app " in subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True,
                                         text=True, check=True).stdout


def test_the_dashboard_s_kernels_link_to_its_own_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    reports = kernels.APP_FOLDERS["reports"]
    monkeypatch.setenv(kernels.APP_ENV, "1")
    monkeypatch.setenv("VOILA_BASE_URL", "/atlas-app/")
    page = reports / "sets" / "01-global-growth-region-europe" / "01-global-growth.html"
    assert kernels.served_url(page) == (
        "/atlas-app/atlas/reports/sets/01-global-growth-region-europe/01-global-growth.html")
    assert kernels.served_url(ASSETS_DIR / "world_110m.json") == (
        "/atlas-app/atlas/assets/world_110m.json")
    assert kernels.served_url(ROOT / "pyproject.toml") is None  # nothing else is served
    monkeypatch.delenv(kernels.APP_ENV)
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    assert kernels.served_url(page) is None  # outside make app and make lab


def test_the_template_links_nothing_off_the_machine() -> None:
    template = (ROOT / "helpers" / "voila" / "jupyter" / "voila" / "templates" / "atlas")
    assert json.loads((template / "conf.json").read_text())["base_template"] == "lab"
    text = (template / "index.html.j2").read_text()
    assert text.count("replace(") == 2  # the lab template's two Font Awesome links
    page = (template / "page.html").read_text()  # the notebook list, errors, 404
    assert "https:" not in page and "http:" not in page


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll a state query every half second (tests/conftest.py ``wait_until``)."""
    return wait_until(condition, timeout, what, every=0.5)


@dataclass(frozen=True)
class App:
    """A running dashboard: its URL, the notebooks it serves and its server process."""

    url: str
    notebooks: Path
    reports: Path
    process: subprocess.Popen
    log: Path

    def page(self, name: str) -> str:
        return f"{self.url}/voila/render/{name}.ipynb"

    def kernel_exists(self, kernel_id: str) -> bool:
        """The server's kernel API: 200 while the kernel runs, 404 once it is gone."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/kernels/{kernel_id}",
                                        timeout=10) as response:
                return response.status == 200
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return False
            raise

    def kernel_processes(self) -> list[int]:
        """The kernels among the server's child processes."""
        import psutil

        found = []
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if "ipykernel" in " ".join(child.cmdline()):
                    found.append(child.pid)
            except psutil.NoSuchProcess:
                continue
        return found


def _failing_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A page with a failing cell"),
                nbformat.v4.new_code_cell("def load():\n"
                                          f"    raise ValueError({FAILURE!r})\n\n\nload()"),
                nbformat.v4.new_code_cell("print('after the failing cell')")]
    nbformat.write(nb, path)


def _serve(work: Path, **options: Any) -> App:
    """Start the dashboard as ``make app`` does, on a copy of the notebooks in ``work``
    (exports go to ``work/reports``); returns once it answers."""
    notebooks, reports = work / "notebooks", work / "reports"
    if not notebooks.exists():
        shutil.copytree(NOTEBOOKS_DIR, notebooks)
        _failing_notebook(notebooks / f"{FAILING}.ipynb")
    port = _free_port()
    command = kernels.app_command(port, cull_idle_timeout=CULL_IDLE,
                                  cull_interval=CULL_INTERVAL, notebooks=notebooks, **options)
    log = work / f"server-{port}.log"
    process = subprocess.Popen(command, env={**os.environ, "ATLAS_REPORTS_DIR": str(reports)},
                               stdout=log.open("w"), stderr=subprocess.STDOUT)
    app = App(f"http://127.0.0.1:{port}", notebooks, reports, process, log)

    def answering() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the dashboard exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(app.url + "/", timeout=10) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        _wait_until(answering, START_TIMEOUT, "the dashboard to answer")
    except BaseException:
        _stop(app)
        raise
    return app


def _stop(app: App) -> None:
    app.process.terminate()  # Voila shuts its kernels down on SIGTERM
    try:
        app.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        app.process.kill()
        app.process.wait()


@pytest.fixture(scope="session")
def app() -> Iterator[App]:
    """ONE dashboard for the session (``make app``'s command, a short cull time)."""
    work = ROOT / "build" / f"app-test-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    served = _serve(work)
    try:
        yield served
    finally:
        _stop(served)
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- in Chromium

# Every element of the chart's plotly data, summarised: name, visibility, number of points.
PLOT_STATE = """el => JSON.stringify(el.data.map(t => [t.name, t.visible ?? true,
                                                 (t.y || t.z || []).length]))"""
# Every cell rendered (Voila's placeholders gone, the cells shown) and ``n`` charts with
# their data drawn.
DONE = """n => {
  const cells = document.getElementById('rendered_cells');
  if (!cells || cells.style.display === 'none') return false;
  if (document.querySelector('.voila-skeleton-container')) return false;
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return plots.length >= n && plots.every(el => Array.isArray(el.data) && el.data.length > 0
                                             && !!el._fullLayout
                                             && !!el.querySelector('.main-svg'));
}"""
OFF_MACHINE = re.compile(r"^(?!(https?|wss?)://127\.0\.0\.1[:/]|file:|data:|blob:|about:)")


def _chart_count(name: str) -> int:
    """The charts a notebook draws: the figures of the explorers its cells call."""
    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    calls = [call for cell in nb.cells if cell.cell_type == "code"
             for call in re.findall(r"views\.(\w+)\(", cell.source)]
    return sum(EXPLORERS[c.replace("_", "-")].figure_count for c in calls
               if c.replace("_", "-") in EXPLORERS)


@dataclass
class Visit:
    """A page of the dashboard in its own browser context, with what it asked and raised."""

    page: Any
    context: Any
    requests: list[str]
    errors: list[str]
    kernel_id: str = ""


def _open_plain(browser, url: str) -> Visit:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    visit = Visit(page, context, [], [])
    context.on("request", lambda r: visit.requests.append(r.url))
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.goto(url, timeout=PAGE_TIMEOUT)
    return visit


def _open(browser, url: str) -> Visit:
    """A notebook's page, with the id of the kernel the dashboard started for it."""
    visit = _open_plain(browser, url)
    visit.kernel_id = visit.page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    return visit


def _close_and_wait_for_the_cull(app: App, visit: Visit) -> None:
    """Close the page without its unload handler (as a crashed tab or a lost network
    leaves it): the kernel must be culled, and its process gone."""
    visit.context.close()
    _wait_until(lambda: not app.kernel_exists(visit.kernel_id), GONE_TIMEOUT,
                f"kernel {visit.kernel_id} to be culled")
    _wait_until(lambda: not app.kernel_processes(), GONE_TIMEOUT, "no kernel process left")


def _off_machine(visit: Visit) -> list[str]:
    return [url for url in visit.requests if OFF_MACHINE.match(url)]


def _maps_drawn_offline(page) -> None:
    """Every map draws its countries (from the world map served by the dashboard)."""
    maps = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .filter(el => el.data.some(t => t.type === 'choropleth'))
        .map(el => el.querySelectorAll('.choroplethlocation').length)""")
    assert all(drawn > 5 for drawn in maps), maps


@pytest.mark.parametrize("name", list(CHANGES))
@pytest.mark.browser
@needs_chromium
def test_each_notebook_is_a_dashboard(browser, app: App, name: str) -> None:
    visit = _open(browser, app.page(name))
    page = visit.page
    try:
        charts = _chart_count(name)
        page.wait_for_function(DONE, arg=charts, timeout=PAGE_TIMEOUT)
        assert page.locator(".js-plotly-plot").count() == charts
        shown = page.locator("#rendered_cells").inner_text()
        assert "views." not in shown and "import " not in shown  # no code cells
        assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0
        if name != "04-autumn-2020":
            assert page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                                 ".some(el => el.data.some(t => t.type === 'choropleth'))")
        _maps_drawn_offline(page)

        label, option = CHANGES[name]
        dropdown = page.locator(f".widget-dropdown:has(label:text-is('{label}')) select").first
        dropdown.scroll_into_view_if_needed()
        plot = page.locator(".js-plotly-plot").first
        before = plot.evaluate(PLOT_STATE)
        dropdown.select_option(label=option)
        page.wait_for_function(f"([el, before]) => ({PLOT_STATE})(el) !== before",
                               arg=[plot.element_handle(), before], timeout=DRAW_TIMEOUT)
        _maps_drawn_offline(page)
        assert not page.locator(".atlas-message:has-text('Could not draw')").count()
        assert not page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count()
        assert visit.errors == []
        assert _off_machine(visit) == []
    finally:
        _close_and_wait_for_the_cull(app, visit)


@pytest.mark.browser
@needs_chromium
def test_the_notebook_list_and_a_missing_page_ask_nothing_off_the_machine(browser,
                                                                          app: App) -> None:
    visit = _open_plain(browser, app.url + "/")
    try:
        for name in CHANGES:
            visit.page.get_by_text(f"{name}.ipynb").wait_for(timeout=DRAW_TIMEOUT)
        visit.page.goto(app.page("no-such-notebook"))
        visit.page.get_by_text("404").first.wait_for(timeout=DRAW_TIMEOUT)
        assert _off_machine(visit) == []
    finally:
        visit.context.close()


@pytest.mark.browser
@needs_chromium
def test_a_failing_cell_says_what_failed_in_one_line(browser, app: App) -> None:
    visit = _open(browser, app.page(FAILING))
    page = visit.page
    try:
        page.wait_for_function(DONE, arg=0, timeout=PAGE_TIMEOUT)
        page.get_by_text("after the failing cell").wait_for(timeout=DRAW_TIMEOUT)
        text = page.locator("#rendered_cells").inner_text()
        assert f"ValueError: {FAILURE}" in text
        assert "Traceback" not in text and "load()" not in text and "line 2" not in text
        assert "There was an error when executing cell" not in text  # not Voila's generic one
        assert _off_machine(visit) == []

        # leaving the page normally ends its kernel at once (its unload request is accepted)
        left = time.monotonic()
        page.goto("about:blank")
        _wait_until(lambda: not app.kernel_exists(visit.kernel_id), UNLOAD_TIMEOUT,
                    "the kernel of a page left normally to end")
        assert time.monotonic() - left < CULL_IDLE  # not the cull
    finally:
        _close_and_wait_for_the_cull(app, visit)


@pytest.mark.browser
@needs_chromium
def test_the_export_link_opens_the_built_page(browser, app: App) -> None:
    visit = _open(browser, app.page("01-global-growth"))
    page = visit.page
    try:
        page.wait_for_function(DONE, arg=_chart_count("01-global-growth"),
                               timeout=PAGE_TIMEOUT)
        plot = page.locator(".js-plotly-plot").first
        before = plot.evaluate(PLOT_STATE)
        page.locator(".widget-dropdown:has(label:text-is('Region')) select").first \
            .select_option(label="Europe")
        page.wait_for_function(f"([el, before]) => ({PLOT_STATE})(el) !== before",
                               arg=[plot.element_handle(), before], timeout=DRAW_TIMEOUT)
        chosen = plot.evaluate("el => el.layout.title.text")
        button = page.locator("button:has-text('Export HTML report')").first
        button.scroll_into_view_if_needed()
        button.click()
        link = page.locator(".atlas-export a").first
        link.wait_for(timeout=EXPORT_TIMEOUT)
        href = link.get_attribute("href")
        assert href.startswith("/atlas/reports/sets/01-global-growth-"), href
        assert href.endswith("/01-global-growth.html") and link.get_attribute("target") == \
            "_blank"
        with urllib.request.urlopen(app.url + href, timeout=30) as response:
            assert response.status == 200 and "text/html" in response.headers["Content-Type"]
        with visit.context.expect_page() as opened:
            link.click()
        report = opened.value
        report.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0"
                                 " && [...document.querySelectorAll('.js-plotly-plot')]"
                                 ".every(el => el.data && el.data.length > 0)",
                                 timeout=DRAW_TIMEOUT)
        title = report.evaluate(
            "() => document.querySelector('.js-plotly-plot').layout.title.text")
        assert title == chosen  # the explorer's selection, not the notebook's defaults
        # the built set's navigation, its profiles and shared scripts are served beside it
        links = report.evaluate("() => [...document.querySelectorAll('.atlas-nav a, "
                                "a[href*=\"places/\"], script[src]')]"
                                ".map(el => el.href || el.src)")
        assert len(links) > 5 and all(u.startswith(app.url + "/atlas/reports/sets/")
                                      for u in links), links
        for url in sorted(set(links))[:40]:
            with urllib.request.urlopen(url, timeout=30) as response:
                assert response.status == 200, url
        # a dashboard's reader gets the link, not the server's file path
        assert "/" not in page.locator(".atlas-export").inner_text()
        assert _off_machine(visit) == []
    finally:
        _close_and_wait_for_the_cull(app, visit)


@pytest.mark.browser
@needs_chromium
def test_without_progressive_rendering_the_charts_have_their_data(browser, app: App) -> None:
    """Voila's default mode sends each widget's final state only: the charts must hold
    their data in it (a second server, on the same copy)."""
    other = _serve(app.notebooks.parent, progressive=False)
    try:
        visit = _open(browser, other.page("01-global-growth"))
        try:
            visit.page.wait_for_function(DONE, arg=_chart_count("01-global-growth"),
                                         timeout=PAGE_TIMEOUT)
            _maps_drawn_offline(visit.page)
            assert _off_machine(visit) == []
        finally:
            _close_and_wait_for_the_cull(other, visit)
    finally:
        _stop(other)
