"""Read and validate a prediction file into score arrays aligned to the public case ids.

The pipeline follows evalutils' grading steps (load, validate, join on id, report missing and
extra rows) and never stops at the first problem inside a stage: every problem found is
collected, then :class:`~benchmark.core.errors.SubmissionInvalid` is raised once. Later stages run
only when the earlier ones leave something sensible to check (a gzip file is not searched for
duplicate ids).

1. **file**: the path exists, is a file, and is not larger than the task's limit (checked before
   the file is read).
2. **bytes**: compressed files, archives, spreadsheets and other binary formats, UTF-16/32 text
   and text that is not UTF-8 are recognised by their first bytes and named.
3. **text**: UTF-8 with or without a byte-order mark; ``\\n``, ``\\r\\n`` or ``\\r`` line ends;
   blank lines and lines starting with ``#`` (comments) are skipped but still counted, so every
   line number is the physical line an editor shows.
4. **format**: the format named by the caller, or the one whose header the first line matches.
   A first line of ``k`` numbers (``k`` = value columns of the task) selects the ``headerless``
   layout when the task declares one. Cases that fit no format unambiguously (an MRNet header
   ``abnormal,acl,meniscus`` without a ``case`` column; four numeric columns whose first holds
   case ids) are reported as such, not guessed.
5. **header**: missing, extra, misspelled (with a suggestion), duplicated and unnamed columns.
6. **rows**: quoting, the number of fields per line (with hints for ``;``-separated lines and
   decimal commas).
7. **values**: empty cells, NaN, infinity, text, decimal commas, percent signs. Binary tasks:
   a value outside [0, 1] by at most ``ROUNDING_TOLERANCE`` (1e-6) is rounding, accepted with a
   warning and read as 0 or 1; negative values, and values above 1 in a file that holds
   negative values, look like logits (a sigmoid is suggested); otherwise values in (1, 100]
   look like percentages and larger ones are refused as such. Multi-class tasks accept any
   finite non-negative value, as the competition's scorer did: a value above 1, a row summing
   to 0 and a row not summing to 1 get warnings that say how the scorer treats them (clip to
   [2.2e-16, 1 - 2.2e-16], then rescale the row); negative values are refused (logits: a
   softmax is suggested). In binary tasks with an AUC metric, a target column with exactly two
   distinct values (hard 0/1 decisions) gets a warning: its AUC is a single operating point.
   Every message depends on the file alone, never on the labels.
8. **ids**: stray whitespace, empty ids, duplicates, unknown ids (with a diagnosis of lost zero
   padding and of ids written as numbers), missing ids; for ``long`` layouts also unknown target
   suffixes (with a suggestion) and cases that lack the row of some target.
9. **alignment** into float64 arrays: ``(n, k)`` for binary tasks, ``(n, k, c)`` for multi-class.

Every message is built from the submission and the public id list only; hidden labels are not
an input of this module.

Problem codes (``Problem.code``): ``file-not-found``, ``not-a-file``, ``cannot-read``,
``file-too-large``, ``empty-file``, ``compressed``, ``archive``, ``binary``, ``utf16``,
``not-utf8``, ``no-content``, ``unknown-format``, ``wrong-delimiter``, ``ambiguous-format``,
``missing-header``, ``unexpected-header``, ``unrecognised-header``, ``duplicate-column``,
``unnamed-column``, ``misspelled-column``, ``missing-column``, ``extra-column``,
``malformed-quotes``, ``field-count``, ``no-rows``, ``row-count``, ``empty-value``,
``nan-value``, ``infinite-value``, ``not-a-number``, ``decimal-comma``, ``percent-sign``,
``logit``, ``logit-above-one``, ``negative-value``, ``percentage``, ``above-one``,
``id-whitespace``, ``empty-id``, ``duplicate-id``, ``unknown-id``, ``id-zero-padding``,
``id-as-number``, ``unknown-target``, ``missing-ids``, ``missing-rows``, ``encrypted``,
``too-many-columns``, ``header-too-long``, ``column-name-too-long``. Warning codes:
``header-whitespace``, ``rounding``, ``value-above-one``, ``zero-row``, ``row-sum``,
``hard-predictions``, ``row-order``.

>>> from benchmark.data.tasks import load_registry
>>> print(describe_formats(load_registry().get("mrnet")).splitlines()[1])
- canonical: header row `case,abnormal,acl,meniscus`, one row per case, any row order; e.g. first data row `1130,0.5,0.5,0.5`.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd

from ..core.errors import Problem, SubmissionInvalid
from ..core.fileio import atomic_write_text
from ..data.public import PublicCases
from ..data.declarations import FormatDecl
from ..data.tasks import Task

__all__ = [
    "Submission",
    "read_submission",
    "read_submission_bytes",
    "write_canonical",
    "describe_formats",
    "expected_header",
    "canonical_format",
    "MB",
]

#: One megabyte, as used by ``limits.max_file_mb`` and ``max_mb``.
MB = 1_000_000
DEFAULT_MAX_MB = 200.0
#: Individual problems listed per kind of problem; the rest is summarised with a count.
MAX_EXAMPLES = 3
#: Ids listed in a "missing ids" problem.
MAX_LISTED_IDS = 20
#: Distinct unknown target suffixes of a long file that get a "did you mean" suggestion.
_MAX_SUFFIXES = 50
#: Unexpected header columns reported one by one (with suggestions); the rest are counted.
_MAX_EXTRA_COLUMNS = 10
#: A row of class probabilities whose sum differs from 1 by more than this gets a warning.
ROW_SUM_TOLERANCE = 1e-5

_NAN_WORDS = {"nan", "-nan", "+nan", "na", "n/a", "#n/a", "null", "none", "nil", "<na>", "nat"}
_DECIMAL_COMMA_RE = re.compile(r"^\s*[+-]?\d*,\d+\s*$")
# Unambiguous (one way to split the digits), so a hostile 10 MB cell is matched in linear time;
# ``\d+\.?\d*`` backtracks quadratically on a long run of digits.
_PERCENT_RE = re.compile(r"^\s*[+-]?(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
_INT_TOKEN_RE = re.compile(r"^\s*[+-]?\d+\s*$")
_FLOATY_ID_RE = re.compile(r"^(\d+)\.0*$")
_FIELD_RE = re.compile(r'"([^"]*(?:""[^"]*)*)"|([^",]*)')

PathLike = Union[str, "os.PathLike[str]"]


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Submission:
    """A validated submission, aligned to the public case ids.

    Attributes
    ----------
    task_id : str
        Id of the task the submission was validated for.
    format : str
        Name of the submission format (a ``[[formats]]`` entry of the task).
    path : str
        The path as given by the caller.
    sha256 : str
        sha256 of the file's bytes, as read.
    ids : ndarray of str, shape (n,)
        The case ids, equal to ``expected.ids`` (same order).
    scores : ndarray of float64
        ``(n, k)`` probabilities for binary tasks, ``(n, k, c)`` class probabilities for
        multi-class tasks; aligned to ``ids`` and ``task.targets`` (and ``task.classes``).
    warnings : list of Problem
        Accepted oddities (values rounded into [0, 1], class values above 1 or rows not summing
        to 1, hard 0/1 predictions in an AUC task, rows matched by order).
    n_rows : int
        Number of data rows in the file.
    """

    task_id: str
    format: str
    path: str
    sha256: str
    ids: np.ndarray
    scores: np.ndarray
    warnings: list = field(default_factory=list)
    n_rows: int = 0


# --------------------------------------------------------------------------------------------
# Problem collection
# --------------------------------------------------------------------------------------------
def _show(value: object, limit: int = 60) -> str:
    """Quote a value from the submission for a message, cut to ``limit`` characters."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def _plural(n: int, word: str, plural: Optional[str] = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


class _Report:
    """Collects problems and warnings for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, code, message, *, line=None, column=None, expected=None, found=None, fix=None,
            warning=False) -> None:
        p = Problem(
            code=code,
            message=message,
            file=self.file,
            line=None if line is None else int(line),
            column=None if column is None else str(column),
            expected=expected,
            found=found,
            fix=fix,
        )
        (self.warnings if warning else self.problems).append(p)

    def examples(self, code, total, items, message, summary, *, expected=None, fix=None,
                 column=None, warning=False) -> None:
        """Add one problem per example ``(line, column, found)`` and a count of the rest.

        ``message`` is used for each example; ``summary`` (its ``{n}`` replaced by the total) for
        the closing count when ``total`` exceeds the number of examples.
        """
        items = list(items)[:MAX_EXAMPLES]
        for line, col, found in items:
            self.add(code, message, line=line, column=col, expected=expected, found=found, fix=fix,
                     warning=warning)
        if total > len(items):
            self.add(code, summary.replace("{n}", f"{total:,}"), column=column, expected=expected,
                     fix=fix, warning=warning)

    def fail(self) -> None:
        raise SubmissionInvalid(self.problems, self.warnings)


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------
def _value_slots(task: Task, fmt: FormatDecl) -> list[str]:
    """Names of the value columns of a row of ``fmt`` (wide/headerless), target-major."""
    if task.kind == "binary":
        return list(task.targets)
    return [f"{t}{fmt.separator}{c}" for t in task.targets for c in task.classes]


def expected_header(task: Task, fmt: FormatDecl) -> Optional[list[str]]:
    """Column names a file of format ``fmt`` must have; ``None`` for the headerless layout.

    Parameters
    ----------
    task : Task
    fmt : FormatDecl

    Returns
    -------
    list of str or None
    """
    if fmt.layout == "headerless":
        return None
    if fmt.layout == "long":
        return [fmt.id_column] + list(fmt.value_columns or [])
    return [fmt.id_column] + _value_slots(task, fmt)


def canonical_format(task: Task) -> FormatDecl:
    """The format :func:`write_canonical` writes: ``canonical`` if declared, else the first
    declared format with a header row, else the first format."""
    for f in task.formats:
        if f.name == "canonical":
            return f
    for f in task.formats:
        if f.layout != "headerless":
            return f
    return task.formats[0]


def _example_values(task: Task, fmt: FormatDecl) -> list[str]:
    if task.kind == "binary":
        per = ["0.5"]
    else:
        c = len(task.classes)
        per = ["0.8", "0.15", "0.05"] if c == 3 else [repr(round(1 / c, 4))] * c
    if fmt.layout == "long":
        return per
    return per * len(task.targets)


def _example_id(task: Task) -> str:
    return task.id_example or "<id>"


def _layout_text(task: Task, fmt: FormatDecl) -> str:
    head = expected_header(task, fmt)
    vals = _example_values(task, fmt)
    if fmt.layout == "headerless":
        return (
            f"no header and no id column: {_plural(len(vals), 'value column')} "
            f"({', '.join(_value_slots(task, fmt))}), one row per case in ascending case-id order; "
            f"e.g. first row `{','.join(vals)}`"
        )
    if fmt.layout == "long":
        rid = f"{_example_id(task)}{fmt.separator}{task.targets[0]}"
        return (
            f"header row `{','.join(head)}`, one row per case and target, {fmt.id_column} = "
            f"`<{task.id_column}>{fmt.separator}<target>`, any row order; "
            f"e.g. first data row `{rid},{','.join(vals)}`"
        )
    return (
        f"header row `{','.join(head)}`, one row per case, any row order; "
        f"e.g. first data row `{_example_id(task)},{','.join(vals)}`"
    )


def describe_formats(task: Task) -> str:
    """Describe the submission formats a task accepts, for fix messages and documentation.

    Parameters
    ----------
    task : Task

    Returns
    -------
    str
        One line per format with its header and an example first row built from
        ``task.id_example``.
    """
    lines = [f"Accepted submission formats of task {task.id!r} (comma-separated, UTF-8):"]
    for f in task.formats:
        lines.append(f"- {f.name}: {_layout_text(task, f)}.")
    return "\n".join(lines)


def _format_names(task: Task) -> str:
    return ", ".join(repr(f.name) for f in task.formats)


# --------------------------------------------------------------------------------------------
# Stage 1 and 2: file and bytes
# --------------------------------------------------------------------------------------------
def _read_bytes(path: Path, limit_mb: float, rep: _Report) -> Optional[bytes]:
    try:
        st = path.stat()
    except FileNotFoundError:
        rep.add("file-not-found", "the submission file does not exist", fix="check the path")
        return None
    except OSError as exc:
        rep.add("cannot-read", "the submission file cannot be opened",
                found=exc.strerror or type(exc).__name__, fix="check the path and its permissions")
        return None
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.csv"))[:3]
        hint = f" (it holds {', '.join(inside)})" if inside else ""
        rep.add("not-a-file", f"the path is a directory, not a file{hint}",
                fix="pass the path of the predictions CSV file itself")
        return None
    limit = float(limit_mb) * MB
    if st.st_size > limit:
        rep.add(
            "file-too-large",
            "the file is larger than the task allows",
            expected=f"at most {limit_mb:g} MB",
            found=f"{st.st_size / MB:,.1f} MB",
            fix="write each probability with at most 6 decimals and leave out extra columns",
        )
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(int(limit) + 1)
    except OSError as exc:
        rep.add("cannot-read", "the submission file cannot be read",
                found=exc.strerror or type(exc).__name__, fix="check the file's permissions")
        return None
    if len(data) > limit:  # grew while being read
        rep.add("file-too-large", "the file is larger than the task allows",
                expected=f"at most {limit_mb:g} MB", found=f"more than {limit_mb:g} MB",
                fix="write each probability with at most 6 decimals and leave out extra columns")
        return None
    return data


_SAVE_AS_CSV = "export or save the predictions as a plain comma-separated .csv file (UTF-8)"
_MAGIC: list[tuple[bytes, str, str, str]] = [
    (b"\x1f\x8b", "compressed", "a gzip-compressed file", "decompress it (gunzip) and submit the plain .csv"),
    (b"PK\x03\x04", "archive", "a zip archive (an Excel .xlsx workbook is one too)",
     "extract the CSV, or in a spreadsheet use Save as > CSV UTF-8"),
    (b"PK\x05\x06", "archive", "an empty zip archive", "submit the plain .csv file"),
    (b"\xfd7zXZ\x00", "compressed", "an xz-compressed file", "decompress it (unxz) and submit the plain .csv"),
    (b"(\xb5/\xfd", "compressed", "a zstd-compressed file", "decompress it (unzstd) and submit the plain .csv"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "a 7-zip archive", "extract the CSV and submit it"),
    (b"Rar!\x1a\x07", "archive", "a RAR archive", "extract the CSV and submit it"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "binary", "an Excel .xls workbook (OLE2 file)",
     "in the spreadsheet use Save as > CSV UTF-8"),
    (b"PAR1", "binary", "a Parquet file", "write the predictions with DataFrame.to_csv(path, index=False)"),
    (b"\x93NUMPY", "binary", "a NumPy .npy file", "write the predictions as CSV with an id column"),
    (b"age-encryption.org/v1\n", "encrypted", "an age-encrypted file",
     "validate the plain CSV before encrypting it (benchmark submit prepare does both)"),
    (b"\x89HDF\r\n\x1a\n", "binary", "an HDF5 file", _SAVE_AS_CSV),
    (b"\x89PNG", "binary", "a PNG image", _SAVE_AS_CSV),
    (b"%PDF", "binary", "a PDF document", _SAVE_AS_CSV),
    (b"SQLite format 3\x00", "binary", "an SQLite database", _SAVE_AS_CSV),
]


def _sniff(data: bytes, rep: _Report) -> Optional[bytes]:
    """Recognise non-text input; return the UTF-8 bytes without BOM and with ``\\n`` line ends."""
    if not data:
        rep.add("empty-file", "the file is empty",
                fix="write one header row and one row per case (see the task's accepted formats)")
        return None
    for magic, code, what, fix in _MAGIC:
        if data.startswith(magic):
            rep.add(code, f"the file is {what}, not a CSV text file", line=1,
                    found=f"first bytes {data[:8].hex(' ')}", fix=fix)
            return None
    if data.startswith(b"BZh") and data[4:10] == b"1AY&SY":
        rep.add("compressed", "the file is bzip2-compressed, not a CSV text file", line=1,
                fix="decompress it (bunzip2) and submit the plain .csv")
        return None
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        rep.add("utf16", "the file is UTF-32 encoded text", line=1, expected="UTF-8",
                found="UTF-32 byte-order mark", fix="save the file as UTF-8")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        rep.add("utf16", "the file is UTF-16 encoded text (Excel's 'Unicode text' or PowerShell's "
                "default output)", line=1, expected="UTF-8", found="UTF-16 byte-order mark",
                fix="save the file as UTF-8 (Excel: Save as > CSV UTF-8; PowerShell: "
                "Out-File -Encoding utf8)")
        return None
    nul = data.find(b"\x00")
    if nul >= 0:
        head = data[:4096]
        even, odd = head[0::2], head[1::2]
        if len(head) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even) + 1:
            rep.add("utf16", "the file looks like UTF-16 encoded text without a byte-order mark",
                    line=1, expected="UTF-8", found="every other byte is NUL",
                    fix="save the file as UTF-8")
        elif len(head) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd) + 1:
            rep.add("utf16", "the file looks like UTF-16 encoded text without a byte-order mark",
                    line=1, expected="UTF-8", found="every other byte is NUL",
                    fix="save the file as UTF-8")
        else:
            rep.add("binary", "the file holds NUL bytes: it is a binary file, not CSV text",
                    line=data.count(b"\n", 0, nul) + 1, found=f"NUL byte at offset {nul:,}",
                    fix=_SAVE_AS_CSV)
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4]
        guess = ""
        try:
            data.decode("cp1252")
            guess = " It looks like Windows-1252 / Latin-1 text."
        except UnicodeDecodeError:
            pass
        rep.add(
            "not-utf8",
            "the file is not valid UTF-8 text." + guess,
            line=data.count(b"\n", 0, exc.start) + 1,
            expected="UTF-8",
            found=f"bytes {bad.hex(' ')} at offset {exc.start:,}",
            fix="save the file as UTF-8 (Excel: Save as > CSV UTF-8)",
        )
        return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


# --------------------------------------------------------------------------------------------
# Stage 3: a map of the physical lines, computed on the bytes with numpy
# --------------------------------------------------------------------------------------------
class _Lines:
    """Physical lines of the (normalised) text and per-line structure, all vectorised.

    Line ``i`` (0-based) spans ``data[starts[i]:ends[i]]``. ASCII bytes never occur inside a
    UTF-8 multi-byte sequence, so counting ``,`` ``"`` and ``#`` on bytes is exact.
    """

    def __init__(self, data: bytes):
        self.data = data
        arr = np.frombuffer(data, dtype=np.uint8)
        self.arr = arr
        size = len(arr)
        nl = np.flatnonzero(arr == 10)
        starts = np.concatenate(([0], nl + 1)).astype(np.int64)
        ends = np.concatenate((nl, [size])).astype(np.int64)
        if starts[-1] == size:  # nothing after the final newline (or an empty text)
            starts, ends = starts[:-1], ends[:-1]
        self.starts, self.ends = starts, ends
        self.n = len(starts)
        length = ends - starts
        self.spaces = self._count(arr == 32) + self._count(arr == 9)
        self.blank = length == self.spaces
        first = arr[np.minimum(starts, max(size - 1, 0))] if size else np.zeros(0, np.uint8)
        self.comment = (length > 0) & (first == 35)
        qpos = np.flatnonzero(arr == 34)
        cpos = np.flatnonzero(arr == 44)
        self.quotes = np.searchsorted(qpos, ends) - np.searchsorted(qpos, starts)
        commas = np.searchsorted(cpos, ends) - np.searchsorted(cpos, starts)
        self.bad_quotes = np.zeros(self.n, dtype=bool)
        self.fields = commas + 1
        self.quoted_commas = 0  # commas inside quoted fields (well-quoted lines)
        if len(qpos):
            self._quote_structure(qpos, cpos)

    def _count(self, mask: np.ndarray) -> np.ndarray:
        pos = np.flatnonzero(mask)
        return np.searchsorted(pos, self.ends) - np.searchsorted(pos, self.starts)

    def _quote_structure(self, qpos: np.ndarray, cpos: np.ndarray) -> None:
        """Validate RFC 4180 quoting per line and count the fields outside quotes.

        Within a line, quote number ``j`` (0-based) opens a quoted section when ``j`` is even
        and closes it when odd. An opening quote must start a field (line start, after ``,``, or
        right after a closing quote: an escaped ``""``); a closing quote must end the field
        (line end, before ``,``, or before an opening quote). An odd number of quotes leaves a
        field open.
        """
        arr, starts, ends = self.arr, self.starts, self.ends
        qline = np.searchsorted(starts, qpos, side="right") - 1
        first_q = np.searchsorted(qpos, starts)
        j = np.arange(len(qpos)) - first_q[qline]
        closing = (j % 2) == 1
        prev = np.where(qpos > starts[qline], arr[np.maximum(qpos - 1, 0)], 44)
        nxt = np.where(qpos + 1 < ends[qline], arr[np.minimum(qpos + 1, len(arr) - 1)], 44)
        ok_open = (prev == 44) | (prev == 34)
        ok_close = (nxt == 44) | (nxt == 34)
        bad = np.where(closing, ~ok_close, ~ok_open)
        bad_line = np.zeros(self.n, dtype=bool)
        bad_line[qline[bad]] = True
        bad_line |= (self.quotes % 2) == 1
        self.bad_quotes = bad_line & ~self.comment
        if len(cpos):
            cline = np.searchsorted(starts, cpos, side="right") - 1
            before = np.searchsorted(qpos, cpos) - first_q[cline]
            inside = (before % 2) == 1
            self.fields = self.fields - np.bincount(cline[inside], minlength=self.n)
            self.quoted_commas = int(inside[~self.bad_quotes[cline]].sum())

    def text(self, i: int) -> str:
        return self.data[self.starts[i] : self.ends[i]].decode("utf-8", "replace")

    def split(self, i: int) -> list[str]:
        """Fields of line ``i`` (well-quoted lines; quotes removed, ``""`` unescaped)."""
        return _split_fields(self.text(i))

    def body(self, keep: np.ndarray) -> bytes:
        """The bytes of the lines ``keep`` (bool per line), each ending with a newline."""
        idx = np.flatnonzero(keep)
        if len(idx) == 0:
            return b""
        if len(idx) == self.n and idx[0] == 0:
            out = self.data
        elif len(idx) == idx[-1] - idx[0] + 1:  # one contiguous block
            out = self.data[self.starts[idx[0]] : self.ends[idx[-1]]]
        else:
            size = len(self.arr)
            span = np.concatenate((self.starts[1:], [size]))  # each line with its newline
            mask = np.repeat(keep, span - self.starts)
            out = self.arr[mask].tobytes()
        return out if out.endswith(b"\n") else out + b"\n"


def _split_fields(text: str) -> list[str]:
    """Split one CSV line on commas, honouring double quotes (no newlines inside fields)."""
    if '"' not in text:
        return text.split(",")
    out, pos, n = [], 0, len(text)
    while True:
        m = _FIELD_RE.match(text, pos)
        if m.group(1) is not None:
            out.append(m.group(1).replace('""', '"'))
        else:
            out.append(m.group(2))
        pos = m.end()
        if pos >= n:
            break
        if text[pos] == ",":
            pos += 1
            if pos == n:
                out.append("")
                break
        else:  # malformed quoting: keep the rest as one field
            out[-1] += text[pos:]
            break
    return out


# --------------------------------------------------------------------------------------------
# Stage 4: format detection
# --------------------------------------------------------------------------------------------
def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@dataclass
class _Layout:
    fmt: FormatDecl
    header_line: Optional[int]  # 0-based line index of the header, None when headerless
    columns: list[str]  # header names (stripped) or slot names for headerless


def _looks_like_id(task: Task, text: str, expected_set: set, width: Optional[int]) -> bool:
    t = text.strip()
    if not t:
        return False
    if t in expected_set:
        return True
    if width and t.isdigit() and len(t) < width and t.zfill(width) in expected_set:
        return True
    if task.id_pattern and re.fullmatch(task.id_pattern, t):
        return True
    return False


def _detect_delimiter(text: str) -> Optional[tuple[str, Optional[str]]]:
    """Another field separator a comma-less line seems to use: ``(name, separator)``
    (separator ``None`` for runs of spaces), or ``None``."""
    for name, sep in (("';'", ";"), ("tab", "\t"), ("'|'", "|")):
        if sep in text:
            return name, sep
    if len(text.split()) >= 2:
        return "spaces", None
    return None


def _resolve_layout(task: Task, fmt_name: Optional[str], lines: _Lines, first: int,
                    expected_set: set, width: Optional[int], rep: _Report) -> Optional[_Layout]:
    text = lines.text(first)
    fields = [f.strip() for f in lines.split(first)]
    line_no = first + 1
    all_names = {n for f in task.formats for n in (expected_header(task, f) or [])}

    if lines.bad_quotes[first]:
        rep.add("malformed-quotes", "the first line has unbalanced or misplaced double quotes",
                line=line_no, found=_show(text),
                fix='enclose whole fields in double quotes ("...") and write a quote inside a '
                'quoted field as ""')
        return None

    # Delimiter: every format has at least two columns.
    if len(fields) == 1:
        alt = _detect_delimiter(text)
        if alt is not None:
            name = alt[0]
            rep.add(
                "wrong-delimiter",
                f"fields are separated by {name}, not by commas",
                line=line_no,
                expected="comma-separated fields",
                found=_show(text),
                fix="save the file as comma-separated CSV; a spreadsheet set to a locale with "
                "decimal commas also needs its decimal separator switched to '.'",
            )
            return None

    def numeric(f: str) -> bool:
        return _is_number(f) or bool(_DECIMAL_COMMA_RE.match(f))

    nonempty = [f for f in fields if f]
    is_numeric = bool(nonempty) and all(numeric(f) for f in nonempty)
    lower_names = {n.lower() for n in all_names}
    has_name = any(f.lower() in lower_names for f in fields)
    data_like = bool(nonempty) and not has_name and all(
        numeric(f) or _looks_like_id(task, f, expected_set, width) or _looks_like_row_id(task, f)
        for f in nonempty
    )
    headerless = [f for f in task.formats if f.layout == "headerless"]
    with_header = [f for f in task.formats if f.layout != "headerless"]

    if fmt_name is not None:
        fmt = task.format(fmt_name)
        if fmt.layout == "headerless":
            if not is_numeric:
                rep.add("unexpected-header",
                        f"format {fmt.name!r} has no header row, but the first line is not a row "
                        "of numbers", line=line_no,
                        expected=f"{len(_value_slots(task, fmt))} numbers",
                        found=_show(text),
                        fix=f"delete the header line, or choose another format ({_format_names(task)})")
                return None
            return _Layout(fmt, None, _value_slots(task, fmt))
        if data_like:
            rep.add("missing-header", f"format {fmt.name!r} starts with a header row, but the "
                    "first line holds data", line=line_no,
                    expected=f"`{','.join(expected_header(task, fmt))}`", found=_show(text),
                    fix=f"add the header line `{','.join(expected_header(task, fmt))}` at the top")
            return None
        return _Layout(fmt, first, fields)

    if data_like:
        if headerless and is_numeric:
            fmt = headerless[0]
            k = len(_value_slots(task, fmt))
            if len(fields) == k + 1 and _looks_like_id_number(task, fields[0], expected_set, width):
                wide = [f for f in with_header if f.layout == "wide"]
                alt = f"add the header `{','.join(expected_header(task, wide[0]))}` ({wide[0].name} format)" \
                    if wide else "add the header of another format"
                rep.add(
                    "ambiguous-format",
                    f"the first line has {k + 1} numeric columns and the first looks like a case "
                    f"id: an id column without a header fits no accepted format",
                    line=line_no,
                    expected=f"{k} probability columns ({fmt.name}) or a header row",
                    found=_show(text),
                    fix=f"either {alt}, or delete the id column and keep one row per case in "
                    f"ascending case-id order ({fmt.name} format)",
                )
                return None
            return _Layout(fmt, None, _value_slots(task, fmt))
        target = with_header[0] if with_header else None
        if target is not None:
            rep.add(
                "missing-header",
                "the first line holds data, but the file needs a header row",
                line=line_no,
                expected=f"`{','.join(expected_header(task, target))}`",
                found=_show(text),
                fix=f"add the header line `{','.join(expected_header(task, target))}` at the top",
            )
            return None

    # A header row: choose the closest declared format.
    lowered = [f.lower() for f in fields]
    best, best_score = None, 0.0
    for f in with_header:
        exp = expected_header(task, f)
        exp_lower = [e.lower() for e in exp]
        score = 0.0
        for name, low in zip(fields, lowered):
            if name in exp:
                score += 1
            elif low in exp_lower or difflib.get_close_matches(low, exp_lower, n=1, cutoff=0.75):
                score += 0.5
        if score > best_score:
            best, best_score = f, score
    if headerless:
        slots = _value_slots(task, headerless[0])
        id_cols = {f.id_column for f in with_header}
        if best is not None and fields and set(fields) <= set(slots) and not (set(fields) & id_cols):
            wide = [f for f in with_header if f.layout == "wide"]
            id_col = wide[0].id_column if wide else task.id_column
            rep.add(
                "ambiguous-format",
                f"the header names the value columns but there is no {id_col!r} column: the file "
                f"is neither the {best.name!r} format (which needs the {id_col!r} column) nor the "
                f"{headerless[0].name!r} format (which has no header)",
                line=line_no,
                expected=f"`{','.join(expected_header(task, best))}`",
                found=_show(text),
                fix=f"either add a {id_col!r} column with the case ids, or delete the header line "
                f"and keep one row per case in ascending case-id order",
            )
            return None
    if best is None:
        rep.add(
            "unrecognised-header",
            "the header matches none of the task's submission formats",
            line=line_no,
            expected=" or ".join(f"`{','.join(expected_header(task, f))}`" for f in with_header)
            or "no header",
            found=_show(text),
            fix=describe_formats(task),
        )
        return None
    return _Layout(best, first, fields)


def _looks_like_row_id(task: Task, text: str) -> bool:
    t = text.strip()
    for f in task.formats:
        if f.layout == "long" and any(t.endswith(f.separator + tg) for tg in task.targets):
            return True
    return False


def _looks_like_id_number(task: Task, text: str, expected_set: set, width: Optional[int]) -> bool:
    t = text.strip()
    if _looks_like_id(task, t, expected_set, width):
        return True
    m = _FLOATY_ID_RE.match(t)
    if m and m.group(1) in expected_set:
        return True
    try:
        v = float(t)
    except ValueError:
        return False
    return v > 1 and float(v).is_integer()


# --------------------------------------------------------------------------------------------
# Stage 5: header
# --------------------------------------------------------------------------------------------
def _check_header(task: Task, layout: _Layout, raw_fields: list[str], rep: _Report) -> dict:
    """Map expected column names to positions in the file; report header problems."""
    fmt = layout.fmt
    expected = expected_header(task, fmt)
    line = layout.header_line + 1
    names = layout.columns
    if any(r != n for r, n in zip(raw_fields, names)):
        rep.add("header-whitespace", "header names have spaces around them; they were ignored",
                line=line, warning=True, fix="remove the spaces from the header line")
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        positions.setdefault(n, []).append(i)
    mapping: dict[str, int] = {}
    for n, pos in positions.items():
        if n and len(pos) > 1:
            rep.add("duplicate-column", f"column {n!r} appears {len(pos)} times", line=line,
                    column=n, expected="each column once",
                    found="at positions " + ", ".join(str(p + 1) for p in pos),
                    fix=f"keep one {n!r} column")
    for n in expected:
        if n in positions:
            mapping[n] = positions[n][0]
    missing = [n for n in expected if n not in positions]
    extra = [(i, n) for i, n in enumerate(names) if n not in expected]
    unnamed = [(i, n) for i, n in extra if n == ""]
    extra = [(i, n) for i, n in extra if n != ""]
    if len(unnamed) > MAX_EXAMPLES:
        rep.add("unnamed-column", f"{len(unnamed):,} columns have no name", line=line,
                expected=f"the columns `{','.join(expected)}`", found="empty header fields",
                fix="write the header and the rows with exactly the columns of the format "
                "(pandas: DataFrame.to_csv(path, index=False))")
        unnamed = []
    for i, _ in unnamed:
        if i == 0:
            fix = ("remove the unnamed first column; pandas writes it when index=False is not "
                   "given: use DataFrame.to_csv(path, index=False)")
        elif i == len(names) - 1:
            fix = "remove the trailing comma at the end of the header line (and of the rows)"
        else:
            fix = "name the column or remove it"
        rep.add("unnamed-column", f"column {i + 1} has no name", line=line, column=str(i + 1),
                expected=f"the columns `{','.join(expected)}`", found="an empty header field",
                fix=fix)
    still_missing = list(missing)
    rest = extra[_MAX_EXTRA_COLUMNS:]
    extra = extra[:_MAX_EXTRA_COLUMNS]
    for i, n in extra:
        low = {m.lower(): m for m in still_missing}
        match = low.get(n.lower())
        if match is None:
            close = difflib.get_close_matches(n.lower(), list(low), n=1, cutoff=0.6)
            match = low[close[0]] if close else None
        if match is not None:
            still_missing.remove(match)
            mapping[match] = i
            rep.add("misspelled-column", f"column {n!r} is not a column of format {fmt.name!r}; "
                    f"did you mean {match!r}?", line=line, column=n, expected=repr(match),
                    found=repr(n), fix=f"rename column {n!r} to {match!r}")
        else:
            rep.add("extra-column", f"column {n!r} is not a column of format {fmt.name!r}",
                    line=line, column=n, expected=f"only the columns `{','.join(expected)}`",
                    found=repr(n), fix=f"remove column {n!r}")
    if rest:
        rep.add("extra-column", f"{len(rest):,} more columns are not columns of format "
                f"{fmt.name!r}", line=line, expected=f"only the columns `{','.join(expected)}`",
                found=f"{len(names):,} columns", fix="remove the columns the format does not name")
    for n in still_missing:
        rep.add("missing-column", f"column {n!r} is missing", line=line, column=n,
                expected=f"the columns `{','.join(expected)}`",
                found=f"`{','.join(names)}`" if len(",".join(names)) <= 200 else f"{len(names)} columns",
                fix=f"add a {n!r} column")
    return mapping


# --------------------------------------------------------------------------------------------
# Stage 6: row structure and parsing
# pandas 2's default float parser rounds about a third of 17-digit decimals one ulp off;
# "round_trip" parses exactly (as Python's float does). pandas 3 parses exactly by default and
# deprecates the option.
_EXACT_FLOATS = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


# --------------------------------------------------------------------------------------------
def _parse_frame(body: bytes, ncols: int, usecols: Sequence[int], float_cols: Sequence[int],
                 n_expected: int) -> tuple[pd.DataFrame, bool]:
    """Parse well-formed lines (all with ``ncols`` fields) with pandas' C engine.

    Only the columns ``usecols`` are kept (the id and value columns), so unexpected columns
    cost no memory. Value columns are parsed as float64 first; any cell that is not a number
    makes the frame re-read as text (the error path, where per-cell diagnosis is needed).
    Returns the frame (columns named by position) and whether the float columns are numeric.
    """
    use = sorted(set(int(u) for u in usecols))
    if n_expected == 0 or not use:
        return pd.DataFrame({u: pd.Series([], dtype=object) for u in use}), False
    names = list(range(ncols))
    common = dict(header=None, names=names, usecols=use, engine="c", na_filter=False,
                  skip_blank_lines=False, keep_default_na=False, quotechar='"',
                  doublequote=True, encoding="utf-8", low_memory=False)
    floats = set(int(f) for f in float_cols)
    if floats:
        dtype = {i: (np.float64 if i in floats else object) for i in use}
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore")
                df = pd.read_csv(io.BytesIO(body), dtype=dtype, **common, **_EXACT_FLOATS)
            if len(df) == n_expected:
                return df, True
        except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
            pass
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            df = pd.read_csv(io.BytesIO(body), dtype=object, **common)
        if len(df) == n_expected:
            return df, False
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        pass
    # Fallback: split each line in Python (exact, slower; only for inputs pandas reads
    # differently from the line map).
    rows = []
    for t in body.decode("utf-8", "replace").split("\n")[:n_expected]:
        f = _split_fields(t)
        rows.append([f[u] if u < len(f) else "" for u in use])
    return pd.DataFrame(rows, columns=use, dtype=object), False


def _ids_of_lines(lines: _Lines, idx: np.ndarray, pos: int) -> list[str]:
    """The id field of lines that were not parsed (wrong field count), so that their cases
    are not reported missing on top of the line's own problem."""
    out = []
    for i in idx:
        f = lines.split(int(i))
        if len(f) == 1:
            alt = _detect_delimiter(f[0])
            if alt is not None:
                f = f[0].split(alt[1])
        out.append(f[pos].strip() if pos < len(f) else "")
    return out


# --------------------------------------------------------------------------------------------
# Stage 7: values
# --------------------------------------------------------------------------------------------
#: A value outside [0, 1] by at most this much is floating-point rounding, not a percentage or
#: a logit: ``1.0000000001`` (``1 + 1e-10``) or ``-1e-17``. Single-precision rounding of 1 is
#: ``1 + 1.19e-7``, inside the tolerance; a percentage or a logit above 1 is far outside it.
#: In binary tasks such a value is accepted with a warning and read as 0 or 1; in multi-class
#: tasks values above 1 are accepted anyway and a tiny negative value is still refused (the
#: competition's scorer refused every negative prediction).
ROUNDING_TOLERANCE = 1e-6

_SIGMOID = "apply a sigmoid to every value, p = 1 / (1 + exp(-x)), and write p"
_SOFTMAX = ("apply a softmax to the class values of each row, p_k = exp(x_k) / sum_j exp(x_j), "
            "and write p")


@dataclass(frozen=True)
class _ValueKind:
    code: str
    message: str  # one cell
    summary: str  # the count, with {n}
    fix: str
    warning: bool = False


def _value_kinds(kind: str) -> list[_ValueKind]:
    """The kinds of cell value reported in stage 7, in report order, for a task ``kind``.

    Every message is a function of the cell's text and of the other values of the same file
    (whether the file holds negative values), never of the labels.
    """
    binary = kind == "binary"
    unit = "a probability in [0, 1]" if binary else "a class probability (a non-negative number)"
    logit_fix = _SIGMOID if binary else _SOFTMAX
    kinds = [
        _ValueKind("empty-value", "the value is empty", "{n} values in total are empty",
                   f"write {unit} in every cell"),
        _ValueKind("nan-value", "the value is NaN / missing",
                   "{n} values in total are NaN / missing", f"replace NaN with {unit}"),
        _ValueKind("infinite-value", "the value is infinite", "{n} values in total are infinite",
                   f"write {unit}; if the values are logits, {logit_fix}"),
        _ValueKind("decimal-comma", "the value uses a decimal comma",
                   "{n} values in total use a decimal comma", "use '.' as the decimal separator"),
        _ValueKind("percent-sign", "the value has a percent sign",
                   "{n} values in total have a percent sign",
                   "write probabilities in [0, 1] without '%'"),
        _ValueKind("not-a-number", "the value is not a number",
                   "{n} values in total are not numbers", f"write {unit}"),
        _ValueKind("logit", "the value is negative: it looks like a logit (log-odds), not a "
                   "probability", "{n} values in total are negative and look like logits",
                   logit_fix),
    ]
    if binary:
        kinds += [
            _ValueKind("logit-above-one", "the value is above 1 and the file holds negative "
                       "values: it looks like a logit (log-odds), not a probability",
                       "{n} values in total are above 1 in a file with negative values and look "
                       "like logits", logit_fix),
            _ValueKind("percentage", "the value is above 1 and at most 100: it looks like a "
                       "percentage", "{n} values in total are between 1 and 100 and look like "
                       "percentages", "divide the values by 100"),
            _ValueKind("above-one", "the value is above 100: neither a probability nor a "
                       "percentage", "{n} values in total are above 100",
                       f"write probabilities in [0, 1]; if the values are logits, {logit_fix}"),
            _ValueKind("rounding", f"the value is outside [0, 1] by at most "
                       f"{ROUNDING_TOLERANCE:g} (floating-point rounding): it is read as the "
                       f"nearest of 0 and 1", f"{{n}} values in total are outside [0, 1] by at "
                       f"most {ROUNDING_TOLERANCE:g} and are read as 0 or 1",
                       "clip the values to [0, 1] before writing", warning=True),
        ]
    else:
        kinds += [
            _ValueKind("negative-value", f"the value is negative by at most "
                       f"{ROUNDING_TOLERANCE:g} (floating-point rounding?); negative predictions "
                       f"are refused, as the competition's scorer refused them",
                       "{n} values in total are slightly negative",
                       "write 0 instead of tiny negative values"),
            _ValueKind("value-above-one", "the value is above 1: as the competition's scorer "
                       "did, it is clipped to 1 - 2.2e-16 before its row is rescaled, so it "
                       "counts as 1 (a row of percentages is not the same prediction as the row "
                       "divided by 100)",
                       "{n} values in total are above 1 and count as 1 when scored",
                       "divide each row by its sum (by 100 for percentages)", warning=True),
        ]
    return kinds


def _classify_text(s: pd.Series, v: np.ndarray, kind: str, has_negative: bool
                   ) -> dict[str, np.ndarray]:
    """Masks of value kinds for one column: ``s`` the text, ``v`` its numeric parse."""
    nan = np.isnan(v)
    kinds = {k.code: np.zeros(len(v), dtype=bool) for k in _value_kinds(kind)}
    if nan.any():
        idx = np.flatnonzero(nan)
        sub = s.iloc[idx].astype(str).str.strip()
        empty = (sub == "").to_numpy()
        low = sub.str.lower()
        nanword = low.isin(_NAN_WORDS).to_numpy() & ~empty
        dec = sub.str.match(_DECIMAL_COMMA_RE).to_numpy() & ~empty
        pct = sub.str.match(_PERCENT_RE).to_numpy() & ~empty
        other = ~(empty | nanword | dec | pct)
        kinds["empty-value"][idx[empty]] = True
        kinds["nan-value"][idx[nanword]] = True
        kinds["decimal-comma"][idx[dec]] = True
        kinds["percent-sign"][idx[pct]] = True
        kinds["not-a-number"][idx[other]] = True
    _range_kinds(v, kinds, kind, has_negative)
    return kinds


def _range_kinds(v: np.ndarray, kinds: dict[str, np.ndarray], kind: str, has_negative: bool
                 ) -> None:
    """Range kinds of the numbers ``v``; ``has_negative``: the file holds a value below
    ``-ROUNDING_TOLERANCE`` (then values above 1 are logits too, not percentages)."""
    tol = ROUNDING_TOLERANCE
    with np.errstate(invalid="ignore"):
        kinds["infinite-value"] |= np.isinf(v)
        finite = np.isfinite(v)
        kinds["logit"] |= finite & (v < -tol)
        if kind == "binary":
            above = finite & (v > 1 + tol)
            kinds["rounding"] |= finite & (((v >= -tol) & (v < 0)) | ((v > 1) & (v <= 1 + tol)))
            if has_negative:
                kinds["logit-above-one"] |= above
            else:
                kinds["percentage"] |= above & (v <= 100)
                kinds["above-one"] |= above & (v > 100)
        else:
            kinds["negative-value"] |= finite & (v >= -tol) & (v < 0)
            kinds["value-above-one"] |= finite & (v > 1)


def _file_has_negative(values: dict[str, np.ndarray]) -> bool:
    with np.errstate(invalid="ignore"):
        return any(bool((v < -ROUNDING_TOLERANCE).any()) for v in values.values())


def _check_values(df: pd.DataFrame, numeric: bool, cols: list[tuple[str, int]], line_of: np.ndarray,
                  rep: _Report, lines: _Lines, kind: str) -> tuple[dict[str, np.ndarray], bool]:
    """Check every value column; return ``{name: float values}`` and whether all are valid.

    ``cols`` lists ``(column name, position)``. When ``numeric``, the frame's value columns
    were parsed as float64 (every cell was a number), so only range problems remain and the
    text of the few cells quoted in messages is taken from the line itself. Values that only
    raise a warning are kept; in binary tasks a value within ``ROUNDING_TOLERANCE`` of [0, 1]
    is replaced by the nearest of 0 and 1.
    """
    values: dict[str, np.ndarray] = {}
    for name, pos in cols:
        if numeric:
            values[name] = df[pos].to_numpy(dtype=np.float64)
        else:
            values[name] = pd.to_numeric(df[pos], errors="coerce").to_numpy(dtype=np.float64)
    bad_any = False
    for name, _ in cols:
        v = values[name]
        with np.errstate(invalid="ignore"):
            if not (np.isfinite(v).all() and (v >= 0).all() and (v <= 1).all()):
                bad_any = True
                break
    if not bad_any:
        return values, True

    def cell_text(r: int, pos: int) -> str:
        if not numeric:
            return str(df[pos].iloc[r])
        fields = lines.split(int(line_of[r]))
        return fields[pos] if pos < len(fields) else ""

    table = _value_kinds(kind)
    has_negative = _file_has_negative(values)
    per_kind: dict[str, list[tuple[int, int, int]]] = {k.code: [] for k in table}
    totals: dict[str, int] = {k.code: 0 for k in table}
    col_count: dict[str, set] = {k.code: set() for k in table}
    for ci, (name, pos) in enumerate(cols):
        if numeric:
            kinds = {k.code: np.zeros(len(values[name]), dtype=bool) for k in table}
            _range_kinds(values[name], kinds, kind, has_negative)
        else:
            kinds = _classify_text(df[pos], values[name], kind, has_negative)
        for code, mask in kinds.items():
            hits = np.flatnonzero(mask)
            if len(hits):
                totals[code] += len(hits)
                col_count[code].add(name)
                for r in hits[:MAX_EXAMPLES]:
                    per_kind[code].append((int(r), ci, pos))
        if kind == "binary" and kinds["rounding"].any():
            values[name] = np.where(kinds["rounding"], np.clip(values[name], 0.0, 1.0), values[name])
    expected = "a probability in [0, 1]" if kind == "binary" else "a non-negative class probability"
    ok = True
    for k in table:
        if not totals[k.code]:
            continue
        ok = ok and k.warning
        ex = sorted(per_kind[k.code])[:MAX_EXAMPLES]
        items = [(int(line_of[r]) + 1, cols[ci][0], _show(cell_text(r, pos))) for r, ci, pos in ex]
        column = next(iter(col_count[k.code])) if len(col_count[k.code]) == 1 else None
        rep.examples(k.code, totals[k.code], items, k.message, k.summary,
                     expected=expected, fix=k.fix, column=column, warning=k.warning)
    return values, ok


def _auc_task(task: Task) -> bool:
    return any(spec.metric.rank_based for spec in task.metric_specs())


def _check_hard_predictions(task: Task, scores: np.ndarray, rep: _Report) -> None:
    """Warn about binary target columns of exactly two distinct values in an AUC task.

    A column of 0/1 decisions (or any two values) has a ROC curve with one operating point:
    its AUC is the balanced accuracy ``(sensitivity + specificity) / 2`` at that threshold,
    every tie between a positive and a negative case counts one half, and the curve cannot be
    compared with a reader at another specificity. A constant column (a prevalence baseline)
    is left alone: its AUC of 0.5 says what it is.
    """
    if task.kind != "binary" or not _auc_task(task):
        return
    for j, target in enumerate(task.targets):
        distinct = np.unique(scores[:, j])
        if len(distinct) != 2:
            continue
        rep.add("hard-predictions",
                f"the column holds only the values {distinct[0]:g} and {distinct[1]:g}: its ROC "
                "curve has a single operating point, so its AUC is the balanced accuracy "
                "(sensitivity + specificity) / 2 at that threshold",
                column=target, expected="a continuous probability or score per case",
                found="2 distinct values",
                fix="submit the model's probabilities before any threshold is applied",
                warning=True)


# --------------------------------------------------------------------------------------------
# Stage 8: ids
# --------------------------------------------------------------------------------------------
def _digit_width(ids: np.ndarray) -> Optional[int]:
    """The common length of the expected ids when all are digit strings of one length."""
    if len(ids) == 0:
        return None
    s = pd.Series(ids, dtype=object)
    lengths = s.str.len()
    if lengths.nunique() == 1 and s.str.isdigit().all():
        return int(lengths.iloc[0])
    return None


@dataclass
class _IdCheck:
    task: Task
    expected: PublicCases
    rep: _Report
    index: pd.Index  # expected ids
    width: Optional[int]
    id_column: str

    def where(self) -> str:
        return f"the public id list of {self.task.id}/{self.expected.split}"

    def recover(self, ids: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions of unknown ids recoverable by zero padding or by dropping ``.0``.

        Returns ``(padded, floaty, pos)``: masks of the two kinds and the recovered positions
        (-1 when neither applies).
        """
        pos = np.full(len(ids), -1, dtype=np.int64)
        padded = np.zeros(len(ids), dtype=bool)
        floaty = np.zeros(len(ids), dtype=bool)
        if len(ids) == 0:
            return padded, floaty, pos
        s = ids.astype(str)
        if self.width:
            digits = s.str.isdigit().to_numpy() & (s.str.len() < self.width).to_numpy()
            if digits.any():
                p = self.index.get_indexer(s[digits].str.zfill(self.width))
                padded[np.flatnonzero(digits)[p >= 0]] = True
                pos[np.flatnonzero(digits)[p >= 0]] = p[p >= 0]
        m = s.str.extract(_FLOATY_ID_RE, expand=False)
        has = m.notna().to_numpy() & (pos < 0)
        if has.any():
            cand = m[has].astype(str)
            if self.width:
                cand = cand.str.zfill(self.width)
            p = self.index.get_indexer(cand)
            floaty[np.flatnonzero(has)[p >= 0]] = True
            pos[np.flatnonzero(has)[p >= 0]] = p[p >= 0]
        return padded, floaty, pos

    def report_recovered(self, raw: pd.Series, padded: np.ndarray, floaty: np.ndarray,
                         pos: np.ndarray, lines: np.ndarray, column: str) -> None:
        ids = self.index.to_numpy()
        if padded.any():
            idx = np.flatnonzero(padded)
            items = [(int(lines[i]) + 1, column, f"{_show(raw.iloc[i])} for case {ids[pos[i]]!r}")
                     for i in idx[:MAX_EXAMPLES]]
            self.rep.examples(
                "id-zero-padding", len(idx), items,
                "the id lost its leading zeros",
                "{n} ids in total lost their leading zeros",
                expected=f"{self.width}-character zero-padded ids (e.g. {ids[0]!r})",
                fix="write the ids as zero-padded text (pandas: read them with dtype=str; "
                "spreadsheets: format the column as text)",
                column=column,
            )
        if floaty.any():
            idx = np.flatnonzero(floaty)
            items = [(int(lines[i]) + 1, column, f"{_show(raw.iloc[i])} for case {ids[pos[i]]!r}")
                     for i in idx[:MAX_EXAMPLES]]
            self.rep.examples(
                "id-as-number", len(idx), items,
                "the id was written as a number",
                "{n} ids in total were written as numbers",
                expected=f"ids as text (e.g. {ids[0]!r})",
                fix="write the ids as text, not as floating-point numbers (pandas: dtype=str)",
                column=column,
            )

    def report_unknown(self, raw: pd.Series, mask: np.ndarray, lines: np.ndarray, column: str,
                       what: str = "id") -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        pattern = self.task.id_pattern
        items = []
        for i in idx[:MAX_EXAMPLES]:
            v = str(raw.iloc[i])
            note = ""
            if pattern and not re.fullmatch(pattern, v):
                note = f" (does not match the id pattern {pattern})"
            items.append((int(lines[i]) + 1, column, _show(v) + note))
        hint = ""
        if pattern:
            s = raw.iloc[idx].astype(str)
            nomatch = int((~s.str.fullmatch(pattern)).sum())
            if nomatch:
                hint = f"; {_plural(nomatch, 'of them does', 'of them do')} not match {pattern}"
        ex = self.index[0] if len(self.index) else ""
        self.rep.examples(
            "unknown-id", len(idx), items,
            f"the {what} is not a case of {self.where()}",
            "{n} " + f"unknown {what}s in total{hint}",
            expected=f"an id of the split (e.g. {ex!r})",
            fix=f"remove rows of cases outside the split and check the id column {column!r}",
            column=column,
        )

    def report_duplicates(self, keys: np.ndarray, lines: np.ndarray, raw: pd.Series, column: str,
                          what: str) -> None:
        valid = keys >= 0
        if not valid.any():
            return
        sk = pd.Series(keys[valid])
        dup = sk.duplicated(keep="first").to_numpy()
        if not dup.any():
            return
        vidx = np.flatnonzero(valid)
        didx = vidx[dup]
        items = []
        for i in didx[:MAX_EXAMPLES]:
            first = vidx[np.flatnonzero(keys[vidx] == keys[i])[0]]
            items.append((int(lines[i]) + 1, column,
                          f"{_show(raw.iloc[i])} (first on line {int(lines[first]) + 1})"))
        self.rep.examples(
            "duplicate-id", len(didx), items,
            f"the {what} appears more than once",
            "{n} " + f"duplicate {what} rows in total",
            expected=f"one row per {what}",
            fix="keep exactly one row per id",
            column=column,
        )

    def report_missing(self, missing: np.ndarray, column: str) -> None:
        idx = np.flatnonzero(missing)
        if not len(idx):
            return
        ids = self.index.to_numpy()
        listed = ", ".join(repr(str(ids[i])) for i in idx[:MAX_LISTED_IDS])
        more = f" and {len(idx) - MAX_LISTED_IDS:,} more" if len(idx) > MAX_LISTED_IDS else ""
        self.rep.add(
            "missing-ids",
            f"{_plural(len(idx), 'case')} of {self.where()} "
            f"{'has' if len(idx) == 1 else 'have'} no row",
            column=column,
            expected=f"one row for each of the {len(ids):,} cases",
            found=f"missing: {listed}{more}",
            fix="add a row for every id of the public id list",
        )


def _strip_ids(raw: np.ndarray, row_lines: np.ndarray, lines: _Lines) -> tuple[pd.Series, np.ndarray]:
    """Stripped ids and a mask of ids that had spaces around them (checked only on lines with
    spaces or tabs)."""
    s = pd.Series(raw, dtype=object)
    ws = np.zeros(len(s), dtype=bool)
    has_space = lines.spaces[row_lines] > 0
    if has_space.any():
        idx = np.flatnonzero(has_space)
        sub = s.iloc[idx].astype(str)
        stripped = sub.str.strip()
        changed = (stripped != sub).to_numpy()
        ws[idx[changed]] = True
        s = s.copy()
        s.iloc[idx[changed]] = stripped[changed].to_numpy()
    return s, ws


# --------------------------------------------------------------------------------------------
# The pipeline
# --------------------------------------------------------------------------------------------
def read_submission(
    task: Task,
    path: PathLike,
    expected: PublicCases,
    format: Optional[str] = None,
    max_mb: Optional[float] = None,
    display_path: Optional[str] = None,
) -> Submission:
    """Read, validate and align a prediction file.

    Parameters
    ----------
    task : Task
        The task the file is submitted to.
    path : str or path-like
        The prediction file (CSV).
    expected : PublicCases
        The cases the submission must cover (:func:`benchmark.data.public.load_public`); messages are
        built from the file and these public ids only.
    format : str, optional
        Name of one of ``task.formats``; detected from the first line when omitted.
    max_mb : float, optional
        Size limit in MB (10**6 bytes); default ``task.limits.max_file_mb`` (200).
    display_path : str, optional
        How the file is named in problems and warnings (default: ``path`` as given). The
        leaderboard passes the path relative to the repository root so its output does not
        depend on where the repository is checked out.

    Returns
    -------
    Submission
        Scores aligned to ``expected.ids`` and ``task.targets``: float64 ``(n, k)`` for binary
        tasks, ``(n, k, c)`` for multi-class tasks.

    Raises
    ------
    SubmissionInvalid
        With every problem found (and the warnings). No other exception is raised for any file
        content.

    Examples
    --------
    >>> import tempfile, os
    >>> from benchmark.data.tasks import load_registry
    >>> task = load_registry().get("mrnet")
    >>> cases = PublicCases("mrnet", "demo", np.array(["1130", "1131"]), pd.DataFrame(index=["1130", "1131"]), "")
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "pred.csv")
    >>> _ = open(p, "w").write("case,abnormal,acl,meniscus\\n1131,0.2,0.1,0.3\\n1130,0.9,0.8,0.7\\n")
    >>> read_submission(task, p, cases).scores
    array([[0.9, 0.8, 0.7],
           [0.2, 0.1, 0.3]])
    """
    shown = str(path) if display_path is None else str(display_path)
    rep = _Report(shown)
    if format is not None and format not in {f.name for f in task.formats}:
        close = difflib.get_close_matches(format, [f.name for f in task.formats], n=1, cutoff=0.5)
        rep.add("unknown-format", f"task {task.id!r} has no submission format {format!r}"
                + (f"; did you mean {close[0]!r}?" if close else ""),
                expected=f"one of {_format_names(task)}", found=repr(format),
                fix="omit the format to detect it from the header, or name an accepted one")
        rep.fail()
    limit = float(max_mb) if max_mb is not None else float(
        getattr(task.limits, "max_file_mb", DEFAULT_MAX_MB) or DEFAULT_MAX_MB)
    raw = _read_bytes(Path(path), limit, rep)
    if raw is None:
        rep.fail()
    sha = hashlib.sha256(raw).hexdigest()
    data = _sniff(raw, rep)
    if data is None:
        rep.fail()
    del raw
    return _validate(task, data, sha, expected, format, rep, shown)


def read_submission_bytes(
    task: Task,
    raw: bytes,
    expected: PublicCases,
    format: Optional[str] = None,
    max_mb: Optional[float] = None,
    display_path: str = "predictions.csv",
) -> Submission:
    """:func:`read_submission` of content held in memory (a decrypted confidential file).

    Nothing is written to disk; problems name ``display_path``.

    Raises
    ------
    SubmissionInvalid
        As :func:`read_submission`.
    """
    rep = _Report(str(display_path))
    if format is not None and format not in {f.name for f in task.formats}:
        rep.add("unknown-format", f"task {task.id!r} has no submission format {format!r}",
                expected=f"one of {_format_names(task)}", found=repr(format),
                fix="omit the format to detect it from the header, or name an accepted one")
        rep.fail()
    limit_mb = float(max_mb) if max_mb is not None else float(
        getattr(task.limits, "max_file_mb", DEFAULT_MAX_MB) or DEFAULT_MAX_MB)
    if len(raw) > limit_mb * MB:
        rep.add("file-too-large", "the file is larger than the task allows",
                expected=f"at most {limit_mb:g} MB", found=f"{len(raw) / MB:,.1f} MB",
                fix="write each probability with at most 6 decimals and leave out extra columns")
        rep.fail()
    sha = hashlib.sha256(raw).hexdigest()
    data = _sniff(raw, rep)
    if data is None:
        rep.fail()
    return _validate(task, data, sha, expected, format, rep, str(display_path))


#: Longest first line (header) and column name read; a hostile header is refused before it is
#: split, matched against the expected names or echoed in a message.
MAX_HEADER_CHARS = 64 * 1024
MAX_COLUMN_NAME = 256


def _header_fits(task: Task, lines: "_Lines", first: int, rep: _Report) -> bool:
    """Refuse, in time linear in the line, a first line too wide or too long to be a header."""
    max_cols = 4 * (len(task.targets) + len(task.classes) + 2) + 64
    n_fields = int(lines.fields[first])
    length = int(lines.ends[first] - lines.starts[first])
    if n_fields > max_cols:
        rep.add("too-many-columns", "the first line has far more columns than any format of the task",
                line=first + 1, expected=f"at most {max_cols} columns", found=f"{n_fields:,} columns",
                fix=describe_formats(task))
        return False
    if length > MAX_HEADER_CHARS:
        rep.add("header-too-long", "the first line is too long to be a header or a row",
                line=first + 1, expected=f"at most {MAX_HEADER_CHARS:,} characters",
                found=f"{length:,} characters", fix=describe_formats(task))
        return False
    longest = max((len(f) for f in lines.split(first)), default=0)
    if longest > MAX_COLUMN_NAME:
        rep.add("column-name-too-long", "a column name (or first-row value) is too long",
                line=first + 1, expected=f"at most {MAX_COLUMN_NAME} characters per column",
                found=f"a column of {longest:,} characters", fix=describe_formats(task))
        return False
    return True


def _validate(task: Task, data: bytes, sha: str, expected: PublicCases, fmt_name: Optional[str],
              rep: _Report, path: str) -> Submission:
    lines = _Lines(data)
    content = ~(lines.blank | lines.comment)
    if not content.any():
        rep.add("no-content", "the file holds no data: only blank or comment lines",
                expected="a header row and one row per case", fix=describe_formats(task))
        rep.fail()
    exp_ids = np.asarray(expected.ids).astype(str)
    index = pd.Index(exp_ids, dtype=object)
    if not index.is_unique:
        raise ValueError("the expected public ids must be distinct")
    expected_set = set(exp_ids.tolist())
    width = _digit_width(exp_ids)
    first = int(np.flatnonzero(content)[0])
    if not _header_fits(task, lines, first, rep):
        rep.fail()
    layout = _resolve_layout(task, fmt_name, lines, first, expected_set, width, rep)
    if layout is None:
        rep.fail()
    fmt = layout.fmt
    k = len(task.targets)
    c = len(task.classes) if task.kind == "multiclass" else 1

    # Columns.
    if fmt.layout == "headerless":
        ncols = len(layout.columns)
        mapping = {name: i for i, name in enumerate(layout.columns)}
        data_from = first
    else:
        raw_fields = lines.split(first)
        mapping = _check_header(task, layout, raw_fields, rep)
        ncols = len(layout.columns)
        data_from = first + 1
    id_col = fmt.id_column if fmt.layout != "headerless" else None
    id_pos = mapping.get(id_col) if id_col else None
    if fmt.layout == "long":
        value_names = list(fmt.value_columns or [])
    else:
        value_names = _value_slots(task, fmt)
    value_cols = [(n, mapping[n]) for n in value_names if n in mapping]

    # Rows: structure.
    rows_mask = content.copy()
    rows_mask[:data_from] = False
    bad_q = rows_mask & lines.bad_quotes
    wrong = rows_mask & ~bad_q & (lines.fields != ncols)
    if bad_q.any():
        idx = np.flatnonzero(bad_q)
        rep.examples("malformed-quotes", len(idx),
                     [(i + 1, None, _show(lines.text(i))) for i in idx[:MAX_EXAMPLES]],
                     "the line has unbalanced or misplaced double quotes",
                     "{n} lines in total have unbalanced or misplaced double quotes",
                     fix='enclose whole fields in double quotes ("...") and write a quote inside '
                     'a quoted field as ""')
    if wrong.any():
        _report_field_counts(lines, np.flatnonzero(wrong), ncols, layout, id_pos,
                             len(value_cols), rep)
    keep = rows_mask & ~bad_q & ~wrong
    dropped = np.flatnonzero(rows_mask & ~keep)
    row_lines = np.flatnonzero(keep)
    n_rows = int(rows_mask.sum())
    if n_rows == 0:
        rep.add("no-rows", "the file has a header but no data rows",
                expected=f"one row per case ({len(exp_ids):,} cases)",
                fix="write the predictions below the header")
        rep.fail()

    body = lines.body(keep)
    if lines.quoted_commas == 0 and b'"' in body and b'""' not in body:
        # Quotes only wrap whole fields (every kept line is well quoted) and no quoted field
        # holds a comma or an escaped quote: dropping them leaves the same fields, and the
        # C parser is much faster on unquoted text.
        body = body.replace(b'"', b"")
    float_cols = [p for _, p in value_cols]
    usecols = float_cols + ([id_pos] if id_pos is not None else [])
    df, numeric = _parse_frame(body, ncols, usecols, float_cols, len(row_lines))
    del body
    values, values_ok = _check_values(df, numeric, value_cols, row_lines, rep, lines, task.kind)
    if task.kind == "multiclass":
        _check_class_rows(task, fmt, values, row_lines, df, id_pos, rep)

    # Ids and alignment.
    n = len(exp_ids)
    ids_ck = _IdCheck(task, expected, rep, index, width, id_col or task.id_column)
    if fmt.layout == "headerless":
        if n_rows != n:
            rep.add("row-count", f"the file has {_plural(n_rows, 'data row')}; format "
                    f"{fmt.name!r} needs exactly one row per case, in ascending case-id order",
                    expected=f"{n:,} rows", found=f"{n_rows:,} rows",
                    fix="write one row for every case of the public id list, sorted by case id")
        rep.add("row-order", f"format {fmt.name!r} has no id column: rows were matched to cases "
                "by position (ascending case id)", warning=True,
                fix="prefer a format with an id column")
        if rep.problems:
            rep.fail()
        perm = _ascending(exp_ids)  # file row r holds case perm[r]
        scores = np.empty((n, k, c), dtype=np.float64)
        for j, name in enumerate(value_names):
            t, cl = divmod(j, c)
            scores[perm, t, cl] = values[name]
    elif id_pos is None:
        rep.fail()
    else:
        raw_ids = df[id_pos].to_numpy(dtype=object)
        if fmt.layout == "wide":
            scores = _align_wide(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values,
                                 value_names, ids_ck, c)
        else:
            scores = _align_long(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values,
                                 value_names, ids_ck, c)
    if rep.problems or scores is None:
        rep.fail()
    if not values_ok or not np.isfinite(scores).all():  # defensive: every cell was checked above
        rep.add("not-a-number", "some values could not be read as numbers",
                fix="write a probability in [0, 1] in every cell")
        rep.fail()
    if task.kind == "binary":
        scores = scores[:, :, 0]
        _check_hard_predictions(task, scores, rep)
    return Submission(
        task_id=task.id,
        format=fmt.name,
        path=path,
        sha256=sha,
        ids=exp_ids.copy(),
        scores=np.ascontiguousarray(scores, dtype=np.float64),
        warnings=list(rep.warnings),
        n_rows=n_rows,
    )


def _ascending(ids: np.ndarray) -> np.ndarray:
    """Expected positions in ascending case-id order (numeric when every id is digits).

    ``perm[r]`` is the position in ``ids`` of the ``r``-th smallest id: the case that row ``r``
    of a headerless file belongs to.
    """
    ids = [str(x) for x in ids]
    if ids and all(x.isdigit() for x in ids):
        return np.array(sorted(range(len(ids)), key=lambda i: (int(ids[i]), ids[i])), dtype=np.int64)
    return np.array(sorted(range(len(ids)), key=lambda i: ids[i]), dtype=np.int64)


def _check_class_rows(task: Task, fmt: FormatDecl, values: dict, row_lines: np.ndarray,
                      df: pd.DataFrame, id_pos: Optional[int], rep: _Report) -> None:
    """Row-level checks of class probabilities, in file order (before ids are matched)."""
    c = len(task.classes)
    m = len(row_lines)
    if fmt.layout == "long":
        names = list(fmt.value_columns or [])
        if not all(nm in values for nm in names):
            return

        def label(i: int) -> str:
            return _show(df[id_pos].iloc[int(i)]) if id_pos is not None else f"row {int(i) + 1}"

        _multiclass_rows(np.column_stack([values[nm] for nm in names]), row_lines, label, rep, None)
        return
    targets = [t for t in task.targets
               if all(f"{t}{fmt.separator}{cl}" in values for cl in task.classes)]
    if not targets:
        return
    v = np.stack([np.column_stack([values[f"{t}{fmt.separator}{cl}"] for cl in task.classes])
                  for t in targets], axis=1).reshape(m * len(targets), c)
    kk = len(targets)

    def label2(i: int) -> str:
        r, t = divmod(int(i), kk)
        who = _show(df[id_pos].iloc[r]) + " " if id_pos is not None else ""
        return f"{who}{targets[t]}"

    _multiclass_rows(v, np.repeat(row_lines, kk), label2, rep, None)


def _report_field_counts(lines: _Lines, idx: np.ndarray, ncols: int, layout: _Layout,
                         id_pos: Optional[int], n_values: int, rep: _Report) -> None:
    cols = ",".join(layout.columns) if layout.header_line is not None else None
    expected = (f"{ncols} fields like the header `{cols}`" if cols is not None and len(cols) <= 200
                else f"{ncols} fields")
    items = []
    hint_any = ""
    for i in idx[:MAX_EXAMPLES]:
        text = lines.text(int(i))
        nf = int(lines.fields[i])
        hint = ""
        if nf == 1:
            alt = _detect_delimiter(text)
            if alt is not None:
                hint = f"; the fields seem separated by {alt[0]}"
        elif nf > ncols and '"' not in text:
            toks = text.split(",")
            vals = [t for j, t in enumerate(toks) if j != (id_pos if id_pos is not None else -1)]
            ints = [bool(_INT_TOKEN_RE.match(t)) for t in vals]
            if any(a and b for a, b in zip(ints, ints[1:])):
                hint = "; the values seem to use a decimal comma (0,5 instead of 0.5)"
            else:
                hint = "; a field may hold an unquoted comma"
        hint_any = hint_any or hint
        items.append((int(i) + 1, None, f"{_plural(nf, 'field')}{hint}: {_show(text)}"))
    if "decimal comma" in hint_any:
        fix = "use '.' as the decimal separator (or quote each value containing a comma)"
    elif "separated by" in hint_any:
        fix = "separate all fields with commas"
    else:
        fix = f"write exactly {ncols} comma-separated fields on every line"
    rep.examples("field-count", len(idx), items, f"the line does not have {ncols} fields",
                 "{n} lines in total have the wrong number of fields", expected=expected, fix=fix)


def _multiclass_rows(v: np.ndarray, line_of: np.ndarray, label, rep: _Report,
                     column: Optional[str]) -> None:
    """Warn about rows of class probabilities ``v`` (m, c) that the scorer rescales.

    ``line_of[i]`` is the 0-based line of row ``i``; ``label(i)`` names it in messages. Rows
    with a bad cell were reported in stage 7 and rows with a value above 1 got a warning
    there. Of the other rows, one summing to 0 scores as 1/3 per class (every value is
    clipped up to the float64 epsilon, then the row is rescaled) and one whose sum differs
    from 1 is rescaled to sum to 1, as the competition's scorer did; both get a warning.
    """
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(v).all(axis=1) & (v >= 0).all(axis=1) & (v <= 1).all(axis=1)
        s = v.sum(axis=1)
    zero = valid & (s == 0)
    if zero.any():
        idx = np.flatnonzero(zero)
        rep.examples("zero-row", len(idx),
                     [(int(line_of[i]) + 1, column, label(i)) for i in idx[:MAX_EXAMPLES]],
                     "all class probabilities of the row are 0: as the competition's scorer "
                     "did, they are clipped to 2.2e-16 and the row scores as 1/3 per class",
                     "{n} rows in total have all class probabilities 0 and score as 1/3 per class",
                     expected="class probabilities summing to 1",
                     fix="give every row its class probabilities (summing to 1)",
                     column=column, warning=True)
    off = valid & (s > 0) & (np.abs(s - 1) > ROW_SUM_TOLERANCE)
    if off.any():
        idx = np.flatnonzero(off)
        rep.examples("row-sum", len(idx),
                     [(int(line_of[i]) + 1, column, f"{label(i)} sums to {s[i]:.6g}")
                      for i in idx[:MAX_EXAMPLES]],
                     "the class probabilities do not sum to 1; the class log losses rescale "
                     "the row to sum to 1, as the competition's scorer did (a metric of one "
                     "class alone uses its value as written)",
                     "{n} rows in total do not sum to 1 and are rescaled when scored",
                     expected="class probabilities summing to 1",
                     fix="normalise each row (divide by its sum)", column=column, warning=True)


def _align_wide(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values, value_names,
                ck: _IdCheck, c) -> Optional[np.ndarray]:
    n, k = len(ck.index), len(task.targets)
    col = fmt.id_column
    ids, ws = _strip_ids(raw_ids, row_lines, lines)
    if ws.any():
        idx = np.flatnonzero(ws)
        ck.rep.examples("id-whitespace", len(idx),
                        [(int(row_lines[i]) + 1, col, _show(raw_ids[i])) for i in idx[:MAX_EXAMPLES]],
                        "the id has spaces around it", "{n} ids in total have spaces around them",
                        expected="ids without spaces", fix="remove the spaces around the ids",
                        column=col)
    ids = ids.astype(str)
    empty = (ids == "").to_numpy()
    if empty.any():
        idx = np.flatnonzero(empty)
        ck.rep.examples("empty-id", len(idx), [(int(row_lines[i]) + 1, col, "''") for i in idx[:MAX_EXAMPLES]],
                        "the id is empty", "{n} rows in total have an empty id",
                        expected="a case id", fix=f"write the case id in column {col!r}", column=col)
    pos = ck.index.get_indexer(ids)
    unknown = (pos < 0) & ~empty
    if unknown.any():
        uidx = np.flatnonzero(unknown)
        padded, floaty, rpos = ck.recover(ids.iloc[uidx])
        P = np.zeros(len(ids), bool)
        F = np.zeros(len(ids), bool)
        R = np.full(len(ids), -1, np.int64)
        P[uidx], F[uidx], R[uidx] = padded, floaty, rpos
        ck.report_recovered(ids, P, F, R, row_lines, col)
        pos = np.where(R >= 0, R, pos)
        ck.report_unknown(ids, unknown & (R < 0), row_lines, col)
    ck.report_duplicates(pos, row_lines, ids, col, "case")
    present = np.zeros(n, dtype=bool)
    present[pos[pos >= 0]] = True
    if len(dropped):
        extra = ck.index.get_indexer(pd.Series(_ids_of_lines(lines, dropped, id_pos), dtype=object))
        present[extra[extra >= 0]] = True
    ck.report_missing(~present, col)
    if ck.rep.problems:
        return None
    scores = np.empty((n, k, c), dtype=np.float64)
    for j, name in enumerate(value_names):
        t, cl = divmod(j, c)
        scores[pos, t, cl] = values[name]
    return scores


def _align_long(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values, value_names,
                ck: _IdCheck, c) -> Optional[np.ndarray]:
    n, k = len(ck.index), len(task.targets)
    sep = fmt.separator
    col = fmt.id_column
    targets = list(task.targets)
    exp_ids = ck.index.to_numpy()
    ids, ws = _strip_ids(raw_ids, row_lines, lines)
    if ws.any():
        idx = np.flatnonzero(ws)
        ck.rep.examples("id-whitespace", len(idx),
                        [(int(row_lines[i]) + 1, col, _show(raw_ids[i])) for i in idx[:MAX_EXAMPLES]],
                        "the row id has spaces around it",
                        "{n} row ids in total have spaces around them",
                        expected="row ids without spaces", fix="remove the spaces around the row ids",
                        column=col)
    ids = ids.astype(str)
    empty = (ids == "").to_numpy()
    if empty.any():
        idx = np.flatnonzero(empty)
        ck.rep.examples("empty-id", len(idx), [(int(row_lines[i]) + 1, col, "''") for i in idx[:MAX_EXAMPLES]],
                        "the row id is empty", "{n} rows in total have an empty row id",
                        expected=f"`<{task.id_column}>{sep}<target>`",
                        fix=f"write the row id in column {col!r}", column=col)
    row_index = pd.Index([f"{i}{sep}{t}" for i in exp_ids for t in targets], dtype=object)
    pos = row_index.get_indexer(ids)
    unmatched = (pos < 0) & ~empty
    claimed = np.zeros(0, dtype=np.int64)
    if unmatched.any():
        pos, claimed = _diagnose_long(task, fmt, ids, unmatched, pos, row_lines, ck)
    ck.report_duplicates(pos, row_lines, ids, col, "row id")
    present = np.zeros(n * k, dtype=bool)
    present[pos[pos >= 0]] = True
    present[claimed] = True  # rows already reported with a misspelled target suffix
    if len(dropped):
        extra = row_index.get_indexer(pd.Series(_ids_of_lines(lines, dropped, id_pos), dtype=object))
        present[extra[extra >= 0]] = True
    present = present.reshape(n, k)
    any_row = present.any(axis=1)
    ck.report_missing(~any_row, col)
    for t, name in enumerate(targets):
        miss = any_row & ~present[:, t]
        if miss.any():
            idx = np.flatnonzero(miss)
            listed = ", ".join(repr(f"{exp_ids[i]}{sep}{name}") for i in idx[:MAX_EXAMPLES])
            more = f" and {len(idx) - MAX_EXAMPLES:,} more" if len(idx) > MAX_EXAMPLES else ""
            ck.rep.add(
                "missing-rows",
                f"{_plural(len(idx), 'case')} {'has' if len(idx) == 1 else 'have'} rows for other "
                f"targets but none for {name!r}",
                column=col,
                expected=f"{k} rows per case, one per target",
                found=f"missing: {listed}{more}",
                fix=f"add a row `<{task.id_column}>{sep}{name}` for every case",
            )
    if ck.rep.problems:
        return None
    scores = np.empty((n * k, c), dtype=np.float64)
    for cl, name in enumerate(value_names):
        scores[pos, cl] = values[name]
    return scores.reshape(n, k, c)


def _diagnose_long(task, fmt, ids: pd.Series, unmatched: np.ndarray, pos: np.ndarray,
                   row_lines: np.ndarray, ck: _IdCheck) -> tuple[np.ndarray, np.ndarray]:
    """Explain row ids that are not ``<case><sep><target>`` of the split; recover what can be.

    Returns the row positions (``case * k + target``; -1 when unknown) with recovered ids
    filled in, and the positions claimed by rows whose target suffix is a recognisable
    misspelling (already reported, so not reported again as missing).
    """
    sep = fmt.separator
    col = fmt.id_column
    k = len(task.targets)
    targets = list(task.targets)
    tindex = {t: i for i, t in enumerate(targets)}
    uidx = np.flatnonzero(unmatched)
    sub = ids.iloc[uidx].astype(str)
    exp_ids = ck.index.to_numpy()
    if not any(sep in str(i) for i in exp_ids[: min(len(exp_ids), 1000)]):
        parts = sub.str.partition(sep)
        case, has_sep, suffix = parts[0], (parts[1] != "").to_numpy(), parts[2]
    else:  # case ids contain the separator: take the longest known target suffix
        case_l, suf_l, has_l = [], [], []
        for rid in sub:
            hit = next((t for t in sorted(targets, key=len, reverse=True)
                        if rid.endswith(sep + t)), None)
            if hit is None:
                a, s_, b = rid.rpartition(sep)
                case_l.append(a if s_ else rid)
                suf_l.append(b if s_ else "")
                has_l.append(bool(s_))
            else:
                case_l.append(rid[: -len(sep + hit)])
                suf_l.append(hit)
                has_l.append(True)
        case = pd.Series(case_l, dtype=object)
        suffix = pd.Series(suf_l, dtype=object)
        has_sep = np.array(has_l, dtype=bool)
    case = case.reset_index(drop=True)
    suffix = suffix.reset_index(drop=True)
    tpos = suffix.map(tindex).to_numpy()
    t_known = pd.notna(tpos) & has_sep
    cpos = ck.index.get_indexer(case)
    c_known = cpos >= 0
    # Unknown case parts: try zero padding / numbers.
    padded, floaty, rpos = ck.recover(case)
    recovered = ~c_known & (rpos >= 0)
    cpos = np.where(recovered, rpos, cpos)
    lines_u = row_lines[uidx]
    ck.report_recovered(case, padded & recovered, floaty & recovered, rpos, lines_u, col)
    # No separator at all.
    nosep = ~has_sep
    if nosep.any():
        idx = np.flatnonzero(nosep)
        ck.rep.examples(
            "unknown-id", len(idx),
            [(int(lines_u[i]) + 1, col, _show(sub.iloc[i])) for i in idx[:MAX_EXAMPLES]],
            f"the row id is not of the form `<{task.id_column}>{sep}<target>`",
            "{n} " + f"row ids in total are not of the form `<{task.id_column}>{sep}<target>`",
            expected=f"e.g. {exp_ids[0] if len(exp_ids) else task.id_example}{sep}{targets[0]}",
            fix=f"write row ids as `<{task.id_column}>{sep}<target>` with target one of "
            f"{', '.join(targets[:8])}{', ...' if k > 8 else ''}",
            column=col,
        )
    # Unknown target suffix.
    badt = has_sep & ~t_known
    claimed: list[np.ndarray] = []
    if badt.any():
        idx = np.flatnonzero(badt)
        codes, distinct = pd.factorize(suffix.iloc[idx].to_numpy())
        low = {t.lower(): t for t in targets}
        # Suggestions for the most frequent distinct suffixes only (bounded work).
        freq = np.bincount(codes, minlength=len(distinct))
        ranked = sorted(range(len(distinct)), key=lambda j: (-freq[j], j))[:_MAX_SUFFIXES]
        reported = 0
        for j in sorted(ranked):
            sfx = str(distinct[j])
            guess = low.get(sfx.lower())
            if guess is None:
                close = difflib.get_close_matches(sfx.lower(), list(low), n=1, cutoff=0.6)
                guess = low[close[0]] if close else None
            where = idx[codes == j]
            if guess is not None:
                cp = cpos[where]
                claimed.append(cp[cp >= 0] * k + tindex[guess])
            if reported >= MAX_EXAMPLES:
                continue
            reported += 1
            ck.rep.add(
                "unknown-target",
                f"{_plural(len(where), 'row id')} {'ends' if len(where) == 1 else 'end'} in "
                f"the unknown target {sfx!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                line=int(lines_u[where[0]]) + 1,
                column=col,
                expected="a target of " + ", ".join(targets[:8]) + (", ..." if k > 8 else ""),
                found=_show(sub.iloc[where[0]]),
                fix=(f"rename the suffix {sfx!r} to {guess!r}" if guess
                     else "use one of the task's target names as the row id suffix"),
            )
        if len(distinct) > MAX_EXAMPLES:
            ck.rep.add("unknown-target", f"{len(distinct) - MAX_EXAMPLES:,} more unknown target "
                       f"suffixes ({_plural(len(idx), 'row')} with unknown targets in total)",
                       column=col, fix="use only the task's target names as suffixes")
    # Unknown case part (with a valid or invalid target).
    badc = has_sep & (cpos < 0)
    if badc.any():
        ck.report_unknown(case, badc, lines_u, col, what="case id")
    ok = t_known & (cpos >= 0)
    newpos = pos.copy()
    tp = np.where(ok, tpos, 0).astype(np.int64)
    newpos[uidx[ok]] = cpos[ok] * k + tp[ok]
    claimed_pos = np.concatenate(claimed).astype(np.int64) if claimed else np.zeros(0, np.int64)
    return newpos, claimed_pos


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def write_canonical(task: Task, submission: Submission, path: PathLike,
                    format: Optional[str] = None) -> Path:
    """Write a validated submission as a canonical CSV file.

    The file is written to a temporary file in the target folder and then renamed, so a reader
    never sees a half-written file. Floats are written with ``repr`` (shortest round-trip), so
    reading the file back gives identical arrays.

    Parameters
    ----------
    task : Task
    submission : Submission
        A submission returned by :func:`read_submission` for ``task``.
    path : str or path-like
        Destination file.
    format : str, optional
        Name of the format to write; default :func:`canonical_format` (``canonical`` when the
        task declares it, else its first format with a header row).

    Returns
    -------
    Path
        The written path.
    """
    fmt = task.format(format) if format else canonical_format(task)
    if submission.task_id != task.id:
        raise ValueError(
            f"submission is for task {submission.task_id!r}, not {task.id!r}."
        )
    ids = np.asarray(submission.ids).astype(str)
    n, k = len(ids), len(task.targets)
    c = len(task.classes) if task.kind == "multiclass" else 1
    scores = np.asarray(submission.scores, dtype=np.float64).reshape(n, k, c)
    rows: list[str]
    if fmt.layout == "long":
        header = expected_header(task, fmt)
        flat = scores.reshape(n * k, c)
        rid = [f"{i}{fmt.separator}{t}" for i in ids for t in task.targets]
        cols = [[repr(float(x)) for x in flat[:, j]] for j in range(c)]
        rows = [",".join(parts) for parts in zip(rid, *cols)]
    elif fmt.layout == "wide":
        header = expected_header(task, fmt)
        flat = scores.reshape(n, k * c)
        cols = [[repr(float(x)) for x in flat[:, j]] for j in range(k * c)]
        rows = [",".join(parts) for parts in zip(ids.tolist(), *cols)]
    else:
        header = None
        perm = _ascending(ids)
        flat = scores.reshape(n, k * c)[perm]
        rows = [",".join(repr(float(x)) for x in r) for r in flat]
    text = ("" if header is None else ",".join(header) + "\n") + "".join(r + "\n" for r in rows)
    return atomic_write_text(path, text)
