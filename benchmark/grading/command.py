"""``benchmark ci grade``: grade the submissions of a change from the command line (its options
are declared in :mod:`benchmark.cli.ci`).

A Markdown report goes to ``--summary`` (and is appended to ``$GITHUB_STEP_SUMMARY``);
``--annotations`` prints GitHub workflow commands pointing at the offending lines; ``--ledger``
appends one record per graded submission. Exit codes: 0 every submission valid, 2 a submission
(or the change) is invalid, 1 a host error; a host error's details go to standard error only,
never into the report.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import traceback
from pathlib import Path
from typing import Optional

from .grade import grade
from .policy import parse_time
from .report import render_markdown, render_text, workflow_commands
from .teams import AUTHOR_ENV
from ..core.errors import EXIT_HOST_ERROR, BenchmarkError, UsageError
from ..core.fileio import atomic_write_text
from ..data.disclosure import NOW_ENV
from ..data.tasks import find_root

__all__ = ["INTERNAL_MESSAGE", "cmd_grade", "parse_now", "write_outputs"]

INTERNAL_MESSAGE = (
    "The grader failed on the host's side, so nothing was graded. This is not a problem with "
    "the submission; the maintainers see the details in the job log."
)


def write_outputs(text: str, summary: Optional[str]) -> None:
    if summary:
        atomic_write_text(summary, text)
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        with open(step, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(text + "\n")


def parse_now(text: Optional[str]) -> Optional[_dt.datetime]:
    text = text or os.environ.get(NOW_ENV, "").strip()
    if not text:
        return None
    if len(text) == 10:  # a date: its start, UTC
        text += "T00:00:00Z"
    try:
        return parse_time(text)
    except ValueError:
        raise UsageError(f"--now must be an ISO 8601 time such as 2026-01-31T12:00:00Z. Got {text!r} instead.") from None


def cmd_grade(args) -> int:
    """``benchmark ci grade``: grade the submissions of a change; see the module docstring."""
    root = Path(args.root).resolve() if getattr(args, "root", None) else find_root()
    now = parse_now(args.now)
    try:
        author = args.author or os.environ.get(AUTHOR_ENV) or None
        report = grade(
            root, args.base, args.head, labels=args.labels, now=now, ledger=args.ledger,
            bootstrap=args.bootstrap, actor=args.actor, repo=Path(args.repo) if args.repo else None,
            allow_label_hash_mismatch=args.allow_label_hash_mismatch, author=author,
            identity=args.identity, ledger_ref=args.ledger_ref,
        )
    except UsageError:
        raise
    except BenchmarkError as exc:  # host errors (labels, task files, git): details to stderr only
        print(f"host error: {exc}", file=sys.stderr, flush=True)
        write_outputs("## Submission check\n\n" + INTERNAL_MESSAGE + "\n", args.summary)
        return EXIT_HOST_ERROR
    except Exception as exc:  # a bug: report on the host side only, never in the report
        if os.environ.get("BENCHMARK_DEBUG"):
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        write_outputs("## Submission check\n\n" + INTERNAL_MESSAGE + "\n", args.summary)
        return EXIT_HOST_ERROR
    for note in report.host_notes:
        print(f"host note: {note}", file=sys.stderr, flush=True)
    text = render_markdown(report)
    write_outputs(text, args.summary)
    if args.annotations:
        for cmd in workflow_commands(report):
            print(cmd, flush=True)
    if not args.summary:  # Markdown is for the workflow; a person at a terminal reads plain text
        sys.stdout.write(render_text(report) if sys.stdout.isatty() else text)
    else:
        n_bad = sum(1 for s in report.submissions if not s.valid)
        print(f"graded {len(report.submissions)} submission(s): {n_bad} invalid, "
              f"{len(report.change_problems)} problem(s) with the change; report in {args.summary}")
    return report.exit_code
