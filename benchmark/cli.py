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

from . import __version__
from .errors import (
    EXIT_HOST_ERROR,
    EXIT_INVALID,
    EXIT_OK,
    BenchmarkError,
    SubmissionInvalid,
    UsageError,
    format_problems,
)
from .results import DEMO_BANNER, atomic_write_text, canonical_json, format_value


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 with usage: keep that, add a hint
        self.print_usage(sys.stderr)
        _stderr(f"{self.prog}: error: {message}\nRun '{self.prog} --help' for the options.")
        sys.exit(EXIT_INVALID)


# -- helpers --------------------------------------------------------------------------------------
def _registry(args):
    from .tasks import load_registry

    return load_registry(Path(args.root) if getattr(args, "root", None) else None)


def _table(headers: list[str], rows: list[list[str]], align_right: Optional[set] = None) -> str:
    align_right = align_right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells):
        return "  ".join(
            c.rjust(w) if i in align_right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def _ci_text(mv) -> str:
    from .results import DEGENERATE_NOTE

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
    print(_table(["task", "title", "primary metric", "direction", "splits"], rows))
    return EXIT_OK


def cmd_validate(args) -> int:
    from .confidential import read_prediction_file
    from .labels import load_public

    task = _registry(args).get(args.task)
    expected = load_public(task, args.split)
    sub = read_prediction_file(task, args.file, expected, format=args.format, max_mb=args.max_mb)
    print(
        f"OK: {args.file} is a valid {task.id} submission "
        f"(format {sub.format}, {len(sub.ids)} cases, split {expected.split})."
    )
    for w in sub.warnings:
        print(f"warning: {w.format()}")
    return EXIT_OK


def _score_one(args):
    from .confidential import read_prediction_file
    from .labels import load_labels
    from .scoring import BootstrapSettings, score_task

    task = _registry(args).get(args.task)
    settings = BootstrapSettings.from_task(
        task, replicates=args.bootstrap, seed=args.seed, method=args.ci, level=args.level
    )
    labels = load_labels(
        task, args.split, args.labels, allow_hash_mismatch=args.allow_label_hash_mismatch
    )
    sub = read_prediction_file(task, args.file, labels.public_cases(), format=args.format, max_mb=args.max_mb)
    disc = _disclosure(task, labels, args)
    scores = score_task(task, disc.restrict(labels), [disc.submission(sub, labels)], [str(args.file)], settings)
    return task, disc.result(scores.results[0])


def _disclosure(task, labels, args):
    """The disclosure stage of one command (``--now``, else ``$BENCHMARK_NOW``, else today)."""
    from .data.disclosure import decide, resolve_now

    return decide(task, labels, resolve_now(getattr(args, "now", None)))


def print_result(task, res) -> None:
    head = f"{task.id} v{task.version}: {task.title}"
    print(head)
    disc = res.disclosure or {}
    labels_text = (f"labels sha256 {res.labels_sha256[:12]}" if res.labels_sha256
                   else "hidden labels (their sha256 is not shown)")
    cases = disc.get("part_text") or f"{res.n_cases} cases"
    print(f"split {res.split}, {cases}, {labels_text}")
    if res.synthetic_labels:
        print(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***")
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
    print(_table(["metric", "value", level, "better", "n"], rows, {1}))
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
        print(f"warning: {w}")
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
        print(_table(["target", "reader", "spec", "reader sens", "model sens", "difference CI", "verdict"], rows))


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
    print(_table(["target", "FOM", "model", "readers", "RRRC difference CI", "RRRC p", "RRFC difference CI"], table))
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
            print(f"result written to {args.json}")
    return EXIT_OK


def cmd_compare(args) -> int:
    from .confidential import read_prediction_file
    from .labels import load_labels
    from .scoring import BootstrapSettings, compare_two

    task = _registry(args).get(args.task)
    settings = BootstrapSettings.from_task(
        task, replicates=args.bootstrap, seed=args.seed, method="percentile", level=args.level
    )
    labels = load_labels(task, args.split, args.labels, allow_hash_mismatch=args.allow_label_hash_mismatch)
    subs = [
        read_prediction_file(task, f, labels.public_cases(), format=args.format, max_mb=args.max_mb)
        for f in (args.a, args.b)
    ]
    disc = _disclosure(task, labels, args)
    if disc.ladder:
        raise UsageError(f"task {task.id!r} uses the Ladder on split {labels.split!r}: only the rounded "
                         "leaderboard score of each submission is shown, so no paired comparison is given.")
    subs = [disc.submission(s, labels) for s in subs]
    labels = disc.restrict(labels)
    res = disc.comparison(compare_two(task, labels, subs[0], subs[1], [str(args.a), str(args.b)], settings))
    text = canonical_json(res)
    if args.json == "-":
        sys.stdout.write(text)
        return EXIT_OK
    if args.json:
        atomic_write_text(args.json, text)
    print(f"{task.id}: A = {args.a}")
    print(f"{' ' * len(task.id)}  B = {args.b}")
    print(f"split {labels.split}, {disc.part_text(len(labels))}; paired bootstrap, {settings.replicates} replicates, seed {settings.seed}")
    if labels.synthetic:
        print(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***")
    rows = []
    for name, m in res["metrics"].items():
        dl = m.get("delong")
        rows.append(
            [
                name,
                format_value(m["a"]),
                format_value(m["b"]),
                format_value(m["difference"]),
                _fmt_ci(m["ci"]),
                "" if m["p_value"] is None else f"{m['p_value']:.4f}",
                "" if not dl else f"{dl['p_value']:.4f}",
                {None: "not distinguishable", str(args.a): "A", str(args.b): "B"}[m["better"]],
            ]
        )
    level = f"{settings.level:.0%} CI"
    print(_table(["metric", "A", "B", "A - B", level, "p (bootstrap)", "p (DeLong)", "better"], rows, {1, 2, 3}))
    for n in sorted({m["delong"]["note"] for m in res["metrics"].values() if (m.get("delong") or {}).get("note")}):
        print(f"note: p (DeLong): {n}")
    if args.json:
        print(f"result written to {args.json}")
    return EXIT_OK


def cmd_readers_mrmc(args) -> int:
    from .stats.mrmc import format_mrmc, mrmc_analysis
    from .stats.mrmc_io import read_mrmc_file

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

    from .demo import SYNTHETIC
    from .split import make_split, write_split

    reg = _registry(args)
    tasks = [t for t in reg if t.dataset.id == args.dataset]
    if not tasks:
        known = sorted({t.dataset.id for t in reg})
        raise UsageError(f"unknown dataset {args.dataset!r}; datasets: {', '.join(known)}.")
    t0 = tasks[0]
    path = Path(args.labels)
    if not path.is_file():
        raise UsageError(f"--labels {path} is not a file.")
    from .labels import _read_csv_str

    df, _ = _read_csv_str(path)
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
    from .board import score_all_tasks

    reg = _registry(args)
    boards = score_all_tasks(reg, replicates=args.bootstrap, progress=_stderr)
    for board in boards:
        print()
        print(board.text_table())
    if not args.no_site:
        from .site.render import build_site

        out = Path(args.out or (reg.root / "leaderboard"))
        index = build_site(reg, boards, out)
        print()
        print(f"leaderboard: {index}")
    return EXIT_OK


def cmd_leaderboard(args) -> int:
    from .board import score_all_tasks
    from .site.render import build_site

    reg = _registry(args)
    boards = score_all_tasks(reg, labels=args.labels, progress=_stderr, cache_dir=args.cache, now=args.now,
                             identity=args.identity)
    out = Path(args.out or (reg.root / "leaderboard"))
    index = build_site(reg, boards, out)
    print(index)
    return EXIT_OK


# -- parser ----------------------------------------------------------------------------------------
NOW_HELP = ("the date deciding a task's reveal (public or private part of the labels); "
            "default: $BENCHMARK_NOW, else today (UTC)")


def build_parser(argv: Optional[Sequence[str]] = None) -> argparse.ArgumentParser:
    p = _Parser(prog="benchmark", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"benchmark {__version__}")
    p.add_argument("--root", help="benchmark root holding tasks/ and submissions/ (default: auto)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("tasks", help="list the tasks with their primary metric and direction")
    s.set_defaults(func=cmd_tasks)

    def add_sub_opts(s):
        s.add_argument("task", help="task id (see 'benchmark tasks')")
        s.add_argument("file", help="prediction file (CSV)")
        s.add_argument("--format", help="submission format name (default: detected)")
        s.add_argument("--split", help="split name (default: the task's default split)")
        s.add_argument("--max-mb", type=float, help="refuse files larger than this (default: task limit)")

    s = sub.add_parser("validate", help="check a submission against the public ids (no labels needed)")
    add_sub_opts(s)
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("score", help="score a submission against hidden (or demo) labels")
    add_sub_opts(s)
    s.add_argument("--labels", help="label file or folder (default: $BENCHMARK_LABELS_DIR, else demo labels)")
    s.add_argument("--json", metavar="OUT", help="write the result JSON to OUT ('-' for stdout)")
    s.add_argument("--bootstrap", type=int, metavar="B", help="bootstrap replicates (0: point estimates only; default: task)")
    s.add_argument("--seed", type=int, help="resampling seed (default: task)")
    s.add_argument("--ci", choices=["percentile", "bca", "delong"], help="interval method (default: task)")
    s.add_argument("--level", type=float, help="confidence level (default: task, 0.95)")
    s.add_argument("--allow-label-hash-mismatch", action="store_true", help="score even if the labels' sha256 differs from the task's pin")
    s.add_argument("--now", metavar="YYYY-MM-DD", help=NOW_HELP)
    s.set_defaults(func=cmd_score)

    s = sub.add_parser("compare", help="paired comparison of two submissions on the same cases")
    s.add_argument("task", help="task id")
    s.add_argument("a", help="first prediction file")
    s.add_argument("b", help="second prediction file")
    s.add_argument("--format", help="submission format of both files (default: detected)")
    s.add_argument("--split", help="split name (default: the task's default split)")
    s.add_argument("--max-mb", type=float, help="refuse files larger than this")
    s.add_argument("--labels", help="label file or folder (default: $BENCHMARK_LABELS_DIR, else demo labels)")
    s.add_argument("--json", metavar="OUT", help="write the comparison JSON to OUT ('-' for stdout)")
    s.add_argument("--bootstrap", type=int, metavar="B", help="paired replicates (default: task)")
    s.add_argument("--seed", type=int, help="resampling seed (default: task)")
    s.add_argument("--level", type=float, help="confidence level (default: task, 0.95)")
    s.add_argument("--allow-label-hash-mismatch", action="store_true")
    s.add_argument("--now", metavar="YYYY-MM-DD", help=NOW_HELP)
    s.set_defaults(func=cmd_compare)

    rd = sub.add_parser("readers", help="reader-study commands")
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

    s = sub.add_parser("split", help="make a patient-level stratified hidden test split")
    s.add_argument("dataset", help="dataset id (e.g. scopemri)")
    s.add_argument("--labels", required=True, help="full label table (CSV)")
    s.add_argument("--test-fraction", type=float, default=0.2)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--extra-label", action="append", help="another 0/1 label column to stratify on")
    s.set_defaults(func=cmd_split)

    s = sub.add_parser("demo", help="score every demo submission and build the leaderboard")
    s.add_argument("--bootstrap", type=int, metavar="B", help="replicates (default: task)")
    s.add_argument("--out", help="site folder (default: leaderboard/)")
    s.add_argument("--no-site", action="store_true", help="print the tables only")
    s.set_defaults(func=cmd_demo)

    lb = sub.add_parser("leaderboard", help="leaderboard commands")
    lbs = lb.add_subparsers(dest="lb_command", metavar="SUBCOMMAND", parser_class=_Parser)
    s = lbs.add_parser("build", help="score every submission and render the static site")
    s.add_argument("--labels", help="hidden labels folder (default: $BENCHMARK_LABELS_DIR, else demo)")
    s.add_argument("--out", help="site folder (default: leaderboard/)")
    s.add_argument("--cache", help="result cache folder (default: .cache/results)")
    s.add_argument("--now", metavar="YYYY-MM-DD", help=NOW_HELP + "; default with the demo labels: "
                   "the newest submission date of each task")
    s.add_argument("--identity", metavar="FILE", help="age identity (secret key) opening confidential "
                   "predictions (default: $BENCHMARK_AGE_IDENTITY, else a task's committed DEMO key)")
    s.set_defaults(func=cmd_leaderboard)

    from .confidential import register_cli as register_submit

    register_submit(sub, _Parser)

    # The CI module (git, ledger) is imported only when it is asked for, or for --help,
    # keeping the start-up of the other commands short.
    words = list(sys.argv[1:] if argv is None else argv)
    if "ci" in words or not words or any(w in ("-h", "--help") for w in words):
        from .ci import register_cli

        register_cli(sub, _Parser)
    else:
        sub.add_parser("ci", help="grade pull-request submissions (benchmark ci grade --help)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    try:
        return int(args.func(args) or 0)
    except SubmissionInvalid as exc:
        _stderr(f"INVALID submission: {len(exc.problems)} problem(s)")
        _stderr(format_problems(exc.problems))
        for w in exc.warnings:
            _stderr(f"warning: {w.format()}")
        return EXIT_INVALID
    except BenchmarkError as exc:
        kind = "error" if isinstance(exc, UsageError) else "host error"
        _stderr(f"{kind}: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _stderr("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal bug: report without leaking a traceback
        if os.environ.get("BENCHMARK_DEBUG"):
            traceback.print_exc()
        _stderr(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in the harness; rerun with BENCHMARK_DEBUG=1 for details."
        )
        return EXIT_HOST_ERROR


if __name__ == "__main__":
    sys.exit(main())
