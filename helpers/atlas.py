"""All tables of the package loaded once, joined with their sources, place names and the
meaning the data dictionary gives their codes (labels, colours, roles, weights); the data's
year range. Views, explorers and reports read the data through an :class:`Atlas` only."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from helpers import metrics, schema
from helpers.data import declared_as_of, load_table

LABELLED_FIELDS = ("metric", "segment", "claim_type", "category", "employer", "investor",
                   "status_after", "product")
"""Coded fields that get a ``<field>_label`` column from the descriptor's ``x-labels``."""


@dataclass(frozen=True)
class Atlas:
    """The data package as DataFrames ready for the figures (sources and names joined)."""

    sources: pd.DataFrame
    regions: pd.DataFrame
    users_raw: pd.DataFrame
    workforce_raw: pd.DataFrame
    investments_raw: pd.DataFrame
    events_raw: pd.DataFrame
    fx: pd.DataFrame
    population: pd.DataFrame
    event_types: pd.DataFrame
    declared_as_of: pd.Timestamp | None = None
    data_dir: str | None = field(default=None)

    @classmethod
    def load(cls, data_dir: str | os.PathLike[str] | None = None) -> Atlas:
        """Load and validate every table of ``data_dir`` (default ``tiktok_data/``)."""
        return cls(
            sources=load_table("sources", data_dir),
            regions=load_table("regions", data_dir),
            users_raw=load_table("users", data_dir),
            workforce_raw=load_table("workforce", data_dir),
            investments_raw=load_table("investments", data_dir),
            events_raw=load_table("events", data_dir),
            fx=load_table("fx", data_dir),
            population=load_table("population", data_dir),
            event_types=load_table("event_types", data_dir),
            declared_as_of=declared_as_of(data_dir),
            data_dir=None if data_dir is None else str(data_dir),
        )

    # ------------------------------------------------------------ vocabularies

    def labels(self, resource: str, field_name: str) -> dict[str, str]:
        """Reader labels of a coded field (``x-labels`` in ``datapackage.json``)."""
        return schema.labels(resource, field_name, self.data_dir)

    def label(self, resource: str, field_name: str, value: str) -> str:
        """The reader label of one code (the code with spaces when it has none)."""
        return self.labels(resource, field_name).get(value, str(value).replace("_", " "))

    def symbols(self, resource: str, field_name: str) -> dict[str, str]:
        """Marker symbols of a coded field (``x-symbols`` in ``datapackage.json``)."""
        return schema.symbols(resource, field_name, self.data_dir)

    @cached_property
    def default_weights(self) -> dict[str, float]:
        """Pressure points per regulatory event type, from ``event_types.csv``."""
        return metrics.default_weights(self.event_types)

    def event_type_codes(self, category: str | None = None) -> list[str]:
        """Event types in the order of ``event_types.csv`` (of one category, if given)."""
        types = self.event_types
        if category not in (None, metrics.ALL):
            types = types[types["category"].astype(str) == category]
        return types["event_type"].astype(str).tolist()

    @cached_property
    def growth_chart_event_types(self) -> list[str]:
        """The regulatory event types drawn on the growth chart by default."""
        types = self.event_types
        chosen = (types["category"].astype(str) == "regulatory") & (
            types["on_growth_chart"].astype(str) == "yes")
        return types.loc[chosen, "event_type"].astype(str).tolist()

    # ------------------------------------------------------------ tables

    def _labelled(self, frame: pd.DataFrame, resource: str) -> pd.DataFrame:
        cols = {}
        for name in LABELLED_FIELDS:
            if name in frame:
                labels = self.labels(resource, name)
                if labels:
                    cols[f"{name}_label"] = frame[name].astype(str).map(labels).fillna(
                        frame[name].astype(str).str.replace("_", " ")).astype("string")
        if "claim_type" in frame:
            cols["claim_symbol"] = frame["claim_type"].astype(str).map(
                self.symbols(resource, "claim_type")).fillna("circle").astype("string")
        return frame.assign(**cols)

    def _enrich(self, frame: pd.DataFrame, resource: str) -> pd.DataFrame:
        frame = metrics.with_geo_names(metrics.with_sources(frame, self.sources), self.regions)
        return self._labelled(frame, resource)

    @cached_property
    def users(self) -> pd.DataFrame:
        """Users with source, place and label columns and ``share_pct`` of the population."""
        return metrics.share_of_population(self._enrich(self.users_raw, "users"),
                                           self.population)

    @cached_property
    def workforce(self) -> pd.DataFrame:
        """Workforce figures with source, place and label columns."""
        return self._enrich(self.workforce_raw, "workforce")

    @cached_property
    def investments(self) -> pd.DataFrame:
        """Investments with source, place and label columns and ``amount_usd``."""
        return self._enrich(metrics.to_usd(self.investments_raw, self.fx), "investments")

    @cached_property
    def events_typed(self) -> pd.DataFrame:
        """The raw events with what ``event_types.csv`` says of their type."""
        return metrics.with_event_types(self.events_raw, self.event_types)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Events with type, source and place columns and ``amount_usd`` for fines and deals."""
        return self._enrich(metrics.to_usd(self.events_typed, self.fx), "events")

    @cached_property
    def as_of(self) -> pd.Timestamp:
        """The data's as-of date: the curator's ``x-asOf`` in ``datapackage.json`` (else the
        latest date any row refers to)."""
        if self.declared_as_of is not None:
            return self.declared_as_of
        return max(self.users_raw["date"].max(), self.events_raw["date"].max(),
                   self.workforce_raw["date"].max(), self.investments_raw["date"].max())

    @cached_property
    def years(self) -> list[int]:
        """Every year from the first user figure or event to the as-of date: the range of
        every period control and year slider."""
        first = min(self.users_raw["date"].min().year, self.events_raw["date"].min().year)
        return list(range(int(first), int(self.as_of.year) + 1))

    @cached_property
    def episodes(self) -> pd.DataFrame:
        """Restriction episodes (``metrics.restriction_episodes``) with type, source and
        place columns: the one derivation behind every ban mark, status and "since"."""
        eps = metrics.restriction_episodes(self.events_typed, self.as_of)
        types = self.event_types.set_index(self.event_types["event_type"].astype(str))
        eps = eps.assign(event_type_label=eps["event_type"].astype(str).map(types["label"]),
                         event_colour=eps["event_type"].astype(str).map(types["colour"]))
        return self._enrich(eps, "events")

    # ------------------------------------------------------------ places

    def region_names(self) -> list[str]:
        """World regions present in the regions table, in their documented order."""
        categories = self.regions["region"].cat.categories
        present = set(self.regions["region"].astype(str))
        return [c for c in categories if c in present]

    @cached_property
    def country_codes(self) -> frozenset[str]:
        """Codes whose ``regions.kind`` is country (the rest are aggregates)."""
        return frozenset(self.regions.loc[self.regions["kind"].astype(str) == "country",
                                          "code"].astype(str))

    @cached_property
    def place_names(self) -> dict[str, str]:
        """Place code -> name."""
        return dict(zip(self.regions["code"].astype(str), self.regions["name"].astype(str),
                        strict=True))

    def geos_in(self, region: str | None) -> list[str]:
        """Codes of the places of ``region`` (every place for All/None)."""
        return metrics.geos_in_region(self.regions, region)

    def geo_options(self, frame: pd.DataFrame, region: str | None) -> list[tuple[str, str]]:
        """(name, code) of the places of ``region`` that have rows in ``frame``."""
        codes = set(self.geos_in(region))
        present = set(frame["geo"].astype(str)) & codes
        return sorted((self.place_names[c], c) for c in present)
