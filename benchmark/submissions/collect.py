"""Collecting the problems of one prediction file: every problem is kept, then raised once.

:class:`ProblemReport` gathers problems and warnings with the file name and physical line;
long lists of one kind are cut to :data:`MAX_EXAMPLES` examples with a count of the rest.
"""

from __future__ import annotations

from typing import Optional

from ..core.errors import Problem, SubmissionInvalid

__all__ = ["count_of", "MAX_EXAMPLES", "ProblemReport", "show"]

#: Individual problems listed per kind of problem; the rest is summarised with a count.
MAX_EXAMPLES = 3


def show(value: object, limit: int = 60) -> str:
    """Quote a value from the submission for a message, cut to ``limit`` characters."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def count_of(n: int, word: str, plural: Optional[str] = None) -> str:
    """``n`` with its noun: ``count_of(1, "row")`` is ``'1 row'``, ``count_of(1200, "row")`` ``'1,200 rows'``."""
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


class ProblemReport:
    """Collects problems and warnings for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, code, message, *, line=None, column=None, expected=None, found=None, fix=None,
            warning=False) -> None:
        p = Problem(
            code=code,
            message=message,
            file=self.file,
            line=None if line is None else int(line),
            column=None if column is None else str(column),
            expected=expected,
            found=found,
            fix=fix,
        )
        (self.warnings if warning else self.problems).append(p)

    def examples(self, code, total, items, message, summary, *, expected=None, fix=None,
                 column=None, warning=False) -> None:
        """Add one problem per example ``(line, column, found)`` and a count of the rest.

        ``message`` is used for each example; ``summary`` (its ``{n}`` replaced by the total) for
        the closing count when ``total`` exceeds the number of examples.
        """
        items = list(items)[:MAX_EXAMPLES]
        for line, col, found in items:
            self.add(code, message, line=line, column=col, expected=expected, found=found, fix=fix,
                     warning=warning)
        if total > len(items):
            self.add(code, summary.replace("{n}", f"{total:,}"), column=column, expected=expected,
                     fix=fix, warning=warning)

    def fail(self) -> None:
        raise SubmissionInvalid(self.problems, self.warnings)
