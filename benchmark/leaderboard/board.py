"""Leaderboard data: every submission of every task scored on one shared plan per task.

:func:`score_all_tasks` validates and scores every submission folder of every task, caches
what it computed (:mod:`benchmark.leaderboard.cache`), keeps what the disclosure rules let it
show (:mod:`benchmark.data.disclosure`) and adds the comparisons the leaderboard shows
(:mod:`benchmark.leaderboard.compare`) and the per-submission curves
(:mod:`benchmark.leaderboard.curves`).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..core.errors import Problem, SubmissionInvalid
from ..core.executor import Executor, LocalExecutor
from ..data.disclosure import decide, demo_now, resolve_now
from ..data.csvio import sha256_file
from ..data.labels import LabelSet, load_labels
from ..data.ladder import Ladder
from ..data.tasks import Task, TaskRegistry, output_root
from ..scoring.results import ScoreResult, SubmissionInfo
from ..scoring.score import BootstrapSettings, plan_for, score_task
from ..submissions.confidential import decrypt, resolve_identity, sha256_hex
from ..submissions.folders import Entry, discover
from ..submissions.submission import read_submission, read_submission_bytes
from .cache import ResultCache, entry_key, plan_hash
from .compare import rank_board
from .curves import class_probabilities, roc_bands, submission_curves
from .tables import board_text_table

SCORE_BATCH = 25  # submissions scored together (bounds the replicate matrix in memory)
POOL_MIN_SUBMISSIONS = 20  # fewer submissions to score: score them in this process

__all__ = ["BoardRow", "TaskBoard", "score_board", "score_all_tasks"]


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
        """Every metric of every scored submission as plain-text tables no wider than ``width``
        (see :func:`benchmark.leaderboard.tables.board_text_table`)."""
        return board_text_table(self, width)


# -- scoring ------------------------------------------------------------------------------------
# -- scoring ------------------------------------------------------------------------------------
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

    ``job`` is ``(task, labels, submissions, names, settings, infos, bands)``; ``bands``: whether
    to compute the ROC bootstrap bands (only where the disclosure rules show the ROC curves).
    A pure function of its argument (every submission is evaluated on the task's shared plan),
    run in a worker process for large builds.
    """
    task, labels, subs, names, settings, infos, with_bands = job
    scores = score_task(task, labels, subs, names, settings, infos)
    known = [(r.comparisons or {}).get("baselines") for r in scores.results]
    need_ops = task.kind == "binary" and bool(task.baselines) and not all(known)
    plan = plan_for(task, labels, settings)[0] if settings.replicates > 0 and (with_bands or need_ops) else None
    # ROC bands of the whole batch on the task's plan: its weights are drawn once per block
    bands = (roc_bands(task, labels, [class_probabilities(task, s.scores) for s in subs], plan, settings.level)
             if with_bands else [None] * len(subs))
    out = []
    for i, sub in enumerate(subs):
        result = scores.results[i]
        reps = None if scores.replicates is None else np.array(scores.replicates[i])
        out.append((result, reps, submission_curves(task, labels, sub.scores, plan, settings, known[i], bands[i])))
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
             [_info(r, root, sub=s) for _, r, s in valid], disc.case_level)
    for (i, _, _), scored in zip(valid, _score_batch(batch)):
        outcomes[i] = (None, scored)
    return outcomes


def _read_encrypted(task: Task, e, labels: LabelSet, fmt, shown: str, identity):
    """Read an encrypted entry in memory; a wrong file or hash is a problem of the entry."""
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
            key = entry_key(pkey, sha256_file(e.predictions), fmt, disc.case_level)
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
    rank_board(board)
    return board


def _disclose(board: TaskBoard) -> None:
    """Keep of every scored row only what the task's disclosure lets the leaderboard show.

    On a Ladder task each team's submissions go through one Ladder in the order of their
    dates (then folder names); the row keeps the Ladder's shown score only, and no
    replicates, so no interval, rank distribution or comparison is built from exact scores.
    """
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
        cache_dir = output_root(reg.root) / ".cache" / "results"
    elif cache_dir is False:
        cache_dir = None
    return [score_board(t, reg.root, labels, replicates, progress, cache_dir, workers, now, withhold, identity,
                        executor) for t in reg]
