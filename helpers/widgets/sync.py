"""Keep a ``plotly.graph_objects.FigureWidget`` showing a freshly built figure, sending only
what changed (traces of the same kinds are updated in place; anything else is replaced)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from helpers.figures.fastpath import keep_widget_state, raw_properties


def replace_figure(target: go.FigureWidget, source: go.Figure) -> None:
    """Swap the traces and layout of ``target`` for those of ``source`` in one update."""
    with target.batch_update():
        target.data = ()
        target.add_traces(list(source.data))
        target.layout = source.layout


def _same(a: object, b: object) -> bool:
    try:
        return bool(np.array_equal(a, b)) if isinstance(a, np.ndarray | list) else a == b
    except (TypeError, ValueError):
        return False


def _changes(old: dict, new: dict) -> dict:
    changed = {k: v for k, v in new.items() if k not in old or not _same(old[k], v)}
    changed.update({k: None for k in old if k not in new})
    return changed


def sync_figure(target: go.FigureWidget, last: dict | None, source: go.Figure) -> dict:
    """Make ``target`` show ``source``, sending only what changed since ``last`` (the raw
    properties this function returned the previous time), and keep the widget's synced state
    equal to it (a new view draws from the state). Returns what is now shown."""
    shown = _sync(target, last, source)
    keep_widget_state(target)
    return shown


def _placeholder(kind: str) -> dict:
    """A hidden, empty trace that keeps a slot when a figure has fewer traces than before."""
    return {"type": kind, "visible": False, "showlegend": False, "hoverinfo": "skip",
            "meta": {"kind": "unused slot"}}


def _sync(target: go.FigureWidget, last: dict | None, source: go.Figure) -> dict:
    """Traces of the same kinds are updated in place in one batch (a single redraw in the
    page); fewer traces than before leave hidden empty slots instead of deleted traces, more
    add only the extra ones. A figure of other trace kinds is replaced whole."""
    data = [raw_properties(t) for t in source.data]
    layout = raw_properties(source.layout)
    if layout is None or any(d is None for d in data):  # pragma: no cover - plotly changed
        replace_figure(target, source)
        return {}
    old_data = (last or {}).get("data")
    if old_data is None or len(old_data) != len(target.data):
        replace_figure(target, source)
        return {"data": data, "layout": layout}
    slots = data + [_placeholder(old["type"]) for old in old_data[len(data):]]
    common = min(len(old_data), len(slots))
    if any(o.get("type") != n.get("type") for o, n in zip(old_data, slots[:common],
                                                           strict=True)):
        replace_figure(target, source)
        return {"data": data, "layout": layout}
    with target.batch_update():
        for trace, old, fresh in zip(target.data, old_data, slots, strict=False):
            changed = _changes(old, fresh)
            if changed:
                trace.update(changed, overwrite=True)
        old_layout = (last or {}).get("layout", {})
        if set(old_layout) - set(layout):  # a property to remove: the layout whole
            target.layout = source.layout
        else:
            changed = _changes(old_layout, layout)
            if changed:
                target.layout.update(changed, overwrite=True)
    if len(slots) > len(old_data):
        target.add_traces(list(source.data[len(old_data):]))
    return {"data": slots, "layout": layout}
