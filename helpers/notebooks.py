"""Keep the notebooks in git small: execute them and keep only the outputs nbval checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PROJECT_NOTEBOOK = re.compile(r"(^|/)notebooks/\d\d-[^/]+\.ipynb$")
"""The project's notebooks (API paths as JupyterLab started by ``make lab`` sees them)."""


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell whose output nbval compares (first line is the marker)."""
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)


def _widget_views(outputs: list) -> list:
    """Only the references to live widgets (about 150 bytes each, no data)."""
    return [{"output_type": "display_data", "metadata": {},
             "data": {WIDGET_VIEW: o["data"][WIDGET_VIEW]}}
            for o in outputs if WIDGET_VIEW in o.get("data", {})]


def strip(nb: nbformat.NotebookNode, keep_widget_views: bool = False) -> nbformat.NotebookNode:
    """Drop every output, count and widget state except the outputs of checked cells (and,
    with ``keep_widget_views``, the references to live widgets, so that a page reload in
    JupyterLab redraws them from the running kernel)."""
    for cell in nb.cells:
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        if not is_checked(cell):
            cell.outputs = _widget_views(cell.outputs) if keep_widget_views else []
            cell.execution_count = None
    for key in ("widgets", "papermill"):
        nb.metadata.pop(key, None)
    return nb


def pre_save_hook(model: dict[str, Any], path: str = "", **_: Any) -> None:
    """Jupyter's ``ContentsManager.pre_save_hook`` (``make lab`` sets it): saving one of the
    project's notebooks keeps it as small as in git: no outputs, counts or widget state
    except the outputs nbval checks and the references to live widgets (which draw
    nothing without a kernel). Other notebooks are saved as they are."""
    if model.get("type") != "notebook" or not PROJECT_NOTEBOOK.search(path or ""):
        return
    content = model.get("content")
    if isinstance(content, dict):
        model["content"] = strip(nbformat.from_dict(content), keep_widget_views=True)


def refresh(path: Path, timeout: int = 120) -> Path:
    """Execute ``path`` in a fresh kernel and store only its checked outputs (with their
    execution counts, which nbval needs to see that a reference cell was run)."""
    from nbclient import NotebookClient

    from helpers.kernels import quiet_kernel_manager

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   kernel_manager_class=quiet_kernel_manager(),
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(strip(nb), path)
    return path


def problems(path: Path) -> list[str]:
    """Why ``path`` is not fit for git: stray outputs, widget state, missing checked outputs."""
    nb = nbformat.read(path, as_version=4)
    found = []
    if "widgets" in nb.metadata:
        found.append("widget state in metadata")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        found.append("kernelspec is not python3")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_checked(cell) and not cell.outputs:
            found.append(f"cell {index}: checked by nbval but has no stored output")
        if not is_checked(cell) and (cell.outputs or cell.execution_count):
            found.append(f"cell {index}: stores an output nbval does not check (saved from "
                         "JupyterLab? `make notebooks` stores only the checked ones)")
    return found
