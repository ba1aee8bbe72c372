"""``benchmark check``: the pre-flight before a pull request (logic in :mod:`benchmark.grading.preflight`)."""

from __future__ import annotations

import argparse

__all__ = ["add_check_command"]


def _run_check(args) -> int:
    # Importing the grader (scoring, statistics) costs seconds that other commands skip
    # (benchmarks/startup.py: median 1.2 s for `import benchmark.cli.main`, 5.2 s with the grader).
    from ..grading.preflight import cmd_check  # lazy: start-up time, see above

    return cmd_check(args)


def add_check_command(sub) -> None:
    """Add ``benchmark check`` to the subcommands ``sub`` of the command-line parser."""
    s = sub.add_parser(
        "check",
        help="pre-flight before a pull request: every problem at once, uncommitted files, and the "
        "verdict the pull request's check will give",
        description="Check the submission folders your branch adds or changes, as a pull request "
        "would be checked, before you open it. Reports folder names, submission.toml and "
        "prediction problems in one pass (the working tree as if everything were committed), warns "
        "about files under submissions/ that are not committed, lists every folder and file it "
        "checked, and ends with the verdict the pull request's check computes on the committed "
        "tree. Nothing in the repository is changed. Exit 0: ready; 2: something to fix; 1: host error.",
        epilog="examples:\n  benchmark check\n  benchmark check --base upstream/main\n"
        "  benchmark check --markdown >> \"$GITHUB_STEP_SUMMARY\"",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--base", metavar="REF", help="the branch the pull request targets (default: the first "
                   "of upstream/main, origin/main, main, master that exists)")
    s.add_argument("--repo", metavar="DIR", help="git work tree (default: the benchmark root)")
    s.add_argument("--markdown", action="store_true", help="print Markdown (default: plain text, "
                   "Markdown inside a GitHub workflow)")
    s.set_defaults(func=_run_check)
