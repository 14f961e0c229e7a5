"""Workforce figures and investment commitments, as bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import formatting
from helpers.figures import layout
from helpers.figures.common import (
    coded_label,
    empty_figure,
    esc,
    make_figure,
    range_notes,
    with_hover,
)
from helpers.figures.style import PALETTE, TEMPLATE

ROW, BAR_WIDTH, LABEL_ABOVE = 32, 0.36, 0.4
"""px per workforce figure; its bar's thickness and its label's height above the bar's
middle, in rows (the label sits just above its own bar, well below the next one)."""
PLACE_CHARS, LABEL_CHARS = 20, 50
INVESTMENT_ROW = 26
"""px per place of the investments chart."""


def _row_label(place: str, scope: str, year: str) -> str:
    """'Place · scope (year)' short enough for a phone: the place without its remark in
    parentheses, the scope cut at a word (hover gives both in full)."""
    head = layout.short_label(place, PLACE_CHARS)
    room = LABEL_CHARS - len(head) - len(year) - 6
    scope = layout.short_label(scope, max(room, 12)) if scope else ""
    return f"{head}{' · ' + scope if scope else ''} ({year})"


def _workforce_rows(workforce: pd.DataFrame) -> pd.DataFrame:
    """The figures drawn, top to bottom, with their hover columns, label and row."""
    rows = with_hover(workforce).sort_values(["_label", "date"])
    year = rows["date"].dt.strftime("%Y")
    scope = rows["_scope"].where(rows["_scope"] == "", " · " + rows["_scope"])
    labels = [_row_label(p, s, y) for p, s, y in zip(rows["_label"], rows["_scope"], year,
                                                        strict=True)]
    return rows.assign(
        _full=rows["_label"] + scope + " (" + year + ")", _short=labels,
        _row=np.arange(len(rows))[::-1].astype(float),
        _horizon=rows["horizon_years"].map(lambda h: f"over {h:g} years" if pd.notna(h)
                                           else ""),
        _employer=coded_label(rows, "employer").map(esc), _range=range_notes(rows))


def workforce_figure(workforce: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars on a log axis, one per workforce figure (never stacked), coloured by
    metric, each with its place, scope and year written above it (labels as wide as the
    plot, so they read on a phone)."""
    title = esc(title or "Where TikTok and ByteDance hire, employ and cut jobs")
    rows = workforce[workforce["value"].notna()]
    if rows.empty:
        return empty_figure("No workforce figures match this selection.", title)
    rows = _workforce_rows(rows)
    low, high = float(rows["value"].min()), float(rows["value"].max())
    left = 10.0 ** np.floor(np.log10(max(low, 1.0)))
    right = 10.0 ** (np.log10(max(high, left * 10)) + 0.12)
    traces = []
    for i, (metric, group) in enumerate(rows.groupby(rows["metric"].astype(str), sort=True)):
        label = str(group["_metric"].iloc[0])
        traces.append(dict(
            type="bar", y=group["_row"].to_numpy(), x=group["value"].to_numpy(),
            orientation="h", width=BAR_WIDTH, name=label,
            marker=dict(color=PALETTE[i % len(PALETTE)]),
            meta={"kind": "workforce", "metric": metric},
            customdata=group[["_day", "_claim", "_src", "_horizon", "_employer",
                              "_range", "_fmt", "_full"]].to_numpy(),
            hovertemplate=("<b>%{customdata[7]}</b><br>%{customdata[6]} people " + label
                           + " %{customdata[3]}<br>%{customdata[4]} · %{customdata[0]}"
                           "%{customdata[5]}<br>%{customdata[1]} · %{customdata[2]}"
                           "<extra></extra>")))
        traces.append(dict(
            type="scatter", mode="text", y=group["_row"].to_numpy() + LABEL_ABOVE,
            x=np.full(len(group), left), text=group["_short"].to_numpy(),
            textposition="middle right", textfont=dict(size=11, color="#1f2933"),
            hoverinfo="skip", showlegend=False, name=label, cliponaxis=False,
            meta={"kind": "workforce labels", "metric": metric}))
    plot = ROW * len(rows)
    names = [t["name"] for t in traces if t["type"] == "bar"]
    return make_figure(traces, layout=dict(
        template=TEMPLATE, **layout.frame(title, plot, names=names, left=20),
        barmode="overlay",
        hovermode="closest",
        xaxis=dict(title=dict(text="people (log scale)"), type="log", automargin=True,
                   range=[float(np.log10(left)), float(np.log10(right))],
                   **layout.axis_ticks(left, right, log=True, kind="number")),
        yaxis=dict(title=dict(text=""), showticklabels=False, showgrid=False, ticks="",
                   zeroline=False, fixedrange=True, range=[-0.5, len(rows)])))


def _stack_ticks(frame: pd.DataFrame) -> dict:
    """Ticks for USD bars stacked per place (from 0 to the largest place's total; the axis
    title says USD)."""
    totals = frame.groupby("_label")["amount_usd"].sum()
    return layout.axis_ticks(0.0, float(totals.max()), kind="number")


def investments_figure(investments: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars of announced investments in USD, one row per place, stacked by
    purpose on a linear axis (never on a log axis, where stacks lie).

    ``investments`` carries ``amount_usd`` (``metrics.to_usd``) and should be counted once
    (``metrics.counted_once``): the hover then gives the number of sources and the range
    where they disagree. Rows without an amount are counted in the subtitle, not drawn.
    """
    title = esc(title or "Announced investments by place and purpose (USD)")
    quantified = investments[investments["amount_usd"].notna()]
    unquantified = len(investments) - len(quantified)
    if quantified.empty:
        return empty_figure("No investment amounts match this selection.", title)
    quantified = with_hover(quantified)
    quantified = quantified.assign(_month=quantified["date"].dt.strftime("%b %Y"),
                                   _fx=quantified["fx_year"].astype("string").fillna(""),
                                   _range=range_notes(quantified, "USD "),
                                   _usd=quantified["amount_usd"].map(formatting.money),
                                   _purpose=coded_label(quantified, "category").map(esc))
    order = (quantified.groupby("_label")["amount_usd"].sum().sort_values(ascending=True)
             .index.tolist())
    traces = []
    for category, group in quantified.groupby(quantified["category"].astype(str), sort=True):
        traces.append(dict(
            type="bar", y=group["_label"].to_numpy(), x=group["amount_usd"].to_numpy(),
            orientation="h", name=str(group["_purpose"].iloc[0]),
            meta={"kind": "investments", "category": category},
            customdata=group[["_month", "_money", "_fx", "_scope", "_src", "_claim",
                              "_range", "_usd"]].to_numpy(),
            hovertemplate=("<b>%{y}</b>: %{customdata[3]}<br>%{customdata[7]} "
                           "(%{customdata[1]} at the %{customdata[2]} average rate)"
                           "%{customdata[6]}<br>announced %{customdata[0]} · %{customdata[5]}"
                           "<br>%{customdata[4]}<extra></extra>")))
    subtitle = (f"{formatting.plural(unquantified, 'further commitment')} without a stated "
                "amount not drawn" if unquantified else "")
    head = title + (f"<br>{subtitle}" if subtitle else "")
    places = [layout.short_label(p, PLACE_CHARS) for p in order]
    return make_figure(traces, layout=dict(
        template=TEMPLATE, **layout.frame(head, INVESTMENT_ROW * len(order) + 20,
                                          names=[t["name"] for t in traces],
                                          left=layout.axis_left(places)),
        barmode="stack", hovermode="closest",
        xaxis=dict(title=dict(text="USD (yearly average rate)"), type="linear",
                   automargin=True, rangemode="tozero", **_stack_ticks(quantified)),
        yaxis=dict(title=dict(text=""), categoryorder="array", categoryarray=order,
                   tickmode="array", tickvals=order, ticktext=places, automargin=True)))
