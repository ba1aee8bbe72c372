"""Comparisons of a submission with readers: published operating points, reader studies, MRMC.

What every submission of a task is compared with besides the other submissions: the task's
published reader operating points (``[[baselines]]``, :mod:`benchmark.stats.baselines`), a
case-level reader study that goes with the labels (:mod:`benchmark.stats.reader_studies`) and
the multi-reader multi-case comparison with those readers (:mod:`benchmark.stats.mrmc_panel`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..data.labels import LabelSet
from ..data.tasks import Task
from ..stats.baselines import compare_to_operating_point
from ..stats.operating_points import WeightBlocks
from ..stats.reader_studies import ReaderStudy
from ..stats.reads import read_reads, reads_matrix

__all__ = ["ComparisonInputs", "compare_with_readers_of_task", "reads_file"]


def reads_file(task: Task, labels: LabelSet):
    """The case-level reader study that goes with these labels, if any."""
    decl = task.splits.get(labels.split)
    if decl is None:  # native labels outside the declared splits: no reader study
        return None
    if labels.synthetic and labels.native is None and decl.demo_reads:
        if Path(labels.source).resolve() == task.path(decl.demo_labels):
            return task.path(decl.demo_reads)
    if labels.native is None:
        cand = Path(labels.source).parent / f"{labels.split}_reads.csv"
        if cand.is_file():
            return cand
    return None


@dataclass
class ComparisonInputs:
    """What the reader comparisons of every submission of a task share, prepared once.

    Attributes
    ----------
    weights : WeightBlocks
        The plan's bootstrap weights, in blocks with their transposed counts (drawn and
        transposed once instead of once per comparison).
    reads : list of tuple
        ``(target, column, study)`` per target of the case-level reader study, in sorted
        target order, ``study`` a :class:`~benchmark.stats.reader_studies.ReaderStudy` (the readers'
        replicates computed once); empty without a reader study.
    panels : list of tuple
        ``(target, column, panel)`` per target and figure of merit of the reader study,
        ``panel`` a :class:`~benchmark.stats.mrmc_panel.ReaderPanel` for the MRMC comparison
        of a submission with the readers (AUC of confidence ratings when the reads file has a
        ``rating`` column, else sensitivity and specificity of the binary reads).
    """

    weights: WeightBlocks
    reads: list
    panels: list = field(default_factory=list)

    @classmethod
    def build(cls, task: Task, labels: LabelSet, plan) -> Optional["ComparisonInputs"]:
        """None when the task has nothing to compare with (not binary, or no readers)."""
        if task.kind != "binary":
            return None
        reads_path = reads_file(task, labels)
        if not task.baselines and reads_path is None:
            return None
        weights = WeightBlocks(plan)
        reads = []
        panels = []
        if reads_path is not None:
            from ..stats.mrmc_panel import ReaderPanel  # lazy: the MRMC analysis (about 0.2 s to load) serves reader studies only

            ids = list(labels.ids)
            df = read_reads(reads_path, task, ids)
            for t in sorted(set(df["target"])):
                rid, mat = reads_matrix(df, ids, t)
                j = task.targets.index(t)
                reads.append((t, j, ReaderStudy(labels.y[:, j], mat, weights, reader_ids=rid)))
                if "rating" in df.columns:
                    _, rat = reads_matrix(df, ids, t, column="rating")
                    panels.append((t, j, ReaderPanel(labels.y[:, j], rat, rid, "auc")))
                else:
                    for fom in ("sensitivity", "specificity"):
                        panels.append((t, j, ReaderPanel(labels.y[:, j], mat, rid, fom)))
        return cls(weights=weights, reads=reads, panels=panels)


def compare_with_readers_of_task(task, labels, scores, plan, settings, inputs: Optional[ComparisonInputs] = None):
    """Radiologist operating points and case-level reader studies for one submission.

    ``inputs`` (:meth:`ComparisonInputs.build`) is shared by the submissions of a task; it is
    built here when not given.
    """
    out = {}
    if inputs is None:
        inputs = ComparisonInputs.build(task, labels, plan)
    if inputs is None:
        return out
    base = []
    for b in task.baselines:
        j = task.targets.index(b.target)
        cmp_ = compare_to_operating_point(
            labels.y[:, j], scores[:, j], b, inputs.weights, level=settings.level, seed=settings.seed
        )
        base.append(cmp_.to_dict())
    if base:
        out["baselines"] = base
    if inputs.reads:
        rows = []
        for t, j, study in inputs.reads:
            for c in study.compare(scores[:, j], level=settings.level):
                d = c.to_dict()
                d["target"] = t
                rows.append(d)
        out["readers"] = rows
        out["readers_population"] = (
            "each reader fixed, cases random: a per-reader conclusion covers that reader only, "
            "reading cases like these"
        )
    if inputs.panels:
        note = None
        if task.resampling.cluster:
            note = (
                f"The jackknife leaves out one case at a time: cases of the same "
                f"{task.resampling.cluster} are treated as independent here, unlike the bootstrap intervals."
            )
        out["mrmc"] = [
            {"target": t, **panel.compare(scores[:, j], level=settings.level), "note": note}
            for t, j, panel in inputs.panels
        ]
    return out
