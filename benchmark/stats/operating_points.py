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
from .roc_search import Rates, pick, read
from .kernels import as_counts, cumsum_rows  # cumsum_rows: cumulative sums row by row (same bits as np.cumsum)

__all__ = [
    "CountedROC",
    "SortedROC",
    "WeightBlocks",
    "iter_transposed",
    "iter_weights",
    "operating_threshold",
    "read_at",
    "read_counts",
    "roc_operating_points",
    "sensitivity_at_specificity",
    "specificity_at_sensitivity",
    "transposed",
    "transposed_counts",
]

#: From this many weightings per block the running counts are summed row by row.
_ROW_LOOP_MIN_WIDTH = 256


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
        if WT.dtype.kind in "ui":  # multiplicities: exact running counts in a small integer
            dtype = _count_dtype(cols.size * int(np.iinfo(WT.dtype).max))
            out = np.empty((cols.size + 1, WT.shape[1]), dtype=dtype)
            out[0] = 0
            if WT.shape[1] >= _ROW_LOOP_MIN_WIDTH:
                # one contiguous row added at a time: several times faster than numpy's
                # accumulation along the first axis for wide blocks (same integers)
                for i, c in enumerate(cols):
                    np.add(out[i], WT[c], out=out[i + 1])
            elif cols.size:
                np.cumsum(WT[cols], axis=0, dtype=dtype, out=out[1:])
            return out[at]
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
            preferably C-contiguous (see :func:`transposed`). Unsigned integer
            multiplicities (:func:`transposed_counts`) are summed exactly in the smallest
            integer type that holds every total; other weights in float64.

        Returns
        -------
        tp, fp : ndarray of shape (K + 1, b)
            Integers for integer weights, else float64. Every total is an exact integer
            either way when the weights are integers, so the rates read from them are the
            same to the bit.
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
        tp = tp.astype(np.float64, copy=False)
        fp = fp.astype(np.float64, copy=False)
        pos = tp[-1].copy()
        neg = fp[-1].copy()
        # A weighting without positive weight has tp = 0 everywhere, and 0 / 0 is nan: the
        # divisions give the nan columns without a separate mask.
        with np.errstate(invalid="ignore", divide="ignore"):
            sens = np.divide(tp, pos, out=tp if tp.flags.writeable else None)
            spec = np.divide(np.subtract(neg, fp), neg)
        return sens, spec

    def points_at(self, targets, matched: str = "specificity") -> list[tuple[float, float, float]]:
        """:func:`operating_threshold` (unit weights) at several targets in one search.

        Parameters
        ----------
        targets : array-like of shape (G,)
            Target specificities (``matched="specificity"``) or sensitivities.
        matched : {"specificity", "sensitivity"}

        Returns
        -------
        points : list of ``(threshold, sensitivity, specificity)``, one per target
            The same values as :func:`operating_threshold` on these cases.

        Raises
        ------
        ValueError
            A target without an operating point (the cases lack a class).
        """
        n_columns = 1 + max(int(self._pos_cols.max(initial=-1)), int(self._neg_cols.max(initial=-1)))
        tp, fp = self.counts(np.ones((n_columns, 1), dtype=np.uint8))
        rates = Rates(tp, fp)
        targets = np.asarray(targets, dtype=np.float64).reshape(-1, 1)
        idx = pick(rates, targets, matched)
        if (idx < 0).any():
            raise ValueError("y must hold both classes to choose an operating point.")
        sens, spec = rates.sens(idx)[:, 0], rates.spec(idx)[:, 0]
        return [(float(self.thresholds[i]), float(a), float(b)) for i, a, b in zip(idx[:, 0], sens, spec)]


def _count_dtype(largest: int):
    """The smallest signed integer type holding every running count up to ``largest``."""
    for dtype in (np.int16, np.int32):
        if largest <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def transposed_counts(W: np.ndarray) -> np.ndarray:
    """``W.T`` as a C-contiguous array, as unsigned integers when every weight is a
    multiplicity (:func:`benchmark.stats.kernels.as_counts`), else as given.

    Counting integer multiplicities moves an eighth of the memory that float64 weights do;
    the operating points read from them are the same to the bit.
    """
    WT = transposed(W)
    counts = as_counts(WT)
    return WT if counts is None else np.ascontiguousarray(counts)


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


def read_at(sens: np.ndarray, spec: np.ndarray, target, matched: str) -> np.ndarray:
    """The matched quantity (sensitivity at specificity, or the reverse) per weighting;
    ``(G, b)`` for ``G`` targets per weighting (see :func:`benchmark.stats.roc_search.pick`). ``sens`` and ``spec``:
    ``(K + 1, b)`` from :meth:`SortedROC.rates`."""
    return read(Rates.of_matrices(sens, spec), target, matched)


def read_counts(tp: np.ndarray, fp: np.ndarray, target, matched: str) -> np.ndarray:
    """:func:`read_at` from the counts of :meth:`SortedROC.counts`, the same to the bit,
    computing a rate only where the search looks (a few per weighting and target instead of
    the whole curve). To read the same counts several times, see :class:`CountedROC`."""
    return CountedROC(tp, fp).read(target, matched)


class CountedROC:
    """The counts of :meth:`SortedROC.counts` read at several targets (:meth:`read`), each
    read the same to the bit as :func:`read_counts`."""

    def __init__(self, tp: np.ndarray, fp: np.ndarray):
        self._rates = Rates(tp, fp)

    def read(self, target, matched: str) -> np.ndarray:
        return read(self._rates, target, matched)


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
    return SortedROC(y, s).points_at([target], matched)[0]


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
    if isinstance(weights, WeightBlocks):
        yield from weights.blocks
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


class WeightBlocks:
    """Blocks of bootstrap weights read by many comparisons, each kept with its transposed
    counts (:func:`transposed_counts`), so that the transposition is done once, not once
    per submission and comparison.

    Parameters
    ----------
    weights : ndarray of shape (b, n), iterable of such arrays, or a plan
        Anything :func:`iter_weights` reads.

    Attributes
    ----------
    blocks : list of ndarray of shape (b_k, n)
    transposed : list of ndarray of shape (n, b_k)
    replicates : int
    """

    def __init__(self, weights):
        self.blocks = list(iter_weights(weights))
        self.transposed = [transposed_counts(w) for w in self.blocks]
        self.replicates = sum(w.shape[0] for w in self.blocks)

    def __iter__(self):
        return iter(self.blocks)

    def __len__(self) -> int:
        return len(self.blocks)


def iter_transposed(weights) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """``(block, transposed counts)`` for every block of ``weights`` (see
    :func:`iter_weights`); a :class:`WeightBlocks` gives its stored transposes."""
    if isinstance(weights, WeightBlocks):
        yield from zip(weights.blocks, weights.transposed)
        return
    for w in iter_weights(weights):
        yield w, transposed_counts(w)
