"""Weighted ROC operating points, read under many bootstrap weightings at once.

:class:`SortedROC` sorts a submission's scores once and reads its weighted ROC curve under
every block of bootstrap weights; :func:`sensitivity_at_specificity`,
:func:`specificity_at_sensitivity` and :func:`operating_threshold` pick operating points from
it. The comparisons built on them are :func:`benchmark.stats.baselines.
compare_to_operating_point` (a published reader operating point) and
:mod:`benchmark.stats.reader_studies` (case-level reads).

Operating-point convention (used throughout, also by :mod:`benchmark.stats.reader_studies`)
    The empirical ROC curve has one point per distinct score ``t`` (a case is called positive
    when ``score >= t``) plus the point ``(sensitivity 0, specificity 1)`` of the threshold
    ``+inf``. With case weights ``w`` the counts are weighted: sensitivity
    ``sum(w * y * [s >= t]) / sum(w * y)``, specificity
    ``sum(w * (1 - y) * [s < t]) / sum(w * (1 - y))``. *Sensitivity at specificity* ``q`` is
    the largest sensitivity among ROC points with specificity ``>= q``; *specificity at
    sensitivity* ``p`` is the largest specificity among points with sensitivity ``>= p``. No
    interpolation between ROC points is used, so the value is attained by an actual
    threshold. Comparisons allow a relative slack of ``1e-12`` for floating-point rounding of
    the weighted counts. A weighting with no positive (or no negative) weight gives ``nan``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

import numpy as np

from .checks import check_binary_pair, check_rate, check_weights
from .kernels import cumsum_rows  # cumulative sums row by row (same bits as np.cumsum)

__all__ = [
    "SortedROC",
    "iter_weights",
    "operating_threshold",
    "read_at",
    "roc_operating_points",
    "sensitivity_at_specificity",
    "specificity_at_sensitivity",
    "transposed",
]

#: Relative slack when comparing a weighted rate with a target rate.
_RATE_TOL = 1e-12


class SortedROC:
    """Weighted empirical ROC of one set of cases, sorted once and read under many weightings.

    The cases are sorted by decreasing score once; every block of weightings then costs two
    cumulative sums along that order (of the positives' and of the negatives' weights, for all
    weightings of the block at once) and a gather at the last case of every group of tied
    scores. All arrays are laid out ``(K + 1, b)``: one row per ROC point (threshold ``+inf``
    first), one column per weighting, so that the cumulative sums and the operating-point
    searches run along the first axis for a whole block at a time.

    The counts are the sequential sums of :func:`roc_operating_points`' definition (adding a
    zero weight leaves a sum unchanged), so the rates are identical bit for bit to those of
    a direct per-weighting computation.

    Parameters
    ----------
    y : ndarray of shape (n,)
        0/1 labels (already checked by :func:`check_binary_pair`).
    s : ndarray of shape (n,)
        Finite scores.
    columns : ndarray of shape (n,) of int, default=None
        Column of each case in the weight matrices that will be passed to :meth:`rates`
        (``None``: case ``i`` is column ``i``). Lets a subset of the cases be read from the
        full weight matrix without copying it.

    Attributes
    ----------
    thresholds : ndarray of shape (K + 1,)
        ``+inf`` followed by the distinct scores in decreasing order.
    """

    def __init__(self, y: np.ndarray, s: np.ndarray, columns: Optional[np.ndarray] = None):
        order = np.argsort(-s, kind="mergesort")
        ss = s[order]
        positive = y[order] == 1.0
        last = np.r_[ss[1:] != ss[:-1], True]  # last case of each group of tied scores
        self.thresholds = np.r_[np.inf, ss[last]]
        cols = order if columns is None else np.asarray(columns)[order]
        self._pos_cols = cols[positive]
        self._neg_cols = cols[~positive]
        # number of positive (negative) cases scored at or above each threshold
        self._pos_at = np.r_[0, np.cumsum(positive)[last]]
        self._neg_at = np.r_[0, np.cumsum(~positive)[last]]

    @staticmethod
    def _cumulative(WT: np.ndarray, cols: np.ndarray, at: np.ndarray) -> np.ndarray:
        out = np.empty((cols.size + 1, WT.shape[1]))
        out[0] = 0.0
        if cols.size:
            cumsum_rows(WT[cols], out[1:])
        return out[at]

    def counts(self, WT: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted true and false positives at every threshold.

        Parameters
        ----------
        WT : ndarray of shape (n_columns, b)
            Transposed weights (one row per case column, one column per weighting),
            preferably C-contiguous (see :func:`transposed`).

        Returns
        -------
        tp, fp : ndarray of shape (K + 1, b)
        """
        return (
            self._cumulative(WT, self._pos_cols, self._pos_at),
            self._cumulative(WT, self._neg_cols, self._neg_at),
        )

    def rates(self, WT: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sensitivity and specificity at every threshold under every weighting.

        Parameters
        ----------
        WT : ndarray of shape (n_columns, b)
            Transposed weights.

        Returns
        -------
        sensitivity, specificity : ndarray of shape (K + 1, b)
            nan columns for a weighting without positive (resp. negative) weight.
        """
        tp, fp = self.counts(WT)
        pos = tp[-1].copy()
        neg = fp[-1].copy()
        # A weighting without positive weight has tp = 0 everywhere, and 0 / 0 is nan: the
        # divisions give the nan columns without a separate mask.
        with np.errstate(invalid="ignore", divide="ignore"):
            sens = np.divide(tp, pos, out=tp)
            spec = np.divide(np.subtract(neg, fp, out=fp), neg, out=fp)
        return sens, spec


def transposed(W: np.ndarray) -> np.ndarray:
    """``W.T`` as a C-contiguous array: weightings along the fast axis."""
    return np.ascontiguousarray(W.T)


def roc_operating_points(y, s, W=None):
    """Weighted empirical ROC points, vectorised over weightings.

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels.
    s : array-like of shape (n,)
        Scores; higher means more likely positive.
    W : array-like of shape (b, n), default=None
        Case weights (bootstrap multiplicities); ``None`` = one unit weight per case.

    Returns
    -------
    thresholds : ndarray of shape (K + 1,)
        ``+inf`` followed by the distinct scores in decreasing order (call positive when
        ``score >= threshold``).
    sensitivity : ndarray of shape (b, K + 1)
    specificity : ndarray of shape (b, K + 1)
        nan rows for a weighting without positive (resp. negative) weight. ``b = 1`` when
        ``W`` is None.

    Examples
    --------
    >>> t, se, sp = roc_operating_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> t.tolist(), se[0].tolist(), sp[0].tolist()
    ([inf, 0.8, 0.4, 0.35, 0.1], [0.0, 0.5, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0])
    """
    y, s = check_binary_pair(y, s)
    n = y.shape[0]
    W = np.ones((1, n)) if W is None else check_weights(W, n)
    roc = SortedROC(y, s)
    sens, spec = roc.rates(transposed(W))
    return roc.thresholds, sens.T, spec.T


def _prefix_length(a: np.ndarray, test, shape: tuple) -> np.ndarray:
    """Length of the prefix of every column of ``a`` on which ``test`` holds.

    ``a`` is ``(K, b)``; ``test(values)`` maps an array of entries gathered from ``a`` (one per
    search, ``shape`` = ``(b,)`` or ``(G, b)``, search ``[..., j]`` in column ``j``) to booleans
    and must hold on a prefix of every column (True ... True False ... False). A binary search
    run for every search at once: ``ceil(log2(K + 1))`` gathers of one entry per search
    instead of a comparison of every entry. Equals ``np.count_nonzero(test(a), axis=0)``
    whenever ``test`` is monotone along the columns (a constant test, as on a nan column,
    included).
    """
    k, b = a.shape
    cols = np.arange(b)
    lo = np.zeros(shape, dtype=np.intp)
    hi = np.full(shape, k, dtype=np.intp)
    flat = a.reshape(-1)
    for _ in range(k.bit_length()):
        active = lo < hi
        mid = (lo + hi) >> 1
        holds = test(flat[np.minimum(mid, k - 1) * b + cols])
        lo = np.where(active & holds, mid + 1, lo)
        hi = np.where(active & ~holds, mid, hi)
    return lo


def _pick(sens: np.ndarray, spec: np.ndarray, target, matched: str) -> np.ndarray:
    """Index per weighting of the operating point chosen by the module's convention.

    ``sens`` and ``spec`` are ``(K + 1, b)`` (:meth:`SortedROC.rates`); ``target`` is a scalar,
    one target per weighting ``(b,)``, or ``G`` targets per weighting ``(G, b)`` (then the result
    is ``(G, b)``). ``matched="specificity"``: among the points with specificity ``>= target``
    (minus the rate slack) the one with maximal sensitivity, ties (within the slack) going to
    the larger specificity; ``matched="sensitivity"``: the roles swapped. Returns -1 for an
    undefined weighting (no positive or negative weight, nan target, or no admissible point).

    Along a column sensitivity never decreases and specificity never increases (cumulative sums
    of non-negative weights, divided by a positive total: every rounding step is monotone), so
    the admissible points form a prefix (matched on specificity) or a suffix (matched on
    sensitivity), and every step is a search for the end of a prefix (:func:`_prefix_length`).
    """
    k, b = sens.shape
    target = np.asarray(target, dtype=np.float64)
    shape = target.shape[:-1] + (b,) if target.ndim == 2 else (b,)
    target = np.broadcast_to(target.reshape(target.shape if target.ndim == 2 else (-1,)), shape)
    bound = target - _RATE_TOL * np.maximum(1.0, np.abs(target))
    cols = np.arange(b)
    if matched == "specificity":
        n_ok = _prefix_length(spec, lambda v: v >= bound, shape)  # admissible prefix
        best = sens[np.maximum(n_ok - 1, 0), cols]  # largest sensitivity in it
        # first point within the slack of the best: of the tied ones, the largest specificity
        cut = best - _RATE_TOL
        idx = _prefix_length(sens, lambda v: v < cut, shape)
    else:
        first = _prefix_length(sens, lambda v: ~(v >= bound), shape)  # admissible suffix
        n_ok = k - first
        best = spec[np.minimum(first, k - 1), cols]  # largest specificity in it
        cut = best - _RATE_TOL
        end = _prefix_length(spec, lambda v: v >= cut, shape) - 1  # last point within slack
        top = sens[np.maximum(end, 0), cols]  # largest sensitivity among the tied ones
        idx = _prefix_length(sens, lambda v: v < top, shape)  # its first occurrence
    undefined = (n_ok == 0) | ~np.isfinite(best) | np.isnan(target)
    return np.where(undefined, -1, idx)


def read_at(sens: np.ndarray, spec: np.ndarray, target, matched: str) -> np.ndarray:
    """The matched quantity (sensitivity at specificity, or the reverse) per weighting;
    ``(G, b)`` for ``G`` targets per weighting (see :func:`_pick`)."""
    idx = _pick(sens, spec, target, matched)
    values = sens if matched == "specificity" else spec
    out = values[np.maximum(idx, 0), np.arange(values.shape[1])]
    return np.where(idx >= 0, out, np.nan)


def _at(y, s, target, W, matched):
    y, s = check_binary_pair(y, s)
    n = y.shape[0]
    Wc = np.ones((1, n)) if W is None else check_weights(W, n)
    target = check_rate(target, "target") if np.ndim(target) == 0 else np.asarray(
        target, dtype=np.float64
    )
    if np.ndim(target) == 1 and target.shape[0] != Wc.shape[0]:
        raise ValueError(
            f"target must be a scalar or have one entry per weighting ({Wc.shape[0]}). "
            f"Got {target.shape[0]} instead."
        )
    sens, spec = SortedROC(y, s).rates(transposed(Wc))
    out = read_at(sens, spec, target, matched)
    return float(out[0]) if W is None else out


def sensitivity_at_specificity(y, s, spec, W=None):
    """Sensitivity of the ROC point with specificity ``>= spec`` and maximal sensitivity.

    See the operating-point convention in the module docstring (no interpolation).

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels.
    s : array-like of shape (n,)
        Scores.
    spec : float or array-like of shape (b,)
        Target specificity in [0, 1]; an array gives one target per weighting (nan = undefined).
    W : array-like of shape (b, n), default=None
        Bootstrap multiplicity weights.

    Returns
    -------
    sensitivity : float (``W`` is None) or ndarray of shape (b,)

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> s = [0.1, 0.2, 0.3, 0.6, 0.4, 0.5, 0.7, 0.9]
    >>> sensitivity_at_specificity(y, s, 1.0), sensitivity_at_specificity(y, s, 0.75)
    (0.5, 1.0)
    """
    return _at(y, s, spec, W, "specificity")


def specificity_at_sensitivity(y, s, sens, W=None):
    """Specificity of the ROC point with sensitivity ``>= sens`` and maximal specificity.

    Parameters
    ----------
    y : array-like of shape (n,)
    s : array-like of shape (n,)
    sens : float or array-like of shape (b,)
        Target sensitivity in [0, 1].
    W : array-like of shape (b, n), default=None

    Returns
    -------
    specificity : float (``W`` is None) or ndarray of shape (b,)

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> s = [0.1, 0.2, 0.3, 0.6, 0.4, 0.5, 0.7, 0.9]
    >>> specificity_at_sensitivity(y, s, 1.0)
    0.75
    """
    return _at(y, s, sens, W, "sensitivity")


def operating_threshold(y, s, target: float, matched: str = "specificity"):
    """Threshold (unit weights) of the operating point chosen by the module's convention.

    Parameters
    ----------
    y, s : array-like of shape (n,)
    target : float
        Target specificity (``matched="specificity"``) or sensitivity.
    matched : {"specificity", "sensitivity"}

    Returns
    -------
    threshold : float
        Call a case positive when ``score >= threshold`` (``inf``: call nothing positive).
    sensitivity, specificity : float
        Of that operating point.

    Examples
    --------
    >>> operating_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.5)
    (0.35, 1.0, 0.5)
    """
    if matched not in ("specificity", "sensitivity"):
        raise ValueError(
            f"matched must be 'specificity' or 'sensitivity'. Got {matched!r} instead."
        )
    check_rate(target, "target")
    y, s = check_binary_pair(y, s)
    roc = SortedROC(y, s)
    sens, spec = roc.rates(np.ones((y.shape[0], 1)))
    idx = int(_pick(sens, spec, target, matched)[0])
    if idx < 0:
        raise ValueError("y must hold both classes to choose an operating point.")
    return float(roc.thresholds[idx]), float(sens[idx, 0]), float(spec[idx, 0])


def iter_weights(weights) -> Iterable[np.ndarray]:
    """Blocks of bootstrap weights from an array, an iterable of arrays, or a plan.

    Parameters
    ----------
    weights : ndarray of shape (b, n), iterable of such arrays, or an object with a
        ``chunks()`` method (a :class:`~benchmark.stats.resampling.ResamplingPlan`)

    Yields
    ------
    block : ndarray of shape (b_k, n)
    """
    if weights is None:
        return
    if hasattr(weights, "chunks") and callable(weights.chunks):
        yield from weights.chunks()
        return
    if isinstance(weights, np.ndarray):
        if weights.ndim != 2:
            raise ValueError(
                f"weights must have shape (b, n). Got shape {weights.shape} instead."
            )
        yield weights
        return
    for block in weights:
        yield np.asarray(block, dtype=np.float64)
