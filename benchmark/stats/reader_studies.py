"""Case-level reader studies: reader operating points and matched comparisons.

A reader study records, for every reader and case, the reader's binary call (read from a
reads file by :mod:`benchmark.stats.reads`). With case-level reads a submission can be compared
with a reader on the *same* cases, which is more powerful than a comparison with a published
operating point (:func:`benchmark.stats.baselines.compare_to_operating_point`).

Statistics
----------
* Per reader: sensitivity and specificity with Wilson score intervals (Wilson 1927, JASA
  22:209-212, doi:10.1080/01621459.1927.10502953) and case-bootstrap percentile intervals.
* Pooled readers: all reads of all readers pooled (as the "pooled reads" of Bien et al. 2018,
  doi:10.1371/journal.pmed.1002699). The Wilson interval of the pooled counts treats reads as
  independent, which they are not (the same case is read by every reader); the case bootstrap
  interval resamples cases and keeps all reads of a drawn case, so it respects that clustering.
* :func:`compare_with_readers`: the submission is thresholded at the reader's observed
  specificity (operating-point convention of :mod:`benchmark.stats.operating_points`: the ROC
  point with specificity ``>=`` the reader's and maximal sensitivity) and the two sensitivities are
  compared by the paired bootstrap interval of the sensitivity difference on the task's case
  resamples. In each replicate the reader's specificity is recomputed and the threshold
  re-chosen at it, so the interval carries the uncertainty of the matched threshold; its
  verdict is the only inferential result.

  McNemar's test (McNemar 1947, doi:10.1007/BF02295996) on the discordant positive cases at
  the matched threshold is *not* offered: the threshold is tuned on the test negatives and the
  test ignores that, so with the model's true ROC curve through the reader's true operating
  point it rejects far more often than its level (about a quarter of the time at 99 positive
  and 21 negative cases; ``benchmarks/reader_null_sim.py``), while the bootstrap verdict holds
  its level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Optional

import numpy as np

from .checks import check_binary_pair, check_level, check_weights
from .intervals import DEFAULT_MAX_UNDEFINED, percentile_ci, verdict, wilson_interval
from .operating_points import SortedROC, iter_transposed, iter_weights, read_counts

__all__ = [
    "ReaderComparison",
    "ReaderOperatingPoints",
    "ReaderPoint",
    "ReaderStudy",
    "compare_with_reader",
    "compare_with_readers",
    "reader_operating_points",
]


# --------------------------------------------------------------------------------------------
# operating points of readers
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReaderPoint:
    """Sensitivity and specificity of one reader (or of the pooled reads).

    Attributes
    ----------
    reader_id : str
        ``"pooled"`` for all readers together.
    sensitivity, specificity : float or None
    sensitivity_counts, specificity_counts : list of int
        ``[k, m]``: correct calls among the ``m`` read positive (negative) cases.
    sensitivity_wilson, specificity_wilson : list of float or None
        Wilson intervals of the counts (for pooled reads: as if reads were independent).
    sensitivity_bootstrap, specificity_bootstrap : list of float or None
        Case-bootstrap percentile intervals (``None`` without weights or when too many
        replicates are undefined).
    """

    reader_id: str
    sensitivity: Optional[float]
    specificity: Optional[float]
    sensitivity_counts: list[int]
    specificity_counts: list[int]
    sensitivity_wilson: Optional[list[float]]
    specificity_wilson: Optional[list[float]]
    sensitivity_bootstrap: Optional[list[float]] = None
    specificity_bootstrap: Optional[list[float]] = None


@dataclass(frozen=True)
class ReaderOperatingPoints:
    """Operating points of every reader and of the pooled reads."""

    level: float
    n_replicates: int
    readers: list[ReaderPoint] = field(default_factory=list)
    pooled: Optional[ReaderPoint] = None

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready)."""
        return asdict(self)

    def as_baseline(self, name: str, target: str, source: str, readers: str = "") -> dict:
        """The pooled operating point as the fields of a task baseline with counts.

        The mapping has the fields of :class:`~benchmark.data.declarations.BaselineDecl` and is
        accepted as is by :func:`benchmark.stats.baselines.compare_to_operating_point`.
        ``n_readers`` is the number of readers when every reader read as many positive and
        negative cases as the others (the pooled counts then hold ``n_readers`` reads per case),
        else ``None`` (the counts are then drawn as independent reads). The intervals are the
        case-bootstrap ones when available (they respect that every reader read the same
        cases), else the Wilson intervals of the pooled counts.
        """
        p = self.pooled
        sens_m = {r.sensitivity_counts[1] for r in self.readers}
        spec_m = {r.specificity_counts[1] for r in self.readers}
        n_readers = len(self.readers) if len(sens_m) == 1 and len(spec_m) == 1 else None
        return dict(
            name=name,
            target=target,
            readers=readers,
            sensitivity=p.sensitivity,
            specificity=p.specificity,
            sensitivity_ci=p.sensitivity_bootstrap or p.sensitivity_wilson,
            specificity_ci=p.specificity_bootstrap or p.specificity_wilson,
            sensitivity_counts=p.sensitivity_counts,
            specificity_counts=p.specificity_counts,
            n_readers=n_readers,
            derived="pooled reads of a case-level reader study",
            source=source,
        )


def _check_reads(reads, n: int) -> np.ndarray:
    reads = np.asarray(reads, dtype=np.float64)
    if reads.ndim == 1:
        reads = reads[None, :]
    if reads.ndim != 2 or reads.shape[1] != n:
        raise ValueError(
            f"reads must have shape (n_readers, {n}) or ({n},). Got shape {reads.shape} instead."
        )
    ok = np.isnan(reads) | np.isin(reads, (0.0, 1.0))
    if not ok.all():
        raise ValueError("reads must hold 0/1 calls or nan (not read). Got other values instead.")
    return reads


def _reader_names(reader_ids, r: int) -> list[str]:
    if reader_ids is None:
        return [f"reader{i + 1}" for i in range(r)]
    ids = [str(i) for i in reader_ids]
    if len(ids) != r:
        raise ValueError(f"reader_ids must have {r} entries. Got {len(ids)} instead.")
    return ids


def _ratio(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _ci(reps, level, max_undefined):
    iv = percentile_ci(reps, level, undefined="drop", max_undefined=max_undefined)
    return [iv.low, iv.high] if iv.reason is None else None


def reader_operating_points(
    y,
    reads,
    weights=None,
    level: float = 0.95,
    reader_ids: Optional[Sequence[str]] = None,
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
) -> ReaderOperatingPoints:
    """Sensitivity and specificity of each reader and of the pooled reads.

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels of the target.
    reads : array-like of shape (R, n) or (n,)
        0/1 calls; nan where a reader did not read a case.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan, default=None
        Case-bootstrap multiplicity weights. Replicate ``b`` of a reader's sensitivity is
        ``sum_i w_bi y_i read_ri / sum_i w_bi y_i [read_ri defined]``; of the pooled
        sensitivity, the same with numerator and denominator summed over readers (all reads of
        a drawn case enter with its multiplicity).
    level : float, default=0.95
    reader_ids : sequence of str of length R, default=None
    max_undefined : float, default=0.10

    Returns
    -------
    points : ReaderOperatingPoints

    Examples
    --------
    >>> y = [1, 1, 1, 1, 0, 0]
    >>> reads = [[1, 1, 1, 0, 0, 1], [1, 1, 0, 0, 0, 0]]
    >>> op = reader_operating_points(y, reads)
    >>> op.readers[0].sensitivity_counts, op.pooled.sensitivity, op.pooled.specificity
    ([3, 4], 0.625, 0.75)
    """
    level = check_level(level)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be a 1-d array of 0/1 labels.")
    reads = _check_reads(reads, y.shape[0])
    r = reads.shape[0]
    ids = _reader_names(reader_ids, r)
    defined = ~np.isnan(reads)
    call = np.nan_to_num(reads)
    # per-case quantities, shape (R, n)
    tp = call * y * defined
    pos = y * defined
    tn = (1.0 - call) * (1.0 - y) * defined
    neg = (1.0 - y) * defined

    sens_b, spec_b = [], []
    for w in iter_weights(weights):
        w = check_weights(w, y.shape[0])
        TP, P, TN, N = (w @ a.T for a in (tp, pos, tn, neg))  # (b, R)
        tp_all, p_all, tn_all, n_all = (a.sum(axis=1, keepdims=True) for a in (TP, P, TN, N))
        sens_b.append(np.hstack([_ratio(TP, P), _ratio(tp_all, p_all)]))  # readers, pooled
        spec_b.append(np.hstack([_ratio(TN, N), _ratio(tn_all, n_all)]))
    have_boot = bool(sens_b)
    if have_boot:
        sens_b = np.vstack(sens_b)
        spec_b = np.vstack(spec_b)

    def point(j, name, k_s, m_s, k_p, m_p):
        return ReaderPoint(
            reader_id=name,
            sensitivity=k_s / m_s if m_s else None,
            specificity=k_p / m_p if m_p else None,
            sensitivity_counts=[k_s, m_s],
            specificity_counts=[k_p, m_p],
            sensitivity_wilson=wilson_interval(k_s, m_s, level),
            specificity_wilson=wilson_interval(k_p, m_p, level),
            sensitivity_bootstrap=_ci(sens_b[:, j], level, max_undefined) if have_boot else None,
            specificity_bootstrap=_ci(spec_b[:, j], level, max_undefined) if have_boot else None,
        )

    counts = [
        tuple(int(round(a[i].sum())) for a in (tp, pos, tn, neg)) for i in range(r)
    ]
    readers = [point(i, ids[i], *counts[i]) for i in range(r)]
    pooled = point(r, "pooled", *(sum(c[k] for c in counts) for k in range(4)))
    return ReaderOperatingPoints(
        level=level,
        n_replicates=int(sens_b.shape[0]) if have_boot else 0,
        readers=readers,
        pooled=pooled,
    )


# --------------------------------------------------------------------------------------------
# submission vs reader at matched specificity
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReaderComparison:
    """A submission compared with one reader (or the pooled reads) at matched specificity.

    Attributes
    ----------
    reader_id : str
    n_cases : int
        Cases the reader read (the comparison uses only those).
    threshold : float
        The submission's threshold on those cases (positive when ``score >= threshold``).
    reader_sensitivity, reader_specificity : float
    submission_sensitivity, submission_specificity : float
        At ``threshold``; the specificity is ``>=`` the reader's.
    difference : float
        ``submission_sensitivity - reader_sensitivity``.
    difference_ci : list of float or None
        Paired case-bootstrap percentile interval.
    verdict : str
        From ``difference_ci`` (see :func:`benchmark.stats.intervals.verdict`).
    level : float
    n_replicates, n_undefined : int
    reason : str or None
    """

    reader_id: str
    n_cases: int
    threshold: float
    reader_sensitivity: float
    reader_specificity: float
    submission_sensitivity: float
    submission_specificity: float
    difference: float
    difference_ci: Optional[list[float]]
    verdict: str
    level: float
    n_replicates: int
    n_undefined: int
    reason: Optional[str] = None

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready)."""
        return asdict(self)


def compare_with_readers(
    y,
    s,
    reads,
    weights,
    level: float = 0.95,
    reader_ids: Optional[Sequence[str]] = None,
    pooled: bool = True,
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
) -> list[ReaderComparison]:
    """Compare a submission with every reader (and the pooled reads) at matched specificity.

    For reader ``r``, on the cases it read:

    1. the reader's sensitivity and specificity are computed from its calls;
    2. the submission is thresholded at the reader's specificity (the ROC point with
       specificity ``>=`` the reader's and maximal sensitivity; module convention of
       :mod:`benchmark.stats.operating_points`);
    3. on every case-bootstrap weighting the reader's sensitivity and specificity are
       recomputed, the submission's sensitivity is read at that replicate's reader
       specificity, and the percentile interval of the differences gives the verdict.

    For the pooled reads (``pooled=True`` and more than one reader) the reader sensitivity and
    specificity are the pooled ones, steps 2 and 4 are done on the cases read by at least one
    reader.

    No test at the matched threshold is offered (see the module docstring: McNemar's test
    there does not hold its level); the bootstrap interval's verdict is the result.

    Parameters
    ----------
    y : array-like of shape (n,)
    s : array-like of shape (n,)
        The submission's scores for the target.
    reads : array-like of shape (R, n) or (n,)
        0/1 calls, nan = not read.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan
        The task's case-bootstrap weights (shared with the submission's other statistics).
    level : float, default=0.95
    reader_ids : sequence of str of length R, default=None
    pooled : bool, default=True
    max_undefined : float, default=0.10

    Returns
    -------
    comparisons : list of ReaderComparison
        One per reader in input order, then the pooled reads.
    """
    level = check_level(level)
    y, s = check_binary_pair(y, s)
    study = ReaderStudy(y, reads, weights, reader_ids=reader_ids, pooled=pooled)
    return study.compare(s, level=level, max_undefined=max_undefined)


class ReaderStudy:
    """The reads of one target and the task's weights, prepared for many submissions.

    Everything of :func:`compare_with_readers` that does not depend on the submission is done
    once here: the reader groups (each reader and the pooled reads), their point sensitivity
    and specificity, their sensitivity and specificity under every bootstrap weighting, and the
    transposed weight blocks the submissions' ROC curves are read under. :meth:`compare` then
    costs one sort of the submission's scores per distinct set of read cases, one pair of
    cumulative sums per block of weightings and one operating-point search per group.

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels of the target.
    reads : array-like of shape (R, n) or (n,)
        0/1 calls, nan = not read.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan
        The task's case-bootstrap weights.
    reader_ids : sequence of str of length R, default=None
    pooled : bool, default=True
        Add the pooled reads as a group when there is more than one reader.

    Raises
    ------
    ValueError
        Malformed labels, reads or weights, a reader without a read positive and a read
        negative case, or no replicate at all.
    """

    def __init__(self, y, reads, weights, reader_ids: Optional[Sequence[str]] = None, pooled: bool = True):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or y.shape[0] == 0 or not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("y must be a non-empty 1-d array of 0/1 labels.")
        reads = _check_reads(reads, y.shape[0])
        r = reads.shape[0]
        ids = _reader_names(reader_ids, r)
        defined = ~np.isnan(reads)
        call = np.nan_to_num(reads)
        groups = [(ids[i], defined[i], call[i : i + 1], defined[i : i + 1]) for i in range(r)]
        if pooled and r > 1:
            groups.append(("pooled", defined.any(axis=0), call, defined))
        self.y = y
        self.names = [g[0] for g in groups]
        self._masks = [g[1] for g in groups]
        self._points = []  # (n_cases, reader sensitivity, reader specificity)
        for name, mask, c, d in groups:
            tp = float((c * y * d).sum())
            pos = float((y * d).sum())
            tn = float(((1 - c) * (1 - y) * d).sum())
            neg = float(((1 - y) * d).sum())
            if pos == 0 or neg == 0:
                raise ValueError(
                    f"reader {name!r} must have read at least one positive and one negative case."
                )
            self._points.append((int(mask.sum()), tp / pos, tn / neg))
        per_case = [
            tuple(a.sum(axis=0) for a in (c * y * d, y * d, (1 - c) * (1 - y) * d, (1 - y) * d))
            for _name, _mask, c, d in groups
        ]
        # Per block: the transposed weights and every group's replicate sensitivity and
        # specificity (the same matrix-vector products as a direct computation).
        self._blocks = []
        for w, WT in iter_transposed(weights):
            w = check_weights(w, y.shape[0])
            reps = []
            for TPv, Pv, TNv, Nv in per_case:
                TP, P, TN, N = w @ TPv, w @ Pv, w @ TNv, w @ Nv
                reps.append((_ratio(TP, P), _ratio(TN, N)))
            self._blocks.append((WT, reps))
        if not self._blocks:
            raise ValueError("weights must hold at least one replicate. Got none instead.")
        # distinct sets of read cases (usually one: every reader read every case)
        self._mask_key = [m.tobytes() for m in self._masks]
        self._mask_cols = {}
        for key, mask in zip(self._mask_key, self._masks):
            self._mask_cols.setdefault(key, np.flatnonzero(mask))

    def compare(
        self,
        s,
        level: float = 0.95,
        max_undefined: float = DEFAULT_MAX_UNDEFINED,
    ) -> list[ReaderComparison]:
        """Compare one submission with every reader group (see :func:`compare_with_readers`).

        Parameters
        ----------
        s : array-like of shape (n,)
            The submission's scores for the target.
        level : float, default=0.95
        max_undefined : float, default=0.10

        Returns
        -------
        comparisons : list of ReaderComparison
            One per reader in input order, then the pooled reads.
        """
        level = check_level(level)
        y, s = check_binary_pair(self.y, s)
        # The submission's ROC is sorted once per distinct set of read cases.
        rocs = {key: SortedROC(y[cols], s[cols], columns=cols) for key, cols in self._mask_cols.items()}
        members = {key: [g for g, k in enumerate(self._mask_key) if k == key] for key in rocs}

        # point quantities: every group on the same cases in one search (operating_threshold)
        points: list = [None] * len(self.names)
        for key, roc in rocs.items():
            gs = members[key]
            at = roc.points_at([self._points[g][2] for g in gs], "specificity")
            for g, (thr, sub_sens, sub_spec) in zip(gs, at):
                n_cases, r_sens, r_spec = self._points[g]
                points[g] = (n_cases, thr, r_sens, r_spec, sub_sens, sub_spec)

        # bootstrap differences: the rates are computed once per block, then read at each
        # group's replicate specificities.
        diffs = [[] for _ in self.names]
        for WT, reps in self._blocks:
            for key, roc in rocs.items():
                gs = members[key]
                # every group on these cases at once: one search per (group, weighting)
                sub = read_counts(*roc.counts(WT), np.stack([reps[g][1] for g in gs]), "specificity")
                for row, g in enumerate(gs):
                    diffs[g].append(sub[row] - reps[g][0])

        out = []
        for g, name in enumerate(self.names):
            n_cases, thr, r_sens, r_spec, sub_sens, sub_spec = points[g]
            d = np.concatenate(diffs[g])
            iv = percentile_ci(d, level, undefined="drop", max_undefined=max_undefined)
            ci = [iv.low, iv.high] if iv.reason is None else None
            out.append(
                ReaderComparison(
                    reader_id=name,
                    n_cases=n_cases,
                    threshold=float(thr),
                    reader_sensitivity=r_sens,
                    reader_specificity=r_spec,
                    submission_sensitivity=sub_sens,
                    submission_specificity=sub_spec,
                    difference=sub_sens - r_sens,
                    difference_ci=ci,
                    verdict=verdict(*(ci or (None, None))),
                    level=level,
                    n_replicates=iv.n_replicates,
                    n_undefined=iv.n_undefined,
                    reason=iv.reason,
                )
            )
        return out


def compare_with_reader(
    y,
    s,
    reader_reads,
    weights,
    level: float = 0.95,
    reader_id: str = "reader",
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
) -> ReaderComparison:
    """Compare a submission with one reader at the reader's specificity.

    See :func:`compare_with_readers` for the method.

    Parameters
    ----------
    y : array-like of shape (n,)
    s : array-like of shape (n,)
    reader_reads : array-like of shape (n,)
        The reader's 0/1 calls; nan = not read.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan
    level : float, default=0.95
    reader_id : str, default="reader"
    max_undefined : float, default=0.10

    Returns
    -------
    comparison : ReaderComparison

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.ones(30), np.zeros(30)]
    >>> s = np.r_[np.linspace(0.6, 1.0, 30), np.linspace(0.0, 0.5, 30)]
    >>> reads = np.r_[np.ones(20), np.zeros(10), np.zeros(27), np.ones(3)]
    >>> W = np.random.default_rng(1).multinomial(60, np.full(60, 1 / 60), size=300)
    >>> c = compare_with_reader(y, s, reads, W.astype(float))
    >>> c.submission_sensitivity, c.reader_sensitivity, c.verdict
    (1.0, 0.6666666666666666, 'better')
    """
    reader_reads = np.asarray(reader_reads, dtype=np.float64)
    if reader_reads.ndim != 1:
        raise ValueError(
            f"reader_reads must be a 1-d array. Got shape {reader_reads.shape} instead."
        )
    return compare_with_readers(
        y, s, reader_reads[None, :], weights, level, [reader_id], False, max_undefined,
    )[0]
