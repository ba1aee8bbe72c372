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

import contextlib
import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

try:  # POSIX advisory locks; absent on Windows, where appends are still single writes
    import fcntl
except ImportError:  # pragma: no cover - exercised on non-POSIX systems only
    fcntl = None

from .git import git
from ..core.errors import HostError

__all__ = [
    "FileLedgerStore",
    "GitLedgerStore",
    "Ledger",
    "LedgerConflict",
    "LedgerRead",
    "LEDGER_NAME",
    "Transaction",
    "record_checksum",
]

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
        return _parse(raw)


# -- transactions: an atomic check-and-append -----------------------------------------------------
class LedgerConflict(HostError):
    """The ledger changed between reading it and appending to it; grade again."""


class _HostLock:
    """An exclusive ``flock`` on a lock file, held for the life of a transaction."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: Optional[int] = None

    def __enter__(self):
        if fcntl is None:  # pragma: no cover - non-POSIX: the compare-and-swap still holds
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise HostError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        return False


class Transaction:
    """Read the ledger, decide, then append: :meth:`commit` fails if someone appended since.

    Attributes
    ----------
    read : LedgerRead
        The ledger as it was when the transaction began.
    """

    def __init__(self, store, read: LedgerRead, token):
        self._store = store
        self.read = read
        self._token = token

    @property
    def records(self) -> list[dict]:
        return self.read.records

    def commit(self, records: list[Mapping[str, Any]]) -> list[dict]:
        """Append ``records`` atomically; raise :class:`LedgerConflict` if the ledger moved."""
        return self._store._commit(self._token, records)


def _lines(records: list[Mapping[str, Any]]) -> tuple[bytes, list[dict]]:
    out, written = [], []
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    for record in records:
        rec = dict(record)
        rec.pop("checksum", None)
        rec.setdefault("recorded_at", now)
        try:
            rec["checksum"] = record_checksum(rec)
            out.append((_canonical(rec) + "\n").encode("ascii"))
        except (TypeError, ValueError) as exc:
            raise HostError(f"ledger record is not JSON-serialisable: {exc}") from None
        written.append(rec)
    return b"".join(out), written


def _parse(raw: bytes) -> LedgerRead:
    parts = raw.split(b"\n")
    tail = parts.pop()
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


class FileLedgerStore:
    """Transactions on a :class:`Ledger` file: a host lock held from read to append.

    The lock (``<ledger>.lock``) serialises gradings on one host; the file's size at the start
    is the compare-and-swap token, so an append by a writer that ignores the lock is still
    detected.
    """

    def __init__(self, location, lock: bool = True):
        self.ledger = Ledger(location)
        self.lock = lock

    @contextlib.contextmanager
    def transaction(self):
        lock = _HostLock(self.ledger.path.with_name(self.ledger.path.name + ".lock")) if self.lock else contextlib.nullcontext()
        with lock:
            try:
                size = self.ledger.path.stat().st_size
            except FileNotFoundError:
                size = -1
            yield Transaction(self, self.ledger.read(), size)

    def _commit(self, size: int, records):
        try:
            now = self.ledger.path.stat().st_size
        except FileNotFoundError:
            now = -1
        if now != size:
            raise LedgerConflict(f"the ledger {self.ledger.path} changed during the grading")
        return [self.ledger.append(r) for r in records]


class GitLedgerStore:
    """Transactions on ``ledger.jsonl`` at the tip of a git ref (e.g. ``refs/heads/ledger``).

    Reading takes the ref's commit; committing writes a new commit whose parent is that commit
    and moves the ref with ``git update-ref <ref> <new> <old>``, which git performs only if the
    ref still points at ``<old>`` (a compare-and-swap under git's own ref lock). Pushing the ref
    to the repository's ``ledger`` branch is a second compare-and-swap: a push that is not a
    fast-forward is refused. A host lock (in the git folder) also serialises gradings on one
    machine, so they do not waste work on conflicts.
    """

    FILE = LEDGER_NAME
    AUTHOR = {"GIT_AUTHOR_NAME": "benchmark grader", "GIT_AUTHOR_EMAIL": "grader@localhost",
              "GIT_COMMITTER_NAME": "benchmark grader", "GIT_COMMITTER_EMAIL": "grader@localhost"}

    def __init__(self, repo, ref: str = "refs/heads/ledger", lock: bool = True):
        if not ref.startswith("refs/") or any(c in ref for c in " ~^:?*[\\") or ".." in ref:
            raise HostError(f"the ledger ref must be a full ref name such as refs/heads/ledger. Got {ref!r} instead.")
        self.repo = Path(repo)
        self.ref = ref
        self.lock = lock
        self._git = git

    def _tip(self) -> Optional[str]:
        p = self._git(self.repo, "rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}",
                      binary=True, ok_codes=(0, 1, 128))
        return p.stdout.decode().strip() if p.returncode == 0 else None

    def _content(self, tip: Optional[str]) -> bytes:
        if tip is None:
            return b""
        p = self._git(self.repo, "cat-file", "blob", f"{tip}:{self.FILE}", binary=True, ok_codes=(0, 128))
        return p.stdout if p.returncode == 0 else b""

    @contextlib.contextmanager
    def transaction(self):
        gitdir = self._git(self.repo, "rev-parse", "--git-common-dir").strip()
        lockfile = (self.repo / gitdir if not os.path.isabs(gitdir) else Path(gitdir)) / "benchmark-ledger.lock"
        lock = _HostLock(lockfile) if self.lock else contextlib.nullcontext()
        with lock:
            tip = self._tip()
            content = self._content(tip)
            yield Transaction(self, _parse(content), (tip, content))

    def _commit(self, token, records):
        tip, content = token
        data, written = _lines(records)
        if content and not content.endswith(b"\n"):
            content += b"\n"
        blob = self._git(self.repo, "hash-object", "-w", "--stdin", input=content + data).strip()
        tree = self._git(self.repo, "mktree", input=f"100644 blob {blob}\t{self.FILE}\n".encode()).strip()
        parents = ["-p", tip] if tip else []
        commit = self._git(self.repo, "commit-tree", tree, *parents, "-m",
                           f"ledger: {len(written)} graded submission(s)", env=self.AUTHOR).strip()
        old = tip or "0" * 40
        p = self._git(self.repo, "update-ref", "-m", "benchmark ledger", self.ref, commit, old,
                      binary=True, ok_codes=(0, 1, 128))
        if p.returncode != 0:
            raise LedgerConflict(f"the ledger ref {self.ref} moved during the grading")
        return written
