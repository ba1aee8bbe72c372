"""Input checks shared by the metrics, with scikit-learn's wording ("must be X. Got Y instead.").

Every public metric function validates its inputs with these helpers before it evaluates; the
``*_batch`` forms, called by the bootstrap engine on arrays already checked, only check the shape
of the weights. :func:`ratio` and :func:`ratio_terms` are the weighted mean every loss is made of.
"""

from __future__ import annotations

import numpy as np

from ..stats.kernels import LinearTerms, exact_sums, mean_of_ratios

__all__ = [
    "as_numeric",
    "check_binary_labels",
    "check_finite",
    "check_ndim",
    "check_nonempty",
    "check_probabilities",
    "check_same_shape",
    "check_sample_weight",
    "check_weights",
    "ratio",
    "ratio_terms",
    "validate_binary",
    "validate_multiclass",
    "validate_multilabel",
]


def as_numeric(x, name: str) -> np.ndarray:
    """``x`` as a float64 array; refused when it is not real-valued numeric (or bool)."""
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be numeric. Got dtype {arr.dtype} instead.")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued. Got dtype {arr.dtype} instead.")
    return arr.astype(np.float64, copy=False)


def check_ndim(arr: np.ndarray, ndim: int, name: str, shape_text: str) -> None:
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape {shape_text}. "
            f"Got shape {arr.shape} instead."
        )


def check_finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values. Got NaN or infinity instead.")


def check_nonempty(arr: np.ndarray) -> None:
    if arr.shape[0] == 0:
        raise ValueError("y_true must contain at least one sample. Got 0 samples instead.")


def check_same_shape(y_true: np.ndarray, y_score: np.ndarray) -> None:
    if y_true.shape != y_score.shape:
        raise ValueError(
            "y_true and y_score must have the same shape. "
            f"Got {y_true.shape} and {y_score.shape} instead."
        )


def check_binary_labels(y_true: np.ndarray) -> None:
    if not np.all((y_true == 0) | (y_true == 1)):
        raise ValueError(
            "y_true must contain only the values 0 and 1. Got another value instead."
        )


def check_probabilities(y_score: np.ndarray) -> None:
    check_finite(y_score, "y_score")
    if np.any(y_score < 0) or np.any(y_score > 1):
        raise ValueError(
            "y_score must contain probabilities in [0, 1]. Got a value outside it instead."
        )


def check_sample_weight(sample_weight, n: int) -> np.ndarray:
    """The case weights: ones when None, else a finite non-negative ``(n,)`` array."""
    if sample_weight is None:
        return np.ones(n)
    sw = as_numeric(sample_weight, "sample_weight")
    if sw.shape != (n,):
        raise ValueError(
            f"sample_weight must be a 1-D array of shape (n_samples,) = ({n},). "
            f"Got shape {sw.shape} instead."
        )
    check_finite(sw, "sample_weight")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative. Got a negative value instead.")
    return sw


def check_weights(weights, n: int) -> np.ndarray:
    """The replicate weights of a ``*_batch`` call, shape ``(n_replicates, n)``."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(
            "weights must be a 2-D array of shape (n_replicates, n_samples) with "
            f"n_samples = {n}. Got shape {w.shape} instead."
        )
    return w


def validate_binary(y_true, y_score, sample_weight, *, probabilities: bool):
    """Check a binary pair ``(n,)`` / ``(n,)``; returns float arrays and the case weights."""
    y_true = as_numeric(y_true, "y_true")
    y_score = as_numeric(y_score, "y_score")
    check_ndim(y_true, 1, "y_true", "(n_samples,)")
    check_same_shape(y_true, y_score)
    check_nonempty(y_true)
    check_binary_labels(y_true)
    if probabilities:
        check_probabilities(y_score)
    else:
        check_finite(y_score, "y_score")
    sw = check_sample_weight(sample_weight, y_true.shape[0])
    return y_true, y_score, sw


def validate_multilabel(y_true, y_score, sample_weight, *, n_columns, probabilities):
    """Check a multi-label pair ``(n, k)`` / ``(n, k)`` (``k = n_columns`` when given)."""
    y_true = as_numeric(y_true, "y_true")
    y_score = as_numeric(y_score, "y_score")
    shape_text = "(n_samples, n_targets)" if n_columns is None else f"(n_samples, {n_columns})"
    check_ndim(y_true, 2, "y_true", shape_text)
    if n_columns is not None and y_true.shape[1] != n_columns:
        raise ValueError(
            f"y_true must be a 2-D array of shape {shape_text}. "
            f"Got shape {y_true.shape} instead."
        )
    if y_true.shape[1] == 0:
        raise ValueError("y_true must have at least one column. Got 0 columns instead.")
    check_same_shape(y_true, y_score)
    check_nonempty(y_true)
    check_binary_labels(y_true)
    if probabilities:
        check_probabilities(y_score)
    else:
        check_finite(y_score, "y_score")
    sw = check_sample_weight(sample_weight, y_true.shape[0])
    return y_true, y_score, sw


def validate_multiclass(y_true, y_score, sample_weight, *, n_targets: int, n_classes: int):
    """Check a multi-class pair: class indices ``(n, k)`` (-1 unlabelled), scores ``(n, k, c)``."""
    k, c = n_targets, n_classes
    y_true = as_numeric(y_true, "y_true")
    y_score = as_numeric(y_score, "y_score")
    if y_true.ndim != 2 or y_true.shape[1] != k:
        raise ValueError(
            f"y_true must be a 2-D array of shape (n_samples, {k}). "
            f"Got shape {y_true.shape} instead."
        )
    if y_score.shape != (y_true.shape[0], k, c):
        raise ValueError(
            f"y_score must be a 3-D array of shape (n_samples, {k}, {c}) = "
            f"({y_true.shape[0]}, {k}, {c}). Got shape {y_score.shape} instead."
        )
    check_nonempty(y_true)
    if not np.all(np.isin(y_true, (-1, *range(c)))):
        raise ValueError(
            f"y_true must contain only the class indices {', '.join(map(str, range(c)))} or -1 "
            "for unlabelled. Got another value instead."
        )
    check_finite(y_score, "y_score")
    if np.any(y_score < 0):
        raise ValueError("y_score must be non-negative. Got a negative value instead.")
    sw = check_sample_weight(sample_weight, y_true.shape[0])
    return y_true.astype(np.int64), y_score, sw


def ratio(weights: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``(weights @ numerator) / (weights @ denominator)``, nan where the latter is 0.

    The sums are exact for integer weights (:func:`benchmark.stats.kernels.exact_sums`), so the
    result does not depend on the BLAS library, its processor kernel or its threads.
    """
    return mean_of_ratios(exact_sums(weights, np.column_stack([numerator, denominator])))


def ratio_terms(numerator: np.ndarray, denominator: np.ndarray) -> LinearTerms:
    """The kernel of a weighted mean ``sum(w * numerator) / sum(w * denominator)``."""
    return LinearTerms(np.column_stack([numerator, denominator]), mean_of_ratios)
