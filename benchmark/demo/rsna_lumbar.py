"""SYNTHETIC RSNA 2024 lumbar spine demo data: public id list, demo labels, demo submissions.

300 synthetic integer study ids (7-10 digits) and labels in the native ``train.csv`` layout
(``study_id`` + 25 columns ``<condition>_<level>`` holding ``Normal/Mild``, ``Moderate``,
``Severe``, 1 % of cells empty). The class mix per condition and level
(:data:`LUMBAR_CLASS_MIX`) is ILLUSTRATIVE: mostly Normal/Mild, more severe at the lower levels.
The demo submissions come from the ordinal analogue of the binormal model, ``s ~ N(mu * grade,
1)``, with the posterior over the three grades. Nothing here is real data.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

from ..core.formatting import SYNTHETIC
from .common import (
    DATASET_DIR,
    SEEDS,
    count,
    csv_text,
    fmt_rounded,
    fmt_simplex,
    rng_for,
)
from .entries import PREVALENCE_TEXT, Entry, entry, prediction_comment

__all__ = [
    "LUMBAR_CONDITIONS",
    "LUMBAR_LEVELS",
    "LUMBAR_TARGETS",
    "LUMBAR_CLASS_MIX",
    "files",
    "entries",
    "predictions",
]

# Layout of the competition's train.csv (Kaggle competition rsna-2024-lumbar-spine-degenerative-
# classification data).
LUMBAR_CONDITIONS = (
    "spinal_canal_stenosis",
    "left_neural_foraminal_narrowing",
    "right_neural_foraminal_narrowing",
    "left_subarticular_stenosis",
    "right_subarticular_stenosis",
)
LUMBAR_LEVELS = ("l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1")
LUMBAR_TARGETS = tuple(f"{c}_{lv}" for c in LUMBAR_CONDITIONS for lv in LUMBAR_LEVELS)
LUMBAR_GRADES = ("Normal/Mild", "Moderate", "Severe")
LUMBAR_N = 300
LUMBAR_EMPTY_FRACTION = 0.01
#: ILLUSTRATIVE class mix (Normal/Mild, Moderate, Severe) per condition group and level.
LUMBAR_CLASS_MIX = {
    "spinal": {
        "l1_l2": (0.93, 0.05, 0.02),
        "l2_l3": (0.89, 0.07, 0.04),
        "l3_l4": (0.81, 0.11, 0.08),
        "l4_l5": (0.70, 0.17, 0.13),
        "l5_s1": (0.84, 0.11, 0.05),
    },
    "foraminal": {
        "l1_l2": (0.93, 0.06, 0.01),
        "l2_l3": (0.88, 0.10, 0.02),
        "l3_l4": (0.78, 0.18, 0.04),
        "l4_l5": (0.65, 0.28, 0.07),
        "l5_s1": (0.60, 0.30, 0.10),
    },
    "subarticular": {
        "l1_l2": (0.91, 0.06, 0.03),
        "l2_l3": (0.83, 0.11, 0.06),
        "l3_l4": (0.73, 0.17, 0.10),
        "l4_l5": (0.56, 0.27, 0.17),
        "l5_s1": (0.70, 0.21, 0.09),
    },
}


def _group(condition: str) -> str:
    """Condition group of a lumbar condition: spinal, foraminal or subarticular."""
    if condition.startswith("spinal"):
        return "spinal"
    if "foraminal" in condition:
        return "foraminal"
    return "subarticular"


def _ids(rng: np.random.Generator, n: int) -> np.ndarray:
    ids: list[int] = []
    seen: set[int] = set()
    while len(ids) < n:
        digits = int(rng.integers(7, 11))
        value = int(rng.integers(10 ** (digits - 1), 10**digits))
        if value not in seen:
            seen.add(value)
            ids.append(value)
    return np.sort(np.asarray(ids, dtype=np.int64))


def _mix() -> np.ndarray:
    """``(25, 3)`` class mix of the targets in :data:`LUMBAR_TARGETS` order."""
    return np.array(
        [LUMBAR_CLASS_MIX[_group(c)][lv] for c in LUMBAR_CONDITIONS for lv in LUMBAR_LEVELS]
    )


def _labels(rng: np.random.Generator, n: int) -> np.ndarray:
    """``(n, 25)`` grades 0/1/2, -1 for unlabelled cells (exactly 1 % of cells).

    A Gaussian latent per cell, shared in part by the study (35 % of the variance) and by the
    study's level (25 %), is cut at the quantiles of :data:`LUMBAR_CLASS_MIX`.
    """
    nl = len(LUMBAR_LEVELS)
    study = rng.standard_normal((n, 1))
    level = rng.standard_normal((n, nl))
    own = rng.standard_normal((n, len(LUMBAR_TARGETS)))
    level_of = np.tile(np.arange(nl), len(LUMBAR_CONDITIONS))
    z = math.sqrt(0.35) * study + math.sqrt(0.25) * level[:, level_of] + math.sqrt(0.40) * own
    mix = _mix()
    cut1 = ndtri(mix[:, 0])
    cut2 = ndtri(mix[:, 0] + mix[:, 1])
    y = np.where(z < cut1, 0, np.where(z < cut2, 1, 2)).astype(np.int64)
    empty = rng.choice(y.size, count(LUMBAR_EMPTY_FRACTION, y.size), replace=False)
    y.ravel()[empty] = -1
    return y


def files(out: dict) -> tuple[np.ndarray, np.ndarray]:
    """Add the public id list and demo labels to ``out``; return the study ids and grades."""
    base = f"{DATASET_DIR}/rsna-lumbar"
    rng = rng_for("rsna-lumbar", 1)
    ids = _ids(rng, LUMBAR_N)
    y = _labels(rng, LUMBAR_N)
    names = np.array(("",) + LUMBAR_GRADES, dtype=object)
    out[f"{base}/public/test_ids.csv"] = csv_text(
        f"{SYNTHETIC}. RSNA 2024 lumbar spine test public id list: {LUMBAR_N} synthetic "
        "study ids, no labels.",
        ["study_id"],
        [[str(i)] for i in ids],
    )
    out[f"{base}/demo/test_labels.csv"] = csv_text(
        f"{SYNTHETIC}. RSNA 2024 lumbar spine demo test labels in the train.csv layout: "
        f"{LUMBAR_N} studies, 25 targets, ILLUSTRATIVE class mix (mostly Normal/Mild, more "
        "severe at lower levels), 1% of cells empty (unlabelled). Generated by benchmark/demo.py.",
        ["study_id", *LUMBAR_TARGETS],
        [[str(i), *names[row + 1]] for i, row in zip(ids, y)],
    )
    return ids, y


def entries() -> list[Entry]:
    """The demo submissions, weakest first; params = ordinal separation mu per grade.

    options ("rounded",) writes 3 decimals without renormalising (rows may not sum to 1).
    """
    return [
        entry("rsna-lumbar", "Demo Baseline", "prevalence", "prevalence", (), "kaggle_long",
              PREVALENCE_TEXT),
        entry("rsna-lumbar", "Demo Lab D", "resnet18-crops", "weak", (0.7,), "kaggle_long",
              "ordinal binormal latent scores, separation 0.7 per grade (weak)."),
        entry("rsna-lumbar", "Demo Lab C", "rounded-probabilities", "medium", (1.4,),
              "kaggle_long",
              "ordinal binormal latent scores, separation 1.4 per grade; probabilities rounded "
              "to 3 decimals so some rows sum to slightly more or less than 1 (the scorer "
              "rescales).",
              options=("rounded",)),
        entry("rsna-lumbar", "Demo Lab A", "coordinate-crops-2stage", "strong", (2.2,),
              "kaggle_long", "ordinal binormal latent scores, separation 2.2 per grade.",
              external=True),
        entry("rsna-lumbar", "Demo Lab B", "level-attention", "strong", (2.25,), "kaggle_long",
              "ordinal binormal latent scores, separation 2.25 per grade (nearly tied with Demo "
              "Lab A)."),
    ]


def predictions(e: Entry, data: tuple[np.ndarray, np.ndarray]) -> str:
    """The prediction file of one entry on the test studies (``files``' return value)."""
    ids, y = data
    rng = np.random.default_rng((SEEDS["rsna-lumbar"], e.stream))
    n, k = y.shape
    if e.quality == "prevalence":
        p = np.empty((n, k, 3))
        for j in range(k):
            labelled = y[:, j][y[:, j] >= 0]
            p[:, j, :] = np.bincount(labelled, minlength=3) / len(labelled)
    else:
        mix = _mix()  # the model's prior: the generating class mix
        truth = y.copy()
        unl = truth < 0
        u = rng.random(int(unl.sum()))
        cum = np.cumsum(mix, axis=1)[np.nonzero(unl)[1]]
        truth[unl] = (u[:, None] > cum[:, :2]).sum(axis=1)
        mu = float(e.params[0])
        s = mu * truth + rng.standard_normal(truth.shape)
        grades = np.arange(3)
        logp = np.log(mix)[None, :, :] - 0.5 * (s[:, :, None] - mu * grades) ** 2
        logp -= logp.max(axis=2, keepdims=True)
        p = np.exp(logp)
        p /= p.sum(axis=2, keepdims=True)
    flat = p.reshape(n * k, 3)
    if "rounded" in e.options:
        text = fmt_rounded(flat, 3, 0.002)
    else:
        text = fmt_simplex(flat)
    row_ids = [f"{i}_{t}" for i in ids for t in LUMBAR_TARGETS]
    return csv_text(
        prediction_comment(e),
        ["row_id", "normal_mild", "moderate", "severe"],
        [[r, *row] for r, row in zip(row_ids, text)],
    )
