"""ipywidgets explorers: controls wired to a view's selection and charts.

An explorer holds one control per parameter of its view (``.controls``, keyed by the
parameter's name; the period slider stands for ``start`` and ``end``, the weight sliders for
``weights``). On every change it asks ``helpers.selections`` for the rows,
``helpers.figures.charts`` for the figures, and updates its FigureWidgets in place; the
table and the CSV link show exactly those rows, and an empty selection shows the view's own
message instead of a chart. :meth:`Explorer.parameters` returns every control's value under
the notebook's parameter names: the export button builds the report with them, and
``Explorer(atlas, **explorer.parameters())`` shows the same selection.

Every widget callback is :func:`guarded`: an error never escapes into the kernel (where a
dashboard shows nothing of it) but shows as the explorer's own message, in place of the chart.
"""

from __future__ import annotations

import functools
import html
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from helpers import figures, selections, tables
from helpers.atlas import Atlas
from helpers.figures.common import prepare_hover
from helpers.figures.fastpath import fit_width_when_shown, set_widget_config
from helpers.kernels import in_app, served_url
from helpers.metrics import FINE_SCALE_USD, SUBNATIONAL_FACTOR
from helpers.paths import ASSETS_DIR
from helpers.selections import ALL, Selection
from helpers.widgets.sync import sync_figure

ExportBuilder = Callable[[str, Mapping[str, Any]], Path]
"""Builds a notebook's report page with parameters and returns its path (views pass it)."""

Y_MODE_OPTIONS = [("absolute (people)", "value"), ("share of population (%)", "share_pct"),
                  ("change since base year (%)", "change_pct")]
WIDE = w.Layout(width="auto", min_width="260px")
NO_DECAY = 0.0
"""The decay dropdown's value for "no decay" (``half_life_years=None``)."""
Callback = TypeVar("Callback", bound=Callable[..., None])


def guarded(callback: Callback) -> Callback:
    """A widget callback of an explorer that never raises: an error shows as the explorer's
    message (see :meth:`Explorer.fail`). ipywidgets would hand it to the kernel, which prints
    it in JupyterLab's log at best and nowhere in a dashboard."""

    @functools.wraps(callback)
    def run(self: Explorer, *args: Any, **kwargs: Any) -> None:
        try:
            callback(self, *args, **kwargs)
        except Exception as exc:
            self.fail(exc)

    return run  # type: ignore[return-value]


def _message_html(text: str) -> str:
    # JupyterLab's theme variables (light or dark), with the light colours as fallback
    return (f"<div class='atlas-message' style='padding:1.5em;border:1px dashed "
            f"var(--jp-border-color1, #9aa5b1);color:var(--jp-ui-font-color1, #52606d)'>"
            f"{html.escape(text)}</div>")


class Explorer:
    """Base class: a subclass names its ``view`` and builds its ``controls``."""

    view: ClassVar[str] = ""
    notebook: ClassVar[str] = ""
    filename: ClassVar[str] = "selection.csv"
    table_columns: ClassVar[Sequence[str]] = ()
    figure_count: ClassVar[int] = 1

    def __init__(self, atlas: Atlas, export: ExportBuilder | None = None) -> None:
        prepare_hover(atlas)  # hover text computed once, not at every change
        self.atlas = atlas
        self.export = export
        self.controls: dict[str, w.Widget] = {}
        self.figures: list[go.FigureWidget] = []
        self.message = w.HTML(layout=w.Layout(display="none"))
        self.table = w.HTML()
        self.download = w.HTML()
        self.export_button = w.Button(description="Export HTML report", icon="file-export",
                                      tooltip="Build this notebook's offline report with the "
                                              "current selection",
                                      layout=w.Layout(width="auto"))
        self.export_status = w.HTML()
        self.export_button.on_click(self._on_export)
        self.export_button.disabled = export is None
        self.selection: Selection | None = None
        self.updates = 0
        self.last_error: str | None = None
        self._shown: dict[int, dict] = {}  # figure index -> properties last sent
        self._boxes: list[w.Box] = []
        self._linked: set[str] = set()  # controls whose own callback redraws
        self._ready = False
        self.fixed: dict[str, Any] = {}  # parameters of the view without a control
        self.ui: w.Widget = w.VBox()

    # -------------------------------------------------------------- parameters

    def parameters(self) -> dict[str, Any]:
        """Every control's value under the notebook's parameter names."""
        params: dict[str, Any] = dict(self.fixed)
        weights: dict[str, float] = {}
        for name, control in self.controls.items():
            value = control.value
            if name == "period":
                params["start"], params["end"] = int(value[0]), int(value[1])
            elif name.startswith("weight:"):
                weights[name.split(":", 1)[1]] = float(value)
            else:
                params[name] = self.parameter_value(name, value)
        if weights:
            params["weights"] = weights
        return params

    def parameter_value(self, name: str, value: Any) -> Any:
        """The parameter a control's value stands for (lists for multiple choices)."""
        return list(value) if isinstance(value, tuple | list) else value

    def select(self) -> Selection:
        """The selection the controls describe."""
        return selections.SELECTIONS[self.view](self.atlas, **self.parameters())

    @property
    def rows(self) -> pd.DataFrame:
        """The rows shown (empty before the first update)."""
        return self.selection.rows if self.selection is not None else pd.DataFrame()

    # -------------------------------------------------------------- wiring

    def _start(self, rows: Iterable[w.Widget]) -> None:
        """Lay out the controls above the charts, then draw the first selection."""
        self.figures = [go.FigureWidget(layout=dict(autosize=True))
                        for _ in range(self.figure_count)]
        world = served_url(ASSETS_DIR / "world_110m.json")
        for fig in self.figures:  # maps fetch the world map from the Jupyter server
            set_widget_config(fig, {"displaylogo": False, **(
                {"topojsonURL": world.rsplit("/", 1)[0] + "/"} if world else {})})
            fit_width_when_shown(fig)
        # a column box stretches the chart to the output's width (a row box shrinks it to
        # plotly's default 700 px)
        self._boxes = [w.VBox([f], layout=w.Layout(width="100%", align_items="stretch"))
                       for f in self.figures]
        self.ui = w.VBox([*rows, self.message, *self._boxes,
                          w.HBox([self.download, self.export_button, self.export_status],
                                 layout=w.Layout(align_items="center", flex_flow="row wrap",
                                                 justify_content="space-between")),
                          self.table], layout=w.Layout(width="100%"))
        for name, control in self.controls.items():
            if name not in self._linked:
                control.observe(self._on_change, names="value")
        self._ready = True
        self.update()

    @guarded
    def _on_change(self, _change: object = None) -> None:
        if self._ready:
            self.update()

    def link(self, name: str, callback: Callable[[object], None]) -> None:
        """Call ``callback`` (which adjusts other controls, then redraws through
        ``_on_change``) instead of redrawing when control ``name`` changes: one redraw per
        change, and an error in ``callback`` stays shown."""
        self._linked.add(name)
        self.controls[name].observe(callback, names="value")

    def quiet(self) -> _Quiet:
        """A block in which control changes do not redraw (for linked controls)."""
        return _Quiet(self)

    def update(self) -> None:
        """Recompute the selection and redraw; never raises into the notebook."""
        try:
            self.selection = self.select()
            if self.selection.is_empty:
                self._show_message(self.selection.message)
                return
            with figures.unvalidated():
                built = figures.charts(self.selection, static=False)
            for index, (target, fig) in enumerate(zip(self.figures, built, strict=True)):
                self._shown[index] = sync_figure(target, self._shown.get(index), fig)
            self.figure_updated_at = time.perf_counter()  # read by benchmarks/run.py
            self._show_figures()
            self.after_update()
            table = self.table_frame()
            self.table.value = tables.frame_to_html_table(table, self.table_columns)
            self.download.value = tables.csv_download_link(self.export_frame(), self.filename)
        except Exception as exc:  # a widget callback must not print a traceback
            self.fail(exc)
        finally:
            self.updates += 1

    def fail(self, exc: BaseException) -> None:
        """Show ``exc`` as the explorer's message in place of the charts (the traceback is
        kept in ``last_error``)."""
        self.last_error = "".join(traceback.format_exception(exc))
        self._show_message(f"Could not draw this selection ({type(exc).__name__}: {exc}).")

    def after_update(self) -> None:
        """Hook for explorers that show more than the charts (e.g. the pressure formula)."""

    def _show_message(self, text: str) -> None:
        self.message.value = _message_html(text)
        self.message.layout.display = None
        self._shown.clear()  # the next chart replaces the figure whole
        for box in self._boxes:
            box.layout.display = "none"
        self.table.value = ""
        self.download.value = ""

    def _show_figures(self) -> None:
        self.message.layout.display = "none"
        for box in self._boxes:
            box.layout.display = None

    @property
    def is_empty(self) -> bool:
        """True when the last selection showed a message instead of a chart."""
        return self.message.layout.display != "none"

    def table_frame(self) -> pd.DataFrame:
        """The rows of the table under the chart."""
        return self.rows

    def export_frame(self) -> pd.DataFrame:
        """The rows of the CSV download (columns of the data, not of the hover)."""
        return self.rows[[c for c in self.rows.columns if not c.startswith("_")]]

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return self.ui._repr_mimebundle_(**kwargs)

    @guarded
    def _on_export(self, _button: w.Button) -> None:
        if self.export is None:
            return
        self.export_status.value = "Building the report ..."
        try:
            path = self.export(self.notebook, self.parameters())
        except Exception as exc:  # said beside the button; the charts stay
            self.last_error = "".join(traceback.format_exception(exc))
            detail = str(exc) if isinstance(exc, RuntimeError | ValueError | OSError) else (
                f"{type(exc).__name__}: {exc}")
            self.export_status.value = ("<span class='atlas-export-error' style='color:#b2182b'>"
                                        f"Export failed: {html.escape(detail)}</span>")
            return
        url = served_url(path)
        where = html.escape(str(path))
        if url is None:  # no Jupyter server serves it: say where it is
            self.export_status.value = (f"<span class='atlas-export'>Report written to "
                                        f"<code style='word-break:break-all'>{where}</code>"
                                        "</span>")
            return
        # in JupyterLab the file's place helps the analyst; a dashboard's reader has the link
        place = "" if in_app() else (f" <code style='word-break:break-all;font-size:11px'>"
                                     f"{where}</code>")
        self.export_status.value = (
            f"<span class='atlas-export'><a href='{html.escape(url)}' target='_blank' "
            f"rel='noopener'>Open the report in a new tab</a>{place}</span>")


class _Quiet:
    """Context manager: the explorer does not redraw while linked controls change."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.ready = explorer._ready

    def __enter__(self) -> None:
        self.explorer._ready = False

    def __exit__(self, *exc: object) -> None:
        self.explorer._ready = self.ready


# ---------------------------------------------------------------- shared controls


def region_dropdown(atlas: Atlas, value: str = ALL) -> w.Dropdown:
    """All regions of the data, or one."""
    options = [ALL, *atlas.region_names()]
    return w.Dropdown(options=options, value=value if value in options else ALL,
                      description="Region")


def period_slider(atlas: Atlas, start: int | None, end: int | None) -> w.SelectionRangeSlider:
    """A range of the data's years (``atlas.years``)."""
    start, end = selections.period(atlas, start, end)
    years = atlas.years
    return w.SelectionRangeSlider(options=years, index=(years.index(start), years.index(end)),
                                  description="Period", continuous_update=False,
                                  layout=w.Layout(width="100%", max_width="560px"))


def year_slider(atlas: Atlas, value: int | None, description: str) -> w.IntSlider:
    """One of the data's years (default: the last)."""
    years = atlas.years
    value = years[-1] if value is None else min(max(int(value), years[0]), years[-1])
    return w.IntSlider(value=value, min=years[0], max=years[-1], description=description,
                       continuous_update=False, style={"description_width": "initial"})


def labelled(atlas: Atlas, resource: str, field: str, codes: Iterable[str],
             all_label: str | None = None) -> list[tuple[str, str]]:
    """Dropdown options of coded values with their reader labels (and "all ...")."""
    options = [(atlas.label(resource, field, c), c) for c in codes]
    return ([(all_label, ALL)] if all_label else []) + options


def purpose_dropdown(atlas: Atlas, value: str) -> w.Dropdown:
    """The investment purposes that occur, or all."""
    return w.Dropdown(options=labelled(atlas, "investments", "category",
                                       _present(atlas.investments, "category"),
                                       "all purposes"), value=value, description="Purpose")


def _present(frame: pd.DataFrame, column: str) -> list[str]:
    """The codes of ``column`` that occur, in the vocabulary's order."""
    present = set(frame[column].astype(str))
    return [c for c in map(str, frame[column].cat.categories) if c in present]


# ---------------------------------------------------------------- users


class GrowthExplorer(Explorer):
    """Users by place over time, with regulatory events and restriction ranges."""

    view = "growth"
    notebook = "01-global-growth"
    filename = "tiktok-users-selection.csv"
    table_columns = ("geo_name", "date", "metric_label", "value", "share_pct", "change_pct",
                     "claim_type_label", "source_publisher", "source_title", "note")

    def __init__(self, atlas: Atlas, region: str = ALL, countries: Sequence[str] | None = None,
                 metric: str = "monthly_active_users", start: int | None = None,
                 end: int | None = None, claim_type: str = ALL, y: str = "value",
                 base_year: int | None = None, log_y: bool = False,
                 event_types: Sequence[str] | None = None,
                 export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        resolved = selections.growth(atlas, region, countries, metric, start, end, claim_type,
                                     y, base_year, log_y, event_types).params
        users = atlas.users
        metrics_present = _present(users, "metric")
        reg_types = atlas.event_type_codes("regulatory")
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        self._codes = {name: code for name, code in atlas.geo_options(users, None)}
        offered = atlas.geo_options(users, c["region"].value)
        c["countries"] = w.TagsInput(
            allowed_tags=[name for name, _ in offered], allow_duplicates=False,
            value=[atlas.place_names[g] for g in resolved["countries"]
                   if g in {code for _, code in offered}],
            placeholder="type a place", description="Places", layout=WIDE)
        c["metric"] = w.Dropdown(options=labelled(atlas, "users", "metric", metrics_present,
                                                  "all metrics"),
                                 value=metric if metric in metrics_present else ALL,
                                 description="Metric")
        c["claim_type"] = w.Dropdown(options=labelled(atlas, "users", "claim_type",
                                                      atlas.labels("users", "claim_type"),
                                                      "all claim types"),
                                     value=claim_type, description="Claim")
        c["period"] = period_slider(atlas, start, end)
        c["y"] = w.Dropdown(options=Y_MODE_OPTIONS, value=y, description="Show")
        c["base_year"] = w.Dropdown(options=atlas.years, value=resolved["base_year"],
                                    description="Base year")
        c["log_y"] = w.Checkbox(value=bool(log_y), description="log scale")
        c["event_types"] = w.SelectMultiple(
            options=labelled(atlas, "events", "event_type", reg_types),
            value=tuple(t for t in resolved["event_types"] if t in reg_types), rows=8,
            description="Events", layout=WIDE)
        self.link("region", self._region_changed)
        self._start([
            w.HBox([w.Label("Places"), c["countries"]], layout=w.Layout(width="100%")),
            w.HBox([w.VBox([c["region"], c["metric"], c["claim_type"], c["y"], c["base_year"],
                            c["log_y"]]), c["event_types"]],
                   layout=w.Layout(flex_flow="row wrap")),
            c["period"]])

    def parameter_value(self, name: str, value: Any) -> Any:
        if name == "countries":  # the tags are place names
            return [self._codes[n] for n in value if n in self._codes]
        return super().parameter_value(name, value)

    @guarded
    def _region_changed(self, _change: object = None) -> None:
        """A region narrows the place list; kept places stay chosen, else its largest
        markets (the same default as the report's)."""
        c = self.controls
        options = self.atlas.geo_options(self.atlas.users, c["region"].value)
        names = [name for name, _ in options]
        kept = [n for n in c["countries"].value if n in names] or [
            self.atlas.place_names[g] for g in selections.default_places(
                self.atlas, c["region"].value, c["metric"].value)
            if self.atlas.place_names[g] in names]
        with self.quiet():
            c["countries"].value = []
            c["countries"].allowed_tags = names
            c["countries"].value = kept
        self._on_change()


class ClaimsExplorer(Explorer):
    """Company claims against third-party estimates for one place."""

    view = "claims"
    notebook = "01-global-growth"
    filename = "tiktok-claims-selection.csv"
    table_columns = ("date", "metric_label", "value", "claim_type_label", "source_publisher",
                     "source_title", "note")

    def __init__(self, atlas: Atlas, claims_place: str = "USA", start: int | None = None,
                 end: int | None = None, export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        options = selections.claims_places(atlas)
        if claims_place not in [g for _, g in options]:  # the report shows it too
            options = sorted([*options, (atlas.place_names.get(claims_place, claims_place),
                                         claims_place)])
        self.controls["claims_place"] = w.Dropdown(options=options, description="Place",
                                                   value=claims_place)
        self.controls["period"] = period_slider(atlas, start, end)
        self._start([w.HBox([self.controls["claims_place"], self.controls["period"]],
                            layout=w.Layout(flex_flow="row wrap"))])


class UsersMapExplorer(Explorer):
    """Latest user figure per country up to a chosen year, on a world map."""

    view = "users-map"
    notebook = "01-global-growth"
    filename = "tiktok-users-map.csv"
    table_columns = ("geo_name", "date", "metric_label", "value", "share_pct",
                     "claim_type_label", "source_publisher", "source_title")

    def __init__(self, atlas: Atlas, map_metric: str = "monthly_active_users",
                 map_year: int | None = None, map_show: str = "value",
                 export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        c = self.controls
        offered = [*selections.MAP_METRICS, *(
            [map_metric] if map_metric not in (*selections.MAP_METRICS, ALL) else [])]
        c["map_metric"] = w.Dropdown(
            options=labelled(atlas, "users", "metric", offered)
            + [("one metric per country (mixed)", ALL)], value=map_metric,
            description="Metric")
        c["map_show"] = w.Dropdown(options=Y_MODE_OPTIONS[:2], value=map_show,
                                   description="Show")
        c["map_year"] = year_slider(atlas, map_year, "As of end")
        self._start([w.HBox([c["map_metric"], c["map_show"], c["map_year"]],
                            layout=w.Layout(flex_flow="row wrap"))])


# ---------------------------------------------------------------- workforce & investment


class WorkforceExplorer(Explorer):
    """Headcount, hiring plans and job cuts by place."""

    view = "workforce"
    notebook = "02-workforce-and-investment"
    filename = "tiktok-workforce-selection.csv"
    table_columns = ("geo_name", "date", "employer_label", "metric_label", "value",
                     "horizon_years", "scope", "claim_type_label", "sources", "row_ids",
                     "source_publisher", "source_title", "note")

    def __init__(self, atlas: Atlas, region: str = ALL, start: int | None = None,
                 end: int | None = None, workforce_metric: str = ALL, employer: str = ALL,
                 export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        wf = atlas.workforce
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["workforce_metric"] = w.Dropdown(
            options=labelled(atlas, "workforce", "metric", _present(wf, "metric"), "all kinds"),
            value=workforce_metric, description="Kind")
        c["employer"] = w.Dropdown(
            options=labelled(atlas, "workforce", "employer", _present(wf, "employer"),
                             "all employers"), value=employer, description="Employer")
        c["period"] = period_slider(atlas, start, end)
        self._start([w.HBox([c["region"], c["workforce_metric"], c["employer"]],
                            layout=w.Layout(flex_flow="row wrap")), c["period"]])


class InvestmentExplorer(Explorer):
    """Announced investments in USD by place and purpose."""

    view = "investments"
    notebook = "02-workforce-and-investment"
    filename = "tiktok-investments-selection.csv"
    table_columns = ("geo_name", "date", "investor_label", "category_label", "amount",
                     "currency", "amount_usd", "value_low", "value_high", "sources", "row_ids",
                     "horizon_years", "scope", "claim_type_label", "source_publisher",
                     "source_title", "note")

    def __init__(self, atlas: Atlas, region: str = ALL, start: int | None = None,
                 end: int | None = None, purpose: str = ALL,
                 export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["purpose"] = purpose_dropdown(atlas, purpose)
        c["period"] = period_slider(atlas, start, end)
        self._start([w.HBox([c["region"], c["purpose"]], layout=w.Layout(flex_flow="row wrap")),
                     c["period"]])

    def table_frame(self) -> pd.DataFrame:
        return self.rows


class InvestmentMapExplorer(Explorer):
    """Announced investments per country in USD, summed up to a chosen year, on a map."""

    view = "investments-map"
    notebook = "02-workforce-and-investment"
    filename = "tiktok-investments-map.csv"
    table_columns = ("geo_name", "date", "category_label", "amount", "currency", "amount_usd",
                     "sources", "row_ids", "scope", "claim_type_label", "source_publisher",
                     "source_title")

    def __init__(self, atlas: Atlas, map_purpose: str = ALL, map_year: int | None = None,
                 export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        c = self.controls
        c["map_purpose"] = purpose_dropdown(atlas, map_purpose)
        c["map_year"] = year_slider(atlas, map_year, "Up to end")
        self._start([w.HBox([c["map_purpose"], c["map_year"]],
                            layout=w.Layout(flex_flow="row wrap"))])


# ---------------------------------------------------------------- events & pressure


class TimelineExplorer(Explorer):
    """Regulatory and business events by place and date."""

    view = "timeline"
    notebook = "03-regulatory-pressure"
    filename = "tiktok-events-selection.csv"
    table_columns = ("date", "geo_name", "subdivision", "event_type_label", "title", "authority",
                     "status_after_label", "amount", "currency", "source_publisher",
                     "source_title")

    def __init__(self, atlas: Atlas, region: str = ALL, start: int | None = None,
                 end: int | None = None, category: str = "regulatory",
                 timeline_types: Sequence[str] | None = None,
                 export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["category"] = w.Dropdown(options=[("all events", ALL), ("regulatory", "regulatory"),
                                            ("business", "business")], value=category,
                                   description="Category")
        offered = atlas.event_type_codes(category)
        c["timeline_types"] = w.SelectMultiple(
            options=labelled(atlas, "events", "event_type", offered), rows=8,
            description="Types", layout=WIDE,
            value=tuple(t for t in (offered if timeline_types is None else timeline_types)
                        if t in offered))
        c["period"] = period_slider(atlas, start, end)
        self.link("category", self._category_changed)
        self._start([w.HBox([w.VBox([c["region"], c["category"]]), c["timeline_types"]],
                            layout=w.Layout(flex_flow="row wrap")), c["period"]])

    @guarded
    def _category_changed(self, _change: object = None) -> None:
        """A category offers its own event types, all chosen."""
        c = self.controls
        offered = self.atlas.event_type_codes(c["category"].value)
        with self.quiet():
            c["timeline_types"].options = labelled(self.atlas, "events", "event_type", offered)
            c["timeline_types"].value = tuple(offered)
        self._on_change()


class StatusMapExplorer(Explorer):
    """Where TikTok was banned, blocked or restricted on government devices, by year."""

    view = "status-map"
    notebook = "03-regulatory-pressure"
    filename = "tiktok-status-selection.csv"
    table_columns = ("geo_name", "status", "since", "until", "end_sourced", "title",
                     "source_publisher", "source_title")

    def __init__(self, atlas: Atlas, status_year: int | None = None, start: int | None = None,
                 end: int | None = None, export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        start, end = selections.period(atlas, start, end)
        self.fixed = {"start": start, "end": end}  # the report's slider years
        self.controls["status_year"] = year_slider(atlas, status_year if status_year is not None
                                                   else end, "End of")
        self._start([self.controls["status_year"]])


class PressureExplorer(Explorer):
    """The regulatory pressure index with adjustable weights, and against users."""

    view = "pressure"
    notebook = "03-regulatory-pressure"
    filename = "tiktok-pressure-selection.csv"
    table_columns = ("geo_name", "period", "pressure", "events")
    figure_count = 2

    def __init__(self, atlas: Atlas, region: str = ALL, start: int | None = None,
                 end: int | None = None, freq: str = "year",
                 half_life_years: float | None = None,
                 weights: Mapping[str, float] | None = None,
                 export: ExportBuilder | None = None) -> None:
        super().__init__(atlas, export)
        c = self.controls
        c["region"] = region_dropdown(atlas, region)
        c["period"] = period_slider(atlas, start, end)
        c["freq"] = w.Dropdown(options=[("by year", "year"), ("by quarter", "quarter")],
                               value=freq, description="Periods")
        decays = [("no decay", NO_DECAY), ("half-life 1 year", 1.0),
                  ("half-life 2 years", 2.0), ("half-life 5 years", 5.0)]
        if half_life_years not in (None, *[v for _, v in decays]):
            decays.append((f"half-life {half_life_years:g} years", float(half_life_years)))
        c["half_life_years"] = w.Dropdown(
            options=decays, description="Decay",
            value=NO_DECAY if half_life_years is None else float(half_life_years))
        start_weights = {**atlas.default_weights, **(weights or {})}
        self.weight_sliders = {
            k: w.FloatSlider(value=v, min=0, max=max(20.0, *start_weights.values()), step=0.5,
                             description=atlas.label("events", "event_type", k),
                             continuous_update=False, style={"description_width": "200px"},
                             layout=w.Layout(width="480px", max_width="100%"))
            for k, v in sorted(start_weights.items(), key=lambda kv: -kv[1])}
        for key, slider in self.weight_sliders.items():
            c[f"weight:{key}"] = slider
        reset = w.Button(description="Default weights", layout=w.Layout(width="auto"))
        reset.on_click(self._reset_weights)
        self.formula = w.HTML()
        weights_box = w.Accordion([w.HBox([w.VBox([*self.weight_sliders.values(), reset]),
                                           self.formula],
                                          layout=w.Layout(flex_flow="row wrap"))],
                                  titles=("Weights (points per event type)",))
        self._start([w.HBox([c["region"], c["freq"], c["half_life_years"]],
                            layout=w.Layout(flex_flow="row wrap")), c["period"], weights_box])

    def parameter_value(self, name: str, value: Any) -> Any:
        if name == "half_life_years":  # a Dropdown cannot show the value None
            return None if value == NO_DECAY else value
        return super().parameter_value(name, value)

    @guarded
    def _reset_weights(self, _button: w.Button | None = None) -> None:
        with self.quiet():
            for key, slider in self.weight_sliders.items():
                slider.value = self.atlas.default_weights.get(key, 0.0)
        self.update()

    def weights(self) -> dict[str, float]:
        """The weights currently set on the sliders."""
        return {k: float(s.value) for k, s in self.weight_sliders.items()}

    def after_update(self) -> None:
        self.formula.value = tables.pressure_formula_html(
            self.parameters()["half_life_years"], FINE_SCALE_USD, SUBNATIONAL_FACTOR)

    def table_frame(self) -> pd.DataFrame:
        return selections.pressure_totals(self.rows, self.parameters()["half_life_years"])

    def export_frame(self) -> pd.DataFrame:
        rows = super().export_frame()
        return rows.assign(period=rows["period"].astype(str))


EXPLORERS: dict[str, type[Explorer]] = {cls.view: cls for cls in (
    GrowthExplorer, ClaimsExplorer, UsersMapExplorer, WorkforceExplorer, InvestmentExplorer,
    InvestmentMapExplorer, TimelineExplorer, StatusMapExplorer, PressureExplorer)}
"""Every explorer, by view name."""
