"""A submission compared with a published reader operating point (a task's baseline).

A published reader operating point (:class:`~benchmark.data.declarations.BaselineDecl`) gives a
sensitivity and a specificity. :func:`compare_to_operating_point` reads the submission's
weighted ROC curve at the baseline's specificity and at its sensitivity (the convention of
:mod:`benchmark.stats.operating_points`), on the full data and under every bootstrap
weighting, and turns both into differences with intervals and a verdict
(:func:`benchmark.stats.intervals.verdict`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from .checks import check_binary_pair, check_level, check_rate, check_weights, float_or_none
from .intervals import DEFAULT_MAX_UNDEFINED, percentile_ci, verdict
from .operating_points import (
    CountedROC,
    SortedROC,
    WeightBlocks,
    iter_transposed,
    iter_weights,
    sensitivity_at_specificity,
    specificity_at_sensitivity,
)

__all__ = [
    "MatchedComparison",
    "OperatingPointComparison",
    "compare_to_operating_point",
]

#: Two-sided 95% standard normal quantile, used to turn a published 95% CI into a standard error.
_Z975 = 1.959963984540054


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
    return float(check_rate(value, name))


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
    if isinstance(weights, WeightBlocks) or (hasattr(weights, "chunks") and callable(weights.chunks)):
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
    point = float_or_none(point)
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
    level = check_level(level)
    y, s = check_binary_pair(y, s)
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
    for w, WT in iter_transposed(weights):
        w = check_weights(w, y.shape[0])
        stop = start + w.shape[0]
        if stop > b:
            raise ValueError(f"weights must hold {b} replicates. Got more instead.")
        counted = CountedROC(*roc.counts(WT))
        # the matched coordinate is the baseline's own estimate: drawn in every replicate
        sens_reps.append(counted.read(spec_draws[start:stop], "specificity"))
        spec_reps.append(counted.read(sens_draws[start:stop], "sensitivity"))
        sens_fixed.append(counted.read(base_spec, "specificity"))
        spec_fixed.append(counted.read(base_sens, "sensitivity"))
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
