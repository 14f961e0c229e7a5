"""Project plumbing: dependencies agree, the README's commands exist, git ignores outputs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(requirement: str) -> str:
    return requirement.strip().replace(" ", "")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r): _spec(r) for r in project["dependencies"]
              + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {}  # from conda-forge, or from PyPI where conda-forge lags (the pip section)
    for dep in [*env["dependencies"], *(d for d in pip if d != "-e .")]:
        if isinstance(dep, str) and _name(dep) not in {"python", "pip"}:
            listed[_name(dep)] = _spec(dep)
    assert listed == wanted
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.replace(" ", "") == "python" + project["requires-python"]
    assert pip[-1] == "-e ."


def test_make_help_lists_the_everyday_targets() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    for target in ("report", "test", "lab", "validate", "bench", "format", "fuzz", "rules",
                   "notebooks", "docs"):
        assert f"make {target} " in out


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in ci
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make report" in quick and "make test" in quick and "make lab" in quick


def test_outputs_are_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "reports/" in ignored and ".venv/" in ignored


def test_lab_binds_loopback_and_keeps_the_token() -> None:
    from helpers.kernels import lab_command

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "-m helpers lab" in lab  # the one command, also used by the browser tests
    command = " ".join(lab_command(ROOT, 8888))
    assert "--ip=127.0.0.1" in command and f"--ServerApp.root_dir={ROOT}" in command
    assert "pre_save_hook=helpers.notebooks.pre_save_hook" in command
    assert "token=''" not in command and "--IdentityProvider.token=" not in command


EVERYDAY = ("report", "test", "lab", "validate", "bench", "rules", "docs", "notebooks", "fuzz",
            "format", "install")


def _make_targets() -> set[str]:
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"^\s*make (\S+)", out, flags=re.M))


def test_readme_commands_are_make_targets_that_need_nothing_activated() -> None:
    """A fresh clone has no .venv/: the README shows make targets (which create it), never a
    command that assumes .venv/ exists or is activated."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = _make_targets()
    assert set(EVERYDAY) <= targets
    commands = re.findall(r"`(make [^`]*)`", readme)
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
        commands += [line.split("#", 1)[0].strip() for line in block.splitlines()]
    used = {c.split()[1] for c in commands if c.startswith("make ") and len(c.split()) > 1}
    assert used and used <= targets, used - targets
    assert ".venv/bin/" not in readme
    assert "source .venv" not in readme and ". .venv/" not in readme


def test_make_fuzz_passes_seed_and_cases_on() -> None:
    dry = subprocess.run(["make", "-n", "fuzz", "FUZZ_SEED=7", "FUZZ_CASES=500"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "FUZZ_SEED=7" in dry and "FUZZ_CASES=500" in dry and "tests/test_fuzz.py" in dry


def test_make_test_validates_the_data_once() -> None:
    """The suite validates the data (tests/test_data_package.py, frictionless included);
    `make test` does not run `helpers validate` before it as well."""
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert "-m pytest" in dry and "helpers validate" not in dry


def test_the_package_imports_pandas_only_when_used() -> None:
    code = ("import sys, helpers; assert 'pandas' not in sys.modules, 'eager'; "
            "from helpers import load_table; assert 'pandas' in sys.modules; "
            "print(load_table.__module__)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "helpers.data"


def _python_without_dependencies() -> str | None:
    """A Python 3.11+ outside the project's environment that cannot import pandas."""
    probe = ("import sys, importlib.util as u; "
             "sys.exit(0 if sys.version_info >= (3, 11) and u.find_spec('pandas') is None "
             "else 1)")
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p != venv_bin)
    candidates = [shutil.which("python3", path=path), "/usr/bin/python3",
                  str(Path(sys.base_prefix) / "bin" / "python3")]
    for python in dict.fromkeys(c for c in candidates if c and Path(c).exists()):
        if subprocess.run([python, "-c", probe], env=_clean_env(), cwd="/",
                          capture_output=True).returncode == 0:
            return python
    return None


def _clean_env() -> dict[str, str]:
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "ATLAS_HELPERS_REEXEC"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_python_without_dependencies_hands_over_to_the_venv() -> None:
    python = _python_without_dependencies()
    if python is None:
        pytest.skip("every Python 3.11+ on this machine has pandas: nothing to hand over")
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("the project has no .venv/ (e.g. a conda environment)")
    run = subprocess.run([python, "-m", "helpers", "validate", "--rules"], cwd=ROOT,
                         env=_clean_env(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    from helpers import checks

    lines = run.stdout.strip().splitlines()
    assert [line.split(" (", 1)[0] for line in lines] == [r.name for r in checks.RULES]


def test_without_a_venv_python_m_helpers_says_to_run_make_install(tmp_path: Path) -> None:
    python = _python_without_dependencies()
    if python is None:
        pytest.skip("every Python 3.11+ on this machine has pandas")
    shutil.copytree(ROOT / "helpers", tmp_path / "helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))
    run = subprocess.run([python, "-m", "helpers", "validate"], cwd=tmp_path,
                         env=_clean_env(), capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "make install" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and run.stdout == ""
