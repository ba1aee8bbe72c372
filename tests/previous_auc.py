"""The previous floating-point AUC over bootstrap weights, verbatim: the reference for the
bit-identity of the integer kernel (tests/test_kernels.py, benchmarks/kernel_speed.py).

A dense pair kernel for small test sets; for large ones a cumulative sum over the sorted
negatives, one case at a time (cost B x n^2 / 2**20 Python calls: why it was replaced).
"""

import numpy as np

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


def auc_batch(y_true, y_score, weights):
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
