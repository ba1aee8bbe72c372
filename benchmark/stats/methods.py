"""Names of the interval methods, importable without loading the statistics.

The task model and the command line check a requested method against :data:`CI_METHODS`; they
import this module, which imports nothing, so that naming a method does not load numpy or scipy
at start-up.
"""

__all__ = ["CI_METHODS"]

#: Interval methods a task or a command may ask for: the bootstrap percentile and BCa
#: intervals (:mod:`benchmark.stats.intervals`), and DeLong's for single-target AUC metrics
#: (:mod:`benchmark.stats.delong`).
CI_METHODS = ("percentile", "bca", "delong")
