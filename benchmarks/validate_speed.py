"""Wall time and peak memory of submission validation on large RSNA-like files.

Usage (from the repository root)::

    .venv/bin/python benchmarks/validate_speed.py [--studies 125000] [--repeat 3]

Cases measured, each in a fresh subprocess so that the peak resident set size (``ru_maxrss``)
belongs to that validation alone (it includes the Python interpreter, numpy and pandas):

* ``cspine-long-1M``: RSNA 2022 cervical spine ``kaggle_long`` layout, 125,000 studies x 8
  targets = 1,000,000 rows, rows shuffled (target: < 5 s, < 1 GB peak).
* ``cspine-long-1M-quoted``: the same with every row id in double quotes (R's ``write.csv``).
* ``cspine-long-12k``: 1,500 studies x 8 targets = 12,000 rows (target: well under 0.3 s).
* ``lumbar-long-7.5k``: RSNA 2024 lumbar spine, 300 studies x 25 targets x 3 classes.
* ``cspine-long-1M-invalid``: the 1M-row file with 1% of the values out of range and 1% of the
  rows removed: the error path, which builds messages for a few rows per kind only.

The expected :class:`~benchmark.data.public.PublicCases` is built in the script; the synthetic ids
are of the same shape as RSNA's (``1.2.826.0.1.3680043.<n>`` and 7-digit study ids). The time
reported is the wall time of :func:`benchmark.submissions.submission.read_submission` (reading, hashing,
validation and alignment); the best of ``--repeat`` runs is shown with the median.

Recorded results (2 shared CPUs, Python 3.11.7, pandas 3.1, numpy 2.4; other jobs were running,
load average about 2.6, so these are upper bounds)::

    case                               rows      MB   best s  median s  peak MB  outcome
    cspine-long-1000k             1,000,000    39.9    2.168     2.212      511  valid 125000x8
    cspine-long-1000k-quoted      1,000,000    41.9    2.785     2.967      522  valid 125000x8
    cspine-long-1000k-invalid       990,000    39.5    2.337     2.667      510  invalid (12 problems)
    cspine-long-12k                  12,000     0.5    0.014     0.014      158  valid 1500x8
    lumbar-long-7.5k                  7,500     0.5    0.012     0.015      158  valid 300x25x3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
sys.path.insert(0, {root!r})
from benchmark.data.tasks import load_registry
from benchmark.data.public import PublicCases
from benchmark.submissions.submission import read_submission
from benchmark.core.errors import SubmissionInvalid
task = load_registry({root!r}).get({task!r})
ids = np.array(json.load(open({ids!r})), dtype=str)
cases = PublicCases(task.id, "bench", ids, pd.DataFrame(index=ids), "bench")
t0 = time.perf_counter()
try:
    sub = read_submission(task, {path!r}, cases)
    outcome = "valid " + "x".join(map(str, sub.scores.shape))
except SubmissionInvalid as exc:
    outcome = f"invalid ({{len(exc.problems)}} problems)"
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
if sys.platform == "darwin":
    peak /= 1024
print(json.dumps({{"seconds": dt, "peak_mb": peak / 1024, "outcome": outcome}}))
"""


def _cspine_file(path: Path, ids: list[str], targets: list[str], seed: int, quoted=False,
                 invalid=False) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = np.array([f"{i}_{t}" for i in ids for t in targets], dtype=object)
    vals = rng.random(len(rows))
    order = rng.permutation(len(rows))
    if invalid:
        bad = rng.choice(len(rows), size=len(rows) // 100, replace=False)
        vals[bad] = 1.5 + vals[bad]
        order = order[: len(order) - len(order) // 100]
    q = '"' if quoted else ""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("row_id,fractured\n")
        fh.writelines(f"{q}{rows[i]}{q},{vals[i]:.6f}\n" for i in order)


def _lumbar_file(path: Path, ids: list[str], targets: list[str], seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    p = rng.dirichlet([4, 2, 1], size=len(ids) * len(targets))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("row_id,normal_mild,moderate,severe\n")
        j = 0
        for i in ids:
            for t in targets:
                a, b, c = p[j]
                fh.write(f"{i}_{t},{a:.6f},{b:.6f},{c:.6f}\n")
                j += 1


def _run(task: str, ids_file: Path, path: Path) -> dict:
    code = _CHILD.format(root=str(ROOT), task=task, ids=str(ids_file), path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--studies", type=int, default=125_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from benchmark.data.tasks import load_registry

    reg = load_registry(ROOT)
    cs, lu = reg.get("rsna-cspine"), reg.get("rsna-lumbar")
    big = [f"1.2.826.0.1.3680043.{10000 + i}" for i in range(args.studies)]
    small = big[:1500]
    lids = [str(4000000 + 7919 * i) for i in range(300)]
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for name, ids in (("big", big), ("small", small), ("lumbar", lids)):
            (d / f"{name}_ids.json").write_text(json.dumps(ids))
        _cspine_file(d / "big.csv", big, cs.targets, 1)
        _cspine_file(d / "big_quoted.csv", big, cs.targets, 1, quoted=True)
        _cspine_file(d / "big_invalid.csv", big, cs.targets, 1, invalid=True)
        _cspine_file(d / "small.csv", small, cs.targets, 2)
        _lumbar_file(d / "lumbar.csv", lids, lu.targets, 3)
        n_big = len(big) * len(cs.targets)
        cases = [
            (f"cspine-long-{n_big // 1000}k", "rsna-cspine", "big_ids.json", "big.csv"),
            (f"cspine-long-{n_big // 1000}k-quoted", "rsna-cspine", "big_ids.json", "big_quoted.csv"),
            (f"cspine-long-{n_big // 1000}k-invalid", "rsna-cspine", "big_ids.json", "big_invalid.csv"),
            ("cspine-long-12k", "rsna-cspine", "small_ids.json", "small.csv"),
            ("lumbar-long-7.5k", "rsna-lumbar", "lumbar_ids.json", "lumbar.csv"),
        ]
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
        print(f"{'case':<28} {'rows':>10} {'MB':>7} {'best s':>8} {'median s':>9} {'peak MB':>8}  outcome")
        for label, task, ids_name, fname in cases:
            path = d / fname
            with open(path, "rb") as fh:
                rows = sum(1 for _ in fh) - 1
            runs = [_run(task, d / ids_name, path) for _ in range(args.repeat)]
            secs = sorted(r["seconds"] for r in runs)
            peak = max(r["peak_mb"] for r in runs)
            print(f"{label:<28} {rows:>10,} {path.stat().st_size / 1e6:>7.1f} {secs[0]:>8.3f} "
                  f"{secs[len(secs) // 2]:>9.3f} {peak:>8.0f}  {runs[0]['outcome']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
