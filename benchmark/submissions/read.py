"""Reading a prediction file safely: size before content, bytes recognised, text split into lines.

The file's size is checked before it is opened; compressed files, archives, spreadsheets, UTF-16
and text that is not UTF-8 are named from their first bytes; :class:`Lines` maps the physical
lines on the bytes with numpy, so every line number is the one an editor shows; the body is
parsed by pandas with exact float parsing.
"""

from __future__ import annotations

import io
import re
import warnings as _warnings
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from .collect import ProblemReport

__all__ = ["DECIMAL_COMMA_RE", "DEFAULT_MAX_MB", "detect_delimiter", "EXACT_FLOATS", "ids_of_lines", "Lines", "MB", "parse_frame", "read_bytes", "sniff"]

#: One megabyte, as used by ``limits.max_file_mb`` and ``max_mb``.
MB = 1_000_000
DEFAULT_MAX_MB = 200.0
DECIMAL_COMMA_RE = re.compile(r"^\s*[+-]?\d*,\d+\s*$")
_FIELD_RE = re.compile(r'"([^"]*(?:""[^"]*)*)"|([^",]*)')


def read_bytes(path: Path, limit_mb: float, rep: ProblemReport) -> Optional[bytes]:
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


def sniff(data: bytes, rep: ProblemReport) -> Optional[bytes]:
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


class Lines:
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


def detect_delimiter(text: str) -> Optional[tuple[str, Optional[str]]]:
    """Another field separator a comma-less line seems to use: ``(name, separator)``
    (separator ``None`` for runs of spaces), or ``None``."""
    for name, sep in (("';'", ";"), ("tab", "\t"), ("'|'", "|")):
        if sep in text:
            return name, sep
    if len(text.split()) >= 2:
        return "spaces", None
    return None


# pandas 2's default float parser rounds about a third of 17-digit decimals one ulp off;
# "round_trip" parses exactly (as Python's float does). pandas 3 parses exactly by default and
# deprecates the option.
EXACT_FLOATS = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


def parse_frame(body: bytes, ncols: int, usecols: Sequence[int], float_cols: Sequence[int],
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
                df = pd.read_csv(io.BytesIO(body), dtype=dtype, **common, **EXACT_FLOATS)
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


def ids_of_lines(lines: Lines, idx: np.ndarray, pos: int) -> list[str]:
    """The id field of lines that were not parsed (wrong field count), so that their cases
    are not reported missing on top of the line's own problem."""
    out = []
    for i in idx:
        f = lines.split(int(i))
        if len(f) == 1:
            alt = detect_delimiter(f[0])
            if alt is not None:
                f = f[0].split(alt[1])
        out.append(f[pos].strip() if pos < len(f) else "")
    return out
