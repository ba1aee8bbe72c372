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
from dataclasses import dataclass, field, fields as dataclass_fields
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
from .cache import ResultCache, entry_key, plan_hash, sha as cache_sha
from .compare import rank_board
from .curves import class_probabilities, roc_bands, submission_curves
from .tables import board_text_table

SCORE_BATCH = 25  # submissions scored together (bounds the replicate matrix in memory)
POOL_MIN_SUBMISSIONS = 20  # fewer submissions to score: score them in this process

__all__ = ["BoardRow", "TaskBoard", "prepare_builds", "results_folder", "run_builds", "score_board", "score_all_tasks"]


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


class TaskLabels:
    """The labels every job of a build needs, by task id: ``{task_id: (shown, whole split)}``.

    One object, so that a cluster receives it once (see :meth:`~benchmark.core.executor.
    Executor.scatter`) and every job of every task reads its own task's labels from it.
    """

    def __init__(self, by_task: dict[str, tuple[LabelSet, LabelSet]]):
        self.by_task = by_task


def _validate_and_score(job, labels) -> list:
    """Validate and score one batch of pending entries: ``[(problems, scored)]`` in order.

    ``job`` is ``(task, disclosure, settings, root, identity, rows)``; ``labels`` a
    :class:`TaskLabels` holding the task's shown labels and the whole split (its public ids
    validate the files). For an invalid entry ``problems`` is ``(problems, warnings)`` of its
    :class:`SubmissionInvalid` and ``scored`` is None; otherwise ``problems`` is None and
    ``scored`` is ``(result, replicates, curves)``. A pure function of its arguments, run in a
    worker process or on a cluster for large builds.
    """
    task, disc, settings, root, identity, rows = job
    labels, all_labels = labels.by_task[task.id]
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


class _Build:
    """One task's board while its submissions are being scored: what the cache holds is read,
    what it misses is cut into batches (:meth:`jobs`), results are stored as they arrive
    (:meth:`store`) and the board is completed when the last one has (:meth:`finish`)."""

    def __init__(self, task: Task, root: Path, labels_path, replicates, cache_dir, now, withhold: bool,
                 identity, progress):
        self.task, self.root, self.identity, self.progress = task, root, identity, progress
        self.labels_path, self.cache_dir = labels_path, cache_dir
        self.all_labels = load_labels(task, None, labels_path)
        self.rows = [BoardRow(e) for e in discover(root, task.id)]
        dates = [r.entry.meta.date for r in self.rows if r.entry.meta is not None]
        when = now if hasattr(now, "isoformat") else resolve_now(
            now, default=lambda: demo_now(dates) if self.all_labels.synthetic and labels_path is None else None)
        self.disc = decide(task, self.all_labels, when, withhold=withhold)
        self.labels = self.disc.restrict(self.all_labels)
        self.settings = BootstrapSettings.from_task(task, replicates=replicates)
        pkey = plan_hash(task, self.labels, self.settings)
        self.cache = ResultCache(Path(cache_dir) / task.id / pkey[:16] if cache_dir is not None else None)
        self.plan_key = pkey
        self.names = [s.name for s in task.metric_specs()]
        self.pending: list[tuple[BoardRow, str]] = []
        self.batches: list[list[tuple[BoardRow, str]]] = []
        self.size = SCORE_BATCH
        self.done = 0
        self.header = None
        # Each submission's cache key (None: no prediction file); rows with unreadable
        # metadata are invalid as they stand.
        self.keyed: list[tuple[BoardRow, Optional[str]]] = []
        for row in self.rows:
            e = row.entry
            if e.meta_error is not None:
                row.problems = e.meta_error
                continue
            fmt = e.meta.format if e.meta else None
            key = None
            if e.predictions.is_file():
                key = entry_key(pkey, sha256_file(e.predictions), fmt, self.disc.case_level)
            self.keyed.append((row, key))

    def inputs(self) -> Optional[str]:
        """sha256 of everything this task's board is made from, when every submission's result
        is in the cache; None when one must be validated or scored (or there is no cache).

        The plan key (code, task declaration and hooks, shown labels, reader study, bootstrap
        settings), the disclosure decision (it depends on the date), what the board shows of
        the labels, and per submission folder its name, metadata and cache key (the sha256 of
        its predictions under the plan). Equal inputs give the same board, bit for bit.
        """
        if self.cache.folder is None:
            return None
        rows = []
        keys = {r.entry.name: k for r, k in self.keyed}
        for row in sorted(self.rows, key=lambda r: r.entry.name):  # a finished board is ranked
            e = row.entry
            if e.meta_error is not None:
                rows.append([e.name, "invalid metadata", [p.to_dict() for p in e.meta_error.problems]])
                continue
            key = keys[e.name]
            if key is None or not self.cache.holds(key):
                return None
            rows.append([e.name, e.predictions.relative_to(self.root).as_posix() if e.predictions.is_relative_to(self.root)
                         else e.predictions.as_posix(), None if e.meta is None else e.meta.model_dump(mode="json"), key])
        shown = {f.name: repr(getattr(self.labels, f.name)) for f in dataclass_fields(self.labels)
                 if f.name not in ("ids", "y", "usage", "public")}
        return cache_sha({
            "plan": self.plan_key, "disclosure": repr(self.disc), "labels": shown, "n_cases": len(self.labels),
            "labels_arg": None if self.labels_path is None else str(self.labels_path),
            "cache_dir": None if self.cache_dir is None else str(self.cache_dir), "rows": rows,
        })

    def load(self) -> None:
        """Read the cached results; what the cache misses is pending (see :meth:`jobs`)."""
        for row, key in self.keyed:
            hit = self.cache.load(key) if key is not None else None
            if hit is not None:
                res, reps, curves = hit
                row.result = res.model_copy(update={"submission": _info(row, self.root, base=res.submission)})
                row.replicates, row.curves, row.cached = reps, curves, True
                continue
            self.pending.append((row, key))
        self.header = (
            f"{self.task.id}: {len(self.rows) - len(self.pending)} cached, validating and scoring "
            f"{len(self.pending)} submission(s) on {self.settings.replicates} paired replicates"
        ) if self.pending else None

    def announce(self) -> None:
        """Say what this build scores (once its turn comes: tasks are reported one by one)."""
        if self.header and self.progress:
            self.progress(self.header)

    def jobs(self, size: int) -> list[tuple]:
        """The pending entries in batches of ``size``, as jobs of :func:`_validate_and_score`."""
        self.size = size
        self.batches = [self.pending[start : start + size] for start in range(0, len(self.pending), size)]
        return [(self.task, self.disc, self.settings, self.root, self.identity, [r for r, _ in b])
                for b in self.batches]

    def store(self, i: int, outcomes: list) -> None:
        """Keep the outcomes of batch ``i`` (and cache what was scored)."""
        for (row, key), (problems, scored) in zip(self.batches[i], outcomes):
            if problems is not None:
                row.problems = SubmissionInvalid(*problems)
                continue
            row.result, row.replicates, row.curves = scored
            if key is not None:
                self.cache.store(key, *scored)
        self.done += len(self.batches[i])
        if self.progress and len(self.pending) > self.size:
            self.progress(f"{self.task.id}: scored {self.done}/{len(self.pending)}")

    def finish(self) -> TaskBoard:
        board = TaskBoard(
            self.task, self.labels, self.rows, self.settings, self.names,
            labels_arg=None if self.labels_path is None else str(self.labels_path),
            cache_dir=None if self.cache_dir is None else Path(self.cache_dir),
            disclosure=self.disc,
        )
        _disclose(board)
        rank_board(board)
        return board


def run_builds(builds: list[_Build], executor: Optional[Executor], workers: Optional[int]) -> list[TaskBoard]:
    """Score what every build misses as jobs of one executor, and complete the boards.

    The batches of all tasks go to the executor in one map, task after task, so the workers
    stay busy across tasks (no wait for a task's last batch before the next task starts) and
    a process pool is started once. Each board is completed as soon as its last batch is
    stored, while the workers score the next tasks; results come back in job order, so the
    output does not depend on where or in which order the jobs ran.
    """
    executor = executor or LocalExecutor(workers)
    total = sum(len(b.pending) for b in builds)
    pool = total >= POOL_MIN_SUBMISSIONS or executor.remote
    owners: list[tuple[_Build, int]] = []
    jobs: list[tuple] = []
    for b in builds:
        size = SCORE_BATCH
        if executor.workers > 1 and pool and b.pending:
            size = min(SCORE_BATCH, math.ceil(len(b.pending) / (2 * executor.workers)))  # balanced batches
        for i, job in enumerate(b.jobs(size)):
            owners.append((b, i))
            jobs.append(job)
    boards: dict[int, TaskBoard] = {}
    left = {id(b): len(b.batches) for b in builds}
    announced: set[int] = set()

    def _finish_ready(upto: int) -> None:
        # every build whose batches are all stored, in task order up to build ``upto``
        for k, b in enumerate(builds[: upto + 1]):
            if k not in boards and left[id(b)] == 0:
                boards[k] = b.finish()
        # report the builds in task order: each one when every build before it is complete
        for k, b in enumerate(builds):
            if k not in announced:
                announced.add(k)
                b.announce()
            if left[id(b)]:
                break

    index = {id(b): k for k, b in enumerate(builds)}

    def _store(j: int, outcomes: list) -> None:
        b, i = owners[j]
        b.store(i, outcomes)
        left[id(b)] -= 1
        _finish_ready(index[id(b)])

    _finish_ready(len(builds) - 1)  # nothing to score for these
    if jobs:
        shared = executor.scatter(TaskLabels({b.task.id: (b.labels, b.all_labels) for b in builds if b.batches}))
        executor.map(_validate_and_score, jobs, shared, min_items=2 if pool else len(jobs) + 1, on_result=_store)
    _finish_ready(len(builds) - 1)
    return [boards[k] for k in range(len(builds))]


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
    build = _Build(task, Path(root), labels_path, replicates, cache_dir, now, withhold, identity, progress)
    build.load()
    return run_builds([build], executor, workers)[0]


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
    cache_dir = results_folder(reg, cache_dir)
    builds = prepare_builds(reg, labels, replicates, progress, cache_dir, now, withhold, identity)
    for b in builds:
        b.load()
    return run_builds(builds, executor, workers)


def prepare_builds(reg: TaskRegistry, labels=None, replicates: Optional[int] = None,
                   progress: Optional[Callable[[str], None]] = None, cache_dir=None, now=None,
                   withhold: bool = True, identity=None) -> list[_Build]:
    """Every task's build with its labels, submissions and cache keys, nothing read from the
    cache yet (arguments as for :func:`score_all_tasks`, ``cache_dir`` already resolved)."""
    root = Path(reg.root)
    return [_Build(t, root, labels, replicates, cache_dir, now, withhold, identity, progress) for t in reg]


def results_folder(reg: TaskRegistry, cache_dir=None) -> Optional[Path]:
    """The result cache of a build: ``cache_dir``, by default ``<root>/.cache/results``; None for
    ``False`` (no cache)."""
    if cache_dir is False:
        return None
    return Path(cache_dir) if cache_dir is not None else output_root(reg.root) / ".cache" / "results"
