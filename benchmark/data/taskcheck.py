"""``benchmark task check [ID]``: the checks a maintainer runs after adding or editing a task.

For each task: the task file (with its includes) parses; every split's public id list loads
(id column, public columns, no duplicate ids); the committed demo labels load, cover exactly the
public ids and match the sha256 the task pins. ``--write-pins`` writes missing or outdated
``demo_labels_sha256`` pins into the file that declares the split (task.toml or the included
dataset.toml), so nobody computes a hash by hand. Every problem of every task is reported in
one pass; the exit code is 1 when any remains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..core.errors import BenchmarkError
from ..core.fileio import atomic_write_text
from .csvio import sha256_file
from .labels import load_labels
from .public import load_public
from .tasks import Task, TaskRegistry

__all__ = ["TaskCheck", "check_task", "write_pin"]


@dataclass
class TaskCheck:
    task_id: str
    checked: list[str]
    problems: list[str]
    pins_written: list[str]


def _declaring_file(task: Task, split: str) -> Optional[Path]:
    """The TOML file whose ``[splits.<split>]`` table declares ``demo_labels``."""
    own = task.task_dir / "task.toml"
    files = [own]
    text = own.read_text(encoding="utf-8")
    for inc in re.findall(r'"([^"]+\.toml)"', text.split("\n[", 1)[0]):
        files.append((task.task_dir / inc).resolve())
    for f in files:
        if not f.is_file():
            continue
        body = f.read_text(encoding="utf-8")
        m = re.search(rf"^\[splits\.{re.escape(split)}\]\s*$(.*?)(?=^\[|\Z)", body, re.M | re.S)
        if m and re.search(r"^demo_labels\s*=", m.group(1), re.M):
            return f
    return None


def write_pin(task: Task, split: str, digest: str) -> Path:
    """Set ``demo_labels_sha256`` of ``[splits.<split>]`` to ``digest`` in its declaring file."""
    f = _declaring_file(task, split)
    if f is None:
        raise BenchmarkError(f"{task.id}: cannot find the file declaring [splits.{split}] demo_labels")
    body = f.read_text(encoding="utf-8")
    m = re.search(rf"^\[splits\.{re.escape(split)}\]\s*$(.*?)(?=^\[|\Z)", body, re.M | re.S)
    block = m.group(1)
    line = f'demo_labels_sha256 = "{digest}"'
    if re.search(r"^demo_labels_sha256\s*=.*$", block, re.M):
        new_block = re.sub(r"^demo_labels_sha256\s*=.*$", line, block, count=1, flags=re.M)
    else:
        new_block = re.sub(r"^(demo_labels\s*=.*)$", rf"\1\n{line}", block, count=1, flags=re.M)
    atomic_write_text(f, body[: m.start(1)] + new_block + body[m.end(1):])
    return f


def check_task(task: Task, write_pins: bool = False) -> TaskCheck:
    out = TaskCheck(task.id, [], [], [])
    for name, decl in sorted(task.splits.items()):
        try:
            pub = load_public(task, name)
            out.checked.append(f"split {name}: public id list, {len(pub)} cases")
        except BenchmarkError as exc:
            out.problems.append(f"split {name}: {exc}")
            continue
        if not decl.demo_labels:
            continue
        path = task.path(decl.demo_labels)
        if not path.is_file():
            out.problems.append(f"split {name}: demo labels {decl.demo_labels} not found")
            continue
        digest = sha256_file(path)
        if decl.demo_labels_sha256 != digest:
            if write_pins:
                f = write_pin(task, name, digest)
                out.pins_written.append(f"split {name}: demo_labels_sha256 = {digest} written to {f.name}")
            else:
                was = decl.demo_labels_sha256 or "no pin"
                out.problems.append(
                    f"split {name}: demo labels sha256 is {digest}, the task pins {was} "
                    "(run with --write-pins to record it)"
                )
                continue
        try:
            labels = load_labels(task, name, demo=True, allow_hash_mismatch=True)
        except BenchmarkError as exc:
            out.problems.append(f"split {name}: demo labels: {exc}")
            continue
        if not labels.synthetic:
            out.problems.append(f"split {name}: demo labels {decl.demo_labels} lack a '# SYNTHETIC' first line")
        out.checked.append(f"split {name}: demo labels cover the {len(labels)} public cases, sha256 pinned")
    return out


def run(reg: TaskRegistry, ids: list[str], write_pins: bool, echo) -> int:
    tasks = [reg.get(i) for i in ids] if ids else list(reg)
    failed = 0
    for t in tasks:
        res = check_task(t, write_pins)
        status = "problems" if res.problems else "ok"
        echo(f"{t.id}: {status}")
        for line in res.checked:
            echo(f"  checked: {line}")
        for line in res.pins_written:
            echo(f"  wrote: {line}")
        for line in res.problems:
            echo(f"  problem: {line}")
        failed += bool(res.problems)
    echo(f"{len(tasks)} task(s) checked, {failed} with problems.")
    return 1 if failed else 0
