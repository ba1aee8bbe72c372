"""Plain-text tables of a task's leaderboard (the ``benchmark leaderboard show`` output)."""

from __future__ import annotations

import shutil
from typing import Optional

from ..core.formatting import DEMO_BANNER, format_value
from ..core.termtable import plain_table

__all__ = ["board_text_table"]


def board_text_table(board, width: Optional[int] = None) -> str:
    """Every metric of every scored submission of a
    :class:`~benchmark.leaderboard.board.TaskBoard`, as plain-text tables no wider than
    ``width`` (default: the terminal's width): metrics that do not fit continue in another
    table below, which repeats the rank and submission columns. Nothing is dropped."""
    t = board.task
    spec = t.primary_spec
    out = [
        f"{t.id}: {t.title}" + (f" [{DEMO_BANNER}]" if board.labels.synthetic else ""),
        f"split {board.labels.split}, {len(board.labels)} cases; primary {t.primary} "
        f"({'higher' if spec.higher_is_better else 'lower'} is better)",
    ]
    if board.labels.synthetic:
        out.append(f"*** {DEMO_BANNER} — scores are illustrative, not real results ***")
    width = width or shutil.get_terminal_size((100, 24)).columns
    specs = t.metric_specs()
    shown = [s.name for s in specs[1:] if s.subgroup is None] + [s.name for s in specs if s.subgroup]
    shown = [n for n in shown if n in board.metric_names]
    fixed_h = ["rank", "submission", t.primary, f"{board.settings.level:.0%} CI"]
    fixed, cols = [], {n: [] for n in shown}
    for r in board.scored:
        res = r.result
        pm = res.metrics[t.primary]
        ci = "" if not pm.ci or pm.ci[0] is None else f"[{format_value(pm.ci[0])}, {format_value(pm.ci[1])}]"
        fixed.append(["–" if r.rank is None else str(r.rank), r.entry.label, pm.display_value, ci])
        for n in shown:
            cols[n].append(res.metrics[n].display_value)

    if not any(f[3] for f in fixed):  # no intervals (bootstrap off): no empty column
        fixed_h, fixed = fixed_h[:3], [f[:3] for f in fixed]

    def col_width(h, values):
        return max([len(h), *map(len, values)])

    def base(n_fixed):
        return sum(col_width(h, [f[i] for f in fixed]) + 2 for i, h in enumerate(fixed_h[:n_fixed]))

    # the first table carries the primary metric; the ones that continue it only the names
    blocks, cur, used = [], [], base(len(fixed_h))
    for n in shown:
        w = col_width(n, cols[n]) + 2
        if cur and used + w > width:
            blocks.append(cur)
            cur, used = [], base(2)
        cur.append(n)
        used += w
    blocks.append(cur)
    for k, block in enumerate(blocks):
        n_fixed = 2 if k else len(fixed_h)
        if k:
            out.append("")
            out.append(f"{t.id} (continued)")
        rows = [f[:n_fixed] + [cols[n][i] for n in block] for i, f in enumerate(fixed)]
        right = {0} | set(range(2, n_fixed + len(block)))  # numbers right-aligned
        out.append(plain_table(fixed_h[:n_fixed] + block, rows, right - ({3} if n_fixed == 4 else set())))
    for r in board.invalid:
        out.append(f"invalid: {r.entry.name}: {len(r.problems.problems)} problem(s)")
    return "\n".join(out)
