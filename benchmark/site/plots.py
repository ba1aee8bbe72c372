"""Leaderboard figures: matplotlib SVG, themable, deterministic.

Every figure is drawn from plain JSON-like data and returned as an inline ``<svg>`` element:

* colours are drawn as sentinel values and rewritten to ``currentColor`` (text, axes) and CSS
  custom properties (``var(--plot-c1)``...), so one SVG follows the page's light or dark
  colour scheme;
* the background is transparent, text stays text (``svg.fonttype = none``) in the page font;
* ids are prefixed with the figure's id (several figures can share a page), the ``<metadata>``
  block is removed, ``svg.hashsalt`` is fixed and no date is written: same data, same bytes;
* the element carries ``role="img"`` and an ``aria-label`` (its alt text).

:func:`render` caches the SVG text under a key made of the figure kind, its data, this file's
source and the matplotlib version, so an unchanged rebuild draws nothing.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import math
import re
from pathlib import Path
from typing import Callable, Optional

from importlib.metadata import version as _dist_version

from ..results import atomic_write_text

# matplotlib is imported on first draw only: an unchanged rebuild takes every figure from the
# cache and never pays for the import.
plt = None
ListedColormap = None
_MPL_VERSION = _dist_version("matplotlib")


def _matplotlib():
    global plt, ListedColormap
    if plt is None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
        from matplotlib.colors import ListedColormap as LC

        plt, ListedColormap = pyplot, LC
    return plt

# Sentinel colours, rewritten after drawing (see _themable).
FG = "#010203"
MUTED = "#020304"
GRID = "#030405"
SERIES = ["#0a0b01", "#0a0b02", "#0a0b03", "#0a0b04", "#0a0b05", "#0a0b06"]
GOOD, BAD, NEUTRAL, DIAG = "#0c0d01", "#0c0d02", "#0c0d03", "#0c0d04"
REF = "#0e0f01"
_CSS = {
    FG: "currentColor",
    MUTED: "var(--plot-muted)",
    GRID: "var(--plot-grid)",
    GOOD: "var(--plot-good)",
    BAD: "var(--plot-bad)",
    NEUTRAL: "var(--plot-neutral)",
    DIAG: "var(--plot-diag)",
    REF: "var(--plot-ref)",
    **{c: f"var(--plot-c{i + 1})" for i, c in enumerate(SERIES)},
}

RC = {
    "svg.hashsalt": "benchmark-leaderboard",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": FG,
    "axes.labelcolor": FG,
    "axes.titlecolor": FG,
    "text.color": FG,
    "xtick.color": FG,
    "ytick.color": FG,
    "axes.facecolor": "none",
    "figure.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.edgecolor": "none",
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "path.simplify": False,
    "svg.image_inline": True,
}

_SOURCE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


# -- SVG post-processing ------------------------------------------------------------------------
def _themable(svg: str, uid: str, alt: str) -> str:
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    for sentinel, css in _CSS.items():
        svg = svg.replace(sentinel, css)
    svg = re.sub(r"font-family: '?DejaVu Sans'?", "font-family: inherit", svg)
    svg = re.sub(r"'DejaVu Sans'", "inherit", svg)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{uid}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{uid}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{uid}-{m.group(1)}"', svg)
    head_end = svg.index(">")
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    head += f' class="plot" role="img" aria-label="{html.escape(alt, quote=True)}" focusable="false"'
    svg = head + svg[head_end:]
    return svg.strip() + "\n"


def _to_svg(fig, uid: str, alt: str, tight: bool = True) -> str:
    buf = io.StringIO()
    extra = {"bbox_inches": "tight", "pad_inches": 0.05} if tight else {}
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, **extra)
    plt.close(fig)
    return _themable(buf.getvalue(), uid, alt)


def render(kind: str, data: dict, uid: str, alt: str, cache_dir: Optional[Path] = None) -> str:
    """Draw figure ``kind`` from ``data`` (cached under ``cache_dir``) as an inline SVG."""
    fn: Callable = _KINDS[kind]
    key = hashlib.sha256(
        json.dumps(
            {"kind": kind, "data": data, "uid": uid, "alt": alt, "src": _SOURCE_HASH, "mpl": _MPL_VERSION},
            sort_keys=True,
        ).encode("utf-8")
    ).hexdigest()
    path = Path(cache_dir) / "svg" / key[:2] / f"{key}.svg" if cache_dir is not None else None
    if path is not None and path.is_file():
        return path.read_text(encoding="utf-8")
    _matplotlib()
    with plt.rc_context(RC):
        fig = fn(data)
        svg = _to_svg(fig, uid, alt, tight=kind not in _LAID_OUT)
    if path is not None:
        atomic_write_text(path, svg)
    return svg


# -- figures ------------------------------------------------------------------------------------
def _wrap(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def forest(data: dict):
    """Primary metric with its interval, one row per entry (best at the top).

    ``data``: ``metric`` (axis label), ``higher_is_better``, ``rows``: list of
    ``{label, value, low, high, kind}`` with kind ``entry`` | ``reference`` | ``leader``.
    """
    rows = data["rows"]
    n = max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(7.0, 0.9 + 0.27 * n))
    ys = list(range(n))[::-1]
    for y, r in zip(ys, rows):
        v = r.get("value")
        if v is None:
            continue
        ref = r["kind"] == "reference"
        colour = REF if ref else (SERIES[0] if r["kind"] == "leader" else SERIES[1])
        if r.get("low") is not None and r.get("high") is not None:
            ax.plot([r["low"], r["high"]], [y, y], color=colour, linewidth=1.6, solid_capstyle="butt")
        ax.plot([v], [y], marker="D" if ref else "o", markersize=5.5, color=colour, linestyle="none")
    lead = next((r for r in rows if r["kind"] == "leader" and r.get("value") is not None), None)
    if lead is not None:
        ax.axvline(lead["value"], color=MUTED, linewidth=0.8, linestyle="--")
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(r["label"]) for r in rows])
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="y", visible=False)
    arrow = "higher is better \u2192" if data["higher_is_better"] else "\u2190 lower is better"
    ax.set_xlabel(f"{data['metric']} with {data['level']:.0%} interval ({arrow})")
    ax.set_title(data["title"], loc="left", fontsize=11)
    return fig


def blob(data: dict):
    """challengeR-style blob plot: bootstrap rank frequencies per entry, median and interval.

    ``data``: ``labels`` (entries, best first), ``counts`` (per entry, per rank),
    ``median``, ``interval`` (per entry), ``title``.
    """
    labels = data["labels"]
    s = len(labels)
    fig, ax = plt.subplots(figsize=(min(2.2 + 0.42 * s, 9.0), min(1.6 + 0.3 * s, 9.5)))
    xs, ys, sizes = [], [], []
    for i, counts in enumerate(data["counts"]):
        total = sum(counts) or 1
        for r, c in enumerate(counts):
            if c:
                xs.append(i)
                ys.append(r + 1)
                sizes.append(6 + 260 * c / total)
    ax.scatter(xs, ys, s=sizes, color=SERIES[0], alpha=0.75, linewidths=0)
    for i, (med, iv) in enumerate(zip(data["median"], data["interval"])):
        if iv:
            ax.plot([i, i], iv, color=FG, linewidth=1.0)
        if med is not None:
            ax.plot([i], [med], marker="x", color=FG, markersize=6, linestyle="none")
    ax.plot([-0.5, s - 0.5], [0.5, s + 0.5], color=MUTED, linewidth=0.7, linestyle=":")
    ax.set_xticks(range(s))
    ax.set_xticklabels([_wrap(x, 28) for x in labels], rotation=60, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.6, s - 0.4)
    ax.set_ylim(s + 0.6, 0.4)
    step = max(1, math.ceil(s / 12))
    ax.set_yticks(range(1, s + 1, step))
    ax.set_ylabel("rank in bootstrap replicates")
    ax.set_title(data["title"], loc="left", fontsize=11)
    return fig


def significance(data: dict):
    """Pairwise significance map: cell (row i, column j) coloured when i is significantly better
    (or worse) than j after Holm adjustment."""
    labels = data["labels"]
    better = data["better"]
    s = len(labels)
    grid = [[3 if i == j else (0 if better[i][j] else (1 if better[j][i] else 2)) for j in range(s)] for i in range(s)]
    fig, ax = plt.subplots(figsize=(min(2.8 + 0.33 * s, 9.5), min(2.2 + 0.33 * s, 9.5)))
    cmap = ListedColormap([GOOD, BAD, NEUTRAL, DIAG])
    ax.pcolormesh(range(s + 1), range(s + 1), grid, cmap=cmap, vmin=-0.5, vmax=3.5, edgecolors=FG, linewidth=0.3)
    ax.set_xticks([i + 0.5 for i in range(s)])
    ax.set_xticklabels([_wrap(x, 24) for x in labels], rotation=60, ha="right", rotation_mode="anchor")
    ax.set_yticks([i + 0.5 for i in range(s)])
    ax.set_yticklabels([_wrap(x, 24) for x in labels])
    ax.set_xlim(0, s)
    ax.set_ylim(s, 0)
    ax.grid(False)
    ax.set_xlabel("compared with (column)")
    ax.set_title(data["title"], loc="left", fontsize=11)
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(facecolor=GOOD, edgecolor=FG, linewidth=0.3, label="row better"),
            Patch(facecolor=BAD, edgecolor=FG, linewidth=0.3, label="row worse"),
            Patch(facecolor=NEUTRAL, edgecolor=FG, linewidth=0.3, label="not significant"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
    )
    return fig


def _grid(n: int, size: float = 3.1):
    cols = min(n, 4 if n > 4 else n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(0.4 + size * cols, 0.5 + size * rows), squeeze=False)
    flat = [a for row in axes for a in row]
    for a in flat[n:]:
        a.set_visible(False)
    return fig, flat[:n]


def roc(data: dict):
    """ROC curves, one panel per target, with reader operating points and interval crosses.

    ``data``: ``panels``: ``{title, fpr, tpr, auc, readers: [{name, fpr, tpr, fpr_ci, tpr_ci,
    matched: {fpr, tpr}}]}``.
    """
    panels = data["panels"]
    fig, axes = _grid(len(panels))
    for ax, p in zip(axes, panels):
        ax.plot([0, 1], [0, 1], color=MUTED, linewidth=0.8, linestyle=":")
        if p["fpr"]:
            ax.plot(p["fpr"], p["tpr"], color=SERIES[0], linewidth=1.6, label=f"AUC {p['auc']:.3f}" if p["auc"] is not None else "model")
        for k, rd in enumerate(p.get("readers", [])):
            colour = SERIES[2 + k % 3]
            if rd.get("fpr_ci"):
                ax.plot(rd["fpr_ci"], [rd["tpr"], rd["tpr"]], color=colour, linewidth=1.2)
            if rd.get("tpr_ci"):
                ax.plot([rd["fpr"], rd["fpr"]], rd["tpr_ci"], color=colour, linewidth=1.2)
            ax.plot([rd["fpr"]], [rd["tpr"]], marker="s", markersize=6, color=colour, linestyle="none", label=_wrap(rd["name"], 30))
            m = rd.get("matched")
            if m and m.get("tpr") is not None:
                ax.plot([m["fpr"]], [m["tpr"]], marker="o", markersize=6, markerfacecolor="none", markeredgecolor=colour, linestyle="none", label="model at readers' specificity")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("1 \u2212 specificity")
        ax.set_ylabel("sensitivity")
        ax.set_title(_wrap(p["title"], 34), fontsize=10)
        ax.legend(loc="lower right", fontsize=7.5)
    fig.tight_layout()
    return fig


def calibration(data: dict):
    """Reliability diagrams, one panel per target: observed event rate against mean
    predicted probability per bin (marker area = cases in the bin)."""
    panels = data["panels"]
    fig, axes = _grid(len(panels), size=2.8)
    for ax, p in zip(axes, panels):
        ax.plot([0, 1], [0, 1], color=MUTED, linewidth=0.8, linestyle=":")
        bins = p["bins"]
        if bins:
            total = sum(b["n"] for b in bins) or 1
            xs = [b["mean_predicted"] for b in bins]
            ys = [b["observed"] for b in bins]
            ax.plot(xs, ys, color=SERIES[0], linewidth=1.2)
            ax.scatter(xs, ys, s=[8 + 120 * b["n"] / total for b in bins], color=SERIES[0], linewidths=0, zorder=3)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed rate")
        ax.set_title(_wrap(p["title"], 30), fontsize=10)
    fig.tight_layout()
    return fig


_LAID_OUT = {"roc", "calibration"}  # laid out by tight_layout already: no second tight pass
_KINDS: dict[str, Callable] = {
    "forest": forest,
    "blob": blob,
    "significance": significance,
    "roc": roc,
    "calibration": calibration,
}
