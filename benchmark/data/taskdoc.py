"""The reference of every ``task.toml`` / ``dataset.toml`` key, generated from the task model.

``python -m benchmark.data.taskdoc > docs/tasks.md`` writes it; ``tests/test_taskdoc.py`` fails
when the committed file differs from what the models say, so the reference never goes stale.
Each table of the file (``[resampling]``, ``[[metrics]]``, ``[splits.<name>]``, ...) is one
pydantic model of :mod:`benchmark.data.declarations`; its keys, types, defaults and descriptions come from
the model's JSON Schema.
"""

from __future__ import annotations

import json
import sys

from .tasks import Task

__all__ = ["reference_markdown"]

INTRO = """# Task file reference

Generated from the task model (`benchmark/data/tasks.py`, `benchmark/data/declarations.py`) by `python -m benchmark.data.taskdoc`; do not
edit by hand (a test compares this file with the generated text).

A task is `tasks/<task-id>/task.toml`. Keys shared by every task of one dataset usually live in
`tasks/_datasets/<dataset>/dataset.toml`, pulled in with `include = ["../_datasets/<dataset>/dataset.toml"]`:
the included file is read first and the task file's own keys override it, tables merged key by
key. Paths (`public_ids`, `demo_labels`, a hook module, ...) are relative to the file that
declares them: a dataset's files are named from its `dataset.toml` (`public_ids =
"public/test_ids.csv"`), a task's from its `task.toml`. Unknown keys are errors, so a misspelt
key never goes unnoticed.
"""


def _plain(schema: dict) -> dict:
    """Unwrap ``allOf: [one]`` (how pydantic before 2.9 writes a described reference)."""
    if isinstance(schema, dict) and len(schema.get("allOf", [])) == 1:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return {**schema["allOf"][0], **rest}
    return schema


def _type(schema: dict, defs: dict) -> str:
    schema = _plain(schema)
    if "$ref" in schema:
        return f"table `{schema['$ref'].rsplit('/', 1)[1]}`"
    if "anyOf" in schema:
        parts = [_type(s, defs) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(parts) + (" (optional)" if any(s.get("type") == "null" for s in schema["anyOf"]) else "")
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    t = schema.get("type")
    if t == "array":
        return f"list of {_type(schema.get('items', {}), defs)}"
    if t == "object":
        extra = schema.get("additionalProperties")
        return f"table of {_type(extra, defs)}" if isinstance(extra, dict) else "table"
    if t == "string" and schema.get("format") == "date":
        return "date (YYYY-MM-DD)"
    return {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}.get(t, str(t))


def _default(prop: dict, required: bool) -> str:
    if required:
        return "required"
    if "default" not in prop:
        return "optional"
    d = prop["default"]
    if d in (None, "", [], {}):
        return {None: "none", "": "empty"}.get(d, "empty") if not isinstance(d, (list, dict)) else "empty"
    return f"`{json.dumps(d)}`"


#: Keys the loader sets itself (never written in a task file).
INTERNAL = {"task_dir"}


def _table(name: str, schema: dict, defs: dict, heading: str) -> list[str]:
    out = [f"## {heading}", ""]
    if schema.get("description"):
        out += [" ".join(schema["description"].split()), ""]
    out += ["| key | type | default | description |", "|---|---|---|---|"]
    required = set(schema.get("required", []))
    for key, prop in schema.get("properties", {}).items():
        if key in INTERNAL:
            continue
        desc = " ".join(prop.get("description", "").split()).replace("|", "\\|")
        out.append(f"| `{key}` | {_type(prop, defs)} | {_default(prop, key in required)} | {desc} |")
    return out + [""]


def reference_markdown() -> str:
    """The text of ``docs/tasks.md``."""
    schema = Task.model_json_schema()
    defs = schema.get("$defs", {})
    sections = [INTRO, *_table("Task", schema, defs, "Top level (`task.toml`)")]
    for key, prop in schema["properties"].items():
        prop = _plain(prop)
        target, form = None, None
        if "$ref" in prop:
            target, form = prop["$ref"], f"[{key}]"
        elif prop.get("type") == "array" and "$ref" in prop.get("items", {}):
            target, form = prop["items"]["$ref"], f"[[{key}]]"
        elif prop.get("type") == "object" and "$ref" in (prop.get("additionalProperties") or {}):
            target, form = prop["additionalProperties"]["$ref"], f"[{key}.<name>]"
        if target:
            name = target.rsplit("/", 1)[1]
            sections += _table(name, defs[name], defs, f"`{form}` (table `{name}`)")
    return "\n".join(sections).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference_markdown())
