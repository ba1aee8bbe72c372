"""Time to refuse hostile prediction files, as a ratio to reading a valid file.

Cases (MRNet task, in memory through ``read_submission_bytes``; each repeated ``--repeat``
times, min and median reported):

* anchor: the committed demo submission ``demo-lab-a__resnet-baseline`` (valid, 120 rows);
* wide: a header of 200,000 columns;
* column: a 10 MB column name;
* cell: a 10 MB cell in the last column;
* digits: a 200-digit column name (an all-digit name must not crash the annotations).

The ratio ``case / anchor`` is what is recorded (absolute times depend on the shared machine).
Also printed: the length of the longest problem message, which the report cuts to 600
characters anyway.

Usage::

    python benchmarks/hostile_csv.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmark.core.errors import SubmissionInvalid
from benchmark.data.public import load_public
from benchmark.submissions.submission import read_submission_bytes
from benchmark.data.tasks import load_registry

ROOT = Path(__file__).resolve().parent.parent


def cases() -> dict:
    valid = (ROOT / "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv").read_bytes()
    return {
        "anchor": valid,
        "wide": ("case," + ",".join(f"c{i}" for i in range(200_000)) + "\n1130,0.5\n").encode(),
        "column": ("case,abnormal,acl," + "m" * 10_000_000 + "\n1130,0.5,0.5,0.5\n").encode(),
        "cell": ("case,abnormal,acl,meniscus\n1130,0.5,0.5," + "9" * 10_000_000 + "\n").encode(),
        "digits": ("case,abnormal,acl," + "7" * 200 + "\n1130,0.5,0.5,x\n").encode(),
    }


def one(task, expected, data: bytes) -> tuple[float, int]:
    t0 = time.perf_counter()
    longest = 0
    try:
        read_submission_bytes(task, data, expected)
    except SubmissionInvalid as exc:
        longest = max(len(p.format()) for p in exc.problems)
    return time.perf_counter() - t0, longest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    task = load_registry(ROOT).get("mrnet")
    expected = load_public(task, "test")
    data = cases()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    times = {k: [] for k in data}
    longest = {}
    for _ in range(args.repeat):
        for k, d in data.items():  # interleaved, so load changes affect every case alike
            t, n = one(task, expected, d)
            times[k].append(t)
            longest[k] = n
    a_min, a_med = min(times["anchor"]), statistics.median(times["anchor"])
    print(f"{'case':8} {'ratio min':>10} {'ratio median':>13} {'longest message':>16}")
    for k in data:
        print(f"{k:8} {min(times[k]) / a_min:10.2f} {statistics.median(times[k]) / a_med:13.2f} {longest[k]:16,}")
    print(f"anchor: min {a_min * 1000:.1f} ms, median {a_med * 1000:.1f} ms")


if __name__ == "__main__":
    main()
