"""Paired tests between submissions and the comparison with the leader.

Submissions are compared through their bootstrap replicate matrix ``reps`` of shape
``(S, B)`` on one shared :class:`~benchmark.stats.resampling.ResamplingPlan`, so every
difference is paired.

* :func:`significance_map` -- all pairwise paired tests (studentised with the bootstrap standard
  error of each difference), Holm-adjusted (Holm 1979, Scandinavian Journal of Statistics
  6:65-70), as in challengeR's significance maps (Wiesenfarth et al. 2021,
  doi:10.1038/s41598-021-82017-6).
* :func:`leader_comparison` -- difference from the leader with a paired percentile interval
  and the verdict of :func:`benchmark.stats.intervals.verdict`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np

from .checks import check_level, check_names, check_points, check_reps_matrix, float_or_none, oriented
from .intervals import DEFAULT_MAX_UNDEFINED, percentile_ci, verdict

__all__ = [
    "LeaderComparison",
    "LeaderDifference",
    "SIGNIFICANCE_METHOD",
    "SignificanceMap",
    "bootstrap_p_values",
    "holm_adjust",
    "leader_comparison",
    "significance_map",
    "studentized_p_values",
]

#: Relative spread below which the replicate differences of a pair count as all equal.
_FLAT_RTOL = 1e-12


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
    :func:`benchmark.stats.intervals.paired_difference`. Zero differences count on both sides.

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
    from scipy import special  # lazy: about 0.15 s to load, and a build that keeps its site tests nothing

    p = 2.0 * special.ndtr(-z)
    # all replicate differences equal up to rounding: the standard error is 0, not the
    # rounding noise of the mean subtraction
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan rows
        spread = np.nanmax(d, axis=1) - np.nanmin(d, axis=1)
        scale = np.maximum(1.0, np.nanmax(np.abs(d), axis=1))
    flat = spread <= _FLAT_RTOL * scale
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
    alpha = check_level(level, "level")
    points = check_points(points)
    reps = check_reps_matrix(reps, points.shape[0])
    names = check_names(names, points.shape[0])
    s = reps.shape[0]
    oreps = oriented(reps, higher_is_better)
    opoints = oriented(points, higher_is_better)
    iu, ju = np.triu_indices(s, k=1)
    d = oreps[iu] - oreps[ju]  # (pairs, B); nan where either is undefined
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
        return [[float_or_none(x) for x in row] for row in mat]

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
    (:func:`benchmark.stats.intervals.percentile_ci`: linear interpolation, unavailable when more
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
    level = check_level(level)
    points = check_points(points)
    reps = check_reps_matrix(reps, points.shape[0])
    names = check_names(names, points.shape[0])
    key = oriented(points, higher_is_better)
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
                difference=float_or_none(points[i] - points[lead]),
                ci=ci,
                p_value=float_or_none(p),
                verdict=verdict(*(ci or (None, None)), higher_is_better=higher_is_better),
                n_replicates=iv.n_replicates,
                n_undefined=iv.n_undefined,
                reason=iv.reason,
            )
        )
    return LeaderComparison(names[lead], level, bool(higher_is_better), diffs)
