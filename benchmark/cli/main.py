"""Command-line interface: ``benchmark <command>`` (or ``python -m benchmark``).

This module is the parser, the dispatch and the exit codes; each command is one module beside
it (``score.py`` runs ``benchmark score``, ...), imported only when its command runs.

Exit codes: 0 success; 2 invalid submission or bad usage; 1 host error (labels, task files,
internal). No input produces a Python traceback unless ``BENCHMARK_DEBUG=1`` is set.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import Optional, Sequence

from .. import __version__
from ..core.errors import EXIT_HOST_ERROR, EXIT_INVALID, EXIT_OK, BenchmarkError, SubmissionInvalid, UsageError, format_problems
from ..data.tasks import load_registry
from ..stats.methods import CI_METHODS
from ..submissions.confidential import register_cli as register_submit
from .check import add_check_command
from .ci import add_ci_command
from .terminal import paint, say, set_verbosity, verbosity


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 with usage: keep that, add a hint
        self.print_usage(sys.stderr)
        say(f"{self.prog}: error: {message}\nRun '{self.prog} --help' for the options.")
        sys.exit(EXIT_INVALID)


def _command(module: str, function: str = "run"):
    """The function running a command, importing its module (``cli/<module>.py``) only then.

    A lazy import that buys start-up time: ``benchmark --help`` and light commands skip pandas,
    scipy and jinja2 (measured by benchmarks/cli_startup.py, see benchmarks/README.md).
    """

    def run(args) -> int:
        return getattr(importlib.import_module(f"{__package__}.{module}"), function)(args)

    run.__qualname__ = f"{module}.{function}"
    return run


# -- parser ----------------------------------------------------------------------------------------
SCHEDULER_HELP = (
    "run the scoring jobs on a Dask cluster: a scheduler ADDRESS (e.g. tcp://10.0.0.5:8786) or "
    "local:N for N worker processes on this machine (needs the dask extra: "
    "pip install 'imaging-benchmark-harness[dask]'; see docs/scaling.md)"
)
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
    "task": [
        "benchmark task check",
        "benchmark task check {task} --write-pins --write-readme",
        "benchmark task new toy-fracture --dataset toy --targets fracture --public-ids test_ids.csv "
        "--demo-labels test_labels.csv --title 'Toy fracture detection' --description '...'",
    ],
    "readers": ["benchmark readers mrmc reads.csv", "benchmark readers mrmc reads.csv --model cnn --json -"],
}


#: What :data:`EXAMPLES` say when no task can be loaded.
EXAMPLE_PLACEHOLDERS = {"task": "TASK", "split": "SPLIT", "dataset": "DATASET"}


def _example_values(root) -> dict[str, str]:
    """Task id and a split of the first registered task, and a dataset split by patient."""
    try:
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
    s.set_defaults(func=_command("tasks"))

    def add_sub_opts(s):
        s.add_argument("task", help="task id (see 'benchmark tasks')")
        s.add_argument("file", help="prediction file (CSV)")
        s.add_argument("--format", help="submission format name (default: detected)")
        s.add_argument("--split", help="split name (default: the task's default split)")
        s.add_argument("--max-mb", type=float, help="refuse files larger than this (default: task limit)")

    s = cmd(sub, "validate", "check a submission against the public ids (no labels needed)", formats)
    add_sub_opts(s)
    s.add_argument("--json", metavar="OUT", help="write the validation report (every problem) as JSON to OUT ('-' for stdout)")
    s.set_defaults(func=_command("validate"))

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
    s.add_argument("--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP)
    s.set_defaults(func=_command("score"))

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
    s.set_defaults(func=_command("compare"))

    rd = cmd(sub, "readers", "reader-study commands")
    rds = rd.add_subparsers(dest="readers_command", metavar="SUBCOMMAND", parser_class=_Parser)
    rd.set_defaults(func=lambda _args: (rd.print_help(sys.stderr), EXIT_INVALID)[1])
    s = rds.add_parser(
        "mrmc",
        help="multi-reader multi-case analysis (Obuchowski-Rockette, Hillis ddf) of a reads file",
        description="Obuchowski-Rockette MRMC analysis with jackknife covariances and Hillis's "
        "degrees of freedom: random readers and cases (RRRC), fixed readers (FRRC), fixed cases "
        "(RRFC). FILE is a CSV with columns reader,case,truth,rating and optionally modality.",
        parents=[common],
    )
    s.add_argument("file", help="reads file (CSV: reader,case,truth,rating[,modality])")
    s.add_argument("--model", metavar="NAME", help="the reader that is an algorithm: compare it with the other readers (one modality)")
    s.add_argument("--fom", choices=["auc", "sensitivity", "specificity"], default="auc",
                   help="figure of merit (default: auc; sensitivity and specificity need 0/1 reads)")
    s.add_argument("--level", type=float, default=0.95, help="confidence level (default: 0.95)")
    s.add_argument("--json", metavar="OUT", help="write the result JSON to OUT ('-' for stdout)")
    s.set_defaults(func=_command("readers"))

    s = cmd(sub, "split", "make a patient-level stratified hidden test split")
    s.add_argument("dataset", help="dataset id (the [dataset] id of a dataset.toml)")
    s.add_argument("--labels", required=True, help="full label table (CSV)")
    s.add_argument("--test-fraction", type=float, default=0.2, help="share of patients in the test split (default: 0.2)")
    s.add_argument("--seed", type=int, default=0, help="random seed of the split (default: 0)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--extra-label", action="append", help="another 0/1 label column to stratify on")
    s.set_defaults(func=_command("split"))

    s = cmd(sub, "demo", "score every demo submission and build the leaderboard")
    s.add_argument("--bootstrap", type=int, metavar="B", help="replicates (default: task)")
    s.add_argument("--out", help="site folder (default: leaderboard/)")
    s.add_argument("--no-site", action="store_true", help="print the tables only")
    s.set_defaults(func=_command("demo"))

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
    s.add_argument("--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP)
    s.set_defaults(func=_command("leaderboard"))

    tk = cmd(sub, "task", "maintainer commands for task files")
    tks = tk.add_subparsers(dest="task_command", metavar="SUBCOMMAND", parser_class=_Parser)
    s = tks.add_parser("check", help="check task files, public id lists, demo labels and their sha256 pins", parents=[common])
    s.add_argument("ids", nargs="*", metavar="ID", help="task ids (default: every task)")
    s.add_argument("--write-pins", action="store_true", help="write missing or outdated demo_labels_sha256 pins into the task files")
    s.add_argument("--write-readme", action="store_true", help="regenerate the generated part of each task's README.md from its task.toml")
    s.set_defaults(func=_command("task", "run_check"))
    s = tks.add_parser(
        "new", parents=[common],
        help="scaffold a binary task: task.toml, README.md, the public id list (and a dataset block when needed)",
        description="Write tasks/ID/ from flags, asking for what is missing when stdin is a terminal: a "
        "binary task with one canonical format, one metric per target, the public id list copied beside "
        "it, optional SYNTHETIC demo labels with their sha256 pinned, and a README generated from the "
        "task file. A dataset without tasks/_datasets/DATASET/dataset.toml gets one from the --dataset-* flags.",
    )
    s.add_argument("id", metavar="ID", help="task id: lower-case letters, digits and hyphens (the folder name)")
    s.add_argument("--title", help="one-line title")
    s.add_argument("--description", help="what is predicted and how it is scored, with sources")
    s.add_argument("--dataset", metavar="DATASET", help="dataset id: tasks/_datasets/DATASET/dataset.toml is included (written when new)")
    s.add_argument("--targets", metavar="A,B", help="target names, comma-separated (one 0/1 label column each)")
    s.add_argument("--metric", default="roc_auc", help="registered metric: a binary one is declared per target (default: roc_auc)")
    s.add_argument("--public-ids", metavar="FILE", help="public id list (CSV with a header): copied to tasks/ID/SPLIT_ids.csv")
    s.add_argument("--id-column", metavar="NAME", help="case id column (default: the first column of --public-ids)")
    s.add_argument("--split", default="test", help="name of the split (default: test)")
    s.add_argument("--demo-labels", metavar="FILE", help="SYNTHETIC demo labels ('# SYNTHETIC ...' first line): copied and their sha256 pinned")
    for key in ("name", "description", "modality", "citation", "license"):
        s.add_argument(f"--dataset-{key}", help=f"{key} of a new dataset block")
    s.add_argument("--no-input", action="store_true", help="never ask: fail when a required value is missing")
    s.set_defaults(func=_command("task", "run_new"))

    register_submit(sub, _Parser)

    add_check_command(sub)
    add_ci_command(sub, _Parser)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0): return the code
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    set_verbosity(int(getattr(args, "verbosity", 0) or 0))
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    try:
        return int(args.func(args) or 0)
    except SubmissionInvalid as exc:
        say(f"{paint('INVALID submission:', 'error', sys.stderr)} {len(exc.problems)} problem(s)")
        say(format_problems(exc.problems))
        for w in exc.warnings:
            say(f"{paint('warning:', 'warning', sys.stderr)} {w.format()}")
        return EXIT_INVALID
    except BenchmarkError as exc:
        kind = "error" if isinstance(exc, UsageError) else "host error"
        say(f"{paint(kind + ':', 'error', sys.stderr)} {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal bug: report without leaking a traceback
        if os.environ.get("BENCHMARK_DEBUG") or verbosity() >= 1:
            traceback.print_exc()
        say(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in the harness; rerun with -v (or BENCHMARK_DEBUG=1) for details."
        )
        return EXIT_HOST_ERROR


if __name__ == "__main__":
    sys.exit(main())
