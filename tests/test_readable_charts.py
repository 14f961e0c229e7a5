"""Charts that read on a 390 px phone and on a 1400 px desktop: the geometry every figure
keeps (legends under the plot, menus above it, the title under the modebar, human numbers on
axes and colour bars, no stacks on a log axis, few text labels). ``tests/test_browser.py``
measures the drawn boxes; these check the figures themselves, fast."""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from helpers import formatting, selections
from helpers.atlas import Atlas
from helpers.figures import charts, layout, pressure_scatter, timeline_figure
from helpers.figures.charts import CHARTS

VIEWS = sorted(CHARTS)


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas.load()


@pytest.fixture(scope="module")
def figures(atlas: Atlas) -> list[tuple[str, bool, go.Figure]]:
    """Every view's figures, for the explorer and for the report page."""
    out = []
    for view in VIEWS:
        selection = getattr(selections, view.replace("-", "_"))(atlas)
        for static in (False, True):
            out += [(view, static, fig) for fig in charts(selection, static=static)]
    return out


def _lines(text: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", line) for line in re.split(r"<br>", text)]


def _head(text: str) -> str:
    """A title's main text (its lines in large type), on one line."""
    return " ".join(_lines(text.split("<span")[0].removesuffix("<br>")))


def test_ticks_read_like_the_tables() -> None:
    assert formatting.ticks(0, 2.1e8) == ([0, 5e7, 1e8, 1.5e8, 2e8, 2.5e8],
                                          ["0", "50 M", "100 M", "150 M", "200 M", "250 M"])
    assert formatting.ticks(0, 35.8e9, kind="usd")[1] == [
        "USD 0", "USD 10 bn", "USD 20 bn", "USD 30 bn", "USD 40 bn"]
    assert formatting.ticks(0, 31.9, kind="percent")[1][-1] == "40 %"
    values, text = formatting.ticks(3e3, 2e8, log=True)
    assert values[0] <= 3e3 and values[-1] >= 2e8
    assert text[:2] == ["1,000", "10,000"] and "100 M" in text
    assert formatting.ticks(2e6, 9e7, log=True)[1] == ["1 M", "2 M", "5 M", "10 M", "20 M",
                                                       "50 M", "100 M"]
    assert formatting.ticks(float("nan"), 1) == ([], [])


def test_titles_wrap_at_phrases() -> None:
    assert layout.wrap("TikTok monthly active users, France and Germany", 46) == [
        "TikTok monthly active users,", "France and Germany"]
    head, px = layout.title("Where TikTok was restricted (the data's as-of date)")
    assert head["text"].startswith("Where TikTok was restricted<br><span")
    assert px == 2 * layout.TITLE_LINE
    assert layout.short_label("Europe (as TikTok defines it, usually with the UK)") == "Europe"
    assert layout.short_label("NATO (North Atlantic Treaty Organization)") == "NATO"


def test_legends_lie_under_the_plot(figures: list) -> None:
    for view, _static, fig in figures:
        if fig.layout.meta == {"empty": True}:
            continue
        legend = fig.layout.legend
        assert (legend.orientation, legend.yref, legend.yanchor) == ("h", "container",
                                                                     "bottom"), view
        assert legend.y <= 0 and legend.maxheight == 1, view  # never scrolls


def test_titles_sit_under_the_modebar_and_fit_a_phone(figures: list) -> None:
    for view, _static, fig in figures:
        title = fig.layout.title
        assert title.yref == "container" and title.pad.t >= layout.BAND, view
        lines = _lines(title.text)
        assert all(len(line) <= layout.NOTE_CHARS for line in lines), (view, lines)
        assert fig.layout.margin.t >= layout.BAND + layout.TITLE_LINE * len(lines), view


def test_menus_sit_left_above_the_plot_in_rows_of_their_own(figures: list) -> None:
    for view, static, fig in figures:
        menus = [m for m in fig.layout.updatemenus if m.type != "buttons"]
        if not static:
            assert not menus, view
        rows = {round((m.pad.b or 0) / layout.MENU_ROW) for m in menus}
        assert len(rows) == len(menus), view  # one menu per row
        for menu in menus:
            assert (menu.x, menu.xanchor, menu.y, menu.yanchor) == (0, "left", 1, "bottom")
            lines = len(_lines(fig.layout.title.text))
            above = layout.BAND + lines * layout.TITLE_LINE + menu.pad.b + layout.MENU_ROW
            assert fig.layout.margin.t >= above - 4, view
        selector = fig.layout.xaxis.rangeselector
        if selector and selector.buttons:  # its own row, under the menus, at the right
            assert (selector.x, selector.xanchor, selector.yanchor) == (1, "right", "bottom")
            assert all(m.pad.b >= layout.MENU_ROW for m in menus), view


def _axes(fig: go.Figure) -> list:
    axes = [fig.layout[k] for k in fig.layout if re.fullmatch(r"[xy]axis\d*", k)]
    bars = [t.colorbar for t in fig.data if t.type in ("heatmap", "choropleth")]
    return axes + bars


def test_numbers_on_axes_and_colour_bars_read_like_the_tables(figures: list) -> None:
    for view, _static, fig in figures:
        for axis in _axes(fig):
            text = list(axis.ticktext or [])
            assert len(text) == len(axis.tickvals or []), view
            assert not [t for t in text if re.search(r"\dG$|e\+|\d{7}", str(t))], view
        value_axes = [a for a in _axes(fig) if a.ticktext]
        numeric = [t for t in fig.data if t.type in ("scatter", "bar")
                   and (t.meta or {}).get("kind") not in ("events", "episode", "key",
                                                         "workforce labels")]
        if numeric and view not in ("timeline",):
            assert value_axes, view  # the value axis carries human ticks


def test_no_bars_stack_on_a_log_axis(figures: list) -> None:
    for view, _static, fig in figures:
        if fig.layout.barmode not in ("stack", "relative"):
            continue
        bars = [t for t in fig.data if t.type == "bar"]
        axes = {"xaxis" if (t.orientation or "v") == "h" else "yaxis" for t in bars}
        assert all(fig.layout[a].type != "log" for a in axes), view


def test_maps_use_the_full_width_with_the_colour_bar_and_slider_under_them(
        figures: list) -> None:
    maps = [(v, s, f) for v, s, f in figures if f.data and f.data[0].type == "choropleth"]
    assert maps
    for view, static, fig in maps:
        assert list(fig.layout.geo.domain.x) == [0, 1], view
        bar = fig.data[0].colorbar
        assert bar.orientation == "h" and bar.y < 0 and bar.yanchor == "top", view
        if static:
            slider, play = fig.layout.sliders[0], fig.layout.updatemenus[0]
            assert slider.y < bar.y and slider.pad.l >= 40 and play.x == 0, view
            assert play.y == slider.y, view


def test_growth_events_have_their_own_lane(atlas: Atlas) -> None:
    selection = selections.growth(atlas)
    fig = charts(selection, static=True)[0]
    assert fig.layout.yaxis2.domain[0] > fig.layout.yaxis.domain[1]  # above the users
    lane = [t for t in fig.data if t.meta["kind"] in ("events", "episode")]
    assert lane and all(t.yaxis == "y2" for t in lane)
    rows = dict(zip(fig.layout.yaxis2.tickvals, fig.layout.yaxis2.ticktext, strict=True))
    ban = next(t for t in lane if t.meta["kind"] == "episode" and t.meta["geo"] == "IND")
    assert rows[round(sum(ban.y[:2]) / 2)] == "ban"  # the ban's bar in the ban row
    assert ban.fillcolor.endswith(",0.4)")  # solid, not a faint shade
    marks = {t.meta["event_type"]: t.marker for t in lane if t.meta["kind"] == "events"}
    assert marks["ban"].line.width >= 2 and marks["ban"].line.color == marks["ban"].color
    assert len({(m.symbol, m.color) for m in marks.values()}) == len(marks)  # told apart
    entries = [t.name for t in fig.data if t.showlegend]
    places = selection.rows["geo"].nunique()
    claims = selection.rows["claim_type"].astype(str).nunique()
    assert len(entries) <= places + claims + 1  # places, claim types, "end not sourced"
    users = [t for t in fig.data if t.meta["kind"] == "users"]
    assert all("customdata[2]" in t.hovertemplate for t in users)  # citations on hover


def test_pressure_scatter_names_the_five_most_pressured(atlas: Atlas) -> None:
    fig = charts(selections.pressure(atlas), static=True)[1]
    points = fig.data[0]
    named = [t for t in points.text if t]
    assert len(named) == 5 < len(points.text)
    top = sorted(zip(points.x, points.text, strict=True), reverse=True)[:5]
    assert {t for _, t in top} == set(named)
    assert "customdata[4]" in points.hovertemplate  # every place on hover


def test_timeline_options_keep_only_the_places_of_a_type(atlas: Atlas) -> None:
    selection = selections.timeline(atlas)
    fig = charts(selection, static=True)[0]
    menu = fig.layout.updatemenus[0]
    rows = selection.rows
    everything = menu.buttons[0].args[1]
    assert len(everything["yaxis.categoryarray"]) == rows["geo"].nunique()
    for button in menu.buttons[1:]:
        visible = button.args[0]["visible"]
        trace = fig.data[visible.index(True)]
        chosen = rows[rows["event_type"].astype(str) == trace.meta["event_type"]]
        places = button.args[1]["yaxis.categoryarray"]
        assert set(places) == set(trace.y) and len(places) == chosen["geo"].nunique()
        head = _head(button.args[1]["title.text"])
        events, where = len(chosen), len(places)
        assert head.endswith(f": {formatting.plural(events, 'event')} in "
                             f"{formatting.plural(where, 'place')}"), head
        assert button.args[1]["height"] <= everything["height"]


def test_one_event_in_one_place_is_grammatical() -> None:
    events = pd.DataFrame({
        "event_id": ["E1", "E2"], "geo": ["IND", "USA"], "geo_name": ["India", "USA"],
        "event_type": ["ban", "fine"], "event_type_label": ["ban", "fine"],
        "date": pd.to_datetime(["2020-06-29", "2021-01-01"]), "date_precision": ["day"] * 2,
        "title": ["t1", "t2"], "authority": ["a", "b"], "status_after": ["in_force"] * 2,
        "subdivision": [pd.NA] * 2,
        "amount": [None, None], "currency": [pd.NA] * 2})
    fig = timeline_figure(events, controls=True)
    assert _head(fig.layout.updatemenus[0].buttons[1].args[1]["title.text"]) == (
        "Ban: 1 event in 1 place")


def test_empty_scatter_and_single_point() -> None:
    table = pd.DataFrame({"geo": ["IND"], "geo_name": ["India"], "pressure": [3.0],
                          "users": [2e8], "date": pd.to_datetime(["2020-06-01"]),
                          "metric": ["monthly_active_users"]})
    fig = pressure_scatter(table)
    assert list(fig.data[0].text) == ["India"]


def test_a_message_figure_keeps_its_title_clear_of_the_modebar() -> None:
    from helpers.figures import empty_figure

    fig = empty_figure("Nothing to draw.", "A title long enough to need two lines on a "
                       "phone, all regions")
    assert fig.layout.title.yref == "container" and fig.layout.title.pad.t >= layout.BAND
    assert len(_lines(fig.layout.title.text)) == 2 and fig.layout.meta == {"empty": True}
