"""The event timeline and the regulatory pressure index (heatmap, and against users)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from helpers import formatting
from helpers.figures import layout
from helpers.figures.common import (
    empty_figure,
    esc,
    event_marker,
    geo_labels,
    groups,
    make_figure,
    with_event_style,
    with_hover,
)
from helpers.figures.style import TEMPLATE

TIMELINE_ROW, HEAT_ROW = 22, 20
"""px per place of the timeline and of the pressure heatmap."""
SCATTER_PLOT, LABELLED = 340, 5
"""px of the pressure scatter; how many of its points are named (the most pressured)."""


def _counts(label: str, events: int, places: int) -> str:
    """'Ban: 9 events in 7 places'."""
    head = label[:1].upper() + label[1:]
    return (f"{head}: {formatting.plural(events, 'event')} in "
            f"{formatting.plural(places, 'place')}")


def _timeline_view(title: str, places: list[str], names: list[str], menus: int) -> dict:
    """Height, margins, title and place axis of the timeline showing ``places`` (top row
    last) and legend entries ``names``."""
    labels = [layout.short_label(p) for p in places]
    frame = layout.frame(title, TIMELINE_ROW * len(places) + 12, names=names,
                         menu_rows=menus, left=layout.axis_left(labels))
    return dict(frame, yaxis=dict(
        title=dict(text=""), categoryorder="array", categoryarray=places,
        range=[-0.5, len(places) - 0.5], automargin=True, tickmode="array", tickvals=places,
        ticktext=labels))


def _type_menu(events: pd.DataFrame, traces: list[dict], title: str) -> list[dict]:
    """A menu of event types: each option shows one type, only the places that have it, and
    says how many (``Ban: 9 events in 7 places``) in the title."""
    types = [t["meta"]["event_type"] for t in traces]

    def option(label: str, chosen: pd.DataFrame, visible: list[bool], head: str) -> dict:
        places = _place_order(chosen)
        names = [t["name"] for t, v in zip(traces, visible, strict=True) if v]
        view = _timeline_view(head, places, names, 1)
        relayout = {"height": view["height"], "title.text": view["title"]["text"],
                    **{f"margin.{side}": view["margin"][side] for side in "tlb"}}
        relayout.update({f"yaxis.{k}": v for k, v in view["yaxis"].items() if k != "title"})
        return dict(label=label, method="update", args=[{"visible": visible}, relayout])

    buttons = [option("All event types", events, [True] * len(traces),
                      _all_title(events, title))]
    codes = events["event_type"].astype(str)
    for i, trace in enumerate(traces):
        chosen = events[codes == types[i]]
        head = _counts(trace["name"], len(chosen), chosen["_label"].nunique()) + "<br>" + title
        buttons.append(option(trace["name"], chosen, [j == i for j in range(len(traces))],
                              head))
    return [layout.menu(buttons, name="event type")]


def _all_title(events: pd.DataFrame, title: str) -> str:
    """The timeline's title with its counts under it."""
    return title + "<br>" + _counts("all types", len(events), events["_label"].nunique())


def _place_order(events: pd.DataFrame) -> list[str]:
    """Places by number of events (most at the top: categories are drawn bottom up)."""
    return events.groupby("_label")["date"].count().sort_values(kind="stable").index.tolist()


def timeline_figure(events: pd.DataFrame, *, title: str | None = None,
                    controls: bool = False) -> go.Figure:
    """Events as markers: place by date, coloured by type, citation on hover. ``controls``
    adds a menu of event types (static pages): an option shows that type's places only and
    counts them in the title."""
    title = esc(title or "Regulatory and business events, by place and date")
    if events.empty:
        return empty_figure("No events match this selection.", title)
    events = with_hover(events).sort_values("date")
    events = with_event_style(events)
    traces = []
    columns = ["date", "_label", "_title", "_when", "_subdiv", "_auth", "_status", "_src",
               "_money", "_type", "_colour", "_symbol"]
    for (etype,), g in groups(events, ["event_type"], columns):
        name = str(g["_type"][0])
        traces.append(dict(
            type="scatter", x=g["date"], y=g["_label"], mode="markers", name=name,
            marker=event_marker(str(g["_colour"][0]), str(g["_symbol"][0]), size=10),
            customdata=np.column_stack([g[c] for c in columns[2:9]]),
            meta={"kind": "events", "event_type": etype},
            hovertemplate=("<b>%{customdata[0]}</b><br>%{y} %{customdata[2]} · %{customdata[1]}"
                           "<br>%{customdata[3]} · now: %{customdata[4]} %{customdata[6]}"
                           "<br>%{customdata[5]}<extra>" + name + "</extra>")))
    menus = _type_menu(events, traces, title) if controls and len(traces) > 1 else []
    view = _timeline_view(_all_title(events, title) if menus else title,
                          _place_order(events), [t["name"] for t in traces], len(menus))
    if menus:
        view["updatemenus"] = menus
    return make_figure(traces, dict(
        template=TEMPLATE, **view, hovermode="closest",
        xaxis=dict(title=dict(text="event date"), automargin=True)))


def pressure_heatmap(pressure: pd.DataFrame, *, title: str | None = None,
                     top: int | None = 30) -> go.Figure:
    """Heatmap of the pressure index: place by period (darker = more pressure), its colour
    bar under the plot."""
    title = esc(title or "Regulatory pressure index by place and period")
    if pressure.empty or pressure["pressure"].sum() == 0:
        return empty_figure("No regulatory events in this selection.", title)
    labels = geo_labels(pressure).to_numpy()
    periods = pressure["period"].astype(str).to_numpy()
    rows, row_pos = np.unique(labels, return_inverse=True)
    cols, col_pos = np.unique(periods, return_inverse=True)
    grid = np.zeros((len(rows), len(cols)))
    counts = np.zeros((len(rows), len(cols)), dtype=int)
    np.add.at(grid, (row_pos, col_pos), pressure["pressure"].to_numpy(dtype=float))
    np.add.at(counts, (row_pos, col_pos), pressure["events"].to_numpy(dtype=int))
    order = np.lexsort((rows, -grid.sum(axis=1)))[: top or len(rows)][::-1]
    plot = HEAT_ROW * len(order) + 10
    below = HEAT_AXIS + 8
    heat = dict(
        type="heatmap", z=grid[order], x=list(cols), y=list(rows[order]),
        colorscale=get_colorscale("OrRd"), customdata=counts[order],
        colorbar=layout.colourbar("pressure (index points)", plot, below=below,
                                  ticks=layout.axis_ticks(0.0, float(grid.max()),
                                                          kind="points")),
        meta={"kind": "pressure"},
        hovertemplate="<b>%{y}</b>, %{x}<br>pressure %{z:.1f} points<br>%{customdata} events"
                      "<extra></extra>")
    ticktext = [layout.short_label(r) for r in rows[order]]
    frame = layout.frame(title, plot, below=0, extra=below + layout.COLOURBAR,
                         left=layout.axis_left(ticktext))
    frame["margin"].update(b=below + layout.COLOURBAR + 10)
    return make_figure(heat, layout=dict(
        template=TEMPLATE, **frame,
        xaxis=dict(title=dict(text="period"), type="category", automargin=False,
                   tickangle=0 if len(cols) <= 8 else -90, fixedrange=True),
        yaxis=dict(title=dict(text=""), automargin=True, tickmode="array",
                   tickvals=list(rows[order]), ticktext=ticktext)))


HEAT_AXIS = 64
"""px under the heatmap for its period labels (upright from 9 periods on) and axis title."""


POSITIONS = {  # a label's box around its point, in plot fractions: (x0, x1, y0, y1) of w, h
    "top center": (-0.5, 0.5, 0.4, 1.4), "bottom center": (-0.5, 0.5, -1.4, -0.4),
    "middle right": (0.1, 1.1, -0.5, 0.5), "middle left": (-1.1, -0.1, -0.5, 0.5)}
CHAR_WIDTH, LABEL_HEIGHT, POINT = 0.024, 0.05, 0.02
"""A label's character width and height, and a point's size, in fractions of a phone's
plot (about 260 x 340 px)."""


def _box(x: float, y: float, text: str, position: str) -> tuple[float, ...]:
    x0, x1, y0, y1 = POSITIONS[position]
    w, h = CHAR_WIDTH * len(text), LABEL_HEIGHT
    return (x + x0 * w, x + x1 * w, y + y0 * h, y + y1 * h)


def _hits(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def label_positions(x: np.ndarray, y: np.ndarray, named: np.ndarray, texts: list[str]
                    ) -> list[str]:
    """Where each named point's label goes so that labels cover neither each other nor
    other points: above the point, else below, right or left (the least crowded when none
    is free). ``x``, ``y`` in axis units (log10 for a log axis)."""
    def scaled(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        span = float(np.nanmax(v) - np.nanmin(v)) if len(v) else 0.0
        return (v - np.nanmin(v)) / span if span else np.zeros(len(v))

    xs, ys = scaled(x), scaled(y)
    dots = [(px - POINT, px + POINT, py - POINT, py + POINT) for px, py in zip(xs, ys,
                                                                               strict=True)]
    placed: list[tuple[float, ...]] = []
    out = ["top center"] * len(xs)
    for i in np.flatnonzero(named):
        others = placed + [d for j, d in enumerate(dots) if j != i]
        boxes = {p: _box(xs[i], ys[i], texts[i], p) for p in POSITIONS}
        best = min(POSITIONS, key=lambda p: (sum(_hits(boxes[p], o) for o in others),
                                             list(POSITIONS).index(p)))
        out[i] = best
        placed.append(boxes[best])
    return out


def pressure_scatter(table: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Total pressure against the latest user figure per place (log users axis); the most
    pressured places are named, every point on hover."""
    title = esc(title or "Regulatory pressure against TikTok users")
    if table.empty:
        return empty_figure("No place has both user figures and regulatory events here.", title)
    table = with_hover(table)
    custom = np.column_stack([table["date"].dt.strftime("%b %Y"), table["_metric"],
                              table["_src"], table["users"].map(formatting.number),
                              table["_label"]])
    named = table["pressure"].rank(method="first", ascending=False) <= LABELLED
    users = table["users"].to_numpy(dtype=float)
    pressure = table["pressure"].to_numpy(dtype=float)
    points = dict(
        type="scatter", x=pressure, y=users, mode="markers+text",
        text=np.where(named.to_numpy(), table["_label"].to_numpy(), ""),
        textposition=label_positions(pressure, np.log10(np.clip(users, 1, None)),
                                     named.to_numpy(), table["_label"].astype(str).tolist()),
        textfont=dict(size=11), cliponaxis=False,
        marker=dict(size=11, color="#e4572e", line=dict(width=0.75, color="white")),
        customdata=custom, meta={"kind": "pressure_users"},
        hovertemplate=("<b>%{customdata[4]}</b><br>pressure %{x:.1f} points"
                       "<br>%{customdata[3]} users (%{customdata[1]}, %{customdata[0]})"
                       "<br>%{customdata[2]}<extra></extra>"))
    x_title, x_lines = layout.axis_title("regulatory pressure (index points, whole period)")
    positive = users[users > 0]
    y_ticks = (layout.axis_ticks(float(positive.min()), float(positive.max()), log=True)
               if len(positive) else {})
    return make_figure(points, layout=dict(
        template=TEMPLATE, **layout.frame(title, SCATTER_PLOT,
                                          below=layout.AXIS_BELOW + 24 * (x_lines - 1),
                                          left=layout.axis_left(y_ticks.get("ticktext",
                                                                            ["0000"]))),
        hovermode="closest",
        xaxis=dict(title=dict(text=x_title), automargin=True, rangemode="tozero",
                   **layout.axis_ticks(0.0, float(pressure.max()), kind="points")),
        yaxis=dict(title=dict(text="people (latest figure, log scale)"), type="log",
                   automargin=True, **y_ticks)))
