"""Seeded fuzzing of the data package: every broken copy is refused precisely or loads unchanged.

The generator :func:`mutations` derives ``n`` cases from one seed. Case ``i`` has its own
``random.Random(f"{seed}:{i}")``, so one case can be replayed alone; its kind is
``KIND_NAMES[i % len(KIND_NAMES)]`` and its table rotates over the resources the kind applies to
(in a seeded order), so the default number of cases, :func:`full_rotation` (the number of kinds
times the most tables a kind applies to), has every kind meet every table it can break in every
run. A mutation edits a fresh copy of ``tiktok_data/`` in
place: bytes (invalid UTF-8, truncation, other encodings, empty or missing files), columns
(deleted, doubled, renamed, swapped), single cells (control characters, huge or non-finite
numbers, Arabic-Indic digits, impossible or implausible dates, look-alike letters, zero-width
spaces, spreadsheet formulas, a 1,000,000-character text, another valid enum value), rows
(duplicated) or ``datapackage.json`` (invalid JSON, missing schema, type or resources, an
unknown type, a foreign key to no table).

For every case, ``checks.validate_package`` must not raise; ``load_table`` of the mutated table
must return a DataFrame or raise ``DataValidationError``; and the package must be either

* refused: every error names its file and a line (for ``datapackage.json`` a line or a JSON
  path in ``column``; a CSV error without a line must name the resource and its path, as for a
  missing file), some error names the mutated file, and when the mutation hit one cell some
  error points at that line and column (and no error on that line lacks a column); or
* accepted: every table loads from the copy equal to the same table of the original package
  (columns sorted by name). Only ``code_swap`` (a valid value replaced by another valid one,
  ``allowed_to_change``) may be accepted with a changed meaning.

Failures are collected over all cases and reported once, with a table of outcomes by kind
(:func:`summary_by_kind`, printed with ``-s``). ``FUZZ_SEED`` and ``FUZZ_CASES`` override the
seed and the number of cases (``make fuzz FUZZ_SEED=7 FUZZ_CASES=500``).

Cost: a case is one ``validate_package`` and a few ``load_table`` calls on a copy of the
package, and most of that time went into parsing again the tables the case did not touch.
The worker processes hand out the original package's parse for an untouched CSV under an
untouched ``datapackage.json`` (:func:`reuse_untouched_parses`); everything that can differ
runs for real on every case.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import os
import random
import re
import shutil
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from helpers import checks
from helpers import data as loader
from helpers.data import (
    DataValidationError,
    Problem,
    clear_cache,
    default_data_dir,
    load_table,
)

SEED = int(os.environ.get("FUZZ_SEED") or "20261202")
DESCRIPTOR = "datapackage.json"

REFUSED = "refused"
UNCHANGED = "accepted-unchanged"
CHANGED = "accepted-changed"
TRACEBACK = "traceback"
VAGUE = "vague error"
OUTCOMES = (REFUSED, UNCHANGED, CHANGED, TRACEBACK, VAGUE)

SENTINEL = "\ue000"  # stands for the invalid byte until the text is encoded
CONTROL_CHARS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
HOMOGLYPHS = {"A": "АΑ", "B": "Β", "C": "С", "E": "ЕΕ", "O": "ОΟ", "P": "Р", "T": "Т",
              "X": "Х", "a": "а", "c": "с", "e": "е", "o": "оο", "p": "р", "x": "х"}
ARABIC_DIGITS = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd|", "-2+3", "@SUM(A1)"]
JSON_PATH = re.compile(r"[A-Za-z$][\w$-]*(?:\[\d+\]|\.[A-Za-z$][\w$-]*)*")
NOT_CODES = {"url", "published"}  # patterned, but text rather than codes


# ---------------------------------------------------------------- the original package


@dataclass(frozen=True, eq=False)
class Table:
    """One CSV of the original package, parsed with its schema."""

    name: str
    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # physical line on which each row starts
    fields: dict[str, dict[str, Any]]

    def cell(self, row: int, column: str) -> str:
        return self.rows[row][self.header.index(column)]


Cell = tuple[int, str]  # row index, column name


@cache
def original_text(name: str) -> str:
    """A file of the original package as text."""
    return (default_data_dir() / name).read_text(encoding="utf-8")


@cache
def original_bytes(name: str) -> bytes:
    """A file of the original package, byte for byte."""
    return (default_data_dir() / name).read_bytes()


@cache
def original_package() -> dict[str, Table]:
    """Every table of the original package, keyed by resource name, in descriptor order."""
    descriptor = json.loads(original_text(DESCRIPTOR))
    tables = {}
    for res in descriptor["resources"]:
        header, rows, lines = _parse_csv(original_text(res["path"]))
        fields = {f["name"]: f for f in res["schema"]["fields"]}
        tables[res["name"]] = Table(res["name"], res["path"], header, rows, lines, fields)
    return tables


@cache
def original_tables() -> dict[str, pd.DataFrame]:
    """Every table of the original package as ``load_table`` returns it (loaded once)."""
    clear_cache()
    return {name: load_table(name, default_data_dir()) for name in original_package()}


def _parse_csv(text: str) -> tuple[list[str], list[list[str]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows, lines = [], []
    start = reader.line_num + 1
    for record in reader:
        rows.append(record)
        lines.append(start)
        start = reader.line_num + 1
    return header, rows, lines


def _to_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


# ---------------------------------------------------------------- mutations


@dataclass(frozen=True)
class Target:
    """Where a refusal should point: the file, and for one row or cell its line and columns."""

    file: str
    line: int | None = None
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mutation:
    """One broken copy of the package: ``apply`` edits the copy in place."""

    case: int
    kind: str
    table: str
    description: str
    apply: Callable[[Path], None]
    target: Target
    allowed_to_change: bool = False

    def __str__(self) -> str:
        return f"case {self.case} ({self.kind}): {self.description}"


def _write(path: str, payload: bytes) -> Callable[[Path], None]:
    def apply(data_dir: Path) -> None:
        (data_dir / path).write_bytes(payload)

    return apply


def _delete(path: str) -> Callable[[Path], None]:
    def apply(data_dir: Path) -> None:
        (data_dir / path).unlink()

    return apply


def _clip(value: object, width: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _change(old: str, new: str) -> str:
    """A short view of a cell edit, centred on the first character that changed."""
    if len(old) <= 40 and len(new) <= 40:
        return f"{old!r} -> {new!r}"
    i = next((k for k, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
             min(len(old), len(new)))
    lo = max(0, i - 10)
    return (f"...{_clip(old[lo:lo + 24], 30)} -> ...{_clip(new[lo:lo + 24], 30)} "
            f"(char {i}, {len(new):,} chars)")


Maker = Callable[[random.Random, Table, int], Mutation]


@dataclass(frozen=True)
class Kind:
    """A kind of mutation: which tables it can break and how it builds one case."""

    eligible: Callable[[Table], bool]
    make: Maker


# --- cell pools


def _is_free_text(field: dict[str, Any]) -> bool:
    cons = field.get("constraints", {})
    return field.get("type", "string") == "string" and "enum" not in cons and "pattern" not in cons


def _is_code(field: dict[str, Any]) -> bool:
    cons = field.get("constraints", {})
    return field["name"] not in NOT_CODES and ("enum" in cons or "pattern" in cons)


def _cells(table: Table, keep: Callable[[dict[str, Any], str], bool]) -> list[Cell]:
    columns = [c for c in table.header if c in table.fields]
    return [(r, c) for r, row in enumerate(table.rows) for c in columns
            if keep(table.fields[c], row[table.header.index(c)])]


@cache
def text_cells(table: Table) -> list[Cell]:
    return _cells(table, lambda f, v: _is_free_text(f))


@cache
def numeric_cells(table: Table) -> list[Cell]:
    return _cells(table, lambda f, v: f.get("type") in ("number", "integer") and v != "")


@cache
def date_cells(table: Table) -> list[Cell]:
    return _cells(table, lambda f, v: f.get("type") == "date" and v != "")


@cache
def calendar_cells(table: Table) -> list[Cell]:
    """Full dates, including the patterned ``published`` dates of sources."""
    return _cells(table, lambda f, v: re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None
                  and (f.get("type") == "date" or f["name"] == "published"))


@cache
def code_cells(table: Table) -> list[Cell]:
    return _cells(table, lambda f, v: _is_code(f) and v != "")


@cache
def homoglyph_cells(table: Table) -> list[Cell]:
    return [c for c in code_cells(table) if any(ch in HOMOGLYPHS for ch in table.cell(*c))]


@cache
def enum_cells(table: Table) -> list[Cell]:
    return _cells(table, lambda f, v: len(f.get("constraints", {}).get("enum", [])) > 1
                  and v != "")


@cache
def ascii_cells(table: Table) -> list[Cell]:
    return _cells(table, lambda f, v: any(ch.isascii() and ch.isalnum() for ch in v))


# --- cell-level kinds

Edit = Callable[[random.Random, str, dict[str, Any]], str]


def _cell_kind(pool: Callable[[Table], list[Cell]], edit: Edit, kind: str,
               allowed_to_change: bool = False) -> Kind:
    """A kind that rewrites one cell of the pool with ``edit``."""

    def make(rng: random.Random, table: Table, case: int) -> Mutation:
        row, column = rng.choice(pool(table))
        old = table.cell(row, column)
        new = edit(rng, old, table.fields[column])
        rows = [list(r) for r in table.rows]
        rows[row][table.header.index(column)] = new
        line = table.lines[row]
        payload = _to_text(table.header, rows).encode("utf-8")
        target = Target(table.path) if allowed_to_change else Target(table.path, line, (column,))
        return Mutation(case, kind, table.name,
                        f"{table.path} line {line}, column {column!r}: {_change(old, new)}",
                        _write(table.path, payload), target, allowed_to_change)

    return Kind(lambda t: bool(pool(t)), make)


def _insert_at_random(rng: random.Random, value: str, inserted: str) -> str:
    i = rng.randint(0, len(value))
    return value[:i] + inserted + value[i:]


def _control_char(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return _insert_at_random(rng, value, rng.choice(["\x00", rng.choice(CONTROL_CHARS)]))


def _huge_number(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return rng.choice(["1e400", "9e99", "1e309"])


def _non_finite(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return rng.choice(["inf", "-inf", "NaN", "Infinity"])


def _arabic_digits(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return value.translate(ARABIC_DIGITS)


def _impossible_date(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return rng.choice(["2023-02-30", "2023-13-01"])


def _implausible_date(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    year = rng.choice(["2099", "1990"])
    month_day = value[4:] if value[4:] != "-02-29" else "-02-28"
    return year + month_day


def _homoglyph(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    i = rng.choice([i for i, ch in enumerate(value) if ch in HOMOGLYPHS])
    return value[:i] + rng.choice(HOMOGLYPHS[value[i]]) + value[i + 1:]


def _zero_width(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return _insert_at_random(rng, value, "\u200b")


def _formula(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return rng.choice(FORMULAS)


def _huge_text(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    word = rng.choice(["A", "TikTok ", "lorem ipsum ", "é"])
    return (word * (1_000_000 // len(word) + 1))[:1_000_000]


def _other_enum_value(rng: random.Random, value: str, field: dict[str, Any]) -> str:
    return rng.choice([str(v) for v in field["constraints"]["enum"] if str(v) != value])


# --- byte-level kinds


def _byte_invalid(rng: random.Random, table: Table, case: int) -> Mutation:
    row, column = rng.choice(ascii_cells(table))
    value = table.cell(row, column)
    bad = rng.choice([b"\xff", b"\xc3"])
    spots = [i for i, ch in enumerate(value) if ch.isascii() and ch.isalnum()
             and (bad == b"\xff" or i + 1 == len(value) or value[i + 1].isascii())]
    i = rng.choice(spots)
    rows = [list(r) for r in table.rows]
    rows[row][table.header.index(column)] = value[:i] + SENTINEL + value[i + 1:]
    payload = _to_text(table.header, rows).encode("utf-8").replace(SENTINEL.encode(), bad)
    line = table.lines[row]
    return Mutation(case, "byte_invalid", table.name,
                    f"{table.path} line {line}, column {column!r}: byte {i} of {_clip(value)} "
                    f"-> {bad!r}", _write(table.path, payload),
                    Target(table.path, line, (column,)))


def _truncate(rng: random.Random, table: Table, case: int) -> Mutation:
    raw = original_text(table.path).encode("utf-8")
    line_starts = [0] + [m.end() for m in re.finditer(b"\n", raw)]
    row = rng.randrange(len(table.rows))
    start = line_starts[table.lines[row] - 1]
    end = line_starts[table.lines[row + 1] - 1] - 1 if row + 1 < len(table.rows) else len(raw) - 1
    cuts = [p for p in range(start + 1, end) if not 0x80 <= raw[p] <= 0xBF
            and raw[p - 1:p] != b"\n"]
    cut = rng.choice(cuts)
    return Mutation(case, "truncate", table.name,
                    f"{table.path} cut at byte {cut} of {len(raw)} (line {table.lines[row]}, "
                    f"kept {_clip(raw[start:cut].decode('utf-8'), 30)})",
                    _write(table.path, raw[:cut]), Target(table.path, table.lines[row]))


def _encoding(rng: random.Random, table: Table, case: int) -> Mutation:
    text = original_text(table.path)
    latin = any(not ch.isascii() and ord(ch) < 256 for ch in text)
    codec = rng.choice((["latin-1"] if latin else []) + ["utf-16", "utf-16-le", "utf-16-be"])
    payload = text.encode(codec, errors="replace")
    return Mutation(case, "encoding", table.name, f"{table.path} re-encoded as {codec}",
                    _write(table.path, payload), Target(table.path))


def _whole_file(kind: str) -> Kind:
    def make(rng: random.Random, table: Table, case: int) -> Mutation:
        if kind == "missing_file":
            return Mutation(case, kind, table.name, f"{table.path} deleted",
                            _delete(table.path), Target(table.path))
        payload = b"" if kind == "empty_file" else (",".join(table.header) + "\n").encode()
        what = "emptied (0 bytes)" if kind == "empty_file" else "cut to its header line"
        return Mutation(case, kind, table.name, f"{table.path} {what}",
                        _write(table.path, payload), Target(table.path))

    return Kind(lambda t: True, make)


# --- rows and columns


def _duplicate_row(rng: random.Random, table: Table, case: int) -> Mutation:
    row = rng.randrange(len(table.rows))
    rows = [list(r) for r in table.rows]
    rows.insert(row + 1, list(rows[row]))
    line = table.lines[row] + _to_text(table.header, [table.rows[row]]).count("\n") - 1
    return Mutation(case, "duplicate_row", table.name,
                    f"{table.path} line {table.lines[row]} copied to line {line}",
                    _write(table.path, _to_text(table.header, rows).encode("utf-8")),
                    Target(table.path, line))


def _reshaped(table: Table, change: Callable[[list[str]], list[str]]) -> bytes:
    return _to_text(change(list(table.header)), [change(list(r)) for r in table.rows]).encode()


def _delete_column(rng: random.Random, table: Table, case: int) -> Mutation:
    j = rng.randrange(len(table.header))
    name = table.header[j]
    payload = _reshaped(table, lambda r: r[:j] + r[j + 1:])
    return Mutation(case, "delete_column", table.name, f"{table.path}: column {name!r} deleted",
                    _write(table.path, payload), Target(table.path, 1, (name,)))


def _duplicate_column(rng: random.Random, table: Table, case: int) -> Mutation:
    j = rng.randrange(len(table.header))
    at = rng.randint(0, len(table.header))
    name = table.header[j]
    payload = _reshaped(table, lambda r: r[:at] + [r[j]] + r[at:])
    return Mutation(case, "duplicate_column", table.name,
                    f"{table.path}: column {name!r} copied to position {at}",
                    _write(table.path, payload), Target(table.path, 1, (name,)))


def _rename_column(rng: random.Random, table: Table, case: int) -> Mutation:
    j = rng.randrange(len(table.header))
    old = table.header[j]
    choices = [f"{old}_x", old.upper(), f" {old}", old.replace("_", "-"), f"{old}2", "column"]
    new = rng.choice([c for c in choices if c not in table.header and c not in table.fields])
    header = list(table.header)
    header[j] = new
    payload = _to_text(header, table.rows).encode("utf-8")
    return Mutation(case, "rename_column", table.name,
                    f"{table.path}: header {old!r} renamed {new!r}", _write(table.path, payload),
                    Target(table.path, 1, (old, new, new.strip() or "(blank)")))


def _swap_columns(rng: random.Random, table: Table, case: int) -> Mutation:
    i, j = sorted(rng.sample(range(len(table.header)), 2))

    def swap(r: list[str]) -> list[str]:
        r[i], r[j] = r[j], r[i]
        return r

    return Mutation(case, "swap_columns", table.name,
                    f"{table.path}: columns {table.header[i]!r} and {table.header[j]!r} swapped",
                    _write(table.path, _reshaped(table, swap)), Target(table.path))


# --- the descriptor


def _structural_braces(text: str) -> list[int]:
    """Offsets of the braces that open or close an object of the pretty-printed JSON (the
    first or last character of a line), never a brace inside a string such as a pattern."""
    offsets, start = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip().rstrip(",")
        first = len(line) - len(line.lstrip())
        if body[first:first + 1] in ("{", "}"):
            offsets.append(start + first)
        elif body[-1:] in ("{", "}"):
            offsets.append(start + len(body) - 1)
        start += len(line)
    return offsets


def _broken_descriptor(rng: random.Random, table: Table, case: int) -> Mutation:
    text = original_text(DESCRIPTOR)
    doc = json.loads(text)
    i = [r["name"] for r in doc["resources"]].index(table.name)
    res = doc["resources"][i]
    variants = ["invalid JSON", "no schema", "field without type", "no resources",
                "unknown type"] + (["foreign key to no table"]
                                   if res["schema"].get("foreignKeys") else [])
    variant = rng.choice(variants)
    where = f"resources[{i}]"
    if variant == "invalid JSON":
        at = rng.choice(_structural_braces(text))
        line = text.count("\n", 0, at) + 1
        return Mutation(case, "broken_descriptor", table.name,
                        f"{DESCRIPTOR} line {line}: {text[at]!r} dropped",
                        _write(DESCRIPTOR, (text[:at] + text[at + 1:]).encode("utf-8")),
                        Target(DESCRIPTOR))
    if variant == "no schema":
        del res["schema"]
        where += ".schema removed"
    elif variant in ("field without type", "unknown type"):
        j = rng.randrange(len(res["schema"]["fields"]))
        field = res["schema"]["fields"][j]
        where += f".schema.fields[{j}].type ({field['name']}, {field['type']})"
        if variant == "unknown type":
            field["type"] = "numberz"
            where += " -> 'numberz'"
        else:
            del field["type"]
            where += " removed"
    elif variant == "no resources":
        del doc["resources"]
        where = "resources removed"
    else:
        k = rng.randrange(len(res["schema"]["foreignKeys"]))
        res["schema"]["foreignKeys"][k]["reference"]["resource"] = "no_such_table"
        where += f".schema.foreignKeys[{k}].reference.resource -> 'no_such_table'"
    payload = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return Mutation(case, "broken_descriptor", table.name, f"{DESCRIPTOR}: {where}",
                    _write(DESCRIPTOR, payload), Target(DESCRIPTOR))


def _always(table: Table) -> bool:
    return True


KINDS: dict[str, Kind] = {
    "byte_invalid": Kind(lambda t: bool(ascii_cells(t)), _byte_invalid),
    "truncate": Kind(lambda t: bool(t.rows), _truncate),
    "delete_column": Kind(_always, _delete_column),
    "duplicate_column": Kind(_always, _duplicate_column),
    "rename_column": Kind(_always, _rename_column),
    "swap_columns": Kind(lambda t: len(t.header) > 1, _swap_columns),
    "encoding": Kind(_always, _encoding),
    "nul_in_cell": _cell_kind(text_cells, _control_char, "nul_in_cell"),
    "huge_number": _cell_kind(numeric_cells, _huge_number, "huge_number"),
    "non_finite": _cell_kind(numeric_cells, _non_finite, "non_finite"),
    "arabic_digits": _cell_kind(numeric_cells, _arabic_digits, "arabic_digits"),
    "impossible_date": _cell_kind(calendar_cells, _impossible_date, "impossible_date"),
    "implausible_date": _cell_kind(date_cells, _implausible_date, "implausible_date"),
    "homoglyph_code": _cell_kind(homoglyph_cells, _homoglyph, "homoglyph_code"),
    "zero_width_code": _cell_kind(code_cells, _zero_width, "zero_width_code"),
    "formula_cell": _cell_kind(text_cells, _formula, "formula_cell"),
    "duplicate_row": Kind(lambda t: bool(t.rows), _duplicate_row),
    "broken_descriptor": Kind(_always, _broken_descriptor),
    "missing_file": _whole_file("missing_file"),
    "empty_file": _whole_file("empty_file"),
    "header_only": _whole_file("header_only"),
    "huge_cell": _cell_kind(text_cells, _huge_text, "huge_cell"),
    "code_swap": _cell_kind(enum_cells, _other_enum_value, "code_swap", allowed_to_change=True),
}
KIND_NAMES = list(KINDS)


def full_rotation() -> int:
    """Cases enough for every kind to meet every table it applies to (the default)."""
    return len(KIND_NAMES) * max(
        sum(KINDS[k].eligible(t) for t in original_package().values()) for k in KIND_NAMES)


CASES = int(os.environ.get("FUZZ_CASES") or full_rotation())


def _table_order(kind: str, seed: int) -> list[Table]:
    """The tables a kind applies to, in a seeded order that the cases of the kind cycle."""
    tables = [t for t in original_package().values() if KINDS[kind].eligible(t)]
    random.Random(f"{seed}:{kind}").shuffle(tables)
    return tables


def mutations(seed: int, n: int) -> list[Mutation]:
    """``n`` broken copies of the package, the same for the same seed."""
    out = []
    for case in range(n):
        kind = KIND_NAMES[case % len(KIND_NAMES)]
        tables = _table_order(kind, seed)
        table = tables[(case // len(KIND_NAMES)) % len(tables)]
        out.append(KINDS[kind].make(random.Random(f"{seed}:{case}"), table, case))
    return out


# ---------------------------------------------------------------- running one case


@dataclass(frozen=True)
class Result:
    """What became of one mutation."""

    mutation: Mutation
    outcome: str
    detail: str

    @property
    def failed(self) -> bool:
        if self.outcome == CHANGED:
            return not self.mutation.allowed_to_change
        return self.outcome in (TRACEBACK, VAGUE)


def _traceback_tail(lines: int = 3) -> str:
    return " | ".join(s.strip() for s in traceback.format_exc().strip().splitlines()[-lines:])


def _same_file(problem_file: str, name: str) -> bool:
    return Path(problem_file).name == name


def _names_resource(problem: Problem) -> bool:
    """A CSV problem without a line names its resource and the file's path."""
    name = Path(problem.file).name
    resource = next((t.name for t in original_package().values() if t.path == name), None)
    if resource is None or name not in problem.message:
        return False
    rest = re.sub(r"\S*" + re.escape(name), "", problem.message)
    return re.search(rf"\b{re.escape(resource)}\b", rest) is not None


def _unlocated(problem: Problem) -> str:
    """Why an error does not say where it is ('' when it does)."""
    if not problem.file:
        return "names no file"
    if _same_file(problem.file, DESCRIPTOR):
        if problem.line is None and not JSON_PATH.fullmatch(problem.column or ""):
            return "names neither a line nor a JSON path of datapackage.json"
        return ""
    if problem.line is None and not _names_resource(problem):
        return "names no line (nor the resource and path of a missing or empty file)"
    return ""


def _vagueness(refused: list[Problem], target: Target, anywhere: bool = False) -> str:
    """Why the errors of a refused package do not point at the mutation ('' when they do).
    With ``anywhere`` (a valid value swapped for another: the errors are where the old value
    is still used, e.g. a foreign key in another file) it is enough that every error is
    located."""
    for problem in refused:
        why = _unlocated(problem)
        if why:
            return f"an error {why}: {_clip(str(problem), 200)}"
    if anywhere:
        return ""
    here = [p for p in refused if _same_file(p.file, target.file)]
    if not here:
        return f"no error names {target.file}; first error: {_clip(str(refused[0]), 200)}"
    if target.line is None:
        return ""
    on_line = [p for p in here if p.line == target.line]
    if not on_line:
        return (f"no error on line {target.line} of {target.file}; first error: "
                f"{_clip(str(here[0]), 200)}")
    if target.columns and not any(p.column in target.columns for p in on_line):
        return (f"no error names column {target.columns[0]!r} on line {target.line}; found: "
                f"{_clip(str(on_line[0]), 200)}")
    bare = [p for p in on_line if target.columns and not p.column]
    if bare:
        return f"an error about the mutated cell names no column: {_clip(str(bare[0]), 200)}"
    return ""


def _load_crash(name: str, data_dir: Path) -> str:
    """'' when load_table returns a DataFrame or raises DataValidationError, else the crash."""
    clear_cache()
    try:
        frame = load_table(name, data_dir)
    except DataValidationError:
        return ""
    except Exception:
        return f"load_table({name!r}) raised: {_traceback_tail()}"
    return "" if isinstance(frame, pd.DataFrame) else f"load_table returned {type(frame)}"


def _difference(name: str, frame: pd.DataFrame, original: pd.DataFrame) -> str:
    try:
        pd.testing.assert_frame_equal(frame.sort_index(axis=1), original.sort_index(axis=1))
    except AssertionError as exc:
        return f"{name}: " + " ".join(str(exc).split())
    return ""


def _accepted_outcome(data_dir: Path) -> tuple[str, str]:
    """Outcome of an accepted package: does every table load as in the original?"""
    clear_cache()
    for name, original in original_tables().items():
        try:
            frame = load_table(name, data_dir)
        except DataValidationError as exc:
            return CHANGED, (f"validate_package accepted, load_table({name!r}) refused: "
                             f"{_clip(str(exc.problems[0]), 200)}")
        except Exception:
            return TRACEBACK, f"load_table({name!r}) raised: {_traceback_tail()}"
        diff = _difference(name, frame, original)
        if diff:
            return CHANGED, _clip(diff, 300)
    return UNCHANGED, ""


def reuse_untouched_parses() -> None:
    """In a fuzz worker process: parse again only what a case may have changed.

    ``validate_package`` and ``load_table`` parse every table of the copy, and about 4/5 of a
    case went into parsing the tables it did not touch. ``helpers.data._parse_table(name,
    root)`` reads only the table's own file and its resource in ``datapackage.json`` (foreign
    keys, vocabularies and the project's rules come after it, across tables), so when both are
    byte for byte those of the original package, its result is the original's: the worker
    hands out a copy of that. The broken table, and every table when the descriptor changed,
    is parsed for real. If the loader no longer has ``_parse_table(name, root)``, nothing is
    reused (slower, same verdicts).
    """
    real = getattr(loader, "_parse_table", None)
    if real is None or list(inspect.signature(real).parameters) != ["name", "root"]:
        return
    original: dict[str, tuple[pd.DataFrame, list[Problem]]] = {}

    def untouched(name: str, root: Path) -> bool:
        table = original_package().get(name)
        try:
            return table is not None and (
                (root / DESCRIPTOR).read_bytes() == original_bytes(DESCRIPTOR)
                and (root / table.path).read_bytes() == original_bytes(table.path))
        except OSError:
            return False

    def parse(name: str, root: Path) -> tuple[pd.DataFrame, list[Problem]]:
        if not untouched(name, Path(root)):
            return real(name, root)
        if name not in original:
            original[name] = real(name, default_data_dir())
        frame, problems = original[name]
        return frame.copy(deep=True), list(problems)  # the loader changes frames in place

    loader._parse_table = parse


def run_case(mutation: Mutation, workdir: Path) -> Result:
    """Break a fresh copy of the package with ``mutation`` and judge what the checks say."""
    data_dir = workdir / f"case{mutation.case:04d}"
    shutil.copytree(default_data_dir(), data_dir)
    try:
        mutation.apply(data_dir)
        clear_cache()
        try:
            problems = checks.validate_package(data_dir)
        except Exception:
            return Result(mutation, TRACEBACK, f"validate_package raised: {_traceback_tail()}")
        crash = _load_crash(mutation.table, data_dir)
        if crash:
            return Result(mutation, TRACEBACK, crash)
        refused = checks.errors(problems)
        if refused:
            vague = _vagueness(refused, mutation.target, anywhere=mutation.allowed_to_change)
            return Result(mutation, VAGUE if vague else REFUSED,
                          vague or _clip(str(refused[0]), 200))
        return Result(mutation, *_accepted_outcome(data_dir))
    finally:
        clear_cache()
        shutil.rmtree(data_dir, ignore_errors=True)


# ---------------------------------------------------------------- reporting


def summary_by_kind(results: list[Result]) -> str:
    """A table of outcomes by mutation kind (failures: tracebacks, vague errors and changed
    meanings that are not allowed)."""
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in KIND_NAMES}
    for r in results:
        counts[r.mutation.kind][r.outcome] += 1
        counts[r.mutation.kind]["failed"] += r.failed
    head = ["kind", "cases", *OUTCOMES, "failed"]
    rows = [[kind, str(sum(c[o] for o in OUTCOMES)), *(str(c[o]) for o in OUTCOMES),
             str(c["failed"])] for kind, c in counts.items()]
    total = Counter()
    for c in counts.values():
        total.update(c)
    rows.append(["total", str(len(results)), *(str(total[o]) for o in OUTCOMES),
                 str(total["failed"])])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
                     for row in [head, *rows])


def failure_report(results: list[Result], per_kind: int = 4) -> str:
    """The failures, a few per kind, one line each: case, what was broken, what happened."""
    lines = []
    for kind in KIND_NAMES:
        failed = [r for r in results if r.failed and r.mutation.kind == kind]
        lines += [f"- {r.mutation} => {r.outcome}: {r.detail}" for r in failed[:per_kind]]
        if len(failed) > per_kind:
            lines.append(f"  ... and {len(failed) - per_kind} more {kind} failures")
    return "\n".join(lines)


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[Result]:
    """Every case of the seed, run once for all the tests of this module, on every core
    (each worker rebuilds the seeded cases and runs its share of them by index)."""
    workdir = tmp_path_factory.mktemp("fuzz")
    workers = max(1, min(os.cpu_count() or 1, 4))
    chunks = [list(range(i, CASES, workers)) for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        parts = list(pool.map(_run_indices, chunks, [workdir / f"w{i}" for i in
                                                     range(workers)]))
    by_case = {r.mutation.case: r for part in parts for r in part}
    return [by_case[i] for i in range(CASES)]


def _run_indices(indices: list[int], workdir: Path) -> list[Result]:
    """Run the cases ``indices`` of the seed (in a worker process)."""
    workdir.mkdir(parents=True, exist_ok=True)
    cases = mutations(SEED, CASES)
    original_tables()
    reuse_untouched_parses()  # a forked worker: the test process keeps the real loader
    return [_picklable(run_case(cases[i], workdir)) for i in indices]


def _picklable(result: Result) -> Result:
    """The result without the mutation's edit function (a closure cannot cross processes)."""
    return Result(replace(result.mutation, apply=None), result.outcome, result.detail)


def test_generator_is_seeded_and_covers_every_kind_and_table() -> None:
    first, again = mutations(SEED, 60), mutations(SEED, 60)
    assert [m.description for m in first] == [m.description for m in again]
    assert [m.description for m in mutations(SEED + 1, 60)] != [m.description for m in first]
    cases = mutations(SEED, full_rotation())
    eligible = {(k, t.name) for k in KIND_NAMES for t in original_package().values()
                if KINDS[k].eligible(t)}
    assert {(m.kind, m.table) for m in cases} == eligible  # every kind meets every table
    assert {m.table for m in cases} == set(original_package())
    assert [m.kind for m in cases if m.allowed_to_change] == ["code_swap"] * (
        sum(m.kind == "code_swap" for m in cases))


def test_broken_packages_are_refused_precisely_or_load_unchanged(results: list[Result]) -> None:
    assert [r.mutation.case for r in results] == list(range(CASES))
    per_kind = Counter(r.mutation.kind for r in results)
    assert min(per_kind[k] for k in KIND_NAMES) == CASES // len(KIND_NAMES)
    summary = summary_by_kind(results)
    print(f"\nfuzz seed {SEED}, {len(results)} cases\n{summary}")
    failed = [r for r in results if r.failed]
    assert not failed, (f"{len(failed)} of {len(results)} broken packages failed (seed {SEED})"
                        f"\n{summary}\n{failure_report(results)}")


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_outcomes_of_kind(kind: str, results: list[Result]) -> None:
    mine = [r for r in results if r.mutation.kind == kind]
    counts = Counter(r.outcome for r in mine)
    print(f"\n{kind}: " + ", ".join(f"{o} {counts[o]}" for o in OUTCOMES))
    if not mine:
        pytest.skip(f"FUZZ_CASES={CASES} leaves no {kind} case ({len(KIND_NAMES)} kinds)")
    failed = [r for r in mine if r.failed]
    assert not failed, "\n".join(f"- {r.mutation} => {r.outcome}: {r.detail}" for r in failed)


def test_reused_parses_are_the_real_ones_and_only_for_untouched_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers' shortcut (:func:`reuse_untouched_parses`) changes nothing but the time."""
    copy = tmp_path / "tiktok_data"
    shutil.copytree(default_data_dir(), copy)
    clear_cache()
    expected, expected_problems = loader.parse_package(copy)
    real = loader._parse_table
    parsed: Counter[str] = Counter()

    def counting(name: str, root: Path) -> tuple[pd.DataFrame, list[Problem]]:
        if Path(root) == copy:
            parsed[name] += 1
        return real(name, root)

    monkeypatch.setattr(loader, "_parse_table", counting)  # restored after the test
    reuse_untouched_parses()
    assert loader._parse_table is not counting, "the shortcut was not installed"
    for _ in range(2):  # the loader changes the frames it gets: the originals must not change
        clear_cache()
        tables, problems = loader.parse_package(copy)
        assert problems == expected_problems
        for name, frame in expected.items():
            pd.testing.assert_frame_equal(tables[name], frame)
            assert tables[name].attrs["path"] == frame.attrs["path"]
            pd.testing.assert_series_equal(tables[name].attrs["lines"], frame.attrs["lines"])
    assert parsed == Counter()  # nothing of the untouched copy was parsed again
    users = copy / "users.csv"
    users.write_bytes(users.read_bytes().replace(b",company,", b",unknown,", 1))
    clear_cache()
    assert checks.errors(checks.validate_package(copy))  # the broken table is parsed for real
    assert parsed == Counter({"users": 1})
    (copy / DESCRIPTOR).write_text(original_text(DESCRIPTOR) + "\n", encoding="utf-8")
    parsed.clear()
    clear_cache()
    loader.parse_package(copy)
    assert parsed == Counter({name: 1 for name in original_package()})  # descriptor changed
