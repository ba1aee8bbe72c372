"""Grading of pull-request submissions: ``benchmark ci grade``.

A submission is a pull request that adds (or updates) one folder
``submissions/<task-id>/<team>__<model>/`` holding ``predictions.csv`` and ``submission.toml``.
The grader works from git alone, so it runs the same on a laptop and in a workflow:

1. ``git diff --name-status base...head`` lists what the change touches. A change that touches
   anything outside ``submissions/``, deletes files, or changes another team's folder is
   refused. In a shallow clone without the merge base, the trees of ``base`` and ``head`` are
   compared directly (``base..head``) and the report says so.
2. Every touched folder is read from the ``head`` commit as data (``git cat-file``; nothing is
   checked out or executed), its metadata and predictions validated against the public ids
   (or, with ``--labels``, against the ids of the hidden label file).
3. Submission limits (``[limits] per_day`` / ``total`` of the task) are counted per team from
   the repository's own history: every commit on the first-parent line of ``base`` that added
   or changed a ``predictions.csv`` in one of the team's folders, dated by its commit date
   (rolling 24 hours for ``per_day``), plus, with ``--ledger``, every valid graded submission
   recorded there. Invalid submissions never count.
4. With ``--labels``, every valid submission is scored on the task's shared bootstrap plan
   together with the already merged submissions, ranked with a rank interval, compared with
   the current leader and with the task's reader baselines. Until the task's
   ``leaderboard.reveal_date`` only the ``public`` part of a label file with a ``usage`` column
   is scored, after it only the ``private`` part; the other part never influences anything
   shown. With ``leaderboard.mode = "ladder"`` only the Ladder's rounded score is shown
   (:mod:`benchmark.data.ladder`). Both are decided by the one disclosure stage,
   :mod:`benchmark.data.disclosure`.
5. A Markdown report goes to ``--summary`` (and is appended to ``$GITHUB_STEP_SUMMARY``);
   ``--annotations`` prints GitHub workflow commands pointing at the offending lines;
   ``--ledger`` appends one record per graded submission (:mod:`benchmark.grading.ledger`).

The stages live in their own modules: :mod:`~benchmark.grading.changes` (what the change
touches), :mod:`~benchmark.grading.reading` (a folder read from a commit),
:mod:`~benchmark.grading.policy` (teams and limits), :mod:`~benchmark.grading.scores` (scores and
the Ladder), :mod:`~benchmark.grading.report` (Markdown, plain text, workflow commands) and
:mod:`~benchmark.grading.command` (``benchmark ci grade``); this module runs them in order.
:mod:`~benchmark.grading.preflight` (``benchmark check``) runs it on a participant's branch.

Exit codes: 0 every submission valid, 2 a submission (or the change) is invalid, 1 a host
error; a host error's details go to standard error only, never into the report.
"""

from __future__ import annotations

import datetime as _dt
import math
import tempfile
from pathlib import Path
from typing import Optional

from .changes import SUBMISSIONS, changed_files, check_change, team_problems
from .ledger import FileLedgerStore, GitLedgerStore, LedgerConflict
from .models import GradeReport, GradingContext, SubmissionReport
from .policy import apply_limits, load_teams, membership_problems, metadata_problems, submission_events
from .reading import read_folder
from .report import char_columns
from .scores import score_submissions
from .teams import valid_login
from ..core.errors import HostError, UsageError
from ..core.naming import FOLDER_RE
from ..data.labels import load_labels
from ..data.public import load_public
from ..data.tasks import load_registry

__all__ = ["LEDGER_ATTEMPTS", "grade", "ledger_record", "scored_split"]

#: How often a grading is repeated when the ledger moved under it.
LEDGER_ATTEMPTS = 5


def scored_split(task) -> str:
    """The split a task's leaderboard is scored on."""
    return task.leaderboard.split or task.default_split


def grade(
    root: Path,
    base: str,
    head: str = "HEAD",
    labels: Optional[str] = None,
    now: Optional[_dt.datetime] = None,
    ledger: Optional[str] = None,
    bootstrap: Optional[int] = None,
    actor: Optional[str] = None,
    repo: Optional[Path] = None,
    allow_label_hash_mismatch: bool = False,
    author: Optional[str] = None,
    identity: Optional[str] = None,
    ledger_ref: Optional[str] = None,
    ledger_lock: bool = True,
) -> GradeReport:
    """Grade the submissions a change adds or modifies.

    Parameters
    ----------
    root : Path
        Benchmark root holding ``tasks/`` (task files are read from here, never from ``head``).
    base, head : str
        Git revisions of the target branch and of the pull request.
    labels : str, optional
        Folder of hidden labels; when given, valid submissions are scored (and confidential
        predictions decrypted, in memory).
    now : datetime, optional
        Time of grading (UTC); defaults to the current time. Decides the rolling day of the
        limits and whether the task's reveal date has passed.
    ledger : str, optional
        Ledger file or folder: read for the limits, appended with one record per submission.
    bootstrap : int, optional
        Bootstrap replicates (default: the task's).
    actor : str, optional
        Who triggered the grading (recorded in the ledger).
    repo : Path, optional
        The git work tree (default: ``root``).
    allow_label_hash_mismatch : bool, default False
    author : str, optional
        GitHub login of the pull request's author, from the event (never from the change).
        When given, every submission's team must list it in ``teams/<slug>.toml`` on the base
        commit, and the limits count per account too.
    identity : str, optional
        age identity file opening confidential predictions (default: ``$BENCHMARK_AGE_IDENTITY``,
        then a task's committed demo key).
    ledger_ref : str, optional
        Keep the ledger in ``ledger.jsonl`` at this git ref (e.g. ``refs/heads/ledger``),
        appended by compare-and-swap (:class:`benchmark.grading.ledger.GitLedgerStore`).
    ledger_lock : bool, default True
        Hold the host lock from reading the ledger to appending (tests turn it off to prove
        that the compare-and-swap alone keeps racing gradings within the limits).

    Returns
    -------
    GradeReport
    """
    root = Path(root).resolve()
    repo = Path(repo).resolve() if repo else root
    if author is not None and not valid_login(author):
        raise UsageError(f"--author must be a GitHub login. Got {author!r} instead.")
    store = None
    if ledger_ref:
        store = GitLedgerStore(repo, ledger_ref, lock=ledger_lock)
    elif ledger:
        store = FileLedgerStore(ledger, lock=ledger_lock)
    if store is None:
        return _grade_once(root, repo, base, head, labels, now, bootstrap, author, identity,
                           allow_label_hash_mismatch, [])
    conflicts = 0
    for _ in range(LEDGER_ATTEMPTS):
        with store.transaction() as tx:
            report = _grade_once(root, repo, base, head, labels, now, bootstrap, author, identity,
                                 allow_label_hash_mismatch, tx.records)
            report.host_notes += tx.read.host_notes()
            when = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
            try:
                tx.commit([ledger_record(s, report, when, actor, author) for s in report.submissions])
            except LedgerConflict:
                conflicts += 1
                continue
            if conflicts:
                report.host_notes.append(f"ledger: graded again after {conflicts} concurrent append(s)")
            return report
    raise HostError(f"the ledger changed during each of {LEDGER_ATTEMPTS} gradings; nothing was recorded")


def _grade_once(root, repo, base, head, labels, now, bootstrap, author, identity,
                allow_label_hash_mismatch, ledger_records) -> GradeReport:
    now = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    reg = load_registry(root)
    changes, note, base_sha, head_sha = changed_files(repo, base, head)
    report = GradeReport(base=base_sha, head=head_sha)
    if note:
        report.notes.append(note)
    problems, folders, team_changes = check_change(repo, base_sha, changes, set(reg.ids()))
    problems += team_problems(repo, base_sha, head_sha, team_changes)
    report.change_problems = problems
    teams = load_teams(repo, base_sha, report.host_notes) if author else None
    if not author and folders:
        report.notes.append("Team membership is checked by the maintainers' scoring job, which knows "
                            "the pull request's author.")
    with tempfile.TemporaryDirectory(prefix="benchmark-ci-") as tmpd:
        ctx = GradingContext(repo, root, reg, base_sha, head_sha, Path(tmpd), now, labels, bootstrap,
                       ledger_records, allow_label_hash_mismatch, author=author, teams=teams,
                       identity_path=identity)
        by_task: dict[str, list[str]] = {}
        for (task_id, folder), entry in sorted(folders.items()):
            if not entry.get("refused"):
                by_task.setdefault(task_id, []).append(folder)
        for task_id, task_folders in sorted(by_task.items()):
            task = reg.get(task_id)
            report.submissions += _grade_task(ctx, task, task_folders, report, score=not problems)
    return report


def _grade_task(ctx: GradingContext, task, folders: list[str], report: GradeReport, score: bool):
    split = scored_split(task)
    labels = None
    if ctx.labels_path is not None and score:
        labels = load_labels(task, split, ctx.labels_path, allow_hash_mismatch=ctx.allow_hash_mismatch)
        expected = labels.public_cases()
    else:
        expected = load_public(task, split)
    events = submission_events(ctx.repo, ctx.base_sha, task.id)
    out: list[SubmissionReport] = []
    subs = {}
    pending: dict[str, int] = {}  # "team:<slug>" / "account:<login>" -> attempts counted so far
    for folder in folders:
        rel = f"{SUBMISSIONS}/{task.id}/{folder}"
        team = FOLDER_RE.match(folder).group(1)
        meta, sub, problems, warnings, blob, csv_path = read_folder(ctx, task, ctx.head_sha, rel, expected, "head")
        if meta is not None:
            problems += metadata_problems(meta, task, folder, rel)
        sr = SubmissionReport(task.id, folder, rel, team, getattr(meta, "model", "") or "",
                              problems, warnings, blob=blob)
        sr.char_columns = char_columns(csv_path, problems + warnings)
        if sub is not None:
            sr.sha256 = getattr(sub, "sha256", None)
        if ctx.teams is not None:
            sr.problems += membership_problems(ctx, team, rel)
        apply_limits(ctx, task, sr, team, rel, blob, events, pending)
        if sr.valid and sub is not None:
            subs[folder] = sub
        out.append(sr)
    if labels is not None and subs:
        score_submissions(ctx, task, labels, out, subs, events, folders)
        report.scored = True
    return out


def ledger_record(s: SubmissionReport, report: GradeReport, now: _dt.datetime, actor: Optional[str],
                   author: Optional[str] = None) -> dict:
    rec = {
        "kind": "ci-grade",
        "task": s.task_id,
        "folder": s.folder,
        "team": s.team,
        "model": s.model,
        "actor": actor,
        "author": author.lower() if author else None,
        "base": report.base,
        "head": report.head,
        "blob": s.blob,
        "sha256": s.sha256,
        "status": "valid" if s.valid and not report.change_problems else "invalid",
        "problems": [p.code for p in s.problems],
        "graded_at": now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    if s.score is not None:
        rec["scored_part"] = s.score.part
        rec["mode"] = s.score.mode
        if s.score.ladder_key:
            rec["ladder_key"] = s.score.ladder_key
            rec["ladder_best"] = s.score.ladder_best
        rec["shown"] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in s.score.ledger_values.items()}
    return rec


