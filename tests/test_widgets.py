"""Explorers driven from pytest: each control changes what is drawn in the expected way, an
empty selection shows the view's own message (never a traceback, never an empty chart),
linked controls narrow each other, and an explorer selects exactly the rows of its report
twin for the same parameters; its parameters round-trip through a new explorer."""

from __future__ import annotations

import base64

import pandas as pd
import pytest

from helpers import selections, views
from helpers import widgets as W
from helpers.atlas import Atlas


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas.load()


def _traces(explorer: W.Explorer, kind: str, index: int = 0) -> list:
    return [t for t in explorer.figures[index].data if (t.meta or {}).get("kind") == kind]


# ---------------------------------------------------------------- growth


def test_growth_default_is_the_largest_markets_and_region_narrows_places(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas)
    chosen = g.parameters()["countries"]
    assert chosen == selections.default_places(atlas, "All", "monthly_active_users")
    assert len(chosen) == selections.DEFAULT_PLACES
    assert {t.meta["geo"] for t in _traces(g, "users")} == set(chosen)
    g.controls["region"].value = "Europe"
    europe = {atlas.place_names[c] for c in atlas.geos_in("Europe")}
    offered = set(g.controls["countries"].allowed_tags)
    assert offered and offered <= europe
    assert g.parameters()["countries"] == selections.default_places(
        atlas, "Europe", "monthly_active_users")
    assert {t.meta["geo"] for t in _traces(g, "users")} == set(g.parameters()["countries"])


def test_growth_each_control_changes_the_figure(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas, countries=["USA", "IND"], metric="All")
    assert {t.meta["geo"] for t in _traces(g, "users")} == {"USA", "IND"}
    g.controls["countries"].value = ["United States"]
    assert {t.meta["geo"] for t in _traces(g, "users")} == {"USA"}
    assert all(t.name.startswith("United States: ") for t in _traces(g, "users"))
    g.controls["metric"].value = "monthly_active_users"
    assert set(g.rows["metric"].astype(str)) == {"monthly_active_users"}
    assert all(": monthly active users" in t.name for t in _traces(g, "users"))
    g.controls["log_y"].value = True
    assert g.figures[0].layout.yaxis.type == "log"
    g.controls["log_y"].value = False
    g.controls["y"].value = "share_pct"
    assert g.figures[0].layout.yaxis.title.text == "% of population"
    assert 0 < max(max(t.y) for t in _traces(g, "users")) < 100
    g.controls["y"].value = "change_pct"
    g.controls["base_year"].value = 2019
    assert "change" in g.figures[0].layout.yaxis.title.text
    assert g.rows["base_value"].gt(0).all()
    g.controls["y"].value = "value"
    marks = {t.meta["event_type"] for t in _traces(g, "events")}
    assert marks and marks <= set(g.controls["event_types"].value)
    g.controls["event_types"].value = ("court_ruling",)
    assert {t.meta["event_type"] for t in _traces(g, "events")} == {"court_ruling"}
    g.controls["event_types"].value = ()
    assert _traces(g, "events") == [] and _traces(g, "episode") == []
    g.controls["claim_type"].value = "third_party_estimate"
    assert set(g.rows["claim_type"].astype(str)) == {"third_party_estimate"}
    g.controls["claim_type"].value = "All"
    g.controls["period"].value = (2020, 2020)
    assert not g.is_empty and g.rows["date"].dt.year.eq(2020).all()


def test_growth_bans_follow_the_places(atlas: Atlas) -> None:
    """Choosing other places drops the ranges of the places no longer shown (the kernel's
    figure; the browser's copy is checked in tests/test_browser.py)."""
    g = W.GrowthExplorer(atlas, countries=["IND", "USA"])
    assert {t.meta["geo"] for t in _traces(g, "episode")} == {"IND", "USA"}
    g.controls["countries"].value = ["France", "Germany"]
    assert _traces(g, "episode") == []
    assert not g.figures[0].layout.shapes


def test_growth_empty_and_impossible_selections(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas, countries=["USA"])
    g.controls["countries"].value = []
    assert g.is_empty and "Choose at least one" in g.message.value
    assert g.table.value == "" and g.download.value == ""
    assert all(box.layout.display == "none" for box in g._boxes)
    g.controls["countries"].value = ["United States"]
    assert not g.is_empty and all(box.layout.display is None for box in g._boxes)
    g.controls["y"].value = "change_pct"
    g.controls["base_year"].value = 2018
    g.controls["metric"].value = "dsa_monthly_active_recipients"
    assert g.is_empty and "end of 2018" in g.message.value and g.last_error is None
    assert "earlier base year" not in g.message.value  # 2018 is the data's first year


def test_first_selection_empty_shows_only_the_message(atlas: Atlas) -> None:
    t = W.TimelineExplorer(atlas, region="Oceania", start=2018, end=2018)
    assert t.is_empty and "Oceania" in t.message.value
    assert all(box.layout.display == "none" for box in t._boxes)
    assert "<table" not in t.table.value


def test_table_and_download_match_the_selection(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas, countries=["USA"], metric="monthly_active_users")
    assert "<table" in g.table.value
    assert f"Download these {len(g.rows)} rows" in g.download.value
    payload = g.download.value.split("base64,", 1)[1].split('"', 1)[0]
    lines = base64.b64decode(payload).decode().splitlines()
    assert len(lines) == len(g.rows) + 1
    assert "source_url" in lines[0] and "_label" not in lines[0].split(",")


def test_tables_show_numbers_people_read(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas, countries=["USA"], metric="monthly_active_users")
    assert " M</td>" in g.table.value and "e+0" not in g.table.value
    i = W.InvestmentExplorer(atlas)
    assert "USD " in i.table.value and " bn</td>" in i.table.value


# ---------------------------------------------------------------- the other explorers


def test_pressure_weights_change_the_heatmap(atlas: Atlas) -> None:
    p = W.PressureExplorer(atlas)
    before = [list(r) for r in p.figures[0].data[0].z]
    p.weight_sliders["partial_ban"].value = 20
    after = [list(r) for r in p.figures[0].data[0].z]
    assert sum(map(sum, after)) > sum(map(sum, before))
    assert p.parameters()["weights"]["partial_ban"] == 20
    for slider in p.weight_sliders.values():
        slider.value = 0
    assert p.is_empty and "non-zero weight" in p.message.value
    p._reset_weights()
    assert not p.is_empty and p.parameters()["weights"] == atlas.default_weights
    assert p.controls["half_life_years"].label == "no decay"
    assert p.parameters()["half_life_years"] is None
    p.controls["half_life_years"].value = 2.0
    assert "halving every 2 years" in p.formula.value
    assert p.parameters()["half_life_years"] == 2.0
    p.controls["freq"].value = "quarter"
    assert all("Q" in str(x) for x in p.figures[0].data[0].x)


def test_timeline_category_narrows_types(atlas: Atlas) -> None:
    t = W.TimelineExplorer(atlas)
    reg = {v for _, v in t.controls["timeline_types"].options}
    assert reg == set(atlas.event_type_codes("regulatory"))
    t.controls["category"].value = "business"
    bus = {v for _, v in t.controls["timeline_types"].options}
    assert reg.isdisjoint(bus) and "partnership" in bus
    assert set(t.rows["category"].astype(str)) == {"business"}
    t.controls["timeline_types"].value = ()
    assert t.is_empty and "event type" in t.message.value


def test_status_map_year(atlas: Atlas) -> None:
    s = W.StatusMapExplorer(atlas, status_year=2020)
    banned = set(s.rows.loc[s.rows["status"] == "banned nationwide", "geo"])
    assert "IND" in banned
    s.controls["status_year"].value = 2018
    assert "IND" not in set(s.rows["geo"])
    assert set(s.figures[0].data[0].locations) <= set(s.rows["geo"])


def test_one_data_point(atlas: Atlas) -> None:
    counts = atlas.users.groupby(atlas.users["geo"].astype(str)).size()
    single = counts[counts == 1].index[0]
    g = W.GrowthExplorer(atlas, countries=[single], metric="All")
    assert not g.is_empty and len(g.rows) == 1
    assert [len(t.x) for t in _traces(g, "users")] == [1]


EXPLORERS = list(W.EXPLORERS.values())


def _option_values(widget) -> list:
    return [o[1] if isinstance(o, tuple) else o for o in widget.options]


def _extremes(widget) -> list:
    """Values to try: empty, one and all choices; first and last; min and max."""
    if isinstance(widget, W.explorers.w.SelectMultiple):
        values = _option_values(widget)
        return [(), tuple(values[:1]), tuple(values)]
    if isinstance(widget, W.explorers.w.TagsInput):
        return [[], list(widget.allowed_tags[:1]), list(widget.allowed_tags)]
    if isinstance(widget, W.explorers.w.SelectionRangeSlider):
        first, last = widget.options[0], widget.options[-1]
        return [(first, first), (last, last), (first, last)]
    if isinstance(widget, W.explorers.w.Dropdown):
        return _option_values(widget)
    if isinstance(widget, W.explorers.w.IntSlider | W.explorers.w.FloatSlider):
        return [widget.min, widget.max]
    if isinstance(widget, W.explorers.w.Checkbox):
        return [True, False]
    raise AssertionError(f"no extremes known for {type(widget).__name__}")


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_every_control_at_its_extremes_draws_or_explains(cls, atlas: Atlas) -> None:
    explorer = cls(atlas)
    for name, control in list(explorer.controls.items()):
        for value in _extremes(control):
            control.value = value
            assert explorer.last_error is None, (name, value, explorer.last_error)
            if explorer.is_empty:
                assert explorer.selection.message in html_unescape(explorer.message.value)
            else:
                assert len(explorer.figures[0].data) > 0, (name, value)
                assert not (explorer.figures[0].layout.meta or {}).get("empty"), (name, value)


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


# ---------------------------------------------------------------- one view model


def _set_some_controls(explorer: W.Explorer) -> None:
    """Move every control away from its default (the last option, the other end)."""
    for name, control in explorer.controls.items():
        if isinstance(control, W.explorers.w.TagsInput):
            control.value = ["France", "Germany"]
        elif isinstance(control, W.explorers.w.SelectMultiple):
            values = _option_values(control)
            control.value = tuple(values[:2])
        elif isinstance(control, W.explorers.w.SelectionRangeSlider):
            control.value = (control.options[2], control.options[-2])
        elif isinstance(control, W.explorers.w.Dropdown):
            values = _option_values(control)
            control.value = values[-1] if name != "region" else "Europe"
        elif isinstance(control, W.explorers.w.Checkbox):
            control.value = not control.value
        elif isinstance(control, W.explorers.w.IntSlider):
            control.value = control.min + 2
        elif isinstance(control, W.explorers.w.FloatSlider):
            control.value = control.value + 1.5


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    keep = [c for c in a.columns if not c.startswith("_")]
    pd.testing.assert_frame_equal(a[keep].reset_index(drop=True), b[keep].reset_index(drop=True))


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_export_parameters_round_trip(cls, atlas: Atlas) -> None:
    """Set controls -> parameters -> a new explorer shows the same selection, every control
    included."""
    explorer = cls(atlas)
    defaults = explorer.parameters()
    _set_some_controls(explorer)
    params = explorer.parameters()
    assert params != defaults
    assert set(params) >= {n for n in explorer.controls if n != "period"
                           and not n.startswith("weight:")}
    again = cls(atlas, **params)
    assert again.parameters() == params
    _same_rows(again.rows, explorer.rows)


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("changed", [False, True], ids=["defaults", "changed"])
def test_explorer_and_report_select_the_same_rows(cls, changed: bool, atlas: Atlas) -> None:
    explorer = cls(atlas)
    if changed:
        _set_some_controls(explorer)
    params = explorer.parameters()
    views.configure(report_mode=True)
    try:
        report = getattr(views, cls.view.replace("-", "_"))(atlas, **params)
    finally:
        views.configure(report_mode=False)
    assert report.selection.params == explorer.selection.params
    _same_rows(report.data, explorer.rows)


def test_notebook_defaults_give_the_same_rows_in_both_modes(atlas: Atlas) -> None:
    """A view called with the notebooks' defaults (no countries, no years) selects the
    same rows as an explorer and as a report view."""
    for view in ("growth", "timeline", "status_map", "users_map"):
        func = getattr(views, view)
        explorer = func(atlas)
        views.configure(report_mode=True)
        try:
            report = func(atlas)
        finally:
            views.configure(report_mode=False)
        _same_rows(report.data, explorer.rows)


EDGE_PARAMETERS = [
    ("growth", dict(region="Europe", countries=["USA"])),  # a place outside the region
    ("growth", dict(countries=["USA"], base_year=2030, y="change_pct")),  # clipped
    ("claims", dict(claims_place="BRA")),  # one claim type only
    ("users-map", dict(map_metric="daily_active_users")),  # not on the map's list
    ("pressure", dict(weights={"ban": 50.0})),  # above the sliders' usual range
    ("pressure", dict(half_life_years=3.0)),  # not among the offered decays
    ("status-map", dict(status_year=2020)),
]


@pytest.mark.parametrize(("view", "params"), EDGE_PARAMETERS,
                         ids=[f"{v}-{'-'.join(p)}" for v, p in EDGE_PARAMETERS])
def test_edge_parameters_select_the_same_rows_in_both_modes(view: str, params: dict,
                                                            atlas: Atlas) -> None:
    explorer = W.EXPLORERS[view](atlas, **params)
    assert explorer.last_error is None
    views.configure(report_mode=True)
    try:
        report = getattr(views, view.replace("-", "_"))(atlas, **params)
    finally:
        views.configure(report_mode=False)
    assert report.selection.params == explorer.selection.params
    _same_rows(report.data, explorer.rows)
    if view == "status-map":  # the report's slider opens on the chosen year
        slider = report.figure.layout.sliders[0]
        assert slider.steps[slider.active].label == "2020"


def test_maps_show_the_table_s_figure(atlas: Atlas) -> None:
    """On two figures of one date, the map (every frame) keeps the one the table lists."""
    from helpers import figures

    sel = selections.users_map(atlas, map_metric="All")
    table = dict(zip(sel.rows["geo"].astype(str), sel.rows["value"], strict=True))
    static = figures.charts(sel, static=True)[0]
    last = {f.name: f for f in static.frames}[str(sel.params["map_year"])].data[0]
    drawn = dict(zip(last.locations, last.z, strict=True))
    import math

    for geo, z in drawn.items():
        assert z == pytest.approx(math.log10(table[geo])), geo


def test_growth_of_all_metrics_draws_people_only(atlas: Atlas) -> None:
    sel = selections.growth(atlas, countries=["WLD"], metric="All")
    assert not set(sel.rows["metric"].astype(str)) & set(selections.NOT_USERS)


# ---------------------------------------------------------------- a dashboard's widgets


def _plain(value):
    """Plotly's JSON with its typed arrays ({"dtype", "bdata"}) decoded into lists."""
    import numpy as np

    if isinstance(value, dict):
        if set(value) - {"shape"} == {"dtype", "bdata"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            return array.reshape([int(n) for n in str(value.get("shape", -1)).split(",")
                                  ]).tolist()
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _state_json(fig) -> dict:
    """What a new view of ``fig`` draws (its synced state), as plain JSON."""
    import json

    from plotly.io.json import to_json_plotly

    from helpers.figures import fastpath

    state = fastpath.widget_state(fig)
    assert state is not None
    return _plain(json.loads(to_json_plotly(state)))


def _kernel_json(fig) -> dict:
    """The figure the kernel holds, as plain JSON."""
    import json

    from plotly.io.json import to_json_plotly

    return _plain(json.loads(to_json_plotly(fig.to_dict())))


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_a_new_view_draws_the_kernel_s_figure(cls, atlas: Atlas) -> None:
    """Voila (like a reload) draws each chart from the widget's synced state: when the
    explorer is displayed and after every change, that state is the whole figure the kernel
    holds, traces and layout."""
    explorer = cls(atlas)
    explorer._repr_mimebundle_()  # displayed: what Voila sends for this output
    assert explorer.figures and all(len(f.data) > 0 for f in explorer.figures)
    for fig in explorer.figures:
        assert _state_json(fig) == _kernel_json(fig)
    _set_some_controls(explorer)
    assert explorer.last_error is None
    for fig in explorer.figures:
        assert _state_json(fig) == _kernel_json(fig)


def test_a_chart_shown_after_an_empty_first_selection_is_in_the_state(atlas: Atlas) -> None:
    t = W.TimelineExplorer(atlas, region="Oceania", start=2018, end=2018)
    assert t.is_empty
    t.controls["region"].value = selections.ALL
    assert not t.is_empty and len(t.figures[0].data) > 0
    assert _state_json(t.figures[0]) == _kernel_json(t.figures[0])


class _Breaking:
    """The atlas, except that ``name`` raises (a failure inside a widget callback)."""

    def __init__(self, atlas: Atlas, name: str) -> None:
        self._atlas, self._name = atlas, name

    def __getattr__(self, attr: str):
        if attr == self._name:
            raise RuntimeError(f"{attr} is broken")
        return getattr(self._atlas, attr)


def _shows_error(explorer: W.Explorer, text: str) -> None:
    assert explorer.is_empty, "the error is not shown"
    shown = html_unescape(explorer.message.value)
    assert "Could not draw this selection" in shown and text in shown, shown
    assert "Traceback" not in shown
    assert explorer.last_error and "Traceback" in explorer.last_error
    assert all(box.layout.display == "none" for box in explorer._boxes)


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_an_error_in_an_update_is_the_explorer_s_message(cls, atlas: Atlas,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing a control never raises into the kernel (a dashboard shows nothing of that):
    the error is the explorer's own message, and the next good change draws again."""
    explorer = cls(atlas)
    name, control = next(iter(explorer.controls.items()))
    first = control.value
    other = next(v for v in _extremes(control) if v != first)

    def broken() -> None:
        raise KeyError("no such rows")

    monkeypatch.setattr(explorer, "select", broken)
    control.value = other
    _shows_error(explorer, "KeyError: 'no such rows'")
    monkeypatch.undo()
    control.value = first
    assert not explorer.is_empty, (name, explorer.message.value)
    assert all(len(f.data) > 0 for f in explorer.figures)


@pytest.mark.parametrize(("cls", "broken", "act"), [
    (W.GrowthExplorer, "geo_options", lambda e: setattr(e.controls["region"], "value",
                                                         "Europe")),
    (W.TimelineExplorer, "event_type_codes", lambda e: setattr(e.controls["category"], "value",
                                                               "business")),
    (W.PressureExplorer, "default_weights", lambda e: e._reset_weights()),
], ids=["growth-region", "timeline-category", "pressure-default-weights"])
def test_an_error_in_a_linked_control_is_the_explorer_s_message(cls, broken: str, act,
                                                                atlas: Atlas) -> None:
    explorer = cls(atlas)
    explorer.atlas = _Breaking(atlas, broken)
    act(explorer)  # raises nothing
    _shows_error(explorer, f"RuntimeError: {broken} is broken")


def test_an_export_that_fails_says_so_beside_the_button(atlas: Atlas) -> None:
    def export(_notebook: str, _params: dict) -> None:
        raise KeyError("region")

    g = W.GrowthExplorer(atlas, export=export)
    g.export_button.click()  # raises nothing
    assert "Export failed: KeyError: 'region'" in html_unescape(g.export_status.value)
    assert not g.is_empty  # the charts stay
    assert g.last_error and "KeyError" in g.last_error
