"""``benchmark leaderboard build``: score every task and render the site, or keep the site when
nothing it is made from changed.

A build reads every task's labels and submission folders and computes each submission's cache
key (the sha256 of its predictions under the task's plan, :mod:`benchmark.leaderboard.cache`).
When every result is in the cache, these keys, the disclosure decisions, the submissions'
metadata and the site's own inputs (:func:`~benchmark.leaderboard.site.render.site_inputs`)
define the whole output: the *build memo* (``<cache>/build.memo``) records their sha256 next
to the site key of the pages rendered from them. A build with the same inputs keeps the pages
(each checked against the sha256 it was written with, as the site memo does) without reading
a cached result, ranking a board or rendering a page; anything else (a new, changed or
removed submission, other labels, another date crossing a reveal, new code or templates, a
missing or edited page) goes through the full build, which scores only what the cache misses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from ..core.executor import Executor
from ..core.fileio import atomic_write_text
from ..data.tasks import TaskRegistry
from .board import run_builds, prepare_builds, results_folder
from .cache import sha
from .site.render import keep_site, render_site, site_inputs

__all__ = ["BUILD_MEMO", "build_leaderboard"]

BUILD_MEMO = "build.memo"
_SCHEMA = "build-inputs-1"


def _inputs(reg: TaskRegistry, builds) -> Optional[str]:
    keys = [b.inputs() for b in builds]
    if any(k is None for k in keys):
        return None
    return sha({"schema": _SCHEMA, "tasks": [[b.task.id, k] for b, k in zip(builds, keys)],
                "site": site_inputs(getattr(reg, "root", None))})


def _recorded(memo: Path) -> list[str]:
    try:
        return memo.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return []


def build_leaderboard(
    reg: TaskRegistry,
    out,
    *,
    labels=None,
    replicates: Optional[int] = None,
    progress: Optional[Callable[[str], None]] = None,
    cache_dir=None,
    now=None,
    withhold: bool = True,
    identity=None,
    executor: Optional[Executor] = None,
    workers: Optional[int] = None,
) -> Path:
    """Score every submission of every task (cached results reused) and render the site into
    ``out``; returns the path of ``index.html``. Arguments as for
    :func:`~benchmark.leaderboard.board.score_all_tasks`. The output is the same bytes as
    ``build_site(reg, score_all_tasks(...), out)``; an unchanged build keeps it as it is."""
    out = Path(out)
    cache = results_folder(reg, cache_dir)
    builds = prepare_builds(reg, labels, replicates, progress, cache, now, withhold, identity)
    memo = None if cache is None else cache / BUILD_MEMO
    inputs = _inputs(reg, builds) if memo is not None else None
    if inputs is not None:
        recorded = _recorded(memo)
        if len(recorded) == 2 and recorded[0] == inputs:
            index = keep_site(out, cache, recorded[1])
            if index is not None:
                return index
    for b in builds:
        b.load()
    boards = run_builds(builds, executor, workers)
    index, site_key = render_site(reg, boards, out, cache_dir=cache)
    if memo is not None:
        inputs = _inputs(reg, builds)  # what was scored is in the cache now
        if inputs is not None and site_key is not None:
            atomic_write_text(memo, f"{inputs}\n{site_key}\n")
    return index
