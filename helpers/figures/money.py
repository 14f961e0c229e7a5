"""Workforce figures and investment commitments, as bars."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from helpers import formatting
from helpers.figures.common import (
    coded_label,
    empty_figure,
    esc,
    make_figure,
    range_notes,
    with_hover,
)
from helpers.figures.style import TEMPLATE


def workforce_figure(workforce: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars: each workforce figure by place and scope, coloured by metric."""
    title = esc(title or "Where TikTok and ByteDance hire, employ and cut jobs")
    rows = workforce[workforce["value"].notna()]
    if rows.empty:
        return empty_figure("No workforce figures match this selection.", title)
    rows = with_hover(rows).sort_values(["_label", "date"])
    scope = rows["_scope"].where(rows["_scope"] == "", " · " + rows["_scope"])
    rows = rows.assign(_y=rows["_label"] + scope + " (" + rows["date"].dt.strftime("%Y") + ")",
                       _horizon=rows["horizon_years"].map(
                           lambda h: f"over {h:g} years" if pd.notna(h) else ""),
                       _employer=coded_label(rows, "employer").map(esc),
                       _range=range_notes(rows))
    traces = []
    for metric, group in rows.groupby(rows["metric"].astype(str), sort=True):
        label = str(group["_metric"].iloc[0])
        traces.append(dict(
            type="bar", y=group["_y"].to_numpy(), x=group["value"].to_numpy(), orientation="h",
            name=label, meta={"kind": "workforce", "metric": metric},
            customdata=group[["_day", "_claim", "_src", "_horizon", "_employer",
                              "_range", "_fmt"]].to_numpy(),
            hovertemplate=("<b>%{y}</b><br>%{customdata[6]} people " + label
                           + " %{customdata[3]}<br>%{customdata[4]} · %{customdata[0]}"
                           "%{customdata[5]}<br>%{customdata[1]} · %{customdata[2]}"
                           "<extra></extra>")))
    categories = list(dict.fromkeys(rows["_y"]))[::-1]
    return make_figure(traces, layout=dict(
        template=TEMPLATE, title=dict(text=title), barmode="overlay",
        height=max(420, 22 * len(categories) + 160),
        xaxis=dict(title=dict(text="people (log scale)"), type="log"),
        yaxis=dict(title=dict(text=""), categoryorder="array", categoryarray=categories,
                   automargin=True)))


def investments_figure(investments: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Stacked bars (linear axis) of announced investments in USD by place and purpose.

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
    order = (quantified.groupby("_label")["amount_usd"].sum().sort_values(ascending=False)
             .index.tolist())
    traces = []
    for category, group in quantified.groupby(quantified["category"].astype(str), sort=True):
        traces.append(dict(
            type="bar", x=group["_label"].to_numpy(), y=group["amount_usd"].to_numpy(),
            name=str(group["_purpose"].iloc[0]),
            meta={"kind": "investments", "category": category},
            customdata=group[["_month", "_money", "_fx", "_scope", "_src", "_claim",
                              "_range", "_usd"]].to_numpy(),
            hovertemplate=("<b>%{x}</b>: %{customdata[3]}<br>%{customdata[7]} "
                           "(%{customdata[1]} at the %{customdata[2]} average rate)"
                           "%{customdata[6]}<br>announced %{customdata[0]} · %{customdata[5]}"
                           "<br>%{customdata[4]}<extra></extra>")))
    subtitle = (f"{formatting.plural(unquantified, 'further commitment')} without a stated "
                "amount not drawn" if unquantified else "")
    return make_figure(traces, layout=dict(
        template=TEMPLATE, barmode="stack",
        title=dict(text=title + (f"<br><sup>{subtitle}</sup>" if subtitle else "")),
        yaxis=dict(title=dict(text="USD (converted at the yearly average rate)")),
        xaxis=dict(title=dict(text=""), categoryorder="array", categoryarray=order)))
