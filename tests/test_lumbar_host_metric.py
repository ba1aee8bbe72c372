"""RSNA 2024 lumbar score against the competition's host metric, on files with extreme values.

The host metric is written here from its definition, independently of ``benchmark``:

* ``CALC_score`` of the Kaggle metric notebook "rsna-lumbar-metric" v10 (copied in
  lhwcv/solution-rsna-2024-lumbar-spine ``patriot/metric.py``): solution and submission in the
  long layout ``row_id,normal_mild,moderate,severe``; row weight ``2**grade``; for each
  condition group a sample-weighted log loss; then ``any_severe_spinal`` per study (label = max
  severe indicator, prediction = max submitted severe value, weight = max row weight over its
  spinal rows); score = plain mean of the four.
* ``sklearn.metrics.log_loss`` of scikit-learn 1.2.2, the version on Kaggle's image while the
  competition ran (Kaggle/docker-python pull requests #1371 and #1437): ``eps="auto"`` is the
  float64 machine epsilon (``2**-52``); labels through ``LabelBinarizer``; clip to
  ``[eps, 1 - eps]``; a 1-D prediction becomes ``[1 - p, p]``; every row divided by its sum;
  ``-sum(xlogy(labels, p))`` per row; ``np.average`` with the sample weights. The current
  scikit-learn is NOT used: it no longer clips and rescales this way.

Both sides read the files themselves: the host reads the demo label file (native ``train.csv``
layout) and the submission CSV with pandas; the benchmark goes through its own reader,
validation and scorer.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.data.labels import load_labels
from benchmark.scoring.score import BootstrapSettings, score_task
from benchmark.submissions.submission import read_submission

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tasks/_datasets/rsna-lumbar/demo/test_labels.csv"
DEMO = ROOT / "submissions/rsna-lumbar"
LEVELS = ["normal_mild", "moderate", "severe"]
GRADE = {"Normal/Mild": 0, "Moderate": 1, "Severe": 2}  # the native train.csv spelling
SKLEARN_122_EPS = 2.0 ** -52  # np.finfo(np.float64).eps, written as the power of two it is
PRE_12_EPS = 1e-15  # scikit-learn's default before 1.2: the rule the harness used to apply


# -- the host metric, from its definition ----------------------------------------------------
def _log_loss_122(y_true, y_pred, sample_weight, eps=SKLEARN_122_EPS) -> float:
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true)
    if y_true.ndim == 2:  # multilabel indicator: one column per class
        labels = y_true.astype(np.float64)
    else:
        classes = np.unique(y_true)
        if len(classes) == 1:
            raise ValueError("y_true contains only one label")
        labels = (y_true == classes[1]).astype(np.float64)[:, None]
        labels = np.append(1 - labels, labels, axis=1)
    y_pred = np.clip(y_pred, eps, 1 - eps)
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_pred.shape[1] == 1:
        y_pred = np.append(1 - y_pred, y_pred, axis=1)
    y_pred = y_pred / y_pred.sum(axis=1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(labels > 0, labels * np.log(y_pred), 0.0)
    return float(np.average(-terms.sum(axis=1), weights=sample_weight))


def _condition(row_id: str) -> str:
    for c in ["spinal", "foraminal", "subarticular"]:
        if c in row_id:
            return c
    raise ValueError(row_id)


def host_score(solution: pd.DataFrame, submission: pd.DataFrame, eps=SKLEARN_122_EPS) -> dict:
    """``CALC_score``: ``solution`` row_id + one-hot LEVELS + sample_weight; ``submission``
    row_id + LEVELS (any row order; aligned on row_id as Kaggle aligns them)."""
    sub = submission.set_index("row_id").loc[solution["row_id"], LEVELS].reset_index()
    if not np.isfinite(sub[LEVELS].to_numpy()).all():
        raise ValueError("All submission values must be finite")
    if sub[LEVELS].to_numpy().min() < 0:
        raise ValueError("All predictions must be at least zero")
    study = solution["row_id"].str.split("_").str[0]
    cond = solution["row_id"].map(_condition)
    out = {}
    for c in ["spinal", "foraminal", "subarticular"]:
        m = (cond == c).to_numpy()
        out[c] = _log_loss_122(solution.loc[m, LEVELS].to_numpy(), sub.loc[m, LEVELS].to_numpy(),
                               solution.loc[m, "sample_weight"].to_numpy(), eps)
    sp = (cond == "spinal").to_numpy()
    labels = solution[sp].groupby(study[sp])["severe"].max()
    weights = solution[sp].groupby(study[sp])["sample_weight"].max()
    preds = sub[sp].groupby(study[sp].to_numpy())["severe"].max()
    out["any_severe_spinal"] = _log_loss_122(labels.to_numpy(), preds.loc[labels.index].to_numpy(),
                                             weights.to_numpy(), eps)
    out["score"] = float(np.mean([out["spinal"], out["foraminal"], out["subarticular"],
                                  out["any_severe_spinal"]]))
    return out


def host_solution() -> pd.DataFrame:
    """The demo labels in the host's solution layout (labelled rows only)."""
    wide = pd.read_csv(LABELS, comment="#", dtype={"study_id": str})
    long = wide.melt(id_vars="study_id", var_name="target", value_name="grade").dropna()
    long["row_id"] = long["study_id"] + "_" + long["target"]
    g = long["grade"].map(GRADE).to_numpy()
    sol = pd.DataFrame({"row_id": long["row_id"].to_numpy()})
    for k, name in enumerate(LEVELS):
        sol[name] = (g == k).astype(int)
    sol["sample_weight"] = 2 ** g
    return sol.sort_values("row_id").reset_index(drop=True)


# -- files with extreme values ---------------------------------------------------------------
def _demo_predictions(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / name / "predictions.csv", comment="#")


def _hard_one_hot() -> pd.DataFrame:
    """The argmax of a demo entry written as exact 0/1 one-hot rows."""
    df = _demo_predictions("demo-lab-b__level-attention")
    hard = np.eye(3, dtype=int)[df[LEVELS].to_numpy().argmax(axis=1)]
    return pd.concat([df[["row_id"]], pd.DataFrame(hard, columns=LEVELS)], axis=1)


def _exact_zero_one() -> pd.DataFrame:
    """Probabilities with exact 0 and 1 entries: one-hot rows, rows of zeros, single 1s, 0s."""
    df = _demo_predictions("demo-lab-a__coordinate-crops-2stage")
    v = df[LEVELS].to_numpy().copy()
    rng = np.random.default_rng(2024)
    n = len(v)
    onehot = rng.random(n) < 0.25
    v[onehot] = np.eye(3)[rng.integers(0, 3, onehot.sum())]
    v[rng.random(n) < 0.02] = 0.0  # all-zero rows: scored as 1/3 each
    v[rng.random((n, 3)) < 0.05] = 0.0  # isolated exact zeros
    ones = rng.random(n) < 0.05  # an exact 1 beside other values (row sums above 1)
    v[ones, 0] = 1.0
    return pd.concat([df[["row_id"]], pd.DataFrame(v, columns=LEVELS)], axis=1)


def _percent_rows() -> pd.DataFrame:
    """Some rows written as percentages: values above 1, accepted by the host."""
    df = _demo_predictions("demo-lab-a__coordinate-crops-2stage")
    v = df[LEVELS].to_numpy().copy()
    rows = np.random.default_rng(7).random(len(v)) < 0.1
    v[rows] *= 100
    return pd.concat([df[["row_id"]], pd.DataFrame(v, columns=LEVELS)], axis=1)


FILES = {"hard one-hot": _hard_one_hot, "exact 0/1": _exact_zero_one, "percent rows": _percent_rows}


def _write(tmp_path: Path, df: pd.DataFrame) -> Path:
    path = tmp_path / "predictions.csv"
    # repr of floats: the file holds exactly the numbers the host reads back
    df.to_csv(path, index=False, float_format=None)
    return path


def _benchmark_scores(registry, path: Path) -> dict:
    task = registry.get("rsna-lumbar")
    labels = load_labels(task)
    sub = read_submission(task, path, labels.public_cases())
    res = score_task(task, labels, [sub], ["x"], BootstrapSettings.from_task(task, replicates=0))
    m = res.results[0].metrics
    return {
        "score": m["competition_score"].value,
        "spinal": m["log_loss/spinal"].value,
        "foraminal": m["log_loss/foraminal"].value,
        "subarticular": m["log_loss/subarticular"].value,
        "any_severe_spinal": m["log_loss/any_severe_spinal"].value,
    }


@pytest.fixture(scope="module")
def solution():
    return host_solution()


@pytest.mark.parametrize("kind", sorted(FILES))
def test_scores_equal_the_host_metric(kind, tmp_path, registry, solution):
    df = FILES[kind]()
    path = _write(tmp_path, df)
    host = host_score(solution, pd.read_csv(path))
    got = _benchmark_scores(registry, path)
    for key, value in host.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    # The pre-1.2 epsilon gives a different score on these files: the test can tell them apart.
    old = host_score(solution, pd.read_csv(path), eps=PRE_12_EPS)["score"]
    assert abs(old - host["score"]) > 1e-3


def test_hard_one_hot_cost_per_wrong_row(solution, tmp_path):
    # An exact one-hot row [1, 0, 0] is clipped to [1 - eps, eps, eps] and rescaled by
    # 1 + eps: a right row costs -ln((1 - eps) / (1 + eps)), about 0, a wrong one
    # -ln(eps / (1 + eps)); the any-severe case costs about 0 or -ln(eps). Counting the
    # weighted wrong rows by hand gives the host score for both epsilons.
    df = _hard_one_hot()
    sub = df.set_index("row_id").loc[solution["row_id"]].reset_index()
    wrong = (sub[LEVELS].to_numpy() != solution[LEVELS].to_numpy()).any(axis=1)
    cond = solution["row_id"].map(_condition).to_numpy()
    w = solution["sample_weight"].to_numpy()
    study = solution["row_id"].str.split("_").str[0].to_numpy()
    for eps in (SKLEARN_122_EPS, PRE_12_EPS):
        right_cost, wrong_cost = -math.log((1 - eps) / (1 + eps)), -math.log(eps / (1 + eps))
        parts = [(wrong_cost * w[(cond == c) & wrong].sum()
                  + right_cost * w[(cond == c) & ~wrong].sum()) / w[cond == c].sum()
                 for c in ["spinal", "foraminal", "subarticular"]]
        sp = cond == "spinal"
        t = pd.DataFrame({"study": study[sp], "label": solution["severe"].to_numpy()[sp],
                          "pred": sub["severe"].to_numpy()[sp], "w": w[sp]}).groupby("study").max()
        q = np.clip(t["pred"].to_numpy(), eps, 1 - eps)
        p_label = np.where(t["label"] == 1, q, 1 - q) / ((1 - q) + q)
        parts.append(float(np.average(-np.log(p_label), weights=t["w"])))
        assert host_score(solution, df, eps)["score"] == pytest.approx(np.mean(parts), rel=1e-12)


def test_values_above_one_count_as_one(registry, tmp_path, solution):
    # Clipping comes before the rescaling: a row of percentages is not the row / 100.
    df = _percent_rows()
    scaled = df.copy()
    big = (scaled[LEVELS] > 1).any(axis=1)
    assert big.any()
    scaled.loc[big, LEVELS] = scaled.loc[big, LEVELS] / 100
    as_percent = _benchmark_scores(registry, _write(tmp_path, df))["score"]
    (tmp_path / "b").mkdir()
    as_fraction = _benchmark_scores(registry, _write(tmp_path / "b", scaled))["score"]
    assert as_percent > as_fraction + 0.05
    assert as_percent == pytest.approx(host_score(solution, df)["score"], rel=1e-12)


# -- property: any non-negative finite predictions, any labels -------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from benchmark.data.contracts import load_metric_hook  # noqa: E402

# The competition score lives in the dataset folder's hook module.
_LUMBAR = load_metric_hook(Path(__file__).resolve().parents[1] / "tasks" / "_datasets" / "rsna-lumbar" / "dataset.toml")
LUMBAR_TARGETS, rsna_lumbar_loss = _LUMBAR.LUMBAR_TARGETS, _LUMBAR.rsna_lumbar_loss

# Values the clipping treats specially, mixed with ordinary ones.
_VALUE = st.one_of(
    st.sampled_from([0.0, 1.0, 5e-324, 1e-300, 1e-16, 2.0 ** -52, 1e-15, 1 - 1e-15, 1 - 2.0 ** -52,
                     1.0000000001, 100.0, 1e300]),
    st.floats(0.0, 1.0),
    st.floats(1.0, 1e6),
)


def _frames(y: np.ndarray, s: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    sol, sub = [], []
    for i in range(y.shape[0]):
        for j, target in enumerate(LUMBAR_TARGETS):
            row_id = f"{1000 + i}_{target}"
            sub.append([row_id, *s[i, j]])
            if y[i, j] >= 0:
                onehot = [int(y[i, j] == k) for k in range(3)]
                sol.append([row_id, *onehot, 2 ** int(y[i, j])])
    return (pd.DataFrame(sol, columns=["row_id", *LEVELS, "sample_weight"]),
            pd.DataFrame(sub, columns=["row_id", *LEVELS]))


@settings(max_examples=40, deadline=None)
@given(
    y=arrays(np.int64, (3, 25), elements=st.sampled_from([-1, 0, 0, 1, 2])),
    s=arrays(np.float64, (3, 25, 3), elements=_VALUE),
)
def test_any_nonnegative_predictions_score_as_the_host(y, s):
    # any-severe labels of both classes (the host's log_loss needs two)
    y[0, 0] = 2
    y[1, :5] = np.where(y[1, :5] == 2, 1, y[1, :5])
    y[1, 0] = 0
    y[2, 5], y[2, 15] = 0, 0  # every group has a labelled row
    solution, submission = _frames(y, s)
    host = host_score(solution, submission)["score"]
    assert rsna_lumbar_loss(y, s) == pytest.approx(host, rel=1e-12, abs=1e-12)
