"""Parquet prediction files: checked, then validated as the CSV of the same table.

See :mod:`benchmark.core.parquet`. A Parquet file's structural problems (not Parquet after all,
nested columns, columns of other types, oversized row groups) are participant-visible problems
of the submission; everything else (header, ids, values, rows) is found by the CSV validation,
with its messages.
"""

from __future__ import annotations

from ..core.errors import Problem, SubmissionInvalid
from ..core.parquet import ParquetProblem, is_parquet, read_table, table_to_csv

__all__ = ["is_parquet", "parquet_as_csv"]


def parquet_as_csv(raw: bytes, limit_bytes: float, shown: str) -> bytes:
    """The CSV text of the Parquet prediction file ``raw`` (whose size limit is ``limit_bytes``).

    Raises
    ------
    SubmissionInvalid
        The file cannot be read as a flat table (see :func:`benchmark.core.parquet.read_table`);
        the problem names ``shown``.
    """
    try:
        return table_to_csv(read_table(raw, limit_bytes))
    except ParquetProblem as p:
        raise SubmissionInvalid([Problem(p.code, p.message, file=shown, expected=p.expected,
                                         found=p.found, fix=p.fix)]) from None
