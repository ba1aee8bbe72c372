"""Tests of benchmark.stats.ranking: ranks, arena rank, Holm, significance maps, operating points.

Golden values are computed by hand in the comments or from the definitions inside the tests
(brute-force loops over thresholds, expanded case lists instead of weights).
"""

import importlib.util
import json
import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from benchmark.stats import baselines as BL
from benchmark.stats import intervals as IV
from benchmark.stats import operating_points as OP
from benchmark.stats import ranking as RK
from benchmark.stats import significance as SG
from benchmark.stats.intervals import paired_difference


# ------------------------------------------------------------------------------------------
# rank_summary
# ------------------------------------------------------------------------------------------
def test_rank_summary_hand_matrix_with_undefined_replicate():
    # replicate columns:      r0   r1   r2   r3
    reps = np.array(
        [
            [3.0, 1.0, 2.0, np.nan],  # A
            [2.0, 2.0, 3.0, 1.0],  # B
            [1.0, 3.0, 1.0, 2.0],  # C
        ]
    )
    # ranks: r0 A1 B2 C3 | r1 A3 B2 C1 | r2 A2 B1 C3 | r3 (A undefined) B2 C1
    out = RK.rank_summary([0.9, 0.8, 0.7], reps, True, level=0.5, names=["A", "B", "C"])
    a, b, c = out
    assert [x.point_rank for x in out] == [1, 2, 3]
    assert a.rank_counts == [1, 1, 1] and a.n_undefined == 1 and a.n_ranked == 3
    assert b.rank_counts == [1, 3, 0] and b.n_undefined == 0
    assert c.rank_counts == [2, 0, 2]
    assert a.p_best == 0.25 and b.p_best == 0.25 and c.p_best == 0.5  # denominator B = 4
    assert a.median_rank == 2.0 and b.median_rank == 2.0 and c.median_rank == 2.0
    # level 0.5: quantiles 0.25 and 0.75 of the inverse empirical CDF
    assert b.rank_interval == [1, 2]  # CDF 0.25, 1.0, 1.0
    assert c.rank_interval == [1, 3]  # CDF 0.5, 0.5, 1.0
    assert a.rank_interval == [1, 3]  # CDF 1/3, 2/3, 1


def test_rank_summary_known_frequencies():
    # 70 replicates A > B > C, 30 replicates B > A > C.
    B = 100
    reps = np.empty((3, B))
    reps[:, :70] = np.array([[3.0], [2.0], [1.0]])
    reps[:, 70:] = np.array([[2.0], [3.0], [1.0]])
    a, b, c = RK.rank_summary([3, 2, 1], reps, True)
    assert a.rank_counts == [70, 30, 0] and b.rank_counts == [30, 70, 0]
    assert c.rank_counts == [0, 0, 100]
    assert a.p_best == 0.7 and b.p_best == 0.3 and c.p_best == 0.0
    assert a.median_rank == 1.0 and b.median_rank == 2.0
    assert a.rank_interval == [1, 2] and b.rank_interval == [1, 2] and c.rank_interval == [3, 3]


def test_rank_summary_ties_share_min_rank_and_direction():
    reps = np.array([[1.0, 0.5], [1.0, 0.7], [0.2, 0.7]])
    out = RK.rank_summary([0.5, 0.5, 0.1], reps, True)
    assert [x.point_rank for x in out] == [1, 1, 3]
    # r0: 1, 1, 3; r1: 3, 1, 1
    assert [x.rank_counts for x in out] == [[1, 0, 1], [2, 0, 0], [1, 0, 1]]
    # lower is better on negated values gives the same ranks
    neg = RK.rank_summary([-0.5, -0.5, -0.1], -reps, False)
    assert [x.rank_counts for x in neg] == [x.rank_counts for x in out]
    assert [x.point_rank for x in neg] == [1, 1, 3]


def test_rank_summary_undefined_point_and_errors():
    out = RK.rank_summary([np.nan, 0.3], np.array([[np.nan], [0.1]]), True)
    assert out[0].point_rank is None and out[0].median_rank is None
    assert out[0].rank_interval is None and out[0].n_undefined == 1
    assert out[1].point_rank == 1 and out[1].p_best == 1.0
    json.dumps([x.to_dict() for x in out], allow_nan=False)
    with pytest.raises(ValueError, match="one row per submission"):
        RK.rank_summary([1, 2], np.zeros((3, 4)), True)
    with pytest.raises(ValueError, match="level must be in"):
        RK.rank_summary([1, 2], np.zeros((2, 4)), True, level=1.5)


# ------------------------------------------------------------------------------------------
# arena_rank
# ------------------------------------------------------------------------------------------
def test_arena_rank_hand_example():
    iv = [
        [0.90, 0.95],  # A: nobody's low above 0.95 -> 1
        [0.85, 0.92],  # B: nobody's low above 0.92 -> 1
        [0.70, 0.80],  # C: lows above 0.80: A, B (E's 0.80 only touches) -> 3
        [0.60, 0.91],  # D: lows above 0.91: none (A's 0.90 is below) -> 1
        [0.80, 0.84],  # E: lows above 0.84: A, B -> 3
    ]
    assert RK.arena_rank(iv, True).tolist() == [1, 1, 3, 1, 3]
    mirrored = [[-h, -l] for l, h in iv]
    assert RK.arena_rank(mirrored, False).tolist() == [1, 1, 3, 1, 3]


def test_arena_rank_errors():
    with pytest.raises(ValueError, match="low <= high"):
        RK.arena_rank([[0.9, 0.8]], True)
    with pytest.raises(ValueError, match="finite"):
        RK.arena_rank([[np.nan, 0.8]], True)
    with pytest.raises(ValueError, match="shape"):
        RK.arena_rank([0.1, 0.2], True)


# ------------------------------------------------------------------------------------------
# p-values and Holm
# ------------------------------------------------------------------------------------------
def test_bootstrap_p_values_hand():
    # #(d <= 0) = 1, #(d >= 0) = 3, B = 4: p = 2 (1 + 1) / 5
    assert SG.bootstrap_p_values([0.1, 0.2, -0.1, 0.3]) == pytest.approx(0.8)
    # zeros count on both sides; capped at 1
    assert SG.bootstrap_p_values([0.0, 0.0, 1.0]) == 1.0
    # all 99 positive: 2 (1 + 0) / 100
    assert SG.bootstrap_p_values(np.ones(99)) == pytest.approx(0.02)
    # nan replicates are dropped: 3 defined, all positive -> 2 / 4
    assert SG.bootstrap_p_values([1.0, np.nan, 2.0, 3.0]) == pytest.approx(0.5)
    assert math.isnan(SG.bootstrap_p_values([np.nan, np.nan]))


def test_bootstrap_p_values_agree_with_paired_difference():
    rng = np.random.default_rng(5)
    a = rng.normal(0.80, 0.02, 500)
    b = a - rng.normal(0.01, 0.02, 500)
    ref = paired_difference(a, b, 0.8, 0.79).p_value
    assert SG.bootstrap_p_values(a - b) == pytest.approx(ref)


def test_holm_hand_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    adj = SG.holm_adjust([0.01, 0.04, 0.03, 0.005])
    assert adj == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert SG.holm_adjust([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    out = SG.holm_adjust([0.01, np.nan, 0.04])  # m = 2
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.04)
    with pytest.raises(ValueError, match="probabilities"):
        SG.holm_adjust([1.2])


# ------------------------------------------------------------------------------------------
# significance_map
# ------------------------------------------------------------------------------------------
def _holm_reference(ps):
    """Holm's step-down adjustment: statsmodels when installed, else the definition by hand."""
    if importlib.util.find_spec("statsmodels") is not None:
        from statsmodels.stats.multitest import multipletests

        return list(multipletests(ps, method="holm")[1])
    m = len(ps)
    order = sorted(range(m), key=lambda t: ps[t])
    adj = [0.0] * m
    running = 0.0
    for rank, t in enumerate(order):
        running = max(running, min(1.0, (m - rank) * ps[t]))
        adj[t] = running
    return adj


def _reference_map(reps, points):
    """Pairwise studentised p-values from the definition, with plain loops and scipy.stats."""
    s, _ = reps.shape
    pairs, ps = [], []
    for i in range(s):
        for j in range(i + 1, s):
            d = reps[i] - reps[j]
            d = d[~np.isnan(d)]
            se = statistics.stdev(d.tolist())  # sample standard deviation, n - 1
            z = (points[i] - points[j]) / se
            pairs.append((i, j))
            ps.append(2 * stats.norm.sf(abs(z)))
    return pairs, ps, _holm_reference(ps)


def test_studentized_p_values_match_normal_test():
    rng = np.random.default_rng(4)
    d = rng.normal(0.01, 0.02, size=(3, 500))
    d[1, :7] = np.nan
    point = np.array([0.012, -0.03, 0.0])
    p, se, why = SG.studentized_p_values(d, point)
    for k in range(3):
        x = d[k][~np.isnan(d[k])]
        ref_se = statistics.stdev(x.tolist())
        assert se[k] == pytest.approx(ref_se, rel=1e-12)
        assert p[k] == pytest.approx(2 * stats.norm.sf(abs(point[k]) / ref_se), rel=1e-10)
    assert why == [None, None, None]
    # not floored at 2 / (B + 1): a difference of 10 standard errors
    p10, _, _ = SG.studentized_p_values(rng.normal(0, 1, size=(1, 200)) * 0.01, [0.1])
    assert p10[0] < 1e-15


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shift=st.floats(-1.0, 1.0),
    scale=st.floats(0.01, 100.0),
)
def test_studentized_p_values_invariances(seed, shift, scale):
    # p is a probability, unchanged by swapping the pair (negating everything) and by
    # measuring the metric in other units (scaling everything)
    d = np.random.default_rng(seed).normal(0.0, 0.05, size=(1, 200))
    p, _, _ = SG.studentized_p_values(d, [shift * 0.1])
    assert 0.0 <= p[0] <= 1.0
    assert SG.studentized_p_values(-d, [-shift * 0.1])[0][0] == pytest.approx(p[0], rel=1e-9, abs=1e-300)
    assert SG.studentized_p_values(scale * d, [scale * shift * 0.1])[0][0] == pytest.approx(
        p[0], rel=1e-7, abs=1e-300
    )


def test_studentized_p_values_untestable_cells():
    d = np.vstack([np.full(100, 0.02), np.r_[np.full(20, np.nan), np.linspace(-1, 1, 80)],
                   np.linspace(-1, 1, 100)])
    p, se, why = SG.studentized_p_values(d, [0.02, 0.1, np.nan])
    assert np.isnan(p).all()
    assert why[0] == "bootstrap standard error 0 at B = 100"
    assert why[1] == "20 of 100 replicates undefined"
    assert why[2] == "the point difference is undefined"
    assert SG.studentized_p_values(np.full((1, 1), 0.5), [0.5])[2] == [
        "fewer than two defined replicates"
    ]


def test_significance_map_against_reference():
    rng = np.random.default_rng(11)
    base = rng.normal(0.8, 0.02, 400)
    reps = np.vstack(
        [
            base + 0.03 + rng.normal(0, 0.005, 400),  # clearly best
            base + rng.normal(0, 0.005, 400),
            base + 0.0005 + rng.normal(0, 0.005, 400),  # indistinguishable from row 1
            base - 0.03 + rng.normal(0, 0.005, 400),  # clearly worst
        ]
    )
    reps[3, :5] = np.nan
    names = ["a", "b", "c", "d"]
    points = np.nanmean(reps, axis=1)
    res = SG.significance_map(reps, points, names, True, level=0.05)
    pairs, ps, adj = _reference_map(reps, points)
    for (i, j), p, q in zip(pairs, ps, adj):
        assert res.p_values[i][j] == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert res.p_values[j][i] == res.p_values[i][j]
        assert res.p_adjusted[i][j] == pytest.approx(q, rel=1e-9, abs=1e-300)
    assert res.p_values[0][0] is None
    better = np.array(res.better)
    assert better[0, 1:].all() and better[:3, 3].all()
    assert not better[1, 2] and not better[2, 1]
    assert not better.diagonal().any() and not (better & better.T).any()
    assert res.order == [0, 2, 1, 3]
    assert res.untested == [[None] * 4 for _ in range(4)]
    assert res.n_replicates == 400 and "studentised" in res.method
    # lower is better: negate everything, same verdicts
    low = SG.significance_map(-reps, -points, names, False)
    assert low.better == res.better and low.order == res.order
    json.dumps(res.to_dict(), allow_nan=False)


def test_significance_map_holm_makes_it_harder():
    # z = 2.2 for one pair: raw p = 0.0278 < 0.05; with a second, untouched pair of z = 0.1
    # Holm doubles the smallest p: 0.0556 > 0.05
    rng = np.random.default_rng(0)
    e = rng.standard_normal(1000)
    e = (e - e.mean()) / e.std(ddof=1)  # replicate differences with sd exactly 1
    reps = np.vstack([0.8 + 0.01 * e, np.full(1000, 0.8), np.full(1000, 0.8) + 0.01 * e])
    res = SG.significance_map(reps, [0.822, 0.8, 0.8], None, True)
    assert res.p_values[0][1] == pytest.approx(2 * stats.norm.sf(2.2))
    assert res.p_values[0][1] < 0.05 and not res.better[0][1]
    assert res.p_adjusted[0][1] == pytest.approx(2 * 2 * stats.norm.sf(2.2))
    # rows 0 and 2 differ by a constant: zero bootstrap SE, reported and never significant
    assert res.untested[0][2] == "bootstrap standard error 0 at B = 1000"
    assert res.p_values[0][2] is None and not res.better[0][2]


def test_significance_map_separates_widely_spaced_entries():
    # 30 entries 5 standard errors apart: with the Monte Carlo p-value no pair could pass
    # Holm at B = 500 (435 pairs * 2 / 501 > 0.05); the studentised test separates them all.
    rng = np.random.default_rng(2)
    noise = rng.standard_normal((30, 500)) * 0.01 / math.sqrt(2)  # se of a difference: 0.01
    points = 0.9 - 0.05 * np.arange(30)
    reps = points[:, None] + noise
    res = SG.significance_map(reps, points, None, True)
    better = np.array(res.better)
    assert better.sum() >= 400
    assert all(better[i, j] for i in range(30) for j in range(30) if j - i >= 2)
    assert 435 * 2 / 501 > 0.05


# ------------------------------------------------------------------------------------------
# verdicts and leader comparison
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "low, high, hib, expected",
    [
        (1e-12, 0.1, True, "better"),
        (0.0, 0.1, True, "not distinguishable"),
        (-0.1, 0.0, True, "not distinguishable"),
        (-0.1, -1e-12, True, "worse"),
        (-0.1, 0.1, True, "not distinguishable"),
        (0.01, 0.02, False, "worse"),
        (-0.02, -0.01, False, "better"),
        (None, 0.1, True, "not available"),
        (float("nan"), 0.1, True, "not available"),
    ],
)
def test_verdict_boundaries(low, high, hib, expected):
    assert IV.verdict(low, high, hib) == expected


def test_verdict_rejects_reversed_interval():
    with pytest.raises(ValueError, match="low must be <= high"):
        IV.verdict(0.2, 0.1)


def test_leader_comparison_matches_quantiles():
    rng = np.random.default_rng(3)
    base = rng.normal(0.8, 0.02, 1000)
    reps = np.vstack([base - 0.001 + rng.normal(0, 0.01, 1000), base + 0.02, base])
    points = np.array([0.799, 0.82, 0.80])
    res = SG.leader_comparison(reps, points, ["x", "y", "z"], True, level=0.9)
    assert res.leader == "y" and [d.name for d in res.differences] == ["x", "z"]
    for d, i in zip(res.differences, [0, 2]):
        diff = reps[i] - reps[1]
        lo, hi = np.quantile(diff, [0.05, 0.95])  # linear interpolation (R type 7)
        assert d.ci == pytest.approx([lo, hi])
        assert d.difference == pytest.approx(points[i] - 0.82)
    assert res.differences[1].verdict == "worse"  # exactly 0.02 behind in every replicate
    assert res.differences[1].p_value == pytest.approx(2 / 1001)
    # lower is better: the leader is the smallest value
    low = SG.leader_comparison(reps, points, ["x", "y", "z"], False)
    assert low.leader == "x"
    json.dumps(res.to_dict(), allow_nan=False)


def test_leader_comparison_too_many_undefined():
    reps = np.vstack([np.linspace(0.7, 0.9, 10), np.linspace(0.6, 0.8, 10)])
    reps[1, :5] = np.nan
    res = SG.leader_comparison(reps, [0.8, 0.7], None, True)
    d = res.differences[0]
    assert d.ci is None and d.verdict == "not available" and d.reason
    assert d.n_undefined == 5


# ------------------------------------------------------------------------------------------
# operating points
# ------------------------------------------------------------------------------------------
Y8 = np.array([0, 0, 0, 0, 1, 1, 1, 1])
S8 = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.5, 0.7, 0.9])
# ROC points (threshold: sens, spec), by hand:
#  inf: 0, 1 | 0.9: .25, 1 | 0.7: .5, 1 | 0.6: .5, .75 | 0.5: .75, .75 | 0.4: 1, .75
#  0.3: 1, .5 | 0.2: 1, .25 | 0.1: 1, 0


@pytest.mark.parametrize(
    "spec, sens", [(1.0, 0.5), (0.8, 0.5), (0.75, 1.0), (0.5, 1.0), (0.0, 1.0)]
)
def test_sensitivity_at_specificity_hand(spec, sens):
    assert OP.sensitivity_at_specificity(Y8, S8, spec) == sens


@pytest.mark.parametrize(
    "sens, spec", [(1.0, 0.75), (0.75, 0.75), (0.6, 0.75), (0.5, 1.0), (0.0, 1.0)]
)
def test_specificity_at_sensitivity_hand(sens, spec):
    assert OP.specificity_at_sensitivity(Y8, S8, sens) == spec


def test_operating_threshold_hand():
    assert OP.operating_threshold(Y8, S8, 0.75) == (0.4, 1.0, 0.75)
    # equal sensitivity 0.5 at thresholds 0.7 and 0.6: the higher specificity wins
    assert OP.operating_threshold(Y8, S8, 0.9) == (0.7, 0.5, 1.0)
    assert OP.operating_threshold(Y8, S8, 1.0, matched="sensitivity") == (0.4, 1.0, 0.75)
    with pytest.raises(ValueError, match="both classes"):
        OP.operating_threshold([1, 1], [0.2, 0.3], 0.5)


def test_tied_scores_form_one_roc_point():
    y = [0, 1, 1, 0]
    s = [0.5, 0.5, 0.8, 0.2]
    # 0.8: sens .5 spec 1 | 0.5 (one positive, one negative tied): sens 1 spec .5
    assert OP.sensitivity_at_specificity(y, s, 1.0) == 0.5
    assert OP.sensitivity_at_specificity(y, s, 0.6) == 0.5
    assert OP.sensitivity_at_specificity(y, s, 0.5) == 1.0


def _brute_sens_at_spec(y, s, spec):
    """Sensitivity at specificity from an expanded case list, by looping over thresholds."""
    best = 0.0
    for t in np.r_[np.inf, np.unique(s)]:
        pred = s >= t
        sp = np.mean(~pred[y == 0])
        if sp >= spec - 1e-12:
            best = max(best, np.mean(pred[y == 1]))
    return best


def test_weighted_operating_points_equal_expanded_cases():
    rng = np.random.default_rng(0)
    n = 30
    y = np.r_[np.ones(12), np.zeros(18)]
    s = np.round(rng.uniform(size=n), 1)  # many ties
    W = rng.multinomial(n, np.full(n, 1 / n), size=40).astype(float)
    W[0] = 1.0
    got = OP.sensitivity_at_specificity(y, s, 0.8, W)
    got_spec = OP.specificity_at_sensitivity(y, s, 0.7, W)
    assert got.shape == (40,)
    for b in range(40):
        reps = W[b].astype(int)
        ye, se = np.repeat(y, reps), np.repeat(s, reps)
        if ye.min() == ye.max():
            assert math.isnan(got[b])
            continue
        assert got[b] == pytest.approx(_brute_sens_at_spec(ye, se, 0.8))
        assert got_spec[b] == pytest.approx(
            _brute_sens_at_spec(1 - ye, -se, 0.7)  # spec at sens = swap the classes
        )
    assert got[0] == OP.sensitivity_at_specificity(y, s, 0.8)


def test_weighted_operating_points_per_row_targets_and_undefined():
    W = np.array([[1.0] * 8, [1, 1, 1, 1, 0, 0, 0, 0]])
    out = OP.sensitivity_at_specificity(Y8, S8, np.array([1.0, 0.5]), W)
    assert out[0] == 0.5 and math.isnan(out[1])  # no positive weight in row 1
    with pytest.raises(ValueError, match="one entry per weighting"):
        OP.sensitivity_at_specificity(Y8, S8, np.array([1.0, 0.5, 0.2]), W)
    with pytest.raises(ValueError, match=r"target must be in \[0, 1\]"):
        OP.sensitivity_at_specificity(Y8, S8, 1.2)


def test_rate_slack_for_rounded_counts():
    # 124 negatives score below every positive, 23 above them: at sensitivity 1 the
    # specificity is exactly 124/147
    y = np.r_[np.zeros(147), np.ones(10)]
    s = np.r_[np.arange(147) / 1000.0, np.full(10, 0.5)]
    s[:124] -= 1.0
    s[124:147] += 1.0
    assert OP.specificity_at_sensitivity(y, s, 1.0) == pytest.approx(124 / 147)
    assert OP.sensitivity_at_specificity(y, s, 124 / 147) == 1.0
    # a rounding-size excess is absorbed, a real one is not (next point up: sensitivity 0)
    assert OP.sensitivity_at_specificity(y, s, 124 / 147 + 1e-15) == 1.0
    assert OP.sensitivity_at_specificity(y, s, 124 / 147 + 1e-6) == 0.0


# ------------------------------------------------------------------------------------------
# compare_to_operating_point
# ------------------------------------------------------------------------------------------
def _plan(n, b, seed):
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1 / n), size=b).astype(float)


def test_compare_to_operating_point_perfect_submission_binomial_baseline(registry):
    base = registry.get("mrnet").baselines[0]
    y = np.r_[np.ones(99), np.zeros(21)]
    s = np.r_[np.linspace(0.6, 1.0, 99), np.linspace(0.0, 0.5, 21)]
    W = _plan(120, 4000, 1)
    r = BL.compare_to_operating_point(y, s, base, W, level=0.95, seed=7)
    sens = r.sensitivity
    assert sens.baseline == pytest.approx(627 / 693)
    assert sens.matched_value == pytest.approx(124 / 147)
    # 693 pooled reads of 7 readers = 99 cases, each read 7 times
    assert sens.baseline_uncertainty == "binomial over 99 cases (627/693 pooled reads of 7 readers)"
    assert sens.submission == 1.0 and sens.submission_ci == [1.0, 1.0]
    assert sens.difference == pytest.approx(1 - 627 / 693)
    # a perfect submission has sensitivity 1 at every drawn specificity, so the difference
    # replicates are 1 - Binomial(99, p)/99: width ~ 2 * 1.96 * the case-level binomial sd,
    # sqrt(7) times the read-level one
    sd = math.sqrt(627 / 693 * 66 / 693 / 99)
    width = sens.difference_ci[1] - sens.difference_ci[0]
    assert width == pytest.approx(2 * 1.96 * sd, rel=0.15)
    assert width > 2.0 * (2 * 1.96 * math.sqrt(627 / 693 * 66 / 693 / 693))
    assert sens.verdict == "better"  # 1 - 0.905 = 0.095 > 1.96 * 0.030
    assert r.specificity.baseline_uncertainty == (
        "binomial over 21 cases (124/147 pooled reads of 7 readers)"
    )
    assert r.specificity.submission == 1.0
    # without n_readers the counts are one reader's reads of 693 cases
    single = base.model_copy(update={"n_readers": None})
    r1 = BL.compare_to_operating_point(y, s, single, W, level=0.95, seed=7)
    assert r1.sensitivity.baseline_uncertainty == "binomial 627/693"
    width1 = np.diff(r1.sensitivity.difference_ci)[0]
    assert width1 == pytest.approx(2 * 1.96 * math.sqrt(627 / 693 * 66 / 693 / 693), rel=0.15)
    assert r1.sensitivity.verdict == "better"
    # deterministic and JSON-ready
    r2 = BL.compare_to_operating_point(y, s, base, W, level=0.95, seed=7)
    assert r.to_dict() == r2.to_dict()
    json.dumps(r.to_dict(), allow_nan=False)


def test_compare_to_operating_point_draws_the_matched_coordinate():
    # Unit weights (every replicate is the full data) and an exact sensitivity: the only
    # uncertainty left is the readers' specificity 40/50, drawn as Binomial(50, 0.8)/50. The
    # submission's sensitivity at a specificity q falls as q rises, so the interval of the
    # difference is [f(upper quantile of q), f(lower quantile of q)] - 0.7, with the binomial
    # quantiles from scipy (0.025 -> 34/50, 0.975 -> 45/50) and f by brute force.
    y = np.r_[np.ones(50), np.zeros(50)]
    s = np.r_[np.linspace(0.3, 1.0, 50), np.linspace(0.0, 0.7, 50)]
    W = np.ones((20000, 100))
    base = {"name": "b", "target": "t", "sensitivity": 0.7, "specificity": 0.8,
            "specificity_counts": [40, 50]}
    r = BL.compare_to_operating_point(y, s, base, W, seed=3)
    lo_q, hi_q = (stats.binom.ppf(q, 50, 0.8) / 50 for q in (0.025, 0.975))
    assert (lo_q, hi_q) == (34 / 50, 45 / 50)
    assert r.sensitivity.difference_ci == pytest.approx(
        [_brute_sens_at_spec(y, s, hi_q) - 0.7, _brute_sens_at_spec(y, s, lo_q) - 0.7]
    )
    assert r.sensitivity.matched_value == 0.8
    assert r.sensitivity.submission == pytest.approx(_brute_sens_at_spec(y, s, 0.8))
    # an exact specificity (no counts, no interval) leaves nothing to draw
    fixed = BL.compare_to_operating_point(y, s, dict(base, specificity_counts=None), W, seed=3)
    assert fixed.sensitivity.difference_ci == pytest.approx([r.sensitivity.difference] * 2)


def test_baseline_counts_must_match_n_readers():
    y = np.r_[np.ones(10), np.zeros(10)]
    s = np.linspace(0, 1, 20)
    base = {"name": "b", "target": "t", "sensitivity": 0.7, "specificity": 0.8,
            "sensitivity_counts": [7, 10], "n_readers": 3}
    with pytest.raises(ValueError, match="multiple of 3"):
        BL.compare_to_operating_point(y, s, base, np.ones((5, 20)))
    from benchmark.data.declarations import BaselineDecl

    with pytest.raises(ValueError, match="multiple of n_readers"):
        BaselineDecl(name="b", target="t", sensitivity=0.7, specificity=0.8,
                     sensitivity_counts=[7, 10], n_readers=3, source="x")
    with pytest.raises(ValueError):
        BaselineDecl(name="b", target="t", sensitivity=0.7, specificity=0.8, n_readers=0,
                     source="x")


def test_compare_to_operating_point_ci_only_and_exact_baseline():
    y = np.r_[np.ones(60), np.zeros(60)]
    rng = np.random.default_rng(2)
    s = y * 0.3 + rng.uniform(size=120)
    W = _plan(120, 3000, 4)
    exact = {"name": "b", "target": "t", "sensitivity": 0.7, "specificity": 0.7}
    r = BL.compare_to_operating_point(y, s, exact, W)
    # no baseline uncertainty: the difference interval is the submission interval shifted
    assert r.sensitivity.baseline_uncertainty == "none"
    assert r.sensitivity.difference_ci == pytest.approx(
        [r.sensitivity.submission_ci[0] - 0.7, r.sensitivity.submission_ci[1] - 0.7]
    )
    with_ci = dict(exact, sensitivity_ci=[0.6, 0.8])
    r_ci = BL.compare_to_operating_point(y, s, with_ci, W)
    assert r_ci.sensitivity.baseline_uncertainty == "normal from 95% CI [0.6, 0.8]"
    w0 = np.diff(r.sensitivity.difference_ci)[0]
    w1 = np.diff(r_ci.sensitivity.difference_ci)[0]
    assert w1 > w0  # the baseline's own uncertainty widens the interval
    # sensitivity at the point: brute force on the full data
    assert r.sensitivity.submission == pytest.approx(_brute_sens_at_spec(y, s, 0.7))
    # iterable of blocks gives the same result as one array
    r_blocks = BL.compare_to_operating_point(y, s, exact, [W[:1000], W[1000:]])
    assert r_blocks.to_dict() == r.to_dict()


def test_compare_to_operating_point_worse_verdict():
    rng = np.random.default_rng(8)
    y = np.r_[np.ones(80), np.zeros(80)]
    s = rng.uniform(size=160)  # uninformative scores
    W = _plan(160, 2000, 9)
    base = {"name": "b", "target": "t", "sensitivity": 0.95, "specificity": 0.95,
            "sensitivity_counts": [950, 1000], "specificity_counts": [950, 1000]}
    r = BL.compare_to_operating_point(y, s, base, W)
    assert r.sensitivity.verdict == "worse" and r.specificity.verdict == "worse"
    with pytest.raises(ValueError, match="k <= m"):
        BL.compare_to_operating_point(y, s, dict(base, sensitivity_counts=[5, 4]), W)
    with pytest.raises(ValueError, match="at least one replicate"):
        BL.compare_to_operating_point(y, s, base, [])


# ------------------------------------------------------------------------------------------
# the vectorised operating-point search against a per-replicate reference
# ------------------------------------------------------------------------------------------
def _reference_operating_point(y, s, w, target, matched):
    """The module's convention written out for one weighting, one threshold at a time.

    Cases sorted by decreasing score (stable); running weighted counts of positives and
    negatives, recorded at the last case of each group of tied scores after the ``+inf``
    point; then the admissible points, the best value within the rate slack, and of the tied
    ones the point with the larger other coordinate (the first one on exact ties).
    """
    order = np.argsort(-s, kind="mergesort")
    ss, ys, ws = s[order], y[order], w[order]
    tp, fp = [0.0], [0.0]
    t = f = 0.0
    for i in range(len(ss)):
        if ys[i] == 1:
            t = t + ws[i]
        else:
            f = f + ws[i]
        if i == len(ss) - 1 or ss[i + 1] != ss[i]:
            tp.append(t)
            fp.append(f)
    pos, neg = tp[-1], fp[-1]
    if not pos > 0 or not neg > 0 or math.isnan(target):
        return math.nan
    sens = [x / pos for x in tp]
    spec = [(neg - x) / neg for x in fp]
    value, other = (sens, spec) if matched == "specificity" else (spec, sens)
    bound = target - 1e-12 * max(1.0, abs(target))
    ok = [k for k in range(len(value)) if other[k] >= bound]
    if not ok:
        return math.nan
    best = max(value[k] for k in ok)
    tied = [k for k in ok if value[k] >= best - 1e-12]
    top = max(other[k] for k in tied)
    return value[next(k for k in tied if other[k] == top)]


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_operating_points_equal_reference_with_ties(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(8, 60))
    y = (rng.uniform(size=n) < rng.uniform(0.2, 0.8)).astype(float)
    y[:2] = [0.0, 1.0]
    s = np.round(rng.uniform(size=n), int(rng.integers(1, 3)))  # many tied scores
    b = 40
    W = rng.multinomial(n, np.full(n, 1 / n), size=b).astype(float)
    W[1] = np.where(y == 1, 0.0, W[1])  # a weighting without positive weight
    W[2] = np.where(y == 0, 0.0, W[2])  # ... and one without negative weight
    W[3:6] *= rng.choice([0.0, 0.3, 1.7], size=(3, n))  # fractional and zero weights
    targets = rng.uniform(size=b)
    targets[::7] = np.round(targets[::7], 1)
    targets[5] = np.nan
    for matched, fn in (("specificity", OP.sensitivity_at_specificity), ("sensitivity", OP.specificity_at_sensitivity)):
        got = fn(y, s, targets, W)
        ref = [_reference_operating_point(y, s, W[i], targets[i], matched) for i in range(b)]
        assert np.array_equal(got, ref, equal_nan=True), matched
        for q in (0.0, 1.0, float(targets[0])):
            got_q = fn(y, s, q, W)
            ref_q = [_reference_operating_point(y, s, W[i], q, matched) for i in range(b)]
            assert np.array_equal(got_q, ref_q, equal_nan=True), (matched, q)
            assert fn(y, s, q) == _reference_operating_point(y, s, np.ones(n), q, matched)
    # the ROC points themselves: rows of the vectorised computation equal one row at a time
    t_all, se_all, sp_all = OP.roc_operating_points(y, s, W)
    for i in range(0, b, 9):
        t_one, se_one, sp_one = OP.roc_operating_points(y, s, W[i : i + 1])
        assert np.array_equal(t_all, t_one)
        assert np.array_equal(se_all[i], se_one[0], equal_nan=True)
        assert np.array_equal(sp_all[i], sp_one[0], equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 40),
    b=st.integers(1, 12),
    decimals=st.integers(0, 2),
    groups=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_counted_operating_points_equal_the_definition(n, b, decimals, groups, seed):
    """Integer multiplicities read through exact integer counts (rates computed only where
    the search looks) give the definition's value bit for bit, for one target per weighting
    and for several."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.5).astype(float)
    s = np.round(rng.normal(size=n) + y, decimals)  # ties for small `decimals`
    W = rng.multinomial(n, np.full(n, 1 / n), size=b).astype(float)
    if b > 1:
        W[0] = np.where(y == 1, 0.0, W[0])  # no positive weight: undefined
    WT = OP.transposed_counts(W)
    assert WT.dtype.kind == "u" and np.array_equal(WT.T, W)
    targets = np.round(rng.uniform(size=(groups, b)), 1)
    targets[0, -1] = np.nan
    roc = OP.SortedROC(y, s)
    tp, fp = roc.counts(WT)
    assert tp.dtype.kind == "i" and fp.dtype.kind == "i"
    for matched in ("specificity", "sensitivity"):
        got = OP.read_counts(tp, fp, targets, matched)
        ref = [[_reference_operating_point(y, s, W[i], targets[g, i], matched) for i in range(b)]
               for g in range(groups)]
        assert np.array_equal(got, ref, equal_nan=True)
        # the same as the whole rate matrices of float weights
        assert got.tobytes() == OP.read_at(*roc.rates(OP.transposed(W)), targets, matched).tobytes()


def test_counted_operating_points_of_wide_blocks_equal_the_float_rates():
    """Blocks of many weightings are counted row by row: the same integers, the same reads."""
    rng = np.random.default_rng(11)
    n, b = 90, OP._ROW_LOOP_MIN_WIDTH + 44
    y = (rng.uniform(size=n) < 0.4).astype(float)
    s = np.round(rng.normal(size=n) + y, 1)
    W = rng.multinomial(n, np.full(n, 1 / n), size=b).astype(float)
    roc = OP.SortedROC(y, s)
    tp, fp = roc.counts(OP.transposed_counts(W))
    tpf, fpf = roc.counts(OP.transposed(W))
    assert np.array_equal(tp, tpf) and np.array_equal(fp, fpf)
    targets = np.round(rng.uniform(size=(3, b)), 2)
    for matched in ("specificity", "sensitivity"):
        got = OP.read_counts(tp, fp, targets, matched)
        assert got.tobytes() == OP.read_at(*roc.rates(OP.transposed(W)), targets, matched).tobytes()
        for i in range(0, b, 37):
            assert got[1, i] == _reference_operating_point(y, s, W[i], targets[1, i], matched) or (
                np.isnan(got[1, i]) and np.isnan(_reference_operating_point(y, s, W[i], targets[1, i], matched)))


def test_points_at_follow_the_definition_per_target():
    """Several targets in one search: each point is the definition's (sensitivity and
    specificity), and calling positive at ``score >= threshold`` gives exactly those rates."""
    rng = np.random.default_rng(7)
    y = (rng.uniform(size=50) < 0.4).astype(float)
    s = np.round(rng.normal(size=50) + y, 1)
    targets = [0.0, 0.35, 0.5, 0.8, 1.0]
    for matched in ("specificity", "sensitivity"):
        got = OP.SortedROC(y, s).points_at(targets, matched)
        for q, (thr, sens, spec) in zip(targets, got):
            value = sens if matched == "specificity" else spec
            assert value == _reference_operating_point(y, s, np.ones(50), q, matched)
            call = s >= thr
            assert sens == call[y == 1].mean() and spec == (~call[y == 0]).mean()
        assert got[1] == OP.operating_threshold(y, s, targets[1], matched)
    with pytest.raises(ValueError, match="both classes"):
        OP.SortedROC(np.ones(4), np.arange(4.0)).points_at([0.5])


def test_weight_blocks_keep_their_transposes_and_read_like_the_plain_blocks():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(30), np.zeros(30)]
    s = rng.normal(size=60) + y
    blocks = [rng.multinomial(60, np.full(60, 1 / 60), size=k).astype(float) for k in (50, 30)]
    wb = OP.WeightBlocks(blocks)
    assert wb.replicates == 80 and len(wb) == 2
    assert all(np.array_equal(t.T, w) and t.dtype == np.uint8 for w, t in zip(blocks, wb.transposed))
    assert [id(t) for _, t in OP.iter_transposed(wb)] == [id(t) for t in wb.transposed]  # stored, not redone
    base = {"name": "r", "target": "t", "sensitivity": 0.7, "specificity": 0.8,
            "sensitivity_counts": [70, 100], "specificity_counts": [80, 100]}
    a = BL.compare_to_operating_point(y, s, base, wb, seed=1)
    b = BL.compare_to_operating_point(y, s, base, blocks, seed=1)
    assert a == b


# ------------------------------------------------------------------------------------------
# competition ranks: the one ranking rule
# ------------------------------------------------------------------------------------------
def test_competition_ranks_hand():
    # 1224 ranking; the undefined entry gets no rank (0) and pushes no one down
    v = [0.9, 0.8, 0.9, np.nan, 0.7]
    assert RK.competition_ranks(v, True).tolist() == [1, 3, 1, 0, 4]
    assert RK.competition_ranks(v, False).tolist() == [3, 2, 3, 0, 1]
    assert RK.competition_ranks([np.inf, 0.5], True).tolist() == [0, 1]
    assert RK.competition_ranks([np.nan, np.nan], True).tolist() == [0, 0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from([0.1, 0.5, 0.9]), st.floats(0, 1), st.just(float("nan"))),
             min_size=1, max_size=12),
    st.booleans(),
)
def test_competition_ranks_equal_scipy_min_rank_of_the_defined_entries(values, higher):
    v = np.array(values, dtype=float)
    ranks = RK.competition_ranks(v, higher)
    defined = np.isfinite(v)
    assert (ranks[~defined] == 0).all()
    if defined.any():
        key = -v[defined] if higher else v[defined]
        np.testing.assert_array_equal(ranks[defined], stats.rankdata(key, method="min"))


def test_rank_summary_point_ranks_are_competition_ranks():
    pts = np.array([0.7, np.nan, 0.9, 0.7])
    reps = np.tile(pts[:, None], (1, 5))
    out = RK.rank_summary(pts, reps, True)
    assert [o.point_rank for o in out] == [2, None, 1, 2]
    assert [o.point_rank or 0 for o in out] == RK.competition_ranks(pts, True).tolist()
