"""Building blocks of the site's figures: inline SVG written as text, in two sizes.

Every figure is drawn twice from the same data: a wide drawing (``WIDE``, 720 units, shown
from 40rem up at no more than its natural size) and a narrow one (``NARROW``, 360 units, shown
on phones), each with a ``viewBox`` so it scales to its column. Text is at least
``Size.font`` units (12 wide, 11 narrow), so it stays at 10 px or more wherever that drawing is
shown (the wide one from a 600 px column, the narrow one from a 330 px column).

Rules every figure follows:

* colours are CSS custom properties (``var(--plot-c1)``...) or ``currentColor``, so one SVG
  follows the page's light or dark scheme; no colour is the only cue (shapes, symbols, text);
* the root carries ``role="img"``, an ``aria-label`` (the figure's alt text), a ``<title>`` and
  a ``<desc>``; every mark that names an entry has a ``<title>`` with the full name (a tooltip);
* a label longer than :data:`LABEL_CHARS` characters is cut by :func:`short_label` (the one
  truncation rule of every figure), its full text kept in the ``<title>``;
* numbers are written by :func:`n` (fixed decimals): the same data gives the same bytes on any
  machine; ids are prefixed with the figure's id and size, so figures can share a page.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ...core.fileio import atomic_write_text

__all__ = [
    "Size", "WIDE", "NARROW", "SIZES", "LABEL_CHARS", "short_label", "esc", "n", "text_width",
    "nice_ticks", "Drawing", "both_sizes", "FigureCache",
]

LABEL_CHARS = 24  # the one truncation rule of figure labels (full text in the <title>)


@dataclass(frozen=True)
class Size:
    """One drawing size: total width in viewBox units, font size, row height."""

    name: str
    width: int
    font: int
    row: int


WIDE = Size("wide", 720, 12, 20)
NARROW = Size("narrow", 360, 11, 18)
SIZES = (WIDE, NARROW)


def esc(text) -> str:
    """``text`` escaped for an SVG text node or attribute."""
    return html.escape(str(text), quote=True)


def n(v: float) -> str:
    """A coordinate with two decimals, without a trailing ``.00`` (deterministic text)."""
    s = f"{float(v):.2f}"
    s = s.rstrip("0").rstrip(".") if "." in s else s
    return "0" if s in ("-0", "") else s


def short_label(text: str, chars: int = LABEL_CHARS) -> str:
    """``text`` cut to ``chars`` characters with an ellipsis (the figures' one truncation rule).

    >>> short_label("Lab A / resnet"), short_label("x" * 30)
    ('Lab A / resnet', 'xxxxxxxxxxxxxxxxxxxxxxx\u2026')
    """
    text = str(text)
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


def text_width(text: str, font: float) -> float:
    """A generous estimate of the drawn width of ``text`` (0.6 em per character)."""
    return 0.6 * font * len(str(text))


def nice_ticks(lo: float, hi: float, n_ticks: int = 4) -> list[float]:
    """About ``n_ticks`` round tick values covering ``[lo, hi]`` (steps of 1, 2 or 5 times a
    power of ten).

    >>> nice_ticks(0.61, 0.93)
    [0.6, 0.7, 0.8, 0.9, 1.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n_ticks, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step + 1e-9) * step
    out = []
    v = first
    while v < hi + step - 1e-9:
        out.append(round(v, 12))
        v += step
    return out


def tick_text(v: float, ticks: list[float]) -> str:
    """A tick value with as many decimals as the tick step needs (at most 4)."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    digits = 0 if step >= 1 else min(4, max(0, -math.floor(math.log10(step) + 1e-9)))
    return f"{v:.{digits}f}"


class Drawing:
    """An SVG document built element by element (each method appends one element)."""

    def __init__(self, uid: str, size: Size, alt: str, title: str, desc: str):
        self.uid = f"{uid}-{size.name}"
        self.size = size
        self.alt, self.title, self.desc = alt, title, desc
        self.parts: list[str] = []
        self.defs: list[str] = []

    def id(self, name: str) -> str:
        return f"{self.uid}-{name}"

    def add(self, raw: str) -> None:
        self.parts.append(raw)

    def line(self, x1, y1, x2, y2, stroke="currentColor", width=1.0, dash=None, cls=None) -> None:
        extra = (f' stroke-dasharray="{dash}"' if dash else "") + (f' class="{cls}"' if cls else "")
        self.parts.append(f'<line x1="{n(x1)}" y1="{n(y1)}" x2="{n(x2)}" y2="{n(y2)}" '
                          f'stroke="{stroke}" stroke-width="{n(width)}"{extra}/>')

    def rect(self, x, y, w, h, fill, stroke=None, width=0.5, title=None, opacity=None) -> None:
        extra = (f' stroke="{stroke}" stroke-width="{n(width)}"' if stroke else "") + (
            f' fill-opacity="{opacity}"' if opacity is not None else "")
        body = f"<title>{esc(title)}</title>" if title else ""
        tag = f'<rect x="{n(x)}" y="{n(y)}" width="{n(w)}" height="{n(h)}" fill="{fill}"{extra}'
        self.parts.append(f"{tag}>{body}</rect>" if body else f"{tag}/>")

    def circle(self, cx, cy, r, fill, stroke=None, width=1.0, opacity=None, title=None) -> None:
        extra = (f' stroke="{stroke}" stroke-width="{n(width)}"' if stroke else "") + (
            f' fill-opacity="{opacity}"' if opacity is not None else "")
        tag = f'<circle cx="{n(cx)}" cy="{n(cy)}" r="{n(r)}" fill="{fill}"{extra}'
        self.parts.append(f"{tag}><title>{esc(title)}</title></circle>" if title else f"{tag}/>")

    def path(self, d: str, fill="none", stroke="currentColor", width=1.0, dash=None, opacity=None, title=None) -> None:
        extra = (f' stroke-dasharray="{dash}"' if dash else "") + (
            f' fill-opacity="{opacity}"' if opacity is not None else "")
        tag = f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{n(width)}"{extra}'
        self.parts.append(f"{tag}><title>{esc(title)}</title></path>" if title else f"{tag}/>")

    def text(self, x, y, s, anchor="start", size=None, fill="currentColor", weight=None, rotate=None, title=None) -> None:
        font = size or self.size.font
        extra = (f' font-weight="{weight}"' if weight else "") + (
            f' transform="rotate({rotate} {n(x)} {n(y)})"' if rotate is not None else "")
        body = esc(s) + (f"<title>{esc(title)}</title>" if title else "")
        self.parts.append(f'<text x="{n(x)}" y="{n(y)}" font-size="{font}" text-anchor="{anchor}" '
                          f'fill="{fill}"{extra}>{body}</text>')

    def group(self, title: str) -> "_Group":
        return _Group(self, title)

    def marker(self, shape: str, x, y, r, fill, stroke=None, title=None) -> None:
        """A point mark: ``circle``, ``square``, ``diamond`` or ``triangle``."""
        if shape == "circle":
            self.circle(x, y, r, fill, stroke=stroke, width=1.2, title=title)
            return
        if shape == "square":
            d = f"M{n(x - r)} {n(y - r)}h{n(2 * r)}v{n(2 * r)}h{n(-2 * r)}Z"
        elif shape == "diamond":
            q = r * 1.3
            d = f"M{n(x)} {n(y - q)}L{n(x + q)} {n(y)}L{n(x)} {n(y + q)}L{n(x - q)} {n(y)}Z"
        else:
            d = f"M{n(x)} {n(y - r * 1.2)}L{n(x + r * 1.1)} {n(y + r * 0.8)}L{n(x - r * 1.1)} {n(y + r * 0.8)}Z"
        self.path(d, fill=fill, stroke=stroke or "none", width=1.2, title=title)

    def svg(self, height: float) -> str:
        w = self.size.width
        tid, did = self.id("title"), self.id("desc")
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        return (
            f'<svg class="plot {self.size.name}" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {w} {n(height)}" style="max-width: {w}px" role="img" '
            f'aria-label="{esc(self.alt)}" aria-describedby="{did}" focusable="false" '
            f'font-family="inherit" color="currentColor">'
            f'<title id="{tid}">{esc(self.title)}</title><desc id="{did}">{esc(self.desc)}</desc>'
            f"{defs}{''.join(self.parts)}</svg>"
        )


class _Group:
    """``with drawing.group(title):`` wraps the elements added inside in ``<g>`` with a tooltip."""

    def __init__(self, drawing: Drawing, title: str):
        self.d, self.title = drawing, title

    def __enter__(self):
        self.d.parts.append(f"<g><title>{esc(self.title)}</title>")
        return self.d

    def __exit__(self, *exc):
        self.d.parts.append("</g>")
        return False


HERE = Path(__file__).resolve().parent
#: The drawing code: part of every cached figure's key.
SOURCE = hashlib.sha256(b"".join((HERE / f).read_bytes() for f in ("svg.py", "task_figures.py",
                                                                     "entry_figures.py"))).hexdigest()


class FigureCache:
    """Drawn figures under ``<folder>/svg/``, keyed by the drawing function, its data and
    :data:`SOURCE`, so an unchanged rebuild draws nothing. ``folder=None``: no cache."""

    def __init__(self, folder=None):
        self.folder = None if folder is None else Path(folder) / "svg"

    def get(self, draw, data: dict) -> str:
        if self.folder is None:
            return _both(draw, data)
        text = json.dumps({"fn": draw.__name__, "data": data, "src": SOURCE}, sort_keys=True, default=str)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        path = self.folder / key[:2] / f"{key}.svg"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            svg = _both(draw, data)
            atomic_write_text(path, svg)
            return svg


def _both(draw, data: dict) -> str:
    return "\n".join(draw(size, data) for size in SIZES) + "\n"


def both_sizes(draw, data: dict, cache: Optional[FigureCache] = None) -> str:
    """The wide and the narrow drawing of one figure (``draw(size, data)`` returns an SVG),
    taken from ``cache`` when it holds them."""
    return (cache or _NO_CACHE).get(draw, data)


_NO_CACHE = FigureCache(None)
