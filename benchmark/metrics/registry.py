"""Metric registry and pure-numpy implementations of the benchmark metrics.

Every metric is a :class:`Metric` record holding two functions over the same
definition:

* ``fn(y_true, y_score, sample_weight=None) -> float`` validates its inputs and
  evaluates the metric once;
* ``batch(y_true, y_score, weights) -> ndarray of shape (B,)`` evaluates it
  under ``B`` case weightings at once (bootstrap multiplicities, jackknife
  masks). Row ``b`` of the result equals ``fn(y_true, y_score,
  sample_weight=weights[b])``; ``fn`` is implemented as a one-row ``batch`` and
  the two agree to floating-point rounding.

A weighting under which a metric is undefined (one class only for an AUC, zero
total weight for a loss) gives ``nan``.

Input conventions (see ``docs/architecture.md``):

========== ========================== ============================
input      ``y_true``                 ``y_score``
========== ========================== ============================
binary     ``(n,)`` values 0/1        ``(n,)`` scores
multilabel ``(n, k)`` values 0/1      ``(n, k)`` probabilities
multiclass ``(n, k)`` int, -1 = none  ``(n, k, c)`` probabilities
========== ========================== ============================
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..stats.kernels import AUCColumn, AUCTerms, LinearTerms, exact_sums, mean_of_ratios

__all__ = [
    "CSPINE_TARGETS",
    "LOG_LOSS_EPS",
    "LUMBAR_LOG_LOSS_EPS",
    "LUMBAR_CLASSES",
    "LUMBAR_CONDITIONS",
    "LUMBAR_LEVELS",
    "LUMBAR_TARGETS",
    "Metric",
    "calibration_bin_index",
    "expected_calibration_error",
    "get",
    "log_loss",
    "log_loss_batch",
    "mean_roc_auc",
    "mean_roc_auc_batch",
    "names",
    "register",
    "roc_auc",
    "roc_auc_batch",
    "roc_curve_points",
    "rsna_cspine_weighted_log_loss",
    "rsna_cspine_weighted_log_loss_batch",
    "rsna_lumbar_any_severe_spinal_loss",
    "rsna_lumbar_any_severe_spinal_loss_batch",
    "rsna_lumbar_foraminal_loss",
    "rsna_lumbar_foraminal_loss_batch",
    "rsna_lumbar_loss",
    "rsna_lumbar_loss_batch",
    "rsna_lumbar_probabilities",
    "rsna_lumbar_spinal_loss",
    "rsna_lumbar_spinal_loss_batch",
    "rsna_lumbar_subarticular_loss",
    "rsna_lumbar_subarticular_loss_batch",
]

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

#: Probabilities are clipped to ``[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]`` before the
#: logarithm by the binary ``log_loss`` and by the RSNA 2022 metric, as the RSNA 2022
#: grader does (openai/mle-bench
#: ``mlebench/competitions/rsna-2022-cervical-spine-fracture-detection/grade.py``:
#: ``epsilon = 1e-15``); 1e-15 was also scikit-learn's ``log_loss`` default before
#: version 1.2.
LOG_LOSS_EPS = 1e-15

#: Clipping bound of the RSNA 2024 lumbar metric: the float64 machine epsilon
#: ``2**-52 = 2.220446049250313e-16``. The competition's metric notebook
#: ("rsna-lumbar-metric" v10, copied in lhwcv/solution-rsna-2024-lumbar-spine
#: ``patriot/metric.py``) called ``sklearn.metrics.log_loss`` with its defaults on
#: Kaggle's image, which pinned scikit-learn 1.2.2 through 2024 (Kaggle/docker-python
#: pull requests #1371 and #1437). From scikit-learn 1.2 the default is ``eps="auto"``
#: = ``np.finfo(y_pred.dtype).eps`` (scikit-learn 1.2 changelog, ``sklearn.metrics``);
#: predictions arrive as float64, so they were clipped to ``[2**-52, 1 - 2**-52]`` and
#: each row was then rescaled to sum to 1.
LUMBAR_LOG_LOSS_EPS = float(np.finfo(np.float64).eps)

#: Largest per-case binary log loss after clipping at ``eps``: ``-log(1 - (1 - eps))``
#: evaluated in float64 (slightly above ``-log(eps)`` when ``1 - eps`` rounds).
_BINARY_LOSS_MAX = -math.log(1.0 - (1.0 - LOG_LOSS_EPS))
# 1 - 2**-52 is exact in float64, so the lumbar bounds get a relative margin of
# 1e-12 for the rounding of the weighted means that reach them.
_LUMBAR_BINARY_LOSS_MAX = -math.log(1.0 - (1.0 - LUMBAR_LOG_LOSS_EPS)) * (1.0 + 1e-12)

#: Largest per-row three-class loss after clipping and rescaling: the true class
#: clipped up to ``eps`` while both other classes are clipped down to ``1 - eps``.
_LUMBAR_MULTICLASS_LOSS_MAX = -math.log(
    LUMBAR_LOG_LOSS_EPS / (LUMBAR_LOG_LOSS_EPS + 2.0 * (1.0 - LUMBAR_LOG_LOSS_EPS))
) * (1.0 + 1e-12)

#: Columns of the RSNA 2022 cervical-spine task, in metric order.
CSPINE_TARGETS = ("patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7")

# Competition weights, same column order as CSPINE_TARGETS (negative label,
# positive label); openai/mle-bench
# mlebench/competitions/rsna-2022-cervical-spine-fracture-detection/grade.py.
_CSPINE_NEGATIVE_WEIGHTS = np.array([7.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
_CSPINE_POSITIVE_WEIGHTS = np.array([14.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])

#: Conditions of the RSNA 2024 lumbar spine task.
LUMBAR_CONDITIONS = (
    "spinal_canal_stenosis",
    "left_neural_foraminal_narrowing",
    "right_neural_foraminal_narrowing",
    "left_subarticular_stenosis",
    "right_subarticular_stenosis",
)
#: Intervertebral levels of the RSNA 2024 lumbar spine task.
LUMBAR_LEVELS = ("l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1")
#: The 25 targets, ``f"{condition}_{level}"`` with the level varying fastest.
LUMBAR_TARGETS = tuple(
    f"{condition}_{level}" for condition in LUMBAR_CONDITIONS for level in LUMBAR_LEVELS
)
#: Severity classes; the class index is the grade (sample weight ``2**grade``).
LUMBAR_CLASSES = ("normal_mild", "moderate", "severe")


def _lumbar_group_columns(keyword: str) -> np.ndarray:
    # Same rule as the competition metric: a row belongs to the first of
    # spinal / foraminal / subarticular that occurs in its name.
    columns = []
    for j, target in enumerate(LUMBAR_TARGETS):
        group = next(g for g in ("spinal", "foraminal", "subarticular") if g in target)
        if group == keyword:
            columns.append(j)
    return np.asarray(columns, dtype=np.intp)


_LUMBAR_SPINAL = _lumbar_group_columns("spinal")
_LUMBAR_FORAMINAL = _lumbar_group_columns("foraminal")
_LUMBAR_SUBARTICULAR = _lumbar_group_columns("subarticular")
_SEVERE = LUMBAR_CLASSES.index("severe")

_INPUT_KINDS = ("binary", "multilabel", "multiclass")


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A registered metric: its definition, direction and display metadata.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"roc_auc"``.
    display_name : str
        Human-readable name, e.g. ``"AUC"``.
    higher_is_better : bool
        Declared direction of the metric.
    fn : callable
        ``fn(y_true, y_score, sample_weight=None) -> float``.
    batch : callable
        ``batch(y_true, y_score, weights) -> ndarray of shape (B,)`` with
        ``weights`` of shape ``(B, n_samples)``.
    input : {"binary", "multilabel", "multiclass"}
        Shape convention of ``y_true`` and ``y_score``.
    lower, upper : float
        Range of values the metric can take.
    kernel : callable, default=None
        ``kernel(y_true, y_score) -> LinearTerms | AUCTerms`` declares the metric's per-case
        terms (see :mod:`benchmark.stats.kernels`), so that the engine evaluates all linear
        metrics of a task with one product per block of replicates, AUCs in linear time, and
        the BCa jackknife in closed form. Without it, ``batch`` is used.

    Examples
    --------
    >>> from benchmark.metrics.registry import get
    >>> m = get("roc_auc")
    >>> m.display_name, m.higher_is_better, m.input, m.lower, m.upper
    ('AUC', True, 'binary', 0.0, 1.0)
    """

    name: str
    display_name: str
    higher_is_better: bool
    fn: Callable
    batch: Callable
    input: str
    lower: float
    upper: float
    kernel: Callable | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string. Got {self.name!r} instead.")
        if not isinstance(self.higher_is_better, bool):
            raise ValueError(
                "higher_is_better must be a bool. "
                f"Got {type(self.higher_is_better).__name__} instead."
            )
        if self.input not in _INPUT_KINDS:
            raise ValueError(
                f"input must be one of {_INPUT_KINDS}. Got {self.input!r} instead."
            )
        if not (callable(self.fn) and callable(self.batch)):
            raise ValueError("fn and batch must be callable.")
        if self.kernel is not None and not callable(self.kernel):
            raise ValueError("kernel must be callable or None.")
        if not float(self.lower) < float(self.upper):
            raise ValueError(
                f"lower must be smaller than upper. Got lower={self.lower!r} and "
                f"upper={self.upper!r} instead."
            )


_REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    """Add a metric to the registry.

    Parameters
    ----------
    metric : Metric
        The metric to add. Its ``name`` must not be registered yet.

    Returns
    -------
    metric : Metric
        The metric passed in.

    Raises
    ------
    ValueError
        If a metric with the same name is already registered.

    Examples
    --------
    >>> from benchmark.metrics.registry import register, get
    >>> register(get("roc_auc"))
    Traceback (most recent call last):
        ...
    ValueError: A metric named 'roc_auc' is already registered.
    """
    if not isinstance(metric, Metric):
        raise TypeError(f"metric must be a Metric. Got {type(metric).__name__} instead.")
    if metric.name in _REGISTRY:
        raise ValueError(f"A metric named {metric.name!r} is already registered.")
    _REGISTRY[metric.name] = metric
    return metric


def get(name: str) -> Metric:
    """Look a metric up by name.

    Parameters
    ----------
    name : str
        Registry key.

    Returns
    -------
    metric : Metric

    Raises
    ------
    KeyError
        If no metric has that name; the message suggests close names.

    Examples
    --------
    >>> from benchmark.metrics.registry import get
    >>> get("log_loss").higher_is_better
    False
    >>> get("roc_acu")
    Traceback (most recent call last):
        ...
    KeyError: "Unknown metric 'roc_acu'. Did you mean 'roc_auc' or 'mean_roc_auc'?"
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        pass
    close = difflib.get_close_matches(str(name), names(), n=3, cutoff=0.6)
    message = f"Unknown metric {name!r}."
    if close:
        message += " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    else:
        message += " Registered metrics: " + ", ".join(names()) + "."
    raise KeyError(message)


def names() -> list[str]:
    """Names of the registered metrics, sorted.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from benchmark.metrics.registry import names
    >>> [n for n in names() if "auc" in n]
    ['mean_roc_auc', 'roc_auc']
    """
    return sorted(_REGISTRY)


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _numeric(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be numeric. Got dtype {arr.dtype} instead.")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued. Got dtype {arr.dtype} instead.")
    return arr.astype(np.float64, copy=False)


def _check_ndim(arr: np.ndarray, ndim: int, name: str, shape_text: str) -> None:
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape {shape_text}. "
            f"Got shape {arr.shape} instead."
        )


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values. Got NaN or infinity instead.")


def _check_nonempty(arr: np.ndarray) -> None:
    if arr.shape[0] == 0:
        raise ValueError("y_true must contain at least one sample. Got 0 samples instead.")


def _check_same_shape(y_true: np.ndarray, y_score: np.ndarray) -> None:
    if y_true.shape != y_score.shape:
        raise ValueError(
            "y_true and y_score must have the same shape. "
            f"Got {y_true.shape} and {y_score.shape} instead."
        )


def _check_binary_labels(y_true: np.ndarray) -> None:
    if not np.all((y_true == 0) | (y_true == 1)):
        raise ValueError(
            "y_true must contain only the values 0 and 1. Got another value instead."
        )


def _check_probabilities(y_score: np.ndarray) -> None:
    _check_finite(y_score, "y_score")
    if np.any(y_score < 0) or np.any(y_score > 1):
        raise ValueError(
            "y_score must contain probabilities in [0, 1]. Got a value outside it instead."
        )


def _check_sample_weight(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    sw = _numeric(sample_weight, "sample_weight")
    if sw.shape != (n,):
        raise ValueError(
            f"sample_weight must be a 1-D array of shape (n_samples,) = ({n},). "
            f"Got shape {sw.shape} instead."
        )
    _check_finite(sw, "sample_weight")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative. Got a negative value instead.")
    return sw


def _check_weights(weights, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(
            "weights must be a 2-D array of shape (n_replicates, n_samples) with "
            f"n_samples = {n}. Got shape {w.shape} instead."
        )
    return w


def _validate_binary(y_true, y_score, sample_weight, *, probabilities: bool):
    y_true = _numeric(y_true, "y_true")
    y_score = _numeric(y_score, "y_score")
    _check_ndim(y_true, 1, "y_true", "(n_samples,)")
    _check_same_shape(y_true, y_score)
    _check_nonempty(y_true)
    _check_binary_labels(y_true)
    if probabilities:
        _check_probabilities(y_score)
    else:
        _check_finite(y_score, "y_score")
    sw = _check_sample_weight(sample_weight, y_true.shape[0])
    return y_true, y_score, sw


def _validate_multilabel(y_true, y_score, sample_weight, *, n_columns, probabilities):
    y_true = _numeric(y_true, "y_true")
    y_score = _numeric(y_score, "y_score")
    shape_text = "(n_samples, n_targets)" if n_columns is None else f"(n_samples, {n_columns})"
    _check_ndim(y_true, 2, "y_true", shape_text)
    if n_columns is not None and y_true.shape[1] != n_columns:
        raise ValueError(
            f"y_true must be a 2-D array of shape {shape_text}. "
            f"Got shape {y_true.shape} instead."
        )
    if y_true.shape[1] == 0:
        raise ValueError("y_true must have at least one column. Got 0 columns instead.")
    _check_same_shape(y_true, y_score)
    _check_nonempty(y_true)
    _check_binary_labels(y_true)
    if probabilities:
        _check_probabilities(y_score)
    else:
        _check_finite(y_score, "y_score")
    sw = _check_sample_weight(sample_weight, y_true.shape[0])
    return y_true, y_score, sw


def _validate_lumbar(y_true, y_score, sample_weight):
    k, c = len(LUMBAR_TARGETS), len(LUMBAR_CLASSES)
    y_true = _numeric(y_true, "y_true")
    y_score = _numeric(y_score, "y_score")
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
    _check_nonempty(y_true)
    if not np.all(np.isin(y_true, (-1, 0, 1, 2))):
        raise ValueError(
            "y_true must contain only the class indices 0, 1, 2 or -1 for unlabelled. "
            "Got another value instead."
        )
    _check_finite(y_score, "y_score")
    if np.any(y_score < 0):
        raise ValueError("y_score must be non-negative. Got a negative value instead.")
    sw = _check_sample_weight(sample_weight, y_true.shape[0])
    return y_true.astype(np.int64), y_score, sw


def _ratio(weights: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``(weights @ numerator) / (weights @ denominator)``, nan where the latter is 0.

    The sums are exact for integer weights (:func:`benchmark.stats.kernels.exact_sums`), so the
    result does not depend on the BLAS library, its processor kernel or its threads.
    """
    return mean_of_ratios(exact_sums(weights, np.column_stack([numerator, denominator])))


def _ratio_terms(numerator: np.ndarray, denominator: np.ndarray) -> LinearTerms:
    return LinearTerms(np.column_stack([numerator, denominator]), mean_of_ratios)


# ---------------------------------------------------------------------------
# ROC AUC
# ---------------------------------------------------------------------------


def _auc_batch(y_true: np.ndarray, y_score: np.ndarray, weights: np.ndarray) -> np.ndarray:
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
    >>> from benchmark.metrics.registry import roc_auc_batch
    >>> y_true = np.array([0, 0, 1, 1])
    >>> y_score = np.array([0.1, 0.4, 0.35, 0.8])
    >>> weights = np.array([[1, 1, 1, 1], [0, 1, 1, 1], [1, 1, 0, 1], [0, 0, 1, 1]])
    >>> roc_auc_batch(y_true, y_score, weights)
    array([0.75, 0.5 , 1.  ,  nan])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = _check_weights(weights, y_true.shape[0])
    return _auc_batch(y_true, y_score, weights)


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
    >>> from benchmark.metrics.registry import roc_auc
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9])
    0.875
    """
    y_true, y_score, sw = _validate_binary(y_true, y_score, sample_weight, probabilities=False)
    return float(_auc_batch(y_true, y_score, sw[None, :])[0])


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
    >>> from benchmark.metrics.registry import roc_curve_points
    >>> fpr, tpr, thresholds = roc_curve_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr
    array([0. , 0. , 0.5, 0.5, 1. ])
    >>> tpr
    array([0. , 0.5, 0.5, 1. , 1. ])
    >>> thresholds
    array([ inf, 0.8 , 0.4 , 0.35, 0.1 ])
    """
    y_true, y_score, sw = _validate_binary(y_true, y_score, sample_weight, probabilities=False)
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
    >>> from benchmark.metrics.registry import mean_roc_auc_batch
    >>> y_true = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y_score = np.array([[0.1, 0.5], [0.2, 0.5], [0.8, 0.5], [0.9, 0.5]])
    >>> mean_roc_auc_batch(y_true, y_score, np.ones((2, 4)))
    array([0.75, 0.75])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = _check_weights(weights, y_true.shape[0])
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
    >>> from benchmark.metrics.registry import mean_roc_auc
    >>> y_true = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> y_score = [[0.1, 0.5], [0.2, 0.5], [0.8, 0.5], [0.9, 0.5]]
    >>> mean_roc_auc(y_true, y_score)  # (1.0 + 0.5) / 2
    0.75
    """
    y_true, y_score, sw = _validate_multilabel(
        y_true, y_score, sample_weight, n_columns=None, probabilities=False
    )
    return float(mean_roc_auc_batch(y_true, y_score, sw[None, :])[0])


# ---------------------------------------------------------------------------
# Binary log loss
# ---------------------------------------------------------------------------


def _binary_losses(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    p = np.clip(y_score, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))


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
    >>> from benchmark.metrics.registry import log_loss_batch
    >>> y_true = np.array([0, 1])
    >>> y_score = np.array([0.5, 0.75])
    >>> np.round(log_loss_batch(y_true, y_score, [[1, 0], [0, 1], [0, 0]]), 4)
    array([0.6931, 0.2877,    nan])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = _check_weights(weights, y_true.shape[0])
    return _ratio(weights, _binary_losses(y_true, y_score), np.ones(y_true.shape[0]))


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
    >>> from benchmark.metrics.registry import log_loss
    >>> round(log_loss([0, 1, 1], [0.2, 0.8, 0.5]), 4)  # (2 ln 1.25 + ln 2) / 3
    0.3798
    """
    y_true, y_score, sw = _validate_binary(y_true, y_score, sample_weight, probabilities=True)
    return float(log_loss_batch(y_true, y_score, sw[None, :])[0])


# ---------------------------------------------------------------------------
# RSNA 2022 cervical spine: weighted multi-label log loss
# ---------------------------------------------------------------------------


def _cspine_study_losses(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    losses = _binary_losses(y_true, y_score)
    w = np.where(y_true == 1, _CSPINE_POSITIVE_WEIGHTS, _CSPINE_NEGATIVE_WEIGHTS)
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
    >>> from benchmark.metrics.registry import rsna_cspine_weighted_log_loss_batch
    >>> y_true = np.zeros((2, 8))
    >>> y_score = np.full((2, 8), 0.5)
    >>> np.round(rsna_cspine_weighted_log_loss_batch(y_true, y_score, [[1, 0], [2, 1]]), 4)
    array([0.6931, 0.6931])
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = _check_weights(weights, y_true.shape[0])
    return _ratio(weights, _cspine_study_losses(y_true, y_score), np.ones(y_true.shape[0]))


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
    >>> from benchmark.metrics.registry import rsna_cspine_weighted_log_loss
    >>> round(rsna_cspine_weighted_log_loss(np.zeros((3, 8)), np.full((3, 8), 0.5)), 4)
    0.6931
    """
    y_true, y_score, sw = _validate_multilabel(
        y_true, y_score, sample_weight, n_columns=len(CSPINE_TARGETS), probabilities=True
    )
    return float(rsna_cspine_weighted_log_loss_batch(y_true, y_score, sw[None, :])[0])


# ---------------------------------------------------------------------------
# RSNA 2024 lumbar spine degenerative classification
# ---------------------------------------------------------------------------


def rsna_lumbar_probabilities(y_score) -> np.ndarray:
    """Class probabilities as the RSNA 2024 metric scored them.

    Every value is clipped to ``[eps, 1 - eps]`` with ``eps =``
    :data:`LUMBAR_LOG_LOSS_EPS` (the float64 machine epsilon), then each row is
    divided by its sum: the steps of scikit-learn 1.2.2's ``log_loss``, which
    the competition's metric called. Because the clipping comes first, a value
    above 1 counts as ``1 - eps``: a row of percentages is *not* the same
    prediction as the row divided by 100 (``[60, 30, 10]`` scores as
    ``[1/3, 1/3, 1/3]``), whereas a row of values in [0, 1] that does not sum
    to 1 is simply normalised. A row of zeros gives 1/3 for each class.

    Parameters
    ----------
    y_score : array-like of shape (..., n_classes)
        Non-negative finite predictions (not validated).

    Returns
    -------
    probabilities : ndarray of the same shape
        Rows in ``(0, 1)`` summing to 1.

    Examples
    --------
    >>> from benchmark.metrics.registry import rsna_lumbar_probabilities
    >>> rows = [[0.6, 0.3, 0.3], [60.0, 30.0, 10.0], [0.0, 0.0, 0.0]]
    >>> rsna_lumbar_probabilities(rows).round(4).tolist()
    [[0.5, 0.25, 0.25], [0.3333, 0.3333, 0.3333], [0.3333, 0.3333, 0.3333]]
    """
    p = np.clip(np.asarray(y_score, dtype=np.float64), LUMBAR_LOG_LOSS_EPS, 1.0 - LUMBAR_LOG_LOSS_EPS)
    return p / p.sum(axis=-1, keepdims=True)


def _lumbar_terms(y_true: np.ndarray, y_score: np.ndarray) -> dict:
    """Per-study numerators and denominators of the four lumbar losses."""
    labelled = y_true >= 0
    grade = np.where(labelled, y_true, 0).astype(np.intp)
    row_weight = np.where(labelled, 2.0 ** grade, 0.0)

    # Multi-class rows: clip at the float64 epsilon, then rescale each row to
    # sum 1 (scikit-learn 1.2.2 log_loss), then the negative log of the true class.
    p = rsna_lumbar_probabilities(y_score)
    p_true = np.take_along_axis(p, grade[..., None], axis=-1)[..., 0]
    weighted_loss = np.where(labelled, row_weight * -np.log(p_true), 0.0)

    terms = {}
    for key, cols in (
        ("spinal", _LUMBAR_SPINAL),
        ("foraminal", _LUMBAR_FORAMINAL),
        ("subarticular", _LUMBAR_SUBARTICULAR),
    ):
        terms[key] = (weighted_loss[:, cols].sum(axis=1), row_weight[:, cols].sum(axis=1))

    # any_severe_spinal: one binary case per study with a labelled spinal row.
    sp_labelled = labelled[:, _LUMBAR_SPINAL]
    sp_label = np.any(sp_labelled & (y_true[:, _LUMBAR_SPINAL] == _SEVERE), axis=1)
    raw_severe = np.where(sp_labelled, y_score[:, _LUMBAR_SPINAL, _SEVERE], -np.inf).max(axis=1)
    study_weight = row_weight[:, _LUMBAR_SPINAL].max(axis=1)
    has_spinal = sp_labelled.any(axis=1)
    q = np.clip(
        np.where(has_spinal, raw_severe, 0.5), LUMBAR_LOG_LOSS_EPS, 1.0 - LUMBAR_LOG_LOSS_EPS
    )
    # Two-column form [1 - q, q], rescaled to sum 1, as the metric's log_loss call did.
    total = (1.0 - q) + q
    p_label = np.where(sp_label, q, 1.0 - q) / total
    terms["any_severe_spinal"] = (study_weight * -np.log(p_label), study_weight)
    return terms


def _lumbar_component(key: str, y_true, y_score, weights) -> np.ndarray:
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = _check_weights(weights, y_true.shape[0])
    num, den = _lumbar_terms(y_true, y_score)[key]
    return _ratio(weights, num, den)


_LUMBAR_BATCH_DOC = """RSNA 2024 lumbar {what} under many study weightings at once.

    See :func:`rsna_lumbar_loss` for the definition.

    Parameters
    ----------
    y_true : array-like of shape (n_studies, 25)
        Class index 0/1/2 per target of ``LUMBAR_TARGETS``, -1 for unlabelled
        (not validated).
    y_score : array-like of shape (n_studies, 25, 3)
        Non-negative predicted probabilities of ``LUMBAR_CLASSES``
        (not validated).
    weights : array-like of shape (n_replicates, n_studies)
        Non-negative study weights, one weighting per row; a study's weight
        multiplies the weights of all its rows.

    Returns
    -------
    loss : ndarray of shape (n_replicates,)
        ``nan`` where the weighting leaves no {none}.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.metrics.registry import {name}
    >>> y_true = np.zeros((2, 25), dtype=int)
    >>> y_score = np.full((2, 25, 3), 1 / 3)
    >>> np.round({name}(y_true, y_score, [[1, 1], [0, 3]]), 4)
    array([{value}, {value}])
    """


def rsna_lumbar_spinal_loss_batch(y_true, y_score, weights) -> np.ndarray:
    return _lumbar_component("spinal", y_true, y_score, weights)


def rsna_lumbar_foraminal_loss_batch(y_true, y_score, weights) -> np.ndarray:
    return _lumbar_component("foraminal", y_true, y_score, weights)


def rsna_lumbar_subarticular_loss_batch(y_true, y_score, weights) -> np.ndarray:
    return _lumbar_component("subarticular", y_true, y_score, weights)


def rsna_lumbar_any_severe_spinal_loss_batch(y_true, y_score, weights) -> np.ndarray:
    return _lumbar_component("any_severe_spinal", y_true, y_score, weights)


for _f, _what, _none, _value in (
    (rsna_lumbar_spinal_loss_batch, "spinal canal stenosis loss",
     "labelled spinal row", "1.0986"),
    (rsna_lumbar_foraminal_loss_batch, "neural foraminal narrowing loss",
     "labelled foraminal row", "1.0986"),
    (rsna_lumbar_subarticular_loss_batch, "subarticular stenosis loss",
     "labelled subarticular row", "1.0986"),
    (rsna_lumbar_any_severe_spinal_loss_batch, "any-severe spinal loss",
     "study with a labelled spinal row", "0.4055"),
):
    _f.__doc__ = _LUMBAR_BATCH_DOC.format(
        what=_what, none=_none, name=_f.__name__, value=_value
    )
del _f, _what, _none, _value


def rsna_lumbar_loss_batch(y_true, y_score, weights) -> np.ndarray:
    """RSNA 2024 lumbar competition score under many study weightings at once.

    See :func:`rsna_lumbar_loss` for the definition.

    Parameters
    ----------
    y_true : array-like of shape (n_studies, 25)
        Class index 0/1/2 per target of ``LUMBAR_TARGETS``, -1 for unlabelled
        (not validated).
    y_score : array-like of shape (n_studies, 25, 3)
        Non-negative predicted probabilities of ``LUMBAR_CLASSES``
        (not validated).
    weights : array-like of shape (n_replicates, n_studies)
        Non-negative study weights, one weighting per row.

    Returns
    -------
    score : ndarray of shape (n_replicates,)
        Mean of the four component losses; ``nan`` where any is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.metrics.registry import rsna_lumbar_loss_batch
    >>> y_true = np.zeros((2, 25), dtype=int)
    >>> y_score = np.full((2, 25, 3), 1 / 3)
    >>> np.round(rsna_lumbar_loss_batch(y_true, y_score, [[1, 1], [0, 3]]), 4)
    array([0.9253, 0.9253])
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = _check_weights(weights, y_true.shape[0])
    return _lumbar_kernel(y_true, y_score).values(weights)


def rsna_lumbar_loss(y_true, y_score, sample_weight=None) -> float:
    """RSNA 2024 Lumbar Spine Degenerative Classification competition score.

    Lower is better. Definition of the host's metric notebook (version 10,
    "rsna-lumbar-metric"), as copied in lhwcv/solution-rsna-2024-lumbar-spine
    ``patriot/metric.py`` (``CALC_score``):

    1. Every labelled row (study x target) gets the weight ``2**grade``:
       1 / 2 / 4 for normal_mild / moderate / severe; unlabelled rows
       (``y_true == -1``) are not scored.
    2. For each condition group -- spinal canal stenosis (5 targets),
       neural foraminal narrowing (10) and subarticular stenosis (10) -- a
       weighted three-class log loss over its labelled rows. The metric called
       ``sklearn.metrics.log_loss`` with its defaults under scikit-learn 1.2.2
       (Kaggle's image, Kaggle/docker-python pull requests #1371 and #1437),
       whose ``eps="auto"`` clipped the predictions to ``[eps, 1 - eps]`` with
       ``eps`` the float64 machine epsilon ``2**-52 = 2.22e-16``
       (:data:`LUMBAR_LOG_LOSS_EPS`; the former default 1e-15 ended with
       scikit-learn 1.2) and *then* rescaled each row to sum to 1 (see
       :func:`rsna_lumbar_probabilities`). That behaviour is reproduced here;
       current scikit-learn neither clips nor rescales this way.
    3. ``any_severe_spinal``: one binary case per study with at least one
       labelled spinal row; label = 1 if any of them is severe, prediction =
       the largest submitted severe value over those rows (as submitted, not
       rescaled with its row; then clipped to ``[eps, 1 - eps]``), weight =
       the largest row weight (4 if any severe, else 2 if any moderate, else
       1). Weighted binary log loss over studies.
    4. Score = plain mean of the four losses.

    A confidently wrong row costs about ``-ln(2.22e-16) = 36.04`` (weighted),
    4.4% more than the ``-ln(1e-15) = 34.54`` of the pre-1.2 default, so files
    with exact 0/1 entries score accordingly higher.

    With ``sample_weight`` (study multiplicities) every row weight of study
    ``s``, and its any-severe weight, is multiplied by ``sample_weight[s]``.
    Where the competition's scikit-learn call raised an error because the
    any-severe labels held one class only, the weighted loss defined above is
    returned. Negative or non-finite predictions are rejected, as the metric
    rejected them; values above 1 are accepted and clipped like any other.

    Parameters
    ----------
    y_true : array-like of shape (n_studies, 25)
        Class index in {0, 1, 2} (``LUMBAR_CLASSES``) per target of
        ``LUMBAR_TARGETS``, or -1 for unlabelled.
    y_score : array-like of shape (n_studies, 25, 3)
        Non-negative finite predicted probabilities; rows need not sum to 1
        (values above 1 count as ``1 - eps``, see step 2).
    sample_weight : array-like of shape (n_studies,), default=None
        Non-negative study weights.

    Returns
    -------
    score : float
        Non-negative; ``nan`` if a component has zero total weight.

    See Also
    --------
    rsna_lumbar_spinal_loss, rsna_lumbar_foraminal_loss,
    rsna_lumbar_subarticular_loss, rsna_lumbar_any_severe_spinal_loss :
        The four components.

    Examples
    --------
    Uniform predictions for studies whose rows are all normal_mild: each group
    loss is ``ln 3``, the any-severe loss is ``-ln(2/3)``.

    >>> import numpy as np
    >>> from benchmark.metrics.registry import rsna_lumbar_loss
    >>> y_true = np.zeros((2, 25), dtype=int)
    >>> y_score = np.full((2, 25, 3), 1 / 3)
    >>> round(rsna_lumbar_loss(y_true, y_score), 4)  # (3 ln 3 + ln 1.5) / 4
    0.9253
    """
    y_true, y_score, sw = _validate_lumbar(y_true, y_score, sample_weight)
    return float(rsna_lumbar_loss_batch(y_true, y_score, sw[None, :])[0])


_LUMBAR_FN_DOC = """RSNA 2024 lumbar {what}: one of the four score components.

    {definition}
    See :func:`rsna_lumbar_loss` for the weighting, clipping and rescaling
    rules and their source.

    Parameters
    ----------
    y_true : array-like of shape (n_studies, 25)
        Class index in {{0, 1, 2}} per target of ``LUMBAR_TARGETS``, or -1 for
        unlabelled.
    y_score : array-like of shape (n_studies, 25, 3)
        Non-negative finite predicted probabilities of ``LUMBAR_CLASSES``.
    sample_weight : array-like of shape (n_studies,), default=None
        Non-negative study weights.

    Returns
    -------
    loss : float
        Non-negative; ``nan`` if there is no {none} with positive weight.

    Examples
    --------
    >>> import numpy as np
    >>> from benchmark.metrics.registry import {name}
    >>> y_true = np.zeros((2, 25), dtype=int)
    >>> y_score = np.full((2, 25, 3), 1 / 3)
    >>> round({name}(y_true, y_score), 4)  # {comment}
    {value}
    """


def rsna_lumbar_spinal_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate_lumbar(y_true, y_score, sample_weight)
    return float(rsna_lumbar_spinal_loss_batch(y_true, y_score, sw[None, :])[0])


def rsna_lumbar_foraminal_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate_lumbar(y_true, y_score, sample_weight)
    return float(rsna_lumbar_foraminal_loss_batch(y_true, y_score, sw[None, :])[0])


def rsna_lumbar_subarticular_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate_lumbar(y_true, y_score, sample_weight)
    return float(rsna_lumbar_subarticular_loss_batch(y_true, y_score, sw[None, :])[0])


def rsna_lumbar_any_severe_spinal_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate_lumbar(y_true, y_score, sample_weight)
    return float(rsna_lumbar_any_severe_spinal_loss_batch(y_true, y_score, sw[None, :])[0])


_GROUP_DEFINITION = (
    "Weighted three-class log loss over the labelled rows of the {targets}\n"
    "    targets (row weight ``2**grade`` times the study weight), predictions\n"
    "    clipped to ``[eps, 1 - eps]`` (``eps`` = float64 machine epsilon) and\n"
    "    then rescaled to sum 1 per row.\n"
)
for _f, _what, _definition, _none, _comment, _value in (
    (rsna_lumbar_spinal_loss, "spinal canal stenosis loss",
     _GROUP_DEFINITION.format(targets="5 ``spinal_canal_stenosis_*``"),
     "labelled spinal row", "ln 3", "1.0986"),
    (rsna_lumbar_foraminal_loss, "neural foraminal narrowing loss",
     _GROUP_DEFINITION.format(targets="10 ``*_neural_foraminal_narrowing_*``"),
     "labelled foraminal row", "ln 3", "1.0986"),
    (rsna_lumbar_subarticular_loss, "subarticular stenosis loss",
     _GROUP_DEFINITION.format(targets="10 ``*_subarticular_stenosis_*``"),
     "labelled subarticular row", "ln 3", "1.0986"),
    (rsna_lumbar_any_severe_spinal_loss, "any-severe spinal loss",
     "Weighted binary log loss over studies with a labelled spinal row:\n"
     "    label = any labelled spinal row severe, prediction = largest submitted\n"
     "    severe value over those rows (then clipped at the float64 epsilon),\n"
     "    weight = largest row weight times the study weight.\n",
     "study with a labelled spinal row", "-ln(2/3)", "0.4055"),
):
    _f.__doc__ = _LUMBAR_FN_DOC.format(
        what=_what, definition=_definition, none=_none, name=_f.__name__,
        comment=_comment, value=_value,
    )
del _f, _what, _definition, _none, _comment, _value


# ---------------------------------------------------------------------------
# Kernels: the per-case terms each metric is made of (see benchmark.stats.kernels)
# ---------------------------------------------------------------------------


def _auc_kernel(y_true, y_score) -> AUCTerms:
    return AUCTerms(np.asarray(y_true, dtype=np.float64), np.asarray(y_score, dtype=np.float64))


def _log_loss_kernel(y_true, y_score) -> LinearTerms:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    return _ratio_terms(_binary_losses(y_true, y_score), np.ones(y_true.shape[0]))


def _cspine_kernel(y_true, y_score) -> LinearTerms:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    return _ratio_terms(_cspine_study_losses(y_true, y_score), np.ones(y_true.shape[0]))


_LUMBAR_KEYS = ("spinal", "foraminal", "subarticular", "any_severe_spinal")


def _lumbar_kernel(y_true, y_score, keys=_LUMBAR_KEYS) -> LinearTerms:
    terms = _lumbar_terms(np.asarray(y_true, dtype=np.int64), np.asarray(y_score, dtype=np.float64))
    # Numerators first, then denominators: the mean of the ratios.
    return LinearTerms(
        np.column_stack([terms[k][0] for k in keys] + [terms[k][1] for k in keys]), mean_of_ratios
    )


def _lumbar_component_kernel(key: str) -> Callable:
    def kernel(y_true, y_score) -> LinearTerms:
        return _lumbar_kernel(y_true, y_score, (key,))

    kernel.__name__ = f"_lumbar_{key}_kernel"
    return kernel


# ---------------------------------------------------------------------------
# Calibration: reliability bins and expected calibration error
# ---------------------------------------------------------------------------


def calibration_bin_index(y_prob, n_bins: int = 10) -> np.ndarray:
    """Equal-width reliability bin of each probability, bins closed on the right.

    Bin ``m`` (0-based) is ``(m/M, (m+1)/M]`` and the first bin is closed,
    ``[0, 1/M]``: the bins ``B_m`` of Guo, Pleiss, Sun & Weinberger, "On
    Calibration of Modern Neural Networks", ICML 2017 (arXiv:1706.04599),
    Section 2, and of scikit-learn's ``calibration_curve(strategy="uniform")``.
    The edges are ``m / M`` correctly rounded, so a probability written as
    0.3 falls in ``(0.2, 0.3]`` with 10 bins.

    Parameters
    ----------
    y_prob : array-like of shape (n_samples,)
        Probabilities in [0, 1] (not validated).
    n_bins : int, default=10
        Number of bins ``M``.

    Returns
    -------
    index : ndarray of int of shape (n_samples,)
        Values in ``0 .. n_bins - 1``.

    Examples
    --------
    >>> from benchmark.metrics.registry import calibration_bin_index
    >>> calibration_bin_index([0.0, 0.1, 0.10001, 0.3, 0.95, 1.0]).tolist()
    [0, 0, 1, 2, 9, 9]
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer. Got {n_bins!r} instead.")
    n_bins = int(n_bins)
    edges = np.arange(n_bins + 1) / n_bins
    idx = np.searchsorted(edges, np.asarray(y_prob, dtype=np.float64), side="left") - 1
    return np.clip(idx, 0, n_bins - 1)


def expected_calibration_error(y_true, y_prob, n_bins: int = 10) -> float:
    r"""Expected calibration error over equal-width, right-closed bins.

    .. math::

        \mathrm{ECE} = \sum_{m} \frac{|B_m|}{n}
        \left| \bar y_{B_m} - \bar p_{B_m} \right|

    the weighted mean absolute gap between the observed event rate and the
    mean predicted probability of each bin (Guo et al., ICML 2017, eq. 3, with
    accuracy and confidence of the positive class); bins as in
    :func:`calibration_bin_index`; empty bins contribute nothing.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1}.
    y_prob : array-like of shape (n_samples,)
        Predicted probabilities of the positive class, in [0, 1].
    n_bins : int, default=10

    Returns
    -------
    ece : float
        In [0, 1]; ``nan`` for no samples.

    Examples
    --------
    >>> from benchmark.metrics.registry import expected_calibration_error
    >>> # bins (0.2, 0.3]: 0.25, 0.3 -> rate 1/2, mean 0.275; (0.9, 1]: 0.95 -> 1 vs 0.95
    >>> round(expected_calibration_error([0, 1, 1], [0.25, 0.3, 0.95]), 4)
    0.1667
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    n = y_true.shape[0]
    if n == 0:
        return float("nan")
    idx = calibration_bin_index(y_prob, n_bins)
    count = np.bincount(idx, minlength=n_bins)
    events = np.bincount(idx, weights=y_true, minlength=n_bins)
    total_p = np.bincount(idx, weights=y_prob, minlength=n_bins)
    used = count > 0
    return float(np.abs(events[used] - total_p[used]).sum() / n)


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------

register(
    Metric("roc_auc", "AUC", True, roc_auc, roc_auc_batch, "binary", 0.0, 1.0, _auc_kernel)
)
register(
    Metric(
        "mean_roc_auc", "Mean AUC", True, mean_roc_auc, mean_roc_auc_batch,
        "multilabel", 0.0, 1.0, _auc_kernel,
    )
)
register(
    Metric("log_loss", "Log loss", False, log_loss, log_loss_batch, "binary", 0.0,
           _BINARY_LOSS_MAX, _log_loss_kernel)
)
register(
    Metric(
        "rsna_cspine_weighted_log_loss", "Weighted log loss", False,
        rsna_cspine_weighted_log_loss, rsna_cspine_weighted_log_loss_batch,
        "multilabel", 0.0, _BINARY_LOSS_MAX, _cspine_kernel,
    )
)
register(
    Metric(
        "rsna_lumbar_loss", "Competition score", False, rsna_lumbar_loss,
        rsna_lumbar_loss_batch, "multiclass", 0.0, _LUMBAR_MULTICLASS_LOSS_MAX, _lumbar_kernel,
    )
)
register(
    Metric(
        "rsna_lumbar_spinal_loss", "Spinal canal stenosis loss", False,
        rsna_lumbar_spinal_loss, rsna_lumbar_spinal_loss_batch, "multiclass", 0.0,
        _LUMBAR_MULTICLASS_LOSS_MAX, _lumbar_component_kernel("spinal"),
    )
)
register(
    Metric(
        "rsna_lumbar_foraminal_loss", "Neural foraminal narrowing loss", False,
        rsna_lumbar_foraminal_loss, rsna_lumbar_foraminal_loss_batch, "multiclass", 0.0,
        _LUMBAR_MULTICLASS_LOSS_MAX, _lumbar_component_kernel("foraminal"),
    )
)
register(
    Metric(
        "rsna_lumbar_subarticular_loss", "Subarticular stenosis loss", False,
        rsna_lumbar_subarticular_loss, rsna_lumbar_subarticular_loss_batch, "multiclass",
        0.0, _LUMBAR_MULTICLASS_LOSS_MAX, _lumbar_component_kernel("subarticular"),
    )
)
register(
    Metric(
        "rsna_lumbar_any_severe_spinal_loss", "Any severe spinal loss", False,
        rsna_lumbar_any_severe_spinal_loss, rsna_lumbar_any_severe_spinal_loss_batch,
        "multiclass", 0.0, _LUMBAR_BINARY_LOSS_MAX, _lumbar_component_kernel("any_severe_spinal"),
    )
)
