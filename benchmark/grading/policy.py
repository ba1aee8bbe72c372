"""Who may submit and how often: team membership, the team in ``submission.toml``, and limits.

Submission limits (``[limits] per_day`` / ``total`` of the task) are counted per team from the
repository's own history: every commit on the first-parent line of ``base`` that added or
changed a prediction file in one of the team's folders, dated by its commit date (rolling 24
hours for ``per_day``), plus every graded submission recorded in the ledger. With the pull
request's author known, the limits also count per GitHub account, across all its teams.
Invalid submissions count only where the task says ``count = "all"``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .changes import PREDICTION_FILES, SUBMISSIONS
from .git import REGULAR_MODES, cat_blob, git
from .models import GradingContext, Remaining, SubmissionReport
from .teams import TEAMS_DIR, parse_team, team_file
from ..core.errors import Problem, SubmissionInvalid
from ..core.naming import FOLDER_RE, slug
from ..submissions.folders import ENCRYPTED, METADATA, PREDICTIONS

__all__ = [
    "Event",
    "IDENTITY_REFUSALS",
    "apply_limits",
    "counts_against_limits",
    "load_teams",
    "membership_problems",
    "metadata_problems",
    "parse_time",
    "submission_events",
    "usage",
]


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
    out = git(
        repo, "log", "--first-parent", "--diff-merges=first-parent", "--no-renames",
        "--diff-filter=AM", "--raw", "--no-abbrev", "--format=@@%H %cI", base_sha, "--",
        f"{SUBMISSIONS}/{task_id}/",
    )
    events: list[Event] = []
    commit, date = None, None
    for line in out.splitlines():
        if line.startswith("@@"):
            commit, iso = line[2:].split(" ", 1)
            date = parse_time(iso.strip())
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


def parse_time(text: str) -> _dt.datetime:
    t = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.astimezone(_dt.timezone.utc)


#: Refusals that say the author may not submit for the team: they count against the author's
#: account (with ``count = "all"``) but never against the team, or anyone could use up another
#: team's quota by submitting in its name.
IDENTITY_REFUSALS = ("not-a-member", "unknown-team")


def counts_against_limits(record: dict, count_all: bool, for_team: bool = False) -> bool:
    """Whether a ledger record uses up a limit (refusals for a limit itself never do)."""
    if record.get("status") == "valid":
        return True
    codes = [str(c) for c in record.get("problems") or []]
    if for_team and any(c in IDENTITY_REFUSALS for c in codes):
        return False
    return count_all and not any(c.startswith("limit-") for c in codes)


def usage(task, team: Optional[str], events: list[Event], ledger_records: list[dict], now: _dt.datetime,
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
        if r.get("task") != task.id or not counts_against_limits(r, count_all, for_team=author is None):
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
            t = parse_time(when)
        except ValueError:
            continue
        if t <= now:
            counted.setdefault(blob, t)
    day_start = now - _dt.timedelta(hours=24)
    per_day = sum(1 for t in counted.values() if t > day_start)
    return per_day, len(counted), set(counted)


def load_teams(repo: Path, rev: str, host_notes: list) -> dict:
    """Every valid ``teams/<slug>.toml`` of commit ``rev`` (the maintainers' base)."""
    out = {}
    listing = git(repo, "ls-tree", "-z", rev, "--", f"{TEAMS_DIR}/")
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
            out[slug_] = parse_team(cat_blob(repo, oid).decode("utf-8-sig"), slug_)
        except (SubmissionInvalid, UnicodeDecodeError) as exc:
            host_notes.append(f"team file {path} is ignored: {str(exc)[:300]}")
    return out


def membership_problems(ctx: GradingContext, team: str, rel: str) -> list[Problem]:
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


def apply_limits(ctx: GradingContext, task, sr: SubmissionReport, team: str, rel: str, blob, events, pending) -> None:
    """Count this attempt against the team's and the account's limits (both must hold)."""
    lim = task.limits
    count_all = getattr(lim, "count", "valid") == "all"
    t_day, t_total, t_seen = usage(task, team, events, ctx.ledger_records, ctx.now)
    a_day = a_total = 0
    a_seen: set = set()
    if ctx.author:
        a_day, a_total, a_seen = usage(task, None, [], ctx.ledger_records, ctx.now, author=ctx.author)
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


def metadata_problems(meta, task, folder: str, rel: str) -> list[Problem]:
    """``submission.toml`` must name the folder's team (by its slug) and the folder's task."""
    problems = []
    m = FOLDER_RE.match(folder)
    team = getattr(meta, "team", None)
    if team is not None and slug(team) != m.group(1):
        problems.append(Problem(
            "team-mismatch",
            "the folder's team part must be the slug of the team in submission.toml",
            file=f"{rel}/{METADATA}",
            column="team",
            expected=f"a team whose slug is {m.group(1)!r}",
            found=f"{team!r} (slug {slug(team)!r})",
            fix=f"name the folder {slug(team)}__<model>, or correct the team",
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


