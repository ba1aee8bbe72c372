"""Read and validate a prediction file into score arrays aligned to the public case ids.

The pipeline follows evalutils' grading steps (load, validate, join on id, report missing and
extra rows) and never stops at the first problem inside a stage: every problem found is
collected, then :class:`~benchmark.core.errors.SubmissionInvalid` is raised once. Later stages run
only when the earlier ones leave something sensible to check (a gzip file is not searched for
duplicate ids).

1. **file**: the path exists, is a file, and is not larger than the task's limit (checked before
   the file is read).
2. **bytes**: compressed files, archives, spreadsheets and other binary formats, UTF-16/32 text
   and text that is not UTF-8 are recognised by their first bytes and named.
3. **text**: UTF-8 with or without a byte-order mark; ``\\n``, ``\\r\\n`` or ``\\r`` line ends;
   blank lines and lines starting with ``#`` (comments) are skipped but still counted, so every
   line number is the physical line an editor shows.
4. **format**: the format named by the caller, or the one whose header the first line matches.
   A first line of ``k`` numbers (``k`` = value columns of the task) selects the ``headerless``
   layout when the task declares one. Cases that fit no format unambiguously (an MRNet header
   ``abnormal,acl,meniscus`` without a ``case`` column; four numeric columns whose first holds
   case ids) are reported as such, not guessed.
5. **header**: missing, extra, misspelled (with a suggestion), duplicated and unnamed columns.
6. **rows**: quoting, the number of fields per line (with hints for ``;``-separated lines and
   decimal commas).
7. **values**: empty cells, NaN, infinity, text, decimal commas, percent signs. Binary tasks:
   a value outside [0, 1] by at most ``ROUNDING_TOLERANCE`` (1e-6) is rounding, accepted with a
   warning and read as 0 or 1; negative values, and values above 1 in a file that holds
   negative values, look like logits (a sigmoid is suggested); otherwise values in (1, 100]
   look like percentages and larger ones are refused as such. Multi-class tasks accept any
   finite non-negative value, as the competition's scorer did: a value above 1, a row summing
   to 0 and a row not summing to 1 get warnings that say how the scorer treats them (clip to
   [2.2e-16, 1 - 2.2e-16], then rescale the row); negative values are refused (logits: a
   softmax is suggested). In binary tasks with an AUC metric, a target column with exactly two
   distinct values (hard 0/1 decisions) gets a warning: its AUC is a single operating point.
   Every message depends on the file alone, never on the labels.
8. **ids**: stray whitespace, empty ids, duplicates, unknown ids (with a diagnosis of lost zero
   padding and of ids written as numbers), missing ids; for ``long`` layouts also unknown target
   suffixes (with a suggestion) and cases that lack the row of some target.
9. **alignment** into float64 arrays: ``(n, k)`` for binary tasks, ``(n, k, c)`` for multi-class.

Every message is built from the submission and the public id list only; hidden labels are not
an input of this module or of the stages it composes: :mod:`~benchmark.submissions.read`
(stages 1-3), :mod:`~benchmark.submissions.formats` (4-5), :mod:`~benchmark.submissions.checks`
(6-7), :mod:`~benchmark.submissions.align` (8-9), each problem gathered by
:class:`~benchmark.submissions.collect.ProblemReport`.

Problem codes (``Problem.code``): ``file-not-found``, ``not-a-file``, ``cannot-read``,
``file-too-large``, ``empty-file``, ``compressed``, ``archive``, ``binary``, ``utf16``,
``not-utf8``, ``no-content``, ``unknown-format``, ``wrong-delimiter``, ``ambiguous-format``,
``missing-header``, ``unexpected-header``, ``unrecognised-header``, ``duplicate-column``,
``unnamed-column``, ``misspelled-column``, ``missing-column``, ``extra-column``,
``malformed-quotes``, ``field-count``, ``no-rows``, ``row-count``, ``empty-value``,
``nan-value``, ``infinite-value``, ``not-a-number``, ``decimal-comma``, ``percent-sign``,
``logit``, ``logit-above-one``, ``negative-value``, ``percentage``, ``above-one``,
``id-whitespace``, ``empty-id``, ``duplicate-id``, ``unknown-id``, ``id-zero-padding``,
``id-as-number``, ``unknown-target``, ``missing-ids``, ``missing-rows``, ``encrypted``,
``too-many-columns``, ``header-too-long``, ``column-name-too-long``. Warning codes:
``header-whitespace``, ``rounding``, ``value-above-one``, ``zero-row``, ``row-sum``,
``hard-predictions``, ``row-order``.

>>> from benchmark.data.tasks import load_registry
>>> from benchmark.submissions.formats import describe_formats
>>> print(describe_formats(load_registry().get("mrnet")).splitlines()[1])
- canonical: header row `case,abnormal,acl,meniscus`, one row per case, any row order; e.g. first data row `1130,0.5,0.5,0.5`.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from .align import align_long, align_wide, ascending, digit_width, IdCheck
from .checks import check_class_rows, check_hard_predictions, check_values, report_field_counts
from .collect import count_of, MAX_EXAMPLES, ProblemReport, show
from .formats import canonical_format, check_header, describe_formats, expected_header, format_names, header_fits, resolve_layout, value_slots
from .parquet import is_parquet, parquet_as_csv
from .read import DEFAULT_MAX_MB, Lines, MB, parse_frame, read_bytes, sniff
from ..core.fileio import atomic_write_text
from ..data.public import PublicCases
from ..data.tasks import Task

__all__ = ["Submission", "read_submission", "read_submission_bytes", "write_canonical"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Submission:
    """A validated submission, aligned to the public case ids.

    Attributes
    ----------
    task_id : str
        Id of the task the submission was validated for.
    format : str
        Name of the submission format (a ``[[formats]]`` entry of the task).
    path : str
        The path as given by the caller.
    sha256 : str
        sha256 of the file's bytes, as read.
    ids : ndarray of str, shape (n,)
        The case ids, equal to ``expected.ids`` (same order).
    scores : ndarray of float64
        ``(n, k)`` probabilities for binary tasks, ``(n, k, c)`` class probabilities for
        multi-class tasks; aligned to ``ids`` and ``task.targets`` (and ``task.classes``).
    warnings : list of Problem
        Accepted oddities (values rounded into [0, 1], class values above 1 or rows not summing
        to 1, hard 0/1 predictions in an AUC task, rows matched by order).
    n_rows : int
        Number of data rows in the file.
    """

    task_id: str
    format: str
    path: str
    sha256: str
    ids: np.ndarray
    scores: np.ndarray
    warnings: list = field(default_factory=list)
    n_rows: int = 0


def read_submission(
    task: Task,
    path: PathLike,
    expected: PublicCases,
    format: Optional[str] = None,
    max_mb: Optional[float] = None,
    display_path: Optional[str] = None,
) -> Submission:
    """Read, validate and align a prediction file.

    Parameters
    ----------
    task : Task
        The task the file is submitted to.
    path : str or path-like
        The prediction file (CSV).
    expected : PublicCases
        The cases the submission must cover (:func:`benchmark.data.public.load_public`); messages are
        built from the file and these public ids only.
    format : str, optional
        Name of one of ``task.formats``; detected from the first line when omitted.
    max_mb : float, optional
        Size limit in MB (10**6 bytes); default ``task.limits.max_file_mb`` (200).
    display_path : str, optional
        How the file is named in problems and warnings (default: ``path`` as given). The
        leaderboard passes the path relative to the repository root so its output does not
        depend on where the repository is checked out.

    Returns
    -------
    Submission
        Scores aligned to ``expected.ids`` and ``task.targets``: float64 ``(n, k)`` for binary
        tasks, ``(n, k, c)`` for multi-class tasks.

    Raises
    ------
    SubmissionInvalid
        With every problem found (and the warnings). No other exception is raised for any file
        content.

    Examples
    --------
    >>> import tempfile, os
    >>> from benchmark.data.tasks import load_registry
    >>> task = load_registry().get("mrnet")
    >>> cases = PublicCases("mrnet", "demo", np.array(["1130", "1131"]), pd.DataFrame(index=["1130", "1131"]), "")
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "pred.csv")
    >>> _ = open(p, "w").write("case,abnormal,acl,meniscus\\n1131,0.2,0.1,0.3\\n1130,0.9,0.8,0.7\\n")
    >>> read_submission(task, p, cases).scores
    array([[0.9, 0.8, 0.7],
           [0.2, 0.1, 0.3]])
    """
    shown = str(path) if display_path is None else str(display_path)
    rep = ProblemReport(shown)
    if format is not None and format not in {f.name for f in task.formats}:
        close = difflib.get_close_matches(format, [f.name for f in task.formats], n=1, cutoff=0.5)
        rep.add("unknown-format", f"task {task.id!r} has no submission format {format!r}"
                + (f"; did you mean {close[0]!r}?" if close else ""),
                expected=f"one of {format_names(task)}", found=repr(format),
                fix="omit the format to detect it from the header, or name an accepted one")
        rep.fail()
    limit = float(max_mb) if max_mb is not None else float(
        getattr(task.limits, "max_file_mb", DEFAULT_MAX_MB) or DEFAULT_MAX_MB)
    raw = read_bytes(Path(path), limit, rep)
    if raw is None:
        rep.fail()
    sha = hashlib.sha256(raw).hexdigest()
    if is_parquet(raw):  # validated as the CSV of the same table
        raw = parquet_as_csv(raw, limit * MB, shown)
    data = sniff(raw, rep)
    if data is None:
        rep.fail()
    del raw
    return _validate(task, data, sha, expected, format, rep, shown)


def read_submission_bytes(
    task: Task,
    raw: bytes,
    expected: PublicCases,
    format: Optional[str] = None,
    max_mb: Optional[float] = None,
    display_path: str = "predictions.csv",
) -> Submission:
    """:func:`read_submission` of content held in memory (a decrypted confidential file).

    Nothing is written to disk; problems name ``display_path``.

    Raises
    ------
    SubmissionInvalid
        As :func:`read_submission`.
    """
    rep = ProblemReport(str(display_path))
    if format is not None and format not in {f.name for f in task.formats}:
        rep.add("unknown-format", f"task {task.id!r} has no submission format {format!r}",
                expected=f"one of {format_names(task)}", found=repr(format),
                fix="omit the format to detect it from the header, or name an accepted one")
        rep.fail()
    limit_mb = float(max_mb) if max_mb is not None else float(
        getattr(task.limits, "max_file_mb", DEFAULT_MAX_MB) or DEFAULT_MAX_MB)
    if len(raw) > limit_mb * MB:
        rep.add("file-too-large", "the file is larger than the task allows",
                expected=f"at most {limit_mb:g} MB", found=f"{len(raw) / MB:,.1f} MB",
                fix="write each probability with at most 6 decimals and leave out extra columns")
        rep.fail()
    sha = hashlib.sha256(raw).hexdigest()
    if is_parquet(raw):  # validated as the CSV of the same table
        raw = parquet_as_csv(raw, limit_mb * MB, str(display_path))
    data = sniff(raw, rep)
    if data is None:
        rep.fail()
    return _validate(task, data, sha, expected, format, rep, str(display_path))


def _validate(task: Task, data: bytes, sha: str, expected: PublicCases, fmt_name: Optional[str],
              rep: ProblemReport, path: str) -> Submission:
    lines = Lines(data)
    content = ~(lines.blank | lines.comment)
    if not content.any():
        rep.add("no-content", "the file holds no data: only blank or comment lines",
                expected="a header row and one row per case", fix=describe_formats(task))
        rep.fail()
    exp_ids = np.asarray(expected.ids).astype(str)
    index = pd.Index(exp_ids, dtype=object)
    if not index.is_unique:
        raise ValueError("the expected public ids must be distinct")
    expected_set = set(exp_ids.tolist())
    width = digit_width(exp_ids)
    first = int(np.flatnonzero(content)[0])
    if not header_fits(task, lines, first, rep):
        rep.fail()
    layout = resolve_layout(task, fmt_name, lines, first, expected_set, width, rep)
    if layout is None:
        rep.fail()
    fmt = layout.fmt
    k = len(task.targets)
    c = len(task.classes) if task.kind == "multiclass" else 1

    # Columns.
    if fmt.layout == "headerless":
        ncols = len(layout.columns)
        mapping = {name: i for i, name in enumerate(layout.columns)}
        data_from = first
    else:
        raw_fields = lines.split(first)
        mapping = check_header(task, layout, raw_fields, rep)
        ncols = len(layout.columns)
        data_from = first + 1
    id_col = fmt.id_column if fmt.layout != "headerless" else None
    id_pos = mapping.get(id_col) if id_col else None
    if fmt.layout == "long":
        value_names = list(fmt.value_columns or [])
    else:
        value_names = value_slots(task, fmt)
    value_cols = [(n, mapping[n]) for n in value_names if n in mapping]

    # Rows: structure.
    rows_mask = content.copy()
    rows_mask[:data_from] = False
    bad_q = rows_mask & lines.bad_quotes
    wrong = rows_mask & ~bad_q & (lines.fields != ncols)
    if bad_q.any():
        idx = np.flatnonzero(bad_q)
        rep.examples("malformed-quotes", len(idx),
                     [(i + 1, None, show(lines.text(i))) for i in idx[:MAX_EXAMPLES]],
                     "the line has unbalanced or misplaced double quotes",
                     "{n} lines in total have unbalanced or misplaced double quotes",
                     fix='enclose whole fields in double quotes ("...") and write a quote inside '
                     'a quoted field as ""')
    if wrong.any():
        report_field_counts(lines, np.flatnonzero(wrong), ncols, layout, id_pos,
                             len(value_cols), rep)
    keep = rows_mask & ~bad_q & ~wrong
    dropped = np.flatnonzero(rows_mask & ~keep)
    row_lines = np.flatnonzero(keep)
    n_rows = int(rows_mask.sum())
    if n_rows == 0:
        rep.add("no-rows", "the file has a header but no data rows",
                expected=f"one row per case ({len(exp_ids):,} cases)",
                fix="write the predictions below the header")
        rep.fail()

    body = lines.body(keep)
    if lines.quoted_commas == 0 and b'"' in body and b'""' not in body:
        # Quotes only wrap whole fields (every kept line is well quoted) and no quoted field
        # holds a comma or an escaped quote: dropping them leaves the same fields, and the
        # C parser is much faster on unquoted text.
        body = body.replace(b'"', b"")
    float_cols = [p for _, p in value_cols]
    usecols = float_cols + ([id_pos] if id_pos is not None else [])
    df, numeric = parse_frame(body, ncols, usecols, float_cols, len(row_lines))
    del body
    values, values_ok = check_values(df, numeric, value_cols, row_lines, rep, lines, task.kind)
    if task.kind == "multiclass":
        check_class_rows(task, fmt, values, row_lines, df, id_pos, rep)

    # Ids and alignment.
    n = len(exp_ids)
    ids_ck = IdCheck(task, expected, rep, index, width, id_col or task.id_column)
    if fmt.layout == "headerless":
        if n_rows != n:
            rep.add("row-count", f"the file has {count_of(n_rows, 'data row')}; format "
                    f"{fmt.name!r} needs exactly one row per case, in ascending case-id order",
                    expected=f"{n:,} rows", found=f"{n_rows:,} rows",
                    fix="write one row for every case of the public id list, sorted by case id")
        rep.add("row-order", f"format {fmt.name!r} has no id column: rows were matched to cases "
                "by position (ascending case id)", warning=True,
                fix="prefer a format with an id column")
        if rep.problems:
            rep.fail()
        perm = ascending(exp_ids)  # file row r holds case perm[r]
        scores = np.empty((n, k, c), dtype=np.float64)
        for j, name in enumerate(value_names):
            t, cl = divmod(j, c)
            scores[perm, t, cl] = values[name]
    elif id_pos is None:
        rep.fail()
    else:
        raw_ids = df[id_pos].to_numpy(dtype=object)
        if fmt.layout == "wide":
            scores = align_wide(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values,
                                 value_names, ids_ck, c)
        else:
            scores = align_long(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values,
                                 value_names, ids_ck, c)
    if rep.problems or scores is None:
        rep.fail()
    if not values_ok or not np.isfinite(scores).all():  # defensive: every cell was checked above
        rep.add("not-a-number", "some values could not be read as numbers",
                fix="write a probability in [0, 1] in every cell")
        rep.fail()
    if task.kind == "binary":
        scores = scores[:, :, 0]
        check_hard_predictions(task, scores, rep)
    return Submission(
        task_id=task.id,
        format=fmt.name,
        path=path,
        sha256=sha,
        ids=exp_ids.copy(),
        scores=np.ascontiguousarray(scores, dtype=np.float64),
        warnings=list(rep.warnings),
        n_rows=n_rows,
    )


def write_canonical(task: Task, submission: Submission, path: PathLike,
                    format: Optional[str] = None) -> Path:
    """Write a validated submission as a canonical CSV file.

    The file is written to a temporary file in the target folder and then renamed, so a reader
    never sees a half-written file. Floats are written with ``repr`` (shortest round-trip), so
    reading the file back gives identical arrays.

    Parameters
    ----------
    task : Task
    submission : Submission
        A submission returned by :func:`read_submission` for ``task``.
    path : str or path-like
        Destination file.
    format : str, optional
        Name of the format to write; default :func:`canonical_format` (``canonical`` when the
        task declares it, else its first format with a header row).

    Returns
    -------
    Path
        The written path.
    """
    fmt = task.format(format) if format else canonical_format(task)
    if submission.task_id != task.id:
        raise ValueError(
            f"submission is for task {submission.task_id!r}, not {task.id!r}."
        )
    ids = np.asarray(submission.ids).astype(str)
    n, k = len(ids), len(task.targets)
    c = len(task.classes) if task.kind == "multiclass" else 1
    scores = np.asarray(submission.scores, dtype=np.float64).reshape(n, k, c)
    rows: list[str]
    if fmt.layout == "long":
        header = expected_header(task, fmt)
        flat = scores.reshape(n * k, c)
        rid = [f"{i}{fmt.separator}{t}" for i in ids for t in task.targets]
        cols = [[repr(float(x)) for x in flat[:, j]] for j in range(c)]
        rows = [",".join(parts) for parts in zip(rid, *cols)]
    elif fmt.layout == "wide":
        header = expected_header(task, fmt)
        flat = scores.reshape(n, k * c)
        cols = [[repr(float(x)) for x in flat[:, j]] for j in range(k * c)]
        rows = [",".join(parts) for parts in zip(ids.tolist(), *cols)]
    else:
        header = None
        perm = ascending(ids)
        flat = scores.reshape(n, k * c)[perm]
        rows = [",".join(repr(float(x)) for x in r) for r in flat]
    text = ("" if header is None else ",".join(header) + "\n") + "".join(r + "\n" for r in rows)
    return atomic_write_text(path, text)
