"""What every SYNTHETIC demo data set shares: seeds, output folders, CSV text, the latent models.

Each data set has its own seed (:data:`SEEDS`) and each generated object its own random stream
(``numpy.random.default_rng((seed, stream))``), so the output is the same bytes for the same
code, and adding a stream does not change the others. Probabilities are written as exact
decimal strings (:func:`fmt_prob`, :func:`fmt_simplex`), never through ``repr`` of a float.

The binormal latent model behind every demo submission: a signal ``s ~ N(mu * y, 1)`` whose
separation ``mu`` is set from an intended AUC (``AUC = Phi(mu / sqrt(2))``), turned into the
calibrated posterior probability ``logit p = logit(prior) + mu * s - mu**2 / 2``.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = [
    "SEEDS",
    "AUC_TOLERANCE",
    "MAX_ATTEMPTS",
    "DATASET_DIR",
    "SUBMISSIONS_DIR",
    "count",
    "rng_for",
    "csv_text",
    "fmt_prob",
    "fmt_simplex",
    "fmt_rounded",
    "mu_for_auc",
    "binormal_posterior",
    "auc",
    "draw_accepted",
    "correlated_noise",
]

#: Seed of each data set's generator.
SEEDS = {"mrnet": 1001, "scopemri": 1000, "rsna-cspine": 1004, "rsna-lumbar": 1002}

#: Realised AUCs of a demo submission on its test set lie within this distance of the intended
#: ones (MRNet per target; ScopeMRI per modality).
AUC_TOLERANCE = 0.02
MAX_ATTEMPTS = 5000

DATASET_DIR = "tasks/_datasets"
SUBMISSIONS_DIR = "submissions"


def count(p: float, n: int) -> int:
    """Count closest to ``p * n`` (halves rounded up)."""
    return int(math.floor(p * n + 0.5))


def rng_for(dataset: str, stream: int) -> np.random.Generator:
    """The generator of one stream of a data set: ``default_rng((SEEDS[dataset], stream))``."""
    return np.random.default_rng((SEEDS[dataset], stream))


def csv_text(comment: str, header: Optional[Sequence[str]], rows: Sequence[Sequence[str]]) -> str:
    """CSV text: ``# comment`` line, optional header, rows; ``"\\n"`` endings."""
    lines = [f"# {comment}"]
    if header is not None:
        lines.append(",".join(header))
    lines.extend(",".join(r) for r in rows)
    return "\n".join(lines) + "\n"


def _micro(p: np.ndarray) -> np.ndarray:
    """Probabilities as integer millionths, clipped to [1, 999999]."""
    q = np.rint(np.asarray(p, dtype=float) * 1_000_000).astype(np.int64)
    return np.clip(q, 1, 999_999)


def _fmt_micro(q: np.ndarray) -> np.ndarray:
    """Integer millionths -> exact ``%.6f`` strings (``0.000001`` .. ``1.000000``)."""
    q = np.asarray(q, dtype=np.int64)
    return np.array([f"{v // 1_000_000}.{v % 1_000_000:06d}" for v in q.ravel()]).reshape(q.shape)


def fmt_prob(p: np.ndarray) -> np.ndarray:
    """Binary probabilities as ``%.6f`` strings, clipped to [1e-6, 1 - 1e-6]."""
    return _fmt_micro(_micro(p))


def fmt_simplex(p: np.ndarray, decimals: int = 6, floor: float = 1e-6) -> np.ndarray:
    """Rows of class probabilities as strings that sum to exactly 1 at ``decimals`` places.

    Each probability is at least ``floor``; the last class takes the remainder.
    """
    scale = 10**decimals
    p = np.maximum(np.asarray(p, dtype=float), floor)
    p = p / p.sum(axis=1, keepdims=True)
    lo = max(1, int(round(floor * scale)))
    q = np.rint(p[:, :-1] * scale).astype(np.int64)
    q = np.maximum(q, lo)
    last = scale - q.sum(axis=1)
    # Take any shortfall of the last class from the largest of the others.
    short = np.maximum(lo - last, 0)
    big = np.argmax(q, axis=1)
    q[np.arange(len(q)), big] -= short
    last = scale - q.sum(axis=1)
    q = np.column_stack([q, last])
    return np.array(
        [f"{v // scale}.{v % scale:0{decimals}d}" for v in q.ravel()]
    ).reshape(q.shape)


def fmt_rounded(p: np.ndarray, decimals: int, floor: float) -> np.ndarray:
    """Class probabilities rounded independently (rows may not sum to exactly 1)."""
    p = np.maximum(np.asarray(p, dtype=float), floor)
    p = p / p.sum(axis=1, keepdims=True)
    return np.array([f"{v:.{decimals}f}" for v in p.ravel()]).reshape(p.shape)


def mu_for_auc(auc: float) -> float:
    """Separation of an equal-variance binormal model with the given AUC."""
    return float(math.sqrt(2.0) * ndtri(auc))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p) - np.log1p(-p)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def binormal_posterior(
    y: np.ndarray, mu: np.ndarray, prior: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Calibrated probability from the signal ``s = mu * y + noise`` (noise ~ N(0, 1))."""
    s = mu * y + noise
    return _expit(_logit(prior) + mu * s - 0.5 * mu**2)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney statistic (ties count one half); nan without both classes."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _accept(realised: Sequence[float], intended: Sequence[float], tol: float) -> bool:
    """True when each realised AUC is within ``tol`` of the intended one, in the same order."""
    r = np.asarray(realised, dtype=float)
    t = np.asarray(intended, dtype=float)
    if not np.all(np.abs(r - t) <= tol):
        return False
    for i in range(len(t)):
        for j in range(len(t)):
            if t[i] < t[j] and not r[i] < r[j]:
                return False
    return True


def draw_accepted(
    dataset: str,
    entry,
    draw: Callable[[np.random.Generator], np.ndarray],
    realised: Callable[[np.ndarray], Sequence[float]],
) -> np.ndarray:
    """First draw (attempt 0, 1, ...) whose realised AUCs match the entry's intended ones.

    On test sets of about a hundred cases a single draw of a latent model can miss its
    intended AUC by 0.05 or more, enough to swap a weak and a medium entry. Each attempt uses
    its own stream ``(seed, entry.stream, attempt)``, so the result is still deterministic.
    ``entry`` is a :class:`benchmark.demo.entries.Entry`.
    """
    for attempt in range(MAX_ATTEMPTS):
        rng = np.random.default_rng((SEEDS[dataset], entry.stream, attempt))
        p = draw(rng)
        if _accept(realised(p), entry.params, AUC_TOLERANCE):
            return p
    raise RuntimeError(
        f"no draw of {entry.task}/{entry.folder} reached the intended AUCs {entry.params} "
        f"within {AUC_TOLERANCE} in {MAX_ATTEMPTS} attempts."
    )


def correlated_noise(
    rng: np.random.Generator, groups: np.ndarray, share: float, k: int = 1
) -> np.ndarray:
    """Standard normal noise ``(n, k)`` whose rows in one group share ``share`` of the variance."""
    codes, index = np.unique(groups, return_inverse=True)
    shared = rng.standard_normal((len(codes), k))[index]
    own = rng.standard_normal((len(groups), k))
    return math.sqrt(share) * shared + math.sqrt(1.0 - share) * own
