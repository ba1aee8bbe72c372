"""Per-submission curves of the leaderboard: ROC curves with a bootstrap band, reliability
(calibration) numbers with per-bin Wilson intervals, and the comparison with published reader
operating points. Everything here is JSON-ready (rounded floats, lists) and computed once per
submission, then cached with its result (:mod:`benchmark.leaderboard.cache`).
"""

from __future__ import annotations

import json
import math
from typing import Optional

import numpy as np

from ..core.canonical import canonical_json
from ..data.labels import LabelSet
from ..data.tasks import Task
from ..metrics.auc import roc_auc, roc_curve_points
from ..metrics.calibration import calibration_bin_index, expected_calibration_error
from ..scoring.score import BootstrapSettings
from ..stats.baselines import compare_to_operating_point
from ..stats.intervals import wilson_interval
from ..stats.operating_points import sensitivity_at_specificity, specificity_at_sensitivity

__all__ = [
    "CALIBRATION_BINS", "CALIBRATION_MIN_BIN_CASES", "BAND_GRID", "roc_groups", "thin_curve", "rounded",
    "calibration_stats", "has_calibration", "calibration_groups", "roc_bands", "submission_curves",
]

CALIBRATION_BINS = 10
#: A reliability bin with fewer cases is marked ``sparse`` (hollow marker in the figure): the
#: standard error of its observed rate is then at least ``sqrt(0.5 * 0.5 / 9) = 0.17`` near a
#: rate of one half, too wide to read a calibration gap from.
CALIBRATION_MIN_BIN_CASES = 10
#: False-positive rates at which the ROC band is computed (every 0.04 from 0 to 1).
BAND_GRID = np.round(np.linspace(0.0, 1.0, 26), 2)
#: The band is skipped when cases x replicates exceed this (a few seconds per submission).
BAND_MAX_WORK = 400_000_000


def rounded(v, digits: int = 6):
    """``v`` rounded to ``digits`` decimals; None when missing or not finite."""
    if v is None:
        return None
    v = float(v)
    return round(v, digits) if math.isfinite(v) else None


def rounded_list(values, digits: int = 6) -> list:
    """``[rounded(v, digits) for v in values]``, without a Python call per value when every
    value is finite (the same numbers: Python's ``round`` on the same floats)."""
    a = np.asarray(values, dtype=np.float64).ravel()
    if np.isfinite(a).all():
        return [round(v, digits) for v in a.tolist()]
    return [rounded(v, digits) for v in a.tolist()]


def roc_groups(task: Task) -> list[dict]:
    """The ROC panels of a task.

    Binary tasks: one per target. Multi-class tasks: "most severe class vs the others", one
    panel per entry of the task's ``[leaderboard.panels]`` (the targets pooled in it), else
    one panel pooling every target.
    """
    if task.kind == "binary":
        return [{"key": t, "title": t, "targets": [j], "positive": None} for j, t in enumerate(task.targets)]
    pos = len(task.classes) - 1
    panels = task.leaderboard.panels or {"all targets": list(task.targets)}
    return [
        {
            "key": name,
            "title": f"{name.replace('_', ' ')}: {task.classes[pos]} vs other",
            "targets": [task.targets.index(t) for t in members],
            "positive": pos,
        }
        for name, members in panels.items()
    ]


def _group_arrays(task: Task, y: np.ndarray, s: np.ndarray, group: dict):
    """Labels, scores and the labelled-row mask (case-major) of one ROC panel."""
    idx = group["targets"]
    if task.kind == "binary":
        return y[:, idx[0]].astype(float), s[:, idx[0]].astype(float), None
    yy = y[:, idx].ravel()
    ss = s[:, idx, group["positive"]].ravel()
    keep = yy >= 0
    return (yy[keep] == group["positive"]).astype(float), ss[keep].astype(float), keep


def thin_curve(x: np.ndarray, y: np.ndarray, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Drop the points of a polyline that lie on the segment between their neighbours."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size <= 2:
        return x, y
    dx1, dy1 = x[1:-1] - x[:-2], y[1:-1] - y[:-2]
    dx2, dy2 = x[2:] - x[1:-1], y[2:] - y[1:-1]
    cross = dx1 * dy2 - dy1 * dx2
    dup = (dx2 == 0) & (dy2 == 0)
    keep = np.r_[True, (np.abs(cross) > tol) & ~dup, True]
    return x[keep], y[keep]



def _expit(z):
    return 1.0 / (1.0 + np.exp(-z))


def _logistic_fit(y: np.ndarray, x: Optional[np.ndarray], offset: np.ndarray, iters: int = 50):
    """Newton-Raphson for ``logit P(y=1) = a (+ b x) + offset``; None when it does not converge."""
    cols = [np.ones_like(y)] + ([x] if x is not None else [])
    X = np.stack(cols, axis=1)
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        p = _expit(X @ beta + offset)
        w = p * (1 - p)
        grad = X.T @ (y - p)
        hess = (X * w[:, None]).T @ X
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 1e6:
            return None
        if np.max(np.abs(step)) < 1e-10:
            return beta
    return None


def calibration_stats(y, p, bins: int = CALIBRATION_BINS, level: float = 0.95) -> dict:
    """Reliability numbers and a binned reliability curve of probabilities ``p`` for 0/1 ``y``.

    * ``calibration_in_the_large``: intercept ``a`` of ``logit P(y) = a + logit(p)`` (0 when the
      mean prediction matches the event rate; positive when risks are underestimated);
    * ``calibration_slope``: ``b`` of ``logit P(y) = a + b logit(p)`` (1 ideal, below 1 when
      predictions are too extreme); None when ``p`` is constant or the fit does not converge;
    * ``brier``: mean squared error of ``p``; ``ece``: expected calibration error
      (:func:`benchmark.metrics.calibration.expected_calibration_error`) over ``bins`` equal-width bins,
      closed on the right with the first bin ``[0, 1/bins]`` (Guo et al., ICML 2017);
    * ``bins``: the non-empty bins, each with its edges, case count ``n``, ``events``, mean
      prediction, observed rate ``events / n`` with its Wilson interval ``ci`` at ``level``
      (:func:`benchmark.stats.reader_studies.wilson_interval`) and ``sparse`` (fewer than
      ``CALIBRATION_MIN_BIN_CASES`` cases).

    Logits use ``p`` clipped to ``[1e-15, 1 - 1e-15]``; everything else uses ``p`` as given.

    >>> s = calibration_stats([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])
    >>> s["brier"], s["calibration_slope"], s["bins"][0]["low"], s["bins"][0]["sparse"]
    (0.25, None, 0.4, True)
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n = int(y.size)
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    logit = np.log(clipped) - np.log1p(-clipped)
    citl = slope = None
    if 0 < y.sum() < n:
        a = _logistic_fit(y, None, logit)
        citl = None if a is None else float(a[0])
        if np.ptp(logit) > 1e-12:
            ab = _logistic_fit(y, logit, np.zeros_like(y))
            slope = None if ab is None else float(ab[1])
    which = calibration_bin_index(p, bins)
    table = []
    for b in range(bins):
        m = which == b
        k = int(m.sum())
        if not k:
            continue
        mp, events = float(p[m].mean()), int(y[m].sum())
        table.append({"low": rounded(b / bins, 3), "high": rounded((b + 1) / bins, 3), "n": k, "events": events,
                      "mean_predicted": rounded(mp), "observed": rounded(events / k),
                      "ci": [rounded(v) for v in wilson_interval(events, k, level)],
                      "sparse": k < CALIBRATION_MIN_BIN_CASES})
    return {
        "n": n,
        "events": int(y.sum()),
        "observed_rate": rounded(y.mean()) if n else None,
        "mean_predicted": rounded(p.mean()) if n else None,
        "calibration_in_the_large": rounded(citl),
        "calibration_slope": rounded(slope),
        "brier": rounded(np.mean((p - y) ** 2)) if n else None,
        "ece": rounded(expected_calibration_error(y, p, bins)) if n else None,
        "n_bins": bins,
        "min_bin_cases": CALIBRATION_MIN_BIN_CASES,
        "bins": table,
    }


def has_calibration(task: Task) -> bool:
    """Whether a metric of the task scores probabilities (then calibration is shown)."""
    return any(s.metric.calibration for s in task.metric_specs())


def calibration_groups(task: Task) -> list[dict]:
    if task.kind == "binary":
        return [{"key": t, "title": t, "target": j, "cls": None} for j, t in enumerate(task.targets)]
    return [{"key": c, "title": f"{c} (all targets)", "target": None, "cls": k} for k, c in enumerate(task.classes)]


def _band_prep(yy: np.ndarray, ss: np.ndarray):
    """Sort order and the last index of every run of tied scores (the ROC's thresholds)."""
    order = np.argsort(-ss, kind="stable")
    so = ss[order]
    ends = np.flatnonzero(np.r_[so[1:] != so[:-1], True])
    return order, ends, yy[order]


def _tpr_on_grid(W: np.ndarray, order, ends, yo) -> np.ndarray:
    """Sensitivity at every false-positive rate of :data:`BAND_GRID`, per replicate ``(b, G)``:
    the highest sensitivity of the weighted ROC with a false-positive rate at most that value."""
    Wo = W[:, order]
    P = np.cumsum(Wo * yo, axis=1)[:, ends]
    N = np.cumsum(Wo * (1.0 - yo), axis=1)[:, ends]
    with np.errstate(invalid="ignore", divide="ignore"):
        tp = P / P[:, -1:]
        fp = N / N[:, -1:]
    b, t = fp.shape
    bad = ~np.isfinite(tp[:, -1]) | ~np.isfinite(fp[:, -1])
    fp = np.where(bad[:, None], 0.0, fp)
    # Every row is non-decreasing in [0, 1]: shifted by 2 per row, all rows form one sorted
    # array, so one search finds, per row and grid value, how many thresholds reach it.
    shift = 2.0 * np.arange(b)[:, None]
    pos = np.searchsorted((fp + shift).ravel(), (BAND_GRID[None, :] + 1e-12 + shift).ravel(), side="right")
    k = pos.reshape(b, -1) - t * np.arange(b)[:, None]
    padded = np.concatenate([np.zeros((b, 1)), tp], axis=1)
    out = np.take_along_axis(padded, k, axis=1)
    out[bad] = np.nan
    return out


def roc_bands(task: Task, labels: LabelSet, probs: list, plan, level: float) -> list[list]:
    """Pointwise bootstrap bands of the ROC curves of several submissions on the task's plan.

    For every replicate weighting of the plan (the replicates every metric interval of the task
    uses) the weighted ROC curve of each panel is read at the false-positive rates of
    :data:`BAND_GRID`; the band is the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of
    those sensitivities. Weights are drawn once per block for every submission. Returns per
    submission, per panel ``{fpr, low, high}`` or None (no plan, a panel with one class only,
    or more work than :data:`BAND_MAX_WORK`).
    """
    groups = roc_groups(task)
    if plan is None or not probs:
        return [[None] * len(groups) for _ in probs]
    y = labels.y
    preps = []
    for sc in probs:
        per = []
        for g in groups:
            yy, ss, keep = _group_arrays(task, y, sc, g)
            ok = 0 < yy.sum() < yy.size and yy.size * plan.replicates <= BAND_MAX_WORK
            per.append((_band_prep(yy, ss), keep, len(g["targets"])) if ok else None)
        preps.append(per)
    acc = [[[] for _ in groups] for _ in probs]
    for W in plan.chunks():
        expanded: dict = {}
        for i, per in enumerate(preps):
            for j, item in enumerate(per):
                if item is None:
                    continue
                (order, ends, yo), keep, k = item
                if keep is None:
                    Wg = W
                else:
                    if j not in expanded:
                        expanded[j] = np.repeat(W, k, axis=1)[:, keep]
                    Wg = expanded[j]
                acc[i][j].append(_tpr_on_grid(Wg, order, ends, yo))
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    out = []
    for i, per in enumerate(preps):
        bands = []
        for j, item in enumerate(per):
            if item is None:
                bands.append(None)
                continue
            reps = np.concatenate(acc[i][j])
            reps = reps[np.all(np.isfinite(reps), axis=1)]
            if not reps.size:
                bands.append(None)
                continue
            q = np.quantile(reps, [lo_q, hi_q], axis=0)
            bands.append({"fpr": [float(v) for v in BAND_GRID], "low": rounded_list(q[0], 4),
                          "high": rounded_list(q[1], 4), "n_replicates": int(reps.shape[0])})
        out.append(bands)
    return out


def class_probabilities(task: Task, scores: np.ndarray) -> np.ndarray:
    """The values as the task's metrics read them (e.g. clipped, then every row rescaled to sum
    to 1: the metric's declared ``probabilities``), for the ROC and calibration panels alike."""
    read = next((s.metric.probabilities for s in task.metric_specs() if s.metric.probabilities), None)
    return read(scores) if read is not None else scores


def _operating_point_without_bootstrap(b, yy, ss, settings: BootstrapSettings) -> dict:
    def item(quantity, matched_on, submission, baseline, matched):
        return {"quantity": quantity, "matched_on": matched_on, "submission": rounded(submission),
                "baseline": baseline, "matched_value": matched, "submission_ci": None, "difference": None,
                "difference_ci": None, "verdict": "no interval (no bootstrap)"}

    return {
        "baseline": b.name, "target": b.target, "source": b.source, "level": settings.level,
        "sensitivity": item("sensitivity", "specificity", sensitivity_at_specificity(yy, ss, b.specificity),
                            b.sensitivity, b.specificity),
        "specificity": item("specificity", "sensitivity", specificity_at_sensitivity(yy, ss, b.sensitivity),
                            b.specificity, b.sensitivity),
    }


def submission_curves(
    task: Task, labels: LabelSet, scores: np.ndarray, plan, settings: BootstrapSettings, known_ops=None,
    bands: Optional[list] = None,
) -> dict:
    """ROC curves, calibration and reader comparisons of one submission (JSON-ready).

    ``known_ops``: reader operating-point comparisons already computed by the scorer (the
    ``baselines`` of :attr:`ScoreResult.comparisons`); computed here when absent. ``bands``:
    the submission's ROC bands from :func:`roc_bands` (one per panel), if computed.
    """
    y = labels.y
    probs = class_probabilities(task, scores)
    out: dict = {"roc": [], "calibration": [], "operating_points": []}
    for j, g in enumerate(roc_groups(task)):
        yy, ss, _keep = _group_arrays(task, y, probs, g)
        item = {"key": g["key"], "title": g["title"], "n": int(yy.size), "positives": int(yy.sum())}
        if 0 < yy.sum() < yy.size:
            fpr, tpr, _ = roc_curve_points(yy, ss)
            fx, fy = thin_curve(fpr, tpr)
            item.update(auc=rounded(roc_auc(yy, ss)), fpr=rounded_list(fx, 5), tpr=rounded_list(fy, 5))
            if bands is not None and bands[j] is not None:
                item["band"] = bands[j]
        else:
            item.update(auc=None, fpr=[], tpr=[])
        out["roc"].append(item)
    if has_calibration(task):
        for g in calibration_groups(task):
            if g["cls"] is None:
                yy, pp = y[:, g["target"]], scores[:, g["target"]]
            else:
                keep = y >= 0
                yy, pp = (y[keep] == g["cls"]).astype(float), probs[..., g["cls"]][keep]
            out["calibration"].append({"key": g["key"], "title": g["title"],
                                       **calibration_stats(yy, pp, level=settings.level)})
    if known_ops:
        out["operating_points"] = [json.loads(canonical_json(c)) for c in known_ops]
    elif task.kind == "binary":
        for b in task.baselines:
            j = task.targets.index(b.target)
            yy, ss = y[:, j], scores[:, j]
            if plan is not None:
                comp = compare_to_operating_point(yy, ss, b, plan, level=settings.level,
                                                    seed=task.resampling.seed).to_dict()
            else:
                comp = _operating_point_without_bootstrap(b, yy, ss, settings)
            out["operating_points"].append(json.loads(canonical_json(comp)))
    return out
