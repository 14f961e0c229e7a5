"""TikTok Growth Atlas: load the sourced tables and build figures, widgets and reports.

Layers flow one way: ``data`` -> ``metrics`` -> ``figures`` -> ``widgets`` / ``report``.
"""

from helpers.data import DataValidationError, Problem, load_table, validate_package

__all__ = ["DataValidationError", "Problem", "load_table", "validate_package"]
__version__ = "0.1.0"
