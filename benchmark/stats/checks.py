"""Argument checks shared by the statistics modules, one rule each.

Every public statistic validates its arguments with these functions, so that a level, a
weight matrix or a pair of labels and scores is accepted or refused by the same rule, with
the same message (scikit-learn's wording: ``"<name> must be X. Got Y instead."``), whichever
statistic receives it.
"""

from __future__ import annotations

import math
import numbers
from typing import Optional

import numpy as np

__all__ = [
    "check_binary_pair",
    "check_int",
    "check_level",
    "check_names",
    "check_points",
    "check_rate",
    "check_reps_matrix",
    "check_weights",
    "float_or_none",
    "oriented",
]


def check_int(value, name: str, minimum: int) -> int:
    """An integer (not a bool) of at least ``minimum``, as a Python ``int``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer. Got {value!r} instead.")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}. Got {value} instead.")
    return value


def check_level(level, name: str = "level") -> float:
    """A confidence or significance level: a real number strictly between 0 and 1.

    Examples
    --------
    >>> check_level(0.95)
    0.95
    """
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, numbers.Real):
        raise TypeError(f"{name} must be a float in (0, 1). Got {level!r} instead.")
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"{name} must be in (0, 1). Got {level!r} instead.")
    return level


def check_rate(x, name: str) -> np.ndarray:
    """A rate (sensitivity, specificity) or an array of rates, each in [0, 1]."""
    arr = np.asarray(x, dtype=np.float64)
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must be in [0, 1]. Got {x!r} instead.")
    return arr


def check_binary_pair(y, s, name_y: str = "y", name_s: str = "s"):
    """0/1 labels and finite scores of the same non-empty 1-d shape, as float64 arrays."""
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


def check_weights(w, n: int) -> np.ndarray:
    """Case weights of shape ``(b, n)``: finite and non-negative, as float64."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape (b, {n}). Got shape {w.shape} instead.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative.")
    return w


def check_reps_matrix(reps, n_sub: Optional[int] = None) -> np.ndarray:
    """Replicates of ``S`` submissions on one plan, shape ``(S, B)``; nan = undefined."""
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


def check_points(points) -> np.ndarray:
    """Point values of ``S`` submissions, shape ``(S,)``; nan = undefined."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 1 or points.shape[0] == 0:
        raise ValueError(
            f"points must be a non-empty 1-d array. Got shape {points.shape} instead."
        )
    if np.isinf(points).any():
        raise ValueError("points must hold finite values or nan (undefined). Got infinity instead.")
    return points


def check_names(names, n: int) -> list[str]:
    """``n`` distinct names (``"0"``, ``"1"``, ... when ``names`` is None)."""
    if names is None:
        return [str(i) for i in range(n)]
    names = [str(x) for x in names]
    if len(names) != n:
        raise ValueError(f"names must have {n} entries. Got {len(names)} instead.")
    if len(set(names)) != len(names):
        raise ValueError("names must be distinct.")
    return names


def oriented(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Values with the sign flipped when lower is better, so that larger is always better."""
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(
            f"higher_is_better must be a bool. Got {type(higher_is_better).__name__} instead."
        )
    return values if higher_is_better else -values


def float_or_none(x) -> Optional[float]:
    """``float(x)``, or None when it is not finite (for JSON-ready results)."""
    x = float(x)
    return x if math.isfinite(x) else None
