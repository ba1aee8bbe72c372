"""False-positive rate and power of model-versus-reader comparisons, by simulation.

Model (synthetic; binormal with equal variances). Every case ``i`` has a difficulty
``z_i ~ N(0, 1)`` shared by the model and all readers. The model's score and reader ``r``'s
latent value are

    s_i    = mu_model * y_i + sqrt(c_m) * z_i + sqrt(1 - c_m) * e_i
    x_ri   = mu       * y_i + sqrt(c) * z_i + sqrt(1 - c) * e_ri      (e ~ N(0, 1))

and reader ``r`` calls case ``i`` positive when ``x_ri > t``. Every reader therefore has true
specificity ``Phi(t)`` and sensitivity ``1 - Phi(t - mu)``: the point of the binormal ROC curve
with separation ``mu``. ``t`` and ``mu`` put the readers at the pooled operating point of the
general radiologists of Bien et al. 2018 (doi:10.1371/journal.pmed.1002699; sensitivity
627/693 = 0.905, specificity 124/147 = 0.844, see tasks/mrnet/task.toml). With
``mu_model = mu`` the model's true ROC passes through the readers' true point (the null); with
``mu_model > mu`` the model's sensitivity at the readers' specificity is higher (the
alternative, ``--alt-sensitivity``). ``c = 0.36`` is the correlation of two readers through the
case difficulty, as in the synthetic MRNet reader study (benchmark.demo.reader_study.
generate_reader_study); the model's weight on the case difficulty is ``--model-correlation``
(default 0.36; 0 makes the model's errors independent of the readers').

Methods (each two-sided at 5%; "rejects" = p < 0.05 or a verdict other than "not
distinguishable"):

* ``old McNemar``: the model thresholded at reader 1's observed specificity on the test cases,
  McNemar's test on the positive cases (exact binomial below 25 discordant cases, else
  chi-square with continuity correction), as the reader table of the submission pages showed
  it before.
* ``reader bootstrap``: benchmark.stats.reader_studies.ReaderStudy: the case-bootstrap percentile interval of
  the sensitivity difference at matched specificity, the threshold re-chosen in every replicate
  (reader 1, and the pooled reads of the 7 readers).
* ``old published point``: the model's sensitivity at the pooled readers' specificity (held at
  its point estimate) minus a binomial draw over the 7 x n_pos pooled reads, as
  benchmark.stats.baselines.compare_to_operating_point computed it before.
* ``published point``: benchmark.stats.baselines.compare_to_operating_point now: the matched
  specificity drawn too, binomial draws over cases (``n_readers = 7``).

Each simulated data set gets its own stratified resampling plan (benchmark.stats.resampling.
ResamplingPlan, key including the simulation index). Prints a Markdown table and the run time.

Usage::

    python benchmarks/reader_null_sim.py [--simulations 1000] [--replicates 1000]
        [--sizes 99/21,60/60,200/200] [--alt-sensitivity 0.06] [--seed 20181127]
        [--model-correlation 0.36]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy import stats

from benchmark.stats import baselines as BL
from benchmark.stats import intervals as IV
from benchmark.stats import operating_points as OP
from benchmark.stats.resampling import ResamplingPlan
from benchmark.stats.reader_studies import ReaderStudy

#: Pooled operating point of the 7 general radiologists (Bien et al. 2018,
#: doi:10.1371/journal.pmed.1002699; counts in tasks/mrnet/task.toml).
READER_SENS = 627 / 693
READER_SPEC = 124 / 147
N_READERS = 7
CORRELATION = 0.36
METHODS = (
    "old McNemar (reader 1)",
    "reader bootstrap (reader 1)",
    "reader bootstrap (pooled)",
    "old published point",
    "published point",
)


def old_mcnemar_p(y, s, reads, exact_below=25):
    """The McNemar p-value at the reader's observed specificity (the former page statistic)."""
    spec = float(np.mean(reads[y == 0] == 0))
    thr, _, _ = OP.operating_threshold(y, s, spec, "specificity")
    pos = y == 1
    pred = s >= thr
    b = int(np.sum(pos & pred & (reads == 0)))
    c = int(np.sum(pos & ~pred & (reads == 1)))
    n = b + c
    if n == 0:
        return 1.0
    if n < exact_below:
        return min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), n, 0.5)))
    return float(stats.chi2.sf(max(abs(b - c) - 1.0, 0.0) ** 2 / n, 1))


def old_published_rejects(y, s, k, m, spec, W, rng, level=0.95):
    """The former published-point verdict: matched specificity fixed, read-level binomial."""
    reps = OP.sensitivity_at_specificity(y, s, spec, W)
    draws = rng.binomial(m, k / m, size=W.shape[0]) / m
    d = reps - draws
    d = d[~np.isnan(d)]
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    return lo > 0 or hi < 0


def simulate(n_pos, n_neg, sims, replicates, seed, alt=0.0, model_corr=CORRELATION):
    """Rejection counts of every method over ``sims`` simulated studies."""
    t = stats.norm.ppf(READER_SPEC)
    mu = t - stats.norm.ppf(1.0 - READER_SENS)
    mu_model = t - stats.norm.ppf(1.0 - min(READER_SENS + alt, 0.999))
    n = n_pos + n_neg
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    rej = dict.fromkeys(METHODS, 0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, n_pos, n_neg, int(round(alt * 1e6))]))
    sc, sr = math.sqrt(CORRELATION), math.sqrt(1.0 - CORRELATION)
    mc, mr = math.sqrt(model_corr), math.sqrt(1.0 - model_corr)
    for i in range(sims):
        z = rng.standard_normal(n)
        s = mu_model * y + mc * z + mr * rng.standard_normal(n)
        x = mu * y + sc * z + sr * rng.standard_normal((N_READERS, n))
        reads = (x > t).astype(np.float64)
        plan = ResamplingPlan.build(
            n, strata=y, replicates=replicates, seed=seed, key=f"reader-sim|{n_pos}|{n_neg}|{alt}|{i}"
        )
        W = plan.weights()
        rej["old McNemar (reader 1)"] += old_mcnemar_p(y, s, reads[0]) < 0.05
        study = ReaderStudy(y, reads, W)
        res = study.compare(s)
        rej["reader bootstrap (reader 1)"] += res[0].verdict != IV.NOT_DISTINGUISHABLE
        rej["reader bootstrap (pooled)"] += res[-1].verdict != IV.NOT_DISTINGUISHABLE
        k_sens = int(reads[:, y == 1].sum())
        k_spec = int((1 - reads[:, y == 0]).sum())
        m_sens, m_spec = N_READERS * n_pos, N_READERS * n_neg
        rej["old published point"] += old_published_rejects(
            y, s, k_sens, m_sens, k_spec / m_spec, W, rng
        )
        base = {
            "name": "pooled readers", "target": "t", "sensitivity": k_sens / m_sens,
            "specificity": k_spec / m_spec, "sensitivity_counts": [k_sens, m_sens],
            "specificity_counts": [k_spec, m_spec], "n_readers": N_READERS,
        }
        r = BL.compare_to_operating_point(y, s, base, W, seed=seed + i)
        rej["published point"] += r.sensitivity.verdict != IV.NOT_DISTINGUISHABLE
    return rej


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--simulations", type=int, default=1000)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--sizes", default="99/21,60/60,200/200")
    ap.add_argument("--alt-sensitivity", type=float, default=0.06)
    ap.add_argument("--seed", type=int, default=20181127)
    ap.add_argument("--model-correlation", type=float, default=CORRELATION,
                    help="weight of the shared case difficulty in the model's score (0: the "
                         "model's errors are independent of the readers')")
    args = ap.parse_args(argv)
    sizes = [tuple(int(v) for v in p.split("/")) for p in args.sizes.split(",")]
    t0 = time.perf_counter()
    print(
        f"{args.simulations} simulations per cell, B = {args.replicates}, readers at "
        f"(sensitivity {READER_SENS:.3f}, specificity {READER_SPEC:.3f}), {N_READERS} readers, "
        f"correlation between readers {CORRELATION}, model-reader {args.model_correlation}; power at model sensitivity +{args.alt_sensitivity} at the "
        "readers' specificity.\n"
    )
    print("| method | " + " | ".join(f"FPR {a}/{b}" for a, b in sizes) + " | "
          + " | ".join(f"power {a}/{b}" for a, b in sizes) + " |")
    print("|---" * (1 + 2 * len(sizes)) + "|")
    null = [simulate(a, b, args.simulations, args.replicates, args.seed,
                     model_corr=args.model_correlation) for a, b in sizes]
    alt = [simulate(a, b, args.simulations, args.replicates, args.seed, args.alt_sensitivity,
                    args.model_correlation) for a, b in sizes]
    for m in METHODS:
        cells = [f"{r[m] / args.simulations:.3f}" for r in null + alt]
        print(f"| {m} | " + " | ".join(cells) + " |")
    se = math.sqrt(0.05 * 0.95 / args.simulations)
    print(f"\nMonte Carlo standard error of a rate near 0.05: {se:.4f}. "
          f"Run time {time.perf_counter() - t0:.0f} s.")


if __name__ == "__main__":
    main()
