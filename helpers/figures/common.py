"""What every figure builder shares: the figure constructor, escaped hover text computed
once per frame, fast grouping into traces, and the figure that says there is nothing to draw.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import formatting
from helpers.figures import layout
from helpers.figures.fastpath import new_figure, validating
from helpers.figures.style import FALLBACK_COLOUR, TEMPLATE, template_json


def make_figure(data: object = None, layout: dict | None = None) -> go.Figure:
    """A figure with the atlas template (unvalidated inside ``fastpath.unvalidated``) that
    fills the width of its output or page (``autosize``; plotly.js draws 700 px wide
    without it in a FigureWidget)."""
    layout = {"autosize": True, **(layout or {})}
    if not validating() and layout.get("template") == TEMPLATE:
        layout = {**layout, "template": template_json()}
    return new_figure(data, layout)


def esc(value: object) -> str:
    """HTML-escaped text for hover labels and annotations (data text is never markup)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=False)


def coded_label(frame: pd.DataFrame, column: str) -> pd.Series:
    """The reader label of a coded column: its ``<column>_label`` when the rows carry it
    (joined by ``Atlas`` from the data package), else the code with spaces."""
    codes = frame[column].astype(str)
    fallback = codes.str.replace("_", " ")
    if f"{column}_label" in frame:
        return frame[f"{column}_label"].astype("string").fillna(fallback).astype(str)
    return fallback


def source_lines(frame: pd.DataFrame) -> pd.Series:
    """'Publisher, date' per row, escaped (vectorised)."""
    if "source_publisher" not in frame:
        return pd.Series("", index=frame.index, dtype="string")
    pub = frame["source_publisher"].map(esc).astype("string")
    if "source_published" not in frame:
        return pub
    when = frame["source_published"].astype("string").fillna("").map(esc).astype("string")
    return pub.where(when == "", pub + ", " + when)


def date_labels(frame: pd.DataFrame, column: str = "date") -> pd.Series:
    """Dates written as precisely as they are known."""
    dates = frame[column]
    precision = (frame["date_precision"].astype(str) if "date_precision" in frame
                 else pd.Series("day", index=frame.index))
    out = dates.dt.strftime("%d %b %Y")
    out = out.where(~precision.isin(["month", "quarter"]), dates.dt.strftime("%b %Y"))
    out = out.where(precision != "year", dates.dt.strftime("%Y"))
    return out.fillna("open")


def range_notes(frame: pd.DataFrame, prefix: str = "") -> pd.Series:
    """Hover text on how many sources stand behind a figure counted once, and their range
    where they disagree (empty for rows that are not counted commitments)."""
    if "sources" not in frame:
        return pd.Series("", index=frame.index, dtype="string")
    many = frame["sources"].fillna(1) > 1
    text = pd.Series("", index=frame.index, dtype="string")
    text[many] = "<br>" + frame.loc[many, "sources"].astype(int).astype(str) + " sources"
    split = many & frame["disagree"].fillna(False).astype(bool)
    text[split] = (text[split] + " disagree: " + prefix
                   + frame.loc[split, "value_low"].map(formatting.number) + " to " + prefix
                   + frame.loc[split, "value_high"].map(formatting.number))
    return text


EMPTY_PLOT = 240
"""px of the message's place."""


def empty_figure(message: str, title: str | None = None) -> go.Figure:
    """A figure that says there is nothing to draw (used when a selection is empty)."""
    frame = layout.frame(title or "", EMPTY_PLOT)
    fig = go.Figure(layout=dict(template=TEMPLATE, **frame))
    fig.add_annotation(text=esc(message), x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font=dict(size=15, color="#52606d"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.layout.meta = {"empty": True}
    return fig


def geo_labels(frame: pd.DataFrame) -> pd.Series:
    """Place names, HTML-escaped (they become trace names, categories and tick labels)."""
    if "geo_name" in frame:
        names = frame["geo_name"].astype("string").fillna(frame["geo"].astype("string"))
    else:
        names = frame["geo"].astype("string")
    return names.map(esc).astype("string")


def groups(frame: pd.DataFrame, keys: Sequence[str], columns: Sequence[str]
           ) -> list[tuple[tuple[str, ...], dict[str, np.ndarray]]]:
    """Rows split by ``keys`` (sorted, row order kept within a group) as numpy columns.

    Much faster than iterating a pandas groupby over wide frames, which matters for widget
    updates (see benchmarks/README.md)."""
    if frame.empty:
        return []
    codes, uniques = [], []
    for key in keys:
        code, unique = pd.factorize(frame[key].astype(str), sort=True)
        codes.append(code)
        uniques.append(unique)
    combined = np.zeros(len(frame), dtype=np.int64)
    for code, unique in zip(codes, uniques, strict=True):
        combined = combined * len(unique) + code
    order = np.argsort(combined, kind="stable")
    combined = combined[order]
    starts = np.flatnonzero(np.r_[True, combined[1:] != combined[:-1]])
    ends = np.r_[starts[1:], len(combined)]
    data = {c: frame[c].to_numpy()[order] for c in columns}
    out = []
    for start, end in zip(starts, ends, strict=True):
        first = order[start]
        key = tuple(str(unique[code[first]]) for code, unique in zip(codes, uniques,
                                                                      strict=True))
        out.append((key, {c: values[start:end] for c, values in data.items()}))
    return out


def with_hover(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the escaped hover-text columns every figure uses (``_label``, ``_src``,
    ``_when``, ...). Computed once per frame; a frame that has them is returned as it is."""
    if "_src" in frame or frame.empty and "_label" in frame:
        return frame
    cols: dict[str, object] = {"_label": geo_labels(frame), "_src": source_lines(frame)}
    if "date" in frame:
        cols["_when"] = date_labels(frame)
        cols["_day"] = frame["date"].dt.strftime("%Y-%m-%d")
    if "claim_type" in frame:
        cols["_claim"] = coded_label(frame, "claim_type").map(esc)
    for column, target in (("source_title", "_stitle"), ("title", "_title"),
                           ("authority", "_auth"), ("subdivision", "_subdiv"),
                           ("scope", "_scope")):
        if column in frame:
            cols[target] = frame[column].map(esc).astype("string").fillna("")
    if "value" in frame:
        cols["_fmt"] = frame["value"].map(formatting.number)
    if "metric" in frame:
        cols["_metric"] = coded_label(frame, "metric").map(esc)
    if "status_after" in frame:
        cols["_status"] = coded_label(frame, "status_after").map(esc)
    if "amount" in frame and "currency" in frame:
        money = frame["amount"].map(formatting.number) + " " + frame["currency"].astype(str)
        cols["_money"] = money.where(frame["amount"].notna(), "")
    return frame.assign(**cols)


def with_event_style(events: pd.DataFrame) -> pd.DataFrame:
    """Events with ``_type`` (escaped label), ``_colour`` and ``_symbol`` of their type (as
    the data package gives them; a grey circle for rows without)."""
    return events.assign(
        _type=coded_label(events, "event_type").map(esc),
        _colour=(events["event_colour"].astype("string").fillna(FALLBACK_COLOUR)
                 if "event_colour" in events else FALLBACK_COLOUR),
        _symbol=(events["event_symbol"].astype("string").fillna("circle")
                 if "event_symbol" in events else "circle"))


def event_marker(colour: str, symbol: str, size: int = 11) -> dict:
    """The marker of an event type that reads at any size: open and thin symbols (drawn by
    their outline only) get a thick outline of their own colour, filled ones a thin dark
    one."""
    if symbol.endswith("-open") or "-thin" in symbol:
        line = dict(width=2.5, color=colour)
    else:
        line = dict(width=0.75, color="#1f2933")
    return dict(size=size, color=colour, symbol=symbol, line=line)


def with_series_style(users: pd.DataFrame) -> pd.DataFrame:
    """User figures with ``_segment`` (label) and ``_symbol`` (of their claim type)."""
    return users.assign(
        _segment=coded_label(users, "segment") if "segment" in users else "",
        _symbol=(users["claim_symbol"].astype(str) if "claim_symbol" in users
                 else "circle"))


HOVERED_TABLES = ("users", "workforce", "investments", "events", "episodes")


def prepare_hover(atlas: object) -> None:
    """Give the atlas's tables their hover columns once (``with_hover``), so that a figure
    built from any slice of them finds them ready: the explorers' updates then only slice.
    Idempotent; the columns start with ``_`` and no CSV or table shows them."""
    for name in HOVERED_TABLES:
        frame = getattr(atlas, name)
        if "_src" not in frame:
            atlas.__dict__[name] = with_hover(frame)  # replaces the cached property's value
