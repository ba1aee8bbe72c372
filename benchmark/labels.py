"""Public id lists and hidden labels.

Public id lists (which cases a submission must cover, plus public columns such as the patient
id and the modality) are committed under ``tasks/``. Hidden labels are not: they are resolved
from ``--labels PATH``, else ``$BENCHMARK_LABELS_DIR``, else the committed synthetic demo
labels of the split.

Readers exist for the canonical label file (a CSV with the task's id column and one column per
target, ``#`` comment lines allowed) and for the files a researcher already has:

* MRNet: ``valid-abnormal.csv``, ``valid-acl.csv``, ``valid-meniscus.csv`` (``case,label``,
  no header) — see FACTS / stanfordmlgroup competitions/mrnet;
* RSNA 2022: ``train.csv`` (``StudyInstanceUID,patient_overall,C1..C7``);
* RSNA 2024 lumbar: ``train.csv`` (``study_id`` and 25 graded columns, empty = unlabelled);
* ScopeMRI: an annotations CSV keyed by study uid with one 0/1 column per pathology.

Errors here are :class:`~benchmark.errors.LabelError` (host errors): their messages are for
the maintainer and never reach a participant.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from .errors import LabelError, LabelHashMismatch
from .tasks import Task

SYNTHETIC_MARK = "SYNTHETIC"
LABELS_ENV = "BENCHMARK_LABELS_DIR"

__all__ = [
    "PublicCases",
    "LabelSet",
    "load_public",
    "load_labels",
    "sha256_file",
]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_text(path: Path) -> str:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise LabelError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError(f"{path} is not UTF-8 text.") from None


def _read_csv_str(path: Path, header="infer") -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV as strings, returning the frame and its leading ``#`` comment lines."""
    text = _read_text(path)
    lines = text.splitlines()
    comments = []
    for ln in lines:
        if ln.startswith("#"):
            comments.append(ln.lstrip("#").strip())
        else:
            break
    body = "\n".join(ln for ln in lines if not ln.startswith("#") and ln.strip() != "")
    if not body.strip():
        raise LabelError(f"{path} holds no rows.")
    try:
        df = pd.read_csv(
            io.StringIO(body),
            dtype=str,
            keep_default_na=False,
            header=0 if header == "infer" else None,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise LabelError(f"{path}: cannot parse as CSV: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df, comments


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
    df, _ = _read_csv_str(path)
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
        )

    def public_cases(self) -> PublicCases:
        return PublicCases(self.task_id, self.split, self.ids, self.public, self.source)


# -- parsing label values ----------------------------------------------------------------------
def _binary_column(values: pd.Series, path: Path, col: str) -> np.ndarray:
    s = values.str.strip()
    mapping = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0, "False": 0.0, "True": 1.0}
    bad = ~s.isin(list(mapping))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise LabelError(
            f"{path}: column {col!r} must hold 0/1 labels; row {row + 1} holds {s.iloc[row]!r}."
        )
    return s.map(mapping).to_numpy(dtype=float)


def _class_column(values: pd.Series, task: Task, path: Path, col: str) -> np.ndarray:
    s = values.str.strip()
    mapping = dict(task.label_values)
    for i, c in enumerate(task.classes):
        mapping.setdefault(c, i)
        mapping.setdefault(str(i), i)
    mapping[""] = -1
    bad = ~s.isin(list(mapping))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise LabelError(
            f"{path}: column {col!r} must hold one of {sorted(k for k in mapping if k)} or be "
            f"empty; row {row + 1} holds {s.iloc[row]!r}."
        )
    return s.map(mapping).to_numpy(dtype=np.int64)


def _frame_to_y(df: pd.DataFrame, task: Task, path: Path) -> np.ndarray:
    cols = []
    for t in task.targets:
        if task.kind == "binary":
            cols.append(_binary_column(df[t], path, t))
        else:
            cols.append(_class_column(df[t], task, path, t))
    return np.column_stack(cols)


# -- readers ---------------------------------------------------------------------------------
def _read_canonical(task: Task, path: Path, id_col: Optional[str] = None):
    df, comments = _read_csv_str(path)
    id_col = id_col or task.id_column
    if id_col not in df.columns:
        raise LabelError(
            f"{path}: label file has no {id_col!r} column (columns: {list(df.columns)})."
        )
    missing = [t for t in task.targets if t not in df.columns]
    if missing:
        raise LabelError(f"{path}: label file lacks target column(s) {missing}.")
    ids = df[id_col].str.strip().to_numpy(dtype=object).astype(str)
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise LabelError(f"{path}: duplicate id {ids[int(np.flatnonzero(dup)[0])]!r} in labels.")
    y = _frame_to_y(df, task, path)
    usage = None
    if "usage" in df.columns:
        usage = df["usage"].str.strip().str.lower().to_numpy(dtype=object).astype(str)
        bad = ~np.isin(usage, ["public", "private"])
        if bad.any():
            raise LabelError(f"{path}: column 'usage' must be public or private.")
    extra_public = df[[c for c in task.public_columns if c in df.columns]].copy()
    extra_public.index = ids
    synthetic = any(SYNTHETIC_MARK in c.upper() for c in comments)
    return ids, y, usage, extra_public, synthetic


MRNET_TARGET_FILES = {"abnormal": "abnormal", "acl": "acl", "meniscus": "meniscus"}


def _read_mrnet_native(task: Task, folder: Path, split: str):
    """Read MRNet's ``<split>-abnormal.csv`` etc.: two columns ``case,label``, no header."""
    frames = {}
    paths = []
    for t in task.targets:
        p = folder / f"{split}-{MRNET_TARGET_FILES.get(t, t)}.csv"
        if not p.is_file():
            raise LabelError(f"MRNet label file {p} not found.")
        df, _ = _read_csv_str(p, header=None)
        if df.shape[1] != 2:
            raise LabelError(f"{p}: expected two columns case,label; found {df.shape[1]}.")
        df.columns = ["case", "label"]
        df["case"] = df["case"].str.strip().str.zfill(4)
        frames[t] = df.set_index("case")["label"]
        paths.append(p)
    ids = frames[task.targets[0]].index.to_numpy(dtype=object).astype(str)
    for t, s in frames.items():
        if list(s.index) != list(ids):
            raise LabelError(f"MRNet label files disagree on the cases (see {t}).")
    y = np.column_stack(
        [_binary_column(frames[t].reset_index(drop=True), folder, t) for t in task.targets]
    )
    h = hashlib.sha256()
    for p in paths:
        h.update(sha256_file(p).encode())
    return ids, y, h.hexdigest(), ";".join(str(p) for p in paths)


def _candidate_files(task: Task, folder: Path, split: str) -> list[Path]:
    decl = task.split(split)
    names = []
    if decl.labels_file:
        names.append(decl.labels_file)
        names.append(Path(decl.labels_file).name)
    names += [f"{task.id}/{split}_labels.csv", f"{split}_labels.csv"]
    if decl.native in ("rsna-cspine", "rsna-lumbar"):
        names.append("train.csv")
    if decl.native == "scopemri":
        names.append("scopeMRI_shoulder_labrum_annotations_v1.csv")
    seen, out = set(), []
    for n in names:
        p = folder / n
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def load_labels(
    task: Task,
    split: Optional[str] = None,
    labels: Optional[os.PathLike] = None,
    allow_hash_mismatch: bool = False,
) -> LabelSet:
    """Resolve and read the hidden labels of a task's split.

    Parameters
    ----------
    task : Task
    split : str, optional
        Split name; the task's default split when omitted. With MRNet native files in a
        folder, the split named by the files is used.
    labels : path-like, optional
        A label file or a folder holding one. When omitted, ``$BENCHMARK_LABELS_DIR`` is used,
        else the committed synthetic demo labels of the split.
    allow_hash_mismatch : bool, default False
        Score against labels whose sha256 differs from the task's pin.

    Returns
    -------
    LabelSet
        Labels in the order of the public id list for the split's own files (in ascending id
        order for a researcher's native file), never in the order of the file. With the split's canonical hidden label file
        (or demo labels) public columns come from the public id list; with a researcher's
        native file, the expected cases are the cases of that file.
    """
    split = split or task.default_split
    decl = task.split(split)
    source = None
    if labels is None and os.environ.get(LABELS_ENV):
        labels = os.environ[LABELS_ENV]
        source = LABELS_ENV
    native = None
    notes: list[str] = []
    pin: Optional[str] = None
    digest_shown: Optional[str] = None  # the keyed commitment, when the task pins one
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
        ids, y, usage, extra, synthetic = _read_canonical(task, path)
        digest = sha256_file(path)
        src = str(path)
    else:
        p = Path(labels)
        if not p.exists():
            raise LabelError(f"labels path {p} does not exist" + (f" (from ${source})" if source else "") + ".")
        if p.is_dir() and task.dataset.id == "mrnet" and (p / f"{split}-{task.targets[0]}.csv").is_file():
            ids, y, digest, src = _read_mrnet_native(task, p, split)
            usage, extra, synthetic, native = None, None, False, "mrnet"
        elif p.is_dir() and task.dataset.id == "mrnet" and any(p.glob("*-abnormal.csv")) and not any(
            c.is_file() for c in _candidate_files(task, p, split)
        ):
            found = sorted(x.name for x in p.glob("*-abnormal.csv"))
            raise LabelError(
                f"{p} holds MRNet label files {found} but none for split {split!r}; "
                f"pass --split {found[0].split('-')[0]}."
            )
        else:
            if p.is_dir():
                cands = [c for c in _candidate_files(task, p, split) if c.is_file()]
                if not cands:
                    tried = ", ".join(str(c) for c in _candidate_files(task, p, split))
                    raise LabelError(f"no label file for {task.id}/{split} in {p}; looked for {tried}.")
                p = cands[0]
            ids, y, usage, extra, synthetic = _read_canonical(task, p)
            digest = sha256_file(p)
            src = str(p)
            if p.name == "train.csv" or (decl.native == "scopemri" and p.name.lower().startswith("scopemri")):
                native = decl.native
            pin = decl.labels_sha256 if native is None else None
            if native is None and decl.labels_commitment:
                from .data.disclosure import label_commitment

                # a hidden file is pinned by a keyed commitment, never by its plain sha256
                pin, digest_shown = decl.labels_commitment, label_commitment(p)
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
        missing = [i for i in pub.ids if i not in have]
        if missing:
            raise LabelError(
                f"{src}: labels lack {len(missing)} case(s) of the public id list of "
                f"{task.id}/{split} (first: {missing[0]!r})."
            )
        extra_ids = sorted(set(ids) - set(pub.ids))
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
    else:
        cols = [c for c in task.public_columns if extra is not None and c in extra.columns]
        public = extra[cols] if cols else pd.DataFrame(index=ids)
        for c in task.public_columns:
            if c not in public.columns:
                public = public.assign(**{c: ""})
                notes.append(f"public column {c!r} not in the native label file; left empty")
        public = public[list(task.public_columns)]
        # A native file has no public list to follow; its own order may be a hidden file's
        # (sorted by usage or label), so its cases are put in ascending id order.
        digits = all(str(i).isdigit() for i in ids)
        order = np.array(sorted(range(len(ids)), key=lambda k: (int(ids[k]), "") if digits else (0, str(ids[k]))), dtype=int)
        ids, y, public = ids[order], y[order], public.iloc[order]
        usage = None if usage is None else usage[order]
    public.index = ids
    return LabelSet(
        task_id=task.id,
        split=split,
        ids=ids,
        y=y,
        public=public,
        sha256=digest,
        source=src,
        synthetic=bool(synthetic),
        native=native,
        usage=usage,
        pinned=pinned,
        notes=tuple(notes),
    )
