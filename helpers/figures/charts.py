"""The chart(s) of each view for a :class:`~helpers.selections.Selection`: the same
builders for the explorer (``static=False``: one state, updated in place) and for the report
page (``static=True``: plotly's own menus, sliders and frames, no kernel needed)."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from helpers import metrics
from helpers.figures.common import empty_figure
from helpers.figures.events import pressure_heatmap, pressure_scatter, timeline_figure
from helpers.figures.maps import choropleth_figure, status_map_figure
from helpers.figures.money import investments_figure, workforce_figure
from helpers.figures.users import claims_figure, growth_figure
from helpers.selections import Selection


def _growth(sel: Selection, static: bool) -> list[go.Figure]:
    p = sel.params
    return [growth_figure(sel.rows, sel.extra.get("events"), episodes=sel.extra.get("episodes"),
                          y=p["y"], log_y=p["log_y"], title=sel.title, controls=static)]


def _claims(sel: Selection, static: bool) -> list[go.Figure]:
    return [claims_figure(sel.rows, title=sel.title)]


def _users_map(sel: Selection, static: bool) -> list[go.Figure]:
    p = sel.params
    share = p["map_show"] == "share_pct"
    options = dict(value=p["map_show"], title=sel.title, log_colour=not share,
                   colorbar_title="% of population" if share else "people")
    if static:
        history = sel.extra["history"]
        first = int(history["date"].dt.year.min()) if len(history) else p["map_year"]
        fig = choropleth_figure(history, years=list(range(first, p["map_year"] + 1)),
                                **options)
        fig.layout.title.text = fig.layout.title.text.replace(
            f"up to {p['map_year']}", "up to the year on the slider")
        return [fig]
    return [choropleth_figure(sel.rows, years=[p["map_year"]], animate=False, **options)]


def _workforce(sel: Selection, static: bool) -> list[go.Figure]:
    fig = workforce_figure(sel.rows, title=sel.title)
    if static:
        add_trace_menu(fig, "metric", "All kinds")
    return [fig]


def _investments(sel: Selection, static: bool) -> list[go.Figure]:
    fig = investments_figure(sel.rows, title=sel.title)
    if static:
        add_trace_menu(fig, "category", "All purposes")
    return [fig]


def _investments_map(sel: Selection, static: bool) -> list[go.Figure]:
    year = sel.params["map_year"]
    options = dict(value="amount_usd", aggregate="sum", log_colour=True, colorbar_title="USD")
    if static:
        history = sel.extra["history"]
        history = history[history["date"].dt.year <= year]
        first = int(history["date"].dt.year.min()) if len(history) else year
        title = sel.title.replace(f"up to {year}", "up to the year on the slider")
        return [choropleth_figure(history, years=list(range(first, year + 1)), title=title,
                                  prepare=metrics.counted_once, **options)]
    return [choropleth_figure(sel.rows, years=[year], animate=False, title=sel.title,
                              **options)]


def _timeline(sel: Selection, static: bool) -> list[go.Figure]:
    return [timeline_figure(sel.rows, title=sel.title, controls=static)]


def _status_map(sel: Selection, static: bool) -> list[go.Figure]:
    year = sel.params["status_year"]
    if static:
        return [status_map_figure(sel.extra["by_year"](), active=year,
                                  title="Where TikTok was restricted, by the end of the year "
                                  "on the slider (the data's as-of date in its last year)")]
    return [status_map_figure({year: sel.rows}, animate=False, title=sel.title)]


def _pressure(sel: Selection, static: bool) -> list[go.Figure]:
    return [pressure_heatmap(sel.rows, title=sel.title),
            pressure_scatter(sel.extra["versus"])]


CHARTS: dict[str, Callable[[Selection, bool], list[go.Figure]]] = {
    "growth": _growth, "claims": _claims, "users-map": _users_map, "workforce": _workforce,
    "investments": _investments, "investments-map": _investments_map, "timeline": _timeline,
    "status-map": _status_map, "pressure": _pressure,
}


def charts(selection: Selection, static: bool = False) -> list[go.Figure]:
    """The figures of ``selection``'s view (a message figure when it is empty)."""
    if selection.is_empty:
        return [empty_figure(selection.message, selection.title)]
    return CHARTS[selection.view](selection, static)


def add_trace_menu(fig: go.Figure, key: str, all_label: str) -> None:
    """A dropdown showing all traces or those whose meta[key] matches (static pages)."""
    values = [str((t.meta or {}).get(key)) for t in fig.data]
    names = {str((t.meta or {}).get(key)): str(t.name) for t in fig.data}
    if len(set(values)) < 2:
        return
    buttons = [dict(label=all_label, method="restyle", args=[{"visible": True}])]
    for value in dict.fromkeys(values):
        buttons.append(dict(label=names[value], method="restyle",
                            args=[{"visible": [v == value for v in values]}]))
    fig.update_layout(updatemenus=[dict(buttons=buttons, direction="down", x=1.0,
                                        xanchor="right", y=1.08, yanchor="bottom")])
