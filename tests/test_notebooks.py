"""Notebooks: thin, titled, parameterised, small in git, and their nbval checks can fail."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import notebooks
from helpers.report import notebook_paths
from tests.conftest import ROOT

PATHS = notebook_paths()


def test_the_four_notebooks_exist() -> None:
    assert [p.stem for p in PATHS] == ["01-global-growth", "02-workforce-and-investment",
                                       "03-regulatory-pressure", "04-autumn-2020"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_structure(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert len(first.source.split("\n", 2)[-1]) > 200, "an introduction follows the title"
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and code[0] is params[0]
    assert "region" in params[0].source and "report_mode = False" in params[0].source
    imports = [c for c in code if "import " in c.source]
    assert len(imports) == 1, "one imports cell"
    for cell in code:
        statements = [line.split("#", 1)[0] for line in cell.source.splitlines()]
        assert not any(line.lstrip().startswith(("def ", "class ", "for ", "while ", "if "))
                       for line in statements), "notebooks hold no logic: it belongs in helpers"
        assert cell is params[0] or len(cell.source.splitlines()) <= 8, "one call per view"
    assert sum(1 for c in code if notebooks.is_checked(c)) >= 1
    assert code[-1].source.strip() == "views.sources_section(atlas)"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_small_in_git(path: Path) -> None:
    assert notebooks.problems(path) == []
    assert path.stat().st_size < 40_000
    assert "application/vnd.plotly" not in path.read_text(encoding="utf-8")


def test_nbval_catches_a_changed_number(tmp_path: Path) -> None:
    """The stored outputs are really compared: tampering with one makes nbval fail."""
    source = ROOT / "notebooks" / "02-workforce-and-investment.ipynb"
    target = tmp_path / source.name
    shutil.copy(source, target)
    nb = json.loads(target.read_text(encoding="utf-8"))
    index, cell = next((i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                       and "".join(c["source"]).startswith(notebooks.CHECK_MARK))
    lines = cell["outputs"][0]["data"]["text/plain"]
    row = next(i for i, line in enumerate(lines) if re.search(r"\d", line))
    digit = re.search(r"\d", lines[row])
    changed = (lines[row][:digit.start()] + str((int(digit.group()) + 1) % 10)
               + lines[row][digit.end():])  # one digit of the stored output, plus one
    cell["outputs"][0]["data"]["text/plain"] = [*lines[:row], changed, *lines[row + 1:]]
    assert changed != lines[row]
    nb["cells"] = nb["cells"][:index + 1]  # the cells after it cannot change its output
    target.write_text(json.dumps(nb), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q",
                          "-p", "no:cacheprovider", str(target)], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 1, run.stdout[-2000:]
    assert "Cell outputs differ" in run.stdout, run.stdout[-2000:]
    assert re.match(r"\S+", changed[digit.start():]).group() in run.stdout  # e.g. 3020-10-01
