"""The only place that touches plotly's private internals, for the explorers' hot path.

- ``go.Figure(..., _validate=False)``: builds a figure without per-property validation
  (the switch plotly's own template loading uses). Validation is most of the cost of an
  explorer update; every figure is also built validated in the tests, which check that
  both ways give the same JSON.
- ``BasePlotlyType._props``: the raw properties of a trace or layout, compared by the
  FigureWidget sync to send only what changed (``to_plotly_json`` base64-encodes arrays).

- ``BaseFigureWidget._widget_data`` / ``_widget_layout``: the FigureWidget's synced state.
  plotly sets it when the widget is created or displayed on its own, and sends later changes
  as messages only; a new view (a page reload, a second view, Voila) is drawn from the state,
  so an explorer's charts (filled after they are created, shown inside a Box) came back
  empty. :func:`keep_widget_state` puts the current figure into the state after each update
  (before the explorer is first displayed, too); :func:`widget_state` reads it.

- ``BaseFigureWidget._config``: the plotly.js config the widget is drawn with (synced state,
  so a reload keeps it); :func:`set_widget_config` sets it (e.g. ``topojsonURL``).

``tests/test_figures.py`` guards them: when a plotly release drops them, the guard test
fails and the code here falls back to the public, slower path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from typing import Any

import plotly.graph_objects as go

_VALIDATE: ContextVar[bool] = ContextVar("atlas_validate_figures", default=True)


@contextmanager
def unvalidated() -> Iterator[None]:
    """Build figures without plotly's per-property validation inside this block."""
    token = _VALIDATE.set(False)
    try:
        yield
    finally:
        _VALIDATE.reset(token)


def validating() -> bool:
    """False inside :func:`unvalidated`."""
    return _VALIDATE.get()


def new_figure(data: object, layout: dict | None) -> go.Figure:
    """``go.Figure(data, layout)``, unvalidated inside :func:`unvalidated` when plotly still
    has the switch (else validated: slower, same figure)."""
    if not _VALIDATE.get():
        try:
            return go.Figure(data=data, layout=layout, _validate=False)
        except TypeError:  # pragma: no cover - a plotly without the switch
            pass
    return go.Figure(data=data, layout=layout)


def raw_properties(obj: Any) -> dict[str, Any] | None:
    """The raw properties of a trace or layout (numpy arrays kept), or None when plotly no
    longer exposes them."""
    props = getattr(obj, "_props", None)
    return dict(props) if isinstance(props, dict) else None


def keep_widget_state(widget: go.FigureWidget) -> None:
    """Put the widget's current traces and layout into its synced state, so that every new
    view of it (a reload, a second view, Voila) draws the current figure."""
    layout = getattr(widget, "_layout_obj", None)
    if layout is None or not hasattr(widget, "_widget_data"):  # pragma: no cover
        return
    widget._widget_layout = deepcopy(layout._props)
    widget._widget_data = deepcopy(widget._data)


def widget_state(widget: go.FigureWidget) -> dict[str, Any] | None:
    """What a new view of ``widget`` draws (a reload, Voila's page): its synced traces and
    layout as a figure dict, or None when plotly no longer keeps them."""
    if not hasattr(widget, "_widget_data") or not hasattr(widget, "_widget_layout"):
        return None  # pragma: no cover - plotly changed
    return {"data": widget._widget_data, "layout": widget._widget_layout}


def set_widget_config(widget: go.FigureWidget, config: dict) -> None:
    """Draw ``widget`` with these plotly.js config options (kept in its synced state)."""
    if hasattr(widget, "_config"):
        widget._config = {**(widget._config or {}), **config}


def fit_width_when_shown(widget: go.FigureWidget) -> None:
    """Redraw ``widget`` to its container's width each time a view of it appears.

    plotly's FigureWidget draws a new view before the page has attached it (so at plotly's
    700 px default) and resizes it only on Lumino messages, which anywidget views do not get.
    A view announces itself through ipywidgets' ``_view_count``; by the time the kernel's
    answer (an ``autosize`` relayout, sent as off then on, since an unchanged value sends
    nothing) reaches the page, the view is attached and plotly measures its container."""
    if not hasattr(widget, "_view_count"):  # pragma: no cover - ipywidgets changed
        return

    def refit(change: dict) -> None:
        if (change.get("new") or 0) > (change.get("old") or 0):
            widget.plotly_relayout({"autosize": False})
            widget.plotly_relayout({"autosize": True})

    widget._view_count = 0  # ipywidgets counts views only from a number
    widget.observe(refit, names="_view_count")
