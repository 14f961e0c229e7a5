"""TikTok Growth Atlas: load the sourced tables and build figures, widgets and reports.

Layers flow one way: ``data`` -> ``metrics`` -> ``figures`` -> ``widgets`` / ``report``.

``from helpers import load_table`` works as before, but the package itself imports nothing
until one of these names is used (PEP 562), so that ``python -m helpers`` can start without
pandas and hand over to the project's ``.venv`` (see ``helpers/__main__.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpers.data import DataValidationError, Problem, load_table, validate_package

__all__ = ["DataValidationError", "Problem", "load_table", "validate_package"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        from helpers import data

        return getattr(data, name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
