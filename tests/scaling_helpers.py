"""Synthetic benchmark roots and submissions for the executor and cluster tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from benchmark.stats import kernels as K
from benchmark.stats.resampling import ResamplingPlan

REPO = Path(__file__).resolve().parent.parent


def many_entries_root(tmp_path: Path, count: int, invalid: int = 1, replicates: int = 200) -> Path:
    """A root with the mrnet task (``replicates`` bootstrap replicates) and ``count`` SYNTHETIC
    entries (seeded noise on a demo entry's predictions, so every file and cache key differs)
    plus ``invalid`` broken ones."""
    root = tmp_path / "root"
    shutil.copytree(REPO / "tasks" / "mrnet", root / "tasks" / "mrnet")
    toml = root / "tasks" / "mrnet" / "task.toml"
    text = toml.read_text(encoding="utf-8")
    assert "\nreplicates = 10000\n" in text
    toml.write_text(text.replace("\nreplicates = 10000\n", f"\nreplicates = {replicates}\n"), encoding="utf-8")
    shutil.copytree(REPO / "tasks" / "_datasets" / "mrnet", root / "tasks" / "_datasets" / "mrnet")
    base = REPO / "submissions" / "mrnet" / "demo-lab-a__resnet-baseline"
    lines = (base / "predictions.csv").read_text(encoding="utf-8").splitlines()
    comment, header, rows = lines[0], lines[1], [line.split(",") for line in lines[2:]]
    meta = (base / "submission.toml").read_text(encoding="utf-8")
    rng = np.random.default_rng(20260101)
    for k in range(count + invalid):
        team = f"synthetic-team-{k:03d}"
        folder = root / "submissions" / "mrnet" / f"{team}__noisy"
        folder.mkdir(parents=True)
        out = [comment, header]
        for case, *values in rows:
            noisy = np.clip(np.array(values, dtype=float) + rng.normal(0, 0.15, len(values)), 0, 1)
            out.append(",".join([case, *(f"{v:.6f}" for v in noisy)]))
        if k >= count:  # an invalid entry: a value that is not a number on its third data row
            out[4] = out[4].split(",")[0] + ",abc," + ",".join(out[4].split(",")[2:])
        (folder / "predictions.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
        (folder / "submission.toml").write_text(
            meta.replace('team = "Demo Lab A"', f'team = "Synthetic team {k:03d}"')
            .replace('model = "resnet-baseline"', 'model = "noisy"'),
            encoding="utf-8",
        )
    return root


def huge_problem(n: int = 40_000, replicates: int = 400, clustered: bool = False):
    """SYNTHETIC labels and scores of one large binary submission: kernels (AUC and log loss)
    and a stratified (optionally patient-clustered) plan."""
    rng = np.random.default_rng(7)
    y = (rng.uniform(size=n) < 0.3).astype(float)
    s = np.clip(0.3 * y + rng.uniform(size=n) * 0.7, 1e-6, 1 - 1e-6)
    clusters = rng.integers(0, n // 2, size=n) if clustered else None
    plan = ResamplingPlan.build(n, strata=y, clusters=clusters, replicates=replicates, seed=3, key="huge")
    loss = -(y * np.log(s) + (1 - y) * np.log1p(-s))
    kernels = [K.AUCTerms(y, s), K.LinearTerms(np.column_stack([loss, np.ones(n)]), K.mean_of_ratios)]
    return kernels, plan


def tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
