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
source and the matplotlib version, so an unchanged rebuild draws nothing; :func:`render_many`
draws the missing figures of a whole site, in worker processes when there are many.

Drawing is kept cheap, because a large site has two figures per submission: the panel grids
(ROC, calibration) are laid out by fixed margins instead of ``tight_layout`` or a tight
bounding box (each of which measures every text and makes matplotlib draw the figure twice),
their grid lines are one collection per panel, and the empty grid of a given set of panels is
built once per process and reused, each figure only adding, saving and removing its own data
artists. A figure drawn on a reused grid has exactly the bytes of one drawn on a new grid.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import math
import re
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional

from importlib.metadata import version as _dist_version

from ...core.fileio import atomic_write_text

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
    # Team and model names are participant text: "Lab $\sqrt$" must be drawn as written,
    # never parsed as mathtext (which would fail or render something else).
    "text.parse_math": False,
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
    # Scale with the page, but never beyond the figure's natural size (viewBox in pt, 96/72
    # px per pt), so a small figure is not blown up to the full column width.
    vb = re.search(r'viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) [0-9.]+"', head)
    style = f' style="max-width: {float(vb.group(1)) * 4 / 3:.0f}px"' if vb else ""
    head += f' class="plot" role="img" aria-label="{html.escape(alt, quote=True)}" focusable="false"{style}'
    svg = head + svg[head_end:]
    return svg.strip() + "\n"


def _to_svg(fig, uid: str, alt: str, tight: bool = True, close: bool = True) -> str:
    buf = io.StringIO()
    extra = {"bbox_inches": "tight", "pad_inches": 0.05} if tight else {}
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, **extra)
    if close:
        plt.close(fig)
    return _themable(buf.getvalue(), uid, alt)


def figure_key(kind: str, data: dict, uid: str, alt: str) -> str:
    """Cache key of a figure: sha256 of its kind, data, id, alt text, this file and matplotlib."""
    return hashlib.sha256(
        json.dumps(
            {"kind": kind, "data": data, "uid": uid, "alt": alt, "src": _SOURCE_HASH, "mpl": _MPL_VERSION},
            sort_keys=True,
        ).encode("utf-8")
    ).hexdigest()


def _cache_path(cache_dir, key: str) -> Optional[Path]:
    return Path(cache_dir) / "svg" / key[:2] / f"{key}.svg" if cache_dir is not None else None


def draw(kind: str, data: dict, uid: str, alt: str) -> str:
    """Draw figure ``kind`` from ``data`` as an inline SVG (no cache).

    A pure function of its arguments: a new figure is drawn under :data:`RC` every time, so
    the bytes do not depend on what was drawn before or in which process.
    """
    fn: Callable = _KINDS[kind]
    _matplotlib()
    with plt.rc_context(RC):
        if kind in _PANELS:
            # Reuse the empty panel grid (axes, ticks, labels, titles): only this figure's
            # data artists are added, saved and removed again.
            frame = _frame(kind, data)
            with frame.drawing() as axes:
                fn(axes, data)
                return _to_svg(frame.fig, uid, alt, tight=False, close=False)
        fig = fn(data)
        return _to_svg(fig, uid, alt, tight=kind not in _LAID_OUT)


def _draw_request(request: tuple) -> str:
    return draw(*request)


def render(kind: str, data: dict, uid: str, alt: str, cache_dir: Optional[Path] = None) -> str:
    """Draw figure ``kind`` from ``data`` (cached under ``cache_dir``) as an inline SVG."""
    return render_many([(kind, data, uid, alt)], cache_dir, workers=1)[0]


#: Fewer figures to draw than this: draw them in the calling process.
POOL_MIN_FIGURES = 24


def render_many(requests: list, cache_dir: Optional[Path] = None, workers: Optional[int] = None) -> list[str]:
    """Draw many figures, in worker processes when there are enough to draw.

    Parameters
    ----------
    requests : list of tuple
        ``(kind, data, uid, alt)`` per figure, as for :func:`render`.
    cache_dir : path, default=None
        Cache of drawn SVGs (see the module docstring); None draws everything.
    workers : int, default=None
        See :func:`benchmark.core.parallel.worker_count`. Figures missing from the cache are drawn
        in a process pool when there are at least :data:`POOL_MIN_FIGURES` of them; each is a
        pure function of its request, so the output does not depend on the number of workers.

    Returns
    -------
    svgs : list of str
        In the order of ``requests``.
    """
    from ...core.parallel import ordered_map

    keys = [figure_key(*r) for r in requests]
    svgs: dict[str, str] = {}
    todo: dict[str, tuple] = {}
    for key, req in zip(keys, requests):
        if key in svgs or key in todo:
            continue
        path = _cache_path(cache_dir, key)
        if path is not None and path.is_file():
            svgs[key] = path.read_text(encoding="utf-8")
        else:
            todo[key] = tuple(req)
    if todo:
        drawn = ordered_map(_draw_request, list(todo.values()), workers=workers, min_items=POOL_MIN_FIGURES)
        for key, svg in zip(todo, drawn):
            svgs[key] = svg
            path = _cache_path(cache_dir, key)
            if path is not None:
                atomic_write_text(path, svg)
    return [svgs[k] for k in keys]


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
    (or worse) than j after Holm adjustment; hatched when the pair could not be tested.

    ``data``: ``labels``, ``better`` (S x S booleans), optionally ``untested`` (S x S booleans)
    and ``untested_label`` (legend text), ``title``.
    """
    labels = data["labels"]
    better = data["better"]
    s = len(labels)
    untested = data.get("untested") or [[False] * s for _ in range(s)]
    grid = [[3 if i == j else (0 if better[i][j] else (1 if better[j][i] else 2)) for j in range(s)] for i in range(s)]
    fig, ax = plt.subplots(figsize=(min(2.8 + 0.33 * s, 9.5), min(2.2 + 0.33 * s, 9.5)))
    cmap = ListedColormap([GOOD, BAD, NEUTRAL, DIAG])
    ax.pcolormesh(range(s + 1), range(s + 1), grid, cmap=cmap, vmin=-0.5, vmax=3.5, edgecolors=FG, linewidth=0.3)
    from matplotlib.patches import Patch, Rectangle

    hatched = [(i, j) for i in range(s) for j in range(s) if i != j and untested[i][j]]
    for i, j in hatched:  # cells that could not be tested: hatched over the neutral colour
        ax.add_patch(Rectangle((j, i), 1, 1, fill=False, hatch="///", edgecolor=FG, linewidth=0.0))
    ax.set_xticks([i + 0.5 for i in range(s)])
    ax.set_xticklabels([_wrap(x, 24) for x in labels], rotation=60, ha="right", rotation_mode="anchor")
    ax.set_yticks([i + 0.5 for i in range(s)])
    ax.set_yticklabels([_wrap(x, 24) for x in labels])
    ax.set_xlim(0, s)
    ax.set_ylim(s, 0)
    ax.grid(False)
    ax.set_xlabel("compared with (column)")
    ax.set_title(data["title"], loc="left", fontsize=11)
    handles = [
        Patch(facecolor=GOOD, edgecolor=FG, linewidth=0.3, label="row better"),
        Patch(facecolor=BAD, edgecolor=FG, linewidth=0.3, label="row worse"),
        Patch(facecolor=NEUTRAL, edgecolor=FG, linewidth=0.3, label="not significant"),
    ]
    if hatched:
        label = data.get("untested_label", "not testable")
        handles.append(Patch(facecolor=NEUTRAL, edgecolor=FG, linewidth=0.3, hatch="///", label=label))
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
    )
    return fig


# Panel grids (ROC, calibration) are laid out by fixed margins in inches instead of
# ``tight_layout`` or a tight bounding box: both measure every text on the figure and make
# matplotlib draw the figure twice, which costs more than the drawing itself. Like a
# shared-axes grid, only the first column carries y tick labels and the y label, and only the
# lowest panel of each column the x tick labels and the x label.
_GRID_LEFT, _GRID_RIGHT = 0.62, 0.12  # inches: y tick labels + y label; right edge
_GRID_BOTTOM, _GRID_TOP = 0.52, 0.34  # inches: x tick labels + x label; title of a panel
_GRID_WGAP = 0.22  # inches between panels of a row
_UNIT_TICKS = [0.0, 0.5, 1.0]
_UNIT_LABELS = ["0", "0.5", "1"]
_UNIT_GRID = [0.0, 0.25, 0.5, 0.75, 1.0]  # grid lines: one collection per panel, not per tick
_XLABEL_DROP, _YLABEL_DROP = 0.27, 0.36  # inches from the axes to the x / y label


def _grid(n: int, size: float, xlabel: str, ylabel: str, titles: list[str]):
    """A figure of ``n`` square unit panels (``size`` inches), at most 4 per row.

    Every panel spans [-0.02, 1.02] on both axes with ticks at halves, grid lines at quarters,
    a dotted diagonal and its title; returns the figure (not registered with pyplot) and the
    ``n`` axes in reading order. Titles and axis labels are placed at fixed positions, so
    drawing does not measure the tick labels to place them.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    cols = min(n, 4)
    rows = math.ceil(n / cols)
    width = _GRID_LEFT + cols * size + (cols - 1) * _GRID_WGAP + _GRID_RIGHT
    height = _GRID_TOP + rows * (size + _GRID_TOP) + _GRID_BOTTOM - _GRID_TOP
    fig = Figure(figsize=(width, height))
    axes = []
    for i in range(n):
        r, c = divmod(i, cols)
        x0 = _GRID_LEFT + c * (size + _GRID_WGAP)
        y_top = _GRID_TOP + r * (size + _GRID_TOP)  # top edge of the panel, from the top
        ax = fig.add_axes((x0 / width, 1 - (y_top + size) / height, size / width, size / height))
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        first_col, lowest = c == 0, i + cols >= n
        ax.set_xticks(_UNIT_TICKS, _UNIT_LABELS if lowest else [])
        ax.set_yticks(_UNIT_TICKS, _UNIT_LABELS if first_col else [])
        ax.grid(False)
        lines = [[(g, 0), (g, 1)] for g in _UNIT_GRID] + [[(0, g), (1, g)] for g in _UNIT_GRID]
        ax.add_collection(LineCollection(lines, colors=GRID, linewidths=0.6, zorder=0.5), autolim=False)
        if lowest:
            ax.set_xlabel(xlabel)
            ax.xaxis.set_label_coords(0.5, -_XLABEL_DROP / size)
        if first_col:
            ax.set_ylabel(ylabel)
            ax.yaxis.set_label_coords(-_YLABEL_DROP / size, 0.5)
        ax.plot([0, 1], [0, 1], color=MUTED, linewidth=0.8, linestyle=":")
        ax.set_title(titles[i], fontsize=10, y=1.0)
        axes.append(ax)
    return fig, axes


class _Frame:
    """An empty panel grid kept for reuse; :meth:`drawing` removes what a figure added."""

    def __init__(self, fig, axes):
        self.fig = fig
        self.axes = axes
        self._base = [self._artists(ax) for ax in axes]

    @staticmethod
    def _artists(ax) -> list:
        return [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]

    @contextmanager
    def drawing(self):
        try:
            yield self.axes
        finally:
            for ax, base in zip(self.axes, self._base):
                keep = {id(a) for a in base}
                for a in self._artists(ax):
                    if id(a) not in keep:
                        a.remove()
                if ax.legend_ is not None:
                    ax.legend_.remove()


_FRAMES: "OrderedDict[tuple, _Frame]" = OrderedDict()
_MAX_FRAMES = 8  # distinct panel grids kept per process (one or two per task)


def _frame(kind: str, data: dict) -> _Frame:
    """The reusable panel grid of a ROC or calibration figure (built on first use)."""
    width, xlabel, ylabel = _PANELS[kind]
    titles = tuple(_wrap(p["title"], 30 if kind == "roc" else 28) for p in data["panels"])
    key = (kind, titles)
    frame = _FRAMES.get(key)
    if frame is None:
        frame = _Frame(*_grid(len(titles), width, xlabel, ylabel, list(titles)))
        _FRAMES[key] = frame
        while len(_FRAMES) > _MAX_FRAMES:
            _FRAMES.popitem(last=False)
    else:
        _FRAMES.move_to_end(key)
    return frame


def roc(axes, data: dict) -> None:
    """ROC curves, one panel per target, with reader operating points and interval crosses.

    ``axes``: the panels of :func:`_frame`; ``data``: ``panels``: ``{title, fpr, tpr, auc,
    readers: [{name, fpr, tpr, fpr_ci, tpr_ci, matched: {fpr, tpr}}]}``. The AUC is written in
    the panel; a legend is drawn only in the panels with reader operating points.
    """
    for ax, p in zip(axes, data["panels"]):
        if p["fpr"]:
            ax.plot(p["fpr"], p["tpr"], color=SERIES[0], linewidth=1.6)
        auc = f"AUC {p['auc']:.3f}" if p["auc"] is not None else "AUC undefined"
        readers = p.get("readers", [])
        if not readers:
            ax.text(0.97, 0.04, auc, ha="right", va="bottom", fontsize=8, color=SERIES[0])
        for k, rd in enumerate(readers):
            colour = SERIES[2 + k % 3]
            if rd.get("fpr_ci"):
                ax.plot(rd["fpr_ci"], [rd["tpr"], rd["tpr"]], color=colour, linewidth=1.2)
            if rd.get("tpr_ci"):
                ax.plot([rd["fpr"], rd["fpr"]], rd["tpr_ci"], color=colour, linewidth=1.2)
            ax.plot([rd["fpr"]], [rd["tpr"]], marker="s", markersize=6, color=colour, linestyle="none", label=_wrap(rd["name"], 30))
            m = rd.get("matched")
            if m and m.get("tpr") is not None:
                ax.plot([m["fpr"]], [m["tpr"]], marker="o", markersize=6, markerfacecolor="none", markeredgecolor=colour, linestyle="none", label="model at readers' specificity")
        if readers:
            ax.plot([], [], color=SERIES[0], linewidth=1.6, label=auc)
            ax.legend(loc="lower right", fontsize=8)


def calibration(axes, data: dict) -> None:
    """Reliability diagrams, one panel per target: observed event rate against mean
    predicted probability per bin (marker area = cases in the bin). Bins marked ``sparse``
    (too few cases to read a gap from) are drawn as hollow markers."""
    for ax, p in zip(axes, data["panels"]):
        bins = p["bins"]
        if bins:
            total = sum(b["n"] for b in bins) or 1
            xs = [b["mean_predicted"] for b in bins]
            ys = [b["observed"] for b in bins]
            ax.plot(xs, ys, color=SERIES[0], linewidth=1.2)
            for sparse in (False, True):
                sel = [b for b in bins if bool(b.get("sparse")) is sparse]
                if not sel:
                    continue
                sizes = [8 + 120 * b["n"] / total for b in sel]
                bx = [b["mean_predicted"] for b in sel]
                by = [b["observed"] for b in sel]
                if sparse:
                    ax.scatter(bx, by, s=sizes, facecolors="white", edgecolors=SERIES[0],
                               linewidths=1.0, zorder=3)
                else:
                    ax.scatter(bx, by, s=sizes, color=SERIES[0], linewidths=0, zorder=3)


#: Panel-grid figures: panel size (inches), x label, y label.
_PANELS = {
    "roc": (2.45, "1 \u2212 specificity", "sensitivity"),
    "calibration": (2.2, "mean predicted probability", "observed rate"),
}
_LAID_OUT = {"roc", "calibration"}  # laid out by _grid: no tight bounding box
_KINDS: dict[str, Callable] = {
    "forest": forest,
    "blob": blob,
    "significance": significance,
    "roc": roc,
    "calibration": calibration,
}
