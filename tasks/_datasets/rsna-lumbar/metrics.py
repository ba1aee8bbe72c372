"""The RSNA 2024 Lumbar Spine Degenerative Classification competition score (a dataset hook).

Named by ``[hooks.metrics]`` in ``dataset.toml`` beside this file and loaded by path when the task
registry loads (:mod:`benchmark.data.contracts`), which registers every metric of :data:`METRICS`
(the score and its four components) with the package's registry and checks each task's targets
and classes against their declared order (:data:`LUMBAR_TARGETS`, :data:`LUMBAR_CLASSES`).

Source of the definition: the host's metric notebook (version 10, "rsna-lumbar-metric"), as
copied in lhwcv/solution-rsna-2024-lumbar-spine ``patriot/metric.py``; see
:func:`rsna_lumbar_loss`.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from benchmark.metrics.checks import check_weights, ratio, validate_multiclass
from benchmark.metrics.log_loss import MACHINE_EPS, binary_loss_max, clip_and_rescale
from benchmark.metrics.registry import Metric
from benchmark.stats.kernels import LinearTerms, mean_of_ratios

#: Clipping bound of the RSNA 2024 lumbar metric: the float64 machine epsilon
#: ``2**-52 = 2.220446049250313e-16``. The competition's metric notebook
#: ("rsna-lumbar-metric" v10, copied in lhwcv/solution-rsna-2024-lumbar-spine
#: ``patriot/metric.py``) called ``sklearn.metrics.log_loss`` with its defaults on
#: Kaggle's image, which pinned scikit-learn 1.2.2 through 2024 (Kaggle/docker-python
#: pull requests #1371 and #1437). From scikit-learn 1.2 the default is ``eps="auto"``
#: = ``np.finfo(y_pred.dtype).eps`` (scikit-learn 1.2 changelog, ``sklearn.metrics``);
#: predictions arrive as float64, so they were clipped to ``[2**-52, 1 - 2**-52]`` and
#: each row was then rescaled to sum to 1.
LUMBAR_LOG_LOSS_EPS = MACHINE_EPS

# 1 - 2**-52 is exact in float64, so the bounds get a relative margin of
# 1e-12 for the rounding of the weighted means that reach them.
BINARY_LOSS_MAX = binary_loss_max(LUMBAR_LOG_LOSS_EPS) * (1.0 + 1e-12)

#: Largest per-row three-class loss after clipping and rescaling: the true class
#: clipped up to ``eps`` while both other classes are clipped down to ``1 - eps``.
MULTICLASS_LOSS_MAX = -math.log(
    LUMBAR_LOG_LOSS_EPS / (LUMBAR_LOG_LOSS_EPS + 2.0 * (1.0 - LUMBAR_LOG_LOSS_EPS))
) * (1.0 + 1e-12)


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


def _validate(y_true, y_score, sample_weight):
    return validate_multiclass(
        y_true, y_score, sample_weight, n_targets=len(LUMBAR_TARGETS), n_classes=len(LUMBAR_CLASSES)
    )


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
    >>> rows = [[0.6, 0.3, 0.3], [60.0, 30.0, 10.0], [0.0, 0.0, 0.0]]
    >>> rsna_lumbar_probabilities(rows).round(4).tolist()
    [[0.5, 0.25, 0.25], [0.3333, 0.3333, 0.3333], [0.3333, 0.3333, 0.3333]]
    """
    return clip_and_rescale(y_score, LUMBAR_LOG_LOSS_EPS)



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
    weights = check_weights(weights, y_true.shape[0])
    num, den = _lumbar_terms(y_true, y_score)[key]
    return ratio(weights, num, den)


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
    >>> y_true = np.zeros((2, 25), dtype=int)
    >>> y_score = np.full((2, 25, 3), 1 / 3)
    >>> np.round(rsna_lumbar_loss_batch(y_true, y_score, [[1, 1], [0, 3]]), 4)
    array([0.9253, 0.9253])
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    weights = check_weights(weights, y_true.shape[0])
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
    >>> y_true = np.zeros((2, 25), dtype=int)
    >>> y_score = np.full((2, 25, 3), 1 / 3)
    >>> round(rsna_lumbar_loss(y_true, y_score), 4)  # (3 ln 3 + ln 1.5) / 4
    0.9253
    """
    y_true, y_score, sw = _validate(y_true, y_score, sample_weight)
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
    >>> y_true = np.zeros((2, 25), dtype=int)
    >>> y_score = np.full((2, 25, 3), 1 / 3)
    >>> round({name}(y_true, y_score), 4)  # {comment}
    {value}
    """


def rsna_lumbar_spinal_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate(y_true, y_score, sample_weight)
    return float(rsna_lumbar_spinal_loss_batch(y_true, y_score, sw[None, :])[0])


def rsna_lumbar_foraminal_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate(y_true, y_score, sample_weight)
    return float(rsna_lumbar_foraminal_loss_batch(y_true, y_score, sw[None, :])[0])


def rsna_lumbar_subarticular_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate(y_true, y_score, sample_weight)
    return float(rsna_lumbar_subarticular_loss_batch(y_true, y_score, sw[None, :])[0])


def rsna_lumbar_any_severe_spinal_loss(y_true, y_score, sample_weight=None) -> float:
    y_true, y_score, sw = _validate(y_true, y_score, sample_weight)
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


#: The metrics this dataset provides (``[hooks.metrics] names`` in dataset.toml lists them).
#: The row weight ``2**grade`` depends on the true class, so none is a proper scoring rule.
_SHARED = dict(
    calibration=True, column_order=LUMBAR_TARGETS, class_order=LUMBAR_CLASSES,
    probabilities=rsna_lumbar_probabilities,
)
METRICS = (
    Metric(
        "rsna_lumbar_loss", "Competition score", False, rsna_lumbar_loss,
        rsna_lumbar_loss_batch, "multiclass", 0.0, MULTICLASS_LOSS_MAX, _lumbar_kernel, **_SHARED,
    ),
    Metric(
        "rsna_lumbar_spinal_loss", "Spinal canal stenosis loss", False,
        rsna_lumbar_spinal_loss, rsna_lumbar_spinal_loss_batch, "multiclass", 0.0,
        MULTICLASS_LOSS_MAX, _lumbar_component_kernel("spinal"), **_SHARED,
    ),
    Metric(
        "rsna_lumbar_foraminal_loss", "Neural foraminal narrowing loss", False,
        rsna_lumbar_foraminal_loss, rsna_lumbar_foraminal_loss_batch, "multiclass", 0.0,
        MULTICLASS_LOSS_MAX, _lumbar_component_kernel("foraminal"), **_SHARED,
    ),
    Metric(
        "rsna_lumbar_subarticular_loss", "Subarticular stenosis loss", False,
        rsna_lumbar_subarticular_loss, rsna_lumbar_subarticular_loss_batch, "multiclass",
        0.0, MULTICLASS_LOSS_MAX, _lumbar_component_kernel("subarticular"), **_SHARED,
    ),
    Metric(
        "rsna_lumbar_any_severe_spinal_loss", "Any severe spinal loss", False,
        rsna_lumbar_any_severe_spinal_loss, rsna_lumbar_any_severe_spinal_loss_batch,
        "multiclass", 0.0, BINARY_LOSS_MAX, _lumbar_component_kernel("any_severe_spinal"),
        **_SHARED,
    ),
)
