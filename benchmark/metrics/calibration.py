"""Calibration of binary probabilities: reliability bins and the expected calibration error."""

from __future__ import annotations

import numpy as np

__all__ = ["calibration_bin_index", "expected_calibration_error"]


def calibration_bin_index(y_prob, n_bins: int = 10) -> np.ndarray:
    """Equal-width reliability bin of each probability, bins closed on the right.

    Bin ``m`` (0-based) is ``(m/M, (m+1)/M]`` and the first bin is closed,
    ``[0, 1/M]``: the bins ``B_m`` of Guo, Pleiss, Sun & Weinberger, "On
    Calibration of Modern Neural Networks", ICML 2017 (arXiv:1706.04599),
    Section 2, and of scikit-learn's ``calibration_curve(strategy="uniform")``.
    The edges are ``m / M`` correctly rounded, so a probability written as
    0.3 falls in ``(0.2, 0.3]`` with 10 bins.

    Parameters
    ----------
    y_prob : array-like of shape (n_samples,)
        Probabilities in [0, 1] (not validated).
    n_bins : int, default=10
        Number of bins ``M``.

    Returns
    -------
    index : ndarray of int of shape (n_samples,)
        Values in ``0 .. n_bins - 1``.

    Examples
    --------
    >>> from benchmark.metrics.calibration import calibration_bin_index
    >>> calibration_bin_index([0.0, 0.1, 0.10001, 0.3, 0.95, 1.0]).tolist()
    [0, 0, 1, 2, 9, 9]
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer. Got {n_bins!r} instead.")
    n_bins = int(n_bins)
    edges = np.arange(n_bins + 1) / n_bins
    idx = np.searchsorted(edges, np.asarray(y_prob, dtype=np.float64), side="left") - 1
    return np.clip(idx, 0, n_bins - 1)


def expected_calibration_error(y_true, y_prob, n_bins: int = 10) -> float:
    r"""Expected calibration error over equal-width, right-closed bins.

    .. math::

        \mathrm{ECE} = \sum_{m} \frac{|B_m|}{n}
        \left| \bar y_{B_m} - \bar p_{B_m} \right|

    the weighted mean absolute gap between the observed event rate and the
    mean predicted probability of each bin (Guo et al., ICML 2017, eq. 3, with
    accuracy and confidence of the positive class); bins as in
    :func:`calibration_bin_index`; empty bins contribute nothing.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1}.
    y_prob : array-like of shape (n_samples,)
        Predicted probabilities of the positive class, in [0, 1].
    n_bins : int, default=10

    Returns
    -------
    ece : float
        In [0, 1]; ``nan`` for no samples.

    Examples
    --------
    >>> from benchmark.metrics.calibration import expected_calibration_error
    >>> # bins (0.2, 0.3]: 0.25, 0.3 -> rate 1/2, mean 0.275; (0.9, 1]: 0.95 -> 1 vs 0.95
    >>> round(expected_calibration_error([0, 1, 1], [0.25, 0.3, 0.95]), 4)
    0.1667
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    n = y_true.shape[0]
    if n == 0:
        return float("nan")
    idx = calibration_bin_index(y_prob, n_bins)
    count = np.bincount(idx, minlength=n_bins)
    events = np.bincount(idx, weights=y_true, minlength=n_bins)
    total_p = np.bincount(idx, weights=y_prob, minlength=n_bins)
    used = count > 0
    return float(np.abs(events[used] - total_p[used]).sum() / n)

