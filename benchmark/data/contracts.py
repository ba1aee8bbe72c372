"""Contracts between a task file and the metrics it names, checked when the task loads.

A task file binds registered metrics to its targets. What can go wrong is decided here, once,
so that a broken task file stops at load time with a :class:`~benchmark.core.errors.TaskError`
naming the file and the key (exit 1 on the command line), never later as an internal error or,
worse, as a silently different score:

* a dataset's metric hook (``[hooks.metrics]`` in ``dataset.toml``: ``file`` and the ``names``
  it provides) is missing, fails to import, or defines other metrics than it says;
* a metric ``fn`` is not registered (with the close names, ignoring case);
* a metric's input kind does not fit the task: a multiclass metric on a binary task or the
  reverse, or a single-target metric (``per_target``) bound to several targets without
  ``each_target`` (which would score only the first);
* a metric that declares the exact target columns it needs (``column_order``) or the classes
  (``class_order``) is bound to other columns or classes, or to the same ones in another order.

Hooks resolve relative to the file that declares them (the ``dataset.toml``, not the including
task file); the hook's metrics are registered with :func:`benchmark.metrics.registry.register`
under the sha256 of the hook file, so loading the same hook twice, or a copy of it, is a no-op,
while a different definition under a registered name is refused.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

from ..core.errors import TaskError
from ..metrics import registry as metric_registry
from ..metrics.registry import Metric
from .hooks import hook_attribute, hook_path, load_hook

#: A :class:`benchmark.data.tasks.Task` (not imported: ``tasks.py`` calls this module while it
#: loads a task, so the dependency points one way only).
TaskModel = Any

__all__ = [
    "HOOK_KINDS",
    "check_task",
    "declaring_file",
    "load_metric_hook",
    "register_hook_metrics",
    "register_task_hooks",
]

#: What a dataset hook may provide, by ``[hooks.<kind>]`` key.
HOOK_KINDS = ("metrics",)
#: The attribute of a metric hook module holding its :class:`Metric` records.
METRICS_ATTRIBUTE = "METRICS"


def check_task(task: TaskModel, path: Path) -> None:
    """Register the task's dataset metrics, then check every metric binding of ``task``.

    Parameters
    ----------
    task : Task
        The validated task model.
    path : Path
        The ``task.toml`` it was read from (named in every message).

    Raises
    ------
    TaskError
        On the first broken contract; the message names the file and the key.
    """
    path = Path(path)
    for kind in sorted(task.hooks):
        if kind not in HOOK_KINDS:
            raise TaskError(
                f"{path}: hooks.{kind}: unknown hook kind {kind!r}. Known kinds: "
                f"{', '.join(HOOK_KINDS)}."
            )
    own = register_task_hooks(task, path)
    for i, decl in enumerate(task.metrics):
        _check_binding(task, path, i, decl, own)


def register_task_hooks(task: TaskModel, path: Path) -> Optional[str]:
    """Register the metrics of the task's ``[hooks.metrics]``; their fingerprint, or None.

    Also called when a task is unpickled in a worker process that did not load it (``spawn``
    start method, distributed workers), so the metrics it names are registered there too.
    """
    if "metrics" not in task.hooks:
        return None
    decl = task.hooks["metrics"]
    declared_in = declaring_file(path, ("hooks", "metrics", "file"))
    register_hook_metrics(path, declared_in, decl.file, decl.names)
    return _fingerprint(hook_path(declared_in, decl.file))


def declaring_file(task_file: Path, keys: Sequence[str]) -> Path:
    """The file, among ``task_file`` and its includes, whose value of ``keys`` takes effect.

    Includes are merged in order and the including file last (later wins), so the answer is the
    last file in that order that sets the key. Paths named there resolve relative to it.
    """
    found: Optional[Path] = None
    for file in _merge_order(Path(task_file).resolve(), ()):
        node = _read(file)
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            found = file
    return found if found is not None else Path(task_file)


def register_hook_metrics(task_file: Path, declared_in: Path, relative: str,
                          names: Sequence[str]) -> tuple[Metric, ...]:
    """Load the metric hook ``relative`` named in ``declared_in`` and register its metrics.

    Every name in ``names`` must be defined by the hook's ``METRICS``, and nothing else.

    Raises
    ------
    TaskError
        For a missing or failing hook, a ``METRICS`` that is not a sequence of
        :class:`~benchmark.metrics.registry.Metric`, a mismatch with ``names``, or a name
        already registered by a different definition.
    """
    key = "hooks.metrics.file"
    included = Path(declared_in).resolve() != Path(task_file).resolve()
    where = f"{task_file} (via {declared_in})" if included else f"{task_file}"
    try:
        metrics = hook_attribute(declared_in, relative, METRICS_ATTRIBUTE, key)
    except TaskError as exc:
        if included:  # the hook's own message names the dataset file: name the task file too
            raise TaskError(f"{task_file}: {exc}") from None
        raise
    module = hook_path(declared_in, relative)
    if not isinstance(metrics, (tuple, list)) or not all(isinstance(m, Metric) for m in metrics):
        raise TaskError(
            f"{where}: {key} = {relative!r}: {METRICS_ATTRIBUTE} in {module} must be a tuple of "
            "benchmark.metrics.registry.Metric."
        )
    defined = [m.name for m in metrics]
    missing = [n for n in names if n not in defined]
    if missing:
        raise TaskError(
            f"{where}: hooks.metrics.names lists {', '.join(map(repr, missing))}, which {module} "
            f"does not define (its {METRICS_ATTRIBUTE}: {', '.join(defined) or 'none'})."
        )
    unlisted = [n for n in defined if n not in names]
    if unlisted:
        raise TaskError(
            f"{where}: {module} defines {', '.join(map(repr, unlisted))}, which "
            "hooks.metrics.names does not list; list every metric the hook provides."
        )
    fingerprint = _fingerprint(module)
    try:
        return tuple(
            metric_registry.register(m, source=str(module), fingerprint=fingerprint)
            for m in metrics
        )
    except ValueError as exc:
        raise TaskError(f"{where}: {key} = {relative!r}: {exc}") from None


def load_metric_hook(dataset_file: Path) -> ModuleType:
    """The metric hook module named by ``[hooks.metrics]`` in ``dataset_file``, registered.

    For scripts and tests that call a dataset's metric functions directly, e.g.
    ``load_metric_hook(Path("tasks/_datasets/<dataset>/dataset.toml")).METRICS``.
    """
    dataset_file = Path(dataset_file).resolve()
    decl = _read(dataset_file).get("hooks", {}).get("metrics")
    if not isinstance(decl, dict) or not isinstance(decl.get("file"), str):
        raise TaskError(f"{dataset_file}: hooks.metrics.file: the file names no metric hook.")
    register_hook_metrics(dataset_file, dataset_file, decl["file"], list(decl.get("names", [])))
    return load_hook(dataset_file, decl["file"], "hooks.metrics.file")


# -- metric bindings ----------------------------------------------------------------------------
def _fingerprint(module: Path) -> str:
    return hashlib.sha256(Path(module).read_bytes()).hexdigest()


def _check_binding(task: TaskModel, path: Path, i: int, decl, own: Optional[str]) -> None:
    key = f"metrics[{i}]"
    try:
        metric = metric_registry.get(decl.fn)
    except KeyError:
        raise TaskError(
            f"{path}: {key}.fn = {decl.fn!r} (metric {decl.name!r}): unknown metric."
            f"{metric_registry.suggest(decl.fn)}"
        ) from None
    head = f"{path}: {key}.fn = {decl.fn!r} (metric {decl.name!r})"
    if (metric.input == "multiclass") != (task.kind == "multiclass"):
        fits = "multiclass" if task.kind == "multiclass" else "binary or multilabel"
        raise TaskError(
            f"{head}: a {metric.input} metric cannot score a task of kind {task.kind!r}. "
            f"Use a {fits} metric."
        )
    source, fingerprint = metric_registry.origin(decl.fn)
    if fingerprint is not None and fingerprint != own:
        # Whether another dataset's hook has been loaded yet depends on the order tasks load in:
        # a task may use the package's metrics and those of its own dataset's hook only.
        raise TaskError(
            f"{head}: the metric is defined by another dataset's hook ({source}), which this "
            "task's [hooks.metrics] does not name."
        )
    bound = list(decl.targets or task.targets)
    if metric.per_target and not decl.each_target and len(bound) > 1:
        raise TaskError(
            f"{head}: the metric scores one target, but it is bound to {len(bound)} targets "
            f"({', '.join(bound)}); it would score only the first. Set each_target = true, or "
            f"name one target in {key}.targets."
        )
    if metric.column_order is not None:
        target_sets = [[t] for t in bound] if decl.each_target else [bound]
        where = f"{key}.targets" if decl.targets else "targets"
        for ts in target_sets:
            _check_order(path, where, head, "target columns", metric.column_order, ts)
    if metric.class_order is not None:
        _check_order(path, "classes", head, "classes", metric.class_order, list(task.classes))


def _check_order(path: Path, where: str, head: str, what: str, expected: tuple, found: list) -> None:
    if tuple(found) == tuple(expected):
        return
    if len(found) != len(expected) or set(found) != set(expected):
        diff = (f"it declares {len(expected)} {what} ({_short(expected)}), "
                f"the task binds {len(found)} ({_short(found)})")
    else:
        k = next(j for j, (a, b) in enumerate(zip(expected, found)) if a != b)
        diff = (f"same {what} in another order: position {k + 1} must be {expected[k]!r}, "
                f"found {found[k]!r}")
    raise TaskError(
        f"{path}: {where}: {head.split(': ', 1)[1]} requires its {what} in the order its "
        f"definition uses; {diff}. Declare {where} in the metric's order."
    )


def _short(names: Sequence[str], limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


# -- include walk ---------------------------------------------------------------------------------
def _read(path: Path) -> dict:
    with open(path, "rb") as fh:  # already parsed once by the task loader, so it is valid TOML
        return tomllib.load(fh)


def _merge_order(path: Path, seen: tuple[Path, ...]) -> list[Path]:
    """``path``'s includes (depth first, in order), then ``path``: the order they are merged in."""
    if path in seen:
        return []
    includes = _read(path).get("include", [])
    if isinstance(includes, str):
        includes = [includes]
    out: list[Path] = []
    for inc in includes:
        out += _merge_order((path.parent / inc).resolve(), seen + (path,))
    return out + [path]
