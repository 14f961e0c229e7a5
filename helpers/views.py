"""One call per view for the notebooks: an interactive explorer in JupyterLab, or, in report
mode, a static plotly figure (with its own dropdowns and sliders), a summary table and a link
to the CSV behind it.

The module also remembers which sources the views of a session showed, so that a notebook
can end with :func:`sources_section`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from helpers import figures, metrics, widgets
from helpers.atlas import Atlas
from helpers.export import csv_text
from helpers.plotly_assets import geo_assets_js

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
    trusted). Outside a kernel this does nothing."""
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


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def figure_html(fig: go.Figure, div_id: str) -> str:
    """The figure as a <div> and script, without plotly.js (the page loads it once)."""
    return pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
                       auto_play=False, config={"displaylogo": False, "responsive": True})


@dataclass
class StaticView:
    """A figure plus its summary table and CSV link, rendered as HTML for reports."""

    name: str
    figure: go.Figure
    table: pd.DataFrame
    columns: Sequence[str]
    data: pd.DataFrame
    summary: str = ""
    csv_link: str = field(default="", init=False)

    def __post_init__(self) -> None:
        if SETTINGS.csv_dir is not None:
            SETTINGS.csv_dir.mkdir(parents=True, exist_ok=True)
            name = f"{self.name}.csv"
            (SETTINGS.csv_dir / name).write_text(csv_text(self.data), encoding="utf-8")
            self.csv_link = (f'<a class="atlas-csv" href="{html.escape(SETTINGS.csv_href)}/'
                             f'{html.escape(name)}">CSV of the {len(self.data)} rows behind '
                             f'this chart</a>')

    def to_html(self) -> str:
        """The figure, the summary, the table and the CSV link as one HTML block."""
        table = widgets.frame_to_html_table(self.table, [c for c in self.columns
                                                         if c in self.table.columns])
        summary = f"<p class='atlas-summary'>{self.summary}</p>" if self.summary else ""
        return (f"<section class='atlas-view' id='view-{self.name}'>"
                f"{figure_html(self.figure, f'fig-{self.name}')}{summary}"
                f"<details class='atlas-data'><summary>Data behind this chart</summary>"
                f"{table}</details>{self.csv_link}</section>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.to_html(), PLOTLY_MIME: json.loads(pio.to_json(self.figure)),
                "text/plain": f"<{self.name}: {len(self.data)} rows>"}


def _view(explorer_cls: type[widgets.Explorer], atlas: Atlas, name: str,
          static: Any, **params: Any) -> widgets.Explorer | StaticView:
    if SETTINGS.report_mode:
        view = static()
        _cite(view.data)
        return view
    explorer = explorer_cls(atlas, **params)
    if SETTINGS.notebook:
        explorer.notebook = SETTINGS.notebook
    _cite(explorer.selection)
    return explorer


def _in_region(frame: pd.DataFrame, atlas: Atlas, region: str, start: int,
               end: int) -> pd.DataFrame:
    """Rows of ``frame`` in ``region`` dated from the start of ``start`` to the end of ``end``."""
    return metrics.filter_rows(frame, geos=metrics.geos_in_region(atlas.regions, region),
                               start=f"{start}-01-01", end=f"{end}-12-31")


def _places(n: int) -> str:
    return f"{n} place{'s' if n != 1 else ''}"


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


# ---------------------------------------------------------------- the views


def growth(atlas: Atlas, region: str = metrics.ALL, countries: Sequence[str] = (),
           metric: str = "monthly_active_users", start: int = 2018, end: int = 2026,
           **extra: Any) -> widgets.Explorer | StaticView:
    """Users over time with regulatory events: explorer, or static lines with a geo menu."""

    def static() -> StaticView:
        geos = list(countries) or [c for _, c in atlas.geo_options(atlas.users, region)]
        rows = metrics.filter_rows(atlas.users, geos=geos, start=f"{start}-01-01",
                                   end=f"{end}-12-31", metric=metric, product="tiktok")
        period = dict(start=f"{start}-01-01", end=f"{end}-12-31")
        events = metrics.distinct_events(metrics.filter_rows(
            atlas.events, geos=rows["geo"].unique(), **period,
            category="regulatory", event_type=list(widgets.DEFAULT_EVENT_TYPES)))
        episodes = metrics.episodes_in(atlas.episodes, geos=rows["geo"].unique(), **period,
                                       event_types=list(widgets.DEFAULT_EVENT_TYPES))
        label = figures.METRIC_LABELS.get(metric, "all user metrics")
        fig = figures.growth_figure(rows, events, episodes=episodes, controls=True,
                                    title=f"TikTok {label}, "
                                          f"{region if region != 'All' else 'all regions'}")
        latest = metrics.latest_per_geo(rows)
        return StaticView("growth", fig, latest.sort_values("value", ascending=False),
                          ("geo_name", "date", "metric", "value", "share_pct", "claim_type",
                           "source_publisher", "source_title"), rows,
                          summary=f"{len(rows)} figures for {_places(rows['geo'].nunique())}; "
                                  "the table lists the latest figure per place and metric. Use "
                                  "the menu at the top right to show one place.")

    return _view(widgets.GrowthExplorer, atlas, "growth", static, **_clean(dict(
        region=region, countries=countries, metric=metric, start=start, end=end, **extra)))


def claims(atlas: Atlas, geo: str = "USA", start: int = 2018,
           end: int = 2026) -> widgets.Explorer | StaticView:
    """Company claims against estimates for one place."""

    def static() -> StaticView:
        rows = metrics.filter_rows(atlas.users, geos=[geo], start=f"{start}-01-01",
                                   end=f"{end}-12-31", product="tiktok").sort_values("date")
        name = rows["geo_name"].iloc[0] if len(rows) else geo
        fig = figures.claims_figure(rows, title=f"Who says how many TikTok users in {name}?")
        counts = rows.groupby("claim_type", observed=True)["value"].agg(["count", "min", "max"])
        text = "; ".join(f"{figures.CLAIM_LABELS[str(k)]}: {int(v['count'])} figures "
                         f"({figures._fmt_number(v['min'])} to {figures._fmt_number(v['max'])})"
                         for k, v in counts.iterrows())
        return StaticView(f"claims-{_slug(geo)}", fig, rows,
                          ("date", "metric", "value", "claim_type", "source_publisher",
                           "source_title"), rows, summary=html.escape(text))

    return _view(widgets.ClaimsExplorer, atlas, "claims", static, geo=geo, start=start, end=end)


def users_map(atlas: Atlas, metric: str = "monthly_active_users"
              ) -> widgets.Explorer | StaticView:
    """Latest users per country on a map (year slider in reports): one metric, or with
    ``metric="All"`` one metric per country (the first available of
    ``metrics.USER_METRIC_PREFERENCE``, named in each hover)."""

    def static() -> StaticView:
        rows = metrics.filter_rows(atlas.users, metric=metric, product="tiktok")
        rows = metrics.one_metric_per_geo(rows).sort_values("date")
        label = figures.METRIC_LABELS.get(metric)
        title = (f"TikTok {label} by country (latest figure up to each year)" if label else
                 "TikTok users by country, one metric per country (mixed definitions: the "
                 "hover names each country's metric)")
        fig = figures.choropleth_figure(rows, title=title, colorbar_title="people",
                                        log_colour=True)
        latest = metrics.latest_per_geo(rows, by=("geo",))
        return StaticView("users-map", fig, latest.sort_values("value", ascending=False),
                          ("geo_name", "date", "metric", "value", "share_pct", "claim_type",
                           "source_publisher", "source_title"), rows,
                          summary="Drag the slider to see what was known at the end of each "
                                  "year; a country keeps its latest figure until a newer one.")

    return _view(widgets.UsersMapExplorer, atlas, "users-map", static, metric=metric)


def workforce(atlas: Atlas, region: str = metrics.ALL, start: int = 2018,
              end: int = 2026) -> widgets.Explorer | StaticView:
    """Headcount, hiring plans and job cuts by place."""

    def static() -> StaticView:
        rows = metrics.counted_once(_in_region(atlas.workforce, atlas, region, start, end),
                                    value="value")
        fig = figures.workforce_figure(rows)
        _add_trace_menu(fig, "metric", "All kinds")
        return StaticView("workforce", fig, rows.sort_values(["geo_name", "date"]),
                          ("geo_name", "date", "employer", "metric", "value", "horizon_years",
                           "scope", "claim_type", "sources", "source_publisher",
                           "source_title"), rows,
                          summary=f"{len(rows)} workforce figures (a plan reported by several "
                                  "sources counts once); "
                                  f"{int(rows['value'].isna().sum())} have no number in their "
                                  "source and appear only in the table.")

    return _view(widgets.WorkforceExplorer, atlas, "workforce", static, region=region,
                 start=start, end=end)


def investments(atlas: Atlas, region: str = metrics.ALL, start: int = 2018,
                end: int = 2026) -> widgets.Explorer | StaticView:
    """Announced investments in USD by place and purpose."""

    def static() -> StaticView:
        rows = metrics.counted_once(_in_region(atlas.investments, atlas, region, start, end))
        fig = figures.investments_figure(rows)
        _add_trace_menu(fig, "category", "All purposes")
        return StaticView("investments", fig, rows.sort_values(["geo_name", "date"]),
                          ("geo_name", "date", "investor", "category", "amount", "currency",
                           "amount_usd", "value_low", "value_high", "sources", "scope",
                           "claim_type", "source_publisher", "source_title"), rows,
                          summary="Each commitment counts once: several sources for one "
                                  "announcement are one bar (the best-sourced figure, with the "
                                  "range where they disagree), and a figure that includes or "
                                  "replaces an earlier one replaces it. Amounts in their own "
                                  "currency are converted at the yearly average rate of the "
                                  "announcement year.")

    return _view(widgets.InvestmentExplorer, atlas, "investments", static, region=region,
                 start=start, end=end)


def investments_map(atlas: Atlas, category: str = metrics.ALL) -> widgets.Explorer | StaticView:
    """Investments summed per country on a map (year slider in reports)."""

    def static() -> StaticView:
        rows = metrics.filter_rows(atlas.investments, category=category).sort_values("date")
        fig = figures.choropleth_figure(
            rows, value="amount_usd", aggregate="sum", log_colour=True, colorbar_title="USD",
            prepare=metrics.counted_once,
            title="Announced investments by country (USD, each commitment counted once, "
                  "up to each year)")
        rows = metrics.counted_once(rows)
        rows = rows[rows["amount_usd"].notna()]
        totals = metrics.investment_totals(rows)
        return StaticView("investments-map", fig, totals,
                          ("geo_name", "commitments", "with_amount", "total_usd"), rows,
                          summary="Drag the slider: each country shows the sum of the "
                                  "commitments announced up to the end of that year.")

    return _view(widgets.InvestmentMapExplorer, atlas, "investments-map", static,
                 category=category)


def timeline(atlas: Atlas, region: str = metrics.ALL, category: str = "regulatory",
             start: int = 2018, end: int = 2026) -> widgets.Explorer | StaticView:
    """Events by place and date."""

    def static() -> StaticView:
        geos = metrics.geos_in_region(atlas.regions, region)
        rows = metrics.distinct_events(metrics.filter_rows(
            atlas.events, geos=geos, start=f"{start}-01-01", end=f"{end}-12-31",
            category=category)).sort_values(["date", "geo_name"])
        fig = figures.timeline_figure(rows, controls=True)
        return StaticView(f"timeline-{_slug(category)}", fig, rows,
                          ("date", "geo_name", "subdivision", "event_type", "title",
                           "authority", "status_after", "amount", "currency",
                           "source_publisher", "source_title"), rows,
                          summary=f"{len(rows)} events in {rows['geo'].nunique()} places. "
                                  "Use the menu to show one event type.")

    return _view(widgets.TimelineExplorer, atlas, "timeline", static, region=region,
                 category=category, start=start, end=end)


def restrictions(atlas: Atlas, scope: str = "nationwide") -> HtmlBlock:
    """Restrictions at a glance, from the restriction episodes: place, scope, from, to (or
    why there is no end date), status and source. ``scope``: nationwide, partial,
    subnational or All."""
    table = metrics.restrictions_at_a_glance(atlas.episodes)
    if scope != metrics.ALL:
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
        return (f"USD {figures._fmt_number(total)} (sources disagree: "
                f"{figures._fmt_number(low)} to {figures._fmt_number(high)})")
    return f"USD {figures._fmt_number(total)}"


def status_map(atlas: Atlas, start: int = 2018, end: int = 2026) -> widgets.Explorer | StaticView:
    """Strongest national restriction per country at the end of each year."""

    def static() -> StaticView:
        episodes = atlas.episodes
        statuses = {y: metrics.with_sources(metrics.status_on(atlas.events_raw, f"{y}-12-31",
                                                              episodes), atlas.sources)
                    for y in range(start, end + 1)}
        fig = figures.status_map_figure(statuses, atlas.regions)
        last = metrics.with_geo_names(statuses[end], atlas.regions).sort_values(
            ["level", "geo_name"], ascending=[False, True])
        counts = last["status"].value_counts()
        return StaticView("status-map", fig, last, ("geo_name", "status", "since", "until",
                                                    "end_sourced", "title", "source_publisher",
                                                    "source_title"),
                          episodes, summary=f"At the end of {end}: " + ", ".join(
                              f"{_places(n)} {s}" for s, n in counts.items()) + ". "
                          "A restriction whose end no source gives counts only up to the last "
                          "event that confirms it.")

    return _view(widgets.StatusMapExplorer, atlas, "status-map", static, year=end)


def pressure(atlas: Atlas, region: str = metrics.ALL, start: int = 2018, end: int = 2026,
             freq: str = "year", half_life_years: float | None = None,
             weights: dict[str, float] | None = None) -> widgets.Explorer | StaticView:
    """The pressure index heatmap (and, in reports, a second view against users)."""

    def static() -> StaticView:
        geos = metrics.geos_in_region(atlas.regions, region)
        events = metrics.filter_rows(atlas.events_raw, geos=geos, end=f"{end}-12-31")
        code = "Y" if freq == "year" else "Q"
        table = metrics.pressure_index(events, atlas.fx, weights, freq=freq,
                                       half_life_years=half_life_years,
                                       periods=pd.period_range(f"{start}-01-01",
                                                               f"{end}-12-31", freq=code))
        table = metrics.with_geo_names(table, atlas.regions)
        fig = figures.pressure_heatmap(table)
        totals = (table.groupby("geo_name", as_index=False)[["pressure", "events"]].sum()
                  .sort_values("pressure", ascending=False))
        used = metrics.distinct_events(events[events["date"] >= pd.Timestamp(f"{start}-01-01")])
        data = table.assign(period=table["period"].astype(str))
        view = StaticView("pressure", fig, totals.head(30), ("geo_name", "pressure", "events"),
                          data, summary="Whole-period totals of the top 30 places.")
        _cite(used)
        return view

    return _view(widgets.PressureExplorer, atlas, "pressure", static, **_clean(dict(
        region=region, start=start, end=end, freq=freq, half_life_years=half_life_years,
        weights=weights)))


def pressure_vs_users(atlas: Atlas, region: str = metrics.ALL, start: int = 2018,
                      end: int = 2026) -> StaticView:
    """Static scatter of total pressure against the latest users (both modes)."""
    geos = metrics.geos_in_region(atlas.regions, region)
    events = metrics.filter_rows(atlas.events_raw, geos=geos, start=f"{start}-01-01",
                                 end=f"{end}-12-31")
    table = metrics.pressure_index(events, atlas.fx)
    versus = metrics.pressure_vs_users(table, atlas.users_raw)
    versus = metrics.with_geo_names(metrics.with_sources(versus, atlas.sources), atlas.regions)
    fig = figures.pressure_scatter(versus)
    view = StaticView("pressure-vs-users", fig, versus.sort_values("pressure", ascending=False),
                      ("geo_name", "pressure", "users", "metric", "date", "source_publisher"),
                      versus, summary="Pressure with the default weights, summed over the "
                                      "period; users: the latest TikTok figure of each place.")
    _cite(versus)
    return view


def _add_trace_menu(fig: go.Figure, key: str, all_label: str) -> None:
    """A dropdown showing all traces or those whose meta[key] matches (static pages)."""
    values = [str((t.meta or {}).get(key)) for t in fig.data]
    if len(set(values)) < 2:
        return
    buttons = [dict(label=all_label, method="restyle", args=[{"visible": True}])]
    for value in dict.fromkeys(values):
        buttons.append(dict(label=value.replace("_", " "), method="restyle",
                            args=[{"visible": [v == value for v in values]}]))
    fig.update_layout(updatemenus=[dict(buttons=buttons, direction="down", x=1.0,
                                        xanchor="right", y=1.08, yanchor="bottom")])


# ---------------------------------------------------------------- tables & sources


@dataclass
class HtmlBlock:
    """Plain HTML output (a table or a list) for notebooks and reports."""

    html: str
    text: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html, "text/plain": self.text}


def fact_table(frame: pd.DataFrame, columns: Sequence[str], cite: bool = True) -> HtmlBlock:
    """An escaped HTML table of ``frame`` (its sources are remembered for the page end)."""
    if cite:
        _cite(frame)
    shown = [c for c in columns if c in frame.columns]
    text = frame[shown].to_string(index=False) if not frame.empty else "(no rows)"
    return HtmlBlock(widgets.frame_to_html_table(frame, shown, limit=200), text)


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
    body = (f"<section class='atlas-sources'><h2>Sources</h2><p>{len(cited)} documents "
            f"behind the figures and events on this page.</p><ol>{''.join(items)}</ol></section>")
    return HtmlBlock(body, f"{len(cited)} sources")


EVENT_COLUMNS = ("date", "geo_name", "subdivision", "event_type", "title", "status_after",
                 "amount", "currency", "source_publisher", "source_title")
USER_COLUMNS = ("date", "geo_name", "metric", "value", "claim_type", "source_publisher",
                "source_title", "note")
WORKFORCE_COLUMNS = ("date", "geo_name", "metric", "value", "horizon_years", "scope",
                     "claim_type", "source_publisher", "source_title", "note")
INVESTMENT_COLUMNS = ("date", "geo_name", "category", "amount", "currency", "amount_usd",
                      "horizon_years", "scope", "claim_type", "source_publisher", "source_title",
                      "note")


@dataclass
class MarkdownBlock:
    """Markdown output (rendered by JupyterLab and by nbconvert)."""

    text: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/markdown": self.text, "text/plain": self.text}


def pressure_formula(half_life_years: float | None = None,
                     weights: dict[str, float] | None = None) -> MarkdownBlock:
    """The pressure index formula and weights, as Markdown."""
    return MarkdownBlock(metrics.pressure_formula(weights, half_life_years))
