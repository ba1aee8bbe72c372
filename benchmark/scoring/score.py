"""Scoring: task + labels + validated submissions -> result records.

Every submission of one task and split is evaluated on the same bootstrap replicates (one
:class:`~benchmark.stats.resampling.ResamplingPlan` per task, split, labels hash, seed and B), so
intervals of differences and rank distributions are paired, and adding a submission never
changes another's interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from ..core.errors import UsageError
from ..core.formatting import DEGENERATE_NOTE, DEMO_BANNER, format_value
from ..data.labels import LabelSet
from ..data.tasks import MetricSpec, Task
from ..metrics import registry as M
from ..stats import engine
from ..stats.delong import delong_ci, delong_paired_test
from ..stats.intervals import confidence_interval, paired_difference
from ..stats.methods import CI_METHODS
from ..stats.resampling import ResamplingPlan, bootstrap_replicates, jackknife_values
from ..submissions.submission import Submission
from .comparisons import ComparisonInputs, compare_with_readers_of_task
from .results import BootstrapInfo, MetricValue, ScoreResult, SubmissionInfo


@dataclass(frozen=True)
class BootstrapSettings:
    """How intervals are computed; ``replicates = 0`` gives point estimates only."""

    replicates: int
    seed: int
    method: str = "percentile"
    level: float = 0.95

    @classmethod
    def from_task(cls, task: Task, replicates=None, seed=None, method=None, level=None):
        r = task.resampling
        s = cls(
            replicates=r.replicates if replicates is None else int(replicates),
            seed=r.seed if seed is None else int(seed),
            method=method or r.ci,
            level=r.level if level is None else float(level),
        )
        if s.replicates < 0:
            raise UsageError(f"--bootstrap must be >= 0. Got {s.replicates} instead.")
        if s.method not in CI_METHODS:
            raise UsageError(f"--ci must be one of {', '.join(CI_METHODS)}. Got {s.method!r} instead.")
        if not 0 < s.level < 1:
            raise UsageError(f"--level must be in (0, 1). Got {s.level} instead.")
        if 0 < s.replicates < 100:
            raise UsageError(
                f"--bootstrap must be 0 (no intervals) or at least 100. Got {s.replicates} instead."
            )
        return s


# -- binding metric specs to arrays ------------------------------------------------------------
def subgroup_mask(spec: MetricSpec, labels: LabelSet) -> Optional[np.ndarray]:
    if spec.subgroup is None:
        return None
    col, val = spec.subgroup
    return labels.public[col].astype(str).to_numpy() == val


def _slice(spec: MetricSpec, y: np.ndarray, s: np.ndarray):
    idx = list(spec.target_index)
    metric = M.get(spec.fn)
    if metric.input == "binary":
        return y[:, idx[0]], s[:, idx[0]]
    return y[:, idx], s[:, idx]


@dataclass
class BoundMetric:
    spec: MetricSpec
    mask: Optional[np.ndarray]
    y: np.ndarray
    n_cases: int

    def point(self, scores: np.ndarray) -> float:
        s = scores if self.mask is None else scores[self.mask]
        yy, ss = _slice(self.spec, self.y, s)
        return float(M.get(self.spec.fn).fn(yy, ss))

    def evaluator(self, scores: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        s = scores if self.mask is None else scores[self.mask]
        yy, ss = _slice(self.spec, self.y, s)
        batch = M.get(self.spec.fn).batch
        mask = self.mask
        if mask is None:
            return lambda W: batch(yy, ss, W)
        cols = np.flatnonzero(mask)
        return lambda W: batch(yy, ss, W[:, cols])

    def kernel(self, scores: np.ndarray, n_all: int):
        """The metric's declared per-case terms over all ``n_all`` cases of the plan, or None
        when the metric declares none (see :mod:`benchmark.stats.kernels`)."""
        make = M.get(self.spec.fn).kernel
        if make is None:
            return None
        s = scores if self.mask is None else scores[self.mask]
        yy, ss = _slice(self.spec, self.y, s)
        k = make(yy, ss)
        return k if self.mask is None else k.on_cases(np.flatnonzero(self.mask), n_all)


def bind_metrics(task: Task, labels: LabelSet) -> list[BoundMetric]:
    out = []
    for spec in task.metric_specs():
        mask = subgroup_mask(spec, labels)
        y = labels.y if mask is None else labels.y[mask]
        out.append(BoundMetric(spec, mask, y, int(len(y))))
    return out


# -- resampling design ---------------------------------------------------------------------------
def strata_for(task: Task, labels: LabelSet) -> tuple[Optional[np.ndarray], Optional[str]]:
    how = task.resampling.stratify
    if how == "none" or task.kind == "multiclass":
        return None, None
    if how == "primary_target":
        j = task.primary_spec.target_index[0]
        return labels.y[:, j].astype(int), task.targets[j]
    if how.startswith("target:"):
        t = how.split(":", 1)[1]
        return labels.y[:, task.targets.index(t)].astype(int), t
    # label combination
    codes = (labels.y.astype(int) * (2 ** np.arange(labels.y.shape[1]))).sum(axis=1)
    return codes, "label_combination"


def clusters_for(task: Task, labels: LabelSet) -> Optional[np.ndarray]:
    c = task.resampling.cluster
    if not c:
        return None
    vals = labels.public[c].astype(str).to_numpy()
    if (vals == "").any():
        # A native label file without the cluster column: fall back to case-level resampling.
        return None
    return vals


def plan_for(task: Task, labels: LabelSet, settings: BootstrapSettings):
    strata, strat_name = strata_for(task, labels)
    clusters = clusters_for(task, labels)
    key = f"{task.id}|{labels.split}|{labels.sha256}"
    plan = ResamplingPlan.build(
        n=len(labels),
        strata=strata,
        clusters=clusters,
        replicates=settings.replicates,
        seed=settings.seed,
        key=key,
    )
    return plan, strat_name, clusters, key


# -- scoring --------------------------------------------------------------------------------------
@dataclass
class TaskScores:
    """Scores of several submissions on one plan: results plus the replicate matrices."""

    task: Task
    labels: LabelSet
    settings: BootstrapSettings
    names: list[str]
    results: list[ScoreResult]
    bound: list[BoundMetric]
    points: np.ndarray  # (S, M)
    replicates: Optional[np.ndarray] = None  # (S, M, B)
    submissions: list[Submission] = field(default_factory=list)

    def primary_replicates(self) -> Optional[np.ndarray]:
        return None if self.replicates is None else self.replicates[:, 0, :]


def delong_cluster_note(cluster: str) -> str:
    """The note attached to every DeLong result on a task whose cases are clustered."""
    return (
        f"DeLong treats cases as independent; this task's cases are clustered by "
        f"{cluster}, which the bootstrap intervals respect"
    )


def _interval(method, point, reps, jack, level, spec, y_sub, s_sub, policy, max_frac, cluster=None):
    """Return (ci, method_used, note, n_undefined) for one metric of one submission."""
    n_undef = int(np.count_nonzero(~np.isfinite(reps)))
    note = None
    if method == "delong":
        if spec.metric.supports_delong:
            iv = delong_ci(y_sub, s_sub, level=level)
            ci = [iv.low, iv.high] if iv.available else None
            note = iv.reason
            if note is None and cluster:
                note = delong_cluster_note(cluster)
            return ci, "delong", note, n_undef
        method = "percentile"
        note = "DeLong applies to single-target AUC; percentile bootstrap used"
    if not np.isfinite(point):
        return None, method, "point estimate undefined", n_undef
    if n_undef and policy == "error":
        return None, method, f"{n_undef} undefined replicates (policy: error)", n_undef
    iv = confidence_interval(
        point, reps, level, method, jack=jack, undefined="drop", max_undefined=max_frac
    )
    if not iv.available:
        return None, method, iv.reason, n_undef
    return [iv.low, iv.high], method, note, n_undef


def degenerate_auc_note(fn: str, value: Optional[float]) -> Optional[str]:
    """The note for an AUC point estimate of exactly 0 or 1, whose interval is degenerate.

    With every positive case scored above every negative one (AUC 1; below for AUC 0), every
    bootstrap resample that holds both classes gives the same AUC and DeLong's variance is 0,
    so any interval collapses to the point: ``[1, 1]`` says nothing about the uncertainty of
    the AUC. None for other metrics and values.

    >>> degenerate_auc_note("log_loss", 1.0) is None, degenerate_auc_note("roc_auc", 0.9) is None
    (True, True)
    >>> degenerate_auc_note("roc_auc", 1.0)[:46]
    'degenerate interval: AUC = 1, every positive c'
    """
    if value is None or not (M.is_registered(fn) and M.get(fn).rank_based) or value not in (0.0, 1.0):
        return None
    side = "above" if value == 1.0 else "below"
    v = int(value)
    return (f"{DEGENERATE_NOTE}: AUC = {v}, every positive case is scored {side} every "
            f"negative case, so every resample gives {v} and the interval [{v}, {v}] does not "
            f"measure uncertainty (perfect separation in a finite sample is not certainty)")


def score_task(
    task: Task,
    labels: LabelSet,
    submissions: Sequence[Submission],
    names: Sequence[str],
    settings: BootstrapSettings,
    infos: Optional[Sequence[SubmissionInfo]] = None,
    with_comparisons: bool = True,
) -> TaskScores:
    """Score every submission on the same replicates and build one result per submission."""
    bound = bind_metrics(task, labels)
    S, Mn = len(submissions), len(bound)
    points = np.full((S, Mn), np.nan)
    for i, sub in enumerate(submissions):
        if sub.scores.shape[0] != len(labels):
            raise ValueError("submission is not aligned to the labels")
        for j, bm in enumerate(bound):
            points[i, j] = bm.point(sub.scores)

    reps = None
    plan = strat_name = clusters = key = None
    jack = None
    if settings.replicates > 0 and S:
        plan, strat_name, clusters, key = plan_for(task, labels, settings)
        kernels = [bm.kernel(sub.scores, len(labels)) for sub in submissions for bm in bound]
        if all(k is not None for k in kernels):
            # Every metric declares its terms: one fused pass over the plan, closed-form
            # jackknife.
            reps = engine.replicates(kernels, plan).reshape(S, Mn, -1)
            if settings.method == "bca":
                jack = engine.jackknife(kernels, plan).reshape(S, Mn, -1)
        else:
            evaluators = [bm.evaluator(sub.scores) for sub in submissions for bm in bound]
            reps = bootstrap_replicates(evaluators, plan).reshape(S, Mn, -1)
            if settings.method == "bca":
                jack = jackknife_values(evaluators, plan).reshape(S, Mn, -1)

    results = []
    compare_inputs = None  # built on first use, shared by every submission
    for i, sub in enumerate(submissions):
        mvals = {}
        undefined_counts = {}
        degenerate_warnings: list[str] = []
        for j, bm in enumerate(bound):
            spec = bm.spec
            metric = M.get(spec.fn)
            mv = dict(
                value=float(points[i, j]) if np.isfinite(points[i, j]) else None,
                display_value=format_value(points[i, j]),
                display_name=spec.display_name,
                higher_is_better=metric.higher_is_better,
                targets=list(spec.targets),
                subgroup={spec.subgroup[0]: spec.subgroup[1]} if spec.subgroup else None,
                n_cases=bm.n_cases,
            )
            if reps is not None:
                s_sub = sub.scores if bm.mask is None else sub.scores[bm.mask]
                yy, ss = _slice(spec, bm.y, s_sub)
                ci, used, note, n_undef = _interval(
                    settings.method,
                    points[i, j],
                    reps[i, j],
                    None if jack is None else jack[i, j],
                    settings.level,
                    spec,
                    yy,
                    ss,
                    task.resampling.undefined,
                    task.resampling.max_undefined_fraction,
                    task.resampling.cluster if clusters is not None else None,
                )
                degenerate = degenerate_auc_note(spec.fn, mv["value"]) if ci else None
                if degenerate:
                    note = degenerate if note is None else f"{degenerate}; {note}"
                    degenerate_warnings.append(f"{spec.name}: {degenerate}")
                mv.update(ci=ci, ci_method=used, ci_note=note, undefined_replicates=n_undef)
                if n_undef:
                    undefined_counts[spec.name] = n_undef
            mvals[spec.name] = MetricValue(**mv)
        boot = None
        if reps is not None:
            boot = BootstrapInfo(
                replicates=settings.replicates,
                seed=settings.seed,
                method=settings.method,
                level=settings.level,
                stratified=strat_name,
                cluster=task.resampling.cluster if clusters is not None else None,
                n_clusters=int(len(np.unique(clusters))) if clusters is not None else None,
                undefined_policy=task.resampling.undefined,
                undefined_replicates=undefined_counts,
                plan_key=key,
            )
        info = infos[i] if infos else SubmissionInfo(
            path=str(sub.path), sha256=sub.sha256, format=sub.format, n_rows=sub.n_rows
        )
        comparisons = {}
        if plan is not None and with_comparisons:
            if compare_inputs is None:
                compare_inputs = ComparisonInputs.build(task, labels, plan) or False
            if compare_inputs:
                comparisons = compare_with_readers_of_task(task, labels, sub.scores, plan, settings, compare_inputs)
        warnings = [w.format() for w in sub.warnings] + list(labels.notes) + degenerate_warnings
        results.append(
            ScoreResult(
                task=task.id,
                task_version=task.version,
                task_title=task.title,
                split=labels.split,
                labels_sha256=labels.sha256,
                labels_pinned=labels.pinned,
                labels_source=labels.description or None,
                synthetic_labels=labels.synthetic,
                banner=DEMO_BANNER if labels.synthetic else None,
                n_cases=len(labels),
                primary=task.primary,
                metrics=mvals,
                submission=info,
                bootstrap=boot,
                comparisons=comparisons,
                warnings=warnings,
            )
        )
    return TaskScores(
        task=task,
        labels=labels,
        settings=settings,
        names=list(names),
        results=results,
        bound=bound,
        points=points,
        replicates=reps,
        submissions=list(submissions),
    )


def compare_two(
    task: Task,
    labels: LabelSet,
    a: Submission,
    b: Submission,
    names: Sequence[str],
    settings: BootstrapSettings,
) -> dict:
    """Paired comparison of two submissions on every metric of the task.

    Both are evaluated on the same bootstrap replicates; for each metric the result holds the
    two point values, the difference ``a - b`` (oriented so that a positive value means ``a`` has
    the larger metric value), its paired percentile interval and two-sided bootstrap p-value, and,
    for single-target AUC metrics, the paired DeLong test (as pROC's ``roc.test``). On a task
    whose cases are clustered (e.g. by patient) the DeLong result carries a ``note`` that it
    treats cases as independent, while the bootstrap interval and p-value resample clusters.
    """
    if settings.replicates == 0:
        raise UsageError("a paired comparison needs bootstrap replicates (--bootstrap >= 100).")
    ts = score_task(task, labels, [a, b], names, settings, with_comparisons=False)
    out = {
        "task": task.id,
        "task_version": task.version,
        "split": labels.split,
        "labels_sha256": labels.sha256,
        "synthetic_labels": labels.synthetic,
        "a": names[0],
        "b": names[1],
        "bootstrap": ts.results[0].bootstrap.model_dump(mode="json"),
        "metrics": {},
    }
    cluster = ts.results[0].bootstrap.cluster
    for j, bm in enumerate(ts.bound):
        spec = bm.spec
        pdiff = paired_difference(
            ts.replicates[0, j], ts.replicates[1, j], ts.points[0, j], ts.points[1, j],
            settings.level,
        )
        iv = pdiff.interval
        better = None
        if iv.available:
            hib = spec.higher_is_better
            if iv.low > 0:
                better = names[0] if hib else names[1]
            elif iv.high < 0:
                better = names[1] if hib else names[0]
        entry = {
            "a": float(ts.points[0, j]),
            "b": float(ts.points[1, j]),
            "difference": float(pdiff.difference),
            "ci": [iv.low, iv.high] if iv.available else None,
            "ci_note": iv.reason,
            "p_value": pdiff.p_value,
            "higher_is_better": spec.higher_is_better,
            "better": better,
            "undefined_replicates": pdiff.n_undefined,
        }
        if spec.metric.supports_delong:
            sa = a.scores if bm.mask is None else a.scores[bm.mask]
            sb = b.scores if bm.mask is None else b.scores[bm.mask]
            y, xa = _slice(spec, bm.y, sa)
            _, xb = _slice(spec, bm.y, sb)
            if min(int(y.sum()), int((1 - y).sum())) >= 2:
                t = delong_paired_test(y, xa, xb, settings.level)
                entry["delong"] = {
                    "difference": float(t.difference),
                    "se": float(t.se),
                    "z": float(t.z),
                    "p_value": float(t.p_value),
                    "ci": [float(t.ci_low), float(t.ci_high)],
                    "note": delong_cluster_note(cluster) if cluster else None,
                }
        out["metrics"][spec.name] = entry
    return out
