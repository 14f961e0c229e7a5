"""The event timeline and the regulatory pressure index (heatmap, and against users)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from helpers import formatting
from helpers.figures.common import (
    empty_figure,
    esc,
    geo_labels,
    groups,
    make_figure,
    with_event_style,
    with_hover,
)
from helpers.figures.style import TEMPLATE


def timeline_figure(events: pd.DataFrame, *, title: str | None = None,
                    controls: bool = False) -> go.Figure:
    """Events as markers: place by date, coloured by type, citation on hover. ``controls``
    adds a menu of event types (static pages)."""
    title = esc(title or "Regulatory and business events, by place and date")
    if events.empty:
        return empty_figure("No events match this selection.", title)
    events = with_hover(events).sort_values("date")
    events = with_event_style(events)
    order = events.groupby("_label")["date"].count().sort_values(kind="stable").index.tolist()
    traces, labels = [], []
    columns = ["date", "_label", "_title", "_when", "_subdiv", "_auth", "_status", "_src",
               "_money", "_type", "_colour", "_symbol"]
    for (etype,), g in groups(events, ["event_type"], columns):
        name = str(g["_type"][0])
        labels.append(name)
        traces.append(dict(
            type="scatter", x=g["date"], y=g["_label"], mode="markers", name=name,
            marker=dict(size=10, color=str(g["_colour"][0]), symbol=str(g["_symbol"][0]),
                        line=dict(width=0.5, color="#333")),
            customdata=np.column_stack([g[c] for c in columns[2:9]]),
            meta={"kind": "events", "event_type": etype},
            hovertemplate=("<b>%{customdata[0]}</b><br>%{y} %{customdata[2]} · %{customdata[1]}"
                           "<br>%{customdata[3]} · now: %{customdata[4]} %{customdata[6]}"
                           "<br>%{customdata[5]}<extra>" + name + "</extra>")))
    layout = dict(template=TEMPLATE, title=dict(text=title),
                  height=max(420, 22 * len(order) + 180),
                  xaxis=dict(title=dict(text="event date")),
                  yaxis=dict(title=dict(text=""), categoryorder="array", categoryarray=order,
                             automargin=True, tickmode="array", tickvals=order, ticktext=order))
    if controls and len(traces) > 1:
        buttons = [dict(label="All event types", method="restyle", args=[{"visible": True}])]
        for i, label in enumerate(labels):
            buttons.append(dict(label=label, method="restyle",
                                args=[{"visible": [j == i for j in range(len(labels))]}]))
        layout["updatemenus"] = [dict(buttons=buttons, direction="down", x=1.0, xanchor="right",
                                      y=1.08, yanchor="bottom", name="event type")]
    return make_figure(traces, layout)


def pressure_heatmap(pressure: pd.DataFrame, *, title: str | None = None,
                     top: int | None = 30) -> go.Figure:
    """Heatmap of the pressure index: place by period (darker = more pressure)."""
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
    heat = dict(
        type="heatmap", z=grid[order], x=list(cols), y=list(rows[order]),
        colorscale=get_colorscale("OrRd"),
        customdata=counts[order], colorbar=dict(title=dict(text="points")),
        meta={"kind": "pressure"},
        hovertemplate="<b>%{y}</b>, %{x}<br>pressure %{z:.1f} points<br>%{customdata} events"
                      "<extra></extra>")
    return make_figure(heat, layout=dict(
        template=TEMPLATE, title=dict(text=title), height=max(380, 20 * len(order) + 160),
        xaxis=dict(title=dict(text="period"), type="category"),
        yaxis=dict(title=dict(text=""), automargin=True)))


def pressure_scatter(table: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Total pressure against the latest user figure per place (log users axis)."""
    title = esc(title or "Regulatory pressure against TikTok users")
    if table.empty:
        return empty_figure("No place has both user figures and regulatory events here.", title)
    table = with_hover(table)
    custom = np.column_stack([table["date"].dt.strftime("%b %Y"), table["_metric"],
                              table["_src"], table["users"].map(formatting.number)])
    points = dict(
        type="scatter", x=table["pressure"].to_numpy(), y=table["users"].to_numpy(),
        mode="markers+text",
        text=table["_label"].to_numpy(),
        textposition="top center", marker=dict(size=11, color="#e4572e"), customdata=custom,
        meta={"kind": "pressure_users"},
        hovertemplate=("<b>%{text}</b><br>pressure %{x:.1f} points<br>%{customdata[3]} users "
                       "(%{customdata[1]}, %{customdata[0]})<br>%{customdata[2]}"
                       "<extra></extra>"))
    return make_figure(points, layout=dict(
        template=TEMPLATE, title=dict(text=title),
        xaxis=dict(title=dict(text="regulatory pressure (index points, whole period)")),
        yaxis=dict(title=dict(text="people (latest figure, log scale)"), type="log")))
