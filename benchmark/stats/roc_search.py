"""Operating-point searches on weighted ROC curves, for every weighting of a block at once.

The machinery behind :mod:`benchmark.stats.operating_points`: :class:`Rates` reads
sensitivity and specificity entry by entry (from exact integer counts, or from whole rate
matrices), :func:`prefix_length` runs one binary search per (target, weighting), and
:func:`pick` chooses the operating point of the module convention documented in
:mod:`benchmark.stats.operating_points`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RATE_TOL", "Rates", "index_dtype", "pick", "prefix_length", "read"]

#: Relative slack when comparing a weighted rate with a target rate.
RATE_TOL = 1e-12


def _not_ge(v, t):
    return ~(v >= t)


def prefix_length(get, k: int, test, thr: np.ndarray, dtype=np.intp) -> np.ndarray:
    """Length of the prefix of every column of a ``(K, b)`` array on which ``test`` holds.

    ``get(rows)`` gathers the entries ``a[rows, j]`` (``rows`` of shape ``(b,)`` or ``(G, b)``,
    search ``[..., j]`` in column ``j``); ``test(values, thr)`` maps them to booleans against
    each search's threshold ``thr`` and must hold on a prefix of every column (True ... True
    False ... False). A binary search run for every search at once, by powers of two from the
    largest: a prefix of ``pos`` entries grows by ``step`` when the test holds at entry
    ``pos + step - 1``; ``ceil(log2(K + 1))`` gathers of one entry per search instead of a
    comparison of every entry. Equals ``np.count_nonzero(test(a, thr), axis=0)`` whenever
    ``test`` is monotone along the columns (a constant test, as on a nan column, included).
    ``dtype``: of the positions (``int32`` halves the memory every step reads when the flat
    indices fit).
    """
    pos = np.zeros(thr.shape, dtype=dtype)
    if k <= 0:
        return pos
    step = 1 << (k.bit_length() - 1)
    while step:
        holds = test(get(np.minimum(pos + (step - 1), k - 1)), thr)
        holds &= pos + step <= k  # never past the end
        np.add(pos, step, out=pos, where=holds)
        step >>= 1
    return pos


def index_dtype(k: int, b: int):
    """``int32`` when every flat index of a ``(k, b)`` array fits in it, else ``intp``."""
    return np.int32 if k * b < 2**31 else np.intp


class Rates:
    """Sensitivity and specificity gathered entry by entry from the counts of
    :meth:`SortedROC.counts`: each entry is computed exactly as :meth:`SortedROC.rates`
    computes it (``tp / P`` and ``(N - fp) / N`` in float64), but only where a search
    looks, not over the whole ``(K + 1, b)`` curve. ``rows`` holds one row index per
    weighting (shape ``(b,)`` or ``(G, b)``, column ``j`` last)."""

    def __init__(self, tp: np.ndarray, fp: np.ndarray):
        self.k, self.b = tp.shape
        self._tp, self._fp = tp.reshape(-1), fp.reshape(-1)
        self._pos = tp[-1].astype(np.float64)
        self._neg = fp[-1].astype(np.float64)
        self.cols = np.arange(self.b, dtype=index_dtype(self.k, self.b))
        # Integer counts: the points within the rate slack of another are found by their
        # counts (see :meth:`run_start` and :meth:`run_end`).
        self.runs = tp.dtype.kind == "i"

    def run_start(self, rows):
        """First row of the run of equal true-positive counts holding ``rows`` (per column).

        With integer counts and fewer than 2**31 positive weight, a sensitivity differs from
        the one at ``rows`` by at least ``1 / P``, far beyond the rate slack, so this is the
        first point within the slack of the sensitivity at ``rows``: a search on the integer
        counts themselves (no division)."""
        at = self._tp.take(self._flat(rows))
        return prefix_length(self._get_tp, self.k, np.less, at, dtype=self.cols.dtype)

    def run_end(self, rows):
        """Last row of the run of equal false-positive counts holding ``rows``: the last point
        within the slack of the specificity at ``rows`` (see :meth:`run_start`)."""
        at = self._fp.take(self._flat(rows))
        return prefix_length(self._get_fp, self.k, np.less_equal, at, dtype=self.cols.dtype) - 1

    def _get_tp(self, rows):
        return self._tp.take(self._flat(rows))

    def _get_fp(self, rows):
        return self._fp.take(self._flat(rows))

    def _flat(self, rows):
        return rows * self.b + self.cols

    def sens(self, rows):
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._tp.take(self._flat(rows)) / self._pos

    def spec(self, rows):
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self._neg - self._fp.take(self._flat(rows))) / self._neg

    @classmethod
    def of_matrices(cls, sens: np.ndarray, spec: np.ndarray) -> "Rates":
        """Read from whole rate matrices (:meth:`SortedROC.rates`)."""
        self = cls.__new__(cls)
        self.k, self.b = sens.shape
        self.cols = np.arange(self.b, dtype=index_dtype(self.k, self.b))
        self.runs = False
        flat_sens, flat_spec = sens.reshape(-1), spec.reshape(-1)
        self.sens = lambda rows: flat_sens.take(self._flat(rows))
        self.spec = lambda rows: flat_spec.take(self._flat(rows))
        return self


def pick(rates: "Rates", target, matched: str) -> np.ndarray:
    """Index per weighting of the operating point chosen by the module's convention.

    ``rates`` reads sensitivity and specificity at ``(K + 1, b)`` points (:class:`Rates`);
    ``target`` is a scalar, one target per weighting ``(b,)``, or ``G`` targets per weighting
    ``(G, b)`` (then the result is ``(G, b)``). ``matched="specificity"``: among the points
    with specificity ``>= target`` (minus the rate slack) the one with maximal sensitivity,
    ties (within the slack) going to the larger specificity; ``matched="sensitivity"``: the
    roles swapped. Returns -1 for an undefined weighting (no positive or negative weight, nan
    target, or no admissible point).

    Along a column sensitivity never decreases and specificity never increases (cumulative sums
    of non-negative weights, divided by a positive total: every rounding step is monotone), so
    the admissible points form a prefix (matched on specificity) or a suffix (matched on
    sensitivity), and every step is a search for the end of a prefix (:func:`prefix_length`).
    With integer counts the points within the slack of the chosen one are the runs of equal
    counts around it (:meth:`Rates.run_start`, :meth:`Rates.run_end`).
    """
    k, b = rates.k, rates.b
    sens, spec = rates.sens, rates.spec  # entries at one row index per search
    dtype = rates.cols.dtype
    target = np.asarray(target, dtype=np.float64)
    shape = target.shape[:-1] + (b,) if target.ndim == 2 else (b,)
    target = np.broadcast_to(target.reshape(target.shape if target.ndim == 2 else (-1,)), shape)
    bound = target - RATE_TOL * np.maximum(1.0, np.abs(target))
    if matched == "specificity":
        n_ok = prefix_length(spec, k, np.greater_equal, bound, dtype)  # admissible prefix
        last = np.maximum(n_ok - 1, 0)
        best = sens(last)  # largest sensitivity in it
        # first point within the slack of the best: of the tied ones, the largest specificity
        if rates.runs:
            idx = rates.run_start(last)
        else:
            idx = prefix_length(sens, k, np.less, best - RATE_TOL, dtype)
    else:
        first = prefix_length(sens, k, _not_ge, bound, dtype)  # admissible suffix
        n_ok = k - first
        at = np.minimum(first, k - 1)
        best = spec(at)  # largest specificity in it
        if rates.runs:
            idx = rates.run_start(rates.run_end(at))
        else:
            end = prefix_length(spec, k, np.greater_equal, best - RATE_TOL, dtype) - 1  # last within slack
            top = sens(np.maximum(end, 0))  # largest sensitivity among the tied ones
            idx = prefix_length(sens, k, np.less, top, dtype)  # its first occurrence
    undefined = (n_ok == 0) | ~np.isfinite(best) | np.isnan(target)
    return np.where(undefined, -1, idx)


def read(rates: "Rates", target, matched: str) -> np.ndarray:
    """The matched quantity per weighting (nan where undefined), see :func:`pick`."""
    idx = pick(rates, target, matched)
    get = rates.sens if matched == "specificity" else rates.spec
    out = get(np.maximum(idx, 0))
    return np.where(idx >= 0, out, np.nan)
