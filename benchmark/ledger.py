"""Append-only ledger of graded submissions (``ledger.jsonl``).

Every grading appends one JSON object per submission (who, which file hash, when, what was
shown) as one line. Lines are never rewritten:

* a record is appended with a single ``write`` of the complete line (``O_APPEND``), under an
  exclusive ``flock``, followed by ``fsync``; a new ledger file also has its folder synced;
* each line carries ``checksum``, the sha256 of the record's canonical JSON without that key,
  so a damaged line is recognised;
* a crash in the middle of a write can only leave a partial *last* line without its newline.
  :meth:`Ledger.read` ignores it and reports it to the host; the next :meth:`Ledger.append`
  first ends it with a newline (in the same single write), so the damaged fragment stays
  behind as one unreadable line and every complete record before and after it is intact.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> led = Ledger(d)
>>> _ = led.append({"task": "mrnet", "team": "lab-a"})
>>> [r["team"] for r in led.read().records]
['lab-a']
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

try:  # POSIX advisory locks; absent on Windows, where appends are still single writes
    import fcntl
except ImportError:  # pragma: no cover - exercised on non-POSIX systems only
    fcntl = None

from .errors import HostError

__all__ = ["Ledger", "LedgerRead", "LEDGER_NAME", "record_checksum"]

LEDGER_NAME = "ledger.jsonl"


def _canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def record_checksum(record: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``record`` without its ``checksum`` key."""
    body = {k: v for k, v in record.items() if k != "checksum"}
    return hashlib.sha256(_canonical(body).encode("ascii")).hexdigest()


@dataclass(frozen=True)
class LedgerRead:
    """What :meth:`Ledger.read` found.

    Attributes
    ----------
    records : list of dict
        Every intact record, in file order.
    damaged : list of int
        1-based line numbers of complete lines that are not valid records (bad JSON or a
        checksum that does not match).
    partial_tail : bool
        The file ends with an incomplete line (a write was interrupted); it was ignored.
    """

    records: list[dict] = field(default_factory=list)
    damaged: list[int] = field(default_factory=list)
    partial_tail: bool = False

    def host_notes(self) -> list[str]:
        """Sentences for the maintainer about ignored lines (empty when the ledger is clean)."""
        notes = []
        if self.damaged:
            notes.append(
                f"ledger: ignored {len(self.damaged)} damaged line(s) (line "
                + ", ".join(str(n) for n in self.damaged[:10])
                + (", ..." if len(self.damaged) > 10 else "")
                + ")"
            )
        if self.partial_tail:
            notes.append("ledger: ignored an incomplete last line left by an interrupted write")
        return notes


class Ledger:
    """An append-only JSON-lines ledger.

    Parameters
    ----------
    location : path-like
        The ledger file, or a folder that holds (or will hold) ``ledger.jsonl``.
    """

    def __init__(self, location: os.PathLike | str):
        p = Path(location)
        self.path = p if p.suffix == ".jsonl" else p / LEDGER_NAME

    def append(self, record: Mapping[str, Any]) -> dict:
        """Append one record; return it as written (with ``recorded_at`` and ``checksum``).

        Parameters
        ----------
        record : mapping
            JSON-serialisable values; ``recorded_at`` (UTC, ISO 8601) is added when absent.

        Returns
        -------
        dict

        Raises
        ------
        HostError
            When the record is not JSON-serialisable or the file cannot be written.
        """
        rec = dict(record)
        rec.pop("checksum", None)
        rec.setdefault(
            "recorded_at",
            _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        )
        try:
            rec["checksum"] = record_checksum(rec)
            line = (_canonical(rec) + "\n").encode("ascii")
        except (TypeError, ValueError) as exc:
            raise HostError(f"ledger record is not JSON-serialisable: {exc}") from None
        created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise HostError(f"cannot open the ledger {self.path}: {exc.strerror or exc}") from None
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            data = line
            if size > 0:
                with open(self.path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        data = b"\n" + line  # end an interrupted line; still one write
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(f"short write ({written} of {len(data)} bytes)")
            os.fsync(fd)
        except OSError as exc:
            raise HostError(f"cannot append to the ledger {self.path}: {getattr(exc, 'strerror', None) or exc}") from None
        finally:
            os.close(fd)
        if created:
            self._sync_dir()
        return rec

    def _sync_dir(self) -> None:
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)

    def read(self) -> LedgerRead:
        """Read every intact record; damaged and incomplete lines are skipped and counted.

        Returns
        -------
        LedgerRead
            Empty when the ledger does not exist yet.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return LedgerRead()
        except OSError as exc:
            raise HostError(f"cannot read the ledger {self.path}: {exc.strerror or exc}") from None
        parts = raw.split(b"\n")
        tail = parts.pop()  # bytes after the last newline: empty unless a write was cut short
        records, damaged = [], []
        for i, part in enumerate(parts, start=1):
            if not part.strip():
                continue
            try:
                rec = json.loads(part.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                damaged.append(i)
                continue
            if not isinstance(rec, dict) or rec.get("checksum") != record_checksum(rec):
                damaged.append(i)
                continue
            records.append(rec)
        return LedgerRead(records, damaged, bool(tail.strip()))
