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
   (:mod:`benchmark.ladder`). Both are decided by the one disclosure stage,
   :mod:`benchmark.data.disclosure`.
5. A Markdown report goes to ``--summary`` (and is appended to ``$GITHUB_STEP_SUMMARY``);
   ``--annotations`` prints GitHub workflow commands pointing at the offending lines;
   ``--ledger`` appends one record per graded submission (:mod:`benchmark.ledger`).

Exit codes: 0 every submission valid, 2 a submission (or the change) is invalid, 1 a host
error; a host error's details go to standard error only, never into the report.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .errors import (
    EXIT_HOST_ERROR,
    EXIT_INVALID,
    EXIT_OK,
    MAX_PROBLEMS_SHOWN,
    BenchmarkError,
    HostError,
    Problem,
    SubmissionInvalid,
    UsageError,
)

__all__ = [
    "Change",
    "GitError",
    "GradeReport",
    "SubmissionReport",
    "changed_files",
    "escape_data",
    "escape_property",
    "grade",
    "register_cli",
    "render_markdown",
    "team_slug",
    "workflow_commands",
]

SUBMISSIONS = "submissions"
PREDICTIONS = "predictions.csv"
METADATA = "submission.toml"
ALLOWED_FILES = (PREDICTIONS, METADATA)
FOLDER_RE = re.compile(r"^([a-z0-9][a-z0-9-]*)__([a-z0-9][a-z0-9-]*)$")
SHALLOW_HINT = (
    "fetch enough history for both commits: with actions/checkout use 'fetch-depth: 0', "
    "or run 'git fetch --no-tags origin <base>' (add '--deepen=<n>' or '--unshallow' in a "
    "shallow clone)"
)
INTERNAL_MESSAGE = (
    "The grader failed on the host's side, so nothing was graded. This is not a problem with "
    "the submission; the maintainers see the details in the job log."
)


class GitError(HostError):
    """A git command failed (missing commit, not a repository, shallow history)."""


def team_slug(text: str) -> str:
    """The slug of a team or model name (the rule of :func:`benchmark.metadata.slug`).

    Examples
    --------
    >>> team_slug("Demo Lab A"), team_slug("  ACME  AI!")
    ('demo-lab-a', 'acme-ai')
    """
    from .metadata import slug

    return slug(text)


# -- git ------------------------------------------------------------------------------------------
def _git(repo: Path, *args: str, binary: bool = False, ok_codes: Sequence[int] = (0,)):
    cmd = ["git", "-C", str(repo), "-c", "core.quotepath=off", *args]
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH.") from None
    if proc.returncode not in ok_codes:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"'git {' '.join(args)}' failed (exit {proc.returncode}): {err}")
    return proc if binary else proc.stdout.decode("utf-8", "replace")


def _rev(repo: Path, ref: str, what: str) -> str:
    if not ref or ref.startswith("-"):
        raise UsageError(f"{what} must be a git revision. Got {ref!r} instead.")
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", binary=True, ok_codes=(0, 1, 128))
    if proc.returncode != 0:
        raise GitError(f"cannot resolve {what} {ref!r} to a commit in {repo}; {SHALLOW_HINT}.")
    return proc.stdout.decode().strip()


@dataclass(frozen=True)
class Change:
    """One changed path: git status letter (``A``, ``M``, ``D``, ``T``) and the path."""

    status: str
    path: str


def changed_files(repo: Path, base: str, head: str) -> tuple[list[Change], Optional[str], str, str]:
    """Paths the change from ``base`` to ``head`` touches.

    Parameters
    ----------
    repo : Path
        The git work tree (or any folder inside it).
    base, head : str
        Revisions; ``head`` is compared with the merge base of the two (``base...head``).

    Returns
    -------
    changes : list of Change
        Sorted by path; renames appear as a deletion and an addition.
    note : str or None
        Set when no merge base was available and the two trees were compared directly.
    base_sha, head_sha : str
        The resolved commits.

    Raises
    ------
    GitError
        When a revision cannot be found (with the fetch-depth guidance).
    """
    base_sha = _rev(repo, base, "base")
    head_sha = _rev(repo, head, "head")
    mb = _git(repo, "merge-base", base_sha, head_sha, binary=True, ok_codes=(0, 1, 128))
    note = None
    if mb.returncode == 0:
        spec = [f"{base_sha}...{head_sha}"]
    else:
        spec = [base_sha, head_sha]
        note = (
            "No common ancestor of the base and head commits is available (a shallow clone?), "
            "so their trees were compared directly (base..head); files changed on the base "
            f"branch since the pull request started may be listed too. To fix: {SHALLOW_HINT}."
        )
    out = _git(repo, "diff", "--name-status", "-z", "--no-renames", *spec)
    tokens = out.split("\0")
    changes = []
    i = 0
    while i + 1 < len(tokens):
        status, path = tokens[i], tokens[i + 1]
        if not status:
            break
        changes.append(Change(status[0], path))
        i += 2
    return sorted(changes, key=lambda c: c.path), note, base_sha, head_sha


def _blob(repo: Path, rev: str, path: str) -> Optional[str]:
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}:{path}", binary=True, ok_codes=(0, 1, 128))
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def _extract(repo: Path, blob: str, dest: Path, max_bytes: Optional[int] = None) -> int:
    """Write the content of ``blob`` to ``dest``; return its size. Larger than max: not written."""
    size = int(_git(repo, "cat-file", "-s", blob).strip())
    if max_bytes is not None and size > max_bytes:
        return size
    data = _git(repo, "cat-file", "blob", blob, binary=True).stdout
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return size


@dataclass(frozen=True)
class Event:
    """A merged commit that added or changed a team's predictions."""

    folder: str
    team: str
    date: _dt.datetime
    commit: str
    blob: str


def submission_events(repo: Path, base_sha: str, task_id: str) -> list[Event]:
    """Every commit on the first-parent history of ``base`` adding or changing predictions.

    Merge commits count as one change against their first parent, dated by their commit date
    (the date the pull request was merged), oldest first.
    """
    out = _git(
        repo, "log", "--first-parent", "--diff-merges=first-parent", "--no-renames",
        "--diff-filter=AM", "--raw", "--no-abbrev", "--format=@@%H %cI", base_sha, "--",
        f"{SUBMISSIONS}/{task_id}/",
    )
    events: list[Event] = []
    commit, date = None, None
    for line in out.splitlines():
        if line.startswith("@@"):
            commit, iso = line[2:].split(" ", 1)
            date = _parse_time(iso.strip())
            continue
        if not line.startswith(":") or "\t" not in line or commit is None:
            continue
        meta, path = line.split("\t", 1)
        parts = path.split("/")
        if len(parts) != 4 or parts[3] != PREDICTIONS:
            continue
        m = FOLDER_RE.match(parts[2])
        if not m:
            continue
        blob = meta.split()[3]
        events.append(Event(parts[2], m.group(1), date, commit, blob))
    events.sort(key=lambda e: e.date)
    return events


def _parse_time(text: str) -> _dt.datetime:
    t = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.astimezone(_dt.timezone.utc)


# -- reports ----------------------------------------------------------------------------------------
@dataclass
class Remaining:
    """Submissions left for a team on a task (after this one, if it counts)."""

    team: str
    per_day: Optional[int]
    per_day_left: Optional[int]
    total: Optional[int]
    total_left: Optional[int]


@dataclass
class ShownScore:
    """What the report shows of a scored submission (all from the shown part of the labels)."""

    part: str  # "public", "private" or "all"
    split: str
    n_cases: int
    mode: str
    primary: str
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # metric, value, interval
    level: float = 0.95
    bootstrap: str = ""
    rank: Optional[str] = None
    leader: Optional[str] = None
    baselines: list[str] = field(default_factory=list)
    ladder: Optional[str] = None
    ledger_values: dict = field(default_factory=dict)
    synthetic: bool = False


@dataclass
class SubmissionReport:
    """The grading of one submission folder."""

    task_id: str
    folder: str
    path: str  # submissions/<task>/<folder>
    team: str
    model: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    remaining: Optional[Remaining] = None
    score: Optional[ShownScore] = None
    blob: Optional[str] = None
    sha256: Optional[str] = None
    char_columns: dict = field(default_factory=dict)  # (line, column) -> 1-based character

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class GradeReport:
    """The grading of a whole change."""

    base: str
    head: str
    change_problems: list[Problem] = field(default_factory=list)
    submissions: list[SubmissionReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    host_notes: list[str] = field(default_factory=list)
    scored: bool = False

    @property
    def exit_code(self) -> int:
        bad = self.change_problems or any(not s.valid for s in self.submissions)
        return EXIT_INVALID if bad else EXIT_OK


# -- checking the change -------------------------------------------------------------------------------
def _base_owner(repo: Path, base_sha: str, rel_folder: str, team_part: str) -> Optional[str]:
    """Team slug owning a folder in ``base`` (``None`` when the folder is new)."""
    blob = _blob(repo, base_sha, f"{rel_folder}/{METADATA}")
    if blob is None:
        return team_part if _blob(repo, base_sha, f"{rel_folder}/{PREDICTIONS}") else None
    data = _git(repo, "cat-file", "blob", blob, binary=True).stdout
    try:
        team = tomllib.loads(data.decode("utf-8-sig")).get("team")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        team = None
    return team_slug(team) if isinstance(team, str) and team_slug(team) else team_part


def check_change(repo: Path, base_sha: str, changes: list[Change], task_ids: set[str]):
    """Split the change into submission folders and refuse what a submission may not touch.

    Returns
    -------
    problems : list of Problem
    folders : dict
        ``(task_id, folder) -> {"files": {name: status}, "existing": bool}``.
    """
    problems: list[Problem] = []
    folders: dict[tuple[str, str], dict] = {}
    for ch in changes:
        parts = ch.path.split("/")
        if parts[0] != SUBMISSIONS:
            problems.append(Problem(
                "outside-submissions",
                "the change modifies a file outside submissions/",
                file=ch.path,
                expected="changes only under submissions/<task>/<team>__<model>/",
                found=f"{_status_word(ch.status)} {ch.path}",
                fix="move every other change into a separate pull request",
            ))
            continue
        if len(parts) != 4:
            problems.append(Problem(
                "bad-path",
                "a submission file must sit directly in submissions/<task>/<team>__<model>/",
                file=ch.path,
                expected=f"submissions/<task>/<team>__<model>/{PREDICTIONS} or {METADATA}",
                found=ch.path,
                fix="move the file into the submission folder",
            ))
            continue
        _, task_id, folder, name = parts
        if task_id not in task_ids:
            problems.append(Problem(
                "unknown-task",
                f"there is no task {task_id!r}",
                file=ch.path,
                expected="one of " + ", ".join(sorted(task_ids)),
                found=task_id,
                fix="use the folder of an existing task (see 'benchmark tasks')",
            ))
            continue
        if not FOLDER_RE.match(folder):
            problems.append(Problem(
                "bad-folder-name",
                "the submission folder name must be <team>__<model> in lower case",
                file=ch.path,
                expected="<team>__<model> made of a-z, 0-9 and '-', joined by two underscores",
                found=folder,
                fix="rename the folder, e.g. my-lab__resnet50",
            ))
            continue
        if name not in ALLOWED_FILES:
            problems.append(Problem(
                "unexpected-file",
                "a submission folder holds only predictions.csv and submission.toml",
                file=ch.path,
                expected=f"{PREDICTIONS} or {METADATA}",
                found=name,
                fix="remove the file from the pull request",
            ))
            continue
        if ch.status == "D":
            problems.append(Problem(
                "deleted-file",
                "a pull request cannot delete submission files",
                file=ch.path,
                found="deleted",
                fix="restore the file; ask a maintainer to withdraw a submission",
            ))
            continue
        entry = folders.setdefault((task_id, folder), {"files": {}, "existing": False, "owner": None})
        entry["files"][name] = ch.status
    # Ownership: one team per pull request; existing folders only by their owner.
    for (task_id, folder), entry in folders.items():
        rel = f"{SUBMISSIONS}/{task_id}/{folder}"
        owner = _base_owner(repo, base_sha, rel, FOLDER_RE.match(folder).group(1))
        entry["existing"] = owner is not None
        entry["owner"] = owner
    new_teams = sorted({FOLDER_RE.match(f).group(1) for (_, f), e in folders.items() if not e["existing"]})
    owners = sorted({e["owner"] for e in folders.values() if e["existing"]})
    if len(new_teams) > 1:
        problems.append(Problem(
            "several-teams",
            "a pull request may add submissions of one team only",
            file=SUBMISSIONS,
            found="teams " + ", ".join(new_teams),
            fix="open one pull request per team",
        ))
    pr_team = new_teams[0] if len(new_teams) == 1 else (owners[0] if len(owners) == 1 else None)
    for (task_id, folder), entry in sorted(folders.items()):
        if not entry["existing"]:
            continue
        rel = f"{SUBMISSIONS}/{task_id}/{folder}"
        if pr_team is None or entry["owner"] != pr_team:
            problems.append(Problem(
                "other-team-folder",
                f"the change modifies {rel}/, a folder of another team "
                f"({entry['owner']!r})",
                file=rel,
                expected=f"changes only in folders of team {pr_team!r}" if pr_team else "changes of one team only",
                found=", ".join(f"{_status_word(s)} {n}" for n, s in sorted(entry["files"].items())),
                fix="leave other teams' folders alone; add your own <team>__<model> folder",
            ))
            entry["refused"] = True
    return problems, folders


def _status_word(status: str) -> str:
    return {"A": "added", "M": "modified", "D": "deleted", "T": "type changed"}.get(status, "changed")


# -- limits -----------------------------------------------------------------------------------------
def _usage(task, team: str, events: list[Event], ledger_records: list[dict], now: _dt.datetime):
    """(used today, used in total, blobs already counted) for ``team`` on ``task``."""
    counted: dict[str, _dt.datetime] = {}
    for e in events:
        if e.team == team and e.date <= now:
            counted.setdefault(e.blob, e.date)
    for r in ledger_records:
        if r.get("task") != task.id or r.get("team") != team or r.get("status") != "valid":
            continue
        blob, when = r.get("blob"), r.get("graded_at")
        if not isinstance(blob, str) or not isinstance(when, str):
            continue
        try:
            t = _parse_time(when)
        except ValueError:
            continue
        if t <= now:
            counted.setdefault(blob, t)
    day_start = now - _dt.timedelta(hours=24)
    per_day = sum(1 for t in counted.values() if t > day_start)
    return per_day, len(counted), set(counted)


# -- grading ----------------------------------------------------------------------------------------
def _remap(problems: Sequence[Problem], default_rel: str, tmp_root: Path) -> list[Problem]:
    """Give problems the repository path of their file instead of the extracted copy's."""
    out = []
    for p in problems:
        f = p.file or ""
        name = Path(f).name if f else ""
        if not f or f.startswith(str(tmp_root)) or name in ALLOWED_FILES:
            folder = default_rel.rsplit("/", 1)[0]
            rel = f"{folder}/{name}" if name in ALLOWED_FILES else default_rel
            p = replace(p, file=rel)
        out.append(p)
    return out


@dataclass
class _Context:
    repo: Path
    root: Path
    reg: object
    base_sha: str
    head_sha: str
    tmp: Path
    now: _dt.datetime
    labels_path: Optional[str]
    bootstrap: Optional[int]
    ledger_records: list[dict]
    allow_hash_mismatch: bool = False


def _read_folder(ctx: _Context, task, rev: str, rel: str, expected, where: str):
    """Read one folder at ``rev``: (meta, submission, problems, warnings, blob, csv path)."""
    from .metadata import read_metadata
    from .submission import read_submission

    problems: list[Problem] = []
    warnings: list[Problem] = []
    root = ctx.tmp / where
    meta = sub = None
    toml_blob = _blob(ctx.repo, rev, f"{rel}/{METADATA}")
    csv_blob = _blob(ctx.repo, rev, f"{rel}/{PREDICTIONS}")
    csv_path = root / rel / PREDICTIONS
    if toml_blob is None:
        problems.append(Problem("missing-file", f"the submission folder has no {METADATA}",
                                file=f"{rel}/{METADATA}", fix=f"add {METADATA} (see docs/ci.md)"))
    else:
        size = _extract(ctx.repo, toml_blob, root / rel / METADATA, max_bytes=1 << 20)
        if size > (1 << 20):
            problems.append(Problem("file-too-large", f"{METADATA} is larger than 1 MB",
                                    file=f"{rel}/{METADATA}", found=f"{size} bytes"))
        else:
            try:
                meta = read_metadata(root / rel / METADATA)
            except SubmissionInvalid as exc:
                problems += _remap(exc.problems, f"{rel}/{METADATA}", ctx.tmp)
    if csv_blob is None:
        problems.append(Problem("missing-file", f"the submission folder has no {PREDICTIONS}",
                                file=f"{rel}/{PREDICTIONS}", fix=f"add {PREDICTIONS}"))
        return meta, None, problems, warnings, None, None
    max_mb = float(task.limits.max_file_mb)
    size = _extract(ctx.repo, csv_blob, csv_path, max_bytes=int(max_mb * 1_000_000))
    if not csv_path.exists():
        problems.append(Problem("file-too-large", f"{PREDICTIONS} is larger than the task's limit",
                                file=f"{rel}/{PREDICTIONS}", expected=f"at most {max_mb:g} MB",
                                found=f"{size / 1_000_000:.1f} MB"))
        return meta, None, problems, warnings, csv_blob, None
    fmt = getattr(meta, "format", None) if meta is not None else None
    try:
        sub = read_submission(task, csv_path, expected, format=fmt or None, max_mb=max_mb)
        warnings += _remap(list(getattr(sub, "warnings", []) or []), f"{rel}/{PREDICTIONS}", ctx.tmp)
    except SubmissionInvalid as exc:
        problems += _remap(exc.problems, f"{rel}/{PREDICTIONS}", ctx.tmp)
        warnings += _remap(exc.warnings, f"{rel}/{PREDICTIONS}", ctx.tmp)
    return meta, sub, problems, warnings, csv_blob, csv_path


def _check_meta(meta, task, folder: str, rel: str) -> list[Problem]:
    problems = []
    m = FOLDER_RE.match(folder)
    team = getattr(meta, "team", None)
    if team is not None and team_slug(team) != m.group(1):
        problems.append(Problem(
            "team-mismatch",
            "the folder's team part must be the slug of the team in submission.toml",
            file=f"{rel}/{METADATA}",
            column="team",
            expected=f"a team whose slug is {m.group(1)!r}",
            found=f"{team!r} (slug {team_slug(team)!r})",
            fix=f"name the folder {team_slug(team)}__<model>, or correct the team",
        ))
    meta_task = getattr(meta, "task", None)
    if meta_task is not None and meta_task != task.id:
        problems.append(Problem(
            "task-mismatch",
            "submission.toml names a different task than the folder it is in",
            file=f"{rel}/{METADATA}",
            column="task",
            expected=task.id,
            found=str(meta_task),
            fix=f"set task = \"{task.id}\" or move the folder",
        ))
    return problems


def _scored_split(task) -> str:
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
) -> GradeReport:
    """Grade the submissions a change adds or modifies.

    Parameters
    ----------
    root : Path
        Benchmark root holding ``tasks/`` (task files are read from here, never from ``head``).
    base, head : str
        Git revisions of the target branch and of the pull request.
    labels : str, optional
        Folder of hidden labels; when given, valid submissions are scored.
    now : datetime, optional
        Time of grading (UTC); defaults to the current time. Decides the rolling day of the
        limits and whether the task's reveal date has passed.
    ledger : str, optional
        Ledger file or folder: read for the limits, appended with one record per submission.
    bootstrap : int, optional
        Bootstrap replicates (default: the task's).
    actor : str, optional
        Who opened the change (recorded in the ledger).
    repo : Path, optional
        The git work tree (default: ``root``).
    allow_label_hash_mismatch : bool, default False

    Returns
    -------
    GradeReport
    """
    from .ledger import Ledger
    from .tasks import load_registry

    root = Path(root).resolve()
    repo = Path(repo).resolve() if repo else root
    now = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    reg = load_registry(root)
    changes, note, base_sha, head_sha = changed_files(repo, base, head)
    report = GradeReport(base=base_sha, head=head_sha)
    if note:
        report.notes.append(note)
    led = Ledger(ledger) if ledger else None
    ledger_records: list[dict] = []
    if led is not None:
        lr = led.read()
        ledger_records = lr.records
        report.host_notes += lr.host_notes()
    problems, folders = check_change(repo, base_sha, changes, set(reg.ids()))
    report.change_problems = problems
    with tempfile.TemporaryDirectory(prefix="benchmark-ci-") as tmpd:
        ctx = _Context(repo, root, reg, base_sha, head_sha, Path(tmpd), now, labels, bootstrap,
                       ledger_records, allow_label_hash_mismatch)
        by_task: dict[str, list[str]] = {}
        for (task_id, folder), entry in sorted(folders.items()):
            if not entry.get("refused"):
                by_task.setdefault(task_id, []).append(folder)
        for task_id, task_folders in sorted(by_task.items()):
            task = reg.get(task_id)
            report.submissions += _grade_task(ctx, task, task_folders, report, score=not problems)
        if led is not None:
            for s in report.submissions:
                led.append(_ledger_record(s, report, now, actor))
    return report


def _grade_task(ctx: _Context, task, folders: list[str], report: GradeReport, score: bool):
    from .labels import load_labels, load_public

    split = _scored_split(task)
    labels = None
    if ctx.labels_path is not None and score:
        labels = load_labels(task, split, ctx.labels_path, allow_hash_mismatch=ctx.allow_hash_mismatch)
        expected = labels.public_cases()
    else:
        expected = load_public(task, split)
    events = submission_events(ctx.repo, ctx.base_sha, task.id)
    out: list[SubmissionReport] = []
    subs = {}
    pending: dict[str, int] = {}
    for folder in folders:
        rel = f"{SUBMISSIONS}/{task.id}/{folder}"
        team = FOLDER_RE.match(folder).group(1)
        meta, sub, problems, warnings, blob, csv_path = _read_folder(ctx, task, ctx.head_sha, rel, expected, "head")
        if meta is not None:
            problems += _check_meta(meta, task, folder, rel)
        sr = SubmissionReport(task.id, folder, rel, team, getattr(meta, "model", "") or "",
                              problems, warnings, blob=blob)
        sr.char_columns = _char_columns(csv_path, problems + warnings)
        if sub is not None:
            sr.sha256 = getattr(sub, "sha256", None)
        # limits: counted per team from history (+ ledger); invalid submissions do not count
        per_day_used, total_used, counted = _usage(task, team, events, ctx.ledger_records, ctx.now)
        counts_now = sr.valid and blob is not None and blob not in counted
        k = pending.get(team, 0) + (1 if counts_now else 0)
        pending[team] = k
        lim = task.limits
        day_left = None if lim.per_day is None else lim.per_day - per_day_used - k
        total_left = None if lim.total is None else lim.total - total_used - k
        if counts_now and day_left is not None and day_left < 0:
            sr.problems.append(Problem(
                "limit-per-day",
                f"team {team!r} has used all {lim.per_day} submissions to {task.id} of the last 24 hours",
                file=f"{rel}/{PREDICTIONS}",
                expected=f"at most {lim.per_day} per 24 hours",
                found=f"{per_day_used} merged or graded in the last 24 hours before this one",
                fix="resubmit after 24 hours have passed since your earliest submission of that period",
            ))
        if counts_now and total_left is not None and total_left < 0:
            sr.problems.append(Problem(
                "limit-total",
                f"team {team!r} has used all {lim.total} submissions to {task.id}",
                file=f"{rel}/{PREDICTIONS}",
                expected=f"at most {lim.total} in total",
                found=f"{total_used} already counted",
            ))
        if not sr.valid and counts_now:
            pending[team] -= 1
            day_left = None if day_left is None else day_left + 1
            total_left = None if total_left is None else total_left + 1
        sr.remaining = Remaining(team, lim.per_day, None if day_left is None else max(day_left, 0),
                                 lim.total, None if total_left is None else max(total_left, 0))
        if sr.valid and sub is not None:
            subs[folder] = sub
        out.append(sr)
    if labels is not None and subs:
        _score(ctx, task, labels, out, subs, events, folders)
        report.scored = True
    return out


class _Scored:
    """The part of a submission scoring needs, restricted to the shown cases."""

    def __init__(self, scores, sha256, fmt, n_rows):
        self.scores = scores
        self.sha256 = sha256
        self.format = fmt
        self.n_rows = n_rows
        self.warnings: list = []
        self.path = ""


def _fmt(v, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "undefined"
    return f"{v:.{digits}f}"


def _signed(v, digits: int = 4) -> str:
    if v is None or not math.isfinite(v):
        return "undefined"
    return f"{v:+.{digits}f}"


def _score(ctx: _Context, task, labels, reports, subs, events, touched):
    from . import compare as C
    from .bootstrap import paired_difference
    from .ladder import Ladder
    from .results import SubmissionInfo
    from .scoring import BootstrapSettings, plan_for, score_task

    from .data.disclosure import decide

    disc = decide(task, labels, ctx.now)  # the one disclosure stage: part, reveal, Ladder
    mask, part, shown = disc.mask(labels), disc.part, disc.restrict(labels)
    # merged submissions of the base, except the folders this change replaces
    listing = _git(ctx.repo, "ls-tree", "-d", "--name-only", ctx.base_sha, f"{SUBMISSIONS}/{task.id}/")
    merged = []
    for line in sorted(listing.splitlines()):
        folder = line.rsplit("/", 1)[-1]
        if not FOLDER_RE.match(folder) or folder in touched:
            continue
        rel = f"{SUBMISSIONS}/{task.id}/{folder}"
        meta, sub, problems, _, _, _ = _read_folder(ctx, task, ctx.base_sha, rel, labels.public_cases(), "base")
        if sub is None or problems:
            continue
        merged.append((folder, meta, sub))
    names, items, infos = [], [], []

    def add(folder, meta, sub):
        scores = np.asarray(sub.scores)
        if mask is not None:
            scores = scores[mask]
        names.append(folder)
        items.append(_Scored(scores, getattr(sub, "sha256", ""), getattr(sub, "format", ""),
                             int(getattr(sub, "n_rows", len(scores)))))
        infos.append(SubmissionInfo(
            path=f"{SUBMISSIONS}/{task.id}/{folder}/{PREDICTIONS}", sha256=items[-1].sha256 or "",
            format=items[-1].format or "", n_rows=items[-1].n_rows,
            team=getattr(meta, "team", None), model=getattr(meta, "model", None)))

    for folder, meta, sub in merged:
        add(folder, meta, sub)
    n_merged = len(names)
    new_index = {}
    for r in reports:
        if r.folder in subs:
            new_index[r.folder] = len(names)
            add(r.folder, None, subs[r.folder])
    settings = BootstrapSettings.from_task(task, replicates=ctx.bootstrap)
    ts = score_task(task, shown, items, names, settings, infos)
    higher = task.higher_is_better
    reps = ts.primary_replicates()
    mode = task.leaderboard.mode
    ladders: dict[str, Ladder] = {}
    ladder_out: dict[str, tuple] = {}
    if mode == "ladder":
        order = {e.folder: e.date for e in events}
        epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        seq = sorted(range(n_merged), key=lambda i: (order.get(names[i], epoch), names[i]))
        seq += [new_index[r.folder] for r in reports if r.folder in new_index]
        for i in seq:
            team = FOLDER_RE.match(names[i]).group(1)
            lad = ladders.get(team)
            if lad is None:
                lad = ladders[team] = Ladder(higher, step=task.leaderboard.ladder_step, n_cases=len(shown))
            d = lad.submit(ts.points[i, 0], None if reps is None else reps[i])
            ladder_out[names[i]] = (d, lad.digits)
    plan = None
    for r in reports:
        if r.folder not in new_index:
            continue
        i = new_index[r.folder]
        res = ts.results[i]
        sc = ShownScore(part=part, split=labels.split, n_cases=len(shown), mode=mode,
                        primary=task.primary, level=settings.level, synthetic=bool(labels.synthetic))
        if mode == "ladder":
            d, digits = ladder_out[r.folder]
            sc.ladder = (f"{_fmt(d.shown, digits)} ({'improved' if d.improved else 'unchanged'}: "
                         f"this submission {d.reason})")
            sc.ledger_values = {"ladder": d.shown, "improved": d.improved}
            r.score = sc
            continue
        for name, mv in res.metrics.items():
            ci = "" if not mv.ci or mv.ci[0] is None else f"[{_fmt(mv.ci[0])}, {_fmt(mv.ci[1])}]"
            sc.rows.append((mv.display_name + (" (primary)" if name == task.primary else ""), mv.display_value, ci))
            sc.ledger_values[name] = mv.value
        if res.bootstrap:
            b = res.bootstrap
            sc.bootstrap = (f"{b.replicates} paired bootstrap replicates (seed {b.seed}, {b.method})"
                            + (f", clustered by {b.cluster}" if b.cluster else ""))
        rows = list(range(n_merged)) + [i]
        pts = ts.points[rows, 0]
        if reps is not None:
            rs = C.rank_summary(pts, reps[rows], higher, level=settings.level)[-1]
            if rs.point_rank is not None and rs.rank_interval is not None:
                sc.rank = (f"{rs.point_rank} of {len(rows)} (with the merged submissions); "
                           f"{settings.level:.0%} rank interval {rs.rank_interval[0]}–{rs.rank_interval[1]}")
        else:
            from .board import competition_ranks

            sc.rank = f"{int(competition_ranks(pts, higher)[-1])} of {len(rows)} (no bootstrap: no rank interval)"
        if n_merged:
            key = np.where(np.isfinite(ts.points[:n_merged, 0]),
                           ts.points[:n_merged, 0] if higher else -ts.points[:n_merged, 0], -np.inf)
            lead = int(np.argmax(key))
            lead_name = names[lead]
            if reps is not None:
                pdiff = paired_difference(reps[i], reps[lead], ts.points[i, 0], ts.points[lead, 0], settings.level)
                iv = pdiff.interval
                ok = getattr(iv, "reason", None) is None
                ci = f"[{_signed(iv.low)}, {_signed(iv.high)}]" if ok else "(no interval)"
                verdict = C.verdict(iv.low if ok else None, iv.high if ok else None, higher)
                sc.leader = (f"current leader `{lead_name}`: difference {_signed(pdiff.difference)} "
                             f"{ci}, {verdict}")
            else:
                sc.leader = (f"current leader `{lead_name}`: difference "
                             f"{_signed(ts.points[i, 0] - ts.points[lead, 0])} (no interval)")
        if task.baselines and task.kind == "binary" and reps is not None:
            if plan is None:
                plan = plan_for(task, shown, settings)[0]
            for b in task.baselines:
                j = task.targets.index(b.target)
                try:
                    cmp = C.compare_to_operating_point(shown.y[:, j], items[i].scores[:, j], b, plan,
                                                       level=settings.level, seed=settings.seed)
                except ValueError:
                    sc.baselines.append(f"{b.name} ({b.target}): not comparable on the scored cases")
                    continue
                se, sp = cmp.sensitivity, cmp.specificity
                sc.baselines.append(
                    f"{b.name} ({b.target}): at their specificity {sp.baseline:.3f} the model's "
                    f"sensitivity is {_fmt(se.submission, 3)} vs their {se.baseline:.3f} "
                    f"(difference {_ci_pair(se.difference_ci)}, {se.verdict}); at their "
                    f"sensitivity {se.baseline:.3f} the model's specificity is "
                    f"{_fmt(sp.submission, 3)} vs their {sp.baseline:.3f} "
                    f"(difference {_ci_pair(sp.difference_ci)}, {sp.verdict})"
                )
        r.score = sc


def _ci_pair(ci) -> str:
    return "no interval" if not ci else f"[{_signed(ci[0], 3)}, {_signed(ci[1], 3)}]"


def _ledger_record(s: SubmissionReport, report: GradeReport, now: _dt.datetime, actor: Optional[str]) -> dict:
    rec = {
        "kind": "ci-grade",
        "task": s.task_id,
        "folder": s.folder,
        "team": s.team,
        "model": s.model,
        "actor": actor,
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
        rec["shown"] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in s.score.ledger_values.items()}
    return rec


# -- rendering ---------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: str) -> str:
    """Escape participant-provided text for Markdown (no links, mentions, HTML or tables).

    Examples
    --------
    >>> md_escape("<img src=x> @team [a](b) a_b")
    '&lt;img src=x&gt; @\\u200bteam \\\\[a\\\\](b) a\\\\_b'
    """
    t = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    t = _MD_SPECIAL.sub(r"\\\1", t)
    t = t.replace("@", "@\u200b")
    return t.replace("\r", " ").replace("\n", " ")


def _code(text: str) -> str:
    t = str(text).replace("`", "'").replace("\r", " ").replace("\n", " ")
    return f"`{t}`"


def render_markdown(report: GradeReport) -> str:
    """The participant-visible Markdown report of a grading."""
    out = ["## Submission check", ""]
    if any(s.score is not None and s.score.synthetic for s in report.submissions):
        from .results import DEMO_BANNER

        out += [f"> **{DEMO_BANNER}** — scores are illustrative, not real results.", ""]
    n_ok = sum(1 for s in report.submissions if s.valid)
    verdict = "**All submissions are valid.**" if report.exit_code == EXIT_OK else "**Changes needed.**"
    out.append(f"Base {_code(report.base[:12])}, head {_code(report.head[:12])}: "
               f"{len(report.submissions)} submission folder(s), {n_ok} valid. {verdict}")
    out.append("")
    for note in report.notes:
        out += [f"> {md_escape(note)}", ""]
    if not report.submissions and not report.change_problems:
        out += ["No submission folder was added or changed.", ""]
    if report.change_problems:
        out += ["### The change itself", ""]
        out += _problem_lines(report.change_problems)
        out.append("")
    for s in report.submissions:
        status = "valid" if s.valid else "INVALID"
        out += [f"### {_code(s.path + '/')}: {status}", ""]
        who = f"team {_code(s.team)}" + (f", model {md_escape(s.model)}" if s.model else "")
        out.append(f"- {who}, task {_code(s.task_id)}")
        if s.remaining is not None:
            rem = s.remaining
            parts = []
            if rem.per_day is not None:
                parts.append(f"{rem.per_day_left} of {rem.per_day} in the last 24 hours")
            if rem.total is not None:
                parts.append(f"{rem.total_left} of {rem.total} in total")
            if parts:
                out.append(f"- submissions left for team {_code(rem.team)} on {_code(s.task_id)}"
                           f" after this one: {', '.join(parts)}"
                           + ("" if s.valid else " (an invalid submission does not count)"))
        out.append("")
        if s.problems:
            out += [f"**{len(s.problems)} problem(s):**", ""]
            out += _problem_lines(s.problems)
            out.append("")
        if s.warnings:
            out += [f"{len(s.warnings)} warning(s):", ""]
            out += _problem_lines(s.warnings)
            out.append("")
        if s.score is not None:
            out += _score_lines(s.score)
    if not report.scored and any(s.valid for s in report.submissions):
        out += ["Validated against the public case ids only; scores are computed by the "
                "maintainers' scoring job.", ""]
    return "\n".join(out).rstrip() + "\n"


def _problem_lines(problems: Sequence[Problem]) -> list[str]:
    lines = [f"- {md_escape(p.format())}" for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"- ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problem(s) not shown.")
    return lines


def _score_lines(sc: ShownScore) -> list[str]:
    part = {
        "all": f"all {sc.n_cases} cases",
        "public": f"the public part ({sc.n_cases} cases); the final ranking uses the private part after the reveal date",
        "private": f"the private part ({sc.n_cases} cases)",
    }[sc.part]
    out = [f"**Score** on split {_code(sc.split)}, {part}:", ""]
    if sc.mode == "ladder":
        out += [f"- leaderboard score (Ladder): {sc.ladder}",
                "- this task uses the Ladder: the shown score moves only when a submission beats "
                "the team's best by a clear margin, and it is rounded.", ""]
        return out
    out += [f"| metric | value | {sc.level:.0%} CI |", "|---|---:|---|"]
    for name, value, ci in sc.rows:
        out.append(f"| {md_escape(name)} | {value} | {ci} |")
    out.append("")
    if sc.bootstrap:
        out.append(f"- intervals: {sc.bootstrap}")
    if sc.rank:
        out.append(f"- rank: {sc.rank}")
    if sc.leader:
        out.append(f"- compared with the {sc.leader}")
    for b in sc.baselines:
        out.append(f"- radiologists: {md_escape(b)}")
    out.append("")
    return out


# -- workflow commands ------------------------------------------------------------------------------
def escape_data(text: str) -> str:
    """Escape the message of a workflow command (``%``, CR, LF).

    Examples
    --------
    >>> escape_data("50%\\nnext")
    '50%25%0Anext'
    """
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a workflow command (also ``:`` and ``,``).

    Examples
    --------
    >>> escape_property("a,b:c")
    'a%2Cb%3Ac'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _char_columns(csv_file: Optional[Path], problems: Sequence[Problem]) -> dict:
    """``(line, column) -> character column`` for the problems located in ``csv_file``."""
    wanted = {(p.line, p.column) for p in problems[: 2 * MAX_PROBLEMS_SHOWN]
              if p.line is not None and p.column is not None and p.file.endswith(PREDICTIONS)}
    if csv_file is None or not wanted:
        return {}
    try:
        lines = csv_file.read_bytes().decode("utf-8-sig", "replace").splitlines()
    except OSError:
        return {}
    out = {}
    for line, column in wanted:
        col = _char_column(lines, line, column)
        if col is not None:
            out[(line, column)] = col
    return out


def _char_column(lines: list[str], line: int, column) -> Optional[int]:
    """1-based character column where CSV field ``column`` starts on physical ``line``."""
    if not 1 <= line <= len(lines):
        return None
    col = str(column)
    if col.isdigit():
        index = int(col) - 1
    else:
        header = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), None)
        if header is None:
            return None
        try:
            fields = [f.strip() for f in next(csv.reader(io.StringIO(header)))]
        except (csv.Error, StopIteration):
            return None
        if col not in fields:
            return None
        index = fields.index(col)
    text = lines[line - 1]
    starts, quoted, pos = [0], False, 0
    for pos, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            starts.append(pos + 1)
    return starts[index] + 1 if 0 <= index < len(starts) else None


def workflow_commands(report: GradeReport) -> list[str]:
    """``::error`` / ``::warning`` workflow commands for every problem with a file."""
    cmds = []

    def one(kind, p: Problem, columns):
        props = [f"file={escape_property(p.file)}"] if p.file else []
        if p.line is not None:
            props.append(f"line={int(p.line)}")
            col = columns.get((p.line, p.column))
            if col is not None:
                props.append(f"col={col}")
        props.append(f"title={escape_property('submission ' + kind + ': ' + p.code)}")
        cmds.append(f"::{kind} {','.join(props)}::{escape_data(p.format())}")

    for p in report.change_problems:
        one("error", p, {})
    for s in report.submissions:
        for p in s.problems[:MAX_PROBLEMS_SHOWN]:
            one("error", p, s.char_columns)
        if len(s.problems) > MAX_PROBLEMS_SHOWN:
            cmds.append(f"::error file={escape_property(s.path + '/' + PREDICTIONS)}::"
                        f"{escape_data(f'... and {len(s.problems) - MAX_PROBLEMS_SHOWN} more problem(s)')}")
        for p in s.warnings[:MAX_PROBLEMS_SHOWN]:
            one("warning", p, s.char_columns)
    return cmds


# -- command line --------------------------------------------------------------------------------------
def _write_outputs(text: str, summary: Optional[str]) -> None:
    from .results import atomic_write_text

    if summary:
        atomic_write_text(summary, text)
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        with open(step, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(text + "\n")


def _parse_now(text: Optional[str]) -> Optional[_dt.datetime]:
    from .data.disclosure import NOW_ENV

    text = text or os.environ.get(NOW_ENV, "").strip()
    if not text:
        return None
    if len(text) == 10:  # a date: its start, UTC
        text += "T00:00:00Z"
    try:
        return _parse_time(text)
    except ValueError:
        raise UsageError(f"--now must be an ISO 8601 time such as 2026-01-31T12:00:00Z. Got {text!r} instead.") from None


def cmd_grade(args) -> int:
    """``benchmark ci grade``: grade the submissions of a change; see the module docstring."""
    from .tasks import find_root

    root = Path(args.root).resolve() if getattr(args, "root", None) else find_root()
    now = _parse_now(args.now)
    try:
        report = grade(
            root, args.base, args.head, labels=args.labels, now=now, ledger=args.ledger,
            bootstrap=args.bootstrap, actor=args.actor, repo=Path(args.repo) if args.repo else None,
            allow_label_hash_mismatch=args.allow_label_hash_mismatch,
        )
    except UsageError:
        raise
    except BenchmarkError as exc:  # host errors (labels, task files, git): details to stderr only
        print(f"host error: {exc}", file=sys.stderr, flush=True)
        _write_outputs("## Submission check\n\n" + INTERNAL_MESSAGE + "\n", args.summary)
        return EXIT_HOST_ERROR
    except Exception as exc:  # a bug: report on the host side only, never in the report
        if os.environ.get("BENCHMARK_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        _write_outputs("## Submission check\n\n" + INTERNAL_MESSAGE + "\n", args.summary)
        return EXIT_HOST_ERROR
    for note in report.host_notes:
        print(f"host note: {note}", file=sys.stderr, flush=True)
    text = render_markdown(report)
    _write_outputs(text, args.summary)
    if args.annotations:
        for cmd in workflow_commands(report):
            print(cmd, flush=True)
    if not args.summary:
        sys.stdout.write(text)
    else:
        n_bad = sum(1 for s in report.submissions if not s.valid)
        print(f"graded {len(report.submissions)} submission(s): {n_bad} invalid, "
              f"{len(report.change_problems)} problem(s) with the change; report in {args.summary}")
    return report.exit_code


def register_cli(subparsers, parser_class) -> None:
    """Add ``benchmark ci grade`` to the command-line parser."""
    ci = subparsers.add_parser("ci", help="continuous-integration commands (grading pull requests)")
    cis = ci.add_subparsers(dest="ci_command", metavar="SUBCOMMAND", parser_class=parser_class)
    s = cis.add_parser(
        "grade",
        help="validate (and with --labels score) the submissions a change adds or modifies",
        description="Validate, and with --labels score, the submission folders that the change "
        "base...head adds or modifies. Exit 0: all valid; 2: a submission or the change is "
        "invalid; 1: host error.",
    )
    s.add_argument("--base", required=True, help="base revision (the target branch, e.g. origin/main)")
    s.add_argument("--head", default="HEAD", help="head revision of the change (default: HEAD)")
    s.add_argument("--labels", help="hidden labels folder; when given, valid submissions are scored")
    s.add_argument("--summary", metavar="FILE", help="write the Markdown report here (also appended to $GITHUB_STEP_SUMMARY)")
    s.add_argument("--annotations", action="store_true", help="print GitHub workflow commands (::error file=...,line=...)")
    s.add_argument("--ledger", metavar="PATH", help="append-only ledger file or folder (ledger.jsonl): read for limits, appended")
    s.add_argument("--bootstrap", type=int, metavar="B", help="bootstrap replicates (default: the task's)")
    s.add_argument("--now", metavar="TIME", help="grading time, ISO 8601 or YYYY-MM-DD (default: $BENCHMARK_NOW, "
                   "else now); decides the limits' day and the reveal; for reproducing a past grading")
    s.add_argument("--actor", help="who opened the change (recorded in the ledger)")
    s.add_argument("--repo", help="git work tree (default: the benchmark root)")
    s.add_argument("--allow-label-hash-mismatch", action="store_true", help="score even if the labels' sha256 differs from the task's pin")
    s.set_defaults(func=cmd_grade)

    def _no_sub(args):
        ci.print_help(sys.stderr)
        return EXIT_INVALID

    ci.set_defaults(func=_no_sub)
