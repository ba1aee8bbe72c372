"""``benchmark score``: score one submission, with intervals and comparisons with the baselines."""

from __future__ import annotations

import sys

from ..api import read_predictions
from ..core.canonical import canonical_json
from ..core.executor import open_executor
from ..core.errors import EXIT_OK, SubmissionInvalid
from ..core.fileio import atomic_write_text
from ..core.formatting import format_value
from ..core.termtable import plain_table
from ..scoring.score import BootstrapSettings, score_task
from .common import ci_text, demo_line, demo_tag, disclosure, fmt_ci, problem_report, registry, task_labels
from .terminal import Spinner, info, paint

__all__ = ["print_result", "run", "score_one"]


def score_one(args):
    """Read, validate and score ``args.file``: the task and its (disclosed) result."""
    task = registry(args).get(args.task)
    settings = BootstrapSettings.from_task(
        task, replicates=args.bootstrap, seed=args.seed, method=args.ci, level=args.level
    )
    labels = task_labels(task, args)
    try:
        sub = read_predictions(task, args.file, labels.public_cases(), format=args.format, max_mb=args.max_mb)
    except SubmissionInvalid as exc:
        problem_report(task, labels.split, str(args.file), exc, args.json)
        raise
    disc = disclosure(task, labels, args)
    with Spinner(f"scoring {task.id} on {settings.replicates} replicates"), open_executor(args.scheduler) as executor:
        # a cluster splits the replicates of the one file; the local pool has nothing to split
        scores = score_task(task, disc.restrict(labels), [disc.submission(sub, labels)], [str(args.file)], settings,
                            executor=executor if executor.remote else None)
    return task, disc.result(scores.results[0])


def print_result(task, res) -> None:
    head = f"{task.id} v{task.version}: {task.title}{demo_tag(res.synthetic_labels)}"
    print(head)
    disc = res.disclosure or {}
    labels_text = (f"labels sha256 {res.labels_sha256[:12]}" if res.labels_sha256
                   else "hidden labels (their sha256 is not shown)")
    cases = disc.get("part_text") or f"{res.n_cases} cases"
    print(f"split {res.split}, {cases}, {labels_text}")
    if res.labels_source:
        print(f"labels: {res.labels_source}")
    if res.synthetic_labels:
        print(demo_line())
    rows = []
    for name, mv in res.metrics.items():
        rows.append(
            [
                name + (" *" if name == res.primary else ""),
                mv.display_value,
                ci_text(mv),
                "higher" if mv.higher_is_better else "lower",
                str(mv.n_cases),
            ]
        )
    level = f"{res.bootstrap.level:.0%} CI ({res.bootstrap.method})" if res.bootstrap else "CI"
    print(plain_table(["metric", "value", level, "better", "n"], rows, {1}))
    if res.bootstrap:
        b = res.bootstrap
        extra = f", clustered by {b.cluster} ({b.n_clusters} clusters)" if b.cluster else ""
        strat = f", stratified by {b.stratified}" if b.stratified else ""
        print(f"bootstrap: {b.replicates} replicates, seed {b.seed}{strat}{extra}")
    notes = sorted({mv.ci_note for mv in res.metrics.values() if mv.ci_note})
    for n in notes:
        print(f"note: {n}")
    _print_comparisons(res)
    _print_mrmc(res)
    for what, why in sorted(disc.get("withheld", {}).items()):
        print(f"{what.replace('_', ' ')}: {why}")
    for w in res.warnings:
        print(f"{paint('warning:', 'warning')} {w}")
    print("* primary metric")


def _print_comparisons(res) -> None:
    comp = res.comparisons or {}
    for b in comp.get("baselines", []):
        print(f"vs {b['baseline']} ({b['target']}; {b['source']}):")
        for q in ("sensitivity", "specificity"):
            d = b[q]
            print(
                f"  {q} at the readers' {d['matched_on']} {format_value(d['matched_value'], 3)}: "
                f"{format_value(d['submission'], 3)} vs {format_value(d['baseline'], 3)}, "
                f"difference {format_value(d['difference'], 3)} {fmt_ci(d['difference_ci'])}: {d['verdict']}"
            )
            if d.get("baseline_uncertainty"):
                print(f"    readers' {q} and {d['matched_on']} drawn in every replicate ({d['baseline_uncertainty']})")
    readers = comp.get("readers", [])
    if readers:
        print("vs readers of the reader study (sensitivity at each reader's specificity):")
        rows = [
            [
                r["target"],
                str(r["reader_id"]),
                format_value(r["reader_specificity"], 3),
                format_value(r["reader_sensitivity"], 3),
                format_value(r["submission_sensitivity"], 3),
                fmt_ci(r["difference_ci"]),
                r["verdict"],
            ]
            for r in readers
        ]
        print(plain_table(["target", "reader", "spec", "reader sens", "model sens", "difference CI", "verdict"], rows))


def _print_mrmc(res) -> None:
    rows = (res.comparisons or {}).get("mrmc", [])
    if not rows:
        return
    print("vs the reader panel (MRMC, difference = model - readers' mean; RRRC covers readers like "
          "these reading cases like these, RRFC readers like these on these cases only):")
    table = []
    for m in rows:
        fom = m["fom"] + ("" if m.get("model_threshold") is None else f" (model at p >= {m['model_threshold']})")
        if m.get("reason"):
            table.append([m["target"], fom, "", "", f"not analysed: {m['reason']}", "", ""])
            continue
        a, f = m["analyses"]["RRRC"], m["analyses"]["RRFC"]
        table.append([
            m["target"], fom, format_value(m["model_fom"], 3), format_value(m["reader_mean_fom"], 3),
            f"{format_value(a['difference'], 3)} {fmt_ci(a['ci'])}",
            "" if a["p"] is None else format_value(a["p"], 3),
            f"{format_value(f['difference'], 3)} {fmt_ci(f['ci'])}",
        ])
    print(plain_table(["target", "FOM", "model", "readers", "RRRC difference CI", "RRRC p", "RRFC difference CI"], table))
    for n in sorted({m["note"] for m in rows if m.get("note")}):
        print(f"note: {n}")


def run(args) -> int:
    task, res = score_one(args)
    text = canonical_json(res)
    if args.json == "-":
        sys.stdout.write(text)
    else:
        if args.json:
            atomic_write_text(args.json, text)
        print_result(task, res)
        if args.json:
            info(f"result written to {args.json}")
    return EXIT_OK
