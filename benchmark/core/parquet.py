"""Parquet files read as the CSV tables they stand for (the ``parquet`` extra: pyarrow).

A test set of millions of cases makes a CSV prediction or label file larger than a task's size
limit; the same table as Parquet is typed and column-compressed, several times smaller. The
harness reads such a file by checking its structure here (flat columns of numbers or text,
bounded row groups and size: a hostile file is refused before it is decompressed) and turning
it into the text of the same table as CSV, which then goes through the CSV validation: every
problem is reported with the message a CSV of the same table gets. A problem on data row ``r``
of a Parquet file is reported at line ``r + 1`` (the header is line 1), the line of that row in
the table written as CSV.

Floating-point values are written as their shortest round-trip decimal, so the numbers read
back are the file's float64 values bit for bit (float32 columns: the float32 value's shortest
decimal, as a CSV writer prints it).

pyarrow is imported when a Parquet file is met, not before: it is an optional extra, and it
takes longer to import than the rest of a command's start-up.
"""

from __future__ import annotations

import importlib
import io
from dataclasses import dataclass
from typing import Optional

import pandas as pd

__all__ = [
    "MAGIC",
    "MAX_COLUMNS",
    "MAX_ROW_GROUP_BYTES",
    "TEXT_PER_LIMIT",
    "ParquetProblem",
    "is_parquet",
    "read_table",
    "table_to_csv",
    "table_to_strings",
]

#: The 4 bytes that open and close every Parquet file.
MAGIC = b"PAR1"
#: Most columns read (a table of predictions or labels has a few dozen at most).
MAX_COLUMNS = 1024
#: Largest row group, uncompressed: a row group is decompressed whole to be read.
MAX_ROW_GROUP_BYTES = 256 * 10**6
#: The table as CSV text may be at most this many times the file size limit (a Parquet file
#: stands for a CSV several times its size; a decompression bomb does not get through).
TEXT_PER_LIMIT = 4
_INSTALL = "pip install 'imaging-benchmark-harness[parquet]'"


@dataclass
class ParquetProblem(Exception):
    """Why a Parquet file cannot be read; each caller turns it into its own error type."""

    code: str
    message: str
    expected: Optional[str] = None
    found: Optional[str] = None
    fix: Optional[str] = None

    def __str__(self) -> str:
        parts = [self.message]
        if self.expected or self.found:
            parts.append(f"(expected {self.expected}; found {self.found})")
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " ".join(parts)


def is_parquet(data: bytes) -> bool:
    """Whether the whole file ``data`` is framed like a Parquet file (magic bytes at both ends;
    a truncated one is not, and is refused as an unreadable binary file).

    >>> is_parquet(b"PAR1" + b"\\0" * 8 + b"PAR1"), is_parquet(b"PAR1\\0\\0"), is_parquet(b"case\\n")
    (True, False, False)
    """
    return len(data) >= 12 and data[:4] == MAGIC and data[-4:] == MAGIC


def _pyarrow():
    try:
        # Optional extra, and slow to import: loaded when a Parquet file is met.
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise ParquetProblem(
            "parquet-unsupported", "the file is a Parquet file, and reading Parquet needs pyarrow, "
            "which is not installed", fix=f"{_INSTALL}, or submit the table as CSV") from None


def _kind(pa, t) -> Optional[str]:
    """``number``, ``text``, ``flag`` or ``null`` for a type CSV text can carry, else None."""
    types = pa.types
    if types.is_dictionary(t):
        return _kind(pa, t.value_type)
    if types.is_integer(t) or types.is_float32(t) or types.is_float64(t) or types.is_decimal(t):
        return "number"
    if types.is_string(t) or types.is_large_string(t):
        return "text"
    if types.is_boolean(t):
        return "flag"
    if types.is_null(t):
        return "null"
    return None


def _nested(pa, t) -> bool:
    types = pa.types
    return (types.is_list(t) or types.is_large_list(t) or types.is_fixed_size_list(t)
            or types.is_struct(t) or types.is_map(t) or types.is_union(t))


def read_table(data: bytes, limit_bytes: float):
    """The table of a Parquet file held in ``data``, after its structure is checked.

    Parameters
    ----------
    data : bytes
        The whole file.
    limit_bytes : float
        The size limit of the file; the table as CSV text may be at most ``TEXT_PER_LIMIT``
        times this size.

    Returns
    -------
    table : pyarrow.Table
        Flat columns of numbers, text, booleans or nulls.

    Raises
    ------
    ParquetProblem
        pyarrow missing, a file that is not valid Parquet, nested columns or columns of other
        types, too many columns, a row group too large uncompressed, a table too large as text.
    """
    pa, pq = _pyarrow()
    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        meta = pf.metadata
        schema = pf.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ParquetProblem(
            "bad-parquet", "the file starts like a Parquet file but cannot be read as one",
            found=str(exc)[:200], fix="write the table again (pandas: DataFrame.to_parquet), or submit it as CSV",
        ) from None
    if meta.num_columns > MAX_COLUMNS or len(schema) > MAX_COLUMNS:
        raise ParquetProblem("too-many-columns", "the Parquet file has far more columns than any format",
                             expected=f"at most {MAX_COLUMNS} columns", found=f"{meta.num_columns:,} columns",
                             fix="keep only the id and prediction columns")
    for f in schema:
        if _nested(pa, f.type):
            raise ParquetProblem(
                "nested-column", f"column {f.name!r} is nested ({f.type}): a table of predictions or "
                "labels has one value per cell", expected="flat columns of numbers or text",
                found=str(f.type), fix="write one column per value (pandas: one column per target)")
        if _kind(pa, f.type) is None:
            raise ParquetProblem(
                "column-type", f"column {f.name!r} has a type the table cannot hold",
                expected="numbers (integer, float, decimal), text or booleans",
                found=str(f.type), fix="write probabilities as float64 and ids as text or integers")
    for g in range(meta.num_row_groups):
        size = meta.row_group(g).total_byte_size
        if size > MAX_ROW_GROUP_BYTES:
            raise ParquetProblem(
                "row-group-too-large", f"row group {g + 1} of the Parquet file is too large to read",
                expected=f"at most {MAX_ROW_GROUP_BYTES / 10**6:,.0f} MB uncompressed per row group",
                found=f"{size / 10**6:,.1f} MB", fix="write it with smaller row groups (pyarrow: row_group_size=1_000_000)")
    cap = TEXT_PER_LIMIT * float(limit_bytes)
    cells = meta.num_rows * max(1, len(schema))
    if 2 * cells > cap:  # every cell is at least one character and a delimiter
        _too_large(cap, 2 * cells)
    texts = [f.name for f in schema if _kind(pa, f.type) == "text"]
    try:
        # Text stays dictionary-encoded: a value repeated on every row is held once until the
        # size of the whole table as text is known.
        table = pq.ParquetFile(io.BytesIO(data), read_dictionary=texts).read()
    except (pa.ArrowException, OSError, ValueError, MemoryError) as exc:
        raise ParquetProblem(
            "bad-parquet", "the Parquet file's data cannot be read", found=str(exc)[:200],
            fix="write the table again (pandas: DataFrame.to_parquet), or submit it as CSV") from None
    size = _text_size(pa, table)
    if size > cap:
        _too_large(cap, size)
    return table


def _too_large(cap: float, size: float):
    raise ParquetProblem(
        "file-too-large", "the Parquet file's table is larger than the task allows",
        expected=f"at most {cap / 10**6:,.1f} MB as CSV text", found=f"{size / 10**6:,.1f} MB or more",
        fix="leave out extra columns and rows of other cases")


def _text_size(pa, table) -> int:
    """An upper bound of the table's size as CSV text, computed without decoding text cells."""
    pc = importlib.import_module("pyarrow.compute")
    size = 0
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            for chunk in col.chunks:
                if len(chunk):
                    lengths = pc.binary_length(chunk.dictionary).fill_null(0)
                    per_row = pc.take(lengths, chunk.indices).fill_null(0)
                    size += int(pc.sum(per_row).as_py() or 0) + 3 * len(chunk)  # quotes, delimiter
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            size += int(pc.sum(pc.binary_length(col)).as_py() or 0) + 3 * len(col)
        else:  # numbers: at most 24 characters (-2.2250738585072014e-308), booleans 5
            size += 25 * len(col)
    return size


def _text_columns(table):
    """Every column as text (nulls stay null), numbers as their shortest round-trip decimal."""
    pa = importlib.import_module("pyarrow")
    pc = importlib.import_module("pyarrow.compute")
    out = []
    for col in table.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col = col.cast(t.value_type)
        if pa.types.is_boolean(col.type):
            col = pc.if_else(col, "True", "False")  # as pandas writes booleans to CSV
        elif pa.types.is_null(col.type):
            col = pa.nulls(len(col), pa.string())
        elif not pa.types.is_string(col.type):
            col = pc.cast(col, pa.large_string() if pa.types.is_large_string(col.type) else pa.string())
        out.append(col)
    return out


def table_to_csv(table) -> bytes:
    """The table as CSV text (UTF-8): a header of its column names, one line per row, nulls
    as empty cells, text quoted."""
    pa = importlib.import_module("pyarrow")
    csv = importlib.import_module("pyarrow.csv")
    text = pa.table(_text_columns(table), names=[str(n) for n in table.column_names])
    buf = io.BytesIO()
    csv.write_csv(text, buf, csv.WriteOptions(include_header=True))
    return buf.getvalue()


def table_to_strings(table):
    """The table as a pandas frame of strings (nulls as ``""``), as the label readers read a CSV."""
    pa = importlib.import_module("pyarrow")
    cols = _text_columns(table)
    frame = {}
    for name, col in zip(table.column_names, cols):
        values = col.to_pylist() if isinstance(col, (pa.ChunkedArray, pa.Array)) else list(col)
        frame[str(name)] = ["" if v is None else str(v) for v in values]
    return pd.DataFrame(frame, dtype=object).astype(str)
