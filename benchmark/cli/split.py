"""``benchmark split``: a patient-level stratified hidden test split of a dataset's label table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.errors import EXIT_OK, UsageError
from ..core.formatting import SYNTHETIC
from ..data.csvio import read_csv_str
from ..data.split import make_split
from ..data.split_files import write_split
from .common import registry


def run(args) -> int:
    reg = registry(args)
    tasks = [t for t in reg if t.dataset.id == args.dataset]
    if not tasks:
        known = sorted({t.dataset.id for t in reg})
        raise UsageError(f"unknown dataset {args.dataset!r}; datasets: {', '.join(known)}.")
    t0 = tasks[0]
    path = Path(args.labels)
    if not path.is_file():
        raise UsageError(f"--labels {path} is not a file.")
    df, _ = read_csv_str(path)
    wanted = {tg for t in tasks for tg in t.targets} | set(args.extra_label or [])
    label_cols = [c for c in df.columns if c in wanted] + sorted(wanted - set(df.columns))
    public_cols = list(t0.public_columns)
    patient = t0.resampling.cluster or t0.id_column
    missing = [c for c in [t0.id_column, patient, *label_cols, *public_cols] if c not in df.columns]
    if missing:
        raise UsageError(f"{path} lacks column(s) {missing}; columns found: {list(df.columns)}.")
    for c in label_cols:
        df[c] = pd.to_numeric(df[c], errors="coerce")
        if df[c].isna().any() or not df[c].isin([0, 1]).all():
            raise UsageError(f"{path}: label column {c!r} must hold 0/1 values.")
        df[c] = df[c].astype(int)
    extra = [sg.column for sg in t0.subgroups]
    split = make_split(
        df,
        id_col=t0.id_column,
        patient_col=patient,
        label_cols=label_cols,
        public_cols=[c for c in public_cols if c != t0.id_column],
        test_fraction=args.test_fraction,
        seed=args.seed,
        stratify_extra=extra,
    )
    pub = split.public_ids
    write_split(
        pub,
        split.hidden_labels,
        args.out,
        summary=split.summary,
        title=f"{t0.dataset.name} ({path.parent.name}/{path.name}; benchmark.split.make_split).",
        prefix=f"{SYNTHETIC}." if _is_synthetic(path) else "",
    )
    print(
        f"wrote {len(pub)} test cases from {pub[patient].nunique()} patients: "
        f"{Path(args.out) / 'test_ids.csv'} (public) and {Path(args.out) / 'test_labels.csv'} "
        "(hidden: keep it out of the repository)."
    )
    return EXIT_OK


def _is_synthetic(path: Path) -> bool:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
    return first.startswith("#") and "SYNTHETIC" in first.upper()
