"""The project's folders, defined once."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project root (the folder holding ``helpers/``, ``notebooks/`` and ``tiktok_data/``)."""
PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
DATA_DIR = ROOT / "tiktok_data"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = Path(os.environ.get("ATLAS_REPORTS_DIR") or ROOT / "reports")
"""Where reports go (``ATLAS_REPORTS_DIR`` overrides: e.g. a JupyterLab whose root is
elsewhere, so that the explorers' export links stay inside what it serves)."""
SETS_DIR = "sets"
"""Per-parameter report sets live in ``reports/sets/<slug>/``."""
