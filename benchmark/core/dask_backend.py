"""Dask distributed backend of :mod:`benchmark.core.executor` (the ``dask`` extra).

Imported only when a command is given ``--scheduler``. Jobs are plain module-level functions of
the harness, so every worker must run the same harness code as the calling process: that is
checked when the executor starts (:func:`benchmark.core.fingerprint.source_fingerprint` of
every worker against this process's) and again by every job (workers may join later), because
a worker running other code would store results under this code's cache key.

A worker that dies mid-job (killed, out of memory, its node lost) is replaced by its nanny or
the scheduler reassigns its jobs to the other workers (up to
``distributed.scheduler.allowed-failures`` times per job); a job that raises is retried
:data:`RETRIES` times. Data sent with :meth:`DaskExecutor.scatter` is replicated on every
worker, so losing one worker loses no copy.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from dask.distributed import Client, LocalCluster

from .errors import HostError
from .fingerprint import source_fingerprint

__all__ = ["CONNECT_TIMEOUT", "RETRIES", "DaskExecutor"]

#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT = 30
#: Retries of a job that raised (a job lost with its worker is rescheduled by the scheduler).
RETRIES = 2


def _worker_fingerprint(dask_worker=None) -> str:
    return source_fingerprint()


def _other_code(where: str) -> HostError:
    return HostError(
        f"Dask worker {where} runs other harness code than this process: install the same "
        "version of the harness on every worker"
    )


class _SameCode:
    """``fn(*args)`` on a worker whose harness code is the caller's (workers may join a cluster
    after the executor started)."""

    def __init__(self, fn, fingerprint: str):
        self.fn = fn
        self.fingerprint = fingerprint

    def __call__(self, *args):
        if source_fingerprint() != self.fingerprint:
            raise _other_code("running this job")
        return self.fn(*args)


class DaskExecutor:
    """Jobs on a Dask cluster; see :class:`benchmark.core.executor.Executor`.

    Parameters
    ----------
    client : distributed.Client
    cluster : distributed.LocalCluster, default=None
        A cluster this executor started (closed with it).
    """

    remote = True

    def __init__(self, client: Client, cluster: Optional[LocalCluster] = None):
        self.client = client
        self.cluster = cluster

    @property
    def workers(self) -> int:
        """Worker threads of the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    @classmethod
    def start(cls, kind: str, where: Any) -> "DaskExecutor":
        """``kind="local"``: a ``LocalCluster`` of ``where`` single-threaded worker processes;
        ``kind="address"``: the scheduler at ``where``."""
        cluster = None
        try:
            if kind == "local":
                cluster = LocalCluster(
                    n_workers=int(where), threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                )
                client = Client(cluster)
            else:
                client = Client(where, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            if cluster is not None:
                cluster.close()
            raise HostError(f"cannot reach the Dask scheduler at {where}: {exc}") from None
        executor = cls(client, cluster)
        try:
            executor.check_workers()
        except HostError:
            executor.close()
            raise
        return executor

    def check_workers(self) -> None:
        """Every worker runs this process's harness code (see the module notes)."""
        mine = source_fingerprint()
        theirs = self.client.run(_worker_fingerprint)
        other = sorted(addr for addr, fp in theirs.items() if fp != mine)
        if other:
            raise _other_code(other[0])

    def scatter(self, value: Any) -> Any:
        """A future of ``value``, replicated on every worker (sent once per worker)."""
        return self.client.scatter(value, broadcast=True, hash=False)

    def map(self, fn, items, *shared, min_items: int = 2, on_result=None) -> list:
        """Every item is a job on the cluster (``min_items`` is for local executors)."""
        job = _SameCode(fn, source_fingerprint())
        futures = [self.client.submit(job, x, *shared, pure=False, retries=RETRIES) for x in items]
        out = []
        try:
            for i, f in enumerate(futures):
                out.append(f.result())
                if on_result is not None:
                    on_result(i, out[-1])
        finally:
            self.client.cancel(futures[len(out):])
        return out

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
