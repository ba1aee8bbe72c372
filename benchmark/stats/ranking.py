"""Ranks with uncertainty, pairwise comparisons, and comparisons with published readers.

Everything here works on plain arrays. Submissions are compared through their bootstrap
*replicate matrix* ``reps`` of shape ``(S, B)``: the primary metric of ``S`` submissions
evaluated on the same ``B`` resamples of the cases (one :class:`~benchmark.stats.bootstrap.
ResamplingPlan`), so every comparison is paired.

Ranking
-------
* :func:`rank_summary` -- point rank, bootstrap rank distribution, median rank, rank interval
  and probability of being best, as in the ranking-stability analysis and blob plots of
  challengeR (Wiesenfarth et al. 2021, Scientific Reports 11:2369,
  doi:10.1038/s41598-021-82017-6).
* :func:`arena_rank` -- the Chatbot Arena rule: 1 + the number of entries whose interval lies
  entirely better than this entry's (Chiang et al. 2024, arXiv:2403.04132).
* :func:`significance_map` -- all pairwise paired tests (studentised with the bootstrap standard
  error of each difference), Holm-adjusted (Holm 1979, Scandinavian Journal of Statistics
  6:65-70), as in challengeR's significance maps.
* :func:`leader_comparison` -- difference from the leader with a paired percentile interval.

Published operating points
--------------------------
A published reader operating point (:class:`~benchmark.data.tasks.BaselineDecl`) gives a
sensitivity and a specificity. :func:`sensitivity_at_specificity` and
:func:`specificity_at_sensitivity` read the submission's weighted ROC curve at the baseline's
specificity or sensitivity, vectorised over bootstrap weights, and
:func:`compare_to_operating_point` turns both into differences with intervals and a verdict.

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

Verdicts
--------
A difference ``submission - baseline`` (higher is better for sensitivity and specificity) is
``"better"`` when its interval lies strictly above 0, ``"worse"`` when strictly below 0 and
``"not distinguishable"`` when it contains 0 (an end exactly at 0 counts as containing it). When
too many replicates are undefined for an interval, the verdict is ``"not available"``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np
from scipy import special

from .bootstrap import DEFAULT_MAX_UNDEFINED, percentile_ci
from .kernels import cumsum_rows  # cumulative sums row by row (same bits as np.cumsum)


__all__ = [
    "BETTER",
    "NOT_DISTINGUISHABLE",
    "WORSE",
    "NOT_AVAILABLE",
    "RankSummary",
    "SignificanceMap",
    "LeaderDifference",
    "LeaderComparison",
    "MatchedComparison",
    "OperatingPointComparison",
    "rank_summary",
    "arena_rank",
    "bootstrap_p_values",
    "holm_adjust",
    "studentized_p_values",
    "significance_map",
    "SIGNIFICANCE_METHOD",
    "leader_comparison",
    "verdict",
    "SortedROC",
    "roc_operating_points",
    "sensitivity_at_specificity",
    "specificity_at_sensitivity",
    "operating_threshold",
    "compare_to_operating_point",
    "iter_weights",
]

BETTER = "better"
NOT_DISTINGUISHABLE = "not distinguishable"
WORSE = "worse"
NOT_AVAILABLE = "not available"

#: Relative slack when comparing a weighted rate with a target rate.
_RATE_TOL = 1e-12

#: Two-sided 95% standard normal quantile, used to turn a published 95% CI into a standard error.
_Z975 = 1.959963984540054


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------
def _check_level(level: float, name: str = "level") -> float:
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, numbers.Real):
        raise TypeError(f"{name} must be a float in (0, 1). Got {level!r} instead.")
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"{name} must be in (0, 1). Got {level!r} instead.")
    return level


def _check_reps_matrix(reps, n_sub: Optional[int] = None) -> np.ndarray:
    reps = np.asarray(reps, dtype=np.float64)
    if reps.ndim != 2 or reps.shape[0] == 0 or reps.shape[1] == 0:
        raise ValueError(
            "reps must be a non-empty 2-d array of shape (n_submissions, n_replicates). "
            f"Got shape {reps.shape} instead."
        )
    if n_sub is not None and reps.shape[0] != n_sub:
        raise ValueError(
            f"reps must have one row per submission ({n_sub}). Got {reps.shape[0]} rows instead."
        )
    if np.isinf(reps).any():
        raise ValueError("reps must hold finite values or nan (undefined). Got infinity instead.")
    return reps


def _check_points(points) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 1 or points.shape[0] == 0:
        raise ValueError(
            f"points must be a non-empty 1-d array. Got shape {points.shape} instead."
        )
    if np.isinf(points).any():
        raise ValueError("points must hold finite values or nan (undefined). Got infinity instead.")
    return points


def _check_names(names, n: int) -> list[str]:
    if names is None:
        return [str(i) for i in range(n)]
    names = [str(x) for x in names]
    if len(names) != n:
        raise ValueError(f"names must have {n} entries. Got {len(names)} instead.")
    if len(set(names)) != len(names):
        raise ValueError("names must be distinct.")
    return names


def _oriented(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Values with the sign flipped when lower is better, so that larger is always better."""
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(
            f"higher_is_better must be a bool. Got {type(higher_is_better).__name__} instead."
        )
    return values if higher_is_better else -values


def _float_or_none(x) -> Optional[float]:
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------------------------
# ranks
# --------------------------------------------------------------------------------------------
def _competition_ranks(values: np.ndarray) -> np.ndarray:
    """Competition ranks along axis 0 (``1 + #strictly better``); nan entries get rank 0.

    ``values`` has shape (S, ...) and is oriented so that larger is better. Entries that are
    nan are excluded: they neither receive a rank nor push anyone down.
    """
    s = values.shape[0]
    if s == 0:
        return np.zeros(values.shape, dtype=np.int64)
    # Sort the entries of every replicate once (best first, nan last), one replicate per
    # contiguous row; an entry's rank is 1 + the position of the first entry of its group of
    # equal values, i.e. 1 + the number of entries strictly better.
    v = np.ascontiguousarray(values.reshape(s, -1).T)  # (replicates, S)
    order = np.argsort(-v, axis=1, kind="stable")
    ordered = np.take_along_axis(v, order, axis=1)
    new_group = np.ones(v.shape, dtype=bool)
    new_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]  # nan != nan: every nan starts a group
    first = np.maximum.accumulate(np.where(new_group, np.arange(s), 0), axis=1)
    ranks = np.empty(v.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    ranks[np.isnan(v)] = 0
    return np.ascontiguousarray(ranks.T).reshape(values.shape)


@dataclass(frozen=True)
class RankSummary:
    """Rank statistics of one submission.

    Attributes
    ----------
    name : str
    point : float or None
        The metric on the full data (``None`` when undefined).
    point_rank : int or None
        Competition rank of ``point`` among the defined points (ties share the best rank).
    rank_counts : list of int, length S
        ``rank_counts[r - 1]`` = number of replicates in which the submission has rank ``r``.
    n_ranked : int
        Replicates in which the submission is defined (``sum(rank_counts)``).
    n_undefined : int
        Replicates in which the submission's metric is undefined (nan); they are left out of
        its rank distribution.
    median_rank : float or None
        Median of the rank distribution (mean of the two middle ranks for an even count).
    rank_interval : list of int, length 2, or None
        ``[(1 - level) / 2, (1 + level) / 2]`` quantiles of the rank distribution (inverse of the
        empirical CDF, so both ends are attained ranks).
    p_best : float
        Fraction of all ``B`` replicates in which the submission has rank 1 (an undefined
        replicate counts as not best).
    level : float
    """

    name: str
    point: Optional[float]
    point_rank: Optional[int]
    rank_counts: list[int]
    n_ranked: int
    n_undefined: int
    median_rank: Optional[float]
    rank_interval: Optional[list[int]]
    p_best: float
    level: float

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready)."""
        d = dict(self.__dict__)  # flat fields: copying the lists is all asdict would do
        d["rank_counts"] = list(self.rank_counts)
        d["rank_interval"] = None if self.rank_interval is None else list(self.rank_interval)
        return d


def _inverse_cdf_quantile(counts: np.ndarray, q: float) -> int:
    """Smallest rank r with ``P(rank <= r) >= q`` for a rank distribution given by counts."""
    total = counts.sum()
    cdf = np.cumsum(counts) / total
    return int(np.searchsorted(cdf, q - 1e-12, side="left")) + 1


def rank_summary(points, reps, higher_is_better: bool, level: float = 0.95, names=None):
    """Point ranks and bootstrap rank distributions of submissions.

    In every replicate the submissions defined in it are ranked by competition ranking
    (``1 + number of submissions strictly better``; ties share the best rank), following the
    bootstrap ranking-stability analysis of challengeR (Wiesenfarth et al. 2021,
    doi:10.1038/s41598-021-82017-6).

    Undefined values (nan) policy: a submission whose metric is undefined in a replicate is
    left out of that replicate's ranking (it does not push the others down), the replicate is
    counted in its ``n_undefined`` and left out of its rank distribution, and it counts as *not
    best* in ``p_best`` (whose denominator is always ``B``). A submission with an undefined
    point value gets ``point_rank=None``.

    Parameters
    ----------
    points : array-like of shape (S,)
        Metric of each submission on the full data.
    reps : array-like of shape (S, B)
        Metric of each submission on the same ``B`` bootstrap replicates; nan = undefined.
    higher_is_better : bool
        Direction of the metric.
    level : float, default=0.95
        Coverage of the rank interval.
    names : sequence of str of length S, default=None
        Submission names (``"0"``, ``"1"``, ... when omitted).

    Returns
    -------
    summaries : list of RankSummary, length S
        In the order of the input.

    Examples
    --------
    >>> import numpy as np
    >>> reps = np.array([[0.9, 0.8, 0.9, 0.9],
    ...                  [0.8, 0.9, 0.7, 0.8]])
    >>> out = rank_summary([0.9, 0.8], reps, higher_is_better=True, names=["a", "b"])
    >>> out[0].point_rank, out[0].rank_counts, out[0].p_best
    (1, [3, 1], 0.75)
    """
    level = _check_level(level)
    points = _check_points(points)
    reps = _check_reps_matrix(reps, points.shape[0])
    names = _check_names(names, points.shape[0])
    s, b = reps.shape
    point_ranks = _competition_ranks(_oriented(points, higher_is_better))
    ranks = _competition_ranks(_oriented(reps, higher_is_better))  # (S, B), 0 = undefined
    alpha = (1.0 - level) / 2.0
    out = []
    for i in range(s):
        counts = np.bincount(ranks[i], minlength=s + 1)
        n_undefined = int(counts[0])
        counts = counts[1:]
        n_ranked = int(counts.sum())
        if n_ranked:
            defined = ranks[i][ranks[i] > 0]
            median = float(np.median(defined))
            interval = [
                _inverse_cdf_quantile(counts, alpha),
                _inverse_cdf_quantile(counts, 1.0 - alpha),
            ]
        else:
            median, interval = None, None
        out.append(
            RankSummary(
                name=names[i],
                point=_float_or_none(points[i]),
                point_rank=int(point_ranks[i]) if point_ranks[i] > 0 else None,
                rank_counts=[int(c) for c in counts],
                n_ranked=n_ranked,
                n_undefined=n_undefined,
                median_rank=median,
                rank_interval=interval,
                p_best=float(counts[0]) / b,
                level=level,
            )
        )
    return out


def arena_rank(intervals, higher_is_better: bool) -> np.ndarray:
    """Rank by non-overlapping confidence intervals (the Chatbot Arena rule).

    ``rank_i = 1 + #{j : interval j lies entirely better than interval i}``; with higher is
    better that is ``low_j > high_i``, with lower is better ``high_j < low_i`` (Chiang et al.
    2024, arXiv:2403.04132). Touching intervals overlap. Several entries can share a rank and
    ranks need not be consecutive.

    Parameters
    ----------
    intervals : array-like of shape (S, 2)
        ``[low, high]`` of each entry.
    higher_is_better : bool

    Returns
    -------
    ranks : ndarray of shape (S,), dtype int64

    Examples
    --------
    >>> arena_rank([[0.90, 0.95], [0.85, 0.92], [0.70, 0.80]], higher_is_better=True).tolist()
    [1, 1, 3]
    """
    iv = np.asarray(intervals, dtype=np.float64)
    if iv.ndim != 2 or iv.shape[1] != 2 or iv.shape[0] == 0:
        raise ValueError(
            f"intervals must have shape (n_entries, 2). Got shape {iv.shape} instead."
        )
    if not np.isfinite(iv).all():
        raise ValueError("intervals must be finite. Got nan or infinity instead.")
    if (iv[:, 0] > iv[:, 1]).any():
        i = int(np.flatnonzero(iv[:, 0] > iv[:, 1])[0])
        raise ValueError(
            f"intervals must satisfy low <= high. Got [{iv[i, 0]}, {iv[i, 1]}] at row {i} instead."
        )
    low, high = iv[:, 0], iv[:, 1]
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(
            f"higher_is_better must be a bool. Got {type(higher_is_better).__name__} instead."
        )
    if higher_is_better:
        better = low[None, :] > high[:, None]  # better[i, j]: j entirely above i
    else:
        better = high[None, :] < low[:, None]
    return 1 + better.sum(axis=1).astype(np.int64)


# --------------------------------------------------------------------------------------------
# pairwise tests
# --------------------------------------------------------------------------------------------
def bootstrap_p_values(d) -> np.ndarray:
    """Two-sided paired bootstrap p-values from replicate differences.

    For each row of ``d`` (the differences ``a - b`` on the same replicates, nan = undefined)
    the one-sided Monte Carlo p-value ``(1 + #{d <= 0 or d >= 0}) / (B + 1)`` (Davison & Hinkley
    1997, eq. 4.11, doi:10.1017/CBO9780511802843) is doubled::

        p = min(1, 2 * (1 + min(#{d_b <= 0}, #{d_b >= 0})) / (B' + 1))

    with ``B'`` the number of defined replicates; the same formula as
    :func:`benchmark.stats.bootstrap.paired_difference`. Zero differences count on both sides.

    Parameters
    ----------
    d : array-like of shape (m, B) or (B,)

    Returns
    -------
    p : ndarray of shape (m,) or float
        nan where no replicate is defined.

    Examples
    --------
    >>> round(float(bootstrap_p_values([0.1, 0.2, -0.1, 0.3])), 6)
    0.8
    """
    d = np.asarray(d, dtype=np.float64)
    one = d.ndim == 1
    d2 = np.atleast_2d(d)
    defined = ~np.isnan(d2)
    n = defined.sum(axis=1)
    le = ((d2 <= 0) & defined).sum(axis=1)
    ge = ((d2 >= 0) & defined).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.minimum(1.0, 2.0 * (1.0 + np.minimum(le, ge)) / (n + 1.0))
    p = np.where(n > 0, p, np.nan)
    return float(p[0]) if one else p


def holm_adjust(p) -> np.ndarray:
    """Holm step-down adjusted p-values (Holm 1979, Scand. J. Statist. 6:65-70).

    With the ``m`` defined p-values sorted increasingly, ``p_(1) <= ... <= p_(m)``, the adjusted
    value is ``max_{l <= k} min(1, (m - l + 1) p_(l))``. Rejecting when the adjusted value is
    below ``alpha`` is Holm's procedure, which controls the family-wise error rate. nan entries
    (tests not performed) stay nan and do not count in ``m``.

    Parameters
    ----------
    p : array-like of shape (m,)

    Returns
    -------
    adjusted : ndarray of shape (m,)

    Examples
    --------
    >>> holm_adjust([0.01, 0.04, 0.03]).round(6).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p must be a 1-d array. Got shape {p.shape} instead.")
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise ValueError("p must hold probabilities in [0, 1]. Got values outside instead.")
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(ok)
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="mergesort")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


def studentized_p_values(d, points_diff, max_undefined: float = DEFAULT_MAX_UNDEFINED):
    """Two-sided studentised p-values of paired differences, from bootstrap standard errors.

    For each row, ``z = points_diff / se`` with ``se`` the standard deviation (``ddof=1``) of the
    defined replicate differences, and ``p = 2 (1 - Phi(|z|))``: the normal-theory test of a
    difference with a bootstrap estimate of its standard error (Efron & Tibshirani 1993, An
    Introduction to the Bootstrap, sections 6 and 16, doi:10.1007/978-1-4899-4541-9; the
    DeLong test of two AUCs is the same test with an analytic standard error). Unlike the
    Monte Carlo p-value of :func:`bootstrap_p_values`, it is not floored at ``2 / (B + 1)``,
    so Holm's adjustment over many pairs can still reach small levels; it relies on the
    difference being approximately normal, as AUC differences are.

    A row cannot be tested (``p`` nan, with a reason) when more than ``max_undefined`` of its
    replicates are undefined, fewer than two are defined, the point difference is not finite,
    or the bootstrap standard error is 0 (every replicate gives the same difference: the
    resamples carry no information about its variability at this ``B``).

    Parameters
    ----------
    d : array-like of shape (m, B)
        Replicate differences; nan = undefined.
    points_diff : array-like of shape (m,)
        The differences on the full data.
    max_undefined : float, default=0.10

    Returns
    -------
    p : ndarray of shape (m,)
    se : ndarray of shape (m,)
    reasons : list of str or None, length m

    Examples
    --------
    >>> p, se, why = studentized_p_values([[0.1, 0.3, 0.2, 0.2]], [0.2])
    >>> round(float(se[0]), 6), round(float(p[0]), 6), why
    (0.08165, 0.014306, [None])
    """
    d = np.atleast_2d(np.asarray(d, dtype=np.float64))
    diff = np.asarray(points_diff, dtype=np.float64).reshape(-1)
    if diff.shape[0] != d.shape[0]:
        raise ValueError(
            f"points_diff must have one entry per row of d ({d.shape[0]}). "
            f"Got {diff.shape[0]} instead."
        )
    defined = ~np.isnan(d)
    n = defined.sum(axis=1)
    total = d.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(d, axis=1) / np.maximum(n, 1), np.nan)
        sq = np.nansum((d - mean[:, None]) ** 2, axis=1)
        se = np.where(n > 1, np.sqrt(sq / np.maximum(n - 1, 1)), np.nan)
        z = np.abs(diff) / se
    p = 2.0 * special.ndtr(-z)
    # all replicate differences equal up to rounding: the standard error is 0, not the
    # rounding noise of the mean subtraction
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan rows
        spread = np.nanmax(d, axis=1) - np.nanmin(d, axis=1)
        scale = np.maximum(1.0, np.nanmax(np.abs(d), axis=1))
    flat = spread <= _RATE_TOL * scale
    se = np.where(flat & (n > 1), 0.0, se)
    reasons: list[Optional[str]] = []
    for k in range(d.shape[0]):
        if total == 0 or n[k] < 2:
            why = "fewer than two defined replicates"
        elif (total - n[k]) > max_undefined * total:
            why = f"{total - n[k]} of {total} replicates undefined"
        elif not math.isfinite(diff[k]):
            why = "the point difference is undefined"
        elif not se[k] > 0:
            why = f"bootstrap standard error 0 at B = {total}"
        else:
            why = None
        reasons.append(why)
    bad = np.array([r is not None for r in reasons], dtype=bool)
    p = np.where(bad, np.nan, p)
    return p, se, reasons


@dataclass(frozen=True)
class SignificanceMap:
    """All pairwise paired tests between submissions, Holm-adjusted.

    Attributes
    ----------
    names : list of str, length S
        In the order of the input.
    order : list of int
        Submission indices by point rank (best first; ties in input order), the order in which
        a significance map is usually drawn.
    p_values : list of list of float or None, shape (S, S)
        Unadjusted two-sided studentised p-values (:func:`studentized_p_values`; symmetric;
        ``None`` on the diagonal and for pairs that cannot be tested).
    p_adjusted : list of list of float or None, shape (S, S)
        Holm-adjusted over all tested pairs.
    better : list of list of bool, shape (S, S)
        ``better[i][j]``: submission ``i`` is significantly better than ``j`` (adjusted p below
        ``alpha`` and the point difference on ``i``'s side).
    untested : list of list of str or None, shape (S, S)
        Why a pair could not be tested (``None`` when it was, and on the diagonal).
    alpha : float
    method : str
    n_replicates : int
    """

    names: list[str]
    order: list[int]
    p_values: list[list[Optional[float]]]
    p_adjusted: list[list[Optional[float]]]
    better: list[list[bool]]
    untested: list[list[Optional[str]]]
    alpha: float
    method: str
    n_replicates: int

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready)."""
        return asdict(self)


#: How the pairwise p-values of :func:`significance_map` are computed.
SIGNIFICANCE_METHOD = (
    "two-sided studentised test z = d / se, se the bootstrap standard error of the paired "
    "difference, Holm-adjusted"
)


def significance_map(reps, points, names, higher_is_better: bool, level: float = 0.05,
                     max_undefined: float = DEFAULT_MAX_UNDEFINED):
    """Pairwise paired tests between all submissions, Holm-adjusted.

    For every pair ``(i, j)`` the point difference ``d = points[i] - points[j]`` and the
    replicate differences ``reps[i, b] - reps[j, b]`` (on the replicates where both are
    defined) give a two-sided studentised p-value ``2 (1 - Phi(|d| / se))``, ``se`` the
    bootstrap standard error of the paired difference (:func:`studentized_p_values`). The
    tested pairs are adjusted together by Holm's method (:func:`holm_adjust`), as in the
    significance maps of challengeR (Wiesenfarth et al. 2021, doi:10.1038/s41598-021-82017-6).

    Why not the Monte Carlo p-value of :func:`bootstrap_p_values`: it cannot fall below
    ``2 / (B + 1)``, and Holm multiplies the smallest p-value by the number of pairs, so with
    ``S`` entries no pair can be significant at level ``alpha`` once
    ``S (S - 1) / 2 * 2 / (B + 1) >= alpha`` (about 10 entries at ``B = 2,000``, 22 at
    ``B = 10,000``). ``benchmarks/significance_separation.py`` records how many pairs each
    method separates.

    ``i`` is significantly better than ``j`` when the adjusted p-value is below ``level`` and
    the point difference favours ``i`` (taking ``higher_is_better`` into account). A pair that
    cannot be tested (zero bootstrap standard error, too many undefined replicates) is
    reported in ``untested`` and never counted as significant.

    Parameters
    ----------
    reps : array-like of shape (S, B)
        Replicates of the primary metric on a shared resampling plan; nan = undefined.
    points : array-like of shape (S,)
        Metric on the full data.
    names : sequence of str of length S, or None
    higher_is_better : bool
    level : float, default=0.05
        Significance level ``alpha`` of the family of tests.
    max_undefined : float, default=0.10
        Largest fraction of undefined replicates a tested pair may have.

    Returns
    -------
    result : SignificanceMap

    Examples
    --------
    >>> import numpy as np
    >>> base = np.linspace(0.70, 0.80, 200)
    >>> noise = 0.002 * np.sin(np.arange(200))
    >>> reps = np.vstack([base + 0.05, base + noise, base - noise])
    >>> m = significance_map(reps, [0.8, 0.75, 0.75], ["a", "b", "c"], True)
    >>> m.better[0], m.better[1][2]
    ([False, True, True], False)
    """
    alpha = _check_level(level, "level")
    points = _check_points(points)
    reps = _check_reps_matrix(reps, points.shape[0])
    names = _check_names(names, points.shape[0])
    s = reps.shape[0]
    oriented = _oriented(reps, higher_is_better)
    opoints = _oriented(points, higher_is_better)
    iu, ju = np.triu_indices(s, k=1)
    d = oriented[iu] - oriented[ju]  # (pairs, B); nan where either is undefined
    dpoint = opoints[iu] - opoints[ju]
    if iu.size:
        p, _se, reasons = studentized_p_values(d, dpoint, max_undefined)
        adj = holm_adjust(p)
    else:
        p, adj, reasons = np.empty(0), np.empty(0), []

    p_mat = np.full((s, s), np.nan)
    a_mat = np.full((s, s), np.nan)
    better = np.zeros((s, s), dtype=bool)
    untested: list[list[Optional[str]]] = [[None] * s for _ in range(s)]
    p_mat[iu, ju] = p_mat[ju, iu] = p
    a_mat[iu, ju] = a_mat[ju, iu] = adj
    sig = np.nan_to_num(adj, nan=1.0) < alpha
    better[iu, ju] = sig & (dpoint > 0)
    better[ju, iu] = sig & (dpoint < 0)
    for i, j, why in zip(iu, ju, reasons):
        untested[i][j] = untested[j][i] = why

    key = np.nan_to_num(opoints, nan=-np.inf)
    order = [int(i) for i in np.argsort(-key, kind="mergesort")]

    def _plain(mat):
        return [[_float_or_none(x) for x in row] for row in mat]

    return SignificanceMap(
        names=names,
        order=order,
        p_values=_plain(p_mat),
        p_adjusted=_plain(a_mat),
        better=[[bool(x) for x in row] for row in better],
        untested=untested,
        alpha=alpha,
        method=SIGNIFICANCE_METHOD,
        n_replicates=int(reps.shape[1]),
    )


# --------------------------------------------------------------------------------------------
# leader comparison
# --------------------------------------------------------------------------------------------
def verdict(low, high, higher_is_better: bool = True) -> str:
    """Verdict of a difference ``submission - reference`` from its interval.

    Parameters
    ----------
    low, high : float or None
        Interval of the difference; ``None`` or nan when unavailable.
    higher_is_better : bool, default=True
        Direction of the compared quantity.

    Returns
    -------
    verdict : str
        ``"better"`` when the interval lies strictly on the better side of 0, ``"worse"`` when
        strictly on the worse side, ``"not distinguishable"`` when it contains 0 (including an
        end exactly at 0), ``"not available"`` without an interval.

    Examples
    --------
    >>> verdict(0.01, 0.05), verdict(0.0, 0.05), verdict(-0.05, -0.01, higher_is_better=False)
    ('better', 'not distinguishable', 'better')
    """
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return NOT_AVAILABLE
    if low > high:
        raise ValueError(f"low must be <= high. Got low={low}, high={high} instead.")
    if low > 0:
        return BETTER if higher_is_better else WORSE
    if high < 0:
        return WORSE if higher_is_better else BETTER
    return NOT_DISTINGUISHABLE


@dataclass(frozen=True)
class LeaderDifference:
    """Difference ``submission - leader`` of the primary metric.

    Attributes
    ----------
    name : str
    difference : float or None
        ``point - leader point`` in metric units.
    ci : list of float (length 2) or None
        Paired percentile interval of the replicate differences.
    p_value : float or None
        Two-sided paired bootstrap p-value (:func:`bootstrap_p_values`).
    verdict : str
        From the interval, relative to the leader (``"worse"`` = significantly behind).
    n_replicates, n_undefined : int
    reason : str or None
        Why no interval is reported, when none is.
    """

    name: str
    difference: Optional[float]
    ci: Optional[list[float]]
    p_value: Optional[float]
    verdict: str
    n_replicates: int
    n_undefined: int
    reason: Optional[str] = None


@dataclass(frozen=True)
class LeaderComparison:
    """Every submission compared with the leader (best point value)."""

    leader: str
    level: float
    higher_is_better: bool
    differences: list[LeaderDifference] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready)."""
        return asdict(self)


def leader_comparison(
    reps,
    points,
    names,
    higher_is_better: bool,
    level: float = 0.95,
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
):
    """Difference of every submission from the leader, with paired percentile intervals.

    The leader is the submission with the best defined point value (the first one in input
    order on ties). For every other submission ``i``, ``d_b = reps[i, b] - reps[leader, b]``;
    the interval is the percentile interval of the defined ``d_b``
    (:func:`benchmark.stats.bootstrap.percentile_ci`: linear interpolation, unavailable when more
    than ``max_undefined`` of the replicates are undefined) and the p-value is
    :func:`bootstrap_p_values`. The verdict uses the metric's direction: ``"worse"`` means
    significantly behind the leader.

    Parameters
    ----------
    reps : array-like of shape (S, B)
    points : array-like of shape (S,)
    names : sequence of str of length S, or None
    higher_is_better : bool
    level : float, default=0.95
    max_undefined : float, default=0.10

    Returns
    -------
    result : LeaderComparison
        ``differences`` in input order, leader excluded.

    Examples
    --------
    >>> import numpy as np
    >>> base = np.linspace(0.70, 0.80, 100)
    >>> r = leader_comparison(np.vstack([base, base - 0.02]), [0.75, 0.73], ["a", "b"], True)
    >>> r.leader, r.differences[0].verdict, round(r.differences[0].difference, 6)
    ('a', 'worse', -0.02)
    """
    level = _check_level(level)
    points = _check_points(points)
    reps = _check_reps_matrix(reps, points.shape[0])
    names = _check_names(names, points.shape[0])
    key = _oriented(points, higher_is_better)
    if np.isnan(key).all():
        raise ValueError("points must hold at least one defined value. Got only nan instead.")
    lead = int(np.nanargmax(key))
    diffs = []
    for i in range(points.shape[0]):
        if i == lead:
            continue
        d = reps[i] - reps[lead]
        iv = percentile_ci(d, level, undefined="drop", max_undefined=max_undefined)
        ci = [iv.low, iv.high] if iv.reason is None else None
        p = bootstrap_p_values(d) if iv.reason is None else float("nan")
        diffs.append(
            LeaderDifference(
                name=names[i],
                difference=_float_or_none(points[i] - points[lead]),
                ci=ci,
                p_value=_float_or_none(p),
                verdict=verdict(*(ci or (None, None)), higher_is_better=higher_is_better),
                n_replicates=iv.n_replicates,
                n_undefined=iv.n_undefined,
                reason=iv.reason,
            )
        )
    return LeaderComparison(names[lead], level, bool(higher_is_better), diffs)


# --------------------------------------------------------------------------------------------
# weighted ROC operating points
# --------------------------------------------------------------------------------------------
def _check_binary_pair(y, s, name_y="y", name_s="s"):
    y = np.asarray(y, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    if y.ndim != 1 or y.shape[0] == 0:
        raise ValueError(f"{name_y} must be a non-empty 1-d array. Got shape {y.shape} instead.")
    if s.shape != y.shape:
        raise ValueError(
            f"{name_s} must have the same shape as {name_y} {y.shape}. Got {s.shape} instead."
        )
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{name_y} must hold 0/1 labels. Got other values instead.")
    if not np.isfinite(s).all():
        raise ValueError(f"{name_s} must be finite. Got nan or infinity instead.")
    return y, s


def _check_weights(w, n: int) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape (b, {n}). Got shape {w.shape} instead.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative.")
    return w


def _check_rate(x, name):
    arr = np.asarray(x, dtype=np.float64)
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must be in [0, 1]. Got {x!r} instead.")
    return arr


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
        0/1 labels (already checked by :func:`_check_binary_pair`).
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
            preferably C-contiguous (see :func:`_transposed`).

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


def _transposed(W: np.ndarray) -> np.ndarray:
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
    y, s = _check_binary_pair(y, s)
    n = y.shape[0]
    W = np.ones((1, n)) if W is None else _check_weights(W, n)
    roc = SortedROC(y, s)
    sens, spec = roc.rates(_transposed(W))
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


def _read_at(sens: np.ndarray, spec: np.ndarray, target, matched: str) -> np.ndarray:
    """The matched quantity (sensitivity at specificity, or the reverse) per weighting;
    ``(G, b)`` for ``G`` targets per weighting (see :func:`_pick`)."""
    idx = _pick(sens, spec, target, matched)
    values = sens if matched == "specificity" else spec
    out = values[np.maximum(idx, 0), np.arange(values.shape[1])]
    return np.where(idx >= 0, out, np.nan)


def _at(y, s, target, W, matched):
    y, s = _check_binary_pair(y, s)
    n = y.shape[0]
    Wc = np.ones((1, n)) if W is None else _check_weights(W, n)
    target = _check_rate(target, "target") if np.ndim(target) == 0 else np.asarray(
        target, dtype=np.float64
    )
    if np.ndim(target) == 1 and target.shape[0] != Wc.shape[0]:
        raise ValueError(
            f"target must be a scalar or have one entry per weighting ({Wc.shape[0]}). "
            f"Got {target.shape[0]} instead."
        )
    sens, spec = SortedROC(y, s).rates(_transposed(Wc))
    out = _read_at(sens, spec, target, matched)
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
    _check_rate(target, "target")
    y, s = _check_binary_pair(y, s)
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
        ``chunks()`` method (a :class:`~benchmark.stats.bootstrap.ResamplingPlan`)

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


# --------------------------------------------------------------------------------------------
# comparison with a published operating point
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatchedComparison:
    """The submission read at one coordinate of a baseline operating point.

    Attributes
    ----------
    quantity : str
        ``"sensitivity"`` (read at the baseline's specificity) or ``"specificity"`` (read at the
        baseline's sensitivity).
    matched_on : str
        The coordinate held fixed.
    matched_value : float
        The baseline's value of that coordinate.
    submission : float or None
        The submission's value at the matched operating point.
    submission_ci : list of float or None
        Bootstrap percentile interval of ``submission`` at the matched coordinate's point value
        (the submission's own uncertainty).
    baseline : float
        The baseline's value of ``quantity``.
    baseline_uncertainty : str
        ``"binomial k/m"``, ``"binomial over c cases (k/m pooled reads of R readers)"``,
        ``"normal from 95% CI [lo, hi]"`` or ``"none"``.
    difference : float or None
        ``submission - baseline``.
    difference_ci : list of float or None
        Percentile interval of ``submission_b - baseline_b``, the submission read at the drawn
        matched coordinate of replicate ``b``.
    verdict : str
    n_replicates, n_undefined : int
    reason : str or None
    """

    quantity: str
    matched_on: str
    matched_value: float
    submission: Optional[float]
    submission_ci: Optional[list[float]]
    baseline: float
    baseline_uncertainty: str
    difference: Optional[float]
    difference_ci: Optional[list[float]]
    verdict: str
    n_replicates: int
    n_undefined: int
    reason: Optional[str] = None


@dataclass(frozen=True)
class OperatingPointComparison:
    """A submission compared with a published operating point (sensitivity and specificity)."""

    baseline: str
    target: str
    source: str
    level: float
    seed: int
    sensitivity: MatchedComparison
    specificity: MatchedComparison

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready: floats, lists, str, None)."""
        return asdict(self)


def _baseline_value(value, counts, name):
    if counts is not None:
        k, m = (int(x) for x in counts)
        if m <= 0 or not 0 <= k <= m:
            raise ValueError(
                f"{name}_counts must be [k, m] with 0 <= k <= m, m > 0. Got {counts!r} instead."
            )
        return k / m
    return float(_check_rate(value, name))


def _case_count(counts, n_readers, name) -> int:
    """Cases behind pooled counts ``[k, m]``: ``m`` reads of ``n_readers`` readers who each
    read every case, so ``m / n_readers`` cases (``m`` for one reader)."""
    m = int(counts[1])
    r = 1 if n_readers is None else int(n_readers)
    if r < 1:
        raise ValueError(f"n_readers must be a positive integer. Got {n_readers!r} instead.")
    if m % r:
        raise ValueError(
            f"{name}_counts must count reads of {r} readers who each read every case, so m must "
            f"be a multiple of {r}. Got m={m} instead."
        )
    return m // r


def _baseline_draws(value, counts, ci, n_readers, b, rng):
    """Draws of a published rate reflecting its own sampling uncertainty, and their label.

    With counts ``[k, m]`` pooled over ``n_readers`` readers the draw is
    ``Binomial(c, k / m) / c`` with ``c = m / n_readers`` cases: the reads of one case are
    correlated (the same case is read by every reader), so the case, not the read, is the
    independent unit. This is exact for a single reader and conservative for several: with
    an intra-case correlation ``rho`` between readers' calls the variance of the pooled
    proportion is ``p (1 - p) / c * (1 + (R - 1) rho) / R`` (the design effect of cluster
    sampling; Kish 1965, Survey Sampling, Wiley, section 5.4), which the draw takes at its
    largest value ``rho = 1``; the read-level binomial (``rho = 0``) is anti-conservative.
    """
    if counts is not None:
        k, m = (int(x) for x in counts)
        c = _case_count(counts, n_readers, "baseline")
        label = f"binomial {k}/{m}"
        if c != m:
            label = f"binomial over {c} cases ({k}/{m} pooled reads of {int(n_readers)} readers)"
        return rng.binomial(c, k / m, size=b) / c, label
    if ci is not None:
        lo, hi = (float(x) for x in ci)
        if not lo <= value <= hi:
            raise ValueError(
                f"baseline CI must contain the value {value}. Got [{lo}, {hi}] instead."
            )
        se = (hi - lo) / (2.0 * _Z975)
        draws = np.clip(value + se * rng.standard_normal(b), 0.0, 1.0)
        return draws, f"normal from 95% CI [{lo}, {hi}]"
    return np.full(b, value), "none"


def _n_replicates(weights) -> tuple[int, object]:
    """Number of weightings in ``weights`` and an object :func:`iter_weights` reads again."""
    if hasattr(weights, "chunks") and callable(weights.chunks):
        return int(weights.replicates), weights
    if isinstance(weights, np.ndarray):
        return (weights.shape[0] if weights.ndim == 2 else 0), weights
    blocks = list(iter_weights(weights))
    return sum(w.shape[0] for w in blocks), blocks


def _matched(quantity, matched_on, matched_value, point, fixed, reps, base, draws, label, level,
             max_undefined):
    """``fixed``: the submission's replicates at the point matched coordinate (its own
    interval); ``reps``: at the drawn coordinate (the differences, with ``draws``)."""
    sub_iv = percentile_ci(fixed, level, undefined="drop", max_undefined=max_undefined)
    diff_iv = percentile_ci(reps - draws, level, undefined="drop", max_undefined=max_undefined)
    sub_ci = [sub_iv.low, sub_iv.high] if sub_iv.reason is None else None
    diff_ci = [diff_iv.low, diff_iv.high] if diff_iv.reason is None else None
    point = _float_or_none(point)
    return MatchedComparison(
        quantity=quantity,
        matched_on=matched_on,
        matched_value=float(matched_value),
        submission=point,
        submission_ci=sub_ci,
        baseline=float(base),
        baseline_uncertainty=label,
        difference=None if point is None else point - float(base),
        difference_ci=diff_ci,
        verdict=verdict(*(diff_ci or (None, None))),
        n_replicates=diff_iv.n_replicates,
        n_undefined=diff_iv.n_undefined,
        reason=diff_iv.reason,
    )


def compare_to_operating_point(
    y,
    s,
    baseline,
    weights,
    level: float = 0.95,
    seed: int = 0,
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
) -> OperatingPointComparison:
    """Compare a submission with a published reader operating point.

    * **Sensitivity at the baseline's specificity**: the submission's ROC curve is read at the
      baseline specificity (module convention), on the full data and on every bootstrap
      weighting; difference = submission sensitivity - baseline sensitivity.
    * **Specificity at the baseline's sensitivity**: likewise with the roles swapped.

    The baseline's value of a coordinate is ``k / m`` when counts are declared (e.g.
    ``sensitivity_counts = [627, 693]``), else the declared value. Both coordinates of the
    baseline are estimates, and the interval of each difference carries the uncertainty of
    both. In replicate ``b``:

    * the baseline's sensitivity and specificity are parametric draws of their own estimates:
      ``Binomial(c, k / m) / c`` when counts are given, with ``c = m / n_readers`` *cases*
      (pooled reads of ``n_readers`` readers who each read every case are not independent
      trials; the case is the independent unit, see :func:`_baseline_draws`), else
      ``Normal(value, se)`` with ``se = (high - low) / (2 * 1.96)`` from a published 95%
      interval (clipped to [0, 1]), else no draw (the baseline is treated as exact, labelled
      ``"none"``);
    * the submission's ROC curve, evaluated under the case resampling weights, is read at the
      *drawn* matched coordinate (sensitivity at the drawn specificity, specificity at the
      drawn sensitivity), so the verdict does not take the reader's specificity as known;
    * the replicate difference is the submission's value minus the drawn baseline value.

    The difference's percentile interval gives the verdict. The baseline draws are independent
    of the case resamples: a published operating point comes with no case-level reads, so the
    pairing between its errors and the submission's is unknown. Treating several readers'
    reads as perfectly correlated makes the verdict conservative; ``benchmarks/
    reader_null_sim.py`` measures its false-positive rate and power.

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels of the baseline's target.
    s : array-like of shape (n,)
        The submission's scores for that target.
    baseline : BaselineDecl or mapping
        With ``name``, ``target``, ``sensitivity``, ``specificity`` and optionally
        ``sensitivity_counts``, ``specificity_counts``, ``sensitivity_ci``, ``specificity_ci``,
        ``n_readers`` (readers pooled in the counts, each reading every case), ``source``.
    weights : ndarray of shape (B, n), iterable of (b, n) blocks, or a ResamplingPlan
        Bootstrap multiplicity weights (the task's shared plan).
    level : float, default=0.95
        Coverage of every interval and level of the verdicts.
    seed : int, default=0
        Seed of the baseline's parametric draws (use the task's resampling seed).
    max_undefined : float, default=0.10
        Largest fraction of undefined replicates an interval may drop.

    Returns
    -------
    result : OperatingPointComparison

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.ones(50), np.zeros(50)]
    >>> s = np.r_[np.linspace(0.5, 1.0, 50), np.linspace(0.0, 0.49, 50)]
    >>> W = np.random.default_rng(0).multinomial(100, np.full(100, 0.01), size=200)
    >>> base = {"name": "readers", "target": "t", "sensitivity": 0.8, "specificity": 0.8}
    >>> r = compare_to_operating_point(y, s, base, W.astype(float))
    >>> r.sensitivity.submission, r.sensitivity.verdict
    (1.0, 'better')
    """
    level = _check_level(level)
    y, s = _check_binary_pair(y, s)
    get = (lambda k, d=None: baseline.get(k, d)) if isinstance(baseline, dict) else (
        lambda k, d=None: getattr(baseline, k, d)
    )
    sens_counts, spec_counts = get("sensitivity_counts"), get("specificity_counts")
    base_sens = _baseline_value(get("sensitivity"), sens_counts, "sensitivity")
    base_spec = _baseline_value(get("specificity"), spec_counts, "specificity")
    n_readers = get("n_readers")

    b, weights = _n_replicates(weights)
    if b == 0:
        raise ValueError("weights must hold at least one replicate. Got none instead.")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0]))
    sens_draws, sens_label = _baseline_draws(
        base_sens, sens_counts, get("sensitivity_ci"), n_readers, b, rng
    )
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    spec_draws, spec_label = _baseline_draws(
        base_spec, spec_counts, get("specificity_ci"), n_readers, b, rng
    )

    roc = SortedROC(y, s)  # sorted once, read under every block of weightings
    sens_reps, spec_reps = [], []  # at the drawn matched coordinate: for the differences
    sens_fixed, spec_fixed = [], []  # at its point value: the submission's own interval
    start = 0
    for w in iter_weights(weights):
        w = _check_weights(w, y.shape[0])
        stop = start + w.shape[0]
        if stop > b:
            raise ValueError(f"weights must hold {b} replicates. Got more instead.")
        se, sp = roc.rates(_transposed(w))
        # the matched coordinate is the baseline's own estimate: drawn in every replicate
        sens_reps.append(_read_at(se, sp, spec_draws[start:stop], "specificity"))
        spec_reps.append(_read_at(se, sp, sens_draws[start:stop], "sensitivity"))
        sens_fixed.append(_read_at(se, sp, base_spec, "specificity"))
        spec_fixed.append(_read_at(se, sp, base_sens, "sensitivity"))
        start = stop
    if start != b:
        raise ValueError(f"weights must hold {b} replicates. Got {start} instead.")
    sens_reps, spec_reps = np.concatenate(sens_reps), np.concatenate(spec_reps)
    sens_fixed, spec_fixed = np.concatenate(sens_fixed), np.concatenate(spec_fixed)

    sens = _matched(
        "sensitivity", "specificity", base_spec,
        sensitivity_at_specificity(y, s, base_spec), sens_fixed, sens_reps,
        base_sens, sens_draws, sens_label, level, max_undefined,
    )
    spec = _matched(
        "specificity", "sensitivity", base_sens,
        specificity_at_sensitivity(y, s, base_sens), spec_fixed, spec_reps,
        base_spec, spec_draws, spec_label, level, max_undefined,
    )
    return OperatingPointComparison(
        baseline=str(get("name", "")),
        target=str(get("target", "")),
        source=str(get("source", "") or ""),
        level=level,
        seed=int(seed),
        sensitivity=sens,
        specificity=spec,
    )
