"""Scoring and leaderboard builds on a Dask cluster (a LocalCluster of 2 worker processes).

Skipped when the ``dask`` extra is not installed; ``make test`` installs it.
"""

from __future__ import annotations

import os
import re
import signal

import numpy as np
import pytest

pytest.importorskip("dask.distributed")

from benchmark.cli.main import main  # noqa: E402
from benchmark.core.canonical import canonical_json  # noqa: E402
from benchmark.core.dask_backend import DaskExecutor  # noqa: E402
from benchmark.core.errors import HostError  # noqa: E402
from benchmark.core.executor import open_executor  # noqa: E402
from benchmark.data.tasks import load_registry  # noqa: E402
from benchmark.leaderboard.board import score_all_tasks  # noqa: E402
from benchmark.stats import engine  # noqa: E402
from benchmark.stats.replicate_ranges import split_replicates  # noqa: E402
from scaling_helpers import huge_problem, many_entries_root, tree  # noqa: E402

B = 200  # the replicates of the task in many_entries_root
ENTRIES = 12


@pytest.fixture(scope="module")
def cluster():
    executor = DaskExecutor.start("local", 2)
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return many_entries_root(tmp_path_factory.mktemp("many"), ENTRIES)


@pytest.fixture(scope="module")
def serial(root):
    """Every row of a serial build (one process, no cache)."""
    return _rows(score_all_tasks(load_registry(root), replicates=B, cache_dir=False, workers=1))


def _rows(boards) -> dict:
    out = {}
    for board in boards:
        for r in board.rows:
            out[r.entry.name] = (
                None if r.result is None else canonical_json(r.result.model_dump(mode="json")),
                None if r.replicates is None else r.replicates.tobytes(),
                None if r.problems is None else [p.format() for p in r.problems.problems],
                r.rank,
            )
    return out


def _differences(rows: dict, reference: dict) -> list:
    """``(entry, part)`` wherever ``rows`` and ``reference`` differ (part 0: result as canonical JSON,
    1: replicate bytes, 2: problems, 3: rank)."""
    missing = (None, None, None, None)
    return sorted((name, part) for name in rows.keys() | reference.keys() for part in range(4)
                  if rows.get(name, missing)[part] != reference.get(name, missing)[part])


def test_two_worker_local_cluster_builds_the_bytes_of_a_serial_build(root, tmp_path, monkeypatch):
    monkeypatch.setenv("BENCHMARK_WORKERS", "1")
    build = ["--root", str(root), "-q", "leaderboard", "build"]
    assert main([*build, "--out", str(tmp_path / "serial"), "--cache", str(tmp_path / "c1")]) == 0
    assert main([*build, "--out", str(tmp_path / "dask"), "--cache", str(tmp_path / "c2"),
                 "--scheduler", "local:2"]) == 0
    serial_site, dask_site = tree(tmp_path / "serial"), tree(tmp_path / "dask")
    assert len(serial_site) > 10 and dask_site == serial_site
    # the cached results are the same bytes too
    assert tree(tmp_path / "c2") == tree(tmp_path / "c1")


def test_validation_runs_in_the_worker_jobs(cluster, root, serial):
    boards = score_all_tasks(load_registry(root), replicates=B, cache_dir=False, executor=cluster)
    rows = _rows(boards)
    assert _differences(rows, serial) == []
    invalid = [name for name, (_, _, problems, _) in rows.items() if problems]
    assert invalid == [f"synthetic-team-{ENTRIES:03d}__noisy"]
    assert "predictions.csv:5: column abnormal" in rows[invalid[0]][2][0] and "'abc'" in rows[invalid[0]][2][0]


def test_a_worker_killed_mid_build_is_survived(cluster, root, serial, tmp_path):
    killed = []

    def kill_a_busy_worker(message: str) -> None:
        if killed or "scored" not in message:
            return
        busy = [addr for addr, keys in cluster.client.processing().items() if keys]
        pids = cluster.client.run(os.getpid)
        assert busy, "no job left in flight to lose"
        os.kill(pids[busy[0]], signal.SIGKILL)
        killed.append(busy[0])

    boards = score_all_tasks(load_registry(root), replicates=B, cache_dir=tmp_path / "cache",
                             executor=cluster, progress=kill_a_busy_worker)
    assert killed
    assert _differences(_rows(boards), serial) == []
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarted it


class _Interrupted(Exception):
    pass


def test_a_resumed_build_rescores_only_what_the_cache_misses(cluster, root, serial, tmp_path):
    cache = tmp_path / "cache"

    def stop_after_the_first_batch(message: str) -> None:
        if "scored" in message and "/" in message:
            raise _Interrupted(message)

    with pytest.raises(_Interrupted) as stopped:
        score_all_tasks(load_registry(root), replicates=B, cache_dir=cache, executor=cluster,
                        progress=stop_after_the_first_batch)
    first = int(re.search(r"scored (\d+)/", str(stopped.value)).group(1))
    stored = len(list(cache.rglob("*.json")))
    assert 0 < stored == first < ENTRIES  # results of the finished batch were kept

    log: list[str] = []
    boards = score_all_tasks(load_registry(root), replicates=B, cache_dir=cache, executor=cluster,
                             progress=log.append)
    counts = re.search(r"(\d+) cached, validating and scoring (\d+) submission", log[0])
    assert (int(counts.group(1)), int(counts.group(2))) == (stored, ENTRIES + 1 - stored)  # + the invalid one
    assert len(list(cache.rglob("*.json"))) == ENTRIES
    assert _differences(_rows(boards), serial) == []


@pytest.mark.parametrize("clustered", [False, True])
def test_one_huge_submission_split_across_two_workers_equals_the_serial_replicates(cluster, clustered):
    kernels, plan = huge_problem(n=40_000, replicates=400, clustered=clustered)
    small = 8 * plan.n * 48  # blocks of 48 replicates
    serial_reps = engine.replicates(kernels, plan, max_bytes=small)
    split = split_replicates(kernels, plan, cluster, max_bytes=small)
    assert split.dtype == np.float64 and split.shape == (2, 400)
    assert split.tobytes() == serial_reps.tobytes()


def test_workers_running_other_code_are_refused(cluster, monkeypatch):
    from benchmark.core import dask_backend

    monkeypatch.setattr(dask_backend, "source_fingerprint", lambda: "0" * 64)
    with pytest.raises(HostError, match="other harness code"):
        cluster.check_workers()
    # a worker that joined later is refused by the job itself
    with pytest.raises(HostError, match="other harness code"):
        cluster.map(abs, [-1, 2])


def test_an_unreachable_scheduler_is_a_host_error(monkeypatch):
    from benchmark.core import dask_backend

    monkeypatch.setattr(dask_backend, "CONNECT_TIMEOUT", 1)
    with pytest.raises(HostError, match="cannot reach the Dask scheduler"):
        with open_executor("tcp://127.0.0.1:9"):
            pass
