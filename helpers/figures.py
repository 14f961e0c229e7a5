"""Pure figure builders: DataFrame and options in, ``plotly.graph_objects.Figure`` out.

No function here reads files or computes a metric: inputs come from ``helpers.data`` and
``helpers.metrics``. Every figure uses the shared ``atlas`` template, puts units in its axis
titles and shows value, date, claim type and publisher on hover.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import get_colorscale

TEMPLATE = "atlas"
PALETTE = ["#2f6db5", "#e4572e", "#29a36a", "#f2a541", "#7d5ba6", "#17a5b8", "#c44e9c",
           "#8c6d31", "#5f6b7a", "#b6a300", "#d1495b", "#00798c", "#1b1b7a", "#ff7f0e",
           "#6b8e23", "#a0522d", "#4b0082", "#2e8b57", "#dc143c", "#708090", "#b8860b",
           "#008b8b", "#9932cc", "#556b2f"]
EVENT_COLOURS = {
    "ban": "#b2182b", "temporary_block": "#ef8a62", "partial_ban": "#f4a582",
    "executive_order": "#6a3d9a", "legislation_passed": "#1f78b4",
    "legislation_proposed": "#a6cee3", "court_ruling": "#33a02c", "fine": "#e31a1c",
    "investigation_opened": "#fdbf6f", "forced_sale_or_divestiture": "#762a83",
    "enforcement_delayed": "#999999", "ban_lifted": "#1b7837", "deal_or_agreement": "#01665e",
    "partnership": "#35978f", "product_launch": "#80cdc1", "commerce_launch": "#4393c3",
    "acquisition": "#8073ac", "deal": "#01665e", "office_opening": "#bf812d",
    "other_business": "#878787",
}
EVENT_SYMBOLS = {"executive_order": "star", "court_ruling": "diamond", "fine": "circle",
                 "legislation_passed": "square", "legislation_proposed": "square-open",
                 "investigation_opened": "triangle-up", "deal_or_agreement": "hexagon",
                 "forced_sale_or_divestiture": "x", "enforcement_delayed": "hourglass",
                 "ban_lifted": "triangle-down", "ban": "x-thin-open",
                 "partial_ban": "circle-open", "temporary_block": "cross"}
STATUS_COLOURS = {"no national restriction": "#f0f0f0", "ban lifted": "#a6dba0",
                  "partial restrictions": "#fdd49e",
                  "temporarily blocked": "#fc8d59", "banned nationwide": "#b30000"}
METRIC_LABELS = {
    "monthly_active_users": "monthly active users", "daily_active_users": "daily active users",
    "users_unspecified": "users (undefined by source)", "ad_reach_18plus": "ad reach, 18+",
    "dsa_monthly_active_recipients": "EU DSA monthly active recipients",
    "downloads_cumulative": "downloads (cumulative)",
    "downloads_quarterly": "downloads per quarter",
    "unique_visitors": "unique visitors", "creators": "creators",
    "headcount": "headcount", "engineers": "engineers", "moderators": "moderators",
    "hiring_plan": "planned hires", "jobs_announced": "jobs announced", "layoffs": "layoffs",
    "job_postings": "job postings",
}
SEGMENT_LABELS = {"all_ages": "all ages", "age_13_plus": "13+", "age_16_plus": "16+",
                  "age_18_plus": "18+", "under_18": "under 18 only"}
CLAIM_SYMBOLS = {"company": "circle", "government": "square", "third_party_estimate": "diamond",
                 "press_report": "triangle-up"}
STATUS_OF_KIND = {"ban": "banned nationwide", "temporary_block": "temporarily blocked",
                  "partial_ban": "partial restriction"}
CLAIM_LABELS = {"company": "company claim", "government": "government figure",
                "third_party_estimate": "third-party estimate", "press_report": "press report"}
Y_MODES = {"value": "people", "share_pct": "% of population",
           "change_pct": "% change since base date"}

_VALIDATE: ContextVar[bool] = ContextVar("atlas_validate_figures", default=True)


@contextmanager
def unvalidated() -> Iterator[None]:
    """Build figures without plotly's per-property validation inside this block.

    For the explorers' hot path only: validation is most of the cost of a widget update,
    and every figure here is also built with validation in the tests (which check that
    both ways give the same JSON). Uses plotly's ``_validate`` switch, the one plotly's own
    template loading uses; if a plotly release drops it, figures are simply validated.
    """
    token = _VALIDATE.set(False)
    try:
        yield
    finally:
        _VALIDATE.reset(token)


def _template_json() -> dict:
    """The atlas template as plain JSON (an unvalidated figure cannot resolve its name)."""
    return pio.templates[TEMPLATE].to_plotly_json()


def _figure(data: object = None, layout: dict | None = None) -> go.Figure:
    """``go.Figure(data, layout)``, validated unless inside :func:`unvalidated`."""
    if not _VALIDATE.get():
        if layout and layout.get("template") == TEMPLATE:
            layout = {**layout, "template": _template_json()}
        try:
            return go.Figure(data=data, layout=layout, _validate=False)
        except TypeError:  # pragma: no cover - a plotly without the switch
            pass
    return go.Figure(data=data, layout=layout)


pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font=dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13,
                  color="#1f2933"),
        colorway=PALETTE, paper_bgcolor="white", plot_bgcolor="white",
        title=dict(x=0.01, xanchor="left", font=dict(size=17)),
        xaxis=dict(gridcolor="#e5e9f0", zeroline=False, linecolor="#9aa5b1", ticks="outside"),
        yaxis=dict(gridcolor="#e5e9f0", zeroline=False, linecolor="#9aa5b1", ticks="outside"),
        hoverlabel=dict(bgcolor="white", font=dict(size=12), align="left"),
        legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, title=dict(text="")),
        margin=dict(l=70, r=30, t=70, b=90),
    )
)


def _esc(value: object) -> str:
    """HTML-escaped text for hover labels and annotations (data text is never markup)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=False)


def _fmt_number(value: float) -> str:
    if pd.isna(value):
        return "n/a"
    for size, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if abs(value) >= size:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.4g}"


def _source_lines(frame: pd.DataFrame) -> pd.Series:
    """'Publisher, date' per row, escaped (vectorised)."""
    if "source_publisher" not in frame:
        return pd.Series("", index=frame.index, dtype="string")
    pub = frame["source_publisher"].map(_esc).astype("string")
    if "source_published" not in frame:
        return pub
    when = frame["source_published"].astype("string").fillna("").map(_esc).astype("string")
    return pub.where(when == "", pub + ", " + when)


def _date_labels(frame: pd.DataFrame, column: str = "date") -> pd.Series:
    """Dates written as precisely as they are known ."""
    dates = frame[column]
    precision = (frame["date_precision"].astype(str) if "date_precision" in frame
                 else pd.Series("day", index=frame.index))
    out = dates.dt.strftime("%d %b %Y")
    out = out.where(~precision.isin(["month", "quarter"]), dates.dt.strftime("%b %Y"))
    out = out.where(precision != "year", dates.dt.strftime("%Y"))
    return out.fillna("open")


def range_notes(frame: pd.DataFrame, prefix: str = "") -> pd.Series:
    """Hover text on how many sources stand behind a figure counted once, and their range
    where they disagree (empty for rows that are not counted commitments)."""
    if "sources" not in frame:
        return pd.Series("", index=frame.index, dtype="string")
    many = frame["sources"].fillna(1) > 1
    text = pd.Series("", index=frame.index, dtype="string")
    text[many] = "<br>" + frame.loc[many, "sources"].astype(int).astype(str) + " sources"
    split = many & frame["disagree"].fillna(False).astype(bool)
    text[split] = (text[split] + " disagree: " + prefix
                   + frame.loc[split, "value_low"].map(_fmt_number) + " to " + prefix
                   + frame.loc[split, "value_high"].map(_fmt_number))
    return text


def empty_figure(message: str, title: str | None = None) -> go.Figure:
    """A figure that says there is nothing to draw (used when a selection is empty)."""
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title or ""))
    fig.add_annotation(text=_esc(message), x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font=dict(size=15, color="#52606d"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.layout.meta = {"empty": True}
    return fig


def _geo_label(frame: pd.DataFrame) -> pd.Series:
    """Place names, HTML-escaped (they become trace names, categories and tick labels)."""
    if "geo_name" in frame:
        names = frame["geo_name"].astype("string").fillna(frame["geo"].astype("string"))
    else:
        names = frame["geo"].astype("string")
    return names.map(_esc).astype("string")


def _groups(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]
            ) -> list[tuple[tuple[str, ...], dict[str, np.ndarray]]]:
    """Rows split by ``keys`` (sorted, row order kept within a group) as numpy columns.

    Much faster than iterating a pandas groupby over wide frames, which matters for widget
    updates (see benchmarks/README.md)."""
    if frame.empty:
        return []
    codes, uniques = [], []
    for key in keys:
        code, unique = pd.factorize(frame[key].astype(str), sort=True)
        codes.append(code)
        uniques.append(unique)
    combined = np.zeros(len(frame), dtype=np.int64)
    for code, unique in zip(codes, uniques, strict=True):
        combined = combined * len(unique) + code
    order = np.argsort(combined, kind="stable")
    combined = combined[order]
    starts = np.flatnonzero(np.r_[True, combined[1:] != combined[:-1]])
    ends = np.r_[starts[1:], len(combined)]
    data = {c: frame[c].to_numpy()[order] for c in columns}
    out = []
    for start, end in zip(starts, ends, strict=True):
        first = order[start]
        key = tuple(str(unique[code[first]]) for code, unique in zip(codes, uniques,
                                                                      strict=True))
        out.append((key, {c: values[start:end] for c, values in data.items()}))
    return out


def with_hover(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the escaped hover-text columns every figure uses (``_label``, ``_src``,
    ``_when``, ...). Computed once per frame: explorers prepare their tables with it so that
    a widget update only slices them."""
    if "_src" in frame or frame.empty and "_label" in frame:
        return frame
    cols: dict[str, object] = {"_label": _geo_label(frame), "_src": _source_lines(frame)}
    if "date" in frame:
        cols["_when"] = _date_labels(frame)
        cols["_day"] = frame["date"].dt.strftime("%Y-%m-%d")
    if "claim_type" in frame:
        cols["_claim"] = frame["claim_type"].astype(str).map(CLAIM_LABELS).fillna("")
    for column, target in (("source_title", "_stitle"), ("title", "_title"),
                           ("authority", "_auth"), ("subdivision", "_subdiv"),
                           ("scope", "_scope")):
        if column in frame:
            cols[target] = frame[column].map(_esc).astype("string").fillna("")
    if "value" in frame:
        cols["_fmt"] = frame["value"].map(_fmt_number)
    if "metric" in frame:
        cols["_metric"] = frame["metric"].astype(str).map(METRIC_LABELS).fillna("")
    if "status_after" in frame:
        cols["_status"] = frame["status_after"].astype(str).str.replace("_", " ")
    if "amount" in frame and "currency" in frame:
        money = frame["amount"].map(_fmt_number) + " " + frame["currency"].astype(str)
        cols["_money"] = money.where(frame["amount"].notna(), "")
    return frame.assign(**cols)


# ---------------------------------------------------------------- growth


def growth_figure(users: pd.DataFrame, events: pd.DataFrame | None = None, *,
                  episodes: pd.DataFrame | None = None, y: str = "value", log_y: bool = False,
                  title: str | None = None, controls: bool = False) -> go.Figure:
    """Users over time: one line per series (geo, product, metric, segment) and claim type,
    so that a line joins only comparable figures; regulatory events overlaid.

    ``users`` carries the source columns (``metrics.with_sources``) and ``geo_name``; ``y``
    is ``value``, ``share_pct`` or ``change_pct``. ``episodes`` (``Atlas.episodes``) of the
    shown places become shaded date ranges with hover (an episode whose end is not sourced
    is hatched and stops at its last confirmation); orders, rulings, fines and other events
    become markers along the top. ``controls`` adds a dropdown of places and range buttons,
    for static pages (markers and ranges are then split per place for the dropdown).
    """
    title = _esc(title or "TikTok users over time")
    if users.empty:
        return empty_figure("No user figures match this selection.", title)
    users = with_hover(users).sort_values("date")
    traces: list[dict] = []
    unit = Y_MODES.get(y, "")
    columns = ["date", y, "geo", "_day", "_claim", "_src", "_stitle", "_fmt"]
    keys = [k for k in ("_label", "metric", "product", "segment", "claim_type") if k in users]
    for key, g in _groups(users, keys, columns):
        named = dict(zip(keys, key, strict=True))
        name = series_name(named)
        traces.append(dict(
            type="scatter", x=g["date"], y=g[y], mode="lines+markers", name=name,
            marker=dict(symbol=CLAIM_SYMBOLS.get(named.get("claim_type", ""), "circle"),
                        size=8),
            customdata=np.column_stack([g["_day"], g["_claim"], g["_src"], g["_stitle"],
                                        g["_fmt"]]),
            meta={"geo": str(g["geo"][0]), "kind": "users"},
            hovertemplate=(f"<b>{name}</b><br>%{{y:,.4~g}} {unit}"
                           "<br>value %{customdata[4]} as of %{customdata[0]}"
                           "<br>%{customdata[1]} · %{customdata[2]}"
                           "<br><i>%{customdata[3]}</i><extra></extra>")))
    if episodes is not None and not episodes.empty:
        traces += episode_ranges(episodes)
    if events is not None and not events.empty:
        traces += _event_markers(events, per_geo=controls)
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
    return _figure(traces, layout)


def series_name(key: dict[str, str]) -> str:
    """'Place: metric (segment, product) · claim type': the name of one growth line."""
    metric = key.get("metric", "")
    name = f"{key.get('_label', '')}: {METRIC_LABELS.get(metric, metric)}"
    extra = []
    segment = SEGMENT_LABELS.get(key.get("segment", "all_ages"), key.get("segment", ""))
    if segment not in ("all ages", "") and segment not in name:
        extra.append(segment)
    if key.get("product", "tiktok") != "tiktok":
        extra.append(str(key["product"]))
    if extra:
        name += f" ({', '.join(extra)})"
    claim = key.get("claim_type")
    return f"{name} · {CLAIM_LABELS.get(claim, claim)}" if claim else name


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
        kind = str(row.event_type)
        unsourced = row.status == "end not sourced"
        label = f"{kind.replace('_', ' ')}{' (end not sourced)' if unsourced else ''}"
        note = EPISODE_NOTES.get(str(row.status), str(row.status)).format(
            end=f"{row.end:%d %b %Y}" if pd.notna(row.end) else "",
            last=f"{row.last_confirmed:%b %Y}")
        place = _esc(getattr(row, "geo_name", None) or row.geo)
        source = _esc(getattr(row, "source_publisher", "") or "")
        text = (f"<b>{place}: {_esc(STATUS_OF_KIND.get(kind, kind))}</b>"
                f"<br>from {row.start:%d %b %Y} · {_esc(note)}<br>{_esc(row.title)}"
                f"<br>{source}")
        colour = EVENT_COLOURS.get(kind, "#b2182b")
        trace = dict(
            type="scatter", x=[row.start, row.start, x1, x1, row.start], y=[0, 1, 1, 0, 0],
            yaxis="y2", mode="lines", fill="toself", hoveron="fills", text=text,
            hoverinfo="text", line=dict(width=0.5 if unsourced else 0, color=colour),
            fillcolor=_rgba(colour, 0.10 if unsourced else 0.16),
            name=label, legendgroup=f"episode:{label}", showlegend=label not in shown,
            meta={"kind": "episode", "geo": str(row.geo), "status": str(row.status),
                  "episode_id": str(row.episode_id)})
        if unsourced:
            trace["fillpattern"] = dict(shape="/", fgcolor=colour, fgopacity=0.4)
        traces.append(trace)
        shown.add(label)
    return traces


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _event_markers(events: pd.DataFrame, per_geo: bool) -> list[dict]:
    """Regulatory events as markers along the top (hidden second axis), one trace per type,
    or per place and type when a menu must filter them by place."""
    events = with_hover(events).sort_values("date")
    keys = ["geo", "event_type"] if per_geo else ["event_type"]
    columns = ["date", "_title", "_label", "_when", "_auth", "_src", "_stitle"]
    traces, shown = [], set()
    for key, g in _groups(events, keys, columns):
        geo, etype = key if per_geo else (None, key[0])
        traces.append(dict(
            type="scatter", x=g["date"], y=np.ones(len(g["date"])), yaxis="y2",
            mode="markers", name=etype.replace("_", " "), showlegend=etype not in shown,
            marker=dict(size=11, color=EVENT_COLOURS.get(etype, "#555"),
                        symbol=EVENT_SYMBOLS.get(etype, "circle"),
                        line=dict(width=1, color="#333")),
            customdata=np.column_stack([g[c] for c in columns[1:]]),
            meta={"kind": "events", "event_type": etype, "geo": geo},
            legendgroup=f"event:{etype}",
            legendgrouptitle=dict(text="regulatory events") if not shown else None,
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]}"
                           "<br>%{customdata[3]}<br>%{customdata[4]}"
                           "<br><i>%{customdata[5]}</i><extra>" + _esc(etype) + "</extra>")))
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
    """Company claims against third-party estimates and press reports for the same geo.

    Points of one claim type, metric and segment are joined by a dotted line; figures of
    different definitions (an under-18 subset, an adult ad reach) are never joined."""
    title = _esc(title or "Who says how many? Claims by source type")
    if users.empty:
        return empty_figure("No user figures match this selection.", title)
    users = with_hover(users).sort_values("date")
    traces = []
    keys = [k for k in ("claim_type", "metric", "segment") if k in users]
    for key, group in users.groupby([users[k].astype(str) for k in keys], sort=True):
        claim, metric = key[0], key[1]
        segment = key[2] if len(key) > 2 else "all_ages"
        label = f"{CLAIM_LABELS.get(claim, claim)}: {METRIC_LABELS.get(metric, metric)}"
        if segment != "all_ages":
            label += f" ({SEGMENT_LABELS.get(segment, segment)})"
        traces.append(dict(
            type="scatter", x=group["date"].to_numpy(), y=group["value"].to_numpy(),
            mode="markers+lines" if len(group) > 1 else "markers",
            line=dict(dash="dot", width=1), name=label,
            marker=dict(size=10, symbol=CLAIM_SYMBOLS.get(claim, "circle")),
            customdata=group[["_metric", "_src", "_stitle", "_label"]].to_numpy(),
            meta={"kind": "claims", "claim_type": claim},
            hovertemplate=("<b>%{customdata[3]}</b>: %{y:,.4~g} people (%{customdata[0]})"
                           "<br>as of %{x|%b %Y} · " + label +
                           "<br>%{customdata[1]}<br><i>%{customdata[2]}</i><extra></extra>")))
    return _figure(traces, layout=dict(
        template=TEMPLATE, title=dict(text=title), xaxis=dict(title=dict(text="as-of date")),
        yaxis=dict(title=dict(text="people"), rangemode="tozero")))

# ---------------------------------------------------------------- maps


def choropleth_figure(frame: pd.DataFrame, *, value: str = "value", title: str,
                      colorbar_title: str, years: Sequence[int] | None = None,
                      log_colour: bool = False, animate: bool = True,
                      aggregate: str = "latest",
                      prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
                      ) -> go.Figure:
    """A world map: each country shows its latest figure up to a year (``aggregate="sum"``:
    the sum of its figures up to that year, e.g. investments). With ``animate``, one frame
    per year and a slider (for static pages); else the last year only (for FigureWidget,
    which has no frames). ``frame`` has geo, date, the value column and sources.
    ``prepare`` turns the rows known up to a year into the rows to draw (for investments:
    ``metrics.counted_once``, so that a commitment counts once in every year's map)."""
    title = _esc(title)
    countries = frame[frame["geo"].astype(str).str.fullmatch(r"[A-Z]{3}")
                      & ~frame["geo"].astype(str).isin(["WLD", "EUU"])
                      & ~frame["geo"].astype(str).str.startswith("X")
                      & frame[value].notna()]
    if countries.empty:
        return empty_figure("No country figures match this selection.", title)
    countries = countries.sort_values("date")
    countries = countries.assign(
        _label=_geo_label(countries), _when=_date_labels(countries),
        _src=_source_lines(countries),
        _claim=countries["claim_type"].astype(str).map(CLAIM_LABELS).fillna("")
        if "claim_type" in countries else "")
    years = list(years or range(int(countries["date"].dt.year.min()),
                                int(countries["date"].dt.year.max()) + 1))
    drawn = prepare(countries) if prepare is not None else countries
    by_geo = drawn.groupby(drawn["geo"].astype(str))
    top = by_geo[value].sum().max() if aggregate == "sum" else drawn[value].max()
    positive = countries.loc[countries[value] > 0, value]
    zmax = float(np.log10(max(top, 1))) if log_colour else float(top)
    zmin = float(np.log10(max(positive.min(), 1))) if log_colour and len(positive) else 0.0

    def snapshot(year: int) -> dict:
        upto = countries[countries["date"].dt.year <= year]
        if prepare is not None:
            upto = prepare(upto)
            upto = upto[upto[value].notna()].sort_values("date")
        grouped = upto.groupby(upto["geo"].astype(str))
        latest = grouped.tail(1).set_index(upto.loc[grouped.tail(1).index, "geo"].astype(str))
        shown = grouped[value].sum() if aggregate == "sum" else latest[value]
        latest = latest.loc[shown.index]
        z = np.log10(shown.clip(lower=1)) if log_colour else shown
        if aggregate == "sum":
            count = grouped.size()
            text = ("<b>" + latest["_label"] + "</b>: " + shown.map(_fmt_number) + " in "
                    + count.astype(str) + " figure(s) up to " + str(year) + "<br>latest: "
                    + latest["_when"] + " · " + latest["_src"])
        else:
            metric = (latest["metric"].astype(str).map(METRIC_LABELS).fillna("") + ", "
                      if "metric" in latest else "")
            text = ("<b>" + latest["_label"] + "</b>: " + shown.map(_fmt_number) + "<br>"
                    + metric + "as of " + latest["_when"] + "<br>" + latest["_claim"] + " · "
                    + latest["_src"])
        return dict(type="choropleth", locations=list(shown.index), z=np.asarray(z),
                    text=list(text), hoverinfo="text", zmin=zmin, zmax=zmax,
                    colorscale=get_colorscale("Blues"),
                    marker=dict(line=dict(color="white", width=0.5)),
                    colorbar=dict(title=dict(text=colorbar_title + (" (log10)" if log_colour
                                                                    else ""))))

    return _map_figure(snapshot, years, title, animate)


def _map_figure(snapshot, years: Sequence[int], title: str, animate: bool) -> go.Figure:
    """A world map showing ``snapshot(last year)``; with ``animate``, a frame per year."""
    fig = _figure([snapshot(years[-1])], dict(
        template=TEMPLATE, title=dict(text=title), margin=dict(l=10, r=10, t=60, b=10),
        geo=dict(showframe=False, showcoastlines=False, showcountries=True,
                 countrycolor="#cfd6de", showland=True, landcolor="#f4f6f8",
                 projection=dict(type="natural earth", rotation=dict(lon=0)),
                 center=dict(lon=0))))
    if animate:
        _add_year_frames(fig, years, snapshot)
    return fig


def _add_year_frames(fig: go.Figure, years: Sequence[int], snapshot) -> None:
    """Animation frames with a year slider (starts on the last year) and a play button."""
    fig.frames = [go.Frame(name=str(y), data=[snapshot(y)]) for y in years]
    steps = [dict(method="animate", label=str(y),
                  args=[[str(y)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                       transition=dict(duration=0))]) for y in years]
    fig.update_layout(
        sliders=[dict(active=len(years) - 1, steps=steps, x=0.08, len=0.9, y=0.02,
                      currentvalue=dict(prefix="as of end of ", font=dict(size=13)))],
        updatemenus=[dict(type="buttons", showactive=False, x=0.0, y=0.02, xanchor="left",
                          yanchor="top", buttons=[dict(label="▶", method="animate", args=[
                              None, dict(frame=dict(duration=700, redraw=True),
                                         fromcurrent=False, transition=dict(duration=0))])])])


def status_map_figure(statuses: dict[int, pd.DataFrame], regions: pd.DataFrame, *,
                      title: str | None = None, animate: bool = True) -> go.Figure:
    """Map of the strongest national status per country at the end of each year (slider).

    ``statuses`` maps a year to ``metrics.status_on(events, end of year)`` (with
    ``metrics.with_sources`` for the citation on hover).
    """
    title = _esc(title or "Where TikTok was restricted, by the end of each year")
    levels = list(STATUS_COLOURS)
    names = dict(zip(regions["code"].astype(str), regions["name"].astype(str), strict=True))
    n = len(levels)
    scale = []
    for i, colour in enumerate(STATUS_COLOURS.values()):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    years = sorted(statuses)
    if not years:
        return empty_figure("No restrictions in this period.", title)

    def snapshot(year: int) -> dict:
        st = statuses[year]
        st = st[~st["geo"].astype(str).isin(["WLD", "EUU"]) & ~st["geo"].astype(str)
                .str.startswith("X")]
        cause = (st["title"].map(_esc) if "title" in st else pd.Series("", index=st.index))
        ends = (st["end_sourced"].astype(bool) if "end_sourced" in st
                else pd.Series(True, index=st.index))
        text = [f"<b>{_esc(names.get(g, g))}</b><br>{_esc(s)} since {d:%d %b %Y}"
                f"{'' if e or s == 'ban lifted' else ' (no end sourced)'}"
                f"<br>{c}<br>{src}" for g, s, d, e, c, src in zip(
                    st["geo"], st["status"], st["since"], ends, cause, _source_lines(st),
                    strict=True)]
        return dict(type="choropleth", locations=st["geo"].astype(str).tolist(),
                    z=[levels.index(s) + 0.5 for s in st["status"]], zmin=0, zmax=n,
                    colorscale=scale, text=text, hoverinfo="text",
                    marker=dict(line=dict(color="white", width=0.5)),
                    colorbar=dict(tickvals=[i + 0.5 for i in range(n)], ticktext=levels,
                                  title=dict(text="status")))

    return _map_figure(snapshot, years, title, animate)


# ---------------------------------------------------------------- workforce & money


def workforce_figure(workforce: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars: each workforce figure by place and scope, coloured by metric."""
    title = _esc(title or "Where TikTok and ByteDance hire, employ and cut jobs")
    rows = workforce[workforce["value"].notna()]
    if rows.empty:
        return empty_figure("No workforce figures match this selection.", title)
    rows = with_hover(rows).sort_values(["_label", "date"])
    scope = rows["_scope"].where(rows["_scope"] == "", " · " + rows["_scope"])
    rows = rows.assign(_y=rows["_label"] + scope + " (" + rows["date"].dt.strftime("%Y") + ")",
                       _horizon=rows["horizon_years"].map(
                           lambda h: f"over {h:g} years" if pd.notna(h) else ""),
                       _employer=rows["employer"].astype(str), _range=range_notes(rows))
    traces = []
    for metric, group in rows.groupby(rows["metric"].astype(str), sort=True):
        label = METRIC_LABELS.get(metric, metric)
        traces.append(dict(
            type="bar", y=group["_y"].to_numpy(), x=group["value"].to_numpy(), orientation="h",
            name=label, meta={"kind": "workforce", "metric": metric},
            customdata=group[["_day", "_claim", "_src", "_horizon", "_employer",
                              "_range"]].to_numpy(),
            hovertemplate=("<b>%{y}</b><br>%{x:,} people " + label
                           + " %{customdata[3]}<br>%{customdata[4]} · %{customdata[0]}"
                           "%{customdata[5]}<br>%{customdata[1]} · %{customdata[2]}"
                           "<extra></extra>")))
    categories = list(dict.fromkeys(rows["_y"]))[::-1]
    return _figure(traces, layout=dict(
        template=TEMPLATE, title=dict(text=title), barmode="overlay",
        height=max(420, 22 * len(categories) + 160),
        xaxis=dict(title=dict(text="people"), type="log"),
        yaxis=dict(title=dict(text=""), categoryorder="array", categoryarray=categories,
                   automargin=True)))

def investments_figure(investments: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Stacked bars (linear axis) of announced investments in USD by place and category.

    ``investments`` carries ``amount_usd`` (``metrics.to_usd``) and should be counted once
    (``metrics.counted_once``): the hover then gives the number of sources and the range
    where they disagree. Rows without an amount are counted in the subtitle, not drawn.
    """
    title = _esc(title or "Announced investments by place and purpose (USD)")
    quantified = investments[investments["amount_usd"].notna()]
    unquantified = len(investments) - len(quantified)
    if quantified.empty:
        return empty_figure("No investment amounts match this selection.", title)
    quantified = with_hover(quantified)
    quantified = quantified.assign(_month=quantified["date"].dt.strftime("%b %Y"),
                                   _fx=quantified["fx_year"].astype("string").fillna(""),
                                   _range=range_notes(quantified, "USD "))
    order = (quantified.groupby("_label")["amount_usd"].sum().sort_values(ascending=False)
             .index.tolist())
    traces = []
    for category, group in quantified.groupby(quantified["category"].astype(str), sort=True):
        traces.append(dict(
            type="bar", x=group["_label"].to_numpy(), y=group["amount_usd"].to_numpy(),
            name=category.replace("_", " "), meta={"kind": "investments", "category": category},
            customdata=group[["_month", "_money", "_fx", "_scope", "_src", "_claim",
                              "_range"]].to_numpy(),
            hovertemplate=("<b>%{x}</b>: %{customdata[3]}<br>USD %{y:,.4~s} (%{customdata[1]} at "
                           "%{customdata[2]} average rate)%{customdata[6]}<br>announced "
                           "%{customdata[0]} · %{customdata[5]}<br>%{customdata[4]}"
                           "<extra></extra>")))
    subtitle = (f"{unquantified} further commitment{'s' if unquantified != 1 else ''} without "
                "a stated amount not drawn" if unquantified else "")
    return _figure(traces, layout=dict(
        template=TEMPLATE, barmode="stack",
        title=dict(text=title + (f"<br><sup>{subtitle}</sup>" if subtitle else "")),
        yaxis=dict(title=dict(text="USD (converted at the yearly average rate)")),
        xaxis=dict(title=dict(text=""), categoryorder="array", categoryarray=order)))

# ---------------------------------------------------------------- events & pressure


def timeline_figure(events: pd.DataFrame, *, title: str | None = None,
                    controls: bool = False) -> go.Figure:
    """Events as markers: place by date, coloured by type, citation on hover."""
    title = _esc(title or "Regulatory and business events, by place and date")
    if events.empty:
        return empty_figure("No events match this selection.", title)
    events = with_hover(events).sort_values("date")
    order = events.groupby("_label")["date"].count().sort_values(kind="stable").index.tolist()
    traces, types = [], []
    columns = ["date", "_label", "_title", "_when", "_subdiv", "_auth", "_status", "_src",
               "_money"]
    for (etype,), g in _groups(events, ["event_type"], columns):
        types.append(etype)
        traces.append(dict(
            type="scatter", x=g["date"], y=g["_label"], mode="markers",
            name=etype.replace("_", " "),
            marker=dict(size=10, color=EVENT_COLOURS.get(etype, "#555"),
                        symbol=EVENT_SYMBOLS.get(etype, "circle"),
                        line=dict(width=0.5, color="#333")),
            customdata=np.column_stack([g[c] for c in columns[2:]]),
            meta={"kind": "events", "event_type": etype},
            hovertemplate=("<b>%{customdata[0]}</b><br>%{y} %{customdata[2]} · %{customdata[1]}"
                           "<br>%{customdata[3]} · now: %{customdata[4]} %{customdata[6]}"
                           "<br>%{customdata[5]}<extra>" + _esc(etype) + "</extra>")))
    layout = dict(template=TEMPLATE, title=dict(text=title),
                  height=max(420, 22 * len(order) + 180),
                  xaxis=dict(title=dict(text="event date")),
                  yaxis=dict(title=dict(text=""), categoryorder="array", categoryarray=order,
                             automargin=True, tickmode="array", tickvals=order, ticktext=order))
    if controls:
        buttons = [dict(label="All event types", method="restyle", args=[{"visible": True}])]
        for etype in types:
            buttons.append(dict(label=etype.replace("_", " "), method="restyle",
                                args=[{"visible": [t == etype for t in types]}]))
        layout["updatemenus"] = [dict(buttons=buttons, direction="down", x=1.0, xanchor="right",
                                      y=1.08, yanchor="bottom", name="event type")]
    return _figure(traces, layout)

def pressure_heatmap(pressure: pd.DataFrame, *, title: str | None = None,
                     top: int | None = 30) -> go.Figure:
    """Heatmap of the pressure index: place by period (darker = more pressure)."""
    title = _esc(title or "Regulatory pressure index by place and period")
    if pressure.empty or pressure["pressure"].sum() == 0:
        return empty_figure("No regulatory events in this selection.", title)
    labels = _geo_label(pressure).to_numpy()
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
    return _figure(heat, layout=dict(
        template=TEMPLATE, title=dict(text=title), height=max(380, 20 * len(order) + 160),
        xaxis=dict(title=dict(text="period"), type="category"),
        yaxis=dict(title=dict(text=""), automargin=True)))


def pressure_scatter(table: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Total pressure against the latest user figure per place (log users axis)."""
    title = _esc(title or "Regulatory pressure against TikTok users")
    if table.empty:
        return empty_figure("No place has both user figures and regulatory events here.", title)
    table = with_hover(table)
    custom = np.column_stack([table["date"].dt.strftime("%b %Y"), table["_metric"],
                              table["_src"]])
    points = dict(
        type="scatter", x=table["pressure"].to_numpy(), y=table["users"].to_numpy(),
        mode="markers+text",
        text=table["_label"].to_numpy(),
        textposition="top center", marker=dict(size=11, color="#e4572e"), customdata=custom,
        meta={"kind": "pressure_users"},
        hovertemplate=("<b>%{text}</b><br>pressure %{x:.1f} points<br>%{y:,.4~g} users "
                       "(%{customdata[1]}, %{customdata[0]})<br>%{customdata[2]}"
                       "<extra></extra>"))
    return _figure(points, layout=dict(
        template=TEMPLATE, title=dict(text=title),
        xaxis=dict(title=dict(text="regulatory pressure (index points, whole period)")),
        yaxis=dict(title=dict(text="people (latest figure)"), type="log")))
