"""``benchmark demo``: score every committed demo submission against the synthetic demo labels,
print one table per task and build the leaderboard.

The demo data themselves are written by the generator ``python -m benchmark.demo.generate``
(``make demo-data``), which the package never imports at run time.
"""

from __future__ import annotations

from ..core.errors import EXIT_OK
from ..leaderboard.board import score_all_tasks
from ..leaderboard.site.render import build_site
from .common import registry
from .leaderboard import site_folder
from .terminal import Progress


def run(args) -> int:
    """Score every demo submission of every task and print one table per task."""
    reg = registry(args)
    with Progress([t.id for t in reg]) as bar:
        boards = score_all_tasks(reg, replicates=args.bootstrap, progress=bar)
    for board in boards:
        print()
        print(board.text_table())
    if not args.no_site:
        index = build_site(reg, boards, site_folder(reg, args.out))
        print()
        print(f"leaderboard: {index}")
    return EXIT_OK
