"""Parquet label files, read as the CSV tables they stand for (see :mod:`benchmark.core.parquet`).

A label file of millions of cases may be Parquet: every reader of label, public id and case
files then sees the same frame of strings as from the CSV of the same table (``""`` for a
missing value, integers without a decimal point), and reports a bad row by the same message
and row number. Lines of the file-level key-value metadata entry ``comment`` play the part of
a CSV's leading ``#`` comment lines (e.g. the mark of synthetic labels).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..core.errors import LabelError
from ..core.parquet import MAGIC, ParquetProblem, is_parquet, read_table, table_to_strings

__all__ = ["is_parquet_file", "read_parquet_strings"]


def is_parquet_file(path: os.PathLike) -> bool:
    """Whether the file at ``path`` is framed like a Parquet file (reads 8 bytes)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            if head != MAGIC:
                return False
            fh.seek(-4, os.SEEK_END)
            return fh.tell() >= 8 and fh.read(4) == MAGIC
    except OSError:
        return False


def read_parquet_strings(path: os.PathLike, header="infer") -> tuple[pd.DataFrame, list[str]]:
    """The frame of strings and the comment lines of a Parquet label file.

    ``header=None``: the columns are numbered ``0..k-1`` (as a CSV read without a header; the
    Parquet column names are names, never a data row).

    Raises
    ------
    LabelError
        The file cannot be read, or is not a flat table (see :func:`benchmark.core.parquet.read_table`).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise LabelError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not is_parquet(data):
        raise LabelError(f"{path}: not a complete Parquet file.")
    try:
        table = read_table(data, float("inf"))  # a host's file: no size limit, bounded row groups
    except ParquetProblem as p:
        raise LabelError(f"{path}: {p}") from None
    if table.num_rows == 0:
        raise LabelError(f"{path} holds no rows.")
    meta = table.schema.metadata or {}
    comments = [ln.lstrip("#").strip() for ln in meta.get(b"comment", b"").decode("utf-8", "replace").splitlines()
                if ln.strip()]
    df = table_to_strings(table)
    df.columns = [str(c).strip() for c in df.columns] if header == "infer" else list(range(df.shape[1]))
    return df, comments
