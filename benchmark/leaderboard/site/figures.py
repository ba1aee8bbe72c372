"""The figures of the site's pages, from the site data (``leaderboard.json``'s task and entry
records): what each figure shows, its alt text and caption (generated from what is drawn),
and its SVG in both sizes (:mod:`.task_figures`, :mod:`.entry_figures`, :mod:`.svg`).

A figure the disclosure rules withhold is not drawn; the page says why in its place.
"""

from __future__ import annotations

from typing import Optional

from ...stats.intervals import wilson_interval
from . import entry_figures, task_figures
from .svg import FigureCache, both_sizes
from .views import entry_label

__all__ = ["task_figures_of", "entry_figures_of"]


def _forest(task: dict, cache=None) -> Optional[dict]:
    prim = task["primary"]
    rows = []
    for e in task["entries"]:
        mv = e["metrics"][prim]
        ci = mv["ci"] or [None, None]
        rows.append({"label": entry_label(e), "value": mv["value"], "low": ci[0], "high": ci[1],
                     "kind": "leader" if e["leader"] else "entry"})
    refs = 0
    for r in task["references"]:
        if prim in r["metrics"]:
            ci = r["ci"].get(prim) or [None, None]
            rows.append({"label": f"{r['name']} (published)", "value": r["metrics"][prim], "low": ci[0],
                         "high": ci[1], "kind": "reference"})
            refs += 1
    if not rows:
        return None
    name, lvl = task["primary_display_name"], f"{task['level']:.0%}"
    n_entries = len(rows) - refs
    leader = any(r["kind"] == "leader" and r["value"] is not None for r in rows)
    alt = (f"Forest plot of {name}: {n_entries} entr{'y' if n_entries == 1 else 'ies'}, best first, each with its "
           f"{lvl} interval" + (", the leader as a square with a dashed line at its value" if leader else "")
           + (f"; {refs} published reference{'s' if refs != 1 else ''} below them, drawn as diamonds" if refs else "")
           + ".")
    caption = alt + (" Published references were measured on their own test sets"
                     + (", and entries here on synthetic labels" if task["synthetic_labels"] else "")
                     + ": they are context, not comparable scores." if refs else "")
    data = {"rows": rows, "metric": name, "higher_is_better": task["higher_is_better"], "level": task["level"],
            "title": f"{name}: entries" + (" and published references" if refs else ""), "alt": alt,
            "desc": caption}
    return {"svg": both_sizes(task_figures.forest, data, cache), "alt": alt, "caption": caption}


def _ranks(task: dict, cache=None) -> Optional[dict]:
    ranked = [e for e in task["entries"] if e["rank_counts"]]
    total = sum(1 for e in task["entries"] if e["rank_interval"])
    if len(ranked) < 2:
        return None
    lvl = f"{task['level']:.0%}"
    B = task["bootstrap"]["replicates"] if task["bootstrap"] else sum(c for _, c in ranked[0]["rank_counts"])
    alt = (f"Rank plot of {len(ranked)} entries: per entry, circles whose area is the share of the {B:,} bootstrap "
           f"replicates in which it reached each rank, a vertical bar at the median rank and a line for the "
           f"{lvl} rank interval.")
    caption = alt + (f" The best {len(ranked)} of {total} entries are shown; every entry's rank interval, median "
                     "rank and P(best) are in the table and in leaderboard.json." if len(ranked) < total else "")
    data = {"labels": [entry_label(e) for e in ranked], "counts": [e["rank_counts"] for e in ranked],
            "median": [e["median_rank"] for e in ranked], "interval": [e["rank_interval"] for e in ranked],
            "n_replicates": B, "level": task["level"], "title": "Rank distribution over the bootstrap replicates",
            "alt": alt, "desc": caption}
    return {"svg": both_sizes(task_figures.rank_plot, data, cache), "alt": alt, "caption": caption}


def _significance(task: dict, cache=None) -> Optional[dict]:
    sig = task["significance"]
    if not sig or len(sig["names"]) < 2:
        return None
    by_name = {e["name"]: e for e in task["entries"]}
    order = sig["order"]
    labels = [entry_label(by_name[sig["names"][i]]) for i in order]
    better = [[sig["better"][i][j] for j in order] for i in order]
    untested = [[sig["untested"][i][j] is not None for j in order] for i in order]
    n_untested = sum(map(sum, untested)) // 2
    B = sig["n_replicates"]
    alt = (f"Significance map of {len(labels)} entries numbered by leaderboard position: the cell in row i and "
           f"column j is blue with a plus sign when entry i is significantly better than entry j after Holm "
           "adjustment, orange with a minus sign when it is significantly worse, grey when the difference is not "
           "significant; the diagonal (an entry with itself) is darker grey"
           + (f"; {n_untested} pair(s) hatched could not be tested at B = {B:,} (zero bootstrap standard error or "
              "too many undefined replicates)." if n_untested else "."))
    note = (f"Each pair: z = paired difference / its bootstrap standard error over {B:,} shared resamples, "
            "two-sided normal p-value, Holm-adjusted over all pairs shown.")
    caption = f"{alt} {note}" + (f" Tests among the best {len(labels)} of {sig['n_total']} entries."
                                 if len(labels) < sig["n_total"] else "")
    data = {"labels": labels, "better": better, "untested": untested,
            "untested_label": f"hatched: not testable at B = {B:,}",
            "title": f"Pairwise paired tests (studentised, Holm, \u03b1 = {sig['alpha']:g})", "alt": alt,
            "desc": caption}
    return {"svg": both_sizes(task_figures.significance_map, data, cache), "alt": alt, "note": note, "caption": caption,
            "data": data, "shown": len(labels), "total": sig["n_total"]}


def task_figures_of(task: dict, cache: Optional[FigureCache] = None) -> dict:
    """Forest plot, rank plot and significance map of a task page (None where not drawn);
    ``cache``: drawn figures kept between builds."""
    return {"forest": _forest(task, cache), "blob": _ranks(task, cache), "significance": _significance(task, cache)}


def _rate_ci(rate: float, m: int, level: float) -> Optional[list]:
    """Wilson interval of a rate over ``m`` cases (the count is ``rate * m`` rounded)."""
    return wilson_interval(int(round(rate * m)), m, level) if m else None


def _readers(task: dict, e: dict, g: dict) -> list[dict]:
    """Reader marks of one ROC panel: published operating points and, where the entry has a
    case-level reader study, every reader and the pooled reads, each with its interval."""
    out = []
    for b in task["baselines"]:
        if b["target"] != g["key"]:
            continue
        op = next((o for o in e["operating_points"] if o.get("baseline") == b["name"]), None)
        sens = (op or {}).get("sensitivity") or {}
        out.append({
            "name": b["name"], "kind": "published", "fpr": 1 - b["specificity"], "tpr": b["sensitivity"],
            "fpr_ci": None if not b["specificity_ci"] else [1 - b["specificity_ci"][1], 1 - b["specificity_ci"][0]],
            "tpr_ci": b["sensitivity_ci"], "matched": {"fpr": 1 - b["specificity"], "tpr": sens.get("submission")},
        })
    pos, neg = g.get("positives", 0), g.get("n", 0) - g.get("positives", 0)
    level = task["level"]
    for r in e["reader_study"]:
        if r["target"] != g["key"]:
            continue
        pooled = r["reader_id"] == "pooled"
        # Intervals over the panel's cases when the reader read all of them; pooled reads of
        # several readers on the same cases count once per case (not independent trials).
        full = r["n_cases"] == g.get("n")
        spec_ci = _rate_ci(r["reader_specificity"], neg, level) if full else None
        out.append({
            "name": "pooled reads" if pooled else f"reader {r['reader_id']}", "kind": "pooled" if pooled else "reader",
            "fpr": 1 - r["reader_specificity"], "tpr": r["reader_sensitivity"],
            "tpr_ci": _rate_ci(r["reader_sensitivity"], pos, level) if full else None,
            "fpr_ci": None if spec_ci is None else [1 - spec_ci[1], 1 - spec_ci[0]],
            "matched": {"fpr": 1 - r["reader_specificity"], "tpr": r["submission_sensitivity"]} if pooled else None,
        })
    return out


def _mrmc(task: dict, e: dict, cache=None) -> Optional[dict]:
    names = {"auc": "AUC of ratings", "sensitivity": "sensitivity", "specificity": "specificity"}
    rows = []
    for m in e.get("mrmc") or []:
        if m.get("reason") or not m.get("fom_by_reader"):
            continue
        rrrc = (m.get("analyses") or {}).get("RRRC") or {}
        rows.append({"label": f"{m['target']}: {names.get(m['fom'], m['fom'])}", "readers": m["fom_by_reader"],
                     "mean": m["reader_mean_fom"], "model": m["model_fom"], "ci": rrrc.get("ci")})
    if not rows:
        return None
    n_readers = max(len(r["readers"]) for r in rows)
    alt = (f"{entry_label(e)} against the reader panel ({n_readers} readers) for {len(rows)} target(s): each reader's "
           "figure of merit as a triangle, the readers' mean as a vertical bar, the model as a circle with the "
           f"readers' mean plus the {task['level']:.0%} interval of the model-minus-readers difference "
           "(random readers and random cases, Obuchowski-Rockette with Hillis's degrees of freedom).")
    data = {"rows": rows, "level": task["level"], "title": f"{entry_label(e)} versus the reader panel", "alt": alt,
            "desc": alt}
    return {"svg": both_sizes(entry_figures.mrmc, data, cache), "alt": alt, "caption": alt}


def entry_figures_of(task: dict, e: dict, cache: Optional[FigureCache] = None) -> dict:
    """ROC, calibration and MRMC figures of a submission page (None where not drawn)."""
    figs: dict = {"roc": None, "calibration": None, "mrmc": _mrmc(task, e, cache)}
    lvl = f"{task['level']:.0%}"
    panels = []
    for g in e["roc"]:
        if "fpr" not in g:  # withheld by the disclosure stage
            continue
        panels.append({"title": g["title"], "fpr": g["fpr"], "tpr": g["tpr"], "auc": g["auc"],
                       "band": g.get("band"), "readers": _readers(task, e, g)})
    if panels:
        kinds = {r["kind"] for p in panels for r in p["readers"]}
        n_readers = len({r["name"] for p in panels for r in p["readers"] if r["kind"] == "reader"})
        alt = (f"ROC curves of {entry_label(e)} for {len(panels)} target{'s' if len(panels) != 1 else ''}, with the "
               "AUC in each panel" + (f" and a pointwise {lvl} bootstrap band from the task's replicates"
                                      if any(p["band"] for p in panels) else "")
               + ("; squares: published reader operating points with their intervals" if "published" in kinds else "")
               + (f"; triangles: each of the {n_readers} readers of the reader study, a diamond: their pooled reads, "
                  "with Wilson intervals over the cases" if "reader" in kinds else "")
               + ("; open circles: this model at the readers' specificity" if kinds & {"published", "pooled"} else "")
               + "; the dotted diagonal is chance.")
        data = {"panels": panels, "level": task["level"], "title": f"ROC curves of {entry_label(e)}", "alt": alt,
                "desc": alt}
        figs["roc"] = {"svg": both_sizes(entry_figures.roc, data, cache), "alt": alt, "caption": alt}
    if e["calibration"] and all("bins" in c for c in e["calibration"]):
        sparse = any(b["sparse"] for c in e["calibration"] for b in c["bins"])
        alt = (f"Reliability diagrams of {entry_label(e)}: observed event rate against mean predicted probability "
               f"in {len(e['calibration'])} panel(s), {task['calibration_bins']} equal-width bins closed on the right, "
               f"each bin with its {lvl} Wilson interval; bars along the bottom show the cases per bin; the dotted "
               "diagonal is perfect calibration"
               + (f"; hollow markers: bins with fewer than {task['calibration_min_bin_cases']} cases." if sparse else "."))
        data = {"panels": [{"title": c["title"], "bins": c["bins"]} for c in e["calibration"]],
                "level": task["level"], "min_bin_cases": task["calibration_min_bin_cases"],
                "title": f"Reliability diagrams of {entry_label(e)}", "alt": alt, "desc": alt}
        figs["calibration"] = {"svg": both_sizes(entry_figures.calibration, data, cache), "alt": alt, "caption": alt}
    return figs
