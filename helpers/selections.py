"""One pure selection per view: the view's parameters (the names of the notebooks'
``parameters`` cells) and an :class:`~helpers.atlas.Atlas` in, the rows the view shows out.

The explorer of a view (JupyterLab) and its report twin (static HTML) both call the same
function here, so that the same parameters always select the same rows. Defaults that
depend on the data (the period, the default places, the event types of the growth chart)
are resolved here too, and returned in :attr:`Selection.params`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from helpers import formatting, metrics
from helpers.atlas import Atlas
from helpers.formatting import plural

ALL = metrics.ALL
DEFAULT_PLACES = 5
"""How many places the growth view shows when none is chosen: the largest markets."""
Y_MODES = ("value", "share_pct", "change_pct")
MAP_METRICS = ("monthly_active_users", "users_unspecified", "ad_reach_18plus",
               "dsa_monthly_active_recipients")
"""Metrics the users map offers alone (each one definition); ``All``: one per country."""
NOT_USERS = ("downloads_cumulative", "downloads_quarterly", "creators")
"""User-table metrics that do not count users: never on the users map."""


@dataclass(frozen=True)
class Selection:
    """What one view shows for one set of parameters."""

    view: str
    params: dict[str, Any]
    """Every parameter of the view, defaults resolved (what an export passes on)."""
    rows: pd.DataFrame
    """The rows the view shows: its table and its CSV."""
    title: str = ""
    """The chart's title, naming the selection."""
    message: str = ""
    """Why nothing is drawn (set when there is nothing to draw), in this view's terms."""
    extra: dict[str, Any] = field(default_factory=dict)
    """What the chart needs beyond the rows (events, episodes, history, options)."""

    @property
    def is_empty(self) -> bool:
        """True when the view shows its message instead of a chart."""
        return bool(self.message)


# ---------------------------------------------------------------- shared resolution


def period(atlas: Atlas, start: int | None, end: int | None) -> tuple[int, int]:
    """The period in years: ``None`` means the first or last year of the data; years are
    clipped to the data's range and ``start`` never passes ``end``."""
    first, last = atlas.years[0], atlas.years[-1]
    start = first if start is None else min(max(int(start), first), last)
    end = last if end is None else min(max(int(end), start), last)
    return start, end


def _bounds(start: int, end: int) -> dict[str, pd.Timestamp]:
    return {"start": pd.Timestamp(f"{start}-01-01"), "end": pd.Timestamp(f"{end}-12-31")}


def _region_name(region: str) -> str:
    return "all regions" if region in (ALL, "", None) else region


def _names(atlas: Atlas, codes: Sequence[str], limit: int = 3) -> str:
    """'France', 'France and Germany', 'France, Germany and 3 other places'."""
    names = [atlas.place_names.get(c, c) for c in codes]
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {plural(len(names) - limit, 'other place')}"
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def default_places(atlas: Atlas, region: str, metric: str,
                   n: int = DEFAULT_PLACES) -> list[str]:
    """The ``n`` largest markets of ``region`` by their latest TikTok figure of ``metric``
    (one metric per place for All): countries first (``regions.kind``), the region's
    aggregates only when it has no country with figures."""
    users = metrics.filter_rows(atlas.users, geos=atlas.geos_in(region), product="tiktok",
                                metric=metric)
    users = users[~users["metric"].astype(str).isin(NOT_USERS)]
    if users.empty:
        return []
    latest = metrics.latest_per_geo(metrics.one_metric_per_geo(users), by=("geo",))
    latest = latest.assign(geo=latest["geo"].astype(str))
    countries = latest[latest["geo"].isin(atlas.country_codes)]
    pool = countries if not countries.empty else latest
    return pool.sort_values(["value", "geo"], ascending=[False, True])["geo"].head(n).tolist()


# ---------------------------------------------------------------- users


def growth(atlas: Atlas, region: str = ALL, countries: Sequence[str] | None = None,
           metric: str = "monthly_active_users", start: int | None = None,
           end: int | None = None, claim_type: str = ALL, y: str = "value",
           base_year: int | None = None, log_y: bool = False,
           event_types: Sequence[str] | None = None) -> Selection:
    """Users over time of the chosen places (``None``: the region's largest markets; an
    empty list: none), with the regulatory events and restriction episodes of those places
    in the period (``event_types`` None: the data package's growth-chart types)."""
    start, end = period(atlas, start, end)
    base_year = start if base_year is None else period(atlas, base_year, base_year)[0]
    in_region = set(atlas.geos_in(region))
    places = (default_places(atlas, region, metric) if countries is None
              else [c for c in countries if c in in_region])  # the explorer's place list
    types = list(atlas.growth_chart_event_types if event_types is None else event_types)
    params = dict(region=region, countries=places, metric=metric, start=start, end=end,
                  claim_type=claim_type, y=y, base_year=base_year, log_y=bool(log_y),
                  event_types=types)
    span = _bounds(start, end)
    label = atlas.label("users", "metric", metric) if metric != ALL else "users"
    title = f"TikTok {label}, {_names(atlas, places) if places else _region_name(region)}"
    if not places:
        why = ("Choose at least one country or aggregate to draw user figures."
               if countries is not None else
               f"No place of {_region_name(region)} has {label} figures: choose another metric "
               "or region.")
        return Selection("growth", params, atlas.users.iloc[0:0], title, why)
    chosen = dict(geos=places, metric=metric, claim_type=claim_type, product="tiktok")
    users = atlas.users[~atlas.users["metric"].astype(str).isin(NOT_USERS)]  # people only
    rows = metrics.filter_rows(users, **span, **chosen)
    message = ""
    if y == "change_pct":
        base = metrics.filter_rows(users, **chosen)
        changed = metrics.change_since(base, f"{base_year}-12-31")
        rows = changed[(changed["date"] >= span["start"]) & (changed["date"] <= span["end"])]
        earlier = "an earlier base year, " if base_year > atlas.years[0] else ""
        message = (f"No figure of these places on or before the end of {base_year} to compare "
                   f"with: choose {earlier}another metric or more places.")
    elif y == "share_pct":
        rows = rows[rows["share_pct"].notna()]
        message = "No population figure for these places: show people instead."
    rows = rows.sort_values(["geo_name", "date"])
    if rows.empty:
        return Selection("growth", params, rows, title, message or (
            f"No {label} figures for these places from {start} to {end}: widen the period, "
            "choose another metric or claim type, or add places."))
    shown = rows["geo"].astype(str).unique().tolist()
    events = metrics.distinct_events(metrics.filter_rows(
        atlas.events, geos=shown, **span, category="regulatory", event_type=types))
    episodes = metrics.episodes_in(atlas.episodes, geos=shown, **span, event_types=types)
    place_titles = {g: f"TikTok {label}, {atlas.place_names.get(g, g)}" for g in shown}
    return Selection("growth", params, rows, title,
                     extra={"events": events.sort_values("date"), "episodes": episodes,
                            "place_titles": place_titles})


def claims(atlas: Atlas, claims_place: str = "USA", start: int | None = None,
           end: int | None = None) -> Selection:
    """Every TikTok user figure of one place, by who gives it."""
    start, end = period(atlas, start, end)
    params = dict(claims_place=claims_place, start=start, end=end)
    rows = metrics.filter_rows(atlas.users, geos=[claims_place], **_bounds(start, end),
                               product="tiktok").sort_values("date")
    name = atlas.place_names.get(claims_place, claims_place)
    message = "" if len(rows) else (f"No TikTok user figure for {formatting.the(name)} from "
                                    f"{start} to {end}: widen the period or choose another "
                                    "place.")
    return Selection("claims", params, rows,
                     f"Who says how many TikTok users in {formatting.the(name)}?",
                     message)


def claims_places(atlas: Atlas) -> list[tuple[str, str]]:
    """(name, code) of the places with figures of at least two claim types."""
    users = atlas.users[atlas.users["product"].astype(str) == "tiktok"]
    counts = users.groupby(users["geo"].astype(str))["claim_type"].nunique()
    return [(n, g) for n, g in atlas.geo_options(users, ALL) if counts.get(g, 0) >= 2]


def users_map(atlas: Atlas, map_metric: str = "monthly_active_users",
              map_year: int | None = None, map_show: str = "value") -> Selection:
    """The latest TikTok figure of each country (``regions.kind``) up to the end of
    ``map_year``, in one metric (``All``: one metric per country, the first available, named
    in each row)."""
    year = period(atlas, map_year, map_year)[1] if map_year is not None else atlas.years[-1]
    params = dict(map_metric=map_metric, map_year=year, map_show=map_show)
    users = atlas.users[~atlas.users["metric"].astype(str).isin(NOT_USERS)
                        & atlas.users["geo"].astype(str).isin(atlas.country_codes)]
    history = metrics.filter_rows(users, metric=map_metric, product="tiktok")
    if map_show == "share_pct":
        history = history[history["share_pct"].notna()]
    history = metrics.one_metric_per_geo(history).sort_values("date")
    upto = history[history["date"] <= pd.Timestamp(f"{year}-12-31")]
    rows = metrics.latest_per_geo(upto, by=("geo",)).sort_values("value", ascending=False)
    label = atlas.label("users", "metric", map_metric) if map_metric != ALL else None
    title = (f"TikTok {label} by country, latest figure up to {year}" if label else
             f"TikTok users by country, latest figure up to {year}, one metric per country "
             "(mixed definitions: the hover names each country's)")
    message = "" if len(rows) else (f"No country has a {label or 'user'} figure up to {year}: "
                                    "choose a later year or another metric.")
    return Selection("users-map", params, rows.reset_index(drop=True), title, message,
                     extra={"history": history})


# ---------------------------------------------------------------- workforce and money


def workforce(atlas: Atlas, region: str = ALL, start: int | None = None,
              end: int | None = None, workforce_metric: str = ALL,
              employer: str = ALL) -> Selection:
    """Workforce figures of the region and period, each plan or headcount counted once."""
    start, end = period(atlas, start, end)
    params = dict(region=region, start=start, end=end, workforce_metric=workforce_metric,
                  employer=employer)
    rows = metrics.filter_rows(atlas.workforce, geos=atlas.geos_in(region),
                               **_bounds(start, end), metric=workforce_metric,
                               employer=employer)
    rows = metrics.counted_once(rows, value="value").sort_values(["geo_name", "date"])
    message = "" if rows["value"].notna().any() else (
        f"No workforce figure with a number in {_region_name(region)} from {start} to {end}: "
        "widen the period, or choose another region, kind or employer.")
    return Selection("workforce", params, rows.reset_index(drop=True),
                     f"Where TikTok and ByteDance hire, employ and cut jobs, "
                     f"{_region_name(region)}, {start}–{end}", message)


def investments(atlas: Atlas, region: str = ALL, start: int | None = None,
                end: int | None = None, purpose: str = ALL) -> Selection:
    """Investment commitments of the region and period, each counted once, in USD."""
    start, end = period(atlas, start, end)
    params = dict(region=region, start=start, end=end, purpose=purpose)
    rows = metrics.filter_rows(atlas.investments, geos=atlas.geos_in(region),
                               **_bounds(start, end), category=purpose)
    rows = metrics.counted_once(rows).sort_values(["geo_name", "date"])
    message = "" if rows["amount_usd"].notna().any() else (
        f"No investment with an amount in {_region_name(region)} from {start} to {end}: "
        "widen the period, or choose another region or purpose.")
    return Selection("investments", params, rows.reset_index(drop=True),
                     f"Announced investments by place and purpose (USD), "
                     f"{_region_name(region)}, {start}–{end}", message)


def investments_map(atlas: Atlas, map_purpose: str = ALL,
                    map_year: int | None = None) -> Selection:
    """Commitments with an amount announced in a country (``regions.kind``) up to the end of
    ``map_year``, each counted once."""
    year = period(atlas, map_year, map_year)[1] if map_year is not None else atlas.years[-1]
    params = dict(map_purpose=map_purpose, map_year=year)
    history = metrics.filter_rows(atlas.investments, geos=atlas.country_codes,
                                  category=map_purpose).sort_values("date")
    upto = metrics.counted_once(history[history["date"] <= pd.Timestamp(f"{year}-12-31")])
    rows = upto[upto["amount_usd"].notna()].sort_values(["geo_name", "date"])
    message = "" if len(rows) else (f"No investment with an amount announced in a country up "
                                    f"to {year}: choose a later year or another purpose.")
    return Selection("investments-map", params, rows.reset_index(drop=True),
                     f"Announced investments by country (USD, each commitment counted once, "
                     f"up to {year})", message, extra={"history": history})


# ---------------------------------------------------------------- events and pressure


def timeline(atlas: Atlas, region: str = ALL, start: int | None = None,
             end: int | None = None, category: str = "regulatory",
             timeline_types: Sequence[str] | None = None) -> Selection:
    """Distinct events of the region, period, category and types, by date."""
    start, end = period(atlas, start, end)
    offered = atlas.event_type_codes(category)
    types = offered if timeline_types is None else [t for t in timeline_types if t in offered]
    params = dict(region=region, start=start, end=end, category=category,
                  timeline_types=list(types))
    rows = metrics.distinct_events(metrics.filter_rows(
        atlas.events, geos=atlas.geos_in(region), **_bounds(start, end), category=category,
        event_type=types)).sort_values(["date", "geo_name"])
    if not types:
        message = "Choose at least one event type."
    elif rows.empty:
        message = (f"No events of these types in {_region_name(region)} from {start} to {end}: "
                   "widen the period, or choose another region or more types.")
    else:
        message = ""
    what = {"regulatory": "Regulatory events", "business": "Business events"}.get(
        category, "Regulatory and business events")
    return Selection("timeline", params, rows.reset_index(drop=True),
                     f"{what}, {_region_name(region)}, {start}–{end}", message)


def status_map(atlas: Atlas, status_year: int | None = None, start: int | None = None,
               end: int | None = None) -> Selection:
    """Each country's strongest restriction at the end of ``status_year`` (default: the last
    year of the period); ``extra["years"]`` holds every year of the period, for slider
    pages."""
    start, end = period(atlas, start, end)
    year = end if status_year is None else period(atlas, status_year, status_year)[1]
    params = dict(status_year=year, start=start, end=end)
    rows = status_at(atlas, year)
    moment = status_moment(atlas, year)
    message = "" if len(rows) else (f"No country had TikTok banned, blocked or restricted "
                                    f"{moment}: choose another year.")
    years = list(range(min(start, year), max(end, year) + 1))
    return Selection("status-map", params, rows, f"TikTok's status by country {moment}",
                     message, extra={
                         "moment": moment,
                         "years": years,
                         "moments": {y: status_moment(atlas, y) for y in years},
                         "by_year": lambda: {y: status_at(atlas, y) for y in years}})


def status_date(atlas: Atlas, year: int) -> pd.Timestamp:
    """The end of ``year``, or the data's as-of date when the year is not over in the data
    (a measure in force is known to hold up to the as-of date, not beyond)."""
    return min(pd.Timestamp(f"{year}-12-31"), atlas.as_of)


def status_moment(atlas: Atlas, year: int) -> str:
    """When a year's status holds, in words: 'at the end of 2020', or 'on 30 Nov 2026 (the
    data's as-of date)' for the year of the as-of date."""
    when = status_date(atlas, year)
    return (f"on {formatting.day(when)} (the data's as-of date)" if when.year == year
            and when < pd.Timestamp(f"{year}-12-31") else f"at the end of {year}")


def status_at(atlas: Atlas, year: int) -> pd.DataFrame:
    """Each place's strongest restriction at :func:`status_date` of ``year``, with names and
    sources."""
    status = metrics.status_on(atlas.events_typed, status_date(atlas, year), atlas.episodes)
    status = metrics.with_sources(status, atlas.sources)
    return metrics.with_geo_names(status, atlas.regions).sort_values(
        ["level", "geo_name"], ascending=[False, True]).reset_index(drop=True)


def pressure(atlas: Atlas, region: str = ALL, start: int | None = None,
             end: int | None = None, freq: str = "year", half_life_years: float | None = None,
             weights: Mapping[str, float] | None = None) -> Selection:
    """The pressure index per place and period (weights: the data package's, overridden by
    ``weights``); ``extra["versus"]`` holds total pressure against the latest users."""
    start, end = period(atlas, start, end)
    full = {**atlas.default_weights, **(weights or {})}
    params = dict(region=region, start=start, end=end, freq=freq,
                  half_life_years=half_life_years, weights=full)
    span = _bounds(start, end)
    events = metrics.filter_rows(atlas.events, geos=atlas.geos_in(region), end=span["end"],
                                 category="regulatory")
    code = "Y" if freq == "year" else "Q"
    table = metrics.pressure_index(events, atlas.fx, full, freq=freq,
                                   half_life_years=half_life_years,
                                   periods=pd.period_range(span["start"], span["end"], freq=code))
    title = f"Regulatory pressure index by place and {freq}, {_region_name(region)}"
    if table.empty or table["pressure"].sum() == 0:
        return Selection("pressure", params, table.iloc[0:0].assign(geo_name=pd.Series(
            dtype="string")), title, "No regulatory events with a non-zero weight in "
            f"{_region_name(region)} from {start} to {end}: widen the period, choose another "
            "region or raise a weight.")
    table = metrics.with_geo_names(table, atlas.regions)
    used = metrics.distinct_events(events[events["date"] >= span["start"]])
    return Selection("pressure", params, table, title,
                     extra={"events": used,
                            "versus": versus_users(atlas, table, half_life_years)})


def pressure_totals(table: pd.DataFrame, half_life_years: float | None) -> pd.DataFrame:
    """Each place's pressure over the period: the sum of its periods, or, with decay (each
    period already carries the earlier events), its last period's value; and its events."""
    grouped = table.sort_values("period").groupby("geo_name", as_index=False)
    totals = grouped[["pressure", "events"]].sum()
    if half_life_years is not None:
        totals["pressure"] = grouped["pressure"].last()["pressure"].to_numpy()
    label = "whole period" if half_life_years is None else "last period, with decay"
    return totals.sort_values(["pressure", "geo_name"], ascending=[False, True]).assign(
        period=label).reset_index(drop=True)


def versus_users(atlas: Atlas, table: pd.DataFrame,
                 half_life_years: float | None = None) -> pd.DataFrame:
    """Each place's pressure (:func:`pressure_totals`) against its latest TikTok users."""
    totals = table
    if half_life_years is not None:  # the last period's decayed value, not a sum of stocks
        last = table["period"].max()
        totals = table[table["period"] == last]
    return metrics.pressure_vs_users(totals, atlas.users).sort_values("pressure",
                                                                        ascending=False)


SELECTIONS: dict[str, Callable[..., Selection]] = {
    "growth": growth, "claims": claims, "users-map": users_map, "workforce": workforce,
    "investments": investments, "investments-map": investments_map, "timeline": timeline,
    "status-map": status_map, "pressure": pressure,
}
"""Every view's selection, by view name."""
