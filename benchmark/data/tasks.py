"""Task model and registry.

A task is data: a ``tasks/<task-id>/task.toml`` file, optionally including a shared dataset
block (``include = ["../_datasets/<dataset>/dataset.toml"]``, see :mod:`benchmark.data.includes`),
declares what is scored and how. This module parses those files into a frozen pydantic
:class:`Task` (its tables are the models of :mod:`benchmark.data.declarations`) and keeps a
registry of them. Folders whose name starts with ``_`` hold shared material and are not tasks.

>>> from benchmark.data.tasks import load_registry
>>> reg = load_registry()
>>> reg.get(reg.ids()[0]).id == reg.ids()[0]
True
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..core.errors import TaskError, UnknownName
from ..metrics import registry as metric_registry
from .contracts import check_task, register_task_hooks
from .declarations import (
    BaselineDecl,
    ConfidentialDecl,
    Dataset,
    FormatDecl,
    HookDecl,
    LeaderboardDecl,
    LimitsDecl,
    MetricDecl,
    NativeDecl,
    ReferenceDecl,
    ResamplingDecl,
    SplitDecl,
    SubgroupDecl,
)
from .hooks import hook_path
from .includes import load_with_includes

__all__ = [
    "Task",
    "MetricSpec",
    "TaskRegistry",
    "did_you_mean",
    "load_registry",
    "load_task",
    "find_root",
    "is_bundled",
    "output_root",
]

@dataclass(frozen=True)
class MetricSpec:
    """A metric of a task, expanded and bound to columns (and optionally a subgroup)."""

    name: str
    fn: str
    targets: tuple[str, ...]
    target_index: tuple[int, ...]
    subgroup: Optional[tuple[str, str]]
    primary: bool

    @property
    def metric(self):
        return metric_registry.get(self.fn)

    @property
    def higher_is_better(self) -> bool:
        return self.metric.higher_is_better

    @property
    def display_name(self) -> str:
        base = self.metric.display_name
        if len(self.targets) == 1 and self.metric.per_target:
            base = f"{base} ({self.targets[0]})"
        if self.subgroup:
            base += f" [{self.subgroup[0]}={self.subgroup[1]}]"
        return base


class Task(BaseModel):
    """A benchmark task, as declared by ``tasks/<id>/task.toml``."""

    id: str = Field(description="task id: lower-case letters, digits and hyphens; the folder name")
    version: str = Field(description="task version; results record it, so change it when scoring changes")
    title: str = Field(description="one-line title shown in listings and on the leaderboard")
    description: str = Field(description="what is predicted and how it is scored, with sources")
    dataset: Dataset = Field(description="the dataset block (usually from the included dataset.toml)")
    kind: Literal["binary", "multiclass"] = Field(
        description="binary: one probability per target; multiclass: one probability per class per target"
    )
    id_column: str = Field(description="name of the case id column in id lists and label files")
    id_pattern: Optional[str] = Field(
        default=None, description="regular expression a case id matches (helps tell ids from values)"
    )
    id_example: str = Field(default="", description="an example case id, used in messages")
    targets: list[str] = Field(description="the predicted targets, in column order")
    classes: list[str] = Field(
        default_factory=list, description="class names of a multiclass task, in column order"
    )
    label_values: dict[str, int] = Field(
        default_factory=dict, description="label text to class index, e.g. { \"Normal/Mild\" = 0 }"
    )
    native: list[NativeDecl] = Field(
        default_factory=list,
        description="label file layouts of the dataset's own release, read when --labels points at them "
        "(benchmark.data.native)",
    )
    primary: str = Field(description="name of the primary (ranking) metric, after expansion (e.g. auc/bankart)")
    metrics: list[MetricDecl] = Field(description="the metrics: registered metric functions bound to targets (each_target: one per target)")
    formats: list[FormatDecl] = Field(description="accepted submission formats")
    splits: dict[str, SplitDecl] = Field(description="the splits by name (test, valid, ...)")
    default_split: str = Field(description="split used when --split is not given")
    public_columns: list[str] = Field(
        default_factory=list,
        description="public columns of the id list (patient id, modality) used for clustering and subgroups",
    )
    subgroups: list[SubgroupDecl] = Field(default_factory=list, description="subgroups metrics are also reported for")
    resampling: ResamplingDecl = Field(default_factory=ResamplingDecl, description="bootstrap defaults and design")
    limits: LimitsDecl = Field(default_factory=LimitsDecl, description="submission limits")
    leaderboard: LeaderboardDecl = Field(default_factory=LeaderboardDecl, description="leaderboard mode and disclosure")
    baselines: list[BaselineDecl] = Field(
        default_factory=list, description="published reader operating points (never ranked)"
    )
    references: list[ReferenceDecl] = Field(
        default_factory=list, description="published model results (shown, never ranked)"
    )
    confidential_predictions: bool = Field(
        default=False,
        description="predictions are submitted encrypted to confidential.recipient (predictions.csv.age); "
        "nobody but the grader can read them",
    )
    confidential: Optional[ConfidentialDecl] = Field(default=None, description="the grader's encryption recipient")
    hooks: dict[str, HookDecl] = Field(
        default_factory=dict,
        description="Python modules of the dataset, by kind ([hooks.metrics]: the competition metrics it registers)",
    )
    task_dir: Path = Field(exclude=True)

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    def __setstate__(self, state):
        # A task unpickled in a worker process that never loaded it (spawn, distributed) brings
        # its dataset's metrics with it: register them there as the loader did.
        super().__setstate__(state)
        if self.hooks:
            register_task_hooks(self, self.task_dir / "task.toml")

    @model_validator(mode="after")
    def _check(self):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.id):
            raise ValueError(f"task id must match [a-z0-9][a-z0-9-]*. Got {self.id!r} instead.")
        if len(set(self.targets)) != len(self.targets) or not self.targets:
            raise ValueError("targets must be a non-empty list of distinct names.")
        if self.kind == "multiclass" and len(self.classes) < 2:
            raise ValueError("a multiclass task must declare at least two classes.")
        if self.default_split not in self.splits:
            raise ValueError(
                f"default_split must be one of {sorted(self.splits)}. Got {self.default_split!r} instead."
            )
        names = [f.name for f in self.formats]
        if not names or len(set(names)) != len(names):
            raise ValueError("formats must be a non-empty list with distinct names.")
        for d in self.metrics:
            for t in d.targets or []:
                if t not in self.targets:
                    raise ValueError(f"metric {d.name!r} names unknown target {t!r}.")
        specs = self._expand()
        spec_names = [s.name for s in specs]
        if len(set(spec_names)) != len(spec_names):
            raise ValueError("metric names must be distinct after expansion.")
        if self.primary not in spec_names:
            raise ValueError(
                f"primary must be one of the task's metrics {spec_names}. Got {self.primary!r} instead."
            )
        if self.confidential_predictions and self.confidential is None:
            raise ValueError(
                "confidential_predictions = true needs a [confidential] table with the "
                "benchmark's public key (recipient = \"age1...\")."
            )
        for b in self.baselines:
            if b.target not in self.targets:
                raise ValueError(f"baseline {b.name!r} names unknown target {b.target!r}.")
        for n in self.native:
            self._check_native(n)
        if self.resampling.stratify.startswith("target:"):
            t = self.resampling.stratify.split(":", 1)[1]
            if t not in self.targets:
                raise ValueError(f"resampling.stratify names unknown target {t!r}.")
        for panel, members in self.leaderboard.panels.items():
            unknown = [t for t in members if t not in self.targets]
            if unknown or not members:
                raise ValueError(f"leaderboard.panels.{panel} must list targets of the task. Got {members!r} instead.")
        if self.resampling.cluster and self.resampling.cluster not in self.public_columns:
            raise ValueError("resampling.cluster must be one of public_columns.")
        for sg in self.subgroups:
            if sg.column not in self.public_columns:
                raise ValueError(f"subgroup column {sg.column!r} must be one of public_columns.")
        return self

    def _check_native(self, n: NativeDecl) -> None:
        what = f"native layout {n.name or n.layout!r}"
        unknown = sorted(set(n.target_columns) - set(self.targets))
        if unknown:
            raise ValueError(f"{what}: target_columns names unknown target(s) {unknown}.")
        if n.hook and n.declared_in is not None and not hook_path(n.declared_in, n.hook).is_file():
            raise ValueError(f"{what}: hook {n.hook!r} not found: no file {hook_path(n.declared_in, n.hook)}.")
        allowed = {0, 1} if self.kind == "binary" else {-1, *range(len(self.classes))}
        bad = {k: v for k, v in n.values.items() if v not in allowed}
        if bad:
            raise ValueError(f"{what}: values must map to one of {sorted(allowed)}. Got {bad} instead.")

    # -- metrics -----------------------------------------------------------------------
    def _expand(self) -> list[MetricSpec]:
        index = {t: i for i, t in enumerate(self.targets)}
        out: list[MetricSpec] = []
        for d in self.metrics:
            groups: list[Optional[tuple[str, str]]] = [None]
            if d.subgroups:
                groups += [(sg.column, v) for sg in self.subgroups for v in sg.values]
            target_sets = (
                [[t] for t in (d.targets or self.targets)]
                if d.each_target
                else [list(d.targets or self.targets)]
            )
            for ts in target_sets:
                for g in groups:
                    name = d.name.format(target=ts[0]) if d.each_target else d.name
                    if g is not None:
                        name += f"[{g[0]}={g[1]}]"
                    out.append(
                        MetricSpec(
                            name=name,
                            fn=d.fn,
                            targets=tuple(ts),
                            target_index=tuple(index[t] for t in ts),
                            subgroup=g,
                            primary=False,
                        )
                    )
        return out

    def metric_specs(self) -> list[MetricSpec]:
        """Every metric of the task, expanded per target and subgroup, primary first."""
        specs = self._expand()
        prim = [s for s in specs if s.name == self.primary]
        rest = [s for s in specs if s.name != self.primary]
        p = prim[0]
        p = MetricSpec(p.name, p.fn, p.targets, p.target_index, p.subgroup, True)
        return [p] + rest

    @property
    def primary_spec(self) -> MetricSpec:
        return self.metric_specs()[0]

    @property
    def higher_is_better(self) -> bool:
        return self.primary_spec.higher_is_better

    # -- formats and splits ---------------------------------------------------------------
    def format(self, name: str) -> FormatDecl:
        for f in self.formats:
            if f.name == name:
                return f
        raise UnknownName(
            f"task {self.id!r} has no submission format {name!r}."
            f"{did_you_mean(name, [f.name for f in self.formats])} "
            f"Accepted: {', '.join(f.name for f in self.formats)}."
        )

    def split(self, name: Optional[str] = None) -> SplitDecl:
        name = name or self.default_split
        try:
            return self.splits[name]
        except KeyError:
            raise UnknownName(
                f"task {self.id!r} has no split {name!r}.{did_you_mean(name, self.splits)} "
                f"Splits: {', '.join(sorted(self.splits))}."
            ) from None

    def path(self, rel: str) -> Path:
        """Resolve a data path of the task: written relative to the file that declares it, held
        relative to the task folder (:mod:`benchmark.data.includes` rebases a dataset's paths)."""
        return (self.task_dir / rel).resolve()

    @property
    def value_columns(self) -> list[str]:
        return list(self.classes) if self.kind == "multiclass" else list(self.targets)


def did_you_mean(name: str, known) -> str:
    """`` Did you mean 'x'?`` for the closest known name, ignoring case (or an empty string).

    >>> did_you_mean("MRNet", ["mrnet", "rsna-cspine"])
    " Did you mean 'mrnet'?"
    >>> did_you_mean("validation", ["test", "valid"])
    " Did you mean 'valid'?"
    """
    by_lower = {str(k).lower(): str(k) for k in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.5)
    return f" Did you mean {', '.join(repr(by_lower[c]) for c in close)}?" if close else ""


# -- loading -------------------------------------------------------------------------------
def load_task(path: Path) -> Task:
    """Parse one ``task.toml`` (with its includes) into a :class:`Task`."""
    path = Path(path)
    data = load_with_includes(path, path.parent.resolve())
    data["task_dir"] = path.parent.resolve()
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        msgs = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
        )
        raise TaskError(f"{path}: invalid task file: {msgs}") from None
    check_task(task, path)
    return task


#: Task definitions, public id lists, demo labels and demo submissions shipped inside the
#: installed package (``benchmark/bundled/{tasks,submissions}`` in the wheel), so an installed
#: ``benchmark`` works from any folder. A checkout always takes precedence.
BUNDLED_ROOT = Path(__file__).resolve().parents[1] / "bundled"


def _has_tasks(d: Path) -> bool:
    return (d / "tasks").is_dir() and any((d / "tasks").glob("*/task.toml"))


def find_root(start: Optional[Path] = None) -> Path:
    """Find the benchmark root (the folder holding ``tasks/``).

    Order: ``$BENCHMARK_ROOT``; the current folder or a parent of it that has ``tasks/`` with a
    task file (a checkout); the checkout the package was imported from (an editable install);
    the task files bundled with an installed package (:data:`BUNDLED_ROOT`). ``--root`` on
    the command line is passed to :func:`load_registry` and wins over all of these.
    """
    env = os.environ.get("BENCHMARK_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if _has_tasks(d):
            return d
    source = Path(__file__).resolve().parents[2]
    if _has_tasks(source):
        return source
    return BUNDLED_ROOT


def is_bundled(root: Path) -> bool:
    """True when ``root`` is the read-only copy of the task files inside the installed package."""
    return Path(root).resolve() == BUNDLED_ROOT


def output_root(root: Path) -> Path:
    """Where outputs that default to ``<root>/…`` go: the root, or the current folder when the
    root is the copy inside the installed package (never write into site-packages)."""
    return Path.cwd() if is_bundled(root) else Path(root)


class TaskRegistry:
    """All tasks under ``<root>/tasks``; duplicate ids are refused."""

    def __init__(self, tasks: list[Task], root: Path):
        self.root = root
        self._tasks: dict[str, Task] = {}
        for t in tasks:
            if t.id in self._tasks:
                raise TaskError(
                    f"duplicate task id {t.id!r}: {self._tasks[t.id].task_dir} and {t.task_dir}"
                )
            self._tasks[t.id] = t

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise UnknownName(
                f"unknown task {task_id!r}.{did_you_mean(task_id, self._tasks)} "
                f"Known tasks: {', '.join(sorted(self._tasks))}."
            ) from None

    def __iter__(self):
        return iter(sorted(self._tasks.values(), key=lambda t: t.id))

    def __len__(self) -> int:
        return len(self._tasks)

    def ids(self) -> list[str]:
        return sorted(self._tasks)


def load_registry(root: Optional[Path] = None) -> TaskRegistry:
    """Load every ``tasks/*/task.toml`` below ``root`` (see :func:`find_root`)."""
    root = Path(root).resolve() if root else find_root()
    tdir = root / "tasks"
    if not tdir.is_dir():
        raise TaskError(
            f"no tasks/ folder under {root}; pass --root (or set $BENCHMARK_ROOT) to a folder "
            "holding tasks/<task-id>/task.toml."
        )
    tasks = [
        load_task(p)
        for p in sorted(tdir.glob("*/task.toml"))
        if not p.parent.name.startswith("_")
    ]
    return TaskRegistry(tasks, root)
