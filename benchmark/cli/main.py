"""Command-line interface: ``benchmark <command>`` (or ``python -m benchmark``).

Exit codes: 0 success; 2 invalid submission or bad usage; 1 host error (labels, task files,
internal). No input produces a Python traceback unless ``BENCHMARK_DEBUG=1`` is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import Optional, Sequence

from .. import __version__
from ..core.errors import EXIT_HOST_ERROR, EXIT_INVALID, EXIT_OK, BenchmarkError, SubmissionInvalid, UsageError, format_problems
from ..core.formatting import DEMO_BANNER, format_value
from ..scoring.results import ComparisonResult
from ..core.fileio import atomic_write_text
from ..core.canonical import canonical_json
from ..core.termtable import plain_table
from ..stats.methods import CI_METHODS


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- terminal: colour, verbosity ------------------------------------------------------------------
_VERBOSITY = {"level": 0}  # -1 with -q, 0 by default, >= 1 with -v


def _colour(stream) -> bool:
    """Colour only on a terminal, never with $NO_COLOR set (https://no-color.org) or TERM=dumb."""
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM") != "dumb"


def _paint(text: str, style: str, stream=None) -> str:
    codes = {"error": "1;31", "warning": "33", "demo": "1;35", "ok": "32", "dim": "2"}
    return f"\033[{codes[style]}m{text}\033[0m" if _colour(stream or sys.stdout) else text


def _progress(msg: str) -> None:
    """Progress of long work: on stderr only, silenced by -q."""
    if _VERBOSITY["level"] >= 0:
        _stderr(_paint(msg, "dim", sys.stderr))


def _info(msg: str) -> None:
    """A secondary line on stdout (where a result was written), silenced by -q."""
    if _VERBOSITY["level"] >= 0:
        print(msg)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 with usage: keep that, add a hint
        self.print_usage(sys.stderr)
        _stderr(f"{self.prog}: error: {message}\nRun '{self.prog} --help' for the options.")
        sys.exit(EXIT_INVALID)


# -- helpers --------------------------------------------------------------------------------------
def _registry(args):
    from ..data.tasks import load_registry

    return load_registry(Path(args.root) if getattr(args, "root", None) else None)


def _ci_text(mv) -> str:
    from ..core.formatting import DEGENERATE_NOTE

    if mv.ci is None or mv.ci[0] is None:
        return ""
    text = f"[{format_value(mv.ci[0])}, {format_value(mv.ci[1])}]"
    if mv.ci_note and mv.ci_note.startswith(DEGENERATE_NOTE):
        text += " degenerate"
    return text


# -- commands -------------------------------------------------------------------------------------
def cmd_tasks(args) -> int:
    reg = _registry(args)
    rows = []
    for t in reg:
        spec = t.primary_spec
        rows.append(
            [
                t.id,
                t.title,
                f"{t.primary} ({spec.metric.display_name})",
                "higher is better" if spec.higher_is_better else "lower is better",
                ", ".join(sorted(t.splits)),
            ]
        )
    print(plain_table(["task", "title", "primary metric", "direction", "splits"], rows))
    return EXIT_OK


def _write_json(dest: str, text: str) -> None:
    """``--json OUT``: '-' is stdout, anything else a file written atomically."""
    if dest == "-":
        sys.stdout.write(text)
    else:
        atomic_write_text(dest, text)


def _problem_report(task, split: str, file: str, exc: SubmissionInvalid, dest: Optional[str]) -> None:
    """With ``--json``, an invalid submission still yields a JSON document: the problem report."""
    if dest:
        from ..api import validation_report

        _write_json(dest, validation_report(task, split, file, exc).to_json())


def cmd_validate(args) -> int:
    from ..api import read_predictions, validation_report
    from ..data.public import load_public

    task = _registry(args).get(args.task)
    expected = load_public(task, args.split)
    try:
        sub = read_predictions(task, args.file, expected, format=args.format, max_mb=args.max_mb)
    except SubmissionInvalid as exc:
        _problem_report(task, expected.split, str(args.file), exc, args.json)
        raise
    if args.json:
        _write_json(args.json, validation_report(task, expected.split, str(args.file), sub).to_json())
        if args.json == "-":
            return EXIT_OK
    print(
        f"{_paint('OK:', 'ok')} {args.file} is a valid {task.id} submission "
        f"(format {sub.format}, {len(sub.ids)} cases, split {expected.split})."
    )
    for w in sub.warnings:
        print(f"{_paint('warning:', 'warning')} {w.format()}")
    return EXIT_OK


def _load_labels(task, args):
    """The labels ``score``/``compare`` use: --labels, $BENCHMARK_LABELS_DIR or --demo, never a silent fallback."""
    from ..data.labels import load_labels, require_label_source

    path = require_label_source(args.labels, demo=args.demo)
    labels = load_labels(
        task, args.split, path, allow_hash_mismatch=args.allow_label_hash_mismatch, demo=args.demo
    )
    if args.cases:
        from ..data.labels import restrict_cases

        labels = restrict_cases(task, labels, args.cases)
    if _VERBOSITY["level"] >= 1:
        _stderr(f"labels: {labels.source} (sha256 {labels.sha256}, {len(labels)} cases)")
    return labels


def _demo_tag(synthetic: bool) -> str:
    return f" [{DEMO_BANNER}]" if synthetic else ""


def _score_one(args):
    from ..api import read_predictions
    from ..scoring.score import BootstrapSettings, score_task

    task = _registry(args).get(args.task)
    settings = BootstrapSettings.from_task(
        task, replicates=args.bootstrap, seed=args.seed, method=args.ci, level=args.level
    )
    labels = _load_labels(task, args)
    try:
        sub = read_predictions(task, args.file, labels.public_cases(), format=args.format, max_mb=args.max_mb)
    except SubmissionInvalid as exc:
        _problem_report(task, labels.split, str(args.file), exc, args.json)
        raise
    disc = _disclosure(task, labels, args)
    scores = score_task(task, disc.restrict(labels), [disc.submission(sub, labels)], [str(args.file)], settings)
    return task, disc.result(scores.results[0])


def _disclosure(task, labels, args):
    """The disclosure stage of one command (``--now``, else ``$BENCHMARK_NOW``, else today)."""
    from ..data.disclosure import decide, resolve_now

    return decide(task, labels, resolve_now(getattr(args, "now", None)))


def print_result(task, res) -> None:
    head = f"{task.id} v{task.version}: {task.title}{_demo_tag(res.synthetic_labels)}"
    print(head)
    disc = res.disclosure or {}
    labels_text = (f"labels sha256 {res.labels_sha256[:12]}" if res.labels_sha256
                   else "hidden labels (their sha256 is not shown)")
    cases = disc.get("part_text") or f"{res.n_cases} cases"
    print(f"split {res.split}, {cases}, {labels_text}")
    if res.labels_source:
        print(f"labels: {res.labels_source}")
    if res.synthetic_labels:
        print(_paint(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***", "demo"))
    rows = []
    for name, mv in res.metrics.items():
        rows.append(
            [
                name + (" *" if name == res.primary else ""),
                mv.display_value,
                _ci_text(mv),
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
        print(f"{_paint('warning:', 'warning')} {w}")
    print("* primary metric")


def _fmt_ci(ci) -> str:
    if not ci or ci[0] is None:
        return "interval unavailable"
    return f"[{format_value(ci[0], 3)}, {format_value(ci[1], 3)}]"


def _print_comparisons(res) -> None:
    comp = res.comparisons or {}
    for b in comp.get("baselines", []):
        print(f"vs {b['baseline']} ({b['target']}; {b['source']}):")
        for q in ("sensitivity", "specificity"):
            d = b[q]
            print(
                f"  {q} at the readers' {d['matched_on']} {format_value(d['matched_value'], 3)}: "
                f"{format_value(d['submission'], 3)} vs {format_value(d['baseline'], 3)}, "
                f"difference {format_value(d['difference'], 3)} {_fmt_ci(d['difference_ci'])}: {d['verdict']}"
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
                _fmt_ci(r["difference_ci"]),
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
            f"{format_value(a['difference'], 3)} {_fmt_ci(a['ci'])}",
            "" if a["p"] is None else format_value(a["p"], 3),
            f"{format_value(f['difference'], 3)} {_fmt_ci(f['ci'])}",
        ])
    print(plain_table(["target", "FOM", "model", "readers", "RRRC difference CI", "RRRC p", "RRFC difference CI"], table))
    for n in sorted({m["note"] for m in rows if m.get("note")}):
        print(f"note: {n}")


def cmd_score(args) -> int:
    task, res = _score_one(args)
    text = canonical_json(res)
    if args.json == "-":
        sys.stdout.write(text)
    else:
        if args.json:
            atomic_write_text(args.json, text)
        print_result(task, res)
        if args.json:
            _info(f"result written to {args.json}")
    return EXIT_OK


def cmd_compare(args) -> int:
    from ..api import read_predictions
    from ..scoring.score import BootstrapSettings, compare_two

    task = _registry(args).get(args.task)
    settings = BootstrapSettings.from_task(
        task, replicates=args.bootstrap, seed=args.seed, method="percentile", level=args.level
    )
    labels = _load_labels(task, args)
    subs, problems, warnings = [], [], []
    for f in (args.a, args.b):  # both files are checked before failing
        try:
            subs.append(read_predictions(task, f, labels.public_cases(), format=args.format, max_mb=args.max_mb))
        except SubmissionInvalid as exc:
            problems += exc.problems
            warnings += exc.warnings
    if problems:
        exc = SubmissionInvalid(problems, warnings)
        _problem_report(task, labels.split, f"{args.a} {args.b}", exc, args.json)
        raise exc
    disc = _disclosure(task, labels, args)
    if disc.ladder:
        raise UsageError(f"task {task.id!r} uses the Ladder on split {labels.split!r}: only the rounded "
                         "leaderboard score of each submission is shown, so no paired comparison is given.")
    subs = [disc.submission(s, labels) for s in subs]
    labels = disc.restrict(labels)
    res = ComparisonResult.model_validate(
        disc.comparison(compare_two(task, labels, subs[0], subs[1], [str(args.a), str(args.b)], settings))
    )
    text = res.to_json()
    if args.json == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if args.json:
        atomic_write_text(args.json, text)
    print(f"{task.id}: A = {args.a}{_demo_tag(labels.synthetic)}")
    print(f"{' ' * len(task.id)}  B = {args.b}")
    print(f"split {labels.split}, {disc.part_text(len(labels))}; paired bootstrap, {settings.replicates} replicates, seed {settings.seed}")
    if labels.synthetic:
        print(_paint(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***", "demo"))
    rows = []
    for name, m in res.metrics.items():
        rows.append(
            [
                name,
                format_value(m.a),
                format_value(m.b),
                format_value(m.difference),
                _fmt_ci(m.ci),
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
        _info(f"result written to {args.json}")
    return EXIT_OK


def cmd_readers_mrmc(args) -> int:
    from ..stats.mrmc import format_mrmc, mrmc_analysis
    from ..stats.mrmc_io import read_mrmc_file

    if not 0 < args.level < 1:
        raise UsageError(f"--level must be in (0, 1). Got {args.level} instead.")
    data = read_mrmc_file(args.file, fom=args.fom, model=args.model)
    res = mrmc_analysis(data, fom=args.fom, model=args.model, level=args.level)
    text = canonical_json(res)
    if args.json == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if args.json:
        atomic_write_text(args.json, text)
    sys.stdout.write(format_mrmc(res))
    if args.json:
        print(f"result written to {args.json}")
    return EXIT_OK


def cmd_split(args) -> int:
    import pandas as pd

    from ..core.formatting import SYNTHETIC
    from ..data.split import make_split, write_split

    reg = _registry(args)
    tasks = [t for t in reg if t.dataset.id == args.dataset]
    if not tasks:
        known = sorted({t.dataset.id for t in reg})
        raise UsageError(f"unknown dataset {args.dataset!r}; datasets: {', '.join(known)}.")
    t0 = tasks[0]
    path = Path(args.labels)
    if not path.is_file():
        raise UsageError(f"--labels {path} is not a file.")
    from ..data.csvio import read_csv_str

    df, _ = read_csv_str(path)
    wanted = {tg for t in tasks for tg in t.targets} | set(args.extra_label or [])
    label_cols = [c for c in df.columns if c in wanted] + sorted(wanted - set(df.columns))
    public_cols = list(t0.public_columns)
    patient = t0.resampling.cluster or t0.id_column
    missing = [c for c in [t0.id_column, patient, *label_cols, *public_cols] if c not in df.columns]
    if missing:
        raise UsageError(f"{path} lacks column(s) {missing}; columns found: {list(df.columns)}.")
    for c in label_cols:
        df[c] = pd.to_numeric(df[c], errors="coerce")
        if df[c].isna().any() or not df[c].isin([0, 1]).all():
            raise UsageError(f"{path}: label column {c!r} must hold 0/1 values.")
        df[c] = df[c].astype(int)
    extra = [sg.column for sg in t0.subgroups]
    split = make_split(
        df,
        id_col=t0.id_column,
        patient_col=patient,
        label_cols=label_cols,
        public_cols=[c for c in public_cols if c != t0.id_column],
        test_fraction=args.test_fraction,
        seed=args.seed,
        stratify_extra=extra,
    )
    pub = split.public_ids
    write_split(
        pub,
        split.hidden_labels,
        args.out,
        summary=split.summary,
        title=f"{t0.dataset.name} ({path.parent.name}/{path.name}; benchmark.split.make_split).",
        prefix=f"{SYNTHETIC}." if _is_synthetic(path) else "",
    )
    print(
        f"wrote {len(pub)} test cases from {pub[patient].nunique()} patients: "
        f"{Path(args.out) / 'test_ids.csv'} (public) and {Path(args.out) / 'test_labels.csv'} "
        "(hidden: keep it out of the repository)."
    )
    return EXIT_OK


def _is_synthetic(path: Path) -> bool:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
    return first.startswith("#") and "SYNTHETIC" in first.upper()


def cmd_demo(args) -> int:
    """Score every demo submission of every task and print one table per task."""
    from ..leaderboard.board import score_all_tasks
    from ..data.tasks import output_root

    reg = _registry(args)
    boards = score_all_tasks(reg, replicates=args.bootstrap, progress=_progress)
    for board in boards:
        print()
        print(board.text_table())
    if not args.no_site:
        from ..leaderboard.site.render import build_site

        out = Path(args.out or (output_root(reg.root) / "leaderboard"))
        index = build_site(reg, boards, out)
        print()
        print(f"leaderboard: {index}")
    return EXIT_OK


def cmd_task_check(args) -> int:
    from ..data.taskcheck import run

    return run(_registry(args), args.ids, args.write_pins, print)


def cmd_leaderboard(args) -> int:
    from ..leaderboard.board import score_all_tasks
    from ..leaderboard.site.render import build_site
    from ..data.tasks import output_root

    reg = _registry(args)
    boards = score_all_tasks(reg, labels=args.labels, progress=_progress, cache_dir=args.cache, now=args.now,
                             identity=args.identity)
    out = Path(args.out or (output_root(reg.root) / "leaderboard"))
    index = build_site(reg, boards, out)
    print(index)
    return EXIT_OK


# -- parser ----------------------------------------------------------------------------------------
NOW_HELP = ("the date deciding a task's reveal (public or private part of the labels); "
            "default: $BENCHMARK_NOW, else today (UTC)")


def _add_label_opts(s) -> None:
    g = s.add_mutually_exclusive_group()
    g.add_argument("--labels", metavar="PATH", help="hidden label file or folder (default: $BENCHMARK_LABELS_DIR; one of the two, or --demo, is required)")
    g.add_argument("--demo", action="store_true", help="score against the committed synthetic demo labels (illustrative scores, marked DEMO in every output)")
    s.add_argument("--cases", metavar="FILE", help="score only the cases listed in FILE (one id per line, optional header): one fold or a subset")


#: Examples shown by ``benchmark COMMAND --help``; ``{task}``, ``{split}`` and ``{dataset}`` are
#: filled in from the first registered task (:func:`_example_values`).
EXAMPLES = {
    "tasks": ["benchmark tasks"],
    "validate": [
        "benchmark validate {task} preds.csv",
        "benchmark validate {task} {split}_preds.csv --split {split}",
        "benchmark validate {task} submission.csv --json report.json",
    ],
    "score": [
        "benchmark score {task} preds.csv --labels /data/hidden/",
        "benchmark score {task} preds.csv --split {split} --labels ~/release/   # the dataset's own label files",
        "benchmark score {task} oof.csv --labels ~/release/train.csv --cases fold1.csv --json result.json",
        "benchmark score {task} preds.csv --demo",
    ],
    "compare": [
        "benchmark compare {task} a.csv b.csv --labels /data/hidden/ --bootstrap 2000",
        "benchmark compare {task} a.csv b.csv --demo --json -",
    ],
    "split": [
        "benchmark split {dataset} --labels annotations.csv --test-fraction 0.2 --seed 586 --out hidden/",
    ],
    "demo": ["benchmark demo", "benchmark demo --no-site --bootstrap 200"],
    "leaderboard": ["benchmark leaderboard build --labels /data/hidden/ --out site/"],
    "task": ["benchmark task check", "benchmark task check {task} --write-pins"],
    "readers": ["benchmark readers mrmc reads.csv", "benchmark readers mrmc reads.csv --model cnn --json -"],
}


#: What :data:`EXAMPLES` say when no task can be loaded.
EXAMPLE_PLACEHOLDERS = {"task": "TASK", "split": "SPLIT", "dataset": "DATASET"}


def _example_values(root) -> dict[str, str]:
    """Task id and a split of the first registered task, and a dataset split by patient."""
    try:
        from ..data.tasks import load_registry  # lazy: the registry is read only for --help

        tasks = list(load_registry(Path(root) if root else None))
    except BenchmarkError:
        tasks = []
    if not tasks:
        return EXAMPLE_PLACEHOLDERS
    task = tasks[0]
    others = [s for s in sorted(task.splits) if s != task.default_split]
    clustered = next((t for t in tasks if t.resampling.cluster), task)
    return {"task": task.id, "split": (others or [task.default_split])[0], "dataset": clustered.dataset.id}


def _formats_text(root) -> str:
    """``Formats by task`` for the help of the commands that read prediction files."""
    try:
        from ..data.tasks import load_registry

        reg = load_registry(Path(root) if root else None)
    except BenchmarkError:
        return ""
    lines = ["formats by task (--format; detected from the file when omitted):"]
    for t in reg:
        lines.append(f"  {t.id}: {', '.join(f.name for f in t.formats)}")
    return "\n".join(lines)


def _add_cmd(sub, name: str, help: str, extra: str = "", parents=(), values=None):
    """A subcommand whose --help has a description, examples and (for files) the format names."""
    values = values or EXAMPLE_PLACEHOLDERS
    epilog = "examples:\n" + "\n".join(f"  {e.format(**values)}" for e in EXAMPLES.get(name, []))
    if extra:
        epilog += "\n\n" + extra
    return sub.add_parser(
        name, help=help, description=help[0].upper() + help[1:] + ".", epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter, parents=list(parents),
    )


def build_parser(argv: Optional[Sequence[str]] = None) -> argparse.ArgumentParser:
    p = _Parser(
        prog="benchmark",
        description="Validate, score and compare predictions for medical-imaging benchmarks, and "
        "build the static leaderboard.",
        epilog="Run 'benchmark COMMAND --help' for a command's options and examples.\n"
        "Exit codes: 0 success; 2 invalid submission or bad usage; 1 host error (labels, task files).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"benchmark {__version__}")
    p.add_argument("--root", help="benchmark root holding tasks/ and submissions/ (default: $BENCHMARK_ROOT, else a checkout above the working folder, else the task files installed with the package)")
    common = argparse.ArgumentParser(add_help=False)  # -q/-v, accepted after the command too
    for target, default in ((p, None), (common, argparse.SUPPRESS)):
        g = target.add_mutually_exclusive_group()
        g.add_argument("-q", "--quiet", action="store_const", const=-1, dest="verbosity", default=default if default else 0,
                       help="print results and errors only (no progress, no 'written to' lines)")
        g.add_argument("-v", "--verbose", action="count", dest="verbosity",
                       default=default if default else 0,
                       help="more detail: the label file used; a traceback for internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    words = list(sys.argv[1:] if argv is None else argv)
    wants_help = any(w in ("-h", "--help") for w in words)
    root = words[words.index("--root") + 1] if "--root" in words[:-1] else None
    values = _example_values(root) if wants_help and len(words) > 1 else None

    def cmd(*a, **k):
        return _add_cmd(*a, parents=[common], values=values, **k)

    formats = ""
    if wants_help and any(w in ("validate", "score", "compare") for w in words):
        formats = _formats_text(root)

    s = cmd(sub, "tasks", "list the tasks with their primary metric and direction")
    s.set_defaults(func=cmd_tasks)

    def add_sub_opts(s):
        s.add_argument("task", help="task id (see 'benchmark tasks')")
        s.add_argument("file", help="prediction file (CSV)")
        s.add_argument("--format", help="submission format name (default: detected)")
        s.add_argument("--split", help="split name (default: the task's default split)")
        s.add_argument("--max-mb", type=float, help="refuse files larger than this (default: task limit)")

    s = cmd(sub, "validate", "check a submission against the public ids (no labels needed)", formats)
    add_sub_opts(s)
    s.add_argument("--json", metavar="OUT", help="write the validation report (every problem) as JSON to OUT ('-' for stdout)")
    s.set_defaults(func=cmd_validate)

    s = cmd(sub, "score", "score a submission against hidden labels (--labels, $BENCHMARK_LABELS_DIR) or, with --demo, the synthetic demo labels", formats)
    add_sub_opts(s)
    _add_label_opts(s)
    s.add_argument("--json", metavar="OUT", help="write the result JSON to OUT ('-' for stdout)")
    s.add_argument("--bootstrap", type=int, metavar="B", help="bootstrap replicates (0: point estimates only; default: task)")
    s.add_argument("--seed", type=int, help="resampling seed (default: task)")
    s.add_argument("--ci", choices=CI_METHODS, help="interval method (default: task)")
    s.add_argument("--level", type=float, help="confidence level (default: task, 0.95)")
    s.add_argument("--allow-label-hash-mismatch", action="store_true", help="score even if the labels' sha256 differs from the task's pin")
    s.add_argument("--now", metavar="YYYY-MM-DD", help=NOW_HELP)
    s.set_defaults(func=cmd_score)

    s = cmd(sub, "compare", "paired comparison of two submissions on the same cases", formats)
    s.add_argument("task", help="task id (see 'benchmark tasks')")
    s.add_argument("a", help="first prediction file")
    s.add_argument("b", help="second prediction file")
    s.add_argument("--format", help="submission format of both files (default: detected)")
    s.add_argument("--split", help="split name (default: the task's default split)")
    s.add_argument("--max-mb", type=float, help="refuse files larger than this (default: task limit)")
    _add_label_opts(s)
    s.add_argument("--json", metavar="OUT", help="write the comparison JSON to OUT ('-' for stdout)")
    s.add_argument("--bootstrap", type=int, metavar="B", help="paired replicates (default: task)")
    s.add_argument("--seed", type=int, help="resampling seed (default: task)")
    s.add_argument("--level", type=float, help="confidence level (default: task, 0.95)")
    s.add_argument("--allow-label-hash-mismatch", action="store_true", help="compare even if the labels' sha256 differs from the task's pin")
    s.add_argument("--now", metavar="YYYY-MM-DD", help=NOW_HELP)
    s.set_defaults(func=cmd_compare)

    rd = cmd(sub, "readers", "reader-study commands")
    rds = rd.add_subparsers(dest="readers_command", metavar="SUBCOMMAND", parser_class=_Parser)
    rd.set_defaults(func=lambda _args: (rd.print_help(sys.stderr), EXIT_INVALID)[1])
    s = rds.add_parser(
        "mrmc",
        help="multi-reader multi-case analysis (Obuchowski-Rockette, Hillis ddf) of a reads file",
        description="Obuchowski-Rockette MRMC analysis with jackknife covariances and Hillis's "
        "degrees of freedom: random readers and cases (RRRC), fixed readers (FRRC), fixed cases "
        "(RRFC). FILE is a CSV with columns reader,case,truth,rating and optionally modality.",
    )
    s.add_argument("file", help="reads file (CSV: reader,case,truth,rating[,modality])")
    s.add_argument("--model", metavar="NAME", help="the reader that is an algorithm: compare it with the other readers (one modality)")
    s.add_argument("--fom", choices=["auc", "sensitivity", "specificity"], default="auc",
                   help="figure of merit (default: auc; sensitivity and specificity need 0/1 reads)")
    s.add_argument("--level", type=float, default=0.95, help="confidence level (default: 0.95)")
    s.add_argument("--json", metavar="OUT", help="write the result JSON to OUT ('-' for stdout)")
    s.set_defaults(func=cmd_readers_mrmc)

    s = cmd(sub, "split", "make a patient-level stratified hidden test split")
    s.add_argument("dataset", help="dataset id (the [dataset] id of a dataset.toml)")
    s.add_argument("--labels", required=True, help="full label table (CSV)")
    s.add_argument("--test-fraction", type=float, default=0.2, help="share of patients in the test split (default: 0.2)")
    s.add_argument("--seed", type=int, default=0, help="random seed of the split (default: 0)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--extra-label", action="append", help="another 0/1 label column to stratify on")
    s.set_defaults(func=cmd_split)

    s = cmd(sub, "demo", "score every demo submission and build the leaderboard")
    s.add_argument("--bootstrap", type=int, metavar="B", help="replicates (default: task)")
    s.add_argument("--out", help="site folder (default: leaderboard/)")
    s.add_argument("--no-site", action="store_true", help="print the tables only")
    s.set_defaults(func=cmd_demo)

    lb = cmd(sub, "leaderboard", "leaderboard commands")
    lbs = lb.add_subparsers(dest="lb_command", metavar="SUBCOMMAND", parser_class=_Parser)
    s = lbs.add_parser("build", help="score every submission and render the static site", parents=[common])
    s.add_argument("--labels", help="hidden labels folder (default: $BENCHMARK_LABELS_DIR, else demo)")
    s.add_argument("--out", help="site folder (default: leaderboard/)")
    s.add_argument("--cache", help="result cache folder (default: .cache/results)")
    s.add_argument("--now", metavar="YYYY-MM-DD", help=NOW_HELP + "; default with the demo labels: "
                   "the newest submission date of each task")
    s.add_argument("--identity", metavar="FILE", help="age identity (secret key) opening confidential "
                   "predictions (default: $BENCHMARK_AGE_IDENTITY, else a task's committed DEMO key)")
    s.set_defaults(func=cmd_leaderboard)

    tk = cmd(sub, "task", "maintainer commands for task files")
    tks = tk.add_subparsers(dest="task_command", metavar="SUBCOMMAND", parser_class=_Parser)
    s = tks.add_parser("check", help="check task files, public id lists, demo labels and their sha256 pins", parents=[common])
    s.add_argument("ids", nargs="*", metavar="ID", help="task ids (default: every task)")
    s.add_argument("--write-pins", action="store_true", help="write missing or outdated demo_labels_sha256 pins into the task files")
    s.set_defaults(func=cmd_task_check)

    from ..submissions.confidential import register_cli as register_submit

    register_submit(sub, _Parser)

    # The CI module (git, ledger) is imported only when it is asked for, or for --help,
    # keeping the start-up of the other commands short.
    if "ci" in words or not words or wants_help:
        from ..grading.grade import register_cli

        register_cli(sub, _Parser)
    else:
        sub.add_parser("ci", help="grade pull-request submissions (benchmark ci grade --help)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0): return the code
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    _VERBOSITY["level"] = int(getattr(args, "verbosity", 0) or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    try:
        return int(args.func(args) or 0)
    except SubmissionInvalid as exc:
        _stderr(f"{_paint('INVALID submission:', 'error', sys.stderr)} {len(exc.problems)} problem(s)")
        _stderr(format_problems(exc.problems))
        for w in exc.warnings:
            _stderr(f"{_paint('warning:', 'warning', sys.stderr)} {w.format()}")
        return EXIT_INVALID
    except BenchmarkError as exc:
        kind = "error" if isinstance(exc, UsageError) else "host error"
        _stderr(f"{_paint(kind + ':', 'error', sys.stderr)} {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _stderr("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal bug: report without leaking a traceback
        if os.environ.get("BENCHMARK_DEBUG") or _VERBOSITY["level"] >= 1:
            traceback.print_exc()
        _stderr(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in the harness; rerun with -v (or BENCHMARK_DEBUG=1) for details."
        )
        return EXIT_HOST_ERROR


if __name__ == "__main__":
    sys.exit(main())
