"""Start-up cost of scoring: what importing the scoring stage and a small ``benchmark score`` cost.

Runs, in fresh interpreters, each command ``--repeats`` times (interleaved over the checkouts
given with ``--roots``, so that every checkout sees the same machine load):

* ``python -c pass`` -- the anchor: an interpreter that imports nothing;
* ``import benchmark.scoring.score`` -- the scoring stage and the statistics it loads;
* ``python -m benchmark score rsna-cspine <demo submission> --demo --bootstrap 0`` -- a small
  score without intervals, where import time dominates.

Prints min and median wall time per command and checkout, and their ratio to the anchor's
median. With two checkouts (e.g. before and after a change) the ratio between them tells what
the change costs at start-up.

Usage::

    python benchmarks/score_startup.py --roots /path/to/before /path/to/after --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBMISSION = "submissions/rsna-cspine/demo-lab-a__segmentation-2stage/predictions.csv"

COMMANDS = {
    "python -c pass (anchor)": ["-c", "pass"],
    "import benchmark.scoring.score": ["-c", "import benchmark.scoring.score"],
    "benchmark score rsna-cspine --bootstrap 0": [
        "-m", "benchmark", "score", "rsna-cspine", SUBMISSION, "--demo", "--bootstrap", "0",
    ],
}


def _run(root: Path, args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(root))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roots", nargs="+", type=Path, default=[ROOT])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    times = {(str(r), c): [] for r in a.roots for c in COMMANDS}
    for _ in range(a.repeats):
        for name, args in COMMANDS.items():
            for r in a.roots:
                times[(str(r), name)].append(_run(r.resolve(), args))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}; {a.repeats} repeats")
    print("| checkout | command | min (s) | median (s) | median / anchor |")
    print("|---|---|---|---|---|")
    for r in a.roots:
        anchor = statistics.median(times[(str(r), next(iter(COMMANDS)))])
        for name in COMMANDS:
            t = times[(str(r), name)]
            med = statistics.median(t)
            print(f"| {r} | {name} | {min(t):.2f} | {med:.2f} | {med / anchor:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
