"""Tests of the replicate kernels: linear-time integer AUC, fused exact linear sums, closed-form
jackknife.

References are independent of the code under test:

* ``_reference_auc_batch`` below is the previous floating-point implementation of the
  weighted AUC over bootstrap weights (a dense pair kernel for small test sets, a cumulative
  sum over the sorted negatives one case at a time for large ones), kept here verbatim so
  that the new kernel's replicates can be compared with it bit for bit;
* the jackknife is compared with the definition: every leave-one-unit-out 0/1 mask evaluated
  by the metric's ``batch``;
* exact sums are compared with ``math.fsum`` (a correctly rounded sum) of the grid-rounded terms.
"""

import math
from fractions import Fraction
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark import kernels as K
from benchmark import metrics as M
from benchmark.bootstrap import ResamplingPlan, bootstrap_replicates, jackknife_values

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- #
# The previous implementation, verbatim (reference for bit-identity)
# --------------------------------------------------------------------------- #
_REF_DENSE_MAX_PAIRS = 32_768
_REF_DENSE_BLOCK_ROWS = 256
_REF_SORTED_BLOCK_ELEMENTS = 1 << 20


def _ref_parts_dense(pos, neg, y_score, weights):
    sp = y_score[pos]
    sn = y_score[neg]
    kernel = (sp[None, :] > sn[:, None]).astype(np.float64)
    kernel += 0.5 * (sp[None, :] == sn[:, None])
    b = weights.shape[0]
    num, total_pos, total_neg = np.empty(b), np.empty(b), np.empty(b)
    for start in range(0, b, _REF_DENSE_BLOCK_ROWS):
        rows = slice(start, start + _REF_DENSE_BLOCK_ROWS)
        w_pos = weights[rows][:, pos]
        w_neg = weights[rows][:, neg]
        num[rows] = np.einsum("bi,bi->b", w_pos, w_neg @ kernel)
        total_pos[rows] = w_pos.sum(axis=1)
        total_neg[rows] = w_neg.sum(axis=1)
    return num, total_pos, total_neg


def _ref_cumsum_rows(a, out):
    if a.shape[0]:
        out[0] = a[0]
    for i in range(1, a.shape[0]):
        np.add(out[i - 1], a[i], out=out[i])


def _ref_parts_sorted(pos, neg, y_score, weights):
    neg = neg[np.argsort(y_score[neg], kind="stable")]
    sn = y_score[neg]
    sp = y_score[pos]
    lo = np.searchsorted(sn, sp, side="left")
    hi = np.searchsorted(sn, sp, side="right")
    by_tie = np.argsort(lo != hi, kind="stable")
    pos, lo, hi = pos[by_tie], lo[by_tie], hi[by_tie]
    n_untied = int(np.count_nonzero(lo == hi))
    lo_tied, hi_tied = lo[n_untied:], hi[n_untied:]
    b, n = weights.shape
    step = max(1, _REF_SORTED_BLOCK_ELEMENTS // n)
    num, total_pos, total_neg = np.empty(b), np.empty(b), np.empty(b)
    for start in range(0, b, step):
        rows = slice(start, start + step)
        w_t = weights[rows].T
        cum = np.empty((neg.size + 1, w_t.shape[1]))
        cum[0] = 0.0
        _ref_cumsum_rows(w_t[neg], cum[1:])
        w_pos = w_t[pos]
        block = np.einsum("ib,ib->b", w_pos[:n_untied], cum[lo[:n_untied]])
        if n_untied < pos.size:
            both = cum[lo_tied] + cum[hi_tied]
            block += 0.5 * np.einsum("ib,ib->b", w_pos[n_untied:], both)
        num[rows] = block
        total_pos[rows] = w_pos.sum(axis=0)
        total_neg[rows] = cum[-1]
    return num, total_pos, total_neg


def _reference_auc_batch(y_true, y_score, weights):
    is_pos = y_true == 1
    pos = np.flatnonzero(is_pos)
    neg = np.flatnonzero(~is_pos)
    out = np.full(weights.shape[0], np.nan)
    if pos.size == 0 or neg.size == 0 or weights.shape[0] == 0:
        return out
    if pos.size * neg.size <= _REF_DENSE_MAX_PAIRS:
        num, total_pos, total_neg = _ref_parts_dense(pos, neg, y_score, weights)
    else:
        num, total_pos, total_neg = _ref_parts_sorted(pos, neg, y_score, weights)
    den = total_pos * total_neg
    np.divide(num, den, out=out, where=den > 0)
    return out


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
    assert np.array_equal(M.roc_auc_batch(y, s, w), expected, equal_nan=True)
    fused = K.replicates([K.AUCTerms(y, s)], plan)[0]
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
    got = K.replicates([M.get("mean_roc_auc").kernel(y, s)], plan)[0]
    assert np.array_equal(got, expected, equal_nan=True)


def test_count_chunks_are_the_weights():
    y = np.r_[np.zeros(70), np.ones(30)]
    plan = ResamplingPlan.build(100, strata=y, clusters=np.arange(100) // 2, replicates=333,
                                seed=9, key="c")
    counts = np.concatenate(list(plan.count_chunks(max_rows=50)))
    assert counts.dtype == np.uint8
    assert np.array_equal(counts, plan.weights())


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
    w = rng.integers(0, 6, size=(4, t.size)).astype(float)
    got = K.exact_sums(w, t[:, None])[:, 0]
    # Terms within 25 binades of the largest are represented exactly on the grid: the three
    # exact part sums are added in two roundings, so the result is within one ulp of the
    # exact sum (computed with fractions).
    top = np.max(np.abs(t))
    if top == 0 or np.all((t == 0) | (np.abs(t) >= top * 2.0**-25)):
        for b in range(4):
            exact = sum(Fraction(x) * Fraction(v) for x, v in zip(w[b], t))
            assert abs(Fraction(got[b]) - exact) <= Fraction(math.ulp(float(exact)))
    perm = rng.permutation(t.size)
    assert np.array_equal(K.exact_sums(w[:, perm], t[perm, None])[:, 0], got)


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
    fused = K.replicates(kernels, plan)
    w = plan.weights()
    separate = [M.rsna_cspine_weighted_log_loss_batch(y, p, w)]
    separate += [M.log_loss_batch(y[:, j], p[:, j], w) for j in range(8)]
    assert np.array_equal(fused, np.array(separate))
    # ... and agree with a plain product to rounding.
    plain = (w @ M._binary_losses(y[:, 3], p[:, 3])) / w.sum(axis=1)
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
    got = K.jackknife(kernels, plan)
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
    got = K.jackknife([auc, ll], plan)
    expected = jackknife_values(
        [lambda W: M.roc_auc_batch(y[mask], s[mask], W[:, cols]),
         lambda W: M.log_loss_batch(y[mask], p, W[:, cols])],
        plan,
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    reps = K.replicates([auc, ll], plan)
    ref = bootstrap_replicates(
        [lambda W: _reference_auc_batch(y[mask], s[mask], W[:, cols])], plan
    )
    assert np.array_equal(reps[0], ref[0], equal_nan=True)


def test_jackknife_with_single_class_units_is_nan_where_undefined():
    y = np.array([1.0, 0.0, 0.0, 0.0])
    s = np.array([0.9, 0.1, 0.2, 0.3])
    plan = ResamplingPlan.build(4, replicates=100, seed=0, key="one")
    got = K.jackknife([K.AUCTerms(y, s)], plan)[0]
    assert np.isnan(got[0]) and np.array_equal(got[1:], [1.0, 1.0, 1.0])


def test_kernels_are_checked():
    plan = ResamplingPlan.build(3, replicates=100, seed=0, key="x")
    with pytest.raises(TypeError, match="LinearTerms or AUCTerms"):
        K.replicates([lambda w: w.sum(axis=1)], plan)
    with pytest.raises(ValueError, match="covers 2 cases"):
        K.replicates([K.AUCTerms(np.array([0, 1]), np.array([0.1, 0.2]))], plan)
