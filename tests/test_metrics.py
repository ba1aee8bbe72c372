"""Tests of benchmark.metrics: the registry (with the committed datasets' hook metrics), AUC, log
loss and calibration, and the doctests of every metric module and hook. The competition metrics'
definitions are tested in test_competition_metrics.py, the invariants of every registered metric
in test_metric_invariants.py.

Golden values come from scikit-learn (roc_auc_score, roc_curve, log_loss),
from hand computations written out below with explicit numbers, or from small
reference implementations written here directly from the metric definitions.
"""

import ast
import dataclasses
import doctest
import math

import numpy as np
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


# ---------------------------------------------------------------------------
# Dataset knowledge lives with the dataset
# ---------------------------------------------------------------------------


def _docstring_ids(tree) -> set:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def test_no_string_in_the_metrics_package_names_a_dataset():
    # Dataset names from the dataset folders and task ids (and their parts), not from a list here.
    root = Path(__file__).resolve().parents[1]
    words = {p.name for p in (root / "tasks" / "_datasets").iterdir() if p.is_dir()}
    words |= {p.parent.name for p in (root / "tasks").glob("*/task.toml")}
    words |= {part for w in set(words) for part in w.split("-") if len(part) > 3}
    words = {w.lower() for w in words if w not in {"_datasets"}}
    found = []
    for path in sorted((root / "benchmark" / "metrics").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstring_ids(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if any(w in node.value.lower() for w in words):
                    found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert "rsna-lumbar" in words and "lumbar" in words  # the scan sees the committed datasets
    assert not found, found
