"""Scoring a change's valid submissions together with the merged ones, and the Ladder.

Every valid submission is scored on the task's shared bootstrap plan together with the already
merged submissions, ranked with a rank interval, compared with the current leader and with the
task's reader baselines. Only the part of the labels the disclosure stage
(:mod:`benchmark.data.disclosure`) allows is scored; with ``leaderboard.mode = "ladder"`` only
the Ladder's rounded score is shown (:mod:`benchmark.data.ladder`).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Optional

import numpy as np

from .changes import SUBMISSIONS
from .git import cat_blob, extract_blob, git
from .models import GradingContext, ShownScore
from .reading import read_folder
from ..core.errors import SubmissionInvalid
from ..core.naming import FOLDER_RE
from ..data.disclosure import decide
from ..data.ladder import Ladder
from ..scoring.results import SubmissionInfo
from ..scoring.score import BootstrapSettings, plan_for, score_task
from ..stats.baselines import compare_to_operating_point
from ..stats.intervals import paired_difference, verdict as interval_verdict
from ..stats.ranking import competition_ranks, rank_summary
from ..submissions.confidential import decrypt
from ..submissions.folders import PREDICTIONS
from ..submissions.submission import read_submission, read_submission_bytes

__all__ = ["ladder_key", "score_submissions"]


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


def score_submissions(ctx: GradingContext, task, labels, reports, subs, events, touched):
    """Score the valid submissions of ``reports`` with the merged ones on the task's shared plan.

    Each report gets its :class:`ShownScore`: metrics with intervals, rank and rank interval, the
    comparison with the current leader and with the task's reader baselines, or, for a Ladder
    task, only the Ladder's rounded score.
    """
    disc = decide(task, labels, ctx.now)  # the one disclosure stage: part, reveal, Ladder
    mask, part, shown = disc.mask(labels), disc.part, disc.restrict(labels)
    # merged submissions of the base, except the folders this change replaces
    listing = git(ctx.repo, "ls-tree", "-d", "--name-only", ctx.base_sha, f"{SUBMISSIONS}/{task.id}/")
    merged = []
    for line in sorted(listing.splitlines()):
        folder = line.rsplit("/", 1)[-1]
        if not FOLDER_RE.match(folder) or folder in touched:
            continue
        rel = f"{SUBMISSIONS}/{task.id}/{folder}"
        meta, sub, problems, _, _, _ = read_folder(ctx, task, ctx.base_sha, rel, labels.public_cases(), "base")
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


def _best_submission(ctx: GradingContext, task, state: dict, expected):
    """The submission that set an account's shown Ladder value, read again from its blob."""
    best = state.get("best") or {}
    blob = best.get("blob")
    if not isinstance(blob, str) or not re.fullmatch(r"[0-9a-f]{40,64}", blob):
        return None
    if git(ctx.repo, "cat-file", "-e", f"{blob}^{{blob}}", binary=True, ok_codes=(0, 1, 128)).returncode != 0:
        return None  # not fetched: the Ladder then asks for a gain of one rounding unit
    fmt = best.get("format") if isinstance(best.get("format"), str) else None
    try:
        if best.get("encrypted"):
            plain = decrypt(cat_blob(ctx.repo, blob), ctx.identity(task))
            return read_submission_bytes(task, plain, expected, format=fmt)
        path = ctx.tmp / "ladder" / blob
        extract_blob(ctx.repo, blob, path)
        return read_submission(task, path, expected, format=fmt)
    except (SubmissionInvalid, ValueError):
        return None


def _ci_pair(ci) -> str:
    return "no interval" if not ci else f"[{_signed(ci[0], 3)}, {_signed(ci[1], 3)}]"


