"""Tests of the replicate kernels: linear-time integer AUC, fused exact linear sums, closed-form
jackknife.

References are independent of the code under test:

* ``tests/previous_auc.py`` is the previous floating-point implementation of the
  weighted AUC over bootstrap weights (a dense pair kernel for small test sets, a cumulative
  sum over the sorted negatives one case at a time for large ones), kept here verbatim so
  that the new kernel's replicates can be compared with it bit for bit;
* the jackknife is compared with the definition: every leave-one-unit-out 0/1 mask evaluated
  by the metric's ``batch``;
* exact sums are compared with ``math.fsum`` (a correctly rounded sum) of the grid-rounded terms.
"""

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.stats import engine
from benchmark.stats import kernels as K
from benchmark.data.contracts import load_metric_hook
from benchmark.metrics import registry as M
from benchmark.metrics.auc import roc_auc_batch
from benchmark.metrics.log_loss import binary_losses, log_loss_batch
from benchmark.stats.resampling import ResamplingPlan, bootstrap_replicates, jackknife_values

from previous_auc import auc_batch as _reference_auc_batch

ROOT = Path(__file__).resolve().parents[1]
# The competition metrics live in their dataset folders; loading the hooks registers them.
CSPINE = load_metric_hook(ROOT / "tasks" / "_datasets" / "rsna-cspine" / "dataset.toml")
load_metric_hook(ROOT / "tasks" / "_datasets" / "rsna-lumbar" / "dataset.toml")


def _data(rng, n, prevalence=0.3, decimals=None):
    y = (rng.random(n) < prevalence).astype(float)
    s = rng.normal(size=n) + y
    if decimals is not None:
        s = np.round(s, decimals)  # many ties
    return y, s


# --------------------------------------------------------------------------- #
# AUC replicates: bit-identical to the previous implementation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "n, decimals, scheme",
    [
        (300, 1, "stratified"),  # above the dense threshold: sorted path, many ties
        (600, None, "simple"),
        (600, 2, "clustered"),
        (90, 1, "stratified"),  # dense path
        (2500, 3, "clustered-stratified"),
    ],
)
def test_auc_replicates_bit_identical_to_previous_kernel(n, decimals, scheme):
    rng = np.random.default_rng(n)
    y, s = _data(rng, n, decimals=decimals)
    strata = y if "stratified" in scheme else None
    clusters = rng.integers(0, n // 3, n) if "clustered" in scheme else None
    plan = ResamplingPlan.build(
        n, strata=strata, clusters=clusters, replicates=700, seed=3, key=scheme
    )
    w = plan.weights()
    expected = _reference_auc_batch(y, s, w)
    assert np.array_equal(roc_auc_batch(y, s, w), expected, equal_nan=True)
    fused = engine.replicates([K.AUCTerms(y, s)], plan)[0]
    assert np.array_equal(fused, expected, equal_nan=True)


def test_auc_integer_kernel_wide_running_counts_agree():
    # Force 64-bit running counts: same values as 32-bit ones.
    rng = np.random.default_rng(5)
    y, s = _data(rng, 800, decimals=2)
    w = rng.integers(0, 5, size=(40, 800)).astype(np.uint8)
    col = K.AUCColumn(y, s)
    a = col._parts_counts(w, np.int32)
    b = col._parts_counts(w, np.int64)
    for x, z in zip(a, b):
        assert np.array_equal(x, z)
    ref = _reference_auc_batch(y, s, w.astype(float))
    assert np.array_equal(col.values(w), ref, equal_nan=True)


def test_mean_auc_fused_equals_previous_mean():
    rng = np.random.default_rng(8)
    n = 400
    y = (rng.random((n, 3)) < 0.4).astype(float)
    s = np.round(rng.normal(size=(n, 3)) + y, 1)
    plan = ResamplingPlan.build(n, replicates=300, seed=1, key="mean")
    w = plan.weights()
    expected = np.mean([_reference_auc_batch(y[:, j], s[:, j], w) for j in range(3)], axis=0)
    got = engine.replicates([M.get("mean_roc_auc").kernel(y, s)], plan)[0]
    assert np.array_equal(got, expected, equal_nan=True)


def test_count_chunks_are_the_weights():
    y = np.r_[np.zeros(70), np.ones(30)]
    plan = ResamplingPlan.build(100, strata=y, clusters=np.arange(100) // 2, replicates=333,
                                seed=9, key="c")
    counts = np.concatenate(list(plan.count_chunks(max_rows=50)))
    assert counts.dtype == np.uint8
    assert np.array_equal(counts, plan.weights())


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 6), st.integers(1, 40), st.sampled_from([np.uint8, np.uint16]),
    st.integers(0, 2**32 - 1),
)
def test_running_dtype_from_a_known_row_total_is_the_scanned_one(rows, n, dtype, seed):
    # Definition: int32 when 2 * (largest row total) * (largest count) < 2**31. Rows of one
    # total (as a plan without clusters draws them): knowing the total must not change it.
    rng = np.random.default_rng(seed)
    scale = int(rng.choice([1, 300, 60_000])) if dtype == np.uint16 else int(rng.choice([1, 200]))
    counts = np.zeros((rows, n), dtype=dtype)
    for r in range(rows):
        counts[r] = rng.multinomial(n * scale, np.full(n, 1 / n)).clip(0, np.iinfo(dtype).max)
    counts[:, 0] += (n * scale - counts.sum(axis=1, dtype=np.int64)).clip(0, None).astype(dtype)
    totals = counts.sum(axis=1, dtype=np.int64)
    if np.unique(totals).size != 1:
        return  # a clip changed a row's total: not a constant-total case
    expected = np.int32 if 2 * int(totals.max()) * int(counts.max()) < 2**31 else np.int64
    assert K.running_dtype(counts) is expected
    assert K.running_dtype(counts, row_total=int(totals[0])) is expected


def test_auc_only_engine_reads_counts_as_drawn_with_the_same_bits():
    # Labels in no particular order (so the plan's stratum order is not the case order),
    # several blocks, two AUC kernels: the same replicates as every AUC computed by the
    # previous kernel from the plan's weights in case order.
    rng = np.random.default_rng(31)
    n = 1500
    y, s = _data(rng, n, prevalence=0.45, decimals=2)
    plan = ResamplingPlan.build(n, strata=y, replicates=500, seed=2, key="positions")
    assert not np.array_equal(plan.position_of_case, np.arange(n))
    w = plan.weights()
    s2 = np.round(s + rng.normal(size=n), 1)
    got = engine.replicates([K.AUCTerms(y, s), K.AUCTerms(y, s2)], plan)
    assert np.array_equal(got[0], _reference_auc_batch(y, s, w), equal_nan=True)
    assert np.array_equal(got[1], _reference_auc_batch(y, s2, w), equal_nan=True)


# --------------------------------------------------------------------------- #
# Exact, order-independent linear sums
# --------------------------------------------------------------------------- #
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(-40, 40, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-250),
        min_size=1, max_size=60,
    ),
    st.integers(0, 2**32 - 1),
)
def test_exact_sums_are_within_an_ulp_and_order_free(values, seed):
    t = np.asarray(values)
    rng = np.random.default_rng(seed)
    # Bootstrap multiplicities: every row totals n.
    w = rng.multinomial(t.size, np.full(t.size, 1.0 / t.size), size=4).astype(float)
    got = K.exact_sums(w, t[:, None])[:, 0]
    # Terms within 10 binades of the largest are represented exactly on the grid: the exact
    # part sums are added in at most two roundings, so the result is within one ulp of the
    # exact sum (computed with fractions).
    top = np.max(np.abs(t))
    if top == 0 or np.all((t == 0) | (np.abs(t) >= top * 2.0**-10)):
        for b in range(4):
            exact = sum(Fraction(x) * Fraction(v) for x, v in zip(w[b], t))
            assert abs(Fraction(got[b]) - exact) <= Fraction(math.ulp(float(exact)))
    perm = rng.permutation(t.size)
    assert np.array_equal(K.exact_sums(w[:, perm], t[perm, None])[:, 0], got)


def test_exact_sums_beyond_the_exact_bound_are_order_fixed():
    # Row totals far above 4 n: the order-fixed reduction, still the same bits every time.
    rng = np.random.default_rng(3)
    t = rng.normal(size=(50, 2))
    w = rng.integers(0, 200, size=(3, 50)).astype(float)
    got = K.exact_sums(w, t)
    np.testing.assert_allclose(got, w @ t, rtol=1e-13)
    assert np.array_equal(got, K.exact_sums(w.copy(), t.copy()))


def test_exact_sums_fall_back_for_real_weights():
    t = np.array([[0.1], [0.2], [0.3]])
    w = np.array([[0.5, 1.5, 2.25]])
    assert K.exact_sums(w, t)[0, 0] == pytest.approx(0.05 + 0.3 + 0.675, abs=1e-15)


def test_fused_linear_metrics_equal_each_metric_batch():
    rng = np.random.default_rng(21)
    n = 500
    y = (rng.random((n, 8)) < 0.2).astype(float)
    p = np.clip(rng.random((n, 8)) * 0.5 + 0.5 * y, 0, 1)
    plan = ResamplingPlan.build(n, strata=y[:, 0], replicates=400, seed=4, key="fused")
    kernels = [M.get("rsna_cspine_weighted_log_loss").kernel(y, p)]
    kernels += [M.get("log_loss").kernel(y[:, j], p[:, j]) for j in range(8)]
    fused = engine.replicates(kernels, plan)
    w = plan.weights()
    separate = [CSPINE.rsna_cspine_weighted_log_loss_batch(y, p, w)]
    separate += [log_loss_batch(y[:, j], p[:, j], w) for j in range(8)]
    assert np.array_equal(fused, np.array(separate))
    # ... and agree with a plain product to rounding.
    plain = (w @ binary_losses(y[:, 3], p[:, 3])) / w.sum(axis=1)
    np.testing.assert_allclose(fused[4], plain, rtol=1e-14)


# --------------------------------------------------------------------------- #
# Closed-form jackknife
# --------------------------------------------------------------------------- #
def _lumbar_data(rng, n):
    y = rng.integers(-1, 3, size=(n, 25))
    p = rng.random((n, 25, 3))
    return y, p


@pytest.mark.parametrize("clustered", [False, True])
def test_closed_form_jackknife_agrees_with_masks(clustered):
    rng = np.random.default_rng(31 + clustered)
    n = 240
    y, s = _data(rng, n, decimals=1)
    p = 1.0 / (1.0 + np.exp(-s))
    ym = (rng.random((n, 3)) < 0.4).astype(float)
    sm = np.round(rng.normal(size=(n, 3)) + ym, 1)
    yl, pl = _lumbar_data(rng, n)
    clusters = rng.integers(0, 90, n) if clustered else None
    plan = ResamplingPlan.build(n, strata=y, clusters=clusters, replicates=100, seed=2, key="j")
    cases = [
        ("roc_auc", y, s), ("mean_roc_auc", ym, sm), ("log_loss", y, p),
        ("rsna_lumbar_loss", yl, pl), ("rsna_lumbar_any_severe_spinal_loss", yl, pl),
    ]
    kernels = [M.get(name).kernel(a, b) for name, a, b in cases]
    evaluators = [lambda W, f=M.get(name).batch, a=a, b=b: f(a, b, W) for name, a, b in cases]
    got = engine.jackknife(kernels, plan)
    expected = jackknife_values(evaluators, plan)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # AUCs: exact integer arithmetic on both sides, so the same bits.
    assert np.array_equal(got[:2], expected[:2], equal_nan=True)


def test_closed_form_jackknife_of_a_subgroup():
    rng = np.random.default_rng(41)
    n = 150
    y, s = _data(rng, n, decimals=1)
    mask = rng.random(n) < 0.6
    cols = np.flatnonzero(mask)
    clusters = rng.integers(0, 60, n)
    plan = ResamplingPlan.build(n, clusters=clusters, replicates=100, seed=2, key="sub")
    auc = K.AUCTerms(y[mask], s[mask]).on_cases(cols, n)
    p = 1.0 / (1.0 + np.exp(-s[mask]))
    ll = M.get("log_loss").kernel(y[mask], p).on_cases(cols, n)
    got = engine.jackknife([auc, ll], plan)
    expected = jackknife_values(
        [lambda W: roc_auc_batch(y[mask], s[mask], W[:, cols]),
         lambda W: log_loss_batch(y[mask], p, W[:, cols])],
        plan,
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    reps = engine.replicates([auc, ll], plan)
    ref = bootstrap_replicates(
        [lambda W: _reference_auc_batch(y[mask], s[mask], W[:, cols])], plan
    )
    assert np.array_equal(reps[0], ref[0], equal_nan=True)


def test_jackknife_with_single_class_units_is_nan_where_undefined():
    y = np.array([1.0, 0.0, 0.0, 0.0])
    s = np.array([0.9, 0.1, 0.2, 0.3])
    plan = ResamplingPlan.build(4, replicates=100, seed=0, key="one")
    got = engine.jackknife([K.AUCTerms(y, s)], plan)[0]
    assert np.isnan(got[0]) and np.array_equal(got[1:], [1.0, 1.0, 1.0])


def test_kernels_are_checked():
    plan = ResamplingPlan.build(3, replicates=100, seed=0, key="x")
    with pytest.raises(TypeError, match="LinearTerms or AUCTerms"):
        engine.replicates([lambda w: w.sum(axis=1)], plan)
    with pytest.raises(ValueError, match="covers 2 cases"):
        engine.replicates([K.AUCTerms(np.array([0, 1]), np.array([0.1, 0.2]))], plan)
