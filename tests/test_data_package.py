"""The shipped data package: documented, consistent, plausible, and telling the seed story."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest

from helpers.data import (
    default_data_dir,
    fields,
    frictionless_problems,
    load_table,
    read_package,
    table_names,
    validate_package,
)
from helpers.dictionary import BEGIN, END, render_markdown
from helpers.metrics import distinct_events

DATA = default_data_dir()
CLAIMS = {"company", "government", "third_party_estimate", "press_report"}


@pytest.fixture(scope="module")
def t() -> dict[str, pd.DataFrame]:
    return {name: load_table(name) for name in table_names()}


# ---------------------------------------------------------------- metadata


def test_package_has_version_and_licence() -> None:
    package = read_package()
    assert package["version"].count(".") == 2
    assert package["licenses"] and package["licenses"][0]["name"]
    changelog = (DATA / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {package['version']} (" in changelog


@pytest.mark.parametrize("name", table_names())
def test_every_column_documented_and_every_documented_column_present(name: str) -> None:
    res = next(r for r in read_package()["resources"] if r["name"] == name)
    with open(DATA / res["path"], encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    documented = [f["name"] for f in fields(name)]
    assert header == documented
    for field in fields(name):
        assert field.get("description", "").strip(), f"{name}.{field['name']} has no description"
        assert field.get("type") in {"string", "number", "integer", "date"}
    assert res.get("description") and res.get("title")


def test_numeric_fields_state_their_unit() -> None:
    for name in table_names():
        for field in fields(name):
            if field["type"] in ("number", "integer"):
                assert field.get("unit"), f"{name}.{field['name']} has no unit"


def test_readme_dictionary_is_generated_from_the_descriptor() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert block.strip() == render_markdown().strip(), "run: python -m helpers docs"


def test_public_column_names() -> None:
    """The columns the issue names are public API."""
    expected = {
        "sources": {"source_id", "title", "publisher", "published", "url"},
        "regions": {"code", "name", "region", "kind"},
        "users": {"geo", "date", "date_precision", "metric", "value", "claim_type",
                  "source_id", "note"},
        "workforce": {"geo", "date", "metric", "value", "claim_type", "source_id", "note",
                      "horizon_years"},
        "investments": {"geo", "date", "amount", "currency", "category", "horizon_years",
                        "claim_type", "source_id", "note"},
        "events": {"category", "event_type", "geo", "date", "end_date", "title", "scope",
                   "status_after", "amount", "currency", "source_id"},
    }
    for name, cols in expected.items():
        assert cols <= {f["name"] for f in fields(name)}, name


# ---------------------------------------------------------------- validity & integrity


def test_package_is_valid() -> None:
    assert validate_package() == []


def test_frictionless_agrees() -> None:
    assert frictionless_problems() == []


def test_types(t: dict[str, pd.DataFrame]) -> None:
    users = t["users"]
    assert pd.api.types.is_datetime64_any_dtype(users["date"])
    assert isinstance(users["metric"].dtype, pd.CategoricalDtype)
    assert users["value"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(t["events"]["end_date"])


def test_every_row_resolves_to_an_http_source(t: dict[str, pd.DataFrame]) -> None:
    ids = set(t["sources"]["source_id"].astype(str))
    assert t["sources"]["url"].astype(str).str.match(r"^https?://").all()
    for name in ("users", "workforce", "investments", "events", "fx", "population"):
        assert set(t[name]["source_id"].astype(str)) <= ids, name


def test_no_unused_sources(t: dict[str, pd.DataFrame]) -> None:
    used = set()
    for name in ("users", "workforce", "investments", "events", "fx", "population"):
        used |= set(t[name]["source_id"].astype(str))
    assert set(t["sources"]["source_id"].astype(str)) == used


def test_claim_types_cover_the_vocabulary(t: dict[str, pd.DataFrame]) -> None:
    for name in ("users", "workforce", "investments"):
        assert set(t[name]["claim_type"].astype(str)) <= CLAIMS
    assert set(t["users"]["claim_type"].astype(str)) == CLAIMS


USER_ASSIGNED_COUNTRIES = {"XKX"}  # Kosovo: no ISO code; XKX as the EU and IMF use it


def test_regions_are_used_and_codes_are_real() -> None:
    regions = load_table("regions")
    pycountry = pytest.importorskip("pycountry")
    for code, kind in zip(regions["code"].astype(str), regions["kind"].astype(str), strict=True):
        if kind == "country" and code not in USER_ASSIGNED_COUNTRIES:
            assert pycountry.countries.get(alpha_3=code), code
        else:
            assert code in {"WLD", "EUU"} or code.startswith("X"), code


def test_every_currency_has_rates_for_the_years_used(t: dict[str, pd.DataFrame]) -> None:
    fx = t["fx"]
    for frame in (t["investments"], t["events"]):
        money = frame[frame["amount"].notna() & (frame["currency"].astype(str) != "USD")]
        for currency in set(money["currency"].astype(str)):
            assert (fx["currency"].astype(str) == currency).any(), currency


def test_same_event_rows_point_to_an_earlier_event(t: dict[str, pd.DataFrame]) -> None:
    events = t["events"].set_index("event_id")
    for event_id, first in events["same_event_as"].dropna().items():
        assert first != event_id
        assert events.loc[first, "same_event_as"] is pd.NA or pd.isna(
            events.loc[first, "same_event_as"]), "chains must point to the first row"
        assert events.loc[first, "geo"] == events.loc[event_id, "geo"]


def test_fines_carry_amount_and_currency(t: dict[str, pd.DataFrame]) -> None:
    ev = t["events"]
    with_amount = ev[ev["amount"].notna()]
    assert with_amount["currency"].notna().all()
    fines = ev[ev["event_type"].astype(str) == "fine"]
    assert fines["amount"].notna().mean() > 0.9


# ---------------------------------------------------------------- plausibility
# (population, tenfold jumps and dates are project rules: tests/test_rules.py)


def test_population_for_every_place_with_users(t: dict[str, pd.DataFrame]) -> None:
    pop_geos = set(t["population"]["geo"].astype(str))
    user_geos = {g for g in t["users"]["geo"].astype(str) if not g.startswith("X")}
    assert user_geos <= pop_geos


def test_values_are_finite_and_dates_in_range(t: dict[str, pd.DataFrame]) -> None:
    for name in ("users", "workforce", "investments", "events"):
        frame = t[name]
        assert frame["date"].between("2017-01-01", "2026-12-31").all(), name
    assert all(math.isfinite(v) for v in t["users"]["value"])


# ---------------------------------------------------------------- coverage


def test_coverage_targets(t: dict[str, pd.DataFrame]) -> None:
    users, ev = t["users"], t["events"]
    countries = set(t["regions"].loc[t["regions"]["kind"].astype(str) == "country", "code"]
                    .astype(str))
    assert len(users) >= 80
    assert len(set(users["geo"].astype(str)) & countries) >= 15
    assert {"WLD", "EUU"} <= set(users["geo"].astype(str))
    assert users["date"].dt.year.min() <= 2018 and users["date"].dt.year.max() >= 2026
    for geo in ("GBR", "FRA", "DEU", "ITA", "ESP", "JPN", "IDN", "BRA", "VNM", "MEX", "AUS",
                "IND"):
        assert (users["geo"].astype(str) == geo).any(), geo
    assert (users["metric"].astype(str) == "dsa_monthly_active_recipients").sum() >= 5
    assert len(t["workforce"]) >= 30
    assert len(t["investments"]) >= 20
    reg = distinct_events(ev[ev["category"].astype(str) == "regulatory"])
    assert len(reg) >= 150
    assert reg["geo"].astype(str).nunique() >= 30
    assert set(range(2018, 2027)) <= set(reg["date"].dt.year)
    fines = reg[reg["event_type"].astype(str) == "fine"]
    assert fines["currency"].astype(str).nunique() >= 5
    assert len(t["sources"]) >= 150


# ---------------------------------------------------------------- the seed story


def _row(frame: pd.DataFrame, **conditions: object) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for col, value in conditions.items():
        mask &= frame[col].astype(str) == str(value)
    return frame[mask]


def test_seed_us_users_100m_august_2020(t: dict[str, pd.DataFrame]) -> None:
    users = t["users"]
    rows = users[(users["geo"].astype(str) == "USA") & (users["value"] >= 100_000_000)
                 & (users["date"].dt.strftime("%Y-%m") == "2020-08")]
    assert not rows.empty and (rows["claim_type"].astype(str) == "company").all()


def test_seed_hiring_plan_and_engineers(t: dict[str, pd.DataFrame]) -> None:
    wf = t["workforce"]
    plan = _row(wf, metric="hiring_plan", value=3000.0)
    plan = plan[plan["date"].dt.strftime("%Y-%m") == "2020-10"]
    assert not plan.empty and (plan["horizon_years"] == 3).all()
    assert plan["scope"].astype(str).str.contains("Singapore").any()
    engineers = wf[(wf["metric"].astype(str) == "engineers") & (wf["value"] >= 1000)
                   & (wf["date"].dt.year == 2020)]
    assert not engineers.empty
    california = wf[wf["scope"].astype(str).str.contains("California")
                    & (wf["date"].dt.year == 2020)]
    assert california["note"].astype(str).str.contains("half").any()


def test_seed_singapore_several_billion(t: dict[str, pd.DataFrame]) -> None:
    inv = t["investments"]
    rows = inv[(inv["geo"].astype(str) == "SGP") & (inv["date"].dt.strftime("%Y-%m") == "2020-09")]
    assert not rows.empty
    assert rows["amount"].isna().all(), "the source gives no number: amount must stay blank"
    assert rows["note"].astype(str).str.contains("blank|no figure|not stated", case=False).any()


def test_seed_events_2020(t: dict[str, pd.DataFrame]) -> None:
    ev = t["events"]
    orders = ev[(ev["event_type"].astype(str) == "executive_order")
                & (ev["date"] == pd.Timestamp("2020-08-06"))]
    assert len(orders) >= 2
    assert orders["title"].str.contains("WeChat").any()
    sept = ev[(ev["date"].dt.strftime("%Y-%m") == "2020-09") & ev["geo"].eq("USA")]
    assert sept["title"].str.contains("Oracle").any()
    assert sept["title"].str.contains("Walmart").any() or sept["note"].astype(str).str.contains(
        "Walmart").any()
    shopify = ev[ev["title"].str.contains("Shopify", case=False)]
    assert (shopify["date"].dt.strftime("%Y-%m") == "2020-10").any()
    revoked = ev[(ev["date"] == pd.Timestamp("2021-06-09"))]
    assert not revoked.empty


def test_csv_files_are_utf8_with_unix_newlines() -> None:
    for name in table_names():
        raw = (DATA / f"{name}.csv").read_bytes()
        raw.decode("utf-8")
        assert b"\r\n" not in raw, name
        assert list(csv.reader(io.StringIO(raw.decode()))), name
