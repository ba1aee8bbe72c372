"""Executors (local worker processes) and the split of one submission's replicate ranges."""

from __future__ import annotations

import os

import numpy as np
import pytest

from benchmark.cli.main import main
from benchmark.core.errors import UsageError
from benchmark.core.executor import LocalExecutor, open_executor, parse_scheduler
from benchmark.stats import engine
from benchmark.stats.resampling import ResamplingPlan
from benchmark.stats.replicate_ranges import replicate_ranges, split_replicates
from scaling_helpers import REPO, huge_problem


def _pid_and_square(x, offset):
    return os.getpid(), x * x + offset


def test_local_executor_keeps_input_order_and_passes_shared_values():
    ex = LocalExecutor(workers=2)
    seen = []
    out = ex.map(_pid_and_square, list(range(9)), ex.scatter(100), on_result=lambda i, r: seen.append(i))
    assert [r for _, r in out] == [x * x + 100 for x in range(9)]
    assert seen == list(range(9))
    assert len({pid for pid, _ in out} - {os.getpid()}) >= 1  # ran in worker processes


def test_local_executor_keeps_small_maps_in_this_process():
    out = LocalExecutor(workers=2).map(_pid_and_square, [1, 2], 0, min_items=3)
    assert {pid for pid, _ in out} == {os.getpid()}


@pytest.mark.parametrize("text", ["local:0", "local:", "local:two", "local:-1", "  "])
def test_bad_scheduler_values_are_usage_errors(text):
    with pytest.raises(UsageError, match="--scheduler"):
        parse_scheduler(text)


def test_no_scheduler_is_the_local_pool():
    with open_executor(None, workers=1) as ex:
        assert isinstance(ex, LocalExecutor) and ex.workers == 1 and not ex.remote


def test_bad_scheduler_on_the_command_line_exits_2_without_traceback(capsys):
    code = main(["score", "mrnet", str(REPO / "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"), "--demo",
                 "--scheduler", "local:none"])
    err = capsys.readouterr().err
    assert code == 2 and "local:N" in err and "Traceback" not in err


@pytest.mark.parametrize("replicates,rows,parts", [(2000, 300, 3), (2000, 300, 2), (1000, 1000, 4), (7, 2, 5),
                                                    (2001, 250, 8), (500, 1, 3)])
def test_replicate_ranges_cover_every_replicate_once_on_block_boundaries(replicates, rows, parts):
    plan = ResamplingPlan.build(100, replicates=replicates, seed=0, key="r")
    ranges = replicate_ranges(plan, parts, max_bytes=8 * 100 * rows)
    assert 1 <= len(ranges) <= parts
    assert ranges[0][0] == 0 and ranges[-1][1] == replicates
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(a % rows == 0 and a < b for a, b in ranges)


@pytest.mark.parametrize("clustered", [False, True])
def test_replicate_ranges_on_local_workers_equal_the_serial_replicates_bit_for_bit(clustered):
    kernels, plan = huge_problem(n=20_000, replicates=300, clustered=clustered)
    small = 8 * plan.n * 64  # blocks of 64 replicates: five ranges' worth of blocks
    serial = engine.replicates(kernels, plan, max_bytes=small)
    split = split_replicates(kernels, plan, LocalExecutor(workers=2), max_bytes=small)
    assert split.shape == serial.shape == (2, 300)
    assert split.tobytes() == serial.tobytes()
    # and a range evaluated alone is the same columns of the whole run
    part = engine.replicates(kernels, plan, max_bytes=small, start=128, stop=256)
    assert part.tobytes() == np.ascontiguousarray(serial[:, 128:256]).tobytes()
