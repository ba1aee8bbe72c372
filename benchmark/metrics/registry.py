"""The metric registry: every metric a task may name, with its declared capabilities.

A metric is a :class:`Metric` record holding two functions over the same definition:

* ``fn(y_true, y_score, sample_weight=None) -> float`` validates its inputs and evaluates the
  metric once;
* ``batch(y_true, y_score, weights) -> ndarray of shape (B,)`` evaluates it under ``B`` case
  weightings at once (bootstrap multiplicities, jackknife masks). Row ``b`` of the result equals
  ``fn(y_true, y_score, sample_weight=weights[b])``; ``fn`` is implemented as a one-row ``batch``
  and the two agree to floating-point rounding.

A weighting under which a metric is undefined (one class only for an AUC, zero total weight for a
loss) gives ``nan``.

Input kinds (``Metric.input``):

========== ========================== ============================
input      ``y_true``                 ``y_score``
========== ========================== ============================
binary     ``(n,)`` values 0/1        ``(n,)`` scores
multilabel ``(n, k)`` values 0/1      ``(n, k)`` probabilities
multiclass ``(n, k)`` int, -1 = none  ``(n, k, c)`` probabilities
========== ========================== ============================

The metrics of general use are registered by :mod:`benchmark.metrics.auc` and
:mod:`benchmark.metrics.log_loss` when the package is imported; a competition's own metric lives
in its dataset folder (a hook module named by ``dataset.toml``) and is registered when the task
registry loads (:mod:`benchmark.data.contracts`). Nothing in the package looks at a metric's
name to decide what it can do: the scorer, the site and the task checks read the capabilities
declared here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable, Optional

__all__ = ["INPUT_KINDS", "Metric", "get", "is_registered", "names", "origin", "register", "suggest"]

#: The shape conventions a metric may declare (see the module docstring).
INPUT_KINDS = ("binary", "multilabel", "multiclass")


@dataclass(frozen=True)
class Metric:
    """A registered metric: its definition, direction, range and declared capabilities.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"roc_auc"``.
    display_name : str
        Human-readable name, e.g. ``"AUC"``.
    higher_is_better : bool
        Declared direction of the metric.
    fn : callable
        ``fn(y_true, y_score, sample_weight=None) -> float``.
    batch : callable
        ``batch(y_true, y_score, weights) -> ndarray of shape (B,)`` with ``weights`` of shape
        ``(B, n_samples)``.
    input : {"binary", "multilabel", "multiclass"}
        Input kind: shape convention of ``y_true`` and ``y_score``. A ``binary`` metric scores
        one target column (:attr:`per_target`): a task binds it to several targets only with
        ``each_target = true``.
    lower, upper : float
        Range of values the metric can take.
    kernel : callable, default=None
        ``kernel(y_true, y_score) -> LinearTerms | AUCTerms`` declares the metric's per-case
        terms (see :mod:`benchmark.stats.kernels`), so that the engine evaluates all linear
        metrics of a task with one product per block of replicates, AUCs in linear time, and the
        BCa jackknife in closed form. Without it, ``batch`` is used.
    supports_delong : bool, default=False
        The metric is the single-target ROC AUC, for which DeLong's variance (interval and
        paired test) applies.
    rank_based : bool, default=False
        The metric depends on the scores only through their order (an AUC): perfect separation
        makes every resample give the same value, and a column of two distinct values is a
        single operating point.
    proper_scoring_rule : bool, default=False
        The expected score is optimised only by reporting the true probability (the plain log
        loss). A loss whose weights depend on the true label is not proper.
    calibration : bool, default=False
        The metric scores the submitted values as probabilities, so calibration (reliability
        bins, expected calibration error) is shown beside it.
    column_order : tuple of str, default=None
        The exact target columns, in order, the metric's definition requires (a competition
        metric that weights or groups columns by position). The task's bound targets must equal
        it; checked when the task loads.
    class_order : tuple of str, default=None
        For a multiclass metric whose definition depends on the classes: the exact class names,
        in order, the task must declare.
    probabilities : callable, default=None
        ``probabilities(y_score) -> ndarray``: how the metric reads submitted values as
        probabilities (e.g. clipped and rescaled per row); the calibration and ROC panels use
        the same reading. None: the values are used as they are.

    Examples
    --------
    >>> from benchmark.metrics.registry import get
    >>> m = get("roc_auc")
    >>> m.display_name, m.higher_is_better, m.input, m.lower, m.upper
    ('AUC', True, 'binary', 0.0, 1.0)
    >>> m.per_target, m.supports_delong, get("log_loss").proper_scoring_rule
    (True, True, True)
    """

    name: str
    display_name: str
    higher_is_better: bool
    fn: Callable
    batch: Callable
    input: str
    lower: float
    upper: float
    kernel: Optional[Callable] = None
    supports_delong: bool = False
    rank_based: bool = False
    proper_scoring_rule: bool = False
    calibration: bool = False
    column_order: Optional[tuple[str, ...]] = None
    class_order: Optional[tuple[str, ...]] = None
    probabilities: Optional[Callable] = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string. Got {self.name!r} instead.")
        flags = ("higher_is_better", "supports_delong", "rank_based", "proper_scoring_rule",
                 "calibration")
        for flag in flags:
            value = getattr(self, flag)
            if not isinstance(value, bool):
                raise ValueError(f"{flag} must be a bool. Got {type(value).__name__} instead.")
        if self.input not in INPUT_KINDS:
            raise ValueError(f"input must be one of {INPUT_KINDS}. Got {self.input!r} instead.")
        if not (callable(self.fn) and callable(self.batch)):
            raise ValueError("fn and batch must be callable.")
        for hook in ("kernel", "probabilities"):
            if getattr(self, hook) is not None and not callable(getattr(self, hook)):
                raise ValueError(f"{hook} must be callable or None.")
        if not float(self.lower) < float(self.upper):
            raise ValueError(
                f"lower must be smaller than upper. Got lower={self.lower!r} and "
                f"upper={self.upper!r} instead."
            )
        if self.supports_delong and self.input != "binary":
            raise ValueError(
                f"supports_delong needs input 'binary' (one target). Got {self.input!r} instead."
            )
        for order in ("column_order", "class_order"):
            value = getattr(self, order)
            if value is not None and (
                not isinstance(value, tuple) or not value
                or not all(isinstance(v, str) for v in value) or len(set(value)) != len(value)
            ):
                raise ValueError(
                    f"{order} must be a non-empty tuple of distinct strings. Got {value!r} instead."
                )
        if self.input == "binary" and self.column_order is not None and len(self.column_order) != 1:
            raise ValueError("a binary metric scores one column: column_order must name one.")
        if self.class_order is not None and self.input != "multiclass":
            raise ValueError(f"class_order needs input 'multiclass'. Got {self.input!r} instead.")

    @property
    def per_target(self) -> bool:
        """Whether the metric scores one target column (bound per target with ``each_target``)."""
        return self.input == "binary"


_REGISTRY: dict[str, Metric] = {}
#: name -> (where the metric was defined, fingerprint of that definition or None)
_ORIGINS: dict[str, tuple[str, Optional[str]]] = {}


def register(metric: Metric, *, source: str = "", fingerprint: Optional[str] = None) -> Metric:
    """Add a metric to the registry.

    Parameters
    ----------
    metric : Metric
        The metric to add. Its ``name`` must not be registered yet, unless by the same
        definition (see ``fingerprint``).
    source : str, default=""
        Where the metric is defined (a hook file), for messages.
    fingerprint : str, default=None
        A digest of the defining file. Registering a name again with the same fingerprint
        (the same hook loaded twice, or a copy of it) is a no-op that returns the metric
        registered first; any other second registration is refused.

    Returns
    -------
    metric : Metric
        The registered metric.

    Raises
    ------
    ValueError
        If a different definition is already registered under the same name.

    Examples
    --------
    >>> from benchmark.metrics.registry import register, get
    >>> register(get("roc_auc"))
    Traceback (most recent call last):
        ...
    ValueError: A metric named 'roc_auc' is already registered.
    """
    if not isinstance(metric, Metric):
        raise TypeError(f"metric must be a Metric. Got {type(metric).__name__} instead.")
    if metric.name in _REGISTRY:
        first, known = _ORIGINS[metric.name]
        if fingerprint is not None and fingerprint == known:
            return _REGISTRY[metric.name]
        where = f" (by {first})" if first else ""
        raise ValueError(f"A metric named {metric.name!r} is already registered{where}.")
    _REGISTRY[metric.name] = metric
    _ORIGINS[metric.name] = (str(source), fingerprint)
    return metric


def suggest(name: str) -> str:
    """The hint after an unknown metric name: close names (ignoring case), else every name.

    >>> suggest("ROC_AUC")
    " Did you mean 'roc_auc' or 'mean_roc_auc'?"
    """
    by_lower: dict[str, str] = {}
    for known in names():
        by_lower.setdefault(known.lower(), known)
    close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=3, cutoff=0.6)
    if close:
        return " Did you mean " + " or ".join(repr(by_lower[c]) for c in close) + "?"
    return " Registered metrics: " + ", ".join(names()) + "."


def get(name: str) -> Metric:
    """Look a metric up by name.

    Parameters
    ----------
    name : str
        Registry key.

    Returns
    -------
    metric : Metric

    Raises
    ------
    KeyError
        If no metric has that name; the message suggests close names (ignoring case).

    Examples
    --------
    >>> from benchmark.metrics.registry import get
    >>> get("log_loss").higher_is_better
    False
    >>> get("roc_acu")
    Traceback (most recent call last):
        ...
    KeyError: "Unknown metric 'roc_acu'. Did you mean 'roc_auc' or 'mean_roc_auc'?"
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        pass
    raise KeyError(f"Unknown metric {name!r}.{suggest(name)}")


def is_registered(name: str) -> bool:
    """Whether a metric of that exact name is registered."""
    return isinstance(name, str) and name in _REGISTRY


def origin(name: str) -> tuple[str, Optional[str]]:
    """Where a registered metric was defined: ``(source, fingerprint)``; ``("", None)`` for the
    package's own metrics.

    >>> origin("roc_auc")
    ('', None)
    """
    get(name)
    return _ORIGINS[name]


def names() -> list[str]:
    """Names of the registered metrics, sorted.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from benchmark.metrics.registry import names
    >>> [n for n in names() if "auc" in n]
    ['mean_roc_auc', 'roc_auc']
    """
    return sorted(_REGISTRY)
