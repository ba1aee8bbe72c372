"""How many pairs of 30 entries spaced 1 standard error apart a significance map separates.

Synthetic replicate matrix: entry ``i`` (``i = 0 .. 29``) has point value ``0.9 - i * se`` and
bootstrap replicates ``point_i + (se / sqrt(2)) * e_ib`` with independent ``e_ib ~ N(0, 1)``,
so the paired difference of any two entries has standard error ``se`` and neighbours are 1 SE
apart (entries ``k`` places apart: ``k`` SE). Two maps over the same replicates, both
Holm-adjusted over the 435 pairs at alpha = 0.05:

* ``old``: the Monte Carlo bootstrap p-value ``2 (1 + min(#d <= 0, #d >= 0)) / (B + 1)``
  (benchmark.compare.bootstrap_p_values), which cannot fall below ``2 / (B + 1)``;
* ``new``: the studentised test ``z = d / se_boot`` (benchmark.compare.significance_map).

A pair is "separated" when the map calls one entry significantly better than the other. The
script prints, for B = 2,000 and 10,000 and several seeds, the separated pairs of each method,
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

from benchmark import compare as C


def old_map_better(reps, points, alpha=0.05):
    """Separated pairs by the Monte Carlo p-value + Holm (the former map)."""
    s = reps.shape[0]
    iu, ju = np.triu_indices(s, k=1)
    d = reps[iu] - reps[ju]
    adj = C.holm_adjust(C.bootstrap_p_values(d))
    return int(np.sum(adj < alpha))


def new_map(reps, points, alpha=0.05):
    m = C.significance_map(reps, points, None, True, level=alpha)
    better = np.array(m.better)
    s = better.shape[0]
    gaps = [j - i for i in range(s) for j in range(s) if better[i, j]]
    every = [all(better[i, i + g] for i in range(s - g)) for g in range(1, s)]
    # smallest gap from which every pair at that gap or wider is separated
    all_from = next((g for g in range(1, s) if all(every[g - 1:])), None)
    return int(better.sum()), (min(gaps) if gaps else None), all_from


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
    print()
    for b in (2000, 10000):
        print(f"B = {b:,}: the old map can separate a pair only with at most "
              f"{max_entries_old(b)} entries.")
    print(f"\nRun time {time.perf_counter() - t0:.1f} s.")


if __name__ == "__main__":
    main()
