"""``benchmark tasks``: the tasks with their primary metric, direction and splits."""

from __future__ import annotations

from ..core.errors import EXIT_OK
from ..core.termtable import plain_table
from .common import registry


def run(args) -> int:
    rows = []
    for t in registry(args):
        spec = t.primary_spec
        rows.append(
            [
                t.id,
                t.title,
                f"{t.primary} ({spec.metric.display_name})",
                "higher is better" if spec.higher_is_better else "lower is better",
                ", ".join(sorted(t.splits)),
            ]
        )
    print(plain_table(["task", "title", "primary metric", "direction", "splits"], rows))
    return EXIT_OK
