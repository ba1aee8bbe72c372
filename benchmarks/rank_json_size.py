"""Size of the bootstrap rank data in ``leaderboard.json`` as the number of entries grows.

Synthetic entries (points spread over a normal distribution, replicates = point + noise) are
ranked by :func:`benchmark.stats.ranking.rank_summary` exactly as a board ranks them; the rank
distributions are then written as JSON the way the site wrote them before (a dense
``rank_counts`` list of length S for every entry) and the way it writes them now
(:func:`benchmark.leaderboard.compare.sparse_rank_counts` for the best
``RANK_COUNTS_MAX`` entries, null for the others). Usage::

    .venv/bin/python benchmarks/rank_json_size.py [--entries 300 1000 3000] [--replicates 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmark.leaderboard.compare import RANK_COUNTS_MAX, sparse_rank_counts  # noqa: E402
from benchmark.stats.ranking import rank_summary  # noqa: E402


def sizes(n_entries: int, replicates: int, seed: int = 0) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    points = np.sort(rng.normal(0.8, 0.05, size=n_entries))[::-1]
    reps = points[:, None] + rng.normal(0.0, 0.02, size=(n_entries, replicates))
    summaries = rank_summary(points, reps, True)
    dense = len(json.dumps([list(s.rank_counts) for s in summaries], separators=(",", ":")))
    sparse = len(json.dumps([sparse_rank_counts(s.rank_counts) if i < RANK_COUNTS_MAX else None
                             for i, s in enumerate(summaries)], separators=(",", ":")))
    return dense, sparse


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, nargs="+", default=[300, 1000, 3000])
    ap.add_argument("--replicates", type=int, default=2000)
    args = ap.parse_args(argv)
    print(f"{'entries':>8} {'dense (before)':>16} {'sparse, best {0} (after)'.format(RANK_COUNTS_MAX):>26} {'ratio':>8}")
    for s in args.entries:
        t = time.perf_counter()
        dense, sparse = sizes(s, args.replicates)
        print(f"{s:>8} {dense:>14,} B {sparse:>24,} B {dense / sparse:>8.0f}   ({time.perf_counter() - t:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
