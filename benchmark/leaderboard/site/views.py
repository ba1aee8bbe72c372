"""Page views computed from the site data: the history chart of a task and its subgroup tables.

:func:`history_chart` lays out the "best score over submission dates" chart as numbers the
template draws as inline SVG: x positions are percentages of the plot width and y positions
pixels of a fixed height, so the chart fills any screen width while its text keeps its size
(12 px) instead of shrinking with a scaled ``viewBox``. :func:`subgroup_tables` arranges the
per-subgroup metrics of every entry (value, interval, number of cases) with the paired
difference between subgroups.
"""

from __future__ import annotations

import datetime as _dt
import tomllib
from pathlib import Path
from typing import Optional

from ...core.formatting import format_value
from . import markup
from .markup import safe_url
from .svg import nice_ticks

__all__ = ["entry_label", "history_chart", "subgroup_tables", "nice_ticks", "submit_guide", "project_repository"]

PLOT_HEIGHT = 200  # px of the plot area (the labels sit outside it)
X_PAD = 3.0  # % of the width kept free at each end so end points are not cut


def entry_label(e: dict) -> str:
    """``team / model`` (or the team alone)."""
    return f"{e['team']} / {e['model']}" if e["model"] else e["team"]


def _day(iso: str) -> int:
    return _dt.date.fromisoformat(iso).toordinal()


def history_chart(task: dict) -> Optional[dict]:
    """Geometry of the history chart of ``task`` (None without a dated, scored entry)."""
    prim = task["primary"]
    points = [e for e in task["entries"] if e["date"] and e["metrics"][prim]["value"] is not None]
    steps = task["history"]
    if not steps or not points:
        return None
    values = [float(e["metrics"][prim]["value"]) for e in points]
    for s in steps:
        if s["ci"]:
            values += [float(s["ci"][0]), float(s["ci"][1])]
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05 * (abs(lo) or 1), hi + 0.05 * (abs(hi) or 1)
    ticks = nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    d0 = min(_day(e["date"]) for e in points)
    d1 = max(_day(e["date"]) for e in points)

    def x(iso: str) -> float:
        if d1 == d0:
            return 50.0
        return round(X_PAD + (100 - 2 * X_PAD) * (_day(iso) - d0) / (d1 - d0), 3)

    def y(v: float) -> float:
        return round(PLOT_HEIGHT * (1 - (float(v) - lo) / (hi - lo)), 2)

    segments = []
    last_date = max(e["date"] for e in points)
    for i, s in enumerate(steps):
        end = steps[i + 1]["date"] if i + 1 < len(steps) else last_date
        segments.append({"x1": x(s["date"]), "x2": x(end), "y": y(s["value"])})
        if i + 1 < len(steps):
            segments.append({"x1": x(end), "x2": x(end), "y1": y(s["value"]), "y2": y(steps[i + 1]["value"])})
    best = [
        {
            "x": x(s["date"]), "y": y(s["value"]), "date": s["date"], "label": s["label"], "page": s["page"],
            "value": format_value(s["value"], 4),
            "low": None if not s["ci"] else y(s["ci"][0]), "high": None if not s["ci"] else y(s["ci"][1]),
            "ci": None if not s["ci"] else [format_value(s["ci"][0], 4), format_value(s["ci"][1], 4)],
        }
        for s in steps
    ]
    best_names = {s["name"] for s in steps}
    others = [
        {"x": x(e["date"]), "y": y(e["metrics"][prim]["value"]), "date": e["date"], "label": entry_label(e),
         "value": e["metrics"][prim]["display_value"]}
        for e in points if e["name"] not in best_names
    ]
    dates = sorted({e["date"] for e in points})
    labelled, last_x = [], None
    for d in dates:
        if last_x is None or x(d) - last_x >= 22 or d == dates[-1]:
            if labelled and d == dates[-1] and x(d) - last_x < 22:
                labelled.pop()
            labelled.append({"x": x(d), "text": d})
            last_x = x(d)
    return {
        "height": PLOT_HEIGHT,
        "ticks": [{"y": y(t), "text": format_value(t, 4)} for t in ticks if lo - 1e-12 <= t <= hi + 1e-12],
        "segments": segments,
        "best": best,
        "others": others,
        "dates": labelled,
        "first": dates[0],
        "last": dates[-1],
    }


def subgroup_tables(task: dict) -> list[dict]:
    """One table per metric declared per subgroup: a row per entry, a cell per subgroup value
    (value, interval, cases) and the paired differences between subgroups."""
    by_base: dict = {}
    for m in task["metrics"]:
        if m["subgroup"] is None:
            continue
        base = m["name"].split("[")[0]
        by_base.setdefault((base, m["subgroup"]["column"]), []).append(m)
    overall_names = {m["name"] for m in task["metrics"]}
    tables = []
    for (base, column), members in by_base.items():
        rows = []
        for e in task["entries"]:
            cells = []
            for m in members:
                mv = e["metrics"][m["name"]]
                cells.append({"value": mv["value"], "display_value": mv["display_value"], "ci": mv["ci"],
                              "n_cases": mv["n_cases"]})
            overall = e["metrics"].get(base) if base in overall_names else None
            diffs = [d for d in e.get("subgroup_differences", []) if d["metric"] == base and d["column"] == column]
            rows.append({"label": entry_label(e), "page": e["page"], "rank": e["rank"], "cells": cells,
                         "overall": overall, "diffs": diffs})
        display = members[0]["display_name"].split(" [")[0]
        tables.append({
            "metric": base, "display_name": display, "column": column,
            "groups": [m["subgroup"]["value"] for m in members],
            "higher_is_better": members[0]["higher_is_better"],
            "has_overall": base in overall_names, "rows": rows,
            "diff_labels": [f"{m['subgroup']['value']} \u2212 {members[0]['subgroup']['value']}" for m in members[1:]],
        })
    return tables


# -- project pages and settings ------------------------------------------------------------------
GUIDE_SOURCE = "docs/ci.md"
GUIDE_END = "## Running a benchmark"  # the maintainers' part of the document starts here


def submit_guide(root) -> Optional[dict]:
    """The "How to submit" page: the participants' part of ``docs/ci.md`` (everything before
    its maintainers' section) rendered to HTML, so the page and the document have one source."""
    path = None if root is None else Path(root) / GUIDE_SOURCE
    if path is None or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    part = text.split(GUIDE_END)[0]
    lines = part.strip().split("\n")
    title = lines[0].lstrip("#").strip() if lines and lines[0].startswith("# ") else "How to submit"
    body = "\n".join(lines[1:]) if lines and lines[0].startswith("# ") else part
    return {"title": title, "html": markup.markdown_to_html(body), "source": GUIDE_SOURCE,
            "maintainers": GUIDE_END in text}


def project_repository(root) -> Optional[str]:
    """The repository URL declared in the project settings (``[project.urls]`` of
    ``pyproject.toml``: ``Repository``, ``Source`` or ``Homepage``), if it is an http(s) URL."""
    if root is None:
        return None
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        urls = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {}).get("urls", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        return None
    if not isinstance(urls, dict):
        return None
    lower = {str(k).lower(): v for k, v in urls.items()}
    for key in ("repository", "source", "source code", "homepage"):
        url = safe_url(lower.get(key))
        if url:
            return url
    return None
