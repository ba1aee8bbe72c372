"""The Ladder: a leaderboard that resists adaptive probing of the hidden labels.

A participant who sees an exact score after every submission can learn the hidden labels by
submitting slight variations and keeping what helps (the "boosting attack" of Blum & Hardt).
The Ladder (Blum & Hardt, *The Ladder: A Reliable Leaderboard for Machine Learning
Competitions*, ICML 2015, arXiv:1502.04585) releases a new score only when a submission beats
the team's best so far by a clear margin, and then only rounded:

* **fixed step** (their Algorithm 1): with step ``eta``, the shown score ``R`` moves to
  ``round(score, eta)`` only when the new score beats ``R`` by more than ``eta``; otherwise the
  previous value is shown again;
* **parameter-free** (their Algorithm 2): the new submission must beat ``R`` by more than one
  standard error of its paired difference from the team's best submission (a one-sided paired
  test at ``z = 1``), and the shown value is rounded to ``1 / n`` (``n`` = number of scored
  cases). The standard error comes from the bootstrap replicates of the primary metric on the
  task's shared resampling plan, so it applies to every metric, AUC included.

Scores are oriented by the metric's declared direction (``higher_is_better``).

>>> lad = Ladder(higher_is_better=True, step=0.01)
>>> [lad.submit(s).shown for s in (0.801, 0.809, 0.823, 0.826)]
[0.8, 0.8, 0.82, 0.82]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["Ladder", "LadderDecision", "round_to_step", "step_digits"]


def round_to_step(value: float, step: float) -> float:
    """Round ``value`` to the nearest multiple of ``step``.

    Parameters
    ----------
    value : float
    step : float
        Positive rounding unit.

    Returns
    -------
    float
        The multiple of ``step`` closest to ``value``, cleaned of binary noise
        (``round_to_step(0.8237, 0.01) == 0.82``).

    Examples
    --------
    >>> round_to_step(0.8237, 0.01), round_to_step(0.8237, 0.005)
    (0.82, 0.825)
    """
    if not step > 0:
        raise ValueError(f"step must be positive. Got {step!r} instead.")
    return round(round(float(value) / step) * step, step_digits(step) + 2)


def step_digits(step: float) -> int:
    """Decimals needed to write multiples of ``step`` (0.01 -> 2, 0.005 -> 3, 1/120 -> 4).

    Examples
    --------
    >>> step_digits(0.01), step_digits(0.005), step_digits(1 / 120)
    (2, 3, 4)
    """
    if not step > 0:
        raise ValueError(f"step must be positive. Got {step!r} instead.")
    for d in range(0, 9):
        if abs(round(step, d) - step) <= 1e-12 * max(1.0, step):
            return d
    return max(0, int(math.ceil(-math.log10(step)))) + 1


@dataclass(frozen=True)
class LadderDecision:
    """Outcome of one submission on the Ladder.

    Attributes
    ----------
    score : float
        The submission's own score (never shown to the participant).
    shown : float or None
        The value released after this submission (``None`` while the score is undefined and
        nothing has been released yet).
    improved : bool
        Whether the shown value moved.
    threshold : float or None
        The margin the submission had to beat (``step``, or the standard error of the paired
        difference in the parameter-free version).
    reason : str
        One sentence for the participant, free of the exact score.
    """

    score: float
    shown: Optional[float]
    improved: bool
    threshold: Optional[float]
    reason: str


class Ladder:
    """One team's Ladder on one task.

    Parameters
    ----------
    higher_is_better : bool
        Direction of the scored metric.
    step : float, optional
        Fixed step ``eta``. When omitted the parameter-free version is used and
        :meth:`submit` needs the bootstrap replicates of each submission.
    n_cases : int, optional
        Number of scored cases; the parameter-free version rounds to ``1 / n_cases``.
    z : float, default=1.0
        One-sided test threshold of the parameter-free version in standard errors
        (Blum & Hardt use one standard error).

    Examples
    --------
    >>> import numpy as np
    >>> lad = Ladder(higher_is_better=True, n_cases=100)
    >>> base = np.linspace(0.70, 0.80, 200)
    >>> lad.submit(0.75, base).shown
    0.75
    >>> lad.submit(0.752, base + 0.002 + np.linspace(-0.05, 0.05, 200)).improved
    False
    >>> lad.submit(0.80, base + 0.05).shown
    0.8
    """

    def __init__(
        self,
        higher_is_better: bool,
        step: Optional[float] = None,
        n_cases: Optional[int] = None,
        z: float = 1.0,
    ):
        if step is not None and not step > 0:
            raise ValueError(f"step must be positive. Got {step!r} instead.")
        if step is None and (n_cases is None or n_cases < 1):
            raise ValueError(
                "the parameter-free Ladder needs n_cases >= 1 (it rounds to 1/n). "
                f"Got {n_cases!r} instead."
            )
        if not z >= 0:
            raise ValueError(f"z must be >= 0. Got {z!r} instead.")
        self.higher_is_better = bool(higher_is_better)
        self.step = None if step is None else float(step)
        self.n_cases = n_cases
        self.z = float(z)
        self.shown: Optional[float] = None
        self._best_reps: Optional[np.ndarray] = None
        self.history: list[LadderDecision] = []

    def restore(self, shown: Optional[float], best_replicates=None) -> None:
        """Continue a Ladder from a recorded state (the shown value and the best's replicates).

        The grader keeps each account's shown value in the ledger, so the Ladder follows the
        account across pull requests and team names. Without the best's replicates the
        parameter-free version asks for a gain of more than one rounding unit (``1/n``).
        """
        self.shown = None if shown is None else float(shown)
        self._best_reps = None if best_replicates is None else np.asarray(best_replicates, dtype=float)

    @property
    def best_replicates(self) -> Optional[np.ndarray]:
        """Bootstrap replicates of the submission that set the shown value (parameter-free)."""
        return self._best_reps

    @property
    def rounding(self) -> float:
        """The unit shown values are rounded to."""
        return self.step if self.step is not None else 1.0 / float(self.n_cases)

    @property
    def digits(self) -> int:
        """Decimals to display shown values with."""
        return step_digits(self.rounding)

    def _gain(self, score: float) -> float:
        """How much ``score`` beats the shown value, in the metric's good direction."""
        if self.shown is None:
            return math.inf
        return (score - self.shown) if self.higher_is_better else (self.shown - score)

    def submit(self, score: float, replicates=None) -> LadderDecision:
        """Record one submission and return what is released.

        Parameters
        ----------
        score : float
            The submission's score on the scored part of the labels.
        replicates : array-like of shape (B,), optional
            Its bootstrap replicates on the task's shared plan; required by the
            parameter-free version (the paired standard error against the best).

        Returns
        -------
        LadderDecision
        """
        score = float(score)
        reps = None if replicates is None else np.asarray(replicates, dtype=float)
        if self.step is None and reps is None:
            raise ValueError("the parameter-free Ladder needs the submission's replicates.")
        if not math.isfinite(score):
            d = LadderDecision(score, self.shown, False, None, "the score is undefined; the shown score is unchanged")
            self.history.append(d)
            return d
        if self.step is not None:
            threshold = self.step
        elif self._best_reps is None:
            # restored from a recorded value without the best's replicates: demand at least
            # one rounding unit (1/n), so the shown value never moves on noise alone
            threshold = 0.0 if self.shown is None else self.rounding
        else:
            diff = reps - self._best_reps
            diff = diff[np.isfinite(diff)]
            threshold = self.z * float(np.std(diff, ddof=1)) if diff.size > 1 else math.inf
        gain = self._gain(score)
        if self.shown is None or gain > threshold:
            self.shown = round_to_step(score, self.rounding)
            if reps is not None:
                self._best_reps = reps
            how = (
                f"beats the best so far by more than the step {self.step:g}"
                if self.step is not None
                else "beats the best so far by more than one standard error of the paired difference"
            )
            reason = "first scored submission" if gain == math.inf else how
            d = LadderDecision(score, self.shown, True, threshold, reason)
        else:
            how = (
                f"does not beat the best so far by more than the step {self.step:g}"
                if self.step is not None
                else "is not better than the best so far by more than one standard error"
            )
            d = LadderDecision(score, self.shown, False, threshold, how + "; the shown score is unchanged")
        self.history.append(d)
        return d
