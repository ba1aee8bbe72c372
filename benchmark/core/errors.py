"""Exception types and the problem record shared by every stage.

Two families are kept apart on purpose:

* :class:`SubmissionInvalid` carries :class:`Problem` records that are safe to show to the
  participant who made the submission. They are built from the submission and the *public*
  id lists only, never from hidden labels.
* :class:`HostError` and its subclasses describe a problem on the benchmark host's side (a
  missing or altered hidden label file, a broken task file). Their messages may name host paths
  and hashes and are shown to the maintainer, not to the participant.

Exit codes used by the command-line interface: 0 success, 2 invalid submission or bad usage,
1 host error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

EXIT_OK = 0
EXIT_HOST_ERROR = 1
EXIT_INVALID = 2

#: Long problem lists are cut to this many entries, with a count of the rest.
MAX_PROBLEMS_SHOWN = 20


class BenchmarkError(Exception):
    """Base class of every error the harness raises on purpose."""

    exit_code = EXIT_HOST_ERROR


class HostError(BenchmarkError):
    """A problem on the host's side; the message is for the maintainer only."""

    exit_code = EXIT_HOST_ERROR


class TaskError(HostError):
    """A task file is missing, malformed, or refers to something that does not exist."""


class LabelError(HostError):
    """Hidden labels cannot be found or read."""


class LabelHashMismatch(LabelError):
    """The label file's sha256 (or keyed commitment) differs from the one pinned by the task."""

    def __init__(self, path: str, expected: str, found: str):
        self.path = path
        self.expected = expected
        self.found = found
        what = "keyed commitment" if str(expected).startswith("hmac-") else "sha256"
        super().__init__(
            f"label file {path} has {what} {found}, but the task pins {expected}. "
            "The labels differ from the ones the task was published with; pass "
            "--allow-label-hash-mismatch to score against them anyway."
        )


class UsageError(BenchmarkError):
    """The command was called with arguments that cannot work."""

    exit_code = EXIT_INVALID


class UnknownName(UsageError, TaskError):
    """A task, split or format name that does not exist (a usage error: exit code 2)."""


class LabelsRequired(UsageError):
    """Scoring was asked for without saying which labels to score against."""


@dataclass(frozen=True)
class Problem:
    """One participant-visible problem found in a submission.

    Attributes
    ----------
    code : str
        Stable machine-readable identifier, e.g. ``"missing-ids"``.
    message : str
        What is wrong, in one sentence.
    file : str
        The file the problem is in (as the participant named it).
    line : int or None
        1-based physical line number in the file, when the problem has one.
    column : str or None
        Column name (or 1-based position) the problem is in.
    expected : str or None
        What was expected there.
    found : str or None
        What was found instead (taken from the submission, never from labels).
    fix : str or None
        How to fix it.
    """

    code: str
    message: str
    file: str = ""
    line: Optional[int] = None
    column: Optional[str] = None
    expected: Optional[str] = None
    found: Optional[str] = None
    fix: Optional[str] = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def format(self) -> str:
        """Render as ``file:line: column: message (expected ..., found ...). Fix: ...``."""
        where = self.file or "<submission>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where + ":"]
        if self.column is not None:
            parts.append(f"column {self.column!s}:")
        parts.append(self.message)
        detail = []
        if self.expected is not None:
            detail.append(f"expected {self.expected}")
        if self.found is not None:
            detail.append(f"found {self.found}")
        text = " ".join(parts)
        if detail:
            text += " (" + "; ".join(detail) + ")"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


def format_problems(problems: list[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> str:
    """Render a problem list, cut to ``limit`` entries with a count of the rest."""
    lines = [f"- {p.format()}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"- ... and {len(problems) - limit} more problem(s) not shown.")
    return "\n".join(lines)


class SubmissionInvalid(BenchmarkError):
    """A submission failed validation; carries every problem found."""

    exit_code = EXIT_INVALID

    def __init__(self, problems: list[Problem], warnings: Optional[list[Problem]] = None):
        if not problems:
            raise ValueError("SubmissionInvalid needs at least one problem.")
        self.problems = list(problems)
        self.warnings = list(warnings or [])
        super().__init__(
            f"submission is invalid: {len(self.problems)} problem(s)\n"
            + format_problems(self.problems)
        )
