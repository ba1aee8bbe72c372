"""Patient-level, stratified test splits for data sets without an official split.

A data set such as ScopeMRI has no official test set. ``make_split`` draws one that

* keeps every patient on one side only (a patient with both shoulders, or with a repeat study,
  never has one study in the test set and another outside it);
* is stratified on the *combination* of the label columns, as the ScopeMRI authors stratified
  their 70/10/20 split on all label columns (``StratifiedShuffleSplit`` on the label rows in
  github sahilsethi0105/scope-mri, ``src/train_test_val_creation.py``). Their split was at MRI
  level; here it is at patient level: a patient with several studies is stratified by the
  combination of the per-label maxima over their studies;
* merges label combinations held by too few patients into one ``"other"`` stratum, so that a
  rare combination cannot make the split fail or put all its patients on one side by chance;
* is a pure function of the input rows and the seed: neither the row order of the input nor
  the order of the label columns changes which patients are drawn.

``benchmark.data.split_files.write_split(public_ids, hidden_labels, out_dir)`` writes the result as two files kept apart on
purpose: ``test_ids.csv`` (the id
column and the public columns such as patient id and modality, safe to publish) and
``test_labels.csv`` (the id column and the label columns only, to be kept hidden). Both start
with a ``# `` comment line saying what the file is.
"""

from __future__ import annotations


import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Optional, Sequence

import numpy as np
import pandas as pd

from ..core.errors import UsageError

__all__ = [
    "OTHER_STRATUM",
    "SplitInputError",
    "StratumSummary",
    "SplitSummary",
    "Split",
    "make_split",
]

#: Name of the stratum that collects label combinations held by too few patients.
OTHER_STRATUM = "other"


class SplitInputError(UsageError, ValueError):
    """The table or the parameters given to :func:`make_split` cannot be split."""


@dataclass(frozen=True)
class StratumSummary:
    """Counts of one stratum of a split.

    Attributes
    ----------
    key : str
        The label combination, e.g. ``"bankart=1|cuff=0"``, or ``"other"``.
    n_patients, n_cases : int
        Patients and cases (rows) of the stratum in the whole table.
    n_test_patients, n_test_cases : int
        Patients and cases of the stratum drawn into the test set.
    target_test_cases : int
        Test cases the stratum was allotted (largest-remainder apportionment).
    """

    key: str
    n_patients: int
    n_cases: int
    n_test_patients: int
    n_test_cases: int
    target_test_cases: int


@dataclass(frozen=True)
class SplitSummary:
    """What a split did, for the report printed by ``benchmark split``.

    Attributes
    ----------
    seed : int
        Seed of the random generator.
    test_fraction : float
        Requested fraction of cases in the test set.
    achieved_fraction : float
        ``n_test_cases / n_cases``.
    n_cases, n_patients : int
        Size of the input table.
    n_test_cases, n_test_patients : int
        Size of the test set.
    min_stratum_patients : int
        Combinations held by fewer patients than this were merged into ``"other"``.
    merged : tuple of str
        The label combinations merged into ``"other"``.
    strata : tuple of StratumSummary
        One entry per stratum, in the order they were processed.
    stratify_extra : tuple of str
        Further columns that were part of the stratum key (e.g. ``("modality",)``).
    """

    seed: int
    test_fraction: float
    achieved_fraction: float
    n_cases: int
    n_patients: int
    n_test_cases: int
    n_test_patients: int
    min_stratum_patients: int
    merged: tuple
    strata: tuple
    stratify_extra: tuple = ()

    def to_dict(self) -> dict:
        """Return the summary as plain Python types (JSON-serialisable)."""
        return {
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "achieved_fraction": self.achieved_fraction,
            "n_cases": self.n_cases,
            "n_patients": self.n_patients,
            "n_test_cases": self.n_test_cases,
            "n_test_patients": self.n_test_patients,
            "min_stratum_patients": self.min_stratum_patients,
            "merged": list(self.merged),
            "strata": [s.__dict__.copy() for s in self.strata],
            "stratify_extra": list(self.stratify_extra),
        }

    def format(self) -> str:
        """Render a short human-readable report (one line per stratum)."""
        lines = [
            f"test set: {self.n_test_cases} of {self.n_cases} cases "
            f"({self.achieved_fraction:.4f}, requested {self.test_fraction:.4f}), "
            f"{self.n_test_patients} of {self.n_patients} patients; seed {self.seed}",
        ]
        for s in self.strata:
            lines.append(
                f"  {s.key}: {s.n_test_cases}/{s.n_cases} cases, "
                f"{s.n_test_patients}/{s.n_patients} patients"
            )
        if self.merged:
            lines.append(
                f"  merged into {OTHER_STRATUM!r} (fewer than {self.min_stratum_patients} "
                f"patients each): {', '.join(self.merged)}"
            )
        return "\n".join(lines)


class Split(NamedTuple):
    """Result of :func:`make_split`; unpacks as ``public_ids, hidden_labels, summary``.

    Attributes
    ----------
    public_ids : pandas.DataFrame
        Test cases: the id column followed by the public columns, in input row order.
    hidden_labels : pandas.DataFrame
        Test cases: the id column followed by the label columns, in input row order.
    summary : SplitSummary
        Counts per stratum and overall.
    """

    public_ids: pd.DataFrame
    hidden_labels: pd.DataFrame
    summary: SplitSummary


# -- validation --------------------------------------------------------------------------------
def _check_inputs(
    labels: Any,
    id_col: str,
    patient_col: Optional[str],
    label_cols: Sequence[str],
    public_cols: Sequence[str],
    stratify_extra: Sequence[str],
    test_fraction: Any,
    seed: Any,
) -> None:
    if not isinstance(labels, pd.DataFrame):
        raise TypeError(
            f"labels must be a pandas DataFrame. Got {type(labels).__name__} instead."
        )
    if isinstance(label_cols, str) or isinstance(public_cols, str):
        raise TypeError("label_cols and public_cols must be sequences of column names, not a str.")
    if len(label_cols) == 0:
        raise SplitInputError("label_cols must name at least one label column. Got [] instead.")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float, np.number)):
        raise SplitInputError(
            f"test_fraction must be a number in the open interval (0, 1). "
            f"Got {test_fraction!r} instead."
        )
    if not (math.isfinite(float(test_fraction)) and 0.0 < float(test_fraction) < 1.0):
        raise SplitInputError(
            f"test_fraction must be in the open interval (0, 1). Got {test_fraction!r} instead."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SplitInputError(f"seed must be a non-negative integer. Got {seed!r} instead.")

    columns = [str(c) for c in labels.columns]
    if len(set(columns)) != len(columns):
        dup = sorted({c for c in columns if columns.count(c) > 1})
        raise SplitInputError(f"the table has duplicate column names: {dup}.")
    wanted = [id_col] + ([patient_col] if patient_col is not None else [])
    wanted += list(label_cols) + list(public_cols) + list(stratify_extra)
    missing = [c for c in dict.fromkeys(wanted) if c not in labels.columns]
    if missing:
        raise SplitInputError(
            f"column(s) {missing} not found in the table. Available columns: {columns}."
        )
    if len(set(label_cols)) != len(label_cols):
        raise SplitInputError(
            f"label_cols must not repeat a column. Got {list(label_cols)} instead."
        )
    leak = [c for c in public_cols if c in set(label_cols)]
    if leak:
        raise SplitInputError(
            f"public_cols must not contain label columns (they would be published): {leak}."
        )
    if id_col in set(label_cols) or (patient_col is not None and patient_col in set(label_cols)):
        raise SplitInputError("id_col and patient_col must not be label columns.")
    if len(labels) < 2:
        raise SplitInputError(f"the table must hold at least 2 rows. Got {len(labels)} instead.")

    ids = labels[id_col]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise SplitInputError(f"id column {id_col!r} is empty in row {row + 1}.")
    dup = ids.astype(str).duplicated(keep=False)
    if dup.any():
        values = sorted(ids[dup].astype(str).unique())
        shown = ", ".join(repr(v) for v in values[:5])
        more = f" and {len(values) - 5} more" if len(values) > 5 else ""
        raise SplitInputError(
            f"id column {id_col!r} must be unique. Duplicated ids: {shown}{more}."
        )
    if patient_col is not None and labels[patient_col].isna().any():
        row = int(np.flatnonzero(labels[patient_col].isna().to_numpy())[0])
        raise SplitInputError(f"patient column {patient_col!r} is empty in row {row + 1}.")
    for c in label_cols:
        col = labels[c]
        if not pd.api.types.is_numeric_dtype(col):
            raise SplitInputError(
                f"label column {c!r} must be numeric (e.g. 0/1). Got dtype {col.dtype} instead."
            )
        if col.isna().any():
            row = int(np.flatnonzero(col.isna().to_numpy())[0])
            raise SplitInputError(
                f"label column {c!r} has {int(col.isna().sum())} missing value(s); "
                f"first in row {row + 1} (id {ids.iloc[row]!r}). Every case needs a label to "
                "be stratified."
            )
    for c in stratify_extra:
        if labels[c].isna().any():
            raise SplitInputError(f"stratification column {c!r} has missing values.")


# -- strata --------------------------------------------------------------------------------------
def _format_value(v: Any) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _patient_strata(
    labels: pd.DataFrame,
    patient_key: pd.Series,
    label_cols: Sequence[str],
    stratify_extra: Sequence[str],
) -> pd.DataFrame:
    """One row per patient: ``patient``, ``n_cases``, ``combo`` (sorted by patient key)."""
    frame = pd.DataFrame({"patient": patient_key.to_numpy()})
    for c in label_cols:
        frame[c] = labels[c].astype(float).to_numpy()
    for c in stratify_extra:
        frame["__extra__" + c] = labels[c].astype(str).to_numpy()
    grouped = frame.groupby("patient", sort=True)
    maxima = grouped[list(label_cols)].max()
    parts = [
        maxima[c].map(lambda v, c=c: f"{c}={_format_value(v)}") for c in sorted(label_cols)
    ]
    for c in sorted(stratify_extra):
        values = grouped["__extra__" + c].agg(lambda s: "+".join(sorted(set(s))))
        parts.append(values.map(lambda v, c=c: f"{c}={v}"))
    combo = parts[0]
    for p in parts[1:]:
        combo = combo + "|" + p
    out = pd.DataFrame(
        {
            "patient": maxima.index.to_numpy(),
            "n_cases": grouped.size().reindex(maxima.index).to_numpy(),
            "combo": combo.to_numpy(),
        }
    )
    return out


def _largest_remainder(quotas: np.ndarray, total: int) -> np.ndarray:
    """Integer allotments summing to ``total`` (ties broken by position, earlier first)."""
    base = np.floor(quotas).astype(np.int64)
    rest = int(total - base.sum())
    if rest > 0:
        frac = quotas - base
        order = sorted(range(len(quotas)), key=lambda i: (-frac[i], i))
        for i in order[:rest]:
            base[i] += 1
    return base


def _draw_patients(sizes: np.ndarray, target: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of patients whose case counts add up as close to ``target`` as possible.

    Patients are visited in a random order; a patient is taken when taking it brings the case
    count closer to ``target``. With one case per patient this is a uniform random draw of
    exactly ``target`` patients.
    """
    order = rng.permutation(len(sizes))
    taken = []
    count = 0
    for i in order:
        if abs(count + int(sizes[i]) - target) < abs(count - target):
            taken.append(int(i))
            count += int(sizes[i])
        if count == target:
            break
    return np.asarray(sorted(taken), dtype=np.int64)


def make_split(
    labels: pd.DataFrame,
    id_col: str,
    patient_col: Optional[str],
    label_cols: Sequence[str],
    public_cols: Sequence[str] = (),
    test_fraction: float = 0.2,
    seed: int = 0,
    *,
    stratify_extra: Sequence[str] = (),
    min_stratum_patients: Optional[int] = None,
) -> Split:
    """Draw a patient-level test set stratified on the label combination.

    Parameters
    ----------
    labels : pandas.DataFrame
        One row per case (study), with the id column, the patient column, the label columns
        (numeric, e.g. 0/1, no missing values) and any public columns.
    id_col : str
        Column with the case id; must be unique.
    patient_col : str or None
        Column with the patient id; all cases of a patient land on the same side. ``None``
        treats every case as its own patient.
    label_cols : sequence of str
        Label columns; patients are stratified on the combination of their per-label maxima.
    public_cols : sequence of str, default=()
        Columns copied next to the id into the public id list (e.g. patient id, modality).
        Must not contain label columns.
    test_fraction : float, default=0.2
        Fraction of cases to put in the test set, in the open interval (0, 1).
    seed : int, default=0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same split.
    stratify_extra : sequence of str, default=()
        Further categorical columns added to the stratum key (e.g. modality). A patient whose
        cases differ in such a column gets the sorted values joined by ``"+"``.
    min_stratum_patients : int, optional
        Combinations held by fewer patients are merged into the ``"other"`` stratum. Default:
        ``max(2, ceil(2 / min(test_fraction, 1 - test_fraction)))``, the size at which a
        stratum expects at least two patients on its smaller side (10 for a 0.2 test fraction).

    Returns
    -------
    Split
        ``(public_ids, hidden_labels, summary)``. Both frames hold the test cases in the row
        order of ``labels``; the cases not in them form the development set.

    Raises
    ------
    TypeError
        If ``labels`` is not a DataFrame.
    SplitInputError
        If a column is missing, ids are duplicated or empty, a label is missing or not
        numeric, ``test_fraction`` is outside (0, 1), or the test set would be empty or hold
        every case.

    Notes
    -----
    Stratum keys name the labels in sorted order (``"a=1|b=0"``), so the order of
    ``label_cols`` does not change the draw. Each stratum is allotted ``test_fraction`` of
    its cases, rounded by the largest-remainder method so that the allotments add up to
    ``round(test_fraction * n_cases)`` (halves rounded up). Within a stratum, patients
    (sorted by id, then permuted by the seeded generator) are taken while taking them brings
    the stratum closer to its allotment, so patients with several studies can make the
    achieved count differ from the allotment by a case or two.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"uid": [f"s{i}" for i in range(20)],
    ...                    "patient": [f"p{i // 2}" for i in range(20)],
    ...                    "y": [0, 0, 1, 1] * 5})
    >>> ids, hidden, summary = make_split(df, "uid", "patient", ["y"], ["patient"], 0.2, seed=1)
    >>> len(ids), summary.n_test_patients
    (4, 2)
    """
    _check_inputs(
        labels, id_col, patient_col, label_cols, public_cols, stratify_extra, test_fraction, seed
    )
    test_fraction = float(test_fraction)
    n_cases = len(labels)
    if patient_col is None:
        patient_key = labels[id_col].astype(str)
    else:
        patient_key = labels[patient_col].astype(str)
    patients = _patient_strata(labels, patient_key, label_cols, stratify_extra)
    n_patients = len(patients)
    if n_patients < 2:
        raise SplitInputError(
            f"a patient-level split needs at least 2 patients. Got {n_patients} instead."
        )
    total_test = int(math.floor(test_fraction * n_cases + 0.5))
    if total_test < 1 or total_test >= n_cases:
        raise SplitInputError(
            f"test_fraction={test_fraction!r} of {n_cases} cases gives {total_test} test "
            "cases; choose a fraction that leaves cases on both sides."
        )
    if min_stratum_patients is None:
        min_stratum_patients = max(2, math.ceil(2.0 / min(test_fraction, 1.0 - test_fraction)))
    elif isinstance(min_stratum_patients, bool) or not isinstance(
        min_stratum_patients, (int, np.integer)
    ) or min_stratum_patients < 1:
        raise SplitInputError(
            f"min_stratum_patients must be a positive integer. Got {min_stratum_patients!r} "
            "instead."
        )
    min_stratum_patients = int(min_stratum_patients)

    counts = patients.groupby("combo").size()
    small = sorted(k for k, v in counts.items() if v < min_stratum_patients)
    if small:
        patients.loc[patients["combo"].isin(small), "combo"] = OTHER_STRATUM
    keys = sorted(k for k in patients["combo"].unique() if k != OTHER_STRATUM)
    if (patients["combo"] == OTHER_STRATUM).any():
        keys.append(OTHER_STRATUM)

    stratum_cases = np.array(
        [int(patients.loc[patients["combo"] == k, "n_cases"].sum()) for k in keys], dtype=float
    )
    targets = _largest_remainder(stratum_cases * test_fraction, total_test)

    rng = np.random.default_rng(int(seed))
    test_patients: list[str] = []
    strata = []
    for key, target in zip(keys, targets):
        members = patients[patients["combo"] == key].sort_values("patient", kind="mergesort")
        sizes = members["n_cases"].to_numpy()
        chosen = _draw_patients(sizes, int(target), rng)
        test_patients.extend(members["patient"].to_numpy()[chosen].tolist())
        strata.append(
            StratumSummary(
                key=key,
                n_patients=int(len(members)),
                n_cases=int(sizes.sum()),
                n_test_patients=int(len(chosen)),
                n_test_cases=int(sizes[chosen].sum()),
                target_test_cases=int(target),
            )
        )

    in_test = patient_key.isin(set(test_patients)).to_numpy()
    n_test = int(in_test.sum())
    if n_test == 0 or n_test == n_cases:
        raise SplitInputError(
            f"the split put {n_test} of {n_cases} cases in the test set; with patients this "
            "large relative to the table a non-trivial split is impossible at "
            f"test_fraction={test_fraction!r}."
        )
    public = [id_col] + [c for c in public_cols if c != id_col]
    public_ids = labels.loc[in_test, public].reset_index(drop=True)
    hidden = labels.loc[in_test, [id_col] + list(label_cols)].reset_index(drop=True)
    summary = SplitSummary(
        seed=int(seed),
        test_fraction=test_fraction,
        achieved_fraction=n_test / n_cases,
        n_cases=int(n_cases),
        n_patients=int(n_patients),
        n_test_cases=n_test,
        n_test_patients=int(len(test_patients)),
        min_stratum_patients=min_stratum_patients,
        merged=tuple(small),
        strata=tuple(strata),
        stratify_extra=tuple(stratify_extra),
    )
    return Split(public_ids, hidden, summary)
