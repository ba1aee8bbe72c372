"""``benchmark task check`` and ``benchmark task new``: maintainer commands for task files."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.errors import EXIT_HOST_ERROR, EXIT_OK, UsageError
from ..data.taskcheck import check_task, run as check_tasks
from ..data.tasknew import DATASET_FIELDS, NewTask, dataset_file, require_new_task_fields, scaffold_task
from ..data.tasks import find_root
from .common import registry
from .terminal import info


def run_check(args) -> int:
    return check_tasks(registry(args), args.ids, args.write_pins, print, write_readme=args.write_readme)


def _ask(question: str, default: str = "") -> str:
    """One short question on the terminal; the default is taken on an empty answer."""
    shown = f" [{default}]" if default else ""
    try:
        answer = input(f"{question}{shown}: ").strip()
    except EOFError:
        answer = ""
    return answer or default


def _spec(args, root: Path) -> NewTask:
    """The new task from the flags, asking for what is missing when stdin is a terminal."""
    interactive = sys.stdin.isatty() and not args.no_input
    values = {k: getattr(args, k) for k in ("title", "description", "dataset", "targets", "public_ids")}
    questions = {
        "title": "one-line title",
        "description": "what is predicted and how it is scored, with sources",
        "dataset": "dataset id (a folder under tasks/_datasets/, existing or new)",
        "targets": "targets, comma-separated (one 0/1 label column each)",
        "public_ids": "public id list (CSV with a header; the ids a submission must cover)",
    }
    for key, question in questions.items():
        if not values[key] and interactive:
            values[key] = _ask(question)
    block = {k: getattr(args, f"dataset_{k}") for k in DATASET_FIELDS}
    if values["dataset"] and not dataset_file(root, values["dataset"]).is_file() and interactive:
        for key, question in DATASET_FIELDS.items():
            if not block[key]:
                block[key] = _ask(question)
    spec = NewTask(
        id=args.id,
        title=values["title"] or "",
        description=values["description"] or "",
        dataset=values["dataset"] or "",
        targets=[t.strip() for t in (values["targets"] or "").split(",") if t.strip()],
        public_ids=Path(values["public_ids"]) if values["public_ids"] else None,
        metric=args.metric,
        split=args.split,
        id_column=args.id_column,
        demo_labels=Path(args.demo_labels) if args.demo_labels else None,
        dataset_block={k: v for k, v in block.items() if v},
    )
    require_new_task_fields(spec)
    return spec


def run_new(args) -> int:
    root = Path(args.root).resolve() if args.root else find_root()
    if not (root / "tasks").is_dir():
        raise UsageError(f"no tasks/ folder under {root}; pass --root to the benchmark checkout.")
    task, written = scaffold_task(root, _spec(args, root))
    for path in written:
        print(f"wrote {path.relative_to(root).as_posix()}")
    res = check_task(task)
    for line in res.checked:
        info(f"  checked: {line}")
    for line in res.problems:
        print(f"  problem: {line}")
    steps = [f"edit tasks/{task.id}/task.toml (resampling, limits, baselines with their sources; "
             "docs/tasks.md lists every key)",
             f"run 'benchmark task check {task.id} --write-readme' after each edit"]
    if args.demo_labels is None:
        steps.insert(0, f"add SYNTHETIC demo labels (demo_labels in [splits.{args.split}]) so the demo and a "
                        f"build without --labels can score the task; then 'benchmark task check {task.id} --write-pins'")
    print("next: " + "; ".join(steps) + ".")
    return EXIT_HOST_ERROR if res.problems else EXIT_OK
