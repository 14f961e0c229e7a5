"""The project's own rules: checks the Table Schema cannot express.

Each rule has a name, a level (``error`` refuses the package, ``warning`` is reported only)
and a reason, and reports like the schema checks: file, line, column, expected and found.
``python -m helpers validate`` runs them after the schema checks pass (as PUDL runs its
data validations after loading). Rules take the typed tables with their CSV line numbers
(``frame.attrs["lines"]``) and the package descriptor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers import metrics
from helpers.data import AS_OF_KEY, Problem, parse_package, read_package

Tables = dict[str, pd.DataFrame]
ERROR, WARNING = "error", "warning"

FIRST_YEAR = 2016
"""TikTok's Chinese twin Douyin launched in September 2016: earlier dates need a reason."""
DISAGREE_WORDS = re.compile(r"disagree|differ|conflict|\brounded\b|\brounds\b|rounding",
                            re.IGNORECASE)
BEFORE_2016_WORDS = re.compile(r"before 2016|predates|pre-2016|musical\.ly", re.IGNORECASE)
JUMP_WORDS = re.compile(r"jump|tenfold|ten-fold|ten times|baseline|launch|surge|not comparable",
                        re.IGNORECASE)
COMPANY_WORDS = re.compile(
    r"\b(?:the company|tiktok|bytedance)(?:'s)? (?:says|said|told|stated|confirmed)\b"
    r"|according to (?:tiktok|bytedance|the company)|spokes(?:person|man|woman)",
    re.IGNORECASE)
ROW_ID = re.compile(r"\b(?:[EUWI]\d+|H\d{2,})\b")
NOT_PERMANENT = re.compile(
    r"/rss(?:/|$|\?|\.xml)|\.rss$|/feeds?/?$|[?&]format=rss|"
    r"[?&](?:q|query|s|search|keyword)=|/search/?(?:\?|$)|/search-results|webcache\.|"
    r"//(?:www\.)?google\.[a-z.]+/search|//(?:staging|stage|preprod|pre-prod|dev|test|uat)[.-]",
    re.IGNORECASE)
FX_BAND = 3.0
"""A yearly rate more than 3x off the median of the currency's other years is refused."""
FACT_TABLES = ("users", "workforce", "investments", "events")


@dataclass(frozen=True)
class Rule:
    """One project rule: what it checks and why."""

    name: str
    level: str
    reason: str
    check: Callable[[Tables, dict[str, Any]], list[Problem]]


RULES: list[Rule] = []


def rule(name: str, level: str, reason: str) -> Callable:
    """Register a rule function under ``name``."""

    def register(func: Callable[[Tables, dict[str, Any]], list[tuple]]) -> Callable:
        def run(tables: Tables, package: dict[str, Any]) -> list[Problem]:
            return [Problem(file, line, column, f"[{name}] {message}", rule=name, level=level)
                    for file, line, column, message in func(tables, package)]

        RULES.append(Rule(name, level, reason, run))
        return func

    return register


def validate_package(data_dir: str | None = None) -> list[Problem]:
    """Schema problems, then (when the schema holds) every finding of the project's rules,
    errors and warnings, sorted by file and line."""
    tables, problems = parse_package(data_dir)
    if problems:
        return problems
    found = run_rules(tables, read_package(data_dir))
    return sorted(set(found), key=lambda p: (p.level != ERROR, p.file, p.line or 0,
                                             p.column or "", p.message))


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that refuse the package (schema problems and error-level rules)."""
    return [p for p in problems if p.level == ERROR]


def run_rules(tables: Tables, package: dict[str, Any]) -> list[Problem]:
    """Every finding of every rule (errors and warnings) over typed, schema-valid tables."""
    problems: list[Problem] = []
    for r in RULES:
        problems += r.check(tables, package)
    return problems


# ---------------------------------------------------------------- helpers


def _file(tables: Tables, name: str) -> str:
    return tables[name].attrs.get("path", f"{name}.csv")


def _line(frame: pd.DataFrame, idx: Any) -> int | None:
    lines = frame.attrs.get("lines")
    return int(lines[idx]) if lines is not None and idx in lines.index else None


def _flag(tables: Tables, name: str, mask: pd.Series, column: str,
          message: Callable[[Any], str]) -> list[tuple]:
    """One finding per row of table ``name`` where ``mask`` holds."""
    frame = tables[name]
    return [(_file(tables, name), _line(frame, idx), column, message(idx))
            for idx in mask[mask.fillna(False).astype(bool)].index]


def _text(value: object) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float)
                                                      and np.isnan(value)) else str(value)


def _id_column(frame: pd.DataFrame) -> str:
    return "event_id" if "event_id" in frame else "fact_id"


def _link_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in ("same_event_as", "same_commitment_as", "supersedes") if c in frame]


def _roles(tables: Tables) -> dict[str, str]:
    """Restriction role (ban, block, partial, lift or "") of each event type, from
    event_types.csv."""
    types = tables.get("event_types")
    if types is None or types.empty:
        return {}
    return dict(zip(types["event_type"].astype(str),
                    types["restriction"].astype("string").fillna("").astype(str), strict=True))


def _types_with_restriction(tables: Tables, *roles: str) -> list[str]:
    """Event types whose ``restriction`` role in event_types.csv is one of ``roles``."""
    return [t for t, role in _roles(tables).items() if role in roles]


def _events_with_roles(tables: Tables) -> pd.DataFrame:
    """The events with the ``restriction`` role of their type (the column metrics reads)."""
    events = tables["events"]
    return events.assign(restriction=events["event_type"].astype(str).map(_roles(tables))
                         .fillna(""))


def _same_period(a: pd.Timestamp, pa: str, b: pd.Timestamp, pb: str) -> bool:
    """True when two dates can be the same day given their precisions."""
    coarse = max([pa, pb], key=lambda p: metrics.PRECISION_RANK.get(p, 0))
    if coarse == "year":
        return a.year == b.year
    if coarse == "quarter":
        return (a.year, a.quarter) == (b.year, b.quarter)
    if coarse == "month":
        return (a.year, a.month) == (b.year, b.month)
    return a == b


# ---------------------------------------------------------------- links


@rule("link-target", ERROR, "A link must point to another row of the same table and place, "
      "and chains of further sources must end at one root without cycles.")
def _link_target(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    out = []
    for name in ("events", "investments", "workforce"):
        frame = tables.get(name)
        if frame is None or frame.empty:
            continue
        ids = frame[_id_column(frame)].astype(str)
        by_id = dict(zip(ids, frame.index, strict=True))
        for column in _link_columns(frame):
            targets = frame[column].astype("string")
            for idx in targets[targets.notna()].index:
                own, target = ids[idx], str(targets[idx])
                line = _line(frame, idx)
                if target == own:
                    out.append((_file(tables, name), line, column,
                                f"expected another row's id, found the row itself ({own})"))
                    continue
                if target not in by_id:
                    continue  # a missing target is the schema's foreign-key error
                tidx = by_id[target]
                if str(frame.at[tidx, "geo"]) != str(frame.at[idx, "geo"]):
                    out.append((_file(tables, name), line, column,
                                f"expected a row of the same place ({frame.at[idx, 'geo']}), "
                                f"found {target} of {frame.at[tidx, 'geo']}"))
                if column != "supersedes" and pd.notna(frame.at[tidx, column]):
                    out.append((_file(tables, name), line, column,
                                f"expected the root row, found {target}, itself linked to "
                                f"{frame.at[tidx, column]}"))
        if "supersedes" in frame:
            out += _supersede_cycles(frame, ids, _file(tables, name))
    return out


def _supersede_cycles(frame: pd.DataFrame, ids: pd.Series, file: str) -> list[tuple]:
    parent = dict(zip(ids, frame["supersedes"].astype("string").fillna(""), strict=True))
    out = []
    for idx, start in ids.items():
        seen, node = {start}, parent.get(start, "")
        while node:
            if node in seen:
                out.append((file, _line(frame, idx), "supersedes",
                            f"expected a chain of earlier figures, found a cycle through "
                            f"{start}"))
                break
            seen.add(node)
            node = parent.get(node, "")
    return out


@rule("linked-rows-agree", ERROR, "Rows linked as one event or commitment must agree on date "
      "(within their precision) and amount, or say in their note that they disagree.")
def _linked_rows_agree(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    out = []
    for name, column, value in (("events", "same_event_as", "amount"),
                                ("investments", "same_commitment_as", "amount"),
                                ("workforce", "same_commitment_as", "value")):
        frame = tables.get(name)
        if frame is None or frame.empty or column not in frame:
            continue
        ids = frame[_id_column(frame)].astype(str)
        by_id = dict(zip(ids, frame.index, strict=True))
        links = frame[column].astype("string")
        for idx in links[links.notna()].index:
            tidx = by_id.get(str(links[idx]))
            if tidx is None:
                continue
            notes = _text(frame.at[idx, "note"]) + " " + _text(frame.at[tidx, "note"])
            if DISAGREE_WORDS.search(notes):
                continue
            row, root = frame.loc[idx], frame.loc[tidx]
            if not _same_period(row["date"], str(row["date_precision"]), root["date"],
                                str(root["date_precision"])):
                out.append((_file(tables, name), _line(frame, idx), "date",
                            f"expected the date of {links[idx]} ({root['date']:%Y-%m-%d}, "
                            f"{root['date_precision']}) or a note saying they disagree, "
                            f"found {row['date']:%Y-%m-%d}"))
            a, b = row[value], root[value]
            same_money = "currency" not in frame or str(row["currency"]) == str(root["currency"])
            if pd.notna(a) and pd.notna(b) and same_money and abs(a - b) > 0.05 * max(a, b):
                out.append((_file(tables, name), _line(frame, idx), value,
                            f"expected the {value} of {links[idx]} ({b:,.0f}) or a note "
                            f"saying they disagree, found {a:,.0f}"))
    return out


@rule("one-root-per-episode", ERROR, "One ban or block is stored once: two root rows of the "
      "same place and kind in the same period are one event told twice (link the second "
      "with same_event_as, or say in its note how they differ).")
def _one_root(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    events = tables.get("events")
    if events is None or events.empty:
        return []
    roots = metrics.distinct_events(_events_with_roles(tables))
    roots = roots[roots["restriction"].isin(("ban", "block"))]
    out = []
    keys = [roots["geo"].astype(str), roots["subdivision"].astype("string").fillna(""),
            roots["event_type"].astype(str)]
    for _, group in roots.groupby(keys):
        group = group.sort_values("date")
        prev = None
        for idx, row in group.iterrows():
            if prev is not None and _same_period(prev["date"], str(prev["date_precision"]),
                                                 row["date"], str(row["date_precision"])):
                out.append((_file(tables, "events"),
                            _line(events, idx), "same_event_as",
                            f"expected one root row per restriction, found a second "
                            f"{row['event_type']} of {row['geo']} in the same period as "
                            f"{prev['event_id']} ({prev['date']:%Y-%m-%d}); link it with "
                            "same_event_as or say in the note how they differ"))
            if not DISAGREE_WORDS.search(_text(row["note"])):
                prev = row
    return out


@rule("lifted-has-end", ERROR, "A measure recorded as lifted or expired must say when: an "
      "end_date, or a later event of the same place whose type lifts it (restriction `lift` "
      "in event_types.csv, such as ban_lifted).")
def _lifted_has_end(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    events = tables.get("events")
    if events is None or events.empty:
        return []
    lifts = " or ".join(_types_with_restriction(tables, "lift")) or "lifting"
    episodes = metrics.restriction_episodes(_events_with_roles(tables))
    open_lifted = episodes[episodes["status_after"].isin(["lifted", "expired"])
                           & ~episodes["end_sourced"]] if "status_after" in episodes else \
        episodes.iloc[0:0]
    by_id = dict(zip(events["event_id"].astype(str), events.index, strict=True))
    return [(_file(tables, "events"), _line(events, by_id[str(eid)]), "end_date",
             f"expected an end_date or a later {lifts} event for a measure whose "
             f"status_after is {status}, found neither")
            for eid, status in zip(open_lifted["event_id"], open_lifted["status_after"],
                                   strict=True)]


@rule("event-type-roles", ERROR, "An event type's role must fit its category (a business "
      "type adds no regulatory pressure and restricts nothing), and its marker symbol must be "
      "one that plotly draws.")
def _event_type_roles(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    types = tables.get("event_types")
    if types is None or types.empty:
        return []
    business = types["category"].astype(str) == "business"
    weight, role = types["pressure_weight"], types["restriction"].astype("string")
    out = _flag(tables, "event_types", business & (weight > 0), "pressure_weight",
                lambda i: f"expected 0 for a business type, found {weight[i]:g}")
    out += _flag(tables, "event_types", business & role.notna(), "restriction",
                 lambda i: "expected an empty cell for a business type (only regulatory types "
                           f"restrict), found {role[i]!r}")
    symbols = types["symbol"].astype("string").fillna("")
    drawn = _plotly_symbols(set(symbols))
    out += _flag(tables, "event_types", ~symbols.isin(drawn), "symbol",
                 lambda i: f"expected a plotly marker symbol (such as circle, square-open, "
                           f"triangle-up), found {symbols[i]!r}")
    return out


def _plotly_symbols(names: set[str]) -> set[str]:
    """The names among ``names`` that plotly accepts as a scatter marker symbol."""
    from plotly.graph_objects import scatter  # heavy import: only when the rule runs

    ok = set()
    for name in names:
        try:
            scatter.Marker(symbol=name)
        except ValueError:
            continue
        ok.add(name)
    return ok


# ---------------------------------------------------------------- notes and sources


@rule("note-cites-existing-row", ERROR, "A note that names another row must name one that "
      "exists (ids are E###, U###, W###, I###).")
def _note_ids(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    known: set[str] = set()
    for name in FACT_TABLES:
        if name in tables and not tables[name].empty:
            known |= set(tables[name][_id_column(tables[name])].astype(str))
    out = []
    for name in FACT_TABLES:
        frame = tables.get(name)
        if frame is None or frame.empty or "note" not in frame:
            continue
        notes = frame["note"].astype("string").fillna("")
        for idx in notes[notes.str.contains(ROW_ID)].index:
            for cited in ROW_ID.findall(notes[idx]):
                if cited not in known:
                    out.append((_file(tables, name), _line(frame, idx), "note",
                                f"expected a row id of the package, found {cited!r}"))
    return out


@rule("source-url-permanent", ERROR, "A source must be a page that holds the item for good: "
      "no feeds, search-result pages, caches, staging or pre-production hosts.")
def _source_url(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    sources = tables.get("sources")
    if sources is None or sources.empty:
        return []
    urls = sources["url"].astype("string").fillna("")
    return _flag(tables, "sources", urls.str.contains(NOT_PERMANENT), "url",
                 lambda i: f"expected the permanent page of the item, found {urls[i]!r}")


@rule("claim-type-fits-note", ERROR, "claim_type says whose figure it is: a company figure "
      "relayed by a newspaper is `company`, not `press_report` or an estimate.")
def _claim_type(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    out = []
    for name in ("users", "workforce", "investments"):
        frame = tables.get(name)
        if frame is None or frame.empty:
            continue
        notes = frame["note"].astype("string").fillna("")
        claims = frame["claim_type"].astype(str)
        bad = claims.isin(["press_report", "third_party_estimate"]) & notes.str.contains(
            COMPANY_WORDS)
        out += _flag(tables, name, bad, "claim_type",
                     lambda i, c=claims: "expected company (the note says the figure is the "
                                         f"company's), found {c[i]}")
    return out


# ---------------------------------------------------------------- plausibility


@rule("users-within-population", ERROR, "A place's active users cannot exceed its population "
      "(downloads can).")
def _users_population(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    users, population = tables.get("users"), tables.get("population")
    if users is None or users.empty or population is None or population.empty:
        return []
    people = users[~users["metric"].astype(str).str.startswith("downloads")]
    shares = metrics.share_of_population(people, population)
    high = shares[shares["share_pct"] > 100]
    return [(_file(tables, "users"), _line(users, idx), "value",
             f"expected at most the population of {row['geo']} "
             f"({row['population']:,.0f} in {int(row['population_year'])}), found "
             f"{row['value']:,.0f}") for idx, row in high.iterrows()]


@rule("tenfold-jump", ERROR, "A tenfold change between two figures of one series and claim "
      "type is an error unless the later row's note says why.")
def _tenfold(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    users = tables.get("users")
    if users is None or users.empty:
        return []
    keys = [k for k in metrics.LINE_KEYS if k in users]
    out = []
    for _, series in users.sort_values("date").groupby(keys, observed=True):
        values, notes = series["value"].to_numpy(), series["note"].astype("string").fillna("")
        for i in range(1, len(series)):
            a, b = values[i - 1], values[i]
            if a > 0 and b > 0 and max(a / b, b / a) >= 10 and not JUMP_WORDS.search(
                    notes.iloc[i]):
                idx = series.index[i]
                out.append((_file(tables, "users"), _line(users, idx), "value",
                            f"expected a value within 10x of the previous figure of this "
                            f"series ({a:,.0f}) or a note that says why, found {b:,.0f}"))
    return out


@rule("dates-within-package", ERROR, "No row is dated after the curator's as-of date "
      "(x-asOf), and none before 2016 unless its note says why.")
def _dates(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    as_of = package.get(AS_OF_KEY)
    limit = pd.Timestamp(str(as_of)) if as_of else None
    out = []
    for name in FACT_TABLES:
        frame = tables.get(name)
        if frame is None or frame.empty:
            continue
        notes = frame["note"].astype("string").fillna("")
        for column in ("date", "end_date"):
            if column not in frame:
                continue
            dates = frame[column]
            if limit is not None:
                out += _flag(tables, name, dates > limit, column,
                             lambda i, d=dates: "expected a date on or before the as-of date "
                                                f"{limit:%Y-%m-%d} (x-asOf in datapackage."
                                                f"json), found {d[i]:%Y-%m-%d}")
            first = pd.Timestamp(f"{FIRST_YEAR}-01-01")
            early = (dates < first).fillna(False) & ~notes.str.contains(BEFORE_2016_WORDS)
            out += _flag(tables, name, early, column,
                         lambda i, d=dates: f"expected a date from {FIRST_YEAR} (before TikTok "
                                            "and Douyin existed the note must say why), found "
                                            f"{d[i]:%Y-%m-%d}")
    sources = tables.get("sources")
    if limit is not None and sources is not None and not sources.empty:
        published = sources["published"].astype("string").fillna("")
        padded = published.where(published.str.len() != 7, published + "-01")
        padded = padded.where(published.str.len() != 4, published + "-01-01")
        first_day = pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")
        out += _flag(tables, "sources", first_day > limit, "published",
                     lambda i: "expected a publication on or before the as-of date "
                               f"{limit:%Y-%m-%d}, found {published[i]!r}")
        out += _flag(tables, "sources", (published != "") & first_day.isna(), "published",
                     lambda i: f"expected a real calendar date, found {published[i]!r}")
    return out


@rule("fx-rate-plausible", ERROR, "A yearly exchange rate must lie within 3x of the rate of "
      "a neighbouring year of the same currency (fast-falling currencies still pass).")
def _fx(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    fx = tables.get("fx")
    if fx is None or fx.empty:
        return []
    out = []
    for currency, group in fx.groupby(fx["currency"].astype(str)):
        group = group.sort_values("year")
        rates = group["units_per_usd"].to_numpy()
        for i, idx in enumerate(group.index):
            neighbours = [rates[j] for j in (i - 1, i + 1) if 0 <= j < len(rates)]
            near = [n for n in neighbours if n / FX_BAND <= rates[i] <= n * FX_BAND]
            if neighbours and not near:
                shown = ", ".join(f"{n:,.4g}" for n in neighbours)
                out.append((_file(tables, "fx"), _line(fx, idx), "units_per_usd",
                            f"expected a rate within {FX_BAND:g}x of the neighbouring "
                            f"year's ({shown} {currency} per USD), found {rates[i]:,.4g}"))
    return out


@rule("money-has-currency-and-rate", ERROR, "An amount needs a currency, and a currency "
      "other than USD needs yearly rates in fx.csv to be converted.")
def _money(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    fx = tables.get("fx")
    rated = set(fx["currency"].astype(str)) | {"USD"} if fx is not None and not fx.empty \
        else {"USD"}
    out = []
    for name in ("investments", "events"):
        frame = tables.get(name)
        if frame is None or frame.empty:
            continue
        amount, currency = frame["amount"], frame["currency"].astype("string")
        out += _flag(tables, name, amount.notna() & currency.isna(), "currency",
                     lambda i: "expected a currency for the amount, found an empty cell")
        out += _flag(tables, name, amount.notna() & currency.notna() & ~currency.isin(rated),
                     "currency", lambda i, c=currency: "expected a currency with rates in "
                                                       f"fx.csv, found {c[i]!r}")
    return out


@rule("source-is-used", WARNING, "Every source should be cited by at least one row.")
def _unused_sources(tables: Tables, package: dict[str, Any]) -> list[tuple]:
    sources = tables.get("sources")
    if sources is None or sources.empty:
        return []
    used: set[str] = set()
    for name in (*FACT_TABLES, "fx", "population"):
        if name in tables and not tables[name].empty:
            used |= set(tables[name]["source_id"].astype(str))
    ids = sources["source_id"].astype(str)
    return _flag(tables, "sources", ~ids.isin(used), "source_id",
                 lambda i: f"expected a source cited by some row, found {ids[i]!r} cited by "
                           "none")


def rules_table() -> pd.DataFrame:
    """The rules as a table (name, level, reason), for the README and ``validate --rules``."""
    return pd.DataFrame([(r.name, r.level, r.reason) for r in RULES],
                        columns=["rule", "level", "reason"])


__all__ = ["RULES", "Rule", "errors", "rules_table", "run_rules", "validate_package"]
