"""Comparisons between the entries of a task: ranks, rank distributions over the bootstrap
replicates, the difference from the leader, the pairwise significance map, differences between
subgroups and the history of the best score.

Per-pair data is bounded: the significance map covers the best :data:`SIGNIFICANCE_MAX`
entries, and the bootstrap rank distribution (``rank_counts``) is kept for the best
:data:`RANK_COUNTS_MAX` entries only, sparse (``[[rank, count], ...]`` for the ranks reached),
so the published data grows linearly with the number of entries, not with its square. Every
entry keeps its rank interval, median rank and P(best).
"""

from __future__ import annotations

import bisect
from itertools import groupby
import math

import numpy as np

from ..stats.intervals import paired_difference
from ..stats.ranking import arena_rank, competition_ranks, rank_summary
from ..stats.significance import leader_comparison, significance_map
from .curves import rounded

__all__ = [
    "SIGNIFICANCE_MAX", "RANK_COUNTS_MAX", "sparse_rank_counts", "rank_board",
    "subgroup_differences", "score_history",
]

SIGNIFICANCE_MAX = 30  # entries shown in the pairwise significance map (best by point rank)
RANK_COUNTS_MAX = 30  # entries whose bootstrap rank distribution is published (the rank plot's)


def sparse_rank_counts(counts) -> list[list[int]]:
    """``[[rank, count], ...]`` for the ranks with a nonzero count (ranks from 1).

    >>> sparse_rank_counts([0, 3, 0, 1])
    [[2, 3], [4, 1]]
    """
    return [[r + 1, int(c)] for r, c in enumerate(counts) if c]


def rank_board(board) -> None:
    """Order the rows of a :class:`~benchmark.leaderboard.board.TaskBoard`, rank them and add
    the bootstrap comparisons (rank summaries, leader differences, the significance map)."""
    task = board.task
    hib = task.higher_is_better
    scored = [r for r in board.rows if r.result is not None]
    if scored:
        prim = np.array([np.nan if r.result.primary_value is None else r.result.primary_value for r in scored])
        for r, k in zip(scored, competition_ranks(prim, hib)):
            r.rank = int(k) or None  # 0: undefined value, not ranked
    board.rows.sort(key=lambda r: (r.result is None, r.rank is None, r.rank or 0, r.entry.name))
    scored = board.scored
    if not scored:
        return
    names = [r.entry.name for r in scored]
    prim = board.points[:, 0]
    finite = np.isfinite(prim)
    if finite.any():
        board.leader = names[int(np.flatnonzero(prim == (np.nanmax(prim) if hib else np.nanmin(prim)))[0])]
    reps = board.replicates
    if reps is None:
        return
    rp = reps[:, 0, :]
    level = board.settings.level
    for i, (r, s) in enumerate(zip(scored, rank_summary(prim, rp, hib, level=level, names=names))):
        r.rank_summary = s.to_dict()
        r.rank_summary["rank_counts"] = sparse_rank_counts(s.rank_counts) if i < RANK_COUNTS_MAX else None
    ivals = np.array([
        [np.nan, np.nan] if not (r.result.metrics[task.primary].ci and r.result.metrics[task.primary].ci[0] is not None)
        else r.result.metrics[task.primary].ci
        for r in scored
    ], dtype=float)
    ok = np.all(np.isfinite(ivals), axis=1)
    if ok.any():
        ar = arena_rank(ivals[ok], hib)
        for r, k in zip([r for r, o in zip(scored, ok) if o], ar):
            r.arena_rank = int(k)
    if finite.any() and len(scored) > 1:
        lc = leader_comparison(rp, prim, names, hib, level=level)
        diffs = {d.name: d for d in lc.differences}
        for r in scored:
            d = diffs.get(r.entry.name)
            if d is not None:
                r.leader_difference = {
                    "difference": rounded(d.difference, 12), "ci": None if d.ci is None else [rounded(v, 12) for v in d.ci],
                    "p_value": rounded(d.p_value, 12), "verdict": d.verdict, "reason": d.reason,
                }
    top = [i for i in range(len(scored)) if finite[i]][:SIGNIFICANCE_MAX]
    if len(top) > 1:
        sm = significance_map(rp[top], prim[top], [names[i] for i in top], hib, level=1 - level)
        for a, i in enumerate(top):
            scored[i].better_than = [names[top[b]] for b in range(len(top)) if sm.better[a][b]]
        board.significance = {
            "names": sm.names,
            "order": sm.order,
            "p_adjusted": [[rounded(v, 12) for v in row] for row in sm.p_adjusted],
            "better": sm.better,
            "untested": sm.untested,
            "alpha": sm.alpha,
            "method": sm.method,
            "n_replicates": sm.n_replicates,
            "n_total": int(finite.sum()),
        }


def subgroup_differences(board, row) -> list[dict]:
    """Paired differences between the subgroups of every subgroup metric of ``row``.

    For a metric declared per subgroup (e.g. ``auc [modality=MRI]`` and ``auc
    [modality=MRA]``), each later subgroup value is compared with the first declared one:
    ``value(later) - value(first)``. Both statistics are evaluated on the same bootstrap
    replicates of the whole test set (each replicate resamples every case, so both subgroups
    move together), hence the interval of the difference is a paired percentile interval
    (:func:`benchmark.stats.intervals.paired_difference`). Without replicates, or when the
    disclosure rules withhold the subgroup intervals, only the point difference is given.
    """
    res = row.result
    if res is None:
        return []
    specs = board.task.metric_specs()
    groups: dict = {}
    for j, s in enumerate(specs):
        if s.subgroup is None:
            continue
        base = s.name.split("[")[0]
        groups.setdefault((base, s.targets, s.subgroup[0]), []).append((j, s))
    out = []
    level = board.settings.level
    for (base, _targets, column), members in groups.items():
        if len(members) < 2:
            continue
        j0, s0 = members[0]
        for j1, s1 in members[1:]:
            if s1.name not in res.metrics or s0.name not in res.metrics:
                continue  # not shown (e.g. a Ladder task shows its primary metric only)
            a, b = res.metrics[s1.name], res.metrics[s0.name]
            item = {
                "metric": base, "column": column, "group": s1.subgroup[1], "reference": s0.subgroup[1],
                "difference": None, "ci": None, "p_value": None,
            }
            if a.value is not None and b.value is not None:
                item["difference"] = rounded(a.value - b.value, 12)
                # an interval only where both subgroup intervals are shown (disclosure rules)
                if row.replicates is not None and a.ci and b.ci and None not in (*a.ci, *b.ci):
                    pd_ = paired_difference(row.replicates[j1], row.replicates[j0], a.value, b.value, level=level)
                    if pd_.interval.low is not None and pd_.interval.high is not None:
                        item["ci"] = [rounded(pd_.interval.low, 12), rounded(pd_.interval.high, 12)]
                    item["p_value"] = None if pd_.p_value is None else rounded(pd_.p_value, 12)
            out.append(item)
    return out


def score_history(entries: list[dict], higher_is_better: bool) -> tuple[list[dict], dict]:
    """The best primary score over submission dates, and each entry's rank when submitted.

    ``entries``: dicts with ``name``, ``date`` (ISO text or None) and ``value`` (primary
    metric point value or None). Returns ``(steps, rank_then)``: ``steps`` has one item per
    date on which the best score changed (``date``, ``name`` of the entry holding the best
    score from then on, ``value``), in date order; ``rank_then`` maps an entry name to
    ``{"rank", "of"}``: 1 + the number of entries dated on or before it with a strictly better
    value, among the ``of`` entries dated on or before it (itself included). Entries without a
    date or value take no part.

    >>> steps, then = score_history([
    ...     {"name": "a", "date": "2026-01-01", "value": 0.7},
    ...     {"name": "b", "date": "2026-01-03", "value": 0.6},
    ...     {"name": "c", "date": "2026-01-05", "value": 0.8}], True)
    >>> [(s["date"], s["name"]) for s in steps], then["b"], then["c"]
    ([('2026-01-01', 'a'), ('2026-01-05', 'c')], {'rank': 2, 'of': 2}, {'rank': 1, 'of': 3})
    """
    dated = sorted(
        (e for e in entries if e.get("date") and e.get("value") is not None
         and math.isfinite(float(e["value"]))),
        key=lambda e: (e["date"], e["name"]),
    )
    sign = 1.0 if higher_is_better else -1.0
    steps: list[dict] = []
    rank_then: dict = {}
    seen: list[float] = []  # -sign * value of every entry dated so far, sorted: better is smaller
    best = None
    for date, group in groupby(dated, key=lambda e: e["date"]):
        today = list(group)
        for e in today:
            bisect.insort(seen, -sign * float(e["value"]))
        for e in today:
            rank_then[e["name"]] = {"rank": 1 + bisect.bisect_left(seen, -sign * float(e["value"])), "of": len(seen)}
        top = min(today, key=lambda e: (-sign * float(e["value"]), e["name"]))
        if best is None or sign * float(top["value"]) > sign * float(best["value"]):
            best = top
            steps.append({"date": date, "name": top["name"], "value": float(top["value"])})
    return steps, rank_then
