"""The chart(s) of each view for a :class:`~helpers.selections.Selection`: the same
builders for the explorer (``static=False``: one state, updated in place) and for the report
page (``static=True``: plotly's own menus, sliders and frames, no kernel needed)."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from helpers import metrics
from helpers.figures import layout
from helpers.figures.common import empty_figure
from helpers.figures.events import pressure_heatmap, pressure_scatter, timeline_figure
from helpers.figures.maps import choropleth_figure, status_map_figure
from helpers.figures.money import investments_figure, workforce_figure
from helpers.figures.users import claims_figure, growth_figure
from helpers.selections import Selection


def _growth(sel: Selection, static: bool) -> list[go.Figure]:
    p = sel.params
    return [growth_figure(sel.rows, sel.extra.get("events"), episodes=sel.extra.get("episodes"),
                          y=p["y"], log_y=p["log_y"], title=sel.title, controls=static,
                          place_titles=sel.extra.get("place_titles"))]


def _claims(sel: Selection, static: bool) -> list[go.Figure]:
    return [claims_figure(sel.rows, title=sel.title)]


def _users_map(sel: Selection, static: bool) -> list[go.Figure]:
    p = sel.params
    share = p["map_show"] == "share_pct"
    options = dict(value=p["map_show"], log_colour=not share,
                   colorbar_title="% of population" if share else "people")
    if static:
        history = sel.extra["history"]
        first = int(history["date"].dt.year.min()) if len(history) else p["map_year"]
        title = sel.title.replace(f"up to {p['map_year']}", "up to the year on the slider")
        return [choropleth_figure(history, years=list(range(first, p["map_year"] + 1)),
                                  title=title, **options)]
    return [choropleth_figure(sel.rows, years=[p["map_year"]], animate=False,
                              title=sel.title, **options)]


def _workforce(sel: Selection, static: bool) -> list[go.Figure]:
    fig = workforce_figure(sel.rows, title=sel.title)
    if static:
        add_trace_menu(fig, "metric", "All kinds")
    return [fig]


def _investments(sel: Selection, static: bool) -> list[go.Figure]:
    fig = investments_figure(sel.rows, title=sel.title)
    if static:
        add_trace_menu(fig, "category", "All purposes", ticks=_stacked_ticks)
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
                                  moments=sel.extra.get("moments"))]
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


def add_trace_menu(fig: go.Figure, key: str, all_label: str,
                   ticks: Callable[[list], dict] | None = None) -> None:
    """A dropdown showing all traces or those whose meta[key] matches (static pages), on the
    left in a menu row added above the plot. ``ticks(traces)`` gives the value axis' ticks
    for the traces an option shows (``{"xaxis.tickvals": ...}``)."""
    values = [str((t.meta or {}).get(key)) for t in fig.data]
    names: dict[str, str] = {}
    for t in fig.data:
        names.setdefault(str((t.meta or {}).get(key)), str(t.name))
    if len(set(values)) < 2:
        return

    def option(label: str, visible: list[bool]) -> dict:
        shown = [t for t, v in zip(fig.data, visible, strict=True) if v]
        return dict(label=label, method="update",
                    args=[{"visible": visible}, ticks(shown) if ticks else {}])

    buttons = [option(all_label, [True] * len(values))]
    for value in dict.fromkeys(values):
        buttons.append(option(names[value], [v == value for v in values]))
    fig.update_layout(updatemenus=[layout.menu(buttons)],
                      height=(fig.layout.height or 450) + layout.MENU_ROW,
                      margin_t=(fig.layout.margin.t or 0) + layout.MENU_ROW)


def _stacked_ticks(traces: list) -> dict:
    """Ticks of horizontal USD bars stacked per row, for the traces shown."""
    totals: dict[object, float] = {}
    for trace in traces:
        for row, amount in zip(trace.y, trace.x, strict=True):
            totals[row] = totals.get(row, 0.0) + float(amount)
    found = layout.axis_ticks(0.0, max(totals.values(), default=0.0), kind="number")
    return {f"xaxis.{k}": v for k, v in found.items() if k != "tickmode"}
