"""Case-level reader studies: reads files, reader operating points, matched comparisons.

A reader study records, for every reader and case, the reader's binary call. With case-level
reads a submission can be compared with a reader on the *same* cases, which is more powerful
than a comparison with a published operating point (:func:`benchmark.stats.ranking.
compare_to_operating_point`).

Reads file format
-----------------
A UTF-8 CSV file; lines starting with ``#`` are comments and blank lines are ignored. The header
is ``reader_id,case,read``, plus an optional ``target`` column when the study covers several
targets of the task (without it every read is of the task's first target). ``read`` is ``0`` or
``1``; each ``(reader_id, case, target)`` appears at most once. A reader need not read every
case. An optional ``rating`` column holds the reader's confidence (any finite number, higher
meaning more confident of a positive case, e.g. a 5-point scale) for the multi-reader
multi-case ROC analysis of :mod:`benchmark.stats.mrmc`; ``read`` stays the binary call.
Example::

    # SYNTHETIC reader study (not real reads)
    reader_id,case,target,read
    gr1,1250,abnormal,1
    gr1,1250,acl,0

Statistics
----------
* Per reader: sensitivity and specificity with Wilson score intervals (Wilson 1927, JASA
  22:209-212, doi:10.1080/01621459.1927.10502953) and case-bootstrap percentile intervals.
* Pooled readers: all reads of all readers pooled (as the "pooled reads" of Bien et al. 2018,
  doi:10.1371/journal.pmed.1002699). The Wilson interval of the pooled counts treats reads as
  independent, which they are not (the same case is read by every reader); the case bootstrap
  interval resamples cases and keeps all reads of a drawn case, so it respects that clustering.
* :func:`compare_with_readers`: the submission is thresholded at the reader's observed
  specificity (operating-point convention of :mod:`benchmark.stats.ranking`: the ROC point with
  specificity ``>=`` the reader's and maximal sensitivity) and the two sensitivities are
  compared by the paired bootstrap interval of the sensitivity difference on the task's case
  resamples. In each replicate the reader's specificity is recomputed and the threshold
  re-chosen at it, so the interval carries the uncertainty of the matched threshold; its
  verdict is the only inferential result.

  McNemar's test (McNemar 1947, doi:10.1007/BF02295996) on the discordant positive cases at
  the matched threshold is *not* offered: the threshold is tuned on the test negatives and the
  test ignores that, so with the model's true ROC curve through the reader's true operating
  point it rejects far more often than its level (about a quarter of the time at 99 positive
  and 21 negative cases; ``benchmarks/reader_null_sim.py``), while the bootstrap verdict holds
  its level.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
from scipy import stats

from .bootstrap import DEFAULT_MAX_UNDEFINED, percentile_ci
from .ranking import SortedROC, _check_binary_pair, _check_level, _check_weights, iter_weights, _read_at, _transposed, operating_threshold, verdict
from ..core.errors import LabelError
from ..core.fileio import atomic_write_text
from ..data.declarations import BaselineDecl

__all__ = [
    "READ_COLUMNS",
    "MRNET_READER_PROFILES",
    "DEMO_READER_SEED",
    "ReaderPoint",
    "ReaderOperatingPoints",
    "ReaderComparison",
    "read_reads",
    "reads_matrix",
    "wilson_interval",
    "reader_operating_points",
    "ReaderStudy",
    "compare_with_readers",
    "compare_with_reader",
    "generate_reader_study",
    "write_reader_study",
]

#: Columns of a reads file (``target`` optional).
READ_COLUMNS = ("reader_id", "case", "target", "read")

#: Seed of the committed synthetic MRNet demo reader study.
DEMO_READER_SEED = 1002699

#: Pooled operating points of the synthetic MRNet reader study, per target:
#: (sensitivity, specificity). Abnormality: the pooled general radiologists of Bien et al.
#: 2018, doi:10.1371/journal.pmed.1002699 (sensitivity 627/693 = 0.905; specificity
#: 124/147 = 0.844 implied by the published accuracy 751/840). ACL and meniscus: illustrative
#: values for the synthetic study only, not published figures.
MRNET_READER_PROFILES = {
    "abnormal": (627 / 693, 124 / 147),
    "acl": (0.90, 0.94),
    "meniscus": (0.82, 0.86),
}

_GENERAL_RADIOLOGISTS = 7


# --------------------------------------------------------------------------------------------
# reads files
# --------------------------------------------------------------------------------------------
def read_reads(path, task, expected_ids: Sequence[str]) -> pd.DataFrame:
    """Read and check a reads file.

    Parameters
    ----------
    path : path-like
        CSV with header ``reader_id,case,read`` and optionally ``target`` (see the module
        docstring); ``#`` comment lines and blank lines are skipped.
    task : Task
        The task the reads belong to; ``target`` values must be among ``task.targets``, and
        the first target is used when the column is absent.
    expected_ids : sequence of str
        The case ids of the split; every case of the file must be one of them.

    Returns
    -------
    reads : pandas.DataFrame
        Columns ``reader_id`` (str), ``case`` (str), ``target`` (str), ``read`` (int 0/1), in
        file order.

    Raises
    ------
    LabelError
        Unreadable file, missing or unknown columns, unknown case ids, unknown targets,
        non-binary reads, duplicate ``(reader_id, case, target)``, or no reads at all. The
        message names the file and the physical line.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise LabelError(f"cannot read reads file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LabelError(f"reads file {path} is not UTF-8 text.") from None
    rows = []  # (line number, fields)
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append((lineno, next(csv.reader([line]))))
    if not rows:
        raise LabelError(f"reads file {path} holds no header and no reads.")
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    allowed = set(READ_COLUMNS) | {"rating"}
    unknown = [h for h in header if h not in allowed]
    missing = [c for c in ("reader_id", "case", "read") if c not in header]
    if missing or unknown or len(set(header)) != len(header):
        raise LabelError(
            f"{path}:{header_line}: header must be reader_id,case,read with optional target "
            f"and rating columns. Got {','.join(header)!r} instead."
        )
    col = {h: i for i, h in enumerate(header)}
    targets = list(task.targets)
    default_target = targets[0]
    expected = set(str(i) for i in expected_ids)
    seen: dict[tuple[str, str, str], int] = {}
    unknown_cases: list[tuple[int, str]] = []
    out = {"reader_id": [], "case": [], "target": [], "read": []}
    ratings: list[float] = []
    for lineno, fields in rows[1:]:
        if len(fields) != len(header):
            raise LabelError(
                f"{path}:{lineno}: expected {len(header)} fields ({','.join(header)}). "
                f"Got {len(fields)} instead."
            )
        reader = fields[col["reader_id"]].strip()
        case = fields[col["case"]].strip()
        value = fields[col["read"]].strip()
        target = fields[col["target"]].strip() if "target" in col else default_target
        if not reader:
            raise LabelError(f"{path}:{lineno}: column reader_id must not be empty.")
        if target not in targets:
            raise LabelError(
                f"{path}:{lineno}: column target must be one of {targets}. "
                f"Got {target!r} instead."
            )
        if value not in ("0", "1"):
            raise LabelError(
                f"{path}:{lineno}: column read must be 0 or 1. Got {value!r} instead."
            )
        if "rating" in col:
            text = fields[col["rating"]].strip()
            try:
                rating = float(text)
            except ValueError:
                rating = math.nan
            if not math.isfinite(rating):
                raise LabelError(
                    f"{path}:{lineno}: column rating must be a finite number. Got {text!r} instead."
                )
        if case not in expected:
            unknown_cases.append((lineno, case))
            continue
        key = (reader, case, target)
        if key in seen:
            raise LabelError(
                f"{path}:{lineno}: duplicate read of case {case!r} by reader {reader!r} "
                f"(target {target!r}); first read on line {seen[key]}."
            )
        seen[key] = lineno
        out["reader_id"].append(reader)
        out["case"].append(case)
        out["target"].append(target)
        out["read"].append(int(value))
        if "rating" in col:
            ratings.append(rating)
    if unknown_cases:
        shown = ", ".join(f"{c!r} (line {ln})" for ln, c in unknown_cases[:5])
        more = f" and {len(unknown_cases) - 5} more" if len(unknown_cases) > 5 else ""
        raise LabelError(
            f"{path}: {len(unknown_cases)} read(s) of case ids that are not in the split "
            f"(task {task.id!r}): {shown}{more}."
        )
    if not out["read"]:
        raise LabelError(f"reads file {path} holds a header but no reads.")
    df = pd.DataFrame(out)
    df["read"] = df["read"].astype(np.int64)
    if "rating" in col:
        df["rating"] = np.asarray(ratings, dtype=np.float64)
    return df


def reads_matrix(reads: pd.DataFrame, ids: Sequence[str], target: Optional[str] = None, column: str = "read"):
    """Reads of one target as a reader x case matrix aligned to ``ids``.

    Parameters
    ----------
    reads : pandas.DataFrame
        As returned by :func:`read_reads` (``target`` column optional).
    ids : sequence of str of length n
        Case order (``LabelSet.ids``).
    target : str, default=None
        Target to extract; required when ``reads`` holds several targets.
    column : str, default="read"
        The column to extract (``"rating"`` for confidence ratings).

    Returns
    -------
    reader_ids : list of str, length R
        Sorted reader ids.
    matrix : ndarray of shape (R, n), dtype float64
        0/1 reads; nan where a reader did not read a case.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"reader_id": ["a", "a", "b"], "case": ["1", "2", "2"],
    ...                    "read": [1, 0, 1]})
    >>> r, m = reads_matrix(df, ["1", "2"])
    >>> r, m.tolist()
    (['a', 'b'], [[1.0, 0.0], [nan, 1.0]])
    """
    df = reads
    if "target" in df.columns:
        present = list(dict.fromkeys(df["target"]))
        if target is None:
            if len(present) != 1:
                raise ValueError(
                    f"target must be given when the reads hold several targets {present}."
                )
            target = present[0]
        df = df[df["target"] == target]
        if df.empty:
            raise ValueError(f"target must be one of {present}. Got {target!r} instead.")
    ids = [str(i) for i in ids]
    pos = {c: j for j, c in enumerate(ids)}
    missing = sorted(set(df["case"]) - set(pos))
    if missing:
        raise ValueError(f"reads name case ids not in ids, e.g. {missing[:3]}.")
    reader_ids = sorted(set(df["reader_id"]))
    rpos = {r: i for i, r in enumerate(reader_ids)}
    m = np.full((len(reader_ids), len(ids)), np.nan)
    m[df["reader_id"].map(rpos).to_numpy(), df["case"].map(pos).to_numpy()] = df[column].to_numpy(
        dtype=np.float64
    )
    return reader_ids, m


# --------------------------------------------------------------------------------------------
# intervals and tests
# --------------------------------------------------------------------------------------------
def wilson_interval(k: int, m: int, level: float = 0.95) -> Optional[list[float]]:
    """Wilson score interval of a binomial proportion (Wilson 1927,
    doi:10.1080/01621459.1927.10502953).

    With ``p = k / m`` and ``z`` the ``(1 + level) / 2`` normal quantile::

        (p + z^2 / (2m) +- z sqrt(p (1 - p) / m + z^2 / (4 m^2))) / (1 + z^2 / m)

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= m``.
    m : int
        Trials.
    level : float, default=0.95

    Returns
    -------
    interval : list of float (length 2) or None
        ``None`` when ``m == 0``.

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(627, 693)]
    [0.881, 0.924]
    """
    level = _check_level(level)
    k, m = int(k), int(m)
    if m < 0 or not 0 <= k <= max(m, 0):
        raise ValueError(f"k and m must satisfy 0 <= k <= m. Got k={k}, m={m} instead.")
    if m == 0:
        return None
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    p = k / m
    denom = 1.0 + z * z / m
    centre = (p + z * z / (2.0 * m)) / denom
    half = z * math.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
    return [max(0.0, centre - half), min(1.0, centre + half)]


# --------------------------------------------------------------------------------------------
# operating points of readers
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReaderPoint:
    """Sensitivity and specificity of one reader (or of the pooled reads).

    Attributes
    ----------
    reader_id : str
        ``"pooled"`` for all readers together.
    sensitivity, specificity : float or None
    sensitivity_counts, specificity_counts : list of int
        ``[k, m]``: correct calls among the ``m`` read positive (negative) cases.
    sensitivity_wilson, specificity_wilson : list of float or None
        Wilson intervals of the counts (for pooled reads: as if reads were independent).
    sensitivity_bootstrap, specificity_bootstrap : list of float or None
        Case-bootstrap percentile intervals (``None`` without weights or when too many
        replicates are undefined).
    """

    reader_id: str
    sensitivity: Optional[float]
    specificity: Optional[float]
    sensitivity_counts: list[int]
    specificity_counts: list[int]
    sensitivity_wilson: Optional[list[float]]
    specificity_wilson: Optional[list[float]]
    sensitivity_bootstrap: Optional[list[float]] = None
    specificity_bootstrap: Optional[list[float]] = None


@dataclass(frozen=True)
class ReaderOperatingPoints:
    """Operating points of every reader and of the pooled reads."""

    level: float
    n_replicates: int
    readers: list[ReaderPoint] = field(default_factory=list)
    pooled: Optional[ReaderPoint] = None

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready)."""
        return asdict(self)

    def as_baseline(self, name: str, target: str, source: str, readers: str = "") -> BaselineDecl:
        """The pooled operating point as a :class:`~benchmark.data.tasks.BaselineDecl` with counts.

        ``n_readers`` is the number of readers when every reader read as many positive and
        negative cases as the others (the pooled counts then hold ``n_readers`` reads per case),
        else ``None`` (the counts are then drawn as independent reads). The intervals are the
        case-bootstrap ones when available (they respect that every reader read the same
        cases), else the Wilson intervals of the pooled counts.
        """
        p = self.pooled
        sens_m = {r.sensitivity_counts[1] for r in self.readers}
        spec_m = {r.specificity_counts[1] for r in self.readers}
        n_readers = len(self.readers) if len(sens_m) == 1 and len(spec_m) == 1 else None
        return BaselineDecl(
            name=name,
            target=target,
            readers=readers,
            sensitivity=p.sensitivity,
            specificity=p.specificity,
            sensitivity_ci=p.sensitivity_bootstrap or p.sensitivity_wilson,
            specificity_ci=p.specificity_bootstrap or p.specificity_wilson,
            sensitivity_counts=p.sensitivity_counts,
            specificity_counts=p.specificity_counts,
            n_readers=n_readers,
            derived="pooled reads of a case-level reader study",
            source=source,
        )


def _check_reads(reads, n: int) -> np.ndarray:
    reads = np.asarray(reads, dtype=np.float64)
    if reads.ndim == 1:
        reads = reads[None, :]
    if reads.ndim != 2 or reads.shape[1] != n:
        raise ValueError(
            f"reads must have shape (n_readers, {n}) or ({n},). Got shape {reads.shape} instead."
        )
    ok = np.isnan(reads) | np.isin(reads, (0.0, 1.0))
    if not ok.all():
        raise ValueError("reads must hold 0/1 calls or nan (not read). Got other values instead.")
    return reads


def _reader_names(reader_ids, r: int) -> list[str]:
    if reader_ids is None:
        return [f"reader{i + 1}" for i in range(r)]
    ids = [str(i) for i in reader_ids]
    if len(ids) != r:
        raise ValueError(f"reader_ids must have {r} entries. Got {len(ids)} instead.")
    return ids


def _ratio(num, den):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _ci(reps, level, max_undefined):
    iv = percentile_ci(reps, level, undefined="drop", max_undefined=max_undefined)
    return [iv.low, iv.high] if iv.reason is None else None


def reader_operating_points(
    y,
    reads,
    weights=None,
    level: float = 0.95,
    reader_ids: Optional[Sequence[str]] = None,
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
) -> ReaderOperatingPoints:
    """Sensitivity and specificity of each reader and of the pooled reads.

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels of the target.
    reads : array-like of shape (R, n) or (n,)
        0/1 calls; nan where a reader did not read a case.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan, default=None
        Case-bootstrap multiplicity weights. Replicate ``b`` of a reader's sensitivity is
        ``sum_i w_bi y_i read_ri / sum_i w_bi y_i [read_ri defined]``; of the pooled
        sensitivity, the same with numerator and denominator summed over readers (all reads of
        a drawn case enter with its multiplicity).
    level : float, default=0.95
    reader_ids : sequence of str of length R, default=None
    max_undefined : float, default=0.10

    Returns
    -------
    points : ReaderOperatingPoints

    Examples
    --------
    >>> y = [1, 1, 1, 1, 0, 0]
    >>> reads = [[1, 1, 1, 0, 0, 1], [1, 1, 0, 0, 0, 0]]
    >>> op = reader_operating_points(y, reads)
    >>> op.readers[0].sensitivity_counts, op.pooled.sensitivity, op.pooled.specificity
    ([3, 4], 0.625, 0.75)
    """
    level = _check_level(level)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be a 1-d array of 0/1 labels.")
    reads = _check_reads(reads, y.shape[0])
    r = reads.shape[0]
    ids = _reader_names(reader_ids, r)
    defined = ~np.isnan(reads)
    call = np.nan_to_num(reads)
    # per-case quantities, shape (R, n)
    tp = call * y * defined
    pos = y * defined
    tn = (1.0 - call) * (1.0 - y) * defined
    neg = (1.0 - y) * defined

    sens_b, spec_b = [], []
    for w in iter_weights(weights):
        w = _check_weights(w, y.shape[0])
        TP, P, TN, N = (w @ a.T for a in (tp, pos, tn, neg))  # (b, R)
        tp_all, p_all, tn_all, n_all = (a.sum(axis=1, keepdims=True) for a in (TP, P, TN, N))
        sens_b.append(np.hstack([_ratio(TP, P), _ratio(tp_all, p_all)]))  # readers, pooled
        spec_b.append(np.hstack([_ratio(TN, N), _ratio(tn_all, n_all)]))
    have_boot = bool(sens_b)
    if have_boot:
        sens_b = np.vstack(sens_b)
        spec_b = np.vstack(spec_b)

    def point(j, name, k_s, m_s, k_p, m_p):
        return ReaderPoint(
            reader_id=name,
            sensitivity=k_s / m_s if m_s else None,
            specificity=k_p / m_p if m_p else None,
            sensitivity_counts=[k_s, m_s],
            specificity_counts=[k_p, m_p],
            sensitivity_wilson=wilson_interval(k_s, m_s, level),
            specificity_wilson=wilson_interval(k_p, m_p, level),
            sensitivity_bootstrap=_ci(sens_b[:, j], level, max_undefined) if have_boot else None,
            specificity_bootstrap=_ci(spec_b[:, j], level, max_undefined) if have_boot else None,
        )

    counts = [
        tuple(int(round(a[i].sum())) for a in (tp, pos, tn, neg)) for i in range(r)
    ]
    readers = [point(i, ids[i], *counts[i]) for i in range(r)]
    pooled = point(r, "pooled", *(sum(c[k] for c in counts) for k in range(4)))
    return ReaderOperatingPoints(
        level=level,
        n_replicates=int(sens_b.shape[0]) if have_boot else 0,
        readers=readers,
        pooled=pooled,
    )


# --------------------------------------------------------------------------------------------
# submission vs reader at matched specificity
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReaderComparison:
    """A submission compared with one reader (or the pooled reads) at matched specificity.

    Attributes
    ----------
    reader_id : str
    n_cases : int
        Cases the reader read (the comparison uses only those).
    threshold : float
        The submission's threshold on those cases (positive when ``score >= threshold``).
    reader_sensitivity, reader_specificity : float
    submission_sensitivity, submission_specificity : float
        At ``threshold``; the specificity is ``>=`` the reader's.
    difference : float
        ``submission_sensitivity - reader_sensitivity``.
    difference_ci : list of float or None
        Paired case-bootstrap percentile interval.
    verdict : str
        From ``difference_ci`` (see :func:`benchmark.stats.ranking.verdict`).
    level : float
    n_replicates, n_undefined : int
    reason : str or None
    """

    reader_id: str
    n_cases: int
    threshold: float
    reader_sensitivity: float
    reader_specificity: float
    submission_sensitivity: float
    submission_specificity: float
    difference: float
    difference_ci: Optional[list[float]]
    verdict: str
    level: float
    n_replicates: int
    n_undefined: int
    reason: Optional[str] = None

    def to_dict(self) -> dict:
        """Plain-dict form (JSON-ready)."""
        return asdict(self)


def compare_with_readers(
    y,
    s,
    reads,
    weights,
    level: float = 0.95,
    reader_ids: Optional[Sequence[str]] = None,
    pooled: bool = True,
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
) -> list[ReaderComparison]:
    """Compare a submission with every reader (and the pooled reads) at matched specificity.

    For reader ``r``, on the cases it read:

    1. the reader's sensitivity and specificity are computed from its calls;
    2. the submission is thresholded at the reader's specificity (the ROC point with
       specificity ``>=`` the reader's and maximal sensitivity; module convention of
       :mod:`benchmark.stats.ranking`);
    3. on every case-bootstrap weighting the reader's sensitivity and specificity are
       recomputed, the submission's sensitivity is read at that replicate's reader
       specificity, and the percentile interval of the differences gives the verdict.

    For the pooled reads (``pooled=True`` and more than one reader) the reader sensitivity and
    specificity are the pooled ones, steps 2 and 4 are done on the cases read by at least one
    reader.

    No test at the matched threshold is offered (see the module docstring: McNemar's test
    there does not hold its level); the bootstrap interval's verdict is the result.

    Parameters
    ----------
    y : array-like of shape (n,)
    s : array-like of shape (n,)
        The submission's scores for the target.
    reads : array-like of shape (R, n) or (n,)
        0/1 calls, nan = not read.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan
        The task's case-bootstrap weights (shared with the submission's other statistics).
    level : float, default=0.95
    reader_ids : sequence of str of length R, default=None
    pooled : bool, default=True
    max_undefined : float, default=0.10

    Returns
    -------
    comparisons : list of ReaderComparison
        One per reader in input order, then the pooled reads.
    """
    level = _check_level(level)
    y, s = _check_binary_pair(y, s)
    study = ReaderStudy(y, reads, weights, reader_ids=reader_ids, pooled=pooled)
    return study.compare(s, level=level, max_undefined=max_undefined)


class ReaderStudy:
    """The reads of one target and the task's weights, prepared for many submissions.

    Everything of :func:`compare_with_readers` that does not depend on the submission is done
    once here: the reader groups (each reader and the pooled reads), their point sensitivity
    and specificity, their sensitivity and specificity under every bootstrap weighting, and the
    transposed weight blocks the submissions' ROC curves are read under. :meth:`compare` then
    costs one sort of the submission's scores per distinct set of read cases, one pair of
    cumulative sums per block of weightings and one operating-point search per group.

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels of the target.
    reads : array-like of shape (R, n) or (n,)
        0/1 calls, nan = not read.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan
        The task's case-bootstrap weights.
    reader_ids : sequence of str of length R, default=None
    pooled : bool, default=True
        Add the pooled reads as a group when there is more than one reader.

    Raises
    ------
    ValueError
        Malformed labels, reads or weights, a reader without a read positive and a read
        negative case, or no replicate at all.
    """

    def __init__(self, y, reads, weights, reader_ids: Optional[Sequence[str]] = None, pooled: bool = True):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or y.shape[0] == 0 or not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("y must be a non-empty 1-d array of 0/1 labels.")
        reads = _check_reads(reads, y.shape[0])
        r = reads.shape[0]
        ids = _reader_names(reader_ids, r)
        defined = ~np.isnan(reads)
        call = np.nan_to_num(reads)
        groups = [(ids[i], defined[i], call[i : i + 1], defined[i : i + 1]) for i in range(r)]
        if pooled and r > 1:
            groups.append(("pooled", defined.any(axis=0), call, defined))
        self.y = y
        self.names = [g[0] for g in groups]
        self._masks = [g[1] for g in groups]
        self._points = []  # (n_cases, reader sensitivity, reader specificity)
        for name, mask, c, d in groups:
            tp = float((c * y * d).sum())
            pos = float((y * d).sum())
            tn = float(((1 - c) * (1 - y) * d).sum())
            neg = float(((1 - y) * d).sum())
            if pos == 0 or neg == 0:
                raise ValueError(
                    f"reader {name!r} must have read at least one positive and one negative case."
                )
            self._points.append((int(mask.sum()), tp / pos, tn / neg))
        per_case = [
            tuple(a.sum(axis=0) for a in (c * y * d, y * d, (1 - c) * (1 - y) * d, (1 - y) * d))
            for _name, _mask, c, d in groups
        ]
        # Per block: the transposed weights and every group's replicate sensitivity and
        # specificity (the same matrix-vector products as a direct computation).
        self._blocks = []
        for w in iter_weights(weights):
            w = _check_weights(w, y.shape[0])
            reps = []
            for TPv, Pv, TNv, Nv in per_case:
                TP, P, TN, N = w @ TPv, w @ Pv, w @ TNv, w @ Nv
                reps.append((_ratio(TP, P), _ratio(TN, N)))
            self._blocks.append((_transposed(w), reps))
        if not self._blocks:
            raise ValueError("weights must hold at least one replicate. Got none instead.")
        # distinct sets of read cases (usually one: every reader read every case)
        self._mask_key = [m.tobytes() for m in self._masks]
        self._mask_cols = {}
        for key, mask in zip(self._mask_key, self._masks):
            self._mask_cols.setdefault(key, np.flatnonzero(mask))

    def compare(
        self,
        s,
        level: float = 0.95,
        max_undefined: float = DEFAULT_MAX_UNDEFINED,
    ) -> list[ReaderComparison]:
        """Compare one submission with every reader group (see :func:`compare_with_readers`).

        Parameters
        ----------
        s : array-like of shape (n,)
            The submission's scores for the target.
        level : float, default=0.95
        max_undefined : float, default=0.10

        Returns
        -------
        comparisons : list of ReaderComparison
            One per reader in input order, then the pooled reads.
        """
        level = _check_level(level)
        y, s = _check_binary_pair(self.y, s)
        # point quantities
        points = []
        for mask, (n_cases, r_sens, r_spec) in zip(self._masks, self._points):
            thr, sub_sens, sub_spec = operating_threshold(y[mask], s[mask], r_spec, "specificity")
            points.append((n_cases, thr, r_sens, r_spec, sub_sens, sub_spec))

        # bootstrap differences: the submission's ROC is sorted once per distinct set of read
        # cases and its rates computed once per block, then read at each group's replicate
        # specificities.
        rocs = {key: SortedROC(y[cols], s[cols], columns=cols) for key, cols in self._mask_cols.items()}
        members = {key: [g for g, k in enumerate(self._mask_key) if k == key] for key in rocs}
        diffs = [[] for _ in self.names]
        for WT, reps in self._blocks:
            for key, roc in rocs.items():
                gs = members[key]
                # every group on these cases at once: one search per (group, weighting)
                sub = _read_at(*roc.rates(WT), np.stack([reps[g][1] for g in gs]), "specificity")
                for row, g in enumerate(gs):
                    diffs[g].append(sub[row] - reps[g][0])

        out = []
        for g, name in enumerate(self.names):
            n_cases, thr, r_sens, r_spec, sub_sens, sub_spec = points[g]
            d = np.concatenate(diffs[g])
            iv = percentile_ci(d, level, undefined="drop", max_undefined=max_undefined)
            ci = [iv.low, iv.high] if iv.reason is None else None
            out.append(
                ReaderComparison(
                    reader_id=name,
                    n_cases=n_cases,
                    threshold=float(thr),
                    reader_sensitivity=r_sens,
                    reader_specificity=r_spec,
                    submission_sensitivity=sub_sens,
                    submission_specificity=sub_spec,
                    difference=sub_sens - r_sens,
                    difference_ci=ci,
                    verdict=verdict(*(ci or (None, None))),
                    level=level,
                    n_replicates=iv.n_replicates,
                    n_undefined=iv.n_undefined,
                    reason=iv.reason,
                )
            )
        return out


def compare_with_reader(
    y,
    s,
    reader_reads,
    weights,
    level: float = 0.95,
    reader_id: str = "reader",
    max_undefined: float = DEFAULT_MAX_UNDEFINED,
) -> ReaderComparison:
    """Compare a submission with one reader at the reader's specificity.

    See :func:`compare_with_readers` for the method.

    Parameters
    ----------
    y : array-like of shape (n,)
    s : array-like of shape (n,)
    reader_reads : array-like of shape (n,)
        The reader's 0/1 calls; nan = not read.
    weights : ndarray of shape (B, n), iterable of blocks, or ResamplingPlan
    level : float, default=0.95
    reader_id : str, default="reader"
    max_undefined : float, default=0.10

    Returns
    -------
    comparison : ReaderComparison

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.ones(30), np.zeros(30)]
    >>> s = np.r_[np.linspace(0.6, 1.0, 30), np.linspace(0.0, 0.5, 30)]
    >>> reads = np.r_[np.ones(20), np.zeros(10), np.zeros(27), np.ones(3)]
    >>> W = np.random.default_rng(1).multinomial(60, np.full(60, 1 / 60), size=300)
    >>> c = compare_with_reader(y, s, reads, W.astype(float))
    >>> c.submission_sensitivity, c.reader_sensitivity, c.verdict
    (1.0, 0.6666666666666666, 'better')
    """
    reader_reads = np.asarray(reader_reads, dtype=np.float64)
    if reader_reads.ndim != 1:
        raise ValueError(
            f"reader_reads must be a 1-d array. Got shape {reader_reads.shape} instead."
        )
    return compare_with_readers(
        y, s, reader_reads[None, :], weights, level, [reader_id], False, max_undefined,
    )[0]


# --------------------------------------------------------------------------------------------
# synthetic MRNet reader study
# --------------------------------------------------------------------------------------------
def _calibrated_calls(margin: np.ndarray, target_count: int) -> np.ndarray:
    """Calls ``margin + delta > 0`` with one shift ``delta`` so that exactly ``target_count``
    entries are 1 (margins are continuous, so ties have probability 0)."""
    crit = np.sort(-margin.ravel())  # entry is 1 iff delta > -margin
    m = crit.size
    if target_count <= 0:
        delta = crit[0] - 1.0
    elif target_count >= m:
        delta = crit[-1] + 1.0
    else:
        delta = 0.5 * (crit[target_count - 1] + crit[target_count])
    return (margin + delta > 0).astype(np.int64)


def generate_reader_study(labels: pd.DataFrame, seed: int = DEMO_READER_SEED) -> pd.DataFrame:
    """A SYNTHETIC case-level reader study for MRNet: 7 general radiologists.

    Every reader reads every case for every target in :data:`MRNET_READER_PROFILES`. For case
    ``i`` and reader ``r`` the call is ``1[mu_r + delta + rho z_i + sqrt(1 - rho^2) e_ri > 0]``
    on positive cases (a detection) and the complement of the same form on negative cases
    (a correct negative call), with

    * ``z_i ~ N(0, 1)``: how easy the case is, shared by all readers, so readers err together
      on hard cases (latent inter-reader correlation ``rho^2 = 0.36``);
    * ``mu_r``: the probit of the target sensitivity (specificity) plus a reader effect; reader
      effects combine a skill term (raising both) and a threshold term (trading one for the
      other), each ``N(0, 0.2^2)`` and centred over readers;
    * ``e_ri ~ N(0, 1)``: independent noise;
    * ``delta``: one shift per target and class, chosen so that the pooled reads hit the target
      rate as closely as the case count allows (``round(rate * reads)`` correct calls). With the
      MRNet test prevalence (99 abnormal of 120) this reproduces the pooled counts 627/693 and
      124/147 derived from Bien et al. 2018, doi:10.1371/journal.pmed.1002699.

    Parameters
    ----------
    labels : pandas.DataFrame
        Columns ``case`` (ids, kept as strings) and the 0/1 target columns ``abnormal``, ``acl``,
        ``meniscus``.
    seed : int, default=DEMO_READER_SEED

    Returns
    -------
    reads : pandas.DataFrame
        Columns ``reader_id`` (``gr1`` .. ``gr7``), ``case``, ``target``, ``read``; sorted by
        reader, target (task order), then case in the order of ``labels``. ``reads.attrs``
        carries ``seed`` and a ``description``.

    Examples
    --------
    >>> import pandas as pd
    >>> lab = pd.DataFrame({"case": [f"{i:04d}" for i in range(40)],
    ...                     "abnormal": [1] * 30 + [0] * 10,
    ...                     "acl": [1] * 10 + [0] * 30, "meniscus": [1] * 15 + [0] * 25})
    >>> df = generate_reader_study(lab, seed=3)
    >>> df.shape, sorted(df.reader_id.unique())[:2]
    ((840, 4), ['gr1', 'gr2'])
    """
    if not isinstance(labels, pd.DataFrame):
        raise TypeError(
            f"labels must be a pandas DataFrame. Got {type(labels).__name__} instead."
        )
    need = ["case", *MRNET_READER_PROFILES]
    missing = [c for c in need if c not in labels.columns]
    if missing:
        raise ValueError(
            f"labels must have columns {need}. Got {list(labels.columns)} instead "
            f"(missing {missing})."
        )
    cases = labels["case"].astype(str).str.strip().to_numpy()
    if len(set(cases)) != len(cases) or len(cases) == 0:
        raise ValueError("labels must hold at least one case and distinct case ids.")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2018]))
    n_r = _GENERAL_RADIOLOGISTS
    rho, tau = 0.6, 0.2
    skill = rng.normal(0.0, tau, n_r)
    shift = rng.normal(0.0, tau, n_r)
    skill -= skill.mean()
    shift -= shift.mean()
    frames = []
    for target, (sens, spec) in MRNET_READER_PROFILES.items():
        y = pd.to_numeric(labels[target], errors="coerce").to_numpy()
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"labels column {target!r} must hold 0/1 values.")
        y = y.astype(bool)
        z = rng.standard_normal(len(cases))
        e = rng.standard_normal((n_r, len(cases)))
        noise = rho * z[None, :] + math.sqrt(1.0 - rho * rho) * e
        calls = np.zeros((n_r, len(cases)), dtype=np.int64)
        mu_pos = stats.norm.ppf(sens) + skill + shift  # (R,)
        mu_neg = stats.norm.ppf(spec) + skill - shift
        if y.any():
            margin = mu_pos[:, None] + noise[:, y]
            calls[:, y] = _calibrated_calls(margin, int(round(sens * margin.size)))
        if (~y).any():
            margin = mu_neg[:, None] + noise[:, ~y]
            calls[:, ~y] = 1 - _calibrated_calls(margin, int(round(spec * margin.size)))
        for r in range(n_r):
            frames.append(
                pd.DataFrame(
                    {
                        "reader_id": f"gr{r + 1}",
                        "case": cases,
                        "target": target,
                        "read": calls[r],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    order = {t: i for i, t in enumerate(MRNET_READER_PROFILES)}
    out = out.assign(_t=out["target"].map(order), _r=out["reader_id"].str[2:].astype(int))
    out["_c"] = np.tile(np.arange(len(cases)), len(out) // len(cases))
    out = out.sort_values(["_r", "_t", "_c"], kind="mergesort").drop(columns=["_t", "_r", "_c"])
    out = out.reset_index(drop=True)
    out["read"] = out["read"].astype(np.int64)
    out.attrs["seed"] = int(seed)
    out.attrs["description"] = (
        f"7 simulated general radiologists, every case and target, seed {int(seed)}; "
        "benchmark.readers.generate_reader_study; abnormality calibrated to the pooled reads "
        "of Bien et al. 2018 (doi:10.1371/journal.pmed.1002699); ACL and meniscus rates are "
        "illustrative"
    )
    return out


def write_reader_study(df: pd.DataFrame, path) -> Path:
    """Write a synthetic reader study as a reads file, atomically.

    The first line is ``# SYNTHETIC reader study ...`` (with ``df.attrs["description"]`` when
    present), then ``reader_id,case,target,read`` and one line per read with ``\\n`` line
    endings, so the same frame always gives the same bytes. The file is written to a
    temporary file in the same folder and moved into place with :func:`os.replace`.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``reader_id``, ``case``, ``target``, ``read``.
    path : path-like

    Returns
    -------
    path : pathlib.Path
    """
    missing = [c for c in READ_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"df must have columns {list(READ_COLUMNS)}. Missing {missing}.")
    path = Path(path)
    desc = df.attrs.get("description", "")
    lines = [
        "# SYNTHETIC reader study: simulated reads, not real radiologist reads."
        + (f" {desc}." if desc else ""),
    ]
    buf = io.StringIO()
    df[list(READ_COLUMNS)].astype({"read": np.int64}).to_csv(buf, index=False, lineterminator="\n")
    text = "\n".join(lines) + "\n" + buf.getvalue()
    return atomic_write_text(path, text)
