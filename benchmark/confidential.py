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
(``pip install 'benchmark[confidential]'``) needed only to prepare or grade such submissions.

Where the plaintext goes: :func:`decrypt` returns bytes; the grader validates and scores them in
memory (:func:`benchmark.submission.read_submission_bytes`) and never writes them anywhere.
``submission.toml`` records the plaintext's sha256 (``predictions_sha256``), which the grader
checks after decrypting, so a participant can prove later which file was graded.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Optional

from .errors import HostError, Problem, UsageError

__all__ = [
    "AGE_HEADER",
    "ENCRYPTED",
    "IDENTITY_ENV",
    "check_ciphertext",
    "decrypt",
    "encrypt",
    "identity_recipient",
    "load_identity",
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
            "pip install 'benchmark[confidential]' (or pip install pyrage)."
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


def load_identity(path: os.PathLike | str):
    """Read an age identity file (``AGE-SECRET-KEY-1...``; ``#`` comment lines allowed).

    Raises
    ------
    HostError
        When the file is missing or holds no X25519 secret key (the message never shows the key).
    """
    pyrage = _pyrage()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise HostError(f"cannot read the age identity file {path}: {exc.strerror or exc}") from None
    keys = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    keys = [k for k in keys if _SECRET_RE.match(k)]
    if len(keys) != 1:
        raise HostError(f"the age identity file {path} must hold exactly one AGE-SECRET-KEY-1 line.")
    try:
        return pyrage.x25519.Identity.from_str(keys[0])
    except Exception:
        raise HostError(f"the age identity file {path} holds a malformed secret key.") from None


def identity_recipient(identity) -> str:
    """The public key (``age1...``) of an identity."""
    return str(identity.to_public())


def resolve_identity(task, explicit: Optional[str] = None):
    """The secret key that opens ``task``'s confidential predictions.

    Order: ``explicit`` (``--identity FILE``), ``$BENCHMARK_AGE_IDENTITY``, then the task's
    committed ``[confidential] demo_identity``, which is used only when its public key is the
    task's recipient (a demo key never opens a real benchmark's predictions).

    Raises
    ------
    HostError
        When no key is available or the given key is not the task's recipient.
    """
    decl = task.confidential
    if decl is None:
        raise HostError(f"task {task.id!r} declares no [confidential] recipient.")
    source = explicit or os.environ.get(IDENTITY_ENV) or None
    if source:
        ident = load_identity(source)
        if identity_recipient(ident) != decl.recipient:
            raise HostError(
                f"the age identity {source} does not belong to task {task.id!r}'s recipient "
                f"{decl.recipient}."
            )
        return ident
    if decl.demo_identity:
        ident = load_identity(task.path(decl.demo_identity))
        if identity_recipient(ident) == decl.recipient:
            return ident
    raise HostError(
        f"task {task.id!r} takes encrypted predictions: give the benchmark's secret key with "
        f"--identity FILE or ${IDENTITY_ENV}."
    )


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
    if not data.startswith(AGE_HEADER):
        problems.append(Problem(
            "not-encrypted", "the file is not an age-encrypted file",
            file=file, expected="the age format (first line 'age-encryption.org/v1')",
            found="other content",
            fix="encrypt the CSV with 'benchmark submit prepare' or 'age -r <the task's recipient>'",
        ))
        return problems
    head = data[: 64 * 1024].split(b"\n")
    stanzas = [ln for ln in head[1:] if ln.startswith(b"-> ")]
    mac = any(ln.startswith(b"--- ") for ln in head[1:])
    if len(stanzas) != 1 or not _STANZA_RE.match(stanzas[0]) or not mac:
        problems.append(Problem(
            "bad-encryption", "the age file must be encrypted to exactly one X25519 recipient "
            "(the task's public key), in the binary age format",
            file=file, expected="one '-> X25519' recipient stanza and a '---' line",
            found=f"{len(stanzas)} recipient stanza(s)" + ("" if mac else ", no MAC line"),
            fix="encrypt with 'age -r <recipient>' (no -a/--armor, no passphrase, one recipient)",
        ))
    return problems


def sha256_hex(data: bytes) -> str:
    """sha256 of ``data`` as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()
