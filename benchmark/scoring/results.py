"""Result records and their JSON form.

A result is what ``benchmark score --json`` writes: one object per scored submission. The JSON
is canonical (keys sorted, two-space indent, ``\\n`` at the end, floats written by Python's
shortest round-trip repr, NaN written as ``null``) so the same inputs give the same bytes.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from .. import __version__
from ..core.canonical import canonical_json



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
    #: Where the labels come from, for people: "hidden labels of mrnet/test (test_labels.csv)",
    #: "native RSNA 2022 Cervical Spine Fracture Detection train.csv"; ``split`` is "native"
    #: when the labels are a researcher's file outside the task's declared splits.
    labels_source: Optional[str] = None
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

    def to_json(self) -> str:
        """The canonical JSON text ``benchmark score --json`` writes (same inputs, same bytes)."""
        return canonical_json(self)

    def to_frame(self):
        """One row per metric: ``metric``, ``value``, ``ci_low``, ``ci_high``,
        ``higher_is_better``, ``n_cases``, ``primary``, ``synthetic_labels`` (a pandas DataFrame)."""
        import pandas as pd  # lazy: the command line loads this module; pandas takes seconds

        rows = []
        for name, mv in self.metrics.items():
            ci = mv.ci if mv.ci else [None, None]
            rows.append(
                {
                    "metric": name,
                    "value": mv.value,
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "higher_is_better": mv.higher_is_better,
                    "n_cases": mv.n_cases,
                    "primary": name == self.primary,
                    "synthetic_labels": self.synthetic_labels,
                }
            )
        return pd.DataFrame(rows)


class PairedDeLong(BaseModel):
    """Paired DeLong test of two AUCs on the same cases (pROC ``roc.test``)."""

    model_config = ConfigDict(extra="forbid")

    difference: float
    se: float
    z: float
    p_value: float
    ci: list[float]
    note: Optional[str] = None


class MetricComparison(BaseModel):
    """One metric of a paired comparison; ``difference`` is ``a - b``."""

    model_config = ConfigDict(extra="forbid")

    a: Optional[float]
    b: Optional[float]
    difference: Optional[float]
    ci: Optional[list[Optional[float]]] = None
    ci_note: Optional[str] = None
    p_value: Optional[float] = None
    higher_is_better: bool
    better: Optional[str] = None
    undefined_replicates: Optional[int] = None
    delong: Optional[PairedDeLong] = None


class ComparisonResult(BaseModel):
    """What ``benchmark compare --json`` writes: two submissions on the same resamples."""

    model_config = ConfigDict(extra="forbid")

    task: str
    task_version: str
    split: str
    labels_sha256: Optional[str]  # None for a hidden split (benchmark.data.disclosure)
    synthetic_labels: bool
    a: str
    b: str
    bootstrap: BootstrapInfo
    metrics: dict[str, MetricComparison]
    disclosure: Optional[dict[str, Any]] = None

    def to_json(self) -> str:
        return canonical_json(self)

    def to_frame(self):
        """One row per metric with both values, the difference, its interval and p-values."""
        import pandas as pd  # lazy: the command line loads this module; pandas takes seconds

        rows = []
        for name, m in self.metrics.items():
            ci = m.ci if m.ci else [None, None]
            rows.append(
                {
                    "metric": name,
                    "a": m.a,
                    "b": m.b,
                    "difference": m.difference,
                    "ci_low": ci[0],
                    "ci_high": ci[1],
                    "p_value": m.p_value,
                    "p_value_delong": m.delong.p_value if m.delong else None,
                    "better": m.better,
                    "synthetic_labels": self.synthetic_labels,
                }
            )
        return pd.DataFrame(rows)


class ProblemRecord(BaseModel):
    """One participant-visible problem (see :class:`benchmark.core.errors.Problem`)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    file: str = ""
    line: Optional[int] = None
    column: Optional[str] = None
    expected: Optional[str] = None
    found: Optional[str] = None
    fix: Optional[str] = None


class ValidationReport(BaseModel):
    """What ``benchmark validate --json`` writes, and ``score --json`` for an invalid file.

    ``valid`` is false exactly when ``problems`` is not empty; ``format`` and ``n_cases`` are
    known only for a valid file.
    """

    model_config = ConfigDict(extra="forbid")

    harness_version: str = __version__
    task: str
    split: str
    file: str
    valid: bool
    format: Optional[str] = None
    n_cases: Optional[int] = None
    sha256: Optional[str] = None
    problems: list[ProblemRecord] = Field(default_factory=list)
    warnings: list[ProblemRecord] = Field(default_factory=list)

    def to_json(self) -> str:
        return canonical_json(self)

    def to_frame(self):
        """One row per problem and warning (``kind`` is ``problem`` or ``warning``)."""
        import pandas as pd  # lazy: the command line loads this module; pandas takes seconds

        cols = ["kind", *ProblemRecord.model_fields]
        rows = [{"kind": "problem", **p.model_dump()} for p in self.problems]
        rows += [{"kind": "warning", **w.model_dump()} for w in self.warnings]
        return pd.DataFrame(rows, columns=cols)


#: The models whose JSON the harness writes, by schema name (see docs/result.schema.json).
OUTPUT_MODELS = {"ScoreResult": ScoreResult, "ComparisonResult": ComparisonResult, "ValidationReport": ValidationReport}


def output_schema() -> dict:
    """JSON Schema (draft 2020-12) of every JSON output, generated from the pydantic models.

    ``oneOf`` the score result, the comparison result and the validation report; the committed
    ``docs/result.schema.json`` is this text (a test keeps it current).
    """
    _, top = models_json_schema(
        [(m, "serialization") for m in OUTPUT_MODELS.values()], ref_template="#/$defs/{model}"
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "benchmark output",
        "description": "JSON written by benchmark score/compare/validate --json "
        "(generated from benchmark.scoring.results; do not edit by hand).",
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in OUTPUT_MODELS],
        "$defs": top["$defs"],
    }
