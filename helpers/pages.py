"""The shell of every report page: the head (plotly.js inline or from a shared file beside the
pages, the offline world map), the navigation bar, the footer and the style sheet for desktop,
phone (390 px) and print.
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from helpers.paths import ASSETS_DIR
from helpers.plotly_assets import geo_assets_js

CSS = """
*{box-sizing:border-box}
body{font-family:Inter,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2933;margin:0;
background:#f7f9fb;line-height:1.5;-webkit-text-size-adjust:100%}
header.atlas-nav{background:#111827;color:#fff;padding:.6em 1.5em;display:flex;gap:.4em 1.2em;
flex-wrap:wrap;align-items:center;font-size:14px}
header.atlas-nav a{color:#cbd5e1;text-decoration:none}header.atlas-nav a.current{color:#fff;
font-weight:600}main{max-width:1180px;margin:0 auto;padding:1em 1.5em 3em;background:#fff}
h1{font-size:1.9em;margin-top:.6em;line-height:1.2}h2{margin-top:1.6em;
border-bottom:1px solid #e5e9f0}
table{border-collapse:collapse;font-size:12.5px;margin:.5em 0}th,td{border:1px solid #e5e9f0;
padding:3px 6px;text-align:left;vertical-align:top}th{background:#f1f5f9}td.num,th.num{
text-align:right;white-space:nowrap}td.date{white-space:nowrap}
.atlas-table{max-width:100%;overflow:auto}
.atlas-view{margin:1em 0 2em}.atlas-summary{color:#52606d;font-size:14px}
figure.atlas-chart{margin:0}figcaption.atlas-caption{font-size:14px;color:#1f2933;
margin:.3em 0 .6em}
details.atlas-data summary{cursor:pointer;color:#2f6db5}.atlas-csv{font-size:13px}
.atlas-sources li{font-size:13px;margin:.2em 0}.atlas-quality{color:#7b8794}
.atlas-places{columns:16em auto;font-size:14px}.atlas-places li{break-inside:avoid}
.atlas-lead{font-size:1.05em}.atlas-kind{color:#52606d;font-size:14px;margin-top:-.4em}
pre{background:#f1f5f9;padding:.5em;overflow:auto;font-size:12.5px}
footer{color:#7b8794;font-size:12px;text-align:center;padding:1em}
a.anchor-link{visibility:hidden;margin-left:.3em;text-decoration:none;color:#9aa5b1}
h1:hover a.anchor-link,h2:hover a.anchor-link,h3:hover a.anchor-link{visibility:visible}
.jp-OutputArea-output,.jp-RenderedHTMLCommon{overflow-x:auto;max-width:100%}
.js-plotly-plot,.plotly-graph-div{max-width:100%}
.js-plotly-plot.plotly-graph-div{height:auto!important}
.atlas-share{margin-left:auto;display:flex;flex-wrap:wrap;align-items:center;gap:.3em .6em;
max-width:100%}
.atlas-copy{font:inherit;font-size:13px;color:#fff;background:#2f6db5;border:1px solid #5b8fd0;
border-radius:4px;padding:.15em .7em;cursor:pointer}.atlas-copy:hover{background:#3b7fd0}
.atlas-copy:focus-visible,.atlas-link:focus-visible{outline:2px solid #fbbf24;outline-offset:2px}
.atlas-link{font:12px ui-monospace,monospace;width:22em;max-width:100%;padding:.15em .3em}
.atlas-link[hidden]{display:none}.atlas-copied{color:#e2e8f0;font-size:13px}
@media (max-width:600px){
header.atlas-nav{padding:.5em .8em;font-size:13px;gap:.3em .9em}
main{padding:.6em .8em 2em}h1{font-size:1.5em}h2{font-size:1.25em}
table{font-size:12px}
}
@media print{
header.atlas-nav,details.atlas-data,.atlas-csv,.modebar-container,.updatemenu-container,
.slider-container,footer,.atlas-share{display:none!important}
body{background:#fff}main{max-width:none;padding:0}
.atlas-view,figure.atlas-chart,.js-plotly-plot{break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid;page-break-after:avoid}
a{color:inherit}
}
.atlas-images{font-size:13px;color:#52606d;margin:0 0 .6em;overflow-wrap:anywhere}
@media print{.atlas-images{display:none!important}}
"""

PRINT_WIDTH_PX = 700
"""Charts are redrawn at this width for printing (an A4 or Letter page with margins)."""

PRINT_SCRIPT = (
    "(function(){if(!window.Plotly)return;var W=" + str(PRINT_WIDTH_PX) + ",on=false;"
    "function plots(){return [].slice.call(document.querySelectorAll('.js-plotly-plot'));}"
    "function print(yes){if(yes===on)return;on=yes;plots().forEach(function(gd){"
    "if(yes)gd._atlasHeight=gd.layout.height;"
    "Plotly.relayout(gd,yes?{width:W}:{width:null,height:gd._atlasHeight});"
    "});}"
    "window.addEventListener('beforeprint',function(){print(true);});"
    "window.addEventListener('afterprint',function(){print(false);});"
    "var m=window.matchMedia('print');(m.addEventListener?m.addEventListener('change',"
    "function(e){print(e.matches);}):m.addListener(function(e){print(e.matches);}));})();"
)
"""Redraw the charts at the paper's width before printing (and back after), so no legend or
axis is cut off at the page's edge."""

VIEW_LINK_SCRIPT = (files("helpers") / "assets" / "view-link.js").read_text(encoding="utf-8")
"""Links that keep the chosen view: the page's ``#hash`` holds each plotly menu's and slider's
choice (``#growth.place=India&users-map.year=2020``), applied on load and rewritten as the
reader changes them, with a "Copy link to this view" button in the navigation bar."""


BUNDLES = ("lean", "full")
"""The plotly.js a page can carry: ``lean``, the atlas's partial bundle of the trace types
its reports draw (``helpers/assets/plotly-atlas.min.js``, about 1.1 MB; rebuilt by
``make plotly-bundle``), or ``full``, plotly.py's whole plotly.min.js (about 4.8 MB)."""
LEAN_BUNDLE = ASSETS_DIR / "plotly-atlas.min.js"
LEAN_MANIFEST = ASSETS_DIR / "plotly-atlas.json"


@cache
def lean_manifest() -> dict[str, Any]:
    """What the lean bundle holds: its plotly.js version, trace types, sha256 and size."""
    return json.loads(LEAN_MANIFEST.read_text(encoding="utf-8"))


@cache
def plotlyjs(bundle: str = "lean") -> str:
    """plotly.js for a page, offline (no CDN): the lean bundle or plotly.py's full one (see
    :data:`BUNDLES`). A lean bundle of another plotly.js version than plotly.py's gives the
    full one, with a warning: figures are drawn by the plotly.js they were made for."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    if bundle not in BUNDLES:
        raise ValueError(f"plotly.js bundle {bundle!r}: expected one of {', '.join(BUNDLES)}")
    if bundle == "lean":
        lean, embedded = lean_manifest()["plotlyjs_version"], get_plotlyjs_version()
        if lean == embedded:
            return LEAN_BUNDLE.read_text(encoding="utf-8")
        warnings.warn(f"the lean plotly.js bundle is plotly.js {lean} but plotly.py embeds "
                      f"{embedded}: pages get the full bundle until `make plotly-bundle` "
                      "rebuilds it", stacklevel=2)
    return get_plotlyjs()


@dataclass(frozen=True)
class Scripts:
    """How a page gets plotly.js and the world map: inline, or from files beside the pages
    (``src`` paths relative to the page), or not at all; ``bundle`` says which plotly.js is
    inlined (:data:`BUNDLES`)."""

    plotly: str = "inline"  # "inline", "none" or a relative path to plotly.min.js
    geo: str = "none"  # "inline", "none" or a relative path to the world map script
    bundle: str = "lean"  # "lean" or "full"

    def __post_init__(self) -> None:
        if self.bundle not in BUNDLES:
            raise ValueError(f"plotly.js bundle {self.bundle!r}: expected one of "
                             f"{', '.join(BUNDLES)}")

    def head(self) -> str:
        """The <script> elements of the page's head."""
        parts = []
        for kind, where, inline in (("plotly", self.plotly, lambda: plotlyjs(self.bundle)),
                                    ("geo", self.geo, geo_assets_js)):
            if where == "inline":
                parts.append(f"<script>{inline()}</script>")
            elif where != "none":
                parts.append(f'<script src="{html.escape(where)}" charset="utf-8" '
                             f'data-atlas="{kind}"></script>')
        return "\n".join(parts)


def shell(title: str, body: str, nav: str, footer: str, scripts: Scripts = Scripts()) -> str:
    """A whole HTML page."""
    tail = (f"<script>{PRINT_SCRIPT}</script>\n<script>{VIEW_LINK_SCRIPT}</script>\n"
            if scripts.plotly != "none" else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n{scripts.head()}\n"
        f"</head>\n<body>\n{nav}\n<main>\n{body}\n</main>\n<footer>{footer}</footer>\n{tail}"
        "</body>\n</html>\n")


def nav(links: Sequence[tuple[str, str]], current: str | None, prefix: str = "") -> str:
    """The navigation bar: the index, then ``links`` (file name, title); ``prefix`` leads
    from the page's folder to the reports' folder (``../`` for the place profiles)."""
    items = [f'<a href="{prefix}index.html"' + (' class="current"' if current == "index.html"
                                                 else "") + ">TikTok Growth Atlas</a>"]
    for filename, title in links:
        cls = ' class="current"' if filename == current else ""
        items.append(f'<a href="{html.escape(prefix + filename)}"{cls}>{html.escape(title)}</a>')
    return '<header class="atlas-nav">' + "".join(items) + "</header>"


def figure_html(fig: object, div_id: str) -> str:
    """A plotly figure as a <div> and script, without plotly.js (the page loads it once)."""
    import plotly.io as pio

    return pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
                       auto_play=False, config={"displaylogo": False, "responsive": True})
