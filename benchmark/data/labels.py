"""Hidden labels: where they come from and how they are checked.

Hidden labels are not committed: they are resolved from ``--labels PATH``, else
``$BENCHMARK_LABELS_DIR``, else the committed synthetic demo labels of the split (only when the
front end allows it: :func:`require_label_source`). A label path is the split's canonical
hidden label file (its cases must be the public id list, its pin must hold) or a file the
researcher already has from the dataset's release, recognised by content through the
``[[native]]`` layouts the dataset declares (:mod:`benchmark.data.native`) and scored on its own
cases.

Errors here are :class:`~benchmark.core.errors.LabelError` (host errors): their messages are for
the maintainer and never reach a participant.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..core.errors import LabelError, LabelHashMismatch, LabelsRequired, UnknownName, UsageError
from .csvio import read_csv_str, sha256_file
from .disclosure import label_commitment
from .native import (
    candidate_files,
    files_by_content,
    per_target_file,
    per_target_layout,
    per_target_splits,
    read_canonical,
    read_native,
    read_per_target,
    recognise,
)
from .public import PublicCases, load_public
from .tasks import Task, did_you_mean

LABELS_ENV = "BENCHMARK_LABELS_DIR"

__all__ = [
    "LABELS_ENV",
    "LabelSet",
    "load_labels",
    "require_label_source",
    "restrict_cases",
]


@dataclass(frozen=True)
class LabelSet:
    """Hidden labels aligned to a case order.

    ``y`` is float (n, k) of 0/1 for binary tasks and int (n, k) of class indices (-1 =
    unlabelled) for multi-class tasks; ``public`` holds the public columns aligned to ``ids``;
    ``usage`` is ``"public"``/``"private"`` per case when the label file has a usage column.
    """

    task_id: str
    split: str
    ids: np.ndarray
    y: np.ndarray
    public: pd.DataFrame
    sha256: str
    source: str
    synthetic: bool
    native: Optional[str] = None
    usage: Optional[np.ndarray] = None
    pinned: Optional[bool] = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""  # where the labels come from, for people ("native RSNA 2022 … train.csv")

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, mask: np.ndarray) -> "LabelSet":
        mask = np.asarray(mask, dtype=bool)
        return LabelSet(
            self.task_id,
            self.split,
            self.ids[mask],
            self.y[mask],
            self.public.iloc[np.flatnonzero(mask)],
            self.sha256,
            self.source,
            self.synthetic,
            self.native,
            None if self.usage is None else self.usage[mask],
            self.pinned,
            self.notes,
            self.description,
        )

    def public_cases(self) -> PublicCases:
        return PublicCases(self.task_id, self.split, self.ids, self.public, self.source)


def _unknown_split(task: Task, split: str) -> UsageError:
    names = sorted(task.splits)
    return UnknownName(
        f"task {task.id!r} has no split {split!r}.{did_you_mean(split, names)} Splits: "
        f"{', '.join(names)}. A split outside these can be scored only against native label "
        "files given with --labels."
    )


def require_label_source(labels: Optional[os.PathLike], demo: bool = False) -> Optional[os.PathLike]:
    """Return the label path to score against, refusing to fall back on demo labels silently.

    ``labels`` wins; else ``$BENCHMARK_LABELS_DIR``; else, only when ``demo`` is true, None
    (the committed synthetic demo labels). Anything else raises :class:`LabelsRequired`
    (a usage error, exit code 2), so a forgotten ``--labels`` never yields a real-looking score.

    >>> require_label_source("hidden/", demo=False)
    'hidden/'
    >>> import os; _ = os.environ.pop(LABELS_ENV, None)
    >>> require_label_source(None, demo=True) is None
    True
    >>> require_label_source(None)
    Traceback (most recent call last):
    ...
    benchmark.core.errors.LabelsRequired: no labels to score against: pass --labels PATH (the hidden label file or a folder holding it) or set $BENCHMARK_LABELS_DIR; pass --demo to score against the synthetic demo labels (illustrative scores only).
    """
    if labels is not None:
        if demo:
            raise LabelsRequired("--labels and --demo exclude each other: pick one.")
        return labels
    if os.environ.get(LABELS_ENV) and not demo:
        return os.environ[LABELS_ENV]
    if demo:
        return None
    raise LabelsRequired(
        "no labels to score against: pass --labels PATH (the hidden label file or a folder "
        f"holding it) or set ${LABELS_ENV}; pass --demo to score against the synthetic demo "
        "labels (illustrative scores only)."
    )



def load_labels(
    task: Task,
    split: Optional[str] = None,
    labels: Optional[os.PathLike] = None,
    allow_hash_mismatch: bool = False,
    demo: bool = False,
) -> LabelSet:
    """Resolve and read the hidden labels of a task's split.

    Parameters
    ----------
    task : Task
    split : str, optional
        Split name; the task's default split when omitted. With native files that name their
        split (one file per target, e.g. ``valid-<target>.csv``) in a folder, the split they
        name is used.
    labels : path-like, optional
        A label file or a folder holding one. When omitted, ``$BENCHMARK_LABELS_DIR`` is used,
        else the committed synthetic demo labels of the split.
    allow_hash_mismatch : bool, default False
        Score against labels whose sha256 differs from the task's pin.
    demo : bool, default False
        Use the committed synthetic demo labels even when ``$BENCHMARK_LABELS_DIR`` is set.
        Front ends decide with :func:`require_label_source` whether the demo labels may be
        used at all.

    Returns
    -------
    LabelSet
        Labels in the order of the public id list for the split's own files (in ascending id
        order for a researcher's native file), never in the order of the file. With the split's canonical hidden label file
        (or demo labels) public columns come from the public id list; with a researcher's
        native file, the expected cases are the cases of that file.
    """
    explicit_split = split is not None
    split = split or task.default_split
    decl = task.splits.get(split)
    source = None
    if labels is None and os.environ.get(LABELS_ENV) and not demo:
        labels = os.environ[LABELS_ENV]
        source = LABELS_ENV
    if decl is None and labels is None:
        raise _unknown_split(task, split)
    native = None
    notes: list[str] = []
    pin: Optional[str] = None
    digest_shown: Optional[str] = None  # the keyed commitment, when the task pins one
    split_named_by_files = False
    if labels is None:
        if not decl.demo_labels:
            raise LabelError(
                f"task {task.id!r} split {split!r} has no demo labels; pass --labels or set "
                f"${LABELS_ENV} to the folder holding the hidden labels."
            )
        path = task.path(decl.demo_labels)
        pin = decl.demo_labels_sha256
        if not path.is_file():
            raise LabelError(f"demo labels of {task.id}/{split} not found: {path}")
        table = read_canonical(task, path)
    else:
        p = Path(labels)
        if not p.exists():
            raise LabelError(f"labels path {p} does not exist" + (f" (from ${source})" if source else "") + ".")
        named_split = per_target_file(task, p) if p.is_file() else None
        if named_split is not None:  # one of a set of per-target files: read the whole set
            p = p.parent
            if named_split and not explicit_split:
                split, decl, explicit_split = named_split, task.splits.get(named_split), True
        sets = per_target_splits(task, p) if p.is_dir() else []
        named = p.is_dir() and any(c.is_file() for c in candidate_files(task, p, split))
        if sets and not explicit_split and len(sets) == 1 and not named:
            split = sets[0]  # the only set of native files in the folder names the split
            decl = task.splits.get(split)
        per_target = per_target_layout(task, p, split) if p.is_dir() else None
        if per_target is not None:
            table = read_per_target(task, p, split, *per_target)
            native = task.dataset.id
            split_named_by_files = "{split}" in per_target[1]
        elif sets and not named:
            raise UsageError(
                f"{p} holds {task.dataset.name} label files for split(s) {', '.join(sets)} but none for "
                f"split {split!r}; pass --split {sets[0]}."
            )
        else:
            if p.is_dir():
                p = _label_file_in(task, p, split, decl)
            table, native = _read_label_file(task, p, split)
            if native is None and decl is None:
                raise _unknown_split(task, split)
            pin = decl.labels_sha256 if native is None else None
            if native is None and decl.labels_commitment:
                # a hidden file is pinned by a keyed commitment, never by its plain sha256
                pin, digest_shown = decl.labels_commitment, label_commitment(p)
    ids, y, usage, digest, src = table.ids, table.y, table.usage, table.sha256, table.source
    pinned = None
    if pin:
        found = digest_shown or digest
        pinned = pin == found
        if not pinned and not allow_hash_mismatch:
            raise LabelHashMismatch(src, pin, found)
        if not pinned:
            what = "keyed commitment" if digest_shown else "sha256"
            notes.append(f"label {what} {found} differs from the pinned {pin} (override given)")

    # Public columns: from the public id list for the split's own files, else from the file.
    if native is None:
        pub = load_public(task, split)
        have = set(ids)
        missing = [str(i) for i in pub.ids if i not in have]
        if missing:
            raise LabelError(
                f"{src}: labels lack {len(missing)} case(s) of the public id list of "
                f"{task.id}/{split} (first: {missing[0]!r})."
            )
        extra_ids = sorted(str(i) for i in set(ids) - set(pub.ids))
        if extra_ids:
            raise LabelError(
                f"{src}: labels hold {len(extra_ids)} case(s) not in the public id list "
                f"of {task.id}/{split} (first: {extra_ids[0]!r})."
            )
        # The public id list's order, never the hidden file's: every listing built from
        # these labels (missing ids, the example id, case tables) then follows public order,
        # so sorting the hidden file by usage or label reveals nothing.
        pos = {i: k for k, i in enumerate(ids)}
        order = np.array([pos[i] for i in pub.ids], dtype=int)
        ids, y = ids[order], y[order]
        usage = None if usage is None else usage[order]
        public = pub.table.loc[ids]
        what = "synthetic demo labels" if table.synthetic else "hidden labels"
        description = f"{what} of {task.id}/{split} ({Path(src).name})"
    else:
        public, ids, y, usage = _own_order(task, table, notes)
        files = ", ".join(Path(x).name for x in src.split(";"))
        description = f"native {task.dataset.name} {files}"
        if not split_named_by_files and not explicit_split:
            split = "native"  # drawn from the researcher's file, not from a declared split
    public.index = ids
    return LabelSet(
        description=description,
        task_id=task.id,
        split=split,
        ids=ids,
        y=y,
        public=public,
        sha256=digest,
        source=src,
        synthetic=bool(table.synthetic),
        native=native,
        usage=usage,
        pinned=pinned,
        notes=tuple(notes),
    )


def _label_file_in(task: Task, folder: Path, split: str, decl) -> Path:
    """The label file of ``split`` inside ``folder``: by name, else the one file whose content fits."""
    cands = [c for c in candidate_files(task, folder, split) if c.is_file()]
    if cands:
        return cands[0]
    by_content = files_by_content(task, folder)
    if len(by_content) == 1:
        return by_content[0][0]
    if len(by_content) > 1:
        names = ", ".join(p.name for p, _ in by_content)
        raise UsageError(
            f"{folder} holds several {task.dataset.name} label files ({names}); pass --labels "
            "with the one to score against."
        )
    if decl is None:
        raise _unknown_split(task, split)
    tried = ", ".join(str(c) for c in candidate_files(task, folder, split))
    raise LabelError(f"no label file for {task.id}/{split} in {folder}; looked for {tried}.")


def _read_label_file(task: Task, path: Path, split: str):
    """Read one label file: (table, dataset id when it is a researcher's native file, else None).

    Recognised by content, whatever the file's name: a file named like the split's hidden
    label file, or marked synthetic, is canonical (its cases must be the public id list, its
    hash the pinned one); any other file in one of the dataset's declared layouts is a
    researcher's native file, scored on its own cases.
    """
    decl = task.splits.get(split)
    canonical_names = {f"{split}_labels.csv"}
    if decl is not None and decl.labels_file:
        canonical_names.add(Path(decl.labels_file).name)
    layout = None if path.name in canonical_names else recognise(task, path)
    if layout is None:
        return read_canonical(task, path), None
    table = read_native(task, path, layout)
    if table.synthetic:
        return read_canonical(task, path), None
    return table, task.dataset.id


def _own_order(task: Task, table, notes: list[str]):
    """Public columns, ids, labels and usage of a native file, in ascending id order.

    A native file has no public list to follow; its own order may be a hidden file's (sorted by
    usage or label), so its cases are put in ascending id order.
    """
    ids, y, usage, extra = table.ids, table.y, table.usage, table.public
    cols = [c for c in task.public_columns if extra is not None and c in extra.columns]
    public = extra[cols] if cols else pd.DataFrame(index=ids)
    for c in task.public_columns:
        if c not in public.columns:
            public = public.assign(**{c: ""})
            notes.append(f"public column {c!r} not in the native label file; left empty")
    public = public[list(task.public_columns)]
    digits = all(str(i).isdigit() for i in ids)
    order = np.array(sorted(range(len(ids)), key=lambda k: (int(ids[k]), "") if digits else (0, str(ids[k]))), dtype=int)
    usage = None if usage is None else usage[order]
    return public.iloc[order], ids[order], y[order], usage


def restrict_cases(task: Task, labels: LabelSet, cases: os.PathLike) -> LabelSet:
    """Keep only the cases listed in the file ``cases`` (one fold, a subgroup, a subset).

    The file is a CSV whose first column holds case ids, with a header naming the task's id
    column or no header at all; ``#`` comment lines are allowed. Every listed id must be a case
    of ``labels`` and appear once. The subset keeps the order of ``labels``; its ``sha256`` is
    that of the label file and the case list together (so resampling plans of a subset and of
    the whole set never collide) and its ``description`` names the case file and its sha256.
    """
    path = Path(cases)
    if not path.is_file():
        raise UsageError(f"--cases {path} is not a file.")
    df, _ = read_csv_str(path, header=None)
    col = [str(x).strip() for x in df.iloc[:, 0]]
    known = set(map(str, labels.ids))
    # a header row: the task's id column, or any first cell that is not a case id and not a number
    if col and col[0] not in known and (col[0] == task.id_column or not col[0].replace(".", "").isdigit()):
        col = col[1:]
    ids = [x for x in col if x != ""]
    if not ids:
        raise UsageError(f"--cases {path} lists no case ids.")
    dup = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dup:
        raise UsageError(f"--cases {path}: {len(dup)} id(s) listed more than once (first: {dup[0]!r}).")
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UsageError(
            f"--cases {path}: {len(unknown)} of {len(ids)} id(s) are not cases of the labels "
            f"({labels.description or labels.source}); first: {unknown[0]!r}."
        )
    want = set(ids)
    mask = np.array([str(i) in want for i in labels.ids], dtype=bool)
    sub = labels.subset(mask)
    digest = sha256_file(path)
    combined = hashlib.sha256(f"{labels.sha256}:{digest}".encode()).hexdigest()
    return replace(
        sub,
        sha256=combined,
        description=f"{labels.description or labels.source}, restricted to the {len(ids)} cases "
        f"of {path.name} (sha256 {digest}); label file sha256 {labels.sha256}",
    )
