"""Reads files: the case-level calls of a reader study, read, checked and aligned to cases.

Reads file format
-----------------
A UTF-8 CSV file; lines starting with ``#`` are comments and blank lines are ignored. The header
is ``reader_id,case,read``, plus an optional ``target`` column when the study covers several
targets of the task (without it every read is of the task's first target). ``read`` is ``0`` or
``1``; each ``(reader_id, case, target)`` appears at most once. A reader need not read every
case. An optional ``rating`` column holds the reader's confidence (any finite number, higher
meaning more confident of a positive case, e.g. a 5-point scale) for the multi-reader
multi-case ROC analysis of :mod:`benchmark.stats.mrmc`; ``read`` stays the binary call.
Example::

    # SYNTHETIC reader study (not real reads)
    reader_id,case,target,read
    gr1,1250,abnormal,1
    gr1,1250,acl,0

The statistics of reader studies are in :mod:`benchmark.stats.reader_studies`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..core.errors import LabelError

__all__ = [
    "READ_COLUMNS",
    "read_reads",
    "reads_matrix",
]

#: Columns of a reads file (``target`` optional).
READ_COLUMNS = ("reader_id", "case", "target", "read")


def read_reads(path, task, expected_ids: Sequence[str]) -> pd.DataFrame:
    """Read and check a reads file.

    Parameters
    ----------
    path : path-like
        CSV with header ``reader_id,case,read`` and optionally ``target`` (see the module
        docstring); ``#`` comment lines and blank lines are skipped.
    task : Task
        The task the reads belong to; ``target`` values must be among ``task.targets``, and
        the first target is used when the column is absent.
    expected_ids : sequence of str
        The case ids of the split; every case of the file must be one of them.

    Returns
    -------
    reads : pandas.DataFrame
        Columns ``reader_id`` (str), ``case`` (str), ``target`` (str), ``read`` (int 0/1), in
        file order.

    Raises
    ------
    LabelError
        Unreadable file, missing or unknown columns, unknown case ids, unknown targets,
        non-binary reads, duplicate ``(reader_id, case, target)``, or no reads at all. The
        message names the file and the physical line.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise LabelError(f"cannot read reads file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LabelError(f"reads file {path} is not UTF-8 text.") from None
    rows = []  # (line number, fields)
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append((lineno, next(csv.reader([line]))))
    if not rows:
        raise LabelError(f"reads file {path} holds no header and no reads.")
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    allowed = set(READ_COLUMNS) | {"rating"}
    unknown = [h for h in header if h not in allowed]
    missing = [c for c in ("reader_id", "case", "read") if c not in header]
    if missing or unknown or len(set(header)) != len(header):
        raise LabelError(
            f"{path}:{header_line}: header must be reader_id,case,read with optional target "
            f"and rating columns. Got {','.join(header)!r} instead."
        )
    col = {h: i for i, h in enumerate(header)}
    targets = list(task.targets)
    default_target = targets[0]
    expected = set(str(i) for i in expected_ids)
    seen: dict[tuple[str, str, str], int] = {}
    unknown_cases: list[tuple[int, str]] = []
    out = {"reader_id": [], "case": [], "target": [], "read": []}
    ratings: list[float] = []
    for lineno, fields in rows[1:]:
        if len(fields) != len(header):
            raise LabelError(
                f"{path}:{lineno}: expected {len(header)} fields ({','.join(header)}). "
                f"Got {len(fields)} instead."
            )
        reader = fields[col["reader_id"]].strip()
        case = fields[col["case"]].strip()
        value = fields[col["read"]].strip()
        target = fields[col["target"]].strip() if "target" in col else default_target
        if not reader:
            raise LabelError(f"{path}:{lineno}: column reader_id must not be empty.")
        if target not in targets:
            raise LabelError(
                f"{path}:{lineno}: column target must be one of {targets}. "
                f"Got {target!r} instead."
            )
        if value not in ("0", "1"):
            raise LabelError(
                f"{path}:{lineno}: column read must be 0 or 1. Got {value!r} instead."
            )
        if "rating" in col:
            text = fields[col["rating"]].strip()
            try:
                rating = float(text)
            except ValueError:
                rating = math.nan
            if not math.isfinite(rating):
                raise LabelError(
                    f"{path}:{lineno}: column rating must be a finite number. Got {text!r} instead."
                )
        if case not in expected:
            unknown_cases.append((lineno, case))
            continue
        key = (reader, case, target)
        if key in seen:
            raise LabelError(
                f"{path}:{lineno}: duplicate read of case {case!r} by reader {reader!r} "
                f"(target {target!r}); first read on line {seen[key]}."
            )
        seen[key] = lineno
        out["reader_id"].append(reader)
        out["case"].append(case)
        out["target"].append(target)
        out["read"].append(int(value))
        if "rating" in col:
            ratings.append(rating)
    if unknown_cases:
        shown = ", ".join(f"{c!r} (line {ln})" for ln, c in unknown_cases[:5])
        more = f" and {len(unknown_cases) - 5} more" if len(unknown_cases) > 5 else ""
        raise LabelError(
            f"{path}: {len(unknown_cases)} read(s) of case ids that are not in the split "
            f"(task {task.id!r}): {shown}{more}."
        )
    if not out["read"]:
        raise LabelError(f"reads file {path} holds a header but no reads.")
    df = pd.DataFrame(out)
    df["read"] = df["read"].astype(np.int64)
    if "rating" in col:
        df["rating"] = np.asarray(ratings, dtype=np.float64)
    return df


def reads_matrix(reads: pd.DataFrame, ids: Sequence[str], target: Optional[str] = None, column: str = "read"):
    """Reads of one target as a reader x case matrix aligned to ``ids``.

    Parameters
    ----------
    reads : pandas.DataFrame
        As returned by :func:`read_reads` (``target`` column optional).
    ids : sequence of str of length n
        Case order (``LabelSet.ids``).
    target : str, default=None
        Target to extract; required when ``reads`` holds several targets.
    column : str, default="read"
        The column to extract (``"rating"`` for confidence ratings).

    Returns
    -------
    reader_ids : list of str, length R
        Sorted reader ids.
    matrix : ndarray of shape (R, n), dtype float64
        0/1 reads; nan where a reader did not read a case.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"reader_id": ["a", "a", "b"], "case": ["1", "2", "2"],
    ...                    "read": [1, 0, 1]})
    >>> r, m = reads_matrix(df, ["1", "2"])
    >>> r, m.tolist()
    (['a', 'b'], [[1.0, 0.0], [nan, 1.0]])
    """
    df = reads
    if "target" in df.columns:
        present = list(dict.fromkeys(df["target"]))
        if target is None:
            if len(present) != 1:
                raise ValueError(
                    f"target must be given when the reads hold several targets {present}."
                )
            target = present[0]
        df = df[df["target"] == target]
        if df.empty:
            raise ValueError(f"target must be one of {present}. Got {target!r} instead.")
    ids = [str(i) for i in ids]
    pos = {c: j for j, c in enumerate(ids)}
    missing = sorted(set(df["case"]) - set(pos))
    if missing:
        raise ValueError(f"reads name case ids not in ids, e.g. {missing[:3]}.")
    reader_ids = sorted(set(df["reader_id"]))
    rpos = {r: i for i, r in enumerate(reader_ids)}
    m = np.full((len(reader_ids), len(ids)), np.nan)
    m[df["reader_id"].map(rpos).to_numpy(), df["case"].map(pos).to_numpy()] = df[column].to_numpy(
        dtype=np.float64
    )
    return reader_ids, m
