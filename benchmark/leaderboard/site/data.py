"""The data behind every page of the site: one JSON-ready record per task and entry, as
written to ``leaderboard.json`` (:func:`site_data`).

Everything comes from the boards, which hold only what the disclosure rules
(:mod:`benchmark.data.disclosure`) let the leaderboard show; numbers pass the disclosure stage
once more for their published precision. Per-pair data is bounded (see
:mod:`benchmark.leaderboard.compare`): ``rank_counts`` is sparse and kept for the best
``compare.RANK_COUNTS_MAX`` entries, and the task record says so under ``rank_counts``.
"""

from __future__ import annotations

import datetime

from ... import __version__
from ...core.formatting import DEGENERATE_NOTE, DEMO_BANNER
from ...core.naming import entry_slug
from ...stats.intervals import wilson_interval
from .. import compare
from ..compare import score_history, subgroup_differences
from ..curves import CALIBRATION_BINS, CALIBRATION_MIN_BIN_CASES
from . import markup, views
from .markup import safe_url
from .views import entry_label

__all__ = ["site_data", "SITE_SCHEMA"]

SITE_SCHEMA = "benchmark-leaderboard-2"  # 2: sparse, capped rank_counts; ROC bands; bin intervals


def _attr(obj, name, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _links(meta) -> list[dict]:
    out = []
    for link in _attr(meta, "links", None) or []:
        url = safe_url(_attr(link, "url"))
        if url is None:
            continue
        title = _attr(link, "title") or url
        out.append({"title": str(title), "url": url})
    return out


def _baseline_ci(value_ci, counts, n_readers, level):
    """A reader coordinate's interval: the published one, else the Wilson interval at ``level``
    of the proportion ``k / m`` over its ``m / n_readers`` cases (pooled reads of several
    readers on the same cases are not independent trials)."""
    if value_ci:
        return [float(value_ci[0]), float(value_ci[1])], "published 95% interval"
    if counts:
        k, m = int(counts[0]), int(counts[1])
        cases = m // (n_readers or 1)
        how = f"Wilson {level:.0%} interval over {cases} cases" if cases != m else f"Wilson {level:.0%} interval from the counts"
        return wilson_interval(k * cases / m, cases, level), how
    return None, None


def _reproduce(board, res) -> str:
    t = board.task
    parts = ["benchmark", "score", t.id, res.submission.path]
    if res.submission.format:
        parts += ["--format", res.submission.format]
    parts += ["--split", res.split]
    if res.bootstrap is not None:
        parts += ["--bootstrap", str(res.bootstrap.replicates), "--seed", str(res.bootstrap.seed)]
        parts += ["--ci", res.bootstrap.method, "--level", repr(res.bootstrap.level)]
    else:
        parts += ["--bootstrap", "0"]
    parts += ["--demo"] if res.synthetic_labels else ["--labels", '"$BENCHMARK_LABELS_DIR"']
    d = board.disclosure
    if d.part != "all" and d.reveal_date is not None:  # a date on the same side of the reveal
        when = d.reveal_date if d.part == "private" else d.reveal_date - datetime.timedelta(days=1)
        parts += ["--now", when.isoformat()]
    return " ".join(parts)


# -- the data behind every page ------------------------------------------------------------------
def _metric_columns(task) -> list[dict]:
    cols = []
    for s in task.metric_specs():
        cols.append(
            {
                "name": s.name,
                "display_name": s.display_name,
                "higher_is_better": s.higher_is_better,
                "targets": list(s.targets),
                "subgroup": None if s.subgroup is None else {"column": s.subgroup[0], "value": s.subgroup[1]},
                "primary": s.primary,
            }
        )
    return cols


def _withheld(row) -> dict:
    """What the disclosure stage withheld of this entry: ``{what: why}`` (said in place)."""
    out = dict(row.curves.get("withheld", {}))
    out.update((row.result.disclosure or {}).get("withheld", {}))
    return dict(sorted(out.items()))


def _entry_data(board, row, page: str) -> dict:
    res = row.result
    meta = row.entry.meta
    date = _attr(meta, "date")
    metrics = {}
    for name, mv in res.metrics.items():
        ci = None
        if mv.ci and mv.ci[0] is not None and mv.ci[1] is not None:
            ci = [mv.ci[0], mv.ci[1]]
        metrics[name] = {
            "value": mv.value,
            "display_value": mv.display_value,
            "ci": ci,
            "ci_method": mv.ci_method,
            "ci_note": mv.ci_note,
            "ci_degenerate": bool(mv.ci_note and mv.ci_note.startswith(DEGENERATE_NOTE)),
            "n_cases": mv.n_cases,
        }
    rs = row.rank_summary or {}
    is_leader = board.leader == row.entry.name
    diff = row.leader_difference
    if is_leader:
        diff = {"difference": 0.0, "ci": None, "p_value": None, "verdict": "leader", "reason": None}
    return {
        "name": row.entry.name,
        "page": page,
        "rank": row.rank,
        "rank_interval": rs.get("rank_interval"),
        "median_rank": rs.get("median_rank"),
        "p_best": rs.get("p_best"),
        "rank_counts": rs.get("rank_counts"),
        "arena_rank": row.arena_rank,
        "leader": is_leader,
        "team": str(_attr(meta, "team", "") or row.entry.name),
        "model": str(_attr(meta, "model", "") or ""),
        "authors": [str(a) for a in (_attr(meta, "authors") or [])],
        "description": str(_attr(meta, "description", "") or ""),
        "date": None if date is None else str(date.isoformat() if hasattr(date, "isoformat") else date),
        "links": _links(meta),
        "external_data": bool(_attr(meta, "external_data", False)),
        "external_data_description": str(_attr(meta, "external_data_description", "") or ""),
        "synthetic": bool(_attr(meta, "synthetic", False)),
        "submission": {
            "path": res.submission.path,
            "sha256": res.submission.sha256,
            "format": res.submission.format,
            "n_rows": res.submission.n_rows,
        },
        "metrics": metrics,
        "leader_difference": diff,
        "significantly_better_than": list(row.better_than),
        "operating_points": row.curves.get("operating_points", []),
        "reader_study": list((res.comparisons or {}).get("readers", [])),
        "mrmc": list((res.comparisons or {}).get("mrmc", [])),
        "roc": row.curves.get("roc", []),
        "calibration": row.curves.get("calibration", []),
        "warnings": list(res.warnings),
        "withheld": _withheld(row),
        "reproduce": _reproduce(board, res),
        "subgroup_differences": subgroup_differences(board, row),
    }


def _task_data(board) -> dict:
    t = board.task
    labels = board.labels
    scored = board.scored
    pages = {}
    used = set()
    for r in scored:
        slug = entry_slug(r.entry.name)
        while slug in used or slug == "index":
            slug += "-"
        used.add(slug)
        pages[r.entry.name] = f"{slug}.html"
    # numbers pass the disclosure stage once more: their published precision
    entries = board.disclosure.numbers([_entry_data(board, r, pages[r.entry.name]) for r in scored])
    boot = scored[0].result.bootstrap if scored else None
    baselines = []
    for b in t.baselines:
        sens_ci, sens_how = _baseline_ci(b.sensitivity_ci, b.sensitivity_counts, b.n_readers, board.settings.level)
        spec_ci, spec_how = _baseline_ci(b.specificity_ci, b.specificity_counts, b.n_readers, board.settings.level)
        baselines.append(
            {
                "name": b.name, "target": b.target, "readers": b.readers,
                "sensitivity": b.sensitivity, "sensitivity_ci": sens_ci, "sensitivity_ci_source": sens_how,
                "specificity": b.specificity, "specificity_ci": spec_ci, "specificity_ci_source": spec_how,
                "sensitivity_counts": b.sensitivity_counts, "specificity_counts": b.specificity_counts,
                "derived": b.derived, "source": b.source,
            }
        )
    references = [
        {"name": r.name, "split": r.split, "metrics": dict(sorted(r.metrics.items())),
         "ci": {k: list(v) for k, v in sorted(r.ci.items())}, "note": r.note, "source": r.source}
        for r in t.references
    ]
    leader = next((e for e in entries if e["leader"]), None)
    steps, rank_then = score_history(
        [{"name": e["name"], "date": e["date"], "value": e["metrics"][t.primary]["value"]} for e in entries],
        t.higher_is_better,
    )
    by_name = {e["name"]: e for e in entries}
    for e in entries:
        e["rank_when_submitted"] = rank_then.get(e["name"])
    history = [
        {**s, "label": entry_label(by_name[s["name"]]), "page": by_name[s["name"]]["page"],
         "ci": by_name[s["name"]]["metrics"][t.primary]["ci"]}
        for s in steps
    ]
    split_decl = t.splits.get(labels.split)
    labels_date = getattr(split_decl, "labels_date", None)
    dates = [e["date"] for e in entries if e["date"]] + ([labels_date.isoformat()] if labels_date else [])
    return {
        "id": t.id,
        "version": t.version,
        "title": t.title,
        "description": t.description,
        "kind": t.kind,
        "targets": list(t.targets),
        "classes": list(t.classes),
        "dataset": {
            "id": t.dataset.id, "name": t.dataset.name, "modality": t.dataset.modality,
            "institution": t.dataset.institution, "url": safe_url(t.dataset.url),
            "citation": t.dataset.citation, "doi": t.dataset.doi, "license": t.dataset.license,
        },
        "primary": t.primary,
        "primary_display_name": t.primary_spec.display_name,
        "higher_is_better": t.higher_is_better,
        "direction": "higher is better" if t.higher_is_better else "lower is better",
        "split": labels.split,
        "n_cases": len(labels),
        "disclosure": _disclosure_data(board),
        "synthetic_labels": bool(labels.synthetic),
        "banner": DEMO_BANNER if labels.synthetic else None,
        "bootstrap": None if boot is None else boot.model_dump(mode="json"),
        "level": board.settings.level,
        "metrics": [m for m in _metric_columns(t) if m["name"] in board.metric_names],
        "rank_counts": {
            "entries": compare.RANK_COUNTS_MAX,
            "format": "[[rank, count], ...]: the ranks an entry reached, with the number of bootstrap replicates",
            "note": f"kept for the best {compare.RANK_COUNTS_MAX} entries by point rank (null for the others, which keep "
                    "rank_interval, median_rank and p_best), so the data grows linearly with the entries",
        },
        "significance_entries": compare.SIGNIFICANCE_MAX,
        "calibration_bins": CALIBRATION_BINS,
        "calibration_min_bin_cases": CALIBRATION_MIN_BIN_CASES,
        "leader": None if leader is None else {"name": leader["name"], "team": leader["team"], "model": leader["model"],
                                               "value": leader["metrics"][t.primary]["value"], "page": leader["page"],
                                               "ci": leader["metrics"][t.primary]["ci"]},
        "n_entries": len(entries),
        "entries": entries,
        "invalid": [
            {"name": r.entry.name, "problems": len(r.problems.problems)} for r in board.invalid
        ],
        "baselines": baselines,
        "references": references,
        "significance": board.disclosure.numbers(board.significance),
        "csv": f"{t.id}.csv",
        "history": history,
        "labels_date": labels_date.isoformat() if labels_date else None,
        "last_updated": max(dates) if dates else None,
        "subgroups": [{"column": g.column, "values": list(g.values), "description": g.description} for g in t.subgroups],
    }


def _disclosure_data(board) -> dict:
    """What the task page says about the disclosure (no date of "now": see the docs)."""
    d = board.disclosure
    out = d.summary(len(board.labels))
    out["labels_sha256"] = board.labels.sha256 if d.show_label_hash else None
    if not d.case_level:
        out["withheld"]["case_level"] = (
            "ROC curves at case resolution, calibration bins with counts and case-level reader-study "
            "tables are withheld: the labels of this split are hidden and the predictions are public "
            "in the repository, so pairing either with the case scores would give the labels back."
        )
    if d.ladder:
        out["withheld"]["metrics"] = (
            "This task uses the Ladder (Blum & Hardt, ICML 2015): only each entry's rounded Ladder "
            "score is shown, and it moves only when a submission beats the team's best by a clear margin."
        )
    return out


def site_data(reg, boards) -> dict:
    """The document written to ``leaderboard.json``: everything the pages show."""
    tasks = [_task_data(b) for b in sorted(boards, key=lambda b: b.task.id)]
    for t in tasks:
        t["bibtex"] = markup.task_bibtex(t)
        for e in t["entries"]:
            e["bibtex"] = markup.entry_bibtex(t, e)
    updated = [t["last_updated"] for t in tasks if t["last_updated"]]
    return {
        "schema": SITE_SCHEMA,
        "harness_version": __version__,
        "banner": DEMO_BANNER if any(t["synthetic_labels"] for t in tasks) else None,
        "last_updated": max(updated) if updated else None,
        "repository": views.project_repository(getattr(reg, "root", None)),
        "tasks": tasks,
    }
