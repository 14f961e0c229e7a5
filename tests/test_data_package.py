"""The shipped data package: documented, consistent, plausible, and telling the seed story."""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from helpers import checks, schema
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


# ---------------------------------------------------------------- vocabularies


METRIC_LABELS = {
    "monthly_active_users": "monthly active users", "daily_active_users": "daily active users",
    "users_unspecified": "users (undefined by source)", "ad_reach_18plus": "ad reach, 18+",
    "dsa_monthly_active_recipients": "EU DSA monthly active recipients",
    "downloads_cumulative": "downloads (cumulative)",
    "downloads_quarterly": "downloads per quarter",
    "unique_visitors": "unique visitors", "creators": "creators", "headcount": "headcount",
    "engineers": "engineers", "moderators": "moderators", "hiring_plan": "planned hires",
    "jobs_announced": "jobs announced", "layoffs": "layoffs", "job_postings": "job postings"}
SEGMENT_LABELS = {"all_ages": "all ages", "age_13_plus": "13+", "age_16_plus": "16+",
                  "age_18_plus": "18+", "under_18": "under 18 only"}
CLAIM_LABELS = {"company": "company claim", "government": "government figure",
                "third_party_estimate": "third-party estimate", "press_report": "press report"}
CLAIM_SYMBOLS = {"company": "circle", "government": "square", "third_party_estimate": "diamond",
                 "press_report": "triangle-up"}
LABELLED = [("users", "metric"), ("workforce", "metric"), ("users", "segment"),
            ("users", "claim_type"), ("workforce", "claim_type"), ("investments", "claim_type"),
            ("investments", "category"), ("workforce", "employer"), ("investments", "investor"),
            ("events", "status_after")]


def test_event_types_cover_every_event(t: dict[str, pd.DataFrame]) -> None:
    types, events = t["event_types"], t["events"]
    codes = types["event_type"].astype(str).tolist()
    with open(DATA / "events.csv", encoding="utf-8", newline="") as f:
        used = {(r["event_type"], r["category"]) for r in csv.DictReader(f)}
    assert used <= set(zip(codes, types["category"].astype(str), strict=True))
    assert list(events["event_type"].cat.categories) == codes  # event_types.csv row order
    assert events["event_type"].notna().all()
    names = table_names()
    assert names.index("event_types") < names.index("events")


def test_event_type_roles() -> None:
    types = schema.event_types()
    assert {e.restriction for e in types.values()} == {"ban", "block", "partial", "lift", ""}
    assert (types["ban"].restriction, types["temporary_block"].restriction,
            types["partial_ban"].restriction, types["ban_lifted"].restriction) == (
        "ban", "block", "partial", "lift")
    assert types["fine"].amount_scaled and not types["ban"].amount_scaled
    assert types["ban"].pressure_weight == 10.0 and types["ban_lifted"].pressure_weight == 0.0
    for e in types.values():
        assert e.code and e.label and e.description and e.colour.startswith("#"), e
        if e.category == "business":
            assert e.pressure_weight == 0 and e.restriction == "" and not e.on_growth_chart, e


def test_schema_labels_and_symbols_are_the_descriptor_s() -> None:
    for res in read_package()["resources"]:
        for field in res["schema"]["fields"]:
            where = (res["name"], field["name"])
            allowed = field.get("constraints", {}).get("enum")
            if "x-labels" in field:
                assert schema.enum(*where) == allowed
                assert list(schema.labels(*where).items()) == [
                    (v, field["x-labels"][v]) for v in allowed], where
            if "x-symbols" in field:
                assert schema.symbols(*where) == field["x-symbols"], where
    assert {w for w in LABELLED if "x-labels" in next(
        f for f in fields(w[0]) if f["name"] == w[1])} == set(LABELLED)
    types = load_table("event_types")
    codes = types["event_type"].astype(str).tolist()
    assert schema.enum("events", "event_type") == codes
    assert schema.labels("events", "event_type") == dict(zip(codes, types["label"], strict=True))
    assert schema.symbols("events", "event_type") == dict(zip(codes, types["symbol"],
                                                              strict=True))
    assert schema.labels("event_types", "event_type") == schema.labels("events", "event_type")


def test_reader_labels_are_unchanged() -> None:
    """The texts readers saw before the labels moved into the data package."""
    metrics = {**schema.labels("users", "metric"), **schema.labels("workforce", "metric")}
    assert metrics == METRIC_LABELS
    assert schema.labels("users", "segment") == SEGMENT_LABELS
    for table in ("users", "workforce", "investments"):
        assert schema.labels(table, "claim_type") == CLAIM_LABELS
        assert schema.symbols(table, "claim_type") == CLAIM_SYMBOLS
    assert schema.label("events", "status_after", "blocked_by_court") == "blocked by court"
    assert schema.label("users", "metric", "not_a_metric") == "not a metric"  # fallback
    assert schema.label("users", "note", "free_text") == "free text"
    with pytest.raises(KeyError, match="no enumerated values"):
        schema.labels("users", "note")
    with pytest.raises(KeyError, match="no field"):
        schema.enum("users", "no_such_field")


def _touch(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_a_new_event_type_is_rows_of_csv_only(data_copy: Path) -> None:
    """A new regulatory type: one row in event_types.csv, then events that use it; no code."""
    source = load_table("sources", data_copy)["source_id"].astype(str).iloc[0]
    with open(data_copy / "event_types.csv", "a", encoding="utf-8") as f:
        f.write("age_verification_order,regulatory,age verification order,,2.5,no,yes,"
                "#8c510a,star-diamond,An order to verify the age of every user.\n")
    with open(data_copy / "events.csv", "a", encoding="utf-8") as f:
        f.write(f"E999,regulatory,age_verification_order,AUS,,2025-12-10,day,,Age checks "
                f"ordered,All users,in_force,eSafety Commissioner,,,,{source},test\n")
    assert checks.errors(checks.validate_package(data_copy)) == []
    assert frictionless_problems(data_copy) == []
    new = schema.event_types(data_copy)["age_verification_order"]
    assert (new.category, new.label, new.pressure_weight, new.restriction, new.on_growth_chart,
            new.amount_scaled, new.colour, new.symbol) == (
        "regulatory", "age verification order", 2.5, "", True, False, "#8c510a", "star-diamond")
    assert list(schema.event_types(data_copy))[-1] == "age_verification_order"
    assert schema.label("events", "event_type", "age_verification_order", data_copy) == \
        "age verification order"
    events = load_table("events", data_copy)
    assert events["event_type"].cat.categories[-1] == "age_verification_order"
    assert events.loc[events["event_id"] == "E999", "event_type"].tolist() == [
        "age_verification_order"]
    assert "age_verification_order" not in schema.event_types()  # the real package is apart
    path = data_copy / "event_types.csv"  # the cache follows the file
    path.write_text(path.read_text(encoding="utf-8").replace(
        "age verification order", "age check order"), encoding="utf-8")
    _touch(path)
    assert schema.event_types(data_copy)["age_verification_order"].label == "age check order"


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
