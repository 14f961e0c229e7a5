"""Keep the notebooks in git small: execute them and keep only the outputs nbval checks."""

from __future__ import annotations

from pathlib import Path

import nbformat

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell whose output nbval compares (first line is the marker)."""
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop every output, count and widget state except the outputs of checked cells."""
    for cell in nb.cells:
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        if not is_checked(cell):
            cell.outputs = []
            cell.execution_count = None
    for key in ("widgets", "papermill"):
        nb.metadata.pop(key, None)
    return nb


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
            found.append(f"cell {index}: stores an output nbval does not check")
    return found
