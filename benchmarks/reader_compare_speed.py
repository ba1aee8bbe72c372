"""Reader comparisons of one submission: this checkout against another, in the same run.

What a leaderboard build spends most of its time on for a task with readers: every submission
is compared with a case-level reader study (:class:`benchmark.stats.reader_studies.ReaderStudy`,
sensitivity at each reader's specificity, in every bootstrap replicate) and with a published
operating point (:func:`benchmark.stats.baselines.compare_to_operating_point`). The script times
both, at MRNet's size by default (120 SYNTHETIC cases, 7 readers, B = 10,000 replicates of a
stratified plan), in fresh interpreters alternating between the two checkouts, and checks that
both give the same comparisons (their JSON, byte for byte) before reporting anything.

Usage::

    git archive <commit> | tar -x -C /tmp/anchor
    .venv/bin/python benchmarks/reader_compare_speed.py --anchor /tmp/anchor [--repeats 5]

Reports min and median of each, and the ratio of the medians (anchor / this checkout).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from benchmark.stats.baselines import compare_to_operating_point
from benchmark.stats.reader_studies import ReaderStudy
from benchmark.stats.resampling import ResamplingPlan

n, readers, B, calls = (int(v) for v in sys.argv[2:6])
rng = np.random.default_rng(2026)
y = (rng.uniform(size=n) < 0.6).astype(float)  # SYNTHETIC labels
reads = (rng.uniform(size=(readers, n)) < 0.5 + 0.35 * (2 * y - 1)).astype(float)
plan = ResamplingPlan.build(n, strata=y, replicates=B, seed=0, key="reader-speed")
blocks = list(plan.chunks())
study = ReaderStudy(y, reads, blocks)
base = {"name": "readers", "target": "t", "sensitivity": 6 / 7, "specificity": 0.8,
        "sensitivity_counts": [6 * readers, 7 * readers], "specificity_counts": [4 * readers, 5 * readers], "n_readers": readers}
scores = [rng.normal(size=n) + (1.0 + 0.02 * i) * y for i in range(calls)]
out = []
t0 = time.perf_counter()
for s in scores:
    out.append([c.to_dict() for c in study.compare(s)])
t_study = (time.perf_counter() - t0) / calls
t0 = time.perf_counter()
for s in scores:
    out.append(compare_to_operating_point(y, s, base, blocks, seed=1).to_dict())
t_base = (time.perf_counter() - t0) / calls
print(json.dumps({"study": t_study, "baseline": t_base, "out": out}, sort_keys=True, default=repr))
"""


def run(code: Path, args) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), str(args.n), str(args.readers), str(args.replicates), str(args.calls)],
        check=True, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(code)),
    )
    return json.loads(res.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--anchor", required=True, help="another checkout to time against")
    ap.add_argument("--n", type=int, default=120)
    ap.add_argument("--readers", type=int, default=7)
    ap.add_argument("--replicates", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=10, help="submissions compared per run")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    codes = {"anchor": Path(args.anchor).resolve(), "current": REPO}
    times: dict = {k: {"study": [], "baseline": []} for k in codes}
    outputs = {}
    for _ in range(args.repeats):
        for name, code in codes.items():
            r = run(code, args)
            for key in ("study", "baseline"):
                times[name][key].append(r[key])
            outputs.setdefault(name, json.dumps(r["out"], sort_keys=True))
    assert outputs["anchor"] == outputs["current"], "the two checkouts give different comparisons"
    print(f"n = {args.n}, {args.readers} readers (+ pooled), B = {args.replicates}, {args.calls} submissions "
          f"per run, {args.repeats} alternating runs each; load average {os.getloadavg()[0]:.2f}; "
          "comparisons identical")
    print("| comparison (per submission) | anchor min / median (ms) | this min / median (ms) | anchor / this (medians) |")
    print("|---|---|---|---|")
    for key, label in (("study", "reader study, every reader and the pooled reads"),
                       ("baseline", "published operating point, both coordinates")):
        a, c = times["anchor"][key], times["current"][key]
        print(f"| {label} | {1e3 * min(a):.1f} / {1e3 * statistics.median(a):.1f} | {1e3 * min(c):.1f} / "
              f"{1e3 * statistics.median(c):.1f} | {statistics.median(a) / statistics.median(c):.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
