"""Metrics on small hand-made frames (exact answers) and on the shipped data."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import metrics
from helpers.data import load_table

TYPES = load_table("event_types")
WEIGHTS = metrics.default_weights(TYPES)
FX = pd.DataFrame({"currency": ["EUR", "EUR", "GBP"], "year": [2020, 2021, 2020],
                   "units_per_usd": [0.8, 0.85, 0.75], "source_id": ["s", "s", "s"]})


def _events(rows: list[dict]) -> pd.DataFrame:
    base = {"category": "regulatory", "subdivision": pd.NA, "amount": float("nan"),
            "currency": pd.NA, "end_date": pd.NaT, "status_after": "in_force",
            "same_event_as": pd.NA, "date_precision": "day", "source_id": "s"}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame["event_id"] = [f"E{i:03d}" for i in range(len(frame))]
    return metrics.with_event_types(frame, TYPES)


def _users(values: list[float], dates: list[str], geo: str = "USA") -> pd.DataFrame:
    return pd.DataFrame({"geo": geo, "metric": "monthly_active_users", "product": "tiktok",
                         "date": pd.to_datetime(dates), "value": values,
                         "claim_type": "company", "source_id": "s"})


def test_nearest_year_prefers_the_later_year_on_a_tie() -> None:
    got = metrics.nearest_year([2018, 2020, 2024], [2016, 2019, 2021, 2022, 2023, 2030])
    assert got.tolist() == [2018, 2020, 2020, 2024, 2024, 2024]


def test_cagr() -> None:
    assert metrics.cagr(100, 400, 2) == pytest.approx(100.0)
    assert math.isnan(metrics.cagr(0, 10, 1))
    table = metrics.cagr_between(_users([100, 400], ["2018-01-01", "2020-01-01"]),
                                 "2018-01-01", "2020-12-31")
    assert table["cagr_pct"].iloc[0] == pytest.approx(100, rel=1e-3)


def test_change_since_and_latest() -> None:
    users = _users([100, 150, 300], ["2019-06-01", "2020-06-01", "2022-01-01"])
    changed = metrics.change_since(users, "2020-12-31")
    assert changed["change_pct"].tolist() == pytest.approx([-100 / 3, 0, 100])
    latest = metrics.latest_per_geo(users)
    assert latest["value"].tolist() == [300]


def test_share_of_population_uses_nearest_year() -> None:
    pop = pd.DataFrame({"geo": ["USA", "USA"], "year": [2020, 2021],
                        "population": [300.0, 330.0]})
    out = metrics.share_of_population(_users([30, 33], ["2019-01-01", "2026-01-01"]), pop)
    assert out["population_year"].tolist() == [2020, 2021]
    assert out["share_pct"].tolist() == pytest.approx([10, 10])


def test_to_usd_nearest_year_and_usd() -> None:
    frame = pd.DataFrame({"amount": [80.0, 85.0, 10.0, 5.0, None],
                          "currency": ["EUR", "EUR", "USD", "EUR", "GBP"],
                          "date": pd.to_datetime(["2020-05-01", "2021-01-01", "2020-01-01",
                                                  "2026-01-01", "2020-01-01"])})
    out = metrics.to_usd(frame, FX)
    assert out["amount_usd"].tolist()[:4] == pytest.approx([100, 100, 10, 5 / 0.85])
    assert out["fx_year"].tolist()[:4] == [2020, 2021, 2020, 2021]
    assert pd.isna(out["amount_usd"].iloc[4])


def test_status_history_and_status_on() -> None:
    ev = _events([
        {"geo": "IND", "event_type": "ban", "date": "2020-06-29"},
        {"geo": "PAK", "event_type": "temporary_block", "date": "2020-10-09",
         "end_date": "2020-10-19"},
        {"geo": "PAK", "event_type": "ban_lifted", "date": "2020-10-19"},
        {"geo": "USA", "event_type": "partial_ban", "date": "2019-12-17"},
        {"geo": "USA", "event_type": "ban", "date": "2020-09-18",
         "status_after": "blocked_by_court"},
    ])
    on = metrics.status_on(ev, "2020-10-10").set_index("geo")["status"]
    assert on.to_dict() == {"IND": "banned nationwide", "PAK": "temporarily blocked",
                            "USA": "partial restrictions"}
    later = metrics.status_on(ev, "2021-01-01").set_index("geo")["status"]
    assert later["PAK"] == "ban lifted"


def test_pressure_index_weights_fines_and_subnational() -> None:
    ev = _events([
        {"geo": "USA", "event_type": "ban", "date": "2020-09-18"},
        {"geo": "USA", "event_type": "partial_ban", "date": "2020-12-01", "subdivision": "Texas"},
        {"geo": "GBR", "event_type": "fine", "date": "2020-04-04", "amount": 7.5e6,
         "currency": "GBP"},
        {"geo": "GBR", "event_type": "fine", "date": "2020-04-04", "amount": 7.5e6,
         "currency": "GBP", "same_event_as": "E002"},
    ])
    index = metrics.pressure_index(ev, FX).set_index("geo")
    w = WEIGHTS
    assert index.loc["USA", "pressure"] == pytest.approx(w["ban"] + w["partial_ban"] * 0.25)
    assert index.loc["GBR", "pressure"] == pytest.approx(w["fine"] * (1 + math.log10(11)))
    assert index.loc["GBR", "events"] == 1  # the second source does not count twice
    decayed = metrics.pressure_index(ev, FX, half_life_years=1.0,
                                     periods=pd.period_range("2020", "2021", freq="Y"))
    usa = decayed[decayed["geo"] == "USA"].set_index("period")["pressure"]
    assert usa.iloc[1] < usa.iloc[0] and usa.iloc[1] > 0
    from helpers.tables import pressure_formula

    assert "log10" in pressure_formula(w, {}, None, metrics.FINE_SCALE_USD,
                                       metrics.SUBNATIONAL_FACTOR).text


def test_pressure_rejects_bad_settings() -> None:
    ev = _events([{"geo": "USA", "event_type": "ban", "date": "2020-09-18"}])
    with pytest.raises(ValueError, match="freq"):
        metrics.pressure_index(ev, FX, freq="month")
    with pytest.raises(ValueError, match=">= 0"):
        metrics.pressure_index(ev, FX, weights={"ban": -1})


def test_filter_rows_and_regions() -> None:
    regions = load_table("regions")
    europe = metrics.geos_in_region(regions, "Europe")
    assert "FRA" in europe and "USA" not in europe
    users = load_table("users")
    rows = metrics.filter_rows(users, geos=europe, start="2020-01-01", end="2020-12-31",
                               metric="users_unspecified")
    assert set(rows["geo"].astype(str)) <= set(europe)
    assert rows["date"].dt.year.eq(2020).all()


# ---------------------------------------------------------------- properties

EVENT_TYPES = list(WEIGHTS)
event_rows = st.lists(st.fixed_dictionaries({
    "geo": st.sampled_from(["USA", "IND", "GBR"]),
    "event_type": st.sampled_from(EVENT_TYPES),
    "date": st.dates(min_value=pd.Timestamp("2018-01-01").date(),
                     max_value=pd.Timestamp("2026-12-31").date()).map(str),
    "amount": st.one_of(st.just(float("nan")), st.floats(0, 1e10)),
    "currency": st.sampled_from(["EUR", "GBP", "USD"]),
}), min_size=1, max_size=12)


def _total(ev: pd.DataFrame, **kw) -> pd.Series:
    periods = pd.period_range("2018", "2026", freq="Y")
    idx = metrics.pressure_index(ev, FX, periods=periods, **kw)
    return idx.set_index(["geo", "period"])["pressure"]


@settings(max_examples=60, deadline=None)
@given(rows=event_rows, extra=event_rows, decay=st.sampled_from([None, 1.0, 3.0]))
def test_pressure_never_falls_when_an_event_is_added(rows, extra, decay) -> None:
    before = _total(_events(rows), half_life_years=decay)
    after = _total(_events(rows + extra[:1]), half_life_years=decay)
    aligned = after.reindex(before.index.union(after.index), fill_value=0)
    base = before.reindex(aligned.index, fill_value=0)
    assert (aligned >= base - 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(rows=event_rows, key=st.sampled_from(EVENT_TYPES), bump=st.floats(0, 10))
def test_pressure_never_falls_when_a_weight_rises(rows, key, bump) -> None:
    ev = _events(rows)
    before = _total(ev)
    after = _total(ev, weights={key: WEIGHTS[key] + bump})
    assert (after >= before - 1e-9).all()


@settings(max_examples=40, deadline=None)
@given(value=st.floats(1, 1e12), n=st.integers(2, 8))
def test_growth_of_a_constant_series_is_zero(value, n) -> None:
    dates = [f"{2018 + i}-01-01" for i in range(n)]
    users = _users([value] * n, dates).assign(segment="all_ages")
    assert metrics.cagr_between(users, "2018-01-01", f"{2018 + n}-01-01")["cagr_pct"].tolist() \
        == [0]
    assert metrics.change_since(users, "2018-12-31")["change_pct"].abs().max() == 0
    assert metrics.cagr(value, value, n) == 0


@settings(max_examples=60, deadline=None)
@given(amount=st.floats(0.01, 1e12), currency=st.sampled_from(["EUR", "GBP", "USD"]),
       year=st.sampled_from([2020, 2021]))
def test_usd_conversion_uses_the_rate_of_the_year(amount, currency, year) -> None:
    if currency == "GBP":
        year = 2020
    frame = pd.DataFrame({"amount": [amount], "currency": [currency],
                          "date": [pd.Timestamp(f"{year}-06-01")]})
    usd = metrics.to_usd(frame, FX)["amount_usd"].iloc[0]
    rate = 1.0 if currency == "USD" else FX.set_index(["currency", "year"]).loc[
        (currency, year), "units_per_usd"]
    assert usd * rate == pytest.approx(amount, rel=1e-12)


def test_status_rules_for_unknown_ends() -> None:
    ev = _events([
        {"geo": "AZE", "event_type": "temporary_block", "date": "2020-09-27",
         "status_after": "unknown"},
        {"geo": "AZE", "event_type": "temporary_block", "date": "2022-09-14",
         "status_after": "lifted"},
        {"geo": "AZE", "event_type": "ban_lifted", "date": "2022-11-01"},
        {"geo": "JOR", "event_type": "temporary_block", "date": "2022-12-16",
         "status_after": "in_force"},
        {"geo": "KGZ", "event_type": "ban", "date": "2023-08-01", "status_after": "superseded"},
    ])
    on = metrics.status_on(ev, "2021-06-01").set_index("geo")["status"].to_dict()
    # the 2020 block has no sourced end: it is not stretched to the 2022 lift, and no lift is
    # claimed for it either
    assert "AZE" not in on
    assert metrics.status_on(ev, "2022-10-01").set_index("geo").loc["AZE", "status"] == \
        "temporarily blocked"
    episodes = metrics.restriction_episodes(ev, as_of="2026-06-30")
    late = metrics.status_on(ev, "2026-01-01", episodes).set_index("geo")["status"].to_dict()
    assert late == {"AZE": "ban lifted", "JOR": "temporarily blocked"}
