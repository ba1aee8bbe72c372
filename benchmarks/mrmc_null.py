"""False-positive rates of the MRMC analyses under the null hypothesis (simulation).

Ratings follow a Roe-Metz style latent model (Roe & Metz 1997, Academic Radiology 4:298-303):
for modality t, reader j and case k with truth y_k,

    X_tjk = y_k (mu + R_j + TR_tj) + C_k + TC_tk + RC_jk + E_tjk,

every term normal and independent, readers and cases drawn afresh in every simulation (both are
random samples). The variance components below are ILLUSTRATIVE, chosen to give reader AUCs
near 0.85 that vary between readers.

* Two modalities with the same mu (no modality effect): rejection rates of the global test of
  RRRC, FRRC and RRFC at alpha = 0.05. Only RRRC's population (random readers, random cases)
  matches the simulation; FRRC and RRFC are expected to reject too often here, because each
  ignores one source of variation that the simulation draws.
* An algorithm against the readers in one modality (1T-RRRC, 1T-RRFC): the algorithm's ratings
  have the same structure with its own case-interaction term and a separation ``mu_m`` at which
  its AUC equals the readers' population mean AUC,
  ``Phi(mu_m / sqrt(2 V)) = E_R Phi((mu + R) / sqrt(2 V)) = Phi(mu / sqrt(2 V + s_R^2))``,
  V the within-class variance.

Usage: ``python benchmarks/mrmc_null.py [--sims 2000] [--readers 5] [--cases 100]``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmark.stats.mrmc import fom_jackknife, model_vs_readers, or_analysis

MU = 1.5
SD = {"R": 0.3, "TR": 0.15, "C": math.sqrt(0.3), "TC": math.sqrt(0.1), "RC": math.sqrt(0.2), "E": math.sqrt(0.4)}


def simulate(sims: int, J: int, K: int, seed: int = 20250101) -> dict:
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(K // 2, int), np.zeros(K - K // 2, int)]
    V = SD["C"] ** 2 + SD["TC"] ** 2 + SD["RC"] ** 2 + SD["E"] ** 2
    mu_model = MU * math.sqrt(2 * V) / math.sqrt(2 * V + SD["R"] ** 2)
    two = {"RRRC": 0, "FRRC": 0, "RRFC": 0}
    one = {"RRRC": 0, "RRFC": 0}
    for _ in range(sims):
        R = rng.normal(0, SD["R"], J)
        TR = rng.normal(0, SD["TR"], (2, J))
        C = rng.normal(0, SD["C"], K)
        TC = rng.normal(0, SD["TC"], (2, K))
        RC = rng.normal(0, SD["RC"], (J, K))
        E = rng.normal(0, SD["E"], (2, J, K))
        X = y * (MU + R[None, :, None] + TR[:, :, None]) + C + TC[:, None, :] + RC[None] + E
        res = or_analysis(*fom_jackknife(X, y), ["a", "b"], [str(j) for j in range(J)])["analyses"]
        for k in two:
            two[k] += res[k]["p"] is not None and res[k]["p"] < 0.05
        # the algorithm as one more reader of modality a, at the readers' mean AUC
        Xm = y * mu_model + C + TC[0] + rng.normal(0, SD["RC"], K) + rng.normal(0, SD["E"], K)
        theta, jack = fom_jackknife(X[:1], y)
        tm, jm = fom_jackknife(Xm[None, None], y)
        out = model_vs_readers(tm[0, 0], jm[0, 0], theta[0], jack[0])["analyses"]
        for k in one:
            one[k] += out[k]["p"] is not None and out[k]["p"] < 0.05
    return {"two_modalities": {k: v / sims for k, v in two.items()}, "model_vs_readers": {k: v / sims for k, v in one.items()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=2000)
    ap.add_argument("--readers", type=int, default=5)
    ap.add_argument("--cases", type=int, default=100)
    args = ap.parse_args()
    out = simulate(args.sims, args.readers, args.cases)
    se = math.sqrt(0.05 * 0.95 / args.sims)
    print(f"{args.sims} simulations, {args.readers} readers, {args.cases} cases; Monte Carlo SE at 0.05: {se:.4f}")
    for part, rates in out.items():
        print(part + ": " + ", ".join(f"{k} {v:.3f}" for k, v in rates.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
