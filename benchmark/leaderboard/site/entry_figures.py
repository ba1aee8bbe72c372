"""Figures of a submission page, drawn as inline SVG (see :mod:`.svg`): ROC curves with their
bootstrap band and the readers' operating points, and reliability diagrams with per-bin
Wilson intervals and counts. Both are grids of square unit panels (one per target), three a
row in the wide drawing and two in the narrow one.
"""

from __future__ import annotations

import math

from .svg import Drawing, Size, n, nice_ticks, short_label

__all__ = ["roc", "calibration", "mrmc"]

PAD = 8
LEFT = 44  # y tick labels and the y axis label
GAP = 18


def _grid(d: Drawing, count: int, top: float, xlabel: str, ylabel: str, titles: list[str]):
    """Lay out ``count`` unit panels; draw their frames, grids and titles. Returns
    ``(panels, bottom)`` where ``panels`` are ``(sx, sy, x, y, size)`` per panel."""
    size = d.size
    f = size.font
    cols = 1 if count == 1 else min(count, 3 if size.width > 500 else 2)
    p = (size.width - LEFT - PAD - (cols - 1) * GAP) / cols
    p = min(p, 260.0)
    rows = math.ceil(count / cols)
    row_h = f + 8 + p + 2 * f + 14
    panels = []
    for i in range(count):
        r, c = divmod(i, cols)
        x = LEFT + c * (p + GAP)
        y = top + r * row_h + f + 8

        def sx(v, x=x, p=p):
            return x + p * float(v)

        def sy(v, y=y, p=p):
            return y + p * (1 - float(v))

        d.text(x, y - 6, short_label(titles[i]), title=titles[i], weight="600")
        d.rect(x, y, p, p, "none", "currentColor", 0.8)
        for g in (0.25, 0.5, 0.75):
            d.line(sx(g), y, sx(g), y + p, "var(--plot-grid)", 0.8)
            d.line(x, sy(g), x + p, sy(g), "var(--plot-grid)", 0.8)
        for t, label in ((0, "0"), (0.5, "0.5"), (1, "1")):
            d.text(sx(t), y + p + f + 2, label, anchor="middle")
            if c == 0:
                d.text(x - 4, sy(t) + f * 0.35, label, anchor="end")
        d.text(x + p / 2, y + p + 2 * f + 6, xlabel, anchor="middle")
        if c == 0:
            d.text(x - 30, y + p / 2, ylabel, anchor="middle", rotate=-90)
        panels.append((sx, sy, x, y, p))
    return panels, top + rows * row_h


def _legend(d: Drawing, y: float, items: list[tuple]) -> float:
    """One legend item a line (symbol, text); returns the next y."""
    f = d.size.font
    y += f
    for sym, text in items:
        sym(d, PAD + 8, y - f * 0.35)
        d.text(PAD + 22, y, text)
        y += f + 7
    return y


def _polyline(xs, ys, sx, sy) -> str:
    return "M" + "L".join(f"{n(sx(a))} {n(sy(b))}" for a, b in zip(xs, ys))


READER_SHAPES = {"published": "square", "reader": "triangle", "pooled": "diamond"}
READER_COLOURS = {"published": "var(--plot-c3)", "reader": "var(--plot-c4)", "pooled": "var(--plot-c3)"}


def roc(size: Size, data: dict) -> str:
    """ROC curves, one panel per target, with reader operating points.

    ``data``: ``title``, ``alt``, ``desc``, ``level``, ``panels``: ``{title, fpr, tpr, auc,
    band: {fpr, low, high} or None, readers: [{name, kind, fpr, tpr, fpr_ci, tpr_ci,
    matched}]}`` with ``kind`` ``published`` (a published operating point), ``reader`` (one
    reader of a case-level study) or ``pooled`` (the pooled reads of that study).
    """
    d = Drawing("roc", size, data["alt"], data["title"], data["desc"])
    panels = data["panels"]
    grid, bottom = _grid(d, len(panels), PAD, "1 \u2212 specificity", "sensitivity", [p["title"] for p in panels])
    kinds, has_band, has_matched = set(), False, False
    for (sx, sy, x, y, p), panel in zip(grid, panels):
        d.line(sx(0), sy(0), sx(1), sy(1), "var(--plot-muted)", 1.0, "2 3")
        band = panel.get("band")
        if band and band.get("fpr"):
            has_band = True
            up = [f"{n(sx(a))} {n(sy(b))}" for a, b in zip(band["fpr"], band["high"])]
            down = [f"{n(sx(a))} {n(sy(b))}" for a, b in zip(band["fpr"][::-1], band["low"][::-1])]
            d.path("M" + "L".join(up + down) + "Z", fill="var(--plot-c1)", stroke="none", opacity=0.22,
                   title=f"{panel['title']}: pointwise {data['level']:.0%} bootstrap band of the sensitivity")
        if panel["fpr"]:
            auc = "undefined" if panel["auc"] is None else f"{panel['auc']:.3f}"
            d.path(_polyline(panel["fpr"], panel["tpr"], sx, sy), stroke="var(--plot-c1)", width=2,
                   title=f"{panel['title']}: ROC curve, AUC {auc}")
        auc = "AUC undefined" if panel["auc"] is None else f"AUC {panel['auc']:.3f}"
        d.text(x + p - 4, y + p - 6, auc, anchor="end", fill="var(--plot-c1)", weight="600")
        for rd in panel.get("readers", []):
            kind = rd["kind"]
            kinds.add(kind)
            colour = READER_COLOURS[kind]
            tip = f"{rd['name']}: sensitivity {rd['tpr']:.3f}, specificity {1 - rd['fpr']:.3f}"
            if rd.get("tpr_ci"):
                d.line(sx(rd["fpr"]), sy(rd["tpr_ci"][0]), sx(rd["fpr"]), sy(rd["tpr_ci"][1]), colour, 1.2)
                tip += f"; sensitivity interval [{rd['tpr_ci'][0]:.3f}, {rd['tpr_ci'][1]:.3f}]"
            if rd.get("fpr_ci"):
                d.line(sx(rd["fpr_ci"][0]), sy(rd["tpr"]), sx(rd["fpr_ci"][1]), sy(rd["tpr"]), colour, 1.2)
            d.marker(READER_SHAPES[kind], sx(rd["fpr"]), sy(rd["tpr"]), 4.5 if kind != "reader" else 3.5, colour,
                     stroke="var(--bg)", title=tip)
            m = rd.get("matched")
            if m and m.get("tpr") is not None:
                has_matched = True
                d.circle(sx(m["fpr"]), sy(m["tpr"]), 4.5, "none", stroke=colour, width=1.5,
                         title=f"this model at the specificity of {rd['name']}: sensitivity {m['tpr']:.3f}")
    items = [(lambda d, cx, cy: d.line(cx - 8, cy, cx + 8, cy, "var(--plot-c1)", 2), "ROC curve of this entry")]
    if has_band:
        items.append((lambda d, cx, cy: d.rect(cx - 8, cy - 5, 16, 10, "var(--plot-c1)", opacity=0.22),
                      f"pointwise {data['level']:.0%} bootstrap band"))
    items.append((lambda d, cx, cy: d.line(cx - 8, cy + 4, cx + 8, cy - 4, "var(--plot-muted)", 1, "2 3"),
                  "chance (diagonal)"))
    names = {"published": "published readers, with interval", "reader": "each reader of the study, with interval",
             "pooled": "pooled reads of the study, with interval"}
    for kind in ("published", "reader", "pooled"):
        if kind in kinds:
            items.append((lambda d, cx, cy, k=kind: d.marker(READER_SHAPES[k], cx, cy, 4.5, READER_COLOURS[k]),
                          names[kind]))
    if has_matched:
        items.append((lambda d, cx, cy: d.circle(cx, cy, 4.5, "none", stroke="var(--plot-c3)", width=1.5),
                      "this model at the readers' specificity"))
    return d.svg(_legend(d, bottom, items) + PAD)


def calibration(size: Size, data: dict) -> str:
    """Reliability diagrams, one panel per target: observed event rate against mean predicted
    probability per bin, with the bin's Wilson interval; bars along the bottom show how many
    cases each bin holds (relative to the panel's largest bin; the page lists the counts).
    Sparse bins are hollow.

    ``data``: ``title``, ``alt``, ``desc``, ``level``, ``panels``: ``{title, bins: [{low,
    high, n, events, mean_predicted, observed, ci, sparse}]}``.
    """
    d = Drawing("calibration", size, data["alt"], data["title"], data["desc"])
    panels = data["panels"]
    grid, bottom = _grid(d, len(panels), PAD, "mean predicted probability", "observed rate",
                         [p["title"] for p in panels])
    any_sparse = False
    for (sx, sy, x, y, p), panel in zip(grid, panels):
        d.line(sx(0), sy(0), sx(1), sy(1), "var(--plot-muted)", 1.0, "2 3")
        bins = panel["bins"]
        if not bins:
            continue
        top_n = max(b["n"] for b in bins) or 1
        for b in bins:
            h = 0.16 * p * b["n"] / top_n
            d.rect(sx(b["low"]) + 0.5, sy(0) - h, max(0.5, sx(b["high"]) - sx(b["low"]) - 1), h,
                   "var(--plot-muted)", opacity=0.35, title=f"bin ({b['low']:g}, {b['high']:g}]: {b['n']} cases")
        d.path(_polyline([b["mean_predicted"] for b in bins], [b["observed"] for b in bins], sx, sy),
               stroke="var(--plot-c1)", width=1.2)
        for b in bins:
            ci = b.get("ci")
            tip = (f"{panel['title']}, bin ({b['low']:g}, {b['high']:g}]: {b['n']} cases, "
                   f"{b.get('events', '?')} events, observed {b['observed']:.3f}")
            if ci:
                d.line(sx(b["mean_predicted"]), sy(ci[0]), sx(b["mean_predicted"]), sy(ci[1]), "var(--plot-c1)", 1.2)
                tip += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
            tip += f", mean predicted {b['mean_predicted']:.3f}"
            sparse = bool(b.get("sparse"))
            any_sparse |= sparse
            d.circle(sx(b["mean_predicted"]), sy(b["observed"]), 3.8, "var(--bg)" if sparse else "var(--plot-c1)",
                     stroke="var(--plot-c1)", width=1.4, title=tip + (" (sparse bin)" if sparse else ""))
    items = [
        (lambda d, cx, cy: d.circle(cx, cy, 3.8, "var(--plot-c1)"), "bin: mean predicted vs observed rate"),
        (lambda d, cx, cy: d.line(cx, cy - 7, cx, cy + 7, "var(--plot-c1)", 1.2),
         f"{data['level']:.0%} Wilson interval of the observed rate"),
        (lambda d, cx, cy: d.rect(cx - 7, cy - 3, 14, 8, "var(--plot-muted)", opacity=0.35),
         "cases in the bin (relative to the panel's largest bin)"),
        (lambda d, cx, cy: d.line(cx - 8, cy + 4, cx + 8, cy - 4, "var(--plot-muted)", 1, "2 3"),
         "perfect calibration (diagonal)"),
    ]
    if any_sparse:
        items.append((lambda d, cx, cy: d.circle(cx, cy, 3.8, "var(--bg)", stroke="var(--plot-c1)", width=1.4),
                      f"sparse bin (fewer than {data['min_bin_cases']} cases)"))
    return d.svg(_legend(d, bottom, items) + PAD)



def mrmc(size: Size, data: dict) -> str:
    """The model against the reader panel, one row per target and figure of merit: each
    reader's figure of merit (triangles), the readers' mean (a vertical bar), the model (a
    circle) and the readers' mean plus the interval of the RRRC difference (a line).

    ``data``: ``title``, ``alt``, ``desc``, ``level``, ``rows``: ``{label, readers: {id: fom},
    mean, model, ci}`` (``ci``: the RRRC interval of model minus the readers' mean, or None).
    """
    d = Drawing("mrmc", size, data["alt"], data["title"], data["desc"])
    rows = data["rows"]
    f, rh = size.font, size.row * 2
    vals = [v for r in rows for v in [*r["readers"].values(), r["mean"], r["model"]] if v is not None]
    vals += [r["mean"] + c for r in rows if r["ci"] for c in r["ci"]]
    lo, hi = min(vals) - 0.02, max(vals) + 0.02
    ticks = nice_ticks(lo, hi, 4 if size.width < 500 else 6)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    x0, x1 = PAD + 6, size.width - PAD - 6

    def sx(v):
        return x0 + (x1 - x0) * (v - lo) / (hi - lo)

    y = PAD
    for r in rows:
        y += f + 4
        d.text(x0, y, short_label(r["label"]), title=r["label"], weight="600")
        cy = y + rh / 2
        d.line(x0, cy, x1, cy, "var(--plot-grid)", 0.8)
        for rid, v in sorted(r["readers"].items()):
            d.marker("triangle", sx(v), cy - 6, 4, "var(--plot-c4)", title=f"reader {rid}: {v:.3f}")
        d.line(sx(r["mean"]), cy - 12, sx(r["mean"]), cy + 12, "currentColor", 2.2)
        tip = f"model {r['model']:.3f}"
        if r["ci"]:
            a, b = r["mean"] + r["ci"][0], r["mean"] + r["ci"][1]
            d.line(sx(a), cy + 6, sx(b), cy + 6, "var(--plot-c1)", 1.8)
            tip += (f"; difference from the readers' mean {r['model'] - r['mean']:+.3f}, "
                    f"{data['level']:.0%} interval [{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}] (RRRC)")
        d.circle(sx(r["model"]), cy + 6, 4.5, "var(--plot-c1)", title=tip)
        y += rh
    axis = y + 4
    d.line(x0, axis, x1, axis)
    for t in ticks:
        d.line(sx(t), axis, sx(t), axis + 4)
        d.text(sx(t), axis + 6 + f, f"{t:g}", anchor="middle")
    items = [
        (lambda d, cx, cy: d.marker("triangle", cx, cy, 4, "var(--plot-c4)"), "one reader"),
        (lambda d, cx, cy: d.line(cx, cy - 7, cx, cy + 7, "currentColor", 2.2), "readers' mean"),
        (lambda d, cx, cy: d.circle(cx, cy, 4.5, "var(--plot-c1)"), "this model"),
        (lambda d, cx, cy: d.line(cx - 8, cy, cx + 8, cy, "var(--plot-c1)", 1.8),
         f"readers' mean + {data['level']:.0%} interval of the difference (RRRC)"),
    ]
    return d.svg(_legend(d, axis + 2 * f + 4, items) + PAD)
