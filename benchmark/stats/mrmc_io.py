"""Reads files of multi-reader multi-case (MRMC) studies: reading and validation.

File format
-----------
A UTF-8 CSV file in long layout, one row per read; lines starting with ``#`` are comments and
blank lines are ignored. Columns (any order):

``reader``
    Reader name (an algorithm is a reader too; see ``model`` of :func:`read_mrmc_file`).
``case``
    Case identifier.
``truth``
    ``1`` when the case is positive (diseased), ``0`` when it is negative; the same for every
    read of the case.
``rating``
    The reader's rating: any finite number, higher meaning more confident that the case is
    positive (e.g. a 5-point confidence scale or a probability); ``0`` or ``1`` for binary
    reads.
``modality`` (optional)
    The modality (treatment) the case was read in; one modality when absent.

The analysis needs a fully crossed design: every reader reads every case in every modality,
exactly once. Example (the Van Dyke et al. 1993 study, tests/data/mrmc/)::

    reader,modality,case,truth,rating
    0,0,1,0,1.000000
    0,0,70,1,5.000000

Validation collects every problem (line, column, expected, found, fix), as submission
validation does, and fails once with :class:`ReadsInvalid` (exit code 2).
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..core.errors import EXIT_INVALID, Problem, UsageError, format_problems

__all__ = [
    "FOMS",
    "MAX_READER_MODALITIES",
    "MAX_READS_BYTES",
    "MRMCData",
    "ReadsInvalid",
    "check_design",
    "read_mrmc_file",
]

#: Figures of merit: trapezoidal (Wilcoxon) AUC of ratings; sensitivity and specificity of
#: binary reads.
FOMS = ("auc", "sensitivity", "specificity")

#: Largest reads file accepted (bytes).
MAX_READS_BYTES = 200 * 1024 * 1024
#: Most (reader, modality) combinations analysed: the jackknife covariance matrix has this many
#: rows and columns (a real study has tens).
MAX_READER_MODALITIES = 1000

_REQUIRED = ("reader", "case", "truth", "rating")
_OPTIONAL = ("modality",)
_SHOW = 5  # names listed in one message before "and N more"


class ReadsInvalid(UsageError):
    """A reads file (or reader-study design) failed validation; carries every problem.

    A usage error (exit code 2): the file given on the command line cannot be analysed.
    """

    exit_code = EXIT_INVALID

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("ReadsInvalid needs at least one problem.")
        self.problems = list(problems)
        super().__init__(
            f"reads file is invalid: {len(self.problems)} problem(s)\n" + format_problems(self.problems)
        )


@dataclass(frozen=True)
class MRMCData:
    """A fully crossed reader study.

    Attributes
    ----------
    modalities : list of str
        Modality names, in order of first appearance.
    readers : list of str
        Reader names, in order of first appearance.
    cases : list of str
        Case identifiers, in order of first appearance.
    truth : ndarray of shape (K,)
        0/1 truth of each case.
    ratings : ndarray of shape (T, J, K)
        ``ratings[t, j, k]``: rating of case ``k`` by reader ``j`` in modality ``t``.
    source : str
        Where the data came from (file name), for messages.
    """

    modalities: list
    readers: list
    cases: list
    truth: np.ndarray
    ratings: np.ndarray
    source: str = ""

    @property
    def n_positive(self) -> int:
        return int(self.truth.sum())


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_SHOW])
    return shown + (f" and {len(names) - _SHOW} more" if len(names) > _SHOW else "")


def _parse_float(text: str) -> Optional[float]:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def read_mrmc_file(path, fom: str = "auc", model: Optional[str] = None) -> MRMCData:
    """Read and validate a reads file (see the module docstring).

    Parameters
    ----------
    path : path-like
        The long CSV file.
    fom : {"auc", "sensitivity", "specificity"}, default="auc"
        The figure of merit the file will be analysed with; sensitivity and specificity need
        binary (0/1) ratings.
    model : str, default=None
        The name of a reader that is an algorithm, compared with the panel of the other
        readers in a single modality.

    Returns
    -------
    MRMCData

    Raises
    ------
    ReadsInvalid
        Every problem found: unreadable or empty file, header without a required column or
        with an unknown one, rows with the wrong number of fields, empty names, non-numeric
        or non-finite ratings, truth not 0/1, a case with inconsistent truth, duplicate reads,
        missing reads, a reader who read no positive (or no negative) case, non-binary ratings
        with a sensitivity or specificity FOM, fewer than two readers in the panel, ``model``
        not among the readers or with several modalities.
    """
    path = Path(path)
    name = str(path)

    def fail(code, message, **kw):
        raise ReadsInvalid([Problem(code, message, file=name, **kw)])

    try:
        size = path.stat().st_size
    except OSError as exc:
        fail("unreadable", f"cannot read the file: {exc.strerror or exc}.", fix="check the path")
    if size > MAX_READS_BYTES:
        fail("too-large", "file is too large.", expected=f"at most {MAX_READS_BYTES} bytes", found=f"{size} bytes")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        fail("unreadable", f"cannot read the file: {exc.strerror or exc}.", fix="check the path")
    except UnicodeDecodeError as exc:
        fail("not-utf8", f"file is not UTF-8 text (byte offset {exc.start}).", fix="save the file as UTF-8 CSV")
    if "\x00" in text:
        fail("binary", "file holds NUL bytes; it is not a CSV text file.", fix="export the reads as CSV")

    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            fields = next(csv.reader([line]))
        except csv.Error as exc:
            fields = None
            rows.append((lineno, None, str(exc)))
            continue
        rows.append((lineno, fields, None))
    if not rows:
        fail("empty", "file holds no header and no reads.", expected="header reader,case,truth,rating[,modality]")
    header_line, header, _ = rows[0]
    if header is None:
        fail("header", "the header line is not valid CSV.", line=header_line)
    header = [h.strip() for h in header]
    problems: list[Problem] = []
    known = _REQUIRED + _OPTIONAL
    for h in header:
        if h not in known:
            close = difflib.get_close_matches(h.lower(), known, n=1, cutoff=0.6)
            problems.append(Problem(
                "unknown-column", f"unknown column {h!r}" + (f"; did you mean {close[0]!r}?" if close else "."),
                file=name, line=header_line, column=h, expected=", ".join(known), found=repr(h),
                fix="rename or remove the column",
            ))
    for c in _REQUIRED:
        if c not in header:
            problems.append(Problem(
                "missing-column", f"required column {c!r} is missing.", file=name, line=header_line,
                column=c, expected="header reader,case,truth,rating[,modality]", found=",".join(header),
                fix=f"add a {c} column",
            ))
    dupes = sorted({h for h in header if header.count(h) > 1})
    for h in dupes:
        problems.append(Problem("duplicate-column", f"column {h!r} appears more than once.",
                                file=name, line=header_line, column=h, fix="keep one"))
    if problems:
        raise ReadsInvalid(problems)
    col = {h: i for i, h in enumerate(header)}
    binary_fom = fom in ("sensitivity", "specificity")

    modalities: dict[str, int] = {}
    readers: dict[str, int] = {}
    cases: dict[str, int] = {}
    truth_of: dict[str, tuple[int, int]] = {}  # case -> (truth, first line)
    seen: dict[tuple[str, str, str], int] = {}
    attempted: set = set()  # (modality, reader, case) of every row with usable names
    reads: list[tuple[str, str, str, float]] = []
    for lineno, fields, err in rows[1:]:
        if fields is None:
            problems.append(Problem("bad-csv", f"line is not valid CSV: {err}.", file=name, line=lineno))
            continue
        if len(fields) != len(header):
            problems.append(Problem(
                "field-count", "wrong number of fields.", file=name, line=lineno,
                expected=f"{len(header)} ({','.join(header)})", found=str(len(fields)),
                fix="quote values that contain commas",
            ))
            continue
        vals = {h: fields[i].strip() for h, i in col.items()}
        modality = vals.get("modality", "1")
        row_ok = True
        for c in ("reader", "case") + (("modality",) if "modality" in col else ()):
            if not vals[c]:
                problems.append(Problem("empty-value", f"column {c} must not be empty.", file=name,
                                        line=lineno, column=c, fix=f"give the {c}"))
                row_ok = False
            elif _has_control(vals[c]) or len(vals[c]) > 200:
                problems.append(Problem(
                    "bad-name", f"column {c} holds control characters or is longer than 200 characters.",
                    file=name, line=lineno, column=c, found=repr(vals[c][:40]),
                    fix="use printable names of at most 200 characters",
                ))
                row_ok = False
        if row_ok:
            attempted.add((modality, vals["reader"], vals["case"]))
        rating = _parse_float(vals["rating"])
        if rating is None:
            problems.append(Problem(
                "rating-not-numeric", "rating must be a finite number.", file=name, line=lineno,
                column="rating", expected="a number such as 3 or 0.82", found=repr(vals["rating"][:40]),
                fix="write the rating as a plain decimal number",
            ))
            row_ok = False
        elif binary_fom and rating not in (0.0, 1.0):
            problems.append(Problem(
                "rating-not-binary", f"the {fom} FOM needs binary reads.", file=name, line=lineno,
                column="rating", expected="0 or 1", found=repr(vals["rating"][:40]),
                fix="give binary calls, or use --fom auc for confidence ratings",
            ))
            row_ok = False
        if vals["truth"] not in ("0", "1"):
            problems.append(Problem(
                "truth-not-binary", "truth must be 0 or 1.", file=name, line=lineno, column="truth",
                expected="0 (negative) or 1 (positive)", found=repr(vals["truth"][:40]),
            ))
            row_ok = False
        if not row_ok:
            continue
        reader, case, truth = vals["reader"], vals["case"], int(vals["truth"])
        if case in truth_of and truth_of[case][0] != truth:
            first_truth, first_line = truth_of[case]
            problems.append(Problem(
                "truth-inconsistent", f"case {case!r} has truth {first_truth} on line {first_line}.",
                file=name, line=lineno, column="truth", expected=str(first_truth), found=str(truth),
                fix="give every read of a case the same truth",
            ))
            continue
        truth_of.setdefault(case, (truth, lineno))
        key = (modality, reader, case)
        if key in seen:
            what = f"reader {reader!r}" + (f" in modality {modality!r}" if "modality" in col else "")
            problems.append(Problem(
                "duplicate-read", f"duplicate read of case {case!r} by {what}",
                expected="one read", found=f"a second read (first on line {seen[key]})",
                file=name, line=lineno, fix="keep one read per reader, case and modality",
            ))
            continue
        seen[key] = lineno
        modalities.setdefault(modality, len(modalities))
        readers.setdefault(reader, len(readers))
        cases.setdefault(case, len(cases))
        reads.append((modality, reader, case, rating))
    if not reads and not problems:
        fail("no-reads", "file holds a header but no reads.")
    if not reads:
        raise ReadsInvalid(problems)
    for m, r, c in attempted:  # cases and readers known only from rows with problems
        modalities.setdefault(m, len(modalities))
        readers.setdefault(r, len(readers))
        if c not in cases and c in truth_of:
            cases.setdefault(c, len(cases))

    T, J, K = len(modalities), len(readers), len(cases)
    truth = np.array([truth_of[c][0] for c in cases], dtype=np.int64)
    if T * J > MAX_READER_MODALITIES:
        problems.append(Problem(
            "too-many-readers", "too many reader and modality combinations for an MRMC analysis.",
            file=name, column="reader", expected=f"at most {MAX_READER_MODALITIES}",
            found=f"{J} readers x {T} modalities",
        ))
        raise ReadsInvalid(problems)
    # a read whose row has a problem is reported there, not again as missing
    problems += _crossing_problems(modalities, readers, cases, truth_of, attempted, name, "modality" in col)
    if problems or len(reads) != T * J * K:
        shell = MRMCData(list(modalities), list(readers), list(cases), truth, np.empty((0, 0, 0)), name)
        problems += check_design(shell, fom, model, raise_=False)
        raise ReadsInvalid(problems)
    ratings = np.full((T, J, K), np.nan)
    for m, r, c, v in reads:
        ratings[modalities[m], readers[r], cases[c]] = v
    data = MRMCData(list(modalities), list(readers), list(cases), truth, ratings, name)
    check_design(data, fom, model)
    return data


def _crossing_problems(modalities, readers, cases, truth_of, attempted, name, has_modality) -> list[Problem]:
    """Missing reads and readers without a positive (negative) read, without a dense array.

    ``attempted``: every (modality, reader, case) a row named, including rows with other
    problems, so that a bad row is reported once (where it is), not again as a missing read.
    """
    got: dict = {}
    for m, r, c in attempted:
        if c in cases:
            got.setdefault((m, r), set()).add(c)
    K = len(cases)
    n_class = {v: sum(1 for c in cases if truth_of[c][0] == v) for v in (0, 1)}
    problems = []
    for m in modalities:
        for r in readers:
            read = got.get((m, r), set())
            who = f"reader {r!r}" + (f" in modality {m!r}" if has_modality else "")
            for label, value in (("positive", 1), ("negative", 0)):
                if n_class[value] and not any(truth_of[c][0] == value for c in read):
                    problems.append(Problem(
                        f"no-{label}-read", f"{who} read no {label} case, so its FOM is undefined",
                        file=name, column="reader", fix="every reader must read every case",
                    ))
            if len(read) < K:
                missing = []
                for c in cases:
                    if c not in read:
                        missing.append(c)
                        if len(missing) > _SHOW:
                            break
                n_missing = K - len(read)
                shown = ", ".join(repr(c) for c in missing[:_SHOW])
                more = f" and {n_missing - _SHOW} more" if n_missing > _SHOW else ""
                problems.append(Problem(
                    "missing-reads", f"{who} did not read {n_missing} of the {K} cases: {shown}{more}.",
                    file=name, column="case", expected="every reader reads every case in every modality",
                    found=f"{len(read)} cases read",
                    fix="add the missing reads, or drop the cases (or reader) from the analysis",
                ))
    return problems


def check_design(data: MRMCData, fom: str = "auc", model: Optional[str] = None, raise_: bool = True):
    """Check that a study can be analysed: FOM, both truth classes, readers, model.

    Returns the list of problems when ``raise_`` is false; raises :class:`ReadsInvalid`
    otherwise (when there is any).
    """
    name = data.source
    problems = []
    if fom not in FOMS:
        problems.append(Problem("unknown-fom", "unknown figure of merit.", file=name,
                                expected=" or ".join(FOMS), found=repr(fom)))
    K = len(data.cases)
    n1 = int(np.sum(data.truth == 1))
    if n1 == 0 or n1 == K:
        missing = "positive" if n1 == 0 else "negative"
        problems.append(Problem(
            f"no-{missing}-case", f"the study has no {missing} case; no FOM can be estimated.",
            file=name, column="truth", expected="cases with truth 0 and cases with truth 1",
            found=f"{n1} positive and {K - n1} negative cases",
        ))
    elif n1 < 2 or K - n1 < 2:
        problems.append(Problem(
            "too-few-cases", "the jackknife leaves out one case at a time, so each truth class needs two cases.",
            file=name, column="truth", expected="at least 2 positive and 2 negative cases",
            found=f"{n1} positive and {K - n1} negative cases",
        ))
    panel = list(data.readers)
    if model is not None:
        if model not in data.readers:
            lower = {r.lower(): r for r in data.readers}
            close = [lower[c] for c in difflib.get_close_matches(model.lower(), list(lower), n=1, cutoff=0.6)]
            problems.append(Problem(
                "unknown-model", f"--model {model!r} is not a reader of the file"
                + (f"; did you mean {close[0]!r}?" if close else "."),
                file=name, column="reader", expected=f"one of {_listed(data.readers)}", found=repr(model),
            ))
        else:
            panel.remove(model)
        if len(data.modalities) != 1:
            problems.append(Problem(
                "model-several-modalities",
                "--model compares an algorithm with the readers in one modality; the file has "
                f"{len(data.modalities)}: {_listed(data.modalities)}.",
                file=name, column="modality", expected="one modality", found=str(len(data.modalities)),
                fix="keep the reads of one modality",
            ))
    if len(panel) < 2:
        problems.append(Problem(
            "too-few-readers",
            "an MRMC analysis needs at least two readers" + (" besides the model." if model else "."),
            file=name, column="reader", expected="2 or more readers", found=f"{len(panel)}: {_listed(panel)}",
        ))
    if raise_ and problems:
        raise ReadsInvalid(problems)
    return problems
