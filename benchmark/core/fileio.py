"""Atomic file writes: nothing already written is lost or left half-written.

Every file the harness writes (results, site pages, split files, reader studies, canonical
submissions) goes through these two functions: the content is written to a temporary file in
the target folder, flushed, and then moved over the target with :func:`os.replace`, which is
atomic on POSIX file systems. A crash leaves either the old file or the new one.

The new file gets the permissions an ordinary ``open(path, "w")`` would give it: those of the
file it replaces, else ``0o666`` less the process umask (a temporary file alone would be
``0o600`` whatever the umask).
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text"]

_UMASK_LOCK = threading.Lock()


def _new_file_mode(path: Path) -> int:
    """Mode for ``path``: that of the file being replaced, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        pass
    with _UMASK_LOCK:  # reading the umask means setting it; keep the two calls together
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: os.PathLike, data: bytes, fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (parent folders are created).

    With ``fsync=True`` the data is also flushed to the storage device before the rename, so
    the new content survives a power loss (the append-only ledger does this for every record).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "sub" / "a.bin"
    >>> _ = atomic_write_bytes(p, b"abc"); p.read_bytes()
    b'abc'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _new_file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # POSIX; elsewhere the platform default applies
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_write_text(path: os.PathLike, text: str, fsync: bool = False) -> Path:
    """Write ``text`` as UTF-8, line endings as they are in ``text``, atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)
