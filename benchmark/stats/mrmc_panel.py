"""A task's reader panel, compared with every submission by MRMC analysis.

A task with a case-level reader study (``demo_reads`` of a split, or ``<split>_reads.csv``
beside hidden labels) compares each submission with the panel of readers as an algorithm
against radiologists (:func:`benchmark.stats.mrmc.model_vs_readers`): readers random and cases
random (RRRC, conclusions for readers like these reading cases like these) and readers random,
cases fixed (RRFC). The readers' figures of merit and jackknife values are computed once per
task; each submission costs one sort of its scores.

Figures of merit: with confidence ratings (a ``rating`` column in the reads file) the
trapezoidal AUC of the ratings against the AUC of the submission's scores. With binary reads
only, sensitivity and specificity, the submission's calls taken at a threshold fixed in
advance, :data:`MODEL_THRESHOLD` on its probability scale (never tuned on the test cases, so
the inference stays valid).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from .mrmc import fom_jackknife, model_vs_readers

__all__ = ["MODEL_THRESHOLD", "ReaderPanel"]

#: The submission's probability at and above which its call is positive, for the sensitivity
#: and specificity FOMs (fixed before seeing any test case).
MODEL_THRESHOLD = 0.5


class ReaderPanel:
    """The readers of one target, prepared for comparison with many submissions.

    Parameters
    ----------
    truth : array-like of shape (n,)
        0/1 labels of the target, in the task's case order.
    ratings : array-like of shape (J, n)
        Each reader's rating (or 0/1 call) per case; nan where the reader did not read it.
        The analysis uses the cases read by every reader (a fully crossed design).
    readers : sequence of str of length J
    fom : {"auc", "sensitivity", "specificity"}
    threshold : float, default=MODEL_THRESHOLD
        The submission's calls for the sensitivity and specificity FOMs are
        ``score >= threshold``.

    Attributes
    ----------
    reason : str or None
        Why the analysis cannot be done (fewer than 2 readers, or a truth class absent from
        the cases read by every reader); None when it can.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> readers = np.array([[1, 2, 3, 2, 4, 5], [1, 1, 2, 3, 5, 4], [2, 1, 1, 4, 3, 5.]])
    >>> panel = ReaderPanel(y, readers, ["a", "b", "c"], "auc")
    >>> out = panel.compare(np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8]))
    >>> out["model_fom"], round(out["reader_mean_fom"], 4), out["analyses"]["RRFC"]["df"]
    (1.0, 0.9444, 2.0)
    """

    def __init__(self, truth, ratings, readers: Sequence[str], fom: str, threshold: float = MODEL_THRESHOLD):
        truth = np.asarray(truth, dtype=np.int64)
        ratings = np.asarray(ratings, dtype=np.float64)
        if ratings.ndim != 2 or ratings.shape[1] != truth.shape[0] or ratings.shape[0] != len(readers):
            raise ValueError(
                f"ratings must have shape (len(readers), n) = ({len(readers)}, {truth.shape[0]}). "
                f"Got {ratings.shape} instead."
            )
        self.fom = fom
        self.readers = [str(r) for r in readers]
        self.threshold = float(threshold) if fom != "auc" else None
        self.cols = np.flatnonzero(~np.isnan(ratings).any(axis=0))
        self.truth = truth[self.cols]
        n1 = int(self.truth.sum())
        self.reason: Optional[str] = None
        if len(self.readers) < 2:
            self.reason = f"an MRMC analysis needs at least 2 readers; the study has {len(self.readers)}"
        elif min(n1, self.truth.shape[0] - n1) < 2:
            self.reason = (
                f"the {self.truth.shape[0]} cases read by every reader hold {n1} positive and "
                f"{self.truth.shape[0] - n1} negative cases; the jackknife needs 2 of each"
            )
        if self.reason is None:
            self.theta, self.jack = fom_jackknife(ratings[None][:, :, self.cols], self.truth, fom)

    def compare(self, scores, level: float = 0.95) -> dict:
        """Submission versus the panel (JSON-ready).

        Returns
        -------
        dict
            ``fom``, ``readers``, ``n_cases``, ``n_positive``, ``fom_by_reader``,
            ``model_threshold`` (None for the AUC), ``level``, and from
            :func:`~benchmark.stats.mrmc.model_vs_readers` ``model_fom``, ``reader_mean_fom``
            and ``analyses`` {"RRRC", "RRFC"}; or ``reason`` when the analysis cannot be done.
        """
        out = {
            "fom": self.fom,
            "readers": list(self.readers),
            "n_cases": int(self.truth.shape[0]),
            "n_positive": int(self.truth.sum()),
            "model_threshold": self.threshold,
            "level": float(level),
        }
        if self.reason is not None:
            out["reason"] = self.reason
            return out
        x = np.asarray(scores, dtype=np.float64)[self.cols]
        if self.threshold is not None:
            x = (x >= self.threshold).astype(np.float64)
        tm, jm = fom_jackknife(x[None, None], self.truth, self.fom)
        out["fom_by_reader"] = {r: float(v) for r, v in zip(self.readers, self.theta[0])}
        out.update(model_vs_readers(tm[0, 0], jm[0, 0], self.theta[0], self.jack[0], level))
        return out
