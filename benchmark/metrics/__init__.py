"""Metrics: the registry with declared capabilities, and the metrics of general use.

Importing the package registers the AUCs (:mod:`.auc`) and the binary log loss (:mod:`.log_loss`);
a dataset's own competition metric is registered from its dataset folder when the task registry
loads (:mod:`benchmark.data.contracts`).
"""

from . import auc, calibration, log_loss  # noqa: F401  (importing registers the metrics)
