"""``benchmark validate``: check a submission against the public ids (no labels needed)."""

from __future__ import annotations

from ..api import read_predictions, validation_report
from ..core.errors import EXIT_OK, SubmissionInvalid
from ..data.public import load_public
from .common import problem_report, registry, write_json
from .terminal import paint


def run(args) -> int:
    task = registry(args).get(args.task)
    expected = load_public(task, args.split)
    try:
        sub = read_predictions(task, args.file, expected, format=args.format, max_mb=args.max_mb)
    except SubmissionInvalid as exc:
        problem_report(task, expected.split, str(args.file), exc, args.json)
        raise
    if args.json:
        write_json(args.json, validation_report(task, expected.split, str(args.file), sub).to_json())
        if args.json == "-":
            return EXIT_OK
    print(
        f"{paint('OK:', 'ok')} {args.file} is a valid {task.id} submission "
        f"(format {sub.format}, {len(sub.ids)} cases, split {expected.split})."
    )
    for w in sub.warnings:
        print(f"{paint('warning:', 'warning')} {w.format()}")
    return EXIT_OK
