"""Pure pandas metrics over the data package tables (no file access, no plotting).

Every function takes DataFrames as returned by :func:`helpers.data.load_table` and returns a
new DataFrame; nothing is modified in place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

ALL = "All"

# ---------------------------------------------------------------- filtering


def nearest_year(available: Iterable[int], wanted: Iterable[int]) -> np.ndarray:
    """For each wanted year, the nearest available year (ties go to the later year): the one
    rule for population shares and currency rates when a year is missing."""
    years = np.sort(np.unique(np.asarray(list(available), dtype=int)))
    want = np.asarray(list(wanted), dtype=int)
    if len(years) == 0:
        raise ValueError("no year available")
    pos = np.clip(np.searchsorted(years, want), 0, len(years) - 1)
    prev = np.clip(pos - 1, 0, len(years) - 1)
    take_prev = np.abs(want - years[prev]) < np.abs(years[pos] - want)
    return np.where(take_prev, years[prev], years[pos])


def geos_in_region(regions: pd.DataFrame, region: str | None) -> list[str]:
    """Codes of the regions table that belong to ``region`` (every code for All/None)."""
    if region in (None, "", ALL):
        return regions["code"].astype(str).tolist()
    return regions.loc[regions["region"].astype(str) == region, "code"].astype(str).tolist()


def filter_rows(
    frame: pd.DataFrame,
    *,
    geos: Iterable[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    **equals: str | Iterable[str] | None,
) -> pd.DataFrame:
    """Rows whose geo is in ``geos``, whose date lies in [start, end] and whose other columns
    equal (or are in) the given values; ``None`` or ``"All"`` means no filter."""
    mask = pd.Series(True, index=frame.index)
    if geos is not None:
        mask &= frame["geo"].astype(str).isin(list(geos))
    if start is not None and "date" in frame:
        mask &= frame["date"] >= pd.Timestamp(start)
    if end is not None and "date" in frame:
        mask &= frame["date"] <= pd.Timestamp(end)
    for column, wanted in equals.items():
        if wanted is None or wanted == ALL:
            continue
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        mask &= frame[column].astype(str).isin(values)
    return frame.loc[mask].copy()


def with_sources(frame: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its source's title, publisher, published date, URL and quality."""
    indexed = sources.set_index(sources["source_id"].astype(str))
    keys = frame["source_id"].astype(str)
    columns = {"source_title": "title", "source_publisher": "publisher",
               "source_published": "published", "source_url": "url",
               "source_quality": "quality"}
    return frame.assign(**{new: keys.map(indexed[old]) for new, old in columns.items()})


def with_geo_names(frame: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``geo_name``, ``region`` and ``geo_kind`` (country or aggregate)
    columns from the regions table."""
    indexed = regions.set_index(regions["code"].astype(str))
    keys = frame["geo"].astype(str)
    return frame.assign(geo_name=keys.map(indexed["name"].astype(str)).astype("string"),
                        region=keys.map(indexed["region"].astype(str)).astype("string"),
                        geo_kind=keys.map(indexed["kind"].astype(str)).astype("string"))


def distinct_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events without the rows that only add a further source (``same_event_as`` set)."""
    if "same_event_as" not in events:
        return events
    return events[events["same_event_as"].astype("string").fillna("") == ""]


# ---------------------------------------------------------------- growth


SERIES_KEYS = ("geo", "product", "metric", "segment")
"""One series: a place, product, metric and segment (``x-seriesKey`` of the users schema)."""
LINE_KEYS = (*SERIES_KEYS, "claim_type")
"""Figures that a line, a growth rate or a "change since" may join: one series, one claim
type (a press figure and a government figure are never joined)."""


def cagr(start_value: float, end_value: float, years: float) -> float:
    """Compound annual growth rate in percent; NaN when it is undefined."""
    if years <= 0 or start_value <= 0 or end_value < 0:
        return math.nan
    return ((end_value / start_value) ** (1 / years) - 1) * 100


def cagr_between(frame: pd.DataFrame, start: str | pd.Timestamp,
                 end: str | pd.Timestamp) -> pd.DataFrame:
    """CAGR per series from the figure nearest after ``start`` to the last one up to ``end``."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    rows = []
    window = frame[(frame["date"] >= start) & (frame["date"] <= end)]
    keys = [k for k in LINE_KEYS if k in frame]
    for key, group in window.groupby(keys, observed=True):
        by_date = group.groupby("date")["value"].mean().sort_index()
        if len(by_date) < 2:
            continue
        years = (by_date.index[-1] - by_date.index[0]).days / 365.25
        rows.append((*key, by_date.index[0], by_date.iloc[0], by_date.index[-1],
                     by_date.iloc[-1], cagr(by_date.iloc[0], by_date.iloc[-1], years)))
    return pd.DataFrame(rows, columns=[*keys, "start_date", "start_value", "end_date",
                                       "end_value", "cagr_pct"])


def change_since(frame: pd.DataFrame, base_date: str | pd.Timestamp) -> pd.DataFrame:
    """``frame`` with ``change_pct``: each value against the last figure of its series and
    claim type (``LINE_KEYS``) on or before ``base_date``; rows without one are dropped."""
    base_date = pd.Timestamp(base_date)
    keys = [k for k in LINE_KEYS if k in frame]
    base = (frame[frame["date"] <= base_date].sort_values("date")
            .groupby(keys, observed=True)["value"].last().rename("base_value"))
    out = frame.merge(base.reset_index(), on=keys, how="inner")
    out["change_pct"] = np.where(out["base_value"] > 0,
                                 (out["value"] / out["base_value"] - 1) * 100, np.nan)
    return out


def latest_per_geo(frame: pd.DataFrame, by: Iterable[str] = SERIES_KEYS) -> pd.DataFrame:
    """The most recent row per geo and metric (ties: the largest value), with its source_id."""
    keys = [k for k in by if k in frame]
    ordered = frame.sort_values([*keys, "date", "value"], na_position="first")
    return ordered.groupby(keys, observed=True).tail(1).reset_index(drop=True)


USER_METRIC_PREFERENCE = ("monthly_active_users", "dsa_monthly_active_recipients",
                          "daily_active_users", "users_unspecified", "unique_visitors",
                          "ad_reach_18plus")
"""Which user metric stands for a place when no single metric is chosen (first available)."""


def one_metric_per_geo(frame: pd.DataFrame,
                       preference: Iterable[str] = USER_METRIC_PREFERENCE) -> pd.DataFrame:
    """Rows of one metric and segment per geo: the first metric of ``preference`` the place
    has any figure of, all ages before a narrower segment. Maps then show each place within
    one definition, and say which."""
    order = {m: i for i, m in enumerate(preference)}
    rank = frame["metric"].astype(str).map(order)
    segment = (frame["segment"].astype(str) != "all_ages").astype(int) if "segment" in frame \
        else pd.Series(0, index=frame.index)
    key = rank * 2 + segment
    geo = frame["geo"].astype(str)
    best = key.groupby(geo).transform("min")
    return frame[rank.notna() & (key == best)]


def share_of_population(frame: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``population``, ``population_year`` and ``share_pct`` (value as a
    percentage of the population in the figure's year, or the nearest year available:
    :func:`nearest_year`)."""
    out = frame.copy()
    years = out["date"].dt.year.to_numpy()
    geos = out["geo"].astype(str)
    pop = population.assign(geo=population["geo"].astype(str))
    table = pop.set_index(["geo", "year"])["population"]
    out["population"] = np.nan
    out["population_year"] = np.nan
    for geo, group in pop.groupby("geo"):
        rows = (geos == geo).to_numpy()
        if not rows.any():
            continue
        nearest = nearest_year(group["year"], years[rows])
        out.loc[rows, "population_year"] = nearest
        out.loc[rows, "population"] = table.loc[[(geo, int(y)) for y in nearest]].to_numpy()
    out["share_pct"] = out["value"] / out["population"] * 100
    return out


# ---------------------------------------------------------------- money


def to_usd(frame: pd.DataFrame, fx: pd.DataFrame, amount: str = "amount",
           currency: str = "currency", date: str = "date") -> pd.DataFrame:
    """``frame`` with ``amount_usd`` and ``fx_year``: the amount at the yearly average rate of
    its year (the nearest year the fx table has when that year is missing:
    :func:`nearest_year`)."""
    out = frame.copy()
    cur = out[currency].astype("string")
    years = out[date].dt.year
    rates = fx.assign(currency=fx["currency"].astype(str))
    table = rates.set_index(["currency", "year"])["units_per_usd"]
    fx_year = pd.Series(pd.NA, index=out.index, dtype="Int64")
    rate = pd.Series(np.nan, index=out.index, dtype="float64")
    is_usd = cur == "USD"
    fx_year[is_usd.fillna(False)] = years[is_usd.fillna(False)]
    rate[is_usd.fillna(False)] = 1.0
    for code, group in rates.groupby("currency"):
        rows = (cur == code).fillna(False)
        if not rows.any():
            continue
        nearest = nearest_year(group["year"], years[rows])
        fx_year[rows] = nearest
        rate[rows] = table.loc[[(code, int(y)) for y in nearest]].to_numpy()
    out["amount_usd"] = pd.to_numeric(out[amount], errors="coerce") / rate
    out["fx_year"] = fx_year.where(out["amount_usd"].notna())
    return out


# ---------------------------------------------------------------- restriction episodes

STATUS_LEVELS = ["no national restriction", "ban lifted", "partial restrictions",
                 "temporarily blocked", "banned nationwide"]
_RANK = {s: i for i, s in enumerate(STATUS_LEVELS)}
BAN, BLOCK, PARTIAL, LIFT = "ban", "block", "partial", "lift"
"""Restriction roles of event types (``event_types.restriction`` in the data package)."""
NATIONWIDE_ROLES = (BAN, BLOCK)
STATUS_OF_ROLE = {BAN: "banned nationwide", BLOCK: "temporarily blocked",
                  PARTIAL: "partial restrictions"}
NEVER_IN_FORCE = ("blocked_by_court", "superseded", "revoked")
"""A measure with one of these statuses and no sourced end never took effect."""
CONFIRM_GAP = pd.Timedelta(days=400)
"""A later block without an end joins an open block of the same place when it comes at most
this long after the last confirmation (bans join at any distance: they hold until lifted)."""


def event_roles(events: pd.DataFrame, roles: Mapping[str, str] | None = None) -> pd.Series:
    """The restriction role of each event (ban, block, partial, lift or ""): from ``roles``
    (event type -> role, e.g. ``schema.event_types``) or the events' ``restriction`` column."""
    if roles is not None:
        return events["event_type"].astype(str).map(dict(roles)).fillna("").astype(str)
    if "restriction" not in events:
        raise ValueError("events need a 'restriction' column (joined from event_types) or "
                         "an explicit roles mapping")
    return events["restriction"].astype("string").fillna("").astype(str)


EPISODE_COLUMNS = ["episode_id", "geo", "subdivision", "scope_kind", "event_type", "restriction",
                   "status",
                   "scope", "start", "start_precision", "end", "end_sourced", "ended_by",
                   "last_confirmed", "in_force", "status_after", "event_id", "event_ids",
                   "title", "source_id"]


def _period_end(date: pd.Timestamp, precision: str) -> pd.Timestamp:
    """The last day of the period a date stands for (its own day for day precision)."""
    if precision == "month":
        return date + pd.offsets.MonthEnd(0)
    if precision == "quarter":
        return date + pd.offsets.QuarterEnd(0)
    if precision == "year":
        return date + pd.offsets.YearEnd(0)
    return date


def restriction_episodes(events: pd.DataFrame, as_of: str | pd.Timestamp | None = None,
                         roles: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Restriction episodes: one row per continuous ban, block or partial restriction.

    Rules (documented in ``tiktok_data/README.md``):

    - Rows that only add a source (``same_event_as``) join their root; their end date
      counts when the root has none.
    - Nationwide bans and temporary blocks of one place (and subdivision) are one episode
      until it ends: a later row with no end of its own and no lift in between confirms the
      open episode instead of starting one (Afghanistan's three orders of 2022 are one
      episode from April; a block confirms a block only within ``CONFIRM_GAP``). A row with
      its own end date is its own episode. Partial restrictions (device bans, age limits,
      feature bans) are one episode each.
    - An episode ends at its ``end_date``, else at the first later ``ban_lifted`` event of
      the same place (nationwide lifts end nationwide episodes; a lift with no open
      nationwide episode ends the latest open partial one). ``end_sourced`` says so.
    - A measure blocked by a court, revoked or superseded with no sourced end never took
      effect: status ``never in force``, ``in_force`` False, and it is never drawn as a
      range.
    - With no sourced end: ``status_after`` in_force means in force on the data's as-of date
      (``status`` "in force"); otherwise the end is not sourced (``status`` "end not
      sourced") and the episode is known to hold only up to ``last_confirmed``, the last
      date a row of it confirms (at least the end of its start's period).
    """
    reg = distinct_events(events)
    reg = reg[reg["category"].astype(str) == "regulatory"]
    reg = reg.assign(restriction=event_roles(reg, roles))
    linked_end = _linked_end_dates(events)
    as_of = pd.Timestamp(as_of) if as_of is not None else events["date"].max()
    rows: list[dict] = []
    if reg.empty:
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    groups: dict[tuple[str, str], list[dict]] = {}
    for rec in _records(reg):  # plain Python per row: pandas per group is 50x slower
        groups.setdefault((rec["geo"], rec["subdivision"]), []).append(rec)
    for (geo, sub), group in sorted(groups.items()):
        group.sort(key=lambda r: (r["date"], r["event_id"]))
        lifts = [r for r in group if r["restriction"] == LIFT]
        nationwide: dict | None = None
        for row in (r for r in group if r["restriction"] in (BAN, BLOCK, PARTIAL)):
            episode = _confirm_or_start(row, nationwide, lifts, linked_end)
            if episode is None:
                continue
            rows.append(episode)
            if row["restriction"] in NATIONWIDE_ROLES:
                nationwide = episode
        _end_at_lifts(rows, geo, sub, lifts)
    out = pd.DataFrame([_finish(e, as_of) for e in rows], columns=EPISODE_COLUMNS)
    return out.sort_values(["start", "geo", "episode_id"]).reset_index(drop=True)


def _confirm_or_start(row: dict, nationwide: dict | None, lifts: list[dict],
                      linked_end: dict[str, pd.Timestamp]) -> dict | None:
    """Add ``row`` to the open nationwide episode it confirms (returns None), or return the
    new episode it starts."""
    role, status_after = row["restriction"], row["status_after"]
    end = row["end_date"] if pd.notna(row["end_date"]) else linked_end.get(row["event_id"],
                                                                            pd.NaT)
    confirm = _period_end(row["date"], row["date_precision"])
    if (role in NATIONWIDE_ROLES and nationwide is not None and pd.isna(end)
            and pd.isna(nationwide["end"]) and nationwide["in_force"]
            and (role == BAN or row["date"] - nationwide["last_confirmed"] <= CONFIRM_GAP)
            and not any(nationwide["start"] <= lift["date"] <= row["date"] for lift in lifts)):
        nationwide["event_ids"].append(row["event_id"])  # confirms the open episode
        nationwide["last_confirmed"] = max(nationwide["last_confirmed"], confirm)
        nationwide["status_after"] = status_after
        if role == BAN:
            nationwide["event_type"], nationwide["restriction"] = row["event_type"], BAN
        return None
    return dict(geo=row["geo"], subdivision=row["subdivision"], event_type=row["event_type"],
                restriction=role, start=row["date"], start_precision=row["date_precision"],
                end=end, scope=row["scope"], ended_by=None, last_confirmed=confirm,
                status_after=status_after,
                in_force=not (pd.isna(end) and status_after in NEVER_IN_FORCE),
                event_id=row["event_id"], event_ids=[row["event_id"]], title=row["title"],
                source_id=row["source_id"])


def _text(value: object) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float)
                                                      and math.isnan(value)) else str(value)


def _linked_end_dates(events: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Root event id -> the latest end date given by a row that adds a source to it."""
    if "same_event_as" not in events:
        return {}
    linked = events[events["same_event_as"].astype("string").fillna("") != ""]
    linked = linked[linked["end_date"].notna()]
    return linked.groupby(linked["same_event_as"].astype(str))["end_date"].max().to_dict()


def _records(reg: pd.DataFrame) -> list[dict]:
    """The columns the episodes need, as plain Python records (text columns as str)."""
    text = {c: reg[c].astype("string").fillna("").astype(str).tolist() if c in reg
            else [""] * len(reg)
            for c in ("event_id", "geo", "subdivision", "event_type", "restriction",
                      "status_after", "date_precision", "scope", "title", "source_id")}
    dates, ends = list(reg["date"]), list(reg["end_date"])
    return [dict({c: v[i] for c, v in text.items()}, date=dates[i], end_date=ends[i])
            for i in range(len(reg))]


def _end_at_lifts(episodes: list[dict], geo: str, sub: str, lifts: list[dict]) -> None:
    """End open episodes of one place at the lifting events that follow them: a lift belongs
    to the latest episode that took effect before it, and ends it if it is still open (so a
    2024 lift never ends a 2019 block when another block started in between)."""
    mine = [e for e in episodes if e["geo"] == geo and e["subdivision"] == sub
            and e["in_force"]]
    for lift in lifts:
        before = [e for e in mine
                  if e["start"] <= _period_end(lift["date"], lift["date_precision"])]
        if not before:
            continue
        target = max(before, key=lambda e: e["start"])
        if pd.notna(target["end"]) or target["status_after"] == "in_force":
            continue
        target["end"] = max(lift["date"], target["start"])
        target["ended_by"] = lift["event_id"]


def _finish(e: dict, as_of: pd.Timestamp) -> dict:
    """Status, ``end_sourced`` and id of one episode."""
    end = e["end"]
    if not e["in_force"]:
        status = "never in force"
    elif pd.notna(end):
        status = "ended"
    elif e["status_after"] in ("in_force", "pending"):
        status = "in force"
    else:
        status = "end not sourced"
    last = min(e["last_confirmed"], as_of)  # nothing is known past the as-of date
    if status == "in force":
        last = max(last, as_of)
    elif pd.notna(end):
        last = max(end, e["start"])
    scope_kind = ("nationwide" if e["restriction"] in NATIONWIDE_ROLES and not e["subdivision"]
                  else "subnational" if e["subdivision"] else "partial")
    return {**e, "episode_id": f"{e['geo']}:{e['event_id']}", "status": status,
            "end_sourced": bool(pd.notna(end)), "last_confirmed": last,
            "scope_kind": scope_kind, "event_ids": " ".join(e["event_ids"])}


def episodes_in(episodes: pd.DataFrame, *, geos: Iterable[str] | None = None,
                start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None,
                event_types: Iterable[str] | None = None) -> pd.DataFrame:
    """Episodes of ``geos`` and ``event_types`` that overlap [start, end]."""
    mask = pd.Series(True, index=episodes.index)
    if geos is not None:
        mask &= episodes["geo"].astype(str).isin(list(geos))
    if event_types is not None:
        mask &= episodes["event_type"].astype(str).isin(list(event_types))
    stop = episodes["end"].fillna(episodes["last_confirmed"])
    if start is not None:
        mask &= stop >= pd.Timestamp(start)
    if end is not None:
        mask &= episodes["start"] <= pd.Timestamp(end)
    return episodes[mask]


def episode_level(episodes: pd.DataFrame) -> pd.Series:
    """The status-map label of each episode (banned nationwide, temporarily blocked, ...)."""
    label = episodes["restriction"].astype(str).map(STATUS_OF_ROLE)
    return label.where(episodes["scope_kind"] == "nationwide", "partial restrictions")


def status_on(events: pd.DataFrame, when: str | pd.Timestamp,
              episodes: pd.DataFrame | None = None,
              roles: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Strongest restriction holding on ``when`` per geo (geos with none omitted), with
    ``since`` the start of that continuous episode and ``end_sourced``; a place whose last
    nationwide episode ended before ``when`` shows "ban lifted". ``episodes`` may be given
    precomputed (``restriction_episodes(events)``)."""
    when = pd.Timestamp(when)
    eps = restriction_episodes(events, roles=roles) if episodes is None else episodes
    columns = ["geo", "status", "level", "since", "until", "end_sourced", "event_id",
               "title", "source_id"]
    eps = eps[eps["in_force"].astype(bool)]
    holds = (eps["start"] <= when) & (eps["last_confirmed"] >= when)
    active = eps[holds].assign(status=episode_level(eps[holds]))
    lifted = eps[(eps["scope_kind"] == "nationwide") & eps["end_sourced"]
                 & (eps["end"] < when)]
    lifted = lifted.sort_values("end").groupby("geo").tail(1)
    lifted = lifted[~lifted["geo"].isin(active["geo"])]
    lifted = lifted.assign(status="ban lifted", start=lifted["end"])
    both = pd.concat([active, lifted], ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=columns)
    both = both.assign(level=both["status"].map(_RANK),
                       until=both["end"].where(both["end_sourced"]))
    # the strongest level; among its overlapping episodes the earliest start ("since")
    best = (both.sort_values(["geo", "level", "start"], ascending=[True, True, False])
            .groupby("geo").tail(1))
    return best.rename(columns={"start": "since"})[columns].reset_index(drop=True)


def restrictions_at_a_glance(episodes: pd.DataFrame) -> pd.DataFrame:
    """The episodes that took effect, as a reader's table: place, scope, from, to (or why
    there is no date), status and the event behind it."""
    eps = episodes[episodes["in_force"].astype(bool)].copy()
    to = eps["end"].dt.strftime("%Y-%m-%d")
    last = eps["last_confirmed"].dt.strftime("%Y-%m-%d")
    to = to.where(eps["end_sourced"], np.where(
        eps["status"] == "in force", "in force (no end reported)",
        "end not sourced (last confirmed " + last + ")"))
    eps["to"] = to
    eps["from"] = eps["start"].dt.strftime("%Y-%m-%d")
    eps["restriction"] = episode_level(eps)
    return eps.sort_values(["scope_kind", "start", "geo"],
                           key=lambda s: s.map({"nationwide": 0, "partial": 1,
                                                "subnational": 2}) if s.name == "scope_kind"
                           else s).reset_index(drop=True)


# ---------------------------------------------------------------- commitments counted once

QUALITY_RANK = {"primary": 0, "major_outlet": 1, "secondary": 2, "weak": 3}
PRECISION_RANK = {"day": 0, "month": 1, "quarter": 2, "year": 3}
COUNTED_COLUMNS = ("commitment_id", "sources", "row_ids", "value_low", "value_high", "disagree")
AGREE_TOLERANCE = 0.05
"""Linked amounts within 5 % of each other (after conversion) agree."""


def commitment_groups(frame: pd.DataFrame, id_column: str = "fact_id",
                      link_column: str = "same_commitment_as") -> pd.Series:
    """The root id of each row: itself, or the row its ``link_column`` chain reaches
    (``same_commitment_as`` for figures, ``same_event_as`` for events)."""
    ids = frame[id_column].astype(str)
    parent = dict(zip(ids, frame[link_column].astype("string").fillna(""), strict=True))

    def root(fid: str) -> str:
        seen = {fid}
        while parent.get(fid):
            fid = str(parent[fid])
            if fid in seen:
                break
            seen.add(fid)
        return fid

    return pd.Series([root(f) for f in ids], index=frame.index, name="commitment_id")


def counted_once(frame: pd.DataFrame, value: str = "amount_usd",
                 id_column: str = "fact_id") -> pd.DataFrame:
    """One row per commitment that counts: rows linked by ``same_commitment_as`` become one
    (the best-sourced row: primary over major outlet over secondary over weak, then the most
    precise date), and a commitment that a later one ``supersedes`` (includes or replaces) is
    dropped. Adds ``commitment_id``, ``sources`` (rows behind it), ``row_ids``, ``value_low``
    and ``value_high`` (the range of the rows' values) and ``disagree`` (the values differ by
    more than 5 %)."""
    frame = frame.drop(columns=[c for c in COUNTED_COLUMNS if c in frame])  # idempotent
    if frame.empty:
        return frame.assign(commitment_id=pd.Series(dtype="string"), sources=0, row_ids="",
                            value_low=np.nan, value_high=np.nan, disagree=False)
    groups = commitment_groups(frame, id_column)
    out = frame.assign(commitment_id=groups)
    superseded_rows = set(out["supersedes"].astype("string").dropna().astype(str))
    superseded = set(groups[frame[id_column].astype(str).isin(superseded_rows)])
    quality = (out["source_quality"].astype(str).map(QUALITY_RANK)
               if "source_quality" in out else pd.Series(0, index=out.index))
    precision = out["date_precision"].astype(str).map(PRECISION_RANK)
    ranked = out.assign(_q=quality.fillna(9), _p=precision.fillna(9))
    ranked = ranked.sort_values(["commitment_id", "_q", "_p", id_column])
    grouped = ranked.groupby("commitment_id", sort=False)
    best = grouped.head(1).set_index("commitment_id")
    stats = pd.DataFrame({
        "sources": grouped.size(),
        "row_ids": grouped[id_column].agg(lambda s: " ".join(sorted(map(str, s)))),
        "value_low": grouped[value].min(),
        "value_high": grouped[value].max(),
    })
    best = best.join(stats).drop(columns=["_q", "_p"])
    spread = (best["value_high"] - best["value_low"]) / best["value_high"]
    best["disagree"] = (spread > AGREE_TOLERANCE).fillna(False)
    best = best[~best.index.isin(superseded)]
    return best.reset_index().sort_values(["date", "commitment_id"]).reset_index(drop=True)


def investment_totals(investments: pd.DataFrame) -> pd.DataFrame:
    """Per place: commitments counted once (see :func:`counted_once`), how many state an
    amount, and their USD total; ``total_low``/``total_high`` give the range where linked
    sources disagree (unrounded: rounding is for display)."""
    once = counted_once(investments)
    key = "geo_name" if "geo_name" in once else "geo"
    grouped = once.groupby(once[key].astype(str))
    out = pd.DataFrame({
        "commitments": grouped.size(),
        "with_amount": grouped["amount_usd"].count(),
        "total_usd": grouped["amount_usd"].sum(min_count=1),
        "total_low": grouped["value_low"].sum(min_count=1),
        "total_high": grouped["value_high"].sum(min_count=1),
        "disagree": grouped["disagree"].any(),
    }).rename_axis(key).reset_index()
    return out.sort_values(["total_usd", key], ascending=[False, True]).reset_index(drop=True)


def fines_counted_once(events: pd.DataFrame) -> pd.DataFrame:
    """Fines (event types whose pressure scales with the amount), one row per fine: the
    event that the others name in ``same_event_as``, with ``sources`` (rows behind it),
    ``publishers``, ``value_low``/``value_high`` (the USD range of the rows' amounts) and
    ``disagree`` (the rows give different amounts). Largest first; no amount last."""
    fines = events[events["amount_scaled"].fillna(False).astype(bool)]
    if fines.empty:
        return fines.assign(sources=0, publishers="", value_low=np.nan, value_high=np.nan,
                            disagree=False)
    root = commitment_groups(fines, "event_id", "same_event_as")
    grouped = fines.groupby(root, sort=False)
    stats = pd.DataFrame({
        "sources": grouped.size(),
        "publishers": grouped["source_publisher"].agg(
            lambda s: "; ".join(dict.fromkeys(s.dropna().astype(str)))),
        "value_low": grouped["amount_usd"].min(),
        "value_high": grouped["amount_usd"].max(),
    })
    ids = fines["event_id"].astype(str)
    heads = fines[ids == root]
    out = heads.set_index(ids[ids == root]).join(stats)
    out["disagree"] = (out["value_low"] != out["value_high"]) & out["value_low"].notna()
    return out.reset_index(drop=True).sort_values(
        ["amount_usd", "date"], ascending=[False, True], na_position="last").reset_index(drop=True)


# ---------------------------------------------------------------- pressure index

def default_weights(event_types: pd.DataFrame) -> dict[str, float]:
    """Points per regulatory event type: ``event_types.pressure_weight`` of the data package,
    in the table's order. An event whose type is ``amount_scaled`` (fines) scores
    weight x (1 + log10(1 + USD / 1M))."""
    reg = event_types[event_types["category"].astype(str) == "regulatory"]
    return dict(zip(reg["event_type"].astype(str), reg["pressure_weight"].astype(float),
                    strict=True))


def with_event_types(events: pd.DataFrame, event_types: pd.DataFrame) -> pd.DataFrame:
    """``events`` with what the data package says of their type: ``event_type_label``,
    ``event_colour``, ``event_symbol``, ``restriction`` (role), ``pressure_weight``,
    ``amount_scaled`` and ``on_growth_chart`` (booleans)."""
    types = event_types.set_index(event_types["event_type"].astype(str))
    key = events["event_type"].astype(str)
    return events.assign(
        event_type_label=key.map(types["label"].astype(str)).astype("string"),
        event_colour=key.map(types["colour"].astype(str)).astype("string"),
        event_symbol=key.map(types["symbol"].astype(str)).astype("string"),
        restriction=key.map(types["restriction"].astype("string").fillna("")).fillna(""),
        pressure_weight=key.map(types["pressure_weight"].astype(float)).fillna(0.0),
        amount_scaled=key.map(types["amount_scaled"].astype(str) == "yes").fillna(False)
        .astype(bool),
        on_growth_chart=key.map(types["on_growth_chart"].astype(str) == "yes").fillna(False)
        .astype(bool))


FINE_SCALE_USD = 1_000_000.0
SUBNATIONAL_FACTOR = 0.25


def event_points(events: pd.DataFrame, fx: pd.DataFrame,
                 weights: Mapping[str, float] | None = None,
                 subnational_factor: float = SUBNATIONAL_FACTOR,
                 fine_scale_usd: float = FINE_SCALE_USD) -> pd.DataFrame:
    """Regulatory events with ``points``: the weight of their type (``weights`` override the
    events' ``pressure_weight``; a type in neither scores 0); types that are
    ``amount_scaled`` (fines) times 1 + log10(1 + USD / fine_scale); sub-national actions
    times ``subnational_factor``."""
    weights = dict(weights or {})
    if any(w < 0 for w in weights.values()):
        raise ValueError("pressure weights must be >= 0")
    reg = distinct_events(events)
    reg = reg[reg["category"].astype(str) == "regulatory"]
    if "amount_usd" not in reg:  # Atlas.events already carries it
        reg = to_usd(reg, fx)
    own = (reg["pressure_weight"].astype(float) if "pressure_weight" in reg
           else pd.Series(0.0, index=reg.index))
    base = reg["event_type"].astype(str).map(weights).astype(float).fillna(own).fillna(0.0)
    usd = reg["amount_usd"].fillna(0.0).clip(lower=0)
    scaled = (reg["amount_scaled"].astype(bool) if "amount_scaled" in reg
              else pd.Series(False, index=reg.index))
    scale = np.where(scaled, 1 + np.log10(1 + usd / fine_scale_usd), 1.0)
    sub = reg["subdivision"].astype("string").fillna("").str.len() > 0
    factor = np.where(sub, subnational_factor, 1.0)
    return reg.assign(points=base * scale * factor)


def pressure_index(events: pd.DataFrame, fx: pd.DataFrame,
                   weights: Mapping[str, float] | None = None, freq: str = "year",
                   half_life_years: float | None = None,
                   subnational_factor: float = SUBNATIONAL_FACTOR,
                   fine_scale_usd: float = FINE_SCALE_USD,
                   periods: Iterable[pd.Period] | None = None) -> pd.DataFrame:
    """Regulatory pressure per geo and period: the sum of event points (see
    :func:`event_points`). With ``half_life_years`` an event also counts in later periods,
    halving every half-life (measured from its date to the end of the period).

    Returns long format: ``geo``, ``period`` (pandas Period), ``period_start``, ``pressure``,
    ``events`` (number of events dated in that period).
    """
    if freq not in ("year", "quarter"):
        raise ValueError(f"freq must be 'year' or 'quarter', found {freq!r}")
    if half_life_years is not None and half_life_years <= 0:
        raise ValueError(f"half_life_years must be > 0, found {half_life_years!r}")
    code = "Y" if freq == "year" else "Q"
    pts = event_points(events, fx, weights, subnational_factor, fine_scale_usd)
    columns = ["geo", "period", "period_start", "pressure", "events"]
    if pts.empty:
        return pd.DataFrame(columns=columns)
    dates = pts["date"]
    per_year = 1 if code == "Y" else 4
    ordinal = dates.dt.year.to_numpy() * per_year + (
        0 if code == "Y" else dates.dt.quarter.to_numpy() - 1)
    if periods is None:
        first, last = pts["date"].min().to_period(code), pts["date"].max().to_period(code)
        periods = pd.period_range(first, last, freq=code)
    periods = pd.PeriodIndex(list(periods), freq=code)
    start = periods[0].year * per_year + (0 if code == "Y" else periods[0].quarter - 1)
    period_pos = ordinal - start  # periods are consecutive
    inside = (period_pos >= 0) & (period_pos < len(periods))
    geo_codes, geos = pd.factorize(pts["geo"].astype(str), sort=True)
    points = pts["points"].to_numpy(dtype=float)
    grid = np.zeros((len(geos), len(periods)))
    if half_life_years is None:
        np.add.at(grid, (geo_codes[inside], period_pos[inside]), points[inside])
    else:
        ends = periods.end_time.to_numpy()
        age = (ends[None, :] - dates.to_numpy()[:, None]) / np.timedelta64(1, "D") / 365.25
        decay = np.where(age >= 0, 0.5 ** (np.clip(age, 0, None) / half_life_years), 0.0)
        np.add.at(grid, geo_codes, points[:, None] * decay)
    counts = np.zeros((len(geos), len(periods)), dtype=int)
    np.add.at(counts, (geo_codes[inside], period_pos[inside]), 1)
    return pd.DataFrame({
        "geo": np.repeat(np.asarray(geos, dtype=object), len(periods)),
        "period": np.tile(periods, len(geos)),
        "period_start": np.tile(periods.start_time, len(geos)),
        "pressure": grid.ravel(),
        "events": counts.ravel(),
    })[columns]


def latest_tiktok_users(users: pd.DataFrame) -> pd.DataFrame:
    """The latest TikTok user figure per geo, in one metric per geo (the first available of
    ``USER_METRIC_PREFERENCE``, kept in the ``metric`` column), with its other columns."""
    tiktok = users[users["product"].astype(str) == "tiktok"]
    latest = latest_per_geo(one_metric_per_geo(tiktok), by=("geo",))
    return latest.assign(geo=latest["geo"].astype(str))


def pressure_vs_users(pressure: pd.DataFrame, users: pd.DataFrame,
                      latest: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per geo: total pressure and the latest TikTok user figure, with that figure's other
    columns (metric, date, source, names when ``users`` carries them). ``latest`` may be
    given precomputed (``latest_tiktok_users``)."""
    totals = pressure.groupby("geo", as_index=False)["pressure"].sum()
    latest = latest_tiktok_users(users) if latest is None else latest
    latest = latest.drop(columns=[c for c in ("pressure",) if c in latest])
    return totals.merge(latest, on="geo", how="inner").rename(columns={"value": "users"})


def pressure_ranking(events: pd.DataFrame, fx: pd.DataFrame, regions: pd.DataFrame,
                     weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Places ranked by their total pressure over all years (default weights)."""
    index = pressure_index(events, fx, weights)
    totals = index.groupby("geo", as_index=False)[["pressure", "events"]].sum()
    names = regions[["code", "name"]].assign(code=regions["code"].astype(str))
    totals = totals.merge(names, left_on="geo", right_on="code", how="left").drop(columns="code")
    return totals.sort_values(["pressure", "geo"], ascending=[False, True]).reset_index(drop=True)
