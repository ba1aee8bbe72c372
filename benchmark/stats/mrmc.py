"""Multi-reader multi-case (MRMC) analysis: Obuchowski-Rockette with Hillis's degrees of freedom.

In a reader study every reader reads every case in every modality (treatment). Conclusions
about *radiologists* in general must treat readers as a random sample, and conclusions about
*patients* must treat cases as a random sample; a case bootstrap with readers fixed covers
only the readers of the study. This module implements the standard analysis:

* Figures of merit (FOM) per modality and reader: the trapezoidal (Wilcoxon) area under the
  empirical ROC curve of the ratings, or the sensitivity or specificity of binary reads.
* Error covariances from the case jackknife (each case left out once): ``Var`` (the error
  variance, one reader and modality), ``Cov1`` (same reader, different modalities), ``Cov2``
  (different readers, same modality) and ``Cov3`` (different readers and modalities), each
  the average over the pairs of its kind. Obuchowski & Rockette (1995), Communications in
  Statistics - Simulation and Computation 24:285-308, doi:10.1080/03610919508813243.
* Random readers and random cases (RRRC): ``F = MS(T) / [MS(T*R) + J max(Cov2 - Cov3, 0)]``
  on ``T - 1`` and Hillis's denominator degrees of freedom
  ``ddf_H = [MS(T*R) + J max(Cov2 - Cov3, 0)]^2 / {MS(T*R)^2 / [(T - 1)(J - 1)]}``;
  single-modality intervals with ``MS(R) + J max(Cov2, 0)`` on
  ``[MS(R) + J max(Cov2, 0)]^2 / [MS(R)^2 / (J - 1)]`` df. Hillis (2007), Statistics in
  Medicine 26:596-619, doi:10.1002/sim.2532; Hillis, Berbaum & Metz (2008), Academic
  Radiology 15:647-661, doi:10.1016/j.acra.2007.12.015.
* Fixed readers, random cases (FRRC): ``chi2 = (T - 1) MS(T) / [Var - Cov1 + (J - 1)
  max(Cov2 - Cov3, 0)]`` on ``T - 1`` df, normal intervals; per-reader differences from that
  reader's jackknife variances.
* Random readers, fixed cases (RRFC): the treatment x reader ANOVA of the FOMs,
  ``F = MS(T) / MS(T*R)`` on ``T - 1`` and ``(T - 1)(J - 1)`` df (with two modalities the
  paired t test of the readers' FOMs).
* An algorithm against a panel of readers in one modality (``model``): the differences
  ``psi_j = FOM(model) - FOM(reader j)`` analysed as a single-treatment OR model (Hillis 2007,
  section 5.3; the "1T-RRRC" method of RJafroc's ``StSignificanceTestingCadVsRad``,
  Chakraborty 2017, Observer Performance Methods for Diagnostic Imaging, CRC Press), with
  ``Var`` and ``Cov2`` the jackknife variance and covariance of the differences; "1T-RRFC" is
  the one-sample t test of the differences on ``J - 1`` df.

The printed figures of the OR-DBM MRMC 2.51 analysis of the Van Dyke et al. (1993) data (the
reference data set distributed with OR-DBM MRMC and with RJafroc as ``dataset02``; output in
RJafroc ``inst/IowaResults/VanDyke.txt``) are reproduced in tests/test_mrmc.py.
"""

from __future__ import annotations

import itertools
import math
from typing import Optional

import numpy as np
from scipy import special

from .checks import check_level
from .mrmc_io import FOMS, MRMCData, check_design

__all__ = [
    "fom_jackknife",
    "jackknife_covariance",
    "mrmc_analysis",
    "or_analysis",
    "model_vs_readers",
    "format_mrmc",
    "POPULATION",
]

#: What population each analysis's conclusion covers (one sentence each).
POPULATION = {
    "RRRC": "random readers and random cases: the conclusion covers readers like these reading cases like these",
    "FRRC": "fixed readers, random cases: the conclusion covers these readers only, reading cases like these",
    "RRFC": "random readers, fixed cases: the conclusion covers readers like these, on these cases only",
}


# --------------------------------------------------------------------------------------------
# figures of merit and their jackknife
# --------------------------------------------------------------------------------------------
def _auc_jackknife(pos: np.ndarray, neg: np.ndarray):
    """Trapezoidal AUC of one reader and its leave-one-case-out values.

    Returns ``(auc, jack_pos, jack_neg)``: the AUC without each positive, and without each
    negative case. The placement of each case (the number of cases of the other class it
    outranks, ties counting one half) is found by binary search, so the cost is
    O(K log K) rather than O(n1 n0).
    """
    n1, n0 = pos.shape[0], neg.shape[0]
    ns, ps = np.sort(neg), np.sort(pos)
    lo, hi = np.searchsorted(ns, pos, "left"), np.searchsorted(ns, pos, "right")
    row = lo + 0.5 * (hi - lo)  # per positive: negatives below it (+ ties / 2)
    lo, hi = np.searchsorted(ps, neg, "left"), np.searchsorted(ps, neg, "right")
    col = (n1 - hi) + 0.5 * (hi - lo)  # per negative: positives above it (+ ties / 2)
    total = row.sum()
    auc = total / (n1 * n0)
    jp = (total - row) / ((n1 - 1) * n0) if n1 > 1 else np.full(n1, np.nan)
    jn = (total - col) / (n1 * (n0 - 1)) if n0 > 1 else np.full(n0, np.nan)
    return auc, jp, jn


def fom_jackknife(ratings: np.ndarray, truth: np.ndarray, fom: str = "auc"):
    """FOM of every modality and reader, and its value with each case left out.

    Parameters
    ----------
    ratings : ndarray of shape (T, J, K)
    truth : ndarray of shape (K,)
        0/1 truth; both classes present.
    fom : {"auc", "sensitivity", "specificity"}

    Returns
    -------
    theta : ndarray of shape (T, J)
    jack : ndarray of shape (T, J, K)
        ``jack[t, j, k]``: the FOM with case ``k`` removed.

    Examples
    --------
    >>> import numpy as np
    >>> theta, jack = fom_jackknife(np.array([[[0.1, 0.4, 0.35, 0.8]]]), np.array([0, 0, 1, 1]))
    >>> float(theta[0, 0])
    0.75
    >>> jack[0, 0].tolist()
    [0.5, 1.0, 1.0, 0.5]
    """
    if fom not in FOMS:
        raise ValueError(f"fom must be one of {FOMS}. Got {fom!r} instead.")
    ratings = np.asarray(ratings, dtype=np.float64)
    truth = np.asarray(truth)
    T, J, K = ratings.shape
    P, N = truth == 1, truth == 0
    theta = np.empty((T, J))
    jack = np.empty((T, J, K))
    for t in range(T):
        for j in range(J):
            x = ratings[t, j]
            if fom == "auc":
                theta[t, j], jack[t, j, P], jack[t, j, N] = _auc_jackknife(x[P], x[N])
                continue
            mask = P if fom == "sensitivity" else N
            hits = x[mask] if fom == "sensitivity" else 1.0 - x[mask]
            m, s = hits.shape[0], hits.sum()
            theta[t, j] = s / m
            jack[t, j, :] = theta[t, j]  # a case of the other class leaves the FOM unchanged
            jack[t, j, mask] = (s - hits) / (m - 1) if m > 1 else np.nan
    return theta, jack


def jackknife_covariance(jack: np.ndarray) -> np.ndarray:
    """Jackknife covariance matrix of the FOMs, flattened over (modality, reader).

    ``C[a, b] = (K - 1) / K * sum_k (jack_a(k) - mean_a) (jack_b(k) - mean_b)`` with ``a``,
    ``b`` indexing ``t * J + j`` (Efron 1982; as used by Obuchowski & Rockette 1995 and
    Hillis 2007).
    """
    T, J, K = jack.shape
    X = jack.reshape(T * J, K)
    D = X - X.mean(axis=1, keepdims=True)
    return (K - 1) / K * (D @ D.T)


def _components(C: np.ndarray, T: int, J: int) -> dict:
    """Average Var, Cov1, Cov2, Cov3 of a (T*J) x (T*J) covariance matrix."""
    t_of = np.repeat(np.arange(T), J)
    j_of = np.tile(np.arange(J), T)
    same_t = t_of[:, None] == t_of[None, :]
    same_j = j_of[:, None] == j_of[None, :]

    def avg(mask):
        return float(C[mask].mean()) if mask.any() else None

    return {
        "var_error": avg(same_t & same_j),
        "cov1": avg(~same_t & same_j),
        "cov2": avg(same_t & ~same_j),
        "cov3": avg(~same_t & ~same_j),
    }


# --------------------------------------------------------------------------------------------
# small inference helpers
# --------------------------------------------------------------------------------------------
def _finite(x) -> Optional[float]:
    return float(x) if x is not None and math.isfinite(x) else None


# The reference distributions through scipy.special, the functions scipy.stats evaluates for
# them (scipy 1.17: t._ppf = stdtrit, t._sf = stdtr(df, -x), norm = ndtri / ndtr(-x), chi2._sf =
# chdtrc, f._sf = fdtrc), with scipy.stats' answer (nan) for a degree of freedom that is not
# positive; loading scipy.stats itself takes about a second. tests/test_mrmc.py checks them
# against scipy.stats.
def _t_ppf(q: float, df: Optional[float]) -> float:
    if df is None:
        return float(special.ndtri(q))
    return float(special.stdtrit(df, q)) if df > 0 else math.nan


def _t_sf(x: float, df: Optional[float]) -> float:
    if df is None:
        return float(special.ndtr(-x))
    return float(special.stdtr(df, -x)) if df > 0 else math.nan


def _chi2_sf(x: float, df: float) -> float:
    return float(special.chdtrc(df, x)) if df > 0 else math.nan


def _f_sf(x: float, dfn: float, dfd: float) -> float:
    return float(special.fdtrc(dfn, dfd, x)) if dfn > 0 and dfd > 0 else math.nan


def _t_summary(estimate: float, se: float, df: Optional[float], level: float, stat: str = "t") -> dict:
    """Estimate, SE, df, two-sided p and CI from a t (``df`` finite) or normal reference."""
    normal = df is None or not math.isfinite(df)
    ref = None if normal else df
    out = {"estimate": float(estimate), "se": _finite(se), "df": None if normal else float(df)}
    if se is None or not math.isfinite(se) or se <= 0:
        out.update({stat: None, "p": None, "ci": None})
        return out
    q = _t_ppf(0.5 + level / 2, ref)
    z = estimate / se
    out.update({
        stat: float(z),
        "p": float(2 * _t_sf(abs(z), ref)),
        "ci": [float(estimate - q * se), float(estimate + q * se)],
    })
    return out


def _ddf(num: float, ms: float, df_ms: int) -> Optional[float]:
    """Satterthwaite-type ddf ``num^2 / (ms^2 / df_ms)``; infinite when ``ms`` is 0."""
    if ms <= 0:
        return math.inf if num > 0 else None
    return num * num / (ms * ms / df_ms)


def _f_test(ms_t: float, den: float, df1: int, ddf: Optional[float]) -> dict:
    if den <= 0 or ddf is None:
        return {"f": None, "df1": df1, "ddf": _finite(ddf), "p": None}
    f = ms_t / den
    p = _chi2_sf(f * df1, df1) if not math.isfinite(ddf) else _f_sf(f, df1, ddf)
    return {"f": float(f), "df1": df1, "ddf": _finite(ddf), "p": float(p)}


# --------------------------------------------------------------------------------------------
# analyses
# --------------------------------------------------------------------------------------------
def or_analysis(theta: np.ndarray, jack: np.ndarray, modalities, readers, level: float = 0.95) -> dict:
    """Obuchowski-Rockette analysis of T >= 1 modalities read by J >= 2 readers.

    Parameters
    ----------
    theta : ndarray of shape (T, J)
        FOM per modality and reader.
    jack : ndarray of shape (T, J, K)
        Leave-one-case-out FOMs (:func:`fom_jackknife`).
    modalities, readers : sequence of str
    level : float, default=0.95

    Returns
    -------
    dict
        ``anova``, ``variance_components`` (OR and DBM) and ``analyses`` {"RRRC", "FRRC",
        "RRFC"}; with two or more modalities each analysis holds the global test, every
        pairwise difference (``a - b`` for ``a`` before ``b``) and the single-modality
        intervals; with one modality only the single-modality intervals.
    """
    level = check_level(level)
    T, J, K = jack.shape
    if J < 2:
        raise ValueError(f"an OR analysis needs at least 2 readers. Got {J} instead.")
    C = jackknife_covariance(jack)
    comp = _components(C, T, J)
    var, cov1, cov2, cov3 = comp["var_error"], comp["cov1"], comp["cov2"], comp["cov3"]
    m_t, m_j, m = theta.mean(axis=1), theta.mean(axis=0), theta.mean()
    ms_r_mod = [float(np.var(theta[t], ddof=1)) for t in range(T)]
    blocks = [C[t * J:(t + 1) * J, t * J:(t + 1) * J] for t in range(T)]
    var_mod = [float(np.diag(b).mean()) for b in blocks]
    cov2_mod = [float(b[~np.eye(J, dtype=bool)].mean()) for b in blocks]

    single = {"RRRC": {}, "FRRC": {}, "RRFC": {}}
    for t, name in enumerate(modalities):
        den = ms_r_mod[t] + J * max(cov2_mod[t], 0.0)
        d = _t_summary(m_t[t], math.sqrt(den / J), _ddf(den, ms_r_mod[t], J - 1), level)
        single["RRRC"][name] = {**_strip(d), "ms_r": ms_r_mod[t], "cov2": cov2_mod[t]}
        se = math.sqrt(max(var_mod[t] + (J - 1) * max(cov2_mod[t], 0.0), 0.0) / J)
        d = _t_summary(m_t[t], se, None, level, stat="z")
        single["FRRC"][name] = {**_strip(d), "var_error": var_mod[t], "cov2": cov2_mod[t]}
        d = _t_summary(m_t[t], math.sqrt(ms_r_mod[t] / J), J - 1, level)
        single["RRFC"][name] = {**_strip(d), "ms_r": ms_r_mod[t]}
    out = {
        "ms_r_by_modality": dict(zip(modalities, ms_r_mod)),
        "variance_components": {"or": dict(comp), "dbm": None},
        "analyses": {k: {"single": v, "population": POPULATION[k]} for k, v in single.items()},
    }
    if T < 2:
        out["variance_components"]["or"] = {"var_error": var, "cov2": cov2}
        return out

    ss_t = J * float(((m_t - m) ** 2).sum())
    ss_r = T * float(((m_j - m) ** 2).sum())
    resid = theta - m_t[:, None] - m_j[None, :] + m
    ss_tr = float((resid ** 2).sum())
    df_t, df_r, df_tr = T - 1, J - 1, (T - 1) * (J - 1)
    ms_t, ms_r, ms_tr = ss_t / df_t, ss_r / df_r, ss_tr / df_tr
    out["anova"] = {
        "ss": {"T": ss_t, "R": ss_r, "TR": ss_tr},
        "df": {"T": df_t, "R": df_r, "TR": df_tr},
        "ms": {"T": ms_t, "R": ms_r, "TR": ms_tr},
    }
    var_r = (ms_r - ms_tr) / T - cov1 + cov3
    var_tr = ms_tr - var + cov1 + cov2 - cov3
    comp.update({
        "var_r": var_r,
        "var_tr": var_tr,
        "corr1": cov1 / var if var > 0 else None,
        "corr2": cov2 / var if var > 0 else None,
        "corr3": cov3 / var if var > 0 else None,
    })
    out["variance_components"] = {
        "or": comp,
        # the DBM pseudovalue components implied by the OR ones (Hillis et al. 2005,
        # Stat Med 24:1579, doi:10.1002/sim.2024, table I)
        "dbm": {
            "var_r": var_r,
            "var_c": K * cov3,
            "var_tr": var_tr,
            "var_tc": K * (cov2 - cov3),
            "var_rc": K * (cov1 - cov3),
            "var_trc_error": K * (var - cov1 - cov2 + cov3),
        },
    }
    pairs = list(itertools.combinations(range(T), 2))

    # RRRC
    den = ms_tr + J * max(cov2 - cov3, 0.0)
    ddf = _ddf(den, ms_tr, df_tr)
    rrrc = _f_test(ms_t, den, df_t, ddf)
    rrrc["ms_den"] = den
    rrrc["differences"] = [
        {"a": modalities[a], "b": modalities[b], **_t_summary(m_t[a] - m_t[b], math.sqrt(2 * den / J), ddf, level)}
        for a, b in pairs
    ]
    # FRRC
    den_f = var - cov1 + (J - 1) * max(cov2 - cov3, 0.0)
    frrc = {"chi2": None, "df1": df_t, "p": None}
    if den_f > 0:
        chi2 = df_t * ms_t / den_f
        frrc.update({"chi2": chi2, "p": _chi2_sf(chi2, df_t)})
    frrc["ms_den"] = den_f
    se_f = math.sqrt(max(2 * den_f / J, 0.0))
    frrc["differences"] = [
        {"a": modalities[a], "b": modalities[b], **_t_summary(m_t[a] - m_t[b], se_f, None, level, stat="z")}
        for a, b in pairs
    ]
    per_reader = []
    for j, rname in enumerate(readers):
        idx = [t * J + j for t in range(T)]
        sub = C[np.ix_(idx, idx)]
        v_j = float(np.diag(sub).mean())
        c1_j = float(sub[~np.eye(T, dtype=bool)].mean())
        for a, b in pairs:
            v = sub[a, a] + sub[b, b] - 2 * sub[a, b]
            d = _t_summary(theta[a, j] - theta[b, j], math.sqrt(max(v, 0.0)), None, level, stat="z")
            per_reader.append({"reader": rname, "a": modalities[a], "b": modalities[b], **d,
                               "var_error": v_j, "cov1": c1_j})
    frrc["by_reader"] = per_reader
    # RRFC
    rrfc = _f_test(ms_t, ms_tr, df_t, df_tr)
    rrfc["ms_den"] = ms_tr
    rrfc["differences"] = [
        {"a": modalities[a], "b": modalities[b], **_t_summary(m_t[a] - m_t[b], math.sqrt(2 * ms_tr / J), df_tr, level)}
        for a, b in pairs
    ]
    for name, res in (("RRRC", rrrc), ("FRRC", frrc), ("RRFC", rrfc)):
        out["analyses"][name].update(res)
    return out


def _strip(d: dict) -> dict:
    """Keep the fields of a single-modality interval."""
    return {k: d[k] for k in ("estimate", "se", "df", "ci")}


def model_vs_readers(theta_model: float, jack_model: np.ndarray, theta: np.ndarray, jack: np.ndarray,
                     level: float = 0.95) -> dict:
    """An algorithm against a panel of J >= 2 readers in one modality.

    Parameters
    ----------
    theta_model : float
        The algorithm's FOM.
    jack_model : ndarray of shape (K,)
        Its leave-one-case-out FOMs.
    theta : ndarray of shape (J,)
        The readers' FOMs.
    jack : ndarray of shape (J, K)
    level : float, default=0.95

    Returns
    -------
    dict
        ``model_fom``, ``reader_mean_fom`` and ``analyses`` {"RRRC", "RRFC"}, each with the
        ``difference`` model - mean of readers, ``se``, ``ci``, ``t``, ``df``, ``p``.

    Examples
    --------
    With no case variance (identical jackknife values) RRRC and RRFC agree with the
    one-sample t test of the differences:

    >>> import numpy as np
    >>> out = model_vs_readers(0.9, np.zeros(3), np.array([0.8, 0.85, 0.7]), np.zeros((3, 3)))
    >>> round(out["analyses"]["RRFC"]["t"], 6), out["analyses"]["RRFC"]["df"]
    (2.645751, 2.0)
    """
    level = check_level(level)
    theta = np.asarray(theta, dtype=np.float64)
    J = theta.shape[0]
    if J < 2:
        raise ValueError(f"the reader panel needs at least 2 readers. Got {J} instead.")
    psi = theta_model - theta  # model minus each reader
    jpsi = np.asarray(jack_model)[None, :] - np.asarray(jack)
    C = jackknife_covariance(jpsi[None])
    var = float(np.diag(C).mean())
    cov2 = float(C[~np.eye(J, dtype=bool)].mean())
    ms_r = float(np.var(psi, ddof=1))
    mean = float(psi.mean())
    den = ms_r + J * max(cov2, 0.0)
    rrrc = _t_summary(mean, math.sqrt(den / J), _ddf(den, ms_r, J - 1), level)
    rrfc = _t_summary(mean, math.sqrt(ms_r / J), J - 1, level)
    rename = {"estimate": "difference"}
    return {
        "model_fom": float(theta_model),
        "reader_mean_fom": float(theta.mean()),
        "analyses": {
            "RRRC": {**{rename.get(k, k): v for k, v in rrrc.items()}, "var_error": var, "cov2": cov2,
                     "ms_r": ms_r, "population": POPULATION["RRRC"]},
            "RRFC": {**{rename.get(k, k): v for k, v in rrfc.items()}, "ms_r": ms_r,
                     "population": POPULATION["RRFC"]},
        },
    }


def mrmc_analysis(data: MRMCData, fom: str = "auc", model: Optional[str] = None, level: float = 0.95) -> dict:
    """MRMC analysis of a reader study: the JSON-ready result of ``benchmark readers mrmc``.

    Parameters
    ----------
    data : MRMCData
        A fully crossed study (:func:`~benchmark.stats.mrmc_io.read_mrmc_file`).
    fom : {"auc", "sensitivity", "specificity"}, default="auc"
    model : str, default=None
        A reader that is an algorithm: compared with the mean of the other readers
        (:func:`model_vs_readers`) instead of comparing modalities.
    level : float, default=0.95

    Returns
    -------
    dict
        Top level ``fom``, ``level``, ``modalities``, ``readers`` (the panel, without the
        model), ``n_cases``, ``n_positive``, ``fom_by_modality_reader``, ``modality_means`` and
        ``analyses``; with ``model`` also ``model``, ``model_fom`` and ``reader_mean_fom``.
    """
    level = check_level(level)
    check_design(data, fom, model)
    theta, jack = fom_jackknife(data.ratings, data.truth, fom)
    panel = [j for j, r in enumerate(data.readers) if r != model]
    readers = [data.readers[j] for j in panel]
    out = {
        "fom": fom,
        "level": level,
        "modalities": list(data.modalities),
        "readers": readers,
        "n_cases": len(data.cases),
        "n_positive": data.n_positive,
        "fom_by_modality_reader": {
            m: {data.readers[j]: float(theta[t, j]) for j in panel} for t, m in enumerate(data.modalities)
        },
        "modality_means": {m: float(theta[t, panel].mean()) for t, m in enumerate(data.modalities)},
    }
    if model is not None:
        jm = data.readers.index(model)
        res = model_vs_readers(theta[0, jm], jack[0, jm], theta[0, panel], jack[0, panel], level)
        out["model"] = model
        out.update(res)
        return out
    out.update(or_analysis(theta, jack, data.modalities, data.readers, level))
    return out


# --------------------------------------------------------------------------------------------
# terminal output
# --------------------------------------------------------------------------------------------
def _n(x, digits: int = 5) -> str:
    return "undefined" if x is None else f"{x:.{digits}f}"


def _ci(ci, digits: int = 5) -> str:
    return "undefined" if not ci else f"({ci[0]:.{digits}f}, {ci[1]:.{digits}f})"


def _p(p) -> str:
    return "undefined" if p is None else ("<0.0001" if p < 1e-4 else f"{p:.4f}")


def _df(df) -> str:
    return "inf" if df is None else f"{df:.2f}"


def format_mrmc(res: dict) -> str:
    """The human-readable report of :func:`mrmc_analysis`."""
    pct = f"{100 * res['level']:g}%"
    lines = [
        f"MRMC analysis (Obuchowski-Rockette, Hillis ddf), FOM: {res['fom']}",
        f"{len(res['readers'])} readers, {len(res['modalities'])} modalit{'y' if len(res['modalities']) == 1 else 'ies'}, "
        f"{res['n_cases']} cases "
        f"({res['n_positive']} positive, {res['n_cases'] - res['n_positive']} negative)",
        "",
        "FOM by reader:",
    ]
    mods = res["modalities"]
    width = max([len(r) for r in res["readers"]] + [6])
    lines.append("  " + "reader".ljust(width) + "".join(f"  {m[:12]:>12}" for m in mods))
    for r in res["readers"]:
        lines.append("  " + r.ljust(width) + "".join(f"  {res['fom_by_modality_reader'][m][r]:12.8f}" for m in mods))
    lines.append("  " + "mean".ljust(width) + "".join(f"  {res['modality_means'][m]:12.8f}" for m in mods))
    if "model" in res:
        lines += ["", f"model {res['model']!r}: FOM {res['model_fom']:.8f}; readers' mean {res['reader_mean_fom']:.8f}",
                  f"difference model - mean of readers, {pct} CI:"]
        for k, a in res["analyses"].items():
            lines.append(
                f"  {k}: {_n(a['difference'])} {_ci(a['ci'])}  SE {_n(a['se'])}  t {_n(a['t'], 2)}  "
                f"df {_df(a['df'])}  p {_p(a['p'])}"
            )
            lines.append(f"        ({a['population']})")
        return "\n".join(lines) + "\n"
    vc = res["variance_components"]["or"]
    lines += ["", "OR error covariances (jackknife): " + ", ".join(
        f"{k} {_n(v, 8)}" for k, v in vc.items() if k in ("var_error", "cov1", "cov2", "cov3"))]
    if "var_r" in vc:
        lines.append(f"OR variance components: var_r {_n(vc['var_r'], 8)}, var_tr {_n(vc['var_tr'], 8)}")
    for k, a in res["analyses"].items():
        lines += ["", f"{k}: {a['population']}"]
        if "df1" in a:
            if k == "FRRC":
                lines.append(f"  global test: chi2 {_n(a['chi2'], 4)} on {a['df1']} df, p {_p(a['p'])}")
            else:
                lines.append(f"  global test: F {_n(a['f'], 4)} on {a['df1']} and {_df(a['ddf'])} df, p {_p(a['p'])}")
            for d in a["differences"]:
                stat = "z" if k == "FRRC" else "t"
                lines.append(
                    f"  {d['a']} - {d['b']}: {_n(d['estimate'])} {pct} CI {_ci(d['ci'])}  SE {_n(d['se'])}  "
                    f"{stat} {_n(d[stat], 2)}  df {_df(d['df'])}  p {_p(d['p'])}"
                )
        for m, s in a["single"].items():
            lines.append(f"  {m}: {_n(s['estimate'], 8)} {pct} CI {_ci(s['ci'], 8)}  SE {_n(s['se'], 8)}  df {_df(s['df'])}")
    return "\n".join(lines) + "\n"
