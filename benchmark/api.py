"""Python API: validate, score and compare predictions from a script or a notebook.

The three functions return the same typed records the command line writes with ``--json``
(:class:`~benchmark.scoring.results.ValidationReport`, :class:`~benchmark.scoring.results.ScoreResult`,
:class:`~benchmark.scoring.results.ComparisonResult`), each with ``.to_json()`` (the CLI's bytes) and
``.to_frame()`` (a pandas DataFrame). Predictions may be

* a path to a prediction file in any format the task accepts;
* a pandas DataFrame laid out like such a file (an id column, or a named index holding the
  ids, and the value columns);
* a numpy array of values in the task's canonical column order, with ``ids=`` giving the case
  id (or row id) of each row.

An invalid submission raises :class:`~benchmark.core.errors.SubmissionInvalid` carrying every
problem (``exc.problems``), exactly the problems ``benchmark validate`` prints. Scoring needs
``labels=`` (a label file or folder), ``$BENCHMARK_LABELS_DIR`` or ``demo=True``; otherwise
:class:`~benchmark.core.errors.LabelsRequired` is raised. See docs/api.md.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

import numpy as np
import pandas as pd

from .core.errors import Problem, SubmissionInvalid, UsageError
from .scoring.results import ComparisonResult, ProblemRecord, ScoreResult, ValidationReport
from .data.tasks import Task, load_registry

__all__ = ["validate", "score", "compare", "validation_report", "read_predictions"]

Predictions = Union[str, "os.PathLike[str]", pd.DataFrame, np.ndarray]
TaskLike = Union[str, Task]

#: How in-memory predictions are named in problems and results.
FRAME_NAME = "<DataFrame>"
ARRAY_NAME = "<array>"


def _task(task: TaskLike, root: Optional[os.PathLike]) -> Task:
    if isinstance(task, Task):
        return task
    if not isinstance(task, str):
        raise TypeError(f"task must be a task id or a Task. Got {type(task).__name__} instead.")
    return load_registry(Path(root) if root else None).get(task)


def _frame_of_array(task: Task, arr: np.ndarray, ids: Optional[Sequence], name: str) -> pd.DataFrame:
    from .submissions.submission import canonical_format, expected_header

    fmt = canonical_format(task)
    header = expected_header(task, fmt)
    if header is None:  # only a headerless format declared: rows in ascending id order
        header = ["__id__"] + task.value_columns
    n_values = len(header) - 1
    arr = np.asarray(arr)
    if arr.ndim == 1 and n_values == 1:
        arr = arr.reshape(-1, 1)
    problems = []
    if arr.ndim != 2 or arr.shape[1] != n_values:
        problems.append(Problem(
            "array-shape", "the array does not have one column per value of the canonical format",
            file=name, expected=f"shape (n, {n_values}) for columns {', '.join(header[1:])}",
            found=f"shape {tuple(arr.shape)}",
            fix=f"pass the values in the column order of the {fmt.name!r} format",
        ))
    if ids is None:
        problems.append(Problem(
            "missing-ids", "a numpy array needs the id of each row", file=name,
            expected=f"ids=[...] ({header[0]} values)", found="no ids",
            fix="pass ids=, or a DataFrame with an id column",
        ))
    elif arr.ndim >= 1 and len(ids) != arr.shape[0]:
        problems.append(Problem(
            "ids-length", "ids and array rows differ in number", file=name,
            expected=f"{arr.shape[0]} ids (one per row)", found=f"{len(ids)} ids",
            fix="pass one id per row of the array",
        ))
    if problems:
        raise SubmissionInvalid(problems)
    frame = pd.DataFrame(arr, columns=header[1:])
    frame.insert(0, header[0], [str(i) for i in ids])
    return frame


@contextmanager
def _as_file(task: Task, predictions: Predictions, ids: Optional[Sequence]) -> Iterator[tuple[str, str]]:
    """Yield ``(path, display name)`` of a file holding ``predictions``."""
    if isinstance(predictions, (str, os.PathLike)):
        yield str(predictions), str(predictions)
        return
    if isinstance(predictions, np.ndarray):
        frame, name = _frame_of_array(task, predictions, ids, ARRAY_NAME), ARRAY_NAME
    elif isinstance(predictions, pd.DataFrame):
        frame, name = predictions, FRAME_NAME
        if frame.index.name is not None or any(n is not None for n in frame.index.names):
            frame = frame.reset_index()
    else:
        raise TypeError(
            "predictions must be a path, a pandas DataFrame or a numpy array. "
            f"Got {type(predictions).__name__} instead."
        )
    with tempfile.TemporaryDirectory(prefix="benchmark-") as d:
        path = Path(d) / "predictions.csv"
        # pandas writes float64 values with their shortest round-trip repr: nothing is rounded.
        frame.to_csv(path, index=False, lineterminator="\n")
        yield str(path), name


def _records(problems) -> list[ProblemRecord]:
    return [ProblemRecord(**p.to_dict()) for p in problems]


def validation_report(task: Task, split: str, file: str, outcome) -> ValidationReport:
    """The report of a validation: ``outcome`` is a :class:`~benchmark.submissions.submission.Submission`
    or the :class:`~benchmark.core.errors.SubmissionInvalid` raised for the file."""
    if isinstance(outcome, SubmissionInvalid):
        return ValidationReport(
            task=task.id, split=split, file=file, valid=False,
            problems=_records(outcome.problems), warnings=_records(outcome.warnings),
        )
    return ValidationReport(
        task=task.id, split=split, file=file, valid=True, format=outcome.format,
        n_cases=len(outcome.ids), sha256=outcome.sha256, warnings=_records(outcome.warnings),
    )


def read_predictions(task: Task, path, expected, format=None, max_mb=None, display_path=None):
    """:func:`benchmark.submissions.submission.read_submission`, and when the file is invalid because its
    ids are another split's, a first problem saying so ("add --split valid")."""
    from .submissions.confidential import read_prediction_file
    from .data.public import other_split_problem
    from .submissions.submission import read_submission

    try:
        if display_path is None:  # a file: an encrypted one of a confidential task is opened too
            return read_prediction_file(task, path, expected, format=format, max_mb=max_mb)
        return read_submission(task, path, expected, format=format, max_mb=max_mb, display_path=display_path)
    except SubmissionInvalid as exc:
        hint = other_split_problem(task, expected.split, path)
        if hint is not None:
            if display_path is not None:
                hint = Problem(**{**hint.to_dict(), "file": display_path})
            exc.problems.insert(0, hint)
        raise


def _read(task: Task, predictions: Predictions, expected, ids, format, max_mb):
    with _as_file(task, predictions, ids) as (path, name):
        return read_predictions(task, path, expected, format=format, max_mb=max_mb, display_path=name), name


def validate(
    task: TaskLike,
    predictions: Predictions,
    *,
    split: Optional[str] = None,
    ids: Optional[Sequence] = None,
    format: Optional[str] = None,
    max_mb: Optional[float] = None,
    root: Optional[os.PathLike] = None,
) -> ValidationReport:
    """Check predictions against the public id list of a split (no labels needed).

    Returns a :class:`~benchmark.scoring.results.ValidationReport` with ``valid=True`` (and the
    accepted oddities as ``warnings``); raises :class:`~benchmark.core.errors.SubmissionInvalid`
    with every problem otherwise.
    """
    from .data.public import load_public

    t = _task(task, root)
    expected = load_public(t, split)
    sub, name = _read(t, predictions, expected, ids, format, max_mb)
    return validation_report(t, expected.split, name, sub)


def _disclosure(t: Task, labels, now):
    """The one disclosure stage every output goes through (as on the command line)."""
    from .data.disclosure import decide, resolve_now

    return decide(t, labels, resolve_now(now))


def _labels(t: Task, split, labels, demo, allow_label_hash_mismatch, cases=None):
    from .data.labels import load_labels, require_label_source, restrict_cases

    path = require_label_source(labels, demo=demo)
    lab = load_labels(t, split, path, allow_hash_mismatch=allow_label_hash_mismatch, demo=demo)
    return lab if cases is None else restrict_cases(t, lab, cases)


def score(
    task: TaskLike,
    predictions: Predictions,
    *,
    labels: Optional[os.PathLike] = None,
    demo: bool = False,
    split: Optional[str] = None,
    cases: Optional[os.PathLike] = None,
    ids: Optional[Sequence] = None,
    bootstrap: Optional[int] = None,
    seed: Optional[int] = None,
    ci: Optional[str] = None,
    level: Optional[float] = None,
    format: Optional[str] = None,
    max_mb: Optional[float] = None,
    allow_label_hash_mismatch: bool = False,
    now: Optional[str] = None,
    root: Optional[os.PathLike] = None,
) -> ScoreResult:
    """Score predictions against hidden labels (``labels=``, ``$BENCHMARK_LABELS_DIR``) or,
    with ``demo=True``, the synthetic demo labels; ``bootstrap=0`` gives point estimates only;
    ``cases=`` (a file of case ids) scores one fold or subset.

    Returns the :class:`~benchmark.scoring.results.ScoreResult` that ``benchmark score --json``
    writes (through the same disclosure stage; ``now="YYYY-MM-DD"`` as ``--now``);
    ``result.to_json()`` is byte for byte that file.
    """
    from .scoring.score import BootstrapSettings, score_task

    t = _task(task, root)
    settings = BootstrapSettings.from_task(t, replicates=bootstrap, seed=seed, method=ci, level=level)
    lab = _labels(t, split, labels, demo, allow_label_hash_mismatch, cases)
    sub, name = _read(t, predictions, lab.public_cases(), ids, format, max_mb)
    disc = _disclosure(t, lab, now)
    return disc.result(score_task(t, disc.restrict(lab), [disc.submission(sub, lab)], [name], settings).results[0])


def compare(
    task: TaskLike,
    a: Predictions,
    b: Predictions,
    *,
    labels: Optional[os.PathLike] = None,
    demo: bool = False,
    split: Optional[str] = None,
    cases: Optional[os.PathLike] = None,
    ids: Optional[Sequence] = None,
    bootstrap: Optional[int] = None,
    seed: Optional[int] = None,
    level: Optional[float] = None,
    format: Optional[str] = None,
    max_mb: Optional[float] = None,
    allow_label_hash_mismatch: bool = False,
    now: Optional[str] = None,
    root: Optional[os.PathLike] = None,
) -> ComparisonResult:
    """Paired comparison of two sets of predictions on the same cases and resamples.

    ``ids`` applies to both when both are numpy arrays. When ``a`` and ``b`` are both in
    memory they are named ``A`` and ``B`` in the result. Problems of both are collected
    before failing: one :class:`~benchmark.core.errors.SubmissionInvalid` carries them all.
    """
    from .scoring.score import BootstrapSettings, compare_two

    t = _task(task, root)
    settings = BootstrapSettings.from_task(t, replicates=bootstrap, seed=seed, method="percentile", level=level)
    lab = _labels(t, split, labels, demo, allow_label_hash_mismatch, cases)
    subs, names, problems, warnings = [], [], [], []
    for tag, p in (("A", a), ("B", b)):
        try:
            sub, name = _read(t, p, lab.public_cases(), ids, format, max_mb)
        except SubmissionInvalid as exc:
            problems += exc.problems
            warnings += exc.warnings
            continue
        subs.append(sub)
        names.append(name if isinstance(p, (str, os.PathLike)) else tag)
    if problems:
        raise SubmissionInvalid(problems, warnings)
    disc = _disclosure(t, lab, now)
    if disc.ladder:
        raise UsageError(f"task {t.id!r} uses the Ladder on split {lab.split!r}: only the rounded "
                         "leaderboard score of each submission is shown, so no paired comparison is given.")
    subs = [disc.submission(x, lab) for x in subs]
    out = compare_two(t, disc.restrict(lab), subs[0], subs[1], names, settings)
    return ComparisonResult.model_validate(disc.comparison(out))
