"""Explorers driven from pytest: each control changes the FigureWidget; empty selections
show a message; linked controls narrow each other; no traceback ever reaches the user."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from helpers import widgets as W
from helpers.atlas import Atlas


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas.load()


def _names(explorer: W.Explorer, index: int = 0) -> list[str]:
    return [str(t.name) for t in explorer.figures[index].data]


def _ys(explorer: W.Explorer) -> list:
    return [tuple(t.y) if t.y is not None else () for t in explorer.figures[0].data]


def test_growth_region_narrows_countries(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas)
    assert not g.is_empty
    g.controls["region"].value = "Europe"
    codes = [c for _, c in g.controls["countries"].options]
    assert codes and set(codes) <= set(atlas.regions.loc[
        atlas.regions["region"].astype(str) == "Europe", "code"].astype(str))
    assert set(g.controls["countries"].value) <= set(codes)
    assert all(": " in n for n in _names(g) if "monthly" in n)


def test_growth_each_control_changes_the_figure(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas, countries=("USA", "IND"), metric="All")
    before = _ys(g)
    g.controls["countries"].value = ("USA",)
    assert all(n.startswith("United States") for n in _names(g)
               if (n.endswith("users") or "(undefined" in n))
    assert _ys(g) != before
    before = _ys(g)
    g.controls["metric"].value = "monthly_active_users"
    assert _ys(g) != before
    layout_type = g.figures[0].layout.yaxis.type
    g.controls["log_y"].value = True
    assert g.figures[0].layout.yaxis.type == "log" != layout_type
    g.controls["y"].value = "share_pct"
    assert g.figures[0].layout.yaxis.title.text == "% of population"
    assert max(max(y) for y, t in zip(_ys(g), g.figures[0].data, strict=True)
               if t.meta["kind"] == "users") < 100
    g.controls["y"].value = "change_pct"
    g.controls["base_year"].value = 2019
    assert "change" in g.figures[0].layout.yaxis.title.text
    n_events = sum(1 for t in g.figures[0].data if t.meta["kind"] == "events")
    g.controls["event_types"].value = ()
    assert sum(1 for t in g.figures[0].data if t.meta["kind"] == "events") < n_events or \
        n_events == 0
    g.controls["claim_type"].value = "third_party_estimate"
    assert set(g.selection["claim_type"].astype(str)) <= {"third_party_estimate"}
    g.controls["period"].value = (2020, 2020)
    assert g.is_empty or g.selection["date"].dt.year.eq(2020).all()


def test_growth_empty_and_impossible_selections(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas, countries=("USA",))
    g.controls["countries"].value = ()
    assert g.is_empty and "Choose at least one" in g.message.value
    assert g.table.value == "" and g.download.value == ""
    g.controls["countries"].value = ("USA",)
    assert not g.is_empty
    g.controls["y"].value = "change_pct"
    g.controls["base_year"].value = 2018
    g.controls["period"].value = (2018, 2018)
    g.controls["metric"].value = "dsa_monthly_active_recipients"
    assert g.is_empty and "Traceback" not in g.message.value


def test_table_and_download_match_the_selection(atlas: Atlas) -> None:
    g = W.GrowthExplorer(atlas, countries=("USA",), metric="monthly_active_users")
    assert "<table" in g.table.value
    assert f"Download these {len(g.selection)} rows" in g.download.value
    assert 'href="data:text/csv;charset=utf-8;base64,' in g.download.value
    import base64
    payload = g.download.value.split("base64,", 1)[1].split('"', 1)[0]
    text = base64.b64decode(payload).decode()
    assert text.count("\n") == len(g.selection) + 1
    assert "source_url" in text.splitlines()[0]


EXPLORERS = [W.GrowthExplorer, W.ClaimsExplorer, W.UsersMapExplorer, W.WorkforceExplorer,
             W.InvestmentMapExplorer,
             W.InvestmentExplorer, W.TimelineExplorer, W.StatusMapExplorer, W.PressureExplorer]


def _option_values(widget) -> list:
    return [o[1] if isinstance(o, tuple) else o for o in widget.options]


def _extremes(widget) -> list:
    """Values to try: empty, one and all choices; first and last; min and max."""
    if isinstance(widget, W.w.SelectMultiple):
        values = _option_values(widget)
        return [(), tuple(values[:1]), tuple(values)]
    if isinstance(widget, W.w.SelectionRangeSlider):
        first, last = widget.options[0], widget.options[-1]
        return [(first, first), (last, last), (first, last)]
    if isinstance(widget, W.w.Dropdown):
        return _option_values(widget)
    if isinstance(widget, W.w.IntSlider | W.w.FloatSlider):
        return [widget.min, widget.max]
    if isinstance(widget, W.w.Checkbox):
        return [True, False]
    raise AssertionError(f"no extremes known for {type(widget).__name__}")


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_every_control_at_its_extremes_never_raises(cls, atlas: Atlas) -> None:
    explorer = cls(atlas)
    for name, control in list(explorer.controls.items()):
        for value in _extremes(control):
            try:
                control.value = value
            except W.w.trait_types.TraitError:
                continue
            assert not hasattr(explorer, "last_error"), (name, value, explorer.last_error)
            assert explorer.is_empty or len(explorer.figures[0].data) > 0, (name, value)


def test_pressure_weights_change_the_heatmap(atlas: Atlas) -> None:
    p = W.PressureExplorer(atlas)
    before = [list(r) for r in p.figures[0].data[0].z]
    p.weight_sliders["partial_ban"].value = 20
    after = [list(r) for r in p.figures[0].data[0].z]
    assert after != before
    assert sum(map(sum, after)) > sum(map(sum, before))
    for slider in p.weight_sliders.values():
        slider.value = 0
    assert p.is_empty and "non-zero weight" in p.message.value
    p._reset_weights()
    assert not p.is_empty
    p.controls["half_life"].value = 2.0
    assert "halving every 2 years" in p.formula.value
    p.controls["freq"].value = "quarter"
    assert any("Q" in str(x) for x in p.figures[0].data[0].x)


def test_timeline_category_narrows_types(atlas: Atlas) -> None:
    t = W.TimelineExplorer(atlas)
    reg = {v for _, v in t.controls["event_types"].options}
    t.controls["category"].value = "business"
    bus = {v for _, v in t.controls["event_types"].options}
    assert reg.isdisjoint(bus) and "partnership" in bus
    assert set(t.selection["category"].astype(str)) == {"business"}
    t.controls["event_types"].value = ()
    assert t.is_empty and "event type" in t.message.value


def test_one_data_point_and_a_period_without_events(atlas: Atlas) -> None:
    counts = atlas.users.groupby(atlas.users["geo"].astype(str)).size()
    single = counts[counts == 1].index[0]
    g = W.GrowthExplorer(atlas, countries=(single,), metric="All")
    assert not g.is_empty and len(g.selection) == 1
    t = W.TimelineExplorer(atlas, region="Oceania", start=2018, end=2018)
    assert t.is_empty and "Traceback" not in t.message.value


def test_controls_of_every_explorer_are_dropdowns_for_single_choices(atlas: Atlas) -> None:
    for cls in EXPLORERS:
        explorer = cls(atlas)
        for control in explorer.controls.values():
            assert not isinstance(control, W.w.RadioButtons | W.w.Select)


def test_update_cost_is_small(atlas: Atlas) -> None:
    """Sanity only (timing targets live in benchmarks/): updates happen once per change."""
    g = W.GrowthExplorer(atlas)
    before = g.updates
    g.controls["region"].value = "Europe"
    assert g.updates == before + 1
    for region in itertools.islice(g.controls["region"].options, 4):
        g.controls["region"].value = region
    assert isinstance(g.selection, pd.DataFrame)
