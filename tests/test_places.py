"""Place profiles and the at-a-glance tables: the three everyday questions of a reader, each
answered on one page, from the rows (and the built pages, with every link resolving)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from helpers import metrics, places, profiles
from helpers.atlas import Atlas
from tests.conftest import SessionReports


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas.load()


@pytest.fixture
def built(session_reports: SessionReports) -> Path:
    return session_reports.out


def _text(page: Path) -> str:
    """The visible text of a page, tags removed, entities decoded, spaces collapsed."""
    raw = page.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style).*?</\1>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def _rows(page: Path) -> list[str]:
    """Each table row of a page as its cells' text joined by ' | '."""
    raw = page.read_text(encoding="utf-8")
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", raw, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, flags=re.S)
        rows.append(" | ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells))
    return rows


# ---------------------------------------------------------------- the rows


def test_every_place_with_a_row_has_one_profile(atlas: Atlas) -> None:
    all_places = places.places_with_data(atlas)
    slugs = [p.slug for p in all_places]
    assert len(slugs) == len(set(slugs))
    countries = {p.geo for p in all_places if not p.subdivision}
    for frame in (atlas.users, atlas.workforce, atlas.investments, atlas.events):
        assert set(frame["geo"].astype(str)) <= countries
    states = {(p.geo, p.subdivision) for p in all_places if p.subdivision}
    assert ("USA", "Montana") in states
    subs = atlas.events[atlas.events["subdivision"].notna()]
    assert states == set(zip(subs["geo"].astype(str), subs["subdivision"].astype(str),
                             strict=True))


def test_a_figure_from_several_publishers_is_one_row_naming_them_all(atlas: Atlas) -> None:
    france = places.profile(atlas, places.Place("FRA", "France", "country", "Europe"))
    raw = atlas.users[atlas.users["geo"] == "FRA"]
    assert len(france.users) == len(raw.drop_duplicates(
        ["date", "metric", "segment", "value", "claim_type"]))
    dsa = france.users[france.users["metric"] == "dsa_monthly_active_recipients"]
    assert len(dsa) == 1
    assert set(dsa["publishers"].iloc[0].split("; ")) == set(
        raw[raw["metric"] == "dsa_monthly_active_recipients"]["source_publisher"])


def test_a_fine_reported_by_several_sources_counts_once_with_their_range(atlas: Atlas) -> None:
    fines = metrics.fines_counted_once(atlas.events)
    linked = atlas.events[atlas.events["same_event_as"].notna()
                          & atlas.events["amount_scaled"].astype(bool)]
    assert not fines["event_id"].isin(linked["event_id"]).any()  # only the events named
    # every linked report of a fine is folded into the event it names (no fine twice)
    scaled = atlas.events[atlas.events["amount_scaled"].astype(bool)]
    assert fines["sources"].sum() == len(scaled)
    ofcom = fines[fines["event_id"] == "E274"].iloc[0]  # GBP 1.875m; another source: 1.8m
    assert ofcom["sources"] == 2 and ofcom["disagree"]
    assert ofcom["value_low"] < ofcom["value_high"] == ofcom["amount_usd"]
    text = profiles.usd_range(ofcom["amount_usd"], ofcom["value_low"], ofcom["value_high"],
                              ofcom["disagree"])
    assert text == "USD 2.4 M (sources disagree: USD 2.3 M to USD 2.4 M)"
    assert fines["amount_usd"].dropna().is_monotonic_decreasing


def test_latest_users_per_country_keeps_each_figure_of_the_latest_date(atlas: Atlas) -> None:
    table = places.latest_users_per_country(atlas)
    assert set(table["geo_kind"]) == {"country"}
    for geo, rows in table.groupby(table["geo"].astype(str)):
        mine = atlas.users[(atlas.users["geo"] == geo) & (atlas.users["product"] == "tiktok")
                           & ~atlas.users["metric"].isin(["downloads_cumulative",
                                                           "downloads_quarterly", "creators"])]
        assert (rows["date"] == mine["date"].max()).all(), geo
        assert len(rows) == len(mine[mine["date"] == mine["date"].max()].drop_duplicates(
            ["metric", "segment", "value", "claim_type"])), geo


def test_lead_sentences_count_in_words(atlas: Atlas) -> None:
    montana = places.profile(atlas, places.Place("USA", "United States", "country",
                                                 "North America", "Montana"))
    text = profiles.lead(montana)
    assert "no TikTok user figure for Montana (United States)" in text
    assert "no investment" in text and "0 " not in text
    assert re.search(r"\b1 \w+s\b", text) is None


# ---------------------------------------------------------------- the pages


def test_the_profile_of_france_lists_its_four_figures_with_their_publishers(built: Path) -> None:
    rows = _rows(built / "places" / "fra.html")
    wanted = {"11 M": {"Gizchina", "KultureGeek"}, "15 M": {"Sénat (France)"},
              "21.4 M": {"The Media Leader FR"}, "27.8 M": {"Generation-NT"}}
    for value, publishers in wanted.items():
        found = [r for r in rows if f"| {value} |" in r]
        assert found, value
        for publisher in publishers:
            assert any(publisher in r for r in found), (value, publisher)
    text = _text(built / "places" / "fra.html")
    assert ("The latest TikTok user figure for France is 27.8 M monthly active users, a "
            "company claim from Generation-NT (Sep 2025). 6 reports give 5 different "
            "figures.") in text


def test_the_restrictions_table_lists_india_from_29_june_2020(built: Path) -> None:
    rows = _rows(built / "glance.html")
    india = [r for r in rows if r.startswith("India |")]
    assert india and "banned nationwide | 2020-06-29 | in force (no end reported)" in india[0]
    us = [r for r in rows if r.startswith("United States |")]  # went dark for a day
    assert us and "2025-01-18 | 2025-01-19 | ended" in us[0]


def test_the_largest_fines_are_in_usd_with_a_range_where_sources_disagree(built: Path) -> None:
    rows = _rows(built / "glance.html")
    fines = [r for r in rows if "Irish DPC fines TikTok EUR 530m" in r]
    assert len(fines) == 1 and "USD 599 M" in fines[0] and "EUR 530 M" in fines[0]
    assert any("sources disagree: USD 2.3 M to USD 2.4 M" in r for r in rows)


def _local_links(page: Path) -> list[str]:
    raw = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", page.read_text(encoding="utf-8"),
                 flags=re.S)  # plotly.js's own code, not the page's links
    hrefs = re.findall(r"""(?:href|src)=["']([^"'#]+)(?:#[^"']*)?["']""", raw)
    return [h for h in hrefs if not urlparse(h).scheme and not h.startswith("//")]


def test_every_link_between_pages_resolves(built: Path) -> None:
    pages = [p for p in built.rglob("*.html") if "sets" not in p.relative_to(built).parts]
    assert len(pages) > 100
    broken = [(str(p.relative_to(built)), h) for p in pages for h in _local_links(p)
              if not (p.parent / unquote(h)).resolve().exists()]
    assert broken == []


def test_place_names_on_every_page_lead_to_their_profiles(built: Path) -> None:
    for name in ("03-regulatory-pressure.html", "glance.html"):
        raw = (built / name).read_text(encoding="utf-8")
        assert '<a href="places/ind.html">India</a>' in raw, name
    index = (built / "places" / "index.html").read_text(encoding="utf-8")
    assert "<a href='usa-montana.html'>Montana (United States)</a>" in index
    montana = (built / "places" / "usa-montana.html").read_text(encoding="utf-8")
    assert "part of <a href='usa.html'>United States</a>" in montana


def test_profiles_share_one_plotly_file_and_load_it_only_with_a_chart(built: Path) -> None:
    plotly = built / "assets" / "plotly.min.js"
    assert plotly.stat().st_size > 1_000_000
    france = (built / "places" / "fra.html").read_text(encoding="utf-8")
    assert '<script src="../assets/plotly.min.js"' in france and "plotly.js v" not in france
    montana = (built / "places" / "usa-montana.html").read_text(encoding="utf-8")
    assert "plotly.min.js" not in montana and "class=\"plotly-graph-div\"" not in montana
    sizes = pd.Series({p.name: p.stat().st_size for p in (built / "places").glob("*.html")})
    assert sizes.max() < 400_000, sizes.idxmax()


DEVELOPER_WORDS = re.compile(r"\b(test suite|nbval|papermill|pytest|kernel|Traceback|DataFrame|"
                             r"NaN|NaT|None|nan|<NA>|dtype|1 places|1 countries|1 events)\b")


def test_reader_pages_read_as_sentences_for_readers(built: Path) -> None:
    """No words meant for developers and no broken plural on any page; a one-place selection
    (chapter 04 opens on the United States) reads '1 place' and names the place."""
    pages = [p for p in built.rglob("*.html") if "sets" not in p.relative_to(built).parts]
    found = {str(p.relative_to(built)): sorted(set(DEVELOPER_WORDS.findall(_text(p))))
             for p in pages}
    assert {k: v for k, v in found.items() if v} == {}
    autumn = _text(built / "04-autumn-2020.html")
    assert re.search(r"\b\d+ figures for 1 place\b", autumn)
    assert "TikTok users in the United States" in autumn
