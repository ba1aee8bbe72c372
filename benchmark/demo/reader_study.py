"""A SYNTHETIC case-level reader study for the MRNet demo task, and its reads-file writer.

Generates the committed ``tasks/_datasets/mrnet/demo/test_reads.csv``: 7 simulated general
radiologists reading every demo test case, calibrated to the pooled reads of Bien et al. 2018
(doi:10.1371/journal.pmed.1002699). Demo code: never imported by the package at run time.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..core.fileio import atomic_write_text
from ..stats.reads import READ_COLUMNS

__all__ = [
    "DEMO_READER_SEED",
    "MRNET_READER_PROFILES",
    "generate_reader_study",
    "write_reader_study",
]

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
        "benchmark.demo.reader_study.generate_reader_study; abnormality calibrated to the pooled reads "
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
