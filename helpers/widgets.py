"""ipywidgets explorers: controls wired to ``metrics`` and ``figures``.

Each explorer holds its controls in ``.controls`` (name -> widget), draws into a
``plotly.graph_objects.FigureWidget`` updated in place, shows the filtered rows in a table
with a CSV download of exactly that selection, and replaces the chart with a short message
when a selection is empty. No metric is computed here: rows come from ``helpers.metrics``,
charts from ``helpers.figures``.
"""

from __future__ import annotations

import base64
import html
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from helpers import figures, metrics
from helpers.atlas import Atlas
from helpers.export import csv_text

ALL = metrics.ALL
YEARS = list(range(2018, 2027))
TABLE_ROWS = 60
DEFAULT_EVENT_TYPES = ("ban", "temporary_block", "executive_order", "court_ruling", "fine",
                       "legislation_passed", "forced_sale_or_divestiture", "ban_lifted")
Y_MODE_OPTIONS = [("absolute (people)", "value"), ("share of population (%)", "share_pct"),
                  ("change since base year (%)", "change_pct")]


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


def sync_figure(target: go.FigureWidget, last: dict | None, source: go.Figure) -> dict:
    """Make ``target`` show ``source``, sending only what changed since ``last`` (the JSON
    this function returned the previous time). Traces of the same kinds are updated in
    place; anything else is replaced whole. Returns the JSON now shown."""
    # plotly's to_plotly_json() encodes arrays as base64; compare the raw properties
    try:
        new = {"data": [dict(t._props) for t in source.data],
               "layout": dict(source.layout._props)}
    except AttributeError:  # pragma: no cover - a plotly without _props: replace whole
        replace_figure(target, source)
        return {}
    old_data = (last or {}).get("data")
    same_kinds = (old_data is not None and len(old_data) == len(new["data"])
                  and len(target.data) == len(new["data"])
                  and all(o.get("type") == n.get("type") for o, n in zip(old_data, new["data"],
                                                                         strict=True)))
    if not same_kinds:
        replace_figure(target, source)
        return new
    last = last or {}
    with target.batch_update():
        for trace, old, fresh in zip(target.data, old_data, new["data"], strict=True):
            changed = {k: v for k, v in fresh.items() if k not in old or not _same(old[k], v)}
            changed.update({k: None for k in old if k not in fresh})
            if changed:
                trace.update(changed, overwrite=True)
        old_layout, layout = last.get("layout", {}), new["layout"]
        changed = {k: v for k, v in layout.items()
                   if k not in old_layout or not _same(old_layout[k], v)}
        changed.update({k: None for k in old_layout if k not in layout})
        if changed:
            target.layout.update(changed, overwrite=True)
    return new


def _cell(column: str, value: object, url: object = None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if value is pd.NaT:
        return ""
    if column == "source_title" and isinstance(url, str):
        return (f'<a href="{html.escape(url)}" target="_blank" rel="noopener">'
                f"{html.escape(str(value))}</a>")
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return html.escape(str(value))


def frame_to_html_table(frame: pd.DataFrame, columns: Sequence[str],
                        limit: int = TABLE_ROWS) -> str:
    """An escaped HTML table of the first ``limit`` rows, source titles linked."""
    shown = frame.head(limit)
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in columns)
    urls = (shown["source_url"].tolist() if "source_url" in shown
            else [None] * len(shown))
    values = [shown[c].astype(object).tolist() for c in columns]
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(c, v[i], urls[i])}</td>" for c, v in zip(
            columns, values, strict=True)) + "</tr>" for i in range(len(shown)))
    more = (f"<p class='atlas-more'>Showing {limit} of {len(frame)} rows; the CSV has all of them."
            "</p>" if len(frame) > limit else "")
    return ("<div class='atlas-table' style='max-height:320px;overflow:auto'>"
            "<table style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}")


def csv_download_link(frame: pd.DataFrame, filename: str) -> str:
    """An HTML link that downloads ``frame`` as CSV (a data: URL; works without a kernel)."""
    payload = base64.b64encode(csv_text(frame).encode("utf-8")).decode("ascii")
    return (f'<a download="{html.escape(filename)}" href="data:text/csv;charset=utf-8;base64,'
            f'{payload}">⬇ Download these {len(frame)} rows as CSV</a>')


class Explorer(ABC):
    """Base class: subclasses define controls, ``select()`` and ``build()``."""

    notebook: str = ""
    table_columns: Sequence[str] = ()
    filename = "selection.csv"

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas
        self.controls: dict[str, w.Widget] = {}
        self.figures: list[go.FigureWidget] = []
        self.message = w.HTML(layout=w.Layout(display="none"))
        self.table = w.HTML()
        self.download = w.HTML()
        self.export_button = w.Button(description="Export HTML report", icon="file-export",
                                      tooltip="Build this notebook's offline report with the "
                                              "current selection")
        self.export_status = w.HTML()
        self.export_dir: Path | None = None  # default: reports/ at the project root
        self.export_button.on_click(self._on_export)
        self.selection = pd.DataFrame()
        self.updates = 0
        self._shown: dict[int, dict] = {}  # figure index -> JSON last sent
        self._ready = False

    # -------------------------------------------------------------- wiring

    def _wire(self, figure_count: int = 1) -> None:
        self.figures = [go.FigureWidget() for _ in range(figure_count)]
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self._ready = True
        self.update()

    def _on_change(self, _change: dict[str, Any] | None = None) -> None:
        if self._ready:
            self.update()

    def update(self) -> None:
        """Recompute the selection and redraw; never raises into the notebook."""
        try:
            self.selection = self.select()
            if self.selection.empty:
                self._show_message(self.empty_message())
                return
            with figures.unvalidated():
                built = self.build(self.selection)
            built = built if isinstance(built, list) else [built]
            if all((f.layout.meta or {}).get("empty") for f in built):
                self._show_message(str(built[0].layout.annotations[0].text))
                return
            for index, (target, fig) in enumerate(zip(self.figures, built, strict=True)):
                self._shown[index] = sync_figure(target, self._shown.get(index), fig)
            self.figure_updated_at = time.perf_counter()  # read by benchmarks/run.py
            self._show_figures()
            table = self.table_frame()
            self.table.value = frame_to_html_table(
                table, [c for c in self.table_columns if c in table.columns])
            self.download.value = csv_download_link(self.export_frame(), self.filename)
        except Exception as exc:  # a widget callback must not print a traceback
            self._show_message("Could not draw this selection "
                               f"({html.escape(type(exc).__name__)}: {html.escape(str(exc))}).")
            self.last_error = traceback.format_exc()
        finally:
            self.updates += 1

    def _show_message(self, text: str) -> None:
        self.message.value = f"<div class='atlas-message' style='padding:1.5em;border:1px dashed " \
                             f"#9aa5b1;color:#52606d'>{text}</div>"
        self.message.layout.display = None
        for fig in self.figures:
            fig.layout.meta = {"empty": True}
        self._shown.clear()  # the next chart replaces the figure whole
        for box in getattr(self, "_figure_boxes", []):
            box.layout.display = "none"
        self.table.value = ""
        self.download.value = ""

    def _show_figures(self) -> None:
        self.message.layout.display = "none"
        for box in getattr(self, "_figure_boxes", []):
            box.layout.display = None

    @property
    def is_empty(self) -> bool:
        """True when the last selection showed a message instead of a chart."""
        return self.message.layout.display != "none"

    # -------------------------------------------------------------- to override

    @abstractmethod
    def select(self) -> pd.DataFrame:
        """The rows that the current controls select."""

    @abstractmethod
    def build(self, selection: pd.DataFrame) -> go.Figure | list[go.Figure]:
        """The figure(s) for the selection."""

    def empty_message(self) -> str:
        return ("Nothing matches this selection. Widen the period, choose another region or "
                "country, or select more types.")

    def table_frame(self) -> pd.DataFrame:
        return self.selection

    def export_frame(self) -> pd.DataFrame:
        cols = [c for c in self.selection.columns if not c.startswith("_")]
        return self.selection[cols]

    def parameters(self) -> dict[str, Any]:
        """The current selection as notebook parameters (for the report export)."""
        return {}

    def _region_period_rows(self, frame: pd.DataFrame, **equals: Any) -> pd.DataFrame:
        """Rows of ``frame`` in the chosen region and period (and equal to ``equals``)."""
        start, end = _period_bounds(self.controls["period"])
        geos = metrics.geos_in_region(self.atlas.regions, self.controls["region"].value)
        return metrics.filter_rows(frame, geos=geos, start=start, end=end, **equals)

    def _region_period_parameters(self) -> dict[str, Any]:
        """The chosen region and period as notebook parameters."""
        start, end = self.controls["period"].value
        return {"region": self.controls["region"].value, "start": start, "end": end}

    # -------------------------------------------------------------- layout

    def _layout(self, rows: Iterable[w.Widget]) -> w.Widget:
        self._figure_boxes = [w.Box([f], layout=w.Layout(width="100%")) for f in self.figures]
        return w.VBox([*rows, self.message, *self._figure_boxes,
                       w.HBox([self.download, self.export_button, self.export_status],
                              layout=w.Layout(align_items="center",
                                              justify_content="space-between")),
                       self.table])

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.ui._repr_mimebundle_(**kwargs)

    def _on_export(self, _button: w.Button) -> None:
        from helpers.report import ReportBuildError, build_single_report

        self.export_status.value = "Building the report ..."
        extra = {"reports_dir": self.export_dir} if self.export_dir else {}
        try:
            path = build_single_report(self.notebook, params=self.parameters(), **extra)
        except (ReportBuildError, ValueError, OSError) as exc:
            self.export_status.value = f"<span style='color:#b2182b'>Export failed: " \
                                       f"{html.escape(str(exc))}</span>"
            return
        self.export_status.value = (f"Report written: <a href='{html.escape(path.as_uri())}' "
                                    f"target='_blank'>{html.escape(str(path))}</a>")


# ---------------------------------------------------------------- shared controls


def region_dropdown(atlas: Atlas, value: str = ALL) -> w.Dropdown:
    options = [ALL, *atlas.region_names()]
    return w.Dropdown(options=options, value=value if value in options else ALL,
                      description="Region")


def period_slider(start: int = YEARS[0], end: int = YEARS[-1]) -> w.SelectionRangeSlider:
    start = min(max(start, YEARS[0]), YEARS[-1])
    end = min(max(end, start), YEARS[-1])
    return w.SelectionRangeSlider(options=YEARS, index=(YEARS.index(start), YEARS.index(end)),
                                  description="Period", continuous_update=False,
                                  layout=w.Layout(width="420px"))


def country_picker(description: str = "Countries") -> w.SelectMultiple:
    return w.SelectMultiple(options=[], rows=7, description=description,
                            layout=w.Layout(width="320px"))


def _period_bounds(slider: w.SelectionRangeSlider) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, end = slider.value
    return pd.Timestamp(f"{start}-01-01"), pd.Timestamp(f"{end}-12-31")


def link_region_to_countries(region: w.Dropdown, countries: w.SelectMultiple,
                             options_for: Callable[[str], list[tuple[str, str]]],
                             default: Sequence[str] = (),
                             explorer: Explorer | None = None) -> None:
    """Choosing a region narrows the country list; kept choices stay selected. The
    explorer (if given) redraws once, after both options and value are set."""

    def refresh(_change: object = None) -> None:
        options = options_for(region.value)
        codes = [c for _, c in options]
        kept = [c for c in countries.value if c in codes]
        if not kept:
            kept = [c for c in default if c in codes] or codes[: min(4, len(codes))]
        ready = explorer._ready if explorer else False
        if explorer:
            explorer._ready = False
        try:
            countries.options = options
            countries.value = tuple(kept)
        finally:
            if explorer:
                explorer._ready = ready

    region.observe(refresh, names="value")
    refresh()


# ---------------------------------------------------------------- growth


class GrowthExplorer(Explorer):
    """Users by place over time, with regulatory events overlaid."""

    notebook = "01-global-growth"
    filename = "tiktok-users-selection.csv"
    table_columns = ("geo_name", "date", "metric", "value", "share_pct", "claim_type",
                     "source_publisher", "source_title", "note")

    def __init__(self, atlas: Atlas, region: str = ALL, countries: Sequence[str] = (),
                 metric: str = "monthly_active_users", start: int = 2018, end: int = 2026,
                 claim_type: str = ALL, y: str = "value", base_year: int = 2020,
                 log_y: bool = False, event_types: Sequence[str] = DEFAULT_EVENT_TYPES) -> None:
        super().__init__(atlas)
        users = self.users = figures.with_hover(atlas.users)
        metric_options = [(figures.METRIC_LABELS.get(m, m), m)
                          for m in users["metric"].cat.categories
                          if (users["metric"].astype(str) == m).any()]
        reg_types = sorted(set(atlas.events.loc[atlas.events["category"].astype(str)
                                                == "regulatory", "event_type"].astype(str)))
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["countries"] = country_picker()
        c["metric"] = w.Dropdown(options=[("all metrics", ALL), *metric_options],
                                 value=metric if metric in dict(metric_options).values()
                                 or metric == ALL else ALL, description="Metric")
        c["claim_type"] = w.Dropdown(options=[("all claim types", ALL)] + [
            (figures.CLAIM_LABELS[k], k) for k in figures.CLAIM_LABELS],
            value=claim_type, description="Claim")
        c["period"] = period_slider(start, end)
        c["y"] = w.Dropdown(options=Y_MODE_OPTIONS, value=y, description="Show")
        c["base_year"] = w.Dropdown(options=YEARS, value=base_year, description="Base year")
        c["log_y"] = w.Checkbox(value=log_y, description="log scale")
        c["event_types"] = w.SelectMultiple(
            options=[(t.replace("_", " "), t) for t in reg_types],
            value=tuple(t for t in event_types if t in reg_types), rows=7,
            description="Events", layout=w.Layout(width="320px"))
        self.events = figures.with_hover(
            atlas.events[atlas.events["category"].astype(str) == "regulatory"])
        link_region_to_countries(c["region"], c["countries"],
                                 lambda r: atlas.geo_options(users, r),
                                 default=countries or ("USA", "IND", "IDN", "GBR"),
                                 explorer=self)
        self._wire()
        self.ui = self._layout([
            w.HBox([w.VBox([c["region"], c["metric"], c["claim_type"], c["y"], c["base_year"],
                            c["log_y"]]), c["countries"], c["event_types"]]),
            c["period"]])

    def select(self) -> pd.DataFrame:
        c = self.controls
        start, end = _period_bounds(c["period"])
        rows = metrics.filter_rows(self.users, geos=c["countries"].value, start=start,
                                   end=end, metric=c["metric"].value,
                                   claim_type=c["claim_type"].value, product="tiktok")
        if c["y"].value == "change_pct":
            base = metrics.filter_rows(self.users, geos=c["countries"].value,
                                       metric=c["metric"].value, product="tiktok",
                                       claim_type=c["claim_type"].value)
            changed = metrics.change_since(base, f"{c['base_year'].value}-12-31")
            rows = changed[(changed["date"] >= start) & (changed["date"] <= end)]
        if c["y"].value == "share_pct":
            rows = rows[rows["share_pct"].notna()]
        return rows.sort_values(["geo_name", "date"])

    def build(self, selection: pd.DataFrame) -> go.Figure:
        c = self.controls
        start, end = _period_bounds(c["period"])
        events = metrics.filter_rows(self.events, geos=c["countries"].value, start=start,
                                     end=end, category="regulatory",
                                     event_type=list(c["event_types"].value))
        events = metrics.distinct_events(events)
        episodes = metrics.episodes_in(self.atlas.episodes, geos=c["countries"].value,
                                       start=start, end=end,
                                       event_types=list(c["event_types"].value))
        return figures.growth_figure(selection, events, episodes=episodes, y=c["y"].value,
                                     log_y=c["log_y"].value)

    def empty_message(self) -> str:
        if not self.controls["countries"].value:
            return "Choose at least one country or aggregate to draw user figures."
        if self.controls["y"].value == "change_pct":
            return ("No figure on or before the base year for this selection: choose an "
                    "earlier base year or another metric.")
        return super().empty_message()

    def parameters(self) -> dict[str, Any]:
        c = self.controls
        return {"region": c["region"].value, "countries": list(c["countries"].value),
                "metric": c["metric"].value, "start": c["period"].value[0],
                "end": c["period"].value[1]}


class ClaimsExplorer(Explorer):
    """Company claims against third-party estimates for one place."""

    notebook = "01-global-growth"
    filename = "tiktok-claims-selection.csv"
    table_columns = ("date", "metric", "value", "claim_type", "source_publisher",
                     "source_title", "note")

    def __init__(self, atlas: Atlas, geo: str = "USA", start: int = 2018,
                 end: int = 2026) -> None:
        super().__init__(atlas)
        users = self.users = figures.with_hover(
            atlas.users[atlas.users["product"].astype(str) == "tiktok"])
        counts = users.groupby(users["geo"].astype(str))["claim_type"].nunique()
        options = [(n, g) for n, g in atlas.geo_options(users, ALL) if counts.get(g, 0) >= 2]
        codes = [g for _, g in options]
        self.controls["geo"] = w.Dropdown(options=options, description="Place",
                                          value=geo if geo in codes else codes[0])
        self.controls["period"] = period_slider(start, end)
        self._wire()
        self.ui = self._layout([w.HBox([self.controls["geo"], self.controls["period"]])])

    def select(self) -> pd.DataFrame:
        start, end = _period_bounds(self.controls["period"])
        return metrics.filter_rows(self.users, geos=[self.controls["geo"].value],
                                   start=start, end=end).sort_values("date")

    def build(self, selection: pd.DataFrame) -> go.Figure:
        name = selection["geo_name"].iloc[0]
        return figures.claims_figure(selection, title=f"Who says how many TikTok users in "
                                                      f"{name}?")


class UsersMapExplorer(Explorer):
    """Latest user figure per country up to a chosen year, on a world map."""

    notebook = "01-global-growth"
    filename = "tiktok-users-map.csv"
    table_columns = ("geo_name", "date", "metric", "value", "share_pct", "claim_type",
                     "source_publisher", "source_title")

    def __init__(self, atlas: Atlas, metric: str = "monthly_active_users", year: int = 2026,
                 y: str = "value") -> None:
        super().__init__(atlas)
        self.controls["year"] = w.IntSlider(value=year, min=YEARS[0], max=YEARS[-1],
                                            description="As of end", continuous_update=False)
        self.controls["metric"] = w.Dropdown(
            options=[(figures.METRIC_LABELS[m], m) for m in (
                "monthly_active_users", "users_unspecified", "ad_reach_18plus",
                "dsa_monthly_active_recipients")]
            + [("one metric per country (mixed)", ALL)], value=metric, description="Metric")
        self.controls["y"] = w.Dropdown(options=Y_MODE_OPTIONS[:2], value=y, description="Show")
        self._wire()
        self.ui = self._layout([w.HBox([self.controls["metric"], self.controls["y"],
                                        self.controls["year"]])])

    def select(self) -> pd.DataFrame:
        c = self.controls
        users = self.atlas.users
        users = users[~users["metric"].astype(str).str.startswith("downloads")
                      & (users["metric"].astype(str) != "creators")]
        rows = metrics.filter_rows(users, end=f"{c['year'].value}-12-31",
                                   metric=c["metric"].value, product="tiktok")
        if c["y"].value == "share_pct":
            rows = rows[rows["share_pct"].notna()]
        return metrics.latest_per_geo(metrics.one_metric_per_geo(rows), by=("geo",))

    def build(self, selection: pd.DataFrame) -> go.Figure:
        c = self.controls
        share = c["y"].value == "share_pct"
        return figures.choropleth_figure(
            selection, value=c["y"].value, animate=False, log_colour=not share,
            years=[c["year"].value], colorbar_title="% of population" if share else "people",
            title=f"TikTok {figures.METRIC_LABELS.get(c['metric'].value, 'users')} by country, "
                  f"latest figure up to {c['year'].value}"
                  + ("" if c["metric"].value != ALL else " (mixed definitions: see hover)"))


# ---------------------------------------------------------------- workforce & investment


class WorkforceExplorer(Explorer):
    """Headcount, hiring plans and job cuts by place."""

    notebook = "02-workforce-and-investment"
    filename = "tiktok-workforce-selection.csv"
    table_columns = ("geo_name", "date", "employer", "metric", "value", "horizon_years", "scope",
                     "claim_type", "sources", "row_ids", "source_publisher", "source_title",
                     "note")

    def __init__(self, atlas: Atlas, region: str = ALL, metric: str = ALL,
                 employer: str = ALL, start: int = 2018, end: int = 2026) -> None:
        super().__init__(atlas)
        wf = self.workforce = figures.with_hover(atlas.workforce)
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["metric"] = w.Dropdown(options=[("all kinds", ALL)] + [
            (figures.METRIC_LABELS.get(m, m), m) for m in wf["metric"].cat.categories],
            value=metric, description="Kind")
        c["employer"] = w.Dropdown(options=[("all employers", ALL)] + [
            (e.replace("_", " "), e) for e in wf["employer"].cat.categories],
            value=employer, description="Employer")
        c["period"] = period_slider(start, end)
        self._wire()
        self.ui = self._layout([w.HBox([c["region"], c["metric"], c["employer"]]), c["period"]])

    def select(self) -> pd.DataFrame:
        c = self.controls
        rows = self._region_period_rows(self.workforce, metric=c["metric"].value,
                                        employer=c["employer"].value)
        return metrics.counted_once(rows, value="value").sort_values(["geo_name", "date"])

    def build(self, selection: pd.DataFrame) -> go.Figure:
        return figures.workforce_figure(selection)

    def parameters(self) -> dict[str, Any]:
        return self._region_period_parameters()


class InvestmentExplorer(Explorer):
    """Announced investments in USD by place and purpose."""

    notebook = "02-workforce-and-investment"
    filename = "tiktok-investments-selection.csv"
    table_columns = ("geo_name", "date", "investor", "category", "amount", "currency",
                     "amount_usd", "value_low", "value_high", "sources", "row_ids",
                     "horizon_years", "scope", "claim_type", "source_publisher",
                     "source_title", "note")

    def __init__(self, atlas: Atlas, region: str = ALL, category: str = ALL,
                 start: int = 2018, end: int = 2026) -> None:
        super().__init__(atlas)
        inv = self.investments = figures.with_hover(atlas.investments)
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["category"] = w.Dropdown(options=[("all purposes", ALL)] + [
            (x.replace("_", " "), x) for x in inv["category"].cat.categories
            if (inv["category"].astype(str) == x).any()], value=category,
            description="Purpose")
        c["period"] = period_slider(start, end)
        self._wire()
        self.ui = self._layout([w.HBox([c["region"], c["category"]]), c["period"]])

    def select(self) -> pd.DataFrame:
        rows = self._region_period_rows(self.investments,
                                        category=self.controls["category"].value)
        return metrics.counted_once(rows).sort_values(["geo_name", "date"])

    def build(self, selection: pd.DataFrame) -> go.Figure:
        return figures.investments_figure(selection)

    def parameters(self) -> dict[str, Any]:
        return self._region_period_parameters()


class InvestmentMapExplorer(Explorer):
    """Announced investments per country in USD, summed up to a chosen year, on a map."""

    notebook = "02-workforce-and-investment"
    filename = "tiktok-investments-map.csv"
    table_columns = ("geo_name", "date", "category", "amount", "currency", "amount_usd",
                     "sources", "row_ids", "scope", "claim_type", "source_publisher",
                     "source_title")

    def __init__(self, atlas: Atlas, category: str = ALL, year: int = 2026) -> None:
        super().__init__(atlas)
        inv = atlas.investments
        c = self.controls
        c["category"] = w.Dropdown(options=[("all purposes", ALL)] + [
            (x.replace("_", " "), x) for x in inv["category"].cat.categories
            if (inv["category"].astype(str) == x).any()], value=category,
            description="Purpose")
        c["year"] = w.IntSlider(value=year, min=YEARS[0], max=YEARS[-1],
                                description="Up to end", continuous_update=False)
        self._wire()
        self.ui = self._layout([w.HBox([c["category"], c["year"]])])

    def select(self) -> pd.DataFrame:
        c = self.controls
        rows = metrics.filter_rows(self.atlas.investments, end=f"{c['year'].value}-12-31",
                                   category=c["category"].value)
        rows = metrics.counted_once(rows)
        return rows[rows["amount_usd"].notna()].sort_values(["geo_name", "date"])

    def build(self, selection: pd.DataFrame) -> go.Figure:
        year = self.controls["year"].value
        return figures.choropleth_figure(
            selection, value="amount_usd", aggregate="sum", animate=False, log_colour=True,
            years=[year], colorbar_title="USD",
            title=f"Announced investments by country (USD, summed up to {year})")


# ---------------------------------------------------------------- events & pressure


class TimelineExplorer(Explorer):
    """Regulatory and business events by place and date."""

    notebook = "03-regulatory-pressure"
    filename = "tiktok-events-selection.csv"
    table_columns = ("date", "geo_name", "subdivision", "event_type", "title", "authority",
                     "status_after", "amount", "currency", "source_publisher", "source_title")

    def __init__(self, atlas: Atlas, region: str = ALL, category: str = "regulatory",
                 event_types: Sequence[str] = (), start: int = 2018, end: int = 2026) -> None:
        super().__init__(atlas)
        ev = self.events = figures.with_hover(metrics.distinct_events(atlas.events))
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["category"] = w.Dropdown(options=[("all events", ALL), ("regulatory", "regulatory"),
                                            ("business", "business")], value=category,
                                   description="Category")
        c["event_types"] = w.SelectMultiple(options=[], rows=8, description="Types",
                                            layout=w.Layout(width="320px"))
        c["period"] = period_slider(start, end)
        self._wanted_types = tuple(event_types)

        def refresh_types(_change: object = None) -> None:
            cat = c["category"].value
            subset = ev if cat == ALL else ev[ev["category"].astype(str) == cat]
            types = sorted(set(subset["event_type"].astype(str)))
            kept = [t for t in (c["event_types"].value or self._wanted_types) if t in types]
            ready, self._ready = self._ready, False
            try:
                c["event_types"].options = [(t.replace("_", " "), t) for t in types]
                c["event_types"].value = tuple(kept or types)
            finally:
                self._ready = ready
            self._on_change()

        c["category"].observe(refresh_types, names="value")
        refresh_types()
        self._wire()
        self.ui = self._layout([w.HBox([w.VBox([c["region"], c["category"]]), c["event_types"]]),
                                c["period"]])

    def select(self) -> pd.DataFrame:
        c = self.controls
        rows = self._region_period_rows(self.events, category=c["category"].value,
                                        event_type=list(c["event_types"].value))
        return rows.sort_values(["date", "geo_name"])

    def build(self, selection: pd.DataFrame) -> go.Figure:
        return figures.timeline_figure(selection)

    def empty_message(self) -> str:
        if not self.controls["event_types"].value:
            return "Choose at least one event type."
        return "No events of these types in this region and period."

    def parameters(self) -> dict[str, Any]:
        return self._region_period_parameters()


class StatusMapExplorer(Explorer):
    """Where TikTok was banned, blocked or restricted on government devices, by year."""

    notebook = "03-regulatory-pressure"
    filename = "tiktok-status-selection.csv"
    table_columns = ("geo_name", "status", "since", "until", "end_sourced", "title",
                     "source_publisher", "source_title")

    def __init__(self, atlas: Atlas, year: int = 2026) -> None:
        super().__init__(atlas)
        self.controls["year"] = w.IntSlider(value=year, min=YEARS[0], max=YEARS[-1],
                                            description="End of", continuous_update=False)
        self._wire()
        self.ui = self._layout([self.controls["year"]])

    def select(self) -> pd.DataFrame:
        when = f"{self.controls['year'].value}-12-31"
        status = metrics.status_on(self.atlas.events_raw, when, self.atlas.episodes)
        status = metrics.with_sources(status, self.atlas.sources)
        return metrics.with_geo_names(status, self.atlas.regions).sort_values(
            ["level", "geo_name"], ascending=[False, True])

    def build(self, selection: pd.DataFrame) -> go.Figure:
        year = self.controls["year"].value
        return figures.status_map_figure({year: selection}, self.atlas.regions, animate=False,
                                         title=f"TikTok's status by country at the end of {year}")

    def empty_message(self) -> str:
        return "No country had TikTok banned, blocked or restricted at that date."


class PressureExplorer(Explorer):
    """The regulatory pressure index with adjustable weights, and against users."""

    notebook = "03-regulatory-pressure"
    filename = "tiktok-pressure-selection.csv"
    table_columns = ("geo_name", "period", "pressure", "events")

    def __init__(self, atlas: Atlas, region: str = ALL, start: int = 2018, end: int = 2026,
                 freq: str = "year", half_life_years: float | None = None,
                 weights: dict[str, float] | None = None) -> None:
        super().__init__(atlas)
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["period"] = period_slider(start, end)
        c["freq"] = w.Dropdown(options=[("by year", "year"), ("by quarter", "quarter")],
                               value=freq, description="Periods")
        c["half_life"] = w.Dropdown(options=[("no decay", None), ("half-life 1 year", 1.0),
                                             ("half-life 2 years", 2.0),
                                             ("half-life 5 years", 5.0)],
                                    value=half_life_years, description="Decay")
        self.latest_users = figures.with_hover(metrics.latest_tiktok_users(atlas.users))
        events = metrics.distinct_events(atlas.events)
        self.events = events[events["category"].astype(str) == "regulatory"]
        start_weights = {**metrics.DEFAULT_WEIGHTS, **(weights or {})}
        self.weight_sliders = {
            k: w.FloatSlider(value=v, min=0, max=20, step=0.5, description=k.replace("_", " "),
                             continuous_update=False, style={"description_width": "170px"},
                             layout=w.Layout(width="420px"))
            for k, v in sorted(start_weights.items(), key=lambda kv: -kv[1])}
        for key, slider in self.weight_sliders.items():
            c[f"weight:{key}"] = slider
        reset = w.Button(description="Default weights")
        reset.on_click(self._reset_weights)
        self.formula = w.HTML()
        weights_box = w.Accordion([w.HBox([w.VBox([*self.weight_sliders.values(), reset]),
                                           self.formula])],
                                  titles=("Weights (points per event type)",))
        self._wire(figure_count=2)
        self.ui = self._layout([w.HBox([c["region"], c["freq"], c["half_life"]]), c["period"],
                                weights_box])

    def _reset_weights(self, _button: w.Button | None = None) -> None:
        self._ready = False
        for key, slider in self.weight_sliders.items():
            slider.value = metrics.DEFAULT_WEIGHTS[key]
        self._ready = True
        self.update()

    def weights(self) -> dict[str, float]:
        """The weights currently set on the sliders."""
        return {k: float(s.value) for k, s in self.weight_sliders.items()}

    def select(self) -> pd.DataFrame:
        c = self.controls
        start, end = _period_bounds(c["period"])
        geos = metrics.geos_in_region(self.atlas.regions, c["region"].value)
        events = metrics.filter_rows(self.events, geos=geos, end=end)
        code = "Y" if c["freq"].value == "year" else "Q"
        periods = pd.period_range(start, end, freq=code)
        pressure = metrics.pressure_index(events, self.atlas.fx, self.weights(),
                                          freq=c["freq"].value,
                                          half_life_years=c["half_life"].value, periods=periods)
        if pressure.empty or pressure["pressure"].sum() == 0:
            return pressure.iloc[0:0]
        return metrics.with_geo_names(pressure, self.atlas.regions)

    def build(self, selection: pd.DataFrame) -> list[go.Figure]:
        formula = metrics.pressure_formula(self.weights(), self.controls["half_life"].value)
        self.formula.value = f"<pre style='font-size:12px'>{html.escape(formula)}</pre>"
        versus = metrics.pressure_vs_users(selection, self.atlas.users, self.latest_users)
        return [figures.pressure_heatmap(selection), figures.pressure_scatter(versus)]

    def table_frame(self) -> pd.DataFrame:
        sel = self.selection
        totals = sel.groupby(["geo_name"], as_index=False)[["pressure", "events"]].sum()
        return totals.sort_values("pressure", ascending=False).assign(period="whole period")

    def export_frame(self) -> pd.DataFrame:
        return self.selection.assign(period=self.selection["period"].astype(str))

    def empty_message(self) -> str:
        return "No regulatory events with a non-zero weight in this region and period."

    def parameters(self) -> dict[str, Any]:
        c = self.controls
        return {**self._region_period_parameters(), "freq": c["freq"].value,
                "half_life_years": c["half_life"].value, "weights": self.weights()}

