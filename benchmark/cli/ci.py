"""``benchmark ci grade``: the options (the grading itself is :mod:`benchmark.grading.command`)."""

from __future__ import annotations

import sys

from ..core.errors import EXIT_INVALID
from ..grading.teams import AUTHOR_ENV

__all__ = ["add_ci_command"]


def _run_grade(args) -> int:
    # Importing the grader (scoring, statistics) costs seconds that other commands skip
    # (benchmarks/startup.py: median 1.2 s for `import benchmark.cli.main`, 5.2 s with the grader).
    from ..grading.command import cmd_grade  # lazy: start-up time, see above

    return cmd_grade(args)


def add_ci_command(subparsers, parser_class) -> None:
    """Add ``benchmark ci grade`` to the subcommands of the command-line parser."""
    ci = subparsers.add_parser("ci", help="continuous-integration commands (grading pull requests)")
    cis = ci.add_subparsers(dest="ci_command", metavar="SUBCOMMAND", parser_class=parser_class)
    s = cis.add_parser(
        "grade",
        help="validate (and with --labels score) the submissions a change adds or modifies",
        description="Validate, and with --labels score, the submission folders that the change "
        "base...head adds or modifies. Exit 0: all valid; 2: a submission or the change is "
        "invalid; 1: host error.",
    )
    s.add_argument("--base", required=True, help="base revision (the target branch, e.g. origin/main)")
    s.add_argument("--head", default="HEAD", help="head revision of the change (default: HEAD)")
    s.add_argument("--labels", help="hidden labels folder; when given, valid submissions are scored")
    s.add_argument("--summary", metavar="FILE", help="write the Markdown report here (also appended to $GITHUB_STEP_SUMMARY)")
    s.add_argument("--annotations", action="store_true", help="print GitHub workflow commands (::error file=...,line=...)")
    s.add_argument("--ledger", metavar="PATH", help="append-only ledger file or folder (ledger.jsonl): read for limits, appended")
    s.add_argument("--bootstrap", type=int, metavar="B", help="bootstrap replicates (default: the task's)")
    s.add_argument("--now", metavar="TIME", help="grading time, ISO 8601 or YYYY-MM-DD (default: $BENCHMARK_NOW, "
                   "else now); decides the limits' day and the reveal; for reproducing a past grading")
    s.add_argument("--actor", help="who triggered the grading (recorded in the ledger)")
    s.add_argument("--author", metavar="LOGIN", help="GitHub login of the pull request's author, from the "
                   f"event (default: ${AUTHOR_ENV}); the team must list it in teams/<slug>.toml, and "
                   "limits count per account")
    s.add_argument("--identity", metavar="FILE", help="age identity (secret key) file opening confidential "
                   "predictions (default: $BENCHMARK_AGE_IDENTITY)")
    s.add_argument("--ledger-ref", metavar="REF", help="keep the ledger at this git ref (e.g. refs/heads/ledger), "
                   "appended by compare-and-swap")
    s.add_argument("--repo", help="git work tree (default: the benchmark root)")
    s.add_argument("--allow-label-hash-mismatch", action="store_true", help="score even if the labels' sha256 differs from the task's pin")
    s.set_defaults(func=_run_grade)

    def _no_sub(args):
        ci.print_help(sys.stderr)
        return EXIT_INVALID

    ci.set_defaults(func=_no_sub)


