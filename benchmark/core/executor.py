"""Executors: where the independent jobs of a build or of one large score run.

Scoring a batch of submissions, or a range of bootstrap replicates of one submission, is a pure
function of its inputs. An :class:`Executor` runs such functions and returns their results in
input order, whatever the order in which they finish, so the output of a build does not depend
on where the jobs ran:

* :class:`LocalExecutor` (the default): worker processes of this machine
  (:func:`benchmark.core.parallel.ordered_map`), or this process alone for small builds;
* a Dask distributed cluster, chosen by :func:`open_executor` from a scheduler address or
  ``local:N`` (a ``LocalCluster`` of ``N`` worker processes). Its backend,
  :mod:`benchmark.core.dask_backend`, is imported only then: ``dask[distributed]`` is an
  optional extra (``pip install 'imaging-benchmark-harness[dask]'``).

Data every job needs (the labels of a task) is handed to :meth:`Executor.scatter` once; the
handle it returns is passed to :meth:`Executor.map` as a shared argument, so a cluster sends it
to each worker once instead of once per job. See ``docs/scaling.md``.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any, Callable, Iterator, Optional, Protocol, Sequence, TypeVar

from .errors import UsageError
from .parallel import ordered_map, worker_count

__all__ = ["Executor", "LocalExecutor", "open_executor", "parse_scheduler"]

T = TypeVar("T")
R = TypeVar("R")

class Executor(Protocol):
    """What a build needs from the place its jobs run.

    Attributes
    ----------
    workers : int
        Jobs that can run at once (1 = serially in this process).
    remote : bool
        True when every job goes to the executor whatever the number of jobs (a cluster was
        asked for); False when small maps stay in this process.
    """

    workers: int
    remote: bool

    def scatter(self, value: Any) -> Any:
        """A handle to ``value`` for :meth:`map`'s shared arguments (sent to workers once)."""

    def map(
        self,
        fn: Callable[..., R],
        items: Sequence[T],
        *shared: Any,
        min_items: int = 2,
        on_result: Optional[Callable[[int, R], None]] = None,
    ) -> list[R]:
        """``[fn(x, *shared) for x in items]`` in input order.

        ``fn`` is a module-level (picklable) pure function; ``shared`` holds values or handles
        from :meth:`scatter`. ``min_items``: a local executor runs fewer items in this process.
        ``on_result(index, result)`` is called in input order as results arrive.
        """

    def close(self) -> None:
        """Release the workers (and a cluster this executor started)."""


class _WithShared:
    """``fn(item, *shared)`` as a one-argument picklable callable."""

    def __init__(self, fn: Callable, shared: tuple):
        self.fn = fn
        self.shared = shared

    def __call__(self, item):
        return self.fn(item, *self.shared)


class LocalExecutor:
    """Worker processes of this machine (see :mod:`benchmark.core.parallel`).

    ``workers``: see :func:`benchmark.core.parallel.worker_count`. :meth:`scatter` returns the
    value itself: worker processes receive it with every job.

    >>> ex = LocalExecutor(workers=1)
    >>> ex.map(divmod, [7, 9], ex.scatter(4))
    [(1, 3), (2, 1)]
    """

    remote = False

    def __init__(self, workers: Optional[int] = None):
        self.workers = worker_count(workers)

    def scatter(self, value: Any) -> Any:
        return value

    def map(self, fn, items, *shared, min_items: int = 2, on_result=None) -> list:
        call = _WithShared(fn, shared) if shared else fn
        return ordered_map(call, list(items), workers=self.workers, min_items=min_items, on_result=on_result)

    def close(self) -> None:
        return None


def parse_scheduler(text: str) -> tuple[str, Any]:
    """``("local", N)`` for ``local:N``, else ``("address", text)``.

    Raises
    ------
    UsageError
        ``local:`` not followed by a positive integer, or an empty address.

    >>> parse_scheduler("local:2"), parse_scheduler("tcp://10.0.0.5:8786")
    (('local', 2), ('address', 'tcp://10.0.0.5:8786'))
    """
    text = (text or "").strip()
    if text.lower().startswith("local:"):
        count = text.split(":", 1)[1].strip()
        if not count.isdigit() or int(count) < 1:
            raise UsageError(
                f"--scheduler local:N needs a positive number of workers N. Got {text!r} instead."
            )
        return "local", int(count)
    if not text:
        raise UsageError("--scheduler must be a scheduler address or local:N. Got an empty value instead.")
    return "address", text


@contextlib.contextmanager
def open_executor(scheduler: Optional[str] = None, workers: Optional[int] = None) -> Iterator[Executor]:
    """The executor of one command, closed on exit.

    ``scheduler=None``: a :class:`LocalExecutor` with ``workers``. Otherwise a Dask cluster
    (see :func:`parse_scheduler`); a missing ``dask[distributed]`` is a usage error naming the
    extra to install.
    """
    if scheduler is None:
        yield LocalExecutor(workers)
        return
    kind, where = parse_scheduler(scheduler)
    try:
        # Optional extra: imported only when a cluster is asked for.
        backend = importlib.import_module("benchmark.core.dask_backend")
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("dask", "distributed"):
            raise
        raise UsageError(
            "--scheduler needs Dask (dask[distributed]), which is not installed: "
            "pip install 'imaging-benchmark-harness[dask]'"
        ) from exc
    executor = backend.DaskExecutor.start(kind, where)
    try:
        yield executor
    finally:
        executor.close()
