"""The look shared by every figure: the ``atlas`` plotly template, colours of derived
statuses, and small colour helpers. Colours and symbols of coded values (event types, claim
types) come from the data package, carried by the rows (``event_colour``, ``claim_symbol``)."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE = "atlas"
PALETTE = ["#2f6db5", "#e4572e", "#29a36a", "#f2a541", "#7d5ba6", "#17a5b8", "#c44e9c",
           "#8c6d31", "#5f6b7a", "#b6a300", "#d1495b", "#00798c", "#1b1b7a", "#ff7f0e",
           "#6b8e23", "#a0522d", "#4b0082", "#2e8b57", "#dc143c", "#708090", "#b8860b",
           "#008b8b", "#9932cc", "#556b2f"]
STATUS_COLOURS = {"no national restriction": "#f0f0f0", "ban lifted": "#a6dba0",
                  "partial restrictions": "#fdd49e",
                  "temporarily blocked": "#fc8d59", "banned nationwide": "#b30000"}
"""Colours of the derived statuses of the status map (``metrics.STATUS_LEVELS``)."""
FALLBACK_COLOUR = "#555555"
Y_MODES = {"value": "people", "share_pct": "% of population",
           "change_pct": "% change since base date"}

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font=dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13,
                  color="#1f2933"),
        colorway=PALETTE, paper_bgcolor="white", plot_bgcolor="white",
        title=dict(x=0.01, xanchor="left", font=dict(size=17)),
        xaxis=dict(gridcolor="#e5e9f0", zeroline=False, linecolor="#9aa5b1", ticks="outside"),
        yaxis=dict(gridcolor="#e5e9f0", zeroline=False, linecolor="#9aa5b1", ticks="outside"),
        hoverlabel=dict(bgcolor="white", font=dict(size=12), align="left"),
        legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, title=dict(text="")),
        margin=dict(l=70, r=30, t=70, b=90),
    )
)


def template_json() -> dict:
    """The atlas template as plain JSON (an unvalidated figure cannot resolve its name)."""
    return pio.templates[TEMPLATE].to_plotly_json()


def rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` with an opacity, as CSS ``rgba()``."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
