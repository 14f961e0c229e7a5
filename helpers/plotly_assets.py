"""The world map plotly.js needs for choropleths, from the vendored ``assets/`` folder."""

from __future__ import annotations

from functools import cache

from helpers.paths import ASSETS_DIR as ASSETS


@cache
def geo_assets_js() -> str:
    """JavaScript that hands plotly.js the world map, so maps draw without its CDN."""
    topo = (ASSETS / "world_110m.json").read_text(encoding="utf-8")
    return f"window.PlotlyGeoAssets={{topojson:{{world_110m:{topo}}}}};"
