"""Figure builders: traces, axes, hover text, event markers and ranges for given data."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import figures, metrics, schema, selections
from helpers.atlas import Atlas
from helpers.data import load_table

TYPES = load_table("event_types")


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas.load()


def _users() -> pd.DataFrame:
    return pd.DataFrame({
        "geo": ["USA", "USA", "IND"], "geo_name": ["United States", "United States", "India"],
        "metric": ["monthly_active_users"] * 3, "product": ["tiktok"] * 3,
        "date": pd.to_datetime(["2019-01-01", "2020-06-01", "2019-12-01"]),
        "date_precision": ["month"] * 3, "value": [26.7e6, 91e6, 81e6],
        "claim_type": ["company", "company", "press_report"],
        "source_id": ["a", "a", "b"], "source_title": ["Filing <b>x</b>", "Filing", "Report"],
        "source_publisher": ["Billboard", "Billboard", "Reuters"],
        "source_published": ["2020-08", "2020-08", "2020-07"]}).pipe(_labelled)


def _labelled(users: pd.DataFrame) -> pd.DataFrame:
    """The label and symbol columns ``Atlas`` joins from the data package."""
    return users.assign(
        claim_type_label=users["claim_type"].map(schema.labels("users", "claim_type")),
        claim_symbol=users["claim_type"].map(schema.symbols("users", "claim_type")),
        metric_label=users["metric"].map(schema.labels("users", "metric")))


def _events() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["E1", "E2", "E3"], "geo": ["IND", "USA", "USA"],
        "geo_name": ["India", "United States", "United States"],
        "category": ["regulatory"] * 3, "event_type": ["ban", "executive_order", "court_ruling"],
        "subdivision": [pd.NA] * 3, "date": pd.to_datetime(["2020-06-29", "2020-08-06",
                                                            "2020-09-27"]),
        "date_precision": ["day"] * 3, "end_date": pd.to_datetime([None, None, None]),
        "title": ["India bans <TikTok>", "EO 13942", "Injunction"],
        "authority": ["MeitY", "White House", "US District Court"],
        "status_after": ["in_force", "revoked", "completed"],
        "amount": [None, None, None], "currency": [pd.NA] * 3,
        "source_id": ["c", "d", "e"], "source_title": ["t1", "t2", "t3"],
        "source_publisher": ["BBC", "Federal Register", "Reuters"],
        "source_published": ["2020-06-29", "2020-08-11", "2020-09-28"]}).pipe(
        metrics.with_event_types, TYPES)


def test_growth_figure_lines_markers_and_ranges() -> None:
    episodes = metrics.restriction_episodes(_events(), as_of="2026-06-30")
    fig = figures.growth_figure(_users(), _events(), episodes=episodes)
    users = [t for t in fig.data if t.meta["kind"] == "users"]
    marks = [t for t in fig.data if t.meta["kind"] == "events"]
    ranges = [t for t in fig.data if t.meta["kind"] == "episode"]
    assert [t.name for t in users] == ["India: monthly active users · press report",
                                       "United States: monthly active users · company claim"]
    assert list(users[1].y) == [26.7e6, 91e6]
    assert {t.meta["event_type"] for t in marks} == {"ban", "executive_order", "court_ruling"}
    assert all(t.yaxis == "y2" for t in marks)
    assert len(ranges) == 1  # the nationwide ban in force, as a shaded range with hover
    assert ranges[0].x[0] == pd.Timestamp("2020-06-29")
    assert ranges[0].x[2] == pd.Timestamp("2026-06-30")  # in force: to the as-of date
    assert "in force, no end reported" in ranges[0].text
    assert not fig.layout.shapes
    assert fig.layout.yaxis.title.text == "people"
    assert fig.layout.template.layout.font.family.startswith("Inter")
    hover = users[1].hovertemplate
    assert "customdata[1]" in hover and "customdata[2]" in hover  # claim type, publisher
    custom = users[1].customdata[0]
    assert custom[1] == "company claim" and custom[2] == "Billboard, 2020-08"
    assert "&lt;b&gt;" in custom[3]  # data text is escaped, never markup
    ban = next(t for t in marks if t.meta["event_type"] == "ban")
    assert "India bans &lt;TikTok&gt;" in ban.customdata[0][0]


def test_growth_figure_modes_and_controls() -> None:
    users = _users().assign(share_pct=[8.0, 27.0, 5.8])
    fig = figures.growth_figure(users, None, y="share_pct", log_y=True, controls=True)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.title.text == "% of population"
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["All places", "India", "United States"]
    kinds = [(t.meta["kind"], t.meta["geo"], t.name) for t in fig.data]
    shown = dict(zip(kinds, menu.buttons[1].args[0]["visible"], strict=True))
    assert {k[1]: v for k, v in shown.items() if k[0] == "users"} == {"IND": True,
                                                                      "USA": False}
    keys = {k[2]: v for k, v in shown.items() if k[0] == "key"}
    assert keys == {"India": True, "United States": False,  # the place's colour
                    "press report": True, "company claim": False}  # India's claim types
    ticks = menu.buttons[1].args[1]  # the axis' ticks of India's figures only
    assert ticks["yaxis.ticktext"] and "G" not in "".join(ticks["yaxis.ticktext"])


def test_empty_inputs_give_a_message_figure() -> None:
    fig = figures.growth_figure(_users().iloc[0:0])
    assert fig.layout.meta == {"empty": True}
    assert "No user figures" in fig.layout.annotations[0].text
    assert figures.timeline_figure(_events().iloc[0:0]).layout.meta == {"empty": True}


def test_claims_figure_separates_claim_types() -> None:
    fig = figures.claims_figure(_users())
    assert [t.name for t in fig.data] == ["company claim: monthly active users",
                                          "press report: monthly active users"]
    assert fig.data[1].mode == "markers"  # a single figure is a point, never a line


def test_timeline_and_controls(atlas: Atlas) -> None:
    fig = figures.timeline_figure(_events(), controls=True)
    assert {t.name for t in fig.data} == {"ban", "executive order", "court ruling"}
    assert list(fig.layout.yaxis.categoryarray) == ["India", "United States"]
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels[0] == "All event types" and len(labels) == 4


def test_maps(atlas: Atlas) -> None:
    rows = metrics.filter_rows(atlas.users, product="tiktok")
    fig = figures.choropleth_figure(rows, title="t", colorbar_title="people", log_colour=True)
    assert fig.data[0].type == "choropleth"
    assert len(fig.frames) == len(fig.layout.sliders[0].steps) >= 8
    assert "WLD" not in set(fig.data[0].locations)
    static = figures.choropleth_figure(rows, title="t", colorbar_title="p", animate=False)
    assert not static.frames
    statuses = {2020: selections.status_at(atlas, 2020)}
    status = figures.status_map_figure(statuses)
    assert "IND" in set(status.data[0].locations)
    assert [t.replace("<br>", " ") for t in status.data[0].colorbar.ticktext] == list(
        figures.STATUS_COLOURS)  # on two lines, so that five share a phone's width


def test_workforce_investments_pressure(atlas: Atlas) -> None:
    wf = figures.workforce_figure(atlas.workforce)
    assert wf.layout.xaxis.title.text == "people (log scale)"
    bars = [t for t in wf.data if t.type == "bar"]
    assert sum(len(t.x) for t in bars) == atlas.workforce["value"].notna().sum()
    labels = [t for t in wf.data if t.meta["kind"] == "workforce labels"]
    assert sum(len(t.text) for t in labels) == sum(len(t.x) for t in bars)
    assert max(len(text) for t in labels for text in t.text) <= 50  # a phone's width
    inv = figures.investments_figure(atlas.investments)
    drawn = sum(len(t.y) for t in inv.data)
    assert drawn == atlas.investments["amount_usd"].notna().sum()
    assert "without a stated amount" in inv.layout.title.text
    assert inv.layout.xaxis.title.text.startswith("USD")  # horizontal bars: a row per place
    assert inv.layout.barmode == "stack" and inv.layout.xaxis.type == "linear"
    index = metrics.with_geo_names(metrics.pressure_index(atlas.events, atlas.fx),
                                   atlas.regions)
    heat = figures.pressure_heatmap(index, top=10)
    assert heat.data[0].type == "heatmap" and len(heat.data[0].y) == 10
    versus = selections.versus_users(atlas, index)
    scatter = figures.pressure_scatter(versus)
    assert scatter.layout.yaxis.type == "log" and len(scatter.data[0].x) == len(versus)


def _json(fig) -> dict:
    import json

    import plotly.io as pio

    return json.loads(pio.to_json(fig))


def _all_figures(atlas: Atlas) -> list:
    users = metrics.filter_rows(atlas.users, geos=["USA", "IND", "GBR"], product="tiktok")
    events = metrics.filter_rows(atlas.events, geos=["USA", "IND", "GBR"],
                                 category="regulatory")
    index = metrics.with_geo_names(metrics.pressure_index(atlas.events, atlas.fx),
                                   atlas.regions)
    statuses = {2021: selections.status_at(atlas, 2021)}
    return [
        lambda: figures.growth_figure(users, events),
        lambda: figures.growth_figure(users, events, controls=True, y="share_pct"),
        lambda: figures.claims_figure(users),
        lambda: figures.choropleth_figure(users, title="t", colorbar_title="p"),
        lambda: figures.choropleth_figure(atlas.investments, value="amount_usd",
                                          aggregate="sum", title="t", colorbar_title="USD"),
        lambda: figures.status_map_figure(statuses),
        lambda: figures.workforce_figure(atlas.workforce),
        lambda: figures.investments_figure(atlas.investments),
        lambda: figures.timeline_figure(atlas.events, controls=True),
        lambda: figures.pressure_heatmap(index),
        lambda: figures.pressure_scatter(metrics.pressure_vs_users(index, atlas.users)),
    ]


def test_unvalidated_figures_equal_validated_ones(atlas: Atlas) -> None:
    """The explorers skip plotly's validation for speed: that is only safe because every
    figure is valid, which this checks (plotly raises on an invalid property)."""
    for build in _all_figures(atlas):
        checked = _json(build())
        with figures.unvalidated():
            fast = _json(build())
        assert fast == checked


def _pruned(value: object) -> object:
    """JSON without empty objects and lists (a property reset to its default leaves ``{}``
    in plotly's Python figure; plotly.js reads both as the default)."""
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def test_sync_figure_shows_exactly_the_new_figure(atlas: Atlas) -> None:
    import plotly.graph_objects as go

    from helpers.widgets import sync_figure

    target, shown = go.FigureWidget(), None
    for build in _all_figures(atlas) + _all_figures(atlas)[::-1]:
        with figures.unvalidated():
            source = build()
        if source.frames:  # explorers draw maps without frames (FigureWidget has none)
            continue
        shown = sync_figure(target, shown, source)
        drawn, expected = _pruned(_json(target)), _pruned(_json(go.FigureWidget(source)))
        n = len(expected["data"])
        assert drawn["layout"] == expected["layout"]
        assert drawn["data"][:n] == expected["data"]
        # fewer traces than before: the rest are hidden empty slots (one redraw, no delete)
        for slot in drawn["data"][n:]:
            assert slot["visible"] is False and slot["meta"] == {"kind": "unused slot"}
            assert not {"x", "y", "z", "locations", "text", "customdata"} & set(slot)


def test_plotly_private_switches_still_exist() -> None:
    """Guard of ``helpers.figures.fastpath``: plotly still takes ``_validate=False`` (an
    invalid property passes unchecked) and still exposes raw ``_props``; if a release drops
    either, this fails and the fast path must be revisited (it falls back to validating)."""
    import plotly.graph_objects as go

    from helpers.figures import fastpath

    go.Figure(data=[{"type": "scatter", "mode": "not a mode"}], _validate=False)
    with pytest.raises(ValueError):
        go.Figure(data=[{"type": "scatter", "mode": "not a mode"}])
    props = fastpath.raw_properties(go.Scatter(x=[1, 2]))
    assert props is not None and list(props["x"]) == [1, 2]


def test_explorer_widgets_keep_their_state_for_new_views(atlas: Atlas) -> None:
    """Guard of ``fastpath.keep_widget_state``: after an update the FigureWidget's synced
    state (what a reload or a second view draws) is the figure the kernel holds."""
    from helpers.widgets import GrowthExplorer

    g = GrowthExplorer(atlas, countries=["IND", "USA"])
    g.controls["countries"].value = ["France", "Germany"]
    fig = g.figures[0]
    assert [t.get("name") for t in fig._widget_data] == [t.name for t in fig.data]
    assert fig._widget_layout.get("title") == fig.layout.title.to_plotly_json()
