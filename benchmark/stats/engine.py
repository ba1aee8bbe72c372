"""The engine: every metric kernel of a task evaluated on every replicate of a plan, fused.

:func:`replicates` draws each block of the plan's integer multiplicities once and evaluates
all linear metrics of all kernels with one matrix product per block (:class:`FusedLinear`;
a column of terms shared by several metrics, e.g. the ones of every ratio, enters once) and
every AUC by the linear-time integer kernel of :mod:`benchmark.stats.kernels`.
:func:`jackknife` gives the leave-one-unit-out values of the BCa acceleration in closed form.
"""

from __future__ import annotations

import numpy as np

from .kernels import AUCTerms, LinearTerms, TermGrid, one_blas_thread, ordered_sums, running_dtype
from .resampling import DEFAULT_MAX_BYTES

__all__ = ["FusedLinear", "jackknife", "replicates"]

# Elements of the float buffer of one sub-block of the fused linear product.
_LINEAR_BUFFER_ELEMENTS = 1 << 21
# One array of this size, allocated and freed once per process (see _prime_allocator).
_PRIME_BYTES = 1 << 24
_PRIMED: list = []


def _prime_allocator():
    """Let the C allocator keep the engine's temporaries from one block to the next. Speed only.

    glibc's ``malloc`` maps a request above its threshold (128 KiB when a process starts) afresh
    and unmaps it on ``free``, so every block's temporaries of a few hundred kilobytes (the
    draws, their counts, the AUC's running sums) are paid again in page faults: about 4,500 per
    AUC interval at n = 1,500, a third of its time (benchmarks/README.md). glibc raises the
    threshold to the size of a mapped block when one is freed (up to 32 MiB; ``mallopt(3)``,
    "dynamic mmap threshold"), which any program freeing a large array does in passing; one
    16 MiB array, allocated (untouched, so never resident) and freed once, makes the engine's
    temporaries come from the heap and stay mapped. Other allocators are not affected.
    """
    if not _PRIMED:
        np.empty(_PRIME_BYTES, dtype=np.uint8)
        _PRIMED.append(True)


class FusedLinear:
    """All linear metrics of a task (and of several submissions) as one product."""

    def __init__(self, kernels, positions, n):
        self.kernels = kernels
        self.positions = positions
        columns, index, slots = [], {}, []
        for k in kernels:
            own = []
            for j in range(k.terms.shape[1]):
                col = np.ascontiguousarray(k.terms[:, j])
                key = col.tobytes()
                if key not in index:  # e.g. the column of ones of every ratio
                    index[key] = len(columns)
                    columns.append(col)
                own.append(index[key])
            slots.append(np.asarray(own, dtype=np.intp))
        self.slots = slots
        self.terms = np.column_stack(columns) if columns else np.zeros((n, 0))
        self.finite = bool(np.all(np.isfinite(self.terms)))
        self.grid = TermGrid(self.terms) if self.finite else None

    def evaluate(self, counts, out, rows):
        if not self.kernels:
            return
        if not self.finite or not self.grid.exact_for(counts):
            sums = ordered_sums(counts, self.terms)
        else:
            parts = self.grid.parts
            # Sub-blocks of rows through one small float buffer: stays in cache.
            b, n = counts.shape
            step = max(1, _LINEAR_BUFFER_ELEMENTS // max(n, 1))
            buf = np.empty((min(step, b), n))
            part_sums = np.empty((b, parts.shape[1]))
            for start in range(0, b, step):
                w = counts[start : start + step]
                np.copyto(buf[: w.shape[0]], w)
                np.matmul(buf[: w.shape[0]], parts, out=part_sums[start : start + w.shape[0]])
            sums = self.grid.combine(part_sums)
        for k, slot, e in zip(self.kernels, self.slots, self.positions):
            out[e, rows] = k.combine(sums[:, slot])


def _check_kernels(kernels, plan):
    kernels = list(kernels)
    for i, k in enumerate(kernels):
        if not isinstance(k, (LinearTerms, AUCTerms)):
            raise TypeError(
                f"kernels[{i}] must be LinearTerms or AUCTerms. Got {type(k).__name__} instead."
            )
        n = k.terms.shape[0] if isinstance(k, LinearTerms) else k.scores.shape[0]
        if n != plan.n:
            raise ValueError(f"kernels[{i}] covers {n} cases; the plan has {plan.n}.")
    return kernels


def replicates(kernels, plan, *, max_bytes=None, start=0, stop=None):
    """Evaluate metrics on every bootstrap replicate of a plan, fused.

    Each block of the plan's integer multiplicities is drawn once; the linear metrics of all
    kernels are evaluated with one matrix product per block, the AUCs by the linear-time
    integer kernel.

    Parameters
    ----------
    kernels : sequence of LinearTerms or AUCTerms
        Each covering the plan's ``n`` cases (see ``on_cases`` for subgroups).
    plan : ResamplingPlan
    max_bytes : int, default=None
        Bound of one block of weights as float64 (the plan's default when ``None``).
    start, stop : int, default=0, None
        Only replicates ``start .. stop`` (see ``ResamplingPlan.count_chunks``): with ``start``
        on a block boundary, the columns of the whole run, bit for bit.

    Returns
    -------
    replicates : ndarray of shape (len(kernels), stop - start)
        The same values as ``bootstrap_replicates`` with each metric's ``batch`` (bit for bit
        for the AUC; for linear metrics the exact sum, which differs from a BLAS product by
        at most its rounding).
    """
    kernels = _check_kernels(kernels, plan)
    _prime_allocator()
    stop = plan.replicates if stop is None else min(int(stop), plan.replicates)
    out = np.empty((len(kernels), max(0, stop - start)))
    linear = [i for i, k in enumerate(kernels) if isinstance(k, LinearTerms)]
    fused = FusedLinear([kernels[i] for i in linear], linear, plan.n)
    aucs = [i for i, k in enumerate(kernels) if isinstance(k, AUCTerms)]
    row_total = plan.n if plan.clusters is None else None
    # Only AUCs: they gather their cases from the counts as drawn (unit positions), which
    # skips the plan's gather to case order; the counts read, and so the bits, are the same.
    by_position = bool(aucs) and not linear and row_total is not None
    if by_position:
        kernels = list(kernels)
        for i in aucs:
            kernels[i] = kernels[i].on_cases(plan.position_of_case, plan.n)
    # AUCs alone are read one block of the plan at a time (at most 2**18 counts when the plan
    # has no clusters): every temporary stays in cache and is reused rather than mapped anew,
    # 1.25x faster at n = 1,500 (benchmarks/README.md, engine_anchor.py). The values
    # do not depend on the blocks.
    pos = 0
    with one_blas_thread():
        for counts in plan.count_chunks(
            max_rows=plan.block_rows if by_position else None,
            max_bytes=max_bytes or DEFAULT_MAX_BYTES, start=start, stop=stop, by_position=by_position,
        ):
            rows = slice(pos, pos + counts.shape[0])
            fused.evaluate(counts, out, rows)
            run = running_dtype(counts, row_total) if aucs else None
            for i in aucs:
                out[i, rows] = kernels[i].values_counts(counts, run)
            pos = rows.stop
    return out


def jackknife(kernels, plan):
    """Leave-one-unit-out values of every kernel in closed form.

    Returns
    -------
    values : ndarray of shape (len(kernels), plan.n_units)
        Agrees with ``jackknife_values`` over the plan's 0/1 masks to rounding (bit for bit
        for the AUC).
    """
    kernels = _check_kernels(kernels, plan)
    unit = np.asarray(plan.unit_of_case, dtype=np.intp)
    out = np.empty((len(kernels), plan.n_units))
    for i, k in enumerate(kernels):
        out[i] = k.jackknife(unit, plan.n_units)
    return out
