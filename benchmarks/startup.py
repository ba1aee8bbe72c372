"""Start-up cost of the command line with and without the grader imported.

Each measurement is a fresh interpreter (``python -c "import ..."``), timed from outside, so it
includes Python's own start-up. The anchor is ``import benchmark.cli.main`` (what every
``benchmark`` command pays); the second row adds ``benchmark.grading.preflight`` (the grader,
scoring and statistics), which ``benchmark check`` and ``benchmark ci grade`` import only when they
run. Rows are interleaved so a change in machine load affects both alike.

Usage: ``python benchmarks/startup.py [REPEATS]`` (default 7); prints min and median per row and
the ratio of the medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = {
    "import benchmark.cli.main (anchor)": "import benchmark.cli.main",
    "... + benchmark.grading.preflight": "import benchmark.cli.main, benchmark.grading.preflight",
}


def once(code: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - t0


def main(repeats: int = 7) -> None:
    times: dict[str, list[float]] = {name: [] for name in ROWS}
    for _ in range(repeats):
        for name, code in ROWS.items():
            times[name].append(once(code))
    anchor = statistics.median(next(iter(times.values())))
    print(f"{repeats} runs each, load average {os.getloadavg()[0]:.1f}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:40s} min {min(ts):.2f} s  median {med:.2f} s  ratio {med / anchor:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
