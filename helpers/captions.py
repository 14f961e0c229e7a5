"""One sentence per chart, written from the rows the chart draws: what it shows, its largest
value and whose it is, and the period. Report pages show it as the chart's caption and give
it to screen readers as the chart's name; an explorer can show it under its chart.

Pure: a :class:`~helpers.selections.Selection` in, sentences out (one per chart of the view,
in the order of ``figures.charts``). An empty selection's caption is its message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from helpers import formatting
from helpers.formatting import plural, the
from helpers.selections import ALL, NOT_USERS, Selection

HEATMAP_ROWS = 30
"""How many places the pressure heatmap draws (those with the most pressure)."""
NAMED = 3
"""Up to this many places are named; more are counted."""
NOT_SEGMENTS = ("", "all ages", "<NA>", "nan")
"""Segment labels that say nothing: a figure of everyone."""
NOUNS = {"value": "figure", "share_pct": "share", "change_pct": "change"}
"""What one point of the growth chart is, by its y column."""
EVENT_NOUNS = {"regulatory": "regulatory event", "business": "business event"}
NOTHING = {
    "users": "No user figures match this selection.",
    "countries": "No country figures match this selection.",
    "workforce": "No workforce figures match this selection.",
    "investments": "No investment amounts match this selection.",
}
"""What a chart says when its selection has rows but none it can draw (``helpers.figures``)."""


# ---------------------------------------------------------------- words


def possessive(name: str) -> str:
    """'India's', 'the United States'', 'ByteDance's'."""
    name = the(name)
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def whose(name: str, value: str) -> str:
    """'India's 200 M'; for a name that ends in an explanation, '13.3 bn for Europe (as TikTok
    defines it, usually with the UK)'."""
    return f"{value} for {the(name)}" if name.endswith(")") else f"{possessive(name)} {value}"


def listing(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def article(phrase: str) -> str:
    """'a company claim', 'an estimate'."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"


def places(names: Sequence[str], region: str = ALL, noun: tuple[str, str] = ("place", "places"),
           limit: int = NAMED) -> str:
    """The places of a chart: named when there are few ('the United States', 'India and
    Indonesia'), else counted ('5 places', '12 places in Europe')."""
    names = list(dict.fromkeys(names))
    if 0 < len(names) <= limit:
        return listing([the(n) for n in names])
    where = f" in {region}" if region not in (ALL, "", None) else ""
    return plural(len(names), *noun) + where


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[arg-type]


def _when(row: pd.Series) -> str:
    """A row's date as precisely as it is known: '29 Jun 2020', 'Jun 2020', '2020'."""
    return formatting.day(row["date"], _text(row.get("date_precision")) or "day")


def _period(sel: Selection) -> str:
    """'2018–2026', or '2020' for one year."""
    start, end = sel.params["start"], sel.params["end"]
    return str(start) if start == end else f"{start}–{end}"


def _what(row: pd.Series, with_metric: bool) -> str:
    """' users (undefined by source)', ' (under 18 only)' or '': the definition of a figure
    when the sentence has not given it."""
    metric = f" {_text(row.get('metric_label'))}" if with_metric else ""
    segment = _text(row.get("segment_label"))
    return metric + (f" ({segment})" if segment not in NOT_SEGMENTS else "")


def _claim(row: pd.Series) -> str:
    """', a company claim as of Jan 2020'."""
    claim = _text(row.get("claim_type_label")) or _text(row.get("claim_type")).replace("_", " ")
    return f", {article(claim)} as of {_when(row)}"


def _named(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with ``_name``: the place's name as the charts label it (its code when the
    name is missing)."""
    names = rows["geo_name"].astype("string").fillna(rows["geo"].astype("string"))
    return rows.assign(_name=names.astype(str))


def _largest(rows: pd.DataFrame, column: str) -> pd.Series:
    """The row of the largest ``column`` (ties: the earliest date, then the place name)."""
    return _named(rows).sort_values([column, "date", "_name"],
                                    ascending=[False, True, True]).iloc[0]


def _fmt(column: str) -> Callable[[object], str]:
    return formatting.percent if column.endswith("pct") else formatting.number


# ---------------------------------------------------------------- users


def growth(sel: Selection) -> list[str]:
    """Users over time: the places, the largest point drawn, whose it is and when."""
    p = sel.params
    y = p["y"]
    rows = sel.rows[sel.rows[y].notna()]
    if rows.empty:
        return [NOTHING["users"]]
    label = (_text(rows["metric_label"].iloc[0]) if p["metric"] != ALL else "users")
    what = {"share_pct": f"TikTok {label} as a share of population",
            "change_pct": f"TikTok {label}, change since {p['base_year']},"}.get(
        y, f"TikTok {label}")
    top = _largest(rows, y)
    return [f"{what} in {places(_drawn(rows, p['countries']), p['region'])}, {_period(sel)}: "
            f"the largest {NOUNS.get(y, 'figure')} is "
            f"{whose(top['_name'], _fmt(y)(top[y]) + _what(top, p['metric'] == ALL))}"
            f"{_claim(top)}."]


def _drawn(rows: pd.DataFrame, order: Sequence[str]) -> list[str]:
    """Names of the places with rows, in the order they were chosen."""
    first = _named(rows).drop_duplicates("geo")
    names = dict(zip(first["geo"].astype(str), first["_name"], strict=True))
    return [names[g] for g in order if g in names] + [
        n for g, n in names.items() if g not in order]


def claims(sel: Selection) -> list[str]:
    """Who says how many: the place, how many figures of how many kinds, the largest."""
    rows = sel.rows[sel.rows["value"].notna()]
    if rows.empty:
        return [NOTHING["users"]]
    kinds = sorted(rows["claim_type_label"].astype(str).unique())
    users = not rows["metric"].astype(str).isin(NOT_USERS).any()
    top = _largest(rows, "value")
    return [f"{plural(len(rows), 'TikTok user figure' if users else 'TikTok figure')} for "
            f"{the(top['_name'])}, "
            f"{_period(sel)}, from {plural(len(kinds), 'kind')} of source ({listing(kinds)}): "
            f"the largest is {formatting.number(top['value'])}{_what(top, True)}"
            f"{_claim(top)}."]


def users_map(sel: Selection) -> list[str]:
    """The users map at its year: how many countries, the largest figure and whose."""
    p = sel.params
    column = p["map_show"]
    rows = _countries(sel.rows)
    rows = rows[rows[column].notna()]
    if rows.empty:
        return [NOTHING["countries"]]
    label = _text(rows["metric_label"].iloc[0]) if p["map_metric"] != ALL else "users"
    share = " as a share of population" if column == "share_pct" else ""
    top = _largest(rows, column)
    return [f"TikTok {label}{share} by country, latest figure up to {p['map_year']}, in "
            f"{places(_named(rows)['_name'], noun=('country', 'countries'))}: the "
            f"largest is "
            f"{whose(top['_name'], _fmt(column)(top[column]) + _what(top, p['map_metric'] == ALL))}"
            f"{_claim(top)}."]


def _countries(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows a world map draws: those of countries (``regions.kind``)."""
    return rows[rows["geo_kind"].astype(str) == "country"] if "geo_kind" in rows else rows


# ---------------------------------------------------------------- workforce and money


def workforce(sel: Selection) -> list[str]:
    """Workforce bars: how many figures for which places, the largest, whose and where."""
    rows = sel.rows[sel.rows["value"].notna()]
    if rows.empty:
        return [NOTHING["workforce"]]
    top = _largest(rows, "value")
    employer = _text(top.get("employer_label")) or _text(top["employer"])
    place = top["_name"]
    where = "worldwide" if place == "World" else f"in {the(place)}"
    return [f"{plural(len(rows), 'workforce figure')} for "
            f"{places(_named(rows)['_name'], sel.params['region'])}, {_period(sel)}, "
            f"each counted once: the largest is {possessive(employer)} "
            f"{formatting.number(top['value'])} ({_text(top['metric_label'])}, {_when(top)}) "
            f"{where}."]


def _totals(rows: pd.DataFrame) -> pd.DataFrame:
    """Per place, the USD total and the number of commitments with an amount, largest
    first."""
    quantified = rows[rows["amount_usd"].notna()]
    grouped = _named(quantified).groupby("_name")["amount_usd"]
    totals = pd.DataFrame({"total": grouped.sum(), "n": grouped.size()}).rename_axis("name")
    return totals.reset_index().sort_values(["total", "name"], ascending=[False, True])


def _largest_total(totals: pd.DataFrame) -> str:
    top = totals.iloc[0]
    amount = f"{formatting.money(top['total'])} ({plural(int(top['n']), 'commitment')})"
    return f"the largest total is {whose(str(top['name']), amount)}"


def investments(sel: Selection) -> list[str]:
    """Investment bars: commitments with an amount, where, and the largest place total."""
    totals = _totals(sel.rows)
    if totals.empty:
        return [NOTHING["investments"]]
    return [f"{plural(int(totals['n'].sum()), 'announced investment')} with an amount in "
            f"{places(totals['name'], sel.params['region'])}, {_period(sel)}, each commitment "
            f"counted once: {_largest_total(totals)}."]


def investments_map(sel: Selection) -> list[str]:
    """The investments map at its year: countries with an amount and the largest total."""
    totals = _totals(_countries(sel.rows))
    if totals.empty:
        return [NOTHING["countries"]]
    return [f"{plural(int(totals['n'].sum()), 'announced investment')} with an amount in "
            f"{places(totals['name'], noun=('country', 'countries'))} up to "
            f"{sel.params['map_year']}, each commitment counted once: "
            f"{_largest_total(totals)}."]


# ---------------------------------------------------------------- events and pressure


def timeline(sel: Selection) -> list[str]:
    """Event timeline: how many events in how many places, and which place has the most (for
    one place, which year)."""
    rows = sel.rows
    noun = EVENT_NOUNS.get(sel.params["category"], "event")
    counts = _named(rows)["_name"].value_counts()
    head = (f"{plural(len(rows), noun)} in {places(counts.index, sel.params['region'])}, "
            f"{_period(sel)}")
    if len(counts) == 1:
        years = rows["date"].dt.year.value_counts().sort_index(kind="stable")
        busiest = years[years == years.max()].index.tolist()
        return [f"{head}: the most in {listing([str(y) for y in busiest])} "
                f"({int(years.max())}{' each' if len(busiest) > 1 else ''})."]
    most = counts[counts == counts.max()].index.tolist()
    verb = "has" if len(most) == 1 else "have"
    each = "" if len(most) == 1 else " each"
    return [f"{head}: {listing([the(n) for n in most])} {verb} the most "
            f"({int(counts.max())}{each})."]


def status_map(sel: Selection) -> list[str]:
    """The status map at its year: how many countries in each status, the strongest named."""
    rows = _countries(sel.rows)
    moment = sel.extra.get("moment", "")
    if rows.empty:
        return [f"TikTok's status {moment}: no country had a restriction on record."]
    order = _named(rows).sort_values(["level", "_name"], ascending=[False, True])
    counts = order["status"].astype(str).value_counts(sort=False)
    counts = counts[list(dict.fromkeys(order["status"].astype(str)))]
    first = str(counts.index[0])
    named = order[order["status"].astype(str) == first]["_name"]
    parts = [f"{s} in {n}" for s, n in counts.items()]
    parts[0] += f" ({places(named, limit=4)})" if len(named) <= 4 else ""
    return [f"TikTok's status {moment} in "
            f"{plural(len(rows), 'country', 'countries')} with a restriction on record: "
            f"{listing(parts)}."]


def _period_label(period: object) -> str:
    """'2020', 'Q3 2020'."""
    if isinstance(period, pd.Period) and period.freqstr.startswith("Q"):
        return f"Q{period.quarter} {period.year}"
    return str(period)


def _decay(sel: Selection) -> str:
    half = sel.params.get("half_life_years")
    return "" if half is None else f" (with a half-life of {half:g} year{'' if half == 1 else 's'})"


def pressure_heatmap(sel: Selection) -> str:
    """The heatmap: the places drawn and the highest cell (place and period)."""
    rows = _named(sel.rows)
    totals = rows.groupby("_name")["pressure"].sum().rename_axis("name").reset_index()
    drawn = totals.sort_values(["pressure", "name"], ascending=[False, True]).head(HEATMAP_ROWS)
    cells = rows[rows["_name"].isin(drawn["name"])].groupby(["_name", "period"])[
        "pressure"].sum().reset_index().sort_values(["pressure", "period", "_name"],
                                                    ascending=[False, True, True])
    top = cells.iloc[0]
    shown = (f" (the {HEATMAP_ROWS} with the most pressure drawn)"
             if len(totals) > HEATMAP_ROWS else "")
    return (f"Regulatory pressure index{_decay(sel)} of "
            f"{places(totals['name'], sel.params['region'])}{shown} by "
            f"{sel.params['freq']}, {_period(sel)}: the highest is "
            f"{whose(str(top['_name']), formatting.points(top['pressure']) + ' points')} in "
            f"{_period_label(top['period'])}.")


def pressure_scatter(sel: Selection) -> str:
    """Pressure against users: the place under the most pressure and the one with the most
    users."""
    versus = sel.extra.get("versus", pd.DataFrame())
    if versus.empty:
        region = sel.params["region"]
        where = f" in {region}" if region not in (ALL, "", None) else ""
        return (f"Regulatory pressure against TikTok users, {_period(sel)}: no place{where} has "
                "both user figures and regulatory events.")
    what = ("regulatory pressure" if sel.params.get("half_life_years") is None
            else "regulatory pressure of the last period, with decay,")
    high = _largest(versus, "pressure")
    most = _largest(versus, "users")
    users = (" and the most users" if most["geo"] == high["geo"] else
             f", and {the(most['_name'])} the most users "
             f"({formatting.number(most['users'])} as of {_when(most)})")
    return (f"{what[0].upper()}{what[1:]} against TikTok users for "
            f"{places(_named(versus)['_name'], sel.params['region'])}, {_period(sel)}: "
            f"{the(high['_name'])} has the highest pressure "
            f"({formatting.points(high['pressure'])} points, with "
            f"{formatting.number(high['users'])} users as of {_when(high)}){users}.")


def pressure(sel: Selection) -> list[str]:
    """The pressure heatmap's caption, then the scatter's."""
    return [pressure_heatmap(sel), pressure_scatter(sel)]


CAPTIONS: dict[str, Callable[[Selection], list[str]]] = {
    "growth": growth, "claims": claims, "users-map": users_map, "workforce": workforce,
    "investments": investments, "investments-map": investments_map, "timeline": timeline,
    "status-map": status_map, "pressure": pressure,
}
"""Every view's captions, by view name."""


def caption(selection: Selection) -> list[str]:
    """One sentence per chart of ``selection``'s view (its message when it is empty; its
    title for a view without captions)."""
    if selection.is_empty:
        return [selection.message]
    if selection.view not in CAPTIONS:
        return [selection.title]
    return CAPTIONS[selection.view](selection)


__all__ = ["CAPTIONS", "caption", "possessive", "the", "whose"]
