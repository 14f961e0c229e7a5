"""World maps: the latest figure (or a sum) per country up to a year, and each country's
restriction status. Only places whose ``regions.kind`` is country are drawn."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from helpers import formatting
from helpers.figures import layout
from helpers.figures.common import (
    date_labels,
    empty_figure,
    esc,
    geo_labels,
    make_figure,
    source_lines,
)
from helpers.figures.style import STATUS_COLOURS, TEMPLATE


def countries_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of countries (``geo_kind``; rows without it: three-letter codes that are not
    an aggregate code of the package's conventions)."""
    if "geo_kind" in frame:
        return frame[frame["geo_kind"].astype(str) == "country"]
    geo = frame["geo"].astype(str)
    return frame[geo.str.fullmatch(r"[A-Z]{3}") & ~geo.isin(["WLD", "EUU"])
                 & ~geo.str.startswith("X")]


MAP_PLOT = 340
"""px: the height of the map (full width: on a desktop it is as wide as this allows)."""
SLIDER = 84
"""px under the colour bar for the year slider and its play button."""
PLAY = 46
"""px left of the slider for its play button."""


def colour_ticks(zmin: float, zmax: float, *, log: bool, kind: str) -> dict:
    """Colour-bar ticks written as people read them (1 M, 10 M; USD 1 bn; 30 %): on a log
    colour scale (z = log10 of the value) at 1, 2, 5 times powers of ten."""
    low, high = (10.0 ** zmin, 10.0 ** zmax) if log else (zmin, zmax)
    values, text = formatting.ticks(low, high, log=log, kind=kind)
    kept = [(v, t) for v, t in zip(values, text, strict=True)
            if low * (1 - 1e-9) <= v <= high * (1 + 1e-9) or low == high]
    return dict(tickmode="array",
                tickvals=[float(np.log10(v)) if log else v for v, _ in kept],
                ticktext=[t for _, t in kept])


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
    title = esc(title)
    countries = countries_only(frame)
    if prepare is None:  # a commitment's rows without an amount still count in ``prepare``
        countries = countries[countries[value].notna()]
    if countries[value].notna().sum() == 0:
        return empty_figure("No country figures match this selection.", title)
    # the latest figure of a country; on one date, the largest (``metrics.latest_per_geo``)
    countries = countries.sort_values(["date", value], na_position="first")
    countries = countries.assign(
        _label=geo_labels(countries), _when=date_labels(countries),
        _src=source_lines(countries),
        _claim=(countries["claim_type_label"].astype(str) if "claim_type_label" in countries
                else countries["claim_type"].astype(str).str.replace("_", " ")
                if "claim_type" in countries else ""),
        _metric=(countries["metric_label"].astype(str) + ", " if "metric_label" in countries
                 else ""))
    years = list(years or range(int(countries["date"].dt.year.min()),
                                int(countries["date"].dt.year.max()) + 1))
    drawn = prepare(countries) if prepare is not None else countries
    by_geo = drawn.groupby(drawn["geo"].astype(str))
    top = by_geo[value].sum().max() if aggregate == "sum" else drawn[value].max()
    positive = countries.loc[countries[value] > 0, value]
    zmax = float(np.log10(max(top, 1))) if log_colour else float(top)
    zmin = float(np.log10(max(positive.min(), 1))) if log_colour and len(positive) else 0.0
    kind = "usd" if value.endswith("usd") else "percent" if value.endswith("pct") else "number"
    fmt = formatting.TICK_FORMATS[kind]
    colorbar = dict(title=dict(text=esc(colorbar_title)),
                    **colour_ticks(zmin, zmax, log=log_colour, kind=kind))

    def snapshot(year: int) -> dict:
        upto = countries[countries["date"].dt.year <= year]
        if prepare is not None:
            upto = prepare(upto)
            upto = upto[upto[value].notna()].sort_values(["date", value])
        grouped = upto.groupby(upto["geo"].astype(str))
        latest = grouped.tail(1).set_index(upto.loc[grouped.tail(1).index, "geo"].astype(str))
        shown = grouped[value].sum() if aggregate == "sum" else latest[value]
        latest = latest.loc[shown.index]
        z = np.log10(shown.clip(lower=1)) if log_colour else shown
        if aggregate == "sum":
            count = grouped.size()
            text = ("<b>" + latest["_label"] + "</b>: " + shown.map(fmt) + " in "
                    + count.map(lambda n: formatting.plural(int(n), "commitment"))
                    + " up to " + str(year) + "<br>latest: " + latest["_when"] + " · "
                    + latest["_src"])
        else:
            text = ("<b>" + latest["_label"] + "</b>: " + shown.map(fmt) + "<br>"
                    + latest["_metric"] + "as of " + latest["_when"] + "<br>"
                    + latest["_claim"] + " · " + latest["_src"])
        return dict(type="choropleth", locations=list(shown.index), z=np.asarray(z),
                    text=list(text), hoverinfo="text", zmin=zmin, zmax=zmax,
                    colorscale=get_colorscale("Blues"),
                    marker=dict(line=dict(color="white", width=0.5)), colorbar=colorbar)

    return _map_figure(snapshot, years, title, animate)


def _map_figure(snapshot: Callable[[int], dict], years: Sequence[int], title: str,
                animate: bool, active: int | None = None,
                titles: Mapping[int, str] | None = None) -> go.Figure:
    """A world map showing ``snapshot(active)`` (default: the last year) across the full
    width, its colour bar lying under it; with ``animate``, a frame per year and, under the
    colour bar, a slider starting on ``active`` with a play button on its left."""
    active = years[-1] if active not in years else active
    frame = layout.frame(title, MAP_PLOT, below=0,
                         extra=layout.COLOURBAR + (SLIDER if animate else 0))
    # nothing on a map pushes the margins: paper coordinates are px-exact under the map
    frame["margin"].update(l=10, r=10, b=layout.COLOURBAR + (SLIDER if animate else 0) + 10,
                           autoexpand=False)

    def placed(year: int) -> dict:
        trace = snapshot(year)
        bar = dict(trace.pop("colorbar"))
        bar_title = bar.pop("title")["text"]
        trace["colorbar"] = layout.colourbar(bar_title, MAP_PLOT, ticks=bar)
        return trace

    fig = make_figure([placed(active)], dict(
        template=TEMPLATE, **frame,
        geo=dict(showframe=False, showcoastlines=False, showcountries=True,
                 countrycolor="#cfd6de", showland=True, landcolor="#f4f6f8",
                 projection=dict(type="natural earth", rotation=dict(lon=0)),
                 lataxis=dict(range=[-58, 85]), center=dict(lon=0),
                 domain=dict(x=[0, 1], y=[0, 1]))))
    if animate:
        _add_year_frames(fig, years, placed, years.index(active), titles)
    return fig


def _add_year_frames(fig: go.Figure, years: Sequence[int],
                     snapshot: Callable[[int], dict], active: int,
                     titles: Mapping[int, str] | None = None) -> None:
    """Animation frames with a year slider (starting on ``years[active]``) under the colour
    bar, and a play button on the slider's left; with ``titles`` (escaped, per year), each
    frame sets the chart's title and the slider shows the year alone."""
    fig.frames = [go.Frame(name=str(y), data=[snapshot(y)], layout=dict(
        title=dict(text=layout.title(titles[y])[0]["text"])) if titles else None)
        for y in years]
    steps = [dict(method="animate", label=str(y),
                  args=[[str(y)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                       transition=dict(duration=0))]) for y in years]
    below = -(layout.COLOURBAR + 8) / MAP_PLOT  # paper units: the map is MAP_PLOT px high
    fig.update_layout(
        sliders=[dict(active=active, steps=steps, x=0, len=1, xanchor="left", y=below,
                      yanchor="top", pad=dict(l=PLAY, t=0, b=0, r=10),
                      font=dict(size=11),
                      currentvalue=dict(prefix="" if titles else "as of end of ",
                                        font=dict(size=13)))],
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=below, xanchor="left",
                          yanchor="top", pad=dict(t=26, l=0, r=0, b=0),
                          buttons=[dict(label="▶", method="animate", args=[
                              None, dict(frame=dict(duration=700, redraw=True),
                                         fromcurrent=False, transition=dict(duration=0))])])])


def _two_lines(text: str) -> str:
    """A status name on two lines at its middle space (five must share a phone's width)."""
    words = text.split(" ")
    if len(words) < 2:
        return text
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i]))
                                                      - len(" ".join(words[i:]))))
    return " ".join(words[:cut]) + "<br>" + " ".join(words[cut:])


def status_map_figure(statuses: dict[int, pd.DataFrame], *, title: str | None = None,
                      animate: bool = True, active: int | None = None,
                      moments: Mapping[int, str] | None = None) -> go.Figure:
    """Map of the strongest national status per country at the end of each year (slider).

    ``statuses`` maps a year to the statuses at its end (``selections.status_at``: with
    place names and sources for the citation on hover); ``moments`` names when each year's
    status holds ("at the end of 2020"), and each year's frame then titles the map with it."""
    title = esc(title or "Where TikTok was restricted, by the end of each year")
    levels = list(STATUS_COLOURS)
    n = len(levels)
    scale = []
    for i, colour in enumerate(STATUS_COLOURS.values()):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    years = sorted(statuses)
    if not years:
        return empty_figure("No restrictions in this period.", title)

    def snapshot(year: int) -> dict:
        st = countries_only(statuses[year])
        cause = (st["title"].map(esc) if "title" in st else pd.Series("", index=st.index))
        ends = (st["end_sourced"].astype(bool) if "end_sourced" in st
                else pd.Series(True, index=st.index))
        names = geo_labels(st)
        text = [f"<b>{n}</b><br>{esc(s)} since {formatting.day(d)}"
                f"{'' if e or s == 'ban lifted' else ' (no end sourced)'}"
                f"<br>{c}<br>{src}" for n, s, d, e, c, src in zip(
                    names, st["status"], st["since"], ends, cause, source_lines(st),
                    strict=True)]
        return dict(type="choropleth", locations=st["geo"].astype(str).tolist(),
                    z=[levels.index(s) + 0.5 for s in st["status"]], zmin=0, zmax=n,
                    colorscale=scale, text=text, hoverinfo="text",
                    marker=dict(line=dict(color="white", width=0.5)),
                    colorbar=dict(tickvals=[i + 0.5 for i in range(n)],
                                  ticktext=[_two_lines(s) for s in levels],
                                  tickfont=dict(size=10), title=dict(text="status")))

    titles = ({y: esc(f"Where TikTok was restricted {moments[y]}") for y in years}
              if moments and animate and all(y in moments for y in years) else None)
    if titles:
        title = titles[active if active in titles else years[-1]]
    return _map_figure(snapshot, years, title, animate, active, titles)
