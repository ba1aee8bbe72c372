"""Drawing a resampling plan's multiplicities: the per-stratum count against the former gather.

At one AUC with n = 10**6 cases and B = 2,000 replicates the time goes to drawing the plan's
multiplicities. :meth:`ResamplingPlan._block` draws, for every stratum, ``rng.integers(0, m,
(rows, m))``; the former code gathered every draw to its unit (``np.take`` over the stratum's
members), offset it by its row and counted all units with one ``bincount`` over ``rows * n``
bins; the current code counts each stratum on its own ``m`` positions and scatters the counts
to the stratum's units. The random stream is untouched, so the multiplicities are the same
integers; this script checks it, bit for bit, before timing anything.

Two measurements, each ``--repeats`` times, interleaved (min and median, ratio former/current):

* ``draw``: the multiplicities of the first ``--draw-replicates`` replicates of a stratified
  plan of ``--n`` cases (``count_chunks``, as the AUC engine reads them);
* ``auc``: one AUC at ``--n`` cases and ``--replicates`` replicates through
  ``benchmark.stats.engine.replicates`` in a fresh interpreter (wall time and peak resident
  memory, ``VmHWM``), with the current draw and, with ``--former``, the former one (and the sha256 of both
  replicate vectors, which must agree).

Usage::

    python benchmarks/plan_draw_speed.py --n 1000000 --replicates 2000 --repeats 3 --former
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.stats.resampling import ResamplingPlan  # noqa: E402

CURRENT_BLOCK = ResamplingPlan._block


def former_block(self, index, out, by_position=False):
    """The draw as it was: gather every draw to its unit, one bincount over all units (with
    ``by_position``, the counts then put in the column order the current draw writes)."""
    rows = out.shape[0]
    seq = np.random.SeedSequence(entropy=self._entropy, spawn_key=(index,))
    rng = np.random.default_rng(seq)
    n_units = self.n_units
    row_offsets = (np.arange(rows, dtype=np.int64) * n_units)[:, None]
    if len(self._stratum_bounds) == 1:
        draws = rng.integers(0, n_units, size=(rows, n_units))
        draws += row_offsets
    else:
        draws = np.empty(rows * n_units, dtype=np.int64)
        strata = np.unique(self.unit_stratum)
        for (lo, hi), value in zip(self._stratum_bounds, strata):
            members = np.flatnonzero(self.unit_stratum == value)
            part = draws[rows * lo : rows * hi].reshape(rows, hi - lo)
            picks = rng.integers(0, hi - lo, size=(rows, hi - lo))
            np.take(members, picks, out=part, mode="clip")
            part += row_offsets
    counts = np.bincount(draws.reshape(-1), minlength=rows * n_units)
    counts = counts.reshape(rows, n_units)
    if by_position:
        counts = counts[:, np.argsort(self.unit_stratum, kind="stable")]
    elif self.clusters is not None:
        counts = counts[:, self.unit_of_case]
    if out.dtype.kind == "u" and counts.size and counts.max() > np.iinfo(out.dtype).max:
        raise OverflowError("a multiplicity does not fit in the count dtype")
    out[...] = counts


CHILD = r"""
import hashlib, sys, time
import numpy as np
sys.path.insert(0, sys.argv[4])
from benchmark.metrics import registry as metrics
from benchmark.stats import engine
from benchmark.stats.resampling import ResamplingPlan
if sys.argv[3] == "former":
    sys.path.insert(0, sys.argv[4] + "/benchmarks")
    from plan_draw_speed import former_block
    ResamplingPlan._block = former_block
n, B = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(4)
y = np.zeros(n); y[: int(round(0.45 * n))] = 1.0
s = rng.normal(size=n) + 1.2 * y
t0 = time.perf_counter()
plan = ResamplingPlan.build(n, strata=y, replicates=B, seed=0, key="large")
reps = engine.replicates([metrics.get("roc_auc").kernel(y, s)], plan)[0]
elapsed = time.perf_counter() - t0
# VmHWM: this process's peak resident memory (ru_maxrss would include the parent's, forked)
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(elapsed, rss, hashlib.sha256(reps.tobytes()).hexdigest())
"""


def _plan(n):
    y = np.zeros(n)
    y[: int(round(0.45 * n))] = 1.0
    return ResamplingPlan.build(n, strata=y, replicates=max(1, ARGS.draw_replicates), seed=0, key="large")


def _draw(block):
    ResamplingPlan._block = block
    try:
        plan = _plan(ARGS.n)
        t0 = time.perf_counter()
        out = [c.copy() for c in plan.count_chunks()]
        return time.perf_counter() - t0, np.concatenate(out)
    finally:
        ResamplingPlan._block = CURRENT_BLOCK


def _child(kind):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ARGS.n), str(ARGS.replicates), kind, str(ROOT)],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), out[2]


def _row(name, former, current):
    line = f"| {name} | {min(current):.2f} | {statistics.median(current):.2f} |"
    if former:
        ratio = statistics.median(former) / statistics.median(current)
        line += f" {min(former):.2f} | {statistics.median(former):.2f} | {ratio:.2f}x |"
    else:
        line += " | | |"
    print(line)


def main(argv=None) -> int:
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10**6)
    ap.add_argument("--replicates", type=int, default=2000)
    ap.add_argument("--draw-replicates", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--former", action="store_true", help="also run the end-to-end AUC with the former draw")
    ARGS = ap.parse_args(argv)

    # same integers first
    _, a = _draw(former_block)
    _, b = _draw(CURRENT_BLOCK)
    assert a.dtype == b.dtype and np.array_equal(a, b), "the multiplicities differ"
    draw_old, draw_new, auc_old, auc_new = [], [], [], []
    rss_old, rss_new, digests = [], [], set()
    for _ in range(ARGS.repeats):
        draw_old.append(_draw(former_block)[0])
        draw_new.append(_draw(CURRENT_BLOCK)[0])
        if ARGS.former:
            t, rss, h = _child("former")
            auc_old.append(t), rss_old.append(rss), digests.add(h)
        t, rss, h = _child("current")
        auc_new.append(t), rss_new.append(rss), digests.add(h)
    assert len(digests) == 1, f"replicates differ between runs: {digests}"
    print(f"n = {ARGS.n}, B = {ARGS.replicates}, {ARGS.repeats} repeats, load average "
          f"{os.getloadavg()[0]:.1f}; multiplicities identical; replicates sha256 {digests.pop()[:16]}")
    print("| case | current min (s) | current median (s) | former min (s) | former median (s) | former / current |")
    print("|---|---|---|---|---|---|")
    _row(f"draw {ARGS.draw_replicates} replicates", draw_old, draw_new)
    _row(f"one AUC, B = {ARGS.replicates}", auc_old, auc_new)
    print(f"peak resident memory (MiB): current max {max(rss_new):.0f}"
          + (f", former max {max(rss_old):.0f}" if rss_old else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
