"""The only place that touches plotly's private internals, for the explorers' hot path.

- ``go.Figure(..., _validate=False)``: builds a figure without per-property validation
  (the switch plotly's own template loading uses). Validation is most of the cost of an
  explorer update; every figure is also built validated in the tests, which check that
  both ways give the same JSON.
- ``BasePlotlyType._props``: the raw properties of a trace or layout, compared by the
  FigureWidget sync to send only what changed (``to_plotly_json`` base64-encodes arrays).

``tests/test_figures.py`` guards both: when a plotly release drops them, the guard test
fails and the code here falls back to the public, slower path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
