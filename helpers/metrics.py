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
    """``frame`` with ``geo_name`` and ``region`` columns from the regions table."""
    indexed = regions.set_index(regions["code"].astype(str))
    keys = frame["geo"].astype(str)
    return frame.assign(geo_name=keys.map(indexed["name"].astype(str)).astype("string"),
                        region=keys.map(indexed["region"].astype(str)).astype("string"))


def distinct_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events without the rows that only add a further source (``same_event_as`` set)."""
    if "same_event_as" not in events:
        return events
    return events[events["same_event_as"].astype("string").fillna("") == ""]


# ---------------------------------------------------------------- growth


SERIES_KEYS = ("geo", "metric", "product")


def period_growth(frame: pd.DataFrame, by: Iterable[str] = SERIES_KEYS) -> pd.DataFrame:
    """Change from each figure to the next of the same series: absolute, percent, per year.

    A series is one geo, metric and product; figures of the same date (several sources)
    are averaged first. Adds ``change``, ``pct_change`` and ``annualised_pct``.
    """
    keys = [k for k in by if k in frame]
    series = (frame.groupby([*keys, "date"], observed=True, as_index=False)["value"].mean()
              .sort_values([*keys, "date"]))
    grouped = series.groupby(keys, observed=True)
    series["previous"] = grouped["value"].shift()
    series["previous_date"] = grouped["date"].shift()
    series["change"] = series["value"] - series["previous"]
    series["pct_change"] = np.where(series["previous"] > 0,
                                    series["change"] / series["previous"] * 100, np.nan)
    years = (series["date"] - series["previous_date"]).dt.days / 365.25
    ratio = series["value"] / series["previous"]
    valid = (series["previous"] > 0) & (years > 0) & (ratio > 0)
    series["annualised_pct"] = np.where(valid, (ratio.where(valid) ** (1 / years.where(valid)) - 1)
                                        * 100, np.nan)
    return series.reset_index(drop=True)


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
    keys = [k for k in ("geo", "metric", "product") if k in frame]
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
    """``frame`` with ``change_pct``: each value against its series' last figure on or
    before ``base_date`` (series without one are dropped)."""
    base_date = pd.Timestamp(base_date)
    keys = [k for k in ("geo", "metric", "product") if k in frame]
    base = (frame[frame["date"] <= base_date].sort_values("date")
            .groupby(keys, observed=True)["value"].last().rename("base_value"))
    out = frame.join(base, on=keys, how="inner")
    out["change_pct"] = np.where(out["base_value"] > 0,
                                 (out["value"] / out["base_value"] - 1) * 100, np.nan)
    return out


def latest_per_geo(frame: pd.DataFrame, by: Iterable[str] = SERIES_KEYS) -> pd.DataFrame:
    """The most recent row per geo and metric (ties: the largest value), with its source_id."""
    keys = [k for k in by if k in frame]
    ordered = frame.sort_values([*keys, "date", "value"], na_position="first")
    return ordered.groupby(keys, observed=True).tail(1).reset_index(drop=True)


def share_of_population(frame: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``population``, ``population_year`` and ``share_pct`` (value as a
    percentage of the population in the figure's year, or the nearest year available)."""
    out = frame.copy()
    out["year"] = out["date"].dt.year
    pop = population[["geo", "year", "population"]].copy()
    pop["geo"] = pop["geo"].astype(str)
    nearest = []
    by_geo = {g: grp.set_index("year")["population"] for g, grp in pop.groupby("geo")}
    for geo, year in zip(out["geo"].astype(str), out["year"], strict=True):
        series = by_geo.get(geo)
        if series is None or series.empty:
            nearest.append((np.nan, np.nan))
            continue
        best = min(series.index, key=lambda y: (abs(y - year), -y))
        nearest.append((series[best], best))
    out["population"] = [p for p, _ in nearest]
    out["population_year"] = [y for _, y in nearest]
    out["share_pct"] = out["value"] / out["population"] * 100
    return out.drop(columns="year")


# ---------------------------------------------------------------- money


def to_usd(frame: pd.DataFrame, fx: pd.DataFrame, amount: str = "amount",
           currency: str = "currency", date: str = "date") -> pd.DataFrame:
    """``frame`` with ``amount_usd`` and ``fx_year``: the amount at the yearly average rate of
    its year (the nearest year the fx table has when that year is missing)."""
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
        available = np.sort(group["year"].to_numpy())
        wanted = years[rows].to_numpy()
        # nearest available year; ties go to the later year
        pos = np.clip(np.searchsorted(available, wanted), 0, len(available) - 1)
        prev = np.clip(pos - 1, 0, len(available) - 1)
        take_prev = np.abs(wanted - available[prev]) < np.abs(available[pos] - wanted)
        nearest = np.where(take_prev, available[prev], available[pos])
        fx_year[rows] = nearest
        rate[rows] = table.loc[[(code, int(y)) for y in nearest]].to_numpy()
    out["amount_usd"] = pd.to_numeric(out[amount], errors="coerce") / rate
    out["fx_year"] = fx_year.where(out["amount_usd"].notna())
    return out


def from_usd(amount_usd: float, currency: str, year: int, fx: pd.DataFrame) -> float:
    """A USD amount in ``currency`` at the rate of ``year`` (inverse of :func:`to_usd`)."""
    if currency == "USD":
        return amount_usd
    rate = fx[(fx["currency"].astype(str) == currency) & (fx["year"] == year)]["units_per_usd"]
    if rate.empty:
        raise KeyError(f"no {currency} rate for {year} in the fx table")
    return amount_usd * float(rate.iloc[0])


# ---------------------------------------------------------------- status history

STATUS_LEVELS = ["no national restriction", "ban lifted", "partial restrictions",
                 "temporarily blocked", "banned nationwide"]
STATUS_OF_TYPE = {"ban": "banned nationwide", "temporary_block": "temporarily blocked",
                  "partial_ban": "partial restrictions"}
_RANK = {s: i for i, s in enumerate(STATUS_LEVELS)}


def status_history(events: pd.DataFrame) -> pd.DataFrame:
    """Spells of restriction per geo: ``geo``, ``status``, ``start``, ``end`` (NaT: open), and
    the ``event_id``, ``title`` and ``source_id`` of the event behind each spell.

    Rules for a nationwide ban or a temporary block, in order: its ``end_date``; if none and
    its status is ``in_force``, open; if it was blocked by a court, revoked or superseded,
    it never took effect and is skipped; else until the next ``ban_lifted`` of the same geo
    (for one not known to be lifted: when no other ban or block started in between); else
    a ban stays open and a block
    counts for its own month only (an unknown end is not extended). Partial restrictions
    (device bans, age limits, feature bans; national or sub-national) last until their
    end_date, or stay open unless revoked, lifted, expired or blocked by a court. The end of
    a ban or block opens a "ban lifted" spell. Rows that only add a source are ignored.
    """
    reg = distinct_events(events)
    reg = reg[reg["category"].astype(str) == "regulatory"].sort_values("date")
    spells = []
    for geo, group in reg.groupby(reg["geo"].astype(str)):
        kinds = group["event_type"].astype(str)
        lifts = group.loc[kinds == "ban_lifted", "date"].tolist()
        starts = group.loc[kinds.isin(["ban", "temporary_block"]), "date"].tolist()
        for row in group.itertuples():
            kind, status_after = str(row.event_type), str(row.status_after)
            status = STATUS_OF_TYPE.get(kind)
            if status is None:
                continue
            end = row.end_date
            if pd.isna(end) and kind != "partial_ban":
                if status_after in ("blocked_by_court", "revoked", "superseded"):
                    continue  # never took effect, or replaced by a later measure
                if status_after != "in_force":
                    lift = next((d for d in lifts if d >= row.date), None)
                    blocked_again = lift is not None and status_after != "lifted" and any(
                        row.date < d < lift for d in starts)
                    if lift is not None and not blocked_again:
                        end = lift
                    elif kind == "temporary_block":
                        end = row.date + pd.offsets.MonthEnd(0)
            elif pd.isna(end) and status_after in ("revoked", "lifted", "blocked_by_court",
                                                   "expired"):
                end = row.date  # known not to hold, end unknown: counts only that day
            cause = (row.event_id, getattr(row, "title", None), getattr(row, "source_id", None))
            spells.append((geo, status, row.date, end, *cause))
            if kind in ("ban", "temporary_block") and pd.notna(end):
                spells.append((geo, "ban lifted", end, pd.NaT, *cause))
    return pd.DataFrame(spells, columns=["geo", "status", "start", "end", "event_id", "title",
                                         "source_id"])


def status_on(events: pd.DataFrame, when: str | pd.Timestamp,
              spells: pd.DataFrame | None = None) -> pd.DataFrame:
    """Strongest status holding on ``when`` per geo (geos with no restriction omitted);
    ``spells`` may be given precomputed (``status_history(events)``)."""
    when = pd.Timestamp(when)
    spells = status_history(events) if spells is None else spells
    active = spells[(spells["start"] <= when) & (spells["end"].isna() | (spells["end"] >= when))]
    if active.empty:
        return pd.DataFrame(columns=["geo", "status", "level", "since", "event_id", "title",
                                     "source_id"])
    active = active.assign(level=active["status"].map(_RANK))
    best = active.sort_values(["geo", "level", "start"]).groupby("geo").tail(1)
    out = best.rename(columns={"start": "since"})[["geo", "status", "level", "since",
                                                   "event_id", "title", "source_id"]]
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- pressure index

DEFAULT_WEIGHTS: dict[str, float] = {
    "ban": 10.0,
    "forced_sale_or_divestiture": 8.0,
    "temporary_block": 6.0,
    "executive_order": 6.0,
    "legislation_passed": 5.0,
    "partial_ban": 3.0,
    "fine": 3.0,
    "court_ruling": 2.0,
    "legislation_proposed": 1.5,
    "investigation_opened": 1.0,
    "deal_or_agreement": 1.0,
    "enforcement_delayed": 0.5,
    "ban_lifted": 0.0,
}
"""Points per regulatory event type. A fine scores weight x (1 + log10(1 + USD / 1M))."""

FINE_SCALE_USD = 1_000_000.0
SUBNATIONAL_FACTOR = 0.25


def event_points(events: pd.DataFrame, fx: pd.DataFrame,
                 weights: Mapping[str, float] | None = None,
                 subnational_factor: float = SUBNATIONAL_FACTOR,
                 fine_scale_usd: float = FINE_SCALE_USD) -> pd.DataFrame:
    """Regulatory events with ``points``: weight of their type; fines scaled by
    1 + log10(1 + USD / fine_scale); sub-national actions times ``subnational_factor``."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    if any(w < 0 for w in weights.values()):
        raise ValueError("pressure weights must be >= 0")
    reg = distinct_events(events)
    reg = reg[reg["category"].astype(str) == "regulatory"]
    if "amount_usd" not in reg:  # Atlas.events already carries it
        reg = to_usd(reg, fx)
    base = reg["event_type"].astype(str).map(weights).fillna(0.0).astype(float)
    usd = reg["amount_usd"].fillna(0.0).clip(lower=0)
    is_fine = reg["event_type"].astype(str) == "fine"
    scale = np.where(is_fine, 1 + np.log10(1 + usd / fine_scale_usd), 1.0)
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


def pressure_formula(weights: Mapping[str, float] | None = None,
                     half_life_years: float | None = None) -> str:
    """The pressure index formula and weights as Markdown, for notebooks and reports."""
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    rows = "\n".join(f"| `{k}` | {v:g} |" for k, v in sorted(weights.items(),
                                                               key=lambda kv: -kv[1]))
    decay = ("no decay: each event counts only in the period of its date" if half_life_years
             is None else f"decay: an event keeps counting in later periods, halving every "
             f"{half_life_years:g} years")
    return (
        "pressure(geo, period) = sum over regulatory events e of geo in the period of "
        "w[type(e)] x f(e) x s(e)\n\n"
        f"- f(e) = 1 + log10(1 + fine in USD / {FINE_SCALE_USD:,.0f}) for fines, else 1\n"
        f"- s(e) = {SUBNATIONAL_FACTOR:g} for a state or province action, else 1\n"
        f"- {decay}\n\n| event type | weight w |\n|---|---|\n{rows}\n")


def latest_tiktok_users(users: pd.DataFrame) -> pd.DataFrame:
    """The latest TikTok user figure per geo (any user metric), with its other columns."""
    tiktok = users[users["product"].astype(str) == "tiktok"]
    latest = latest_per_geo(tiktok, by=("geo",))
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


def investment_totals(investments: pd.DataFrame) -> pd.DataFrame:
    """Per place: commitments, how many state an amount, and their USD total (rounded)."""
    key = "geo_name" if "geo_name" in investments else "geo"
    grouped = investments.groupby(investments[key].astype(str))
    out = pd.DataFrame({
        "commitments": grouped.size(),
        "with_amount": grouped["amount_usd"].count(),
        "total_usd": grouped["amount_usd"].sum().round(-6),
    }).rename_axis(key).reset_index()
    return out.sort_values(["total_usd", key], ascending=[False, True]).reset_index(drop=True)


def pressure_ranking(events: pd.DataFrame, fx: pd.DataFrame, regions: pd.DataFrame,
                     weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Places ranked by their total pressure over all years (default weights), rounded."""
    index = pressure_index(events, fx, weights)
    totals = index.groupby("geo", as_index=False)[["pressure", "events"]].sum()
    names = regions[["code", "name"]].assign(code=regions["code"].astype(str))
    totals = totals.merge(names, left_on="geo", right_on="code", how="left").drop(columns="code")
    totals["pressure"] = totals["pressure"].round(2)
    return totals.sort_values(["pressure", "geo"], ascending=[False, True]).reset_index(drop=True)
