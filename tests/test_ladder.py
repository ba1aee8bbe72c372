"""The Ladder (Blum & Hardt 2015): rules, and the boosting attack it defends against."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.metrics import registry as M
from benchmark.data.ladder import Ladder, round_to_step, step_digits


def test_fixed_step_moves_only_on_a_clear_improvement():
    lad = Ladder(higher_is_better=True, step=0.01)
    shown = [lad.submit(s).shown for s in (0.801, 0.809, 0.8111, 0.823, 0.826, 0.79)]
    assert shown == [0.8, 0.8, 0.81, 0.82, 0.82, 0.82]
    assert [d.improved for d in lad.history] == [True, False, True, True, False, False]


def test_lower_is_better_and_rounding():
    lad = Ladder(higher_is_better=False, step=0.005)
    assert lad.submit(0.6931).shown == 0.695
    assert lad.submit(0.6905).improved is False  # better by 0.0045 < step
    d = lad.submit(0.6801)
    assert d.improved and d.shown == 0.68
    assert round_to_step(0.8237, 0.01) == 0.82 and step_digits(0.005) == 3


def test_undefined_score_changes_nothing():
    lad = Ladder(True, step=0.01)
    lad.submit(0.7)
    d = lad.submit(float("nan"))
    assert d.shown == 0.7 and not d.improved


def test_parameter_free_uses_the_paired_standard_error():
    rng = np.random.default_rng(0)
    base = 0.75 + 0.02 * rng.standard_normal(500)
    lad = Ladder(True, n_cases=200)
    assert lad.submit(0.75, base).shown == 0.75
    noisy = base + 0.004 + 0.02 * rng.standard_normal(500)  # gain 0.004, paired SE ~0.02
    assert not lad.submit(0.754, noisy).improved
    tight = base + 0.004 + 0.001 * rng.standard_normal(500)  # same gain, paired SE ~0.001
    d = lad.submit(0.754, tight)
    assert d.improved and d.shown == 0.755  # rounded to 1/n = 0.005
    with pytest.raises(ValueError):
        lad.submit(0.8)  # replicates are required


def _attack(ladder_step, n=2000, k=600, seed=2015):
    """Blum & Hardt's boosting attack on a leaderboard with n public and n private cases.

    The attacker submits k random 0/1 prediction vectors, keeps those whose *shown* public
    score is above chance (0.5 AUC), and submits their majority vote.
    Returns (shown score of the final submission, its true public and private scores,
    whether the leaderboard moved for it).
    """
    auc = M.get("roc_auc").fn
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 2 * n).astype(float)
    pub, prv = slice(0, n), slice(n, 2 * n)
    U = rng.integers(0, 2, (k, 2 * n)).astype(float)
    lad = Ladder(True, step=ladder_step) if ladder_step else None
    shown = []
    for u in U:
        s = auc(y[pub], u[pub])
        shown.append(s if lad is None else lad.submit(s).shown)
    keep = np.asarray(shown) > 0.5
    final = (U[keep].mean(axis=0) > 0.5).astype(float) if keep.any() else U[0]
    fp, fq = auc(y[pub], final[pub]), auc(y[prv], final[prv])
    if lad is None:
        return fp, fp, fq, True
    d = lad.submit(fp)
    return d.shown, fp, fq, d.improved


def test_boosting_attack_fools_the_naive_leaderboard_but_not_the_ladder():
    naive_shown, naive_pub, naive_priv, _ = _attack(None)
    lad_shown, lad_pub, lad_priv, lad_moved = _attack(0.01)
    # Naive leaderboard: the attacker "improves" to ~0.63 on the public part without learning
    # anything: the private part stays at chance, a public-private gap of ~0.11.
    assert naive_shown > 0.6
    assert naive_pub - naive_priv > 0.08
    assert abs(naive_priv - 0.5) < 0.04
    # Ladder: the shown scores carry no usable information, the majority vote is no better
    # than chance on the public part, the final submission does not move the leaderboard
    # and the shown score stays at what random guessing reached.
    assert not lad_moved
    assert lad_shown <= 0.53
    assert lad_pub - lad_priv < 0.05
    assert lad_pub < 0.53
    assert (naive_pub - naive_priv) > 2 * (lad_pub - lad_priv)
