"""Figures of a task page, drawn as inline SVG (see :mod:`.svg`): the forest plot of the primary
metric, the rank plot of the bootstrap rank distributions and the pairwise significance map.

Each function takes plain data and a :class:`~.svg.Size` and returns one ``<svg>``; what it
draws decides its legend, so a legend never names a mark that is not on the figure.
"""

from __future__ import annotations

import math

from .svg import Drawing, Size, nice_ticks, short_label, text_width, tick_text

__all__ = ["forest", "rank_plot", "significance_map"]

PAD = 8  # units around the drawing


def _label_width(labels: list[str], size: Size, cap: float) -> float:
    return min(cap, max([text_width(short_label(x), size.font) for x in labels] + [40]) + 6)


def _x_axis(d: Drawing, x0: float, x1: float, y: float, ticks: list[float], scale, grid_top: float) -> None:
    d.line(x0, y, x1, y)
    for t in ticks:
        x = scale(t)
        d.line(x, grid_top, x, y, stroke="var(--plot-grid)", width=0.8)
        d.line(x, y, x, y + 4)
        d.text(x, y + 4 + d.size.font, tick_text(t, ticks), anchor="middle")


def _legend(d: Drawing, x: float, y: float, items: list[tuple], width: float) -> float:
    """Legend items ``(draw_symbol(d, cx, cy), text)`` laid out in rows; returns the next y."""
    f = d.size.font
    cx = x
    for sym, text in items:
        w = 18 + text_width(text, f) + 12
        if cx > x and cx + w > x + width:
            cx, y = x, y + f + 8
        sym(d, cx + 7, y - f * 0.35)
        d.text(cx + 18, y, text)
        cx += w
    return y + f + 8


def forest(size: Size, data: dict) -> str:
    """Primary metric with its interval, one row per entry (best at the top).

    ``data``: ``metric``, ``higher_is_better``, ``level``, ``title``, ``alt``, ``desc`` and
    ``rows``: ``{label, value, low, high, kind}`` with kind ``entry``, ``leader`` or
    ``reference``. A dashed line marks the leader's value (labelled); references are diamonds.
    """
    d = Drawing("forest", size, data["alt"], data["title"], data["desc"])
    rows = data["rows"]
    f, rh = size.font, size.row
    lw = _label_width([r["label"] for r in rows], size, size.width * 0.42)
    x0, x1 = PAD + lw, size.width - PAD - 6
    vals = [v for r in rows for v in (r.get("value"), r.get("low"), r.get("high")) if v is not None]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    ticks = nice_ticks(lo, hi, 4 if size.width < 500 else 6)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

    def sx(v):
        return x0 + (x1 - x0) * (v - lo) / (hi - lo)

    lead = next((r for r in rows if r["kind"] == "leader" and r.get("value") is not None), None)
    has_ref = any(r["kind"] == "reference" for r in rows)
    items = [(lambda d, cx, cy: d.marker("circle", cx, cy, 4, "var(--plot-c1)"), "entry with its interval")]
    if lead is not None:
        items.append((lambda d, cx, cy: d.marker("square", cx, cy, 4, "var(--plot-c2)"), "leader"))
        items.append((lambda d, cx, cy: d.line(cx - 7, cy, cx + 7, cy, "var(--plot-muted)", 1.2, "4 3"),
                      "leader's value"))
    if has_ref:
        items.append((lambda d, cx, cy: d.marker("diamond", cx, cy, 4, "var(--plot-ref)"), "published reference"))
    y = _legend(d, PAD, PAD + f, items, size.width - 2 * PAD)
    top = y + 4
    bottom = top + rh * len(rows)
    _x_axis(d, x0, x1, bottom + 4, ticks, sx, top - 2)
    if lead is not None:
        lx = sx(lead["value"])
        d.line(lx, top - 2, lx, bottom + 4, "var(--plot-muted)", 1.2, "4 3")
    for i, r in enumerate(rows):
        cy = top + rh * (i + 0.5)
        full = r["label"]
        v = r.get("value")
        shown = "undefined" if v is None else f"{v:.4f}"
        if r.get("low") is not None and r.get("high") is not None:
            shown += f" [{r['low']:.4f}, {r['high']:.4f}]"
        with d.group(f"{full}: {shown}"):
            d.text(x0 - 6, cy + f * 0.35, short_label(full), anchor="end")
            if v is None:
                continue
            colour = {"reference": "var(--plot-ref)", "leader": "var(--plot-c2)"}.get(r["kind"], "var(--plot-c1)")
            if r.get("low") is not None and r.get("high") is not None:
                d.line(sx(r["low"]), cy, sx(r["high"]), cy, colour, 1.8)
            shape = {"reference": "diamond", "leader": "square"}.get(r["kind"], "circle")
            d.marker(shape, sx(v), cy, 4, colour)
    y = bottom + 4 + 2 * f + 10
    arrow = "higher is better \u2192" if data["higher_is_better"] else "\u2190 lower is better"
    label = f"{data['metric']}, {data['level']:.0%} interval ({arrow})"
    if text_width(label, f) > size.width - 2 * PAD:
        d.text((x0 + x1) / 2, y, f"{data['metric']}, {data['level']:.0%} interval", anchor="middle")
        y += f + 4
        d.text((x0 + x1) / 2, y, f"({arrow})", anchor="middle")
    else:
        d.text((x0 + x1) / 2, y, label, anchor="middle")
    if lead is not None:
        y += f + 6
        d.text(x1, y, f"dashed line: the leader's value {lead['value']:.4f}", anchor="end", fill="var(--muted)")
    return d.svg(y + PAD)


def rank_plot(size: Size, data: dict) -> str:
    """Bootstrap rank distributions (challengeR's blob plot, one row per entry).

    ``data``: ``labels`` (best first), ``counts`` (per entry ``[[rank, count], ...]``, nonzero
    ranks only), ``median``, ``interval``, ``n_replicates``, ``level``, ``title``, ``alt``,
    ``desc``. A circle's area is the share of replicates in which the entry had that rank; the
    line is the rank interval, the vertical bar the median rank.
    """
    d = Drawing("ranks", size, data["alt"], data["title"], data["desc"])
    labels = data["labels"]
    f, rh = size.font, size.row
    lw = _label_width(labels, size, size.width * 0.42)
    x0, x1 = PAD + lw + 4, size.width - PAD - 6
    max_rank = max([r for c in data["counts"] for r, _ in c] + [len(labels)])
    span = max(max_rank - 1, 1)

    def sx(rank):
        return x0 + (x1 - x0) * (rank - 1) / span

    col = (x1 - x0) / span
    rmax = max(2.0, min(rh * 0.48, col * 0.75 if max_rank > 1 else rh * 0.48))
    items = [
        (lambda d, cx, cy: d.circle(cx, cy, 5, "var(--plot-c1)", opacity=0.7), "share of replicates at a rank"),
        (lambda d, cx, cy: d.line(cx - 7, cy, cx + 7, cy, "currentColor", 1.4), f"{data['level']:.0%} rank interval"),
        (lambda d, cx, cy: d.line(cx, cy - 6, cx, cy + 6, "currentColor", 2.2), "median rank"),
    ]
    y = _legend(d, PAD, PAD + f, items, size.width - 2 * PAD)
    top = y + 4
    bottom = top + rh * len(labels)
    step = max(1, math.ceil(max_rank * text_width("99", f) * 1.6 / (x1 - x0)))
    ticks = [1] + list(range(1 + step, max_rank + 1, step))
    d.line(x0, bottom + 4, x1, bottom + 4)
    for t in ticks:
        d.line(sx(t), top - 2, sx(t), bottom + 4, "var(--plot-grid)", 0.8)
        d.text(sx(t), bottom + 8 + f, str(t), anchor="middle")
    B = data["n_replicates"] or 1
    for i, (label, counts) in enumerate(zip(labels, data["counts"])):
        cy = top + rh * (i + 0.5)
        med, iv = data["median"][i], data["interval"][i]
        tip = f"{label}: median rank {med}" + (f", {data['level']:.0%} rank interval {iv[0]}\u2013{iv[1]}" if iv else "")
        with d.group(tip):
            d.text(PAD + lw, cy + f * 0.35, short_label(label), anchor="end")
            for rank, c in counts:
                d.circle(sx(rank), cy, max(1.2, rmax * math.sqrt(c / B)), "var(--plot-c1)", opacity=0.7,
                         title=f"{label}: rank {rank} in {c} of {B} replicates")
            if iv:
                d.line(sx(iv[0]), cy, sx(iv[1]), cy, "currentColor", 1.4)
            if med is not None:
                d.line(sx(med), cy - rh * 0.35, sx(med), cy + rh * 0.35, "currentColor", 2.2)
    y = bottom + 8 + 2 * f + 8
    d.text((x0 + x1) / 2, y, "rank in the bootstrap replicates (1 = best)", anchor="middle")
    return d.svg(y + PAD)


#: Cell states of the significance map: (fill, symbol, legend text).
_BETTER, _WORSE, _NS, _SELF = "var(--plot-better)", "var(--plot-worse)", "var(--plot-neutral)", "var(--plot-diag)"


def _cell_symbol(d: Drawing, x: float, y: float, w: float, h: float, kind: str) -> None:
    """``+`` (row better) or ``\u2212`` (row worse) drawn as bars in the cell at ``(x, y)`` of
    size ``w`` x ``h``, so colour is not the only cue."""
    c = min(w, h)
    t = max(1.0, c * 0.14)
    a = c * 0.56
    cx, cy = x + w / 2, y + h / 2
    mark = "var(--plot-mark)"
    d.rect(cx - a / 2, cy - t / 2, a, t, mark)
    if kind == "better":
        d.rect(cx - t / 2, cy - a / 2, t, a, mark)


def significance_map(size: Size, data: dict) -> str:
    """Pairwise significance map: cell (row i, column j) says whether entry i is significantly
    better (blue, ``+``) or worse (orange, ``\u2212``) than entry j after Holm adjustment; grey
    when not significant, hatched when the pair could not be tested, the diagonal an entry with
    itself. Rows and columns are numbered by leaderboard position; the row labels name them.

    ``data``: ``labels``, ``better`` (S x S booleans), ``untested`` (S x S booleans or None),
    ``untested_label``, ``title``, ``alt``, ``desc``.
    """
    d = Drawing("significance", size, data["alt"], data["title"], data["desc"])
    labels, better = data["labels"], data["better"]
    s = len(labels)
    untested = data.get("untested") or [[False] * s for _ in range(s)]
    f = size.font
    named = [f"{i + 1}. {short_label(x)}" for i, x in enumerate(labels)]
    lw = min(size.width * 0.45, max(text_width(x, f) for x in named) + 6)
    avail = size.width - 2 * PAD - lw
    cw = min(22.0, avail / s)  # cell width
    ch = max(cw, f + 3.0)  # cell height: a row label fits in it
    x0 = PAD + lw
    top = PAD + f + 6
    every = max(1, math.ceil(text_width(str(s), f) * 1.3 / cw))
    for j in range(0, s, every):
        d.text(x0 + cw * (j + 0.5), top - 4, str(j + 1), anchor="middle")
    hatch = d.id("hatch")
    any_untested = any(untested[i][j] for i in range(s) for j in range(s) if i != j)
    if any_untested:
        d.defs.append(f'<pattern id="{hatch}" patternUnits="userSpaceOnUse" width="5" height="5" '
                      f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="5" '
                      f'stroke="currentColor" stroke-width="1.2"/></pattern>')
    for i in range(s):
        y = top + ch * i
        d.text(x0 - 5, y + ch / 2 + f * 0.35, named[i], anchor="end", title=labels[i])
        for j in range(s):
            x = x0 + cw * j
            if i == j:
                d.rect(x, y, cw, ch, _SELF, "currentColor", 0.3, title=f"{labels[i]}: itself (not compared)")
                continue
            a, b = labels[i], labels[j]
            if better[i][j]:
                d.rect(x, y, cw, ch, _BETTER, "currentColor", 0.3, title=f"{a} is significantly better than {b}")
                _cell_symbol(d, x, y, cw, ch, "better")
            elif better[j][i]:
                d.rect(x, y, cw, ch, _WORSE, "currentColor", 0.3, title=f"{a} is significantly worse than {b}")
                _cell_symbol(d, x, y, cw, ch, "worse")
            elif untested[i][j]:
                d.rect(x, y, cw, ch, _NS, "currentColor", 0.3, title=f"{a} vs {b}: {data['untested_label']}")
                d.rect(x, y, cw, ch, f"url(#{hatch})")
            else:
                d.rect(x, y, cw, ch, _NS, "currentColor", 0.3, title=f"{a} vs {b}: not significant")
    y = top + ch * s + 8
    k = 14.0

    def swatch(fill, kind=None, hatched=False):
        def draw(d, cx, cy):
            d.rect(cx - k / 2, cy - k / 2, k, k, fill, "currentColor", 0.3)
            if kind:
                _cell_symbol(d, cx - k / 2, cy - k / 2, k, k, kind)
            if hatched:
                d.rect(cx - k / 2, cy - k / 2, k, k, f"url(#{hatch})")
        return draw

    items = [
        (swatch(_BETTER, "better"), "+ row significantly better than column"),
        (swatch(_WORSE, "worse"), "\u2212 row significantly worse"),
        (swatch(_NS), "not significant"),
        (swatch(_SELF), "diagonal: an entry with itself"),
    ]
    if any_untested:
        items.append((swatch(_NS, hatched=True), data["untested_label"]))
    y = y + f
    for sym, text in items:  # one item a line: every text fits the narrow drawing
        sym(d, PAD + 7, y - f * 0.35)
        d.text(PAD + 20, y, text)
        y += max(k, f) + 6
    d.text(PAD, y, "Columns: entries numbered as the rows (leaderboard order).", fill="var(--muted)")
    return d.svg(y + PAD)

