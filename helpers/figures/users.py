"""Users over time (with regulatory events and restriction ranges) and who says how many."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import formatting, metrics
from helpers.figures import layout
from helpers.figures.common import (
    coded_label,
    empty_figure,
    esc,
    event_marker,
    groups,
    make_figure,
    with_event_style,
    with_hover,
    with_series_style,
)
from helpers.figures.style import PALETTE, TEMPLATE, Y_MODES, rgba

SERIES_COLUMNS = ("_label", "metric", "product", "segment", "claim_type")
"""What one growth line joins: a place, metric, product, segment and claim type
(``metrics.LINE_KEYS``, by place name)."""
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
"""Line dashes of claim types, in the order of the data package's claim types."""
MAIN_PLOT, LANE_ROW, LANE_GAP = 300, 20, 16
"""px: the height of the users plot, of one event row above it and the gap between them."""
LANE_LABEL_CHARS = 16
RANGE_BUTTONS = [dict(count=3, label="3y", step="year", stepmode="backward"),
                 dict(count=5, label="5y", step="year", stepmode="backward"),
                 dict(step="all", label="all")]


def _y_text(values: np.ndarray, y: str) -> np.ndarray:
    fmt = formatting.percent if y in ("share_pct", "change_pct") else formatting.number
    return np.array([fmt(v) for v in values], dtype=object)


def _y_ticks(values: np.ndarray, y: str, log_y: bool) -> dict:
    """Human tick labels (8.5 M, 30 %) for the users axis over ``values``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & ((values > 0) if log_y else True)]
    if not len(values):
        return {}
    low, high = float(values.min()), float(values.max())
    if not log_y and y != "change_pct":
        low = min(low, 0.0)
    kind = "percent" if y in ("share_pct", "change_pct") else "number"
    return layout.axis_ticks(low, high, log=log_y, kind=kind)


def _claim_dashes(users: pd.DataFrame) -> dict[str, str]:
    """The dash of each claim type: by its position in the data package's list (the rows'
    categories) so that a claim type keeps its dash in every selection."""
    claims = users["claim_type"]
    order = (list(claims.cat.categories) if isinstance(claims.dtype, pd.CategoricalDtype)
             else sorted(claims.astype(str).unique()))
    return {str(c): DASHES[i % len(DASHES)] for i, c in enumerate(order)}


def _user_lines(users: pd.DataFrame, y: str) -> list[dict]:
    """One line per series and claim type: colour of its place, symbol and dash of its claim
    type; every line in its place's legend group."""
    unit = Y_MODES.get(y, "")
    columns = ["date", y, "geo", "_day", "_claim", "_src", "_stitle", "_fmt", "_metric",
               "_segment", "_symbol", "product", "claim_type"]
    keys = [k for k in SERIES_COLUMNS if k in users]
    places = sorted(users["geo"].astype(str).unique(),
                    key=lambda g: str(users.loc[users["geo"] == g, "_label"].iloc[0]))
    colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(places)}
    dashes = _claim_dashes(users) if "claim_type" in users else {}
    traces = []
    for key, g in groups(users, keys, columns):
        named = dict(zip(keys, key, strict=True))
        geo, claim = str(g["geo"][0]), str(g["claim_type"][0])
        name = series_name(named["_label"], str(g["_metric"][0]), str(g["_segment"][0]),
                           named.get("product", "tiktok"), str(g["_claim"][0]))
        traces.append(dict(
            type="scatter", x=g["date"], y=g[y], mode="lines+markers", name=name,
            line=dict(color=colours[geo], width=2, dash=dashes.get(claim, "solid")),
            marker=dict(symbol=str(g["_symbol"][0]), size=8, color=colours[geo]),
            customdata=np.column_stack([g["_day"], g["_claim"], g["_src"], g["_stitle"],
                                        g["_fmt"], _y_text(g[y], y)]),
            meta={"geo": geo, "kind": "users", "claim_type": claim,
                  "place": str(named["_label"]), "claim": str(g["_claim"][0])},
            legendgroup=f"geo:{geo}", showlegend=False,
            hovertemplate=(f"<b>{name}</b><br>%{{customdata[5]}} {unit}"
                           "<br>as of %{customdata[0]}"
                           "<br>%{customdata[1]} · %{customdata[2]}"
                           "<br><i>%{customdata[3]}</i><extra></extra>")))
    return traces


def _legend_keys(lines: list[dict]) -> list[dict]:
    """The legend of the users lines: one entry per place (its colour; a click shows or
    hides the place's lines) and one per claim type (its symbol and dash), each only when
    there are several. When a place has several lines of one claim type (other metrics or
    segments), each line is its own entry instead."""
    pairs = [(t["meta"]["geo"], t["meta"]["claim_type"]) for t in lines]
    if len(pairs) != len(set(pairs)):
        _entry_per_line(lines)
        return []
    keys: list[dict] = []
    places = {t["meta"]["geo"]: t for t in lines}
    if len(places) > 1:
        for geo, trace in places.items():
            keys.append(_key(trace["meta"]["place"], f"geo:{geo}", geo, None,
                             line=dict(color=trace["line"]["color"], width=3), mode="lines"))
    claims = {t["meta"]["claim_type"]: t for t in lines}
    if len(claims) > 1:
        for claim, trace in claims.items():
            keys.append(_key(trace["meta"]["claim"], f"claim:{claim}", None, claim,
                             mode="lines+markers",
                             line=dict(color="#52606d", width=2, dash=trace["line"]["dash"]),
                             marker=dict(symbol=trace["marker"]["symbol"], size=8,
                                         color="#52606d")))
    return keys


def _entry_per_line(lines: list[dict]) -> None:
    """Each line its own legend entry and colour, its name on two lines when long (series,
    then claim type)."""
    for i, trace in enumerate(lines):
        name = str(trace["name"])
        if len(name) > LEGEND_LINE_CHARS and " · " in name:
            name = name.replace(" · ", " · <br>", 1)
        colour = PALETTE[i % len(PALETTE)]
        trace.update(name=name, showlegend=True, legendgroup=None)
        trace["line"]["color"] = trace["marker"]["color"] = colour


LEGEND_LINE_CHARS = 34
"""Legend entries longer than this break after the series, before the claim type."""


def _key(name: str, group: str, geo: str | None, claim: str | None, **style: object
         ) -> dict:
    """A legend entry that draws nothing (no point, no hover): of a place or a claim type."""
    return dict(type="scatter", x=[None], y=[None], name=name, legendgroup=group,
                showlegend=True, hoverinfo="skip",
                meta={"kind": "key", "geo": geo, "claim_type": claim}, **style)


def lane_rows(events: pd.DataFrame | None, episodes: pd.DataFrame | None
              ) -> dict[str, tuple[int, str]]:
    """The rows of the events lane: each event type drawn (as markers or ranges) with its
    position (top row highest) and label; bans, blocks and lifts first, then the data
    package's order of event types."""
    frames = [f for f in (events, _drawn_episodes(episodes)) if f is not None and len(f)]
    if not frames:
        return {}
    types: dict[str, tuple[int, int, str]] = {}
    for frame in frames:
        codes = frame["event_type"]
        order = (list(codes.cat.categories) if isinstance(codes.dtype, pd.CategoricalDtype)
                 else [])
        labels = coded_label(frame, "event_type")
        roles = (frame["restriction"].astype("string").fillna("") if "restriction" in frame
                 else pd.Series("", index=frame.index))
        for code, label, role in zip(codes.astype(str), labels, roles, strict=True):
            rank = ROLE_ORDER.get(str(role), len(ROLE_ORDER))
            where = order.index(code) if code in order else len(order)
            types.setdefault(code, (rank, where, str(label)))
    ordered = sorted(types, key=lambda c: (types[c][0], types[c][1], c))
    n = len(ordered)
    return {code: (n - 1 - i, types[code][2]) for i, code in enumerate(ordered)}


ROLE_ORDER = {metrics.BAN: 0, metrics.BLOCK: 1, metrics.LIFT: 2, metrics.PARTIAL: 3}
"""Restriction roles first in the lane, in this order."""


def growth_figure(users: pd.DataFrame, events: pd.DataFrame | None = None, *,
                  episodes: pd.DataFrame | None = None, y: str = "value", log_y: bool = False,
                  title: str | None = None, controls: bool = False,
                  place_titles: Mapping[str, str] | None = None) -> go.Figure:
    """Users over time: one line per series (place, product, metric, segment) and claim
    type, so that a line joins only comparable figures; regulatory events in a lane above.

    ``users`` carries the source columns and ``geo_name``; ``y`` is ``value``,
    ``share_pct`` or ``change_pct``. Lines take their place's colour and their claim type's
    symbol and dash; the legend lists places and claim types. The lane above the plot has a
    row per event type: ``episodes`` (``Atlas.episodes``) are bars from start to end (hatched
    when the end is not sourced, up to the last confirmation), events are markers of their
    type's colour and symbol, with citations on hover; with several places, a bar takes its
    place's colour (a bar alone does not say whose it is). ``controls`` adds a menu of
    places and range buttons for static pages (markers and ranges are then split per place;
    ``place_titles`` gives the title the menu shows for one place).
    """
    title = esc(title or "TikTok users over time")
    if users.empty:
        return empty_figure("No user figures match this selection.", title)
    users = with_series_style(with_hover(users).sort_values("date"))
    traces = _user_lines(users, y)
    keys = _legend_keys(traces)
    rows = lane_rows(events, episodes)
    lane: list[dict] = []
    if rows and episodes is not None and len(episodes):
        places = {t["meta"]["geo"]: t["line"]["color"] for t in traces
                  if t.get("meta", {}).get("kind") == "users"}
        lane += episode_ranges(episodes, rows, places if len(places) > 1 else None)
    if rows and events is not None and len(events):
        lane += event_markers(events, per_geo=controls, rows=rows)
    names = [t["name"] for t in traces + keys + lane if t.get("showlegend")]
    menus = _geo_menu(traces + keys + lane, y, log_y, title, place_titles) if controls else []
    ticks = _y_ticks(users[y].to_numpy(), y, log_y)
    fig_layout = _growth_layout(title, names, rows, y, log_y, menus, controls,
                                left=layout.axis_left(ticks.get("ticktext", ["0000000"])))
    fig_layout["yaxis"].update(ticks)
    return make_figure(traces + keys + lane, fig_layout)


def _growth_layout(title: str, names: list[str], rows: dict[str, tuple[int, str]], y: str,
                   log_y: bool, menus: list[dict], controls: bool, left: int) -> dict:
    """Two plots sharing the date axis: users below, the events lane (if any) above.
    ``left``: px of the users axis' labels and title."""
    unit = Y_MODES.get(y, "") or y
    lane_px = len(rows) * LANE_ROW + 8 if rows else 0
    plot = MAIN_PLOT + (lane_px + LANE_GAP if rows else 0)
    menu_rows = (1 if controls else 0) + (1 if menus else 0)
    labels = [line for _, label in rows.values()
              for line in layout.wrap(label, LANE_LABEL_CHARS)]
    left = max(left, layout.label_px(labels, size=10) + LANE_PAD)
    fig_layout = dict(
        template=TEMPLATE, **layout.frame(title, plot, names=names, menu_rows=menu_rows,
                                          left=left),
        hovermode="closest",
        xaxis=dict(title=dict(text="as-of date"), automargin=True, anchor="y"),
        yaxis=dict(title=dict(text=unit), type="log" if log_y else "linear",
                   rangemode="tozero" if not log_y and y != "change_pct" else "normal",
                   automargin=True, domain=[0, MAIN_PLOT / plot]))
    if rows:
        positions = sorted(rows.values())
        fig_layout["yaxis2"] = dict(
            domain=[(MAIN_PLOT + LANE_GAP) / plot, 1], anchor="x", fixedrange=True,
            range=[-0.6, len(rows) - 0.4], tickmode="array",
            tickvals=[p for p, _ in positions],
            ticktext=["<br>".join(layout.wrap(label, LANE_LABEL_CHARS))
                      for _, label in positions],
            tickfont=dict(size=10), showgrid=False, zeroline=False, ticks="",
            showline=False, automargin=True)
    if menus:
        fig_layout["updatemenus"] = menus
    if controls:
        fig_layout["xaxis"]["rangeselector"] = dict(
            buttons=RANGE_BUTTONS, x=1, xanchor="right", y=1, yanchor="bottom",
            font=dict(size=11))
    return fig_layout


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
UNSOURCED = "end not sourced"
"""The legend entry of hatched ranges."""
BAR = 0.32
"""Half the thickness of a range bar, in lane rows."""


def _drawn_episodes(episodes: pd.DataFrame | None) -> pd.DataFrame | None:
    """The episodes drawn as ranges: nationwide measures that took effect."""
    if episodes is None or episodes.empty:
        return episodes
    return episodes[(episodes["scope_kind"] == "nationwide")
                    & episodes["in_force"].astype(bool)]


def _episode_text(row: object, kind: str) -> str:
    """Hover text of one episode: place, status, dates, title and publisher."""
    note = EPISODE_NOTES.get(str(row.status), str(row.status)).format(
        end=formatting.day(row.end) if pd.notna(row.end) else "",
        last=formatting.day(row.last_confirmed, "month"))
    place = esc(getattr(row, "geo_name", None) or row.geo)
    source = esc(getattr(row, "source_publisher", "") or "")
    status = metrics.STATUS_OF_ROLE.get(str(getattr(row, "restriction", "")), kind)
    return (f"<b>{place}: {esc(status)}</b>"
            f"<br>from {formatting.day(row.start)} · {esc(note)}<br>{esc(row.title)}"
            f"<br>{source}")


def episode_ranges(episodes: pd.DataFrame, rows: dict[str, tuple[int, str]] | None = None,
                   place_colours: Mapping[str, str] | None = None) -> list[dict]:
    """Nationwide restriction episodes that took effect, as bars in their type's row of the
    events lane (filled scatter traces on the lane's axis ``y2``, hover on the bar): solid to
    a sourced end or, for a measure in force, to the data's as-of date; hatched up to the
    last confirmation when the end is not sourced. A measure that never took effect is not
    drawn. One trace per episode; ``rows`` as :func:`lane_rows` gives them; a bar takes its
    place's colour from ``place_colours`` (several places), else its type's."""
    eps = _drawn_episodes(episodes)
    rows = rows if rows is not None else lane_rows(None, eps)
    traces, shown = [], False
    for row in eps.sort_values("start").itertuples():
        x1 = row.end if pd.notna(row.end) else row.last_confirmed
        kind = str(getattr(row, "event_type_label", None) or row.event_type).replace("_", " ")
        unsourced = row.status == UNSOURCED
        pos = rows.get(str(row.event_type), (0, kind))[0]
        colour = (place_colours or {}).get(str(row.geo)) or str(
            getattr(row, "event_colour", None) or "#b2182b")
        trace = dict(
            type="scatter", x=[row.start, row.start, x1, x1, row.start],
            y=[pos - BAR, pos + BAR, pos + BAR, pos - BAR, pos - BAR], yaxis="y2",
            mode="lines", fill="toself", hoveron="fills+points", text=_episode_text(row, kind),
            hoverinfo="text", line=dict(width=1.5, color=colour),
            fillcolor=rgba(colour, 0.12 if unsourced else 0.4),
            name=UNSOURCED if unsourced else kind,
            legendgroup="episode:unsourced" if unsourced else f"episode:{row.event_type}",
            showlegend=bool(unsourced and not shown),
            meta={"kind": "episode", "geo": str(row.geo), "status": str(row.status),
                  "episode_id": str(row.episode_id)})
        if unsourced:
            trace["fillpattern"] = dict(shape="/", fgcolor=colour, fgopacity=0.8, size=6,
                                        solidity=0.4)
            shown = True
        traces.append(trace)
    return traces


def event_markers(events: pd.DataFrame, per_geo: bool,
                  rows: dict[str, tuple[int, str]] | None = None) -> list[dict]:
    """Regulatory events as markers in their type's row of the events lane (axis ``y2``),
    one trace per type, or per place and type when a menu must filter them by place."""
    events = with_hover(events).sort_values("date")
    events = with_event_style(events)
    rows = rows if rows is not None else lane_rows(events, None)
    keys = ["geo", "event_type"] if per_geo else ["event_type"]
    columns = ["date", "_title", "_label", "_when", "_auth", "_src", "_stitle", "_type",
               "_colour", "_symbol"]
    traces = []
    for key, g in groups(events, keys, columns):
        geo, etype = key if per_geo else (None, key[0])
        name = str(g["_type"][0])
        traces.append(dict(
            type="scatter", x=g["date"], y=np.full(len(g["date"]), rows[etype][0]),
            yaxis="y2", mode="markers", name=name, showlegend=False,
            marker=event_marker(str(g["_colour"][0]), str(g["_symbol"][0])),
            customdata=np.column_stack([g[c] for c in columns[1:7]]),
            meta={"kind": "events", "event_type": etype, "geo": geo},
            legendgroup=f"event:{etype}",
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]}"
                           "<br>%{customdata[3]}<br>%{customdata[4]}"
                           "<br><i>%{customdata[5]}</i><extra>" + name + "</extra>")))
    return traces


def _geo_menu(traces: list[dict], y: str, log_y: bool, title: str = "",
              place_titles: Mapping[str, str] | None = None) -> list[dict]:
    """A menu showing every place's lines, ranges and event markers, or one place's (with
    the users axis' ticks of that place, and its title from ``place_titles``); no menu for a
    single place."""
    geos: dict[str, str] = {}
    for trace in traces:
        meta = trace.get("meta") or {}
        if meta.get("kind") == "users":
            geos.setdefault(meta["geo"], meta["place"])
    if len(geos) < 2:
        return []
    users = [t for t in traces if t["meta"]["kind"] == "users"]

    def ticks(chosen: set[str]) -> dict:
        values = [t["y"] for t in users if t["meta"]["geo"] in chosen]
        found = _y_ticks(np.concatenate(values), y, log_y)
        return {f"yaxis.{k}": v for k, v in found.items() if k != "tickmode"}

    claims = {(t["meta"]["geo"], t["meta"]["claim_type"]) for t in users}

    def shown(trace: dict, geo: str) -> bool:
        meta = trace.get("meta") or {}
        if meta.get("kind") == "key" and meta.get("claim_type"):
            return (geo, meta["claim_type"]) in claims
        return meta.get("geo") in (geo, None)

    def titled(escaped: str) -> dict:
        return {"title.text": layout.title(escaped)[0]["text"]} if escaped else {}

    buttons = [dict(label="All places", method="update",
                    args=[{"visible": True}, {**ticks(set(geos)), **titled(title)}])]
    for geo, label in geos.items():
        visible = [shown(t, geo) for t in traces]
        one = esc((place_titles or {}).get(geo, ""))
        buttons.append(dict(label=label, method="update",
                            args=[{"visible": visible}, {**ticks({geo}), **titled(one)}]))
    return [layout.menu(buttons, row=1)]


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
    ticks = layout.axis_ticks(0.0, float(users["value"].max()), kind="number")
    return make_figure(traces, layout=dict(
        template=TEMPLATE, **layout.frame(title, CLAIMS_PLOT, names=[t["name"] for t in traces],
                                          left=layout.axis_left(ticks["ticktext"])),
        hovermode="closest", xaxis=dict(title=dict(text="as-of date"), automargin=True),
        yaxis=dict(title=dict(text="people"), rangemode="tozero", automargin=True, **ticks)))


LANE_PAD = 12
"""px between the events lane's widest label and the figure's edge (no ticks, no title)."""
CLAIMS_PLOT = 300
"""px: the height of the claims plot."""
