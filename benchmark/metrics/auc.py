"""ROC AUC: single target, mean over targets, the curve's points, and the batch forms.

The weighted Mann-Whitney AUC equals the trapezoidal area under the weighted ROC curve, i.e.
``sklearn.metrics.roc_auc_score(y_true, y_score, sample_weight=...)``. The batch forms evaluate it
under many case weightings at once (see :mod:`benchmark.stats.kernels`).
"""

from __future__ import annotations

import numpy as np

from ..stats.kernels import AUCColumn, AUCTerms
from .checks import check_weights, validate_binary, validate_multilabel
from .registry import Metric, register

__all__ = [
    "auc_kernel",
    "mean_roc_auc",
    "mean_roc_auc_batch",
    "roc_auc",
    "roc_auc_batch",
    "roc_curve_points",
]


def _auc_column_batch(y_true: np.ndarray, y_score: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return AUCColumn(y_true, y_score).values(weights)


def roc_auc_batch(y_true, y_score, weights) -> np.ndarray:
    """Weighted ROC AUC under many case weightings at once.

    Same definition as :func:`roc_auc`. The cases are sorted once; the pairs
    are then counted for whole blocks of replicates at a time, with a matrix
    product over a (negative x positive) pair kernel for small test sets or,
    in time linear in the number of cases, a running count of the negative
    weight read at the rank of every positive (integer arithmetic for integer
    weights: exact, see :mod:`benchmark.stats.kernels`).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1} (not validated).
    y_score : array-like of shape (n_samples,)
        Scores, larger meaning more likely positive (not validated).
    weights : array-like of shape (n_replicates, n_samples)
        Non-negative case weights, one weighting per row.

    Returns
    -------
    auc : ndarray of shape (n_replicates,)
        AUC per weighting; ``nan`` where one class has zero total weight.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.metrics.auc import roc_auc_batch
    >>> y_true = np.array([0, 0, 1, 1])
    >>> y_score = np.array([0.1, 0.4, 0.35, 0.8])
    >>> weights = np.array([[1, 1, 1, 1], [0, 1, 1, 1], [1, 1, 0, 1], [0, 0, 1, 1]])
    >>> roc_auc_batch(y_true, y_score, weights)
    array([0.75, 0.5 , 1.  ,  nan])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = check_weights(weights, y_true.shape[0])
    return _auc_column_batch(y_true, y_score, weights)


def roc_auc(y_true, y_score, sample_weight=None) -> float:
    r"""Area under the ROC curve, weighted Mann-Whitney form.

    .. math::

        \mathrm{AUC} = \frac{\sum_{i \in P} \sum_{j \in N} w_i w_j
        \left([s_i > s_j] + \tfrac12 [s_i = s_j]\right)}
        {\left(\sum_{i \in P} w_i\right) \left(\sum_{j \in N} w_j\right)}

    where ``P`` and ``N`` are the positive and negative cases. This equals the
    trapezoidal area under the weighted ROC curve, i.e.
    ``sklearn.metrics.roc_auc_score(y_true, y_score, sample_weight=...)``, and
    is the per-target metric of the MRNet scorer
    (stanfordmlgroup/stanfordmlgroup.github.io ``competitions/mrnet/evaluate-v1.0.py``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1}.
    y_score : array-like of shape (n_samples,)
        Finite scores, larger meaning more likely positive.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative case weights (e.g. bootstrap multiplicities).

    Returns
    -------
    auc : float
        In [0, 1]; ``nan`` when one class has zero total weight.

    Examples
    --------
    >>> from benchmark.metrics.auc import roc_auc
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9])
    0.875
    """
    y_true, y_score, sw = validate_binary(y_true, y_score, sample_weight, probabilities=False)
    return float(_auc_column_batch(y_true, y_score, sw[None, :])[0])


def roc_curve_points(y_true, y_score, sample_weight=None):
    """Weighted ROC curve through every distinct score threshold.

    Equivalent to ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``:
    cases with zero weight are dropped, thresholds are the distinct scores in
    decreasing order preceded by ``inf`` (the point (0, 0)), and a case is
    called positive when its score is ``>=`` the threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1}.
    y_score : array-like of shape (n_samples,)
        Finite scores, larger meaning more likely positive.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative case weights.

    Returns
    -------
    fpr : ndarray of shape (n_thresholds,)
        False-positive rate at each threshold (``nan`` if no negative weight).
    tpr : ndarray of shape (n_thresholds,)
        True-positive rate at each threshold (``nan`` if no positive weight).
    thresholds : ndarray of shape (n_thresholds,)
        Decreasing thresholds, ``thresholds[0] = inf``.

    Examples
    --------
    >>> from benchmark.metrics.auc import roc_curve_points
    >>> fpr, tpr, thresholds = roc_curve_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr
    array([0. , 0. , 0.5, 0.5, 1. ])
    >>> tpr
    array([0. , 0.5, 0.5, 1. , 1. ])
    >>> thresholds
    array([ inf, 0.8 , 0.4 , 0.35, 0.1 ])
    """
    y_true, y_score, sw = validate_binary(y_true, y_score, sample_weight, probabilities=False)
    keep = sw != 0
    y_true, y_score, sw = y_true[keep], y_score[keep], sw[keep]
    order = np.argsort(-y_score, kind="stable")
    y_score, y_true, sw = y_score[order], y_true[order], sw[order]
    # Last index of each run of equal scores.
    ends = np.r_[np.flatnonzero(np.diff(y_score)), y_score.size - 1]
    tps = np.r_[0.0, np.cumsum(y_true * sw)[ends]]
    fps = np.r_[0.0, np.cumsum((1.0 - y_true) * sw)[ends]]
    thresholds = np.r_[np.inf, y_score[ends]]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def mean_roc_auc_batch(y_true, y_score, weights) -> np.ndarray:
    """Mean of per-column ROC AUCs under many case weightings at once.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_targets)
        Binary labels in {0, 1} (not validated).
    y_score : array-like of shape (n_samples, n_targets)
        Scores (not validated).
    weights : array-like of shape (n_replicates, n_samples)
        Non-negative case weights, one weighting per row.

    Returns
    -------
    mean_auc : ndarray of shape (n_replicates,)
        ``nan`` where any column's AUC is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.metrics.auc import mean_roc_auc_batch
    >>> y_true = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y_score = np.array([[0.1, 0.5], [0.2, 0.5], [0.8, 0.5], [0.9, 0.5]])
    >>> mean_roc_auc_batch(y_true, y_score, np.ones((2, 4)))
    array([0.75, 0.75])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = check_weights(weights, y_true.shape[0])
    return AUCTerms(y_true, y_score).values(weights)


def mean_roc_auc(y_true, y_score, sample_weight=None) -> float:
    """Plain mean of the per-column ROC AUCs (the MRNet competition score).

    The official MRNet scorer (stanfordmlgroup/stanfordmlgroup.github.io
    ``competitions/mrnet/evaluate-v1.0.py``) computes
    ``sklearn.metrics.roc_auc_score`` for the abnormal, ACL and meniscus
    columns and reports their unweighted mean (``Average_AUROC``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_targets)
        Binary labels in {0, 1}, one column per target.
    y_score : array-like of shape (n_samples, n_targets)
        Finite scores.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative case weights, shared by all columns.

    Returns
    -------
    mean_auc : float
        In [0, 1]; ``nan`` if any column's AUC is undefined.

    Examples
    --------
    >>> from benchmark.metrics.auc import mean_roc_auc
    >>> y_true = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> y_score = [[0.1, 0.5], [0.2, 0.5], [0.8, 0.5], [0.9, 0.5]]
    >>> mean_roc_auc(y_true, y_score)  # (1.0 + 0.5) / 2
    0.75
    """
    y_true, y_score, sw = validate_multilabel(
        y_true, y_score, sample_weight, n_columns=None, probabilities=False
    )
    return float(mean_roc_auc_batch(y_true, y_score, sw[None, :])[0])



def auc_kernel(y_true, y_score) -> AUCTerms:
    """The AUC's per-case terms (one column per target; see :mod:`benchmark.stats.kernels`)."""
    return AUCTerms(np.asarray(y_true, dtype=np.float64), np.asarray(y_score, dtype=np.float64))


register(
    Metric(
        "roc_auc", "AUC", True, roc_auc, roc_auc_batch, "binary", 0.0, 1.0, auc_kernel,
        supports_delong=True, rank_based=True,
    )
)
register(
    Metric(
        "mean_roc_auc", "Mean AUC", True, mean_roc_auc, mean_roc_auc_batch,
        "multilabel", 0.0, 1.0, auc_kernel, rank_based=True,
    )
)
