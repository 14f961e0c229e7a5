"""One call per view for the notebooks: an interactive explorer in JupyterLab, or, in report
mode, its static twin (the same selection as a plotly figure with its own menus and sliders,
a summary, a table and a link to the CSV behind it).

The module also remembers which sources the views of a session showed, so that a notebook
can end with :func:`sources_section`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from helpers import captions, figures, formatting, images, metrics, profiles, selections, tables
from helpers.atlas import Atlas
from helpers.export import csv_text
from helpers.pages import figure_html
from helpers.plotly_assets import geo_assets_js
from helpers.selections import ALL, Selection
from helpers.tables import HtmlBlock, MarkdownBlock
from helpers.widgets import EXPLORERS, Explorer

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_CITED: dict[str, None] = {}  # source ids shown so far, in order


@dataclass
class Settings:
    """Where report-mode views write their CSVs and how they link to them."""

    report_mode: bool = False
    csv_dir: Path | None = None
    csv_href: str = "data"
    notebook: str | None = None  # the notebook whose report the export buttons build


SETTINGS = Settings()


def configure(report_mode: bool = False, csv_dir: str | Path | None = None,
              csv_href: str | None = None, notebook: str | None = None) -> Settings:
    """Set the mode of every later view (called from a notebook's setup cell). CSVs go to
    ``csv_dir``; pages link to them as ``csv_href`` (default ``data/<csv_dir name>``)."""
    SETTINGS.report_mode = bool(report_mode)
    SETTINGS.notebook = notebook
    SETTINGS.csv_dir = Path(csv_dir) if csv_dir else None
    SETTINGS.csv_href = csv_href or (f"data/{SETTINGS.csv_dir.name}" if SETTINGS.csv_dir
                                     else "data")
    if not SETTINGS.report_mode:
        _offline_maps_for_jupyterlab()
    _CITED.clear()
    return SETTINGS


def _offline_maps_for_jupyterlab() -> None:
    """Give plotly.js in the notebook page the world map (it would fetch it from its CDN),
    as an invisible HTML output whose script JupyterLab runs (outputs of the session are
    trusted). Outside a kernel this does nothing. Under ``make lab`` the explorers' maps
    also fetch it from the Jupyter server (``topojsonURL``), which survives a reload after
    the save hook has dropped this output."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover
        return
    if get_ipython() is None:
        return
    display(HTML(f"<script>{geo_assets_js()}</script>"),
            metadata={"atlas": "plotly world map"})


def _cite(frame: pd.DataFrame) -> None:
    if "source_id" in frame:
        for sid in frame["source_id"].dropna().astype(str):
            _CITED.setdefault(sid, None)


def export_report(notebook: str, params: Mapping[str, Any]) -> Path:
    """The explorers' export: build ``notebook``'s page with ``params`` (see
    ``helpers.report.build_single_report``)."""
    from helpers.report import build_single_report

    return build_single_report(notebook, params=params)


# ---------------------------------------------------------------- static views


@dataclass
class StaticView:
    """A selection's figures, summary, table and CSV link, rendered as HTML for reports."""

    name: str
    selection: Selection
    figures: list[go.Figure]
    table: pd.DataFrame
    columns: Sequence[str]
    summary: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)
    csv_link: str = field(default="", init=False)
    image_links: list[str] = field(default_factory=list, init=False)

    @property
    def figure(self) -> go.Figure:
        """The view's first (main) figure."""
        return self.figures[0]

    @property
    def data(self) -> pd.DataFrame:
        """The rows behind the chart (its CSV)."""
        return self.selection.rows

    def __post_init__(self) -> None:
        if SETTINGS.csv_dir is not None:
            SETTINGS.csv_dir.mkdir(parents=True, exist_ok=True)
            name = f"{self.name}.csv"
            rows = self.data[[c for c in self.data.columns if not c.startswith("_")]]
            if "period" in rows:
                rows = rows.assign(period=rows["period"].astype(str))
            (SETTINGS.csv_dir / name).write_text(csv_text(rows), encoding="utf-8")
            self.csv_link = (f'<a class="atlas-csv" href="{html.escape(SETTINGS.csv_href)}/'
                             f'{html.escape(name)}">CSV of the {len(rows)} rows behind '
                             f'this chart</a>')
            page = SETTINGS.csv_dir.name  # the build draws them as images (helpers.images)
            self.image_links = [images.record(
                SETTINGS.csv_dir, page, self.name + (f"-{i}" if i else ""), fig.to_plotly_json(),
                images.publishers(self._frames_behind(i))) for i, fig in enumerate(self.figures)]

    def _frames_behind(self, index: int) -> list[pd.DataFrame]:
        """The rows figure ``index`` draws: the view's rows and what the chart shows besides
        (events, episodes; the users only the second pressure chart sets against them), not
        the other years of a map's slider (an image shows the year it opens on)."""
        return [self.selection.rows, *(
            frame for key, frame in self.selection.extra.items()
            if isinstance(frame, pd.DataFrame) and key != "history"
            and (key != "versus" or index == 1))]

    @property
    def captions(self) -> list[str]:
        """One sentence per figure: what it shows, its largest value and the period."""
        return captions.caption(self.selection)

    def _chart_html(self, fig: go.Figure, div_id: str, caption: str, links: str = "") -> str:
        """A figure with its caption (visible, and the accessible name of the chart), then the
        links to its images."""
        text = html.escape(caption)
        return (f"<figure class='atlas-chart'><div role='group' aria-label='{text}'>"
                f"{figure_html(fig, div_id)}</div>"
                f"<figcaption class='atlas-caption'>{text}</figcaption></figure>{links}")

    def to_html(self) -> str:
        """The figures with their captions, the summary, the table and the CSV link as one
        HTML block."""
        table = tables.frame_to_html_table(self.table, self.columns, formats=self.formats,
                                           place_href=place_href())
        texts = self.captions
        summary = (f"<p class='atlas-summary'>{html.escape(self.summary)}</p>"
                   if self.summary and self.summary not in texts else "")
        links = self.image_links or [""] * len(self.figures)
        charts = "".join(self._chart_html(fig, f"fig-{self.name}" + (f"-{i}" if i else ""), text,
                                          link) for i, (fig, text, link) in enumerate(
                             zip(self.figures, texts, links, strict=True)))
        return (f"<section class='atlas-view' id='view-{self.name}'>{charts}{summary}"
                f"<details class='atlas-data'><summary>Data behind this chart</summary>"
                f"{table}</details>{self.csv_link}</section>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.to_html(), PLOTLY_MIME: json.loads(pio.to_json(self.figure)),
                "text/plain": "\n".join([f"<{self.name}: {len(self.data)} rows>",
                                          *self.captions])}


Summary = Callable[[Selection], tuple[pd.DataFrame, Sequence[str], str]]
"""A view's report table, its columns and a one-sentence summary of its selection."""


def _view(atlas: Atlas, view: str, name: str, params: dict[str, Any],
          summary: Summary, formats: Mapping[str, str] | None = None) -> Explorer | StaticView:
    """The explorer of ``view`` (JupyterLab) or its static twin (report mode), from the same
    selection function and parameters."""
    if SETTINGS.report_mode:
        selection = selections.SELECTIONS[view](atlas, **params)
        table, columns, text = summary(selection)
        static = StaticView(name, selection, figures.charts(selection, static=True), table,
                            columns, text if not selection.is_empty else selection.message,
                            formats or {})
        _cite(selection.rows)
        _cite(selection.extra.get("events", pd.DataFrame()))
        return static
    explorer = EXPLORERS[view](atlas, **params, export=export_report)
    _cite(explorer.rows)
    return explorer


def _places(n: int) -> str:
    return formatting.plural(n, "place")


# ---------------------------------------------------------------- the views


def growth(atlas: Atlas, region: str = ALL, countries: Sequence[str] | None = None,
           metric: str = "monthly_active_users", start: int | None = None,
           end: int | None = None, claim_type: str = ALL, y: str = "value",
           base_year: int | None = None, log_y: bool = False,
           event_types: Sequence[str] | None = None) -> Explorer | StaticView:
    """Users over time with restriction ranges and regulatory events."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        rows = sel.rows
        latest = metrics.latest_per_geo(rows).sort_values("value", ascending=False)
        n = rows["geo"].nunique()
        menu = " Use the menu above the chart to show one place." if n > 1 else ""
        return (latest, ("geo_name", "date", "metric_label", "value", "share_pct",
                         "change_pct", "claim_type_label", "source_publisher", "source_title"),
                f"{formatting.plural(len(rows), 'figure')} for {_places(n)} from "
                f"{sel.params['start']} to {sel.params['end']}; the table lists the latest "
                f"figure per place and metric.{menu}")

    return _view(atlas, "growth", "growth", dict(
        region=region, countries=countries, metric=metric, start=start, end=end,
        claim_type=claim_type, y=y, base_year=base_year, log_y=log_y,
        event_types=event_types), summary)


def claims(atlas: Atlas, claims_place: str = "USA", start: int | None = None,
           end: int | None = None) -> Explorer | StaticView:
    """Company claims against estimates for one place."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        rows = sel.rows
        counts = rows.groupby("claim_type_label", observed=True)["value"].agg(
            ["count", "min", "max"])
        text = "; ".join(f"{k}: {formatting.plural(int(v['count']), 'figure')} "
                         f"({formatting.number(v['min'])} to {formatting.number(v['max'])})"
                         for k, v in counts.iterrows())
        return (rows, ("date", "metric_label", "value", "claim_type_label",
                       "source_publisher", "source_title"), text)

    return _view(atlas, "claims", f"claims-{claims_place.lower()}",
                 dict(claims_place=claims_place, start=start, end=end), summary)


def users_map(atlas: Atlas, map_metric: str = "monthly_active_users",
              map_year: int | None = None, map_show: str = "value") -> Explorer | StaticView:
    """Latest users per country on a map (a year slider in reports)."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        return (sel.rows, ("geo_name", "date", "metric_label", "value", "share_pct",
                           "claim_type_label", "source_publisher", "source_title"),
                f"{_places(len(sel.rows))} with a figure up to {sel.params['map_year']} (the "
                "table). Drag the slider under the map to see what was known at the end of "
                "each year; a country keeps its latest figure until a newer one.")

    return _view(atlas, "users-map", "users-map",
                 dict(map_metric=map_metric, map_year=map_year, map_show=map_show), summary)


def workforce(atlas: Atlas, region: str = ALL, start: int | None = None,
              end: int | None = None, workforce_metric: str = ALL,
              employer: str = ALL) -> Explorer | StaticView:
    """Headcount, hiring plans and job cuts by place."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        rows = sel.rows
        return (rows, ("geo_name", "date", "employer_label", "metric_label", "value",
                       "horizon_years", "scope", "claim_type_label", "sources",
                       "source_publisher", "source_title"),
                f"{formatting.plural(len(rows), 'workforce figure')} (a plan reported by "
                f"several sources counts once); {_without_number(rows)}.")

    return _view(atlas, "workforce", "workforce", dict(
        region=region, start=start, end=end, workforce_metric=workforce_metric,
        employer=employer), summary)


def _without_number(rows: pd.DataFrame) -> str:
    n = int(rows["value"].isna().sum())
    if n == 0:
        return "every one has a number"
    return (f"{n} of them {'has' if n == 1 else 'have'} no number in "
            f"{'its' if n == 1 else 'their'} source and {'appears' if n == 1 else 'appear'} "
            "only in the table")


def investments(atlas: Atlas, region: str = ALL, start: int | None = None,
                end: int | None = None, purpose: str = ALL) -> Explorer | StaticView:
    """Announced investments in USD by place and purpose."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        return (sel.rows, ("geo_name", "date", "investor_label", "category_label", "amount",
                           "currency", "amount_usd", "value_low", "value_high", "sources",
                           "scope", "claim_type_label", "source_publisher", "source_title"),
                "Each commitment counts once: several sources for one announcement are one bar "
                "(the best-sourced figure, with the range where they disagree), and a figure "
                "that includes or replaces an earlier one replaces it. Amounts in another "
                "currency are converted at the yearly average rate of the announcement year.")

    return _view(atlas, "investments", "investments",
                 dict(region=region, start=start, end=end, purpose=purpose), summary,
                 formats={"value_low": "usd", "value_high": "usd"})


def investments_map(atlas: Atlas, map_purpose: str = ALL,
                    map_year: int | None = None) -> Explorer | StaticView:
    """Investments summed per country on a map (a year slider in reports)."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        totals = metrics.investment_totals(sel.rows)
        return (totals, ("geo_name", "commitments", "with_amount", "total_usd"),
                "Drag the slider under the map: each country shows the sum of the commitments "
                "announced up to the end of that year, each counted once.")

    return _view(atlas, "investments-map", "investments-map",
                 dict(map_purpose=map_purpose, map_year=map_year), summary)


def timeline(atlas: Atlas, region: str = ALL, start: int | None = None,
             end: int | None = None, category: str = "regulatory",
             timeline_types: Sequence[str] | None = None) -> Explorer | StaticView:
    """Events by place and date."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        rows = sel.rows
        menu = (" Use the menu above the chart to show one event type."
                if rows["event_type"].nunique() > 1 else "")
        return (rows, ("date", "geo_name", "subdivision", "event_type_label", "title", "authority",
                       "status_after_label", "amount", "currency", "source_publisher",
                       "source_title"),
                f"{formatting.plural(len(rows), 'event')} in {_places(rows['geo'].nunique())}."
                + menu)

    return _view(atlas, "timeline", f"timeline-{category.lower()}",
                 dict(region=region, start=start, end=end, category=category,
                      timeline_types=timeline_types), summary)


def status_map(atlas: Atlas, status_year: int | None = None, start: int | None = None,
               end: int | None = None) -> Explorer | StaticView:
    """Strongest national restriction per country at the end of each year."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        rows = sel.rows
        groups = rows[rows["geo_kind"].astype(str) != "country"]["geo_name"].astype(str)
        besides = (f" The table also lists {formatting.plural(len(groups), 'group')} of "
                   f"countries or organisations with a status of their own "
                   f"({', '.join(groups)}), which the map does not colour." if len(groups)
                   else "")
        return (rows, ("geo_name", "status", "since", "until", "end_sourced", "title",
                       "source_publisher", "source_title"),
                f"The table lists the status of each place {sel.extra['moment']}; "
                "'since' is the date of that status (for a lifted ban, the day it was lifted) "
                f"and the title is the restriction's.{besides} A restriction whose end no source "
                "gives counts only up to the last event that confirms it.")

    return _view(atlas, "status-map", "status-map",
                 dict(status_year=status_year, start=start, end=end), summary)


def pressure(atlas: Atlas, region: str = ALL, start: int | None = None, end: int | None = None,
             freq: str = "year", half_life_years: float | None = None,
             weights: dict[str, float] | None = None) -> Explorer | StaticView:
    """The pressure index heatmap, and total pressure against users."""

    def summary(sel: Selection) -> tuple[pd.DataFrame, Sequence[str], str]:
        decay = sel.params["half_life_years"]
        totals = selections.pressure_totals(sel.rows, decay)
        _cite(sel.extra.get("versus", pd.DataFrame()))
        what = ("Whole-period totals" if decay is None else
                "Pressure in the last period (with decay it carries the earlier events)")
        return (totals.head(30), ("geo_name", "pressure", "events", "period"),
                f"{what} of the top {min(30, len(totals))} of {_places(len(totals))}; the "
                "second chart sets each place's pressure against its latest TikTok user "
                "figure.")

    return _view(atlas, "pressure", "pressure", dict(
        region=region, start=start, end=end, freq=freq, half_life_years=half_life_years,
        weights=weights), summary)


# ---------------------------------------------------------------- tables & sources


def restrictions(atlas: Atlas, scope: str = "nationwide") -> HtmlBlock:
    """Restrictions at a glance, from the restriction episodes: place, scope, from, to (or
    why there is no end date), status and source. ``scope``: nationwide, partial,
    subnational or All."""
    table = metrics.restrictions_at_a_glance(atlas.episodes)
    if scope != ALL:
        table = table[table["scope_kind"] == scope]
    columns = ("geo_name", "subdivision", "restriction", "scope", "from", "to", "status",
               "source_publisher", "source_title")
    if scope == "nationwide":
        columns = tuple(c for c in columns if c != "subdivision")
    return fact_table(table, columns)


def investment_totals(atlas: Atlas, top: int | None = None) -> HtmlBlock:
    """Investment totals per place, each commitment counted once, with the range where
    linked sources disagree."""
    totals = metrics.investment_totals(atlas.investments)
    totals = totals.assign(total=[_usd_range(t, lo, hi, d) for t, lo, hi, d in zip(
        totals["total_usd"], totals["total_low"], totals["total_high"], totals["disagree"],
        strict=True)])
    if top is not None:
        totals = totals.head(top)
    return fact_table(totals, ("geo_name", "commitments", "with_amount", "total"), cite=False)


def _usd_range(total: float, low: float, high: float, disagree: bool) -> str:
    if pd.isna(total):
        return "no amount given"
    if disagree and low != high:
        return (f"{formatting.money(total)} (sources disagree: {formatting.money(low)} to "
                f"{formatting.money(high)})")
    return formatting.money(total)


def fact_table(frame: pd.DataFrame, columns: Sequence[str], cite: bool = True,
               formats: Mapping[str, str] | None = None) -> HtmlBlock:
    """A table of ``frame`` with numbers formatted for reading (its sources are remembered
    for the page's end)."""
    if cite:
        _cite(frame)
    return HtmlBlock(tables.frame_to_html_table(frame, columns, limit=200, formats=formats,
                                                place_href=place_href()),
                     tables.plain_table(frame, columns, formats))


def place_href() -> tables.PlaceHref | None:
    """Links from place names to their profiles on report pages (none in JupyterLab)."""
    return profiles.place_href() if SETTINGS.report_mode else None


def sources_section(atlas: Atlas) -> HtmlBlock:
    """Every source the views of this session showed: title, publisher, date, link."""
    cited = atlas.sources[atlas.sources["source_id"].astype(str).isin(_CITED)]
    cited = cited.sort_values(["publisher", "published", "title"])
    items = []
    for row in cited.itertuples():
        items.append(f"<li id='src-{html.escape(row.source_id)}'><a href='{html.escape(row.url)}' "
                     f"rel='noopener'>{html.escape(row.title)}</a>. {html.escape(row.publisher)}"
                     f"{', ' + html.escape(row.published) if row.published else ''}. "
                     f"<span class='atlas-quality'>[{html.escape(str(row.quality))}]</span></li>")
    body = (f"<section class='atlas-sources'><h2>Sources</h2><p>"
            f"{formatting.plural(len(cited), 'document')} behind the figures and events on this "
            f"page.</p><ol>{''.join(items)}</ol></section>")
    return HtmlBlock(body, formatting.plural(len(cited), "source"))


EVENT_COLUMNS = ("date", "geo_name", "subdivision", "event_type_label", "title",
                 "status_after_label", "amount", "currency", "source_publisher", "source_title")
WORKFORCE_COLUMNS = ("date", "geo_name", "metric_label", "value", "horizon_years", "scope",
                     "claim_type_label", "source_publisher", "source_title", "note")
INVESTMENT_COLUMNS = ("date", "geo_name", "category_label", "amount", "currency", "amount_usd",
                      "horizon_years", "scope", "claim_type_label", "source_publisher",
                      "source_title", "note")


def pressure_formula(atlas: Atlas, half_life_years: float | None = None,
                     weights: dict[str, float] | None = None) -> MarkdownBlock:
    """The pressure index formula and the weights in use, as Markdown."""
    return tables.pressure_formula({**atlas.default_weights, **(weights or {})},
                                   atlas.labels("events", "event_type"), half_life_years,
                                   metrics.FINE_SCALE_USD, metrics.SUBNATIONAL_FACTOR)
