"""Binary log loss (cross-entropy) with the clipping rules competitions scored with.

Two clipping conventions are in use: the fixed bound 1e-15 (:data:`LOG_LOSS_EPS`, scikit-learn's
default before 1.2 and the RSNA 2022 grader's), and scikit-learn 1.2's ``eps="auto"``, the
float64 machine epsilon, after which each row of class probabilities was rescaled to sum to 1
(:func:`clip_and_rescale`). Both are provided here for the metrics that need them.
"""

from __future__ import annotations

import math

import numpy as np

from ..stats.kernels import LinearTerms
from .checks import check_weights, ratio, ratio_terms, validate_binary
from .registry import Metric, register

__all__ = [
    "BINARY_LOSS_MAX",
    "LOG_LOSS_EPS",
    "MACHINE_EPS",
    "binary_loss_max",
    "binary_losses",
    "clip_and_rescale",
    "log_loss",
    "log_loss_batch",
    "log_loss_kernel",
]


#: Probabilities are clipped to ``[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]`` before the
#: logarithm by the binary ``log_loss`` and by the RSNA 2022 metric, as the RSNA 2022
#: grader does (openai/mle-bench
#: ``mlebench/competitions/rsna-2022-cervical-spine-fracture-detection/grade.py``:
#: ``epsilon = 1e-15``); 1e-15 was also scikit-learn's ``log_loss`` default before
#: version 1.2.
LOG_LOSS_EPS = 1e-15

#: The float64 machine epsilon ``2**-52 = 2.220446049250313e-16``: scikit-learn's ``log_loss``
#: clipping bound from version 1.2 (``eps="auto"`` = ``np.finfo(y_pred.dtype).eps``,
#: scikit-learn 1.2 changelog, ``sklearn.metrics``) for float64 predictions.
MACHINE_EPS = float(np.finfo(np.float64).eps)


def binary_loss_max(eps: float) -> float:
    """Largest per-case binary log loss after clipping at ``eps``: ``-log(1 - (1 - eps))``.

    Evaluated in float64, so slightly above ``-log(eps)`` when ``1 - eps`` rounds.

    >>> round(binary_loss_max(1e-15), 2)
    34.54
    """
    return -math.log(1.0 - (1.0 - eps))


#: Largest per-case binary log loss after clipping at :data:`LOG_LOSS_EPS`.
BINARY_LOSS_MAX = binary_loss_max(LOG_LOSS_EPS)


def binary_losses(y_true: np.ndarray, y_score: np.ndarray, eps: float = LOG_LOSS_EPS) -> np.ndarray:
    """Per-case binary log loss, predictions clipped to ``[eps, 1 - eps]`` (not validated)."""
    p = np.clip(y_score, eps, 1.0 - eps)
    return -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))


def clip_and_rescale(y_score, eps: float = MACHINE_EPS) -> np.ndarray:
    """Clip every value to ``[eps, 1 - eps]``, then divide each row (last axis) by its sum.

    The steps of scikit-learn 1.2's ``log_loss`` on class probabilities. Because the clipping
    comes first, a value above 1 counts as ``1 - eps``; a row of zeros becomes uniform.

    >>> clip_and_rescale([[0.6, 0.3, 0.3], [0.0, 0.0, 0.0]]).round(4).tolist()
    [[0.5, 0.25, 0.25], [0.3333, 0.3333, 0.3333]]
    """
    p = np.clip(np.asarray(y_score, dtype=np.float64), eps, 1.0 - eps)
    return p / p.sum(axis=-1, keepdims=True)


def log_loss_batch(y_true, y_score, weights) -> np.ndarray:
    """Weighted binary log loss under many case weightings at once.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1} (not validated).
    y_score : array-like of shape (n_samples,)
        Predicted probabilities of the positive class (not validated).
    weights : array-like of shape (n_replicates, n_samples)
        Non-negative case weights, one weighting per row.

    Returns
    -------
    loss : ndarray of shape (n_replicates,)
        ``nan`` where the total weight is zero.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.metrics.log_loss import log_loss_batch
    >>> y_true = np.array([0, 1])
    >>> y_score = np.array([0.5, 0.75])
    >>> np.round(log_loss_batch(y_true, y_score, [[1, 0], [0, 1], [0, 0]]), 4)
    array([0.6931, 0.2877,    nan])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = check_weights(weights, y_true.shape[0])
    return ratio(weights, binary_losses(y_true, y_score), np.ones(y_true.shape[0]))


def log_loss(y_true, y_score, sample_weight=None) -> float:
    r"""Sample-weighted binary log loss (cross-entropy).

    .. math::

        L = -\frac{\sum_i w_i \left(y_i \log p_i + (1 - y_i) \log(1 - p_i)\right)}
        {\sum_i w_i}, \qquad p_i = \mathrm{clip}(s_i, 10^{-15}, 1 - 10^{-15})

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1}.
    y_score : array-like of shape (n_samples,)
        Predicted probabilities of the positive class, in [0, 1].
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative case weights.

    Returns
    -------
    loss : float
        Non-negative; ``nan`` if the total weight is zero.

    Examples
    --------
    >>> from benchmark.metrics.log_loss import log_loss
    >>> round(log_loss([0, 1, 1], [0.2, 0.8, 0.5]), 4)  # (2 ln 1.25 + ln 2) / 3
    0.3798
    """
    y_true, y_score, sw = validate_binary(y_true, y_score, sample_weight, probabilities=True)
    return float(log_loss_batch(y_true, y_score, sw[None, :])[0])



def log_loss_kernel(y_true, y_score) -> LinearTerms:
    """The log loss's per-case terms: a weighted mean of the per-case losses."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    return ratio_terms(binary_losses(y_true, y_score), np.ones(y_true.shape[0]))


register(
    Metric(
        "log_loss", "Log loss", False, log_loss, log_loss_batch, "binary", 0.0,
        BINARY_LOSS_MAX, log_loss_kernel, proper_scoring_rule=True, calibration=True,
    )
)
