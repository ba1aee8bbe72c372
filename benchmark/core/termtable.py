"""Plain-text tables for the terminal (the command line and the leaderboard's text view)."""

from __future__ import annotations

from typing import Optional


def plain_table(headers: list[str], rows: list[list[str]], align_right: Optional[set] = None) -> str:
    """Columns padded to their widest cell, two spaces apart, a rule under the header.

    >>> print(plain_table(["a", "bb"], [["1", "2"], ["333", "4"]], {0}))
      a  bb
    ---  --
      1  2
    333  4
    """
    align_right = align_right or set()
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def fmt(cells):
        return "  ".join(
            c.rjust(w) if i in align_right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)
