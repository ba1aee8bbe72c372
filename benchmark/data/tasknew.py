"""``benchmark task new``: write a new binary task folder (and its dataset block when needed).

The scaffold is a working task: ``tasks/<id>/task.toml`` with one canonical (wide) format, one
metric per target (or one over all targets for a multi-label metric), the public id list copied
beside it, optional SYNTHETIC demo labels with their sha256 pinned, and a README generated from
the task file. When ``tasks/_datasets/<dataset>/dataset.toml`` exists the task includes it;
otherwise the dataset block is written there from the given description.

The folder is first written under ``tasks/_new-<id>`` (a name the registry skips), loaded and
checked like any task, then renamed: a scaffold that does not load leaves nothing behind.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..core.errors import UsageError
from ..core.fileio import atomic_write_text
from ..metrics import registry as metrics
from .csvio import read_csv_str, sha256_file
from .taskreadme import readme_text
from .tasks import Task, load_task

__all__ = ["DATASET_FIELDS", "NewTask", "dataset_file", "require_new_task_fields", "scaffold_task"]

#: Keys of a new ``[dataset]`` block, each with the question asked for it.
DATASET_FIELDS = {
    "name": "dataset name (as its authors write it)",
    "description": "dataset description (what was imaged, how many cases, how it was labelled)",
    "modality": "imaging modality (e.g. knee MRI, chest CT)",
    "citation": "citation of the dataset (authors, title, journal, year, doi)",
    "license": "licence or data use agreement (may it be redistributed?)",
}


@dataclass
class NewTask:
    """What ``benchmark task new`` needs; every field has a command-line flag."""

    id: str
    title: str
    description: str
    dataset: str
    targets: list[str]
    public_ids: Path
    metric: str = "roc_auc"
    split: str = "test"
    id_column: Optional[str] = None
    demo_labels: Optional[Path] = None
    dataset_block: dict[str, str] = field(default_factory=dict)


def _toml(value) -> str:
    """A TOML value: JSON's string and list syntax is valid TOML for strings and lists of them."""
    return json.dumps(value, ensure_ascii=False)


def dataset_file(root: Path, dataset: str) -> Path:
    return Path(root) / "tasks" / "_datasets" / dataset / "dataset.toml"


def _metric_block(spec: NewTask) -> tuple[str, str]:
    """The ``[[metrics]]`` table and the primary metric's name."""
    try:
        metric = metrics.get(spec.metric)
    except KeyError as exc:
        raise UsageError(f"--metric: {exc.args[0]}") from None
    if metric.input == "binary":
        short = re.sub(r"[^a-z0-9]+", "_", metric.display_name.lower()).strip("_")
        return (f'[[metrics]]\nname = "{short}/{{target}}"\nfn = {_toml(metric.name)}\neach_target = true\n',
                f"{short}/{spec.targets[0]}")
    if metric.input == "multilabel":
        return f"[[metrics]]\nname = {_toml(metric.name)}\nfn = {_toml(metric.name)}\n", metric.name
    raise UsageError(f"--metric {metric.name} scores {metric.input} predictions; a new task is scaffolded as a "
                     "binary task: choose a binary or multi-label metric, then edit task.toml.")


def _id_column(spec: NewTask) -> str:
    df, _ = read_csv_str(spec.public_ids)
    column = spec.id_column or str(df.columns[0])
    if column not in df.columns:
        raise UsageError(f"--id-column {column!r} is not a column of {spec.public_ids}; "
                         f"columns found: {', '.join(map(str, df.columns))}.")
    return column


def _task_toml(spec: NewTask, id_column: str, include: str) -> str:
    metric_block, primary = _metric_block(spec)
    labels = f"{spec.split}_labels.csv"
    split = [f"[splits.{spec.split}]", f'public_ids = "{spec.split}_ids.csv"']
    if spec.demo_labels is not None:
        split += [f'demo_labels = "{labels}"', f'demo_labels_sha256 = "{sha256_file(spec.demo_labels)}"']
    split.append(f'labels_file = "{spec.id}/{labels}"')
    head = [f"include = [{_toml(include)}]"] if include else []
    head += [
        f"id = {_toml(spec.id)}",
        'version = "1.0.0"',
        f"title = {_toml(spec.title)}",
        f"description = {_toml(spec.description)}",
        'kind = "binary"',
        f"id_column = {_toml(id_column)}",
        f"targets = {_toml(spec.targets)}",
        f"primary = {_toml(primary)}",
        f"default_split = {_toml(spec.split)}",
    ]
    fmt = ["[[formats]]", 'name = "canonical"', 'layout = "wide"', f"id_column = {_toml(id_column)}",
           "description = " + _toml(f"Header `{','.join([id_column, *spec.targets])}`, one row per case, "
                                    "a probability per target, any row order.")]
    parts = ["\n".join(head), metric_block.rstrip("\n"), "\n".join(fmt), "\n".join(split)]
    return "\n\n".join(parts) + "\n"


def _dataset_block(spec: NewTask) -> str:
    missing = [k for k in DATASET_FIELDS if not spec.dataset_block.get(k)]
    if missing:
        raise UsageError(f"dataset {spec.dataset!r} has no dataset.toml yet; describe it with "
                         + ", ".join(f"--dataset-{k}" for k in missing) + ".")
    lines = ["[dataset]", f"id = {_toml(spec.dataset)}"]
    lines += [f"{k} = {_toml(spec.dataset_block[k])}" for k in DATASET_FIELDS]
    return "\n".join(lines)


def scaffold_task(root: Path, spec: NewTask) -> tuple[Task, list[Path]]:
    """Write ``tasks/<spec.id>/`` (and a new dataset block) under ``root``; the task and the files written."""
    tasks_dir = Path(root) / "tasks"
    final = tasks_dir / spec.id
    _folder_name(spec.id, "task id")
    _folder_name(spec.dataset, "--dataset")
    if final.exists():
        raise UsageError(f"{final} exists already; choose another task id (see 'benchmark tasks').")
    for path, flag in ((spec.public_ids, "--public-ids"), (spec.demo_labels, "--demo-labels")):
        if path is not None and not Path(path).is_file():
            raise UsageError(f"{flag} {path} is not a file.")
    id_column = _id_column(spec)
    ds_file = dataset_file(root, spec.dataset)
    new_dataset = not ds_file.is_file()
    block = _dataset_block(spec) if new_dataset else ""
    written: list[Path] = []
    work = tasks_dir / f"_new-{spec.id}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        if new_dataset:
            ds_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(ds_file, f"# Shared dataset block of the tasks built on {spec.dataset}.\n{block}\n")
            written.append(ds_file)
        include = "../_datasets/" + spec.dataset + "/dataset.toml"
        shutil.copyfile(spec.public_ids, work / f"{spec.split}_ids.csv")
        if spec.demo_labels is not None:
            shutil.copyfile(spec.demo_labels, work / f"{spec.split}_labels.csv")
        atomic_write_text(work / "task.toml", _task_toml(spec, id_column, include))
        task = load_task(work / "task.toml")
        atomic_write_text(work / "README.md", readme_text(task))
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if new_dataset and ds_file in written:
            ds_file.unlink()
            if not any(ds_file.parent.iterdir()):
                ds_file.parent.rmdir()
        raise
    task = load_task(final / "task.toml")
    names = ["task.toml", "README.md", f"{spec.split}_ids.csv"]
    names += [f"{spec.split}_labels.csv"] if spec.demo_labels is not None else []
    return task, written + [final / n for n in names]


def _folder_name(value: str, what: str) -> None:
    """A plain folder name (the task file then checks the task id's own rule when it loads)."""
    if not value or Path(value).name != value or value.startswith((".", "_")):
        raise UsageError(f"{what} must be a plain folder name (no '/', not starting with '.' or '_'). "
                         f"Got {value!r} instead.")


def require_new_task_fields(spec: NewTask) -> None:
    """Refuse an incomplete description before anything is written."""
    if not spec.targets or not all(t.strip() for t in spec.targets):
        raise UsageError(f"--targets must be target names separated by commas. Got {','.join(spec.targets)!r} instead.")
    for key in ("title", "description", "dataset"):
        if not getattr(spec, key):
            raise UsageError(f"--{key} is required.")
    if not isinstance(spec.public_ids, Path):
        raise UsageError("--public-ids FILE is required: the ids a submission must cover (CSV with a header).")

