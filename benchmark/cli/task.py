"""``benchmark task check`` and ``benchmark task new``: maintainer commands for task files."""

from __future__ import annotations

from ..data.taskcheck import run as check_tasks
from .common import registry


def run_check(args) -> int:
    return check_tasks(registry(args), args.ids, args.write_pins, print)
