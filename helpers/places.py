"""Places and what the atlas knows about each: the places with data (countries, aggregates and
the subdivisions, such as US states, that have rows of their own), one profile per place, and
the "at a glance" tables (restrictions, largest fines, latest users per country).

Pure: an :class:`~helpers.atlas.Atlas` in, frames out. The pages are built by
:mod:`helpers.profiles`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from helpers import formatting, metrics, selections
from helpers.atlas import Atlas
from helpers.selections import Selection

KIND_LABELS = {"country": "country", "aggregate": "group of countries or organisation"}


@dataclass(frozen=True)
class Place:
    """A place with a profile: a code of ``regions.csv``, and a subdivision of it (a US state,
    a province) when the rows name one."""

    geo: str
    name: str
    kind: str
    region: str
    subdivision: str = ""

    @property
    def title(self) -> str:
        """The name readers see: "France", "Montana (United States)"."""
        return f"{self.subdivision} ({self.name})" if self.subdivision else self.name

    @property
    def slug(self) -> str:
        """The profile's file name without ``.html``: ``fra``, ``usa-montana``."""
        sub = re.sub(r"[^a-z0-9]+", "-", self.subdivision.lower()).strip("-")
        return self.geo.lower() + (f"-{sub}" if sub else "")

    @property
    def kind_label(self) -> str:
        """'country', 'state, province or nation within the United States', ..."""
        if self.subdivision:
            return f"state, province or nation within {formatting.the(self.name)}"
        return KIND_LABELS.get(self.kind, self.kind)


def _has_rows(atlas: Atlas) -> set[str]:
    frames = (atlas.users, atlas.workforce, atlas.investments, atlas.events)
    return set().union(*(set(f["geo"].astype(str)) for f in frames))


def places_with_data(atlas: Atlas) -> list[Place]:
    """Every place with at least one row, and every subdivision named by an event, sorted by
    name (a subdivision after its country)."""
    regions = atlas.regions.set_index(atlas.regions["code"].astype(str))
    out = []
    for geo in sorted(_has_rows(atlas)):
        if geo not in regions.index:
            continue
        row = regions.loc[geo]
        out.append(Place(geo, str(row["name"]), str(row["kind"]), str(row["region"])))
    subs = atlas.events[atlas.events["subdivision"].notna()]
    for geo, sub in sorted({(str(g), str(s)) for g, s in zip(subs["geo"], subs["subdivision"],
                                                               strict=True)}):
        if geo in regions.index:
            row = regions.loc[geo]
            out.append(Place(geo, str(row["name"]), str(row["kind"]), str(row["region"]), sub))
    return sorted(out, key=lambda p: (p.name.casefold(), p.subdivision.casefold()))


def profile_links(places: list[Place], prefix: str = "places/") -> dict[tuple[str, str], str]:
    """(geo, subdivision) -> the profile's address, ``prefix`` + ``slug.html``."""
    return {(p.geo, p.subdivision): f"{prefix}{p.slug}.html" for p in places}


@dataclass
class Profile:
    """Everything one place's page shows."""

    place: Place
    latest: pd.DataFrame
    """The latest user figure of each metric (and segment), with who says so."""
    users: pd.DataFrame
    """Every user figure, oldest first (one row per figure, its publishers joined)."""
    claims: Selection | None
    """Users over time by source and definition (the claims view of the place)."""
    episodes: pd.DataFrame
    fines: pd.DataFrame
    events: pd.DataFrame
    investments: pd.DataFrame
    workforce: pd.DataFrame
    source_ids: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when the place has no row at all (never for a place of places_with_data)."""
        return not any(len(f) for f in (self.users, self.episodes, self.events,
                                        self.investments, self.workforce))


PROFILE_TABLES = ("users", "events", "episodes", "investments", "workforce")
"""The tables a profile draws its rows from."""


def rows_by_place(atlas: Atlas) -> dict[str, dict[str, pd.DataFrame]]:
    """Each profile table split by place code once (a build writes ~150 profiles; filtering
    every table for each of them cost seconds)."""
    return {name: {str(geo): rows for geo, rows in getattr(atlas, name).groupby(
        getattr(atlas, name)["geo"].astype(str), sort=False)} for name in PROFILE_TABLES}


def _of(split: dict[str, dict[str, pd.DataFrame]], table: str, place: Place,
        atlas: Atlas) -> pd.DataFrame:
    frame = getattr(atlas, table)
    rows = split[table].get(place.geo, frame.iloc[0:0])
    if place.subdivision:
        if "subdivision" not in rows:
            return rows.iloc[0:0]
        rows = rows[rows["subdivision"].astype("string") == place.subdivision]
    return rows


def profile(atlas: Atlas, place: Place,
            split: dict[str, dict[str, pd.DataFrame]] | None = None) -> Profile:
    """The rows of one place: a country's profile includes its subdivisions' events and
    episodes; a subdivision's, only its own (``split``: :func:`rows_by_place`, made once for
    many profiles)."""
    split = split if split is not None else rows_by_place(atlas)
    own = {name: _of(split, name, place, atlas) for name in PROFILE_TABLES}
    users = own["users"].sort_values(["date", "metric", "source_id"])
    latest = (metrics.latest_per_geo(one_row_per_figure(users),
                                     by=("geo", "product", "metric", "segment"))
              .sort_values(["product", "date"], ascending=[True, False]) if len(users)
              else users)
    claims = (selections.claims(atlas, claims_place=place.geo)
              if len(users) and not place.subdivision else None)
    events = metrics.distinct_events(own["events"]).sort_values("date")
    fines = metrics.fines_counted_once(own["events"])
    episodes = metrics.restrictions_at_a_glance(own["episodes"])
    investments = metrics.counted_once(own["investments"]).sort_values("date")
    workforce = metrics.counted_once(own["workforce"], value="value").sort_values("date")
    cited = pd.concat([own[n]["source_id"] for n in ("users", "events", "investments",
                                                      "workforce") if len(own[n])]
                      or [pd.Series(dtype="string")])
    return Profile(place, latest.reset_index(drop=True),
                   one_row_per_figure(users).reset_index(drop=True), claims,
                   episodes, fines, events.reset_index(drop=True),
                   investments.reset_index(drop=True), workforce.reset_index(drop=True),
                   list(dict.fromkeys(cited.dropna().astype(str))))


# ---------------------------------------------------------------- at a glance


FIGURE_KEYS = ("geo", "date", "product", "metric", "segment", "value", "claim_type")
"""One figure: the same number for the same thing from several publishers is one row."""


def one_row_per_figure(users: pd.DataFrame) -> pd.DataFrame:
    """User rows that repeat a figure (same place, date, metric, segment, value and claim
    type) become one row, with every publisher in ``publishers``."""
    if users.empty:
        return users.assign(publishers=pd.Series(dtype="string"))
    keys = [users[k].astype("string").fillna("") for k in FIGURE_KEYS]
    grouped = users.groupby(keys, sort=False)
    publishers = grouped["source_publisher"].transform(
        lambda s: "; ".join(dict.fromkeys(s.dropna().astype(str))))
    first = ~pd.concat(keys, axis=1).duplicated()
    return users.assign(publishers=publishers)[first.to_numpy()]


def latest_users_per_country(atlas: Atlas) -> pd.DataFrame:
    """Per country, its latest TikTok user figure (any definition, named in ``metric_label``)
    with who says so (``publishers``), and how many figures its profile holds
    (``figures``). Where different figures share the latest date, each stays. Sorted by place
    name: the definitions differ, so the table does not rank them."""
    users = atlas.users[atlas.users["geo"].astype(str).isin(atlas.country_codes)
                        & (atlas.users["product"].astype(str) == "tiktok")
                        & ~atlas.users["metric"].astype(str).isin(selections.NOT_USERS)]
    users = one_row_per_figure(users)
    if users.empty:
        return users.assign(figures=pd.Series(dtype="int64"))
    geo = users["geo"].astype(str)
    latest = users[users["date"] == users.groupby(geo)["date"].transform("max")]
    counts = users.groupby(geo).size()
    latest = latest.assign(figures=latest["geo"].astype(str).map(counts).astype(int))
    return latest.sort_values(["geo_name", "value"], ascending=[True, False]).reset_index(
        drop=True)


def largest_fines(atlas: Atlas, top: int | None = 15) -> pd.DataFrame:
    """The largest fines in USD, each counted once (see :func:`metrics.fines_counted_once`)."""
    fines = metrics.fines_counted_once(atlas.events)
    fines = fines[fines["amount_usd"].notna()]
    return fines.head(top).reset_index(drop=True) if top else fines


def restrictions(atlas: Atlas, scope: str = "nationwide") -> pd.DataFrame:
    """The restriction episodes that took effect, as a reader's table (``scope``: nationwide,
    partial, subnational or All)."""
    table = metrics.restrictions_at_a_glance(atlas.episodes)
    return table if scope == metrics.ALL else table[table["scope_kind"] == scope]
