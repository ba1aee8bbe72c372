"""Invariants of every registered metric, driven by the registry and the declared capabilities.

As scikit-learn's ``sklearn/metrics/tests/test_common.py`` runs each invariant over every metric
from a table of metric properties, these tests run over :func:`benchmark.metrics.registry.names`
(the package's metrics and those the committed datasets' hooks register) and read what each
metric declares (input kind, column and class order, ``rank_based``, ``supports_delong``,
``proper_scoring_rule``, ``probabilities``) to build inputs and to decide which invariant
applies: no test names a metric to decide what it is. Inputs come from hypothesis, over random
sizes, ties and weights.

Golden values: scikit-learn's ``roc_auc_score`` and ``log_loss`` (with ``eps`` as documented
by scikit-learn before 1.2: clip to [1e-15, 1 - 1e-15]), and the binary log loss's expected
value written out from its definition.
"""

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from benchmark.data.tasks import load_registry
from benchmark.metrics import registry as M
from benchmark.stats.delong import delong_auc

ROOT = Path(__file__).resolve().parents[1]
load_registry(ROOT)  # registers the committed datasets' hook metrics
ALL = M.names()
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)


def _columns(metric) -> int:
    if metric.column_order is not None:
        return len(metric.column_order)
    return 1 if metric.input == "binary" else 3


def _classes(metric) -> int:
    return len(metric.class_order) if metric.class_order is not None else 3


@st.composite
def cases(draw, metric, min_n=2, max_n=25):
    """(y_true, y_score, integer weights) of the metric's declared input kind, with ties."""
    n = draw(st.integers(min_n, max_n))
    k = _columns(metric)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    levels = draw(st.sampled_from([2, 3, 5, 101]))  # few distinct values: many ties
    w = rng.integers(0, 4, n)
    w[0] = 1
    if metric.input == "multiclass":
        c = _classes(metric)
        y = rng.integers(-1, c, (n, k))
        y[0] = rng.integers(0, c, k)
        s = np.round(rng.random((n, k, c)) * (levels - 1)) / (levels - 1)
        return y, s, w
    shape = (n,) if metric.input == "binary" else (n, k)
    y = (rng.random(shape) < draw(st.floats(0.1, 0.9))).astype(float)
    y[0], y[1] = 0.0, 1.0  # both classes in every column
    s = np.round(rng.random(shape) * (levels - 1)) / (levels - 1)
    return y, s, w


def _same(a: float, b: float, rel=1e-10, abs_=1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _fixed_case(m):
    """Six cases of the metric's input kind, both classes in every column."""
    rng = np.random.default_rng(5)
    k = _columns(m)
    if m.input == "multiclass":
        return rng.integers(0, _classes(m), (6, k)), rng.dirichlet(np.ones(_classes(m)), (6, k)), None
    shape = (6,) if m.input == "binary" else (6, k)
    y = (rng.random(shape) < 0.5).astype(float)
    y[0], y[1] = 0.0, 1.0
    return y, rng.random(shape), None


def _perfect(metric, y):
    if metric.input == "multiclass":
        return np.eye(_classes(metric))[np.where(y >= 0, y, 0)]
    return y.astype(float).copy()


# -- the table is complete ----------------------------------------------------------------------
def test_every_metric_is_covered_and_declares_its_capabilities():
    assert {"roc_auc", "mean_roc_auc", "log_loss"} <= set(ALL)
    assert len(ALL) > 3  # the hook metrics of the committed datasets are registered too
    for name in ALL:
        m = M.get(name)
        assert m.name == name and m.input in M.INPUT_KINDS
        assert m.per_target == (m.input == "binary")
        assert not (m.supports_delong and not m.rank_based)
        assert not (m.proper_scoring_rule and m.higher_is_better)


# -- invariants over every metric -----------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_invariant_to_case_order(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m), st.randoms(use_true_random=False))
    def check(case, random):
        y, s, w = case
        perm = np.array(random.sample(range(y.shape[0]), y.shape[0]))
        assert _same(m.fn(y[perm], s[perm]), m.fn(y, s))
        assert _same(m.fn(y[perm], s[perm], w[perm]), m.fn(y, s, w))

    check()


@pytest.mark.parametrize("name", ALL)
def test_within_declared_bounds(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m))
    def check(case):
        y, s, w = case
        for weights in (None, w):
            v = m.fn(y, s, weights)
            assert isinstance(v, float)
            assert math.isnan(v) or m.lower <= v <= m.upper

    check()


@pytest.mark.parametrize("name", ALL)
def test_integer_weights_equal_repeated_cases(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m))
    def check(case):
        y, s, w = case
        repeated = m.fn(np.repeat(y, w, axis=0), np.repeat(s, w, axis=0))
        assert _same(m.fn(y, s, w), repeated)
        assert _same(m.fn(y, s, np.ones(y.shape[0])), m.fn(y, s))

    check()


@pytest.mark.parametrize("name", ALL)
def test_weights_are_relative(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m), st.sampled_from([0.5, 3.0, 1e3]))
    def check(case, scale):
        y, s, w = case
        assert _same(m.fn(y, s, w * scale), m.fn(y, s, w))

    check()


@pytest.mark.parametrize("name", ALL)
def test_batch_rows_equal_fn(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m), st.integers(1, 6), st.integers(0, 2**32 - 1))
    def check(case, b, seed):
        y, s, _ = case
        weights = np.random.default_rng(seed).integers(0, 3, (b, y.shape[0]))
        out = m.batch(y, s, weights)
        assert out.shape == (b,)
        for row in range(b):
            assert _same(out[row], m.fn(y, s, weights[row]), rel=1e-12)

    check()


@pytest.mark.parametrize("name", ALL)
def test_perfect_submission_gives_the_best_value(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m))
    def check(case):
        y, s, _ = case
        best = m.upper if m.higher_is_better else m.lower
        perfect = m.fn(y, _perfect(m, y))
        assert math.isclose(perfect, best, abs_tol=1e-12)
        other = m.fn(y, s)
        assert (other <= perfect + 1e-12) if m.higher_is_better else (other >= perfect - 1e-12)

    check()


@pytest.mark.parametrize("name", ALL)
def test_confidently_wrong_submission_is_the_worst(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m))
    def check(case):
        y, s, _ = case
        if m.input == "multiclass":
            # Which wrong class is worst depends on the metric's grouping (tested with the
            # competition's own cases in test_metrics.py); here: never better than perfect.
            labels = np.where(y >= 0, y, 0)
            wrong = np.eye(_classes(m))[(labels + 1) % _classes(m)]
            assert m.fn(y, wrong) >= m.fn(y, _perfect(m, y))
            return
        worst = m.fn(y, 1.0 - y)
        if m.rank_based:
            assert worst == m.lower  # every pair in the wrong order
        else:
            # every case at the clip bound: -log(eps) for a missed positive, the declared upper
            # bound -log(1 - (1 - eps)) (rounded 1 - eps) for a missed negative
            assert m.upper * (1 - 1e-4) <= worst <= m.upper
        assert (m.fn(y, s) >= worst) if m.higher_is_better else (m.fn(y, s) <= worst)

    check()


@pytest.mark.parametrize("name", ALL)
def test_batch_checks_the_weight_shape(name):
    m = M.get(name)
    y, s, _ = _fixed_case(m)
    n = y.shape[0]
    with pytest.raises(ValueError, match=rf"n_samples = {n}. Got shape \(3, {n - 1}\)"):
        m.batch(y, s, np.ones((3, n - 1)))
    with pytest.raises(ValueError, match=rf"Got shape \({n},\)"):
        m.batch(y, s, np.ones(n))


@pytest.mark.parametrize("name", ALL)
def test_fn_rejects_bad_inputs(name):
    m = M.get(name)
    y, s, _ = _fixed_case(m)
    bad = s.copy()
    bad.flat[5] = np.nan
    with pytest.raises(ValueError, match="y_score must contain only finite values"):
        m.fn(y, bad)
    with pytest.raises(ValueError, match="sample_weight"):
        m.fn(y, s, sample_weight=np.ones(y.shape[0] + 1))
    with pytest.raises(ValueError, match="non-negative"):
        m.fn(y, s, sample_weight=-np.ones(y.shape[0]))
    with pytest.raises(ValueError):
        m.fn(y[:-1], s)
    assert np.isnan(m.fn(y, s, sample_weight=np.zeros(y.shape[0])))


# -- invariants that follow a declared capability -------------------------------------------------
RANK_BASED = [n for n in ALL if M.get(n).rank_based]
DELONG = [n for n in ALL if M.get(n).supports_delong]
PROPER = [n for n in ALL if M.get(n).proper_scoring_rule]
ORDERED = [n for n in ALL if M.get(n).column_order is not None]
READS_PROBABILITIES = [n for n in ALL if M.get(n).probabilities is not None]


@pytest.mark.parametrize("name", RANK_BASED)
def test_rank_based_metrics_ignore_increasing_transforms(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m))
    def check(case):
        y, s, w = case
        assert _same(m.fn(y, s ** 3 * 0.5 + 0.25, w), m.fn(y, s, w))

    check()


@pytest.mark.parametrize("name", DELONG)
def test_delong_metrics_equal_delong_auc(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m))
    def check(case):
        y, s, _ = case
        assert _same(m.fn(y, s), float(delong_auc(y, s)[0]))

    check()


@pytest.mark.parametrize("name", PROPER)
@given(q=st.floats(0.02, 0.98), p=st.floats(0.01, 0.99))
@settings(max_examples=60, deadline=None, derandomize=True)
def test_proper_scoring_rules_are_minimised_by_the_true_probability(name, q, p):
    # One positive and one negative case weighted q and 1 - q: the expected loss of predicting
    # p for an event of probability q. A proper rule is smallest at p = q.
    m = M.get(name)
    shape = (2,) if m.input == "binary" else (2, _columns(m))
    y, weights = np.zeros(shape), np.array([q, 1.0 - q])
    y[0] = 1.0
    at_truth = m.fn(y, np.full(shape, q), weights)
    assert m.fn(y, np.full(shape, p), weights) >= at_truth - 1e-12
    # the binary log loss's expected value, from its definition
    assert at_truth == pytest.approx(-(q * math.log(q) + (1 - q) * math.log(1 - q)), rel=1e-12)


@pytest.mark.parametrize("name", ORDERED)
def test_metrics_with_a_column_order_refuse_other_widths(name):
    m = M.get(name)
    y, s, _ = _fixed_case(m)
    with pytest.raises(ValueError, match="shape"):
        m.fn(y[:, :-1], s[:, :-1])


@pytest.mark.parametrize("name", READS_PROBABILITIES)
def test_declared_probability_reading_gives_rows_summing_to_one(name):
    m = M.get(name)

    @PROPERTY
    @given(cases(m))
    def check(case):
        _, s, _ = case
        p = m.probabilities(s * 7.0)
        assert p.shape == s.shape and np.all(p > 0) and np.all(p < 1)
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)

    check()


# -- goldens from scikit-learn --------------------------------------------------------------------
@given(st.integers(0, 2**32 - 1), st.integers(2, 60), st.sampled_from([2, 4, 11, 1001]))
@settings(max_examples=60, deadline=None, derandomize=True)
def test_roc_auc_equals_sklearn_with_ties_and_weights(seed, n, levels):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    y[:2] = [0, 1]
    s = np.round(rng.random(n) * (levels - 1)) / (levels - 1)
    w = rng.integers(1, 5, n).astype(float)
    assert M.get("roc_auc").fn(y, s, w) == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-12)


@given(st.integers(0, 2**32 - 1), st.integers(1, 60))
@settings(max_examples=60, deadline=None, derandomize=True)
def test_log_loss_equals_the_clipped_definition(seed, n):
    # scikit-learn >= 1.5 no longer clips at 1e-15, so the golden is its documented formula
    # -mean(w * (y log p + (1 - y) log(1 - p))) / mean(w) with p clipped as before 1.2.
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(float)
    p = np.where(rng.random(n) < 0.2, rng.integers(0, 2, n), rng.random(n)).astype(float)
    w = rng.integers(1, 5, n).astype(float)
    q = np.clip(p, 1e-15, 1 - 1e-15)
    terms = [-(yi * math.log(qi) + (1 - yi) * math.log(1 - qi)) for yi, qi in zip(y, q)]
    expected = math.fsum(wi * t for wi, t in zip(w, terms)) / math.fsum(w)
    assert M.get("log_loss").fn(y, p, w) == pytest.approx(expected, rel=1e-12)
