"""Confidence intervals and paired differences from bootstrap replicates.

Percentile and BCa bootstrap intervals (Efron & Tibshirani 1993, *An
Introduction to the Bootstrap*, Chapman & Hall, doi:10.1201/9780429246593,
chapters 13 and 14) with an explicit policy for undefined replicates, the paired
bootstrap comparison of two statistics evaluated on the same resamples, the
Wilson score interval of a proportion, and the verdict read from the interval
of a difference. The DeLong interval of the AUC is in
:mod:`benchmark.stats.delong`; the replicates come from a
:class:`~benchmark.stats.resampling.ResamplingPlan`.

Verdicts
--------
A difference ``submission - reference`` is ``"better"`` when its interval lies
strictly on the better side of 0, ``"worse"`` when strictly on the worse side
and ``"not distinguishable"`` when it contains 0 (an end exactly at 0 counts as
containing it). When too many replicates are undefined for an interval, the
verdict is ``"not available"``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .checks import check_level

__all__ = [
    "BETTER",
    "DEFAULT_MAX_UNDEFINED",
    "Interval",
    "NOT_AVAILABLE",
    "NOT_DISTINGUISHABLE",
    "PairedDifference",
    "WORSE",
    "bca_ci",
    "confidence_interval",
    "paired_difference",
    "percentile_ci",
    "verdict",
    "wilson_interval",
]

#: Default largest fraction of undefined replicates an interval may drop.
DEFAULT_MAX_UNDEFINED = 0.10

# Replicates within this relative distance of the point estimate (bias
# correction) or of 0 (paired p-value) count as ties: the point and the
# replicates come from different code paths (``fn`` and ``batch``) whose
# rounding may differ in the last bits, and rounding must not decide the side.
_TIE_RTOL = 1e-12

BETTER = "better"
NOT_DISTINGUISHABLE = "not distinguishable"
WORSE = "worse"
NOT_AVAILABLE = "not available"


def _special():
    """``scipy.special``, imported on first use: a percentile interval needs none of scipy."""
    from scipy import special  # lazy: start-up time of scoring, see benchmarks/README.md

    return special


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
    >>> from benchmark.stats.intervals import percentile_ci
    >>> ci = percentile_ci(np.arange(101) / 100, level=0.9)
    >>> round(ci.low, 10), round(ci.high, 10)
    (0.05, 0.95)
    """
    level = check_level(level)
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
    >>> from benchmark.stats.intervals import bca_ci
    >>> reps = np.linspace(-1, 1, 201)
    >>> ci = bca_ci(0.0, reps, np.array([-1.0, 0.0, 1.0]), level=0.9)
    >>> round(ci.low, 10), round(ci.high, 10)
    (-0.9, 0.9)
    """
    level = check_level(level)
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
    >>> from benchmark.stats.intervals import paired_difference
    >>> a = np.array([0.8, 0.9, 0.85, 0.95])
    >>> r = paired_difference(a, a - 0.1, 0.9, 0.8)
    >>> round(r.difference, 10), round(r.p_value, 3)
    (0.1, 0.4)
    """
    level = check_level(level)
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
# Proportions
# --------------------------------------------------------------------------- #
def wilson_interval(k, m: int, level: float = 0.95) -> Optional[list[float]]:
    """Wilson score interval of a binomial proportion (Wilson 1927, JASA 22:209-212,
    doi:10.1080/01621459.1927.10502953).

    With ``p = k / m`` and ``z`` the ``(1 + level) / 2`` normal quantile::

        (p + z^2 / (2m) +- z sqrt(p (1 - p) / m + z^2 / (4 m^2))) / (1 + z^2 / m)

    clipped to [0, 1].

    Parameters
    ----------
    k : int or float
        Successes, ``0 <= k <= m``; a fractional ``k`` is an average number of successes (e.g.
        pooled reads of several readers expressed per case).
    m : int
        Trials.
    level : float, default=0.95
        Nominal coverage.

    Returns
    -------
    interval : list of float (length 2) or None
        ``None`` when ``m == 0``.

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(627, 693)]
    [0.881, 0.924]
    """
    level = check_level(level)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Real):
        raise TypeError(f"k must be a number. Got {k!r} instead.")
    m = int(m)
    k = k if isinstance(k, numbers.Integral) else float(k)
    if m < 0 or not 0 <= k <= max(m, 0):
        raise ValueError(f"k and m must satisfy 0 <= k <= m. Got k={k}, m={m} instead.")
    if m == 0:
        return None
    z = float(_special().ndtri(0.5 + level / 2.0))
    p = k / m
    denom = 1.0 + z * z / m
    centre = (p + z * z / (2.0 * m)) / denom
    half = z * math.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
    return [max(0.0, centre - half), min(1.0, centre + half)]


# --------------------------------------------------------------------------- #
# Verdicts
# --------------------------------------------------------------------------- #
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

