"""Start-up cost of ``benchmark tasks`` (imports + task files + metric hooks + contracts).

Runs ``python -m benchmark tasks`` (and, with ``--registry-only``, just
``load_registry()``) in fresh processes, alternating between an anchor tree (``--anchor DIR``,
e.g. ``git archive <commit> | tar -x -C DIR``) and this checkout, and prints min and median wall
time of each and their ratio.

    python benchmarks/task_load_speed.py --anchor /tmp/base --repeat 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY_ONLY = ["-c", "from benchmark.data.tasks import load_registry; load_registry()"]
CLI = ["-m", "benchmark", "tasks"]


def once(tree: Path, command: list) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, *command], cwd=tree, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchor", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--registry-only", action="store_true")
    args = parser.parse_args()
    command = REGISTRY_ONLY if args.registry_only else CLI
    once(args.anchor, command), once(ROOT, command)  # warm the file cache
    anchor, here = [], []
    for _ in range(args.repeat):
        anchor.append(once(args.anchor, command))
        here.append(once(ROOT, command))
    print(f"{' '.join(command)}; load average {os.getloadavg()[0]:.2f}; {args.repeat} runs each")
    for name, t in (("anchor", anchor), ("this tree", here)):
        print(f"{name:10s} min {min(t):.3f} s  median {statistics.median(t):.3f} s")
    print(f"ratio (this / anchor): min {min(here) / min(anchor):.2f}  "
          f"median {statistics.median(here) / statistics.median(anchor):.2f}")


if __name__ == "__main__":
    main()
