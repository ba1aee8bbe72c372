"""The competition metrics of the RSNA dataset folders' hook modules, against their definitions.

RSNA 2022 cervical spine (tasks/_datasets/rsna-cspine/metrics.py) and RSNA 2024 lumbar spine
(tasks/_datasets/rsna-lumbar/metrics.py). Golden values are hand computations written out below
with explicit numbers, scikit-learn's ``log_loss`` on rows normalised as scikit-learn 1.2.2 did,
and loop references written here from the definitions in the hook modules' docstrings (sources:
openai/mle-bench ``mlebench/competitions/rsna-2022-cervical-spine-fracture-detection/grade.py``;
the host's metric notebook "rsna-lumbar-metric" v10 as copied in
lhwcv/solution-rsna-2024-lumbar-spine ``patriot/metric.py``).
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss as sk_log_loss

from benchmark.data.contracts import load_metric_hook

EPS = 1e-15  # RSNA 2022 (openai/mle-bench grade.py: epsilon = 1e-15)
# RSNA 2024: scikit-learn 1.2.2's log_loss default eps="auto", the float64 machine
# epsilon, written here as the power of two it is.
LUMBAR_EPS = 2.0 ** -52

DATASETS = Path(__file__).resolve().parents[1] / "tasks" / "_datasets"
CSPINE = load_metric_hook(DATASETS / "rsna-cspine" / "dataset.toml")
LUMBAR = load_metric_hook(DATASETS / "rsna-lumbar" / "dataset.toml")
CSPINE_TARGETS = CSPINE.CSPINE_TARGETS
LUMBAR_CLASSES, LUMBAR_CONDITIONS = LUMBAR.LUMBAR_CLASSES, LUMBAR.LUMBAR_CONDITIONS
LUMBAR_LEVELS, LUMBAR_TARGETS = LUMBAR.LUMBAR_LEVELS, LUMBAR.LUMBAR_TARGETS
rsna_cspine_weighted_log_loss = CSPINE.rsna_cspine_weighted_log_loss
rsna_lumbar_loss = LUMBAR.rsna_lumbar_loss
rsna_lumbar_spinal_loss = LUMBAR.rsna_lumbar_spinal_loss
rsna_lumbar_foraminal_loss = LUMBAR.rsna_lumbar_foraminal_loss
rsna_lumbar_subarticular_loss = LUMBAR.rsna_lumbar_subarticular_loss
rsna_lumbar_any_severe_spinal_loss = LUMBAR.rsna_lumbar_any_severe_spinal_loss


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



def test_lumbar_confidently_wrong_is_worse_than_random():
    # Confidently wrong: severe rows get normal_mild, other rows severe, except spinal rows of
    # studies with a severe spinal row, which avoid severe so that the any-severe prediction is
    # wrong too (the first 5 targets are the spinal ones, in LUMBAR_TARGETS order).
    rng = np.random.default_rng(24)
    n = 40
    y = rng.choice([0, 1, 2], size=(n, 25), p=[0.5, 0.3, 0.2])
    y[rng.random((n, 25)) < 0.1] = -1
    y[0, :5] = 2
    y[1, :5] = 0
    random = rng.dirichlet([1.0, 1.0, 1.0], size=(n, 25))
    labels = np.where(y >= 0, y, 0)
    wrong = np.where(labels == 2, 0, 2)
    severe_study = (y[:, :5] == 2).any(axis=1)
    wrong[severe_study, :5] = np.where(labels[severe_study, :5] == 0, 1, 0)
    worst = np.eye(3)[wrong]
    for fn in (rsna_lumbar_loss, rsna_lumbar_spinal_loss, rsna_lumbar_foraminal_loss,
               rsna_lumbar_subarticular_loss, rsna_lumbar_any_severe_spinal_loss):
        assert fn(y, worst) > fn(y, random)
        assert fn(y, worst) > 20.0  # confident and wrong: about -ln(2.2e-16) per row
