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

from .git import GitError, git
from .teams import TEAMS_DIR, Team, parse_team, team_file, valid_login
from ..core.errors import EXIT_HOST_ERROR, EXIT_INVALID, EXIT_OK, MAX_PROBLEMS_SHOWN, BenchmarkError, HostError, Problem, SubmissionInvalid, UsageError

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
#: Environment variable with the pull request author's login (set by the trusted workflow).
AUTHOR_ENV = "BENCHMARK_PR_AUTHOR"
PREDICTIONS = "predictions.csv"
METADATA = "submission.toml"
ENCRYPTED = "predictions.csv.age"  # benchmark.submissions.confidential.ENCRYPTED
ALLOWED_FILES = (PREDICTIONS, METADATA, ENCRYPTED)
PREDICTION_FILES = (PREDICTIONS, ENCRYPTED)
REGULAR_MODES = ("100644", "100755")
#: Longest problem text in a report or annotation; longer text is cut with a note.
MAX_MESSAGE = 600
#: Longest Markdown report: GitHub comments hold 65,536 characters, step summaries 1 MiB.
MAX_REPORT = 60_000
#: How often a grading is repeated when the ledger moved under it.
LEDGER_ATTEMPTS = 5
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


def team_slug(text: str) -> str:
    """The slug of a team or model name (the rule of :func:`benchmark.submissions.metadata.slug`).

    Examples
    --------
    >>> team_slug("Demo Lab A"), team_slug("  ACME  AI!")
    ('demo-lab-a', 'acme-ai')
    """
    from ..submissions.metadata import slug

    return slug(text)


# -- git ------------------------------------------------------------------------------------------
_git = git


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
        if len(parts) != 4 or parts[3] not in PREDICTION_FILES:
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
    account: Optional[str] = None


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
    ladder_key: Optional[str] = None
    ladder_best: dict = field(default_factory=dict)  # blob, encrypted, format of the best so far


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
        has = any(_blob(repo, base_sha, f"{rel_folder}/{name}") for name in PREDICTION_FILES)
        return team_part if has else None
    data = _git(repo, "cat-file", "blob", blob, binary=True).stdout
    try:
        team = tomllib.loads(data.decode("utf-8-sig")).get("team")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        team = None
    return team_slug(team) if isinstance(team, str) and team_slug(team) else team_part


def check_change(repo: Path, base_sha: str, changes: list[Change], task_ids: set[str]):
    """Split the change into submission folders and refuse what a submission may not touch.

    Returns
    -------
    problems : list of Problem
    folders : dict
        ``(task_id, folder) -> {"files": {name: status}, "existing": bool}``.
    team_changes : dict
        ``team slug -> git status`` of every ``teams/<slug>.toml`` the change touches.
    """
    problems: list[Problem] = []
    folders: dict[tuple[str, str], dict] = {}
    for ch in changes:
        parts = ch.path.split("/")
        if parts[0] == TEAMS_DIR and len(parts) == 2 and parts[1].endswith(".toml") \
                and FOLDER_RE.match(f"{parts[1][:-5]}__x"):
            folders.setdefault(("", parts[1][:-5]), {"files": {}, "existing": False, "owner": None,
                                                     "team_file": ch.status})
            continue
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
    team_changes = {slug_: e["team_file"] for (task_id, slug_), e in folders.items() if task_id == ""}
    folders = {k: v for k, v in folders.items() if k[0] != ""}
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
    return problems, folders, team_changes


def _status_word(status: str) -> str:
    return {"A": "added", "M": "modified", "D": "deleted", "T": "type changed"}.get(status, "changed")


# -- limits -----------------------------------------------------------------------------------------
#: Refusals that say the author may not submit for the team: they count against the author's
#: account (with ``count = "all"``) but never against the team, or anyone could use up another
#: team's quota by submitting in its name.
IDENTITY_REFUSALS = ("not-a-member", "unknown-team")


def _counts(record: dict, count_all: bool, for_team: bool = False) -> bool:
    """Whether a ledger record uses up a limit (refusals for a limit itself never do)."""
    if record.get("status") == "valid":
        return True
    codes = [str(c) for c in record.get("problems") or []]
    if for_team and any(c in IDENTITY_REFUSALS for c in codes):
        return False
    return count_all and not any(c.startswith("limit-") for c in codes)


def _usage(task, team: Optional[str], events: list[Event], ledger_records: list[dict], now: _dt.datetime,
           author: Optional[str] = None):
    """(used today, used in total, blobs already counted) on ``task``.

    With ``team``: the team's merged submissions and its graded attempts in the ledger. With
    ``author``: every graded attempt of that GitHub account in the ledger, whatever team it
    named (so a fresh team name shares the account's quota).
    """
    counted: dict[str, _dt.datetime] = {}
    count_all = getattr(task.limits, "count", "valid") == "all"
    if team is not None:
        for e in events:
            if e.team == team and e.date <= now:
                counted.setdefault(e.blob, e.date)
    for r in ledger_records:
        if r.get("task") != task.id or not _counts(r, count_all, for_team=author is None):
            continue
        if author is not None:
            if str(r.get("author") or "").lower() != author.lower():
                continue
        elif r.get("team") != team:
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
    author: Optional[str] = None
    teams: Optional[dict] = None  # slug -> Team, from the base commit; None: not checked
    identity_path: Optional[str] = None
    identities: dict = field(default_factory=dict)

    @property
    def decrypt(self) -> bool:
        """Confidential predictions are opened only by the trusted, scoring grader."""
        return self.labels_path is not None

    def identity(self, task):
        if task.id not in self.identities:
            from ..submissions.confidential import resolve_identity

            self.identities[task.id] = resolve_identity(task, self.identity_path)
        return self.identities[task.id]


def _tree(repo: Path, rev: str, rel: str) -> dict:
    """``name -> (mode, type, object id)`` of the entries of folder ``rel`` at ``rev``."""
    out = _git(repo, "ls-tree", "-z", rev, "--", rel + "/")
    entries = {}
    for item in out.split("\0"):
        if "\t" not in item:
            continue
        meta, path = item.split("\t", 1)
        mode, kind, oid = meta.split()
        entries[path.rsplit("/", 1)[-1]] = (mode, kind, oid)
    return entries


_KIND_WORDS = {"120000": "a symbolic link", "160000": "a submodule (gitlink) entry", "040000": "a folder"}


def _regular(entries: dict, name: str, rel: str, problems: list) -> Optional[str]:
    """The blob of ``name`` if it is a regular file; otherwise a problem and ``None``."""
    if name not in entries:
        return None
    mode, kind, oid = entries[name]
    if mode in REGULAR_MODES and kind == "blob":
        return oid
    problems.append(Problem(
        "not-a-regular-file", f"{name} must be a regular file",
        file=f"{rel}/{name}", expected="a regular file committed with its content",
        found=_KIND_WORDS.get(mode, f"a git entry of mode {mode}"),
        fix=f"replace it by the file itself (git rm --cached {name}; add the real file)",
    ))
    return None


def _cat(repo: Path, blob: str) -> bytes:
    return _git(repo, "cat-file", "blob", blob, binary=True).stdout


def _read_folder(ctx: _Context, task, rev: str, rel: str, expected, where: str):
    """Read one folder at ``rev``: (meta, submission, problems, warnings, blob, csv path).

    Symbolic links, submodule entries and folders are refused by their git mode before any
    content is read. For a task with confidential predictions the encrypted file is checked
    without the key, and opened in memory only by the scoring grader.
    """
    from ..submissions.metadata import read_metadata
    from ..submissions.submission import read_submission

    problems: list[Problem] = []
    warnings: list[Problem] = []
    root = ctx.tmp / where
    meta = sub = None
    entries = _tree(ctx.repo, rev, rel)
    toml_blob = _regular(entries, METADATA, rel, problems)
    conf = bool(getattr(task, "confidential_predictions", False))
    pred_name, other = (ENCRYPTED, PREDICTIONS) if conf else (PREDICTIONS, ENCRYPTED)
    csv_blob = _regular(entries, pred_name, rel, problems)
    csv_path = root / rel / PREDICTIONS
    if other in entries:
        problems.append(Problem(
            "plain-predictions", f"task {task.id} takes only encrypted predictions: {PREDICTIONS} "
            "is readable by everyone", file=f"{rel}/{PREDICTIONS}", expected=ENCRYPTED,
            found=PREDICTIONS, fix="remove predictions.csv from the branch's history (a new branch "
            "without it) and add predictions.csv.age made by 'benchmark submit prepare'",
        ) if conf else Problem(
            "unexpected-file", f"task {task.id} takes plain predictions, not an encrypted file",
            file=f"{rel}/{ENCRYPTED}", expected=PREDICTIONS, found=ENCRYPTED,
            fix="submit the plain predictions.csv",
        ))
    if toml_blob is None and METADATA not in entries:
        problems.append(Problem("missing-file", f"the submission folder has no {METADATA}",
                                file=f"{rel}/{METADATA}", fix=f"add {METADATA} (see docs/ci.md)"))
    elif toml_blob is not None:
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
        if pred_name not in entries:
            problems.append(Problem("missing-file", f"the submission folder has no {pred_name}",
                                    file=f"{rel}/{pred_name}", fix=f"add {pred_name}"))
        return meta, None, problems, warnings, None, None
    max_mb = float(task.limits.max_file_mb)
    fmt = getattr(meta, "format", None) if meta is not None else None
    if conf:
        sub = _read_encrypted(ctx, task, rel, csv_blob, meta, expected, fmt, max_mb, problems, warnings)
        return meta, sub, problems, warnings, csv_blob, None
    size = _extract(ctx.repo, csv_blob, csv_path, max_bytes=int(max_mb * 1_000_000))
    if not csv_path.exists():
        problems.append(Problem("file-too-large", f"{PREDICTIONS} is larger than the task's limit",
                                file=f"{rel}/{PREDICTIONS}", expected=f"at most {max_mb:g} MB",
                                found=f"{size / 1_000_000:.1f} MB"))
        return meta, None, problems, warnings, csv_blob, None
    try:
        sub = read_submission(task, csv_path, expected, format=fmt or None, max_mb=max_mb)
        warnings += _remap(list(getattr(sub, "warnings", []) or []), f"{rel}/{PREDICTIONS}", ctx.tmp)
    except SubmissionInvalid as exc:
        problems += _remap(exc.problems, f"{rel}/{PREDICTIONS}", ctx.tmp)
        warnings += _remap(exc.warnings, f"{rel}/{PREDICTIONS}", ctx.tmp)
    return meta, sub, problems, warnings, csv_blob, csv_path


def _read_encrypted(ctx: _Context, task, rel: str, blob: str, meta, expected, fmt, max_mb: float,
                    problems: list, warnings: list):
    """Check an encrypted prediction file; with the key, validate its plaintext in memory."""
    from ..submissions.confidential import check_ciphertext, decrypt, sha256_hex
    from ..submissions.submission import read_submission_bytes

    file = f"{rel}/{ENCRYPTED}"
    limit = int(max_mb * 1_000_000) + 64 * 1024  # the age header and tags add a little
    size = int(_git(ctx.repo, "cat-file", "-s", blob).strip())
    if size > limit:
        problems.append(Problem("file-too-large", f"{ENCRYPTED} is larger than the task allows",
                                file=file, expected=f"at most {limit:,} bytes", found=f"{size:,} bytes"))
        return None
    data = _cat(ctx.repo, blob)
    bad = check_ciphertext(data, file, limit)
    problems += bad
    if ctx.base_sha != ctx.head_sha:
        exposed = _git(ctx.repo, "log", "--format=%H", f"{ctx.base_sha}..{ctx.head_sha}", "--",
                       f"{rel}/{PREDICTIONS}").split()
        if exposed:  # a plain file in any commit of the pull request is public for good
            problems.append(Problem(
                "plain-predictions-in-history", f"a commit of this pull request holds the plain {PREDICTIONS}, "
                "which everyone can read", file=f"{rel}/{PREDICTIONS}", expected="only predictions.csv.age in every commit",
                found=f"commit {exposed[-1][:12]}", fix="close this pull request and open one from a new branch "
                "whose history never held the plain file (and consider these predictions disclosed)",
            ))
    want = getattr(meta, "predictions_sha256", None)
    if meta is not None and want is None:
        problems.append(Problem(
            "missing-field", "submission.toml must record the sha256 of the plain predictions",
            file=f"{rel}/{METADATA}", column="predictions_sha256", expected="predictions_sha256 = \"<64 hex digits>\"",
            fix="let 'benchmark submit prepare' write submission.toml, or add the line from 'sha256sum predictions.csv'",
        ))
    if bad or not ctx.decrypt:
        return None
    try:
        plain = decrypt(data, ctx.identity(task))
    except ValueError as exc:
        problems.append(Problem("cannot-decrypt", str(exc), file=file,
                                fix="encrypt to the recipient in the task file (benchmark submit prepare)"))
        return None
    shown = f"{rel}/{PREDICTIONS} (decrypted)"
    if want is not None and sha256_hex(plain) != want:
        problems.append(Problem(
            "sha256-mismatch", "the decrypted predictions do not have the sha256 recorded in submission.toml",
            file=file, expected=want, found="another sha256 (not shown: it is a hash of the confidential file)",
            fix="encrypt the file whose sha256 you recorded, or record the right sha256",
        ))
        return None
    try:
        sub = read_submission_bytes(task, plain, expected, format=fmt or None, max_mb=max_mb, display_path=shown)
        warnings += [_redact(w) for w in getattr(sub, "warnings", []) or []]
        return sub
    except SubmissionInvalid as exc:
        problems += [_redact(p) for p in exc.problems]
        warnings += [_redact(w) for w in exc.warnings]
        return None
    finally:
        del plain


def _redact(p: Problem) -> Problem:
    """A problem inside confidential predictions, without the cell text it found."""
    return replace(p, found=None) if p.line is not None else p


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
    from .ledger import FileLedgerStore, GitLedgerStore, LedgerConflict

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
                tx.commit([_ledger_record(s, report, when, actor, author) for s in report.submissions])
            except LedgerConflict:
                conflicts += 1
                continue
            if conflicts:
                report.host_notes.append(f"ledger: graded again after {conflicts} concurrent append(s)")
            return report
    raise HostError(f"the ledger changed during each of {LEDGER_ATTEMPTS} gradings; nothing was recorded")


def _load_teams(repo: Path, rev: str, host_notes: list) -> dict:
    """Every valid ``teams/<slug>.toml`` of commit ``rev`` (the maintainers' base)."""
    out = {}
    listing = _git(repo, "ls-tree", "-z", rev, "--", f"{TEAMS_DIR}/")
    for item in listing.split("\0"):
        if "\t" not in item:
            continue
        meta, path = item.split("\t", 1)
        mode, kind, oid = meta.split()
        name = path.rsplit("/", 1)[-1]
        slug_ = name[:-5] if name.endswith(".toml") else ""
        if not slug_ or not FOLDER_RE.match(f"{slug_}__x") or mode not in REGULAR_MODES:
            continue
        try:
            out[slug_] = parse_team(_cat(repo, oid).decode("utf-8-sig"), slug_)
        except (SubmissionInvalid, UnicodeDecodeError) as exc:
            host_notes.append(f"team file {path} is ignored: {str(exc)[:300]}")
    return out


def _team_problems(repo: Path, base_sha: str, head_sha: str, team_changes: dict) -> list[Problem]:
    """A change to ``teams/`` is checked, and always waits for a maintainer's approval."""
    problems = []
    for slug_, status in sorted(team_changes.items()):
        path = team_file(slug_)
        if status == "D":
            problems.append(Problem("deleted-file", "a pull request cannot delete a team file", file=path,
                                    found="deleted", fix="restore the file; ask a maintainer"))
            continue
        found: list[Problem] = []
        entries = _tree(repo, head_sha, TEAMS_DIR)
        oid = _regular(entries, f"{slug_}.toml", TEAMS_DIR, found)
        if oid is not None and oid == _blob(repo, base_sha, path):
            continue  # the same file is already on the base branch: nothing to approve
        if oid is not None:
            size = int(_git(repo, "cat-file", "-s", oid).strip())
            try:
                if size > 64 * 1024:
                    raise SubmissionInvalid([Problem("file-too-large", "the team file is too large", file=path,
                                                     found=f"{size} bytes")])
                parse_team(_cat(repo, oid).decode("utf-8-sig"), slug_)
            except SubmissionInvalid as exc:
                found += exc.problems
            except UnicodeDecodeError:
                found.append(Problem("not-utf8", "the team file is not UTF-8 text", file=path))
        problems += found
        problems.append(Problem(
            "team-needs-approval",
            f"{path} is {'new' if status == 'A' else 'changed'}: a maintainer must approve and merge it "
            "before submissions are graded for this team",
            file=path, expected="team files on the base branch only",
            found=f"{_status_word(status)} {path}",
            fix="wait for a maintainer to merge the team file (on its own), then re-run the check",
        ))
    return problems


def _grade_once(root, repo, base, head, labels, now, bootstrap, author, identity,
                allow_label_hash_mismatch, ledger_records) -> GradeReport:
    from ..data.tasks import load_registry

    now = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    reg = load_registry(root)
    changes, note, base_sha, head_sha = changed_files(repo, base, head)
    report = GradeReport(base=base_sha, head=head_sha)
    if note:
        report.notes.append(note)
    problems, folders, team_changes = check_change(repo, base_sha, changes, set(reg.ids()))
    problems += _team_problems(repo, base_sha, head_sha, team_changes)
    report.change_problems = problems
    teams = _load_teams(repo, base_sha, report.host_notes) if author else None
    if not author and folders:
        report.notes.append("Team membership is checked by the maintainers' scoring job, which knows "
                            "the pull request's author.")
    with tempfile.TemporaryDirectory(prefix="benchmark-ci-") as tmpd:
        ctx = _Context(repo, root, reg, base_sha, head_sha, Path(tmpd), now, labels, bootstrap,
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


def _membership(ctx: _Context, team: str, rel: str) -> list[Problem]:
    """The pull request's author must be a member of the team the folder names."""
    tm = ctx.teams.get(team)
    if tm is None:
        return [Problem(
            "unknown-team", f"team {team!r} has no {team_file(team)} on the base branch",
            file=rel, expected=f"{team_file(team)} listing your GitHub login, approved by a maintainer",
            found="no team file",
            fix=f"add {team_file(team)} (name and members) in a pull request; a maintainer approves it",
        )]
    if not tm.is_member(ctx.author):
        return [Problem(
            "not-a-member", f"the pull request's author {ctx.author!r} is not a member of team {team!r}",
            file=rel, expected=f"an author listed in {team_file(team)}", found=str(ctx.author),
            fix="submit from a member's account, or ask a maintainer to add yours to the team file",
        )]
    return []


def _apply_limits(ctx: _Context, task, sr: SubmissionReport, team: str, rel: str, blob, events, pending) -> None:
    """Count this attempt against the team's and the account's limits (both must hold)."""
    lim = task.limits
    count_all = getattr(lim, "count", "valid") == "all"
    t_day, t_total, t_seen = _usage(task, team, events, ctx.ledger_records, ctx.now)
    a_day = a_total = 0
    a_seen: set = set()
    if ctx.author:
        a_day, a_total, a_seen = _usage(task, None, [], ctx.ledger_records, ctx.now, author=ctx.author)
    counts_now = (sr.valid or count_all) and blob is not None and blob not in t_seen and blob not in a_seen
    keys = [(f"team:{team}", f"team {team!r}", t_day, t_total)]
    if any(p.code in IDENTITY_REFUSALS for p in sr.problems):
        keys = []  # not the team's attempt: it can only use up the author's own quota
    if ctx.author:
        keys.append((f"account:{ctx.author.lower()}", f"account {ctx.author!r} (across all its teams)", a_day, a_total))
    file = f"{rel}/{ENCRYPTED if getattr(task, 'confidential_predictions', False) else PREDICTIONS}"
    lefts_day, lefts_total, limited = [], [], False
    for key, who, day_used, total_used in keys:
        k = pending.get(key, 0) + (1 if counts_now else 0)
        day_left = None if lim.per_day is None else lim.per_day - day_used - k
        total_left = None if lim.total is None else lim.total - total_used - k
        if counts_now and day_left is not None and day_left < 0:
            limited = True
            sr.problems.append(Problem(
                "limit-per-day", f"{who} has used all {lim.per_day} submissions to {task.id} of the last 24 hours",
                file=file, expected=f"at most {lim.per_day} per 24 hours",
                found=f"{day_used} merged or graded in the last 24 hours before this one",
                fix="resubmit after 24 hours have passed since your earliest submission of that period",
            ))
        if counts_now and total_left is not None and total_left < 0:
            limited = True
            sr.problems.append(Problem(
                "limit-total", f"{who} has used all {lim.total} submissions to {task.id}",
                file=file, expected=f"at most {lim.total} in total", found=f"{total_used} already counted",
            ))
        lefts_day.append(day_left)
        lefts_total.append(total_left)
    if counts_now and not limited:
        for key, *_ in keys:
            pending[key] = pending.get(key, 0) + 1
    elif counts_now:  # refused for a limit: the attempt does not use one up
        lefts_day = [None if x is None else x + 1 for x in lefts_day]
        lefts_total = [None if x is None else x + 1 for x in lefts_total]
    day = None if lim.per_day is None or not lefts_day else max(0, min(lefts_day))
    total = None if lim.total is None or not lefts_total else max(0, min(lefts_total))
    sr.remaining = Remaining(team, lim.per_day, day, lim.total, total, account=ctx.author)


def _grade_task(ctx: _Context, task, folders: list[str], report: GradeReport, score: bool):
    from ..data.labels import load_labels
    from ..data.public import load_public

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
    pending: dict[str, int] = {}  # "team:<slug>" / "account:<login>" -> attempts counted so far
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
        if ctx.teams is not None:
            sr.problems += _membership(ctx, team, rel)
        _apply_limits(ctx, task, sr, team, rel, blob, events, pending)
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
    from ..stats.baselines import compare_to_operating_point
    from ..stats.intervals import paired_difference, verdict as interval_verdict
    from ..stats.ranking import competition_ranks, rank_summary
    from ..data.ladder import Ladder
    from ..scoring.results import SubmissionInfo
    from ..scoring.score import BootstrapSettings, plan_for, score_task

    from ..data.disclosure import decide

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
    # Ladder: each account's recorded state; its best submission is read again from git (when
    # its blob is available) and scored on the same plan, so the paired test is exact
    states: dict[str, dict] = {}
    best_index: dict[str, int] = {}
    if task.leaderboard.mode == "ladder":
        for r in reports:
            key = ladder_key(r.team, ctx.author)
            if r.folder not in new_index or key in states:
                continue
            state = _ladder_state(ctx.ledger_records, task.id, part, key)
            if state is None:
                continue
            states[key] = state
            best = _best_submission(ctx, task, state, labels.public_cases())
            if best is not None:
                best_index[key] = len(names)
                add(f"ladder-best-{len(best_index)}", None, best)
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
        merged_seq = sorted(range(n_merged), key=lambda i: (order.get(names[i], epoch), names[i]))
        bests: dict[str, dict] = {}
        for r in reports:
            if r.folder not in new_index:
                continue
            key = ladder_key(r.team, ctx.author)
            lad = ladders.get(key)
            if lad is None:
                lad = ladders[key] = Ladder(higher, step=task.leaderboard.ladder_step, n_cases=len(shown))
                state = states.get(key)
                if state is not None:  # the account's Ladder, whatever team it submits as
                    j = best_index.get(key)
                    lad.restore(state["shown"], None if j is None or reps is None else reps[j])
                    bests[key] = dict(state.get("best") or {})
                else:  # no graded history yet: replay the team's merged submissions in merge order
                    for j in merged_seq:
                        if FOLDER_RE.match(names[j]).group(1) == r.team:
                            lad.submit(ts.points[j, 0], None if reps is None else reps[j])
            i = new_index[r.folder]
            d = lad.submit(ts.points[i, 0], None if reps is None else reps[i])
            if d.improved:
                bests[key] = {"blob": r.blob, "encrypted": bool(task.confidential_predictions),
                              "format": getattr(subs[r.folder], "format", None)}
            ladder_out[r.folder] = (d, lad.digits, key, dict(bests.get(key, {})))
    plan = None
    for r in reports:
        if r.folder not in new_index:
            continue
        i = new_index[r.folder]
        res = ts.results[i]
        sc = ShownScore(part=part, split=labels.split, n_cases=len(shown), mode=mode,
                        primary=task.primary, level=settings.level, synthetic=bool(labels.synthetic))
        if mode == "ladder":
            d, digits, key, best = ladder_out[r.folder]
            sc.ladder = (f"{_fmt(d.shown, digits)} ({'improved' if d.improved else 'unchanged'}: "
                         f"this submission {d.reason})")
            sc.ledger_values = {"ladder": d.shown, "improved": d.improved}
            sc.ladder_key = key
            sc.ladder_best = best
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
            rs = rank_summary(pts, reps[rows], higher, level=settings.level)[-1]
            if rs.point_rank is not None and rs.rank_interval is not None:
                sc.rank = (f"{rs.point_rank} of {len(rows)} (with the merged submissions); "
                           f"{settings.level:.0%} rank interval {rs.rank_interval[0]}–{rs.rank_interval[1]}")
        elif (k := int(competition_ranks(pts, higher)[-1])):  # 0: undefined value, not ranked
            sc.rank = f"{k} of {len(rows)} (no bootstrap: no rank interval)"
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
                verdict = interval_verdict(iv.low if ok else None, iv.high if ok else None, higher)
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
                    cmp = compare_to_operating_point(shown.y[:, j], items[i].scores[:, j], b, plan,
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


def ladder_key(team: str, author: Optional[str]) -> str:
    """Whose Ladder a submission moves: the GitHub account when known, else the team.

    Examples
    --------
    >>> ladder_key("lab-a", "OctoCat"), ladder_key("lab-a", None)
    ('account:octocat', 'team:lab-a')
    """
    return f"account:{author.lower()}" if author else f"team:{team}"


def _ladder_state(records: list[dict], task_id: str, part: str, key: str) -> Optional[dict]:
    """``{"shown", "best"}`` of the latest graded submission under ``key`` (None: none yet).

    The ledger holds only the rounded shown value and the git blob of the submission that set
    it, never an exact score or replicate, because the ledger branch is public.
    """
    for r in reversed(records):
        if (r.get("task") == task_id and r.get("mode") == "ladder" and r.get("scored_part") == part
                and r.get("ladder_key") == key and r.get("status") == "valid"):
            v = (r.get("shown") or {}).get("ladder")
            if isinstance(v, (int, float)) and math.isfinite(v):
                best = r.get("ladder_best") if isinstance(r.get("ladder_best"), dict) else {}
                return {"shown": float(v), "best": best}
    return None


def _best_submission(ctx: _Context, task, state: dict, expected):
    """The submission that set an account's shown Ladder value, read again from its blob."""
    from ..submissions.submission import read_submission, read_submission_bytes

    best = state.get("best") or {}
    blob = best.get("blob")
    if not isinstance(blob, str) or not re.fullmatch(r"[0-9a-f]{40,64}", blob):
        return None
    if _git(ctx.repo, "cat-file", "-e", f"{blob}^{{blob}}", binary=True, ok_codes=(0, 1, 128)).returncode != 0:
        return None  # not fetched: the Ladder then asks for a gain of one rounding unit
    fmt = best.get("format") if isinstance(best.get("format"), str) else None
    try:
        if best.get("encrypted"):
            from ..submissions.confidential import decrypt

            plain = decrypt(_cat(ctx.repo, blob), ctx.identity(task))
            return read_submission_bytes(task, plain, expected, format=fmt)
        path = ctx.tmp / "ladder" / blob
        _extract(ctx.repo, blob, path)
        return read_submission(task, path, expected, format=fmt)
    except (SubmissionInvalid, ValueError):
        return None


def _ci_pair(ci) -> str:
    return "no interval" if not ci else f"[{_signed(ci[0], 3)}, {_signed(ci[1], 3)}]"


def _ledger_record(s: SubmissionReport, report: GradeReport, now: _dt.datetime, actor: Optional[str],
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
        from ..core.formatting import DEMO_BANNER

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
                whose = f"team {_code(rem.team)}" + (f" and account {_code(rem.account)}" if rem.account else "")
                out.append(f"- submissions left for {whose} on {_code(s.task_id)}"
                           f" after this one: {', '.join(parts)}"
                           + ("" if s.valid else " (a refused submission does not count unless the task counts every attempt)"))
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
    return clip_report("\n".join(out).rstrip() + "\n")


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out.

    Examples
    --------
    >>> clip("x" * 100, 40)
    'xxxxxxxxxx… [90 more characters]'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 30)] + f"… [{len(text) - max(0, limit - 30)} more characters]"


def clip_report(text: str, limit: int = MAX_REPORT) -> str:
    """A Markdown report cut at a line boundary so it fits a GitHub comment and step summary."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 200)
    cut = cut if cut > 0 else limit - 200
    return text[:cut] + "\n\n… the report was cut here: it exceeded the length a pull-request comment can hold.\n"


def _problem_lines(problems: Sequence[Problem]) -> list[str]:
    lines = [f"- {md_escape(clip(p.format()))}" for p in problems[:MAX_PROBLEMS_SHOWN]]
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
    if not 1 <= line <= len(lines) or len(lines[line - 1]) > 1_000_000:
        return None
    col = str(column)
    header = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), None)
    fields: list[str] = []
    if header is not None and len(header) <= 1_000_000:
        try:
            fields = [f.strip() for f in next(csv.reader(io.StringIO(header)))]
        except (csv.Error, StopIteration):
            fields = []
    if col in fields:  # a column named by the header, even an all-digit name such as "2024"
        index = fields.index(col)
    elif col.isascii() and col.isdigit() and len(col) <= 6:  # a 1-based position
        index = int(col) - 1
    else:
        return None
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
        props = [f"file={escape_property(clip(p.file, 300))}"] if p.file else []
        if p.line is not None:
            props.append(f"line={int(p.line)}")
            col = columns.get((p.line, p.column))
            if col is not None:
                props.append(f"col={col}")
        props.append(f"title={escape_property('submission ' + kind + ': ' + clip(p.code, 60))}")
        cmds.append(f"::{kind} {','.join(props)}::{escape_data(clip(p.format()))}")

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
    from ..core.fileio import atomic_write_text

    if summary:
        atomic_write_text(summary, text)
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        with open(step, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(text + "\n")


def _parse_now(text: Optional[str]) -> Optional[_dt.datetime]:
    from ..data.disclosure import NOW_ENV

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
    from ..data.tasks import find_root

    root = Path(args.root).resolve() if getattr(args, "root", None) else find_root()
    now = _parse_now(args.now)
    try:
        author = args.author or os.environ.get(AUTHOR_ENV) or None
        report = grade(
            root, args.base, args.head, labels=args.labels, now=now, ledger=args.ledger,
            bootstrap=args.bootstrap, actor=args.actor, repo=Path(args.repo) if args.repo else None,
            allow_label_hash_mismatch=args.allow_label_hash_mismatch, author=author,
            identity=args.identity, ledger_ref=args.ledger_ref,
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
    s.add_argument("--actor", help="who triggered the grading (recorded in the ledger)")
    s.add_argument("--author", metavar="LOGIN", help="GitHub login of the pull request's author, from the "
                   f"event (default: ${AUTHOR_ENV}); the team must list it in teams/<slug>.toml, and "
                   "limits count per account")
    s.add_argument("--identity", metavar="FILE", help="age identity (secret key) file opening confidential "
                   "predictions (default: $BENCHMARK_AGE_IDENTITY)")
    s.add_argument("--ledger-ref", metavar="REF", help="keep the ledger at this git ref (e.g. refs/heads/ledger), "
                   "appended by compare-and-swap")
    s.add_argument("--repo", help="git work tree (default: the benchmark root)")
    s.add_argument("--allow-label-hash-mismatch", action="store_true", help="score even if the labels' sha256 differs from the task's pin")
    s.set_defaults(func=cmd_grade)

    def _no_sub(args):
        ci.print_help(sys.stderr)
        return EXIT_INVALID

    ci.set_defaults(func=_no_sub)
