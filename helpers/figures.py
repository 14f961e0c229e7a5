"""Pure figure builders: DataFrame and options in, ``plotly.graph_objects.Figure`` out.

No function here reads files or computes a metric: inputs come from ``helpers.data`` and
``helpers.metrics``. Every figure uses the shared ``atlas`` template, puts units in its axis
titles and shows value, date, claim type and publisher on hover.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

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
                  "government-device restrictions": "#fdd49e",
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
CLAIM_LABELS = {"company": "company claim", "government": "government figure",
                "third_party_estimate": "third-party estimate", "press_report": "press report"}
Y_MODES = {"value": "people", "share_pct": "% of population",
           "change_pct": "% change since base date"}

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font=dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13,
                  color="#1f2933"),
        colorway=PALETTE, paper_bgcolor="white", plot_bgcolor="white",
        title=dict(x=0.01, xanchor="left", font=dict(size=17)),
        xaxis=dict(gridcolor="#e5e9f0", zeroline=False, linecolor="#9aa5b1", ticks="outside"),
        yaxis=dict(gridcolor="#e5e9f0", zeroline=False, linecolor="#9aa5b1", ticks="outside"),
        hoverlabel=dict(bgcolor="white", font=dict(size=12), align="left"),
        legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, title_text=""),
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


def _date_label(date: pd.Timestamp, precision: str | None = None) -> str:
    if pd.isna(date):
        return "open"
    if precision == "year":
        return f"{date:%Y}"
    if precision in ("month", "quarter"):
        return f"{date:%b %Y}"
    return f"{date:%d %b %Y}"


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
    """Dates written as precisely as they are known (vectorised ``_date_label``)."""
    dates = frame[column]
    precision = (frame["date_precision"].astype(str) if "date_precision" in frame
                 else pd.Series("day", index=frame.index))
    out = dates.dt.strftime("%d %b %Y")
    out = out.where(~precision.isin(["month", "quarter"]), dates.dt.strftime("%b %Y"))
    out = out.where(precision != "year", dates.dt.strftime("%Y"))
    return out.fillna("open")


def _source_line(row: pd.Series) -> str:
    pub = _esc(row.get("source_publisher"))
    when = _esc(row.get("source_published"))
    return f"{pub}, {when}" if when else pub


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


# ---------------------------------------------------------------- growth


def growth_figure(users: pd.DataFrame, events: pd.DataFrame | None = None, *,
                  y: str = "value", log_y: bool = False, title: str | None = None,
                  controls: bool = False) -> go.Figure:
    """Users over time, one line per geo, metric and product; regulatory events overlaid.

    ``users`` carries the source columns (``metrics.with_sources``) and ``geo_name``; ``y``
    is ``value``, ``share_pct`` or ``change_pct``. Nationwide bans and blocks of the shown
    geos become shaded date ranges; orders, rulings, fines and other events become markers
    along the top, with their citation on hover. ``controls`` adds a dropdown of geos and
    range buttons, for static pages (event markers are then split per place so that the
    dropdown can filter them).
    """
    title = _esc(title or "TikTok users over time")
    if users.empty:
        return empty_figure("No user figures match this selection.", title)
    users = users.assign(_label=_geo_label(users), _src=_source_lines(users),
                         _claim=users["claim_type"].astype(str).map(CLAIM_LABELS).fillna(""),
                         _title=users["source_title"].map(_esc) if "source_title" in users
                         else "", _fmt=users["value"].map(_fmt_number),
                         _day=users["date"].dt.strftime("%Y-%m-%d")).sort_values("date")
    traces: list[dict] = []
    unit = Y_MODES.get(y, "")
    keys = [users["_label"], users["metric"].astype(str), users["product"].astype(str)]
    for (label, metric, product), series in users.groupby(keys, sort=True):
        name = f"{label}: {METRIC_LABELS.get(metric, metric)}"
        if product != "tiktok":
            name += f" ({product})"
        traces.append(dict(
            type="scatter", x=series["date"], y=series[y], mode="lines+markers", name=name,
            customdata=series[["_day", "_claim", "_src", "_title", "_fmt"]].to_numpy(),
            meta={"geo": str(series["geo"].iloc[0]), "kind": "users"},
            hovertemplate=(f"<b>{name}</b><br>%{{y:,.4~g}} {unit}"
                           "<br>value %{customdata[4]} as of %{customdata[0]}"
                           "<br>%{customdata[1]} · %{customdata[2]}"
                           "<br><i>%{customdata[3]}</i><extra></extra>")))
    shapes: list[dict] = []
    if events is not None and not events.empty:
        shapes = _event_spans(events, users["date"].max())
        traces += _event_markers(events, per_geo=controls)
    layout = dict(
        template=TEMPLATE, title=title, height=560, shapes=shapes,
        yaxis=dict(title_text=unit or y, type="log" if log_y else "linear",
                   rangemode="tozero" if not log_y and y != "change_pct" else "normal"),
        yaxis2=dict(overlaying="y", range=[0, 1.05], visible=False, fixedrange=True),
        xaxis=dict(title_text="as-of date"),
        legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top",
                    font=dict(size=11)),
        margin=dict(r=20, b=60))
    fig = go.Figure(data=traces, layout=layout)
    if controls:
        _add_geo_dropdown(fig)
        fig.update_xaxes(rangeselector=dict(buttons=[
            dict(count=3, label="3y", step="year", stepmode="backward"),
            dict(count=5, label="5y", step="year", stepmode="backward"),
            dict(step="all", label="all")]))
    return fig


def _event_spans(events: pd.DataFrame, end: pd.Timestamp) -> list[dict]:
    """Nationwide bans and temporary blocks as shaded date ranges (layout shapes)."""
    spans = events[events["event_type"].astype(str).isin(["ban", "temporary_block"])
                   & (events["subdivision"].astype("string").fillna("") == "")]
    shapes = []
    for row in spans.itertuples():
        x1 = row.end_date if pd.notna(row.end_date) else max(end, row.date)
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=row.date, x1=x1, y0=0, y1=1,
                           fillcolor=EVENT_COLOURS[str(row.event_type)], opacity=0.12,
                           line_width=0, layer="below", name=f"span:{row.geo}:{row.event_id}"))
    return shapes


def _event_markers(events: pd.DataFrame, per_geo: bool) -> list[dict]:
    """Regulatory events as markers along the top (hidden second axis), one trace per type,
    or per place and type when a menu must filter them by place."""
    events = events.sort_values("date")
    events = events.assign(
        _label=_geo_label(events), _when=_date_labels(events), _src=_source_lines(events),
        _title=events["title"].map(_esc),
        _auth=events["authority"].map(_esc) if "authority" in events else "",
        _stitle=events["source_title"].map(_esc) if "source_title" in events else "")
    keys = [events["event_type"].astype(str)]
    if per_geo:
        keys = [events["geo"].astype(str), *keys]
    traces, shown = [], set()
    for key, group in events.groupby(keys, sort=True):
        geo, etype = (key if per_geo else (None, key[0] if isinstance(key, tuple) else key))
        traces.append(dict(
            type="scatter", x=group["date"], y=[1.0] * len(group), yaxis="y2", mode="markers",
            name=etype.replace("_", " "), showlegend=etype not in shown,
            marker=dict(size=11, color=EVENT_COLOURS.get(etype, "#555"),
                        symbol=EVENT_SYMBOLS.get(etype, "circle"),
                        line=dict(width=1, color="#333")),
            customdata=group[["_title", "_label", "_when", "_auth", "_src", "_stitle"]].to_numpy(),
            meta={"kind": "events", "event_type": etype, "geo": geo},
            legendgroup=f"event:{etype}",
            legendgrouptitle_text="regulatory events" if not shown else None,
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]}"
                           "<br>%{customdata[3]}<br>%{customdata[4]}"
                           "<br><i>%{customdata[5]}</i><extra>" + _esc(etype) + "</extra>")))
        shown.add(etype)
    return traces


def _add_geo_dropdown(fig: go.Figure) -> None:
    """A menu showing every place's user lines and event markers (no shaded ranges), or one
    place with its own events and ban or block ranges."""
    geos: list[str] = []
    labels: dict[str, str] = {}
    for trace in fig.data:
        meta = trace.meta or {}
        if meta.get("kind") == "users" and meta["geo"] not in geos:
            geos.append(meta["geo"])
            labels[meta["geo"]] = str(trace.name).split(":")[0]
    shapes = list(fig.layout.shapes)
    if len(geos) < 2:
        return
    all_shapes = [] if len(geos) > 3 else shapes
    fig.layout.shapes = all_shapes
    buttons = [dict(label="All places", method="update",
                    args=[{"visible": True}, {"shapes": all_shapes}])]
    for geo in geos:
        visible = [(t.meta or {}).get("geo") == geo for t in fig.data]
        own = [sh for sh in shapes if str(sh.name or "").startswith(f"span:{geo}:")]
        buttons.append(dict(label=labels[geo], method="update",
                            args=[{"visible": visible}, {"shapes": own}]))
    fig.update_layout(updatemenus=[dict(buttons=buttons, direction="down", x=1.0,
                                        xanchor="right", y=1.1, yanchor="bottom",
                                        showactive=True)])


def claims_figure(users: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Company claims against third-party estimates and press reports for the same geo."""
    title = _esc(title or "Who says how many? Claims by source type")
    if users.empty:
        return empty_figure("No user figures match this selection.", title)
    users = users.sort_values("date")
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title))
    symbols = {"company": "circle", "government": "square", "third_party_estimate": "diamond",
               "press_report": "triangle-up"}
    for claim, group in users.groupby(users["claim_type"].astype(str), sort=True):
        custom = np.column_stack([
            group["metric"].astype(str).map(METRIC_LABELS).fillna(""),
            _source_lines(group),
            group["source_title"].map(_esc) if "source_title" in group else [""] * len(group),
            _geo_label(group),
        ])
        fig.add_trace(go.Scatter(
            x=group["date"], y=group["value"], mode="markers+lines",
            line=dict(dash="dot", width=1), name=CLAIM_LABELS.get(claim, claim),
            marker=dict(size=10, symbol=symbols.get(claim, "circle")), customdata=custom,
            meta={"kind": "claims", "claim_type": claim},
            hovertemplate=("<b>%{customdata[3]}</b>: %{y:,.4~g} people (%{customdata[0]})"
                           "<br>as of %{x|%b %Y} · " + CLAIM_LABELS.get(claim, claim) +
                           "<br>%{customdata[1]}<br><i>%{customdata[2]}</i><extra></extra>"),
        ))
    fig.update_yaxes(title_text="people", rangemode="tozero")
    fig.update_xaxes(title_text="as-of date")
    return fig


# ---------------------------------------------------------------- maps


def choropleth_figure(frame: pd.DataFrame, *, value: str = "value", title: str,
                      colorbar_title: str, years: Sequence[int] | None = None,
                      log_colour: bool = False, animate: bool = True,
                      aggregate: str = "latest") -> go.Figure:
    """A world map: each country shows its latest figure up to a year (``aggregate="sum"``:
    the sum of its figures up to that year, e.g. investments). With ``animate``, one frame
    per year and a slider (for static pages); else the last year only (for FigureWidget,
    which has no frames). ``frame`` has geo, date, the value column and sources."""
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
    by_geo = countries.groupby(countries["geo"].astype(str))
    top = by_geo[value].sum().max() if aggregate == "sum" else countries[value].max()
    positive = countries.loc[countries[value] > 0, value]
    zmax = float(np.log10(max(top, 1))) if log_colour else float(top)
    zmin = float(np.log10(max(positive.min(), 1))) if log_colour and len(positive) else 0.0

    def snapshot(year: int) -> go.Choropleth:
        upto = countries[countries["date"].dt.year <= year]
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
            text = ("<b>" + latest["_label"] + "</b>: " + shown.map(_fmt_number) + "<br>as of "
                    + latest["_when"] + "<br>" + latest["_claim"] + " · " + latest["_src"])
        return go.Choropleth(locations=list(shown.index), z=z, text=list(text),
                             hoverinfo="text", zmin=zmin, zmax=zmax, colorscale="Blues",
                             marker_line_color="white", marker_line_width=0.5,
                             colorbar=dict(title=colorbar_title + (" (log10)" if log_colour
                                                                   else "")))

    fig = go.Figure(data=[snapshot(years[-1])], layout=dict(
        template=TEMPLATE, title=title, margin=dict(l=10, r=10, t=60, b=10),
        geo=dict(showframe=False, showcoastlines=False, projection_type="natural earth",
                 showcountries=True, countrycolor="#cfd6de")))
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

    ``statuses`` maps a year to ``metrics.status_on(events, end of year)``.
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

    def snapshot(year: int) -> go.Choropleth:
        st = statuses[year]
        st = st[~st["geo"].astype(str).isin(["WLD", "EUU"]) & ~st["geo"].astype(str)
                .str.startswith("X")]
        text = [f"<b>{_esc(names.get(g, g))}</b><br>{_esc(s)} since {d:%d %b %Y}"
                for g, s, d in zip(st["geo"], st["status"], st["since"], strict=True)]
        return go.Choropleth(locations=st["geo"].astype(str),
                             z=[levels.index(s) + 0.5 for s in st["status"]], zmin=0, zmax=n,
                             colorscale=scale, text=text, hoverinfo="text",
                             marker_line_color="white", marker_line_width=0.5,
                             colorbar=dict(tickvals=[i + 0.5 for i in range(n)],
                                           ticktext=levels, title="status"))

    fig = go.Figure(data=[snapshot(years[-1])], layout=dict(template=TEMPLATE, title=title))
    if animate:
        _add_year_frames(fig, years, snapshot)
    fig.update_geos(showframe=False, showcoastlines=False, projection_type="natural earth",
                    showcountries=True, countrycolor="#cfd6de")
    fig.update_layout(margin=dict(l=10, r=10, t=60, b=10))
    return fig


# ---------------------------------------------------------------- workforce & money


def workforce_figure(workforce: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars: each workforce figure by place and scope, coloured by metric."""
    title = _esc(title or "Where TikTok and ByteDance hire, employ and cut jobs")
    rows = workforce[workforce["value"].notna()]
    if rows.empty:
        return empty_figure("No workforce figures match this selection.", title)
    rows = rows.assign(_label=_geo_label(rows)).sort_values(["_label", "date"])
    rows["_y"] = [f"{g} · {_esc(s) if pd.notna(s) else ''} ({d:%Y})".replace(" ·  (", " (")
                  for g, s, d in zip(rows["_label"], rows["scope"], rows["date"], strict=True)]
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title))
    for metric, group in rows.groupby(rows["metric"].astype(str), sort=True):
        custom = np.column_stack([
            group["date"].dt.strftime("%Y-%m-%d"),
            group["claim_type"].astype(str).map(CLAIM_LABELS).fillna(""),
            _source_lines(group),
            group["horizon_years"].map(lambda h: f"over {h:g} years" if pd.notna(h) else ""),
            group["employer"].astype(str),
        ])
        fig.add_trace(go.Bar(
            y=group["_y"], x=group["value"], orientation="h",
            name=METRIC_LABELS.get(metric, metric), customdata=custom,
            meta={"kind": "workforce", "metric": metric},
            hovertemplate=("<b>%{y}</b><br>%{x:,} people " + METRIC_LABELS.get(metric, metric)
                           + " %{customdata[3]}<br>%{customdata[4]} · %{customdata[0]}"
                           "<br>%{customdata[1]} · %{customdata[2]}<extra></extra>")))
    fig.update_xaxes(title_text="people", type="log")
    fig.update_yaxes(title_text="", categoryorder="array",
                     categoryarray=list(dict.fromkeys(rows["_y"]))[::-1], automargin=True)
    fig.update_layout(barmode="group", height=max(420, 22 * rows["_y"].nunique() + 160))
    return fig


def investments_figure(investments: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Stacked bars of announced investments in USD by place and category.

    ``investments`` carries ``amount_usd`` (``metrics.to_usd``); rows without an amount are
    counted in the subtitle, not drawn.
    """
    title = _esc(title or "Announced investments by place and purpose (USD)")
    quantified = investments[investments["amount_usd"].notna()]
    unquantified = len(investments) - len(quantified)
    if quantified.empty:
        return empty_figure("No investment amounts match this selection.", title)
    quantified = quantified.assign(_label=_geo_label(quantified))
    order = (quantified.groupby("_label")["amount_usd"].sum().sort_values(ascending=False)
             .index.tolist())
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title))
    for category, group in quantified.groupby(quantified["category"].astype(str), sort=True):
        custom = np.column_stack([
            group["date"].dt.strftime("%b %Y"),
            group["amount"].map(_fmt_number) + " " + group["currency"].astype(str),
            group["fx_year"].astype("string").fillna(""),
            group["scope"].map(_esc),
            _source_lines(group),
            group["claim_type"].astype(str).map(CLAIM_LABELS).fillna(""),
        ])
        fig.add_trace(go.Bar(
            x=group["_label"], y=group["amount_usd"], name=category.replace("_", " "),
            customdata=custom, meta={"kind": "investments", "category": category},
            hovertemplate=("<b>%{x}</b>: %{customdata[3]}<br>USD %{y:,.4~s} (%{customdata[1]} at "
                           "%{customdata[2]} average rate)<br>announced %{customdata[0]} · "
                           "%{customdata[5]}<br>%{customdata[4]}<extra></extra>")))
    subtitle = (f"{unquantified} further commitment{'s' if unquantified != 1 else ''} without "
                "a stated amount not drawn" if unquantified else "")
    fig.update_layout(barmode="stack", title=dict(
        text=title + (f"<br><sup>{subtitle}</sup>" if subtitle else "")))
    fig.update_yaxes(title_text="USD (converted at the yearly average rate)", type="log")
    fig.update_xaxes(title_text="", categoryorder="array", categoryarray=order)
    return fig


# ---------------------------------------------------------------- events & pressure


def timeline_figure(events: pd.DataFrame, *, title: str | None = None,
                    controls: bool = False) -> go.Figure:
    """Events as markers: place by date, coloured by type, citation on hover."""
    title = _esc(title or "Regulatory and business events, by place and date")
    if events.empty:
        return empty_figure("No events match this selection.", title)
    events = events.assign(_label=_geo_label(events)).sort_values("date")
    order = (events.groupby("_label")["date"].count().sort_values().index.tolist())
    fig = go.Figure(layout=dict(template=TEMPLATE, title=title))
    for etype, group in events.groupby(events["event_type"].astype(str), sort=True):
        custom = np.column_stack([
            group["title"].map(_esc),
            _date_labels(group),
            group["subdivision"].map(_esc),
            group["authority"].map(_esc),
            group["status_after"].astype(str).str.replace("_", " "),
            _source_lines(group),
            [f"{_fmt_number(a)} {c}" if pd.notna(a) else "" for a, c in
             zip(group["amount"], group["currency"].astype("string"), strict=True)],
        ])
        fig.add_trace(go.Scatter(
            x=group["date"], y=group["_label"], mode="markers", name=etype.replace("_", " "),
            marker=dict(size=10, color=EVENT_COLOURS.get(etype, "#555"),
                        symbol=EVENT_SYMBOLS.get(etype, "circle"),
                        line=dict(width=0.5, color="#333")),
            customdata=custom, meta={"kind": "events", "event_type": etype},
            hovertemplate=("<b>%{customdata[0]}</b><br>%{y} %{customdata[2]} · %{customdata[1]}"
                           "<br>%{customdata[3]} · now: %{customdata[4]} %{customdata[6]}"
                           "<br>%{customdata[5]}<extra>" + _esc(etype) + "</extra>")))
    fig.update_yaxes(title_text="", categoryorder="array", categoryarray=order, automargin=True,
                     tickmode="array", tickvals=order, ticktext=order)
    fig.update_xaxes(title_text="event date")
    fig.update_layout(height=max(420, 22 * len(order) + 180))
    if controls:
        types = [str((t.meta or {}).get("event_type")) for t in fig.data]
        buttons = [dict(label="All event types", method="restyle", args=[{"visible": True}])]
        for etype in types:
            buttons.append(dict(label=etype.replace("_", " "), method="restyle",
                                args=[{"visible": [t == etype for t in types]}]))
        fig.update_layout(updatemenus=[dict(buttons=buttons, direction="down", x=1.0,
                                            xanchor="right", y=1.08, yanchor="bottom",
                                            name="event type")])
    return fig


def pressure_heatmap(pressure: pd.DataFrame, *, title: str | None = None,
                     top: int | None = 30) -> go.Figure:
    """Heatmap of the pressure index: place by period (darker = more pressure)."""
    title = _esc(title or "Regulatory pressure index by place and period")
    if pressure.empty or pressure["pressure"].sum() == 0:
        return empty_figure("No regulatory events in this selection.", title)
    frame = pressure.assign(_label=_geo_label(pressure),
                            _period=pressure["period"].astype(str))
    totals = frame.groupby("_label")["pressure"].sum().sort_values(ascending=False)
    keep = totals.index[: top or len(totals)][::-1]
    grid = frame.pivot_table(index="_label", columns="_period", values="pressure",
                             aggfunc="sum", fill_value=0).reindex(keep)
    counts = frame.pivot_table(index="_label", columns="_period", values="events",
                               aggfunc="sum", fill_value=0).reindex(keep)
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=list(grid.columns), y=list(grid.index), colorscale="OrRd",
        customdata=counts.values, colorbar=dict(title="points"),
        hovertemplate="<b>%{y}</b>, %{x}<br>pressure %{z:.1f} points<br>%{customdata} events"
                      "<extra></extra>", meta={"kind": "pressure"}),
        layout=dict(template=TEMPLATE, title=title))
    fig.update_xaxes(title_text="period", type="category")
    fig.update_yaxes(title_text="", automargin=True)
    fig.update_layout(height=max(380, 20 * len(keep) + 160))
    return fig


def pressure_scatter(table: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Total pressure against the latest user figure per place (log users axis)."""
    title = _esc(title or "Regulatory pressure against TikTok users")
    if table.empty:
        return empty_figure("No place has both user figures and regulatory events here.", title)
    table = table.assign(_label=_geo_label(table))
    custom = np.column_stack([
        table["date"].dt.strftime("%b %Y"),
        table["metric"].astype(str).map(METRIC_LABELS).fillna(""),
        _source_lines(table),
    ])
    fig = go.Figure(go.Scatter(
        x=table["pressure"], y=table["users"], mode="markers+text", text=table["_label"],
        textposition="top center", marker=dict(size=11, color="#e4572e"), customdata=custom,
        meta={"kind": "pressure_users"},
        hovertemplate=("<b>%{text}</b><br>pressure %{x:.1f} points<br>%{y:,.4~g} users "
                       "(%{customdata[1]}, %{customdata[0]})<br>%{customdata[2]}"
                       "<extra></extra>")), layout=dict(template=TEMPLATE, title=title))
    fig.update_xaxes(title_text="regulatory pressure (index points, whole period)")
    fig.update_yaxes(title_text="people (latest figure)", type="log")
    return fig


def trace_names(fig: go.Figure) -> list[str]:
    """Names of the figure's traces (for tests and summaries)."""
    return [str(t.name) for t in fig.data]


def geo_options(frame: pd.DataFrame, regions: pd.DataFrame, codes: Iterable[str] | None = None
                ) -> list[tuple[str, str]]:
    """(label, code) pairs of the geos present in ``frame``, sorted by name."""
    present = set(frame["geo"].astype(str)) if codes is None else set(codes)
    pairs = [(str(n), str(c)) for c, n in zip(regions["code"], regions["name"], strict=True)
             if str(c) in present]
    return sorted(pairs)
