"""Running git as a subprocess, and reading commits as data.

Every caller passes arguments as a list (no shell); the environment fixes the locale and
turns off credential prompts, so a command can never hang waiting for input. Objects are read
with ``git cat-file`` and ``git ls-tree``: nothing is checked out or executed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, Optional, Sequence

from ..core.errors import HostError, Problem, UsageError

__all__ = [
    "GitError",
    "REGULAR_MODES",
    "SHALLOW_HINT",
    "blob_at",
    "cat_blob",
    "extract_blob",
    "git",
    "regular_blob",
    "resolve_commit",
    "scratch_objects",
    "tree_entries",
]

#: git modes of a regular file (plain and executable).
REGULAR_MODES = ("100644", "100755")
SHALLOW_HINT = (
    "fetch enough history for both commits: with actions/checkout use 'fetch-depth: 0', "
    "or run 'git fetch --no-tags origin <base>' (add '--deepen=<n>' or '--unshallow' in a "
    "shallow clone)"
)
# Environment added to every git command while :func:`scratch_objects` is active.
_OVERLAY: dict = {}
_KIND_WORDS = {"120000": "a symbolic link", "160000": "a submodule (gitlink) entry", "040000": "a folder"}


class GitError(HostError):
    """A git command failed (missing commit, not a repository, shallow history)."""


def git(repo: Path, *args: str, binary: bool = False, ok_codes: Sequence[int] = (0,),
        input: Optional[bytes] = None, env: Optional[dict] = None):
    """Run ``git -C repo args...``.

    Returns the decoded standard output, or the ``CompletedProcess`` with ``binary=True``.

    Raises
    ------
    GitError
        When git is missing or exits with a code not in ``ok_codes``.
    """
    cmd = ["git", "-C", str(repo), "-c", "core.quotepath=off", *args]
    full_env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", **_OVERLAY, **(env or {}))
    try:
        proc = subprocess.run(cmd, capture_output=True, env=full_env, check=False, input=input)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH.") from None
    if proc.returncode not in ok_codes:
        err = proc.stderr.decode("utf-8", "replace").strip()[:2000]
        raise GitError(f"'git {' '.join(args)[:300]}' failed (exit {proc.returncode}): {err}")
    return proc if binary else proc.stdout.decode("utf-8", "replace")


@contextlib.contextmanager
def scratch_objects(repo: Path) -> Iterator[Path]:
    """Inside the block, git objects are written to a temporary folder, never to ``repo``.

    Every git command run by :func:`git` in the block still reads the repository's own objects
    (as alternates) and also the new ones, so a commit made in the block (say, a snapshot of the
    working tree) can be read like any other; the folder is deleted when the block ends.
    """
    common = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()
    with tempfile.TemporaryDirectory(prefix="benchmark-objects-") as tmp:
        objects = Path(tmp) / "objects"
        objects.mkdir()
        saved = dict(_OVERLAY)
        _OVERLAY.update(GIT_OBJECT_DIRECTORY=str(objects),
                        GIT_ALTERNATE_OBJECT_DIRECTORIES=str(Path(common) / "objects"))
        try:
            yield Path(tmp)
        finally:
            _OVERLAY.clear()
            _OVERLAY.update(saved)


def resolve_commit(repo: Path, ref: str, what: str) -> str:
    """The full commit id of ``ref`` (``what`` names it in messages: "base", "head")."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"{what} must be a git revision. Got {ref!r} instead.")
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", binary=True, ok_codes=(0, 1, 128))
    if proc.returncode != 0:
        raise GitError(f"cannot resolve {what} {ref!r} to a commit in {repo}; {SHALLOW_HINT}.")
    return proc.stdout.decode().strip()


def blob_at(repo: Path, rev: str, path: str) -> Optional[str]:
    """The object id of ``path`` at ``rev`` (``None`` when it does not exist)."""
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}:{path}", binary=True, ok_codes=(0, 1, 128))
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def extract_blob(repo: Path, blob: str, dest: Path, max_bytes: Optional[int] = None) -> int:
    """Write the content of ``blob`` to ``dest``; return its size. Larger than max: not written."""
    size = int(git(repo, "cat-file", "-s", blob).strip())
    if max_bytes is not None and size > max_bytes:
        return size
    data = git(repo, "cat-file", "blob", blob, binary=True).stdout
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return size


def cat_blob(repo: Path, blob: str) -> bytes:
    """The content of ``blob``, in memory."""
    return git(repo, "cat-file", "blob", blob, binary=True).stdout


def tree_entries(repo: Path, rev: str, rel: str) -> dict:
    """``name -> (mode, type, object id)`` of the entries of folder ``rel`` at ``rev``."""
    out = git(repo, "ls-tree", "-z", rev, "--", rel + "/")
    entries = {}
    for item in out.split("\0"):
        if "\t" not in item:
            continue
        meta, path = item.split("\t", 1)
        mode, kind, oid = meta.split()
        entries[path.rsplit("/", 1)[-1]] = (mode, kind, oid)
    return entries


def regular_blob(entries: dict, name: str, rel: str, problems: list) -> Optional[str]:
    """The blob of ``name`` if it is a regular file; otherwise a problem and ``None``.

    Symbolic links, submodule entries and folders are refused by their git mode, before any
    content is read.
    """
    if name not in entries:
        return None
    mode, kind, oid = entries[name]
    if mode in REGULAR_MODES and kind == "blob":
        return oid
    problems.append(Problem(
        "not-a-regular-file", f"{name} must be a regular file",
        file=f"{rel}/{name}", expected="a regular file committed with its content",
        found=_KIND_WORDS.get(mode, f"a git entry of mode {mode}"),
        fix=f"replace it by the file itself (git rm --cached {name}; add the real file)",
    ))
    return None
