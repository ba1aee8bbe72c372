"""Public id lists: which cases a submission must cover, with their public columns.

They are committed under ``tasks/`` (``public_ids`` of a split), so a submission can be
validated with no labels at all; the columns listed in ``public_columns`` (patient id,
modality) travel with them for clustering and subgroups.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..core.errors import LabelError, Problem
from .csvio import read_csv_str
from .tasks import Task

__all__ = ["PublicCases", "load_public", "other_split_problem"]


@dataclass(frozen=True)
class PublicCases:
    """The cases of a split that a submission must cover, with their public columns."""

    task_id: str
    split: str
    ids: np.ndarray  # str, in the order of the public id file
    table: pd.DataFrame  # index = id, columns = public columns
    source: str

    def __len__(self) -> int:
        return len(self.ids)


def load_public(task: Task, split: Optional[str] = None) -> PublicCases:
    """Read the committed public id list of ``split`` (default: the task's default split)."""
    name = split or task.default_split
    decl = task.split(name)
    path = task.path(decl.public_ids)
    if not path.is_file():
        raise LabelError(f"public id list of {task.id}/{name} not found: {path}")
    df, _ = read_csv_str(path)
    if task.id_column not in df.columns:
        raise LabelError(
            f"{path}: column {task.id_column!r} is missing; found {list(df.columns)}."
        )
    missing = [c for c in task.public_columns if c not in df.columns]
    if missing:
        raise LabelError(f"{path}: public column(s) {missing} missing.")
    ids = df[task.id_column].str.strip().to_numpy(dtype=object)
    if len(set(ids)) != len(ids):
        raise LabelError(f"{path}: duplicate ids in the public id list.")
    table = df.set_index(task.id_column)[list(task.public_columns)]
    table.index = ids
    return PublicCases(task.id, name, ids.astype(str), table, str(path))



def other_split_problem(task: Task, split: str, path: os.PathLike) -> Optional[Problem]:
    """A problem naming the split a submission's ids belong to, when it is not ``split``.

    Reads the first column of the file (comment lines, blank lines and a header row are
    skipped; a long-format row id ``<id><sep><target>`` counts for its case id) and compares it
    with the public id lists of the task's other splits: public information only, so the
    message is safe to show to a participant. None when most ids are not from another split.
    """
    try:
        text = Path(path).read_bytes()[: 64 << 20].decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    seps = {f.separator for f in task.formats if f.layout == "long"}
    values = []
    for row in csv.reader(ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")):
        if row:
            values.append(row[0].strip())
    if not values:
        return None

    def case_of(v: str, ids: set) -> Optional[str]:
        if v in ids:
            return v
        for sep in seps:
            head = v.split(sep, 1)[0]
            if head in ids:
                return head
        return None

    if split not in task.splits:  # a researcher's native labels: no split to compare with
        return None
    here = set(map(str, load_public(task, split).ids))
    n_here = len({c for v in values if (c := case_of(v, here))})
    best = None
    for name in sorted(task.splits):
        if name == split:
            continue
        try:
            ids = set(map(str, load_public(task, name).ids))
        except LabelError:
            continue
        cases = {c for v in values if (c := case_of(v, ids))}
        if cases and len(cases) > n_here and (best is None or len(cases) > best[1]):
            n_file = len({case_of(v, ids) or v for v in values})  # a header row counts once
            best = (name, len(cases), n_file)
    if best is None:
        return None
    name, n, n_file = best
    what = f"all {n}" if n >= n_file - 1 else f"{n} of the {n_file}"
    return Problem(
        "ids-of-another-split",
        f"{what} case ids of the file belong to split {name!r}, not to split {split!r}",
        file=str(path),
        expected=f"the {len(here)} public ids of split {split!r}",
        found=f"ids of split {name!r}",
        fix=f"add --split {name}",
    )
