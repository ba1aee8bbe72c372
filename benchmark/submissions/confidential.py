"""Confidential predictions: submissions encrypted to the benchmark's public key.

A task with ``confidential_predictions = true`` and a ``[confidential] recipient = "age1..."``
table takes ``predictions.csv.age`` instead of ``predictions.csv``: the plain CSV encrypted in
the age format (age-encryption.org/v1, X25519 recipients) to the benchmark's public key. The
repository then holds no readable predictions, so nobody but the grader can pair a published
curve with case scores.

Why age: it is a small, specified, widely implemented format (the ``age`` command in Debian and
Homebrew, rage, the Go library, ``pyrage`` in Python) with one recipient type and no options to
get wrong, so a participant can encrypt without this tool::

    age -r age1... -o predictions.csv.age predictions.csv

Here ``pyrage`` (bindings to the rage implementation) does the work; it is an optional extra
(``pip install 'imaging-benchmark-harness[confidential]'``) needed only to prepare or grade such submissions.

Where the plaintext goes: :func:`decrypt` returns bytes; the grader validates and scores them in
memory (:func:`benchmark.submissions.submission.read_submission_bytes`) and never writes them anywhere.
``submission.toml`` records the plaintext's sha256 (``predictions_sha256``), which the grader
checks after decrypting, so a participant can prove later which file was graded.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Optional

from ..core.errors import HostError, Problem, UsageError

__all__ = [
    "AGE_HEADER",
    "ENCRYPTED",
    "IDENTITY_ENV",
    "check_ciphertext",
    "decrypt",
    "encrypt",
    "identity_recipient",
    "load_identities",
    "load_identity",
    "read_prediction_file",
    "resolve_identity",
]

#: File name of an encrypted prediction file inside a submission folder.
ENCRYPTED = "predictions.csv.age"
#: First line of every age file (age-encryption.org/v1).
AGE_HEADER = b"age-encryption.org/v1\n"
#: Environment variable naming the grader's secret key file (an age identity file).
IDENTITY_ENV = "BENCHMARK_AGE_IDENTITY"
_SECRET_RE = re.compile(r"^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$")
_STANZA_RE = re.compile(rb"^-> X25519 [A-Za-z0-9+/]{43}$")


def _pyrage():
    try:
        import pyrage
    except ImportError:
        raise UsageError(
            "confidential predictions need the age library pyrage: "
            "pip install 'imaging-benchmark-harness[confidential]' (or pip install pyrage)."
        ) from None
    return pyrage


def encrypt(plaintext: bytes, recipient: str) -> bytes:
    """Encrypt ``plaintext`` to one age X25519 ``recipient`` (binary age format).

    Examples
    --------
    >>> from pyrage import x25519
    >>> key = x25519.Identity.generate()
    >>> box = encrypt(b"case,a\\n", str(key.to_public()))
    >>> box.startswith(AGE_HEADER), decrypt(box, key) == b"case,a\\n"
    (True, True)
    """
    pyrage = _pyrage()
    try:
        rcpt = pyrage.x25519.Recipient.from_str(recipient)
    except Exception as exc:  # pyrage raises its own RecipientError
        raise UsageError(f"not an age public key: {recipient!r} ({exc})") from None
    return bytes(pyrage.encrypt(plaintext, [rcpt]))


def decrypt(ciphertext: bytes, identity) -> bytes:
    """Decrypt an age file held in memory with ``identity`` (a pyrage X25519 identity).

    Raises
    ------
    ValueError
        When the data is not an age file for this identity or was altered (the message is
        safe to show to the participant: it says nothing about the key).
    """
    pyrage = _pyrage()
    try:
        return bytes(pyrage.decrypt(ciphertext, [identity]))
    except Exception:  # pyrage.DecryptError and header parse errors
        raise ValueError(
            "the file cannot be decrypted with the benchmark's key: it is not an age file "
            "encrypted to the task's recipient, or it was altered"
        ) from None


def load_identities(path: os.PathLike | str) -> list:
    """Read an age identity file: one ``AGE-SECRET-KEY-1...`` per line, ``#`` comments allowed.

    Several keys may share one file (a benchmark with one key per task).

    Raises
    ------
    HostError
        When the file is missing or holds no X25519 secret key (the message never shows a key).
    """
    pyrage = _pyrage()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HostError(f"cannot read the age identity file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    keys = [ln.strip() for ln in text.splitlines() if _SECRET_RE.match(ln.strip())]
    if not keys:
        raise HostError(f"the age identity file {path} holds no AGE-SECRET-KEY-1 line.")
    out = []
    for k in keys:
        try:
            out.append(pyrage.x25519.Identity.from_str(k))
        except Exception:
            raise HostError(f"the age identity file {path} holds a malformed secret key.") from None
    return out


def load_identity(path: os.PathLike | str):
    """The single secret key of an age identity file (see :func:`load_identities`)."""
    keys = load_identities(path)
    if len(keys) != 1:
        raise HostError(f"the age identity file {path} must hold exactly one secret key.")
    return keys[0]


def identity_recipient(identity) -> str:
    """The public key (``age1...``) of an identity."""
    return str(identity.to_public())


def resolve_identity(task, explicit: Optional[str] = None):
    """The secret key that opens ``task``'s confidential predictions.

    Candidates, in order: the keys of ``explicit`` (``--identity FILE``) or else of
    ``$BENCHMARK_AGE_IDENTITY``, then the task's committed ``[confidential] demo_identity``. The
    first whose public key is the task's recipient is used, so a demo key never opens a real
    benchmark's predictions and one grader key file can serve several tasks.

    Raises
    ------
    HostError
        When no candidate belongs to the task's recipient.
    """
    decl = task.confidential
    if decl is None:
        raise HostError(f"task {task.id!r} declares no [confidential] recipient.")
    source = explicit or os.environ.get(IDENTITY_ENV) or None
    candidates = list(load_identities(source)) if source else []
    if decl.demo_identity:
        candidates += load_identities(task.path(decl.demo_identity))
    for ident in candidates:
        if identity_recipient(ident) == decl.recipient:
            return ident
    if source:
        raise HostError(f"no key in the age identity {source} belongs to task {task.id!r}'s recipient "
                        f"{decl.recipient}.")
    raise HostError(
        f"task {task.id!r} takes encrypted predictions: give the benchmark's secret key with "
        f"--identity FILE or ${IDENTITY_ENV}."
    )


def read_prediction_file(task, path, expected, format: Optional[str] = None, max_mb: Optional[float] = None):
    """Read a prediction file for the command line: an age file of a confidential task is
    decrypted in memory (key from ``$BENCHMARK_AGE_IDENTITY``, else the task's DEMO key).

    Raises
    ------
    SubmissionInvalid
        As :func:`benchmark.submissions.submission.read_submission`.
    UsageError
        For an encrypted file when no key that opens it is available.
    """
    from .submission import read_submission, read_submission_bytes

    p = Path(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(len(AGE_HEADER))
    except OSError:
        head = b""
    if head != AGE_HEADER or not getattr(task, "confidential_predictions", False):
        return read_submission(task, p, expected, format=format, max_mb=max_mb)
    try:
        ident = resolve_identity(task)
    except HostError as exc:
        raise UsageError(f"{path} is encrypted: {exc} (or validate the plain CSV before encrypting it)") from None
    try:
        plain = decrypt(p.read_bytes(), ident)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return read_submission_bytes(task, plain, expected, format=format, max_mb=max_mb, display_path=str(path))


def check_ciphertext(data: bytes, file: str, max_bytes: int) -> list[Problem]:
    """What can be checked of an encrypted prediction file without the key.

    The header must be the age v1 header with exactly one X25519 recipient stanza and the
    ``---`` MAC line; the file must fit the task's size limit.

    Examples
    --------
    >>> [p.code for p in check_ciphertext(b"case,a\\n", "p.csv.age", 100)]
    ['not-encrypted']
    """
    problems: list[Problem] = []
    if len(data) > max_bytes:
        problems.append(Problem("file-too-large", f"{ENCRYPTED} is larger than the task allows",
                                file=file, expected=f"at most {max_bytes:,} bytes",
                                found=f"{len(data):,} bytes"))
        return problems
    if data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----"):
        problems.append(Problem(
            "armored", "the age file is ASCII-armored (PEM); the binary age format is expected",
            file=file, expected="the binary age format", found="-----BEGIN AGE ENCRYPTED FILE-----",
            fix="encrypt again without -a/--armor",
        ))
        return problems
    if not data.startswith(AGE_HEADER):
        problems.append(Problem(
            "not-encrypted", "the file is not an age-encrypted file",
            file=file, expected="the age format (first line 'age-encryption.org/v1')",
            found="other content",
            fix="encrypt the CSV with 'benchmark submit prepare' or 'age -r <the task's recipient>'",
        ))
        return problems
    head = data[: 64 * 1024].split(b"\n")
    end = next((i for i, ln in enumerate(head) if ln.startswith(b"--- ")), None)
    mac = end is not None
    # age writes random "grease" stanzas beside the real ones; only X25519 ones are counted
    stanzas = [ln for ln in head[1:end] if ln.startswith(b"-> X25519 ") or ln.startswith(b"-> scrypt ")]
    if len(stanzas) != 1 or not _STANZA_RE.match(stanzas[0]) or not mac:
        problems.append(Problem(
            "bad-encryption", "the age file must be encrypted to exactly one X25519 recipient "
            "(the task's public key), in the binary age format",
            file=file, expected="one '-> X25519' recipient stanza and a '---' line",
            found=f"{len(stanzas)} X25519 or passphrase stanza(s)" + ("" if mac else ", no MAC line"),
            fix="encrypt with 'age -r <recipient>' (no -a/--armor, no passphrase, one recipient)",
        ))
    return problems


def sha256_hex(data: bytes) -> str:
    """sha256 of ``data`` as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


# -- preparing a submission ----------------------------------------------------------------------
def _toml_value(v) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string


def metadata_text(fields: dict) -> str:
    """``submission.toml`` text of ``fields`` (in their order; ``None`` values left out)."""
    return "".join(f"{k} = {_toml_value(v)}\n" for k, v in fields.items() if v is not None)


def prepare(task, csv_path, out: Optional[os.PathLike] = None, *, metadata: Optional[dict] = None,
            split: Optional[str] = None, root: Optional[Path] = None) -> Path:
    """Validate a plain prediction file, encrypt it to the task's key, write the folder.

    Parameters
    ----------
    task : Task
        A task with ``confidential_predictions = true``.
    csv_path : path-like
        The plain predictions (validated against the task's public ids first).
    out : path-like, optional
        The submission folder to write (default ``<root>/submissions/<task>/<team>__<model>``).
    metadata : dict
        Fields of ``submission.toml`` (team, model, authors, description, ...);
        ``predictions_sha256`` and ``task`` are filled in.

    Returns
    -------
    Path
        The folder written, holding ``predictions.csv.age`` and ``submission.toml``.

    Raises
    ------
    SubmissionInvalid
        When the predictions or the metadata are invalid (nothing is written).
    """
    from ..core.fileio import atomic_write_bytes, atomic_write_text
    from ..data.public import load_public
    from .metadata import parse_metadata
    from .submission import read_submission

    if not task.confidential_predictions or task.confidential is None:
        raise UsageError(
            f"task {task.id!r} takes plain predictions: put predictions.csv in the submission "
            "folder instead (benchmark validate checks it)."
        )
    split = split or task.leaderboard.split or task.default_split
    meta = dict(metadata or {})
    sub = read_submission(task, csv_path, load_public(task, split), format=meta.get("format"))
    plain = Path(csv_path).read_bytes()
    if sha256_hex(plain) != sub.sha256:
        raise UsageError(f"{csv_path} changed while it was being read; run the command again.")
    meta["task"] = task.id
    meta.setdefault("split", split)
    meta["predictions_sha256"] = sub.sha256
    text = metadata_text(meta)
    parsed = parse_metadata(text, "submission.toml")
    folder = Path(out) if out else Path(root or ".") / "submissions" / task.id / parsed.folder
    box = encrypt(plain, task.confidential.recipient)
    atomic_write_bytes(folder / ENCRYPTED, box)
    atomic_write_text(folder / "submission.toml", text)
    return folder


def cmd_prepare(args) -> int:
    """``benchmark submit prepare``: validate, encrypt and write a confidential submission."""
    import datetime as _dt
    import tomllib

    from ..core.errors import EXIT_OK
    from ..data.tasks import find_root, load_registry

    root = Path(args.root).resolve() if getattr(args, "root", None) else find_root()
    task = load_registry(root).get(args.task)
    meta: dict = {}
    if args.metadata:
        try:
            meta = tomllib.loads(Path(args.metadata).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
            raise UsageError(f"cannot read --metadata {args.metadata}: {str(exc)[:200]}") from None
        meta.pop("predictions_sha256", None)
    for key, value in (("team", args.team), ("model", args.model), ("description", args.description),
                       ("format", args.format)):
        if value is not None:
            meta[key] = value
    if args.author:
        meta["authors"] = list(args.author)
    meta.setdefault("date", _dt.date.today())
    meta.setdefault("external_data", False)
    if args.synthetic:
        meta["synthetic"] = True
    order = ["synthetic", "task", "split", "team", "model", "authors", "description", "date",
             "external_data", "external_data_description", "links", "format"]
    meta = {k: meta[k] for k in order if k in meta} | {k: v for k, v in meta.items() if k not in order}
    folder = prepare(task, args.file, args.out, metadata=meta, split=args.split, root=root)
    print(f"wrote {folder / ENCRYPTED} and {folder / 'submission.toml'} (encrypted to "
          f"{task.confidential.recipient}); commit that folder as submissions/{task.id}/{folder.name}/.")
    return EXIT_OK


def register_cli(subparsers, parser_class) -> None:
    """Add ``benchmark submit prepare`` to the command-line parser."""
    sp = subparsers.add_parser("submit", help="prepare a submission folder (encrypted predictions)")
    sps = sp.add_subparsers(dest="submit_command", metavar="SUBCOMMAND", parser_class=parser_class)
    s = sps.add_parser(
        "prepare", help="validate predictions, encrypt them to the task's public key, write the folder",
        description="Validate FILE against the task's public ids, encrypt it to the task's public key "
        "(age format) and write predictions.csv.age and submission.toml (with the plaintext's sha256).",
    )
    s.add_argument("task", help="task id")
    s.add_argument("file", help="the plain predictions CSV")
    s.add_argument("--out", help="submission folder to write (default: submissions/<task>/<team>__<model>)")
    s.add_argument("--metadata", metavar="TOML", help="take the fields of submission.toml from this file")
    s.add_argument("--team")
    s.add_argument("--model")
    s.add_argument("--author", action="append", help="an author (repeat for several)")
    s.add_argument("--description")
    s.add_argument("--format", help="submission format name (default: detected)")
    s.add_argument("--split", help="split (default: the task's scored split)")
    s.add_argument("--synthetic", action="store_true", help="mark the entry as synthetic")
    s.set_defaults(func=cmd_prepare)
