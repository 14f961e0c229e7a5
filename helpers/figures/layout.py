"""Where things go on a figure, so that it reads on a 1400 px desktop and on a 390 px phone
(the plot div fills the page width; on a phone it is about 340 px wide):

- the top ``BAND`` px are left to plotly's modebar (top right, shown on hover or tap);
- the title sits under it, wrapped by hand (plotly never wraps a title), with a trailing
  remark in parentheses as a smaller second line;
- menus sit on the left between the title and the plot (``menu``), each in its own row;
- the legend is horizontal at the bottom of the figure (container coordinates: plotly keeps
  the plot, its tick labels and axis titles clear of it), and colour bars lie horizontally
  under the plot;
- the figure's height is the plot's height plus all of that, the legend counted with the
  rows it needs on a phone, so the plot keeps its height at any width;
- the margins are reserved up front for the text they hold (tick labels, axis titles, the
  legend at a desktop width), a little generously: plotly's automargin stays on as the safety
  net, but when nothing needs more room than reserved, plotly draws the figure once instead of
  drawing it, widening the margins and drawing it again (about 0.1 s a page in Chromium).

Pure functions of texts and counts; no figure is built here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from helpers import formatting

BAND = 34
"""px at the top of every figure kept free for plotly's modebar."""
TITLE_FONT, TITLE_LINE, TITLE_CHARS = 15, 20, 46
NOTE_FONT, NOTE_LINE, NOTE_CHARS = 12, 20, 56
TITLE_PAD = 12
"""px more than the band in the title's ``pad.t``: plotly.js starts the text that much higher."""
MENU_ROW = 32
"""px of one row of menus (a dropdown, range buttons) above the plot."""
PHONE = 340
"""px: the narrowest figure the sizes are computed for."""
LEGEND_FONT, LEGEND_ROW, LEGEND_CHAR, LEGEND_ITEM = 12, 20, 6.2, 42
AXIS_BELOW = 50
"""px below the plot for the x tick labels and one line of axis title."""
AXIS_TITLE_CHARS = 44
COLOURBAR = 58
"""px of a horizontal colour bar with its title and tick labels."""
DESKTOP = 976
"""px: the figure width the bottom margin is reserved for (a chapter's charts are 976 px wide
in a 1024 px window, 1132 px in a wider one); a narrower figure whose legend takes more rows
widens the margin itself."""
CHAR_EM = 0.62
"""Width of an average character in em, generous: plotly's fonts fall back to Verdana (or
DejaVu Sans, about as wide) or Arial, and a label estimated too narrow costs a redraw."""
AXIS_PAD = 36
"""px between the widest y tick label and the figure's edge: tick, padding and the axis
title (measured 34 to 35 in Chromium)."""
SLACK = 4
"""px more than the estimate in the reserved margins."""
LABEL_CHARS = 24
"""Category labels (places on a y axis) longer than this are shortened; hover has all."""

MODEBAR = {"remove": ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d",
                      "hoverClosestGeo", "hoverClosestCartesian", "hoverCompareCartesian",
                      "toggleSpikelines"]}
"""A short modebar (download, zoom, pan, reset; zoom buttons on maps): it fits the band."""


def _phrases(text: str) -> list[str]:
    """``text`` cut after commas and before parentheses (the places a line may break)."""
    return [p for p in re.split(r"(?<=,) | (?=\()", text) if p]


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken after a comma or before a
    parenthesis where it can, else between words (a longer word keeps its line)."""
    lines: list[str] = []
    for phrase in _phrases(text):
        words = [phrase] if len(phrase) <= width else phrase.split(" ")
        for word in words:
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
    return lines or [""]


def _split_note(text: str, shortest: int = 12) -> tuple[str, str]:
    """A title's main text and its trailing remark in parentheses (or "") when the main text
    has at least ``shortest`` characters."""
    match = re.fullmatch(r"(.*\S)\s+(\([^()]*\))", text.strip())
    if match and len(match.group(1)) >= shortest:
        return match.group(1), match.group(2)
    return text.strip(), ""


def title(text: str) -> tuple[dict, int]:
    """The layout title for ``text`` (escaped already; ``<br>`` kept) under the modebar's
    band, and the px it takes."""
    parts = [p.strip() for p in re.split(r"<br\s*/?>", text or "")]
    main, note = _split_note(" ".join(p for p in parts[:1] if p))
    notes = [n for n in [note, *parts[1:]] if n]
    lines = wrap(main, TITLE_CHARS) if main else []
    small = [line for n in notes for line in wrap(re.sub(r"</?(sup|sub)>", "", n),
                                                   NOTE_CHARS)]
    body = "<br>".join(lines + [f'<span style="font-size:{NOTE_FONT}px">{s}</span>'
                                for s in small])
    height = len(lines) * TITLE_LINE + len(small) * NOTE_LINE
    return (dict(text=body, x=0.01, xanchor="left", xref="container", y=1, yanchor="top",
                 yref="container", pad=dict(t=BAND + TITLE_PAD), font=dict(size=TITLE_FONT),
                 automargin=False), height)


def top_margin(title_px: int, menu_rows: int = 0) -> int:
    """px above the plot: modebar band, title, menu rows and a gap."""
    return BAND + title_px + menu_rows * MENU_ROW + 14


def _visible_length(text: str) -> int:
    lines = re.split(r"<br\s*/?>", text)
    return max(len(re.sub(r"<[^>]+>|&[a-z]+;", "x", line)) for line in lines)


def legend_rows(names: Iterable[str], width: int = PHONE) -> int:
    """Rows (in entry lines) a horizontal legend of ``names`` takes in ``width`` px: plotly
    puts them on one row when they fit, else in columns as wide as the widest entry."""
    names = [str(n) for n in names]
    if not names:
        return 0
    widths = [LEGEND_ITEM + LEGEND_CHAR * _visible_length(n) for n in names]
    lines = [len(re.split(r"<br\s*/?>", n)) for n in names]
    if sum(widths) + 5 * len(widths) < width:
        return max(lines)
    columns = max(1, int(width // (max(widths) + 5)))
    return sum(max(lines[i:i + columns]) for i in range(0, len(names), columns))


def legend_height(names: Sequence[str], width: int = PHONE) -> int:
    """px of the legend of ``names`` at ``width`` (0 without entries)."""
    rows = legend_rows(names, width)
    return rows * LEGEND_ROW + 12 if rows else 0


def legend() -> dict:
    """A horizontal legend at the bottom of the figure, below the x axis title."""
    # just left of and below the container's edge: plotly then lets a legend below the plot
    # use the plot's width and its left margin before it starts a new row
    return dict(orientation="h", xref="container", yref="container", x=-0.0001,
                xanchor="left", y=-0.0001, yanchor="bottom", font=dict(size=LEGEND_FONT),
                title=dict(text=""), maxheight=1.0,  # never a scrolling legend
                traceorder="normal", itemsizing="constant", valign="middle")


def label_px(labels: Iterable[str], size: int = 12) -> int:
    """px a column of tick labels takes (the widest, at font ``size``; generous)."""
    longest = max((_visible_length(str(t)) for t in labels), default=0)
    return math.ceil(longest * size * CHAR_EM)


def axis_left(labels: Iterable[str], size: int = 12) -> int:
    """px left of the plot for a y axis with tick labels ``labels`` and its title."""
    return label_px(labels, size) + AXIS_PAD


def frame(title_text: str, plot: int, *, names: Sequence[str] = (), menu_rows: int = 0,
          below: int = AXIS_BELOW, extra: int = 0, left: int = 70) -> dict:
    """Layout keys for a figure whose plot area is ``plot`` px high: ``height``, ``margin``,
    ``title``, ``legend`` (for legend entries ``names``), ``modebar``. ``below``: px under
    the plot for its x axis; ``extra``: px for anything else under it (colour bar, slider);
    ``left``: px of the y axis' labels and title (``axis_left``). The margins are reserved
    for all of that, with the legend's rows at ``DESKTOP`` width."""
    head, title_px = title(title_text)
    top = top_margin(title_px, menu_rows)
    bottom = below + extra + legend_height(names, PHONE - left - 20)
    reserved = below + extra + legend_height(names, DESKTOP - 20) + SLACK
    return dict(height=int(top + plot + bottom + 10), title=head, legend=legend(),
                showlegend=bool(names), modebar=MODEBAR,
                margin=dict(t=top, b=reserved, l=left, r=20, autoexpand=True))


def axis_title(text: str) -> tuple[str, int]:
    """An axis title wrapped for a phone, and its number of lines."""
    lines = wrap(text, AXIS_TITLE_CHARS)
    return "<br>".join(lines), len(lines)


def menu(buttons: list[dict], *, row: int = 0, **options: object) -> dict:
    """A dropdown on the left above the plot, in menu row ``row`` counted up from the plot
    (row 0 touches the plot's top)."""
    return dict(buttons=buttons, direction="down", type="dropdown", x=0, xanchor="left",
                y=1, yanchor="bottom", pad=dict(b=4 + row * MENU_ROW, t=0, l=0, r=0),
                showactive=True, font=dict(size=12), bgcolor="white",
                bordercolor="#9aa5b1", **options)


def short_label(text: str, width: int = LABEL_CHARS) -> str:
    """A category label short enough for a phone's axis: a trailing remark in parentheses
    dropped first, then cut at a word with an ellipsis."""
    text = str(text)
    if len(text) <= width:
        return text
    main, note = _split_note(text, shortest=2)
    if note and len(main) <= width:
        return main
    cut = text[:width - 1].rsplit(" ", 1)[0] if " " in text[:width - 1] else text[:width - 1]
    return cut.rstrip(",;:· ") + "…"


def axis_ticks(low: float, high: float, *, log: bool = False, kind: str = "number") -> dict:
    """``tickvals``/``ticktext`` for an axis spanning ``low`` to ``high`` in data units
    (``formatting.ticks``), or {} when there is nothing to span."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return {}
    values, text = formatting.ticks(low, high, log=log, kind=kind)
    return dict(tickmode="array", tickvals=values, ticktext=text) if values else {}


def colourbar(title_text: str, plot: int, *, below: int = 8, ticks: dict | None = None
              ) -> dict:
    """A horizontal colour bar ``below`` px under a plot ``plot`` px high (paper
    coordinates: the figure's margins must not move, ``margin.autoexpand`` False)."""
    bar = dict(orientation="h", xref="paper", yref="paper", x=0.5, xanchor="center",
               y=-below / plot, yanchor="top", len=0.9, lenmode="fraction",
               thickness=12, ypad=0, xpad=0,
               title=dict(text=title_text, side="top", font=dict(size=12)),
               tickfont=dict(size=11), outlinewidth=0)
    return {**bar, **(ticks or {})}
