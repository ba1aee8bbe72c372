"""Tests of benchmark.metrics (registry, AUC, log loss, calibration) and of the competition
metrics in the RSNA dataset folders' hook modules.

Golden values come from scikit-learn (roc_auc_score, roc_curve, log_loss),
from hand computations written out below with explicit numbers, or from small
reference implementations written here directly from the metric definitions.
"""

import dataclasses
import doctest
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import roc_auc_score, roc_curve

from pathlib import Path

import benchmark.metrics.auc as auc_module
import benchmark.metrics.calibration as calibration_module
import benchmark.metrics.log_loss as log_loss_module
import benchmark.metrics.registry as metrics
import benchmark.stats.kernels as kernels
from benchmark.data.contracts import load_metric_hook
from benchmark.metrics.auc import mean_roc_auc, mean_roc_auc_batch, roc_auc, roc_auc_batch, roc_curve_points
from benchmark.metrics.calibration import calibration_bin_index, expected_calibration_error
from benchmark.metrics.log_loss import log_loss
from benchmark.metrics.registry import Metric, get, names, register

# The competition metrics live in their dataset folders; loading the hooks registers them.
DATASETS = Path(__file__).resolve().parents[1] / "tasks" / "_datasets"
CSPINE = load_metric_hook(DATASETS / "rsna-cspine" / "dataset.toml")
LUMBAR = load_metric_hook(DATASETS / "rsna-lumbar" / "dataset.toml")
CSPINE_TARGETS = CSPINE.CSPINE_TARGETS
rsna_cspine_weighted_log_loss = CSPINE.rsna_cspine_weighted_log_loss
LUMBAR_CLASSES, LUMBAR_CONDITIONS = LUMBAR.LUMBAR_CLASSES, LUMBAR.LUMBAR_CONDITIONS
LUMBAR_LEVELS, LUMBAR_TARGETS = LUMBAR.LUMBAR_LEVELS, LUMBAR.LUMBAR_TARGETS
rsna_lumbar_loss = LUMBAR.rsna_lumbar_loss
rsna_lumbar_spinal_loss = LUMBAR.rsna_lumbar_spinal_loss
rsna_lumbar_foraminal_loss = LUMBAR.rsna_lumbar_foraminal_loss
rsna_lumbar_subarticular_loss = LUMBAR.rsna_lumbar_subarticular_loss
rsna_lumbar_any_severe_spinal_loss = LUMBAR.rsna_lumbar_any_severe_spinal_loss

EPS = 1e-15  # binary log loss and RSNA 2022 (openai/mle-bench grade.py: epsilon = 1e-15)
# RSNA 2024: scikit-learn 1.2.2's log_loss default eps="auto", the float64 machine
# epsilon, written here as the power of two it is.
LUMBAR_EPS = 2.0 ** -52


# ---------------------------------------------------------------------------
# Registry and constants
# ---------------------------------------------------------------------------

EXPECTED = {
    # name: (display_name, higher_is_better, input)
    "roc_auc": ("AUC", True, "binary"),
    "mean_roc_auc": ("Mean AUC", True, "multilabel"),
    "log_loss": ("Log loss", False, "binary"),
    "rsna_cspine_weighted_log_loss": ("Weighted log loss", False, "multilabel"),
    "rsna_lumbar_loss": ("Competition score", False, "multiclass"),
    "rsna_lumbar_spinal_loss": ("Spinal canal stenosis loss", False, "multiclass"),
    "rsna_lumbar_foraminal_loss": ("Neural foraminal narrowing loss", False, "multiclass"),
    "rsna_lumbar_subarticular_loss": ("Subarticular stenosis loss", False, "multiclass"),
    "rsna_lumbar_any_severe_spinal_loss": ("Any severe spinal loss", False, "multiclass"),
}


def test_registered_names_and_metadata():
    assert names() == sorted(EXPECTED)
    for name, (display, higher, kind) in EXPECTED.items():
        m = get(name)
        assert m.name == name
        assert m.display_name == display
        assert m.higher_is_better is higher
        assert m.input == kind
        assert m.lower < m.upper


def test_bounds_declared():
    assert (get("roc_auc").lower, get("roc_auc").upper) == (0.0, 1.0)
    assert (get("mean_roc_auc").lower, get("mean_roc_auc").upper) == (0.0, 1.0)
    for name in EXPECTED:
        if not get(name).higher_is_better:
            assert get(name).lower == 0.0
            # A clipped log loss cannot exceed about -ln(eps / 2) per row.
            eps = LUMBAR_EPS if name.startswith("rsna_lumbar") else EPS
            assert -math.log(eps) <= get(name).upper < -math.log(eps / 2.5)


def test_get_unknown_name_suggests_close_names():
    with pytest.raises(KeyError, match="Did you mean 'roc_auc'"):
        get("roc_acu")
    with pytest.raises(KeyError, match="Did you mean 'log_loss'"):
        get("logloss")
    with pytest.raises(KeyError, match="Registered metrics: .*rsna_lumbar_loss"):
        get("qwertyuiop")


def test_register_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        register(get("log_loss"))
    clone = dataclasses.replace(get("roc_auc"), display_name="Other")
    with pytest.raises(ValueError, match="'roc_auc' is already registered"):
        register(clone)
    assert get("roc_auc").display_name == "AUC"


def test_register_rejects_non_metric():
    with pytest.raises(TypeError, match="must be a Metric"):
        register("roc_auc")


def test_metric_is_frozen_and_validated():
    m = get("roc_auc")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.higher_is_better = False
    with pytest.raises(ValueError, match="input must be one of"):
        Metric("x_auc", "X", True, roc_auc, roc_auc_batch, "ranking", 0.0, 1.0)
    with pytest.raises(ValueError, match="lower must be smaller than upper"):
        Metric("x_auc", "X", True, roc_auc, roc_auc_batch, "binary", 1.0, 0.0)
    with pytest.raises(ValueError, match="higher_is_better must be a bool"):
        Metric("x_auc", "X", 1, roc_auc, roc_auc_batch, "binary", 0.0, 1.0)


def test_target_constants():
    assert CSPINE_TARGETS == ("patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7")
    assert LUMBAR_CLASSES == ("normal_mild", "moderate", "severe")
    assert LUMBAR_CONDITIONS == (
        "spinal_canal_stenosis",
        "left_neural_foraminal_narrowing",
        "right_neural_foraminal_narrowing",
        "left_subarticular_stenosis",
        "right_subarticular_stenosis",
    )
    assert LUMBAR_LEVELS == ("l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1")
    assert len(LUMBAR_TARGETS) == 25 and len(set(LUMBAR_TARGETS)) == 25
    assert LUMBAR_TARGETS[0] == "spinal_canal_stenosis_l1_l2"
    assert LUMBAR_TARGETS[4] == "spinal_canal_stenosis_l5_s1"
    assert LUMBAR_TARGETS[5] == "left_neural_foraminal_narrowing_l1_l2"
    assert LUMBAR_TARGETS[24] == "right_subarticular_stenosis_l5_s1"


@pytest.mark.parametrize("module, at_least", [
    (metrics, 4), (auc_module, 6), (log_loss_module, 4), (calibration_module, 2),
    (CSPINE, 2), (LUMBAR, 10),
])
def test_doctests_pass(module, at_least):
    # The hook modules live outside the package's test paths: their examples run here.
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= at_least
    assert result.failed == 0


# ---------------------------------------------------------------------------
# ROC AUC
# ---------------------------------------------------------------------------


def _binary_data(rng, n, decimals=None, prevalence=0.4):
    y = (rng.random(n) < prevalence).astype(float)
    y[:2] = [0.0, 1.0]  # both classes present
    s = rng.random(n)
    if decimals is not None:
        s = np.round(s, decimals)
    return y, s


def test_roc_auc_hand_examples():
    # pairs (pos, neg): (0.35, 0.1) win, (0.35, 0.4) loss, (0.8, *) two wins -> 3/4
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # one tie (0.5, 0.5) counts one half: (1 + 0.5 + 1 + 1) / 4
    assert roc_auc([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9]) == 0.875
    # weighted: pos (0.9, w=1), (0.3, w=3); neg (0.3, w=2), (0.8, w=4)
    # numerator 1*2 + 1*4 + 0.5*3*2 + 0 = 9; denominator (1+3)(2+4) = 24
    assert roc_auc([1, 0, 1, 0], [0.9, 0.3, 0.3, 0.8], sample_weight=[1, 2, 3, 4]) == 0.375


@pytest.mark.parametrize("n", [7, 60, 400, 3000])
@pytest.mark.parametrize("decimals", [None, 1, 2])
@pytest.mark.parametrize("weighting", ["none", "float", "integer"])
def test_roc_auc_matches_sklearn(n, decimals, weighting):
    rng = np.random.default_rng([n, decimals or 0, len(weighting)])
    y, s = _binary_data(rng, n, decimals)
    if weighting == "none":
        w = None
    elif weighting == "float":
        w = rng.random(n) * 3
    else:
        w = rng.integers(0, 4, n).astype(float)
        w[:2] = 1.0
    expected = roc_auc_score(y, s, sample_weight=w)
    assert roc_auc(y, s, sample_weight=w) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("max_pairs", [0, 10**9])
def test_roc_auc_both_algorithms_match_sklearn(monkeypatch, max_pairs):
    # Force the sorted (max_pairs=0) or the dense pair-kernel path, each with real-valued
    # weights (floating-point kernel) and integer weights (integer kernel).
    monkeypatch.setattr(kernels, "_AUC_DENSE_MAX_PAIRS", max_pairs)
    rng = np.random.default_rng(11)
    for n, decimals in [(5, 1), (50, 1), (300, None), (300, 2)]:
        y, s = _binary_data(rng, n, decimals)
        for w in (rng.random(n), rng.integers(0, 4, n).astype(float)):
            expected = roc_auc_score(y, s, sample_weight=w)
            assert roc_auc(y, s, w) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("n, B", [(50, 600), (3000, 360)])
def test_roc_auc_batch_rows_match_sklearn(n, B):
    # B crosses the internal block boundaries of both algorithms.
    rng = np.random.default_rng(n)
    y, s = _binary_data(rng, n, decimals=2, prevalence=0.1 if n == 50 else 0.3)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=B).astype(float)
    weights[3, y == 1] = 0.0  # a replicate without positives
    got = roc_auc_batch(y, s, weights)
    assert got.shape == (B,)
    for b in range(B):
        w = weights[b]
        if w[y == 1].sum() == 0 or w[y == 0].sum() == 0:
            assert np.isnan(got[b])
        else:
            assert got[b] == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    assert np.isnan(got[3])


def test_roc_auc_nan_when_one_class():
    assert np.isnan(roc_auc([1, 1, 1], [0.2, 0.3, 0.4]))
    assert np.isnan(roc_auc([0, 1, 1], [0.2, 0.3, 0.4], sample_weight=[0, 1, 1]))
    out = roc_auc_batch([0, 1], [0.1, 0.9], np.zeros((0, 2)))
    assert out.shape == (0,)


def test_roc_auc_input_validation():
    with pytest.raises(ValueError, match="y_true must contain only the values 0 and 1"):
        roc_auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"same shape. Got \(3,\) and \(2,\) instead"):
        roc_auc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="1-D array"):
        roc_auc([[0, 1]], [[0.1, 0.2]])
    with pytest.raises(ValueError, match="finite"):
        roc_auc([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="numeric"):
        roc_auc([0, 1], ["a", "b"])
    with pytest.raises(ValueError, match="at least one sample"):
        roc_auc([], [])
    with pytest.raises(ValueError, match=r"sample_weight must be a 1-D array .* Got shape \(3,\)"):
        roc_auc([0, 1], [0.1, 0.2], sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        roc_auc([0, 1], [0.1, 0.2], sample_weight=[1, -1])


def test_roc_curve_points_matches_sklearn():
    rng = np.random.default_rng(5)
    for decimals in (None, 1):
        y, s = _binary_data(rng, 80, decimals)
        for w in (None, rng.random(80), rng.integers(0, 3, 80).astype(float)):
            if w is not None:
                w[:2] = 1.0
            fpr, tpr, thr = roc_curve_points(y, s, sample_weight=w)
            e_fpr, e_tpr, e_thr = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
            np.testing.assert_array_equal(thr, e_thr)
            np.testing.assert_allclose(fpr, e_fpr, rtol=0, atol=1e-12)
            np.testing.assert_allclose(tpr, e_tpr, rtol=0, atol=1e-12)
            # Trapezoidal area under the points is the AUC.
            area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)
            assert area == pytest.approx(roc_auc(y, s, w), abs=1e-12)


def test_roc_curve_points_hand_example_and_one_class():
    fpr, tpr, thr = roc_curve_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(thr, [np.inf, 0.8, 0.4, 0.35, 0.1])
    fpr, tpr, _ = roc_curve_points([1, 1], [0.3, 0.6])
    assert np.all(np.isnan(fpr))
    np.testing.assert_array_equal(tpr, [0, 0.5, 1])


def test_mean_roc_auc_is_plain_mean_of_sklearn_aucs():
    rng = np.random.default_rng(3)
    n = 120
    y = np.column_stack([(rng.random(n) < p).astype(float) for p in (95 / 120, 54 / 120, 0.43)])
    s = np.round(rng.random((n, 3)) * 0.6 + 0.4 * y, 2)
    w = rng.integers(0, 3, n).astype(float)
    expected = np.mean([roc_auc_score(y[:, j], s[:, j], sample_weight=w) for j in range(3)])
    assert mean_roc_auc(y, s, w) == pytest.approx(expected, abs=1e-12)
    expected = np.mean([roc_auc_score(y[:, j], s[:, j]) for j in range(3)])
    assert mean_roc_auc(y, s) == pytest.approx(expected, abs=1e-12)


def test_mean_roc_auc_nan_if_any_column_undefined():
    y = np.array([[0, 1], [1, 1], [0, 1]])
    s = np.array([[0.1, 0.2], [0.9, 0.3], [0.4, 0.5]])
    assert np.isnan(mean_roc_auc(y, s))
    out = mean_roc_auc_batch(y, s, [[1, 1, 1], [1, 0, 1]])
    assert np.all(np.isnan(out))


# ---------------------------------------------------------------------------
# Binary log loss
# ---------------------------------------------------------------------------


def test_log_loss_matches_sklearn():
    rng = np.random.default_rng(8)
    y, _ = _binary_data(rng, 200)
    p = rng.uniform(0.001, 0.999, 200)
    for w in (None, rng.random(200), rng.integers(0, 5, 200)):
        expected = sk_log_loss(y, p, sample_weight=w, labels=[0, 1])
        assert log_loss(y, p, sample_weight=w) == pytest.approx(expected, rel=1e-12)


def test_log_loss_hand_values_and_clipping():
    assert log_loss([0, 1, 1], [0.2, 0.8, 0.5]) == pytest.approx(
        (2 * math.log(1.25) + math.log(2)) / 3, rel=1e-14
    )
    # 0 and 1 are clipped to 1e-15 and 1 - 1e-15.
    expected = (-math.log(EPS) - math.log(1 - (1 - EPS))) / 2
    assert log_loss([1, 0], [0.0, 1.0]) == pytest.approx(expected, rel=1e-14)
    assert 0 < log_loss([1, 0], [1.0, 0.0]) < 1e-14
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        log_loss([0, 1], [0.5, 1.5])
    assert np.isnan(log_loss([0, 1], [0.5, 0.5], sample_weight=[0, 0]))


# ---------------------------------------------------------------------------
# RSNA 2022 cervical spine
# ---------------------------------------------------------------------------


def test_cspine_half_everywhere_is_ln2():
    rng = np.random.default_rng(2)
    y = (rng.random((30, 8)) < 0.3).astype(float)
    got = rsna_cspine_weighted_log_loss(y, np.full((30, 8), 0.5))
    assert got == pytest.approx(math.log(2), rel=1e-14)


def test_cspine_hand_computed_two_studies():
    # Study A: fracture at C2. Columns patient_overall, C1..C7.
    y_a = [1, 0, 1, 0, 0, 0, 0, 0]
    p_a = [0.8, 0.1, 0.6, 0.2, 0.1, 0.1, 0.1, 0.1]
    # weights: overall positive 14, C1 negative 1, C2 positive 2, C3..C7 negative 1
    num_a = (
        14 * -math.log(0.8)
        + 1 * -math.log(0.9)
        + 2 * -math.log(0.6)
        + 1 * -math.log(0.8)
        + 4 * -math.log(0.9)
    )
    den_a = 14 + 1 + 2 + 1 + 4
    # Study B: no fracture; overall negative weight 7, C1..C7 negative 1 each.
    y_b = [0] * 8
    p_b = [0.3] + [0.05] * 7
    num_b = 7 * -math.log(0.7) + 7 * -math.log(0.95)
    den_b = 7 + 7
    loss_a, loss_b = num_a / den_a, num_b / den_b

    y = np.array([y_a, y_b], dtype=float)
    p = np.array([p_a, p_b])
    got = rsna_cspine_weighted_log_loss(y, p)
    assert got == pytest.approx((loss_a + loss_b) / 2, rel=1e-14)
    # Per-study normalisation, not one weighted mean over all 16 rows.
    assert got != pytest.approx((num_a + num_b) / (den_a + den_b), rel=1e-3)
    # Study weights (bootstrap multiplicities) weight the study losses.
    got = rsna_cspine_weighted_log_loss(y, p, sample_weight=[3, 1])
    assert got == pytest.approx((3 * loss_a + loss_b) / 4, rel=1e-14)


def test_cspine_matches_loop_reference():
    rng = np.random.default_rng(4)
    n = 25
    y = (rng.random((n, 8)) < 0.25).astype(float)
    y[:, 0] = y[:, 1:].max(axis=1)
    p = rng.random((n, 8))
    p[0, :3] = [0.0, 1.0, 1.0]  # clipped values
    w_neg = [7, 1, 1, 1, 1, 1, 1, 1]
    w_pos = [14, 2, 2, 2, 2, 2, 2, 2]
    study_losses = []
    for i in range(n):
        num = den = 0.0
        for c in range(8):
            q = min(max(p[i, c], EPS), 1 - EPS)
            wt = w_pos[c] if y[i, c] == 1 else w_neg[c]
            bce = -math.log(q) if y[i, c] == 1 else -math.log(1 - q)
            num += wt * bce
            den += wt
        study_losses.append(num / den)
    assert rsna_cspine_weighted_log_loss(y, p) == pytest.approx(np.mean(study_losses), rel=1e-13)


def test_cspine_input_validation():
    with pytest.raises(ValueError, match=r"shape \(n_samples, 8\). Got shape \(2, 7\)"):
        rsna_cspine_weighted_log_loss(np.zeros((2, 7)), np.zeros((2, 7)))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        rsna_cspine_weighted_log_loss(np.zeros((2, 8)), np.full((2, 8), -0.1))


# ---------------------------------------------------------------------------
# RSNA 2024 lumbar spine
# ---------------------------------------------------------------------------

# Written out independently of the module's constants.
_REF_TARGETS = [
    f"{cond}_{lvl}"
    for cond in [
        "spinal_canal_stenosis",
        "left_neural_foraminal_narrowing",
        "right_neural_foraminal_narrowing",
        "left_subarticular_stenosis",
        "right_subarticular_stenosis",
    ]
    for lvl in ["l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1"]
]


def _sklearn_122_rows(pred_rows):
    """Clip to [2**-52, 1 - 2**-52], then rescale every row to sum 1."""
    out = []
    for row in pred_rows:
        clipped = [min(max(v, LUMBAR_EPS), 1 - LUMBAR_EPS) for v in row]
        total = sum(clipped)
        out.append([v / total for v in clipped])
    return out


def reference_lumbar(y, s):
    """The competition metric written from its definition (long format, loops)."""
    records = []
    for i in range(y.shape[0]):
        for j, target in enumerate(_REF_TARGETS):
            if y[i, j] < 0:
                continue
            records.append(
                {
                    "study": i,
                    "target": target,
                    "grade": int(y[i, j]),
                    "normal_mild": s[i, j, 0],
                    "moderate": s[i, j, 1],
                    "severe": s[i, j, 2],
                }
            )
    df = pd.DataFrame.from_records(records)
    df["weight"] = 2.0 ** df["grade"]
    df["condition"] = [
        "spinal" if "spinal" in t else "foraminal" if "foraminal" in t else "subarticular"
        for t in df["target"]
    ]
    out = {}
    for condition in ["spinal", "foraminal", "subarticular"]:
        part = df[df["condition"] == condition]
        probs = _sklearn_122_rows(part[["normal_mild", "moderate", "severe"]].to_numpy())
        num = den = 0.0
        for prob, grade, weight in zip(probs, part["grade"], part["weight"]):
            num += weight * -math.log(prob[grade])
            den += weight
        out[condition] = num / den
    spinal = df[df["condition"] == "spinal"].copy()
    spinal["is_severe"] = (spinal["grade"] == 2).astype(int)
    grouped = spinal.groupby("study")
    labels = grouped["is_severe"].max()
    preds = grouped["severe"].max()
    weights = grouped["weight"].max()
    num = den = 0.0
    for label, pred, weight in zip(labels, preds, weights):
        q = min(max(pred, LUMBAR_EPS), 1 - LUMBAR_EPS)
        two = [1 - q, q]
        total = two[0] + two[1]
        num += weight * -math.log(two[label] / total)
        den += weight
    out["any_severe_spinal"] = num / den
    out["score"] = (
        out["spinal"] + out["foraminal"] + out["subarticular"] + out["any_severe_spinal"]
    ) / 4
    return out


LUMBAR_FUNCTIONS = {
    "spinal": rsna_lumbar_spinal_loss,
    "foraminal": rsna_lumbar_foraminal_loss,
    "subarticular": rsna_lumbar_subarticular_loss,
    "any_severe_spinal": rsna_lumbar_any_severe_spinal_loss,
    "score": rsna_lumbar_loss,
}


def _lumbar_data(rng, n, unlabelled=0.15):
    y = rng.choice([0, 1, 2], size=(n, 25), p=[0.6, 0.25, 0.15])
    y[rng.random((n, 25)) < unlabelled] = -1
    y[0, :] = 2  # at least one severe study
    y[1, :5] = 0  # and one study without severe spinal rows
    # Positive, not summing to one; some exact zeros, some values above 1.
    s = rng.gamma(0.7, 1.0, size=(n, 25, 3)) * rng.uniform(0.2, 2.0, size=(n, 25, 1))
    s[rng.random((n, 25, 3)) < 0.05] = 0.0
    s[2, 3] = 0.0  # a row of zeros
    return y, s


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lumbar_matches_reference(seed):
    rng = np.random.default_rng(seed)
    y, s = _lumbar_data(rng, 40)
    y[3, :5] = -1  # a study without labelled spinal rows
    expected = reference_lumbar(y, s)
    for key, fn in LUMBAR_FUNCTIONS.items():
        assert fn(y, s) == pytest.approx(expected[key], rel=1e-12), key


def test_lumbar_study_weights_equal_repeated_studies():
    rng = np.random.default_rng(9)
    y, s = _lumbar_data(rng, 20)
    w = rng.integers(0, 4, 20)
    w[:2] = 1
    expected = reference_lumbar(np.repeat(y, w, axis=0), np.repeat(s, w, axis=0))
    for key, fn in LUMBAR_FUNCTIONS.items():
        assert fn(y, s, sample_weight=w) == pytest.approx(expected[key], rel=1e-12), key


def test_lumbar_groups_match_sklearn_on_normalised_rows():
    # With predictions already clipped and rescaled, and no probability so small
    # that the current scikit-learn clips it again, scikit-learn 1.2.2 and the
    # current log_loss agree, so the current one is a reference here (only here:
    # it no longer clips and rescales the way the competition's scorer did).
    rng = np.random.default_rng(6)
    y, s = _lumbar_data(rng, 30)
    s = s + 1e-3  # no exact zeros; values above 1 are still clipped to 1 - eps
    p = np.clip(s, LUMBAR_EPS, 1 - LUMBAR_EPS)
    p = p / p.sum(axis=2, keepdims=True)
    for key, cols in [("spinal", range(0, 5)), ("foraminal", range(5, 15)),
                      ("subarticular", range(15, 25))]:
        yy = y[:, list(cols)].ravel()
        pp = p[:, list(cols)].reshape(-1, 3)
        keep = yy >= 0
        expected = sk_log_loss(yy[keep], pp[keep], sample_weight=2.0 ** yy[keep],
                               labels=[0, 1, 2])
        assert LUMBAR_FUNCTIONS[key](y, s) == pytest.approx(expected, rel=1e-10), key


def test_lumbar_clip_then_rescale_hand_example():
    y = np.full((1, 25), -1)
    s = np.full((1, 25, 3), 1.0 / 3)
    y[0, 0], s[0, 0] = 1, [0.2, 0.2, 0.0]  # -> [0.5, 0.5, ~0], true moderate: ln 2, w 2
    y[0, 1], s[0, 1] = 0, [0.0, 0.0, 0.0]  # -> [1/3, 1/3, 1/3], true normal: ln 3, w 1
    expected = (2 * math.log(2) + math.log(3)) / 3
    assert rsna_lumbar_spinal_loss(y, s) == pytest.approx(expected, rel=1e-13)
    # No labelled foraminal or subarticular rows: those components are undefined.
    assert np.isnan(rsna_lumbar_foraminal_loss(y, s))
    assert np.isnan(rsna_lumbar_subarticular_loss(y, s))
    assert np.isnan(rsna_lumbar_loss(y, s))


def test_lumbar_any_severe_hand_example():
    y = np.zeros((2, 25), dtype=int)
    s = np.full((2, 25, 3), 1.0 / 3)
    # Study 1: spinal grades 0, 1, 2, unlabelled, 0 -> label 1, weight 4;
    # raw severe predictions over labelled rows 0.1, 0.2, 0.7, 0.3 -> 0.7
    # (the unlabelled row's 0.95 is not used).
    y[0, :5] = [0, 1, 2, -1, 0]
    s[0, :5, 2] = [0.1, 0.2, 0.7, 0.95, 0.3]
    # Study 2: grades 0, 0, 1, unlabelled, unlabelled -> label 0, weight 2;
    # prediction max(0.05, 0.1, 0.2) = 0.2.
    y[1, :5] = [0, 0, 1, -1, -1]
    s[1, :5, 2] = [0.05, 0.1, 0.2, 0.9, 0.9]
    expected = (4 * -math.log(0.7) + 2 * -math.log(0.8)) / 6
    assert rsna_lumbar_any_severe_spinal_loss(y, s) == pytest.approx(expected, rel=1e-13)
    # Study weights multiply: study 1 counted twice.
    expected = (8 * -math.log(0.7) + 2 * -math.log(0.8)) / 10
    got = rsna_lumbar_any_severe_spinal_loss(y, s, sample_weight=[2, 1])
    assert got == pytest.approx(expected, rel=1e-13)


def test_lumbar_uniform_predictions():
    y = np.zeros((3, 25), dtype=int)
    s = np.full((3, 25, 3), 1.0 / 3)
    assert rsna_lumbar_spinal_loss(y, s) == pytest.approx(math.log(3), rel=1e-14)
    assert rsna_lumbar_any_severe_spinal_loss(y, s) == pytest.approx(math.log(1.5), rel=1e-14)
    assert rsna_lumbar_loss(y, s) == pytest.approx(
        (3 * math.log(3) + math.log(1.5)) / 4, rel=1e-14
    )


def test_lumbar_input_validation():
    y = np.zeros((2, 25), dtype=int)
    s = np.full((2, 25, 3), 1.0 / 3)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 25\). Got shape \(2, 24\)"):
        rsna_lumbar_loss(y[:, :24], s[:, :24])
    with pytest.raises(ValueError, match=r"y_score must be a 3-D array .* Got shape \(2, 25, 2\)"):
        rsna_lumbar_loss(y, s[:, :, :2])
    bad = y.copy()
    bad[0, 0] = 3
    with pytest.raises(ValueError, match="class indices 0, 1, 2 or -1"):
        rsna_lumbar_loss(bad, s)
    neg = s.copy()
    neg[0, 0, 0] = -0.01
    with pytest.raises(ValueError, match="non-negative"):
        rsna_lumbar_loss(y, neg)
    inf = s.copy()
    inf[1, 2, 1] = np.inf
    with pytest.raises(ValueError, match="finite"):
        rsna_lumbar_spinal_loss(y, inf)


# ---------------------------------------------------------------------------
# Properties of every registered metric
# ---------------------------------------------------------------------------


def make_inputs(metric, rng, n=40):
    """(y_true, random, perfect, worst) predictions for the metric's input kind."""
    if metric.input == "binary":
        y = (rng.random(n) < 0.4).astype(float)
        y[:2] = [0.0, 1.0]
        random = np.round(rng.random(n), 2)
        return y, random, y.copy(), 1.0 - y
    if metric.input == "multilabel":
        y = (rng.random((n, 8)) < 0.35).astype(float)
        y[0], y[1] = 0.0, 1.0
        random = np.round(rng.random((n, 8)), 2)
        return y, random, y.copy(), 1.0 - y
    assert metric.input == "multiclass"
    y = rng.choice([0, 1, 2], size=(n, 25), p=[0.5, 0.3, 0.2])
    y[rng.random((n, 25)) < 0.1] = -1
    y[0, :5] = 2
    y[1, :5] = 0
    random = rng.dirichlet([1.0, 1.0, 1.0], size=(n, 25))
    labels = np.where(y >= 0, y, 0)
    perfect = np.eye(3)[labels]
    # Confidently wrong: severe rows get normal_mild, other rows severe,
    # except spinal rows of studies with a severe spinal row, which avoid
    # severe so that the any-severe prediction is wrong too.
    wrong = np.where(labels == 2, 0, 2)
    severe_study = (y[:, :5] == 2).any(axis=1)
    wrong[severe_study, :5] = np.where(labels[severe_study, :5] == 0, 1, 0)
    worst = np.eye(3)[wrong]
    return y, random, perfect, worst


ALL = sorted(EXPECTED)


def test_property_tests_cover_every_registered_metric():
    assert ALL == names()


@pytest.mark.parametrize("name", ALL)
def test_invariant_to_case_order(name):
    m = get(name)
    rng = np.random.default_rng(21)
    y, s, _, _ = make_inputs(m, rng)
    w = rng.integers(0, 4, y.shape[0]).astype(float)
    w[:2] = 1.0
    perm = rng.permutation(y.shape[0])
    assert m.fn(y[perm], s[perm]) == pytest.approx(m.fn(y, s), rel=1e-12)
    assert m.fn(y[perm], s[perm], w[perm]) == pytest.approx(m.fn(y, s, w), rel=1e-12)
    weights = rng.multinomial(y.shape[0], np.full(y.shape[0], 1 / y.shape[0]), size=7)
    np.testing.assert_allclose(
        m.batch(y[perm], s[perm], weights[:, perm]), m.batch(y, s, weights), rtol=1e-12
    )


@pytest.mark.parametrize("name", ALL)
def test_values_within_declared_bounds(name):
    m = get(name)
    rng = np.random.default_rng(22)
    y, random, perfect, worst = make_inputs(m, rng)
    for s in (random, perfect, worst):
        v = m.fn(y, s)
        assert isinstance(v, float)
        assert m.lower <= v <= m.upper


@pytest.mark.parametrize("name", ALL)
def test_perfect_predictions_give_best_value(name):
    m = get(name)
    y, _, perfect, _ = make_inputs(m, np.random.default_rng(23))
    best = m.upper if m.higher_is_better else m.lower
    assert m.fn(y, perfect) == pytest.approx(best, abs=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_worst_predictions(name):
    m = get(name)
    y, random, _, worst = make_inputs(m, np.random.default_rng(24))
    if m.higher_is_better:
        assert m.fn(y, worst) == m.lower  # reversed ranking: AUC 0
    else:
        assert m.fn(y, worst) > m.fn(y, random)  # worse than random
        assert m.fn(y, worst) > 20.0  # confident and wrong: about -ln(1e-15)


@pytest.mark.parametrize("name", ALL)
def test_direction_perfect_beats_random(name):
    m = get(name)
    y, random, perfect, _ = make_inputs(m, np.random.default_rng(25))
    if m.higher_is_better:
        assert m.fn(y, perfect) > m.fn(y, random)
    else:
        assert m.fn(y, perfect) < m.fn(y, random)


@pytest.mark.parametrize("name", ALL)
def test_batch_rows_equal_fn(name):
    m = get(name)
    rng = np.random.default_rng(26)
    y, s, _, _ = make_inputs(m, rng)
    n = y.shape[0]
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=30).astype(float)
    weights[0] = 0.0  # all-zero weighting: undefined
    weights[1] = rng.random(n)  # fractional weights
    out = m.batch(y, s, weights)
    assert out.shape == (30,)
    assert np.isnan(out[0])
    for b in range(30):
        expected = m.fn(y, s, sample_weight=weights[b])
        if np.isnan(expected):
            assert np.isnan(out[b])
        else:
            assert out[b] == pytest.approx(expected, rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("name", ALL)
def test_integer_weights_equal_repeated_cases(name):
    m = get(name)
    rng = np.random.default_rng(27)
    y, s, _, _ = make_inputs(m, rng)
    w = rng.integers(0, 4, y.shape[0])
    w[:2] = 1
    repeated = m.fn(np.repeat(y, w, axis=0), np.repeat(s, w, axis=0))
    assert m.fn(y, s, sample_weight=w) == pytest.approx(repeated, rel=1e-12)
    assert m.fn(y, s, sample_weight=np.ones(y.shape[0])) == m.fn(y, s)


@pytest.mark.parametrize("name", ALL)
def test_batch_checks_weight_shape(name):
    m = get(name)
    y, s, _, _ = make_inputs(m, np.random.default_rng(28))
    n = y.shape[0]
    with pytest.raises(ValueError, match=rf"n_samples = {n}. Got shape \(3, {n - 1}\)"):
        m.batch(y, s, np.ones((3, n - 1)))
    with pytest.raises(ValueError, match=rf"Got shape \({n},\)"):
        m.batch(y, s, np.ones(n))


@pytest.mark.parametrize("name", ALL)
def test_fn_rejects_bad_inputs(name):
    m = get(name)
    y, s, _, _ = make_inputs(m, np.random.default_rng(29))
    bad = s.copy()
    bad.flat[5] = np.nan
    with pytest.raises(ValueError, match="y_score must contain only finite values"):
        m.fn(y, bad)
    with pytest.raises(ValueError, match="sample_weight"):
        m.fn(y, s, sample_weight=np.ones(y.shape[0] + 1))
    with pytest.raises(ValueError, match="non-negative"):
        m.fn(y, s, sample_weight=-np.ones(y.shape[0]))
    with pytest.raises(ValueError):
        m.fn(y[:-1], s)
    assert np.isnan(m.fn(y, s, sample_weight=np.zeros(y.shape[0])))


# ---------------------------------------------------------------------------
# Calibration bins and ECE (Guo et al., ICML 2017: B_m = ((m-1)/M, m/M])
# ---------------------------------------------------------------------------


def test_calibration_bins_are_closed_on_the_right():

    # 10 bins: [0, 0.1], (0.1, 0.2], ..., (0.9, 1]; each edge belongs to the bin below it.
    p = [0.0, 0.1, 0.2, 0.3, 0.30000000000000004, 0.7, 0.9, 0.9000000000000001, 1.0]
    assert calibration_bin_index(p, 10).tolist() == [0, 0, 1, 2, 3, 6, 8, 9, 9]
    # 3 bins: edges 1/3 and 2/3 as Python writes them.
    assert calibration_bin_index([1 / 3, 1 / 3 + 1e-12, 2 / 3, 1.0], 3).tolist() == [0, 1, 1, 2]
    with pytest.raises(ValueError, match="n_bins must be a positive integer"):
        calibration_bin_index([0.5], 0)


def test_calibration_bins_agree_with_sklearn_calibration_curve():
    from sklearn.calibration import calibration_curve


    rng = np.random.default_rng(4)
    p = np.concatenate([rng.random(500), np.arange(11) / 10, [0.3, 0.7, 0.15]])
    y = (rng.random(p.size) < p).astype(int)
    idx = calibration_bin_index(p, 10)
    used = np.unique(idx)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose([y[idx == b].mean() for b in used], prob_true, rtol=1e-12)
    np.testing.assert_allclose([p[idx == b].mean() for b in used], prob_pred, rtol=1e-12)


def test_ece_hand_computation_with_edge_values():

    # 10 bins. 0.3 falls in (0.2, 0.3] with 0.25; 0.1 in [0, 0.1] with 0.0; 0.35 alone.
    # (0.2, 0.3]: y = 1, 0 -> rate 0.5, mean 0.275, gap 0.225, weight 2/5
    # [0, 0.1]:   y = 0, 0 -> rate 0,   mean 0.05,  gap 0.05,  weight 2/5
    # (0.3, 0.4]: y = 1    -> rate 1,   mean 0.35,  gap 0.65,  weight 1/5
    y = [1, 0, 0, 0, 1]
    p = [0.3, 0.25, 0.1, 0.0, 0.35]
    expected = (2 * 0.225 + 2 * 0.05 + 0.65) / 5
    assert expected_calibration_error(y, p, 10) == pytest.approx(expected, abs=1e-15)
    # With the left-closed bins [0.3, 0.4) the 0.3 case would join 0.35 instead:
    # [0.2, 0.3) rate 0 mean 0.25; [0.3, 0.4) rate 1 mean 0.325 -> a different value.
    left_closed = (0.25 + 2 * 0.05 + 2 * 0.675) / 5
    assert expected_calibration_error(y, p, 10) != pytest.approx(left_closed, abs=1e-6)
    assert math.isnan(expected_calibration_error([], [], 10))


def test_calibration_bin_index_matches_exact_rational_bins():
    from fractions import Fraction

    from hypothesis import given, settings
    from hypothesis import strategies as st


    @settings(max_examples=300, deadline=None)
    @given(p=st.one_of(st.floats(0.0, 1.0), st.integers(0, 50).map(lambda k: k / 50)),
           m=st.integers(1, 50))
    def check(p, m):
        # A double equal to an edge k/M (correctly rounded: how 0.3 or 1/3 is written) lies on
        # that edge and belongs to the bin below it; any other double goes by its exact value.
        idx = int(calibration_bin_index([p], m)[0])
        on_edge = [k for k in range(m + 1) if float(Fraction(k, m)) == p]
        if on_edge:
            assert idx == max(on_edge[0] - 1, 0)
            return
        exact = Fraction(p)
        if idx == 0:
            assert exact <= Fraction(1, m)
        else:
            assert Fraction(idx, m) < exact <= Fraction(idx + 1, m)

    check()
