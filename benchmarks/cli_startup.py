"""Start-up time of the command line: what importing a command's module only when it runs buys.

Times, each in a fresh interpreter and interleaved so load changes hit every variant alike:

* ``anchor``: ``python -c pass`` (the interpreter alone), against which the others are ratios;
* ``benchmark --help``, ``benchmark tasks`` and ``benchmark validate --help`` as shipped
  (``cli/main.py`` imports a command's module when the command runs);
* the same three with every command module and the grading module imported first, i.e. what
  module-level imports of the commands in ``cli/main.py`` would cost;
* ``benchmark tasks`` and ``import benchmark.cli.main`` with the grading module imported too:
  what importing the grader for every command (not only when ``ci grade`` runs) would cost.

Usage::

    .venv/bin/python benchmarks/cli_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMAND_MODULES = ["tasks", "validate", "score", "compare", "readers", "split", "demo", "leaderboard", "task"]
EAGER = "; ".join(f"import benchmark.cli.{m}" for m in COMMAND_MODULES) + "; import benchmark.grading.command"


def _argv(words: list[str], first: str = "") -> list[str]:
    call = f"import sys; from benchmark.cli.main import main; sys.exit(main({words!r}))"
    return [sys.executable, "-c", (first + "; " if first else "") + call]


def _time(argv: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    variants = {"anchor: python -c pass": [sys.executable, "-c", "pass"]}
    for words in (["--help"], ["tasks"], ["validate", "--help"]):
        name = "benchmark " + " ".join(words)
        variants[f"{name} (as shipped)"] = _argv(words)
        variants[f"{name} (every command imported)"] = _argv(words, EAGER)
    variants["benchmark tasks (grading module imported)"] = _argv(["tasks"], "import benchmark.grading.command")
    variants["import benchmark.cli.main"] = [sys.executable, "-c", "import benchmark.cli.main"]
    variants["import benchmark.cli.main + grading module"] = [
        sys.executable, "-c", "import benchmark.cli.main, benchmark.grading.command"]
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.repeats):
        for name, argv in variants.items():
            times[name].append(_time(argv))
    anchor = statistics.median(times["anchor: python -c pass"])
    print(f"{args.repeats} runs each, load average {os.getloadavg()[0]:.2f}")
    print(f"{'variant':58} {'min s':>7} {'median s':>9} {'x anchor':>9}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:58} {min(ts):7.3f} {med:9.3f} {med / anchor:9.1f}")


if __name__ == "__main__":
    main()
