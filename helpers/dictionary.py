"""The data dictionary as Markdown, generated from ``datapackage.json`` (never hand-written)."""

from __future__ import annotations

import os
from pathlib import Path

from helpers.data import default_data_dir, read_package

BEGIN = "<!-- BEGIN GENERATED DATA DICTIONARY: python -m helpers docs -->"
END = "<!-- END GENERATED DATA DICTIONARY -->"


def _constraints(field: dict) -> str:
    cons = field.get("constraints", {})
    parts = []
    if cons.get("required"):
        parts.append("required")
    if cons.get("unique"):
        parts.append("unique")
    if "minimum" in cons:
        parts.append(f">= {cons['minimum']}")
    if "exclusiveMinimum" in cons:
        parts.append(f"> {cons['exclusiveMinimum']}")
    if "maximum" in cons:
        parts.append(f"<= {cons['maximum']}")
    if "enum" in cons:
        values = cons["enum"]
        parts.append("one of " + (", ".join(f"`{v}`" for v in values) if len(values) <= 20
                                  else f"{len(values)} ISO codes"))
    if "pattern" in cons:
        parts.append(f"pattern `{cons['pattern']}`")
    return "; ".join(parts)


def render_markdown(data_dir: str | os.PathLike[str] | None = None) -> str:
    """One Markdown section per table: what a row is, its key and a table of its columns."""
    package = read_package(data_dir)
    out = []
    for res in package["resources"]:
        schema = res["schema"]
        pk = schema.get("primaryKey")
        pk_text = ", ".join(pk) if isinstance(pk, list) else pk
        out.append(f"### `{res['path']}`: {res['title']}\n\n{res['description']}\n")
        out.append(f"Key: `{pk_text}`.")
        for fk in schema.get("foreignKeys", []):
            target = fk["reference"]["resource"] or res["name"]
            out.append(f" `{fk['fields']}` refers to `{target}.{fk['reference']['fields']}`.")
        out.append("\n\n| column | type | unit | constraints | description |\n"
                   "|---|---|---|---|---|\n")
        for field in schema["fields"]:
            desc = field["description"].replace("|", "\\|")
            out.append(f"| `{field['name']}` | {field['type']} | {field.get('unit', '')} | "
                       f"{_constraints(field).replace('|', chr(92) + '|')} | {desc} |\n")
        out.append("\n")
    return "".join(out).rstrip() + "\n"


def update_readme(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Rewrite the generated block of ``tiktok_data/README.md`` from datapackage.json."""
    root = Path(data_dir) if data_dir else default_data_dir()
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{BEGIN}\n\n{render_markdown(root)}\n{END}{tail}", encoding="utf-8")
    return readme
