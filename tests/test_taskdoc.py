"""docs/tasks.md is the generated reference of every task.toml key and stays current."""

import tomllib
from pathlib import Path

from benchmark.data.taskdoc import reference_markdown
from benchmark.data.tasks import Task

ROOT = Path(__file__).resolve().parent.parent


def test_committed_reference_is_current():
    assert (ROOT / "docs" / "tasks.md").read_text(encoding="utf-8") == reference_markdown(), (
        "docs/tasks.md is stale: run `python -m benchmark.data.taskdoc > docs/tasks.md`"
    )


def test_every_key_used_by_the_committed_tasks_is_documented():
    text = reference_markdown()
    documented = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `")}

    used = set()
    for p in list(ROOT.glob("tasks/*/task.toml")) + list(ROOT.glob("tasks/_datasets/*/dataset.toml")):
        data = tomllib.loads(p.read_text(encoding="utf-8"))
        used |= set(data)
        for table in ("dataset", "resampling", "limits", "leaderboard"):
            used |= set(data.get(table, {}))
        for array in ("metrics", "formats", "baselines", "references", "subgroups"):
            for item in data.get(array, []):
                used |= set(item)
        for decl in data.get("splits", {}).values():
            used |= set(decl)
    used -= {"include"}  # handled by the loader, described in the introduction
    assert used <= documented, sorted(used - documented)
    for field in Task.model_fields:
        if field != "task_dir":
            assert f"| `{field}` |" in text
