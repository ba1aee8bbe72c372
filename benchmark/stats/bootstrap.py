"""Resampling engine, confidence intervals and DeLong statistics.

One :class:`ResamplingPlan` per (task, split, labels, seed, replicates) draws
bootstrap *multiplicity weights*: row ``b`` of the ``(B, n)`` weight matrix says
how many times each case enters replicate ``b``. Every submission is evaluated
under the same rows, so differences between submissions are paired. Metrics
consume the weights through their ``batch(y_true, y_score, weights)`` function
(see ``docs/architecture.md``), which keeps the evaluation vectorised over
replicates.

Resampling schemes
------------------
* simple: the ``n`` cases are drawn with replacement;
* stratified: cases are drawn with replacement within each stratum, so every
  replicate keeps the number of cases of each stratum (pROC's stratified
  bootstrap, where cases and controls are resampled separately);
* clustered: clusters (e.g. patients) are drawn with replacement and every case
  of a drawn cluster enters with the multiplicity of its cluster;
* clustered and stratified: clusters are drawn within the stratum of the
  cluster, defined as the largest stratum value among its cases (with 0/1
  labels as strata, a cluster with at least one positive case is positive).

Intervals
---------
Percentile and BCa bootstrap intervals (Efron & Tibshirani 1993, *An
Introduction to the Bootstrap*, Chapman & Hall, doi:10.1201/9780429246593,
chapters 13 and 14) with an explicit policy for undefined replicates, and the
DeLong interval and paired test for the area under the ROC curve (DeLong,
DeLong & Clarke-Pearson 1988, Biometrics 44:837, doi:10.2307/2531595) computed
with the fast algorithm of Sun & Xu (2014, IEEE Signal Processing Letters
21:1389, doi:10.1109/LSP.2014.2337313). DeLong outputs follow pROC 1.18
(Robin et al. 2011, doi:10.1186/1471-2105-12-77; ``ci.auc``, ``var``,
``roc.test(paired=TRUE, method="delong")``), which the test-suite checks
against values recorded in ``tests/data/proc/golden.csv``.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_UNDEFINED",
    "DeLongAUC",
    "DeLongTest",
    "Interval",
    "PairedDifference",
    "ResamplingPlan",
    "bca_ci",
    "bootstrap_replicates",
    "confidence_interval",
    "delong_auc",
    "delong_ci",
    "delong_paired_test",
    "jackknife_values",
    "paired_difference",
    "percentile_ci",
]

#: Default upper bound, in bytes, of one block of weights handed to a consumer
#: (128 MiB: 160 replicates of 100,000 cases). Metric ``batch`` functions pay a
#: per-call cost independent of the number of rows (e.g. sorting the scores
#: for the AUC), so blocks much smaller than this slow large test sets down;
#: peak memory stays a few times this bound.
DEFAULT_MAX_BYTES = 128 * 2**20

#: Default largest fraction of undefined replicates an interval may drop.
DEFAULT_MAX_UNDEFINED = 0.10

# Weights are generated in internal blocks of replicates whose size depends only
# on the number of resampling units, never on how a consumer chunks them. Each
# block has its own random stream (SeedSequence spawn key = block index), so
# block ``k`` can be generated without generating blocks ``0..k-1``.
_BLOCK_DRAWS = 2**18
_MAX_BLOCK_ROWS = 1024
_SCHEME_VERSION = "multiplicity-weights/1"

# Replicates within this relative distance of the point estimate (bias
# correction) or of 0 (paired p-value) count as ties: the point and the
# replicates come from different code paths (``fn`` and ``batch``) whose
# rounding may differ in the last bits, and rounding must not decide the side.
_TIE_RTOL = 1e-12


def _special():
    """``scipy.special``, imported on first use (scipy is slow to import)."""
    from scipy import special

    return special


# --------------------------------------------------------------------------- #
# Validation helpers
# --------------------------------------------------------------------------- #
def _check_int(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer. Got {value!r} instead.")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}. Got {value} instead.")
    return value


def _check_level(level):
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, numbers.Real):
        raise TypeError(f"level must be a float in (0, 1). Got {level!r} instead.")
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1). Got {level!r} instead.")
    return level


def _check_policy(undefined, max_undefined):
    if undefined not in ("drop", "error"):
        raise ValueError(
            f"undefined must be 'drop' or 'error'. Got {undefined!r} instead."
        )
    if isinstance(max_undefined, (bool, np.bool_)) or not isinstance(
        max_undefined, numbers.Real
    ):
        raise TypeError(
            f"max_undefined must be a float in [0, 1]. Got {max_undefined!r} instead."
        )
    max_undefined = float(max_undefined)
    if not 0.0 <= max_undefined <= 1.0:
        raise ValueError(
            f"max_undefined must be in [0, 1]. Got {max_undefined!r} instead."
        )
    return max_undefined


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
    The generation is vectorised per block (one ``integers`` call per
    stratum and one ``bincount``), with no Python loop over replicates.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.stats.bootstrap import ResamplingPlan
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
    _members: tuple = field(init=False, repr=False)
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
        n = _check_int(self.n, "n", 1)
        replicates = _check_int(self.replicates, "replicates", 1)
        seed = _check_int(self.seed, "seed", 0)
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
        # Units of each stratum, in unit order: draw j of stratum s picks unit
        # members[s][j]. ``None`` stands for "all units, in order" (no mapping).
        order = np.argsort(unit_stratum, kind="stable")
        sizes = np.bincount(unit_stratum)
        sizes = sizes[sizes > 0]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        bounds = tuple((int(a), int(a + m)) for a, m in zip(starts, sizes))
        if len(bounds) == 1:
            members = (None,)
        else:
            members = tuple(_readonly(order[lo:hi].copy()) for lo, hi in bounds)
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
        set_(self, "_members", members)
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

    @property
    def fingerprint(self):
        """sha256 (hex) of everything that determines the weights."""
        h = hashlib.sha256()
        h.update(_SCHEME_VERSION.encode())
        h.update(repr((self.n, self.replicates, self.seed, self.key)).encode("utf-8"))
        for arr in (self.strata, self.clusters):
            h.update(b"-" if arr is None else np.ascontiguousarray(arr, "<i8").tobytes())
        return h.hexdigest()

    def describe(self):
        """Dictionary describing the plan, for recording in results.

        Returns
        -------
        info : dict
            ``scheme``, ``replicates``, ``seed``, ``key``, ``n``, ``n_units``,
            ``n_strata`` and ``fingerprint``.
        """
        return {
            "scheme": self.scheme,
            "replicates": self.replicates,
            "seed": self.seed,
            "key": self.key,
            "n": self.n,
            "n_units": self.n_units,
            "n_strata": self.n_strata,
            "fingerprint": self.fingerprint,
        }

    # ------------------------------------------------------------------ #
    def _block(self, index, out):
        """Write the weights of internal block ``index`` into ``out`` (rows, n)."""
        rows = out.shape[0]
        seq = np.random.SeedSequence(entropy=self._entropy, spawn_key=(index,))
        rng = np.random.default_rng(seq)
        n_units = self.n_units
        row_offsets = (np.arange(rows, dtype=np.int64) * n_units)[:, None]
        if self._members[0] is None:
            draws = rng.integers(0, n_units, size=(rows, n_units))
            draws += row_offsets
        else:
            # Only the multiset of (row, unit) pairs matters to the counts, so
            # the draws of each stratum occupy a contiguous part of ``draws``.
            draws = np.empty(rows * n_units, dtype=np.int64)
            for (lo, hi), members in zip(self._stratum_bounds, self._members):
                part = draws[rows * lo : rows * hi].reshape(rows, hi - lo)
                picks = rng.integers(0, hi - lo, size=(rows, hi - lo))
                np.take(members, picks, out=part, mode="clip")  # picks are in range
                part += row_offsets
        counts = np.bincount(draws.reshape(-1), minlength=rows * n_units)
        counts = counts.reshape(rows, n_units)
        if self.clusters is not None:
            counts = counts[:, self.unit_of_case]
        if out.dtype.kind == "u" and counts.size and counts.max() > np.iinfo(out.dtype).max:
            raise OverflowError("a multiplicity does not fit in the count dtype")
        out[...] = counts

    def _fill(self, start, out, cache):
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
                self._block(index, target)  # whole block: generate in place
            else:
                if cache.get("index") != index:
                    block = np.empty((rows, self.n), dtype=out.dtype)
                    self._block(index, block)
                    cache["index"], cache["block"] = index, block
                target[...] = cache["block"][pos - first : hi - first]
            pos = hi

    def _chunk_rows(self, max_rows, max_bytes):
        rows = max(1, _check_int(max_bytes, "max_bytes", 1) // (8 * self.n))
        if max_rows is not None:
            rows = min(rows, _check_int(max_rows, "max_rows", 1))
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

    def count_chunks(self, max_rows=None, max_bytes=DEFAULT_MAX_BYTES, start=0, stop=None):
        """Iterate over the multiplicities as unsigned integers, in blocks.

        The same replicates as :meth:`chunks` (blocks of the same number of rows), as
        ``uint8`` arrays, or ``uint16`` when a unit is drawn more than 255 times in a
        replicate (possible only for strata of more than 255 units, and then very unlikely).
        Integer kernels read them without converting floats.

        ``start``, ``stop``: only replicates ``start .. stop`` (default: all), in blocks
        starting at ``start``; with ``start`` a multiple of :meth:`chunk_rows` they are the
        blocks of the whole range, so ranges can be evaluated apart (e.g. on several workers).

        Yields
        ------
        counts : ndarray of shape (b, n), dtype uint8 or uint16
        """
        rows = self._chunk_rows(max_rows, max_bytes)
        stop = self.replicates if stop is None else min(int(stop), self.replicates)
        cache = {}
        for start in range(int(start), stop, rows):
            b = min(rows, stop - start)
            out = np.empty((b, self.n), dtype=np.uint8)
            try:
                self._fill(start, out, cache)
            except OverflowError:
                cache = {}
                out = np.empty((b, self.n), dtype=np.uint16)
                self._fill(start, out, cache)
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
        rows = max(1, _check_int(max_bytes, "max_bytes", 1) // (8 * self.n))
        if max_rows is not None:
            rows = min(rows, _check_int(max_rows, "max_rows", 1))
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
    >>> from benchmark.stats.bootstrap import ResamplingPlan, bootstrap_replicates
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


# --------------------------------------------------------------------------- #
# Confidence intervals
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Interval:
    """A confidence interval, or the reason why none is reported.

    Attributes
    ----------
    method : str
        ``"percentile"``, ``"bca"`` or ``"delong"``.
    level : float
        Nominal coverage, e.g. 0.95.
    low, high : float or None
        Limits; ``None`` when the interval is unavailable.
    n_replicates : int
        Number of finite replicates used (0 for DeLong).
    n_undefined : int
        Number of undefined (non-finite) replicates.
    reason : str or None
        Why the interval is unavailable; ``None`` when it is available.
    """

    method: str
    level: float
    low: float | None
    high: float | None
    n_replicates: int
    n_undefined: int
    reason: str | None = None

    @property
    def available(self):
        """Whether limits are reported."""
        return self.reason is None

    def to_dict(self):
        """Plain-dict form (JSON-ready: floats, ints, str or None)."""
        return {
            "method": self.method,
            "level": self.level,
            "low": self.low,
            "high": self.high,
            "n_replicates": self.n_replicates,
            "n_undefined": self.n_undefined,
            "reason": self.reason,
        }


def _check_reps(reps, name="reps"):
    reps = np.asarray(reps, dtype=np.float64)
    if reps.ndim != 1 or reps.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-d array of replicates. "
            f"Got shape {reps.shape} instead."
        )
    return reps


def _screen(reps, method, level, undefined, max_undefined):
    """Finite replicates, or an unavailable Interval."""
    finite = np.isfinite(reps)
    n_undefined = int(reps.size - np.count_nonzero(finite))
    if n_undefined and undefined == "error":
        raise ValueError(
            f"{n_undefined} of {reps.size} replicates are undefined (not finite) "
            "and undefined='error'."
        )
    kept = reps[finite]
    reason = None
    if kept.size == 0:
        reason = f"all {reps.size} replicates are undefined"
    elif n_undefined > max_undefined * reps.size:
        reason = (
            f"{n_undefined} of {reps.size} replicates are undefined "
            f"({n_undefined / reps.size:.1%}), more than the allowed {max_undefined:.1%}"
        )
    if reason is not None:
        return None, Interval(method, level, None, None, int(kept.size), n_undefined, reason)
    return kept, n_undefined


def percentile_ci(
    reps, level=0.95, *, undefined="drop", max_undefined=DEFAULT_MAX_UNDEFINED
):
    """Percentile bootstrap interval.

    The limits are the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles
    of the finite replicates, with linear interpolation (R's quantile type 7,
    as pROC's ``ci.auc(method="bootstrap")``).

    Parameters
    ----------
    reps : array-like of shape (B,)
        Bootstrap replicates of the statistic; a non-finite value (``nan``)
        marks an undefined replicate.
    level : float, default=0.95
        Nominal coverage.
    undefined : {"drop", "error"}, default="drop"
        ``"drop"``: compute the interval from the finite replicates and report
        their count; ``"error"``: raise ``ValueError`` if any is undefined.
    max_undefined : float, default=0.10
        With ``"drop"``, largest fraction of undefined replicates; above it
        the interval is reported as unavailable with the reason.

    Returns
    -------
    interval : Interval

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.stats.bootstrap import percentile_ci
    >>> ci = percentile_ci(np.arange(101) / 100, level=0.9)
    >>> round(ci.low, 10), round(ci.high, 10)
    (0.05, 0.95)
    """
    level = _check_level(level)
    max_undefined = _check_policy(undefined, max_undefined)
    reps = _check_reps(reps)
    kept, info = _screen(reps, "percentile", level, undefined, max_undefined)
    if kept is None:
        return info
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(kept, [alpha, 1.0 - alpha])
    return Interval("percentile", level, float(low), float(high), int(kept.size), info)


def bca_ci(
    point,
    reps,
    jack,
    level=0.95,
    *,
    undefined="drop",
    max_undefined=DEFAULT_MAX_UNDEFINED,
):
    """Bias-corrected and accelerated (BCa) bootstrap interval.

    Bias correction ``z0 = Phi^-1(p)`` with ``p`` the proportion of finite
    replicates below the point estimate, replicates equal to it counting one
    half (the mid-rank convention of ``scipy.stats.bootstrap``); replicates
    within ``1e-12 * max(1, |point|)`` of the point count as equal to it, so
    that rounding differences between the computation of the point and of
    the replicates do not move them from one side to the other.
    Acceleration ``a = sum(d^3) / (6 sum(d^2)^(3/2))`` with
    ``d = mean(jack) - jack`` over the leave-one-unit-out jackknife values
    (Efron & Tibshirani 1993, eq. 14.15); ``a = 0`` when all jackknife values
    are equal. The limits are the ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))``
    quantiles of the replicates for ``z = Phi^-1((1 -/+ level) / 2)``.

    Parameters
    ----------
    point : float
        Statistic on the full data.
    reps : array-like of shape (B,)
        Bootstrap replicates; a non-finite value marks an undefined one.
    jack : array-like of shape (J,)
        Jackknife values (see :func:`jackknife_values`).
    level : float, default=0.95
    undefined : {"drop", "error"}, default="drop"
    max_undefined : float, default=0.10
        As for :func:`percentile_ci`.

    Returns
    -------
    interval : Interval
        Unavailable (with the reason) when the point estimate or a jackknife
        value is undefined, or when all replicates lie on one side of the
        point estimate (infinite bias correction).

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.stats.bootstrap import bca_ci
    >>> reps = np.linspace(-1, 1, 201)
    >>> ci = bca_ci(0.0, reps, np.array([-1.0, 0.0, 1.0]), level=0.9)
    >>> round(ci.low, 10), round(ci.high, 10)
    (-0.9, 0.9)
    """
    level = _check_level(level)
    max_undefined = _check_policy(undefined, max_undefined)
    reps = _check_reps(reps)
    jack = _check_reps(jack, "jack")
    kept, info = _screen(reps, "bca", level, undefined, max_undefined)
    if kept is None:
        return info
    n_undefined = info

    def unavailable(reason):
        return Interval("bca", level, None, None, int(kept.size), n_undefined, reason)

    point = float(point)
    if not math.isfinite(point):
        return unavailable("the point estimate is undefined")
    bad = int(np.count_nonzero(~np.isfinite(jack)))
    if bad:
        return unavailable(
            f"{bad} of {jack.size} jackknife values are undefined; "
            "the acceleration cannot be estimated"
        )
    tol = _TIE_RTOL * max(1.0, abs(point))
    tied = np.abs(kept - point) <= tol
    below = np.count_nonzero((kept < point) & ~tied) + 0.5 * np.count_nonzero(tied)
    prop = below / kept.size
    if prop <= 0.0 or prop >= 1.0:
        return unavailable(
            "all replicates lie on one side of the point estimate; "
            "the bias correction is infinite"
        )
    z0 = _special().ndtri(prop)
    d = jack.mean() - jack
    den = 6.0 * float(np.sum(d * d)) ** 1.5
    accel = float(np.sum(d**3)) / den if den > 0.0 else 0.0
    alpha = (1.0 - level) / 2.0
    z = _special().ndtri(np.array([alpha, 1.0 - alpha]))
    t = z0 + z
    denom = 1.0 - accel * t
    if np.any(denom <= 0.0):
        return unavailable(
            f"the acceleration ({accel:.3g}) is too large for level {level}; "
            "the adjusted quantiles are not monotone"
        )
    probs = _special().ndtr(z0 + t / denom)
    low, high = np.quantile(kept, probs)
    return Interval("bca", level, float(low), float(high), int(kept.size), n_undefined)


def confidence_interval(
    point,
    reps,
    level=0.95,
    method="percentile",
    *,
    jack=None,
    undefined="drop",
    max_undefined=DEFAULT_MAX_UNDEFINED,
):
    """Bootstrap interval by method name.

    Parameters
    ----------
    point : float
        Statistic on the full data (used by ``"bca"``).
    reps : array-like of shape (B,)
    level : float, default=0.95
    method : {"percentile", "bca"}, default="percentile"
    jack : array-like of shape (J,), default=None
        Jackknife values; required by ``"bca"``.
    undefined, max_undefined
        As for :func:`percentile_ci`.

    Returns
    -------
    interval : Interval
    """
    if method == "percentile":
        return percentile_ci(reps, level, undefined=undefined, max_undefined=max_undefined)
    if method == "bca":
        if jack is None:
            raise ValueError("method='bca' needs jackknife values. Got jack=None instead.")
        return bca_ci(point, reps, jack, level, undefined=undefined, max_undefined=max_undefined)
    raise ValueError(f"method must be 'percentile' or 'bca'. Got {method!r} instead.")


# --------------------------------------------------------------------------- #
# Paired bootstrap comparison
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class PairedDifference:
    """Paired bootstrap comparison of two statistics (``a - b``).

    Attributes
    ----------
    difference : float
        ``point_a - point_b``.
    interval : Interval
        Confidence interval of the difference.
    p_value : float or None
        Two-sided bootstrap p-value; ``None`` when the interval is unavailable
        because of undefined replicates.
    n_replicates : int
        Replicates where both statistics are defined.
    n_undefined : int
        Replicates where at least one is undefined.
    """

    difference: float
    interval: Interval
    p_value: float | None
    n_replicates: int
    n_undefined: int

    def to_dict(self):
        """Plain-dict form (JSON-ready)."""
        return {
            "difference": self.difference,
            "interval": self.interval.to_dict(),
            "p_value": self.p_value,
            "n_replicates": self.n_replicates,
            "n_undefined": self.n_undefined,
        }


def paired_difference(
    reps_a,
    reps_b,
    point_a,
    point_b,
    level=0.95,
    method="percentile",
    *,
    jack_a=None,
    jack_b=None,
    undefined="drop",
    max_undefined=DEFAULT_MAX_UNDEFINED,
):
    """Difference of two statistics evaluated on the same bootstrap replicates.

    The replicate differences ``d_b = reps_a[b] - reps_b[b]`` come from the
    same resamples (same :class:`ResamplingPlan`), so the comparison is
    paired. The two-sided p-value doubles the one-sided Monte Carlo p-value
    ``(1 + #{d_b on the far side of 0}) / (B + 1)`` (Davison & Hinkley 1997,
    *Bootstrap Methods and their Application*, eq. 4.11,
    doi:10.1017/CBO9780511802843)::

        p = min(1, 2 * (1 + min(#{d_b <= 0}, #{d_b >= 0})) / (B + 1))

    with ``B`` the number of replicates where both statistics are defined.
    It inverts the percentile interval: ``p <= 1 - level`` only if 0 lies
    outside (or on the edge of) the ``level`` percentile interval of ``d``.
    Replicates with ``d_b = 0`` (within ``1e-12`` relative to the larger
    point estimate) count on both sides, which is conservative,
    the ``+1`` keeps ``p > 0``, and identical statistics give ``p = 1``.

    Parameters
    ----------
    reps_a, reps_b : array-like of shape (B,)
        Replicates of the two statistics on the same plan.
    point_a, point_b : float
        Statistics on the full data.
    level : float, default=0.95
    method : {"percentile", "bca"}, default="percentile"
        Interval of the difference; ``"bca"`` needs ``jack_a`` and ``jack_b``.
    jack_a, jack_b : array-like of shape (J,), default=None
        Jackknife values of the two statistics (same plan).
    undefined, max_undefined
        As for :func:`percentile_ci`; a replicate is undefined when either
        statistic is.

    Returns
    -------
    result : PairedDifference

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.stats.bootstrap import paired_difference
    >>> a = np.array([0.8, 0.9, 0.85, 0.95])
    >>> r = paired_difference(a, a - 0.1, 0.9, 0.8)
    >>> round(r.difference, 10), round(r.p_value, 3)
    (0.1, 0.4)
    """
    level = _check_level(level)
    max_undefined = _check_policy(undefined, max_undefined)
    reps_a = _check_reps(reps_a, "reps_a")
    reps_b = _check_reps(reps_b, "reps_b")
    if reps_a.shape != reps_b.shape:
        raise ValueError(
            "reps_a and reps_b must have the same shape (same plan). "
            f"Got {reps_a.shape} and {reps_b.shape} instead."
        )
    d = reps_a - reps_b
    d[~(np.isfinite(reps_a) & np.isfinite(reps_b))] = np.nan
    difference = float(point_a) - float(point_b)
    if method == "bca":
        if jack_a is None or jack_b is None:
            raise ValueError(
                "method='bca' needs jack_a and jack_b. Got None instead."
            )
        jack_a = _check_reps(jack_a, "jack_a")
        jack_b = _check_reps(jack_b, "jack_b")
        if jack_a.shape != jack_b.shape:
            raise ValueError(
                "jack_a and jack_b must have the same shape. "
                f"Got {jack_a.shape} and {jack_b.shape} instead."
            )
        interval = bca_ci(
            difference, d, jack_a - jack_b, level,
            undefined=undefined, max_undefined=max_undefined,
        )
    elif method == "percentile":
        interval = percentile_ci(d, level, undefined=undefined, max_undefined=max_undefined)
    else:
        raise ValueError(f"method must be 'percentile' or 'bca'. Got {method!r} instead.")
    kept = d[np.isfinite(d)]
    n_undefined = int(d.size - kept.size)
    too_many = kept.size == 0 or n_undefined > max_undefined * d.size
    p_value = None
    if not too_many:
        tol = _TIE_RTOL * max(1.0, abs(float(point_a)), abs(float(point_b)))
        extreme = min(np.count_nonzero(kept <= tol), np.count_nonzero(kept >= -tol))
        p_value = float(min(1.0, 2.0 * (1.0 + extreme) / (kept.size + 1.0)))
    return PairedDifference(difference, interval, p_value, int(kept.size), n_undefined)


# --------------------------------------------------------------------------- #
# DeLong
# --------------------------------------------------------------------------- #
class DeLongAUC(NamedTuple):
    """AUC and its DeLong variance.

    For a 1-d score, ``auc`` and ``variance`` are floats; for scores of shape
    (n, k), ``auc`` has shape (k,) and ``variance`` is the (k, k) covariance
    matrix of the AUCs.
    """

    auc: float | np.ndarray
    variance: float | np.ndarray


class DeLongTest(NamedTuple):
    """DeLong test of two correlated AUCs (paired, two-sided).

    Fields are floats for 1-d scores and arrays of shape (k,) for scores of
    shape (n, k). ``ci_low``/``ci_high`` is the Normal interval of the
    difference, as pROC's ``roc.test`` ``conf.int``.
    """

    auc_a: float | np.ndarray
    auc_b: float | np.ndarray
    difference: float | np.ndarray
    se: float | np.ndarray
    z: float | np.ndarray
    p_value: float | np.ndarray
    ci_low: float | np.ndarray
    ci_high: float | np.ndarray


def _check_binary(y_true):
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-d. Got shape {y.shape} instead.")
    if y.dtype.kind == "b":
        return y
    if y.dtype.kind not in "iuf":
        raise ValueError(f"y_true must be numeric 0/1. Got dtype {y.dtype} instead.")
    values = np.unique(y)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(
            f"y_true must contain only 0 and 1. Got values {values[:10].tolist()} instead."
        )
    return y == 1


def _check_scores(y_score, n, name):
    s = np.asarray(y_score, dtype=np.float64)
    if s.ndim not in (1, 2) or s.shape[0] != n:
        raise ValueError(
            f"{name} must have shape (n,) or (n, k) with n={n}. Got shape {s.shape} instead."
        )
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{name} must not contain NaN or infinity.")
    return s


def _placements(pos, y_score):
    """DeLong structural components by Sun & Xu's midrank algorithm.

    Parameters
    ----------
    pos : ndarray of shape (n,), bool
    y_score : ndarray of shape (n, k)

    Returns
    -------
    auc : ndarray (k,)
    v10 : ndarray (m, k)   placement of each positive among the negatives
    v01 : ndarray (q, k)   placement of each negative among the positives
    """
    m = int(np.count_nonzero(pos))
    q = pos.size - m
    if m == 0 or q == 0:
        raise ValueError(
            "Only one class present in y_true. ROC AUC is not defined in that case."
        )
    from scipy import stats

    x, y = y_score[pos], y_score[~pos]
    tz = stats.rankdata(y_score, axis=0)
    tx = stats.rankdata(x, axis=0)
    ty = stats.rankdata(y, axis=0)
    v10 = (tz[pos] - tx) / q
    v01 = 1.0 - (tz[~pos] - ty) / m
    auc = (tz[pos].sum(axis=0) - m * (m + 1) / 2.0) / (m * q)
    return auc, v10, v01


def _delong_cov(v10, v01):
    m, q = v10.shape[0], v01.shape[0]
    k = v10.shape[1]
    if m < 2 or q < 2:
        return np.full((k, k), np.nan)
    s10 = np.atleast_2d(np.cov(v10, rowvar=False, ddof=1))
    s01 = np.atleast_2d(np.cov(v01, rowvar=False, ddof=1))
    return s10 / m + s01 / q


def delong_auc(y_true, y_score):
    """Area under the ROC curve and its DeLong variance.

    Uses the midrank algorithm of Sun & Xu (2014,
    doi:10.1109/LSP.2014.2337313), ``O(n log n)`` per score column. Ties
    count one half. The variance is ``S10 / m + S01 / q`` with sample
    (``ddof=1``) variances of the placement values over the ``m`` positives
    and ``q`` negatives, as pROC's ``var(roc, method="delong")``; it is
    ``nan`` when a class has fewer than two cases.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels (0/1 or bool); 1 is the positive class.
    y_score : array-like of shape (n,) or (n, k)
        Scores, higher meaning more likely positive; several columns are
        handled at once.

    Returns
    -------
    result : DeLongAUC
        ``(auc, variance)``: floats for 1-d scores; for (n, k) scores an AUC
        array of shape (k,) and the (k, k) covariance matrix.

    Raises
    ------
    ValueError
        If ``y_true`` holds a single class.

    Examples
    --------
    >>> from benchmark.stats.bootstrap import delong_auc
    >>> auc, var = delong_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> float(auc)
    0.75
    """
    pos = _check_binary(y_true)
    s = _check_scores(y_score, pos.size, "y_score")
    one = s.ndim == 1
    auc, v10, v01 = _placements(pos, s.reshape(pos.size, -1))
    cov = _delong_cov(v10, v01)
    if one:
        return DeLongAUC(float(auc[0]), float(cov[0, 0]))
    return DeLongAUC(auc, cov)


def _delong_interval(auc, var, level):
    if not math.isfinite(var):
        return Interval(
            "delong", level, None, None, 0, 0,
            "DeLong variance needs at least two positive and two negative cases",
        )
    z = _special().ndtri(0.5 + level / 2.0)
    half = z * math.sqrt(max(var, 0.0))
    low = min(1.0, max(0.0, auc - half))
    high = min(1.0, max(0.0, auc + half))
    return Interval("delong", level, float(low), float(high), 0, 0)


def delong_ci(y_true, y_score, level=0.95):
    """DeLong confidence interval of the AUC.

    ``auc -/+ z * sqrt(var)`` with the DeLong variance, clipped to [0, 1]
    as pROC's ``ci.auc(method="delong")`` (pROC 1.18 ``ci.auc.delong``).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels.
    y_score : array-like of shape (n,) or (n, k)
        Scores.
    level : float, default=0.95

    Returns
    -------
    interval : Interval or list of Interval
        One interval for a 1-d score, one per column for (n, k) scores.
        Unavailable when a class has fewer than two cases.

    Examples
    --------
    >>> from benchmark.stats.bootstrap import delong_ci
    >>> ci = delong_ci([0, 0, 0, 1, 1, 1], [0.1, 0.4, 0.2, 0.35, 0.8, 0.9])
    >>> ci.method, round(ci.low, 4), ci.high
    ('delong', 0.5809, 1.0)
    """
    level = _check_level(level)
    auc, var = delong_auc(y_true, y_score)
    if np.ndim(auc) == 0:
        return _delong_interval(float(auc), float(var), level)
    return [_delong_interval(float(a), float(v), level) for a, v in zip(auc, np.diag(var))]


def delong_paired_test(y_true, score_a, score_b, level=0.95):
    """DeLong test for two correlated AUCs on the same cases.

    ``z = (auc_a - auc_b) / se`` with ``se^2 = var_a + var_b - 2 cov_ab``
    from the DeLong covariance; two-sided ``p = 2 Phi(-|z|)``, as pROC's
    ``roc.test(paired=TRUE, method="delong")``. As in pROC, ``z = 0`` when
    both the difference and ``se`` are 0.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels.
    score_a, score_b : array-like of shape (n,) or (n, k)
        Scores of the two models; columns are compared pairwise, and a 1-d
        ``score_a`` is compared with every column of a 2-d ``score_b`` (and
        vice versa).
    level : float, default=0.95
        Level of the Normal interval of the difference.

    Returns
    -------
    result : DeLongTest
        ``(auc_a, auc_b, difference, se, z, p_value, ci_low, ci_high)``:
        floats when both scores are 1-d, else arrays of shape (k,).

    Examples
    --------
    >>> from benchmark.stats.bootstrap import delong_paired_test
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> t = delong_paired_test(y, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])
    >>> float(t.z), float(t.p_value)
    (0.0, 1.0)
    """
    level = _check_level(level)
    pos = _check_binary(y_true)
    a = _check_scores(score_a, pos.size, "score_a")
    b = _check_scores(score_b, pos.size, "score_b")
    one = a.ndim == 1 and b.ndim == 1
    a2, b2 = a.reshape(pos.size, -1), b.reshape(pos.size, -1)
    if a2.shape[1] != b2.shape[1]:
        if a2.shape[1] == 1:
            a2 = np.repeat(a2, b2.shape[1], axis=1)
        elif b2.shape[1] == 1:
            b2 = np.repeat(b2, a2.shape[1], axis=1)
        else:
            raise ValueError(
                "score_a and score_b must have the same number of columns. "
                f"Got {a2.shape[1]} and {b2.shape[1]} instead."
            )
    k = a2.shape[1]
    auc, v10, v01 = _placements(pos, np.concatenate([a2, b2], axis=1))
    m, q = v10.shape[0], v01.shape[0]
    diff = auc[:k] - auc[k:]
    if m < 2 or q < 2:
        se = np.full(k, np.nan)
    else:
        d10 = v10[:, :k] - v10[:, k:]
        d01 = v01[:, :k] - v01[:, k:]
        var = d10.var(axis=0, ddof=1) / m + d01.var(axis=0, ddof=1) / q
        se = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / se
    z = np.where((diff == 0.0) & (se == 0.0), 0.0, z)
    p = 2.0 * _special().ndtr(-np.abs(z))
    crit = _special().ndtri(0.5 + level / 2.0)
    low, high = diff - crit * se, diff + crit * se
    fields = (auc[:k], auc[k:], diff, se, z, p, low, high)
    if one:
        return DeLongTest(*(float(f[0]) for f in fields))
    return DeLongTest(*fields)
