"""Empirical coverage of nominal 95% AUC intervals on simulated data.

Scenarios (true AUC known by construction):

* ``binormal``: negatives ~ N(0, 1), positives ~ N(d, 1) with
  ``d = sqrt(2) * Phi^-1(AUC)`` (so that P(X+ > X-) = Phi(d / sqrt(2)) = AUC);
  n = 120 with 54 positives (prevalence 0.45), AUC 0.80 and 0.95. Intervals:
  stratified-bootstrap percentile, stratified-bootstrap BCa (jackknife
  acceleration), DeLong.
* ``clustered``: 117 studies from 95 patients, 22 of whom have two studies.
  A study's score is ``d * y + sqrt(rho) * u_patient + sqrt(1 - rho) * e``
  (u, e ~ N(0, 1), rho = 0.8), so every study is marginally binormal with the
  same d and the population AUC (independent positive/negative pairs) is the
  nominal one (0.80). Labels: each study positive with probability 0.40; a
  patient's second study repeats the first one's label with probability 0.8.
  Intervals: clustered bootstrap (patients resampled within the stratum of
  their largest label) percentile and BCa, against the naive stratified
  bootstrap that treats the 117 studies as independent, and DeLong (which
  also assumes independent studies).

Every simulated data set gets its own resampling plan (its key includes the
simulation index). Prints a Markdown table: coverage, its Monte Carlo
standard error, the number of misses below/above the truth, mean width, and
the number of simulations where an interval was unavailable.

Usage::

    python benchmarks/coverage.py [--simulations 1000] [--replicates 1000] [--seed 20240601]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy import special

from benchmark.metrics import registry as metrics
from benchmark.stats.delong import delong_ci
from benchmark.stats.intervals import bca_ci, percentile_ci
from benchmark.stats.resampling import ResamplingPlan, bootstrap_replicates, jackknife_values


def binormal_shift(auc):
    """``d`` such that P(N(d, 1) > N(0, 1)) = auc."""
    return math.sqrt(2.0) * special.ndtri(auc)


def simulate_binormal(rng, auc, n=120, n_pos=54):
    y = np.zeros(n)
    y[:n_pos] = 1.0
    score = rng.normal(size=n) + binormal_shift(auc) * y
    return y, score, None


def simulate_clustered(rng, auc, n_patients=95, n_pairs=22, rho=0.8, prevalence=0.40):
    twice = rng.choice(n_patients, size=n_pairs, replace=False)
    patients = np.concatenate([np.arange(n_patients), twice])
    n = patients.size
    y = (rng.random(n) < prevalence).astype(float)
    repeat = rng.random(n_pairs) < 0.8
    first_label = y[twice]
    y[n_patients:] = np.where(repeat, first_label, y[n_patients:])
    effect = rng.normal(size=n_patients)[patients]
    score = (
        binormal_shift(auc) * y
        + math.sqrt(rho) * effect
        + math.sqrt(1.0 - rho) * rng.normal(size=n)
    )
    return y, score, patients


class Tally:
    def __init__(self):
        self.hits = self.below = self.above = self.unavailable = 0
        self.width = 0.0

    def add(self, interval, truth):
        if not interval.available:
            self.unavailable += 1
            return
        if interval.high < truth:
            self.below += 1
        elif interval.low > truth:
            self.above += 1
        else:
            self.hits += 1
        self.width += interval.high - interval.low

    def row(self, scenario, method, n_sim):
        done = n_sim - self.unavailable
        cov = self.hits / done if done else float("nan")
        se = math.sqrt(cov * (1 - cov) / done) if done else float("nan")
        width = self.width / done if done else float("nan")
        return (
            f"| {scenario} | {method} | {cov:.3f} | {se:.3f} | {self.below} | "
            f"{self.above} | {width:.4f} | {self.unavailable} |"
        )


def run(n_sim, replicates, seed):
    roc_auc = metrics.get("roc_auc")
    rng = np.random.default_rng(seed)
    scenarios = [
        ("binormal n=120, AUC 0.80", 0.80, simulate_binormal),
        ("binormal n=120, AUC 0.95", 0.95, simulate_binormal),
        ("clustered n=117 (95 patients), AUC 0.80", 0.80, simulate_clustered),
    ]
    rows = []
    for label, auc, simulate in scenarios:
        clustered = simulate is simulate_clustered
        methods = (
            ["clustered percentile", "clustered BCa", "naive percentile", "naive BCa", "DeLong"]
            if clustered
            else ["percentile", "BCa", "DeLong"]
        )
        tallies = {m: Tally() for m in methods}
        t0 = time.perf_counter()
        for sim in range(n_sim):
            y, score, patients = simulate(rng, auc)
            point = roc_auc.fn(y, score)
            evaluator = [lambda w: roc_auc.batch(y, score, w)]
            plans = {"": ResamplingPlan.build(
                y.size, strata=y, replicates=replicates, seed=seed,
                key=f"coverage|{label}|{sim}|naive",
            )}
            if clustered:
                plans["clustered"] = ResamplingPlan.build(
                    y.size, strata=y, clusters=patients, replicates=replicates,
                    seed=seed, key=f"coverage|{label}|{sim}|clustered",
                )
            for kind, plan in plans.items():
                reps = bootstrap_replicates(evaluator, plan)[0]
                jack = jackknife_values(evaluator, plan)[0]
                prefix = "" if not clustered else ("clustered " if kind else "naive ")
                tallies[prefix + "percentile"].add(percentile_ci(reps, 0.95), auc)
                tallies[prefix + "BCa"].add(bca_ci(point, reps, jack, 0.95), auc)
            tallies["DeLong"].add(delong_ci(y, score, 0.95), auc)
        elapsed = time.perf_counter() - t0
        for m in methods:
            rows.append(tallies[m].row(label, m, n_sim))
        print(f"# {label}: {n_sim} simulations in {elapsed:.1f} s", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--simulations", type=int, default=1000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    rows = run(args.simulations, args.replicates, args.seed)
    print()
    print(
        f"Nominal 95% intervals; {args.simulations} simulations per scenario, "
        f"B = {args.replicates} bootstrap replicates, seed {args.seed}."
    )
    print()
    print("| scenario | interval | coverage | MC s.e. | truth above interval | "
          "truth below interval | mean width | unavailable |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
