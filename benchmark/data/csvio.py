"""Reading the small CSV files of a task: public id lists, label files, case lists.

Every file is read as text (UTF-8, an optional byte-order mark), leading ``#`` lines are
comments (the synthetic files say so there) and every cell stays a string, so ids such as
``0130`` keep their zeros. Failures are :class:`~benchmark.core.errors.LabelError` (host
errors, for the maintainer).
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd

from ..core.errors import LabelError

__all__ = ["SYNTHETIC_MARK", "is_synthetic", "read_csv_str", "read_text", "sha256_file"]

#: A label file whose leading comment lines hold this word is synthetic.
SYNTHETIC_MARK = "SYNTHETIC"


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_text(path: Path) -> str:
    """A file's text (UTF-8, byte-order mark dropped)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise LabelError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError(f"{path} is not UTF-8 text.") from None


def read_csv_str(path: Path, header="infer") -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV as strings, returning the frame and its leading ``#`` comment lines.

    ``header=None`` reads a file without a header row (columns numbered from 0).
    """
    text = read_text(path)
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


def is_synthetic(comments: list[str]) -> bool:
    """Does a file's comment block mark it synthetic?"""
    return any(SYNTHETIC_MARK in c.upper() for c in comments)
