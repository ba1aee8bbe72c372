"""A task's ``README.md``, generated from its ``task.toml`` (with the included ``dataset.toml``).

The generated part sits between two marker lines; text before and after them is the
maintainer's own (a changelog, notes on a reader study) and is kept as it is.
``benchmark task check --write-readme`` rewrites the generated part; ``benchmark task check``
fails while a committed README differs from what its task file says.

>>> text = "<!-- begin -->\\nold\\n<!-- end -->\\n## Notes\\n"
>>> split_readme(text, begin="<!-- begin -->", end="<!-- end -->")
('', '## Notes\\n')
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..core.errors import TaskError
from .tasks import Task

__all__ = ["BEGIN", "END", "generated_section", "readme_is_current", "readme_path", "readme_text", "split_readme"]

BEGIN = "<!-- generated from task.toml by `benchmark task check --write-readme`: edit task.toml, not this part -->"
END = "<!-- end of the generated part; text below is kept when the README is regenerated -->"

SYNTHETIC_SENTENCE = ("Everything committed for this task (public id lists of the synthetic splits, demo labels, "
                      "demo submissions) is synthetic.")


def _number(x: float) -> str:
    """A number as a task file writes it (0.9171, 10000), never in exponent notation."""
    return f"{x:.10g}" if abs(x) >= 1e-4 or x == 0 else repr(x)


def _items(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"  - `{name}`" + (f": {' '.join(desc.split())}" if desc else "") for name, desc in pairs]


def _data(task: Task) -> list[str]:
    d = task.dataset
    where = "; ".join(x for x in (d.modality, d.institution) if x)
    out = ["## Data", "", f"**{d.name}** ({where}). {' '.join(d.description.split())}", ""]
    citation = " ".join(d.citation.split())
    if d.doi and d.doi not in citation:
        citation += f" doi:{d.doi}"
    out += [f"Citation: {citation}", ""]
    if d.url:
        out += [f"Source: {d.url}", ""]
    out += [f"Licence: {' '.join(d.license.split())}", "", SYNTHETIC_SENTENCE, ""]
    return out


def _split_text(split) -> str:
    text = " ".join(split.description.split())
    if split.demo_reads:
        text += f" Reader study (SYNTHETIC with the demo labels): `{split.demo_reads}`."
    return text.strip()


def _scoring(task: Task) -> list[str]:
    specs = task.metric_specs()
    direction = "higher" if specs[0].higher_is_better else "lower"
    out = ["## Scoring", "", f"- Primary metric: `{task.primary}` ({direction} is better).",
           "- All metrics: " + ", ".join(f"`{s.name}`" for s in specs) + ".",
           "- Accepted formats:", *_items([(f.name, f.description) for f in task.formats]),
           "- Splits" + (f" (default `{task.default_split}`)" if len(task.splits) > 1 else "") + ":",
           *_items([(name, _split_text(s)) for name, s in sorted(task.splits.items())])]
    if task.subgroups:
        out.append("- Subgroups:")
        out += _items([(g.column, f"{', '.join(g.values)}. {g.description}".strip()) for g in task.subgroups])
    r = task.resampling
    design = "not stratified" if r.stratify == "none" else f"stratified by `{r.stratify}`"
    design += f", clustered by `{r.cluster}`" if r.cluster else ""
    out.append(f"- Resampling: {design}; {r.replicates} replicates by default, seed {r.seed}, "
               f"{r.ci} intervals at {_number(r.level * 100)}%.")
    lim = task.limits
    counts = [f"{lim.per_day} per day" if lim.per_day else "", f"{lim.total} in total" if lim.total else ""]
    counts = ", ".join(c for c in counts if c) or "no limit on the number"
    source = f" ({lim.source.strip().rstrip('.')})" if lim.source else ""
    out.append(f"- Submission limits: {counts}{source}; files over {_number(lim.max_file_mb)} MB are refused.")
    lb = task.leaderboard
    if lb.mode == "ladder":
        step = f" with step {_number(lb.ladder_step)}" if lb.ladder_step else ""
        out.append(f"- Leaderboard: the Ladder{step} (Blum & Hardt, ICML 2015): only a rounded score that "
                   "beats the best so far is shown.")
    if lb.reveal_date:
        out.append(f"- Reveal date: {lb.reveal_date.isoformat()} (before it only the public part of the labels "
                   "is scored for display, from it only the private part).")
    if task.confidential_predictions:
        out.append("- Predictions are submitted encrypted to the task's public key (`benchmark submit prepare`), "
                   "so the repository holds no readable case scores.")
    return out + [""]


def _published(task: Task) -> list[str]:
    lines = []
    for b in task.baselines:
        text = f"- {b.name} ({b.target}): sensitivity {_number(b.sensitivity)}, specificity {_number(b.specificity)}."
        if b.derived:
            text += f" {' '.join(b.derived.split())}"
        lines.append(f"{text} Source: {b.source.rstrip('.')}.")
    for ref in task.references:
        values = ", ".join(f"`{m}` {_number(v)}" for m, v in ref.metrics.items())
        text = f"- {ref.name}: {values}."
        if ref.note:
            text += f" {' '.join(ref.note.split())}"
        lines.append(f"{text} Source: {ref.source.rstrip('.')}.")
    return ["## Baselines and published results", "", *lines, ""] if lines else []


def generated_section(task: Task) -> str:
    """The generated part of ``tasks/<id>/README.md``, markers included."""
    lines = [BEGIN, f"# {task.id} — {task.title}", "", " ".join(task.description.split()), "",
             *_data(task), *_scoring(task), *_published(task), END]
    return "\n".join(lines) + "\n"


def split_readme(text: str, begin: str = BEGIN, end: str = END) -> tuple[str, str]:
    """The maintainer's text before and after the generated part of an existing README."""
    if not text.strip():
        return "", ""
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise TaskError(f"README.md must hold the line {begin!r} once, followed by the line {end!r} once "
                        "(the generated part goes between them; add them, or delete the file to start anew).")
    head, rest = text.split(begin, 1)
    return head, rest.split(end, 1)[1].removeprefix("\n")


def readme_text(task: Task, existing: Optional[str] = None) -> str:
    """The README ``task`` should have: ``existing`` with its generated part brought up to date."""
    head, tail = split_readme(existing or "")
    return head + generated_section(task) + tail


def readme_path(task: Task) -> Path:
    return task.task_dir / "README.md"


def readme_is_current(task: Task) -> bool:
    path = readme_path(task)
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    try:
        return readme_text(task, text) == text
    except TaskError:
        return False
