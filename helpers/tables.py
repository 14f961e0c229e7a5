"""HTML tables, CSV download links and small rich outputs shared by the explorers and the
report pages (below both in the layers: neither imports the other for these)."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.export import csv_text
from helpers.formatting import cell_text

TABLE_ROWS = 60
DATE_COLUMNS = frozenset({"date", "from", "start_date", "end_date", "since", "until"})
"""Columns of dates: never broken over two lines."""

HEADINGS = {"geo_name": "place", "geo": "code", "source_publisher": "publisher",
            "figures": "figures in profile",
            "source_title": "source", "share_pct": "share of population",
            "amount_usd": "USD", "total_usd": "total (USD)", "cagr_pct": "growth per year",
            "change_pct": "change", "value_low": "lowest", "value_high": "highest",
            "horizon_years": "over (years)", "end_sourced": "end sourced"}
"""Column headings readers see (other columns: their name with spaces)."""


def heading(column: str) -> str:
    """The heading of a table column."""
    return HEADINGS.get(column, column.removesuffix("_label").replace("_", " "))


PlaceHref = Callable[[str, str], "str | None"]
"""The address of a place's profile from its code and subdivision ("" for none), or None."""


def _cell(column: str, value: object, url: object,
          formats: Mapping[str, str] | None, place: str | None = None) -> str:
    text = cell_text(column, value, formats)
    if column == "source_title" and isinstance(url, str) and text:
        return (f'<a href="{html.escape(url)}" target="_blank" rel="noopener">'
                f"{html.escape(text)}</a>")
    if place and text:
        return f'<a href="{html.escape(place)}">{html.escape(text)}</a>'
    return html.escape(text)


def _place_hrefs(shown: pd.DataFrame, column: str,
                 place_href: PlaceHref | None) -> list[str | None]:
    """Per row, the profile address for a place-name cell of ``column`` (else None)."""
    none: list[str | None] = [None] * len(shown)
    if place_href is None or "geo" not in shown or column not in ("geo_name", "subdivision",
                                                                  "name"):
        return none
    geos = shown["geo"].astype(str).tolist()
    if column == "subdivision":
        subs = shown[column].astype("string").fillna("").tolist()
        return [place_href(g, s) if s else None for g, s in zip(geos, subs, strict=True)]
    return [place_href(g, "") for g in geos]


def frame_to_html_table(frame: pd.DataFrame, columns: Sequence[str], limit: int = TABLE_ROWS,
                        formats: Mapping[str, str] | None = None,
                        place_href: PlaceHref | None = None,
                        max_height: int | None = 320,
                        headings: Mapping[str, str] | None = None) -> str:
    """An escaped HTML table of the first ``limit`` rows: numbers formatted for reading
    (``helpers.formatting``), source titles linked, place names linked to their profiles
    (with ``place_href``); ``headings`` overrides a column's heading; it scrolls inside
    its own box."""
    columns = [c for c in columns if c in frame.columns]
    shown = frame.head(limit)
    numeric = {c for c in columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    cls = {c: ' class="num"' if c in numeric else ' class="date"' if c in DATE_COLUMNS
           else "" for c in columns}
    named = {c: (headings or {}).get(c) or heading(c) for c in columns}
    head = "".join(f"<th{cls[c]}>{html.escape(named[c])}</th>" for c in columns)
    urls = (shown["source_url"].tolist() if "source_url" in shown else [None] * len(shown))
    values = [shown[c].astype(object).tolist() for c in columns]
    places = [_place_hrefs(shown, c, place_href) for c in columns]
    body = "".join(
        "<tr>" + "".join(
            f"<td{cls[c]}>{_cell(c, v[i], urls[i], formats, p[i])}</td>"
            for c, v, p in zip(columns, values, places, strict=True)) + "</tr>"
        for i in range(len(shown)))
    more = (f"<p class='atlas-more'>Showing {limit} of {len(frame)} rows; the CSV has all of "
            "them.</p>" if len(frame) > limit else "")
    height = f"max-height:{max_height}px;" if max_height else ""
    return (f"<div class='atlas-table' style='{height}overflow:auto;max-width:100%'>"
            "<table style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}")


def csv_download_link(frame: pd.DataFrame, filename: str) -> str:
    """An HTML link that downloads ``frame`` as CSV (a data: URL; works without a kernel)."""
    payload = base64.b64encode(csv_text(frame).encode("utf-8")).decode("ascii")
    return (f'<a download="{html.escape(filename)}" href="data:text/csv;charset=utf-8;base64,'
            f'{payload}">⬇ Download these {len(frame)} rows as CSV</a>')


@dataclass
class HtmlBlock:
    """Plain HTML output (a table or a list) for notebooks and reports."""

    html: str
    text: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html, "text/plain": self.text}


@dataclass
class MarkdownBlock:
    """Markdown output (rendered by JupyterLab and by nbconvert)."""

    text: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/markdown": self.text, "text/plain": self.text}


def plain_table(frame: pd.DataFrame, columns: Sequence[str],
                formats: Mapping[str, str] | None = None) -> str:
    """The rows as aligned plain text, formatted like the HTML table (nbval compares it)."""
    columns = [c for c in columns if c in frame.columns]
    if frame.empty:
        return "(no rows)"
    shown = pd.DataFrame({heading(c): [cell_text(c, v, formats) for v in frame[c].astype(object)]
                          for c in columns})
    return shown.to_string(index=False)


def pressure_formula(weights: Mapping[str, float], labels: Mapping[str, str],
                     half_life_years: float | None, fine_scale_usd: float,
                     subnational_factor: float) -> MarkdownBlock:
    """The pressure index formula and its weights as Markdown (notebooks and reports)."""
    rows = "\n".join(f"| {labels.get(k, k)} | {v:g} |"
                     for k, v in sorted(weights.items(), key=lambda kv: -kv[1]))
    return MarkdownBlock(
        "pressure(place, period) = sum over the regulatory events e of the place in the "
        "period of w[type(e)] × f(e) × s(e)\n\n"
        f"- f(e) = 1 + log10(1 + amount in USD / {fine_scale_usd:,.0f}) for fines, else 1\n"
        f"- s(e) = {subnational_factor:g} for a state or province action, else 1\n"
        f"- {decay_text(half_life_years)}\n\n| event type | weight w |\n|---|---|\n{rows}\n")


def pressure_formula_html(half_life_years: float | None, fine_scale_usd: float,
                          subnational_factor: float) -> str:
    """The formula as formatted HTML, for the explorer beside its weight sliders."""
    return (
        "<div class='atlas-formula' style='font-size:13px;line-height:1.5'>"
        "<b>pressure</b>(place, period) = Σ over the place's regulatory events <i>e</i> in the "
        "period of <i>w</i>[type(<i>e</i>)] × <i>f</i>(<i>e</i>) × <i>s</i>(<i>e</i>)<ul>"
        f"<li><i>f</i>(<i>e</i>) = 1 + log<sub>10</sub>(1 + USD / {fine_scale_usd:,.0f}) for "
        "fines, else 1</li>"
        f"<li><i>s</i>(<i>e</i>) = {subnational_factor:g} for a state or province action, "
        "else 1</li>"
        f"<li>{html.escape(decay_text(half_life_years))}</li></ul>"
        "<i>w</i>: the sliders (points per event type)</div>")


def decay_text(half_life_years: float | None) -> str:
    """What the decay setting means, in words."""
    if half_life_years is None:
        return "no decay: each event counts only in the period of its date"
    return ("decay: an event keeps counting in later periods, halving every "
            f"{half_life_years:g} years")


__all__ = ["HtmlBlock", "MarkdownBlock", "csv_download_link", "frame_to_html_table",
           "plain_table", "pressure_formula"]
