"""The shape of the code: layers import one way, vocabularies and years come from the data
package (a new event type and a 2027 row need a CSV edit only), and every parameter an
explorer exports is one its notebook accepts."""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import pytest

from helpers import parameters, report, selections, views
from helpers import widgets as W
from helpers.atlas import Atlas
from helpers.data import clear_cache
from tests.conftest import ROOT

HELPERS = ROOT / "helpers"
LAYERS = {
    "paths": 0,
    "data": 1, "metrics": 1, "formatting": 1, "export": 1, "kernels": 1, "plotly_assets": 1,
    "schema": 2, "dictionary": 2, "tables": 2, "notebooks": 2, "pages": 2,
    "checks": 3, "atlas": 3,
    "parameters": 4, "selections": 4,
    "figures": 5, "places": 5, "captions": 5,
    "widgets": 6, "profiles": 6, "images": 6,
    "report": 7,
    "views": 8,
    "__main__": 9, "voila": 9,
}
"""data -> metrics -> figures -> widgets / report -> views: a module imports only modules of a
lower layer (or of its own subpackage). ``__init__`` is exempt (lazy re-exports)."""


def _module_of(path: Path) -> str:
    return path.relative_to(HELPERS).parts[0].removesuffix(".py")


def _imported(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):  # imports inside functions count too
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "helpers"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("helpers."))
    return found


def test_every_module_has_a_layer() -> None:
    modules = {_module_of(p) for p in HELPERS.rglob("*.py")} - {"__init__"}
    assert modules == set(LAYERS), "give a new module its layer in LAYERS"


def test_layers_flow_one_way() -> None:
    wrong = []
    for path in sorted(HELPERS.rglob("*.py")):
        if path.name == "__init__.py" and path.parent == HELPERS:
            continue
        module = _module_of(path)
        for target in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            if target != module and LAYERS[target] >= LAYERS[module]:
                wrong.append(f"{path.relative_to(ROOT)} imports helpers.{target}")
    assert wrong == []


POLICY_YEARS = {("checks.py", "FIRST_YEAR")}
"""Named constants of a rule, not of the data's range: the curators' rule that a date before
TikTok's first year needs a note."""


def test_no_year_of_the_data_is_written_into_the_code() -> None:
    """Years come from ``Atlas.years`` (the data's range), never from the code."""
    written = []
    for path in sorted(HELPERS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                   and any(isinstance(t, ast.Name) and (path.name, t.id) in POLICY_YEARS
                           for t in node.targets)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, int) and \
                    2016 <= node.value <= 2030 and id(node) not in allowed:
                written.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert written == []


# ---------------------------------------------------------------- a CSV edit only


def _append(path: Path, row: dict[str, str]) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with open(path, "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, header, lineterminator="\n").writerow(row)


def test_a_new_event_type_and_a_2027_row_need_no_code_change(data_copy: Path) -> None:
    with open(data_copy / "sources.csv", newline="", encoding="utf-8") as f:
        source_id = next(csv.DictReader(f))["source_id"]
    _append(data_copy / "event_types.csv", {
        "event_type": "age_verification_order", "category": "regulatory",
        "label": "age-verification order", "restriction": "", "pressure_weight": "4",
        "amount_scaled": "no", "on_growth_chart": "yes", "colour": "#123456",
        "symbol": "pentagon", "description": "An order to verify the age of users."})
    _append(data_copy / "events.csv", {
        "event_id": "E9001", "category": "regulatory", "event_type": "age_verification_order",
        "geo": "FRA", "date": "2027-02-01", "date_precision": "day",
        "title": "Test order", "status_after": "in_force", "source_id": source_id})
    package = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    package["x-asOf"] = "2027-03-01"  # the curator's as-of date moves with the data
    (data_copy / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n",
                                                encoding="utf-8")
    clear_cache()
    from helpers import checks

    assert checks.errors(checks.validate_package(data_copy)) == []
    atlas = Atlas.load(data_copy)
    assert atlas.years[-1] == 2027
    assert atlas.default_weights["age_verification_order"] == 4
    timeline = W.TimelineExplorer(atlas, region="Europe")
    assert ("age-verification order", "age_verification_order") in \
        timeline.controls["timeline_types"].options
    assert timeline.controls["period"].value[1] == 2027
    assert "E9001" in set(timeline.rows["event_id"])
    trace = next(t for t in timeline.figures[0].data
                 if t.meta["event_type"] == "age_verification_order")
    assert trace.name == "age-verification order" and trace.marker.symbol == "pentagon"
    growth = selections.growth(atlas, countries=["FRA"])
    assert "age_verification_order" in growth.params["event_types"]
    assert "E9001" in set(growth.extra["events"]["event_id"])
    pressure = selections.pressure(atlas, region="Europe")
    france = pressure.rows[(pressure.rows["geo"] == "FRA")
                           & (pressure.rows["period"].astype(str) == "2027")]
    assert france["pressure"].sum() == pytest.approx(4.0)
    clear_cache()


# ---------------------------------------------------------------- export parameters


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return Atlas.load()


@pytest.mark.parametrize("cls", list(W.EXPLORERS.values()), ids=lambda c: c.__name__)
def test_explorer_parameters_are_its_notebook_s(cls, atlas: Atlas) -> None:
    """What the export button passes is accepted by the notebook's parameters cell and the
    checks (so no export fails on an unknown name)."""
    explorer = cls(atlas)
    paths = report.notebook_paths([explorer.notebook])
    params = explorer.parameters()
    known = parameters.parameters_of(paths)
    assert set(params) <= set(known), set(params) - set(known)
    assert parameters.check_parameters(params, paths, atlas) == params


def test_views_take_the_notebooks_parameter_names() -> None:
    """Every parameter of a notebook is a parameter of a view it calls, and back."""
    import inspect

    names = set()
    for view in ("growth", "claims", "users_map", "workforce", "investments",
                 "investments_map", "timeline", "status_map", "pressure"):
        names |= set(inspect.signature(getattr(views, view)).parameters) - {"atlas"}
    for path in report.notebook_paths():
        declared = set(parameters.parameters_of([path]))
        assert declared <= names, (path.name, declared - names)
