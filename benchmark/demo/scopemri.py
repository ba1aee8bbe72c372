"""SYNTHETIC ScopeMRI demo data: annotations, test split, a reader study, demo submissions.

A full annotations table of 586 studies from 558 patients (28 patients with two studies),
335 standard MRI and 251 MR arthrograms (npj AI 2025, doi:10.1038/s44387-025-00043-5).
Bankart prevalence 31.9 % of MRAs and 8.6 % of MRIs (SPIE 2025, doi:10.1117/12.3046251), hence
exactly 80 of 251 and 29 of 335. The prevalences of reverse Bankart, SLAP and rotator cuff
tears have no public source: the values in :data:`SCOPEMRI_ILLUSTRATIVE_PREVALENCE` are
ILLUSTRATIVE. A patient-level test split (20 %, stratified on the label combination and
modality, seed 586) is made with :func:`benchmark.data.split.make_split`, like the ScopeMRI
authors' stratified split (github sahilsethi0105/scope-mri, ``src/train_test_val_creation.py``;
117 test MRIs). A reader study of the Bankart lesion on the test split
(``demo/test_reads_bankart.csv``): 5 simulated readers, each reading every test study with a
5-point confidence rating and a binary call (rating 4 or 5); the readers' accuracy
(:data:`SCOPEMRI_READER_AUC`) is ILLUSTRATIVE, no reader study of ScopeMRI being published.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.formatting import SYNTHETIC
from ..data.split import make_split, split_csv_texts
from .common import (
    DATASET_DIR,
    auc,
    binormal_posterior,
    correlated_noise,
    count,
    csv_text,
    draw_accepted,
    fmt_prob,
    mu_for_auc,
    rng_for,
)
from .entries import PREVALENCE_TEXT, Entry, entry, prediction_comment

__all__ = [
    "SCOPEMRI_SPLIT_SEED",
    "SCOPEMRI_ILLUSTRATIVE_PREVALENCE",
    "SCOPEMRI_READER_AUC",
    "scopemri_annotations",
    "files",
    "entries",
    "predictions",
]

#: Seed of the ScopeMRI test split (tasks/_datasets/scopemri/dataset.toml).
SCOPEMRI_SPLIT_SEED = 586

# Sizes from npj AI 2025, doi:10.1038/s44387-025-00043-5 (586 studies, 558 patients, 335 MRI,
# 251 MRA); Bankart prevalence from SPIE 2025, doi:10.1117/12.3046251.
SCOPEMRI_N_STUDIES = 586
SCOPEMRI_N_PATIENTS = 558
SCOPEMRI_MODALITY_COUNTS = {"MRI": 335, "MRA": 251}
SCOPEMRI_LABELS = ("bankart", "reverse_bankart", "slap", "cuff")
SCOPEMRI_BANKART_PREVALENCE = {"MRI": 0.086, "MRA": 0.319}
#: ILLUSTRATIVE prevalences (no public source): per label, per modality.
SCOPEMRI_ILLUSTRATIVE_PREVALENCE = {
    "reverse_bankart": {"MRI": 0.04, "MRA": 0.06},
    "slap": {"MRI": 0.18, "MRA": 0.25},
    "cuff": {"MRI": 0.35, "MRA": 0.15},
}
#: Illustrative correlation of the latent label scores (bankart, reverse_bankart, slap, cuff).
SCOPEMRI_LABEL_CORRELATION = np.array(
    [
        [1.00, 0.25, 0.30, -0.20],
        [0.25, 1.00, 0.15, 0.00],
        [0.30, 0.15, 1.00, 0.10],
        [-0.20, 0.00, 0.10, 1.00],
    ]
)
#: Share of the latent label variance shared by the studies of one patient.
SCOPEMRI_PATIENT_SHARE = 0.5
SCOPEMRI_UID_ROOT = "1.2.826.0.1.3680043.10.474"
#: ILLUSTRATIVE mean AUC of the simulated ScopeMRI readers (Bankart lesion), their number, the
#: spread of their binormal separations, and the latent weight of the case effect they share.
SCOPEMRI_READER_AUC = 0.85
SCOPEMRI_READERS = 5
SCOPEMRI_READER_SPREAD = 0.25
SCOPEMRI_READER_CASE_WEIGHT = 0.5


def _prevalence(label: str, modality: str) -> float:
    if label == "bankart":
        return SCOPEMRI_BANKART_PREVALENCE[modality]
    return SCOPEMRI_ILLUSTRATIVE_PREVALENCE[label][modality]


def scopemri_annotations() -> pd.DataFrame:
    """The synthetic ScopeMRI annotations table (586 studies, 558 patients).

    Returns
    -------
    pandas.DataFrame
        Columns ``study_uid, patient_id, modality, bankart, reverse_bankart, slap, cuff``.
        Exact counts per modality: ``round(prevalence * n_modality)`` positives per label,
        with Bankart prevalences 0.319 (MRA) and 0.086 (MRI) from SPIE 2025
        (doi:10.1117/12.3046251) and ILLUSTRATIVE prevalences for the other labels
        (:data:`SCOPEMRI_ILLUSTRATIVE_PREVALENCE`). Labels are the top-ranked studies of a
        latent Gaussian score, correlated across labels and between the studies of a patient.
    """
    rng = rng_for("scopemri", 1)
    n_pat, n = SCOPEMRI_N_PATIENTS, SCOPEMRI_N_STUDIES
    twice = np.sort(rng.choice(n_pat, n - n_pat, replace=False))
    per_patient = np.ones(n_pat, dtype=np.int64)
    per_patient[twice] = 2
    patient_index = np.repeat(np.arange(n_pat), per_patient)
    patient_ids = np.array([f"SCOPE-{i + 1:04d}" for i in patient_index])
    patient_part = rng.choice(900_000, n_pat, replace=False) + 100_000
    study_part = rng.choice(9_000_000, n, replace=False) + 1_000_000
    uids = np.array(
        [f"{SCOPEMRI_UID_ROOT}.{patient_part[p]}.{s}" for p, s in zip(patient_index, study_part)]
    )
    modality = np.array(
        ["MRI"] * SCOPEMRI_MODALITY_COUNTS["MRI"] + ["MRA"] * SCOPEMRI_MODALITY_COUNTS["MRA"]
    )[rng.permutation(n)]

    chol = np.linalg.cholesky(SCOPEMRI_LABEL_CORRELATION)
    k = len(SCOPEMRI_LABELS)
    shared = rng.standard_normal((n_pat, k))[patient_index] @ chol.T
    own = rng.standard_normal((n, k)) @ chol.T
    latent = math.sqrt(SCOPEMRI_PATIENT_SHARE) * shared + math.sqrt(
        1 - SCOPEMRI_PATIENT_SHARE
    ) * own
    y = np.zeros((n, k), dtype=np.int64)
    for j, label in enumerate(SCOPEMRI_LABELS):
        for mod, n_mod in SCOPEMRI_MODALITY_COUNTS.items():
            idx = np.flatnonzero(modality == mod)
            positives = count(_prevalence(label, mod), n_mod)
            top = idx[np.argsort(-latent[idx, j], kind="mergesort")[:positives]]
            y[top, j] = 1
    frame = pd.DataFrame(
        {"study_uid": uids, "patient_id": patient_ids, "modality": modality}
    )
    for j, label in enumerate(SCOPEMRI_LABELS):
        frame[label] = y[:, j]
    return frame


def _split_files(out: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = f"{DATASET_DIR}/scopemri"
    ann = scopemri_annotations()
    illustrative = "; ".join(
        f"{lab} MRI {p['MRI']:.2f} / MRA {p['MRA']:.2f}"
        for lab, p in SCOPEMRI_ILLUSTRATIVE_PREVALENCE.items()
    )
    out[f"{base}/demo/annotations.csv"] = csv_text(
        f"{SYNTHETIC}. ScopeMRI annotations stand-in: {len(ann)} studies from "
        f"{ann['patient_id'].nunique()} patients (335 MRI, 251 MRA; npj AI 2025 "
        "doi:10.1038/s44387-025-00043-5); Bankart 31.9% of MRA and 8.6% of MRI (SPIE 2025 "
        f"doi:10.1117/12.3046251); ILLUSTRATIVE prevalences with no public source: "
        f"{illustrative}. Generated by benchmark/demo.py.",
        list(ann.columns),
        ann.astype(str).to_numpy().tolist(),
    )
    split = make_split(
        ann,
        "study_uid",
        "patient_id",
        list(SCOPEMRI_LABELS),
        ["patient_id", "modality"],
        0.2,
        SCOPEMRI_SPLIT_SEED,
        stratify_extra=("modality",),
    )
    ids_text, labels_text = split_csv_texts(
        split.public_ids,
        split.hidden_labels,
        split.summary,
        title="ScopeMRI (demo/annotations.csv; benchmark.split.make_split).",
        prefix=f"{SYNTHETIC}.",
    )
    out[f"{base}/public/test_ids.csv"] = ids_text
    out[f"{base}/demo/test_labels.csv"] = labels_text
    test = split.public_ids.merge(split.hidden_labels, on="study_uid", validate="one_to_one")
    return ann, test


def _reads(out: dict, test: pd.DataFrame) -> None:
    """A SYNTHETIC Bankart reader study with 5-point confidence ratings on the test split.

    Reader ``r`` sees case ``i`` as ``x = mu_r y_i + w z_i + sqrt(1 - w^2) e_ri``: ``z_i`` the
    case's difficulty shared by every reader (so their errors correlate), ``e_ri`` noise,
    ``mu_r = mu(SCOPEMRI_READER_AUC) + N(0, spread^2)`` (centred over readers). The rating is
    1 + the number of the reader's four cut-points below ``x`` (common cut-points shifted by a
    reader effect ``N(0, 0.2^2)``: lenient and strict readers); the call is rating >= 4.
    """
    rng = rng_for("scopemri", 2)
    y = test["bankart"].to_numpy(dtype=float)
    n, R, w = len(test), SCOPEMRI_READERS, SCOPEMRI_READER_CASE_WEIGHT
    mu = rng.normal(0.0, SCOPEMRI_READER_SPREAD, R)
    mu += mu_for_auc(SCOPEMRI_READER_AUC) - mu.mean()
    shift = rng.normal(0.0, 0.2, R)
    z = rng.standard_normal(n)
    x = mu[:, None] * y[None, :] + w * z[None, :] + math.sqrt(1 - w * w) * rng.standard_normal((R, n))
    cuts = np.array([-0.3, 0.4, 1.0, 1.6])[None, :] + shift[:, None]
    rating = 1 + (x[:, :, None] > cuts[:, None, :]).sum(axis=2)
    rows = [
        [f"msk{r + 1}", uid, "bankart", str(int(rating[r, i] >= 4)), str(int(rating[r, i]))]
        for r in range(R)
        for i, uid in enumerate(test["study_uid"])
    ]
    out[f"{DATASET_DIR}/scopemri/demo/test_reads_bankart.csv"] = csv_text(
        f"SYNTHETIC reader study: simulated reads, not real radiologist reads. {R} simulated "
        f"readers, every test study, Bankart lesion; rating 1-5 (1 definitely absent, 5 "
        f"definitely present), read = rating >= 4; ILLUSTRATIVE mean AUC "
        f"{SCOPEMRI_READER_AUC}; generated by benchmark/demo.py.",
        ["reader_id", "case", "target", "read", "rating"],
        rows,
    )


def files(out: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add the annotations, test split and reader study to ``out``; return (annotations, test)."""
    ann, test = _split_files(out)
    _reads(out, test)
    return ann, test


def entries() -> list[Entry]:
    """The demo submissions of the three ScopeMRI tasks, weakest first within each.

    params = intended AUC on MRI, on MRA; options = ("modality_prior",) when the model knows the
    modality-specific prevalence.
    """
    scope = {
        "bankart": [
            ("Demo Lab D", "logistic-baseline", "weak", (0.68, 0.70), ()),
            ("Demo Lab C", "densenet-3d", "medium", (0.80, 0.84), ("modality_prior",)),
            ("Demo Lab A", "scope-cnn", "strong", (0.91, 0.93), ("modality_prior",)),
            ("Demo Lab B", "multiview-transformer", "strong", (0.90, 0.935), ("modality_prior",)),
        ],
        "slap": [
            ("Demo Lab D", "logistic-baseline", "weak", (0.62, 0.64), ()),
            ("Demo Lab C", "densenet-3d", "medium", (0.74, 0.77), ("modality_prior",)),
            ("Demo Lab A", "scope-cnn", "strong", (0.84, 0.86), ("modality_prior",)),
            ("Demo Lab B", "multiview-transformer", "strong", (0.845, 0.85), ("modality_prior",)),
        ],
        "cuff": [
            ("Demo Lab D", "logistic-baseline", "weak", (0.66, 0.64), ()),
            ("Demo Lab C", "densenet-3d", "medium", (0.79, 0.77), ("modality_prior",)),
            ("Demo Lab A", "scope-cnn", "strong", (0.89, 0.87), ("modality_prior",)),
            ("Demo Lab B", "multiview-transformer", "strong", (0.885, 0.88), ("modality_prior",)),
        ],
    }
    out = []
    for target, models in scope.items():
        task = f"scopemri-{target}"
        out.append(entry(task, "Demo Baseline", "prevalence", "prevalence", (), "canonical",
                         PREVALENCE_TEXT))
        for team, model, quality, aucs, opts in models:
            text = (
                f"binormal latent scores, intended AUC {aucs[0]} on MRI and {aucs[1]} on MRA; "
                "scores of a patient's studies correlated"
            )
            if "modality_prior" in opts:
                text += "; uses the modality-specific prevalence"
            if target == "bankart" and team == "Demo Lab A":
                text += " (published: MRI 0.91, MRA 0.93, doi:10.1038/s44387-025-00043-5)"
            out.append(entry(task, team, model, quality, aucs, "canonical", text + ".",
                             external=(team == "Demo Lab A"), options=opts))
    return out


def predictions(e: Entry, data: tuple[pd.DataFrame, pd.DataFrame]) -> str:
    """The prediction file of one entry on the test split (``files``' return value)."""
    ann, test = data
    target = e.task.split("-", 1)[1]
    y = test[target].to_numpy(dtype=float)
    mod = test["modality"].to_numpy()
    patients = test["patient_id"].to_numpy()
    if e.quality == "prevalence":
        p = np.full(len(test), y.mean())
    else:
        mu = np.where(mod == "MRI", mu_for_auc(e.params[0]), mu_for_auc(e.params[1]))
        if "modality_prior" in e.options:
            by_mod = ann.groupby("modality")[target].mean()
            prior = np.array([by_mod[m] for m in mod])
        else:
            prior = np.full(len(test), ann[target].mean())
        groups = [mod == "MRI", mod == "MRA"]
        p = draw_accepted(
            "scopemri",
            e,
            lambda rng: binormal_posterior(
                y, mu, prior, correlated_noise(rng, patients, SCOPEMRI_PATIENT_SHARE)[:, 0]
            ),
            lambda p: [auc(y[g], p[g]) for g in groups],
        )
    text = fmt_prob(p)
    return csv_text(
        prediction_comment(e),
        ["study_uid", target],
        [[u, v] for u, v in zip(test["study_uid"], text)],
    )
