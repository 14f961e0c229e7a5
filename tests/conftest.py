"""Shared fixtures: a private copy of the data package for tests that break it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.data import clear_cache, default_data_dir

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of tiktok_data/ in a temporary folder (safe to break)."""
    target = tmp_path / "tiktok_data"
    shutil.copytree(default_data_dir(), target)
    clear_cache()
    return target
