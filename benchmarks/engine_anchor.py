"""The AUC replicate engine of this checkout against another checkout's, same data, same plans.

Two cases, each run in a fresh interpreter per checkout, alternating, ``--repeats`` times:

* ``targets``: 8 AUC targets (RSNA 2022 prevalences), n = 125,000, B = 2,000, stratified plan
  (row (A) of ``kernel_speed.py``): plan + replicates, one call;
* ``n1500``: one AUC with its stratified percentile interval, n = 1,500, B = 2,000 (the pROC
  case of ``bootstrap_speed.py``): 15 calls in the process, min and median of them.

Each run prints the sha256 of its replicates, so the script also shows whether both checkouts
compute the same replicates bit for bit, and the minor page faults per call of ``n1500``
(``getrusage``). ``--unprimed`` adds a third variant: this checkout with the engine's one-time
allocator priming (``engine._prime_allocator``) skipped. All data are SYNTHETIC (seeded
binormal scores).

    .venv/bin/python benchmarks/engine_anchor.py --anchor OLD_CHECKOUT [--repeats 3] [--unprimed]

(``git archive <commit> | tar -x -C OLD_CHECKOUT`` makes an anchor checkout.)
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
import hashlib, json, resource, sys, time
import numpy as np
from benchmark.metrics import registry as metrics
from benchmark.stats import engine
if sys.argv[2] == "unprimed":
    engine._PRIMED.append(True)  # as if primed already: the allocator keeps its start-up threshold
from benchmark.stats import kernels as K
from benchmark.stats.intervals import percentile_ci
from benchmark.stats.resampling import ResamplingPlan

case = sys.argv[1]
if case == "targets":
    prevalence = np.array([961, 146, 285, 73, 108, 162, 277, 393]) / 2019
    rng = np.random.default_rng(1)
    n, B = 125_000, 2000
    y = (rng.random((n, 8)) < prevalence).astype(float)
    p = np.round(1.0 / (1.0 + np.exp(-(rng.normal(size=(n, 8)) + 1.5 * y - 1.0))), 6)
    t = time.perf_counter()
    plan = ResamplingPlan.build(n, strata=y[:, 0], replicates=B, seed=2022, key="speed|a")
    reps = engine.replicates([K.AUCTerms(y[:, j], p[:, j]) for j in range(8)], plan)
    times = [time.perf_counter() - t]
else:
    rng = np.random.default_rng(3)
    n = 1500
    y = np.zeros(n)
    y[: int(round(0.45 * n))] = 1.0
    s = rng.normal(size=n) + 1.2 * y
    auc = metrics.get("roc_auc")
    times = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(16):
        t = time.perf_counter()
        plan = ResamplingPlan.build(n, strata=y, replicates=2000, seed=0, key="proc-1500")
        reps = engine.replicates([auc.kernel(y, s)], plan)
        percentile_ci(reps[0], 0.95)
        times.append(time.perf_counter() - t)
        if len(times) == 1:  # the first call pays the one-time set-up (BLAS controller scan)
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    times = times[1:]
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / len(times)
print(json.dumps({"times": times, "faults": None if case == "targets" else faults,
                  "sha256": hashlib.sha256(reps.tobytes()).hexdigest()}))
"""


def run(code: Path, case: str, variant: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, case, variant], capture_output=True, text=True, check=True,
                         cwd="/", env=dict(os.environ, PYTHONPATH=str(code)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--anchor", required=True, help="the other checkout")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--unprimed", action="store_true", help="also time this checkout without the allocator priming")
    args = ap.parse_args(argv)
    codes = {"anchor": (Path(args.anchor).resolve(), "as is"), "this": (REPO, "as is")}
    if args.unprimed:
        codes["this, unprimed"] = (REPO, "unprimed")
    print(f"# {os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.2f}")
    for case in ("targets", "n1500"):
        times: dict = {k: [] for k in codes}
        faults: dict = {k: [] for k in codes}
        digests: dict = {k: set() for k in codes}
        for _ in range(args.repeats):
            for name, (code, variant) in codes.items():
                r = run(code, case, variant)
                times[name].extend(r["times"])
                faults[name].append(r["faults"])
                digests[name].add(r["sha256"])
        same = len(set().union(*digests.values())) == 1
        unit, k = ("s", 1.0) if case == "targets" else ("ms", 1e3)
        anchor = statistics.median(times["anchor"])
        for name, t in times.items():
            fault = "" if faults[name][0] is None else f"; minor page faults per call {statistics.median(faults[name]):.0f}"
            print(f"{case}, {name}: min {min(t) * k:.2f} / median {statistics.median(t) * k:.2f} {unit}; "
                  f"anchor / this (medians) {anchor / statistics.median(t):.2f}{fault}")
        print(f"{case}: replicates identical across all runs: {same}")
    print(f"# load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
