"""Numbers, money, shares and dates as people read them (8.5 M, 1.05 bn, 31.9 %,
USD 35.8 bn, 29 Jun 2020): one module for tables, hovers and texts of explorers and reports.
Display only: nothing here changes a value that is computed or exported."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

UNITS = ((1e12, " tn"), (1e9, " bn"), (1e6, " M"))


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _sig(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value: object, missing: str = "n/a") -> str:
    """A count of people, downloads or currency units: 8.5 M, 1.05 bn, 150,000, 3,000."""
    if _missing(value):
        return missing
    v = float(value)  # type: ignore[arg-type]
    for size, suffix in UNITS:
        if abs(v) >= size * 0.9995:
            text = _sig(v / size)
            if text.replace(",", "").lstrip("-") == "1000" and suffix != " tn":
                continue  # 999.96 M reads as 1 bn
            return text + suffix
    if abs(v) >= 1000 or float(v).is_integer():
        return f"{round(v):,}"
    return _sig(v)


def money(value: object, currency: str = "USD", missing: str = "no amount given") -> str:
    """An amount with its currency first: USD 35.8 bn, EUR 345 M."""
    if _missing(value):
        return missing
    return f"{currency} {number(value)}"


def percent(value: object, missing: str = "n/a") -> str:
    """A share or a change in percent, three significant digits: 31.9 %, -12.5 %, 0.42 %."""
    if _missing(value):
        return missing
    v = float(value)  # type: ignore[arg-type]
    if v != 0 and abs(v) < 0.01:
        return "<0.01 %" if v > 0 else ">-0.01 %"
    return f"{_sig(v) if abs(v) < 1000 else f'{round(v):,}'} %"


def points(value: object, missing: str = "n/a") -> str:
    """Index points, one decimal: 12.3."""
    if _missing(value):
        return missing
    return f"{float(value):,.1f}"  # type: ignore[arg-type]


def day(value: object, precision: str = "day", missing: str = "") -> str:
    """A date written as precisely as it is known: 29 Jun 2020, Jun 2020, Q3 2020, 2020."""
    if _missing(value):
        return missing
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if precision == "year":
        return f"{ts:%Y}"
    if precision == "quarter":
        return f"Q{ts.quarter} {ts:%Y}"
    if precision == "month":
        return f"{ts:%b %Y}"
    return f"{ts.day} {ts:%b %Y}"


def iso(value: object, missing: str = "") -> str:
    """A date as YYYY-MM-DD (tables, where columns sort as text)."""
    return missing if _missing(value) else f"{pd.Timestamp(value):%Y-%m-%d}"  # type: ignore


THE_NAMES = ("World", "Netherlands", "Philippines", "Gambia", "Bahamas", "Maldives")
THE_STARTS = ("United ", "European ", "Republic ", "Democratic ")
THE_ENDS = (" Republic", " Islands", " Emirates")


def the(name: str) -> str:
    """A place's name as a sentence needs it: 'the United States', 'India'."""
    if name in THE_NAMES or name.startswith(THE_STARTS) or name.endswith(THE_ENDS):
        return f"the {name}"
    return name


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 place', '3 places'."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


FORMATTERS = {"number": number, "usd": money, "percent": percent, "points": points,
              "iso": iso, "text": None}

COLUMN_FORMATS: Mapping[str, str] = {
    "value": "number", "users": "number", "population": "number", "start_value": "number",
    "end_value": "number", "amount": "number", "value_low": "number", "value_high": "number",
    "amount_usd": "usd", "total_usd": "usd", "total_low": "usd", "total_high": "usd",
    "share_pct": "percent", "change_pct": "percent", "cagr_pct": "percent",
    "pressure": "points",
}
"""How a table column is shown when the table does not say otherwise."""


def cell_text(column: str, value: object, formats: Mapping[str, str] | None = None) -> str:
    """The text of one table cell: formatted by the column's format, dates as ISO."""
    if _missing(value):
        return ""
    kind = (formats or {}).get(column) or COLUMN_FORMATS.get(column)
    if kind and kind != "text" and isinstance(value, int | float) and not isinstance(value,
                                                                                     bool):
        return FORMATTERS[kind](value)  # type: ignore[misc]
    if isinstance(value, pd.Timestamp):
        return iso(value)
    if isinstance(value, float):
        return _sig(value, 4) if abs(value) < 1e15 else f"{value:.3g}"
    return str(value)


def _nice_step(span: float, target: int) -> float:
    """The smallest step of 1, 2, 2.5 or 5 times a power of ten that cuts ``span`` into at
    most ``target`` intervals."""
    raw = span / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw * (1 - 1e-9):
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def _log_values(vmin: float, vmax: float, target: int) -> list[float]:
    """Tick values of a log axis: powers of ten, with 2 and 5 (or 2 to 9) between them when
    the range spans few decades."""
    low, high = math.floor(math.log10(vmin)), math.ceil(math.log10(vmax))
    decades = max(high - low, 1)
    step = math.ceil(decades / target)
    mantissas = ((1, 2, 3, 5) if decades <= 1 else (1, 2, 5) if decades * 3 <= target + 1
                 else (1,))
    values = [m * 10.0 ** e for e in range(low, high + 1, step) for m in mantissas]
    inside = [v for v in values if vmin * (1 - 1e-9) <= v <= vmax * (1 + 1e-9)]
    if len(inside) >= 2:  # one tick below and above the range keep the ends labelled
        below = [v for v in values if v < vmin * (1 - 1e-9)][-1:]
        above = [v for v in values if v > vmax * (1 + 1e-9)][:1]
        return below + inside + above
    return values


TICK_FORMATS = {"number": number, "usd": money, "percent": percent, "points": number}


def ticks(vmin: float, vmax: float, log: bool = False, kind: str = "number",
          target: int = 6) -> tuple[list[float], list[str]]:
    """Tick values and labels of an axis or colour bar from ``vmin`` to ``vmax``, written
    as people read them (8.5 M, USD 2 bn, 30 %; never plotly's "G"): round steps on a
    linear axis (from the step below ``vmin`` to the step above ``vmax``), powers of ten
    (and 2, 5 between them) on a log axis. ``kind`` is number, usd, percent or points."""
    fmt = TICK_FORMATS[kind]
    if _missing(vmin) or _missing(vmax):
        return [], []
    vmin, vmax = float(min(vmin, vmax)), float(max(vmin, vmax))
    if log:
        vmin = vmin if vmin > 0 else 1.0
        vmax = max(vmax, vmin)
        values = _log_values(vmin, vmax, target)
    else:
        if vmax == vmin:
            vmax, vmin = (vmin + 1, vmin - 1) if vmin == 0 else (vmin + abs(vmin) / 2,
                                                                  vmin - abs(vmin) / 2)
        step = _nice_step(vmax - vmin, target)
        first, last = math.floor(vmin / step + 1e-9), math.ceil(vmax / step - 1e-9)
        values = [round(i * step, 12) for i in range(first, last + 1)]
        values = [0.0 if v == 0 else v for v in values]
    return values, [fmt(v) for v in values]


__all__ = ["cell_text", "day", "iso", "money", "number", "percent", "plural", "points",
           "ticks"]
