"""Tests of the resampling engine, bootstrap intervals and DeLong statistics.

Golden DeLong and stratified-bootstrap values come from pROC 1.18 (R) and are
recorded with the datasets in tests/data/proc/ by make_golden.R; BCa is checked
against scipy.stats.bootstrap; everything else against definitions or hand
computations written out below.
"""

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from benchmark.stats.delong import DeLongTest, delong_auc, delong_ci, delong_paired_test
from benchmark.stats.intervals import Interval, bca_ci, confidence_interval, paired_difference, percentile_ci
from benchmark.stats.resampling import ResamplingPlan, bootstrap_replicates, jackknife_values
from benchmark.metrics import registry as metrics

PROC_DIR = Path(__file__).parent / "data" / "proc"
DATASETS = ("ties30", "formula120", "nearperfect40", "rnorm200")


# --------------------------------------------------------------------------- #
# Helpers written from definitions
# --------------------------------------------------------------------------- #
def load_dataset(name):
    with open(PROC_DIR / f"dataset_{name}.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([int(r["y"]) for r in rows])
    a = np.array([float(r["a"]) for r in rows])
    b = np.array([float(r["b"]) for r in rows])
    return y, a, b


def load_golden():
    out = {}
    with open(PROC_DIR / "golden.csv", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    for r in csv.DictReader(lines):
        out[(r["dataset"], r["quantity"])] = float(r["value"])
    return out


GOLDEN = load_golden()


def weighted_auc_definition(y, s, weights):
    """AUC of each weighting: sum_{i pos, j neg} w_i w_j k(s_i, s_j) / (W+ W-)
    with k = 1 if s_i > s_j, 1/2 if equal, 0 otherwise."""
    y = np.asarray(y)
    pos, neg = y == 1, y == 0
    kernel = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
    wp, wn = weights[:, pos], weights[:, neg]
    num = np.einsum("bi,ij,bj->b", wp, kernel, wn)
    den = wp.sum(axis=1) * wn.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def weighted_mean(x):
    # Row by row (not ``w @ x``): a BLAS product may sum in another order for another number of
    # rows (seen with numpy 1.24), and the chunking test compares bytes across block sizes.
    return lambda w: (w * x).sum(axis=1) / w.sum(axis=1)


# --------------------------------------------------------------------------- #
# ResamplingPlan
# --------------------------------------------------------------------------- #
def test_simple_plan_shape_dtype_and_row_sums():
    plan = ResamplingPlan.build(37, replicates=300, seed=3, key="t|valid|abc")
    w = plan.weights()
    assert w.shape == (300, 37)
    assert w.dtype == np.float64
    assert plan.scheme == "simple"
    np.testing.assert_array_equal(w.sum(axis=1), np.full(300, 37.0))
    assert np.all(w >= 0) and np.all(w == np.round(w))


def test_simple_plan_follows_documented_stream():
    # Definition: block 0 uses default_rng(SeedSequence((seed, int(sha256(key))),
    # spawn_key=(0,))) and draws integers(0, n, (rows, n)); the weight of case i
    # in replicate b is the number of draws equal to i.
    n, seed, key = 25, 11, "mrnet|valid|deadbeef"
    plan = ResamplingPlan.build(n, replicates=40, seed=seed, key=key)
    entropy = (seed, int.from_bytes(hashlib.sha256(key.encode()).digest(), "big"))
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(0,)))
    draws = rng.integers(0, n, size=(40, n))
    expected = np.stack([np.bincount(row, minlength=n) for row in draws]).astype(float)
    np.testing.assert_array_equal(plan.weights(), expected)


@pytest.mark.parametrize("n", [70_000, 100_000])
def test_large_strata_counted_a_row_at_a_time_follow_the_documented_stream(n):
    # 2**18 // n = 3 or 2 replicates per internal block; with so many cases a block's draws are
    # counted one replicate at a time (cache-sized counting), which must not change a count.
    seed, key = 5, "large|stream"
    plan = ResamplingPlan.build(n, replicates=7, seed=seed, key=key)
    entropy = (seed, int.from_bytes(hashlib.sha256(key.encode()).digest(), "big"))
    rows = 2**18 // n
    expected = []
    for k, first in enumerate(range(0, 7, rows)):
        g = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(k,)))
        draws = g.integers(0, n, size=(min(rows, 7 - first), n))
        expected.extend(np.bincount(row, minlength=n) for row in draws)
    got = np.concatenate(list(plan.count_chunks()))
    np.testing.assert_array_equal(got, np.stack(expected))


def documented_counts(unit_stratum, B, seed, key):
    """The multiplicities of the documented stream, written from the definition: blocks of
    ``2**18 // n_units`` replicates, block ``k`` with its own generator seeded from ``(seed,
    sha256(key))`` and spawn key ``(k,)``, and per stratum in increasing order one call
    ``integers(0, m, (rows, m))`` whose draw j picks the stratum's j-th smallest unit."""
    unit_stratum = np.asarray(unit_stratum)
    n_units = unit_stratum.size
    entropy = (seed, int.from_bytes(hashlib.sha256(key.encode()).digest(), "big"))
    rows = 2**18 // n_units
    expected = np.zeros((B, n_units), dtype=np.int64)
    for k, first in enumerate(range(0, B, rows)):
        r = min(rows, B - first)
        g = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(k,)))
        for value in np.unique(unit_stratum):
            members = np.flatnonzero(unit_stratum == value)
            draws = g.integers(0, members.size, size=(r, members.size))
            for i in range(r):
                np.add.at(expected[first + i], members[draws[i]], 1)
    return expected


def test_draws_made_a_few_rows_at_a_time_follow_the_documented_stream():
    # n = 1,500 in two strata of 825 and 675 cases: blocks of 2**18 // 1500 = 174 replicates,
    # each stratum's (174, m) draws made in several calls of a few rows (cache-sized); the
    # documented stream makes them in one call per stratum and block. Labels unsorted, so
    # the cases are not in stratum order.
    rng = np.random.default_rng(21)
    n, B, seed, key = 1500, 400, 4, "split|draws"
    y = rng.permutation(np.r_[np.ones(675), np.zeros(825)])
    plan = ResamplingPlan.build(n, strata=y, replicates=B, seed=seed, key=key)
    rows = 2**18 // n
    expected = documented_counts(y, B, seed, key)
    for max_rows in (None, 50, rows):
        got = np.concatenate(list(plan.count_chunks(max_rows=max_rows)))
        np.testing.assert_array_equal(got, expected)
    # As drawn: column j is the j-th case of the stratum order (negatives, then positives,
    # each in case order).
    order = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)]
    drawn = np.concatenate(list(plan.count_chunks(max_rows=rows, by_position=True)))
    np.testing.assert_array_equal(drawn, expected[:, order])
    np.testing.assert_array_equal(plan.position_of_case[order], np.arange(n))


def test_stratified_plan_follows_documented_stream():
    # Strata in increasing order; within a stratum, draw j picks the j-th
    # smallest case index of that stratum.
    strata = np.array(["b", "a", "b", "b", "a", "c", "a", "b"])
    seed, key = 3, "strat|stream"
    plan = ResamplingPlan.build(8, strata=strata, replicates=30, seed=seed, key=key)
    entropy = (seed, int.from_bytes(hashlib.sha256(key.encode()).digest(), "big"))
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(0,)))
    expected = np.zeros((30, 8))
    for value in ("a", "b", "c"):
        members = np.flatnonzero(strata == value)
        draws = rng.integers(0, members.size, size=(30, members.size))
        for r in range(30):
            np.add.at(expected[r], members[draws[r]], 1.0)
    np.testing.assert_array_equal(plan.weights(), expected)


def test_clustered_stratified_plan_follows_documented_stream_across_blocks():
    # n_units = 3000 clusters: blocks of 2**18 // 3000 = 87 replicates, so 200 replicates
    # span three blocks (the last one partial), each with its own generator. A cluster's
    # stratum is the largest label among its cases; strata in increasing order, within a
    # stratum draw j picks its j-th smallest cluster; a case takes its cluster's count.
    rng = np.random.default_rng(7)
    n, n_units, B, seed, key = 4000, 3000, 200, 9, "cs|blocks"
    clusters = np.r_[np.arange(n_units), rng.integers(0, n_units, n - n_units)]
    y = (rng.uniform(size=n) < 0.3).astype(int)
    plan = ResamplingPlan.build(n, strata=y, clusters=clusters, replicates=B, seed=seed, key=key)
    unit_stratum = np.zeros(n_units, dtype=int)
    np.maximum.at(unit_stratum, clusters, y)
    expected = documented_counts(unit_stratum, B, seed, key)
    np.testing.assert_array_equal(plan.weights(), expected[:, clusters])
    counts = np.concatenate(list(plan.count_chunks(max_rows=64)))
    assert counts.dtype == np.uint8
    np.testing.assert_array_equal(counts, expected[:, clusters])


def test_multiplicities_are_binomial():
    # Marginally, a case's multiplicity is Binomial(n, 1/n): mean 1, variance 1 - 1/n.
    n, B = 50, 20000
    w = ResamplingPlan.build(n, replicates=B, seed=5, key="binom").weights()
    assert abs(w.mean() - 1.0) < 1e-12  # rows sum to n exactly
    var = w.var(axis=0, ddof=1)
    assert abs(var.mean() - (1 - 1 / n)) < 0.02
    p0 = (w == 0).mean()
    assert abs(p0 - (1 - 1 / n) ** n) < 0.005


def test_stratified_replicates_keep_stratum_counts_exactly():
    rng = np.random.default_rng(0)
    strata = rng.choice(np.array(["control", "case", "other"]), size=91, p=[0.5, 0.3, 0.2])
    plan = ResamplingPlan.build(91, strata=strata, replicates=2500, seed=1, key="s")
    assert plan.scheme == "stratified" and plan.n_strata == 3
    w = plan.weights()
    for value in np.unique(strata):
        members = strata == value
        np.testing.assert_array_equal(w[:, members].sum(axis=1), np.full(2500, members.sum()))
    # every case is still drawn sometimes: resampling really happens within strata
    assert np.all((w > 0).any(axis=0)) and np.all((w == 0).any(axis=0))


def test_stratified_by_binary_label_keeps_positives_and_negatives():
    y, _, _ = load_dataset("formula120")
    w = ResamplingPlan.build(120, strata=y, replicates=4000, seed=2, key="y").weights()
    np.testing.assert_array_equal(w @ y, np.full(4000, y.sum(), dtype=float))
    np.testing.assert_array_equal(w @ (1 - y), np.full(4000, (1 - y).sum(), dtype=float))


def test_clustered_plan_keeps_clusters_whole():
    rng = np.random.default_rng(1)
    patients = np.concatenate([np.arange(95), rng.choice(95, size=22, replace=False)])
    rng.shuffle(patients)
    plan = ResamplingPlan.build(117, clusters=patients, replicates=1500, seed=4, key="c")
    assert plan.scheme == "clustered" and plan.n_units == 95
    w = plan.weights()
    for p in range(95):
        cols = w[:, patients == p]
        np.testing.assert_array_equal(cols, np.repeat(cols[:, :1], cols.shape[1], axis=1))
    # the multiplicities of the 95 clusters sum to 95 in every replicate
    first = np.unique(patients, return_index=True)[1]
    np.testing.assert_array_equal(w[:, first].sum(axis=1), np.full(1500, 95.0))


def test_clustered_stratified_uses_max_label_of_cluster():
    # clusters 0..3 contain a positive (stratum 1), clusters 4..9 only negatives
    clusters = np.array([0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9])
    labels = np.array([1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    plan = ResamplingPlan.build(
        14, strata=labels, clusters=clusters, replicates=3000, seed=9, key="cs"
    )
    assert plan.scheme == "clustered-stratified"
    np.testing.assert_array_equal(plan.unit_stratum, [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    w = plan.weights()
    first = np.unique(clusters, return_index=True)[1]
    mult = w[:, first]
    np.testing.assert_array_equal(mult[:, :4].sum(axis=1), np.full(3000, 4.0))
    np.testing.assert_array_equal(mult[:, 4:].sum(axis=1), np.full(3000, 6.0))
    np.testing.assert_array_equal(w[:, 0], w[:, 1])  # cluster 0 whole


def test_same_inputs_give_identical_bytes():
    y = np.arange(200) % 3 == 0
    a = ResamplingPlan.build(200, strata=y, replicates=700, seed=42, key="k").weights()
    b = ResamplingPlan.build(200, strata=y, replicates=700, seed=42, key="k").weights()
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("clustered", [False, True])
def test_chunk_size_does_not_change_weights(clustered):
    # n = 5000 makes internal generation blocks of 2**18 // 5000 = 52
    # replicates (104 for 2500 clusters), so the consumer chunks below
    # straddle block boundaries.
    n = 5000
    y = (np.arange(n) * 7) % 10 < 3
    clusters = np.arange(n) // 2 if clustered else None
    plan = ResamplingPlan.build(n, strata=y, clusters=clusters, replicates=1000, seed=0, key="x")
    reference = np.concatenate(list(plan.chunks(max_rows=1000, max_bytes=2**40)))
    assert reference.shape == (1000, n)
    for kwargs in ({"max_rows": 1}, {"max_rows": 7}, {"max_rows": 53}, {"max_bytes": 8 * n * 33}):
        chunks = list(plan.chunks(**kwargs))
        assert all(c.shape[0] <= kwargs.get("max_rows", 33) for c in chunks)
        assert np.concatenate(chunks).tobytes() == reference.tobytes()


def test_chunks_respect_max_bytes_and_evaluators_get_read_only_weights():
    plan = ResamplingPlan.build(1000, replicates=50, seed=0, key="m")
    chunks = list(plan.chunks(max_bytes=8 * 1000 * 16))
    assert [c.shape[0] for c in chunks] == [16, 16, 16, 2]
    chunks[0][:] = -1.0  # a consumer's own copy: later chunks are unaffected
    np.testing.assert_array_equal(np.concatenate(chunks[1:]), plan.weights()[16:])

    def vandal(w):
        w[0, 0] = 99.0
        return w.sum(axis=1)

    with pytest.raises(ValueError, match="read-only"):
        bootstrap_replicates([vandal], plan)


def test_fewer_replicates_are_a_prefix():
    full = ResamplingPlan.build(3000, replicates=1500, seed=8, key="p").weights()
    part = ResamplingPlan.build(3000, replicates=700, seed=8, key="p").weights()
    np.testing.assert_array_equal(full[:700], part)


def test_different_key_or_seed_gives_different_weights():
    base = ResamplingPlan.build(60, replicates=200, seed=1, key="task-a|valid|00").weights()
    other_key = ResamplingPlan.build(60, replicates=200, seed=1, key="task-b|valid|00").weights()
    other_seed = ResamplingPlan.build(60, replicates=200, seed=2, key="task-a|valid|00").weights()
    # two independent replicates coincide with negligible probability
    assert not np.any(np.all(base == other_key, axis=1))
    assert not np.any(np.all(base == other_seed, axis=1))


def test_jackknife_weights_leave_one_cluster_out():
    clusters = np.array(["p3", "p1", "p3", "p2", "p1", "p4"])
    plan = ResamplingPlan.build(6, clusters=clusters, replicates=10, seed=0, key="j")
    masks = plan.jackknife_weights()
    expected = np.array(
        [  # units in sorted order p1, p2, p3, p4
            [1, 0, 1, 1, 0, 1],
            [1, 1, 1, 0, 1, 1],
            [0, 1, 0, 1, 1, 1],
            [1, 1, 1, 1, 1, 0],
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(masks, expected)
    simple = ResamplingPlan.build(4, replicates=10, seed=0, key="j").jackknife_weights()
    np.testing.assert_array_equal(simple, 1 - np.eye(4))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0}, "n must be >= 1. Got 0 instead."),
        ({"n": 5, "replicates": 0}, "replicates must be >= 1. Got 0 instead."),
        ({"n": 5, "seed": -1}, "seed must be >= 0. Got -1 instead."),
        ({"n": 5, "strata": [0, 1]}, "strata must be a 1-d array of length n=5"),
        ({"n": 2, "clusters": [0.0, np.nan]}, "clusters must not contain NaN"),
    ],
)
def test_plan_validation_messages(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ResamplingPlan.build(**kwargs)


# --------------------------------------------------------------------------- #
# Replicate evaluation
# --------------------------------------------------------------------------- #
def test_bootstrap_replicates_match_per_row_evaluation_and_chunking():
    y, a, b = load_dataset("formula120")
    plan = ResamplingPlan.build(120, strata=y, replicates=900, seed=3, key="r")
    evaluators = [
        lambda w: weighted_auc_definition(y, a, w),
        lambda w: weighted_auc_definition(y, b, w),
        weighted_mean(a),
    ]
    reps = bootstrap_replicates(evaluators, plan)
    assert reps.shape == (3, 900) and reps.dtype == np.float64
    w = plan.weights()
    for row in (0, 451, 899):
        sample = np.repeat(np.arange(120), w[row].astype(int))  # explicit resample
        assert reps[0, row] == pytest.approx(roc_auc_score(y[sample], a[sample]), abs=1e-12)
        assert reps[1, row] == pytest.approx(roc_auc_score(y[sample], b[sample]), abs=1e-12)
        assert reps[2, row] == pytest.approx(a[sample].mean(), abs=1e-12)
    again = bootstrap_replicates(evaluators, plan, max_rows=64)
    assert again.tobytes() == reps.tobytes()


def test_bootstrap_replicates_rejects_bad_evaluators():
    plan = ResamplingPlan.build(5, replicates=4, seed=0, key="e")
    with pytest.raises(TypeError, match="evaluators must be a sequence of callables"):
        bootstrap_replicates(lambda w: w.sum(axis=1), plan)
    with pytest.raises(ValueError, match=r"must return an array of shape \(4,\)"):
        bootstrap_replicates([lambda w: w.sum()], plan)


def test_jackknife_values_are_leave_one_out_statistics():
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])
    clusters = np.array([0, 0, 1, 2, 2, 3])
    plan = ResamplingPlan.build(6, clusters=clusters, replicates=5, seed=0, key="jk")
    jack = jackknife_values([weighted_mean(x)], plan)
    expected = [(4 + 1 + 5 + 9) / 4, (3 + 1 + 1 + 5 + 9) / 5, (3 + 1 + 4 + 9) / 4, 14 / 5]
    np.testing.assert_allclose(jack[0], expected, rtol=0, atol=1e-14)


# --------------------------------------------------------------------------- #
# Intervals
# --------------------------------------------------------------------------- #
def test_percentile_ci_is_r_type7_quantile():
    # R: quantile(1:10, c(0.1, 0.9)) -> h = 9 * p, x[1 + floor(h)] interpolated: 1.9, 9.1
    ci = percentile_ci(np.arange(1.0, 11.0), level=0.8)
    assert (ci.low, ci.high) == pytest.approx((1.9, 9.1), abs=1e-12)
    assert ci.method == "percentile" and ci.level == 0.8
    assert ci.n_replicates == 10 and ci.n_undefined == 0 and ci.available


def test_undefined_replicates_drop_policy_reports_counts():
    reps = np.arange(1.0, 101.0)
    with_nan = reps.copy()
    with_nan[[3, 50, 77]] = np.nan
    ci = percentile_ci(with_nan, 0.9)
    ref = percentile_ci(with_nan[np.isfinite(with_nan)], 0.9)
    assert (ci.low, ci.high) == (ref.low, ref.high)
    assert ci.n_replicates == 97 and ci.n_undefined == 3 and ci.reason is None


def test_too_many_undefined_replicates_make_interval_unavailable():
    reps = np.arange(1.0, 101.0)
    reps[:11] = np.nan
    ci = percentile_ci(reps)
    assert not ci.available and ci.low is None and ci.high is None
    assert ci.n_undefined == 11 and "11 of 100 replicates are undefined" in ci.reason
    assert percentile_ci(reps, max_undefined=0.2).available
    assert not percentile_ci(np.full(5, np.nan), max_undefined=1.0).available
    with pytest.raises(ValueError, match="11 of 100 replicates are undefined"):
        percentile_ci(reps, undefined="error")
    with pytest.raises(ValueError, match="undefined must be 'drop' or 'error'. Got 'skip'"):
        percentile_ci(reps, undefined="skip")
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\). Got 95.0 instead."):
        percentile_ci(reps, level=95.0)


def test_bca_hand_computed_cases():
    # Symmetric replicates around the point with a symmetric jackknife: z0 = 0,
    # a = 0, so BCa equals the percentile interval.
    reps = np.linspace(-1.0, 1.0, 201)
    jack = np.array([-1.0, 0.0, 1.0])
    bca = bca_ci(0.0, reps, jack, 0.9)
    pct = percentile_ci(reps, 0.9)
    assert (bca.low, bca.high) == pytest.approx((pct.low, pct.high), abs=1e-12)
    # Ties at the point count one half: [0, 1, 1, 1, 2] at point 1 gives
    # p = (1 + 3/2) / 5 = 1/2, z0 = 0.
    bca = bca_ci(1.0, np.array([0.0, 1, 1, 1, 2]), jack, 0.5)
    noisy = bca_ci(1.0, np.array([0.0, 1 + 1e-15, 1, 1 - 1e-15, 2]), jack, 0.5)
    assert (noisy.low, noisy.high) == pytest.approx((bca.low, bca.high), abs=1e-14)
    assert (bca.low, bca.high) == pytest.approx(tuple(np.quantile([0, 1, 1, 1, 2], [0.25, 0.75])))
    # z0 and a written out: 3 of 10 replicates below the point, jackknife [0, 0, 3]
    reps = np.arange(10.0)
    jack = np.array([0.0, 0.0, 3.0])
    z0 = stats.norm.ppf(0.3 + 0.05)  # 3 below, one tie at 3.0
    d = jack.mean() - jack
    a = (d**3).sum() / (6 * (d**2).sum() ** 1.5)
    z = stats.norm.ppf([0.1, 0.9])
    q = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    bca = bca_ci(3.0, reps, jack, 0.8)
    assert (bca.low, bca.high) == pytest.approx(tuple(np.quantile(reps, q)), abs=1e-12)


def test_bca_unavailable_cases():
    assert "one side" in bca_ci(0.0, np.ones(50), np.arange(3.0)).reason
    assert "jackknife" in bca_ci(0.5, np.linspace(0, 1, 50), np.array([0.1, np.nan])).reason
    assert "point estimate" in bca_ci(np.nan, np.linspace(0, 1, 50), np.arange(3.0)).reason


def test_bca_equals_scipy_on_the_same_resamples():
    # A simple plan draws rng.integers(0, n, (B, n)) from its block-0 stream,
    # exactly scipy.stats.bootstrap's resampling: same generator -> same
    # resamples, so the BCa limits agree to rounding.
    # (Values off any lattice, so no resample mean ties with the point.)
    x = np.exp(np.sin(np.arange(1.0, 21.0)) * 1.5)
    n, B, seed, key = x.size, 1000, 17, "bca"
    plan = ResamplingPlan.build(n, replicates=B, seed=seed, key=key)
    reps = bootstrap_replicates([weighted_mean(x)], plan)[0]
    jack = jackknife_values([weighted_mean(x)], plan)[0]
    ours = bca_ci(x.mean(), reps, jack, 0.95)
    entropy = (seed, int.from_bytes(hashlib.sha256(key.encode()).digest(), "big"))
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(0,)))
    ref = stats.bootstrap((x,), np.mean, n_resamples=B, method="BCa", rng=rng,
                          confidence_level=0.95)
    np.testing.assert_allclose(np.sort(ref.bootstrap_distribution), np.sort(reps), atol=1e-12)
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=1e-10)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=1e-10)


def test_bca_agrees_with_scipy_within_monte_carlo_error():
    rng = np.random.default_rng(123)
    x = rng.lognormal(size=40)
    plan = ResamplingPlan.build(40, replicates=20000, seed=1, key="bca-mc")
    reps = bootstrap_replicates([weighted_mean(x)], plan)[0]
    jack = jackknife_values([weighted_mean(x)], plan)[0]
    ours = bca_ci(x.mean(), reps, jack)
    ref = stats.bootstrap((x,), np.mean, n_resamples=20000, method="BCa",
                          rng=np.random.default_rng(99)).confidence_interval
    width = ref.high - ref.low
    assert abs(ours.low - ref.low) < 0.03 * width
    assert abs(ours.high - ref.high) < 0.03 * width
    # skewed data: BCa shifts the interval to the right of the percentile one
    pct = percentile_ci(reps)
    assert ours.low > pct.low and ours.high > pct.high


def test_confidence_interval_dispatch():
    reps = np.linspace(0, 1, 101)
    assert confidence_interval(0.5, reps, 0.9) == percentile_ci(reps, 0.9)
    assert confidence_interval(0.5, reps, 0.9, "bca", jack=np.arange(3.0)) == bca_ci(
        0.5, reps, np.arange(3.0), 0.9
    )
    with pytest.raises(ValueError, match="needs jackknife values"):
        confidence_interval(0.5, reps, method="bca")
    with pytest.raises(ValueError, match="method must be 'percentile' or 'bca'. Got 'basic'"):
        confidence_interval(0.5, reps, method="basic")


# --------------------------------------------------------------------------- #
# Paired bootstrap comparisons
# --------------------------------------------------------------------------- #
def test_paired_difference_p_value_definition():
    reps_a = np.array([0.9, 1.0, 0.7, 1.2, 0.8])
    reps_b = np.array([0.8, 0.8, 0.8, 0.9, 0.8])
    # d = [0.1, 0.2, -0.1, 0.3, 0.0]: #(d <= 0) = 2, #(d >= 0) = 4
    r = paired_difference(reps_a, reps_b, 0.95, 0.8, level=0.5)
    assert r.difference == pytest.approx(0.15)
    assert r.p_value == pytest.approx(2 * (1 + 2) / 6)
    d = reps_a - reps_b
    assert (r.interval.low, r.interval.high) == pytest.approx(tuple(np.quantile(d, [0.25, 0.75])))
    assert r.n_replicates == 5 and r.n_undefined == 0


def test_paired_difference_identical_and_clearly_different():
    reps = np.linspace(0.7, 0.9, 999)
    same = paired_difference(reps, reps, 0.8, 0.8)
    assert same.p_value == 1.0 and same.difference == 0.0
    better = paired_difference(reps + 0.05, reps, 0.85, 0.8)
    assert better.p_value == pytest.approx(2 / 1000)
    assert better.interval.low == pytest.approx(0.05)


def test_paired_difference_is_paired_on_same_replicates():
    # Two highly correlated statistics: their replicate-wise difference is far
    # less variable than the marginal replicates, so the paired interval is
    # much narrower than an unpaired one would be.
    y, a, _ = load_dataset("rnorm200")
    b = a + 0.05 * np.sin(np.arange(200.0))
    plan = ResamplingPlan.build(200, strata=y, replicates=2000, seed=0, key="pair")
    reps = bootstrap_replicates(
        [lambda w: weighted_auc_definition(y, a, w), lambda w: weighted_auc_definition(y, b, w)],
        plan,
    )
    r = paired_difference(reps[0], reps[1], roc_auc_score(y, a), roc_auc_score(y, b))
    paired_width = r.interval.high - r.interval.low
    marginal = percentile_ci(reps[0])
    assert paired_width < 0.25 * (marginal.high - marginal.low)


def test_paired_difference_undefined_and_bca():
    reps_a = np.linspace(0.6, 0.9, 100)
    reps_b = reps_a - 0.02 + 0.01 * np.cos(np.arange(100))
    reps_b[[5, 9]] = np.nan
    r = paired_difference(reps_a, reps_b, 0.75, 0.73)
    assert r.n_undefined == 2 and r.n_replicates == 98 and r.interval.n_undefined == 2
    reps_b[:20] = np.nan
    r = paired_difference(reps_a, reps_b, 0.75, 0.73)
    assert not r.interval.available and r.p_value is None
    jack = np.linspace(0.7, 0.8, 10)
    r = paired_difference(reps_a, reps_a - 0.02, 0.75, 0.73, method="bca",
                          jack_a=jack, jack_b=jack - 0.02 + 0.001 * np.arange(10))
    assert r.interval.method == "bca" and r.interval.available
    with pytest.raises(ValueError, match="needs jack_a and jack_b"):
        paired_difference(reps_a, reps_a, 0.75, 0.73, method="bca")
    with pytest.raises(ValueError, match="same shape"):
        paired_difference(reps_a, reps_a[:50], 0.75, 0.73)


# --------------------------------------------------------------------------- #
# DeLong against pROC
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", DATASETS)
def test_delong_auc_and_variance_match_proc(name):
    y, a, b = load_dataset(name)
    for col, s in (("a", a), ("b", b)):
        auc, var = delong_auc(y, s)
        assert auc == pytest.approx(GOLDEN[(name, f"auc_{col}")], abs=1e-12)
        assert auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        assert var == pytest.approx(GOLDEN[(name, f"var_{col}")], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("name", DATASETS)
def test_delong_ci_matches_proc(name):
    y, a, b = load_dataset(name)
    for col, s in (("a", a), ("b", b)):
        for prefix, level in (("ci", 0.95), ("ci90", 0.90)):
            ci = delong_ci(y, s, level)
            assert ci.method == "delong" and ci.level == level
            assert ci.low == pytest.approx(GOLDEN[(name, f"{prefix}_low_{col}")], abs=1e-9)
            assert ci.high == pytest.approx(GOLDEN[(name, f"{prefix}_high_{col}")], abs=1e-9)


def test_delong_ci_is_clipped_like_proc():
    y, a, _ = load_dataset("nearperfect40")
    auc, var = delong_auc(y, a)
    assert auc + 1.96 * np.sqrt(var) > 1.0  # unclipped limit exceeds 1
    assert delong_ci(y, a).high == 1.0 == GOLDEN[("nearperfect40", "ci_high_a")]


@pytest.mark.parametrize("name", DATASETS)
def test_delong_paired_test_matches_proc(name):
    y, a, b = load_dataset(name)
    t = delong_paired_test(y, a, b)
    assert isinstance(t, DeLongTest)
    assert t.difference == pytest.approx(GOLDEN[(name, "test_diff")], abs=1e-12)
    assert t.z == pytest.approx(GOLDEN[(name, "test_z")], rel=1e-9)
    assert t.p_value == pytest.approx(GOLDEN[(name, "test_p")], rel=1e-9)
    assert t.ci_low == pytest.approx(GOLDEN[(name, "test_ci_low")], abs=1e-9)
    assert t.ci_high == pytest.approx(GOLDEN[(name, "test_ci_high")], abs=1e-9)
    _, cov = delong_auc(y, np.column_stack([a, b]))
    assert cov[0, 1] == pytest.approx(GOLDEN[(name, "cov_ab")], rel=1e-9)
    assert cov[0, 1] == cov[1, 0]


def test_delong_vectorised_over_columns():
    y, a, b = load_dataset("rnorm200")
    scores = np.column_stack([a, b, -a])
    auc, cov = delong_auc(y, scores)
    assert auc.shape == (3,) and cov.shape == (3, 3)
    for j in range(3):
        one_auc, one_var = delong_auc(y, scores[:, j])
        assert auc[j] == pytest.approx(one_auc, abs=1e-15)
        assert cov[j, j] == pytest.approx(one_var, rel=1e-12)
    assert auc[2] == pytest.approx(1 - auc[0])  # reversed scores
    assert cov[0, 2] == pytest.approx(-cov[0, 0])
    cis = delong_ci(y, scores)
    singles = [delong_ci(y, scores[:, j]) for j in range(3)]
    np.testing.assert_allclose(
        [(c.low, c.high) for c in cis], [(c.low, c.high) for c in singles], rtol=0, atol=1e-14
    )
    t = delong_paired_test(y, a, np.column_stack([b, a]))
    assert t.z.shape == (2,)
    assert t.z[0] == pytest.approx(GOLDEN[("rnorm200", "test_z")], rel=1e-9)
    assert t.z[1] == 0.0 and t.p_value[1] == 1.0  # identical scores, as pROC


def test_delong_degenerate_inputs():
    with pytest.raises(ValueError, match="Only one class present in y_true"):
        delong_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_true must contain only 0 and 1"):
        delong_auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_score must not contain NaN"):
        delong_auc([0, 1, 1], [0.1, np.nan, 0.3])
    auc, var = delong_auc([0, 1, 1, 0], [0.1, 0.2, 0.3, 0.4])  # 2 + 2 cases: defined
    assert auc == 0.5 and np.isfinite(var)
    auc, var = delong_auc([0, 1, 0, 0], [0.1, 0.2, 0.3, 0.05])  # one positive: pROC gives NA
    assert auc == pytest.approx(2 / 3) and np.isnan(var)
    ci = delong_ci([0, 1, 0, 0], [0.1, 0.2, 0.3, 0.05])
    assert isinstance(ci, Interval) and not ci.available
    assert "at least two positive and two negative" in ci.reason
    # perfect separation: variance 0, interval [1, 1]
    ci = delong_ci([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])
    assert (ci.low, ci.high) == (1.0, 1.0)


# --------------------------------------------------------------------------- #
# Stratified bootstrap against pROC
# --------------------------------------------------------------------------- #
def test_stratified_bootstrap_ci_agrees_with_proc():
    # pROC ci.auc(method="bootstrap", boot.n=10000, boot.stratified=TRUE):
    # different random numbers, so agreement within Monte Carlo error (the
    # standard error of a 2.5% quantile from 10,000 replicates is about 0.002).
    y, a, _ = load_dataset("formula120")
    plan = ResamplingPlan.build(120, strata=y, replicates=10000, seed=2024, key="proc")
    reps = bootstrap_replicates([lambda w: weighted_auc_definition(y, a, w)], plan)[0]
    ci = percentile_ci(reps, 0.95)
    assert ci.n_replicates == 10000 and ci.n_undefined == 0
    assert ci.low == pytest.approx(GOLDEN[("formula120", "boot_ci_low_a")], abs=0.01)
    assert ci.high == pytest.approx(GOLDEN[("formula120", "boot_ci_high_a")], abs=0.01)
    assert np.median(reps) == pytest.approx(GOLDEN[("formula120", "boot_ci_median_a")], abs=0.005)


def test_registered_roc_auc_batch_with_plan_agrees_with_proc():
    y, a, _ = load_dataset("formula120")
    metric = metrics.get("roc_auc")
    plan = ResamplingPlan.build(120, strata=y, replicates=10000, seed=7, key="proc-metric")
    reps = bootstrap_replicates([lambda w: metric.batch(y, a, w)], plan)[0]
    np.testing.assert_allclose(
        reps[:200], weighted_auc_definition(y, a, plan.weights()[:200]), atol=1e-12
    )
    ci = percentile_ci(reps)
    assert ci.low == pytest.approx(GOLDEN[("formula120", "boot_ci_low_a")], abs=0.01)
    assert ci.high == pytest.approx(GOLDEN[("formula120", "boot_ci_high_a")], abs=0.01)


def test_interval_to_dict_round_trip_fields():
    ci = percentile_ci(np.arange(1.0, 11.0), level=0.8)
    d = ci.to_dict()
    assert d == {
        "method": "percentile", "level": 0.8, "low": ci.low, "high": ci.high,
        "n_replicates": 10, "n_undefined": 0, "reason": None,
    }
    assert Interval(**d) == ci
