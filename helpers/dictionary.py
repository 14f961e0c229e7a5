"""The data dictionary as Markdown, generated from ``datapackage.json`` (never hand-written)."""

from __future__ import annotations

import os
from pathlib import Path

from helpers.data import LABELS_KEY, VOCABULARY_KEY, default_data_dir, read_package

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
        values, labels = cons["enum"], field.get(LABELS_KEY, {})
        shown = [f"`{v}`" + (f' "{labels[v]}"' if v in labels
                             and labels[v] != str(v).replace("_", " ") else "") for v in values]
        parts.append("one of " + (", ".join(shown) if len(values) <= 20
                                  else f"{len(values)} ISO codes"))
    if "pattern" in cons:
        parts.append(f"pattern `{cons['pattern']}`")
    return "; ".join(parts)


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _vocabulary_note(package: dict, name: str, key: list[str]) -> str:
    """What a vocabulary table is for: the fields whose foreign keys refer to its key."""
    users = [f"`{other['name']}.{col}`" for other in package["resources"]
             for fk in other["schema"].get("foreignKeys", [])
             if fk["reference"]["resource"] == name
             for col, ref in zip(_as_list(fk["fields"]), _as_list(fk["reference"]["fields"]),
                                 strict=True) if [ref] == key]
    which = ", ".join(users) if users else "the fields that refer to it"
    return (f" A vocabulary: its rows are the values that {which} may take (a new value is a "
            "new row here), and the loader gives them the categories in this file's row "
            "order.")


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
            cols, refs = _as_list(fk["fields"]), _as_list(fk["reference"]["fields"])
            verb = "refers" if len(cols) == 1 else "together refer"
            out.append(f" {', '.join(f'`{c}`' for c in cols)} {verb} to "
                       f"{', '.join(f'`{target}.{r}`' for r in refs)}.")
        if res.get(VOCABULARY_KEY):
            out.append(_vocabulary_note(package, res["name"], _as_list(pk)))
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
