"""How many pairs of 30 entries spaced 1 standard error apart a significance map separates.

Synthetic replicate matrix: entry ``i`` (``i = 0 .. 29``) has point value ``0.9 - i * se`` and
bootstrap replicates ``point_i + (se / sqrt(2)) * e_ib`` with independent ``e_ib ~ N(0, 1)``,
so the paired difference of any two entries has standard error ``se`` and neighbours are 1 SE
apart (entries ``k`` places apart: ``k`` SE). Two maps over the same replicates, both
Holm-adjusted over the 435 pairs at alpha = 0.05:

* ``old``: the Monte Carlo bootstrap p-value ``2 (1 + min(#d <= 0, #d >= 0)) / (B + 1)``
  (benchmark.stats.significance.bootstrap_p_values), which cannot fall below ``2 / (B + 1)``;
* ``new``: the studentised test ``z = d / se_boot`` (benchmark.stats.significance.significance_map).

A pair is "separated" when the map calls one entry significantly better than the other. The
script prints, for B = 2,000 and 10,000 and several seeds, the separated pairs of each method,
then the same on AUC replicates of 30 synthetic models drawn by the bootstrap engine, and
the smallest gap (in SE) at which all pairs are separated, and the largest number of entries
for which the old method can separate any pair at all (``S (S - 1) / 2 * 2 / (B + 1) < alpha``).

Usage::

    python benchmarks/significance_separation.py [--entries 30] [--seeds 5] [--se 0.01]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy import special

from benchmark.stats import significance as SG
from benchmark.metrics import auc as metrics
from benchmark.stats.resampling import ResamplingPlan


def old_map_better(reps, points, alpha=0.05):
    """Separated pairs by the Monte Carlo p-value + Holm (the former map)."""
    s = reps.shape[0]
    iu, ju = np.triu_indices(s, k=1)
    d = reps[iu] - reps[ju]
    adj = SG.holm_adjust(SG.bootstrap_p_values(d))
    return int(np.sum(adj < alpha))


def new_map(reps, points, alpha=0.05):
    m = SG.significance_map(reps, points, None, True, level=alpha)
    better = np.array(m.better)
    s = better.shape[0]
    gaps = [j - i for i in range(s) for j in range(s) if better[i, j]]
    every = [all(better[i, i + g] for i in range(s - g)) for g in range(1, s)]
    # smallest gap from which every pair at that gap or wider is separated
    all_from = next((g for g in range(1, s) if all(every[g - 1:])), None)
    return int(better.sum()), (min(gaps) if gaps else None), all_from


#: Binormal separation of the best synthetic model (true AUC Phi(2 / sqrt(2)) = 0.92).
MU0 = 2.0


def auc_entries(b, seed, entries=30, n_pos=500, n_neg=500, step=None):
    """Replicate AUCs of ``entries`` synthetic models on one synthetic data set, from the
    bootstrap engine (stratified plan, ``metrics.roc_auc_batch``). Model ``i`` scores
    ``mu_i * y + sqrt(0.9) * z + sqrt(0.1) * e_i`` (``z`` a case effect shared by all models,
    so paired differences are much more precise than single AUCs), ``mu_i = MU0 - i * step``."""
    rng = np.random.default_rng(np.random.SeedSequence([20210216, seed]))
    n = n_pos + n_neg
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    z = rng.standard_normal(n)
    mu = MU0 - step * np.arange(entries)
    scores = mu[:, None] * y + math.sqrt(0.9) * z + math.sqrt(0.1) * rng.standard_normal((entries, n))
    plan = ResamplingPlan.build(n, strata=y, replicates=b, seed=seed, key=f"separation|{seed}")
    reps = np.empty((entries, b))
    points = np.array([metrics.roc_auc(y, sc) for sc in scores])
    start = 0
    for w in plan.chunks():
        for i, sc in enumerate(scores):
            reps[i, start:start + w.shape[0]] = metrics.roc_auc_batch(y, sc, w)
        start += w.shape[0]
    return points, reps


def spacing_in_se(reps, step, entries=30):
    """Mean distance of neighbours' true AUCs in units of the bootstrap SE of their paired
    difference. Scores have unit variance within each class, so the true AUC of model ``i`` is
    ``Phi(mu_i / sqrt(2))``."""
    mu = MU0 - step * np.arange(entries)
    d = -np.diff(special.ndtr(mu / math.sqrt(2.0)))
    se = np.std(np.diff(reps, axis=0), axis=1, ddof=1)
    return float(np.mean(d / se))


def max_entries_old(b, alpha=0.05):
    s = 2
    while (s + 1) * s / 2 * 2 / (b + 1) < alpha:
        s += 1
    return s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--se", type=float, default=0.01)
    args = ap.parse_args(argv)
    s = args.entries
    pairs = s * (s - 1) // 2
    points = 0.9 - args.se * np.arange(s)
    print(f"{s} entries spaced 1 SE apart ({pairs} pairs), Holm at alpha = 0.05\n")
    print("| B | seed | old: separated pairs | new: separated pairs | new: smallest gap separated "
          "| new: every pair separated from gap |")
    print("|---|---|---|---|---|---|")
    t0 = time.perf_counter()
    for b in (2000, 10000):
        for seed in range(args.seeds):
            rng = np.random.default_rng(np.random.SeedSequence([20210215, b, seed]))
            reps = points[:, None] + args.se / math.sqrt(2.0) * rng.standard_normal((s, b))
            old = old_map_better(reps, points)
            new, min_gap, all_from = new_map(reps, points)
            print(f"| {b:,} | {seed} | {old} / {pairs} | {new} / {pairs} | {min_gap} SE | {all_from} SE |")
    print("\nAUC replicates from the bootstrap engine (500 positive, 500 negative synthetic cases; "
          "model separations calibrated so that neighbours' true AUCs are 1 SE apart; the "
          "observed AUCs scatter around them):\n")
    step = 0.02
    for _ in range(3):  # calibration on separate data sets (seeds 100-102)
        ratios = [spacing_in_se(auc_entries(2000, 100 + k, s, step=step)[1], step, s) for k in range(3)]
        step /= float(np.mean(ratios))
    print(f"step of the binormal separation: {step:.4f}\n")
    print("| B | seed | neighbours' true AUCs apart (mean, SE) | old: separated pairs | new: separated pairs |")
    print("|---|---|---|---|---|")
    for b in (2000, 10000):
        for seed in range(args.seeds):
            pts, reps = auc_entries(b, seed, s, step=step)
            new, _, _ = new_map(reps, pts)
            print(f"| {b:,} | {seed} | {spacing_in_se(reps, step, s):.2f} | {old_map_better(reps, pts)} / {pairs} "
                  f"| {new} / {pairs} |")
    print()
    for b in (2000, 10000):
        print(f"B = {b:,}: the old map can separate a pair only with at most "
              f"{max_entries_old(b)} entries.")
    print(f"\nRun time {time.perf_counter() - t0:.1f} s.")


if __name__ == "__main__":
    main()
