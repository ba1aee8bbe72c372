"""Task model and registry.

A task is data: a ``tasks/<task-id>/task.toml`` file, optionally including a shared dataset
block (``include = ["../_datasets/<dataset>/dataset.toml"]``), declares what is scored and how.
This module parses those files into frozen pydantic models and keeps a registry of them.
Folders whose name starts with ``_`` hold shared material and are not tasks.

>>> from benchmark.data.tasks import load_registry
>>> reg = load_registry()
>>> reg.get("mrnet").primary
'mean_auc'
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..core.errors import TaskError, UnknownName
from ..metrics import registry as metric_registry
from ..stats.methods import CI_METHODS
from .contracts import check_task, register_task_hooks

__all__ = [
    "Task",
    "ConfidentialDecl",
    "MetricSpec",
    "TaskRegistry",
    "load_registry",
    "find_root",
    "is_bundled",
    "output_root",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Dataset(_Frozen):
    """The dataset block shared by every task built on one dataset."""

    id: str
    name: str
    description: str
    modality: str
    institution: str = ""
    url: str = ""
    citation: str
    doi: str = ""
    license: str
    synthetic_note: str = (
        "Everything in this repository for this dataset is synthetic; the real data cannot be "
        "redistributed."
    )


class MetricDecl(_Frozen):
    """One ``[[metrics]]`` entry: a registered metric function bound to target columns."""

    name: str
    fn: str
    targets: Optional[list[str]] = None
    each_target: bool = False
    subgroups: bool = False
    description: str = ""


class HookDecl(_Frozen):
    """A ``[hooks.<kind>]`` table: a Python module of the dataset and the names it provides.

    ``file`` resolves relative to the file that declares it (see :mod:`benchmark.data.contracts`).
    """

    file: str = Field(description="the Python module, relative to the file that declares it (e.g. metrics.py)")
    names: list[str] = Field(
        default_factory=list,
        description="what the module provides; for [hooks.metrics], every metric name it registers",
    )


class FormatDecl(_Frozen):
    """An accepted submission format.

    ``layout`` is one of

    * ``wide``: header row, an id column and one probability column per target;
    * ``long``: header row, a ``row_id`` column holding ``<case id><sep><target>`` and the value
      column(s) (one for binary tasks, one per class for multi-class tasks);
    * ``headerless``: no header, no id column, one probability column per target in target
      order, one row per case in ascending public-id order (the official MRNet format).
    """

    name: str
    layout: Literal["wide", "long", "headerless"]
    id_column: Optional[str] = None
    value_columns: Optional[list[str]] = None
    separator: str = "_"
    description: str = ""

    @model_validator(mode="after")
    def _check(self):
        if self.layout in ("wide", "long") and not self.id_column:
            raise ValueError(f"format {self.name!r}: layout {self.layout} needs id_column")
        if self.layout == "long" and not self.value_columns:
            raise ValueError(f"format {self.name!r}: layout long needs value_columns")
        return self


class SplitDecl(_Frozen):
    """A split: its public id list and, optionally, committed synthetic demo labels."""

    description: str = ""
    public_ids: str
    demo_labels: Optional[str] = None
    demo_labels_sha256: Optional[str] = None
    labels_file: str = Field(
        default="",
        description="file name of the hidden canonical label file inside a labels directory",
    )
    labels_sha256: Optional[str] = Field(
        default=None,
        description="sha256 pin of the canonical label file; only for a split whose labels "
        "are public (labels_public = true), since for hidden labels it would let anyone check "
        "a guessed label vector offline: pin those by labels_commitment",
    )
    labels_commitment: Optional[str] = Field(
        default=None,
        description="keyed pin of a hidden canonical label file: 'hmac-sha256:<hex>' under the "
        "key in '<label file>.key' (benchmark.data.disclosure.label_commitment)",
    )
    labels_date: Optional[_dt.date] = Field(
        default=None,
        description="date the hidden label file was last changed (the leaderboard's 'last updated' counts it)",
    )
    native: Optional[str] = None
    labels_public: bool = Field(
        default=False,
        description="the split's labels are released to everyone (e.g. a public validation "
        "set): case-level figures and the label file's sha256 may then be shown "
        "(benchmark.data.disclosure); every other split is hidden",
    )
    demo_reads: Optional[str] = Field(
        default=None,
        description="synthetic case-level reader study matching the demo labels "
        "(reader_id,case,read[,target]); with hidden labels, <split>_reads.csv beside the "
        "label file is used instead",
    )

    @model_validator(mode="after")
    def _pins(self):
        if self.labels_sha256 and not self.labels_public:
            raise ValueError(
                "labels_sha256 would publish the sha256 of hidden labels (an offline check of "
                "guessed labels); pin them with labels_commitment = \"hmac-sha256:...\" "
                "(docs/disclosure.md), or set labels_public = true if the labels are released."
            )
        if self.labels_commitment is not None and not re.fullmatch(r"hmac-sha256:[0-9a-f]{64}", self.labels_commitment):
            raise ValueError(
                "labels_commitment must be 'hmac-sha256:' followed by 64 lower-case hex digits. "
                f"Got {self.labels_commitment!r} instead."
            )
        return self


class ResamplingDecl(_Frozen):
    """Bootstrap defaults and the resampling design of a task."""

    cluster: Optional[str] = None
    stratify: str = "primary_target"
    replicates: int = 2000
    seed: int = 20240601
    ci: Literal[CI_METHODS] = "percentile"
    level: float = 0.95
    undefined: Literal["drop", "error"] = "drop"
    max_undefined_fraction: float = 0.1

    @field_validator("stratify")
    @classmethod
    def _stratify(cls, v: str) -> str:
        if v in ("none", "primary_target", "label_combination") or v.startswith("target:"):
            return v
        raise ValueError(
            "stratify must be 'none', 'primary_target', 'label_combination' or "
            f"'target:<name>'. Got {v!r} instead."
        )

    @field_validator("level")
    @classmethod
    def _level(cls, v: float) -> float:
        if not 0 < v < 1:
            raise ValueError(f"level must be in (0, 1). Got {v} instead.")
        return v


class SubgroupDecl(_Frozen):
    column: str
    values: list[str]
    description: str = ""


class LimitsDecl(_Frozen):
    """Submission limits, per GitHub account and per team (both must hold).

    ``count`` says which graded attempts use up the limits: ``"valid"`` (the default) counts
    every valid graded submission, merged or not; ``"all"`` counts invalid ones too.
    """

    per_day: Optional[int] = None
    total: Optional[int] = None
    max_file_mb: float = 200.0
    count: Literal["valid", "all"] = "valid"
    source: str = ""


#: An age X25519 recipient: ``age1`` + 58 bech32 characters (age-encryption.org/v1).
AGE_RECIPIENT_RE = re.compile(r"^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$")


class ConfidentialDecl(_Frozen):
    """``[confidential]``: the benchmark's public key that predictions are encrypted to.

    ``recipient`` is an age X25519 public key (``age1...``); participants encrypt with
    ``benchmark submit prepare`` or with the ``age`` tool (``age -r <recipient>``).
    ``demo_identity`` names a committed DEMO secret key (relative to the task folder, like
    every path of a task file) that is used only when it belongs to ``recipient``; a real benchmark leaves it out and
    gives the grader its secret through ``--identity`` or ``$BENCHMARK_AGE_IDENTITY``.
    """

    recipient: str
    demo_identity: Optional[str] = None
    note: str = ""

    @field_validator("recipient")
    @classmethod
    def _recipient(cls, v: str) -> str:
        if not AGE_RECIPIENT_RE.match(v):
            raise ValueError(
                f"must be an age X25519 public key 'age1' followed by 58 characters. Got {v!r} instead."
            )
        return v


class BaselineDecl(_Frozen):
    """A published operating point of readers (radiologists, surgeons); never ranked."""

    name: str
    target: str
    readers: str = ""
    sensitivity: float
    specificity: float
    sensitivity_ci: Optional[list[float]] = None
    specificity_ci: Optional[list[float]] = None
    sensitivity_counts: Optional[list[int]] = None
    specificity_counts: Optional[list[int]] = None
    #: Readers whose reads are pooled in the counts, each reading every case: the counts'
    #: case-level sample size is ``m / n_readers`` (benchmark.stats.baselines._baseline_draws).
    n_readers: Optional[int] = Field(default=None, ge=1)
    derived: str = ""
    source: str

    @model_validator(mode="after")
    def _counts_per_reader(self):
        r = self.n_readers or 1
        for name in ("sensitivity_counts", "specificity_counts"):
            counts = getattr(self, name)
            if counts is None:
                continue
            if len(counts) != 2 or counts[1] <= 0 or not 0 <= counts[0] <= counts[1]:
                raise ValueError(f"{name} must be [k, m] with 0 <= k <= m and m > 0. Got {counts} instead.")
            if counts[1] % r:
                raise ValueError(
                    f"{name} must count the reads of {r} readers who each read every case, so m must be "
                    f"a multiple of n_readers. Got m={counts[1]} instead."
                )
        return self


class ReferenceDecl(_Frozen):
    """A published model result (e.g. a leaderboard row); shown, never ranked."""

    name: str
    split: str = ""
    metrics: dict[str, float]
    ci: dict[str, list[float]] = Field(default_factory=dict)
    note: str = ""
    source: str


class LeaderboardDecl(_Frozen):
    """What the leaderboard shows; read by :mod:`benchmark.data.disclosure`.

    ``reveal_date``: with a ``usage`` column in the label file, only the public part is
    scored for display before this date, only the private part on and after it.
    Whether case-level figures may be shown is decided from the task's top-level
    ``confidential_predictions`` (see :mod:`benchmark.data.disclosure`).
    """

    mode: Literal["standard", "ladder"] = "standard"
    ladder_step: Optional[float] = None
    reveal_date: Optional[_dt.date] = None
    split: Optional[str] = None
    #: ROC and calibration panels of a multiclass task: panel name -> the targets pooled in it
    #: (default: one panel pooling every target).
    panels: dict[str, list[str]] = Field(default_factory=dict)


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


class Task(_Frozen):
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
        """Resolve a path declared in the task file (relative to the task folder)."""
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
def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise TaskError(f"task file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise TaskError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None


def _load_with_includes(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    path = path.resolve()
    if path in seen:
        raise TaskError(f"include cycle: {' -> '.join(str(p) for p in seen + (path,))}")
    data = _read_toml(path)
    includes = data.pop("include", [])
    if isinstance(includes, str):
        includes = [includes]
    merged: dict = {}
    for inc in includes:
        merged = _deep_merge(merged, _load_with_includes(path.parent / inc, seen + (path,)))
    return _deep_merge(merged, data)


def load_task(path: Path) -> Task:
    """Parse one ``task.toml`` (with its includes) into a :class:`Task`."""
    path = Path(path)
    data = _load_with_includes(path)
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
