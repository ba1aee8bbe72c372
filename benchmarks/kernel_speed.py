"""Replicate kernels against the previous implementation, measured in one process.

Every row times the previous code and the current code on the same data and plan, in the same
process, ``--repeat`` times each (interleaved), and prints min and median of both and the ratio
of the medians. All data are SYNTHETIC (seeded binormal scores).

(A) 8 AUC targets (RSNA 2022 prevalences), n = 125,000, B = 2,000, stratified plan: the previous
    floating-point kernel (tests/previous_auc.py, a cumulative sum one negative case at a time;
    timed on ``--old-replicates`` replicates and scaled linearly to 2,000: its cost is linear in
    B) against the integer kernel through the fused engine. Replicates compared bit for bit on
    the replicates both computed. Target: >= 15x.
(B) The 9 linear metrics of rsna-cspine (weighted log loss + 8 log losses), n = 125,000,
    B = 2,000, the products alone (weights drawn before timing): two BLAS matrix-vector
    products per metric and block with the BLAS library's own threading (previous) against one
    fused exact product per block on one BLAS thread. Largest absolute difference reported.
(C) BCa jackknife of the 17 rsna-cspine metrics, n = 12,500: n leave-one-out masks evaluated by
    each metric's batch function (previous) against the closed forms. Largest absolute
    difference reported (target: <= 1e-12).
(D) ``--curves``: one AUC replicate set through the engine (plan + replicates) for
    n = 10^3 .. 10^6 at B = 2,000 and B = 500 .. 8,000 at n = 10^5: the scaling curves.

    .venv/bin/python benchmarks/kernel_speed.py [--repeat 3] [--curves]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from previous_auc import auc_batch as previous_auc_batch  # noqa: E402

from benchmark.stats import engine
from benchmark.stats import kernels as K
from benchmark.data.contracts import load_metric_hook
from benchmark.metrics import registry as M
from benchmark.metrics.log_loss import binary_losses
from benchmark.stats.resampling import ResamplingPlan, bootstrap_replicates, jackknife_values

# The competition metric lives in its dataset folder; loading the hook registers it.
CSPINE = load_metric_hook(ROOT / "tasks" / "_datasets" / "rsna-cspine" / "dataset.toml")

# RSNA 2022 train.csv: patient_overall 961 and C1..C7 146, 285, 73, 108, 162, 277, 393 of 2,019.
PREVALENCE = np.array([961, 146, 285, 73, 108, 162, 277, 393]) / 2019


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 8)) < PREVALENCE).astype(float)
    p = np.round(1.0 / (1.0 + np.exp(-(rng.normal(size=(n, 8)) + 1.5 * y - 1.0))), 6)
    return y, p


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def summary(times):
    return min(times), statistics.median(times)


def previous_ratio(weights, numerator):
    """The previous linear evaluation: two BLAS products per metric and block."""
    num = weights @ numerator
    den = weights @ np.ones(weights.shape[1])
    out = np.full(weights.shape[0], np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def row_a(repeat, old_b):
    n, B = 125_000, 2000
    y, p = data(n, 1)
    plan = ResamplingPlan.build(n, strata=y[:, 0], replicates=B, seed=2022, key="speed|a")
    small = ResamplingPlan.build(n, strata=y[:, 0], replicates=old_b, seed=2022, key="speed|a")
    kernels = [K.AUCTerms(y[:, j], p[:, j]) for j in range(8)]
    old_evals = [lambda w, j=j: previous_auc_batch(y[:, j], p[:, j], w) for j in range(8)]
    old_t, new_t = [], []
    for _ in range(repeat):
        t, old = timed(lambda: bootstrap_replicates(old_evals, small))
        old_t.append(t * B / old_b)
        t, new = timed(lambda: engine.replicates(kernels, plan))
        new_t.append(t)
        identical = np.array_equal(old, new[:, :old_b], equal_nan=True)
    return old_t, new_t, f"first {old_b} replicates bit-identical: {identical}"


def row_b(repeat):
    n, B = 125_000, 2000
    y, p = data(n, 2)
    plan = ResamplingPlan.build(n, strata=y[:, 0], replicates=B, seed=2022, key="speed|b")
    cspine = CSPINE.study_losses(y, p)
    losses = [binary_losses(y[:, j], p[:, j]) for j in range(8)]
    old_evals = [lambda w: previous_ratio(w, cspine)]
    old_evals += [lambda w, t=t: previous_ratio(w, t) for t in losses]
    kernels = [M.get("rsna_cspine_weighted_log_loss").kernel(y, p)]
    kernels += [M.get("log_loss").kernel(y[:, j], p[:, j]) for j in range(8)]
    # The products alone: the weights are drawn before timing (as float64 blocks for the
    # previous code, as uint8 blocks for the fused product).
    weights = list(plan.chunks())
    counts = list(plan.count_chunks())

    def previous():
        return np.concatenate([[f(w) for f in old_evals] for w in weights], axis=1)

    def fused():
        f = engine.FusedLinear(kernels, list(range(len(kernels))), n)
        out = np.empty((len(kernels), B))
        start = 0
        with K.one_blas_thread():
            for c in counts:
                f.evaluate(c, out, slice(start, start + c.shape[0]))
                start += c.shape[0]
        return out

    old_t, new_t = [], []
    for _ in range(repeat):
        t, old = timed(previous)
        old_t.append(t)
        t, new = timed(fused)
        new_t.append(t)
    return old_t, new_t, f"max |difference| {np.max(np.abs(old - new)):.1e}"


def row_c(repeat):
    n = 12_500
    y, p = data(n, 3)
    plan = ResamplingPlan.build(n, strata=y[:, 0], replicates=200, seed=2022, key="speed|c")
    old_evals = [lambda w: CSPINE.rsna_cspine_weighted_log_loss_batch(y, p, w)]
    old_evals += [lambda w, j=j: previous_auc_batch(y[:, j], p[:, j], w) for j in range(8)]
    old_evals += [
        lambda w, j=j: previous_ratio(w, binary_losses(y[:, j], p[:, j])) for j in range(8)
    ]
    kernels = [M.get("rsna_cspine_weighted_log_loss").kernel(y, p)]
    kernels += [K.AUCTerms(y[:, j], p[:, j]) for j in range(8)]
    kernels += [M.get("log_loss").kernel(y[:, j], p[:, j]) for j in range(8)]
    old_t, new_t = [], []
    for _ in range(repeat):
        t, old = timed(lambda: jackknife_values(old_evals, plan))
        old_t.append(t)
        t, new = timed(lambda: engine.jackknife(kernels, plan))
        new_t.append(t)
    auc_same = np.array_equal(old[1:9], new[1:9])
    return old_t, new_t, (f"max |difference| {np.max(np.abs(old - new)):.1e}; "
                          f"AUC jackknife bit-identical: {auc_same}")


def one_auc(n, B, seed=4):
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    y[: int(round(0.45 * n))] = 1.0
    s = rng.normal(size=n) + 1.2 * y
    plan = ResamplingPlan.build(n, strata=y, replicates=B, seed=0, key="curve")
    return engine.replicates([K.AUCTerms(y, s)], plan)


def curves(repeat):
    rows = []
    for n, B in [(10**3, 2000), (10**4, 2000), (10**5, 2000), (10**6, 2000),
                 (10**5, 500), (10**5, 8000)]:
        ts = [timed(lambda: one_auc(n, B))[0] for _ in range(repeat)]
        lo, med = summary(ts)
        rows.append((n, B, lo, med, med / (n * B) * 1e9))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old-replicates", type=int, default=120)
    ap.add_argument("--curves", action="store_true")
    ap.add_argument("--rows", default="ABC")
    a = ap.parse_args(argv)
    print(f"# {os.cpu_count()} cores, numpy {np.__version__}, OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; load average at start "
          f"{os.getloadavg()[0]:.2f}; {a.repeat} repeats, previous and current interleaved")
    print("| row | previous min / median s | current min / median s | ratio of medians | check |")
    print("|---|---|---|---|---|")
    for name, fn in (("A", lambda: row_a(a.repeat, a.old_replicates)),
                     ("B", lambda: row_b(a.repeat)), ("C", lambda: row_c(a.repeat))):
        if name not in a.rows:
            continue
        old_t, new_t, check = fn()
        (o1, o2), (n1, n2) = summary(old_t), summary(new_t)
        print(f"| {name} | {o1:.2f} / {o2:.2f} | {n1:.3f} / {n2:.3f} | {o2 / n2:.1f}x | {check} |",
              flush=True)
    if a.curves:
        print()
        print("| n | B | min s | median s | ns per case x replicate (median) |")
        print("|---|---|---|---|---|")
        for n, B, lo, med, per in curves(a.repeat):
            print(f"| {n:,} | {B:,} | {lo:.3f} | {med:.3f} | {per:.2f} |", flush=True)
    print(f"# load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
