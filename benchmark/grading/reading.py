"""Reading one submission folder from a commit, as data.

Every file is read from git by its object id (``git cat-file``): nothing is checked out or
executed. Symbolic links, submodule entries and folders are refused by their git mode before
any content is read. For a task with confidential predictions the encrypted file is checked
without the key, and opened in memory only by the scoring grader.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .changes import ALLOWED_FILES
from .git import cat_blob, extract_blob, git, regular_blob, tree_entries
from .models import GradingContext
from ..core.errors import Problem, SubmissionInvalid
from ..submissions.confidential import check_ciphertext, decrypt, sha256_hex
from ..submissions.folders import ENCRYPTED, METADATA, PREDICTIONS
from ..submissions.metadata import read_metadata
from ..submissions.submission import read_submission, read_submission_bytes

__all__ = ["read_folder"]


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


def read_folder(ctx: GradingContext, task, rev: str, rel: str, expected, where: str):
    """Read one folder at ``rev``: (meta, submission, problems, warnings, blob, csv path).

    Symbolic links, submodule entries and folders are refused by their git mode before any
    content is read. For a task with confidential predictions the encrypted file is checked
    without the key, and opened in memory only by the scoring grader.
    """

    problems: list[Problem] = []
    warnings: list[Problem] = []
    root = ctx.tmp / where
    meta = sub = None
    entries = tree_entries(ctx.repo, rev, rel)
    toml_blob = regular_blob(entries, METADATA, rel, problems)
    conf = bool(getattr(task, "confidential_predictions", False))
    pred_name, other = (ENCRYPTED, PREDICTIONS) if conf else (PREDICTIONS, ENCRYPTED)
    csv_blob = regular_blob(entries, pred_name, rel, problems)
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
        size = extract_blob(ctx.repo, toml_blob, root / rel / METADATA, max_bytes=1 << 20)
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
    size = extract_blob(ctx.repo, csv_blob, csv_path, max_bytes=int(max_mb * 1_000_000))
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


def _read_encrypted(ctx: GradingContext, task, rel: str, blob: str, meta, expected, fmt, max_mb: float,
                    problems: list, warnings: list):
    """Check an encrypted prediction file; with the key, validate its plaintext in memory."""

    file = f"{rel}/{ENCRYPTED}"
    limit = int(max_mb * 1_000_000) + 64 * 1024  # the age header and tags add a little
    size = int(git(ctx.repo, "cat-file", "-s", blob).strip())
    if size > limit:
        problems.append(Problem("file-too-large", f"{ENCRYPTED} is larger than the task allows",
                                file=file, expected=f"at most {limit:,} bytes", found=f"{size:,} bytes"))
        return None
    data = cat_blob(ctx.repo, blob)
    bad = check_ciphertext(data, file, limit)
    problems += bad
    if ctx.base_sha != ctx.head_sha:
        exposed = git(ctx.repo, "log", "--format=%H", f"{ctx.base_sha}..{ctx.head_sha}", "--",
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


