"""``benchmark leaderboard build``: score every submission of every task and render the static site."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import EXIT_OK
from ..core.executor import open_executor
from ..data.tasks import output_root
from ..leaderboard.build import build_leaderboard
from .common import registry
from .terminal import Progress


def site_folder(reg, out) -> Path:
    """``--out``, else ``leaderboard/`` of the output root."""
    return Path(out or (output_root(reg.root) / "leaderboard"))


def run(args) -> int:
    reg = registry(args)
    with Progress([t.id for t in reg]) as bar, open_executor(args.scheduler) as executor:
        index = build_leaderboard(reg, site_folder(reg, args.out), labels=args.labels, progress=bar,
                                  cache_dir=args.cache, now=args.now, identity=args.identity, executor=executor)
    print(index)
    return EXIT_OK

