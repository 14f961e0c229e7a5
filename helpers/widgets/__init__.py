"""ipywidgets explorers (``explorers``) and the FigureWidget sync behind them (``sync``)."""

from helpers.widgets.explorers import (
    EXPLORERS,
    ClaimsExplorer,
    Explorer,
    GrowthExplorer,
    InvestmentExplorer,
    InvestmentMapExplorer,
    PressureExplorer,
    StatusMapExplorer,
    TimelineExplorer,
    UsersMapExplorer,
    WorkforceExplorer,
)
from helpers.widgets.sync import replace_figure, sync_figure

__all__ = ["EXPLORERS", "ClaimsExplorer", "Explorer", "GrowthExplorer", "InvestmentExplorer",
           "InvestmentMapExplorer", "PressureExplorer", "StatusMapExplorer",
           "TimelineExplorer", "UsersMapExplorer", "WorkforceExplorer", "replace_figure",
           "sync_figure"]
