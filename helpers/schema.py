"""The vocabularies of the data package: event types, and the labels and marker symbols of
every enumerated field.

Nothing here restates a value: event types come from ``event_types.csv`` (the vocabulary
table that ``events.event_type`` refers to), the other vocabularies from the enums of
``datapackage.json`` and their ``x-labels`` / ``x-symbols``. A new event type is a new row of
``event_types.csv``; a new metric is a new enum value with its label. Results are cached per
data package and re-read when any of its files changes (as :func:`helpers.data.load_table`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from helpers.data import (
    LABELS_KEY,
    SYMBOLS_KEY,
    VOCABULARY_KEY,
    fields,
    load_table,
    package_signature,
    vocabulary,
)
from helpers.data import resource as _resource

DataDir = str | os.PathLike[str] | None


@dataclass(frozen=True)
class EventType:
    """One row of ``event_types.csv``: what an event type is and how it is drawn and scored."""

    code: str
    category: str          # "regulatory" | "business"
    label: str
    restriction: str       # "ban" | "block" | "partial" | "lift" | ""
    pressure_weight: float
    amount_scaled: bool
    on_growth_chart: bool
    colour: str
    symbol: str
    description: str


_cache: dict[str, tuple[tuple, dict[Any, Any]]] = {}


def _memo(data_dir: DataDir) -> dict[Any, Any]:
    """Values derived from the package at ``data_dir``, valid while its files are unchanged."""
    signature = package_signature(data_dir)
    cached = _cache.get(signature[0])
    if cached is None or cached[0] != signature:
        cached = (signature, {})
        _cache[signature[0]] = cached
    return cached[1]


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def event_types(data_dir: DataDir = None) -> dict[str, EventType]:
    """Every event type of ``event_types.csv`` by code, in file order."""
    memo = _memo(data_dir)
    if "event_types" not in memo:
        found = vocabulary("events", "event_type", data_dir)
        if found is None:
            raise KeyError("events.event_type refers to no vocabulary table in datapackage.json")
        table = load_table(found[0], data_dir)
        memo["event_types"] = {
            str(row[found[1]]): EventType(
                code=str(row[found[1]]), category=_text(row["category"]),
                label=_text(row["label"]), restriction=_text(row["restriction"]),
                pressure_weight=float(row["pressure_weight"]),
                amount_scaled=_text(row["amount_scaled"]) == "yes",
                on_growth_chart=_text(row["on_growth_chart"]) == "yes",
                colour=_text(row["colour"]), symbol=_text(row["symbol"]),
                description=_text(row["description"]))
            for row in table.to_dict("records")}
    return dict(memo["event_types"])


def _vocabulary(name: str, field: str, data_dir: DataDir
                ) -> tuple[list[str], dict[str, str], dict[str, str]] | None:
    """Values, labels and symbols of field ``field`` of table ``name``: from its enum and
    x-labels / x-symbols, or from the vocabulary table it refers to (or is the key of);
    None for a field without enumerated values."""
    memo = _memo(data_dir)
    key = ("vocabulary", name, field)
    if key in memo:
        return memo[key]
    by_name = {f["name"]: f for f in fields(name, data_dir)}
    if field not in by_name:
        raise KeyError(f"no field {field!r} in table {name!r}; fields: {', '.join(by_name)}")
    spec = by_name[field]
    allowed = (spec.get("constraints") or {}).get("enum")
    found = vocabulary(name, field, data_dir)
    own = _resource(name, data_dir)
    if found is None and own.get(VOCABULARY_KEY) is True \
            and own["schema"].get("primaryKey") in (field, [field]):
        found = (name, field)
    result: tuple[list[str], dict[str, str], dict[str, str]] | None = None
    if allowed is not None:
        result = ([str(v) for v in allowed], dict(spec.get(LABELS_KEY, {})),
                  dict(spec.get(SYMBOLS_KEY, {})))
    elif found is not None:
        table = load_table(found[0], data_dir)
        values = [str(v) for v in pd.unique(table[found[1]].dropna().astype(str))]
        columns = {}
        for column in ("label", "symbol"):
            if column in table:
                columns[column] = {str(k): _text(v) for k, v in
                                   zip(table[found[1]], table[column], strict=True)
                                   if pd.notna(k) and _text(v)}
        result = (values, columns.get("label", {}), columns.get("symbol", {}))
    memo[key] = result
    return result


def _required(name: str, field: str, data_dir: DataDir
              ) -> tuple[list[str], dict[str, str], dict[str, str]]:
    found = _vocabulary(name, field, data_dir)
    if found is None:
        raise KeyError(f"{name}.{field} has no enumerated values (no enum in datapackage.json "
                       "and no vocabulary table)")
    return found


def enum(resource: str, field: str, data_dir: DataDir = None) -> list[str]:
    """The allowed values of ``resource.field``, in order: its enum, or the keys of the
    vocabulary table it refers to (``events.event_type``: the event types)."""
    return list(_required(resource, field, data_dir)[0])


def labels(resource: str, field: str, data_dir: DataDir = None) -> dict[str, str]:
    """Reader label of every value of ``resource.field``, in enum order: its ``x-labels``,
    or the vocabulary table's ``label`` column (``events.event_type``: the event types'
    labels); a value without one reads as itself with spaces for underscores."""
    values, named, _ = _required(resource, field, data_dir)
    return {v: named.get(v) or v.replace("_", " ") for v in values}


def symbols(resource: str, field: str, data_dir: DataDir = None) -> dict[str, str]:
    """Plotly marker symbol of the values of ``resource.field`` that have one (its
    ``x-symbols``, or the vocabulary table's ``symbol`` column), in enum order."""
    values, _, named = _required(resource, field, data_dir)
    return {v: named[v] for v in values if v in named}


def label(resource: str, field: str, value: str, data_dir: DataDir = None) -> str:
    """The reader label of one value of ``resource.field``; a value (or field) without one
    reads as itself with spaces for underscores."""
    found = _vocabulary(resource, field, data_dir)
    named = found[1] if found is not None else {}
    return named.get(str(value)) or str(value).replace("_", " ")


__all__ = ["EventType", "enum", "event_types", "label", "labels", "symbols"]
