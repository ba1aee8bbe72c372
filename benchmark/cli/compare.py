"""``benchmark compare``: paired comparison of two submissions on the same cases."""

from __future__ import annotations

import sys

from ..api import read_predictions
from ..core.errors import EXIT_OK, SubmissionInvalid, UsageError
from ..core.fileio import atomic_write_text
from ..core.formatting import format_value
from ..core.termtable import plain_table
from ..scoring.results import ComparisonResult
from ..scoring.score import BootstrapSettings, compare_two
from .common import demo_line, demo_tag, disclosure, fmt_ci, problem_report, registry, task_labels
from .terminal import Spinner, info


def run(args) -> int:
    task = registry(args).get(args.task)
    settings = BootstrapSettings.from_task(
        task, replicates=args.bootstrap, seed=args.seed, method="percentile", level=args.level
    )
    labels = task_labels(task, args)
    subs, problems, warnings = [], [], []
    for f in (args.a, args.b):  # both files are checked before failing
        try:
            subs.append(read_predictions(task, f, labels.public_cases(), format=args.format, max_mb=args.max_mb))
        except SubmissionInvalid as exc:
            problems += exc.problems
            warnings += exc.warnings
    if problems:
        exc = SubmissionInvalid(problems, warnings)
        problem_report(task, labels.split, f"{args.a} {args.b}", exc, args.json)
        raise exc
    disc = disclosure(task, labels, args)
    if disc.ladder:
        raise UsageError(f"task {task.id!r} uses the Ladder on split {labels.split!r}: only the rounded "
                         "leaderboard score of each submission is shown, so no paired comparison is given.")
    subs = [disc.submission(s, labels) for s in subs]
    labels = disc.restrict(labels)
    with Spinner(f"comparing on {settings.replicates} paired replicates"):
        compared = compare_two(task, labels, subs[0], subs[1], [str(args.a), str(args.b)], settings)
    res = ComparisonResult.model_validate(disc.comparison(compared))
    text = res.to_json()
    if args.json == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if args.json:
        atomic_write_text(args.json, text)
    print(f"{task.id}: A = {args.a}{demo_tag(labels.synthetic)}")
    print(f"{' ' * len(task.id)}  B = {args.b}")
    print(f"split {labels.split}, {disc.part_text(len(labels))}; paired bootstrap, {settings.replicates} replicates, seed {settings.seed}")
    if labels.synthetic:
        print(demo_line())
    rows = []
    for name, m in res.metrics.items():
        rows.append(
            [
                name,
                format_value(m.a),
                format_value(m.b),
                format_value(m.difference),
                fmt_ci(m.ci),
                "" if m.p_value is None else f"{m.p_value:.4f}",
                "" if not m.delong else f"{m.delong.p_value:.4f}",
                {None: "not distinguishable", str(args.a): "A", str(args.b): "B"}[m.better],
            ]
        )
    level = f"{settings.level:.0%} CI"
    print(plain_table(["metric", "A", "B", "A - B", level, "p (bootstrap)", "p (DeLong)", "better"], rows, {1, 2, 3}))
    for n in sorted({m.delong.note for m in res.metrics.values() if m.delong is not None and m.delong.note}):
        print(f"note: p (DeLong): {n}")
    if args.json:
        info(f"result written to {args.json}")
    return EXIT_OK
