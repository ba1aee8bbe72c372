"""The RSNA 2022 Cervical Spine Fracture Detection competition metric (a dataset hook module).

Named by ``[hooks.metrics]`` in ``dataset.toml`` beside this file and loaded by path when the task
registry loads (:mod:`benchmark.data.contracts`), which registers every metric of :data:`METRICS`
with the package's registry and checks each task's targets against its declared column order.

Definition: weighted multi-label log loss, per study ``sum(w * bce) / sum(w)`` over its 8 columns,
then the mean over studies; weights 1 / 2 (negative / positive) for C1-C7 and 7 / 14 for
patient_overall; predictions clipped to ``[1e-15, 1 - 1e-15]``. Source: openai/mle-bench
``mlebench/competitions/rsna-2022-cervical-spine-fracture-detection/grade.py``
(``custom_comp_weighted_loss``, adapted from the host's Kaggle discussion 341854).
"""

from __future__ import annotations

import numpy as np

from benchmark.metrics.checks import check_weights, ratio, ratio_terms, validate_multilabel
from benchmark.metrics.log_loss import BINARY_LOSS_MAX, binary_losses
from benchmark.metrics.registry import Metric
from benchmark.stats.kernels import LinearTerms

#: Columns of the task, in metric order (the weights below follow it).
CSPINE_TARGETS = ("patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7")

# Competition weights, same column order as CSPINE_TARGETS (negative label,
# positive label); openai/mle-bench
# mlebench/competitions/rsna-2022-cervical-spine-fracture-detection/grade.py.
NEGATIVE_WEIGHTS = np.array([7.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
POSITIVE_WEIGHTS = np.array([14.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])


def study_losses(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Each study's weighted mean binary log loss over its 8 columns (not validated)."""
    losses = binary_losses(y_true, y_score)
    w = np.where(y_true == 1, POSITIVE_WEIGHTS, NEGATIVE_WEIGHTS)
    return (w * losses).sum(axis=1) / w.sum(axis=1)


def rsna_cspine_weighted_log_loss_batch(y_true, y_score, weights) -> np.ndarray:
    """RSNA 2022 cervical-spine weighted log loss under many study weightings.

    Parameters
    ----------
    y_true : array-like of shape (n_studies, 8)
        Labels of ``CSPINE_TARGETS`` in {0, 1} (not validated).
    y_score : array-like of shape (n_studies, 8)
        Predicted fracture probabilities (not validated).
    weights : array-like of shape (n_replicates, n_studies)
        Non-negative study weights, one weighting per row.

    Returns
    -------
    loss : ndarray of shape (n_replicates,)
        ``nan`` where the total weight is zero.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.zeros((2, 8))
    >>> y_score = np.full((2, 8), 0.5)
    >>> np.round(rsna_cspine_weighted_log_loss_batch(y_true, y_score, [[1, 0], [2, 1]]), 4)
    array([0.6931, 0.6931])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = check_weights(weights, y_true.shape[0])
    return ratio(weights, study_losses(y_true, y_score), np.ones(y_true.shape[0]))


def rsna_cspine_weighted_log_loss(y_true, y_score, sample_weight=None) -> float:
    r"""RSNA 2022 Cervical Spine Fracture Detection competition metric.

    For study ``s`` with labels ``y_sc`` and clipped predictions ``p_sc`` over
    the columns ``c`` of ``CSPINE_TARGETS`` (``patient_overall, C1..C7``):

    .. math::

        L_s = \frac{\sum_c w_{sc}\, \mathrm{bce}(y_{sc}, p_{sc})}{\sum_c w_{sc}},
        \qquad L = \frac{\sum_s m_s L_s}{\sum_s m_s}

    with ``w = 1`` (negative) / ``2`` (positive) for C1-C7, ``7`` / ``14`` for
    ``patient_overall``, predictions clipped to ``[1e-15, 1 - 1e-15]`` and
    ``m_s`` the study weight (1 without ``sample_weight``).

    The aggregation is per study: each study's weighted loss is normalised
    by that study's own total weight, then studies are averaged. This is what
    openai/mle-bench
    ``mlebench/competitions/rsna-2022-cervical-spine-fracture-detection/grade.py``
    (``custom_comp_weighted_loss``, adapted from the host's Kaggle discussion
    341854) computes, and it is the variant consistent with the published
    reference "training prevalence gives 0.5638 on the training labels": a
    single weighted mean over all rows can be evaluated from the marginal
    counts alone (961/2019 patient_overall; C1..C7 146, 285, 73, 108, 162,
    277, 393 of 2019) and gives 0.6127, whereas the per-study mean
    (0.3779 for each of the 1058 fracture-free studies, about 0.77 for the
    others) is about 0.566 when only the mean number of fractured vertebrae
    per positive study is used, matching 0.5638 up to the unknown joint
    distribution (derived; see FACTS for the counts).

    Parameters
    ----------
    y_true : array-like of shape (n_studies, 8)
        Labels in {0, 1}, columns in ``CSPINE_TARGETS`` order.
    y_score : array-like of shape (n_studies, 8)
        Predicted probabilities in [0, 1], same columns.
    sample_weight : array-like of shape (n_studies,), default=None
        Non-negative study weights (e.g. bootstrap multiplicities).

    Returns
    -------
    loss : float
        Non-negative; ``nan`` if the total weight is zero.

    Examples
    --------
    >>> import numpy as np
    >>> round(rsna_cspine_weighted_log_loss(np.zeros((3, 8)), np.full((3, 8), 0.5)), 4)
    0.6931
    """
    y_true, y_score, sw = validate_multilabel(
        y_true, y_score, sample_weight, n_columns=len(CSPINE_TARGETS), probabilities=True
    )
    return float(rsna_cspine_weighted_log_loss_batch(y_true, y_score, sw[None, :])[0])



def kernel(y_true, y_score) -> LinearTerms:
    """The metric's per-study terms: a mean of the study losses."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    return ratio_terms(study_losses(y_true, y_score), np.ones(y_true.shape[0]))


#: The metrics this dataset provides (``[hooks.metrics] names`` in dataset.toml lists them).
#: The label-dependent weights make the loss improper (a positive label costs twice as much),
#: so ``proper_scoring_rule`` stays False.
METRICS = (
    Metric(
        "rsna_cspine_weighted_log_loss", "Weighted log loss", False,
        rsna_cspine_weighted_log_loss, rsna_cspine_weighted_log_loss_batch,
        "multilabel", 0.0, BINARY_LOSS_MAX, kernel,
        calibration=True, column_order=CSPINE_TARGETS,
    ),
)
