"""Users over time (with regulatory events and restriction ranges) and who says how many."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import formatting, metrics
from helpers.figures.common import (
    empty_figure,
    esc,
    groups,
    make_figure,
    with_event_style,
    with_hover,
    with_series_style,
)
from helpers.figures.style import TEMPLATE, Y_MODES, rgba

SERIES_COLUMNS = ("_label", "metric", "product", "segment", "claim_type")
"""What one growth line joins: a place, metric, product, segment and claim type
(``metrics.LINE_KEYS``, by place name)."""


def _y_text(values: np.ndarray, y: str) -> np.ndarray:
    fmt = formatting.percent if y in ("share_pct", "change_pct") else formatting.number
    return np.array([fmt(v) for v in values], dtype=object)


def growth_figure(users: pd.DataFrame, events: pd.DataFrame | None = None, *,
                  episodes: pd.DataFrame | None = None, y: str = "value", log_y: bool = False,
                  title: str | None = None, controls: bool = False) -> go.Figure:
    """Users over time: one line per series (place, product, metric, segment) and claim
    type, so that a line joins only comparable figures; regulatory events overlaid.

    ``users`` carries the source columns and ``geo_name``; ``y`` is ``value``,
    ``share_pct`` or ``change_pct``. ``episodes`` (``Atlas.episodes``) become shaded date
    ranges with hover (an episode whose end is not sourced is hatched and stops at its last
    confirmation); other events become markers along the top. ``controls`` adds a menu of
    places and range buttons for static pages (markers and ranges are then split per place).
    """
    title = esc(title or "TikTok users over time")
    if users.empty:
        return empty_figure("No user figures match this selection.", title)
    users = with_hover(users).sort_values("date")
    users = with_series_style(users)
    traces: list[dict] = []
    unit = Y_MODES.get(y, "")
    columns = ["date", y, "geo", "_day", "_claim", "_src", "_stitle", "_fmt", "_metric",
               "_segment", "_symbol", "product"]
    keys = [k for k in SERIES_COLUMNS if k in users]
    for key, g in groups(users, keys, columns):
        named = dict(zip(keys, key, strict=True))
        name = series_name(named["_label"], str(g["_metric"][0]), str(g["_segment"][0]),
                           named.get("product", "tiktok"), str(g["_claim"][0]))
        traces.append(dict(
            type="scatter", x=g["date"], y=g[y], mode="lines+markers", name=name,
            marker=dict(symbol=str(g["_symbol"][0]), size=8),
            customdata=np.column_stack([g["_day"], g["_claim"], g["_src"], g["_stitle"],
                                        g["_fmt"], _y_text(g[y], y)]),
            meta={"geo": str(g["geo"][0]), "kind": "users"},
            hovertemplate=(f"<b>{name}</b><br>%{{customdata[5]}} {unit}"
                           "<br>as of %{customdata[0]}"
                           "<br>%{customdata[1]} · %{customdata[2]}"
                           "<br><i>%{customdata[3]}</i><extra></extra>")))
    if episodes is not None and not episodes.empty:
        traces += episode_ranges(episodes)
    if events is not None and not events.empty:
        traces += event_markers(events, per_geo=controls)
    layout = dict(
        template=TEMPLATE, title=dict(text=title), height=560,
        yaxis=dict(title=dict(text=unit or y), type="log" if log_y else "linear",
                   rangemode="tozero" if not log_y and y != "change_pct" else "normal"),
        yaxis2=dict(overlaying="y", range=[0, 1.05], visible=False, fixedrange=True),
        xaxis=dict(title=dict(text="as-of date")),
        legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top",
                    font=dict(size=11)),
        margin=dict(r=20, b=60))
    if controls:
        layout["updatemenus"] = _geo_menu(traces)
        layout["xaxis"]["rangeselector"] = dict(buttons=[
            dict(count=3, label="3y", step="year", stepmode="backward"),
            dict(count=5, label="5y", step="year", stepmode="backward"),
            dict(step="all", label="all")])
    return make_figure(traces, layout)


def series_name(place: str, metric: str, segment: str = "", product: str = "tiktok",
                claim: str = "") -> str:
    """'Place: metric (segment, product) · claim type': the name of one growth line."""
    name = f"{place}: {metric}"
    extra = [segment] if segment not in ("all ages", "") and segment not in name else []
    if product != "tiktok":
        extra.append(product.replace("_", " "))
    if extra:
        name += f" ({', '.join(extra)})"
    return f"{name} · {claim}" if claim else name


EPISODE_NOTES = {
    "ended": "ended {end}",
    "in force": "in force, no end reported",
    "end not sourced": "end not sourced: last confirmed {last}",
}


def episode_ranges(episodes: pd.DataFrame) -> list[dict]:
    """Nationwide restriction episodes that took effect, as shaded ranges with hover (filled
    scatter traces on the hidden top axis): solid to a sourced end or, for a measure in
    force, to the data's as-of date; hatched up to the last confirmation when the end is not
    sourced. A measure that never took effect is not drawn. One trace per episode."""
    eps = episodes[(episodes["scope_kind"] == "nationwide") & episodes["in_force"].astype(bool)]
    traces, shown = [], set()
    for row in eps.sort_values("start").itertuples():
        x1 = row.end if pd.notna(row.end) else row.last_confirmed
        kind = str(getattr(row, "event_type_label", None) or row.event_type).replace("_", " ")
        unsourced = row.status == "end not sourced"
        label = f"{kind}{' (end not sourced)' if unsourced else ''}"
        note = EPISODE_NOTES.get(str(row.status), str(row.status)).format(
            end=formatting.day(row.end) if pd.notna(row.end) else "",
            last=formatting.day(row.last_confirmed, "month"))
        place = esc(getattr(row, "geo_name", None) or row.geo)
        source = esc(getattr(row, "source_publisher", "") or "")
        status = metrics.STATUS_OF_ROLE.get(str(getattr(row, "restriction", "")), kind)
        text = (f"<b>{place}: {esc(status)}</b>"
                f"<br>from {formatting.day(row.start)} · {esc(note)}<br>{esc(row.title)}"
                f"<br>{source}")
        colour = str(getattr(row, "event_colour", None) or "#b2182b")
        trace = dict(
            type="scatter", x=[row.start, row.start, x1, x1, row.start], y=[0, 1, 1, 0, 0],
            yaxis="y2", mode="lines", fill="toself", hoveron="fills", text=text,
            hoverinfo="text", line=dict(width=0.5 if unsourced else 0, color=colour),
            fillcolor=rgba(colour, 0.10 if unsourced else 0.16),
            name=label, legendgroup=f"episode:{label}", showlegend=label not in shown,
            meta={"kind": "episode", "geo": str(row.geo), "status": str(row.status),
                  "episode_id": str(row.episode_id)})
        if unsourced:
            trace["fillpattern"] = dict(shape="/", fgcolor=colour, fgopacity=0.4)
        traces.append(trace)
        shown.add(label)
    return traces


def event_markers(events: pd.DataFrame, per_geo: bool) -> list[dict]:
    """Regulatory events as markers along the top (hidden second axis), one trace per type,
    or per place and type when a menu must filter them by place."""
    events = with_hover(events).sort_values("date")
    events = with_event_style(events)
    keys = ["geo", "event_type"] if per_geo else ["event_type"]
    columns = ["date", "_title", "_label", "_when", "_auth", "_src", "_stitle", "_type",
               "_colour", "_symbol"]
    traces, shown = [], set()
    for key, g in groups(events, keys, columns):
        geo, etype = key if per_geo else (None, key[0])
        name = str(g["_type"][0])
        traces.append(dict(
            type="scatter", x=g["date"], y=np.ones(len(g["date"])), yaxis="y2",
            mode="markers", name=name, showlegend=etype not in shown,
            marker=dict(size=11, color=str(g["_colour"][0]), symbol=str(g["_symbol"][0]),
                        line=dict(width=1, color="#333")),
            customdata=np.column_stack([g[c] for c in columns[1:7]]),
            meta={"kind": "events", "event_type": etype, "geo": geo},
            legendgroup=f"event:{etype}",
            legendgrouptitle=dict(text="regulatory events") if not shown else None,
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]}"
                           "<br>%{customdata[3]}<br>%{customdata[4]}"
                           "<br><i>%{customdata[5]}</i><extra>" + name + "</extra>")))
        shown.add(etype)
    return traces


def _geo_menu(traces: list[dict]) -> list[dict]:
    """A menu showing every place's lines, ranges and event markers, or one place's; no menu
    for a single place."""
    geos: list[str] = []
    labels: dict[str, str] = {}
    for trace in traces:
        meta = trace.get("meta") or {}
        if meta.get("kind") == "users" and meta["geo"] not in geos:
            geos.append(meta["geo"])
            labels[meta["geo"]] = str(trace["name"]).split(":")[0]
    if len(geos) < 2:
        return []
    buttons = [dict(label="All places", method="update", args=[{"visible": True}])]
    for geo in geos:
        visible = [(t.get("meta") or {}).get("geo") == geo for t in traces]
        buttons.append(dict(label=labels[geo], method="update", args=[{"visible": visible}]))
    return [dict(buttons=buttons, direction="down", x=1.0, xanchor="right", y=1.1,
                 yanchor="bottom", showactive=True)]


def claims_figure(users: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Company claims against third-party estimates and press reports for the same place.

    Points of one claim type, metric and segment are joined by a dotted line; figures of
    different definitions (an under-18 subset, an adult ad reach) are never joined."""
    title = esc(title or "Who says how many? Claims by source type")
    if users.empty:
        return empty_figure("No user figures match this selection.", title)
    users = with_hover(users).sort_values("date")
    users = with_series_style(users)
    traces = []
    keys = [k for k in ("claim_type", "metric", "segment") if k in users]
    for _, group in users.groupby([users[k].astype(str) for k in keys], sort=True):
        first = group.iloc[0]
        label = f"{first['_claim']}: {first['_metric']}"
        if first["_segment"] not in ("all ages", ""):
            label += f" ({first['_segment']})"
        traces.append(dict(
            type="scatter", x=group["date"].to_numpy(), y=group["value"].to_numpy(),
            mode="markers+lines" if len(group) > 1 else "markers",
            line=dict(dash="dot", width=1), name=label,
            marker=dict(size=10, symbol=str(first["_symbol"])),
            customdata=group[["_metric", "_src", "_stitle", "_label", "_fmt"]].to_numpy(),
            meta={"kind": "claims", "claim_type": str(first["claim_type"])},
            hovertemplate=("<b>%{customdata[3]}</b>: %{customdata[4]} people "
                           "(%{customdata[0]})<br>as of %{x|%b %Y} · " + label +
                           "<br>%{customdata[1]}<br><i>%{customdata[2]}</i><extra></extra>")))
    return make_figure(traces, layout=dict(
        template=TEMPLATE, title=dict(text=title), xaxis=dict(title=dict(text="as-of date")),
        yaxis=dict(title=dict(text="people"), rangemode="tozero")))
