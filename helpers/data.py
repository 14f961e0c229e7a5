"""Load and validate the tables of ``tiktok_data/`` against its ``datapackage.json``.

The Table Schemas in ``datapackage.json`` are the single data dictionary: this module reads
types, required fields, enums, ranges, patterns, keys and foreign keys from there. The checks
are vectorised pandas (fast enough for every notebook load); ``python -m helpers validate``
also runs frictionless over the package as a second opinion.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.paths import DATA_DIR

DATA_DIR_ENV = "TIKTOK_DATA_DIR"
DESCRIPTOR = "datapackage.json"
MAX_SHOWN = 12
AS_OF_KEY = "x-asOf"
VOCABULARY_KEY = "x-vocabulary"
"""A resource with ``"x-vocabulary": true`` is a table of allowed values: a field whose foreign
key refers to its (single-field) primary key loads as a categorical in the table's row order."""
LABELS_KEY, SYMBOLS_KEY = "x-labels", "x-symbols"
"""Field properties: ``{value: label}`` and ``{value: plotly marker symbol}`` of an enum."""
_SYMBOL_RE = re.compile(r"^[a-z-]+$")

_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_NON_FINITE = ["nan", "inf", "infinity"]
_ASCII_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@")
MAX_CELL_CHARS = 10_000
"""A cell longer than this is refused (notes and titles are far shorter)."""
TYPES = ("string", "number", "integer", "date")
"""The Table Schema field types this loader reads."""
csv.field_size_limit(64 * 1024 * 1024)  # long cells are refused by MAX_CELL_CHARS, with a line


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding: where it is and what was expected and found."""

    file: str
    line: int | None
    column: str | None
    message: str
    rule: str | None = None
    level: str = "error"

    def __str__(self) -> str:
        where = self.file if self.level == "error" else f"warning: {self.file}"
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class DataValidationError(ValueError):
    """Raised when a table does not match its schema; lists every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:MAX_SHOWN])
        more = len(self.problems) - MAX_SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        count = len(self.problems)
        super().__init__(f"{count} data problem{'s' if count != 1 else ''}:\n{shown}{tail}")


def default_data_dir() -> Path:
    """The data folder: $TIKTOK_DATA_DIR, else ``tiktok_data/`` at the project root."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    return DATA_DIR


def _resolve(data_dir: str | os.PathLike[str] | None) -> Path:
    return Path(data_dir).resolve() if data_dir is not None else default_data_dir().resolve()


# ---------------------------------------------------------------- descriptor

_descriptor_cache: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def read_package(data_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The parsed ``datapackage.json`` of ``data_dir`` (cached until the file changes)."""
    root = _resolve(data_dir)
    path = root / DESCRIPTOR
    if not path.is_file():
        raise DataValidationError(
            [Problem(str(path), None, None, "expected a datapackage.json here; no such file")]
        )
    key = _stat_key(path)
    cached = _descriptor_cache.get(root)
    if cached and cached[0] == key:
        return cached[1]
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        problem = Problem(DESCRIPTOR, line, None, f"expected valid JSON, found an error: {exc}")
        raise DataValidationError([problem]) from exc
    problems = descriptor_problems(package)
    if problems:
        raise DataValidationError(problems)
    _descriptor_cache[root] = (key, package)
    return package


def _bad(where: str, message: str) -> Problem:
    """A problem of ``datapackage.json`` at a JSON path."""
    return Problem(DESCRIPTOR, None, where, message)


def descriptor_problems(package: object) -> list[Problem]:
    """What is wrong with a parsed ``datapackage.json`` (its JSON path in ``column``): the
    resources, their paths and Table Schemas, field types, keys and foreign keys."""
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list) \
            or not package["resources"]:
        found = package.get("resources") if isinstance(package, dict) else package
        return [_bad("resources", f"expected a list of resources, found {_short(found)}")]
    problems: list[Problem] = []
    names = [r.get("name") for r in package["resources"] if isinstance(r, dict)]
    fields_of: dict[str, set[str]] = {}
    for i, res in enumerate(package["resources"]):
        problems += _resource_problems(res, f"resources[{i}]", fields_of)
    for i, res in enumerate(package["resources"]):
        if isinstance(res, dict) and res.get("name") in fields_of:
            problems += _key_problems(res, f"resources[{i}]", names, fields_of)
    return problems


def _resource_problems(res: object, at: str, fields_of: dict[str, set[str]]) -> list[Problem]:
    """A resource's name, path, schema and fields (``fields_of`` gets its field names)."""
    if not isinstance(res, dict) or not isinstance(res.get("name"), str):
        return [_bad(at, f"expected a resource with a name, found {_short(res)}")]
    problems = []
    rel = res.get("path")
    if not isinstance(rel, str) or not rel.endswith(".csv") or rel.startswith("/") \
            or ".." in Path(rel).parts:
        problems.append(_bad(f"{at}.path", "expected a relative .csv path inside the "
                                           f"package, found {_short(rel)}"))
    schema = res.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) \
            or not schema["fields"]:
        return problems + [_bad(f"{at}.schema", "expected a Table Schema with a list of "
                                                f"fields, found {_short(schema)}")]
    fields_of[res["name"]] = set()
    for j, fld in enumerate(schema["fields"]):
        problems += _field_problems(fld, f"{at}.schema.fields[{j}]", fields_of[res["name"]])
    vocabulary = res.get(VOCABULARY_KEY)
    if vocabulary is not None and (not isinstance(vocabulary, bool) or vocabulary and len(
            _as_list(schema.get("primaryKey"))) != 1):
        problems.append(_bad(f"{at}.{VOCABULARY_KEY}", "expected true or false, and true "
                             "only with a single-field primaryKey, found "
                             f"{_short(vocabulary)} with primaryKey "
                             f"{_short(schema.get('primaryKey'))}"))
    return problems


def _field_problems(fld: object, fat: str, names: set[str]) -> list[Problem]:
    """A field's name, type, pattern and value maps (``names`` gets its name)."""
    if not isinstance(fld, dict) or not isinstance(fld.get("name"), str):
        return [_bad(fat, f"expected a field with a name, found {_short(fld)}")]
    names.add(fld["name"])
    problems = []
    if fld.get("type") not in TYPES:
        problems.append(_bad(f"{fat}.type", f"expected one of {', '.join(TYPES)}, "
                                            f"found {_short(fld.get('type'))}"))
    pattern = (fld.get("constraints") or {}).get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError):
            problems.append(_bad(f"{fat}.constraints.pattern",
                                 f"expected a regular expression, found {_short(pattern)}"))
    return problems + [_bad(where, message) for where, message in _value_map_problems(fld, fat)]


def _key_problems(res: dict[str, Any], at: str, names: list[Any],
                  fields_of: dict[str, set[str]]) -> list[Problem]:
    """A resource's primary key and foreign keys name fields and resources that exist."""
    schema = res["schema"]
    own = fields_of[res["name"]]
    problems = [_bad(f"{at}.schema.primaryKey", f"expected fields of {res['name']}, found "
                                                f"{_short(col)}")
                for col in _as_list(schema.get("primaryKey")) if col not in own]
    for k, fk in enumerate(schema.get("foreignKeys", []) or []):
        problems += _foreign_key_problems(fk, f"{at}.schema.foreignKeys[{k}]", res["name"],
                                          names, fields_of)
    return problems


def _foreign_key_problems(fk: object, fat: str, name: str, names: list[Any],
                          fields_of: dict[str, set[str]]) -> list[Problem]:
    """One foreign key: a reference to an existing resource, as many fields on each side,
    fields that exist on both."""
    ref = fk.get("reference") if isinstance(fk, dict) else None
    if not isinstance(ref, dict):
        return [_bad(fat, f"expected fields and a reference, found {_short(fk)}")]
    target = ref.get("resource") or name
    if target not in names:
        return [_bad(f"{fat}.reference.resource", f"expected one of "
                     f"{', '.join(map(str, names))}, found {_short(ref.get('resource'))}")]
    problems = []
    if len(_as_list(fk.get("fields"))) != len(_as_list(ref.get("fields"))):
        problems.append(_bad(f"{fat}.reference.fields",
                             f"expected as many fields as {_short(fk.get('fields'))}, "
                             f"found {_short(ref.get('fields'))}"))
    problems += [_bad(f"{fat}.fields", f"expected fields of {name}, found {_short(col)}")
                 for col in _as_list(fk.get("fields")) if col not in fields_of[name]]
    problems += [_bad(f"{fat}.reference.fields", f"expected fields of {target}, found "
                                                 f"{_short(col)}")
                 for col in _as_list(ref.get("fields"))
                 if target in fields_of and col not in fields_of[target]]
    return problems


def _value_map_problems(fld: dict[str, Any], fat: str) -> list[tuple[str, str]]:
    """Problems of the ``x-labels`` / ``x-symbols`` of one field: each key a value of the
    field's enum, every enum value labelled, labels non-empty text, symbols plotly names."""
    out: list[tuple[str, str]] = []
    enum = (fld.get("constraints") or {}).get("enum")
    for key in (LABELS_KEY, SYMBOLS_KEY):
        mapping = fld.get(key)
        if mapping is None:
            continue
        where = f"{fat}.{key}"
        if not isinstance(mapping, dict):
            out.append((where, f"expected an object {{value: text}}, found {_short(mapping)}"))
            continue
        if not isinstance(enum, list):
            out.append((where, "expected constraints.enum on the field for its values, found "
                               "none"))
            continue
        values = [str(v) for v in enum]
        shown = ", ".join(values[:15]) + (", ..." if len(values) > 15 else "")
        for value, text in mapping.items():
            if value not in values:
                out.append((f"{where}.{value}",
                            f"expected a value of the field's enum ({shown}), found "
                            f"{_short(value)}"))
            elif not isinstance(text, str) or not text.strip():
                out.append((f"{where}.{value}", f"expected non-empty text, found {_short(text)}"))
            elif key == SYMBOLS_KEY and not _SYMBOL_RE.match(text):
                out.append((f"{where}.{value}", "expected a plotly marker symbol name "
                                                f"({_SYMBOL_RE.pattern}), found {_short(text)}"))
        missing = [v for v in values if v not in mapping]
        if missing:
            out.append((where, f"expected an entry for every value of the enum, found none for "
                               f"{', '.join(missing)}"))
    return out


def declared_as_of(data_dir: str | os.PathLike[str] | None = None) -> pd.Timestamp | None:
    """The curator's as-of date (``x-asOf`` of ``datapackage.json``), or None if not set."""
    value = read_package(data_dir).get(AS_OF_KEY)
    if not value:
        return None
    try:
        return pd.Timestamp(str(value))
    except ValueError as exc:
        raise DataValidationError([Problem(DESCRIPTOR, None, AS_OF_KEY,
                                           f"expected a date as YYYY-MM-DD, found {value!r}")]
                                  ) from exc


def resource(name: str, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The resource descriptor (path and Table Schema) of table ``name``."""
    package = read_package(data_dir)
    for res in package["resources"]:
        if res["name"] == name:
            return res
    known = ", ".join(r["name"] for r in package["resources"])
    raise KeyError(f"no table named {name!r} in {DESCRIPTOR}; known tables: {known}")


def table_names(data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of every table of the package, in descriptor order."""
    return [r["name"] for r in read_package(data_dir)["resources"]]


def fields(name: str, data_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """The field descriptors of table ``name``."""
    return resource(name, data_dir)["schema"]["fields"]


# ---------------------------------------------------------------- parsing


Rows = list[tuple[int, list[str]]]


def _read_rows(path: Path, label: str, expects: str = ""
               ) -> tuple[list[str], Rows, list[Problem]]:
    """Header, (line, fields) rows and structural problems of one CSV file; ``expects``
    says in words what the package expects of the file (for missing or empty files)."""
    if not path.is_file():
        return [], [], [Problem(label, None, None,
                                f"expected a CSV file at {path} ({expects}); no such file")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.end].hex(" ")
        line, column = _undecodable_cell(raw, exc.start)
        return [], [], [
            Problem(label, line, column, f"expected UTF-8 text, found undecodable bytes ({bad})")
        ]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    problems: list[Problem] = []
    start = 1
    try:
        for record in reader:
            if not header:
                header = record
            elif record:  # a blank line is not a row
                rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(label, reader.line_num, None, f"malformed CSV: {exc}"))
    if not header:
        problems.append(Problem(label, 1, None, f"expected a header row ({expects}), found "
                                                "an empty file"))
    elif text and not text.endswith(("\n", "\r")):
        problems.append(Problem(label, reader.line_num, None,
                                "expected the file to end with a newline; found none, so the "
                                "last row may have been cut off"))
    return header, rows, problems


def _undecodable_cell(raw: bytes, offset: int) -> tuple[int, str | None]:
    """Line and column of the first undecodable byte (the file read as CSV with the bad
    bytes kept as surrogates, so that quoted commas and newlines count right)."""
    text = raw.decode("utf-8-sig", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    start = 1
    try:
        for record in reader:
            if not header:
                header = record
            for i, cell in enumerate(record):
                if any("\udc80" <= ch <= "\udcff" for ch in cell):
                    return start, (header[i] if i < len(header) else None)
            start = reader.line_num + 1
    except csv.Error:
        pass
    return raw[:offset].count(b"\n") + 1, None


def _check_header(
    header: list[str], schema_fields: list[dict[str, Any]], label: str
) -> list[Problem]:
    expected = [f["name"] for f in schema_fields]
    problems = []
    for name in expected:
        if name not in header:
            problems.append(
                Problem(label, 1, name, "expected this documented column in the header; missing")
            )
    for name in header:
        if name not in expected:
            problems.append(
                Problem(label, 1, name or "(blank)", "found a column that datapackage.json "
                        f"does not document; documented columns: {', '.join(expected)}")
            )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(label, 1, name, "column appears twice in the header"))
        seen.add(name)
    return problems


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


# ---------------------------------------------------------------- field checks


def _is_ascii_number(raw: pd.Series) -> pd.Series:
    """Cells that are a plain number in ASCII digits (an optional sign and exponent)."""
    return raw.str.strip().str.fullmatch(_ASCII_NUMBER.pattern, flags=re.ASCII).fillna(False)


@dataclass
class _Cells:
    """The raw cells of one field and the problems found in them."""

    name: str
    raw: pd.Series
    lines: pd.Series
    label: str
    problems: list[Problem]

    def report(self, mask: pd.Series, message: str) -> None:
        """A problem for each cell of ``mask`` ({found} in ``message``: the cell)."""
        for idx in mask[mask].index:
            self.problems.append(Problem(self.label, int(self.lines[idx]), self.name,
                                         message.replace("{found}", _short(self.raw[idx]))))


def _convert_field(
    field: dict[str, Any], raw: pd.Series, lines: pd.Series, label: str
) -> tuple[pd.Series, list[Problem]]:
    """Typed column for one field and the problems of its cells."""
    ftype = field.get("type", "string")
    cons = field.get("constraints", {})
    cells = _Cells(field["name"], raw, lines, label, [])
    missing = raw == ""
    if cons.get("required"):
        cells.report(missing, "expected a value (required), found an empty cell")
    present = ~missing
    too_long = raw.str.len() > MAX_CELL_CHARS
    if too_long.any():
        for idx in too_long[too_long].index:
            cells.problems.append(Problem(label, int(lines[idx]), cells.name,
                                          f"expected at most {MAX_CELL_CHARS:,} characters, "
                                          f"found {len(raw[idx]):,}"))
        cells.raw = raw = raw.where(~too_long, "")
        present = present & ~too_long
    cells.report(raw.str.contains(_CONTROL), "expected text without control characters (NUL "
                                             "and the like), found {found}")
    if ftype in ("number", "integer"):
        typed = _numbers(cells, present, ftype, cons)
    elif ftype == "date":
        typed = _dates(cells, present)
    else:
        typed = _text(cells, present, cons)
    if "enum" in cons:
        typed = _enum(cells, present, typed, ftype, cons["enum"])
    if cons.get("unique"):
        _unique(cells, present)
    if ftype == "string" and "enum" not in cons:
        typed = typed.astype("string")
    return typed, cells.problems


def _numbers(cells: _Cells, present: pd.Series, ftype: str,
             cons: dict[str, Any]) -> pd.Series:
    """Numbers or integers: ASCII digits, finite, within the declared bounds."""
    raw = cells.raw
    nan_text = raw.str.strip().str.lower().str.lstrip("+-").isin(_NON_FINITE)
    typed = pd.to_numeric(raw.where(present & _is_ascii_number(raw)),
                          errors="coerce").astype("float64")
    other_digits = raw.str.contains(r"\d") & raw.str.contains(r"[^\x00-\x7f]")
    kind = "an integer" if ftype == "integer" else "a number"
    cells.report(present & other_digits, f"expected {kind} written with ASCII digits 0-9, "
                                         "found {found}")
    cells.report(present & typed.isna() & ~nan_text & ~other_digits,
                 f"expected {kind}, found {{found}}")
    nonfinite = present & (nan_text | ~typed.map(lambda v: math.isfinite(v) if v == v
                                                 else True))
    cells.report(nonfinite, "expected a finite number, found {found}")
    typed = typed.where(~nonfinite)
    if ftype == "integer":
        cells.report(present & typed.notna() & (typed % 1 != 0),
                     "expected an integer, found {found}")
    ok = typed.notna()
    if "minimum" in cons:
        cells.report(ok & (typed < cons["minimum"]),
                     f"expected a value >= {cons['minimum']}, found {{found}}")
    if "exclusiveMinimum" in cons:
        cells.report(ok & (typed <= cons["exclusiveMinimum"]),
                     f"expected a value > {cons['exclusiveMinimum']}, found {{found}}")
    if "maximum" in cons:
        cells.report(ok & (typed > cons["maximum"]),
                     f"expected a value <= {cons['maximum']}, found {{found}}")
    if ftype == "integer":
        typed = typed.astype("int64") if typed.notna().all() else typed.astype("Int64")
    return typed


def _dates(cells: _Cells, present: pd.Series) -> pd.Series:
    """Dates written YYYY-MM-DD that exist in the calendar."""
    raw = cells.raw
    shaped = raw.str.fullmatch(_DATE_RE)
    typed = pd.to_datetime(raw.where(present & shaped), format="%Y-%m-%d", errors="coerce")
    cells.report(present & ~shaped, "expected a date as YYYY-MM-DD, found {found}")
    cells.report(present & shaped & typed.isna(), "expected a real calendar date, found {found}")
    return typed


def _text(cells: _Cells, present: pd.Series, cons: dict[str, Any]) -> pd.Series:
    """Text that no spreadsheet runs as a formula and that matches its pattern."""
    raw = cells.raw
    formula = present & raw.str.startswith(_FORMULA_START)
    if formula.any():
        formula[formula] = ~_is_ascii_number(raw[formula])
    cells.report(formula, "expected text that a spreadsheet will not run as a formula (no "
                          "leading =, +, - or @), found {found}")
    if "pattern" in cons:
        cells.report(present & ~raw.str.fullmatch(cons["pattern"]),
                     f"expected text matching {cons['pattern']}, found " + "{found}")
    return raw.where(present)


def _enum(cells: _Cells, present: pd.Series, typed: pd.Series, ftype: str,
          allowed: list[Any]) -> pd.Series:
    """Values of the enum; text enums become categoricals in the enum's order."""
    bad = present & ~cells.raw.isin([str(a) for a in allowed])
    shown = ", ".join(map(str, allowed[:15])) + (", ..." if len(allowed) > 15 else "")
    cells.report(bad, f"expected one of: {shown}; found {{found}}")
    if ftype != "string":
        return typed
    return pd.Series(pd.Categorical(typed.where(~bad), categories=allowed),
                     index=cells.raw.index)


def _unique(cells: _Cells, present: pd.Series) -> None:
    """Each repeated value reported on its later lines, naming the first."""
    raw = cells.raw
    dup = present & raw.duplicated(keep=False)
    for value, group in raw[dup].groupby(raw[dup], sort=False):
        first = int(cells.lines[group.index[0]])
        for idx in group.index[1:]:
            cells.problems.append(Problem(cells.label, int(cells.lines[idx]), cells.name,
                                          f"expected a unique value, found {_short(value)} "
                                          f"again (first on line {first})"))


def _check_primary_key(
    schema: dict[str, Any], raw: pd.DataFrame, lines: pd.Series, label: str
) -> list[Problem]:
    pk = schema.get("primaryKey")
    if not pk or isinstance(pk, str) or len(pk) == 1 or raw.empty:
        return []  # single-field keys are checked as unique fields
    keys = raw[pk].astype(str).agg("|".join, axis=1)
    problems = []
    dup = keys.duplicated(keep="first")
    first_line = {k: int(lines[i]) for i, k in keys[~dup].items()}
    for idx in dup[dup].index:
        problems.append(Problem(label, int(lines[idx]), ",".join(pk),
                                f"expected a unique key ({', '.join(pk)}), found "
                                f"{_short(keys[idx])} again "
                                f"(first on line {first_line[keys[idx]]})"))
    return problems


def _check_dates(typed: pd.DataFrame, lines: pd.Series, label: str) -> list[Problem]:
    """Period dates start their period; an end date does not precede its start date."""
    problems: list[Problem] = []
    if {"date", "date_precision"} <= set(typed):
        date, prec = typed["date"], typed["date_precision"].astype("string")
        off = (
            ((prec == "month") & (date.dt.day != 1))
            | ((prec == "year") & ((date.dt.day != 1) | (date.dt.month != 1)))
            | ((prec == "quarter") & ((date.dt.day != 1) | ~date.dt.month.isin([1, 4, 7, 10])))
        ).fillna(False) & date.notna()
        for idx in off[off].index:
            problems.append(Problem(label, int(lines[idx]), "date",
                                    f"expected the first day of the {prec[idx]} "
                                    f"(date_precision={prec[idx]}), found "
                                    f"{date[idx]:%Y-%m-%d}"))
    if {"date", "end_date"} <= set(typed):
        back = (typed["end_date"] < typed["date"]).fillna(False)
        for idx in back[back].index:
            problems.append(Problem(label, int(lines[idx]), "end_date",
                                    "expected an end date on or after "
                                    f"{typed['date'][idx]:%Y-%m-%d}, "
                                    f"found {typed['end_date'][idx]:%Y-%m-%d}"))
    return problems


# ---------------------------------------------------------------- tables


def _parse_table(name: str, root: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed table and its own problems (foreign keys excluded)."""
    res = resource(name, root)
    path = root / res["path"]
    label = res["path"]
    schema = res["schema"]
    expects = (f"table '{name}' with the columns " + ", ".join(f["name"] for f in schema["fields"]))
    header, rows, problems = _read_rows(path, label, expects)
    if not header:
        return pd.DataFrame(), problems
    if not rows and not res.get("x-allowEmpty"):
        problems.append(Problem(label, 2, None, f"expected at least one data row in table "
                                                f"'{name}' after the header, found none"))
    problems += _check_header(header, schema["fields"], label)
    width = len(header)
    good_rows: list[list[str]] = []
    line_numbers: list[int] = []
    for line, record in rows:
        if len(record) != width:
            if len(record) < width:
                column, what = header[len(record)], "missing from this short row"
            else:
                column, what = "(extra field)", "found where the header has no column"
            problems.append(Problem(label, line, column,
                                    f"expected {width} fields, found {len(record)}; {what}"))
            continue
        good_rows.append(record)
        line_numbers.append(line)
    raw = pd.DataFrame(good_rows, columns=header, dtype=object).astype(str)
    lines = pd.Series(line_numbers, dtype="int64")
    typed: dict[str, Any] = {}
    for field in schema["fields"]:
        if field["name"] not in raw.columns or header.count(field["name"]) > 1:
            continue
        col, field_problems = _convert_field(field, raw[field["name"]], lines, label)
        typed[field["name"]] = col
        problems += field_problems
    once = {c for c in raw.columns if header.count(c) == 1}  # doubled ones are reported
    if set(_as_list(schema.get("primaryKey"))) <= once:
        problems += _check_primary_key(schema, raw, lines, label)
    frame = pd.DataFrame(typed, index=raw.index)
    frame.attrs["lines"] = lines
    frame.attrs["path"] = label
    problems += _check_dates(frame, lines, label)
    return frame, problems


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_foreign_keys(
    name: str, frame: pd.DataFrame, root: Path, tables: dict[str, pd.DataFrame]
) -> list[Problem]:
    """Rows whose foreign key (one field or several together) is not a key of the target;
    a row with an empty cell in its key is not checked (``required`` says if it may be)."""
    res = resource(name, root)
    label = res["path"]
    lines = frame.attrs.get("lines", pd.Series(dtype="int64"))
    problems = []
    for fk in res["schema"].get("foreignKeys", []):
        cols = _as_list(fk["fields"])
        ref = fk["reference"]
        ref_cols = _as_list(ref["fields"])
        ref_name = ref["resource"] or name  # "" refers to the table itself
        target = tables.get(ref_name)
        if target is None or not len(target.columns) or not set(cols) <= set(frame) \
                or not set(ref_cols) <= set(target):
            continue  # the target did not parse: its own problems say why
        ref_path = resource(ref_name, root)["path"]
        values = pd.DataFrame({c: frame[c].astype("string") for c in cols}, index=frame.index)
        wanted = pd.DataFrame({c: target[rc].astype("string")
                               for c, rc in zip(cols, ref_cols, strict=True)}).dropna()
        present = values.notna().all(axis=1)
        if len(cols) == 1:
            bad = present & ~values[cols[0]].isin(wanted[cols[0]])
        else:
            known = pd.MultiIndex.from_frame(wanted)
            bad = present & ~pd.Series(pd.MultiIndex.from_frame(values.fillna("")).isin(known),
                                       index=frame.index)
        for idx in bad[bad].index:
            row = values.loc[idx]
            problems.append(Problem(label, int(lines[idx]),
                                    *_foreign_key_message(row, cols, ref_cols, wanted, ref_name,
                                                          ref_path)))
    return problems


def _foreign_key_message(row: pd.Series, cols: list[str], ref_cols: list[str],
                         wanted: pd.DataFrame, ref_name: str, ref_path: str) -> tuple[str, str]:
    """Column and message for one row whose key is not in the target: the first value the
    target lacks, or (each value known) the combination, with what the target has."""
    for col, ref_col in zip(cols, ref_cols, strict=True):
        if row[col] not in set(wanted[col]):
            return col, (f"expected {_a(ref_col)} of the {ref_name} table, found "
                         f"{_short(row[col])} (not in {ref_path})")
    first, rest = cols[0], list(zip(cols[1:], ref_cols[1:], strict=True))
    listed = wanted[wanted[first] == row[first]].drop_duplicates()
    has = "; ".join(", ".join(f"{rc} {_short(r[c])}" for c, rc in rest)
                    for _, r in listed.head(3).iterrows())
    want = ", ".join(f"{rc} {_short(row[c])}" for c, rc in rest)
    return first, (f"expected {_a(ref_cols[0])} of the {ref_name} table with {want}, found "
                   f"{_short(row[first])}, which {ref_path} lists with {has}")


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def vocabulary(name: str, field: str, data_dir: str | os.PathLike[str] | None = None
               ) -> tuple[str, str] | None:
    """The vocabulary table (``x-vocabulary``) and its key field that field ``field`` of
    table ``name`` refers to through a foreign key, or None."""
    root = _resolve(data_dir)
    for fk in resource(name, root)["schema"].get("foreignKeys", []):
        target = fk["reference"]["resource"] or name
        vocab = resource(target, root)
        if target == name or vocab.get(VOCABULARY_KEY) is not True:
            continue
        for col, ref_col in zip(_as_list(fk["fields"]), _as_list(fk["reference"]["fields"]),
                                strict=True):
            if col == field and _as_list(vocab["schema"].get("primaryKey")) == [ref_col]:
                return target, ref_col
    return None


def _apply_vocabularies(name: str, frame: pd.DataFrame, root: Path,
                        tables: dict[str, pd.DataFrame]) -> None:
    """Fields of ``frame`` that refer to a vocabulary table become categoricals whose
    categories are the vocabulary's keys in its row order (unknown values, already
    reported as foreign-key problems, become missing)."""
    for fld in resource(name, root)["schema"]["fields"]:
        found = vocabulary(name, fld["name"], root)
        if found is None or fld["name"] not in frame:
            continue
        target = tables.get(found[0])
        if target is None or found[1] not in target:
            continue
        categories = pd.unique(target[found[1]].dropna().astype(str))
        values = frame[fld["name"]].astype("string")
        known = values.isin(categories).fillna(False).astype(bool)
        frame[fld["name"]] = pd.Series(
            pd.Categorical(values.astype(object).where(known, None), categories=categories),
            index=frame.index)


_table_cache: dict[tuple[Path, str], tuple[tuple, pd.DataFrame]] = {}


def _signature(root: Path) -> tuple:
    """Modification stamps of every file of the package (a change anywhere re-reads)."""
    package = read_package(root)
    stamps: list[tuple[str, int, int]] = [(DESCRIPTOR, *_stat_key(root / DESCRIPTOR))]
    for res in package["resources"]:
        path = root / res["path"]
        try:
            stamps.append((res["path"], *_stat_key(path)))
        except FileNotFoundError:
            stamps.append((res["path"], -1, -1))
    return tuple(stamps)


def package_signature(data_dir: str | os.PathLike[str] | None = None) -> tuple:
    """The package folder and the modification stamps of all its files: equal signatures
    mean unchanged files (for caches of values derived from the package)."""
    root = _resolve(data_dir)
    return (str(root), *_signature(root))


def _dependencies(name: str, root: Path) -> list[str]:
    """Tables that ``name`` refers to through foreign keys, depth first, ``name`` last."""
    order: list[str] = []

    def visit(table: str) -> None:
        if table in order:
            return
        for fk in resource(table, root)["schema"].get("foreignKeys", []):
            target = fk["reference"]["resource"]
            if target and target != table:
                visit(target)
        order.append(table)

    visit(name)
    return order


def _load_validated(names: list[str], root: Path, signature: tuple | None = None
                    ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Parse ``names`` (their foreign keys checked too); with ``signature``, a dependency
    already cached and valid for it is reused instead of parsed again."""
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    parsed: list[str] = []
    for table in names:
        cached = _table_cache.get((root, table)) if signature is not None else None
        if cached and cached[0] == signature and table != names[-1]:
            tables[table] = cached[1]
            continue
        frame, found = _parse_table(table, root)
        tables[table] = frame
        parsed.append(table)
        problems += found
    for table in names:
        if not tables[table].empty and "lines" in tables[table].attrs:
            problems += _check_foreign_keys(table, tables[table], root, tables)
    for table in parsed:  # cached tables have their categories already
        if not tables[table].empty:
            _apply_vocabularies(table, tables[table], root, tables)
    return tables, problems


def load_table(name: str, data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Table ``name`` of the data package as a typed, validated DataFrame.

    Dates are datetime64, numbers floats, enumerated fields categoricals (in enum order),
    and so are fields that refer to a vocabulary table (in its row order). Raises
    :class:`DataValidationError` naming file, line and column of every problem. Results are
    cached per process and re-read when any file of the package changes.
    """
    root = _resolve(data_dir)
    signature = _signature(root)
    cached = _table_cache.get((root, name))
    if cached and cached[0] == signature:
        return cached[1].copy(deep=False)
    names = _dependencies(name, root)
    tables, problems = _load_validated(names, root, signature)
    if problems:
        raise DataValidationError(sorted(set(problems), key=_problem_order))
    for table, frame in tables.items():
        frame = frame.reset_index(drop=True)
        frame.attrs = {"name": table}
        _table_cache[(root, table)] = (signature, frame)
    return _table_cache[(root, name)][1].copy(deep=False)


def _problem_order(p: Problem) -> tuple:
    return (p.file, p.line or 0, p.column or "", p.message)


def parse_package(data_dir: str | os.PathLike[str] | None = None
                  ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Every table of the package, typed and with its CSV line numbers
    (``frame.attrs["lines"]``), and every schema problem found."""
    root = _resolve(data_dir)
    try:
        names = table_names(root)
    except DataValidationError as exc:
        return {}, exc.problems
    tables, problems = _load_validated(names, root)
    return tables, sorted(set(problems), key=_problem_order)


def validate_package(data_dir: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every schema problem of every table of the package (empty when it is valid); the
    project's own rules are in :func:`helpers.checks.validate_package`."""
    return parse_package(data_dir)[1]


def frictionless_problems(data_dir: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Problems that frictionless finds in the package (a second, slower opinion)."""
    import frictionless  # heavy import: only for `validate` and tests

    root = _resolve(data_dir)
    report = frictionless.validate(str(root / DESCRIPTOR))
    problems = []
    for task in report.tasks:
        for error in task.errors:
            problems.append(Problem(
                Path(task.place).name if task.place else DESCRIPTOR,
                getattr(error, "row_number", None),
                getattr(error, "field_name", None),
                f"frictionless {error.type}: {error.note}"))
    for error in report.errors:
        problems.append(Problem(DESCRIPTOR, None, None, f"frictionless {error.type}: {error.note}"))
    return problems


def clear_cache() -> None:
    """Forget every cached table and descriptor."""
    _table_cache.clear()
    _descriptor_cache.clear()


__all__ = [
    "DataValidationError",
    "Problem",
    "clear_cache",
    "declared_as_of",
    "default_data_dir",
    "fields",
    "frictionless_problems",
    "load_table",
    "package_signature",
    "parse_package",
    "read_package",
    "resource",
    "table_names",
    "validate_package",
    "vocabulary",
]
