"""The place pages of the report: one profile per place with data (``places/<slug>.html``,
sharing one plotly.js file in ``assets/``), the list of places (``places/index.html``) and the
"at a glance" page (``glance.html``): restrictions, largest fines, latest users per country.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helpers import captions, figures, formatting, places, tables
from helpers.atlas import Atlas
from helpers.pages import Scripts, figure_html, nav, plotlyjs, shell
from helpers.places import Place, Profile

PLACES_DIR = "places"
ASSETS = "assets"
PLOTLY_FILE = "plotly.min.js"
GLANCE = "glance.html"

EPISODE_COLUMNS = ("subdivision", "restriction", "scope", "from", "to", "status",
                   "source_publisher", "source_title")
FINE_COLUMNS = ("date", "geo_name", "authority", "title", "fine", "usd", "sources",
                "publishers")
EVENT_COLUMNS = ("date", "subdivision", "event_type_label", "title", "authority",
                 "status_after_label", "source_publisher", "source_title")
USER_COLUMNS = ("date", "metric_label", "segment_label", "value", "claim_type_label",
                "publishers")
INVESTMENT_COLUMNS = ("date", "investor_label", "category_label", "fine", "usd", "scope",
                      "claim_type_label", "source_publisher", "source_title")
WORKFORCE_COLUMNS = ("date", "employer_label", "metric_label", "value", "horizon_years",
                     "scope", "claim_type_label", "source_publisher", "source_title")
HEADINGS = {"fine": "amount", "usd": "in USD", "publishers": "who says so",
            "segment_label": "who is counted", "investor_label": "investor"}


def place_href(prefix: str = f"{PLACES_DIR}/") -> tables.PlaceHref:
    """Profile addresses for table cells: every place with a row has a profile."""
    def href(geo: str, subdivision: str) -> str:
        return f"{prefix}{Place(geo, '', '', '', subdivision).slug}.html"
    return href


def usd_range(total: object, low: object, high: object, disagree: object) -> str:
    """'USD 2.4 M (sources disagree: USD 2.3 M to USD 2.4 M)'; 'no amount given'."""
    if pd.isna(total):  # type: ignore[arg-type]
        return "no amount given"
    text = formatting.money(total)
    if bool(disagree) and formatting.money(low) != formatting.money(high):
        text += (f" (sources disagree: {formatting.money(low)} to "
                 f"{formatting.money(high)})")
    return text


def _money_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``fine``: the amount in its own currency; ``usd``: in USD with the sources' range."""
    if frame.empty:
        return frame.assign(fine=pd.Series(dtype="string"), usd=pd.Series(dtype="string"))
    own = [formatting.money(a, str(c)) if pd.notna(c) else formatting.number(a, "")
           for a, c in zip(frame["amount"], frame["currency"], strict=True)]
    low = frame.get("value_low", frame["amount_usd"])
    high = frame.get("value_high", frame["amount_usd"])
    disagree = frame.get("disagree", pd.Series(False, index=frame.index))
    usd = [usd_range(t, lo, hi, d) for t, lo, hi, d in zip(
        frame["amount_usd"], low, high, disagree, strict=True)]
    return frame.assign(fine=own, usd=usd)


def _table(frame: pd.DataFrame, columns: Sequence[str], href: tables.PlaceHref,
           limit: int = 200, max_height: int | None = 420) -> str:
    return tables.frame_to_html_table(frame, columns, limit=limit, place_href=href,
                                      max_height=max_height, headings=HEADINGS)


# ---------------------------------------------------------------- one profile


def lead(profile: Profile) -> str:
    """One paragraph from the rows: the latest user figure and who says so, then counts."""
    name = profile.place.title
    parts = []
    mau = profile.latest
    if len(mau):
        top = mau.sort_values("date", ascending=False).iloc[0]
        parts.append(
            f"The latest TikTok user figure for {formatting.the(name)} is "
            f"{formatting.number(top['value'])} "
            f"{top['metric_label']}, a {top['claim_type_label']} from {top['publishers']} "
            f"({formatting.day(top['date'], str(top['date_precision']))}). "
            f"{_reports(profile)}")
    else:
        parts.append(f"The atlas has no TikTok user figure for {formatting.the(name)}.")
    counts = [_count(len(profile.episodes), "restriction that took effect",
                     "restrictions that took effect"),
              _count(len(profile.fines), "fine"), _count(len(profile.events), "event"),
              _count(len(profile.investments), "investment"),
              _count(len(profile.workforce), "workforce figure")]
    parts.append("It has " + ", ".join(counts[:-1]) + f" and {counts[-1]}.")
    return " ".join(parts)


def _reports(profile: Profile) -> str:
    """'6 reports give 5 different figures.' (one figure from several publishers is one)."""
    reports = int(profile.users["publishers"].str.count("; ").sum()) + len(profile.users)
    if reports == 1:
        return "It is the only one in the atlas."
    if reports == len(profile.users):
        return f"{formatting.plural(reports, 'report')} in all, each a different figure."
    return (f"{formatting.plural(reports, 'report')} give "
            f"{formatting.plural(len(profile.users), 'different figure')}.")


def _count(n: int, word: str, words: str | None = None) -> str:
    return f"no {word}" if n == 0 else formatting.plural(n, word, words)


def _section(title: str, body: str, empty: str, rows: int) -> str:
    return f"<h2>{html.escape(title)}</h2>" + (body if rows else
                                               f"<p class='atlas-summary'>{html.escape(empty)}"
                                               "</p>")


def _claims_chart(profile: Profile) -> str:
    sel = profile.claims
    if sel is None or sel.is_empty:
        return ""
    fig = figures.charts(sel, static=True)[0]
    text = captions.caption(sel)[0]
    div = figure_html(fig, f"fig-users-{profile.place.slug}")
    return (f"<figure class='atlas-chart'><div role='group' aria-label=\"{html.escape(text)}\">"
            f"{div}</div><figcaption class='atlas-caption'>{html.escape(text)}</figcaption>"
            "</figure>")


def profile_body(atlas: Atlas, profile: Profile, href: tables.PlaceHref) -> str:
    """The HTML of one place's page (inside <main>)."""
    place = profile.place
    name = html.escape(place.title)
    up = (f" · part of <a href='{html.escape(href(place.geo, ''))}'>"
          f"{html.escape(place.name)}</a>" if place.subdivision else "")
    head = (f"<h1>{name}</h1><p class='atlas-kind'>{html.escape(place.kind_label)} · "
            f"{html.escape(place.region)}{up} · data as of {atlas.as_of:%d %B %Y}</p>"
            f"<p class='atlas-lead'>{html.escape(lead(profile))}</p>")
    users = (
        _section("Users: the latest figure of each metric",
                 _table(profile.latest, ("date", *USER_COLUMNS[1:]), href),
                 f"No TikTok user figure for {place.title}.", len(profile.latest))
        + (f"<h2>Users over time, by source and definition</h2>"
           f"<p class='atlas-summary'>Each marker is one figure; a line joins figures of one "
           f"definition from one kind of source only. Hover a marker for its source.</p>"
           f"{_claims_chart(profile)}" if profile.claims is not None else "")
        + (f"<h3>Every figure, with all who report it ({len(profile.users)})</h3>"
           + _table(profile.users, USER_COLUMNS, href) if len(profile.users) else ""))
    body = [
        head, users,
        _section("Restrictions", _table(profile.episodes, EPISODE_COLUMNS if not
                                        place.subdivision else EPISODE_COLUMNS[1:], href),
                 f"No ban, block or partial restriction that took effect is recorded for "
                 f"{place.title}.", len(profile.episodes)),
        _section("Fines", _table(_money_columns(profile.fines), FINE_COLUMNS[:1]
                                 + FINE_COLUMNS[2:], href),
                 f"No fine is recorded for {place.title}.", len(profile.fines)),
        _section("Events", _table(profile.events, EVENT_COLUMNS if not place.subdivision
                                  else EVENT_COLUMNS[:1] + EVENT_COLUMNS[2:], href),
                 f"No event is recorded for {place.title}.", len(profile.events)),
        _section("Investments", _table(_money_columns(profile.investments),
                                       INVESTMENT_COLUMNS, href),
                 f"No investment is recorded for {place.title}.", len(profile.investments)),
        _section("Jobs and workforce", _table(profile.workforce, WORKFORCE_COLUMNS, href),
                 f"No workforce figure is recorded for {place.title}.", len(profile.workforce)),
        sources_list(atlas, profile.source_ids),
    ]
    return "".join(body)


def sources_list(atlas: Atlas, source_ids: Sequence[str]) -> str:
    """The sources behind a page: title (linked), publisher, date and quality."""
    cited = atlas.sources[atlas.sources["source_id"].astype(str).isin(set(source_ids))]
    cited = cited.sort_values(["publisher", "published", "title"])
    items = "".join(
        f"<li><a href='{html.escape(r.url)}' rel='noopener'>{html.escape(r.title)}</a>. "
        f"{html.escape(r.publisher)}{', ' + html.escape(r.published) if r.published else ''}. "
        f"<span class='atlas-quality'>[{html.escape(str(r.quality))}]</span></li>"
        for r in cited.itertuples())
    return (f"<section class='atlas-sources'><h2>Sources</h2><p>"
            f"{formatting.plural(len(cited), 'document')} behind this page.</p>"
            f"<ol>{items}</ol></section>")


# ---------------------------------------------------------------- the list and the glance page


def places_index_body(all_places: Sequence[Place], href: tables.PlaceHref) -> str:
    """Every place with a profile, by region."""
    by_region: dict[str, list[Place]] = {}
    for place in all_places:
        by_region.setdefault(place.region, []).append(place)
    parts = [f"<h1>Places</h1><p>{formatting.plural(len(all_places), 'place')} with data: "
             "countries, groups of countries and organisations, and the states, provinces "
             "and nations that have events of their own. Each profile gives the latest user "
             "figures and who says so, users over time, restrictions, fines, investments, "
             "jobs and sources.</p>"]
    for region in sorted(by_region):
        items = "".join(f"<li><a href='{html.escape(href(p.geo, p.subdivision))}'>"
                        f"{html.escape(p.title)}</a></li>" for p in by_region[region])
        parts.append(f"<h2>{html.escape(region)}</h2><ul class='atlas-places'>{items}</ul>")
    return "".join(parts)


def glance_body(atlas: Atlas, href: tables.PlaceHref) -> str:
    """Restrictions, the largest fines and the latest users per country, one table each."""
    nationwide = places.restrictions(atlas, "nationwide")
    banned = nationwide[nationwide["restriction"].astype(str).str.startswith("banned")]
    fines = _money_columns(places.largest_fines(atlas))
    users = places.latest_users_per_country(atlas)
    countries = formatting.plural(users["geo"].nunique(), "country", "countries")
    return "".join([
        "<h1>At a glance</h1>",
        f"<p>Three tables from the atlas's rows, data as of {atlas.as_of:%d %B %Y}. Place "
        "names lead to their profiles; every row names its source.</p>",
        "<h2 id='restrictions'>Nationwide bans and blocks</h2>",
        f"<p class='atlas-summary'>{formatting.plural(len(nationwide), 'nationwide restriction')}"
        f" took effect in {formatting.plural(nationwide['geo'].nunique(), 'place')}, "
        f"{len(banned)} of them outright bans. Where no source gives the end, the table says "
        "so and gives the last report that confirms the restriction.</p>",
        _table(nationwide, ("geo_name", "restriction", "from", "to", "status",
                            "source_publisher", "source_title"), href, max_height=None),
        "<h2 id='fines'>The largest fines</h2>",
        f"<p class='atlas-summary'>The {formatting.plural(len(fines), 'largest fine')} in US "
        "dollars, each fine counted once however many sources report it (converted at the "
        "yearly average rate of its year); where the sources give different amounts, the "
        "range is shown.</p>",
        _table(fines, FINE_COLUMNS, href, max_height=None),
        "<h2 id='users'>The latest user figure per country</h2>",
        f"<p class='atlas-summary'>{countries} with a TikTok user figure. The definitions "
        "differ (monthly active users, EU DSA recipients, users as the source defines "
        "them), so the table is sorted by name, not ranked; a profile lists every figure "
        "of its place.</p>",
        _table(users, ("geo_name", "date", "metric_label", "value", "claim_type_label",
                       "publishers", "figures"), href),
    ])


# ---------------------------------------------------------------- writing the pages


def write_place_pages(atlas: Atlas, out: Path, links: Sequence[tuple[str, str]],
                      footer: str, *, plotly_bundle: str = "lean") -> int:
    """Write ``glance.html``, ``places/index.html``, one profile per place and the shared
    ``assets/plotly.min.js`` (the ``plotly_bundle``: lean or full) into ``out``; returns the
    number of profiles."""
    all_places = places.places_with_data(atlas)
    (out / ASSETS).mkdir(parents=True, exist_ok=True)
    (out / ASSETS / PLOTLY_FILE).write_text(plotlyjs(plotly_bundle), encoding="utf-8")
    (out / PLACES_DIR).mkdir(parents=True, exist_ok=True)
    top = place_href(f"{PLACES_DIR}/")
    (out / GLANCE).write_text(shell("At a glance · TikTok Growth Atlas", glance_body(atlas, top),
                                    nav(links, GLANCE), footer, Scripts(plotly="none")),
                              encoding="utf-8")
    inner = place_href("")
    (out / PLACES_DIR / "index.html").write_text(
        shell("Places · TikTok Growth Atlas", places_index_body(all_places, inner),
              nav(links, f"{PLACES_DIR}/index.html", prefix="../"), footer,
              Scripts(plotly="none")), encoding="utf-8")
    split = places.rows_by_place(atlas)
    for place in all_places:
        prof = places.profile(atlas, place, split)
        scripts = Scripts(plotly=f"../{ASSETS}/{PLOTLY_FILE}" if prof.claims is not None
                          else "none")
        (out / PLACES_DIR / f"{place.slug}.html").write_text(
            shell(f"{place.title} · TikTok Growth Atlas",
                  profile_body(atlas, prof, inner),
                  nav(links, None, prefix="../"), footer, scripts), encoding="utf-8")
    return len(all_places)
