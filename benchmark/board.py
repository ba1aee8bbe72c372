"""Leaderboard data: every submission of every task scored on one shared plan per task."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .entries import Entry, discover
from .errors import SubmissionInvalid
from .labels import LabelSet, load_labels
from .results import DEMO_BANNER, ScoreResult, SubmissionInfo, format_value
from .scoring import BootstrapSettings, TaskScores, score_task
from .submission import read_submission
from .tasks import Task, TaskRegistry


@dataclass
class BoardRow:
    entry: Entry
    result: Optional[ScoreResult] = None
    problems: Optional[SubmissionInvalid] = None
    rank: Optional[int] = None


@dataclass
class TaskBoard:
    task: Task
    labels: LabelSet
    rows: list[BoardRow]
    scores: Optional[TaskScores]
    extras: dict = field(default_factory=dict)

    @property
    def scored(self) -> list[BoardRow]:
        return [r for r in self.rows if r.result is not None]

    def text_table(self) -> str:
        from .cli import _table

        t = self.task
        spec = t.primary_spec
        out = [f"{t.id}: {t.title}", f"split {self.labels.split}, {len(self.labels)} cases; primary {t.primary} ({'higher' if spec.higher_is_better else 'lower'} is better)"]
        if self.labels.synthetic:
            out.append(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***")
        specs = t.metric_specs()
        shown = [s.name for s in specs[1:] if s.subgroup is None][:6] + [s.name for s in specs if s.subgroup][:2]
        headers = ["rank", "submission", t.primary, "95% CI"] + shown
        rows = []
        for r in self.scored:
            res = r.result
            pm = res.metrics[t.primary]
            ci = "" if not pm.ci or pm.ci[0] is None else f"[{format_value(pm.ci[0])}, {format_value(pm.ci[1])}]"
            rows.append([str(r.rank), r.entry.label, pm.display_value, ci] + [res.metrics[n].display_value for n in shown])
        out.append(_table(headers, rows, {0, 2}))
        bad = [r for r in self.rows if r.problems is not None]
        for r in bad:
            out.append(f"invalid: {r.entry.name}: {len(r.problems.problems)} problem(s)")
        return "\n".join(out)


def competition_ranks(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """1 + number of entries strictly better (ties share the best rank; undefined last)."""
    v = np.asarray(values, dtype=float)
    key = np.where(np.isfinite(v), -v if higher_is_better else v, np.inf)
    return np.array([1 + int(np.sum(key < k)) for k in key], dtype=int)


def score_board(
    task: Task,
    root: Path,
    labels_path=None,
    replicates: Optional[int] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> TaskBoard:
    labels = load_labels(task, None, labels_path)
    entries = discover(root, task.id)
    rows = [BoardRow(e) for e in entries]
    subs, ok_rows = [], []
    for row in rows:
        e = row.entry
        if e.meta_error is not None:
            row.problems = e.meta_error
            continue
        try:
            sub = read_submission(task, e.predictions, labels.public_cases(), format=e.meta.format if e.meta else None)
        except SubmissionInvalid as exc:
            row.problems = exc
            continue
        subs.append(sub)
        ok_rows.append(row)
    settings = BootstrapSettings.from_task(task, replicates=replicates)
    if progress and subs:
        progress(f"{task.id}: scoring {len(subs)} submission(s) on {settings.replicates} paired replicates")
    infos = [
        SubmissionInfo(
            path=str(r.entry.predictions.relative_to(root)),
            sha256=s.sha256,
            format=s.format,
            n_rows=s.n_rows,
            team=r.entry.meta.team if r.entry.meta else None,
            model=r.entry.meta.model if r.entry.meta else None,
        )
        for r, s in zip(ok_rows, subs)
    ]
    scores = score_task(task, labels, subs, [r.entry.name for r in ok_rows], settings, infos) if subs else None
    if scores is not None:
        for r, res in zip(ok_rows, scores.results):
            r.result = res
        ranks = competition_ranks(scores.points[:, 0], task.higher_is_better)
        for r, k in zip(ok_rows, ranks):
            r.rank = int(k)
    order = sorted(
        range(len(rows)),
        key=lambda i: (rows[i].rank is None, rows[i].rank or 0, rows[i].entry.name),
    )
    rows = [rows[i] for i in order]
    return TaskBoard(task, labels, rows, scores)


def score_all_tasks(
    reg: TaskRegistry,
    labels=None,
    replicates: Optional[int] = None,
    progress: Optional[Callable[[str], None]] = None,
    cache_dir=None,
) -> list[TaskBoard]:
    return [score_board(t, reg.root, labels, replicates, progress) for t in reg]
