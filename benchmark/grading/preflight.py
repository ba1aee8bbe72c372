"""``benchmark check``: the pre-flight a participant runs before opening a pull request.

It answers two questions in one run, from git alone:

1. **Everything wrong with what I have, at once.** The working tree under ``submissions/`` and
   ``teams/`` is snapshotted as if every file were committed (a commit written to a temporary
   object folder: the repository is never changed) and graded like a pull request. Folders that
   the grader refuses as a whole (a bad folder name, another team's folder) are read anyway, so
   their ``submission.toml`` and prediction problems show in the same run instead of one push
   later; a bad folder name is told the name ``submission.toml`` asks for.
2. **What the pull request's check will say.** ``HEAD`` is graded exactly as the unprivileged
   pull-request job does (:func:`benchmark.grading.grade.grade` without labels or author), so the
   verdict at the end is the one the pull request gets for the committed tree.

Files under ``submissions/`` that are untracked, modified, staged or deleted but not committed,
and files ``.gitignore`` keeps out, are listed as warnings: the pull request does not contain
them. The report names the base, the commits and every folder and file it checked. On a
terminal it is plain text, with every participant-provided name shown through
:func:`benchmark.grading.report.terminal_safe`; Markdown (``--markdown``, or by default inside a
GitHub workflow) is for CI.

Exit codes: 0 everything valid, 2 something to fix (in the working tree or in the committed
tree), 1 a host error (not a git repository, no base branch found is a usage error: 2).
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from .changes import ALLOWED_FILES, SUBMISSIONS, changed_files
from .git import cat_blob, git, resolve_commit, scratch_objects, tree_entries
from .grade import grade, scored_split
from .models import GradeReport, GradingContext, SubmissionReport
from .policy import metadata_problems
from .reading import read_folder
from .report import markdown_body, md_escape, summary, terminal_safe, text_body
from .teams import TEAMS_DIR
from ..core.errors import EXIT_INVALID, EXIT_OK, Problem, UsageError
from ..core.naming import FOLDER_RE, SEPARATOR, slug
from ..data.public import load_public
from ..data.tasks import find_root, load_registry
from ..submissions.folders import METADATA, PREDICTIONS
from ..submissions.metadata import MAX_FILE_BYTES

__all__ = [
    "DEFAULT_BASES",
    "PendingFile",
    "PreflightReport",
    "cmd_check",
    "find_base",
    "pending_files",
    "preflight",
    "render_preflight_markdown",
    "render_preflight_text",
    "snapshot_working_tree",
]

#: Tried in order when no ``--base`` is given: the branch a pull request usually targets.
DEFAULT_BASES = ("upstream/main", "origin/main", "main", "master")
#: Folders whose uncommitted files are looked at (what a submission's pull request may touch).
WATCHED = (SUBMISSIONS, TEAMS_DIR)
_SNAPSHOT_AUTHOR = {"GIT_AUTHOR_NAME": "benchmark check", "GIT_AUTHOR_EMAIL": "check@localhost",
                    "GIT_COMMITTER_NAME": "benchmark check", "GIT_COMMITTER_EMAIL": "check@localhost",
                    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}


@dataclass(frozen=True)
class PendingFile:
    """A file under ``submissions/`` or ``teams/`` whose state is not the committed one."""

    state: str  # "untracked", "modified", "staged", "deleted", "ignored"
    path: str


@dataclass
class PreflightReport:
    """The result of ``benchmark check``."""

    root: Path
    base_ref: str
    base: str
    head: str
    pending: list[PendingFile] = field(default_factory=list)
    checked: dict = field(default_factory=dict)  # folder path -> [(file name, state)]
    one_pass: Optional[GradeReport] = None  # the working tree as if committed: every problem
    final: Optional[GradeReport] = None  # the committed tree: the pull request's verdict

    @property
    def exit_code(self) -> int:
        bad = any(r is not None and r.exit_code != EXIT_OK for r in (self.one_pass, self.final))
        return EXIT_INVALID if bad else EXIT_OK


def find_base(repo: Path, base: Optional[str] = None) -> tuple[str, str]:
    """``(name, commit)`` of the base: ``base`` when given, else the first of :data:`DEFAULT_BASES`."""
    if base:
        return base, resolve_commit(repo, base, "base")
    for ref in DEFAULT_BASES:
        proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", binary=True, ok_codes=(0, 1, 128))
        if proc.returncode == 0:
            return ref, proc.stdout.decode().strip()
    raise UsageError("no base branch found (tried " + ", ".join(DEFAULT_BASES) + "): pass --base REF, "
                     "the branch your pull request targets, e.g. --base origin/main")


def _watched(repo: Path) -> list[str]:
    return [d for d in WATCHED if (Path(repo) / d).is_dir()]


def pending_files(repo: Path) -> list[PendingFile]:
    """Files under ``submissions/`` and ``teams/`` that the committed tree does not hold as they are."""
    dirs = _watched(repo)
    if not dirs:
        return []
    out = []
    status = git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", *dirs)
    for item in status.split("\0"):
        if len(item) < 4:
            continue
        xy, path = item[:2], item[3:]
        if xy == "??":
            state = "untracked"
        elif "D" in xy:
            state = "deleted"
        elif xy[1] != " ":
            state = "modified"
        else:
            state = "staged"
        out.append(PendingFile(state, path))
    ignored = git(repo, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", *dirs)
    out += [PendingFile("ignored", p) for p in ignored.split("\0") if p]
    return sorted(out, key=lambda f: (f.path, f.state))


def snapshot_working_tree(repo: Path, head: str) -> str:
    """A commit of ``head`` plus the working tree's ``submissions/`` and ``teams/`` (ignored files
    left out, as ``git add`` would). Call inside :func:`benchmark.grading.git.scratch_objects`."""
    with tempfile.TemporaryDirectory(prefix="benchmark-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), **_SNAPSHOT_AUTHOR}
        git(repo, "read-tree", head, env=env)
        dirs = _watched(repo)
        if dirs:
            git(repo, "add", "-A", "--", *dirs, env=env)
        tree = git(repo, "write-tree", env=env).strip()
        return git(repo, "commit-tree", tree, "-p", head, "-m", "working tree (benchmark check)", env=env).strip()


def _checked_files(repo: Path, rev: str, changes, pending: dict) -> dict:
    """``folder -> [(file, state)]`` of every folder the change touches, from commit ``rev``."""
    folders = sorted({c.path.rsplit("/", 1)[0] if "/" in c.path else "." for c in changes})
    out = {}
    for folder in folders:
        entries = tree_entries(repo, rev, folder) if folder != "." else {}
        names = set(entries) | {p.rsplit("/", 1)[-1] for p in pending if p.rsplit("/", 1)[0] == folder}
        out[folder] = [(n, pending.get(f"{folder}/{n}", "committed")) for n in sorted(names)]
    return out


def _unread_folders(root: Path, repo: Path, base_sha: str, rev: str, report: GradeReport, changes, now) -> list:
    """Reports for the folders the grader refused whole, read anyway (metadata and predictions)."""
    reg = load_registry(root)
    graded = {(s.task_id, s.folder) for s in report.submissions}
    folders = sorted({tuple(c.path.split("/")[1:3]) for c in changes
                      if c.status != "D" and c.path.count("/") == 3 and c.path.startswith(SUBMISSIONS + "/")
                      and c.path.split("/")[1] in set(reg.ids())} - graded)
    out = []
    with tempfile.TemporaryDirectory(prefix="benchmark-check-") as tmp:
        ctx = GradingContext(repo, root, reg, base_sha, rev, Path(tmp), now, None, None, [])
        for task_id, folder in folders:
            task = reg.get(task_id)
            rel = f"{SUBMISSIONS}/{task_id}/{folder}"
            meta, _, problems, warnings, _, _ = read_folder(ctx, task, rev, rel, load_public(task, scored_split(task)), "wt")
            entries = tree_entries(repo, rev, rel)
            problems[:0] = [Problem(
                "unexpected-file", "a submission folder holds only predictions.csv and submission.toml",
                file=f"{rel}/{name}", expected=f"{PREDICTIONS} or {METADATA}", found=name,
                fix="remove the file from the pull request",
            ) for name in sorted(entries) if name not in ALLOWED_FILES and not FOLDER_RE.match(folder)]
            if meta is not None and FOLDER_RE.match(folder):
                problems += metadata_problems(meta, task, folder, rel)
            elif not FOLDER_RE.match(folder):
                names = _lenient_names(repo, entries)
                want = f"{slug(names[0])}{SEPARATOR}{slug(names[1])}" if names else ""
                if FOLDER_RE.match(want):
                    problems.insert(0, Problem(
                        "bad-folder-name", "the folder name must be <team>__<model> made from submission.toml",
                        file=rel, expected=want, found=folder, fix=f"rename the folder to {want}",
                    ))
            team = folder.split(SEPARATOR, 1)[0]
            out.append(SubmissionReport(task_id, folder, rel, team, getattr(meta, "model", "") or "",
                                        problems, warnings))
    return out


def _lenient_names(repo: Path, entries: dict) -> Optional[tuple[str, str]]:
    """``(team, model)`` from a ``submission.toml`` that may be invalid otherwise (for a hint)."""
    mode, kind, oid = entries.get(METADATA, ("", "", ""))
    if kind != "blob" or int(git(repo, "cat-file", "-s", oid).strip()) > MAX_FILE_BYTES:
        return None
    try:
        data = tomllib.loads(cat_blob(repo, oid).decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    team, model = data.get("team"), data.get("model")
    return (team, model) if isinstance(team, str) and isinstance(model, str) else None


def preflight(root: Path, base: Optional[str] = None, repo: Optional[Path] = None,
              now: Optional[_dt.datetime] = None) -> PreflightReport:
    """Check the working tree and the committed tree of a submission branch; see the module docstring."""
    root = Path(root).resolve()
    repo = Path(repo).resolve() if repo else root
    now = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    base_ref, base_sha = find_base(repo, base)
    head_sha = resolve_commit(repo, "HEAD", "head")
    report = PreflightReport(root, base_ref, base_sha, head_sha, pending=pending_files(repo))
    states = {p.path: p.state for p in report.pending if p.state != "ignored"}
    report.final = grade(root, base_sha, head_sha, now=now, repo=repo)
    with scratch_objects(repo):
        snap = snapshot_working_tree(repo, head_sha) if states else head_sha
        changes = changed_files(repo, base_sha, snap)[0]
        report.checked = _checked_files(repo, snap, changes, states)
        one = report.final if snap == head_sha else grade(root, base_sha, snap, now=now, repo=repo)
        extra = _unread_folders(root, repo, one.base, snap, one, changes, now)
        report.one_pass = replace(one, submissions=sorted(one.submissions + extra, key=lambda s: s.path))
    return report


_PENDING_WORDS = {
    "untracked": "untracked (in no commit)",
    "modified": "modified since the last commit",
    "staged": "staged but not committed",
    "deleted": "deleted but the deletion is not committed",
    "ignored": "ignored by .gitignore",
}


def _final_lines(final: GradeReport, fmt) -> list[str]:
    lines = [summary(final)]
    if final.change_problems:
        lines.append(f"- the change itself: {len(final.change_problems)} problem(s)")
    for s in final.submissions:
        lines.append(f"- {fmt(s.path + '/')}: " + ("valid" if s.valid else f"INVALID, {len(s.problems)} problem(s)"))
    if not final.submissions and not final.change_problems:
        lines.append("- no submission folder is added or changed by the committed tree")
    return lines


def render_preflight_text(r: PreflightReport) -> str:
    """The report as plain text for a terminal (participant-provided names made safe)."""
    t = terminal_safe
    out = ["Pre-flight check", "================", "",
           f"Base {t(r.base_ref)} ({r.base[:12]}), head HEAD ({r.head[:12]}), root {t(r.root)}", ""]
    not_committed = [p for p in r.pending if p.state != "ignored"]
    ignored = [p for p in r.pending if p.state == "ignored"]
    if not_committed:
        out += [f"Warning: {len(not_committed)} file(s) under submissions/ or teams/ are not committed; "
                "the pull request will not contain them until you commit them (git add; git commit):"]
        out += [f"  - {_PENDING_WORDS[p.state]}: {t(p.path)}" for p in not_committed] + [""]
    if ignored:
        out += [f"Warning: {len(ignored)} file(s) are ignored by .gitignore and can never be part of the pull request:"]
        out += [f"  - {t(p.path)}" for p in ignored] + [""]
    out.append("Checked: the working tree as if every file were committed, against the base:")
    if r.checked:
        for folder, files in r.checked.items():
            shown = ", ".join(f"{t(n)} ({s})" for n, s in files) or "(no files)"
            out.append(f"  - {t(folder + '/')}: {shown}")
    else:
        out.append("  - nothing: no file under submissions/ differs from the base")
    out.append("")
    one = r.one_pass
    n_problems = len(one.change_problems) + sum(len(s.problems) for s in one.submissions)
    out += [f"Found in one pass: {n_problems} problem(s) (folder names, submission.toml and predictions together)", ""]
    out += text_body(one)
    out += ["What the pull request's check will see", "--------------------------------------",
            f"benchmark ci grade --base {r.base[:12]} --head {r.head[:12]}, on the committed tree:", ""]
    out += _final_lines(r.final, t) + [""]
    out.append("Ready: the pull request's check will pass." if r.exit_code == EXIT_OK
               else "Not ready: fix the problems above, commit, and run benchmark check again.")
    return "\n".join(out).rstrip() + "\n"


def render_preflight_markdown(r: PreflightReport) -> str:
    """The report as Markdown, for a workflow's step summary."""
    m = md_escape
    out = ["## Pre-flight check", "",
           f"Base {m(r.base_ref)} (`{r.base[:12]}`), head HEAD (`{r.head[:12]}`).", ""]
    for p in r.pending:
        out.append(f"- **warning**: {_PENDING_WORDS[p.state]}: {m(p.path)}")
    if r.pending:
        out.append("")
    out += ["### Checked (the working tree as if every file were committed)", ""]
    for folder, files in r.checked.items():
        out.append(f"- {m(folder + '/')}: " + (", ".join(f"{m(n)} ({s})" for n, s in files) or "(no files)"))
    if not r.checked:
        out.append("- nothing: no file under submissions/ differs from the base")
    out += [""] + markdown_body(r.one_pass)
    out += ["### What the pull request's check will see", ""]
    out += [line for line in _final_lines(r.final, m)] + [""]
    out.append("**Ready.**" if r.exit_code == EXIT_OK else "**Not ready.**")
    return "\n".join(out).rstrip() + "\n"


def cmd_check(args) -> int:
    """``benchmark check``: run :func:`preflight` and print its report."""
    root = Path(args.root).resolve() if getattr(args, "root", None) else find_root()
    report = preflight(root, base=args.base, repo=Path(args.repo) if getattr(args, "repo", None) else None)
    markdown = args.markdown or os.environ.get("GITHUB_ACTIONS") == "true"
    sys.stdout.write(render_preflight_markdown(report) if markdown else render_preflight_text(report))
    return report.exit_code
