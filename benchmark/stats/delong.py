"""DeLong's variance, interval and paired test for the area under the ROC curve.

DeLong, DeLong & Clarke-Pearson 1988, Biometrics 44:837, doi:10.2307/2531595,
computed with the fast midrank algorithm of Sun & Xu (2014, IEEE Signal
Processing Letters 21:1389, doi:10.1109/LSP.2014.2337313). Outputs follow pROC
1.18 (Robin et al. 2011, doi:10.1186/1471-2105-12-77; ``ci.auc``, ``var``,
``roc.test(paired=TRUE, method="delong")``), which the test-suite checks
against values recorded in ``tests/data/proc/golden.csv``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .checks import check_level
from .intervals import Interval

__all__ = [
    "DeLongAUC",
    "DeLongTest",
    "delong_auc",
    "delong_ci",
    "delong_paired_test",
]


def _scipy():
    """``(scipy.special, scipy.stats)``, imported on first use: scoring without DeLong needs
    neither."""
    from scipy import special, stats  # lazy: start-up time of scoring, see benchmarks/README.md

    return special, stats


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
    x, y = y_score[pos], y_score[~pos]
    rankdata = _scipy()[1].rankdata
    tz = rankdata(y_score, axis=0)
    tx = rankdata(x, axis=0)
    ty = rankdata(y, axis=0)
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
    >>> from benchmark.stats.delong import delong_auc
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
    z = _scipy()[0].ndtri(0.5 + level / 2.0)
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
    >>> from benchmark.stats.delong import delong_ci
    >>> ci = delong_ci([0, 0, 0, 1, 1, 1], [0.1, 0.4, 0.2, 0.35, 0.8, 0.9])
    >>> ci.method, round(ci.low, 4), ci.high
    ('delong', 0.5809, 1.0)
    """
    level = check_level(level)
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
    >>> from benchmark.stats.delong import delong_paired_test
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> t = delong_paired_test(y, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])
    >>> float(t.z), float(t.p_value)
    (0.0, 1.0)
    """
    level = check_level(level)
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
    special = _scipy()[0]
    p = 2.0 * special.ndtr(-np.abs(z))
    crit = special.ndtri(0.5 + level / 2.0)
    low, high = diff - crit * se, diff + crit * se
    fields = (auc[:k], auc[k:], diff, se, z, p, low, high)
    if one:
        return DeLongTest(*(float(f[0]) for f in fields))
    return DeLongTest(*fields)
