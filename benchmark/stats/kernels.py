"""Replicate kernels: what a metric declares so that the engine can evaluate it fast.

A metric declares how it is computed from its cases (``Metric.kernel``):

* :class:`LinearTerms` -- the metric is a function of weighted sums of per-case terms,
  ``value = combine(weights @ terms)`` (every loss of the registry: a ratio of a weighted
  loss total to a weighted count, or a mean of such ratios). The terms are computed once per
  submission, and :func:`benchmark.stats.engine.replicates` evaluates the terms of every
  linear metric of every submission with **one** matrix product per block of replicates.
* :class:`AUCTerms` -- the mean of the ROC AUCs of one or more score columns. Each column's
  cases are sorted once; a replicate is then evaluated in time linear in the number of cases
  from the integer multiplicities (a cumulative count of negative weight along the sorted
  negatives, read at the rank of every positive).

Exactness and bytes that do not depend on the machine
-----------------------------------------------------
Bootstrap and jackknife weights are small integers, so the AUC kernel works in integers
(``uint8`` multiplicities, ``int32`` running counts, ``int64`` totals): the numerator and the
denominator of every replicate are exact, and the replicate is their correctly rounded
quotient -- the same bits on every processor, whatever the evaluation order, and the same bits
as a sequential floating-point evaluation (whose partial sums are exact integers too).

A weighted sum of floating-point terms is not exact in floating point, and a BLAS product sums
in an order that depends on the processor's kernel and on threading. :func:`exact_sums`
therefore splits every column of terms into integer-valued parts on a fixed binary grid
(``t = q1 u1 + q2 u2 [+ q3 u3]``, ``u`` powers of two chosen from the column's largest
magnitude, ``|q| <= 2**(53 - L)`` with ``L`` the bit length of ``4 n``; two parts up to about a
million cases, three beyond). With integer weights whose row total is below ``2**L`` (a
bootstrap row totals ``n``) every partial sum of ``weights @ q`` is an integer below 2**53,
hence exact in any order, and the part sums are combined in one fixed order: the result does
not depend on BLAS, its kernel or its threads. A term many binades below its column's largest
is rounded to the grid (at most 2**-64 of the largest, relatively). Weights that are not
integers (a user's ``sample_weight``), or a row total beyond the bound, take an order-fixed
numpy reduction instead.

The leave-one-unit-out jackknife of the BCa acceleration has closed forms: totals minus the
unit's own terms for linear metrics, and DeLong placements corrected for the pairs inside the
unit for the AUC (DeLong, DeLong & Clarke-Pearson 1988, Biometrics 44:837,
doi:10.2307/2531595), both in ``O(n log n)`` instead of evaluating ``n`` masks.
"""

from __future__ import annotations

import contextlib

import numpy as np
from threadpoolctl import ThreadpoolController


__all__ = [
    "AUCColumn",
    "AUCTerms",
    "LinearTerms",
    "TermGrid",
    "as_counts",
    "cumsum_rows",
    "exact_sums",
    "mean_of_ratios",
    "one_blas_thread",
    "ordered_sums",
    "running_dtype",
]

_MIN_EXPONENT = -900
# Elements of one sub-block of the AUC kernel: keeps the running counts in cache.
_AUC_CACHE_ELEMENTS = 1 << 19
# Below this many (positive, negative) pairs a dense pair kernel is faster.
_AUC_DENSE_MAX_PAIRS = 32_768
_AUC_DENSE_BLOCK_ROWS = 256


_CONTROLLER = []
_PIN_MIN_ELEMENTS = 1 << 20


@contextlib.contextmanager
def one_blas_thread():
    """Limit BLAS to one thread while evaluating many products.

    Speed only: the sums of :func:`exact_sums` do not depend on threading. On a busy machine a
    multi-threaded BLAS waits for its threads at every product (15x slower measured with other
    jobs running, see benchmarks/README.md). The library scan is done once per process.
    """
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1, user_api="blas"):
        yield


def cumsum_rows(a: np.ndarray, out: np.ndarray) -> None:
    """``np.cumsum(a, axis=0, out=out)`` with the same bits, computed along contiguous rows.

    Accumulation is sequential in numpy whatever the axis; transposing first makes every
    running sum read contiguous memory, which is several times faster for wide arrays.
    """
    if a.shape[0]:
        out[...] = np.cumsum(np.ascontiguousarray(a.T), axis=1).T


def running_dtype(counts, row_total=None):
    """``int32`` when ``2 * (largest row total) * (largest count)`` fits in it, else ``int64``.

    ``row_total``: every row's total when known (a plan without clusters draws ``n`` cases
    per replicate); the counts are then not summed, and not read at all when the largest
    value of their dtype already fits.
    """
    if counts.size == 0:
        return np.int32
    if row_total is None:
        total = int(counts.sum(axis=1, dtype=np.int64).max())
    else:
        total = int(row_total)
        if 2 * total * int(np.iinfo(counts.dtype).max) < 2**31:
            return np.int32
    return np.int32 if 2 * total * int(counts.max()) < 2**31 else np.int64


def as_counts(weights):
    """Non-negative integer weights as an unsigned integer array, else ``None``.

    Parameters
    ----------
    weights : ndarray of shape (b, n)

    Returns
    -------
    counts : ndarray of dtype uint8 or uint16, or None
        ``None`` when a weight is negative, not an integer, or above 65535.

    Examples
    --------
    >>> import numpy as np
    >>> as_counts(np.array([[0.0, 2.0, 1.0]])).dtype
    dtype('uint8')
    >>> as_counts(np.array([[0.5, 1.0]])) is None
    True
    """
    w = np.asarray(weights)
    if w.dtype.kind == "u" and w.dtype.itemsize <= 2:
        return w
    if w.size == 0:
        return w.astype(np.uint8)
    if w.dtype.kind not in "biuf":
        return None
    low, high = w.min(), w.max()
    if not (low >= 0 and high <= 65535):  # also False for nan
        return None
    counts = w.astype(np.uint8 if high <= 255 else np.uint16)
    if w.dtype.kind == "f" and not np.array_equal(counts, w):
        return None
    return counts


# --------------------------------------------------------------------------- #
# Linear metrics
# --------------------------------------------------------------------------- #
def mean_of_ratios(sums):
    """Mean over ``k`` ratios of weighted sums: columns ``0..k-1`` are numerators, ``k..2k-1``
    denominators; a ratio with a zero denominator is ``nan`` (and so is the mean).

    Examples
    --------
    >>> import numpy as np
    >>> mean_of_ratios(np.array([[1.0, 3.0, 2.0, 4.0], [1.0, 1.0, 0.0, 1.0]]))
    array([0.625,   nan])
    """
    sums = np.asarray(sums, dtype=np.float64)
    k = sums.shape[1] // 2
    parts = np.full((sums.shape[0], k), np.nan)
    np.divide(sums[:, :k], sums[:, k:], out=parts, where=sums[:, k:] > 0)
    acc = parts[:, 0]
    for j in range(1, k):  # a fixed order of additions
        acc = acc + parts[:, j]
    return acc / k


class TermGrid:
    """Integer-valued parts of the columns of ``terms`` (see :func:`exact_sums`).

    With ``L = bit_length(4 n)``, a part holds ``53 - L`` bits, so the weighted sum of a part
    over ``n`` cases is exact whenever the row's total weight is below ``2**L`` (bootstrap
    rows total ``n``; clustered ones vary around it). Two parts (three beyond ~2**20 cases)
    cover a float64 mantissa; a term far below its column's largest is rounded to the grid.
    """

    def __init__(self, terms):
        t = np.asarray(terms, dtype=np.float64)
        n, k = t.shape
        width = (4 * max(n, 1)).bit_length()
        self.max_total = 2**width - 1
        bits = 53 - width
        self.n_parts = max(2, -(-64 // bits))
        top = np.max(np.abs(t), axis=0) if n else np.zeros(k)
        _, exp = np.frexp(top)  # top < 2**exp (exp = 0 for a zero column)
        # Keep every unit a normal number: magnitudes below 2**-900 are rounded to that grid.
        exp = np.maximum(exp, _MIN_EXPONENT)
        parts, units = [], []
        rest = t
        for p in range(1, self.n_parts + 1):
            unit = np.ldexp(1.0, exp - p * bits)
            q = np.rint(rest / unit)
            rest = rest - q * unit  # exact: both are multiples of the smaller grid
            parts.append(q)
            units.append(unit)
        self.k = k
        self.parts = np.concatenate(parts, axis=1)
        self.units = np.concatenate(units)

    def combine(self, part_sums):
        """Column sums from the part sums, added in one fixed order."""
        k = self.k
        out = part_sums[:, :k] * self.units[:k]
        for p in range(1, self.n_parts):
            out = out + part_sums[:, p * k : (p + 1) * k] * self.units[p * k : (p + 1) * k]
        return out

    def exact_for(self, counts):
        return counts.size == 0 or counts.sum(axis=1, dtype=np.int64).max() <= self.max_total


def ordered_sums(weights, terms):
    """``weights @ terms`` by numpy's fixed-order reduction (any real weights)."""
    w = np.asarray(weights, dtype=np.float64)
    out = np.empty((w.shape[0], terms.shape[1]))
    for j in range(terms.shape[1]):
        out[:, j] = np.add.reduce(w * terms[:, j], axis=1)
    return out


def exact_sums(weights, terms, grid=None):
    """``weights @ terms``, the same bits on every machine.

    Parameters
    ----------
    weights : ndarray of shape (b, n)
        Case weights; integer weights with row totals below ``2**bit_length(4 n)`` give sums
        exact up to the grid of the terms (see the module notes), other weights an order-fixed
        reduction.
    terms : ndarray of shape (n, k)
    grid : TermGrid, default=None
        ``TermGrid(terms)``, when already computed.

    Returns
    -------
    sums : ndarray of shape (b, k)

    Examples
    --------
    >>> import numpy as np
    >>> exact_sums(np.array([[1, 2], [0, 1]]), np.array([[0.1], [0.2]]))[:, 0].tolist()
    [0.5, 0.2]
    """
    terms = np.asarray(terms, dtype=np.float64)
    counts = as_counts(weights)
    if counts is None or not np.all(np.isfinite(terms)):
        return ordered_sums(weights, terms)
    grid = TermGrid(terms) if grid is None else grid
    if not grid.exact_for(counts):
        return ordered_sums(weights, terms)
    if counts.size >= _PIN_MIN_ELEMENTS:
        with one_blas_thread():
            part_sums = counts.astype(np.float64) @ grid.parts
    else:  # pinning costs about a millisecond: not worth it for a small product
        part_sums = counts.astype(np.float64) @ grid.parts
    return grid.combine(part_sums)


class LinearTerms:
    """A metric ``combine(weights @ terms)`` over per-case terms.

    Parameters
    ----------
    terms : ndarray of shape (n, k)
        Per-case terms, computed once.
    combine : callable
        Maps weighted sums of shape (b, k) to values of shape (b,), e.g.
        :func:`mean_of_ratios`.
    """

    def __init__(self, terms, combine):
        terms = np.asarray(terms, dtype=np.float64)
        if terms.ndim != 2:
            raise ValueError(f"terms must have shape (n, k). Got shape {terms.shape} instead.")
        self.terms = terms
        self.combine = combine

    def on_cases(self, cases, n_all):
        """The same metric with its terms placed at ``cases`` among ``n_all`` cases."""
        full = np.zeros((n_all, self.terms.shape[1]))
        full[cases] = self.terms
        return LinearTerms(full, self.combine)

    def values(self, weights):
        """Metric value under each row of ``weights`` (shape (b, n))."""
        return self.combine(exact_sums(weights, self.terms))

    def jackknife(self, unit_of_case, n_units):
        """Leave-one-unit-out values in closed form: totals minus the unit's own terms."""
        n, k = self.terms.shape
        total = exact_sums(np.ones((1, n)), self.terms)[0]
        own = np.empty((n_units, k))
        for j in range(k):
            own[:, j] = np.bincount(unit_of_case, weights=self.terms[:, j], minlength=n_units)
        return self.combine(total[None, :] - own)


# --------------------------------------------------------------------------- #
# AUC
# --------------------------------------------------------------------------- #
class AUCColumn:
    """One score column prepared for the weighted Mann-Whitney AUC (sorted once).

    For a positive with score ``s``, ``lo`` negatives score below ``s`` and ``hi`` at most
    ``s``; with ``C[k]`` the weight of the ``k`` lowest negatives, the positive contributes
    ``w (C[lo] + C[hi]) / 2`` to the numerator.

    Parameters
    ----------
    y_true : ndarray of shape (n,)
        Binary labels (1 = positive).
    y_score : ndarray of shape (n,)
        Scores.
    """

    def __init__(self, y_true, y_score):
        y_true = np.asarray(y_true)
        s = np.asarray(y_score, dtype=np.float64)
        is_pos = y_true == 1
        pos = np.flatnonzero(is_pos)
        neg = np.flatnonzero(~is_pos)
        self.n = int(s.size)
        self.score = s
        self.neg = neg[np.argsort(s[neg], kind="stable")]
        pos = pos[np.argsort(s[pos], kind="stable")]  # increasing ranks: cache-friendly reads
        sn = s[self.neg]
        lo = np.searchsorted(sn, s[pos], side="left")
        hi = np.searchsorted(sn, s[pos], side="right")
        tied = lo != hi
        self.pos = pos
        self.lo, self.hi = lo, hi
        self.pos_untied, self.lo_untied = pos[~tied], lo[~tied]
        self.pos_tied, self.lo_tied, self.hi_tied = pos[tied], lo[tied], hi[tied]
        self.dense = 0 < pos.size * neg.size <= _AUC_DENSE_MAX_PAIRS

    @property
    def defined(self):
        return self.pos.size > 0 and self.neg.size > 0

    def on_cases(self, cases, n_all):
        """The same column with its cases placed at ``cases`` among ``n_all`` cases."""
        out = object.__new__(AUCColumn)
        out.__dict__.update(self.__dict__)
        cases = np.asarray(cases, dtype=np.intp)
        for name in ("neg", "pos", "pos_untied", "pos_tied"):
            setattr(out, name, cases[getattr(self, name)])
        out.n = int(n_all)
        out.score = None
        return out

    # -- replicates ----------------------------------------------------------
    def parts(self, weights):
        """``(numerator, positive total, negative total)`` per row of ``weights``."""
        if self.dense and self.score is not None:
            return self._parts_dense(np.asarray(weights, dtype=np.float64))
        counts = as_counts(weights)
        if counts is not None:
            return self._parts_counts(counts)
        return self._parts_float(np.asarray(weights, dtype=np.float64))

    def values(self, weights):
        """AUC under each row of ``weights`` (shape (b, n)); ``nan`` where a class has zero
        total weight."""
        b = np.shape(weights)[0]
        out = np.full(b, np.nan)
        if not self.defined or b == 0:
            return out
        num, total_pos, total_neg = self.parts(weights)
        den = total_pos * total_neg
        np.divide(num, den, out=out, where=den > 0)
        return out

    def _parts_dense(self, weights):
        # kernel[j, i] = [s_i > s_j] + 0.5 [s_i == s_j] for negative j and positive i; with
        # integer weights every product and sum is an exact multiple of 0.5.
        sp, sn = self.score[self.pos], self.score[self.neg]
        kernel = (sp[None, :] > sn[:, None]).astype(np.float64)
        kernel += 0.5 * (sp[None, :] == sn[:, None])
        b = weights.shape[0]
        num, total_pos, total_neg = np.empty(b), np.empty(b), np.empty(b)
        for start in range(0, b, _AUC_DENSE_BLOCK_ROWS):
            rows = slice(start, start + _AUC_DENSE_BLOCK_ROWS)
            w_pos = weights[rows][:, self.pos]
            w_neg = weights[rows][:, self.neg]
            num[rows] = np.einsum("bi,bi->b", w_pos, w_neg @ kernel)
            total_pos[rows] = w_pos.sum(axis=1)
            total_neg[rows] = w_neg.sum(axis=1)
        return num, total_pos, total_neg

    def _parts_counts(self, counts, run=None):
        # Integer arithmetic throughout: C[k] is at most a row's total weight, and
        # (C[lo] + C[hi]) w fits in the running dtype (int32 unless the weights are huge).
        b, n = counts.shape
        if run is None:
            run = running_dtype(counts)
        q = self.neg.size
        rows = max(1, _AUC_CACHE_ELEMENTS // max(n, 1))
        num2 = np.empty(b, dtype=np.int64)
        total_pos = np.empty(b, dtype=np.int64)
        total_neg = np.empty(b, dtype=np.int64)
        cum = np.empty((min(rows, b), q + 1), dtype=run)
        cum[:, 0] = 0
        for start in range(0, b, rows):
            w = counts[start : start + rows]
            r = w.shape[0]
            c = cum[:r]
            np.cumsum(np.take(w, self.neg, axis=1), axis=1, dtype=run, out=c[:, 1:])
            wp = np.take(w, self.pos_untied, axis=1)
            acc = np.take(c, self.lo_untied, axis=1)
            acc *= wp
            part = acc.sum(axis=1, dtype=np.int64)
            part *= 2
            tp = wp.sum(axis=1, dtype=np.int64)
            if self.pos_tied.size:
                wp = np.take(w, self.pos_tied, axis=1)
                both = np.take(c, self.lo_tied, axis=1)
                both += np.take(c, self.hi_tied, axis=1)
                both *= wp
                part += both.sum(axis=1, dtype=np.int64)
                tp += wp.sum(axis=1, dtype=np.int64)
            num2[start : start + r] = part
            total_pos[start : start + r] = tp
            total_neg[start : start + r] = c[:, -1]
        return num2 * 0.5, total_pos.astype(np.float64), total_neg.astype(np.float64)

    def _parts_float(self, weights):
        # Any real weights: the same sums in floating point, replicate-major.
        b = weights.shape[0]
        q = self.neg.size
        rows = max(1, _AUC_CACHE_ELEMENTS // max(self.n, 1))
        num, total_pos, total_neg = np.empty(b), np.empty(b), np.empty(b)
        for start in range(0, b, rows):
            w = weights[start : start + rows]
            c = np.zeros((w.shape[0], q + 1))
            np.cumsum(np.take(w, self.neg, axis=1), axis=1, out=c[:, 1:])
            part = np.add.reduce(np.take(w, self.pos_untied, axis=1) * np.take(c, self.lo_untied, axis=1), axis=1)
            if self.pos_tied.size:
                both = np.take(c, self.lo_tied, axis=1) + np.take(c, self.hi_tied, axis=1)
                part = part + 0.5 * np.add.reduce(np.take(w, self.pos_tied, axis=1) * both, axis=1)
            num[start : start + w.shape[0]] = part
            total_pos[start : start + w.shape[0]] = np.take(w, self.pos, axis=1).sum(axis=1)
            total_neg[start : start + w.shape[0]] = c[:, -1]
        return num, total_pos, total_neg

    # -- jackknife -----------------------------------------------------------
    def jackknife(self, unit_of_case, n_units, scores):
        """Leave-one-unit-out AUCs in closed form (unit weights).

        Removing unit ``u`` removes the placements of its positives among all negatives and
        of its negatives among all positives, and adds back the pairs inside ``u``, which
        both removals counted. All counts are doubled to stay integers.

        Parameters
        ----------
        unit_of_case : ndarray of shape (n_all,)
            Unit of each case of the plan.
        n_units : int
        scores : ndarray of shape (n_all,)
            Scores of all cases of the plan (only this column's cases are read).
        """
        out = np.full(n_units, np.nan)
        if not self.defined:
            return out
        s = np.asarray(scores, dtype=np.float64)
        m, q = self.pos.size, self.neg.size
        sp = s[self.pos]  # increasing
        sn = s[self.neg]  # increasing
        a = self.lo + self.hi  # doubled placement of each positive
        lo_p = np.searchsorted(sp, sn, side="left")
        hi_p = np.searchsorted(sp, sn, side="right")
        bneg = 2 * m - lo_p - hi_p  # doubled placement of each negative
        unit_pos = unit_of_case[self.pos]
        unit_neg = unit_of_case[self.neg]
        # Pairs inside a unit: rank the scores, key = unit * R + rank.
        _, rank = np.unique(np.concatenate([sp, sn]), return_inverse=True)
        r_all = int(rank.max()) + 1
        key_pos = unit_pos.astype(np.int64) * r_all + rank[:m]
        key_neg = np.sort(unit_neg.astype(np.int64) * r_all + rank[m:])
        lo_u = np.searchsorted(key_neg, key_pos, side="left")
        hi_u = np.searchsorted(key_neg, key_pos, side="right")
        start = np.searchsorted(key_neg, unit_pos.astype(np.int64) * r_all, side="left")
        inside = lo_u + hi_u - 2 * start
        num2 = int(a.sum())
        own = (
            np.bincount(unit_pos, weights=a - inside, minlength=n_units)
            + np.bincount(unit_neg, weights=bneg, minlength=n_units)
        )
        m_u = m - np.bincount(unit_pos, minlength=n_units)
        q_u = q - np.bincount(unit_neg, minlength=n_units)
        num = (num2 - own) * 0.5
        den = (m_u * q_u).astype(np.float64)
        np.divide(num, den, out=out, where=den > 0)
        return out


class AUCTerms:
    """Mean of the AUCs of one or more score columns (one column: the AUC itself).

    Parameters
    ----------
    y_true : ndarray of shape (n,) or (n, k)
    y_score : ndarray of shape (n,) or (n, k)
    columns : list of AUCColumn, default=None
        Columns already prepared (then ``y_true`` is not read and ``y_score`` holds the
        (n, k) scores).
    """

    def __init__(self, y_true, y_score, columns=None):
        if columns is None:
            y = np.asarray(y_true)
            s = np.asarray(y_score, dtype=np.float64)
            y2 = y.reshape(y.shape[0], -1)
            s2 = s.reshape(s.shape[0], -1)
            columns = [AUCColumn(y2[:, j], s2[:, j]) for j in range(y2.shape[1])]
            self.scores = s2
        else:
            self.scores = np.asarray(y_score, dtype=np.float64)
        self.columns = columns

    def on_cases(self, cases, n_all):
        """The same metric with its cases placed at ``cases`` among ``n_all`` cases."""
        cases = np.asarray(cases, dtype=np.intp)
        full = np.zeros((n_all, self.scores.shape[1]))
        full[cases] = self.scores
        return AUCTerms(None, full, [c.on_cases(cases, n_all) for c in self.columns])

    def _mean(self, per_column):
        if len(per_column) == 1:
            return per_column[0]
        return np.mean(per_column, axis=0)

    def values(self, weights):
        """Value under each row of ``weights`` (shape (b, n))."""
        return self._mean([c.values(weights) for c in self.columns])

    def values_counts(self, counts, run=None):
        """Value under each row of unsigned integer ``counts``; ``run``: the running dtype
        (:func:`running_dtype`), computed when ``None``."""
        out = []
        for c in self.columns:
            v = np.full(counts.shape[0], np.nan)
            if c.defined and counts.shape[0]:
                num, tp, tn = c._parts_counts(counts, run)
                den = tp * tn
                np.divide(num, den, out=v, where=den > 0)
            out.append(v)
        return self._mean(out)

    def jackknife(self, unit_of_case, n_units):
        return self._mean(
            [c.jackknife(unit_of_case, n_units, self.scores[:, j]) for j, c in enumerate(self.columns)]
        )
