"""Writing a test split: the public id list and the hidden label file, kept apart on purpose.

``write_split(public_ids, hidden_labels, out_dir)`` writes ``test_ids.csv`` (the id column and
the public columns such as patient id and modality, safe to publish) and ``test_labels.csv``
(the id column and the label columns only, to be kept hidden). Both start with a ``# ``
comment line saying what the file is. The split itself is drawn by
:func:`benchmark.data.split.make_split`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Optional

import pandas as pd

from ..core.fileio import atomic_write_text
from .split import SplitInputError, SplitSummary

__all__ = ["frame_to_csv_text", "split_csv_texts", "write_split"]


def frame_to_csv_text(df: pd.DataFrame, comment: str) -> str:
    """Render ``df`` as CSV text preceded by one ``# comment`` line.

    Parameters
    ----------
    df : pandas.DataFrame
        Table to write (no index).
    comment : str
        Text of the first line (a single line; ``"# "`` is prepended).

    Returns
    -------
    str
        CSV text with ``"\\n"`` line endings and a trailing newline.
    """
    if "\n" in comment or "\r" in comment:
        raise ValueError("comment must be a single line.")
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return f"# {comment}\n" + buf.getvalue()


def split_csv_texts(
    public_ids: pd.DataFrame,
    hidden_labels: pd.DataFrame,
    summary: Optional[SplitSummary] = None,
    *,
    title: str = "",
    prefix: str = "",
) -> tuple:
    """Render the public id list and the hidden labels as CSV texts with a comment line.

    Parameters
    ----------
    public_ids : pandas.DataFrame
        Test cases: id column and public columns (first output of :func:`make_split`).
    hidden_labels : pandas.DataFrame
        Test cases: id column and label columns (second output of :func:`make_split`).
    summary : SplitSummary, optional
        When given, the comment lines also state the patients, fraction and seed.
    title : str, default=""
        Name of the data set, put in the comment lines.
    prefix : str, default=""
        Text put first in both comment lines (e.g. ``"SYNTHETIC demo data."``).

    Returns
    -------
    tuple of str
        ``(ids_text, labels_text)``.

    Raises
    ------
    SplitInputError
        If the two tables do not list the same ids in the same order, or the id list holds a
        label column.
    """
    if not isinstance(public_ids, pd.DataFrame) or not isinstance(hidden_labels, pd.DataFrame):
        raise TypeError("public_ids and hidden_labels must be pandas DataFrames.")
    if public_ids.shape[1] == 0 or hidden_labels.shape[1] == 0:
        raise SplitInputError("public_ids and hidden_labels must hold at least the id column.")
    id_col = public_ids.columns[0]
    if hidden_labels.columns[0] != id_col:
        raise SplitInputError(
            f"both tables must start with the id column. Got {id_col!r} and "
            f"{hidden_labels.columns[0]!r} instead."
        )
    if list(public_ids[id_col].astype(str)) != list(hidden_labels[id_col].astype(str)):
        raise SplitInputError(
            "public_ids and hidden_labels must list the same ids in the same order."
        )
    leak = [c for c in hidden_labels.columns[1:] if c in set(public_ids.columns)]
    if leak:
        raise SplitInputError(f"the public id list must not hold label columns. Found {leak}.")
    lead = " ".join(p for p in (prefix.strip(), title.strip()) if p)
    lead = lead + " " if lead else ""
    if summary is not None:
        extra = "".join(f" and {c}" for c in summary.stratify_extra)
        how = (
            f"{summary.n_test_cases} cases from {summary.n_test_patients} patients; "
            f"patient-level split stratified on the label combination{extra}, "
            f"test_fraction={summary.test_fraction:g}, seed={summary.seed}."
        )
    else:
        how = f"{len(public_ids)} cases."
    ids_text = frame_to_csv_text(
        public_ids, f"{lead}Test set public id list (ids and public columns, no labels): {how}"
    )
    labels_text = frame_to_csv_text(
        hidden_labels, f"{lead}Test set hidden labels (keep out of public repositories): {how}"
    )
    return ids_text, labels_text


def write_split(
    public_ids: pd.DataFrame,
    hidden_labels: pd.DataFrame,
    out_dir: os.PathLike,
    *,
    summary: Optional[SplitSummary] = None,
    title: str = "",
    prefix: str = "",
) -> tuple:
    """Write ``test_ids.csv`` (public) and ``test_labels.csv`` (hidden) into ``out_dir``.

    Parameters
    ----------
    public_ids, hidden_labels : pandas.DataFrame
        The first two outputs of :func:`make_split`.
    out_dir : path-like
        Directory that receives both files (created if needed).
    summary : SplitSummary, optional
        Third output of :func:`make_split`; adds patients, fraction and seed to the comments.
    title, prefix : str
        As for :func:`split_csv_texts`.

    Returns
    -------
    tuple of pathlib.Path
        ``(ids_path, labels_path)``.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from benchmark.data.split import make_split
    >>> df = pd.DataFrame({"uid": [f"s{i}" for i in range(10)], "y": [0, 1] * 5})
    >>> ids, hidden, summary = make_split(df, "uid", None, ["y"], [], 0.2, seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = write_split(ids, hidden, d, summary=summary)
    ...     print(open(paths[1]).read().splitlines()[1])
    uid,y
    """
    ids_text, labels_text = split_csv_texts(
        public_ids, hidden_labels, summary, title=title, prefix=prefix
    )
    out = Path(out_dir)
    ids_path, labels_path = out / "test_ids.csv", out / "test_labels.csv"
    atomic_write_text(ids_path, ids_text)
    atomic_write_text(labels_path, labels_text)
    return ids_path, labels_path
