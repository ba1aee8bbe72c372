"""Ranks with uncertainty.

Everything here works on plain arrays. Submissions are compared through their bootstrap
*replicate matrix* ``reps`` of shape ``(S, B)``: the primary metric of ``S`` submissions
evaluated on the same ``B`` resamples of the cases (one :class:`~benchmark.stats.resampling.
ResamplingPlan`), so every comparison is paired.

* :func:`competition_ranks` -- the one ranking rule of the package (leaderboard rows, grading
  reports, every bootstrap replicate): ``1 + the number of entries strictly better``, ties
  sharing the best rank ("1224" ranking). An entry whose value is undefined (nan) has **no
  rank**: it is given 0, meaning "not ranked", and it pushes no one down. Ranking it last
  instead would report a comparison that was never made (an undefined AUC is not a low AUC),
  and inside the bootstrap it would move the rank distributions of every entry below it.
* :func:`rank_summary` -- point rank, bootstrap rank distribution, median rank, rank interval
  and probability of being best, as in the ranking-stability analysis and blob plots of
  challengeR (Wiesenfarth et al. 2021, Scientific Reports 11:2369,
  doi:10.1038/s41598-021-82017-6).
* :func:`arena_rank` -- the Chatbot Arena rule: 1 + the number of entries whose interval lies
  entirely better than this entry's (Chiang et al. 2024, arXiv:2403.04132).

Pairwise tests and the comparison with the leader are in :mod:`benchmark.stats.significance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .checks import check_level, check_names, check_points, check_reps_matrix, float_or_none, oriented

__all__ = [
    "RankSummary",
    "arena_rank",
    "competition_ranks",
    "rank_summary",
]


def _ranks(values: np.ndarray) -> np.ndarray:
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


def competition_ranks(values, higher_is_better: bool) -> np.ndarray:
    """Competition ranks of entries: ``1 + the number of entries strictly better``.

    Ties share the best rank ("1224" ranking). An entry whose value is undefined (nan or
    infinite) is not ranked: it gets 0 and does not push the others down (see the module
    docstring for why).

    Parameters
    ----------
    values : array-like of shape (S,) or (S, ...)
        One value per entry along axis 0 (further axes, e.g. bootstrap replicates, are
        ranked independently).
    higher_is_better : bool
        Direction of the values.

    Returns
    -------
    ranks : ndarray of the shape of ``values``, dtype int64
        ``1..S``; 0 for an undefined entry.

    Examples
    --------
    >>> competition_ranks([0.9, 0.8, 0.9, float("nan"), 0.7], higher_is_better=True).tolist()
    [1, 3, 1, 0, 4]
    >>> competition_ranks([0.3, 0.5, 0.3], higher_is_better=False).tolist()
    [1, 3, 1]
    """
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isfinite(v), v, np.nan)
    return _ranks(oriented(v, higher_is_better))


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
    level = check_level(level)
    points = check_points(points)
    reps = check_reps_matrix(reps, points.shape[0])
    names = check_names(names, points.shape[0])
    s, b = reps.shape
    point_ranks = _ranks(oriented(points, higher_is_better))
    ranks = _ranks(oriented(reps, higher_is_better))  # (S, B), 0 = undefined
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
                point=float_or_none(points[i]),
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
