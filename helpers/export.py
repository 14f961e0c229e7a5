"""CSV files that open safely in a spreadsheet: text that a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``, tab or carriage return first) gets a leading single
quote, the usual practice (OWASP "CSV injection"), so it shows as text. Numbers stay numbers.
Used for every CSV the project writes: the report's ``data/`` files and the explorers'
download links."""

from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def neutralise(value: object) -> object:
    """``value`` with a leading quote when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(
            value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not \
                pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise)
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as spreadsheet-safe CSV text (UTF-8, Unix newlines, no index)."""
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n")


__all__ = ["csv_text", "neutralise", "spreadsheet_safe"]
