"""Speed and memory of the resampling engine.

Cases (each timed as the best of ``--repeat`` runs; all random data seeded):

(a) 50 submissions x an MRNet-like split (3 targets, 120 cases, prevalences
    95/120, 54/120, 52/120 as in the public MRNet validation set), B = 10,000,
    one stratified plan (strata = combination of the three labels) shared by
    all submissions: 150 per-target AUC replicate vectors, the mean-AUC
    replicates, 50 percentile intervals and 49 paired differences against the
    first submission. Target: < 1 s.
(b) One AUC with a stratified percentile interval, n = 120, B = 10,000, against
    a Python loop calling ``sklearn.metrics.roc_auc_score`` on explicitly
    resampled indices. The loop is timed on ``--loop-replicates`` replicates
    and scaled linearly to B = 10,000. Target ratio: >= 200x.
(c) One AUC with a stratified percentile interval, B = 2,000, against pROC
    ``ci.auc(method="bootstrap", boot.n=2000, boot.stratified=TRUE)`` at
    n = 120, 1,500 and 100,000 (binormal data, prevalence 0.45). pROC is timed
    inside R with ``system.time`` (excluding R start-up and data loading) and
    also as the wall time of the whole ``Rscript`` call; at n = 100,000 pROC
    runs ``--proc-large-replicates`` replicates and the time is scaled to
    2,000. Targets: 50x, 50x, 25x (against the in-R time).
(d) n = 100,000 and n = 1,000,000, B = 2,000, one AUC with a stratified
    percentile interval, run in a fresh Python subprocess that reports its
    elapsed time and its own peak resident memory (``VmHWM`` of
    ``/proc/self/status``; ``ru_maxrss`` would include this script's peak).
    Targets: < 5 s (n = 10^5), < 60 s (n = 10^6), both < 1.5 GB.

Usage::

    python benchmarks/bootstrap_speed.py [--repeat 3] [--skip-r] [--cases abcd] [--sizes 120,1500,100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmark.stats import engine
from benchmark.metrics import registry as metrics
from benchmark.stats.intervals import paired_difference, percentile_ci
from benchmark.stats.resampling import ResamplingPlan, bootstrap_replicates

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from childmem import PEAK_KB  # noqa: E402
from previous_auc import auc_batch as previous_auc_batch  # noqa: E402

AUC = metrics.get("roc_auc")


def best_of(fn, repeat):
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def binormal(n, prevalence=0.45, shift=1.2, seed=0):
    rng = np.random.default_rng(seed)
    n_pos = int(round(prevalence * n))
    y = np.zeros(n)
    y[:n_pos] = 1.0
    return y, rng.normal(size=n) + shift * y


def single_auc_interval(y, s, replicates, key):
    """The engine's work for one AUC interval: plan, replicates, interval (as scoring does)."""
    plan = ResamplingPlan.build(y.size, strata=y, replicates=replicates, seed=0, key=key)
    reps = engine.replicates([AUC.kernel(y, s)], plan)[0]
    return percentile_ci(reps, 0.95)


# --------------------------------------------------------------------------- #
def case_a(repeat):
    rng = np.random.default_rng(1)
    n, k, n_sub, B = 120, 3, 50, 10_000
    Y = np.zeros((n, k))
    for j, n_pos in enumerate((95, 54, 52)):
        Y[rng.permutation(n)[:n_pos], j] = 1.0
    shifts = rng.uniform(0.8, 2.5, size=(n_sub, k))
    S = [1.0 / (1.0 + np.exp(-(Y * shifts[i] + rng.normal(size=(n, k))))) for i in range(n_sub)]
    strata = Y @ np.array([1.0, 2.0, 4.0])

    def run():
        plan = ResamplingPlan.build(n, strata=strata, replicates=B, seed=0, key="mrnet-like|speed")
        mean_auc = metrics.get("mean_roc_auc")
        reps = engine.replicates([mean_auc.kernel(Y, S[i]) for i in range(n_sub)], plan)
        points = np.array([np.mean([AUC.fn(Y[:, j], S[i][:, j]) for j in range(k)])
                           for i in range(n_sub)])
        cis = [percentile_ci(reps[i]) for i in range(n_sub)]
        diffs = [paired_difference(reps[i], reps[0], points[i], points[0])
                 for i in range(1, n_sub)]
        return cis, diffs

    seconds, _ = best_of(run, repeat)
    return seconds


def case_b(repeat, loop_replicates):
    y, s = binormal(120, seed=2)
    B = 10_000
    ours, _ = best_of(lambda: single_auc_interval(y, s, B, "loop-vs-engine"), repeat)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)

    def loop():
        rng = np.random.default_rng(0)
        values = []
        for _ in range(loop_replicates):
            idx = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
            values.append(roc_auc_score(y[idx], s[idx]))
        return np.quantile(values, [0.025, 0.975])

    loop_seconds, _ = best_of(loop, 1)
    return ours, loop_seconds * B / loop_replicates


R_TIMER = r"""
suppressPackageStartupMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
boot_n <- as.integer(args[2])
r <- roc(response = d$y, predictor = d$s, levels = c(0, 1), direction = "<", quiet = TRUE)
set.seed(1)
t <- system.time(ci.auc(r, method = "bootstrap", boot.n = boot_n,
                        boot.stratified = TRUE, progress = "none"))[["elapsed"]]
cat(sprintf("%.6f\n", t))
"""


def r_available():
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    probe = subprocess.run(
        [rscript, "-e", "suppressPackageStartupMessages(library(pROC))"],
        capture_output=True,
    )
    return rscript if probe.returncode == 0 else None


def previous_auc_interval(y, s, replicates, key):
    """The same with the previous AUC kernel (tests/previous_auc.py): the "before" column."""
    plan = ResamplingPlan.build(y.size, strata=y, replicates=replicates, seed=0, key=key)
    reps = bootstrap_replicates([lambda w: previous_auc_batch(y, s, w)], plan)[0]
    return percentile_ci(reps, 0.95)


C_SIZES = (120, 1500, 100_000)
C_TARGETS = {120: 50, 1500: 50, 100_000: 25}


def case_c(repeat, rscript, large_replicates, sizes=C_SIZES):
    """Engine, previous engine and pROC interleaved, ``repeat`` times each: medians (and
    minima)."""
    rows = []
    B = 2000
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "timer.R"
        script.write_text(R_TIMER)
        for n in sizes:
            y, s = binormal(n, seed=3)
            boot_n = B if n < 10_000 else large_replicates
            csv = Path(tmp) / f"data_{n}.csv"
            with open(csv, "w") as fh:
                fh.write("y,s\n")
                for yi, si in zip(y, s):
                    fh.write(f"{int(yi)},{float(si)!r}\n")
            ours, r_in, r_wall, before = [], [], [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                single_auc_interval(y, s, B, f"proc-{n}")
                ours.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                previous_auc_interval(y, s, B, f"proc-{n}")
                before.append(time.perf_counter() - t0)
                if rscript is None:
                    continue
                t0 = time.perf_counter()
                out = subprocess.run(
                    [rscript, str(script), str(csv), str(boot_n)],
                    capture_output=True, text=True, check=True,
                )
                wall = time.perf_counter() - t0
                inside = float(out.stdout.strip().splitlines()[-1])
                scale = B / boot_n
                r_in.append(inside * scale)
                r_wall.append(inside * scale + (wall - inside))
            rows.append((n, ours, r_in, r_wall, boot_n, before))
    return rows


CHILD = PEAK_KB + r"""
import sys, time
import numpy as np
from benchmark.metrics import registry as metrics
from benchmark.stats import engine
from benchmark.stats.intervals import percentile_ci
from benchmark.stats.resampling import ResamplingPlan
n, B = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(4)
y = np.zeros(n); y[: int(round(0.45 * n))] = 1.0
s = rng.normal(size=n) + 1.2 * y
auc = metrics.get("roc_auc")
t0 = time.perf_counter()
plan = ResamplingPlan.build(n, strata=y, replicates=B, seed=0, key="large")
reps = engine.replicates([auc.kernel(y, s)], plan)[0]
ci = percentile_ci(reps)
elapsed = time.perf_counter() - t0
print(elapsed, peak_kb(), ci.low, ci.high)
"""


def case_d(repeat, n):
    results = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), "2000"],
            capture_output=True, text=True, check=True, env=dict(os.environ),
        )
        elapsed, rss_kb, _, _ = out.stdout.split()
        results.append((float(elapsed), int(rss_kb) / 1024.0))
    times = sorted(r[0] for r in results)
    return times[0], times[len(times) // 2], max(r[1] for r in results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop-replicates", type=int, default=1000)
    parser.add_argument("--proc-large-replicates", type=int, default=200)
    parser.add_argument("--skip-r", action="store_true")
    parser.add_argument("--cases", default="abcd", help="the cases to run, e.g. c (default: abcd)")
    parser.add_argument("--sizes", default=",".join(map(str, C_SIZES)),
                        help="the n of case (c), comma-separated (default: 120,1500,100000)")
    args = parser.parse_args(argv)
    sizes = tuple(int(v) for v in args.sizes.split(","))

    print(f"# machine: {os.cpu_count()} cores; numpy {np.__version__}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
          f"best of {args.repeat} runs; load average at start {os.getloadavg()[0]:.2f}")
    a = case_a(args.repeat) if "a" in args.cases else None
    ours_b, loop_b = case_b(args.repeat, args.loop_replicates) if "b" in args.cases else (None, None)
    rscript = None if args.skip_r else r_available()
    c_rows = case_c(args.repeat, rscript, args.proc_large_replicates, sizes) if "c" in args.cases else []
    d_rows = [(n, *case_d(args.repeat, n)) for n in (100_000, 1_000_000)] if "d" in args.cases else []

    print()
    print("| case | this engine | reference | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    if a is not None:
        print(f"| (a) 50 submissions x 3 targets, n=120, B=10,000 | {a:.3f} s | - | - | "
              f"< 1 s | {'yes' if a < 1 else 'no'} |")
    if ours_b is not None:
        ratio_b = loop_b / ours_b
        print(f"| (b) one AUC, n=120, B=10,000 vs sklearn loop "
              f"(timed on {args.loop_replicates} replicates, scaled) | {ours_b * 1e3:.1f} ms | "
              f"{loop_b:.2f} s | {ratio_b:.0f}x | >= 200x | {'yes' if ratio_b >= 200 else 'no'} |")
    for n, ours, r_in, r_wall, boot_n, before in c_rows:
        target = C_TARGETS.get(n, 25 if n >= 10_000 else 50)
        note = "" if boot_n == 2000 else f"; pROC timed on {boot_n} replicates, scaled"
        o_min, o_med = min(ours), float(np.median(ours))
        if not r_in:
            print(f"| (c) pROC, n={n:,}, B=2,000 | {o_min * 1e3:.1f} / {o_med * 1e3:.1f} ms "
                  f"| R/pROC unavailable | - | {target}x | - |")
            continue
        r_min, r_med = min(r_in), float(np.median(r_in))
        ratio, ratio_min = r_med / o_med, r_min / o_min
        ratio_wall = float(np.median(r_wall)) / o_med
        print(f"| (c) pROC ci.auc bootstrap, n={n:,}, B=2,000{note} | min {o_min * 1e3:.1f} / "
              f"median {o_med * 1e3:.1f} ms | min {r_min:.2f} / median {r_med:.2f} s in R "
              f"({float(np.median(r_wall)):.2f} s with Rscript start-up) | {ratio:.0f}x of medians "
              f"({ratio_min:.0f}x of minima; {ratio_wall:.0f}x with start-up) | {target}x | "
              f"{'yes' if ratio >= target else 'no'} |")
        b_med = float(np.median(before))
        print(f"| (c') previous engine, n={n:,}, B=2,000 | min {min(before) * 1e3:.1f} / median "
              f"{b_med * 1e3:.1f} ms | same pROC | {r_med / b_med:.1f}x of medians | - | - |")
    for (n, d_min, d_med, d_rss), limit in zip(d_rows, (5, 60)):
        print(f"| (d) n={n:,}, B=2,000, fresh process | min {d_min:.2f} s / median {d_med:.2f} s, "
              f"peak RSS {d_rss:.0f} MB | - | - | < {limit} s, < 1.5 GB | "
              f"{'yes' if d_med < limit and d_rss < 1536 else 'no'} |")
    print(f"# load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
