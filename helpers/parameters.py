"""The notebooks' parameters: their names come from each notebook's ``parameters`` cell, and
every value a report or an export passes is checked against its type and the data's
vocabularies before a kernel starts. A name that is not a parameter is refused, so no
``--param`` can be pasted into a notebook as code."""

from __future__ import annotations

import ast
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from helpers.atlas import Atlas

SET_BY_BUILDER = frozenset({"report_mode", "csv_dir", "data_dir"})
"""Parameters the report builder sets itself (``--data-dir`` chooses the data)."""
ALL = "All"


class ParameterError(ValueError):
    """A parameter is unknown or its value is not allowed; the message says what is."""


@dataclass
class Parameter:
    """One name of a notebook's ``parameters`` cell, its default and its comment."""

    name: str
    default: Any
    comment: str
    notebooks: list[str] = field(default_factory=list)


def notebook_parameters(path: Path) -> dict[str, Parameter]:
    """The assignments of the cell tagged ``parameters`` in notebook ``path``."""
    nb = nbformat.read(path, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        return {}
    lines = cell.source.splitlines()
    found: dict[str, Parameter] = {}
    for node in ast.parse(cell.source).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            try:
                default = ast.literal_eval(node.value)
            except ValueError:
                continue
            comment = lines[node.lineno - 1].partition("#")[2].strip()
            name = node.targets[0].id
            found[name] = Parameter(name, default, comment, [path.stem])
    return found


def parameters_of(paths: Iterable[Path]) -> dict[str, Parameter]:
    """The parameters a user may set for these notebooks (builder-set ones excluded)."""
    merged: dict[str, Parameter] = {}
    for path in paths:
        for name, param in notebook_parameters(path).items():
            if name in SET_BY_BUILDER:
                continue
            if name in merged:
                merged[name].notebooks.append(path.stem)
            else:
                merged[name] = param
    return merged


def check_parameters(params: Mapping[str, Any], paths: Iterable[Path],
                     atlas: Atlas) -> dict[str, Any]:
    """``params`` checked against the notebooks' parameters and the data; raises
    :class:`ParameterError` naming the parameter, what is allowed and what was found."""
    paths = list(paths)
    known = parameters_of(paths)
    problems = []
    for name in params:
        if name in SET_BY_BUILDER:
            problems.append(f"{name!r} is set by the report builder, not by --param"
                            + (" (use --data-dir)" if name == "data_dir" else ""))
        elif name not in known:
            names = ", ".join(sorted(known)) or "(none)"
            problems.append(f"{name!r} is not a parameter of "
                            f"{', '.join(p.stem for p in paths)}; known: {names}")
    vocab = _Vocabulary(atlas)
    for name, value in params.items():
        if name in known:
            check = CHECKS.get(name, _same_type)
            message = check(value, known[name], vocab)
            if message:
                problems.append(f"{name}: expected {message}, found {value!r}")
    problems += _period_problems(params, known)
    if problems:
        raise ParameterError("; ".join(problems))
    return dict(params)


@dataclass
class _Vocabulary:
    """The values the data allows for each parameter."""

    atlas: Atlas

    @property
    def regions(self) -> list[str]:
        return [ALL, *self.atlas.region_names()]

    @property
    def codes(self) -> set[str]:
        return set(self.atlas.regions["code"].astype(str))

    @property
    def years(self) -> tuple[int, int]:
        return self.atlas.years[0], self.atlas.years[-1]

    def enum(self, resource: str, field: str) -> list[str]:
        return [ALL, *self.atlas.labels(resource, field)]

    @property
    def event_types(self) -> list[str]:
        return self.atlas.event_type_codes()

    @property
    def weighted_types(self) -> list[str]:
        return list(self.atlas.default_weights)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _one_of(allowed: list[str]) -> Callable[[Any, Parameter, _Vocabulary], str | None]:
    return lambda value, p, v: None if value in allowed else "one of " + ", ".join(allowed)


def _region(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    return None if value in v.regions else "a region: " + ", ".join(v.regions)


def _year(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    first, last = v.years
    return None if value is None or (_is_int(value) and first <= value <= last) else (
        f"a year from {first} to {last}, or None (the data's first or last year)")


def _place(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    return None if isinstance(value, str) and value in v.codes else (
        "a place code of tiktok_data/regions.csv such as 'USA'")


def _countries(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        return "None (the largest markets) or a list of place codes such as ['USA', 'IND']"
    unknown = [c for c in value if c not in v.codes]
    return f"codes of tiktok_data/regions.csv (unknown: {', '.join(unknown)})" if unknown \
        else None


def _coded(resource: str, field: str) -> Callable[[Any, Parameter, _Vocabulary], str | None]:
    def check(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
        allowed = v.enum(resource, field)
        return None if value in allowed else f"one of {', '.join(allowed)}"
    return check


def _event_types(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(t in v.event_types for t in value):
        return "None (the default types) or a list of event types: " + ", ".join(v.event_types)
    return None


def _half_life(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    return None if value is None or (_is_number(value) and 0 < value <= 100) else (
        "None (no decay) or a number of years above 0")


def _weights(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    if value is None:
        return None
    types = v.weighted_types
    if not isinstance(value, dict) or not all(k in types for k in value) or not all(
            _is_number(w) and 0 <= w <= 1000 for w in value.values()):
        return ("None or a dict of regulatory event type to a weight from 0 to 1000; types: "
                + ", ".join(types))
    return None


def _same_type(value: Any, p: Parameter, v: _Vocabulary) -> str | None:
    """A parameter without its own check takes a value of its default's type."""
    default = p.default
    if default is None:
        return None if value is None or isinstance(value, str | int | float) else (
            "None, a number or a text")
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "True or False"
    if _is_int(default) or isinstance(default, float):
        return None if _is_number(value) else "a number"
    kind = type(default)
    return None if isinstance(value, kind) else f"a {kind.__name__}"


CHECKS: dict[str, Callable[[Any, Parameter, _Vocabulary], str | None]] = {
    "region": _region,
    "start": _year,
    "end": _year,
    "base_year": _year,
    "map_year": _year,
    "status_year": _year,
    "countries": _countries,
    "claims_place": _place,
    "metric": _coded("users", "metric"),
    "map_metric": _coded("users", "metric"),
    "claim_type": _coded("users", "claim_type"),
    "workforce_metric": _coded("workforce", "metric"),
    "employer": _coded("workforce", "employer"),
    "purpose": _coded("investments", "category"),
    "map_purpose": _coded("investments", "category"),
    "category": _one_of([ALL, "regulatory", "business"]),
    "y": _one_of(["value", "share_pct", "change_pct"]),
    "map_show": _one_of(["value", "share_pct"]),
    "log_y": lambda value, p, v: None if isinstance(value, bool) else "True or False",
    "event_types": _event_types,
    "timeline_types": _event_types,
    "freq": _one_of(["year", "quarter"]),
    "half_life_years": _half_life,
    "weights": _weights,
}
"""How each parameter of the notebooks is checked (others: the type of their default)."""


def _period_problems(params: Mapping[str, Any], known: Mapping[str, Parameter]) -> list[str]:
    if "start" not in known or "end" not in known:
        return []
    start, end = params.get("start", known["start"].default), params.get("end",
                                                                        known["end"].default)
    if _is_int(start) and _is_int(end) and start > end:
        return [f"start ({start}) must not be after end ({end})"]
    return []


__all__ = ["ParameterError", "check_parameters", "notebook_parameters", "parameters_of"]
