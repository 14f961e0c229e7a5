"""Real-browser tests with Debian's Chromium (never a downloaded browser): the offline
reports over file://, and JupyterLab with its widgets."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import report
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed: run "
                       "`make browser` as root (apt-get install chromium) to enable these tests"),
]
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = ROOT / "docs" / "report-growth.png"


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "reports"
    report.build_reports(out, progress=lambda line: None)
    return out


def _plot_state(page, index: int = 0) -> str:
    return page.evaluate(
        """i => { const el = document.querySelectorAll('.js-plotly-plot')[i];
                  return JSON.stringify(el.data.map(t => [t.name, t.visible ?? true,
                                                          (t.y || t.z || []).length])); }""",
        index)


def screenshot_report_page(page, html_file: Path, target: Path) -> None:
    """The README's picture: the top of a report page with its first chart."""
    page.goto(html_file.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.locator("#view-growth").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    target.parent.mkdir(parents=True, exist_ok=True)
    page.locator("#view-growth .js-plotly-plot").screenshot(path=str(target))


def test_reports_render_offline_in_chromium(browser, reports: Path, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url)
            if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
    for html_file in sorted(reports.glob("*.html")):
        page.goto(html_file.as_uri())
        page.wait_for_load_state("load")
        plots = page.locator(".js-plotly-plot")
        if html_file.name != "index.html":
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
            assert plots.count() >= 2, html_file.name
            for i in range(plots.count()):
                assert plots.nth(i).locator("svg.main-svg").count() >= 1, (html_file.name, i)
            maps = page.evaluate(
                "() => [...document.querySelectorAll('.js-plotly-plot')]"
                ".filter(el => el.data.some(t => t.type === 'choropleth'))"
                ".map(el => [el.data[0].locations.length,"
                "            el.querySelectorAll('.choroplethlocation').length])")
            for locations, drawn in maps:  # drawn from the world map embedded in the page
                assert drawn == locations > 0, html_file.name
    assert errors == []
    assert requests == []
    context.close()


def test_in_page_dropdown_changes_a_chart(browser, reports: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((reports / "01-global-growth.html").as_uri())
    page.wait_for_selector("#view-growth .js-plotly-plot .main-svg")
    before = _plot_state(page)
    menu = page.locator("#view-growth .updatemenu-header-group").first
    menu.scroll_into_view_if_needed()
    menu.click()
    page.locator("#view-growth .updatemenu-dropdown-button").nth(2).click()
    page.wait_for_timeout(500)
    after = _plot_state(page)
    assert after != before
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, token = _free_port(), "atlas-test-token"
    home = tmp_path_factory.mktemp("lab-home")
    notebooks = tmp_path_factory.mktemp("lab") / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={notebooks}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start within 60 s")
    yield f"{url}|{token}"
    server.terminate()
    server.wait(timeout=30)


def _run_all(page, attempts: int = 3) -> None:
    """Run > Run All Cells, retried when the first click lands before the kernel is ready."""
    started = "[...document.querySelectorAll('.jp-InputArea-prompt')].some(p => /\\d|\\*/" \
              ".test(p.textContent))"
    for attempt in range(attempts):
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click('li.lm-Menu-item[data-command="runmenu:run-all"]')
        try:
            page.wait_for_function(started, timeout=20_000)
            return
        except Exception:
            page.keyboard.press("Escape")
            if attempt == attempts - 1:
                raise


CHANGES = {
    "01-global-growth": ("Region", "Europe"),
    "02-workforce-and-investment": ("Region", "Southeast Asia"),
    "03-regulatory-pressure": ("Category", "business"),
    "04-autumn-2020": ("Claim", "third-party estimate"),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_jupyterlab_run_all_and_change_a_dropdown(browser, lab: str, name: str,
                                                  tmp_path: Path) -> None:
    url, token = lab.split("|")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/lab/workspaces/{name}/tree/{name}.ipynb?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                           "#jp-main-statusbar :text('Idle')", timeout=60_000)
    _run_all(page)
    page.wait_for_selector(".jp-OutputArea .js-plotly-plot .main-svg", timeout=120_000)
    page.wait_for_function("document.querySelectorAll('.jp-InputArea-prompt').length > 0 && "
                           "[...document.querySelectorAll('.jp-InputArea-prompt')]"
                           ".every(p => !p.textContent.includes('*'))", timeout=120_000)
    label, option = CHANGES[name]
    dropdown = page.locator(f".widget-dropdown:has(label:text-is('{label}')) select").first
    dropdown.scroll_into_view_if_needed()
    plot = page.locator(".jp-OutputArea .js-plotly-plot").first
    before = plot.evaluate("el => JSON.stringify(el.data.map(t => [t.name, (t.y || []).length]))")
    dropdown.select_option(label=option)
    page.wait_for_function(
        "([el, before]) => JSON.stringify(el.data.map(t => [t.name, (t.y || []).length]))"
        " !== before", arg=[plot.element_handle(), before], timeout=30_000)
    page.screenshot(path=str(tmp_path / f"{name}.png"))
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert stderr.count() == 0, stderr.first.inner_text()
    assert not page.locator(".atlas-message:has-text('Could not draw')").count()
    assert errors == []  # includes plotly failing to fetch its world map (no network here)
    if name in ("01-global-growth", "02-workforce-and-investment", "03-regulatory-pressure"):
        assert page.locator(".jp-OutputArea .choroplethlocation").count() > 5, "map drawn offline"
    context.close()
