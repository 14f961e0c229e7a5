"""Every report chart as a picture for slides: a PNG (2x) and an SVG under the build's
``img/``, with the chart's title, its sources and the data's as-of date drawn into the image.

The notebooks run in their own kernels: there each report view only records its figures
(:func:`record`, a JSON file in a hidden folder beside its CSVs) and links the images under
the chart. The build then renders every recorded figure with ONE Chromium (kaleido, in a
:class:`Renderer`) and keeps a page's links only to images that exist
(:func:`keep_built_links`): without Chromium the pages have no image links.

An image shows the chart's default state: no menus, sliders or animation frames; its title
block (re-wrapped for the image's width) gains a line naming the sources and the as-of date.
The interactive chart is never changed (the image is drawn from a copy of its JSON).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import html
import json
import os
import re
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import formatting
from helpers.figures import layout
from helpers.figures.maps import SLIDER
from helpers.pages import LEAN_BUNDLE, lean_manifest
from helpers.paths import ASSETS_DIR

IMG_DIR = "img"
"""The images' folder in a build (beside the pages; a report set has its own)."""
SPEC_DIR = ".img-src"
"""Hidden folder in a view's CSV folder where report mode records its figures."""
FORMATS = ("png", "svg")
SCALE = 2
"""PNG pixels per layout pixel (crisp on a slide and a high-density screen)."""
WIDTH = 1100
"""px of a chart's image: the growth chart's legend needs about this much beside its plot."""
MAP_WIDTH = 820
"""px of a map's image: the map keeps its height (its colour bar is placed in px under it),
and a wider image would only add margins beside it."""
TITLE_CHAR_PX, NOTE_CHAR_PX = 8.5, 6.8
"""px per character of the title (15 px) and its smaller lines (12 px), for wrapping."""
SOURCES_CHARS = 90
"""Characters of publishers written out in the source line before it counts the rest."""
SOURCE_FONT, SOURCE_COLOUR = 12, "#52606d"
TOP_GAP = 8
"""px above the title (no modebar on an image: its band is not kept)."""


# ---------------------------------------------------------------- recording (in the kernel)


def publishers(frames: Iterable[pd.DataFrame]) -> list[str]:
    """The publishers behind ``frames`` (their ``source_publisher``): those of the first frame
    (a view's rows) first, each frame's most cited first."""
    found: dict[str, None] = {}
    for frame in frames:
        if frame is not None and "source_publisher" in frame:
            counts = Counter(str(p) for p in frame["source_publisher"].dropna()
                             if str(p).strip())
            for name, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                found.setdefault(name, None)
    return list(found)


def image_name(page: str, chart: str) -> str:
    """The file name (without suffix) of a chart's images: page and chart, e.g.
    ``01-global-growth-growth``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{page}-{chart}")


def record(folder: Path, page: str, chart: str, figure: dict[str, Any],
           sources: Sequence[str]) -> str:
    """Record ``figure`` (a plotly figure as a dict) to be drawn as images of ``page``'s chart
    ``chart`` with ``sources`` (publishers) in ``folder``/.img-src; returns the links to its
    images for under the chart."""
    name = image_name(page, chart)
    spec_dir = folder / SPEC_DIR
    spec_dir.mkdir(parents=True, exist_ok=True)
    figure = {k: v for k, v in figure.items() if k != "frames"}  # an image is one state
    spec = {"name": name, "page": page, "sources": list(sources), "figure": figure}
    from plotly.utils import PlotlyJSONEncoder  # numpy arrays, dates

    (spec_dir / f"{name}.json").write_text(
        json.dumps(spec, separators=(",", ":"), cls=PlotlyJSONEncoder), encoding="utf-8")
    return links_html(name)


def links_html(name: str) -> str:
    """'Image for slides: PNG · SVG', linking the image files of ``name``."""
    png, svg = (f"{name}.{suffix}" for suffix in FORMATS)
    return (f"<p class='atlas-images'>Image for slides: "
            f"<a href='{IMG_DIR}/{html.escape(png)}' download='{html.escape(png)}' "
            f"title='{html.escape(png)} ({SCALE}x)'>PNG</a> · "
            f"<a href='{IMG_DIR}/{html.escape(svg)}' download='{html.escape(svg)}' "
            f"title='{html.escape(svg)}'>SVG</a></p>")


_LINKS = re.compile(r"<p class=[\"']atlas-images[\"']>.*?</p>", re.S)
_HREF = re.compile(rf"href=[\"']({IMG_DIR}/[^\"']+)[\"']")  # nbconvert rewrites the quotes


def keep_built_links(page_html: str, folder: Path) -> str:
    """``page_html`` without the image links whose files are not in ``folder`` (the page's
    folder): no link of a page ever points at a missing image."""

    def keep(match: re.Match[str]) -> str:
        targets = [html.unescape(t) for t in _HREF.findall(match.group(0))]
        return match.group(0) if targets and all(
            (folder / t).is_file() for t in targets) else ""

    return _LINKS.sub(keep, page_html)


# ---------------------------------------------------------------- the image's figure


@dataclass(frozen=True)
class Image:
    """A recorded chart ready to draw: its file name, the figure for the image and its size
    in layout px (the PNG is ``SCALE`` times larger)."""

    name: str
    figure: dict[str, Any]
    width: int
    height: int


def source_line(sources: Sequence[str], page: str, as_of: date | pd.Timestamp) -> str:
    """'Sources: A, B and C · data as of 30 Nov 2026 · TikTok Growth Atlas'; with many
    publishers the first ones and how many more, and where all are listed (the page)."""
    when = f"data as of {formatting.day(pd.Timestamp(as_of))}"
    if not sources:
        return f"No sources: nothing is drawn for this selection · {when} · TikTok Growth Atlas"
    label = "Source" if len(sources) == 1 else "Sources"
    if len(", ".join(sources)) <= SOURCES_CHARS:
        named = (sources[0] if len(sources) == 1
                 else f"{', '.join(sources[:-1])} and {sources[-1]}")
        return f"{label}: {named} · {when} · TikTok Growth Atlas"
    shown: list[str] = []
    for publisher in sources:
        if shown and len(", ".join([*shown, publisher])) > SOURCES_CHARS - 30:
            break
        shown.append(publisher)
    rest = len(sources) - len(shown)
    return (f"Sources: {', '.join(shown)} and {rest} more publishers, all named on the "
            f"atlas page {page}.html · {when} · TikTok Growth Atlas")


def _plain_lines(text: str) -> tuple[str, str]:
    """A title's main text and its smaller note, each on one line again (the figure wrapped
    them for a phone)."""
    main: list[str] = []
    notes: list[str] = []
    for part in re.split(r"<br\s*/?>", text or ""):
        small = re.fullmatch(r"\s*<span style=\"font-size:\d+px\">(.*)</span>\s*", part)
        (notes if small else main).append(small.group(1) if small else part.strip())
    return " ".join(p for p in main if p), " ".join(p for p in notes if p)


def _wrapped(text: str, chars: int) -> list[str]:
    return layout.wrap(text, chars) if text else []


def title_block(title: str, line: str, width: int = WIDTH,
                slider_label: str | None = None) -> tuple[str, int]:
    """The image's title (its text re-wrapped for the image's ``width``, 'the year on the
    slider' replaced by the year shown) with ``line`` under it, and its height in px."""
    main, note = _plain_lines(title)
    if slider_label:
        main, note = (t.replace("the year on the slider", slider_label) for t in (main, note))
    chars = int((width - 30) / TITLE_CHAR_PX), int((width - 30) / NOTE_CHAR_PX)
    lines = _wrapped(main, chars[0])
    small = _wrapped(note, chars[1])
    source = _wrapped(line, chars[1])
    body = "<br>".join(
        lines + [f'<span style="font-size:{layout.NOTE_FONT}px">{s}</span>' for s in small]
        + [f'<span style="font-size:{SOURCE_FONT}px;color:{SOURCE_COLOUR}">{html.escape(s)}'
           "</span>" for s in source])
    px = len(lines) * layout.TITLE_LINE + (len(small) + len(source)) * layout.NOTE_LINE
    return body, px


def _title_px(title: str) -> int:
    """px the figure's own title takes (as ``figures.layout.title`` counted them)."""
    parts = re.split(r"<br\s*/?>", title or "")
    notes = sum(1 for p in parts if p.strip().startswith("<span"))
    return (len(parts) - notes) * layout.TITLE_LINE + notes * layout.NOTE_LINE if title else 0


def _menu_rows(lay: dict[str, Any]) -> int:
    """Rows of menus above the plot (dropdowns, range buttons) that an image leaves out."""
    rows = [round((m.get("pad", {}).get("b", 4) - 4) / layout.MENU_ROW) + 1
            for m in lay.get("updatemenus", [])
            if m.get("yanchor") == "bottom" and m.get("y", 0) >= 1]
    ranges = any(v.get("rangeselector", {}).get("buttons") for k, v in lay.items()
                 if k.startswith("xaxis") and isinstance(v, dict))
    return max([*rows, 1 if ranges else 0])


def _slider_label(lay: dict[str, Any]) -> str | None:
    sliders = lay.get("sliders") or []
    if not sliders:
        return None
    steps = sliders[0].get("steps") or []
    active = sliders[0].get("active", 0)
    return str(steps[active].get("label")) if 0 <= active < len(steps) else None


def image(spec: dict[str, Any], as_of: date | pd.Timestamp) -> Image:
    """The image of a recorded chart: its default state without menus, sliders or frames,
    the title re-wrapped with the source line and as-of date under it, a fixed size."""
    fig = copy.deepcopy(spec["figure"])
    lay = fig.setdefault("layout", {})
    is_map = any(t.get("type") in ("choropleth", "scattergeo") for t in fig.get("data", []))
    width = MAP_WIDTH if is_map else WIDTH
    height = int(lay.get("height") or 450)
    margin = lay.setdefault("margin", {})
    top = int(margin.get("t", 80))
    title = lay.get("title") or {}
    title = title if isinstance(title, dict) else {"text": str(title)}
    old_px = _title_px(title.get("text", ""))
    text, new_px = title_block(title.get("text", ""), source_line(
        spec.get("sources", []), spec.get("page", ""), as_of), width, _slider_label(lay))
    # no modebar band, no menu rows: the title moves up, the plot keeps its height
    cut = layout.BAND - TOP_GAP + _menu_rows(lay) * layout.MENU_ROW - (new_px - old_px)
    if lay.get("sliders"):  # the slider and its play button lay under the map
        below = int(margin.get("b", 0))
        margin["b"] = max(10, below - SLIDER)
        height -= below - margin["b"]
    margin["t"] = top - cut
    height -= cut
    lay["title"] = {**title, "text": text,
                    "pad": {**title.get("pad", {}), "t": TOP_GAP + layout.TITLE_PAD}}
    for key in ("updatemenus", "sliders"):
        lay.pop(key, None)
    for key, axis in lay.items():
        if key.startswith("xaxis") and isinstance(axis, dict):
            axis.pop("rangeselector", None)
            axis.pop("rangeslider", None)
    lay.pop("modebar", None)
    lay.update(width=width, height=height, autosize=False)
    fig.pop("frames", None)
    for index, trace in enumerate(fig.get("data", [])):  # plotly.js would draw random ones
        trace["uid"] = f"t{index}"
    return Image(spec["name"], fig, width, height)


def recorded(csv_dir: Path) -> list[dict[str, Any]]:
    """The charts recorded in a page's CSV folder, in name order."""
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((csv_dir / SPEC_DIR).glob("*.json"))]


def forget_recorded(csv_dir: Path) -> None:
    """Remove the charts recorded in a page's CSV folder (they are not published)."""
    shutil.rmtree(csv_dir / SPEC_DIR, ignore_errors=True)


# ---------------------------------------------------------------- drawing (in the build)


class ImagesUnavailable(RuntimeError):
    """No browser to draw images with (the build goes on without them)."""


class ImageRenderError(RuntimeError):
    """A chart could not be drawn as an image; the message names it."""


def browser_path() -> str | None:
    """The Chromium kaleido would use: ``BROWSER_PATH`` when set (None unless it is a file),
    else the one choreographer finds (Debian's ``chromium``)."""
    chosen = os.environ.get("BROWSER_PATH")
    if chosen is not None:
        return chosen if Path(chosen).is_file() else None
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:  # kaleido not installed
        return None
    return Chromium.find_browser(skip_local=False)


_UID = re.compile(r'id="defs-([0-9a-f]{6})"')


def stable_svg(path: Path, name: str) -> None:
    """Give the SVG at ``path`` the same bytes in every build: plotly.js names its clip paths,
    legend and gradients after a random id of the plot, replaced here by one made from
    ``name`` (unique per image, so that SVGs put on one slide or page never share ids)."""
    text = path.read_text(encoding="utf-8")
    found = _UID.search(text)
    if not found:
        return
    uid = hashlib.sha1(name.encode()).hexdigest()[:6]
    text = re.sub(rf"(defs-|clip|legend|[\"'#]g){found.group(1)}", rf"\g<1>{uid}", text)
    path.write_text(text, encoding="utf-8")


def _plotlyjs() -> str | None:
    """The pages' lean plotly.js when it is plotly.py's version (Chromium starts and reloads
    its page about twice as fast with it), else None: plotly.py's own, also local."""
    from plotly.offline import get_plotlyjs_version

    same = lean_manifest()["plotlyjs_version"] == get_plotlyjs_version()
    return str(LEAN_BUNDLE) if same and LEAN_BUNDLE.is_file() else None


class Renderer:
    """One Chromium, driven by kaleido, for every image of a build: started at once in its own
    thread (so it starts while the notebooks run), used from any thread, closed at the end.
    ``tabs`` charts are drawn at a time."""

    def __init__(self, tabs: int = 2, timeout: float = 90) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="atlas-images")
        self._kaleido: Future[Any] | None = None
        self._tabs, self._timeout = tabs, timeout
        self.seconds = 0.0
        self.count = 0

    def start(self) -> Renderer:
        """Start Chromium in the background; :meth:`render` waits for it."""
        path = browser_path()
        if path is None:
            raise ImagesUnavailable("no Chromium found (install Debian's chromium, e.g. "
                                    "`make browser` as root, or set BROWSER_PATH)")
        try:
            import kaleido
        except ImportError as exc:
            raise ImagesUnavailable("kaleido is not installed (`make install`)") from exc

        async def open_browser() -> Any:
            browser = kaleido.Kaleido(path=path, n=self._tabs, timeout=self._timeout,
                                      mathjax=False, plotlyjs=_plotlyjs())
            await browser.open()
            return browser

        self._thread.start()
        self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), self._loop)
        return self

    def _browser(self) -> Any:
        if self._kaleido is None:
            raise ImagesUnavailable("the image renderer was not started")
        try:
            return self._kaleido.result()
        except Exception as exc:  # Chromium would not start
            raise ImagesUnavailable(f"Chromium did not start ({type(exc).__name__}: "
                                    f"{exc})") from exc

    def render(self, images: Sequence[Image], out: Path) -> None:
        """Write each image as ``out/<name>.png`` (scale 2) and ``.svg``; the world map comes
        from ``helpers/assets`` (no request leaves the machine)."""
        browser = self._browser()
        out.mkdir(parents=True, exist_ok=True)
        jobs = [{"fig": im.figure, "path": out / f"{im.name}.{fmt}",
                 "opts": {"format": fmt, "width": im.width, "height": im.height,
                          "scale": SCALE if fmt == "png" else 1},
                 "topojson": str(ASSETS_DIR)}
                for im in images for fmt in FORMATS]
        if not jobs:
            return
        import time

        t0 = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(
            browser.write_fig_from_object(jobs, cancel_on_error=False), self._loop)
        try:
            errors = future.result()
        except Exception as exc:  # Chromium itself failed (crashed, closed its pipe)
            raise ImageRenderError(f"Chromium failed while drawing "
                                   f"{', '.join(im.name for im in images)}: "
                                   f"{type(exc).__name__}: {exc}") from exc
        self.seconds += time.perf_counter() - t0
        if errors:
            failed = [j["path"].name for j in jobs if not j["path"].is_file()]
            raise ImageRenderError(f"could not draw {', '.join(failed) or 'an image'}: "
                                   f"{errors[0]}")
        for im in images:
            stable_svg(out / f"{im.name}.svg", im.name)
        self.count += len(images)

    def close(self) -> None:
        """Close Chromium and stop the thread (safe to call more than once)."""
        if self._kaleido is not None:
            try:
                browser = self._kaleido.result()
            except Exception:  # noqa: BLE001 it never started: nothing to close
                browser = None
            if browser is not None:
                asyncio.run_coroutine_threadsafe(browser.close(), self._loop).result()
            self._kaleido = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()


def render_recorded(renderer: Renderer, csv_dir: Path, out: Path,
                    as_of: date | pd.Timestamp) -> int:
    """Draw the charts recorded in a page's CSV folder into ``out``; returns how many."""
    specs = recorded(csv_dir)
    renderer.render([image(s, as_of) for s in specs], out)
    return len(specs)


class BuildImages:
    """The image step of one build: Chromium started at once (beside the notebooks), each
    page's charts drawn as soon as its notebook ran, one line when images cannot be built."""

    def __init__(self, as_of: date | pd.Timestamp, progress: Callable[[str], None],
                 enabled: bool = True) -> None:
        self.as_of, self._progress = as_of, progress
        self._lock = threading.Lock()
        self.renderer: Renderer | None = None
        self.charts = 0
        self.skipped = ""
        if enabled:
            try:
                self.renderer = Renderer().start()
            except ImagesUnavailable as exc:
                self._unavailable(exc)

    def _unavailable(self, exc: Exception) -> None:
        with self._lock:
            if self.renderer is not None:
                self.renderer.close()
                self.renderer = None
            if not self.skipped:
                self.skipped = str(exc)
                self._progress(f"chart images not built: {exc}; the pages have no image links")

    def page(self, csv_dir: Path, out: Path) -> None:
        """Draw the charts recorded in a page's CSV folder into ``out`` (the build's img/),
        then forget the records; raises :class:`ImageRenderError` when a chart fails."""
        try:
            renderer = self.renderer
            if renderer is not None and csv_dir.is_dir():
                try:
                    n = render_recorded(renderer, csv_dir, out, self.as_of)
                except ImagesUnavailable as exc:
                    self._unavailable(exc)
                else:
                    with self._lock:
                        self.charts += n
        finally:
            forget_recorded(csv_dir)

    def summary(self) -> str | None:
        """The progress line of the images drawn (None when none were)."""
        if self.renderer is None or not self.charts:
            return None
        return (f"{self.charts} charts as PNG ({SCALE}x) and SVG images in {IMG_DIR}/ ... "
                f"{self.renderer.seconds:.1f} s of drawing beside the notebooks")

    def close(self) -> None:
        """Close Chromium."""
        if self.renderer is not None:
            self.renderer.close()
