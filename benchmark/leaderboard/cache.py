"""The result cache of the leaderboard: every submission's result stored under its plan.

Scoring a task with thousands of bootstrap replicates is the slow part of a build, so each
submission's result is stored under ``<cache>/<task>/<plan>/<entry>.{json,npy}``:

* ``<plan>`` hashes the cache schema, the harness version, the code, the task id, version and
  full declaration, the code of its dataset's hooks, the split, the sha256 of the labels, of
  their public columns and of the reader study that goes with them, and the bootstrap seed,
  replicates, method and level — everything that defines the shared
  :class:`~benchmark.stats.resampling.ResamplingPlan` and what is scored on it;
* ``<entry>`` adds the sha256 of the prediction file and its declared format.

The ``.npy`` file holds the submission's replicate matrix ``(M, B)`` (one row per metric
spec, primary first); the ``.json`` file holds the result record, ROC and calibration curves
and reader comparisons. Because every submission of a task is evaluated on the same
replicates, cached and freshly scored submissions compare exactly as if all had been scored
together. An unchanged rebuild reads the cache only.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Optional

import numpy as np

from .. import __version__
from ..core.canonical import canonical_json
from ..core.fingerprint import source_fingerprint
from ..core.fileio import atomic_write_bytes, atomic_write_text
from ..data.csvio import sha256_file
from ..data.hooks import hook_path
from ..data.labels import LabelSet
from ..data.tasks import Task
from ..metrics import registry as metric_registry
from ..scoring.comparisons import reads_file
from ..scoring.results import ScoreResult
from ..scoring.score import BootstrapSettings

__all__ = ["CACHE_SCHEMA", "ResultCache", "code_fingerprint", "task_fingerprint", "plan_hash", "entry_key"]

CACHE_SCHEMA = "leaderboard-cache-2"  # 2: ROC bands, per-bin Wilson intervals, sparse rank counts


def sha(obj) -> str:
    """sha256 of the sorted-key JSON text of ``obj``."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def code_fingerprint() -> str:
    """sha256 of the scoring code (:func:`benchmark.core.fingerprint.source_fingerprint`).

    Part of the cache key, so a change to the code invalidates cached results even when the
    harness version number was not raised.
    """
    return source_fingerprint()


def task_fingerprint(task: Task) -> str:
    """sha256 of the task's full declaration (its id, version, metrics, baselines...) and of the
    code of its dataset's hooks (the competition metrics a ``[hooks.metrics]`` module defines,
    a native label reader): editing a hook changes what the task scores."""
    return sha({"task": task.model_dump(mode="json"), "hooks": hook_fingerprints(task)})


def hook_fingerprints(task: Task) -> dict:
    """sha256 of every hook module the task's metrics and native label layouts run, by name."""
    out = {}
    for decl in task.metrics:
        source, fingerprint = metric_registry.origin(decl.fn)
        if fingerprint is not None:
            out[f"metric {decl.fn}"] = fingerprint
    for n in task.native:
        if n.hook:
            path = hook_path(n.declared_in or task.task_dir / "task.toml", n.hook)
            out[f"native {n.name or n.hook}"] = _file_sha(path)
    return out


def _file_sha(path) -> Optional[str]:
    try:
        return sha256_file(path)
    except OSError:
        return None


def labels_fingerprint(task: Task, labels: LabelSet) -> dict:
    """What the scores depend on in the labels beyond their ``sha256``: the public columns
    (the subgroups of subgroup metrics; the ``sha256`` of a shown part covers ids and labels
    only) and the case-level reader study that goes with the labels."""
    public = getattr(labels, "public", None)
    reads = reads_file(task, labels)
    return {
        "public_sha256": None if public is None or public.shape[1] == 0 else hashlib.sha256(
            public.to_csv(lineterminator="\n").encode("utf-8")).hexdigest(),
        "reads_sha256": None if reads is None else _file_sha(reads),
    }


def plan_hash(task: Task, labels: LabelSet, settings: BootstrapSettings) -> str:
    """The key of a task's results: everything that defines the shared plan and what is scored
    on it (see the module docstring)."""
    return sha(
        {
            "schema": CACHE_SCHEMA,
            "harness": __version__,
            "code": code_fingerprint(),
            "task": task.id,
            "task_version": task.version,
            "task_fingerprint": task_fingerprint(task),
            "split": labels.split,
            "labels_sha256": labels.sha256,
            "labels": labels_fingerprint(task, labels),
            "seed": settings.seed,
            "replicates": settings.replicates,
            "method": settings.method,
            "level": settings.level,
        }
    )


class ResultCache:
    """Per-submission results of one task and plan: ``<key>.json`` + ``<key>.npy``."""

    def __init__(self, folder: Optional[Path]):
        self.folder = Path(folder) if folder is not None else None

    def holds(self, key: str) -> bool:
        """Whether a result record is stored under ``key`` (:meth:`load` may still find it
        unreadable; the build then scores it again)."""
        if self.folder is None:
            return False
        return (self.folder / f"{key}.json").is_file()

    def load(self, key: str):
        if self.folder is None:
            return None
        jpath = self.folder / f"{key}.json"
        npath = self.folder / f"{key}.npy"
        try:
            # non-finite numbers were written as NaN / Infinity: read back as None, as the
            # canonical JSON of every published file writes them
            record = json.loads(jpath.read_text(encoding="utf-8"), parse_constant=_none)
            reps = np.load(npath, allow_pickle=False) if record.get("has_replicates") else None
            result = ScoreResult.model_validate(record["result"])
        except (OSError, ValueError, KeyError):
            return None
        return result, reps, record.get("curves", {})

    def store(self, key: str, result: ScoreResult, reps: Optional[np.ndarray], curves: dict) -> None:
        if self.folder is None:
            return
        if reps is not None:
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(reps, dtype=np.float64), allow_pickle=False)
            atomic_write_bytes(self.folder / f"{key}.npy", buf.getvalue())
        record = {
            "has_replicates": reps is not None,
            "result": result.model_dump(mode="json"),
            "curves": curves,
        }
        atomic_write_text(self.folder / f"{key}.json", _record_text(record))


def _none(_constant: str) -> None:
    return None


def _record_text(record: dict) -> str:
    """The cache record as compact JSON, written by the standard library's C encoder (the
    indented canonical text is written element by element in Python: several times slower
    for the curves of a large task). Non-finite floats are written as ``NaN`` and
    ``Infinity`` and read back as None (:meth:`ResultCache.load`), exactly what the canonical
    text gives; values the encoder does not know (numpy integers) fall back to it."""
    try:
        return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        return canonical_json(record)


def entry_key(plan_key: str, pred_sha: str, fmt: Optional[str], case_level: bool = False) -> str:
    """Cache key of one prediction file (and its declared format) under a plan; ``case_level``:
    whether case-level curves (the ROC bands) were computed for it."""
    return sha({"plan": plan_key, "predictions_sha256": pred_sha, "format": fmt, "case_level": case_level})[:32]
