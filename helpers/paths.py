"""The project's folders, defined once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project root (the folder holding ``helpers/``, ``notebooks/`` and ``tiktok_data/``)."""
PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
DATA_DIR = ROOT / "tiktok_data"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"
SETS_DIR = "sets"
"""Per-parameter report sets live in ``reports/sets/<slug>/``."""
