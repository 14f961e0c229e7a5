"""Command line: ``python -m helpers validate``, ``report``, ``docs``, ``notebooks``, ``lab``
and ``app``.

Started by a Python without the project's dependencies (``python3 -m helpers ...`` outside
``.venv``), it re-executes itself with the project's ``.venv/bin/python`` when there is one,
and otherwise says to run ``make install`` (exit status 2).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpers.data import Problem

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
# Top-level modules of the project's dependencies that the commands import.
NEEDED = ("pandas", "plotly", "nbformat", "nbconvert", "papermill", "frictionless")
REEXEC_MARK = "ATLAS_HELPERS_REEXEC"  # set on the re-executed process: never loop


def _missing_dependencies() -> list[str]:
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def ensure_dependencies(argv: list[str]) -> None:
    """Return when the running Python has the project's dependencies; otherwise re-execute
    ``python -m helpers argv`` with ``.venv/bin/python`` (when it exists and is not the
    running interpreter), or print how to install them and exit 2."""
    missing = _missing_dependencies()
    if not missing:
        return
    python = VENV / "bin" / "python"
    running_venv = Path(sys.prefix).resolve() == VENV.resolve()
    if python.exists() and not running_venv and not os.environ.get(REEXEC_MARK):
        os.environ[REEXEC_MARK] = "1"
        os.execv(python, [str(python), "-m", "helpers", *argv])
    where = f"{python} lacks them too" if python.exists() else "there is no .venv/ yet"
    print(f"python -m helpers: this Python ({sys.executable}) lacks the project's "
          f"dependencies ({', '.join(missing)}) and {where}: run `make install` in {ROOT} "
          "(`make validate` and `make report` set it up too).", file=sys.stderr)
    sys.exit(2)


def _print_problems(problems: list[Problem], limit: int = 50) -> None:
    n_err = sum(p.level == "error" for p in problems)
    n_warn = len(problems) - n_err
    what = [f"{n_err} data problem{'s' if n_err != 1 else ''}"] if n_err else []
    what += [f"{n_warn} warning{'s' if n_warn != 1 else ''}"] if n_warn else []
    print(f"{' and '.join(what)} found:", file=sys.stderr)
    for problem in problems[:limit]:
        print(f"  - {problem}", file=sys.stderr)
    if len(problems) > limit:
        print(f"  ... and {len(problems) - limit} more", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate every table; one summary line on success, a list and exit 1 on failure."""
    from helpers import checks
    from helpers.data import frictionless_problems, load_table, table_names

    if args.rules:
        for r in checks.RULES:
            print(f"{r.name} ({r.level}): {r.reason}")
        return 0
    started = time.perf_counter()
    problems = checks.validate_package(args.data_dir)
    if not checks.errors(problems) and not args.fast:
        problems = frictionless_problems(args.data_dir) + problems
    refused = checks.errors(problems)
    warnings = [p for p in problems if p not in refused]
    if refused:
        _print_problems(problems)
        return 1
    counts = {name: len(load_table(name, args.data_dir)) for name in table_names(args.data_dir)}
    total = sum(counts.values())
    detail = ", ".join(f"{name} {n}" for name, n in counts.items())
    if warnings:
        _print_problems(warnings)
    print(f"OK: {len(counts)} tables, {total} rows valid ({detail}); {len(checks.RULES)} "
          f"project rules checked, {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
          f" in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Build the offline HTML reports."""
    from helpers.data import DataValidationError
    from helpers.report import ReportBuildError, build_reports, main_with_default_out

    params: dict[str, str] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"--param expects key=value, found {item!r}", file=sys.stderr)
            return 2
        params[key.strip()] = value.strip()
    try:
        out = build_reports(out_dir=main_with_default_out(params, args.out),
                            data_dir=args.data_dir, params=params,
                            notebooks=args.notebook or None, plotly_bundle=args.plotly)
    except DataValidationError as exc:
        print("Report not built: the data is invalid; the previous reports are untouched.",
              file=sys.stderr)
        _print_problems(exc.problems)
        return 1
    except ReportBuildError as exc:
        print(f"Report not built: {exc}\nThe previous reports are untouched.", file=sys.stderr)
        return 1
    print(f"Reports written to {out}/index.html")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Regenerate the data dictionary block of tiktok_data/README.md."""
    from helpers.dictionary import update_readme

    print(f"Updated {update_readme(args.data_dir)}")
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    """Re-execute the notebooks and keep only the outputs that nbval checks."""
    from helpers.notebooks import refresh
    from helpers.report import notebook_paths

    for path in notebook_paths(args.notebook or None):
        started = time.perf_counter()
        refresh(path)
        print(f"{path.name}: checked outputs refreshed in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    """Start JupyterLab on the project as ``make lab`` does (replaces this process)."""
    import os

    from helpers.kernels import lab_command
    from helpers.paths import ROOT

    command = lab_command(ROOT, args.port, args.extra)
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return


def cmd_app(args: argparse.Namespace) -> int:
    """Start the Voila dashboard on the notebooks as ``make app`` does (replaces this
    process)."""
    from helpers.kernels import app_command

    if importlib.util.find_spec("voila") is None:
        print(f"python -m helpers app: this Python ({sys.executable}) lacks voila: run "
              f"`make install` in {ROOT}.", file=sys.stderr)
        return 2
    command = app_command(args.port, args.extra)
    print("The dashboard: one page per notebook, at the addresses below (127.0.0.1 only; "
          "Ctrl+C stops it).", flush=True)
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m helpers``."""
    ensure_dependencies(sys.argv[1:] if argv is None else list(argv))
    from helpers.data import DataValidationError

    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="validate tiktok_data/ against datapackage.json")
    v.add_argument("--data-dir", default=None, help="data package folder (default tiktok_data/)")
    v.add_argument("--fast", action="store_true", help="skip the frictionless second opinion")
    v.add_argument("--rules", action="store_true", help="list the project's rules and exit")
    v.set_defaults(func=cmd_validate)
    r = sub.add_parser("report", help="build the offline HTML reports")
    r.add_argument("--data-dir", default=None, help="data package folder (default tiktok_data/)")
    r.add_argument("--out", default=None,
                   help="output folder (default reports/, or reports/sets/<slug>/ with --param)")
    r.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="notebook parameter, e.g. region=Europe (repeatable)")
    r.add_argument("--notebook", action="append", default=[], metavar="NAME",
                   help="build only this notebook (repeatable), e.g. 03-regulatory-pressure")
    r.add_argument("--plotly", choices=("lean", "full"), default="lean",
                   help="the plotly.js the pages carry: lean (default, about 1.1 MB: the trace "
                        "types the reports draw) or full (plotly.py's, about 4.8 MB)")
    r.set_defaults(func=cmd_report)
    d = sub.add_parser("docs", help="regenerate the data dictionary in tiktok_data/README.md")
    d.add_argument("--data-dir", default=None, help="data package folder (default tiktok_data/)")
    d.set_defaults(func=cmd_docs)
    n = sub.add_parser("notebooks", help="re-execute notebooks, keep only nbval-checked outputs")
    n.add_argument("--notebook", action="append", default=[], metavar="NAME")
    n.set_defaults(func=cmd_notebooks)
    lab = sub.add_parser("lab", help="JupyterLab on the project (127.0.0.1, token, save hook)")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("extra", nargs="*", help="further jupyter lab options (after --)")
    lab.set_defaults(func=cmd_lab)
    app = sub.add_parser("app", help="the notebooks as a Voila dashboard (127.0.0.1, no code)")
    app.add_argument("--port", type=int, default=8888)
    app.add_argument("extra", nargs="*", help="further voila options (after --)")
    app.set_defaults(func=cmd_app)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DataValidationError as exc:  # e.g. a broken datapackage.json for docs/notebooks
        print(f"{args.command}: the data package is invalid; nothing was changed.",
              file=sys.stderr)
        _print_problems(exc.problems)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
