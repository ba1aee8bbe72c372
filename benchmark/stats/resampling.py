"""Resampling plans: the bootstrap weights every submission of a task is evaluated on.

One :class:`ResamplingPlan` per (task, split, labels, seed, replicates) draws
bootstrap *multiplicity weights*: row ``b`` of the ``(B, n)`` weight matrix says
how many times each case enters replicate ``b``. Every submission is evaluated
under the same rows, so differences between submissions are paired. Metrics
consume the weights through their ``batch(y_true, y_score, weights)`` function
(see ``docs/architecture.md``), which keeps the evaluation vectorised over
replicates; :func:`bootstrap_replicates` and :func:`jackknife_values` run such
functions over a whole plan.

Resampling schemes
------------------
* stratified: cases are drawn with replacement within each stratum, so every
  replicate keeps the number of cases of each stratum (pROC's stratified
  bootstrap, where cases and controls are resampled separately);
* clustered: clusters (e.g. patients) are drawn with replacement and every case
  of a drawn cluster enters with the multiplicity of its cluster;
* clustered and stratified: clusters are drawn within the stratum of the
  cluster, defined as the largest stratum value among its cases (with 0/1
  labels as strata, a cluster with at least one positive case is positive).

Intervals computed from the replicates are in :mod:`benchmark.stats.intervals`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .checks import check_int

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ResamplingPlan",
    "bootstrap_replicates",
    "jackknife_values",
]


#: Default upper bound, in bytes, of one block of weights handed to a consumer
#: (128 MiB: 160 replicates of 100,000 cases). Metric ``batch`` functions pay a
#: per-call cost independent of the number of rows (e.g. sorting the scores
#: for the AUC), so blocks much smaller than this slow large test sets down;
#: peak memory stays a few times this bound.
DEFAULT_MAX_BYTES = 128 * 2**20

# Weights are generated in internal blocks of replicates whose size depends only
# on the number of resampling units, never on how a consumer chunks them. Each
# block has its own random stream (SeedSequence spawn key = block index), so
# block ``k`` can be generated without generating blocks ``0..k-1``.
_BLOCK_DRAWS = 2**18
_MAX_BLOCK_ROWS = 1024
# Draws made and counted by one call when drawing a block (256 KiB of int64 draws, and as
# many counts: they stay in cache, and are small enough for the allocator to reuse them).
_COUNT_BINS = 2**15


def _encode_groups(values, n, name):
    """Integer codes 0..g-1 (in sorted order of the distinct values) of a (n,) array."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"{name} must be a 1-d array of length n={n}. Got shape {arr.shape} instead."
        )
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or infinity.")
    if arr.dtype.kind == "O" and any(v is None for v in arr):
        raise ValueError(f"{name} must not contain None.")
    try:
        _, codes = np.unique(arr, return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            f"{name} must hold values of one comparable type. Got {exc} instead."
        ) from None
    return codes.reshape(-1).astype(np.int64)


def _readonly(a):
    a.flags.writeable = False
    return a


# --------------------------------------------------------------------------- #
# Resampling plan
# --------------------------------------------------------------------------- #
@dataclass(frozen=True, eq=False)
class ResamplingPlan:
    """Bootstrap resampling plan shared by every submission of a task split.

    The plan draws multiplicity weights: replicate ``b`` is a float64 vector of
    length ``n`` whose entry ``i`` is the number of times case ``i`` enters the
    replicate. The weights of replicate ``b`` depend only on ``(key, seed, n,
    strata, clusters)`` and ``b``: not on how the weights are chunked, not on
    how many submissions are evaluated, and not on ``replicates`` beyond the
    number of rows (the first ``B'`` replicates of a plan with ``B >= B'``
    replicates are those of the plan with ``B'`` replicates).

    Use :meth:`build` to construct a plan.

    Parameters
    ----------
    n : int
        Number of cases.
    replicates : int
        Number of bootstrap replicates ``B``.
    seed : int
        Non-negative seed.
    key : str
        Identifies what is resampled, conventionally
        ``"<task>|<split>|<labels sha256>"``. The random stream is seeded from
        ``(seed, sha256(key))``, so two tasks with the same seed do not share
        replicates.
    strata : ndarray of shape (n,), default=None
        Stratum of each case (e.g. the binary label). Cases are resampled
        within strata.
    clusters : ndarray of shape (n,), default=None
        Cluster of each case (e.g. the patient). Whole clusters are resampled.

    Attributes
    ----------
    n_units : int
        Number of resampling units: clusters if ``clusters`` is given, else cases.
    unit_of_case : ndarray of shape (n,)
        Unit index ``0..n_units-1`` of each case (clusters in sorted order of
        their identifiers).
    unit_stratum : ndarray of shape (n_units,)
        Stratum code of each unit (``0`` for all units of an unstratified plan).
    n_strata : int
        Number of strata (1 for an unstratified plan).
    strata, clusters : ndarray of shape (n,) or None
        Integer codes of the given strata and clusters (distinct values in
        sorted order), read-only.

    Notes
    -----
    Random stream. Replicates are generated in internal blocks of
    ``R = clip(2**18 // n_units, 1, 1024)`` consecutive replicates. Block
    ``k`` uses its own generator
    ``numpy.random.default_rng(SeedSequence((seed, int(sha256(key))),
    spawn_key=(k,)))`` where ``int(sha256(key))`` is the big-endian integer
    of the UTF-8 key's digest. For each stratum in increasing order, with
    ``m`` units, the block draws ``rng.integers(0, m, size=(rows, m))``: row
    ``r`` holds the ``m`` draws of replicate ``k * R + r``, mapping to the
    stratum's units in increasing unit order. A unit's multiplicity is the
    number of times it is drawn; a case's weight is its unit's multiplicity.
    The generation is vectorised per block (one ``integers`` call and one
    ``bincount`` per stratum), with no Python loop over replicates.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.stats.resampling import ResamplingPlan
    >>> y = np.array([0, 0, 0, 1, 1])
    >>> plan = ResamplingPlan.build(5, strata=y, replicates=4, seed=0, key="demo")
    >>> w = plan.weights()
    >>> w.shape
    (4, 5)
    >>> (w @ y).tolist()  # two positives in every replicate
    [2.0, 2.0, 2.0, 2.0]
    """

    n: int
    replicates: int
    seed: int
    key: str
    strata: np.ndarray | None = field(default=None, repr=False)
    clusters: np.ndarray | None = field(default=None, repr=False)
    n_units: int = field(init=False)
    n_strata: int = field(init=False)
    unit_of_case: np.ndarray = field(init=False, repr=False)
    unit_stratum: np.ndarray = field(init=False, repr=False)
    _case_position: np.ndarray | None = field(init=False, repr=False)
    _stratum_bounds: tuple = field(init=False, repr=False)
    _block_rows: int = field(init=False, repr=False)
    _entropy: tuple = field(init=False, repr=False)

    @classmethod
    def build(cls, n, strata=None, clusters=None, *, replicates=2000, seed=0, key=""):
        """Build a resampling plan.

        Parameters
        ----------
        n : int
            Number of cases.
        strata : array-like of shape (n,), default=None
            Stratum of each case, any sortable values (e.g. the 0/1 label).
        clusters : array-like of shape (n,), default=None
            Cluster identifier of each case (e.g. the patient id).
        replicates : int, default=2000
            Number of bootstrap replicates (pROC's default).
        seed : int, default=0
            Non-negative seed.
        key : str, default=""
            Identifies the resampled data, e.g. ``"<task>|<split>|<labels sha256>"``.

        Returns
        -------
        plan : ResamplingPlan
        """
        return cls(
            n=n, replicates=replicates, seed=seed, key=key, strata=strata, clusters=clusters
        )

    def __post_init__(self):
        n = check_int(self.n, "n", 1)
        replicates = check_int(self.replicates, "replicates", 1)
        seed = check_int(self.seed, "seed", 0)
        if not isinstance(self.key, str):
            raise TypeError(f"key must be a str. Got {type(self.key).__name__} instead.")
        strata = None if self.strata is None else _encode_groups(self.strata, n, "strata")
        clusters = (
            None if self.clusters is None else _encode_groups(self.clusters, n, "clusters")
        )
        if clusters is None:
            unit_of_case = np.arange(n, dtype=np.int64)
            n_units = n
            unit_stratum = (
                np.zeros(n, dtype=np.int64) if strata is None else strata.copy()
            )
        else:
            unit_of_case = clusters
            n_units = int(clusters.max()) + 1
            unit_stratum = np.zeros(n_units, dtype=np.int64)
            if strata is not None:
                np.maximum.at(unit_stratum, clusters, strata)
        # Units sorted by stratum, in unit order within a stratum: draw j of the stratum
        # occupying positions lo..hi-1 picks the unit at position lo + j. A case reads its
        # unit's count at its position; ``None`` when positions are the cases themselves.
        order = np.argsort(unit_stratum, kind="stable")
        sizes = np.bincount(unit_stratum)
        sizes = sizes[sizes > 0]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        bounds = tuple((int(a), int(a + m)) for a, m in zip(starts, sizes))
        position = np.empty(n_units, dtype=np.intp)
        position[order] = np.arange(n_units, dtype=np.intp)
        case_position = position[unit_of_case]
        if np.array_equal(case_position, np.arange(n)):
            case_position = None
        digest = hashlib.sha256(self.key.encode("utf-8")).digest()
        set_ = object.__setattr__
        set_(self, "n", n)
        set_(self, "replicates", replicates)
        set_(self, "seed", seed)
        set_(self, "strata", None if strata is None else _readonly(strata))
        set_(self, "clusters", None if clusters is None else _readonly(clusters))
        set_(self, "n_units", n_units)
        set_(self, "n_strata", len(bounds))
        set_(self, "unit_of_case", _readonly(unit_of_case))
        set_(self, "unit_stratum", _readonly(unit_stratum))
        set_(self, "_stratum_bounds", bounds)
        set_(self, "_case_position", None if case_position is None else _readonly(case_position))
        set_(self, "_block_rows", max(1, min(_MAX_BLOCK_ROWS, _BLOCK_DRAWS // n_units)))
        set_(self, "_entropy", (seed, int.from_bytes(digest, "big")))

    # ------------------------------------------------------------------ #
    @property
    def scheme(self):
        """Name of the resampling scheme: ``"simple"``, ``"stratified"``,
        ``"clustered"`` or ``"clustered-stratified"``."""
        if self.clusters is None:
            return "simple" if self.strata is None else "stratified"
        return "clustered" if self.strata is None else "clustered-stratified"

    # ------------------------------------------------------------------ #
    @property
    def block_rows(self):
        """Replicates per internal block of the random stream (see Notes)."""
        return self._block_rows

    @property
    def position_of_case(self):
        """Column of each case in the blocks of ``count_chunks(by_position=True)``.

        Resampling units sorted by stratum (unit order within a stratum); case ``i`` reads
        the count of its unit at column ``position_of_case[i]``. Read-only, shape (n,).
        """
        if self._case_position is None:
            return _readonly(np.arange(self.n, dtype=np.intp))
        return self._case_position

    def _block(self, index, out, by_position=False):
        """Write the counts of internal block ``index`` into ``out``: shape (rows, n) in case
        order, or with ``by_position`` (rows, n_units) in unit position order."""
        rows = out.shape[0]
        seq = np.random.SeedSequence(entropy=self._entropy, spawn_key=(index,))
        rng = np.random.default_rng(seq)
        limit = np.iinfo(out.dtype).max if out.dtype.kind == "u" else None
        # Counts by unit position (units sorted by stratum), each stratum counted on its own
        # positions by one bincount, then one gather to the cases: the same counts as a
        # bincount of every draw mapped to its unit, several times faster at large n.
        gather = self._case_position is not None and not by_position
        by_position = np.empty((rows, self.n_units), dtype=out.dtype) if gather else out
        for lo, hi in self._stratum_bounds:
            m = hi - lo
            # Drawn and counted a few rows at a time, so that the draws and the bins being
            # incremented stay in cache and no large temporary is allocated (at n = 1,500,
            # twice as fast as drawing and counting a whole block at once). Consecutive calls
            # continue the generator's stream: the same draws, in the same order, as the one
            # call ``rng.integers(0, m, size=(rows, m))`` of the documented stream (tested).
            step = max(1, _COUNT_BINS // max(m, 1))
            offsets = (np.arange(min(step, rows), dtype=np.int64) * m)[:, None]
            for r0 in range(0, rows, step):
                r1 = min(rows, r0 + step)
                picks = rng.integers(0, m, size=(r1 - r0, m))
                if r1 - r0 > 1:
                    picks += offsets[: r1 - r0]
                part = np.bincount(picks.reshape(-1), minlength=(r1 - r0) * m)
                if limit is not None and part.size and part.max() > limit:
                    raise OverflowError("a multiplicity does not fit in the count dtype")
                by_position[r0:r1, lo:hi] = part.reshape(r1 - r0, m)
        if gather:
            np.take(by_position, self._case_position, axis=1, out=out, mode="clip")

    def _fill(self, start, out, cache, by_position=False):
        """Write the weights of replicates ``start .. start + len(out)`` into ``out``.

        ``cache`` holds the last internal block that was only partly used, so
        that consecutive calls generate every block once.
        """
        size = self._block_rows
        stop = start + out.shape[0]
        pos = start
        while pos < stop:
            index = pos // size
            first = index * size
            rows = min(size, self.replicates - first)
            hi = min(stop, first + rows)
            target = out[pos - start : hi - start]
            if pos == first and hi == first + rows:
                self._block(index, target, by_position)  # whole block: generate in place
            else:
                if cache.get("index") != index:
                    block = np.empty((rows, out.shape[1]), dtype=out.dtype)
                    self._block(index, block, by_position)
                    cache["index"], cache["block"] = index, block
                target[...] = cache["block"][pos - first : hi - first]
            pos = hi

    def _chunk_rows(self, max_rows, max_bytes):
        rows = max(1, check_int(max_bytes, "max_bytes", 1) // (8 * self.n))
        if max_rows is not None:
            rows = min(rows, check_int(max_rows, "max_rows", 1))
        return rows

    def _iter_weights(self, rows, reuse):
        """Blocks of ``rows`` replicates; with ``reuse`` one buffer is overwritten."""
        cache = {}
        buffer = None
        for start in range(0, self.replicates, rows):
            b = min(rows, self.replicates - start)
            if reuse and buffer is not None and buffer.shape[0] >= b:
                buffer.flags.writeable = True
                out = buffer[:b]
            else:
                out = np.empty((b, self.n), dtype=np.float64)
                buffer = out if reuse else None
            self._fill(start, out, cache)
            if reuse:
                # Shared by several consumers in turn: none may modify it.
                out.flags.writeable = False
            yield out

    def chunks(self, max_rows=None, max_bytes=DEFAULT_MAX_BYTES):
        """Iterate over the weights in blocks of consecutive replicates.

        Parameters
        ----------
        max_rows : int, default=None
            Largest number of replicates per block.
        max_bytes : int, default=DEFAULT_MAX_BYTES
            Largest size of a block in bytes (at least one replicate is
            always yielded).

        Yields
        ------
        weights : ndarray of shape (b, n), dtype float64
            Multiplicity weights of the next ``b`` replicates, in replicate
            order, in a new array each time. The concatenation of all blocks
            is the same for every ``max_rows`` and ``max_bytes``.
        """
        rows = self._chunk_rows(max_rows, max_bytes)
        yield from self._iter_weights(rows, reuse=False)

    def chunk_rows(self, max_rows=None, max_bytes=DEFAULT_MAX_BYTES):
        """Replicates per block of :meth:`chunks` and :meth:`count_chunks`."""
        return self._chunk_rows(max_rows, max_bytes)

    def count_chunks(
        self, max_rows=None, max_bytes=DEFAULT_MAX_BYTES, start=0, stop=None, *, by_position=False
    ):
        """Iterate over the multiplicities as unsigned integers, in blocks.

        The same replicates as :meth:`chunks` (blocks of the same number of rows), as
        ``uint8`` arrays, or ``uint16`` when a unit is drawn more than 255 times in a
        replicate (possible only for strata of more than 255 units, and then very unlikely).
        Integer kernels read them without converting floats.

        ``start``, ``stop``: only replicates ``start .. stop`` (default: all), in blocks
        starting at ``start``; with ``start`` a multiple of :meth:`chunk_rows` they are the
        blocks of the whole range, so ranges can be evaluated apart (e.g. on several workers).

        ``by_position``: the counts of the resampling units, in the column order of
        :attr:`position_of_case` (units sorted by stratum), as drawn: shape (b, n_units).
        Case ``i``'s count is column ``position_of_case[i]``; skipping the gather to case
        order saves a pass over the block for kernels that gather their cases anyway.

        Yields
        ------
        counts : ndarray of shape (b, n), or (b, n_units) with ``by_position``; dtype uint8
            or uint16
        """
        rows = self._chunk_rows(max_rows, max_bytes)
        stop = self.replicates if stop is None else min(int(stop), self.replicates)
        width = self.n_units if by_position else self.n
        cache = {}
        for start in range(int(start), stop, rows):
            b = min(rows, stop - start)
            out = np.empty((b, width), dtype=np.uint8)
            try:
                self._fill(start, out, cache, by_position)
            except OverflowError:
                cache = {}
                out = np.empty((b, width), dtype=np.uint16)
                self._fill(start, out, cache, by_position)
                cache = {}
            yield out

    def weights(self):
        """All weights at once.

        Returns
        -------
        weights : ndarray of shape (replicates, n), dtype float64
        """
        return np.concatenate(list(self.chunks()), axis=0)

    def jackknife_chunks(self, max_rows=None, max_bytes=DEFAULT_MAX_BYTES):
        """Iterate over leave-one-unit-out 0/1 masks in blocks.

        Parameters
        ----------
        max_rows : int, default=None
            Largest number of masks per block.
        max_bytes : int, default=DEFAULT_MAX_BYTES
            Largest size of a block in bytes.

        Yields
        ------
        masks : ndarray of shape (j, n), dtype float64
            Row ``u`` is 0 on the cases of unit ``u`` (cluster, or case for an
            unclustered plan) and 1 elsewhere; units in index order.
        """
        rows = self._chunk_rows(max_rows, max_bytes)
        for start in range(0, self.n_units, rows):
            units = np.arange(start, min(self.n_units, start + rows), dtype=np.int64)
            yield (self.unit_of_case[None, :] != units[:, None]).astype(np.float64)

    def jackknife_weights(self):
        """Leave-one-unit-out 0/1 masks, used for the BCa acceleration.

        The jackknife leaves out one cluster at a time (one case at a time for
        an unclustered plan); strata are ignored, as in the usual BCa
        acceleration estimate.

        Returns
        -------
        masks : ndarray of shape (n_units, n), dtype float64
        """
        return np.concatenate(list(self.jackknife_chunks()), axis=0)


# --------------------------------------------------------------------------- #
# Evaluation over replicates
# --------------------------------------------------------------------------- #
def _check_evaluators(evaluators):
    if callable(evaluators) or isinstance(evaluators, (str, bytes)):
        raise TypeError(
            "evaluators must be a sequence of callables. "
            f"Got {type(evaluators).__name__} instead."
        )
    evaluators = list(evaluators)
    for i, f in enumerate(evaluators):
        if not callable(f):
            raise TypeError(
                f"evaluators[{i}] must be callable. Got {type(f).__name__} instead."
            )
    return evaluators


def _evaluate(evaluators, blocks, total):
    out = np.empty((len(evaluators), total), dtype=np.float64)
    start = 0
    for w in blocks:
        stop = start + w.shape[0]
        for e, f in enumerate(evaluators):
            values = np.asarray(f(w), dtype=np.float64)
            if values.shape != (w.shape[0],):
                raise ValueError(
                    f"evaluators[{e}] must return an array of shape ({w.shape[0]},) "
                    f"for weights of shape {w.shape}. Got shape {values.shape} instead."
                )
            out[e, start:stop] = values
        start = stop
    return out


def bootstrap_replicates(evaluators, plan, *, max_rows=None, max_bytes=DEFAULT_MAX_BYTES):
    """Evaluate statistics on every bootstrap replicate of a plan.

    The weights are generated once per block and shared by all evaluators,
    so every statistic sees the same replicates (paired). Evaluators receive
    a read-only array that is overwritten after they return: they must not
    keep a reference to it.

    Parameters
    ----------
    evaluators : sequence of callables
        Each maps weights of shape (b, n) to an array of shape (b,), typically
        ``lambda w: metric.batch(y_true, y_score, w)``.
    plan : ResamplingPlan
    max_rows, max_bytes : int
        Passed to :meth:`ResamplingPlan.chunks`.

    Returns
    -------
    replicates : ndarray of shape (n_evaluators, plan.replicates), dtype float64
        Value of each statistic on each replicate; ``nan`` where undefined.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.stats.resampling import ResamplingPlan, bootstrap_replicates
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> plan = ResamplingPlan.build(4, replicates=3, seed=1, key="mean")
    >>> reps = bootstrap_replicates([lambda w: w @ x / w.sum(axis=1)], plan)
    >>> reps.shape
    (1, 3)
    """
    evaluators = _check_evaluators(evaluators)
    if not isinstance(plan, ResamplingPlan):
        raise TypeError(f"plan must be a ResamplingPlan. Got {type(plan).__name__} instead.")
    # One buffer is reused for every block: the weights are consumed right away.
    blocks = plan._iter_weights(plan._chunk_rows(max_rows, max_bytes), reuse=True)
    return _evaluate(evaluators, blocks, plan.replicates)


def jackknife_values(evaluators, plan, *, max_rows=None, max_bytes=DEFAULT_MAX_BYTES):
    """Evaluate statistics on every leave-one-unit-out jackknife sample.

    Parameters
    ----------
    evaluators : sequence of callables
        As for :func:`bootstrap_replicates`.
    plan : ResamplingPlan
    max_rows, max_bytes : int
        Passed to :meth:`ResamplingPlan.jackknife_chunks`.

    Returns
    -------
    values : ndarray of shape (n_evaluators, plan.n_units), dtype float64
    """
    evaluators = _check_evaluators(evaluators)
    if not isinstance(plan, ResamplingPlan):
        raise TypeError(f"plan must be a ResamplingPlan. Got {type(plan).__name__} instead.")
    return _evaluate(evaluators, plan.jackknife_chunks(max_rows, max_bytes), plan.n_units)
