"""Shared fixtures: a private copy of the data package for tests that break it, and the full
offline reports, built once per test session for every test that only reads them."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.data import clear_cache, default_data_dir

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of tiktok_data/ in a temporary folder (safe to break)."""
    target = tmp_path / "tiktok_data"
    shutil.copytree(default_data_dir(), target)
    clear_cache()
    return target


def tree_digest(folder: Path) -> str:
    """One hash over the names and bytes of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class SessionReports:
    """The reports of one real build of every notebook (``out``), and what each notebook's
    execution produced (``executed``: the executed notebook and the CSVs its views wrote),
    so that tests of the file replacement can replay an execution instead of starting a
    kernel again (see tests/test_hardening.py)."""

    def __init__(self, out: Path, executed: Path) -> None:
        self.out = out
        self.executed = executed


@pytest.fixture(scope="session")
def session_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionReports]:
    """Build the full offline reports ONCE per test session (the report, browser and hardening
    tests read them; a test that needs to change a build copies it first). Under pytest-xdist
    (``make test`` runs two workers) the first worker that needs them builds them into the
    run's shared temporary folder while holding a lock, and the others wait for that build
    and use it. At the end of the session the build is checked to be unchanged, so a test
    that writes into the shared folder fails instead of silently changing what others see."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    base = shared / "session-reports"
    with (shared / "session-reports.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (base / "built").exists():
                shutil.rmtree(base, ignore_errors=True)
                _build_and_record(base / "reports", base / "executed")
                (base / "built").write_text(tree_digest(base / "reports"), encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    built = (base / "built").read_text(encoding="utf-8")
    yield SessionReports(base / "reports", base / "executed")
    assert tree_digest(base / "reports") == built, "a test wrote into the shared session reports"


def _build_and_record(out: Path, executed: Path) -> None:
    """Build every notebook's report into ``out``, keeping what each execution produced."""
    import nbformat

    from helpers import report

    executed.mkdir(parents=True)
    real = report._execute

    def recording(path: Path, scratch: Path, params, data_dir, csv_dir: Path):
        nb = real(path, scratch, params, data_dir, csv_dir)
        nbformat.write(nb, executed / path.name)
        if csv_dir.is_dir():
            shutil.copytree(csv_dir, executed / "data" / path.stem)
        return nb

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "_execute", recording)
        report.build_reports(out, progress=lambda line: None)


def replaying(executed: Path):
    """A stand-in for ``helpers.report._execute`` that replays what the session build's real
    execution of a notebook produced (its executed notebook and CSVs) without a kernel: for
    tests of what a build does around the execution (killed builds, failing disks)."""
    import nbformat

    def replay(path: Path, scratch: Path, params, data_dir, csv_dir: Path):
        recorded = executed / "data" / path.stem
        if recorded.is_dir():
            shutil.copytree(recorded, csv_dir)
        shutil.copy(executed / path.name, scratch / path.name)
        return nbformat.read(scratch / path.name, as_version=4)

    return replay



BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium for the browser tests of one test file, the only one running in the
    process: Playwright's sync API runs one event loop per thread, and while it runs, neither
    a second ``sync_playwright`` nor ``asyncio.run`` (the kernel tests) can start; closing it
    with its file frees the thread for the next file. Tests that use it are skipped when
    chromium is missing (their own ``skipif``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=shutil.which("chromium"),
                                        args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def wait_until(condition: Callable[[], Any], timeout: float, what: str,
               every: float = 0.2) -> Any:
    """Poll ``condition`` (a state query, never a fixed delay) until it returns something
    true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def watch_page(page: Any) -> tuple[list[str], list[str]]:
    """The console errors and page errors of a Playwright page, and its requests that leave
    the machine (anything but file:, data:, blob: and about:), as lists that fill up."""
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url)
            if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
    return errors, requests
