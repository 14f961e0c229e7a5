"""Every chart's one-sentence caption is true to the rows the chart draws: what it shows, the
largest value (formatted as the chart shows it) and whose it is, and the period. Expected
values are computed here from the selection's rows, not by the caption's own code."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import formatting, metrics, selections, views
from helpers.atlas import Atlas
from helpers.captions import caption
from helpers.selections import Selection

_ATLAS = Atlas.load()
CHARTS = {"pressure": 2}
"""Charts per view when it is not one."""
NEVER = ("1 places", "1 countries", "1 kinds", "all regions", "nan", "<NA>", "None")


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return _ATLAS


def _default(view: str) -> Selection:
    return selections.SELECTIONS[view](_ATLAS)


def _near(caption_text: str, name: str, value: str) -> bool:
    """``name``'s ``value`` (possessive, with or without 'the'), as one phrase."""
    return re.search(rf"{re.escape(name)}'s? {re.escape(value)}", caption_text) is not None


def _period(sel: Selection) -> str:
    start, end = sel.params["start"], sel.params["end"]
    return str(start) if start == end else f"{start}–{end}"


# ---------------------------------------------------------------- every view


@pytest.mark.parametrize("view", list(selections.SELECTIONS))
def test_every_chart_of_every_view_has_a_sentence(view: str) -> None:
    sel = _default(view)
    assert not sel.is_empty
    texts = caption(sel)
    assert len(texts) == CHARTS.get(view, 1)
    for text in texts:
        assert text[:1].isupper() or text[:1].isdigit(), text
        assert text.endswith(".") and text.count(". ") == 0, text  # one sentence
        assert not any(bad in text for bad in NEVER), text
        period = (str(sel.params["map_year"]) if "map_year" in sel.params
                  else sel.extra["moment"] if view == "status-map" else _period(sel))
        assert period in text, (period, text)


def test_growth_names_the_largest_figure_and_whose(atlas: Atlas) -> None:
    sel = _default("growth")
    top = sel.rows.loc[sel.rows["value"].idxmax()]
    text = caption(sel)[0]
    assert text.startswith("TikTok monthly active users in 5 places, ")
    assert _near(text, str(top["geo_name"]), formatting.number(top["value"])), text
    assert str(top["claim_type_label"]) in text
    assert f"{top['date']:%b %Y}" in text


def test_a_one_place_selection_names_the_place(atlas: Atlas) -> None:
    sel = selections.growth(atlas, countries=["USA"])
    text = caption(sel)[0]
    assert "United States" in text
    assert sel.rows["geo"].nunique() == 1
    top = sel.rows["value"].max()
    assert f"United States' {formatting.number(top)}" in text, text


@pytest.mark.parametrize("view", ["growth", "workforce", "investments", "timeline"])
def test_one_place_is_named_never_counted_as_1_places(view: str) -> None:
    sel = _default(view)
    geo = "USA"
    one = dataclasses.replace(sel, rows=sel.rows[sel.rows["geo"].astype(str) == geo])
    text = caption(one)[0]
    assert "United States" in text and not any(bad in text for bad in NEVER), text
    assert not re.search(r"\b\d+ places?\b", text), text


def test_places_are_counted_in_the_plural(atlas: Atlas) -> None:
    sel = selections.timeline(atlas, region="Europe")
    text = caption(sel)[0]
    n = sel.rows["geo"].nunique()
    assert n > 3 and f"{n} places in Europe" in text, text


REGIONAL = ("growth", "workforce", "investments", "timeline", "pressure")
WRONG = re.compile(r"\b1 (places|countries|kinds|figures|events|commitments|investments)\b"
                   r"|all regions|\bnan\b|<NA>|None|(\d{4})–\2|'s'")


@pytest.mark.parametrize("region", [selections.ALL, *sorted(set(_ATLAS.regions["region"]
                                                                  .astype(str)))])
def test_every_region_and_a_one_year_period_read_right(region: str) -> None:
    year = _ATLAS.years[len(_ATLAS.years) // 2]
    for view in REGIONAL:
        for start, end in ((None, None), (year, year)):
            sel = selections.SELECTIONS[view](_ATLAS, region=region, start=start, end=end)
            for text in caption(sel):
                assert sel.is_empty or not WRONG.search(text), text
                assert sel.is_empty or _period(sel) in text, text


def test_a_name_with_an_explanation_is_not_made_possessive() -> None:
    sel = selections.investments(_ATLAS, region="Europe")
    top = metrics.investment_totals(sel.rows).iloc[0]
    name = str(top["geo_name"])
    assert name.endswith(")"), "the test needs a place named with an explanation"
    text = caption(sel)[0]
    assert f"{formatting.money(top['total_usd'])} (2 commitments) for {name}." in text, text


def test_the_caption_follows_the_data() -> None:
    """A changed row changes the sentence: nothing in it is written in advance."""
    sel = _default("growth")
    rows = sel.rows.copy()
    i = rows.index[rows["geo"].astype(str) == "IDN"][0]
    rows.loc[i, "value"] = 987_000_000.0
    text = caption(dataclasses.replace(sel, rows=rows))[0]
    assert "Indonesia's 987 M" in text, text


def test_claims_largest_is_the_places_and_by_whom() -> None:
    sel = _default("claims")
    rows = sel.rows.sort_values(["value", "date"], ascending=[False, True])
    top = rows.iloc[0]
    text = caption(sel)[0]
    assert f"{len(sel.rows)} TikTok user figures for the United States, {_period(sel)}" in text
    assert f"the largest is {formatting.number(top['value'])} " in text, text
    assert f"{top['claim_type_label']} as of {top['date']:%b %Y}" in text, text


def test_users_map_largest_is_on_the_map_at_its_year() -> None:
    sel = _default("users-map")
    countries = sel.rows[sel.rows["geo_kind"].astype(str) == "country"]
    top = countries.loc[countries["value"].idxmax()]
    text = caption(sel)[0]
    assert f"up to {sel.params['map_year']}" in text
    assert f"{len(countries)} countries" in text
    assert _near(text, str(top["geo_name"]), formatting.number(top["value"])), text


def test_workforce_largest_with_employer_and_place() -> None:
    sel = _default("workforce")
    drawn = sel.rows[sel.rows["value"].notna()]
    top = drawn.loc[drawn["value"].idxmax()]
    text = caption(sel)[0]
    assert f"{len(drawn)} workforce figures for {drawn['geo'].nunique()} places" in text
    assert f"{top['employer_label']}'s {formatting.number(top['value'])} " in text, text
    assert str(top["metric_label"]) in text
    place = "worldwide" if top["geo"] == "WLD" else str(top["geo_name"])
    assert place in text


@pytest.mark.parametrize("view", ["investments", "investments-map"])
def test_investments_largest_total_counts_a_commitment_once(view: str) -> None:
    sel = _default(view)
    totals = metrics.investment_totals(sel.rows)
    top = totals.iloc[0]
    text = caption(sel)[0]
    assert _near(text, str(top["geo_name"]), formatting.money(top["total_usd"])), text
    assert formatting.plural(int(top["with_amount"]), "commitment") in text
    # every row of the place's commitments summed would be more: the caption is not that
    raw = metrics.filter_rows(_ATLAS.investments, geos=[str(sel.rows.loc[
        sel.rows["geo_name"] == top["geo_name"], "geo"].iloc[0])])["amount_usd"].sum()
    assert raw > top["total_usd"] and formatting.money(raw) not in text


def test_timeline_place_with_the_most_events() -> None:
    sel = _default("timeline")
    counts = sel.rows.groupby(sel.rows["geo_name"].astype(str)).size().sort_values()
    text = caption(sel)[0]
    assert text.startswith(f"{len(sel.rows)} regulatory events in {len(counts)} places")
    assert f"{counts.index[-1]} has the most ({counts.iloc[-1]})" in text, text
    assert counts.iloc[-2] < counts.iloc[-1]


def test_status_map_counts_what_the_map_colours() -> None:
    sel = _default("status-map")
    countries = sel.rows[sel.rows["geo_kind"].astype(str) == "country"]
    text = caption(sel)[0]
    assert sel.extra["moment"] in text
    for status, n in countries["status"].value_counts().items():
        assert re.search(rf"{status} in {n}\b", text), (status, n, text)
    strongest = countries[countries["level"] == countries["level"].max()]
    for name in strongest["geo_name"].astype(str):
        assert name in text


def test_pressure_heatmap_highest_cell_and_scatter_extremes() -> None:
    sel = _default("pressure")
    heat, scatter = caption(sel)
    cells = sel.rows.groupby([sel.rows["geo_name"].astype(str),
                              sel.rows["period"].astype(str)])["pressure"].sum()
    (name, period), value = cells.idxmax(), cells.max()
    assert _near(heat, name, f"{value:.1f} points in {period}"), heat
    assert f"of {sel.rows['geo'].nunique()} places" in heat
    versus = sel.extra["versus"]
    high = versus.loc[versus["pressure"].idxmax()]
    most = versus.loc[versus["users"].idxmax()]
    assert f"{high['geo_name']} has the highest pressure ({high['pressure']:.1f} points" in scatter
    assert f"{most['geo_name']} the most users ({formatting.number(most['users'])}" in scatter
    assert f"for {len(versus)} places" in scatter


# ---------------------------------------------------------------- empty selections


@pytest.mark.parametrize("sel", [
    selections.growth(_ATLAS, countries=[]),
    selections.timeline(_ATLAS, timeline_types=[]),
    selections.investments(_ATLAS, region="Asia"),
    selections.claims(_ATLAS, claims_place="AFG"),
    selections.users_map(_ATLAS, map_metric="dsa_monthly_active_recipients",
                         map_year=_ATLAS.years[0]),
    selections.pressure(_ATLAS, weights=dict.fromkeys(_ATLAS.default_weights, 0.0)),
], ids=["growth", "timeline", "investments", "claims", "users-map", "pressure"])
def test_an_empty_selection_s_caption_is_its_message(sel: Selection) -> None:
    assert sel.is_empty
    assert caption(sel) == [sel.message]


def test_a_chart_with_nothing_to_draw_says_so() -> None:
    sel = _default("workforce")
    rows = sel.rows.assign(value=pd.NA)
    assert caption(dataclasses.replace(sel, rows=rows)) == [
        "No workforce figures match this selection."]


# ---------------------------------------------------------------- report pages


def _labelled(page: str) -> list[tuple[str, str]]:
    """(aria-label, figcaption) of each figure, unescaped."""
    return [(html.unescape(a), html.unescape(c)) for a, c in re.findall(
        r"<figure class='atlas-chart'><div role='group' aria-label='([^']*)'>.*?"
        r"<figcaption class='atlas-caption'>([^<]*)</figcaption></figure>", page, re.S)]


@pytest.mark.parametrize("view", ["growth", "pressure", "status_map"])
def test_a_report_view_shows_its_caption_and_names_its_chart_with_it(view: str,
                                                                      tmp_path: Path) -> None:
    views.configure(report_mode=True, csv_dir=tmp_path)
    try:
        static = getattr(views, view)(_ATLAS)
    finally:
        views.configure(report_mode=False)
    page = static.to_html()
    texts = caption(static.selection)
    assert _labelled(page) == [(t, t) for t in texts]
    assert page.count("class='plotly-graph-div'") + page.count('class="plotly-graph-div"') \
        == len(texts)
    assert page.index("</figure>") < page.index("<details class='atlas-data'>")
    assert all(t in static._repr_mimebundle_()["text/plain"] for t in texts)


def test_an_empty_report_view_says_its_message_once(tmp_path: Path) -> None:
    views.configure(report_mode=True, csv_dir=tmp_path)
    try:
        static = views.growth(_ATLAS, countries=[])
    finally:
        views.configure(report_mode=False)
    page = static.to_html()
    message = html.escape(static.selection.message)
    assert _labelled(page) == [(static.selection.message, static.selection.message)]
    assert page.count(f">{message}<") == 1  # the figcaption, not a repeated summary
