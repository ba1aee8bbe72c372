"""Leaderboard data: every submission of every task scored on one shared plan per task.

:func:`score_all_tasks` validates and scores every submission folder of every task, caches
what it computed, and adds the comparisons the leaderboard shows (bootstrap rank
distributions, difference from the leader, pairwise significance, reader operating points,
ROC and calibration curves).

Cache
-----
Scoring a task with thousands of bootstrap replicates is the slow part of a build, so each
submission's result is stored under ``<cache>/<task>/<plan>/<entry>.{json,npy}``:

* ``<plan>`` hashes the cache schema, the harness version, the task id, version and full
  declaration, the split, the sha256 of the labels, and the bootstrap seed, replicates, method
  and level — everything that defines the shared :class:`~benchmark.stats.resampling.ResamplingPlan`;
* ``<entry>`` adds the sha256 of the prediction file and its declared format.

The ``.npy`` file holds the submission's replicate matrix ``(M, B)`` (one row per metric
spec, primary first); the ``.json`` file holds the result record, ROC and calibration curves
and reader comparisons. Because every submission of a task is evaluated on the same
replicates, cached and freshly scored submissions compare exactly as if all had been scored
together. An unchanged rebuild reads the cache only.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .. import __version__
from ..metrics.auc import roc_auc, roc_curve_points
from ..metrics.calibration import calibration_bin_index, expected_calibration_error
from ..submissions.folders import Entry, discover
from ..core.errors import Problem, SubmissionInvalid
from ..data.csvio import sha256_file
from ..data.labels import LabelSet, load_labels
from ..core.executor import Executor, LocalExecutor
from ..core.formatting import DEMO_BANNER, format_value
from ..scoring.results import ScoreResult, SubmissionInfo
from ..submissions.submission import read_submission
from ..core.fileio import atomic_write_bytes, atomic_write_text
from ..core.canonical import canonical_json
from ..scoring.score import BootstrapSettings, plan_for, score_task
from ..data.tasks import Task, TaskRegistry
from ..core.termtable import plain_table
from ..core.fingerprint import source_fingerprint

CACHE_SCHEMA = "leaderboard-cache-1"
SIGNIFICANCE_MAX = 30  # entries shown in the pairwise significance map (best by point rank)
CALIBRATION_BINS = 10
#: A reliability bin with fewer cases is marked ``sparse`` (hollow marker in the figure): the
#: standard error of its observed rate is then at least ``sqrt(0.5 * 0.5 / 9) = 0.17`` near a
#: rate of one half, too wide to read a calibration gap from.
CALIBRATION_MIN_BIN_CASES = 10
SCORE_BATCH = 25  # submissions scored together (bounds the replicate matrix in memory)
POOL_MIN_SUBMISSIONS = 20  # fewer submissions to score: score them in this process

__all__ = [
    "BoardRow",
    "TaskBoard",
    "score_board",
    "score_all_tasks",
    "calibration_stats",
    "thin_curve",
    "subgroup_differences",
    "score_history",
]


# -- rows and boards ----------------------------------------------------------------------------
@dataclass
class BoardRow:
    """One submission folder of a task and everything computed for it."""

    entry: Entry
    result: Optional[ScoreResult] = None
    problems: Optional[SubmissionInvalid] = None
    rank: Optional[int] = None
    replicates: Optional[np.ndarray] = None  # (M, B), primary first; None without bootstrap
    curves: dict = field(default_factory=dict)  # roc, calibration, operating_points
    cached: bool = False
    rank_summary: Optional[dict] = None
    arena_rank: Optional[int] = None
    leader_difference: Optional[dict] = None
    better_than: list[str] = field(default_factory=list)


@dataclass
class TaskBoard:
    """A task's leaderboard: scored rows (best first), invalid rows last, and comparisons."""

    task: Task
    labels: LabelSet
    rows: list[BoardRow]
    settings: BootstrapSettings
    metric_names: list[str]
    labels_arg: Optional[str] = None
    leader: Optional[str] = None
    significance: Optional[dict] = None
    cache_dir: Optional[Path] = None
    extras: dict = field(default_factory=dict)
    disclosure: Optional[object] = None  # benchmark.data.disclosure.Disclosure

    @property
    def scored(self) -> list[BoardRow]:
        return [r for r in self.rows if r.result is not None]

    @property
    def invalid(self) -> list[BoardRow]:
        return [r for r in self.rows if r.problems is not None]

    @property
    def points(self) -> np.ndarray:
        """Point values ``(S, M)`` of the scored rows, in row order (nan = undefined)."""
        rows = self.scored
        out = np.full((len(rows), len(self.metric_names)), np.nan)
        for i, r in enumerate(rows):
            for j, name in enumerate(self.metric_names):
                v = r.result.metrics[name].value
                out[i, j] = np.nan if v is None else v
        return out

    @property
    def replicates(self) -> Optional[np.ndarray]:
        """Replicate matrix ``(S, M, B)`` of the scored rows, or None without bootstrap."""
        rows = self.scored
        if not rows or any(r.replicates is None for r in rows):
            return None
        return np.stack([r.replicates for r in rows])

    def text_table(self, width: Optional[int] = None) -> str:
        """Every metric of every scored submission, as plain-text tables no wider than
        ``width`` (default: the terminal's width): metrics that do not fit continue in another
        table below, which repeats the rank and submission columns. Nothing is dropped."""
        import shutil


        t = self.task
        spec = t.primary_spec
        out = [
            f"{t.id}: {t.title}" + (f" [{DEMO_BANNER}]" if self.labels.synthetic else ""),
            f"split {self.labels.split}, {len(self.labels)} cases; primary {t.primary} "
            f"({'higher' if spec.higher_is_better else 'lower'} is better)",
        ]
        if self.labels.synthetic:
            out.append(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***")
        width = width or shutil.get_terminal_size((100, 24)).columns
        specs = t.metric_specs()
        shown = [s.name for s in specs[1:] if s.subgroup is None] + [s.name for s in specs if s.subgroup]
        shown = [n for n in shown if n in self.metric_names]
        fixed_h = ["rank", "submission", t.primary, f"{self.settings.level:.0%} CI"]
        fixed, cols = [], {n: [] for n in shown}
        for r in self.scored:
            res = r.result
            pm = res.metrics[t.primary]
            ci = "" if not pm.ci or pm.ci[0] is None else f"[{format_value(pm.ci[0])}, {format_value(pm.ci[1])}]"
            fixed.append(["–" if r.rank is None else str(r.rank), r.entry.label, pm.display_value, ci])
            for n in shown:
                cols[n].append(res.metrics[n].display_value)

        if not any(f[3] for f in fixed):  # no intervals (bootstrap off): no empty column
            fixed_h, fixed = fixed_h[:3], [f[:3] for f in fixed]

        def col_width(h, values):
            return max([len(h), *map(len, values)])

        def base(n_fixed):
            return sum(col_width(h, [f[i] for f in fixed]) + 2 for i, h in enumerate(fixed_h[:n_fixed]))

        # the first table carries the primary metric; the ones that continue it only the names
        blocks, cur, used = [], [], base(len(fixed_h))
        for n in shown:
            w = col_width(n, cols[n]) + 2
            if cur and used + w > width:
                blocks.append(cur)
                cur, used = [], base(2)
            cur.append(n)
            used += w
        blocks.append(cur)
        for k, block in enumerate(blocks):
            n_fixed = 2 if k else len(fixed_h)
            if k:
                out.append("")
                out.append(f"{t.id} (continued)")
            rows = [f[:n_fixed] + [cols[n][i] for n in block] for i, f in enumerate(fixed)]
            right = {0} | set(range(2, n_fixed + len(block)))  # numbers right-aligned
            out.append(plain_table(fixed_h[:n_fixed] + block, rows, right - ({3} if n_fixed == 4 else set())))
        for r in self.invalid:
            out.append(f"invalid: {r.entry.name}: {len(r.problems.problems)} problem(s)")
        return "\n".join(out)


# -- hashing and the cache ----------------------------------------------------------------------
def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def code_fingerprint() -> str:
    """sha256 of the scoring code (:func:`benchmark.core.fingerprint.source_fingerprint`).

    Part of the cache key, so a change to the code invalidates cached results even when the
    harness version number was not raised.
    """
    return source_fingerprint()


def task_fingerprint(task: Task) -> str:
    """sha256 of the task's full declaration (its id, version, metrics, baselines...)."""
    return _sha(task.model_dump(mode="json"))


def plan_hash(task: Task, labels: LabelSet, settings: BootstrapSettings) -> str:
    return _sha(
        {
            "schema": CACHE_SCHEMA,
            "harness": __version__,
            "code": code_fingerprint(),
            "task": task.id,
            "task_version": task.version,
            "task_fingerprint": task_fingerprint(task),
            "split": labels.split,
            "labels_sha256": labels.sha256,
            "seed": settings.seed,
            "replicates": settings.replicates,
            "method": settings.method,
            "level": settings.level,
        }
    )


class ResultCache:
    """Per-submission results of one task and plan: ``<key>.json`` + ``<key>.npy``."""

    def __init__(self, folder: Optional[Path]):
        self.folder = Path(folder) if folder is not None else None

    def load(self, key: str):
        if self.folder is None:
            return None
        jpath = self.folder / f"{key}.json"
        npath = self.folder / f"{key}.npy"
        try:
            record = json.loads(jpath.read_text(encoding="utf-8"))
            reps = np.load(npath, allow_pickle=False) if record.get("has_replicates") else None
            result = ScoreResult.model_validate(record["result"])
        except (OSError, ValueError, KeyError):
            return None
        return result, reps, record.get("curves", {})

    def store(self, key: str, result: ScoreResult, reps: Optional[np.ndarray], curves: dict) -> None:
        if self.folder is None:
            return
        if reps is not None:
            import io

            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(reps, dtype=np.float64), allow_pickle=False)
            atomic_write_bytes(self.folder / f"{key}.npy", buf.getvalue())
        record = {
            "has_replicates": reps is not None,
            "result": result.model_dump(mode="json"),
            "curves": curves,
        }
        atomic_write_text(self.folder / f"{key}.json", canonical_json(record))


# -- curves -------------------------------------------------------------------------------------
_LEVEL = re.compile(r"_l\d_[ls]\d$")


def roc_groups(task: Task) -> list[dict]:
    """The ROC panels of a task.

    Binary tasks: one per target. Multi-class tasks: one per condition (targets without their
    side and spinal level), "most severe class vs the others", pooled over the condition's
    labelled targets.
    """
    if task.kind == "binary":
        return [{"key": t, "title": t, "targets": [j], "positive": None} for j, t in enumerate(task.targets)]
    groups: dict[str, list[int]] = {}
    for j, t in enumerate(task.targets):
        cond = re.sub(r"^(left|right)_", "", _LEVEL.sub("", t))
        groups.setdefault(cond, []).append(j)
    pos = len(task.classes) - 1
    return [
        {
            "key": cond,
            "title": f"{cond.replace('_', ' ')}: {task.classes[pos]} vs other",
            "targets": idx,
            "positive": pos,
        }
        for cond, idx in groups.items()
    ]


def _group_arrays(task: Task, y: np.ndarray, s: np.ndarray, group: dict):
    idx = group["targets"]
    if task.kind == "binary":
        return y[:, idx[0]].astype(float), s[:, idx[0]].astype(float)
    yy = y[:, idx].ravel()
    ss = s[:, idx, group["positive"]].ravel()
    keep = yy >= 0
    return (yy[keep] == group["positive"]).astype(float), ss[keep].astype(float)


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


def _r(v, digits: int = 6):
    if v is None:
        return None
    v = float(v)
    return round(v, digits) if math.isfinite(v) else None


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


def calibration_stats(y, p, bins: int = CALIBRATION_BINS) -> dict:
    """Reliability numbers and a binned reliability curve of probabilities ``p`` for 0/1 ``y``.

    * ``calibration_in_the_large``: intercept ``a`` of ``logit P(y) = a + logit(p)`` (0 when the
      mean prediction matches the event rate; positive when risks are underestimated);
    * ``calibration_slope``: ``b`` of ``logit P(y) = a + b logit(p)`` (1 ideal, below 1 when
      predictions are too extreme); None when ``p`` is constant or the fit does not converge;
    * ``brier``: mean squared error of ``p``; ``ece``: expected calibration error
      (:func:`benchmark.metrics.registry.expected_calibration_error`) over ``bins`` equal-width bins,
      closed on the right with the first bin ``[0, 1/bins]`` (Guo et al., ICML 2017);
    * ``bins``: the non-empty bins, each with its edges, case count, mean prediction, observed
      rate and ``sparse`` (fewer than ``CALIBRATION_MIN_BIN_CASES`` cases).

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
        mp, ob = float(p[m].mean()), float(y[m].mean())
        table.append({"low": _r(b / bins, 3), "high": _r((b + 1) / bins, 3), "n": k,
                      "mean_predicted": _r(mp), "observed": _r(ob),
                      "sparse": k < CALIBRATION_MIN_BIN_CASES})
    return {
        "n": n,
        "events": int(y.sum()),
        "observed_rate": _r(y.mean()) if n else None,
        "mean_predicted": _r(p.mean()) if n else None,
        "calibration_in_the_large": _r(citl),
        "calibration_slope": _r(slope),
        "brier": _r(np.mean((p - y) ** 2)) if n else None,
        "ece": _r(expected_calibration_error(y, p, bins)) if n else None,
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


def submission_curves(
    task: Task, labels: LabelSet, scores: np.ndarray, plan, settings: BootstrapSettings, known_ops=None
) -> dict:
    """ROC curves, calibration and reader comparisons of one submission (JSON-ready).

    ``known_ops``: reader operating-point comparisons already computed by the scorer (the
    ``baselines`` of :attr:`ScoreResult.comparisons`); computed here when absent.
    """
    from ..stats.baselines import compare_to_operating_point
    from ..stats.operating_points import sensitivity_at_specificity, specificity_at_sensitivity

    y = labels.y
    # The values as the task's metrics read them (e.g. clipped, then every row rescaled to sum
    # to 1), for the ROC and calibration panels alike.
    read = next((s.metric.probabilities for s in task.metric_specs() if s.metric.probabilities), None)
    probs = read(scores) if read is not None else scores
    out: dict = {"roc": [], "calibration": [], "operating_points": []}
    for g in roc_groups(task):
        yy, ss = _group_arrays(task, y, probs, g)
        item = {"key": g["key"], "title": g["title"], "n": int(yy.size), "positives": int(yy.sum())}
        if 0 < yy.sum() < yy.size:
            fpr, tpr, _ = roc_curve_points(yy, ss)
            fx, fy = thin_curve(fpr, tpr)
            item.update(auc=_r(roc_auc(yy, ss)), fpr=[_r(v, 5) for v in fx], tpr=[_r(v, 5) for v in fy])
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
            out["calibration"].append({"key": g["key"], "title": g["title"], **calibration_stats(yy, pp)})
    if known_ops:
        out["operating_points"] = [json.loads(canonical_json(c)) for c in known_ops]
    elif task.kind == "binary":
        for b in task.baselines:
            j = task.targets.index(b.target)
            yy, ss = y[:, j], scores[:, j]
            if plan is not None:
                comp = compare_to_operating_point(
                    yy, ss, b, plan, level=settings.level, seed=task.resampling.seed
                ).to_dict()
            else:
                comp = {
                    "baseline": b.name,
                    "target": b.target,
                    "source": b.source,
                    "level": settings.level,
                    "sensitivity": {"quantity": "sensitivity", "matched_on": "specificity", "submission": _r(sensitivity_at_specificity(yy, ss, b.specificity)), "baseline": b.sensitivity, "matched_value": b.specificity, "submission_ci": None, "difference": None, "difference_ci": None, "verdict": "no interval (no bootstrap)"},
                    "specificity": {"quantity": "specificity", "matched_on": "sensitivity", "submission": _r(specificity_at_sensitivity(yy, ss, b.sensitivity)), "baseline": b.specificity, "matched_value": b.sensitivity, "submission_ci": None, "difference": None, "difference_ci": None, "verdict": "no interval (no bootstrap)"},
                }
            out["operating_points"].append(json.loads(canonical_json(comp)))
    return out


# -- scoring ------------------------------------------------------------------------------------
def _entry_key(plan_key: str, pred_sha: str, fmt: Optional[str]) -> str:
    return _sha({"plan": plan_key, "predictions_sha256": pred_sha, "format": fmt})[:32]


def _info(row: BoardRow, root: Path, sub=None, base: Optional[SubmissionInfo] = None) -> SubmissionInfo:
    e = row.entry
    try:
        rel = e.predictions.relative_to(root).as_posix()
    except ValueError:
        rel = e.predictions.as_posix()
    if sub is not None:
        return SubmissionInfo(
            path=rel, sha256=sub.sha256, format=sub.format, n_rows=sub.n_rows,
            team=e.meta.team if e.meta else None, model=e.meta.model if e.meta else None,
        )
    return base.model_copy(update={"path": rel, "team": e.meta.team if e.meta else None, "model": e.meta.model if e.meta else None})


def _score_batch(job) -> list:
    """Score one batch of validated submissions: ``[(result, replicates, curves)]`` in order.

    ``job`` is ``(task, labels, submissions, names, settings, infos)``. A pure function of its
    argument (every submission is evaluated on the task's shared plan), run in a worker
    process for large builds.
    """
    task, labels, subs, names, settings, infos = job
    scores = score_task(task, labels, subs, names, settings, infos)
    plan = None  # built only when the scorer did not compare with the reader baselines itself
    out = []
    for i, sub in enumerate(subs):
        result = scores.results[i]
        reps = None if scores.replicates is None else np.array(scores.replicates[i])
        known = result.comparisons.get("baselines") if result.comparisons else None
        if not known and plan is None and settings.replicates > 0 and task.kind == "binary" and task.baselines:
            plan = plan_for(task, labels, settings)[0]
        out.append((result, reps, submission_curves(task, labels, sub.scores, plan, settings, known)))
    return out


def _validate_and_score(job, labels: LabelSet, all_labels: LabelSet) -> list:
    """Validate and score one batch of pending entries: ``[(problems, scored)]`` in order.

    ``job`` is ``(task, disclosure, settings, root, identity, rows)``; ``labels`` are the shown
    labels, ``all_labels`` the whole split (its public ids validate the files). For an invalid
    entry ``problems`` is ``(problems, warnings)`` of its :class:`SubmissionInvalid` and
    ``scored`` is None; otherwise ``problems`` is None and ``scored`` is ``(result,
    replicates, curves)``. A pure function of its arguments, run in a worker process or on a
    cluster for large builds.
    """
    task, disc, settings, root, identity, rows = job
    outcomes: list = []
    valid = []
    for row in rows:
        e = row.entry
        try:
            fmt = e.meta.format if e.meta else None
            shown = e.predictions.relative_to(root).as_posix()
            if e.encrypted:  # decrypted in memory only; the plain text is never written
                sub = _read_encrypted(task, e, all_labels, fmt, shown, identity)
            else:
                sub = read_submission(task, e.predictions, all_labels.public_cases(), format=fmt, display_path=shown)
        except SubmissionInvalid as exc:
            outcomes.append(((exc.problems, exc.warnings), None))
            continue
        valid.append((len(outcomes), row, disc.submission(sub, all_labels)))
        outcomes.append((None, None))
    batch = (task, labels, [s for _, _, s in valid], [r.entry.name for _, r, _ in valid], settings,
             [_info(r, root, sub=s) for _, r, s in valid])
    for (i, _, _), scored in zip(valid, _score_batch(batch)):
        outcomes[i] = (None, scored)
    return outcomes


def _read_encrypted(task: Task, e, labels: LabelSet, fmt, shown: str, identity):
    """Read an encrypted entry in memory; a wrong file or hash is a problem of the entry."""
    from ..submissions.confidential import decrypt, resolve_identity, sha256_hex
    from ..submissions.submission import read_submission_bytes

    try:
        plain = decrypt(e.predictions.read_bytes(), resolve_identity(task, identity))
    except ValueError as exc:
        raise SubmissionInvalid([Problem("cannot-decrypt", str(exc), file=shown)]) from None
    want = e.meta.predictions_sha256 if e.meta else None
    if want is not None and sha256_hex(plain) != want:
        raise SubmissionInvalid([Problem("sha256-mismatch", "the decrypted predictions do not have the "
                                         "sha256 recorded in submission.toml", file=shown, expected=want)])
    return read_submission_bytes(task, plain, labels.public_cases(), format=fmt, display_path=shown)


def score_board(
    task: Task,
    root: Path,
    labels_path=None,
    replicates: Optional[int] = None,
    progress: Optional[Callable[[str], None]] = None,
    cache_dir=None,
    workers: Optional[int] = None,
    now=None,
    withhold: bool = True,
    identity=None,
    executor: Optional[Executor] = None,
) -> TaskBoard:
    """Score every submission of ``task`` (from the cache where possible) and compare them.

    Everything goes through the task's disclosure stage (:mod:`benchmark.data.disclosure`):
    only the shown part of the labels is scored, and results and curves are kept only as they
    may be published. ``now``: ``YYYY-MM-DD`` deciding the reveal (default
    ``$BENCHMARK_NOW``, else, with the committed demo labels, the newest submission date of
    the task, else today). ``withhold=False``: a maintainer's private view (see
    :class:`~benchmark.data.disclosure.Disclosure`).

    ``workers``: worker processes for scoring when at least :data:`POOL_MIN_SUBMISSIONS`
    submissions need scoring (see :func:`benchmark.core.parallel.worker_count`). ``executor``:
    where the validation and scoring jobs run instead (e.g. a Dask cluster, see
    :func:`benchmark.core.executor.open_executor`). The result depends on neither.
    """
    from ..data.disclosure import decide, demo_now, resolve_now

    root = Path(root)
    all_labels = load_labels(task, None, labels_path)
    rows = [BoardRow(e) for e in discover(root, task.id)]
    dates = [r.entry.meta.date for r in rows if r.entry.meta is not None]
    when = now if hasattr(now, "isoformat") else resolve_now(
        now, default=lambda: demo_now(dates) if all_labels.synthetic and labels_path is None else None)
    disc = decide(task, all_labels, when, withhold=withhold)
    labels = disc.restrict(all_labels)
    settings = BootstrapSettings.from_task(task, replicates=replicates)
    pkey = plan_hash(task, labels, settings)
    cache = ResultCache(Path(cache_dir) / task.id / pkey[:16] if cache_dir is not None else None)
    names = [s.name for s in task.metric_specs()]

    pending: list[tuple[BoardRow, str]] = []
    for row in rows:
        e = row.entry
        if e.meta_error is not None:
            row.problems = e.meta_error
            continue
        fmt = e.meta.format if e.meta else None
        key = None
        if e.predictions.is_file():
            key = _entry_key(pkey, sha256_file(e.predictions), fmt)
            hit = cache.load(key)
            if hit is not None:
                res, reps, curves = hit
                row.result = res.model_copy(update={"submission": _info(row, root, base=res.submission)})
                row.replicates, row.curves, row.cached = reps, curves, True
                continue
        pending.append((row, key))

    if pending and progress:
        progress(
            f"{task.id}: {len(rows) - len(pending)} cached, validating and scoring {len(pending)} "
            f"submission(s) on {settings.replicates} paired replicates"
        )
    # Batches of pending entries are validated and scored independently (every one on the
    # task's shared plan), in worker processes or on a cluster when there are several; the
    # labels go to the workers once; results come back in batch order.
    executor = executor or LocalExecutor(workers)
    pool = len(pending) >= POOL_MIN_SUBMISSIONS or executor.remote
    size = SCORE_BATCH
    if executor.workers > 1 and pool:
        size = min(SCORE_BATCH, math.ceil(len(pending) / (2 * executor.workers)))  # balanced batches
    batches = [pending[start : start + size] for start in range(0, len(pending), size)]
    jobs = [(task, disc, settings, root, identity, [r for r, _ in b]) for b in batches]
    done = 0

    def _store(i: int, outcomes: list) -> None:
        nonlocal done
        for (row, key), (problems, scored) in zip(batches[i], outcomes):
            if problems is not None:
                row.problems = SubmissionInvalid(*problems)
                continue
            row.result, row.replicates, row.curves = scored
            if key is not None:
                cache.store(key, *scored)
        done += len(batches[i])
        if progress and len(pending) > size:
            progress(f"{task.id}: scored {done}/{len(pending)}")

    if jobs:
        executor.map(_validate_and_score, jobs, executor.scatter(labels), executor.scatter(all_labels),
                     min_items=2 if pool else len(jobs) + 1, on_result=_store)

    board = TaskBoard(
        task, labels, rows, settings, names,
        labels_arg=None if labels_path is None else str(labels_path),
        cache_dir=None if cache_dir is None else Path(cache_dir),
        disclosure=disc,
    )
    _disclose(board)
    _rank(board)
    return board


def _disclose(board: TaskBoard) -> None:
    """Keep of every scored row only what the task's disclosure lets the leaderboard show.

    On a Ladder task each team's submissions go through one Ladder in the order of their
    dates (then folder names); the row keeps the Ladder's shown score only, and no
    replicates, so no interval, rank distribution or comparison is built from exact scores.
    """
    from ..data.ladder import Ladder

    disc = board.disclosure
    scored = [r for r in board.rows if r.result is not None]
    shown: dict[str, tuple] = {}
    if disc.ladder:
        ladders: dict[str, Ladder] = {}
        epoch = _dt.date(1970, 1, 1)
        order = sorted(scored, key=lambda r: (r.entry.meta.date if r.entry.meta else epoch, r.entry.name))
        for r in order:
            team = r.entry.name.split("__", 1)[0]
            lad = ladders.get(team)
            if lad is None:
                lad = ladders[team] = Ladder(board.task.higher_is_better, step=disc.ladder_step,
                                             n_cases=len(board.labels))
            value = r.result.primary_value
            d = lad.submit(math.nan if value is None else value,
                           None if r.replicates is None else r.replicates[0])
            shown[r.entry.name] = (d.shown, lad.digits)
    for r in scored:
        value, digits = shown.get(r.entry.name, (None, None))
        r.result = disc.result(r.result, value, digits)
        r.curves = disc.curves(r.curves)
        if disc.ladder:
            r.replicates = None
    if disc.ladder:
        board.metric_names = [board.task.primary]


def _rank(board: TaskBoard) -> None:
    """Order the rows, rank them and add the bootstrap comparisons."""
    from ..stats.ranking import arena_rank, competition_ranks, rank_summary
    from ..stats.significance import leader_comparison, significance_map

    task = board.task
    hib = task.higher_is_better
    scored = [r for r in board.rows if r.result is not None]
    if scored:
        prim = np.array([np.nan if r.result.primary_value is None else r.result.primary_value for r in scored])
        for r, k in zip(scored, competition_ranks(prim, hib)):
            r.rank = int(k) or None  # 0: undefined value, not ranked
    board.rows.sort(key=lambda r: (r.result is None, r.rank is None, r.rank or 0, r.entry.name))
    scored = board.scored
    if not scored:
        return
    names = [r.entry.name for r in scored]
    prim = board.points[:, 0]
    finite = np.isfinite(prim)
    if finite.any():
        board.leader = names[int(np.flatnonzero(prim == (np.nanmax(prim) if hib else np.nanmin(prim)))[0])]
    reps = board.replicates
    if reps is None:
        return
    rp = reps[:, 0, :]
    level = board.settings.level
    for r, s in zip(scored, rank_summary(prim, rp, hib, level=level, names=names)):
        r.rank_summary = s.to_dict()
    ivals = np.array([
        [np.nan, np.nan] if not (r.result.metrics[task.primary].ci and r.result.metrics[task.primary].ci[0] is not None)
        else r.result.metrics[task.primary].ci
        for r in scored
    ], dtype=float)
    ok = np.all(np.isfinite(ivals), axis=1)
    if ok.any():
        ar = arena_rank(ivals[ok], hib)
        for r, k in zip([r for r, o in zip(scored, ok) if o], ar):
            r.arena_rank = int(k)
    if finite.any() and len(scored) > 1:
        lc = leader_comparison(rp, prim, names, hib, level=level)
        diffs = {d.name: d for d in lc.differences}
        for r in scored:
            d = diffs.get(r.entry.name)
            if d is not None:
                r.leader_difference = {
                    "difference": _r(d.difference, 12), "ci": None if d.ci is None else [_r(v, 12) for v in d.ci],
                    "p_value": _r(d.p_value, 12), "verdict": d.verdict, "reason": d.reason,
                }
    top = [i for i in range(len(scored)) if finite[i]][:SIGNIFICANCE_MAX]
    if len(top) > 1:
        sm = significance_map(rp[top], prim[top], [names[i] for i in top], hib, level=1 - level)
        for a, i in enumerate(top):
            scored[i].better_than = [names[top[b]] for b in range(len(top)) if sm.better[a][b]]
        board.significance = {
            "names": sm.names,
            "order": sm.order,
            "p_adjusted": [[_r(v, 12) for v in row] for row in sm.p_adjusted],
            "better": sm.better,
            "untested": sm.untested,
            "alpha": sm.alpha,
            "method": sm.method,
            "n_replicates": sm.n_replicates,
            "n_total": int(finite.sum()),
        }


def subgroup_differences(board: TaskBoard, row: BoardRow) -> list[dict]:
    """Paired differences between the subgroups of every subgroup metric of ``row``.

    For a metric declared per subgroup (e.g. ``auc [modality=MRI]`` and ``auc
    [modality=MRA]``), each later subgroup value is compared with the first declared one:
    ``value(later) - value(first)``. Both statistics are evaluated on the same bootstrap
    replicates of the whole test set (each replicate resamples every case, so both subgroups
    move together), hence the interval of the difference is a paired percentile interval
    (:func:`benchmark.stats.intervals.paired_difference`). Without replicates, or when the
    disclosure rules withhold the subgroup intervals, only the point difference is given.
    """
    from ..stats.intervals import paired_difference

    res = row.result
    if res is None:
        return []
    specs = board.task.metric_specs()
    groups: dict = {}
    for j, s in enumerate(specs):
        if s.subgroup is None:
            continue
        base = s.name.split("[")[0]
        groups.setdefault((base, s.targets, s.subgroup[0]), []).append((j, s))
    out = []
    level = board.settings.level
    for (base, _targets, column), members in groups.items():
        if len(members) < 2:
            continue
        j0, s0 = members[0]
        for j1, s1 in members[1:]:
            if s1.name not in res.metrics or s0.name not in res.metrics:
                continue  # not shown (e.g. a Ladder task shows its primary metric only)
            a, b = res.metrics[s1.name], res.metrics[s0.name]
            item = {
                "metric": base, "column": column, "group": s1.subgroup[1], "reference": s0.subgroup[1],
                "difference": None, "ci": None, "p_value": None,
            }
            if a.value is not None and b.value is not None:
                item["difference"] = _r(a.value - b.value, 12)
                # an interval only where both subgroup intervals are shown (disclosure rules)
                if row.replicates is not None and a.ci and b.ci and None not in (*a.ci, *b.ci):
                    pd_ = paired_difference(row.replicates[j1], row.replicates[j0], a.value, b.value, level=level)
                    if pd_.interval.low is not None and pd_.interval.high is not None:
                        item["ci"] = [_r(pd_.interval.low, 12), _r(pd_.interval.high, 12)]
                    item["p_value"] = None if pd_.p_value is None else _r(pd_.p_value, 12)
            out.append(item)
    return out


def score_history(entries: list[dict], higher_is_better: bool) -> tuple[list[dict], dict]:
    """The best primary score over submission dates, and each entry's rank when submitted.

    ``entries``: dicts with ``name``, ``date`` (ISO text or None) and ``value`` (primary
    metric point value or None). Returns ``(steps, rank_then)``: ``steps`` has one item per
    date on which the best score changed (``date``, ``name`` of the entry holding the best
    score from then on, ``value``), in date order; ``rank_then`` maps an entry name to
    ``{"rank", "of"}``: 1 + the number of entries dated on or before it with a strictly better
    value, among the ``of`` entries dated on or before it (itself included). Entries without a
    date or value take no part.

    >>> steps, then = score_history([
    ...     {"name": "a", "date": "2026-01-01", "value": 0.7},
    ...     {"name": "b", "date": "2026-01-03", "value": 0.6},
    ...     {"name": "c", "date": "2026-01-05", "value": 0.8}], True)
    >>> [(s["date"], s["name"]) for s in steps], then["b"], then["c"]
    ([('2026-01-01', 'a'), ('2026-01-05', 'c')], {'rank': 2, 'of': 2}, {'rank': 1, 'of': 3})
    """
    import bisect
    from itertools import groupby

    dated = sorted(
        (e for e in entries if e.get("date") and e.get("value") is not None
         and math.isfinite(float(e["value"]))),
        key=lambda e: (e["date"], e["name"]),
    )
    sign = 1.0 if higher_is_better else -1.0
    steps: list[dict] = []
    rank_then: dict = {}
    seen: list[float] = []  # -sign * value of every entry dated so far, sorted: better is smaller
    best = None
    for date, group in groupby(dated, key=lambda e: e["date"]):
        today = list(group)
        for e in today:
            bisect.insort(seen, -sign * float(e["value"]))
        for e in today:
            rank_then[e["name"]] = {"rank": 1 + bisect.bisect_left(seen, -sign * float(e["value"])), "of": len(seen)}
        top = min(today, key=lambda e: (-sign * float(e["value"]), e["name"]))
        if best is None or sign * float(top["value"]) > sign * float(best["value"]):
            best = top
            steps.append({"date": date, "name": top["name"], "value": float(top["value"])})
    return steps, rank_then


def score_all_tasks(
    reg: TaskRegistry,
    labels=None,
    replicates: Optional[int] = None,
    progress: Optional[Callable[[str], None]] = None,
    cache_dir=None,
    workers: Optional[int] = None,
    now=None,
    withhold: bool = True,
    identity=None,
    executor: Optional[Executor] = None,
) -> list[TaskBoard]:
    """Score every task's submissions; results are cached under ``cache_dir``.

    ``cache_dir`` defaults to ``<root>/.cache/results``; pass ``False`` to disable the cache.
    ``workers``, ``now``, ``withhold``, ``executor``: see :func:`score_board`. ``identity``: age identity file
    opening confidential predictions (see :func:`benchmark.submissions.confidential.resolve_identity`).
    """
    if cache_dir is None:
        from ..data.tasks import output_root

        cache_dir = output_root(reg.root) / ".cache" / "results"
    elif cache_dir is False:
        cache_dir = None
    return [score_board(t, reg.root, labels, replicates, progress, cache_dir, workers, now, withhold, identity,
                        executor) for t in reg]
