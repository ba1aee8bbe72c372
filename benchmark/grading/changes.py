"""What a change touches: the submission folders it adds or modifies, and what it may not do.

``git diff --name-status base...head`` lists the changed paths. A change that touches anything
outside ``submissions/``, deletes files, or changes another team's folder is refused. In a
shallow clone without the merge base, the trees of ``base`` and ``head`` are compared directly
(``base..head``) and the report says so. A change to ``teams/<slug>.toml`` is checked and
always waits for a maintainer.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .git import SHALLOW_HINT, blob_at, cat_blob, git, regular_blob, resolve_commit, tree_entries
from .teams import TEAMS_DIR, parse_team, team_file
from ..core.errors import Problem, SubmissionInvalid
from ..core.naming import FOLDER_RE, slug
from ..submissions.folders import ENCRYPTED, METADATA, PREDICTIONS

__all__ = [
    "ALLOWED_FILES",
    "Change",
    "PREDICTION_FILES",
    "SUBMISSIONS",
    "changed_files",
    "check_change",
    "status_word",
    "team_problems",
]

SUBMISSIONS = "submissions"
ALLOWED_FILES = (PREDICTIONS, METADATA, ENCRYPTED)
PREDICTION_FILES = (PREDICTIONS, ENCRYPTED)


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
    base_sha = resolve_commit(repo, base, "base")
    head_sha = resolve_commit(repo, head, "head")
    mb = git(repo, "merge-base", base_sha, head_sha, binary=True, ok_codes=(0, 1, 128))
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
    out = git(repo, "diff", "--name-status", "-z", "--no-renames", *spec)
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


def _base_owner(repo: Path, base_sha: str, rel_folder: str, team_part: str) -> Optional[str]:
    """Team slug owning a folder in ``base`` (``None`` when the folder is new)."""
    blob = blob_at(repo, base_sha, f"{rel_folder}/{METADATA}")
    if blob is None:
        has = any(blob_at(repo, base_sha, f"{rel_folder}/{name}") for name in PREDICTION_FILES)
        return team_part if has else None
    data = git(repo, "cat-file", "blob", blob, binary=True).stdout
    try:
        team = tomllib.loads(data.decode("utf-8-sig")).get("team")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        team = None
    return slug(team) if isinstance(team, str) and slug(team) else team_part


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
                found=f"{status_word(ch.status)} {ch.path}",
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
                found=", ".join(f"{status_word(s)} {n}" for n, s in sorted(entry["files"].items())),
                fix="leave other teams' folders alone; add your own <team>__<model> folder",
            ))
            entry["refused"] = True
    return problems, folders, team_changes


def status_word(status: str) -> str:
    return {"A": "added", "M": "modified", "D": "deleted", "T": "type changed"}.get(status, "changed")


def team_problems(repo: Path, base_sha: str, head_sha: str, team_changes: dict) -> list[Problem]:
    """A change to ``teams/`` is checked, and always waits for a maintainer's approval."""
    problems = []
    for slug_, status in sorted(team_changes.items()):
        path = team_file(slug_)
        if status == "D":
            problems.append(Problem("deleted-file", "a pull request cannot delete a team file", file=path,
                                    found="deleted", fix="restore the file; ask a maintainer"))
            continue
        found: list[Problem] = []
        entries = tree_entries(repo, head_sha, TEAMS_DIR)
        oid = regular_blob(entries, f"{slug_}.toml", TEAMS_DIR, found)
        if oid is not None and oid == blob_at(repo, base_sha, path):
            continue  # the same file is already on the base branch: nothing to approve
        if oid is not None:
            size = int(git(repo, "cat-file", "-s", oid).strip())
            try:
                if size > 64 * 1024:
                    raise SubmissionInvalid([Problem("file-too-large", "the team file is too large", file=path,
                                                     found=f"{size} bytes")])
                parse_team(cat_blob(repo, oid).decode("utf-8-sig"), slug_)
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
            found=f"{status_word(status)} {path}",
            fix="wait for a maintainer to merge the team file (on its own), then re-run the check",
        ))
    return problems


