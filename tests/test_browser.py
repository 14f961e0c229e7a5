"""Real-browser tests with Debian's Chromium (never a downloaded browser): the offline
reports over file://, and JupyterLab with its widgets.

Every wait is on a state, never on a fixed delay: JupyterLab's own model of the notebook (the
lab is started with ``expose_app_in_browser`` so the page can read it), the server's REST API
for the kernel's execution state, and plotly's data on the chart elements. Timeouts are
generous (a busy machine is slow, not broken) and only bound those waits.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from helpers.notebooks import WIDGET_VIEW, is_checked
from tests.conftest import ROOT, SessionReports, wait_until, watch_page

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed: run "
                       "`make browser` as root (apt-get install chromium) to enable these tests"),
]
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = ROOT / "docs" / "report-growth.png"
START_TIMEOUT = 120  # s: JupyterLab's server answering its REST API
KERNEL_TIMEOUT = 180_000  # ms: the notebook opened, its kernel started and connected
RUN_TIMEOUT = 300_000  # ms: Run All finished (every code cell executed, kernel idle)
DRAW_TIMEOUT = 120_000  # ms: charts drawn, or redrawn after a change


@pytest.fixture
def reports(session_reports: SessionReports) -> Path:
    """The full reports built once for the session (tests/conftest.py)."""
    return session_reports.out


# Every element of the chart's plotly data, summarised: name, visibility, number of points.
PLOT_STATE = """el => JSON.stringify(el.data.map(t => [t.name, t.visible ?? true,
                                                 (t.y || t.z || []).length]))"""
# A plotly chart that has data and has drawn it.
DRAWN = "el => Array.isArray(el.data) && el.data.length > 0 && !!el._fullLayout " \
        "&& !!el.querySelector('.main-svg')"


def _plot_state(page, selector: str) -> str:
    return page.locator(selector).first.evaluate(PLOT_STATE)


def _wait_drawn(page, selector: str, timeout: int = DRAW_TIMEOUT) -> None:
    """Wait until every chart under ``selector`` (at least one) has its data drawn."""
    page.wait_for_function(
        f"""sel => {{ const els = [...document.querySelectorAll(sel + ' .js-plotly-plot')];
                     return els.length > 0 && els.every({DRAWN}); }}""",
        arg=selector, timeout=timeout)


def screenshot_report_page(page, html_file: Path, target: Path) -> None:
    """The README's picture: the top of a report page with its first chart."""
    page.goto(html_file.as_uri())
    _wait_drawn(page, "#view-growth")
    page.locator("#view-growth").scroll_into_view_if_needed()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Playwright waits for the element to be visible and stable (not moving) before the shot
    page.locator("#view-growth .js-plotly-plot").screenshot(path=str(target), animations="disabled")


def test_reports_render_offline_in_chromium(browser, reports: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors, requests = watch_page(page)
    pages = sorted(reports.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "glance.html"} and len(pages) == 6
    for html_file in pages:
        page.goto(html_file.as_uri())
        page.wait_for_load_state("load")
        plots = page.locator(".js-plotly-plot")
        if html_file.name in ("index.html", "glance.html"):
            assert plots.count() == 0
            continue
        _wait_drawn(page, "main")
        assert plots.count() >= 2, html_file.name
        for i in range(plots.count()):
            assert plots.nth(i).locator("svg.main-svg").count() >= 1, (html_file.name, i)
        maps = page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')]"
            ".filter(el => el.data.some(t => t.type === 'choropleth'))"
            ".map(el => [el.data[0].locations.length,"
            "            el.querySelectorAll('.choroplethlocation').length])")
        if html_file.name != "04-autumn-2020.html":
            assert maps, f"{html_file.name} has no map"
        for locations, drawn in maps:  # drawn from the world map embedded in the page
            assert drawn == locations > 0, html_file.name
    assert errors == []
    assert requests == []
    context.close()


# Per chart: its caption and accessible name, and the boxes that must not overlap: the legend
# and the menus over the plot area; legend, menus, sliders, colour bars and the modebar over
# each other (the buttons of one menu are one control).
LAYOUT = """() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  const hit = (a, b) => a.w > 0 && a.h > 0 && b.w > 0 && b.h > 0 && a.x < b.x + b.w - 1
    && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1;
  const charts = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const plots = [...gd.querySelectorAll('rect.nsewdrag, g.geo .bglayer rect')].map(box);
    const controls = [];
    const legend = gd.querySelector('g.legend');
    if (legend) controls.push(['legend', box(legend.querySelector('rect.bg') || legend)]);
    gd.querySelectorAll('g.updatemenu-container > g').forEach((m, i) => {
      const head = m.querySelector('g.updatemenu-header-group');
      const buttons = [...m.querySelectorAll('g.updatemenu-button')];
      (head ? [head] : buttons).forEach(e => controls.push(['menu ' + i, box(e)]));
    });
    gd.querySelectorAll('g.slider-group').forEach(e => controls.push(['slider', box(e)]));
    gd.querySelectorAll('g.colorbar').forEach(e => controls.push(['colour bar', box(e)]));
    gd.querySelectorAll('.modebar').forEach(e => controls.push(['modebar', box(e)]));
    const problems = [];
    for (const [name, c] of controls) {
      if (name === 'modebar' || name === 'colour bar') continue;
      if (plots.some(p => hit(c, p))) problems.push(name + ' over the plot');
    }
    for (let i = 0; i < controls.length; i++) for (let j = i + 1; j < controls.length; j++)
      if (controls[i][0] !== controls[j][0] && hit(controls[i][1], controls[j][1]))
        problems.push(controls[i][0] + ' over ' + controls[j][0]);
    const figure = gd.closest('figure');
    const caption = figure?.querySelector('figcaption')?.textContent.trim() || '';
    const named = gd.closest('[aria-label]')?.getAttribute('aria-label') || '';
    const within = box(gd).x >= -1 && box(gd).x + box(gd).w <= window.innerWidth + 1;
    charts.push({id: gd.id, caption, named, within, problems, plots: plots.length,
                 width: box(gd).w, geo: [...gd.querySelectorAll('g.geo .bglayer rect')]
                   .map(e => box(e).w)});
  }
  return {scrollWidth: document.documentElement.scrollWidth, charts};
}"""
VIEWPORTS = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}
SHOTS = {  # docs/<name>.png of an element (None: the screen), made by the layout test
    ("phone", "01-global-growth.html"): ("report-growth-phone", "#view-growth"),
    ("desktop", "places/fra.html"): ("profile-france", None),
    ("phone", "places/fra.html"): ("profile-france-phone", "figure.atlas-chart"),
    ("desktop", "glance.html"): ("at-a-glance", None),
    ("phone", "03-regulatory-pressure.html"): ("report-timeline-phone",
                                              "#view-timeline-regulatory"),
}


def _layout_pages(reports: Path) -> list[Path]:
    """Every chapter page, the index, the glance page, the list of places and some profiles
    (a country with a chart, the United States, a state, a place without users)."""
    chosen = ["places/index.html", "places/fra.html", "places/usa.html",
              "places/usa-montana.html", "places/sgp.html", "places/euu.html"]
    return sorted(reports.glob("*.html")) + [reports / name for name in chosen]


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_pages_read_well_on_desktop_and_phone(browser, reports: Path, screen: str,
                                              tmp_path: Path) -> None:
    """No console error or request off the machine; no page wider than the screen (tables
    scroll in their own box); every chart fits the screen, has a caption that is also its
    accessible name, and no legend, menu, slider or modebar covers the plot or another."""
    context = browser.new_context(viewport=VIEWPORTS[screen])
    page = context.new_page()
    errors, requests = watch_page(page)
    found: dict[str, list] = {}
    width = VIEWPORTS[screen]["width"]
    for html_file in _layout_pages(reports):
        name = str(html_file.relative_to(reports))
        page.goto(html_file.as_uri())
        page.wait_for_load_state("load")
        if page.locator(".js-plotly-plot").count():
            _wait_drawn(page, "main")
        layout = page.evaluate(LAYOUT)
        if layout["scrollWidth"] > width:
            found.setdefault(name, []).append(f"page {layout['scrollWidth']} px wide")
        for chart in layout["charts"]:
            issues = list(chart["problems"])
            if not chart["caption"] or chart["named"] != chart["caption"]:
                issues.append("no caption as its accessible name")
            if not chart["within"]:
                issues.append(f"{chart['width']:.0f} px chart off the screen")
            if chart["geo"] and max(chart["geo"]) < 0.9 * chart["width"] - 80:
                issues.append(f"map {max(chart['geo']):.0f} px of {chart['width']:.0f}")
            if issues:
                found.setdefault(f"{name} {chart['id']}", []).extend(issues)
        if (screen, name) in SHOTS:
            shot, selector = SHOTS[screen, name]
            target = (ROOT / "docs" if os.environ.get("ATLAS_UPDATE_SCREENSHOT")
                      else tmp_path) / f"{shot}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            where = page.locator(selector).first if selector else page
            where.screenshot(path=str(target), animations="disabled")
            assert target.stat().st_size > 10_000, shot
    context.close()
    assert found == {}
    assert errors == []
    assert requests == []


# Per chart: the margins plotly drew it with, and the margins the figure reserved.
MARGINS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({id: gd.id,
  drawn: ['l', 't', 'b'].map(k => gd._fullLayout._size[k]),
  reserved: ['l', 't', 'b'].map(k => gd._fullLayout.margin[k])}))"""


@pytest.mark.parametrize("width", [1024, 1400])
def test_chapter_charts_fit_their_reserved_margins_on_a_desktop(browser, reports: Path,
                                                                width: int) -> None:
    """On a desktop, every chapter chart's tick labels, axis titles and legend fit in the
    margins its figure reserves (``figures.layout``), so plotly draws it once: a chart whose
    text needs more room is drawn, widened and drawn again (about 0.1 s a page)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    widened = {}
    for html_file in sorted(reports.glob("[0-9][0-9]-*.html")):
        page.goto(html_file.as_uri())
        _wait_drawn(page, "main")
        for chart in page.evaluate(MARGINS):
            if chart["drawn"] != chart["reserved"]:
                widened[f"{html_file.name} {chart['id']}"] = (
                    f"l, t, b drawn {[round(v) for v in chart['drawn']]}, reserved "
                    f"{chart['reserved']}")
    context.close()
    assert widened == {}

PRINTED = """w => [...document.querySelectorAll('.js-plotly-plot')].every(gd =>
    gd._fullLayout && gd._fullLayout.width === w)"""
# Per chart at print width: its width and whether its legend stays inside it.
PRINT_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const c = gd.getBoundingClientRect();
  const l = gd.querySelector('g.legend rect.bg')?.getBoundingClientRect();
  return {id: gd.id, width: c.width, legendInside: !l || (l.left >= c.left - 1
          && l.right <= c.right + 1 && l.top >= c.top - 1 && l.bottom <= c.bottom + 1)};
})"""


def test_print_redraws_each_chart_at_the_paper_s_width(browser, reports: Path,
                                                       tmp_path: Path) -> None:
    """Printing (print media) redraws every chart at the paper's width with its legend inside
    it, hides the controls, and a PDF of the page is made; back on screen, the charts fill
    the page again."""
    from helpers.pages import PRINT_WIDTH_PX

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    heights = ("() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => "
               "[gd._fullLayout.height, gd.clientHeight])")
    for name in ("01-global-growth.html", "03-regulatory-pressure.html"):
        page.goto((reports / name).as_uri())
        _wait_drawn(page, "main")
        on_screen = page.evaluate(heights)
        page.emulate_media(media="print")
        page.wait_for_function(PRINTED, arg=PRINT_WIDTH_PX, timeout=DRAW_TIMEOUT)
        boxes = page.evaluate(PRINT_BOXES)
        assert [b for b in boxes if not b["legendInside"]] == [], name
        assert page.locator(".updatemenu-container").first.is_hidden(), name
        assert page.locator("header.atlas-nav").is_hidden(), name
        pdf = tmp_path / f"{name}.pdf"
        page.pdf(path=str(pdf), format="A4")
        assert pdf.stat().st_size > 50_000, name
        page.emulate_media(media="screen")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot')].every(gd => "
            "gd._fullLayout.width > 1000)", timeout=DRAW_TIMEOUT)
        assert page.evaluate(heights) == on_screen, name  # no chart collapses after printing
    page.close()


def test_in_page_dropdown_changes_a_chart(browser, reports: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((reports / "01-global-growth.html").as_uri())
    _wait_drawn(page, "#view-growth")
    chart = "#view-growth .js-plotly-plot"
    before = _plot_state(page, chart)
    menu = page.locator("#view-growth .updatemenu-header-group").first
    menu.scroll_into_view_if_needed()
    menu.click()
    page.locator("#view-growth .updatemenu-dropdown-button").nth(2).click()
    page.wait_for_function(f"([el, before]) => ({PLOT_STATE})(el) !== before",
                           arg=[page.locator(chart).first.element_handle(), before],
                           timeout=DRAW_TIMEOUT)
    after = _plot_state(page, chart)
    visible = [t for t in json.loads(after) if t[1] is True]
    assert 0 < len(visible) < len(json.loads(before))
    target = SCREENSHOT if os.environ.get("ATLAS_UPDATE_SCREENSHOT") else tmp_path / "shot.png"
    screenshot_report_page(page, reports / "01-global-growth.html", target)
    assert target.stat().st_size > 10_000
    page.close()


# ---------------------------------------------------------------- JupyterLab


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server: its URL, token and REST API."""

    url: str
    token: str
    root: Path
    folder: str  # the folder of the notebooks' copy, relative to the root

    def notebook(self, name: str) -> str:
        """The server path of a notebook of the copy."""
        return f"{self.folder}/notebooks/{name}.ipynb"

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def session(self, notebook: str) -> dict | None:
        return next((s for s in self.api("sessions") if s["path"] == notebook), None)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """ONE JupyterLab server for the whole session, started as ``make lab`` starts it
    (``helpers.kernels.lab_command``), on a copy of the project's notebooks; exports go to
    the copy's ``reports/``."""
    from helpers.kernels import lab_command

    port, token = _free_port(), "atlas-test-token"
    home = tmp_path_factory.mktemp("lab-home")
    # rooted at the project like `make lab` (the world map is served from helpers/assets),
    # with a copy of the notebooks in the ignored build/ folder (tests save them)
    work = ROOT / "build" / f"lab-test-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "ATLAS_REPORTS_DIR": str(work / "reports")}
    command = lab_command(ROOT, port, [
        "--no-browser", f"--IdentityProvider.token={token}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True"])  # window.jupyterapp: the lab's state
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, ROOT, work.relative_to(ROOT).as_posix())

    def answering() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"JupyterLab exited: {(home / 'server.log').read_text()}")
        try:
            return lab.api("status") is not None
        except (OSError, urllib.error.URLError):
            return False

    try:
        wait_until(answering, START_TIMEOUT, "JupyterLab's REST API")
        yield lab
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


# The notebook panel of ``path`` in the page, from JupyterLab's own application object.
PANEL = """path => [...window.jupyterapp.shell.widgets('main')]
                     .find(w => w.context && w.context.path === path)"""

# Ready to run: the notebook is loaded and current (Run All acts on the current notebook),
# and its session has a kernel whose connection is up and idle. Run All before this is lost:
# JupyterLab's CodeCell.execute clears a cell and returns when the session has no kernel yet.
READY = f"""path => {{
    if (!window.jupyterapp) return false;
    const panel = ({PANEL})(path);
    if (!panel || !panel.context.isReady || window.jupyterapp.shell.currentWidget !== panel)
        return false;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}}"""

# The state of a run, from the notebook's model: 'running' while a code cell is queued or
# running; 'done' when every code cell has an execution count and the kernel is idle; an
# error output (a cell raised: Run All stops there) is reported at once.
RUN_STATE = f"""path => {{
    const panel = ({PANEL})(path);
    const cells = [...panel.content.model.cells].filter(c => c.type === 'code');
    for (const cell of cells)
        for (let i = 0; i < cell.outputs.length; i++)
            if (cell.outputs.get(i).type === 'error')
                return 'error: ' + JSON.stringify(cell.outputs.get(i).toJSON()).slice(0, 2000);
    const kernel = panel.sessionContext.session.kernel;
    const done = cells.every(c => c.executionCount !== null && c.executionState === 'idle');
    return done && kernel.status === 'idle' ? 'done' : false;
}}"""

STARTED = f"""path => [...({PANEL})(path).content.model.cells]
                      .some(c => c.type === 'code' && c.executionState === 'running')"""

CHANGES = {
    "01-global-growth": ("Region", "Europe"),
    "02-workforce-and-investment": ("Region", "Southeast Asia"),
    "03-regulatory-pressure": ("Category", "business"),
    "04-autumn-2020": ("Claim", "third-party estimate"),
}
MAPS = ("01-global-growth", "02-workforce-and-investment", "03-regulatory-pressure")


def _kernel_idle(lab: Lab, notebook: str) -> bool:
    """The server's view: the notebook's kernel exists and is idle."""
    session = lab.session(notebook)
    return bool(session) and lab.api(f"kernels/{session['kernel']['id']}")[
        "execution_state"] == "idle"


def _open_and_run_all(page, lab: Lab, notebook: str) -> None:
    """Open ``notebook`` in a fresh workspace, wait for its kernel, Run All, wait until every
    cell ran, the kernel is idle and every chart is drawn."""
    name = Path(notebook).stem
    page.goto(f"{lab.url}/lab/workspaces/{name}/tree/{notebook}?reset&token={lab.token}")
    page.wait_for_function(READY, arg=notebook, timeout=KERNEL_TIMEOUT)
    wait_until(lambda: _kernel_idle(lab, notebook), KERNEL_TIMEOUT / 1000,
                f"the kernel of {notebook} to be idle (server)")
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click('li.lm-Menu-item[data-command="runmenu:run-all"]')
    # the click queued every code cell (or the first already ran): not lost
    page.wait_for_function(f"path => ({STARTED})(path) || ({RUN_STATE})(path)",
                           arg=notebook, timeout=30_000)
    state = page.wait_for_function(RUN_STATE, arg=notebook, timeout=RUN_TIMEOUT)
    assert state.json_value() == "done", state.json_value()
    wait_until(lambda: _kernel_idle(lab, notebook), RUN_TIMEOUT / 1000,
                f"the kernel of {notebook} to be idle after Run All (server)")
    _wait_drawn(page, ".jp-OutputArea")


@pytest.mark.parametrize("name", list(CHANGES))
def test_jupyterlab_run_all_and_change_a_dropdown(browser, lab: Lab, name: str,
                                                  tmp_path: Path) -> None:
    notebook = lab.notebook(name)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _open_and_run_all(page, lab, notebook)

        label, option = CHANGES[name]
        dropdown = page.locator(f".widget-dropdown:has(label:text-is('{label}')) select").first
        dropdown.scroll_into_view_if_needed()
        chart = ".jp-OutputArea .js-plotly-plot"
        plot = page.locator(chart).first
        before = plot.evaluate(PLOT_STATE)
        dropdown.select_option(label=option)
        page.wait_for_function(f"([el, before]) => ({PLOT_STATE})(el) !== before",
                               arg=[plot.element_handle(), before], timeout=DRAW_TIMEOUT)
        wait_until(lambda: _kernel_idle(lab, notebook), RUN_TIMEOUT / 1000,
                    f"the kernel of {notebook} to be idle after the change (server)")
        if name in MAPS:  # drawn from the world map the notebook hands plotly (no network)
            _wait_or_fail(page, "() => document.querySelectorAll("
                          "'.jp-OutputArea .choroplethlocation').length > 5",
                          f"{name}: the map was not drawn offline")
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        stderr = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        assert stderr.count() == 0, stderr.first.inner_text()
        assert not page.locator(".atlas-message:has-text('Could not draw')").count()
        assert errors == []  # includes plotly failing to fetch its world map (no network here)
    finally:
        context.close()
        _shut_down(lab, notebook)


def _shut_down(lab: Lab, notebook: str) -> None:
    """Stop the notebook's kernel: the next notebook's kernel does not compete with it."""
    try:
        session = lab.session(notebook)
        if session:
            lab.api(f"sessions/{session['id']}", method="DELETE")
    except OSError:  # the server is gone: the test's own failure says more
        pass


def _wait_or_fail(page, condition: str, message: str, timeout: int = DRAW_TIMEOUT) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition, timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"{message} within {timeout / 1000:.0f} s")


# ---------------------------------------------------------------- the explorers as an app

GROWTH = "01-global-growth"

# Run ``code`` in the notebook's kernel (through JupyterLab's own kernel connection) and
# resolve with what it printed.
KERNEL_PRINT = """([path, code]) => new Promise((resolve, reject) => {
    const panel = [...window.jupyterapp.shell.widgets('main')]
        .find(w => w.context && w.context.path === path);
    const future = panel.sessionContext.session.kernel.requestExecute(
        {code, silent: false, store_history: false});
    let text = '';
    future.onIOPub = msg => {
        if (msg.header.msg_type === 'stream') text += msg.content.text;
        if (msg.header.msg_type === 'error') reject(msg.content.evalue);
    };
    future.done.then(() => resolve(text), reject);
})"""

KERNEL_GROWTH = """
import json as _json
_g = [v for v in Out.values() if type(v).__name__ == "GrowthExplorer"][-1]
_f = _g.figures[0]
print(_json.dumps({"traces": [[t.type, (t.meta or {}).get("kind"), (t.meta or {}).get("geo"),
                               len(t.x) if t.x is not None else 0] for t in _f.data],
                   "shapes": len(_f.layout.shapes), "title": _f.layout.title.text}))
"""

PAGE_GROWTH = """() => {
    const el = document.querySelector('.jp-OutputArea .js-plotly-plot');
    return JSON.stringify({traces: el.data.map(t => [t.type, (t.meta || {}).kind || null,
                                                   (t.meta || {}).geo || null,
                                                   (t.x || []).length]),
                           shapes: ((el.layout || {}).shapes || []).length,
                           title: ((el.layout || {}).title || {}).text});
}"""


WIDE_CHARTS = """() => [...document.querySelectorAll('.jp-OutputArea .js-plotly-plot')]
    .every(el => el._fullLayout && el.clientWidth > 750
                 && el._fullLayout.width >= el.clientWidth - 2)"""
"""Every chart as wide as its output, not plotly's 700 px default (the page is 1400 wide)."""


def _page_equals_kernel(page, notebook: str) -> dict:
    """Wait until the page's growth chart equals the kernel's figure; return it. The kernel
    is read again until they agree: a read can land while changes the page already sent
    are still queued in the kernel (a state, polled; the page's side is waited for)."""
    def agreed() -> dict | None:
        kernel = json.loads(page.evaluate(KERNEL_PRINT, [notebook, KERNEL_GROWTH]))
        try:
            page.wait_for_function(f"expected => ({PAGE_GROWTH})() === "
                                   "JSON.stringify(expected)", arg=kernel, timeout=5_000)
        except PlaywrightTimeout:
            return None
        return kernel

    return wait_until(agreed, DRAW_TIMEOUT / 1000, "the page's chart to equal the kernel's")


def _set_places(page, names: list[str]) -> None:
    """Replace the chosen places by ``names``: remove each tag with its close mark, then type
    each name into the type-ahead field and confirm it with Tab (Enter only closes
    Chromium's list of suggestions), as a reader does."""
    tags = page.locator(".jp-OutputArea .jupyter-widget-tagsinput").first
    tags.scroll_into_view_if_needed()
    closes = tags.locator(".jupyter-widget-tag-close")
    while (count := closes.count()) > 0:
        closes.first.click()
        page.wait_for_function("([el, n]) => el.querySelectorAll('.jupyter-widget-tag-close')"
                               ".length < n", arg=[tags.element_handle(), count])
    for index, name in enumerate(names):
        tags.click()  # shows the type-ahead field
        field = tags.locator("input.jupyter-widget-taginput")
        field.fill(name)
        field.press("Tab")
        page.wait_for_function("([el, n]) => el.querySelectorAll('.jupyter-widget-tag-close')"
                               ".length === n", arg=[tags.element_handle(), index + 1])


def test_growth_explorer_behaves_like_an_app(browser, lab: Lab, tmp_path: Path) -> None:
    """The page equals the kernel after each change (no stale marks), tables read well, the
    export link opens the built page, saving keeps the notebook small, and a reload draws
    every chart again from the running kernel."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    notebook = lab.notebook(GROWTH)
    try:
        _open_and_run_all(page, lab, notebook)
        # every chart as wide as its output (not plotly's 700 px default)
        page.wait_for_function(WIDE_CHARTS, timeout=DRAW_TIMEOUT)
        first = _page_equals_kernel(page, notebook)
        assert any(t[1] == "episode" for t in first["traces"])  # India's ban at least
        _set_places(page, ["France", "Germany"])
        after = _page_equals_kernel(page, notebook)
        assert {t[2] for t in after["traces"] if t[1] == "users"} == {"FRA", "DEU"}
        assert not [t for t in after["traces"] if t[1] == "episode"] and after["shapes"] == 0
        events = page.locator(".widget-select-multiple:has(label:text-is('Events')) select")
        events.first.select_option([])
        emptied = _page_equals_kernel(page, notebook)
        assert not [t for t in emptied["traces"] if t[1] in ("events", "episode")]
        page.screenshot(path=str(tmp_path / "after-changes.png"))

        table = page.locator(".jp-OutputArea .atlas-table").first.inner_text()
        assert " M" in table and "e+0" not in table

        _export_link_opens_the_built_page(page, lab, context)

        charts = page.locator(".jp-OutputArea .js-plotly-plot").count()
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        wait_until(lambda: not _dirty(page, notebook), KERNEL_TIMEOUT / 1000, "the save")
        _small_as_in_git(lab.root / notebook)

        page.reload()
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-OutputArea .js-plotly-plot').length >= n"
            " && [...document.querySelectorAll('.jp-OutputArea .js-plotly-plot')]"
            ".every(el => el.data && el.data.length > 0)", arg=charts, timeout=KERNEL_TIMEOUT)
        assert _page_equals_kernel(page, notebook) == emptied  # drawn from the kernel's state
        page.wait_for_function(WIDE_CHARTS, timeout=DRAW_TIMEOUT)  # and refitted to width
        page.screenshot(path=str(tmp_path / "after-reload.png"))
        assert errors == []
    finally:
        context.close()
        _shut_down(lab, notebook)


def _dirty(page, notebook: str) -> bool:
    return page.evaluate("""path => [...window.jupyterapp.shell.widgets('main')]
        .find(w => w.context && w.context.path === path).context.model.dirty""", notebook)


def _small_as_in_git(path: Path) -> None:
    """Saved by JupyterLab: no outputs but the checked ones and references to live widgets,
    no widget state; within a few kB of the notebook in git."""
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code" and not is_checked(cell):
            assert all(set(o.get("data", {})) == {WIDGET_VIEW} for o in cell.outputs), cell.source
    git = (Path(__file__).resolve().parent.parent / "notebooks" / path.name).stat().st_size
    assert path.stat().st_size < git + 3_000


def _export_link_opens_the_built_page(page, lab: Lab, context) -> None:
    """The growth explorer's export: a link to the page served by the Jupyter server (not a
    file:// link Chromium refuses), answering 200, opening in a new tab with its charts."""
    button = page.locator(".jp-OutputArea button:has-text('Export HTML report')").first
    button.scroll_into_view_if_needed()
    button.click()
    link = page.locator(".jp-OutputArea .atlas-export a").first
    link.wait_for(timeout=RUN_TIMEOUT)
    href = link.get_attribute("href")
    assert href.startswith(f"/files/{lab.folder}/reports/sets/01-global-growth-") and href.endswith(
        "/01-global-growth.html"), href
    assert link.get_attribute("target") == "_blank"
    request = urllib.request.Request(lab.url + href,
                                     headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200 and "text/html" in response.headers["Content-Type"]
    with context.expect_page() as opened:
        link.click()
    report = opened.value
    report.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0"
                             " && [...document.querySelectorAll('.js-plotly-plot')]"
                             ".every(el => el.data && el.data.length > 0)",
                             timeout=DRAW_TIMEOUT)
    title = report.evaluate("() => document.querySelector('.js-plotly-plot').layout.title.text")
    assert "France and Germany" in title  # the explorer's selection, not the defaults
    report.close()
