"""Reading a task file with its includes.

``include = ["../_datasets/<dataset>/dataset.toml"]`` pulls a shared dataset block into a task
file: the included file is read first and the including file's keys override it, tables
merged key by key (as lm-evaluation-harness merges an ``include:``). Every path a file declares
(``public_ids``, ``demo_labels``, ``demo_reads``, ``demo_identity``, ``include``, a native
layout's ``hook``) is relative to THAT file, wherever it is included from; the loader rewrites
the data paths relative to the task folder, which is how :meth:`Task.path` resolves them, and
records which file declared each ``[[native]]`` layout so its hook loads from there.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ..core.errors import TaskError

__all__ = ["DATA_PATH_KEYS", "load_with_includes", "read_toml"]

#: Keys holding a path to a data file, by table (``splits.*``: every split's table).
DATA_PATH_KEYS: dict[str, tuple[str, ...]] = {
    "splits.*": ("public_ids", "demo_labels", "demo_reads"),
    "confidential": ("demo_identity",),
}


def read_toml(path: Path) -> dict:
    """Parse one TOML file; any failure is a :class:`TaskError` naming the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise TaskError(f"task file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise TaskError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _tables(data: dict, pattern: str) -> list[dict]:
    """The tables of ``data`` that ``pattern`` (``a.b``, ``a.*``) names."""
    found = [data]
    for part in pattern.split("."):
        nxt = []
        for t in found:
            children = list(t.values()) if part == "*" else [t.get(part)]
            nxt += [c for c in children if isinstance(c, dict)]
        found = nxt
    return found


def _rebase(data: dict, declared_in: Path, task_dir: Path) -> None:
    """Rewrite the data paths of ``data`` (read from ``declared_in``) relative to ``task_dir``."""
    here = declared_in.parent
    if here != task_dir:
        for pattern, keys in DATA_PATH_KEYS.items():
            for table in _tables(data, pattern):
                for key in keys:
                    value = table.get(key)
                    if isinstance(value, str) and value:
                        table[key] = Path(os.path.relpath(here / value, task_dir)).as_posix()
    natives = data.get("native")
    if isinstance(natives, list):
        for entry in natives:
            if isinstance(entry, dict):
                entry["declared_in"] = declared_in


def load_with_includes(path: Path, task_dir: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The merged content of ``path`` and its includes, data paths relative to ``task_dir``."""
    path = path.resolve()
    if path in seen:
        raise TaskError(f"include cycle: {' -> '.join(str(p) for p in seen + (path,))}")
    data = read_toml(path)
    includes = data.pop("include", [])
    if isinstance(includes, str):
        includes = [includes]
    _rebase(data, path, task_dir)
    merged: dict = {}
    for inc in includes:
        merged = _deep_merge(merged, load_with_includes(path.parent / inc, task_dir, seen + (path,)))
    return _deep_merge(merged, data)
