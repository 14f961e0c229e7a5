"""What a reader sees derived from the rows is defensible from them: totals count a
commitment once, ban marks come from restriction episodes, lines join only one series and
claim type. Expected values are hand readings of the CSV files."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import figures, metrics, views
from helpers.atlas import Atlas
from helpers.data import default_data_dir

_ATLAS = Atlas.load()


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return _ATLAS


def _csv(name: str) -> dict[str, dict[str, str]]:
    with open(default_data_dir() / f"{name}.csv", newline="", encoding="utf-8") as f:
        return {r[next(iter(r))]: r for r in csv.DictReader(f)}


def _rate(currency: str, year: int) -> float:
    fx = {(r["currency"], int(r["year"])): float(r["units_per_usd"])
          for r in _csv_rows("fx")}
    return fx[(currency, year)]


def _csv_rows(name: str) -> list[dict[str, str]]:
    with open(default_data_dir() / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- commitments once


def test_brazil_is_one_commitment_with_the_range_of_its_sources(atlas: Atlas) -> None:
    rows = _csv("investments")
    # I001, I002 and I045 are one data centre: BRL 200bn (company, two sources) vs BRL 50bn
    assert rows["I002"]["same_commitment_as"] == rows["I045"]["same_commitment_as"] == "I001"
    rate = _rate("BRL", 2025)
    totals = metrics.investment_totals(atlas.investments).set_index("geo_name")
    brazil = totals.loc["Brazil"]
    assert brazil["commitments"] == 1
    assert brazil["total_usd"] == pytest.approx(200e9 / rate)
    assert brazil["total_low"] == pytest.approx(50e9 / rate)
    assert brazil["total_high"] == pytest.approx(200e9 / rate)
    assert bool(brazil["disagree"])
    text = views.investment_totals(atlas).text
    assert "Brazil" in text and "sources disagree" in text


def test_thailand_counts_the_including_figure_and_one_approval(atlas: Atlas) -> None:
    rows = _csv("investments")
    assert rows["I024"]["supersedes"] == "I023"  # the USD 8.8bn includes the earlier 3.8bn
    assert rows["I026"]["same_commitment_as"] == "I025"  # one USD 25bn approval, twice
    totals = metrics.investment_totals(atlas.investments).set_index("geo_name")
    assert totals.loc["Thailand", "commitments"] == 2
    assert totals.loc["Thailand", "total_usd"] == pytest.approx(8.8e9 + 25e9)
    assert not bool(totals.loc["Thailand", "disagree"])


def test_no_amount_is_not_zero(atlas: Atlas) -> None:
    singapore = metrics.investment_totals(atlas.investments).set_index("geo_name").loc[
        "Singapore"]
    assert singapore["commitments"] == 1 and singapore["with_amount"] == 0
    assert pd.isna(singapore["total_usd"])


def test_investment_views_count_once(atlas: Atlas) -> None:
    brazil = metrics.counted_once(metrics.filter_rows(atlas.investments, geos=["BRA"]))
    assert len(brazil) == 1 and brazil["sources"].iloc[0] == 3
    fig = figures.investments_figure(brazil)
    assert sum(len(t.y) for t in fig.data) == 1
    assert "3 sources disagree" in fig.data[0].customdata[0][6]
    map_fig = figures.choropleth_figure(
        metrics.filter_rows(atlas.investments, geos=["BRA", "THA"]), value="amount_usd",
        aggregate="sum", prepare=metrics.counted_once, colorbar_title="USD", title="t",
        animate=False)
    text = dict(zip(map_fig.data[0].locations, map_fig.data[0].text, strict=True))
    assert "USD 35.8 bn in 1 commitment " in text["BRA"]
    assert "USD 33.8 bn in 2 commitments " in text["THA"]


def test_workforce_plan_reported_twice_is_one_bar(atlas: Atlas) -> None:
    october = metrics.counted_once(
        metrics.filter_rows(atlas.workforce, metric="hiring_plan", start="2020-10-27",
                            end="2020-10-27"), value="value")
    assert len(october) == 1 and october["value"].iloc[0] == 3000
    assert october["row_ids"].iloc[0] == "W057 W058"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_linked_duplicate_never_changes_a_total(data: st.DataObject) -> None:
    inv = _ATLAS.investments
    before = metrics.investment_totals(inv)
    row = inv.iloc[data.draw(st.integers(0, len(inv) - 1))]
    root = metrics.commitment_groups(inv)[row.name]
    copy = row.copy()
    copy["fact_id"] = "I999"
    copy["same_commitment_as"] = root
    copy["supersedes"] = pd.NA
    copy["source_quality"] = "weak"
    if pd.notna(copy["amount_usd"]) and data.draw(st.booleans()):
        best = metrics.counted_once(inv).set_index("commitment_id")
        if root in best.index and pd.notna(best.loc[root, "amount_usd"]):
            copy["amount_usd"] = best.loc[root, "amount_usd"]  # agrees with the best row
    after = metrics.investment_totals(pd.concat([inv, copy.to_frame().T], ignore_index=True)
                                      .astype(inv.dtypes.to_dict()))
    pd.testing.assert_series_equal(before["total_usd"], after["total_usd"])
    pd.testing.assert_series_equal(before["commitments"], after["commitments"])


# ---------------------------------------------------------------- restriction episodes


def _episode(atlas: Atlas, geo: str, start: str) -> pd.Series:
    eps = atlas.episodes
    hit = eps[(eps["geo"] == geo) & (eps["start"] == pd.Timestamp(start))]
    assert len(hit) == 1, eps[eps["geo"] == geo][["episode_id", "start", "status"]]
    return hit.iloc[0]


def test_india_banned_since_29_june_2020(atlas: Atlas) -> None:
    india = _episode(atlas, "IND", "2020-06-29")
    assert india["status"] == "in force" and india["scope_kind"] == "nationwide"
    assert india["event_ids"].split() == ["E028", "E072"]  # the 2021 order confirms it
    status = metrics.status_on(atlas.events_raw, "2025-12-31", atlas.episodes)
    assert status.set_index("geo").loc["IND", "since"] == pd.Timestamp("2020-06-29")
    table = metrics.restrictions_at_a_glance(atlas.episodes)
    row = table[table["geo"] == "IND"].iloc[0]
    assert (row["from"], row["to"]) == ("2020-06-29", "in force (no end reported)")


def test_us_2020_prohibitions_never_took_effect(atlas: Atlas) -> None:
    commerce = _episode(atlas, "USA", "2020-09-18")
    assert commerce["status"] == "never in force" and not commerce["in_force"]
    shaded = figures.episode_ranges(metrics.episodes_in(atlas.episodes, geos=["USA"]))
    assert [(t.get("x")[0], t.get("x")[2]) for t in shaded] == [
        (pd.Timestamp("2025-01-18"), pd.Timestamp("2025-01-19"))]  # only the day TikTok went dark
    for year in (2020, 2021, 2022):
        status = metrics.status_on(atlas.events_raw, f"{year}-12-31", atlas.episodes)
        assert status.set_index("geo").loc["USA", "status"] == "partial restrictions"


def test_indonesia_2018_block_lasts_one_week(atlas: Atlas) -> None:
    block = _episode(atlas, "IDN", "2018-07-03")
    assert block["end"] == pd.Timestamp("2018-07-10") and block["end_sourced"]
    status = metrics.status_on(atlas.events_raw, "2019-12-31", atlas.episodes)
    assert status.set_index("geo").loc["IDN", "status"] == "ban lifted"


def test_albania_2025_to_2026(atlas: Atlas) -> None:
    albania = _episode(atlas, "ALB", "2025-03-06")
    assert albania["end"] == pd.Timestamp("2026-02-05")
    assert albania["event_ids"].split() == ["E316"]  # E317 is a further source of the same ban
    assert metrics.status_on(atlas.events_raw, "2025-12-31", atlas.episodes).set_index(
        "geo").loc["ALB", "status"] == "banned nationwide"


def test_pakistan_blocks_are_separate_episodes(atlas: Atlas) -> None:
    eps = atlas.episodes
    pak = eps[(eps["geo"] == "PAK") & (eps["scope_kind"] == "nationwide")]
    assert list(zip(pak["start"].dt.strftime("%Y-%m-%d"), pak["end"].dt.strftime("%Y-%m-%d"),
                    strict=True)) == [
        ("2020-10-09", "2020-10-19"), ("2021-03-11", "2021-04-01"),
        ("2021-06-28", "2021-07-02"), ("2021-07-21", "2021-11-19")]
    assert "PAK" not in set(metrics.status_on(atlas.events_raw, "2021-05-01",
                                              atlas.episodes).query("level >= 3")["geo"])


def test_nepal_2023_to_2024(atlas: Atlas) -> None:
    nepal = _episode(atlas, "NPL", "2023-11-13")
    assert nepal["end"] == pd.Timestamp("2024-08-22")
    assert metrics.status_on(atlas.events_raw, "2024-12-31", atlas.episodes).set_index(
        "geo").loc["NPL", "status"] == "ban lifted"


def test_afghanistan_since_april_2022_with_no_sourced_end(atlas: Atlas) -> None:
    afg = _episode(atlas, "AFG", "2022-04-21")
    assert afg["status"] == "end not sourced"
    assert afg["last_confirmed"] == pd.Timestamp("2022-09-18")
    trace = figures.episode_ranges(metrics.episodes_in(atlas.episodes, geos=["AFG"]))[0]
    assert trace["fillpattern"]["shape"] == "/"  # drawn distinctly
    assert "end not sourced" in trace["text"] and trace["x"][2] == afg["last_confirmed"]


def test_disputed_iraq_report_is_not_drawn_as_a_ban(atlas: Atlas) -> None:
    iraq = _episode(atlas, "IRQ", "2021-12-12")
    assert not iraq["in_force"]
    assert not figures.episode_ranges(metrics.episodes_in(atlas.episodes, geos=["IRQ"]))


def test_growth_report_view_shades_the_bans_it_promises(atlas: Atlas) -> None:
    views.configure(report_mode=True)
    try:
        view = views.growth(atlas, countries=["IND", "USA"], metric=metrics.ALL)
    finally:
        views.configure(report_mode=False)
    ranges = [t for t in view.figure.data if (t.meta or {}).get("kind") == "episode"]
    assert {r.meta["geo"] for r in ranges} == {"IND", "USA"}
    india = next(r for r in ranges if r.meta["geo"] == "IND")
    assert india.x[0] == pd.Timestamp("2020-06-29") and india.x[2] == atlas.as_of


def test_status_counts_come_from_the_episodes(atlas: Atlas) -> None:
    status = metrics.status_on(atlas.events_raw, "2025-12-31", atlas.episodes)
    banned = set(status.loc[status["status"] == "banned nationwide", "geo"])
    eps = atlas.episodes
    hand = set(eps[(eps["scope_kind"] == "nationwide") & (eps["event_type"] == "ban")
                   & (eps["start"] <= "2025-12-31") & eps["in_force"]
                   & (eps["last_confirmed"] >= "2025-12-31")]["geo"])
    assert banned == hand == {"ALB", "IND", "IRN", "KGZ", "TKM"}


# ---------------------------------------------------------------- comparable lines


def test_under_18_subset_is_never_joined_to_all_users(atlas: Atlas) -> None:
    us = metrics.filter_rows(atlas.users, geos=["USA"], product="tiktok")
    fig = figures.claims_figure(us)
    trace = next(t for t in fig.data if "under 18" in t.name)
    assert list(trace.y) == [12e6] and trace.mode == "markers"


def test_change_since_compares_within_one_claim_type(atlas: Atlas) -> None:
    france = metrics.filter_rows(atlas.users, geos=["FRA"], product="tiktok")
    changed = metrics.change_since(france, "2020-12-31")
    for _, group in changed.groupby(list(metrics.LINE_KEYS), observed=True):
        base = group["base_value"].iloc[0]
        same = france[(france["value"] == base) & (france["date"] <= "2020-12-31")]
        assert set(same["claim_type"].astype(str)) >= set(group["claim_type"].astype(str))
    growth = figures.growth_figure(france)
    names = [t.name for t in growth.data]
    assert len(names) == len(set(names))
    assert all(" · " in n for n in names)  # each line names its claim type


def test_users_map_uses_one_definition_per_country(atlas: Atlas) -> None:
    views.configure(report_mode=True)
    try:
        mau = views.users_map(atlas)
        mixed = views.users_map(atlas, map_metric=metrics.ALL)
    finally:
        views.configure(report_mode=False)
    assert set(mau.table["metric"].astype(str)) == {"monthly_active_users"}
    per_geo = mixed.data.groupby(mixed.data["geo"].astype(str))["metric"].nunique()
    assert (per_geo == 1).all()
    assert "mixed definitions" in mixed.figure.layout.title.text


def test_series_identity_is_the_schema_s() -> None:
    from helpers.data import resource

    schema = resource("users")["schema"]
    assert tuple(schema["x-seriesKey"]) == metrics.SERIES_KEYS
    assert (*metrics.SERIES_KEYS, "claim_type") == metrics.LINE_KEYS
