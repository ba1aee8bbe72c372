"""Running git as a subprocess: one place for the environment, quoting and error wording.

Every caller passes arguments as a list (no shell); the environment fixes the locale and
turns off credential prompts, so a command can never hang waiting for input.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional, Sequence

from ..core.errors import HostError

__all__ = ["GitError", "git"]


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
    full_env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", **(env or {}))
    try:
        proc = subprocess.run(cmd, capture_output=True, env=full_env, check=False, input=input)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH.") from None
    if proc.returncode not in ok_codes:
        err = proc.stderr.decode("utf-8", "replace").strip()[:2000]
        raise GitError(f"'git {' '.join(args)[:300]}' failed (exit {proc.returncode}): {err}")
    return proc if binary else proc.stdout.decode("utf-8", "replace")
