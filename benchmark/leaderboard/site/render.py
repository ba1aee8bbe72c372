"""Render the static leaderboard site from scored task boards.

``build_site(reg, boards, out)`` writes::

    out/index.html                   every task: dataset, metric, direction, leader, entries
    out/submit.html                  "How to submit", rendered from docs/ci.md (when present)
    out/leaderboard.json             everything the pages show (one canonical JSON document)
    out/static/site.css, sort.js     styles (light and dark, cards on phones), the table sorter
    out/static/table.js              column chooser, search and filters, copy buttons
    out/<task>/index.html            the task's table, subgroups, history, forest plot, rank
                                     blobs, significance map, dataset BibTeX
    out/<task>/<task>.csv            the task's table as CSV
    out/<task>/<entry>.html          one page per submission

Pages are rendered by jinja2 with autoescaping on; every string that comes from a
``submission.toml`` is escaped, and only ``http``/``https`` links are kept. The output depends
only on the inputs (no clock, sorted iteration, deterministic SVG), so a rebuild of unchanged
inputs gives the same bytes. Files that a previous build wrote and this one did not (a removed
submission) are deleted; the build keeps a manifest of what it wrote
(``out/.benchmark-site-manifest``) and never deletes a file it did not write.

Everything shown comes through the disclosure stage (:mod:`benchmark.data.disclosure`): the
boards hold only what may be published, ``leaderboard.json`` says per task which part of the
labels was scored and what was withheld, and the pages say so where a figure is missing.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Iterable, Optional

import jinja2

from ... import __version__
from ..board import CALIBRATION_BINS, CALIBRATION_MIN_BIN_CASES, SIGNIFICANCE_MAX, score_history, subgroup_differences
from ...core.formatting import DEGENERATE_NOTE, DEMO_BANNER, format_value
from ...core.fileio import atomic_write_text
from ...core.canonical import canonical_json
from ...stats.intervals import wilson_interval
from . import markup, plots, views
from .markup import safe_url

HERE = Path(__file__).resolve().parent
STATIC_FILES = ("site.css", "sort.js", "table.js")
SITE_JSON = "leaderboard.json"

__all__ = ["build_site", "site_data", "safe_url", "SITE_JSON"]


# -- helpers ------------------------------------------------------------------------------------
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


def _num(v) -> Optional[float]:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _fmt(v, digits: int = 4) -> str:
    return "" if v is None else format_value(v, digits)


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return s or "entry"


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
        slug = _slug(r.entry.name)
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
        {**s, "label": _label(by_name[s["name"]]), "page": by_name[s["name"]]["page"],
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
        "schema": "benchmark-leaderboard-1",
        "harness_version": __version__,
        "banner": DEMO_BANNER if any(t["synthetic_labels"] for t in tasks) else None,
        "last_updated": max(updated) if updated else None,
        "repository": views.project_repository(getattr(reg, "root", None)),
        "tasks": tasks,
    }


# -- CSV ----------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^-?inf$|^nan$")


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection").

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe; a plain number (``-0.5``, ``1e-05``), which a spreadsheet reads as that number,
    is left alone.

    >>> csv_cell("=SUM(A1:A9)"), csv_cell("-0.25"), csv_cell("@team"), csv_cell(3)
    ("'=SUM(A1:A9)", '-0.25', "'@team", '3')
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def task_csv(task: dict) -> str:
    metrics = [m["name"] for m in task["metrics"]]
    head = ["rank", "rank_low", "rank_high", "entry", "team", "model", "date"]
    for m in metrics:
        head += [m, f"{m}_ci_low", f"{m}_ci_high"]
    head += ["diff_from_leader", "diff_ci_low", "diff_ci_high", "diff_p_value", "predictions_sha256"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in head])

    def f(v):
        return "" if v is None else repr(float(v))

    for e in task["entries"]:
        ri = e["rank_interval"] or [None, None]
        row = [e["rank"], ri[0] if ri[0] is not None else "", ri[1] if ri[1] is not None else "", e["name"], e["team"], e["model"], e["date"] or ""]
        for m in metrics:
            mv = e["metrics"][m]
            ci = mv["ci"] or [None, None]
            row += [f(mv["value"]), f(ci[0]), f(ci[1])]
        d = e["leader_difference"] or {}
        dci = d.get("ci") or [None, None]
        row += [f(d.get("difference")), f(dci[0]), f(dci[1]), f(d.get("p_value")), e["submission"]["sha256"]]
        w.writerow([csv_cell(c) for c in row])
    return buf.getvalue()


# -- figures ------------------------------------------------------------------------------------
_label = views.entry_label


def _task_figures(task: dict, draw) -> dict:
    """Forest, blob and significance figures of a task page; ``draw(kind, data, uid, alt)``
    returns the SVG of one figure."""
    figs: dict = {"forest": None, "blob": None, "significance": None}
    prim = task["primary"]
    rows = []
    for e in task["entries"]:
        mv = e["metrics"][prim]
        ci = mv["ci"] or [None, None]
        rows.append({"label": _label(e), "value": mv["value"], "low": ci[0], "high": ci[1], "kind": "leader" if e["leader"] else "entry"})
    for r in task["references"]:
        if prim in r["metrics"]:
            ci = r["ci"].get(prim) or [None, None]
            rows.append({"label": f"{r['name']} (published)", "value": r["metrics"][prim], "low": ci[0], "high": ci[1], "kind": "reference"})
    if rows:
        data = {"rows": rows, "metric": task["primary_display_name"], "higher_is_better": task["higher_is_better"],
                "level": task["level"], "title": f"{task['primary_display_name']}: entries and published references"}
        alt = (f"Forest plot of {task['primary_display_name']} for {len(rows)} rows, best first, each with its "
               f"{task['level']:.0%} interval; published references drawn as diamonds.")
        figs["forest"] = {"svg": draw("forest", data, "forest", alt), "alt": alt}
    ranked = [e for e in task["entries"] if e["rank_counts"]]
    if len(ranked) > 1:
        top = ranked[:SIGNIFICANCE_MAX]
        data = {
            "labels": [_label(e) for e in top],
            "counts": [e["rank_counts"] for e in top],
            "median": [e["median_rank"] for e in top],
            "interval": [e["rank_interval"] for e in top],
            "title": "Rank distribution over bootstrap replicates",
        }
        alt = (f"Blob plot: for each of {len(top)} entries, circles sized by how often it reached each rank in "
               f"the bootstrap replicates, with a cross at the median rank and a line for the {task['level']:.0%} rank interval.")
        figs["blob"] = {"svg": draw("blob", data, "blob", alt), "alt": alt, "shown": len(top), "total": len(ranked)}
    sig = task["significance"]
    if sig and len(sig["names"]) > 1:
        by_name = {e["name"]: e for e in task["entries"]}
        order = sig["order"]
        labels = [_label(by_name[sig["names"][i]]) for i in order]
        better = [[sig["better"][i][j] for j in order] for i in order]
        untested = [[sig["untested"][i][j] is not None for j in order] for i in order]
        n_untested = sum(map(sum, untested)) // 2
        data = {"labels": labels, "better": better, "untested": untested,
                "untested_label": f"not testable at B = {sig['n_replicates']:,}",
                "title": f"Pairwise paired tests (studentised, Holm, \u03b1 = {sig['alpha']:g})"}
        alt = (f"Significance map of {len(labels)} entries: a cell is coloured when the row entry is significantly "
               "better or worse than the column entry after Holm adjustment"
               + (f"; {n_untested} pair(s) hatched could not be tested at B = {sig['n_replicates']:,} "
                  "(zero bootstrap standard error or too many undefined replicates)." if n_untested else "."))
        note = (f"Each pair: z = paired difference / its bootstrap standard error over {sig['n_replicates']:,} "
                "shared resamples, two-sided normal p-value, Holm-adjusted over all pairs shown.")
        figs["significance"] = {"svg": draw("significance", data, "significance", alt), "alt": alt, "note": note,
                                "shown": len(labels), "total": sig["n_total"]}
    return figs


def _entry_figures(task: dict, e: dict, draw) -> dict:
    """ROC and calibration figures of a submission page (``draw`` as for :func:`_task_figures`)."""
    figs: dict = {"roc": None, "calibration": None}
    panels = []
    for g in e["roc"]:
        if "fpr" not in g:  # withheld by the disclosure stage
            continue
        readers = []
        for b in task["baselines"]:
            if b["target"] != g["key"]:
                continue
            op = next((o for o in e["operating_points"] if o.get("baseline") == b["name"]), None)
            sens = (op or {}).get("sensitivity") or {}
            readers.append({
                "name": b["name"], "fpr": 1 - b["specificity"], "tpr": b["sensitivity"],
                "fpr_ci": None if not b["specificity_ci"] else [1 - b["specificity_ci"][1], 1 - b["specificity_ci"][0]],
                "tpr_ci": b["sensitivity_ci"],
                "matched": {"fpr": 1 - b["specificity"], "tpr": sens.get("submission")},
            })
        panels.append({"title": g["title"], "fpr": g["fpr"], "tpr": g["tpr"], "auc": g["auc"], "readers": readers})
    if panels:
        alt = (f"ROC curves of {_label(e)} for {len(panels)} target(s)"
               + (", with the published reader operating points and their intervals." if task["baselines"] else "."))
        figs["roc"] = {"svg": draw("roc", {"panels": panels}, "roc", alt), "alt": alt}
    if e["calibration"] and all("bins" in c for c in e["calibration"]):
        data = {"panels": [{"title": c["title"], "bins": c["bins"]} for c in e["calibration"]]}
        alt = (f"Reliability diagrams of {_label(e)}: observed event rate against mean predicted probability in "
               f"{len(e['calibration'])} panel(s), {task['calibration_bins']} equal-width bins closed on the right; "
               f"the dotted diagonal is perfect calibration; hollow markers: bins with fewer than "
               f"{task['calibration_min_bin_cases']} cases.")
        figs["calibration"] = {"svg": draw("calibration", data, "calibration", alt), "alt": alt}
    return figs


# -- pages --------------------------------------------------------------------------------------
def _env(cache_dir=None) -> jinja2.Environment:
    """The template environment; compiled templates are kept under ``cache_dir/jinja``."""
    bytecode = None
    if cache_dir is not None:
        folder = Path(cache_dir) / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        bytecode = jinja2.FileSystemBytecodeCache(str(folder))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        bytecode_cache=bytecode,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["pct"] = lambda v: "" if v is None else f"{100 * v:.1f}%"
    env.filters["sortnum"] = lambda v: "" if v is None else repr(float(v))
    env.filters["label"] = _label
    env.filters["safe_url"] = safe_url
    return env


def _subgroup_table(task: dict, e: dict) -> list[dict]:
    """Rows ``metric x subgroup value`` for the metrics declared with subgroups."""
    out = []
    for m in task["metrics"]:
        if m["subgroup"] is None:
            continue
        base = m["name"].split("[")[0]
        mv = e["metrics"][m["name"]]
        out.append({**mv, "metric": base, "column": m["subgroup"]["column"], "group": m["subgroup"]["value"]})
    return out


MANIFEST = ".benchmark-site-manifest"


class _Writer:
    """Writes files under ``out``, skipping unchanged ones, and remembers what it wrote.

    The list of written files is kept in ``out/.benchmark-site-manifest`` (one relative path
    a line). A rebuild deletes only the files the previous manifest lists and this build did
    not write (a removed submission's page): a file the builder never wrote is never touched,
    so ``--out .`` or a folder holding other files loses nothing.
    """

    def __init__(self, out: Path):
        self.out = out
        self.written: set[str] = set()

    def text(self, rel: str, text: str) -> Path:
        path = self.out / rel
        self.written.add(rel)
        data = text.encode("utf-8")
        if not (path.is_file() and not path.is_symlink() and path.read_bytes() == data):
            if path.is_symlink():
                path.unlink()
            atomic_write_text(path, text)
            os.chmod(path, 0o644)
        return path

    def keep(self, rel: str) -> Path:
        """Count ``rel`` as written by this build without rewriting it."""
        self.written.add(rel)
        return self.out / rel

    def previous(self) -> list[str]:
        """The files the previous build listed in its manifest (safe relative paths only)."""
        try:
            lines = (self.out / MANIFEST).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        out = []
        for line in lines:
            parts = line.split("/")
            if line and not line.startswith("/") and "\\" not in line and all(x not in ("", ".", "..") for x in parts):
                out.append(line)
        return out

    def finish(self) -> None:
        """Delete what the previous build wrote and this one did not; write the manifest."""
        for rel in self.previous():
            if rel in self.written:
                continue
            path = self.out / rel
            if path.is_file() or path.is_symlink():
                path.unlink()
            parent = path.parent
            while parent != self.out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        self.text(MANIFEST, "".join(f"{rel}\n" for rel in sorted(self.written | {MANIFEST})))


_MAX_WIDTH = re.compile(r'style="max-width: ([0-9]+)px"')


def _natural_width(svg: str) -> str:
    """Expose a figure's natural width as ``--natural-w`` so narrow screens can show it at that
    size (text stays legible) in a frame that scrolls sideways, instead of shrinking it."""
    return _MAX_WIDTH.sub(r'style="--natural-w: \1px; max-width: \1px"', svg, count=1)


SITE_JSON_MEMO = "site-json.memo"


def _write_site_json(w: _Writer, data: dict, cache_dir) -> None:
    """Write ``leaderboard.json`` unless it already holds the canonical text of ``data``.

    The canonical text (indented, sorted keys) is slow to produce for a large site. A memo in
    ``cache_dir`` records the sha256 of ``data``'s compact JSON (written by the standard
    library's C encoder) next to the sha256 of the canonical text last written for it; when
    both match (same data, and the file on disk is that text) nothing is serialised again.
    """
    key = None
    memo = Path(cache_dir) / SITE_JSON_MEMO if cache_dir is not None else None
    if memo is not None:
        try:
            compact = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            key = hashlib.sha256(compact.encode("utf-8")).hexdigest()
        except (TypeError, ValueError):
            key = None
    path = w.out / SITE_JSON
    if key is not None and memo.is_file() and path.is_file():
        recorded = memo.read_text(encoding="utf-8").split()
        if recorded[:1] == [key] and recorded[1:2] == [hashlib.sha256(path.read_bytes()).hexdigest()]:
            w.keep(SITE_JSON)
            return
    text = canonical_json(data)
    w.text(SITE_JSON, text)
    if key is not None:
        atomic_write_text(memo, f"{key} {hashlib.sha256(text.encode('utf-8')).hexdigest()}\n")


def build_site(reg, boards: Iterable, out, cache_dir=None, workers: Optional[int] = None) -> Path:
    """Render the whole site into ``out``; returns the path of ``index.html``.

    ``cache_dir`` holds drawn figures (default: the boards' result cache, else
    ``<root>/.cache/results``); ``False`` draws every figure afresh. ``workers``: processes
    drawing the figures of a large build (see :func:`benchmark.leaderboard.site.plots.render_many`); the
    output does not depend on it.
    """
    boards = list(boards)
    out = Path(out)
    if cache_dir is None:
        known = [b.cache_dir for b in boards if getattr(b, "cache_dir", None) is not None]
        from ...data.tasks import output_root

        cache_dir = known[0] if known else output_root(reg.root) / ".cache" / "results"
    elif cache_dir is False:
        cache_dir = None
    out.mkdir(parents=True, exist_ok=True)
    data = site_data(reg, boards)
    env = _env(cache_dir)
    w = _Writer(out)
    common = {"site": data, "banner": data["banner"], "version": __version__}

    _write_site_json(w, data, cache_dir)
    for name in STATIC_FILES:
        w.text(f"static/{name}", (HERE / "static" / name).read_text(encoding="utf-8"))

    # Figures: collect every request first, then draw the ones missing from the cache (in
    # worker processes for large builds), then render the pages with them.
    requests: list[tuple] = []

    def collect(kind, data, uid, alt):
        requests.append((kind, data, uid, alt))
        return len(requests) - 1

    for task in data["tasks"]:
        _task_figures(task, collect)
        for e in task["entries"]:
            _entry_figures(task, e, collect)
    drawn = iter(zip(requests, plots.render_many(requests, cache_dir, workers=workers)))

    def take(kind, data, uid, alt):
        (k, _d, u, a), svg = next(drawn)
        assert (k, u, a) == (kind, uid, alt), "figures requested in a different order"
        return _natural_width(svg)

    guide = views.submit_guide(getattr(reg, "root", None))
    common["submit_page"] = guide is not None
    if guide is not None:
        w.text("submit.html", env.get_template("submit.html.j2").render(
            root="", page_title="How to submit", guide=guide, **common))
    index = w.text("index.html", env.get_template("index.html.j2").render(root="", page_title="Leaderboards", **common))
    task_tpl = env.get_template("task.html.j2")
    entry_tpl = env.get_template("entry.html.j2")
    for task in data["tasks"]:
        tid = task["id"]
        w.text(f"{tid}/{task['csv']}", task_csv(task))
        figs = _task_figures(task, take)
        w.text(
            f"{tid}/index.html",
            task_tpl.render(root="../", page_title=task["title"], task=task, figs=figs,
                            history=views.history_chart(task), subgroup_tables=views.subgroup_tables(task), **common),
        )
        for e in task["entries"]:
            w.text(
                f"{tid}/{e['page']}",
                entry_tpl.render(
                    root="../", page_title=f"{_label(e)} \u2013 {task['title']}", task=task, e=e,
                    figs=_entry_figures(task, e, take), subgroups=_subgroup_table(task, e), **common,
                ),
            )
    w.finish()
    return index
