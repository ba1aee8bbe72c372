"""Ordered process-pool map for the leaderboard build.

Scoring batches of submissions and drawing figures are independent pieces of work whose results
depend only on their inputs, so they can run in worker processes. :func:`ordered_map` returns
the results in input order whatever the order in which the workers finish, so a parallel build
writes exactly the bytes of a serial one.

Small jobs stay in the calling process: starting workers costs more than it saves. The number of
workers is ``min(2, os.cpu_count())`` unless given, or set by the environment variable
``BENCHMARK_WORKERS`` (``1`` runs everything serially).

On Linux workers are forked from the calling process: they start at once with everything
already imported, and the calling script needs no ``if __name__ == "__main__"`` guard. Elsewhere
(macOS, Windows, where forking a process that has loaded system frameworks is unsafe) they are
started by ``spawn``, which re-imports the calling script: scripts that build the leaderboard
there must guard their entry point, as for any use of :mod:`multiprocessing`.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Optional, Sequence, TypeVar

__all__ = ["ENV_WORKERS", "DEFAULT_WORKERS", "worker_count", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")

#: Environment variable overriding the number of worker processes.
ENV_WORKERS = "BENCHMARK_WORKERS"
#: Workers used by default (capped by the number of CPUs).
DEFAULT_WORKERS = 2


def worker_count(workers: Optional[int] = None) -> int:
    """The number of worker processes to use.

    Parameters
    ----------
    workers : int, default=None
        Requested count; ``None`` reads ``$BENCHMARK_WORKERS``, else uses
        ``min(DEFAULT_WORKERS, os.cpu_count())``.

    Returns
    -------
    count : int
        At least 1 (1 = serial, in the calling process).

    Raises
    ------
    ValueError
        ``$BENCHMARK_WORKERS`` is not a positive integer.
    """
    if workers is None:
        env = os.environ.get(ENV_WORKERS, "").strip()
        if env:
            try:
                workers = int(env)
            except ValueError:
                raise ValueError(f"{ENV_WORKERS} must be a positive integer. Got {env!r} instead.") from None
            if workers < 1:
                raise ValueError(f"{ENV_WORKERS} must be a positive integer. Got {env!r} instead.")
        else:
            workers = min(DEFAULT_WORKERS, os.cpu_count() or 1)
    return max(1, int(workers))


def _context():
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def ordered_map(
    fn: Callable[[T], R],
    items: Sequence[T] | Iterable[T],
    workers: Optional[int] = None,
    min_items: int = 2,
    on_result: Optional[Callable[[int, R], None]] = None,
) -> list[R]:
    """``[fn(x) for x in items]``, in worker processes when it pays.

    Parameters
    ----------
    fn : callable
        A module-level function (picklable), pure: its result depends only on its argument.
    items : sequence
        Picklable arguments.
    workers : int, default=None
        See :func:`worker_count`.
    min_items : int, default=2
        Fewer items than this (or a single worker) run serially in the calling process.
    on_result : callable, default=None
        Called as ``on_result(index, result)`` in input order as results become available
        (progress reporting).

    Returns
    -------
    results : list
        In the order of ``items``.
    """
    items = list(items)
    n = worker_count(workers)
    out: list[R] = []
    if n <= 1 or len(items) < max(2, min_items):
        for i, x in enumerate(items):
            out.append(fn(x))
            if on_result is not None:
                on_result(i, out[-1])
        return out
    with ProcessPoolExecutor(max_workers=min(n, len(items)), mp_context=_context()) as pool:
        futures = [pool.submit(fn, x) for x in items]
        for i, f in enumerate(futures):
            out.append(f.result())
            if on_result is not None:
                on_result(i, out[-1])
    return out
