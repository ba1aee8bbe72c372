"""End-to-end time of `benchmark score` on a 1,500-study RSNA 2022 submission (12,000 rows).

Each run is a fresh process (interpreter start, imports, task registry, label file, validation,
scoring, JSON). Prints min / median / max wall time and peak RSS over several runs, for point
estimates only (--bootstrap 0) and with the task's default 2,000 paired replicates.

    .venv/bin/python benchmarks/score_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(args: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kb / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    sub = sorted((ROOT / "submissions" / "rsna-cspine").glob("*/predictions.csv"))[0]
    rows = sum(1 for line in sub.read_text().splitlines() if line and not line.startswith("#")) - 1
    exe = [sys.executable, "-m", "benchmark", "score", "rsna-cspine", str(sub.relative_to(ROOT)), "--demo", "--json", "/dev/null"]
    print(f"submission: {sub.relative_to(ROOT)} ({rows} rows)")
    print(f"{'case':<32} {'min s':>7} {'median s':>9} {'max s':>7} {'peak MB':>8}")
    for label, extra in (("point estimates (--bootstrap 0)", ["--bootstrap", "0"]), ("2,000 paired replicates", [])):
        one_run(exe + extra)  # warm the file cache
        times, peak = [], 0.0
        for _ in range(a.runs):
            t, p = one_run(exe + extra)
            times.append(t)
            peak = max(peak, p)
        print(f"{label:<32} {min(times):7.3f} {statistics.median(times):9.3f} {max(times):7.3f} {peak:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
