"""What several commands share: the task registry of ``--root``, the labels a command scores
against, the disclosure stage, JSON output and the text of intervals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from ..api import validation_report
from ..core.errors import SubmissionInvalid
from ..core.fileio import atomic_write_text
from ..core.formatting import DEGENERATE_NOTE, DEMO_BANNER, format_value
from ..data.disclosure import decide, resolve_now
from ..data.labels import load_labels, require_label_source, restrict_cases
from ..data.tasks import TaskRegistry, load_registry
from .terminal import paint, say, verbosity

__all__ = ["ci_text", "demo_line", "demo_tag", "disclosure", "fmt_ci", "problem_report", "registry",
           "task_labels", "write_json"]


def registry(args) -> TaskRegistry:
    """The tasks under ``--root`` (else ``$BENCHMARK_ROOT``, a checkout, the installed copy)."""
    return load_registry(Path(args.root) if getattr(args, "root", None) else None)


def write_json(dest: str, text: str) -> None:
    """``--json OUT``: '-' is stdout, anything else a file written atomically."""
    if dest == "-":
        sys.stdout.write(text)
    else:
        atomic_write_text(dest, text)


def problem_report(task, split: str, file: str, exc: SubmissionInvalid, dest: Optional[str]) -> None:
    """With ``--json``, an invalid submission still yields a JSON document: the problem report."""
    if dest:
        write_json(dest, validation_report(task, split, file, exc).to_json())


def task_labels(task, args):
    """The labels ``score``/``compare`` use: --labels, $BENCHMARK_LABELS_DIR or --demo, never a silent fallback."""
    path = require_label_source(args.labels, demo=args.demo)
    labels = load_labels(
        task, args.split, path, allow_hash_mismatch=args.allow_label_hash_mismatch, demo=args.demo
    )
    if args.cases:
        labels = restrict_cases(task, labels, args.cases)
    if verbosity() >= 1:
        say(f"labels: {labels.source} (sha256 {labels.sha256}, {len(labels)} cases)")
    return labels


def disclosure(task, labels, args):
    """The disclosure stage of one command (``--now``, else ``$BENCHMARK_NOW``, else today)."""
    return decide(task, labels, resolve_now(getattr(args, "now", None)))


def demo_tag(synthetic: bool) -> str:
    return f" [{DEMO_BANNER}]" if synthetic else ""


def demo_line() -> str:
    """The banner line of every table scored against the synthetic demo labels."""
    return paint(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***", "demo")


def ci_text(mv) -> str:
    """A metric value's interval as a table cell (marked when it is degenerate)."""
    if mv.ci is None or mv.ci[0] is None:
        return ""
    text = f"[{format_value(mv.ci[0])}, {format_value(mv.ci[1])}]"
    if mv.ci_note and mv.ci_note.startswith(DEGENERATE_NOTE):
        text += " degenerate"
    return text


def fmt_ci(ci) -> str:
    """A comparison's interval, three decimals."""
    if not ci or ci[0] is None:
        return "interval unavailable"
    return f"[{format_value(ci[0], 3)}, {format_value(ci[1], 3)}]"
