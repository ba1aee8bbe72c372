"""The tables of a task file: one frozen pydantic model per ``[table]`` / ``[[table]]``.

:class:`benchmark.data.tasks.Task` is built from these; ``docs/tasks.md`` is generated from
their JSON Schema (:mod:`benchmark.data.taskdoc`).
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from ..stats.methods import CI_METHODS

__all__ = [
    "AGE_RECIPIENT_RE",
    "BaselineDecl",
    "ConfidentialDecl",
    "Dataset",
    "FormatDecl",
    "HookDecl",
    "LeaderboardDecl",
    "LimitsDecl",
    "MetricDecl",
    "NativeDecl",
    "ReferenceDecl",
    "ResamplingDecl",
    "SplitDecl",
    "SubgroupDecl",
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


class NativeDecl(_Frozen):
    """``[[native]]``: a label file layout a researcher already has (the dataset's release).

    Declared in the dataset block and read by the generic readers of
    :mod:`benchmark.data.native`. A wide file is recognised by its content (a header holding
    the layout's id and target columns), whatever its name; per-target files are found in a
    ``--labels`` folder by their ``files`` pattern and must hold two columns. ``files`` are the
    name patterns looked for in a folder (``{split}`` and ``{target}`` are placeholders, ``*`` a
    wildcard).
    """

    name: str = Field(default="", description="what the layout is, for people (e.g. 'release train.csv')")
    layout: Literal["wide", "per_target", "hook"] = Field(
        description="wide: one row per case with an id column and one column per target; "
        "per_target: one file per target (files must contain {target}), two columns id,label; "
        "hook: read by the function `function` of the Python module `hook`"
    )
    files: list[str] = Field(
        default_factory=list,
        description="file name patterns looked for in a --labels folder, e.g. \"train.csv\" or "
        "\"{split}-{target}.csv\" ({split} names the split the files hold)",
    )
    header: bool = Field(default=True, description="the files start with a header row")
    id_column: Optional[str] = Field(
        default=None, description="the case id column (default: the task's id_column); for a headerless file, the name given to column 1"
    )
    id_width: int = Field(default=0, ge=0, description="left-pad numeric case ids with zeros to this width (0: as written)")
    target_columns: dict[str, str] = Field(
        default_factory=dict,
        description="target -> its column (wide) or its {target} part of the file name (per_target); default: the target's name",
    )
    values: dict[str, int] = Field(
        default_factory=dict,
        description="label text -> label in these files, over the task's own mapping (0/1, class names, "
        "label_values); -1 means unlabelled (multiclass only), e.g. { \"\" = -1 }",
    )
    hook: Optional[str] = Field(
        default=None, description="layout hook: a .py module, relative to the file that declares it"
    )
    function: str = Field(
        default="read_labels",
        description="layout hook: the module's function (paths, task) -> DataFrame of strings (id column + target columns)",
    )
    declared_in: SkipJsonSchema[Optional[Path]] = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check(self):
        if self.layout == "per_target" and not any("{target}" in f for f in self.files):
            raise ValueError("layout per_target needs a files pattern holding {target}")
        if self.layout == "hook" and not self.hook:
            raise ValueError("layout hook needs hook = \"<module>.py\"")
        if self.layout != "hook" and self.hook:
            raise ValueError(f"hook is only read with layout hook. Got layout {self.layout!r} instead.")
        return self
