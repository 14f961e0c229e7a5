"""Pure figure builders: DataFrame and options in, ``plotly.graph_objects.Figure`` out.

No function here reads files or computes a metric: rows come from ``helpers.selections``
(through ``helpers.metrics``), labels, colours and symbols of coded values ride on the rows
(joined by ``helpers.atlas`` from the data package). Every figure uses the shared ``atlas``
template, puts units in its axis titles and cites value, date, claim type and publisher on
hover.

- ``style``: the template and derived-status colours
- ``common``: the figure constructor, hover text, grouping, the "nothing to draw" figure
- ``users``, ``maps``, ``money``, ``events``: the builders
- ``charts``: each view's figures for a selection, explorer or report
- ``fastpath``: plotly's private switches for the explorers' hot path, isolated
"""

from helpers.figures.charts import add_trace_menu, charts
from helpers.figures.common import empty_figure, with_hover
from helpers.figures.events import pressure_heatmap, pressure_scatter, timeline_figure
from helpers.figures.fastpath import unvalidated
from helpers.figures.maps import choropleth_figure, status_map_figure
from helpers.figures.money import investments_figure, workforce_figure
from helpers.figures.style import STATUS_COLOURS, TEMPLATE
from helpers.figures.users import claims_figure, episode_ranges, growth_figure, series_name

__all__ = ["STATUS_COLOURS", "TEMPLATE", "add_trace_menu", "charts", "choropleth_figure",
           "claims_figure", "empty_figure", "episode_ranges", "growth_figure",
           "investments_figure", "pressure_heatmap", "pressure_scatter", "series_name",
           "status_map_figure", "timeline_figure", "unvalidated", "with_hover",
           "workforce_figure"]
