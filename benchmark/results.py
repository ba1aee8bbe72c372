"""Result records and their JSON form.

A result is what ``benchmark score --json`` writes: one object per scored submission. The JSON
is canonical (keys sorted, two-space indent, ``\\n`` at the end, floats written by Python's
shortest round-trip repr, NaN written as ``null``) so the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .fileio import atomic_write_bytes, atomic_write_text  # noqa: F401  (re-exported)

DEMO_BANNER = "DEMO: synthetic labels"
#: Start of the interval note (and of the result warning, after the metric name) of an AUC of
#: exactly 0 or 1, whose interval is degenerate (:func:`benchmark.scoring.degenerate_auc_note`).
DEGENERATE_NOTE = "degenerate interval"


class MetricValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Optional[float]
    display_value: str
    display_name: str
    higher_is_better: bool
    targets: list[str]
    subgroup: Optional[dict[str, str]] = None
    n_cases: int
    ci: Optional[list[Optional[float]]] = None
    ci_method: Optional[str] = None
    ci_note: Optional[str] = None
    undefined_replicates: Optional[int] = None


class BootstrapInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replicates: int
    seed: int
    method: str
    level: float
    stratified: Optional[str]
    cluster: Optional[str]
    n_clusters: Optional[int] = None
    undefined_policy: str
    undefined_replicates: dict[str, int] = Field(default_factory=dict)
    plan_key: Optional[str]  # None where it would reveal the hidden labels' hash


class SubmissionInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    sha256: str
    format: str
    n_rows: int
    team: Optional[str] = None
    model: Optional[str] = None


class ScoreResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    harness_version: str = __version__
    task: str
    task_version: str
    task_title: str
    split: str
    labels_sha256: Optional[str]  # None for a hidden split (benchmark.data.disclosure)
    labels_pinned: Optional[bool] = None
    synthetic_labels: bool
    banner: Optional[str] = None
    n_cases: int
    primary: str
    metrics: dict[str, MetricValue]
    submission: SubmissionInfo
    bootstrap: Optional[BootstrapInfo] = None
    comparisons: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    disclosure: Optional[dict[str, Any]] = None

    @property
    def primary_value(self) -> Optional[float]:
        return self.metrics[self.primary].value


def _clean(obj):
    """Replace non-finite floats by None so the JSON stays standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _clean(obj.item())
    return obj


class _Unsupported(Exception):
    """A value the fast encoder leaves to :func:`json.dumps`."""


_encode_str = json.encoder.encode_basestring  # ensure_ascii=False; the C version when built
_INDENTS = ["\n" + "  " * i for i in range(64)]


def _float_text(v: float) -> str:
    return float.__repr__(v) if math.isfinite(v) else "null"


def _encode(obj, level: int, out: list) -> None:
    """Append the text of ``obj`` as ``json.dumps(_clean(obj), sort_keys=True, indent=2,
    ensure_ascii=False)`` writes it at nesting ``level``."""
    t = type(obj)
    if t is str:
        out.append(_encode_str(obj))
    elif t is float:
        out.append(_float_text(obj))
    elif t is int:
        out.append(int.__repr__(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif t is dict:
        if not obj:
            out.append("{}")
            return
        if any(type(k) is not str for k in obj):
            raise _Unsupported
        inner = _INDENTS[level + 1] if level + 1 < len(_INDENTS) else "\n" + "  " * (level + 1)
        sep = "{" + inner
        for k in sorted(obj):
            out.append(sep)
            out.append(_encode_str(k))
            out.append(": ")
            _encode(obj[k], level + 1, out)
            sep = "," + inner
        out.append(inner[:-2] + "}")
    elif t is list or t is tuple:
        if not obj:
            out.append("[]")
            return
        inner = _INDENTS[level + 1] if level + 1 < len(_INDENTS) else "\n" + "  " * (level + 1)
        kinds = set(map(type, obj))
        if kinds == {float} and all(map(math.isfinite, obj)):  # finite floats: in one go
            out.append("[" + inner + ("," + inner).join(map(float.__repr__, obj)) + inner[:-2] + "]")
            return
        if kinds <= {float, int}:  # numbers (bool is a type of its own here)
            out.append("[" + inner + ("," + inner).join(
                [_float_text(v) if type(v) is float else int.__repr__(v) for v in obj]
            ) + inner[:-2] + "]")
            return
        sep = "[" + inner
        for v in obj:
            out.append(sep)
            _encode(v, level + 1, out)
            sep = "," + inner
        out.append(inner[:-2] + "]")
    else:
        raise _Unsupported


def canonical_json(obj: Any) -> str:
    """Serialise to the canonical JSON text (sorted keys, indent 2, trailing newline).

    Non-finite floats become ``null`` (see :func:`_clean`). The text is exactly that of
    ``json.dumps(..., sort_keys=True, indent=2, ensure_ascii=False)``; plain dicts, lists,
    strings, numbers, booleans and None are written by a specialised encoder (the standard
    library writes indented JSON in pure Python, element by element), anything else by
    :func:`json.dumps` itself.
    """
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    out: list[str] = []
    try:
        _encode(obj, 0, out)
    except (_Unsupported, RecursionError):
        return json.dumps(_clean(obj), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    out.append("\n")
    return "".join(out)


def load_result(path: os.PathLike) -> ScoreResult:
    with open(path, encoding="utf-8") as fh:
        return ScoreResult.model_validate(json.load(fh))


def format_value(value: Optional[float], digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "undefined"
    return f"{value:.{digits}f}"
