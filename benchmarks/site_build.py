"""Leaderboard build time: 4 tasks x 100 synthetic submissions each.

Generates a temporary benchmark root (the committed task files and demo labels, plus 100
submissions per task derived from a demo submission by seeded noise), then times

* a cold build: every submission validated and scored with the task's own bootstrap settings,
  every figure drawn, the site written;
* an unchanged rebuild with the warm cache, in the same process and through the CLI.

Targets: cold < 20 s, unchanged rebuild < 2 s (2 cores). Usage::

    .venv/bin/python benchmarks/site_build.py [--per-task 100] [--keep DIR]
    .venv/bin/python benchmarks/site_build.py --anchor OLD_CHECKOUT [--repeats 3]
    .venv/bin/python benchmarks/site_build.py --batch-costs [--repeats 3]

With ``--anchor``, the same builds are timed alternately with the code of another checkout
(e.g. ``git archive <commit> | tar -x -C OLD_CHECKOUT``), each in a fresh process with its own
cold cache, ``--repeats`` times; the report gives min and median of each and their ratio, and
the load average around each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CODE = Path(os.environ.get("SITE_BUILD_CODE", REPO))  # the code timed (set for --anchor runs)
sys.path.insert(0, str(CODE))

from benchmark.leaderboard.board import score_all_tasks  # noqa: E402
from benchmark.leaderboard.site.render import build_site  # noqa: E402
from benchmark.data.tasks import load_registry  # noqa: E402

TASKS = {"mrnet": "mrnet", "scopemri-bankart": "scopemri", "rsna-cspine": "rsna-cspine", "rsna-lumbar": "rsna-lumbar"}


def _base_submission(task_id: str) -> Path:
    """The best demo submission of a task in its canonical (non-headerless) format."""
    folders = sorted((REPO / "submissions" / task_id).iterdir())
    for f in folders:
        with open(f / "submission.toml", "rb") as fh:
            meta = tomllib.load(fh)
        if meta.get("format") != "mrnet_official" and "prevalence" not in f.name:
            return f
    return folders[-1]


def _perturb(lines: list[str], rng: np.random.Generator, multiclass: bool, scale: float) -> list[str]:
    header, rows = lines[0], lines[1:]
    names = header.split(",")
    out = [header]
    for line in rows:
        cells = line.split(",")
        vals = np.array([float(c) for c in cells[1:]])
        if multiclass:
            p = np.clip(vals, 1e-6, None) * np.exp(rng.normal(0, scale, vals.size))
            p = p / p.sum()
        else:
            z = np.log(np.clip(vals, 1e-6, 1 - 1e-6) / (1 - np.clip(vals, 1e-6, 1 - 1e-6)))
            p = 1 / (1 + np.exp(-(z + rng.normal(0, scale, vals.size))))
        out.append(",".join([cells[0], *(f"{v:.6f}" for v in p)]))
    assert len(names) == len(out[1].split(","))
    return out


def make_root(dest: Path, per_task: int, source: Path = REPO) -> None:
    """A benchmark root with the task files of ``source`` and ``per_task`` submissions a task."""
    for task_id, dataset in TASKS.items():
        shutil.copytree(source / "tasks" / task_id, dest / "tasks" / task_id)
        if not (dest / "tasks" / "_datasets" / dataset).exists():
            shutil.copytree(source / "tasks" / "_datasets" / dataset, dest / "tasks" / "_datasets" / dataset)
        base = _base_submission(task_id)
        meta_text = (base / "submission.toml").read_text()
        raw = (base / "predictions.csv").read_text().splitlines()
        comments = [ln for ln in raw if ln.startswith("#")]
        body = [ln for ln in raw if ln and not ln.startswith("#")]
        multiclass = task_id == "rsna-lumbar"
        for i in range(per_task):
            rng = np.random.default_rng([i, len(task_id)])
            scale = 0.2 + 2.5 * i / per_task
            folder = dest / "submissions" / task_id / f"bench-team-{i:03d}__model-{i:03d}"
            folder.mkdir(parents=True)
            lines = comments + _perturb(body, rng, multiclass, scale)
            (folder / "predictions.csv").write_text("\n".join(lines) + "\n")
            meta = "\n".join(
                f'team = "Bench Team {i:03d}"' if ln.startswith("team =") else
                f'model = "model-{i:03d}"' if ln.startswith("model =") else ln
                for ln in meta_text.splitlines()
                if not ln.startswith("format =")  # the format is detected from the file
            )
            (folder / "submission.toml").write_text(meta + "\n")


def child(root: Path, cache: Path, out: Path) -> dict:
    """Cold build, unchanged rebuild in process and through the CLI, with the code imported.

    In process, the build is what ``benchmark leaderboard build`` runs: ``build_leaderboard``
    where the code has it (it keeps an unchanged site), else scoring then ``build_site``."""
    try:
        from benchmark.leaderboard.build import build_leaderboard
    except ImportError:
        build_leaderboard = None

    def build():
        reg = load_registry(root)
        if build_leaderboard is not None:
            return build_leaderboard(reg, out, cache_dir=cache)
        boards = score_all_tasks(reg, cache_dir=cache)
        return build_site(reg, boards, out, cache_dir=cache)

    load = os.getloadavg()[0]
    t = time.perf_counter()
    build()
    cold = time.perf_counter() - t
    t = time.perf_counter()
    build()
    warm = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "benchmark", "--root", str(root), "leaderboard", "build", "--out", str(out), "--cache", str(cache)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(CODE),
        env=dict(os.environ, PYTHONPATH=str(CODE)),
    )
    cli = time.perf_counter() - t
    rank_bytes = len(json.dumps([e.get("rank_counts") for t_ in json.loads((out / "leaderboard.json").read_text())["tasks"]
                                 for e in t_["entries"]]))
    return {"cold": cold, "warm": warm, "cli": cli, "load_before": load, "load_after": os.getloadavg()[0],
            "files": sum(1 for p in out.rglob("*") if p.is_file()), "rank_counts_bytes": rank_bytes}


def compare_with(anchor: Path, per_task: int, repeats: int, tmp: Path, current: Path = REPO) -> None:
    """Time ``current`` (this checkout) and ``anchor`` alternately, each run in a fresh process
    and cache. Roots already generated in ``tmp`` (``--keep``) are reused."""
    codes = {"anchor": anchor.resolve(), "current": current.resolve()}
    roots = {}
    for name, code in codes.items():
        roots[name] = tmp / f"root-{name}"
        if not roots[name].is_dir():
            make_root(roots[name], per_task, code)
    runs: dict = {name: [] for name in codes}
    for rep in range(repeats):
        for name, code in codes.items():
            work = tmp / f"{name}-{rep}"
            env = dict(os.environ, PYTHONPATH=str(code), SITE_BUILD_CODE=str(code))
            res = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--child", str(roots[name]), str(work / "cache"),
                 str(work / "site")],
                check=True, capture_output=True, text=True, env=env, cwd=str(code),
            )
            runs[name].append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(f"{name} run {rep + 1}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                                      for k, v in runs[name][-1].items()), file=sys.stderr, flush=True)
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(TASKS)} tasks x {per_task} submissions, {repeats} alternating runs each, {os.cpu_count()} CPUs")
    for key in ("cold", "warm", "cli"):
        a = [r[key] for r in runs["anchor"]]
        c = [r[key] for r in runs["current"]]
        print(f"{key:5s} anchor min {min(a):6.2f} s median {statistics.median(a):6.2f} s | current min {min(c):6.2f} s "
              f"median {statistics.median(c):6.2f} s | ratio anchor/current (median) {statistics.median(a) / statistics.median(c):5.2f}")
    loads = [r[k] for rs in runs.values() for r in rs for k in ("load_before", "load_after")]
    print(f"load average (1 min) around the runs: {min(loads):.2f} to {max(loads):.2f}")
    for name in codes:
        print(f"{name}: {runs[name][0]['files']} files, rank_counts in leaderboard.json {runs[name][0]['rank_counts_bytes']:,} bytes")


def batch_costs(root: Path, repeats: int, size: int = 25) -> None:
    """Where the cold build's time goes: one batch of ``size`` submissions of each task
    validated and scored in this process (no cache), and the scoring of every task with one
    worker and with two (alternating), ``repeats`` times each."""
    from benchmark.leaderboard import board

    reg = load_registry(root)
    print(f"one batch of {size} submissions, in process, {repeats} runs (min / median):")
    for task in reg:
        b = board._Build(task, root, None, None, None, None, True, None, None)
        if hasattr(b, "load"):  # the cache is read apart from the keys since the build memo
            b.load()
        labels = board.TaskLabels({task.id: (b.labels, b.all_labels)})
        job = b.jobs(size)[0]
        board._validate_and_score(job, labels)  # imports and first-use costs out of the timing
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            board._validate_and_score(job, labels)
            times.append(time.perf_counter() - t)
        print(f"  {task.id}: {min(times):.2f} / {statistics.median(times):.2f} s")
    runs: dict = {1: [], 2: []}
    for _ in range(repeats):
        for workers in (1, 2):
            t = time.perf_counter()
            score_all_tasks(load_registry(root), cache_dir=False, workers=workers)
            runs[workers].append(time.perf_counter() - t)
    one, two = (statistics.median(runs[w]) for w in (1, 2))
    print(f"scoring every task (no cache): 1 worker {min(runs[1]):.2f} / {one:.2f} s, 2 workers "
          f"{min(runs[2]):.2f} / {two:.2f} s (min / median); 1 / 2 workers (medians) {one / two:.2f}x; "
          f"load average {os.getloadavg()[0]:.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-task", type=int, default=100)
    ap.add_argument("--keep", help="generate into this folder and keep it")
    ap.add_argument("--anchor", help="another checkout to time against (alternating runs)")
    ap.add_argument("--current", help="the checkout to time with --anchor (default: this one)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-costs", action="store_true",
                    help="time one batch per task and the scoring with 1 and 2 workers instead")
    ap.add_argument("--child", nargs=3, metavar=("ROOT", "CACHE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(*map(Path, args.child))))
        return 0
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="site-build-"))
    try:
        if args.batch_costs:
            root = tmp / "root"
            if not root.is_dir():
                make_root(root, args.per_task)
            batch_costs(root, args.repeats)
            return 0
        if args.anchor:
            compare_with(Path(args.anchor), args.per_task, args.repeats, tmp, Path(args.current or REPO))
            return 0
        root = tmp / "root"
        t = time.perf_counter()
        make_root(root, args.per_task)
        print(f"generated {len(TASKS)} tasks x {args.per_task} submissions in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        r = child(root, tmp / "cache", tmp / "site")
        print(f"cold build:        {r['cold']:6.1f} s  (target < 20 s; {r['files']} files written)")
        print(f"unchanged rebuild: {r['warm']:6.2f} s  (target < 2 s, in process)")
        print(f"unchanged rebuild: {r['cli']:6.2f} s  (CLI, including interpreter start and imports)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
