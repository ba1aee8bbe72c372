"""The fingerprint of the harness's own source code."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

__all__ = ["source_fingerprint"]

_FINGERPRINT: Optional[str] = None


def source_fingerprint() -> str:
    """sha256 of every ``.py`` file under the ``benchmark`` package, in path order.

    Names and bytes both count, so any change to the code changes it. Part of the result
    cache's key (a change to the code invalidates cached results even when the version number
    was not raised), and compared between this process and the workers of a cluster.
    """
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.sha256()
        pkg = Path(__file__).resolve().parents[1]  # the benchmark package
        for f in sorted(pkg.rglob("*.py")):
            h.update(f.relative_to(pkg).as_posix().encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT
