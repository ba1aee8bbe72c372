"""Scoring stage of a leaderboard build: serial, local worker processes, and a 2-worker Dask
LocalCluster, measured side by side in one run; and one large submission's replicates split
across the cluster's workers.

Generates the synthetic root of ``site_build.py`` (4 tasks x ``--per-task`` SYNTHETIC
submissions), then times :func:`benchmark.leaderboard.board.score_all_tasks` without a cache
(every submission validated and scored with the task's own bootstrap settings; pages and
figures are not part of this timing), the three ways interleaved, ``--repeats`` times each.
The cluster is started once (its start-up time is printed apart). Every build's results are
compared byte for byte with the serial build's.

``--huge N``: also times the replicates of one SYNTHETIC binary submission of N cases (AUC and
log loss, B = 2,000, stratified plan) serially and split across the cluster, and checks the
bits are equal. Usage::

    .venv/bin/python benchmarks/dask_build.py [--per-task 25] [--repeats 3] [--huge 125000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402

from benchmark.core.canonical import canonical_json  # noqa: E402
from benchmark.core.dask_backend import DaskExecutor  # noqa: E402
from benchmark.core.executor import LocalExecutor  # noqa: E402
from benchmark.data.tasks import load_registry  # noqa: E402
from benchmark.leaderboard.board import score_all_tasks  # noqa: E402
from benchmark.stats import engine  # noqa: E402
from benchmark.stats import kernels as K  # noqa: E402
from benchmark.stats.resampling import ResamplingPlan  # noqa: E402
from benchmark.stats.replicate_ranges import split_replicates  # noqa: E402
from site_build import make_root  # noqa: E402


def fingerprint(boards) -> list:
    return [(r.entry.name, None if r.result is None else canonical_json(r.result.model_dump(mode="json")),
             None if r.replicates is None else r.replicates.tobytes()) for b in boards for r in b.rows]


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def stats(xs: list[float]) -> str:
    return f"{min(xs):.2f} / {statistics.median(xs):.2f} s"


def huge(n: int, cluster: DaskExecutor, repeats: int) -> None:
    rng = np.random.default_rng(11)
    y = (rng.uniform(size=n) < 0.3).astype(float)
    s = np.clip(0.3 * y + 0.7 * rng.uniform(size=n), 1e-6, 1 - 1e-6)
    loss = -(y * np.log(s) + (1 - y) * np.log1p(-s))
    kernels = [K.AUCTerms(y, s), K.LinearTerms(np.column_stack([loss, np.ones(n)]), K.mean_of_ratios)]
    plan = ResamplingPlan.build(n, strata=y, replicates=2000, seed=1, key="synthetic")
    times = {"serial": [], "split": []}
    for _ in range(repeats):
        t = time.perf_counter()
        a = engine.replicates(kernels, plan)
        times["serial"].append(time.perf_counter() - t)
        t = time.perf_counter()
        b = split_replicates(kernels, plan, cluster)
        times["split"].append(time.perf_counter() - t)
        assert a.tobytes() == b.tobytes(), "split replicates differ from the serial ones"
    ratio = statistics.median(times["serial"]) / statistics.median(times["split"])
    print(f"one submission, n = {n:,}, B = 2,000: serial {stats(times['serial'])}, "
          f"split over 2 workers {stats(times['split'])} (speed-up of medians {ratio:.2f}x; bits equal)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-task", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--huge", type=int, default=0, help="cases of the one-submission split (0: skip)")
    args = ap.parse_args()
    print(f"load average at the start: {load()} ({os.cpu_count()} CPUs)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        make_root(root, args.per_task)
        print(f"{sum(1 for _ in root.glob('submissions/*/*'))} submissions generated", flush=True)
        t = time.perf_counter()
        cluster = DaskExecutor.start("local", 2)
        print(f"LocalCluster of 2 workers started in {time.perf_counter() - t:.2f} s", flush=True)
        try:
            times: dict[str, list[float]] = {"serial": [], "local pool (2 processes)": [], "Dask LocalCluster (2 workers)": []}
            reference = None
            for _ in range(args.repeats):
                for name, kw in (("serial", {"workers": 1}), ("local pool (2 processes)", {"executor": LocalExecutor(2)}),
                                 ("Dask LocalCluster (2 workers)", {"executor": cluster})):
                    t = time.perf_counter()
                    boards = score_all_tasks(load_registry(root), cache_dir=False, **kw)
                    times[name].append(time.perf_counter() - t)
                    print(f"  {name}: {times[name][-1]:.2f} s (load {load()})", flush=True)
                    fp = fingerprint(boards)
                    reference = reference or fp
                    assert fp == reference, f"{name}: results differ from the serial build"
            n = sum(len(b.rows) for b in boards)
            print(f"scoring {n} submissions of 4 tasks, {args.repeats} runs each, interleaved (min / median):")
            base = statistics.median(times["serial"])
            for name, xs in times.items():
                print(f"  {name}: {stats(xs)}  (serial / this, medians: {base / statistics.median(xs):.2f}x)")
            print("  every build's results and replicates: byte-identical to the serial build")
            if args.huge:
                huge(args.huge, cluster, args.repeats)
        finally:
            cluster.close()
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
