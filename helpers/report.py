"""Build the offline HTML reports: papermill executes each notebook in report mode, nbconvert
turns it into HTML without input cells, and a page shell adds plotly.js (once), the offline
world map and a navigation bar.

A build writes into a temporary folder next to the output and swaps it in only when every
page succeeded: a failed build leaves the previous reports untouched.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from helpers import checks, images, profiles
from helpers.atlas import Atlas
from helpers.data import DataValidationError, read_package
from helpers.kernels import quiet_kernel_manager
from helpers.pages import BUNDLES, Scripts, nav, shell
from helpers.parameters import ParameterError, check_parameters
from helpers.paths import NOTEBOOKS_DIR, REPORTS_DIR, SETS_DIR


class ReportBuildError(RuntimeError):
    """A report could not be built; the message names the notebook and the cause."""


@dataclass(frozen=True)
class Page:
    """One built page: its notebook, title, introduction and file name."""

    notebook: str
    title: str
    intro: str
    filename: str
    seconds: float


def notebook_paths(names: Iterable[str] | None = None,
                   notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The notebooks to build, in order; ``names`` may omit the ``.ipynb`` suffix."""
    available = sorted(p for p in notebooks_dir.glob("[0-9][0-9]-*.ipynb"))
    if not names:
        return available
    chosen = []
    for name in names:
        stem = Path(name).stem
        match = [p for p in available if p.stem == stem or p.stem.startswith(stem + "-")
                 or p.stem.split("-", 1)[0] == stem]
        if not match:
            known = ", ".join(p.stem for p in available)
            raise ReportBuildError(f"no notebook named {name!r}; known: {known}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def parse_param(value: str) -> Any:
    """A --param value as a Python literal when it is one (2020, None, ['USA']), else text."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def set_slug(params: Mapping[str, Any]) -> str:
    """A folder name for a parameter set, e.g. ``region-europe`` or ``region-europe-1a2b``."""
    if not params:
        return "default"
    readable = "-".join(f"{k}-{v}" for k, v in sorted(params.items())
                        if isinstance(v, str | int | float))
    readable = re.sub(r"[^a-z0-9]+", "-", readable.lower()).strip("-")[:60] or "set"
    digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    simple = all(isinstance(v, str | int | float) for v in params.values())
    return readable if simple and len(readable) < 60 else f"{readable}-{digest[:6]}"


# ---------------------------------------------------------------- notebooks


def _title_and_intro(nb: nbformat.NotebookNode) -> tuple[str, str]:
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    lines = first.source.strip().splitlines()
    title = lines[0].lstrip("# ").strip()
    intro = " ".join(line.strip() for line in lines[1:] if line.strip()).split(". ")[0]
    intro = re.sub(r"[*_`]+", "", intro)  # Markdown emphasis and code marks
    return title, intro.rstrip(".") + "."


def _execute(path: Path, work: Path, params: Mapping[str, Any], data_dir: str | None,
             csv_dir: Path) -> nbformat.NotebookNode:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out = work / path.name
    parameters = {**params, "report_mode": True, "csv_dir": str(csv_dir)}
    if data_dir is not None:
        parameters["data_dir"] = str(data_dir)
    try:
        papermill.execute_notebook(str(path), str(out), parameters=parameters,
                                   kernel_name="python3", progress_bar=False, log_output=False,
                                   cwd=str(path.parent), report_mode=False,
                                   kernel_manager_class=quiet_kernel_manager())
    except PapermillExecutionError as exc:
        raise ReportBuildError(f"{path.stem}: cell {exc.exec_count} raised {exc.ename}: "
                               f"{exc.evalue}") from exc
    except Exception as exc:  # kernel died, timeout, unreadable notebook
        raise ReportBuildError(f"{path.stem}: {type(exc).__name__}: {exc}") from exc
    return nbformat.read(out, as_version=4)


def _to_html_body(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    for index, cell in enumerate(nb.cells):  # papermill's injected cell has a random id
        cell["id"] = f"cell-{index}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    exporter = HTMLExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return body


def _render_page(nb: nbformat.NotebookNode, page: Page, pages: list[tuple[str, str]],
                 footer: str, plotly_bundle: str = "lean") -> str:
    body = _to_html_body(nb)
    needs_geo = '"geo"' in body or "choropleth" in body
    return shell(f"{page.title} · TikTok Growth Atlas", body, nav(pages, page.filename),
                 footer, Scripts(plotly="inline", geo="inline" if needs_geo else "none",
                                 bundle=plotly_bundle))


def _index(pages: list[Page], atlas: Atlas, params: Mapping[str, Any], version: str,
           sets: list[str], links: list[tuple[str, str]], footer: str) -> str:
    items = "".join(
        f"<li><a href=\"{html.escape(p.filename)}\"><strong>{html.escape(p.title)}</strong></a>"
        f"<br><span class='atlas-summary'>{html.escape(p.intro)}</span></li>" for p in pages)
    param_text = (", ".join(f"{html.escape(k)} = {html.escape(repr(v))}"
                            for k, v in sorted(params.items())))
    chosen = (f"These pages were built for {param_text}." if params else
              "These pages open on the default selections; the menus and sliders in each chart "
              "change them.")
    set_links = "".join(f'<li><a href="{SETS_DIR}/{html.escape(s)}/index.html">'
                        f"{html.escape(s)}</a></li>" for s in sets)
    sets_html = (f"<h2>Other report sets</h2><ul>{set_links}</ul>" if sets else "")
    france = profiles.place_href()("FRA", "")
    questions = (
        "<h2>Start with a question</h2><ul>"
        f"<li>How many TikTok users does a country have, and who says so? Open its profile "
        f"from the <a href='{profiles.PLACES_DIR}/index.html'>list of places</a> (for "
        f"example <a href='{html.escape(france)}'>France</a>).</li>"
        f"<li>Which countries banned TikTok outright, and when? <a href='{profiles.GLANCE}"
        "#restrictions'>Nationwide bans and blocks</a>, at a glance.</li>"
        f"<li>Which fines were the largest? <a href='{profiles.GLANCE}#fines'>The largest "
        "fines</a>, in US dollars.</li>"
        "<li>How did the US saga unfold from 2020 to 2026? <a href='04-autumn-2020.html'>"
        "Autumn 2020: the ban that did not happen</a>.</li></ul>"
        if any(p.filename == "04-autumn-2020.html" for p in pages) else "")
    body = (
        "<h1>TikTok Growth Atlas</h1>"
        "<p>TikTok's global expansion and the regulatory pressure on it since 2018, in sourced "
        "numbers. Charts are interactive: hover a mark for its source, use the menus and "
        "sliders; every chart has its data table and CSV, and every page ends with its "
        "sources.</p>"
        f"<p><strong>Data as of {atlas.as_of:%d %B %Y}</strong> · data package version "
        f"{html.escape(version)} · {len(atlas.users)} user figures, "
        f"{len(atlas.workforce)} workforce figures, {len(atlas.investments)} investments, "
        f"{len(atlas.events)} events, {len(atlas.sources)} sources. {chosen}</p>"
        f"{questions}<h2>The chapters</h2><ol>{items}</ol>"
        f"<p><a href='{profiles.GLANCE}'>At a glance</a>: restrictions, the largest fines and "
        f"the latest users per country. <a href='{profiles.PLACES_DIR}/index.html'>Places</a>:"
        " one profile per place with data.</p>"
        f"{sets_html}<p>The data: <code>tiktok_data/</code> (CC BY 4.0).</p>")
    return shell("TikTok Growth Atlas", body, nav(links, "index.html"), footer,
                 Scripts(plotly="none"))


# ---------------------------------------------------------------- build


def build_reports(out_dir: Path = Path("reports"), data_dir: str | os.PathLike[str] | None = None,
                  params: Mapping[str, Any] | None = None,
                  notebooks: Iterable[str] | None = None,
                  progress: Callable[[str], None] | None = None,
                  workers: int | None = None, plotly_bundle: str = "lean") -> Path:
    """Execute and export the notebooks into ``out_dir`` (replaced only on success).

    ``params`` override the notebooks' parameters (strings are parsed as Python literals
    when they are one). Without ``out_dir`` given and with params, the set is written to
    ``reports/sets/<slug>/``. ``plotly_bundle`` is the plotly.js the pages carry: ``lean``
    (the trace types the reports draw) or ``full`` (plotly.py's). Returns the output folder.
    """
    progress = progress or (lambda line: print(line, flush=True))
    params = {k: parse_param(v) if isinstance(v, str) else v for k, v in (params or {}).items()}
    if plotly_bundle not in BUNDLES:
        raise ReportBuildError(f"plotly.js bundle {plotly_bundle!r}: expected one of "
                               f"{', '.join(BUNDLES)}")
    out_dir = _check_out_dir(Path(out_dir))
    refused = checks.errors(checks.validate_package(data_dir))
    if refused:  # what `validate` refuses is never published
        raise DataValidationError(refused)
    atlas = Atlas.load(data_dir)
    version = read_package(data_dir)["version"]
    paths = notebook_paths(notebooks)
    try:
        params = check_parameters(params, paths, atlas)
    except ParameterError as exc:
        raise ReportBuildError(f"invalid --param: {exc}") from exc
    _remove_leftovers(out_dir)
    work = Path(str(out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"))
    scratch = work.with_name(work.name + "-executed")
    started = time.perf_counter()
    pictures = images.BuildImages(atlas.as_of, progress)  # Chromium starts meanwhile
    try:
        for folder in (work, scratch):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        links: list[tuple[str, str]] = []
        meta = []
        for path in paths:
            title, intro = _title_and_intro(nbformat.read(path, as_version=4))
            meta.append((path, title, intro))
            links.append((f"{path.stem}.html", title))
        links += [(profiles.GLANCE, "At a glance"), (f"{profiles.PLACES_DIR}/index.html",
                                                    "Places")]
        footer = (f"TikTok Growth Atlas · data as of {atlas.as_of:%Y-%m-%d} · data package "
                  f"{html.escape(version)} · built offline, no request leaves your machine")

        def run(item: tuple[int, tuple[Path, str, str]]) -> Page:
            index, (path, title, intro) = item
            t0 = time.perf_counter()
            nb = _execute(path, scratch, params, data_dir, work / "data" / path.stem)
            try:
                pictures.page(work / "data" / path.stem, work / images.IMG_DIR)
            except images.ImageRenderError as exc:
                raise ReportBuildError(f"{path.stem}: {exc}") from exc
            page = Page(path.stem, title, intro, f"{path.stem}.html", 0.0)
            (work / page.filename).write_text(images.keep_built_links(
                _render_page(nb, page, links, footer, plotly_bundle), work), encoding="utf-8")
            seconds = time.perf_counter() - t0
            progress(f"[{index + 1}/{len(paths)}] {path.stem} ... {seconds:.1f} s")
            return Page(path.stem, title, intro, page.filename, seconds)

        workers = workers or min(len(paths), max(1, (os.cpu_count() or 1)))
        with ThreadPoolExecutor(max_workers=workers + 1) as pool:
            # the kernels run in their own processes: the profiles are written meanwhile
            t0 = time.perf_counter()
            place_pages = pool.submit(profiles.write_place_pages, atlas, work, links, footer,
                                      plotly_bundle=plotly_bundle)
            pages = list(pool.map(run, enumerate(meta)))
            n_places = place_pages.result()
        progress(f"{n_places} place profiles and the at-a-glance page ... "
                 f"{time.perf_counter() - t0:.1f} s")
        if pictures.summary():
            progress(pictures.summary())
        old_sets = sorted(p.name for p in (out_dir / SETS_DIR).iterdir()) if (
            out_dir / SETS_DIR).is_dir() else []
        (work / "index.html").write_text(
            _index(pages, atlas, params, version, old_sets, links, footer), encoding="utf-8")
        _swap(work, out_dir, keep=SETS_DIR)
    except OSError as exc:  # a full disk, a file-size limit, a folder that vanished
        shutil.rmtree(work, ignore_errors=True)
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        raise ReportBuildError(f"could not write the reports{where}: "
                               f"{exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        pictures.close()
        shutil.rmtree(scratch, ignore_errors=True)
    progress(f"built {len(pages)} pages in {time.perf_counter() - started:.1f} s -> {out_dir}")
    return out_dir


def _swap(new: Path, target: Path, keep: str | None = None) -> None:
    """Put the files of ``new`` into ``target`` so that a reader never finds it missing: each
    file is renamed into place (one atomic rename each; the CSVs first, the pages next,
    ``index.html`` last), then files of the previous build that the new one does not have
    are removed (except under ``keep``). A kill at any moment leaves every page readable."""
    if not target.exists():
        new.rename(target)
        return
    old_files = {p.relative_to(target) for p in target.rglob("*")
                 if p.is_file() and not (keep and p.relative_to(target).parts[0] == keep)}
    new_files = sorted((p.relative_to(new) for p in new.rglob("*") if p.is_file()),
                       key=lambda rel: (rel == Path("index.html"), len(rel.parts) == 1,
                                        str(rel)))
    for rel in new_files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(new / rel, target / rel)
    for rel in sorted(old_files - set(new_files)):
        (target / rel).unlink(missing_ok=True)
    for folder in sorted((p for p in target.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()) and not (keep and folder.relative_to(target).parts[0]
                                              == keep):
            folder.rmdir()
    shutil.rmtree(new, ignore_errors=True)


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:building|old)-(?P<pid>\d+)(?:-executed)?$")


def _remove_leftovers(out_dir: Path) -> None:
    """Remove the temporary folders that killed builds left beside ``out_dir`` (a folder of
    a build that is still running is kept)."""
    for path in out_dir.parent.glob(f".{out_dir.name}.*"):
        match = _LEFTOVER.match(path.name)
        if match and match["name"] == out_dir.name and not _alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_out_dir(out_dir: Path) -> Path:
    """The absolute output folder, refused with a clear message before any work when it is
    a file or cannot be written."""
    out_dir = out_dir.expanduser().resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportBuildError(f"the output {out_dir} is an existing file, not a folder; "
                               "choose a folder (the file was not touched)")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportBuildError(f"cannot create {out_dir.parent}: {exc.strerror or exc}") from exc
    if not os.access(out_dir.parent, os.W_OK | os.X_OK) or (
            out_dir.exists() and not os.access(out_dir, os.W_OK | os.X_OK)):
        raise ReportBuildError(f"cannot write reports into {out_dir}: permission denied")
    return out_dir


def build_single_report(notebook: str, params: Mapping[str, Any] | None = None,
                        reports_dir: Path = REPORTS_DIR) -> Path:
    """Build one notebook's page with ``params`` into ``reports/sets/<slug>/``; returns the
    page's path (used by the explorers' export button)."""
    params = dict(params or {})
    slug = f"{Path(notebook).stem}-{set_slug(params)}"
    out = build_reports(reports_dir / SETS_DIR / slug, params=params, notebooks=[notebook],
                        progress=lambda line: None, workers=1)
    return out / f"{Path(notebook).stem}.html"


def main_with_default_out(params: Mapping[str, Any], out: str | None) -> Path:
    """Where a CLI build goes: ``--out``, else reports/ (or reports/sets/<slug>/ with params)."""
    if out:
        return Path(out)
    return Path("reports") / SETS_DIR / set_slug(params) if params else Path("reports")


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: python -m helpers report")
