"""Generic readers of label files: the canonical file and every declared native layout.

A dataset declares the label files its release ships as ``[[native]]`` tables of its
``dataset.toml`` (:class:`~benchmark.data.declarations.NativeDecl`); the package names no
dataset. Three layouts cover them:

* ``wide``: a header row, an id column and one column per target (the canonical label file is
  this layout with the task's own id and target columns);
* ``per_target``: one file per target, two columns ``id,label`` (with or without a header),
  found by a name pattern holding ``{target}`` and, when the files name their split,
  ``{split}``;
* ``hook``: a function of a Python module in the dataset folder turns the file into a table of
  strings, which is then read like a wide file.

A file is recognised by its content (its columns), whatever its name; the ``files`` patterns
only say where to look inside a ``--labels`` folder. Values become labels through the task's
mapping (0/1 for binary tasks; class names, class indices and ``label_values`` for multi-class
tasks, an empty cell being unlabelled) and the layout's own ``values``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..core.errors import LabelError
from .csvio import is_synthetic, read_csv_str, sha256_file
from .declarations import NativeDecl
from .hooks import hook_attribute, load_hook
from .tasks import Task

__all__ = [
    "LabelTable",
    "candidate_files",
    "files_by_content",
    "per_target_file",
    "per_target_layout",
    "per_target_splits",
    "read_canonical",
    "read_native",
    "read_per_target",
    "recognise",
]

#: Texts a binary label cell may hold.
BINARY_VALUES = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0, "False": 0.0, "True": 1.0}


@dataclass(frozen=True)
class LabelTable:
    """The labels of one file (or one set of per-target files), in the file's row order."""

    ids: np.ndarray  # str
    y: np.ndarray
    usage: Optional[np.ndarray]
    public: Optional[pd.DataFrame]  # the task's public columns found in the file, index = ids
    synthetic: bool
    sha256: str
    source: str  # the file, or the files joined by ";"


# -- values --------------------------------------------------------------------------------------
def _mapping(task: Task, extra: dict[str, int]) -> dict[str, float]:
    if task.kind == "binary":
        return {**BINARY_VALUES, **{k: float(v) for k, v in extra.items()}}
    mapping = dict(task.label_values)
    for i, c in enumerate(task.classes):
        mapping.setdefault(c, i)
        mapping.setdefault(str(i), i)
    mapping[""] = -1
    mapping.update(extra)
    return mapping


def _column(values: pd.Series, task: Task, mapping: dict, path: Path, col: str) -> np.ndarray:
    s = values.str.strip()
    bad = ~s.isin(list(mapping))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        found = str(s.iloc[row])
        if task.kind == "binary":
            raise LabelError(f"{path}: column {col!r} must hold 0/1 labels; row {row + 1} holds {found!r}.")
        raise LabelError(
            f"{path}: column {col!r} must hold one of {sorted(k for k in mapping if k)} or be "
            f"empty; row {row + 1} holds {found!r}."
        )
    return s.map(mapping).to_numpy(dtype=float if task.kind == "binary" else np.int64)


def _y(df: pd.DataFrame, task: Task, path: Path, columns: dict[str, str], extra: dict[str, int]) -> np.ndarray:
    mapping = _mapping(task, extra)
    return np.column_stack([_column(df[columns[t]], task, mapping, path, columns[t]) for t in task.targets])


# -- wide ---------------------------------------------------------------------------------------
def _target_columns(task: Task, layout: Optional[NativeDecl]) -> dict[str, str]:
    named = layout.target_columns if layout is not None else {}
    return {t: named.get(t, t) for t in task.targets}


def _id_column(task: Task, layout: Optional[NativeDecl]) -> str:
    return (layout.id_column if layout is not None else None) or task.id_column


def _table(task: Task, df: pd.DataFrame, comments: list[str], path: Path, layout: Optional[NativeDecl], digest: str) -> LabelTable:
    id_col = _id_column(task, layout)
    if id_col not in df.columns:
        raise LabelError(f"{path}: label file has no {id_col!r} column (columns: {list(df.columns)}).")
    columns = _target_columns(task, layout)
    missing = [t for t, c in columns.items() if c not in df.columns]
    if missing:
        raise LabelError(f"{path}: label file lacks target column(s) {missing}.")
    ids = df[id_col].str.strip()
    if layout is not None and layout.id_width:
        ids = ids.str.zfill(layout.id_width)
    ids = ids.to_numpy(dtype=object).astype(str)
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise LabelError(f"{path}: duplicate id {str(ids[int(np.flatnonzero(dup)[0])])!r} in labels.")
    y = _y(df, task, path, columns, layout.values if layout is not None else {})
    usage = None
    if "usage" in df.columns:
        usage = df["usage"].str.strip().str.lower().to_numpy(dtype=object).astype(str)
        if (~np.isin(usage, ["public", "private"])).any():
            raise LabelError(f"{path}: column 'usage' must be public or private.")
    public = df[[c for c in task.public_columns if c in df.columns]].copy()
    public.index = ids
    return LabelTable(ids, y, usage, public, is_synthetic(comments), digest, str(path))


def read_canonical(task: Task, path: Path) -> LabelTable:
    """Read a label file in the canonical layout (the task's id and target columns)."""
    df, comments = read_csv_str(path)
    return _table(task, df, comments, path, None, sha256_file(path))


# -- recognising a file by its content ------------------------------------------------------------
def _header(path: Path) -> list[str]:
    """The cells of the first line that is not a comment (empty when there is none).

    Only the file's first 64 KiB are read, so looking through a folder of large files is cheap.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16).decode("utf-8-sig", errors="replace")
    except OSError:
        return []
    for ln in head.splitlines():
        if ln.strip() and not ln.startswith("#"):
            return [c.strip().strip('"') for c in ln.split(",")]
    return []


def _matches_name(layout: NativeDecl, name: str) -> bool:
    pats = [p.replace("{split}", "*").replace("{target}", "*") for p in layout.files]
    return any(fnmatch.fnmatchcase(name, p) for p in pats)


def _hook_recognises(task: Task, layout: NativeDecl, path: Path) -> bool:
    module = load_hook(layout.declared_in or task.task_dir / "task.toml", layout.hook, "native.hook")
    test = getattr(module, "recognises", None)
    return bool(test(path)) if callable(test) else _matches_name(layout, path.name)


def recognise(task: Task, path: Path) -> Optional[NativeDecl]:
    """The first declared wide or hook layout ``path`` is in, judged by its content."""
    header = None
    for layout in task.native:
        if layout.layout == "hook":
            if _hook_recognises(task, layout, path):
                return layout
        elif layout.layout == "wide":
            header = _header(path) if header is None else header
            want = {_id_column(task, layout), *_target_columns(task, layout).values()}
            if want <= set(header):
                return layout
    return None


def read_native(task: Task, path: Path, layout: NativeDecl) -> LabelTable:
    """Read one file of a wide or hook layout."""
    digest = sha256_file(path)
    if layout.layout == "wide":
        df, comments = read_csv_str(path)
        return _table(task, df, comments, path, layout, digest)
    read = hook_attribute(layout.declared_in or task.task_dir / "task.toml", layout.hook, layout.function, "native.hook")
    try:
        df = read([path], task)
    except LabelError:
        raise
    except Exception as exc:  # dataset code: report it against the file it read
        raise LabelError(f"{path}: the native reader {layout.hook}:{layout.function} failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(df, pd.DataFrame):
        raise LabelError(f"{path}: the native reader {layout.hook}:{layout.function} must return a pandas DataFrame. Got {type(df).__name__} instead.")
    df = df.astype(str)
    df.columns = [str(c).strip() for c in df.columns]
    return _table(task, df, [], path, layout, digest)


# -- per-target files ----------------------------------------------------------------------------
def _per_target_patterns(task: Task) -> list[tuple[NativeDecl, str]]:
    return [(n, p) for n in task.native if n.layout == "per_target" for p in n.files if "{target}" in p]


def _file_name(layout: NativeDecl, pattern: str, split: str, target: str) -> str:
    return pattern.replace("{split}", split).replace("{target}", layout.target_columns.get(target, target))


def _name_regex(layout: NativeDecl, pattern: str, target: str) -> str:
    """A regular expression for the names of ``pattern``'s file of ``target`` (any split)."""
    return "".join(
        "(?P<split>.+)" if part == "{split}" else re.escape(_file_name(layout, part, "", target))
        for part in re.split(r"(\{split\})", pattern)
    )


def per_target_splits(task: Task, folder: Path) -> list[str]:
    """The splits whose per-target files (of the first target) are in ``folder``, sorted."""
    found = set()
    names = [p.name for p in folder.iterdir() if p.is_file()]
    for layout, pattern in _per_target_patterns(task):
        if "{split}" in pattern:
            regex = _name_regex(layout, pattern, task.targets[0])
            found |= {m.group("split") for n in names if (m := re.fullmatch(regex, n))}
    return sorted(found)


def per_target_file(task: Task, path: Path) -> Optional[str]:
    """The split a per-target file names (``""`` when its pattern names none); None if it is not one."""
    for layout, pattern in _per_target_patterns(task):
        for t in task.targets:
            m = re.fullmatch(_name_regex(layout, pattern, t), path.name)
            if m:
                return m.groupdict().get("split") or ""
    return None


def per_target_layout(task: Task, folder: Path, split: str) -> Optional[tuple[NativeDecl, str]]:
    """The per-target layout (and its pattern) whose file for ``split``'s first target is in ``folder``."""
    for layout, pattern in _per_target_patterns(task):
        if (folder / _file_name(layout, pattern, split, task.targets[0])).is_file():
            return layout, pattern
    return None


def read_per_target(task: Task, folder: Path, split: str, layout: NativeDecl, pattern: str) -> LabelTable:
    """Read one file per target (``id,label``); every file must list the same cases."""
    frames = {}
    paths = []
    id_col = layout.id_column or task.id_column
    for t in task.targets:
        p = folder / _file_name(layout, pattern, split, t)
        if not p.is_file():
            raise LabelError(f"{task.dataset.name} label file {p} not found.")
        df, _ = read_csv_str(p, header="infer" if layout.header else None)
        if df.shape[1] != 2:
            raise LabelError(f"{p}: expected two columns {id_col},label; found {df.shape[1]}.")
        df.columns = ["id", "label"]
        df["id"] = df["id"].str.strip().str.zfill(layout.id_width)
        frames[t] = df.set_index("id")["label"]
        paths.append(p)
    ids = frames[task.targets[0]].index.to_numpy(dtype=object).astype(str)
    for t, s in frames.items():
        if list(s.index) != list(ids):
            raise LabelError(f"{task.dataset.name} label files disagree on the cases (see {t}).")
    mapping = _mapping(task, layout.values)
    y = np.column_stack([_column(frames[t].reset_index(drop=True), task, mapping, folder, t) for t in task.targets])
    h = hashlib.sha256()
    for p in paths:
        h.update(sha256_file(p).encode())
    return LabelTable(ids, y, None, None, False, h.hexdigest(), ";".join(str(p) for p in paths))


# -- looking inside a folder ------------------------------------------------------------------
def candidate_files(task: Task, folder: Path, split: str) -> list[Path]:
    """Files in ``folder`` that may hold the labels of ``split``: canonical names first."""
    decl = task.splits.get(split)
    names = []
    if decl is not None and decl.labels_file:
        names.append(decl.labels_file)
        names.append(Path(decl.labels_file).name)
    names += [f"{task.id}/{split}_labels.csv", f"{split}_labels.csv"]
    out: list[Path] = []
    for n in names:
        out.append(folder / n)
    for layout in task.native:
        if layout.layout == "per_target":
            continue
        for pattern in layout.files:
            pattern = pattern.replace("{split}", split)
            out += sorted(folder.glob(pattern)) if any(c in pattern for c in "*?[") else [folder / pattern]
    seen, unique = set(), []
    for p in out:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def files_by_content(task: Task, folder: Path) -> list[tuple[Path, NativeDecl]]:
    """The CSV files of ``folder`` in one of the task's wide or hook layouts, whatever their names."""
    return [(p, n) for p in sorted(folder.glob("*.csv")) if p.is_file() and (n := recognise(task, p)) is not None]
