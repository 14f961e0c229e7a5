"""All tables of the package loaded once, joined with their sources and place names."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from helpers import metrics
from helpers.data import declared_as_of, load_table


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
    declared_as_of: pd.Timestamp | None = None

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
            declared_as_of=declared_as_of(data_dir),
        )

    def _enrich(self, frame: pd.DataFrame) -> pd.DataFrame:
        return metrics.with_geo_names(metrics.with_sources(frame, self.sources), self.regions)

    @cached_property
    def users(self) -> pd.DataFrame:
        """Users with source and place columns and ``share_pct`` of the population."""
        return metrics.share_of_population(self._enrich(self.users_raw), self.population)

    @cached_property
    def workforce(self) -> pd.DataFrame:
        """Workforce figures with source and place columns."""
        return self._enrich(self.workforce_raw)

    @cached_property
    def investments(self) -> pd.DataFrame:
        """Investments with source and place columns and ``amount_usd``."""
        return self._enrich(metrics.to_usd(self.investments_raw, self.fx))

    @cached_property
    def events(self) -> pd.DataFrame:
        """Events with source and place columns and ``amount_usd`` for fines and deals."""
        return self._enrich(metrics.to_usd(self.events_raw, self.fx))

    @cached_property
    def as_of(self) -> pd.Timestamp:
        """The data's as-of date: the curator's ``x-asOf`` in ``datapackage.json`` (else the
        latest date any row refers to)."""
        if self.declared_as_of is not None:
            return self.declared_as_of
        return max(self.users_raw["date"].max(), self.events_raw["date"].max(),
                   self.workforce_raw["date"].max(), self.investments_raw["date"].max())

    @cached_property
    def episodes(self) -> pd.DataFrame:
        """Restriction episodes (``metrics.restriction_episodes``) with source and place
        columns: the one derivation behind every ban mark, status and "since"."""
        return self._enrich(metrics.restriction_episodes(self.events_raw, self.as_of))

    def region_names(self) -> list[str]:
        """World regions present in the regions table, in their documented order."""
        categories = self.regions["region"].cat.categories
        present = set(self.regions["region"].astype(str))
        return [c for c in categories if c in present]

    def geo_options(self, frame: pd.DataFrame, region: str | None) -> list[tuple[str, str]]:
        """(name, code) of the places of ``region`` that have rows in ``frame``."""
        codes = set(metrics.geos_in_region(self.regions, region))
        present = set(frame["geo"].astype(str)) & codes
        names = dict(zip(self.regions["code"].astype(str), self.regions["name"].astype(str),
                         strict=True))
        return sorted((names[c], c) for c in present)
