"""The bootstrap replicates of one large submission, split into ranges evaluated apart.

The weights of a :class:`~benchmark.stats.resampling.ResamplingPlan` are generated in blocks,
each from its own random stream, so replicates ``a .. b`` can be drawn without drawing the
ones before ``a``. :func:`split_replicates` cuts ``0 .. B`` into ranges that start on the
boundaries of the blocks :func:`benchmark.stats.engine.replicates` evaluates, runs each range
as one job of an executor (worker processes, or the workers of a Dask cluster) and joins the
columns in order. Every range is then evaluated on exactly the blocks of a serial run, so the
joined matrix is the serial one bit for bit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from . import engine
from .resampling import DEFAULT_MAX_BYTES, ResamplingPlan

if TYPE_CHECKING:  # the executors' module (and its process pool) is only needed to run jobs
    from ..core.executor import Executor

__all__ = ["replicate_ranges", "split_replicates"]


def replicate_ranges(plan: ResamplingPlan, parts: int, max_bytes: Optional[int] = None) -> list[tuple[int, int]]:
    """At most ``parts`` consecutive ranges ``(start, stop)`` covering ``0 .. plan.replicates``,
    each starting on a block boundary of the plan's count chunks.

    >>> plan = ResamplingPlan.build(1000, replicates=2000, seed=0, key="x")
    >>> replicate_ranges(plan, 3, max_bytes=8 * 1000 * 300)  # blocks of 300 replicates
    [(0, 900), (900, 1800), (1800, 2000)]
    """
    rows = plan.chunk_rows(max_bytes=max_bytes or DEFAULT_MAX_BYTES)
    blocks = math.ceil(plan.replicates / rows)
    per = math.ceil(blocks / max(1, int(parts)))
    step = per * rows
    return [(a, min(plan.replicates, a + step)) for a in range(0, plan.replicates, step)]


def _range_job(bounds: tuple[int, int], kernels: Sequence, plan: ResamplingPlan, max_bytes) -> np.ndarray:
    start, stop = bounds
    return engine.replicates(kernels, plan, max_bytes=max_bytes, start=start, stop=stop)


def split_replicates(kernels: Sequence, plan: ResamplingPlan, executor: Executor,
                     max_bytes: Optional[int] = None) -> np.ndarray:
    """:func:`benchmark.stats.engine.replicates`, its replicate ranges run as executor jobs.

    The kernels (per-case terms, hence the labels) and the plan are scattered once; each job
    returns the ``(len(kernels), stop - start)`` columns of its range. With fewer than two
    blocks of replicates the work stays in this process.

    Returns
    -------
    replicates : ndarray of shape (len(kernels), plan.replicates)
        Bit for bit the serial result.
    """
    ranges = replicate_ranges(plan, executor.workers, max_bytes)
    if len(ranges) < 2:
        return engine.replicates(kernels, plan, max_bytes=max_bytes)
    parts = executor.map(_range_job, ranges, executor.scatter(list(kernels)), executor.scatter(plan), max_bytes)
    return np.concatenate(parts, axis=1)
