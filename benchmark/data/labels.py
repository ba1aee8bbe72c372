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

Errors here are :class:`~benchmark.core.errors.LabelError` (host errors): their messages are for
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

from ..core.errors import LabelError, LabelHashMismatch, LabelsRequired, UnknownName, UsageError
from .tasks import Task, did_you_mean
from .parquet_labels import is_parquet_file, read_parquet_strings

SYNTHETIC_MARK = "SYNTHETIC"
LABELS_ENV = "BENCHMARK_LABELS_DIR"

__all__ = [
    "PublicCases",
    "LabelSet",
    "load_public",
    "load_labels",
    "require_label_source",
    "restrict_cases",
    "other_split_problem",
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
    if is_parquet_file(path):  # the same frame from the Parquet file of the same table
        return read_parquet_strings(path, header)
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
        raise LabelError(f"{path}: duplicate id {str(ids[int(np.flatnonzero(dup)[0])])!r} in labels.")
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
    """Files in ``folder`` that may hold the labels of ``split``: canonical names first."""
    decl = task.splits.get(split)
    names = []
    if decl is not None and decl.labels_file:
        names.append(decl.labels_file)
        names.append(Path(decl.labels_file).name)
    names += [f"{task.id}/{split}_labels.csv", f"{split}_labels.csv"]
    kind = _native_kind(task, split)
    if kind in ("rsna-cspine", "rsna-lumbar"):
        names.append("train.csv")
    if kind == "scopemri":
        names.append("scopeMRI_shoulder_labrum_annotations_v1.csv")
    names += [n[: -len(".csv")] + ".parquet" for n in names if n.endswith(".csv")]  # CSV first
    seen, out = set(), []
    for n in names:
        p = folder / n
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _native_kind(task: Task, split: Optional[str]) -> Optional[str]:
    """The native label layout the task's dataset declares (``native`` of a split)."""
    decl = task.splits.get(split) if split else None
    if decl is not None and decl.native:
        return decl.native
    return next((d.native for d in task.splits.values() if d.native), None)


def _is_canonical_name(task: Task, path: Path, split: str) -> bool:
    """Is ``path`` named like the split's canonical hidden label file?"""
    decl = task.splits.get(split)
    names = {f"{split}_labels.csv"}
    if decl is not None and decl.labels_file:
        names.add(Path(decl.labels_file).name)
    return path.name in names or (path.suffix == ".parquet" and path.with_suffix(".csv").name in names)


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
        Split name; the task's default split when omitted. With MRNet native files in a
        folder, the split named by the files is used.
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
    kind = _native_kind(task, split)
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
        mrnet_sets = sorted({x.name.split("-")[0] for x in p.glob("*-abnormal.csv")}) if p.is_dir() and kind == "mrnet" else []
        if mrnet_sets and not explicit_split and len(mrnet_sets) == 1 and not any(
            c.is_file() for c in _candidate_files(task, p, split)
        ):
            split = mrnet_sets[0]  # the only set of native files in the folder names the split
            decl = task.splits.get(split)
        if p.is_dir() and kind == "mrnet" and (p / f"{split}-{task.targets[0]}.csv").is_file():
            ids, y, digest, src = _read_mrnet_native(task, p, split)
            usage, extra, synthetic, native = None, None, False, "mrnet"
        elif mrnet_sets and not any(c.is_file() for c in _candidate_files(task, p, split)):
            raise UsageError(
                f"{p} holds MRNet label files for split(s) {', '.join(mrnet_sets)} but none for "
                f"split {split!r}; pass --split {mrnet_sets[0]}."
            )
        else:
            if p.is_dir():
                cands = [c for c in _candidate_files(task, p, split) if c.is_file()]
                if not cands:
                    if decl is None:
                        raise _unknown_split(task, split)
                    tried = ", ".join(str(c) for c in _candidate_files(task, p, split))
                    raise LabelError(f"no label file for {task.id}/{split} in {p}; looked for {tried}.")
                p = cands[0]
            ids, y, usage, extra, synthetic = _read_canonical(task, p)
            digest = sha256_file(p)
            src = str(p)
            # Recognised by content, whatever the file's name: a file named like the split's
            # hidden label file is canonical (its cases must be the public id list, its hash
            # the pinned one); any other file with the task's id and target columns is a
            # researcher's native file, scored on its own cases.
            if kind is not None and not _is_canonical_name(task, p, split) and not synthetic:
                native = kind
            elif decl is None:
                raise _unknown_split(task, split)
            pin = decl.labels_sha256 if native is None else None
            if native is None and decl.labels_commitment:
                from .disclosure import label_commitment

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
        if synthetic:
            description = f"synthetic demo labels of {task.id}/{split} ({Path(src).name})"
        else:
            description = f"hidden labels of {task.id}/{split} ({Path(src).name})"
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
        files = ", ".join(Path(x).name for x in src.split(";"))
        description = f"native {task.dataset.name} {files}"
        if native != "mrnet" and not explicit_split:
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
        synthetic=bool(synthetic),
        native=native,
        usage=usage,
        pinned=pinned,
        notes=tuple(notes),
    )


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
    df, _ = _read_csv_str(path, header=None)
    col = [str(x).strip() for x in df.iloc[:, 0]]
    known = set(map(str, labels.ids))
    # a header row: the task's id column, or any first cell that is not a case id and not a number
    if col and col[0] not in known and (col[0] == task.id_column or not col[0].replace(".", "").isdigit()):
        col = col[1:]
    ids = [x for x in col if x != ""]
    if not ids:
        raise UsageError(f"--cases {path} lists no case ids.")
    from collections import Counter

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
    from dataclasses import replace

    return replace(
        sub,
        sha256=combined,
        description=f"{labels.description or labels.source}, restricted to the {len(ids)} cases "
        f"of {path.name} (sha256 {digest}); label file sha256 {labels.sha256}",
    )


def other_split_problem(task: Task, split: str, path: os.PathLike) -> Optional["Problem"]:
    """A problem naming the split a submission's ids belong to, when it is not ``split``.

    Reads the first column of the file (comment lines, blank lines and a header row are
    skipped; a long-format row id ``<id><sep><target>`` counts for its case id) and compares it
    with the public id lists of the task's other splits: public information only, so the
    message is safe to show to a participant. None when most ids are not from another split.
    """
    import csv

    from ..core.errors import Problem

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
