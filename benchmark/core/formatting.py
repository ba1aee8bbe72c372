"""Texts and number formats shared by every output (terminal, JSON, site)."""

from __future__ import annotations

import math
from typing import Optional

#: Marks every output scored against the committed synthetic demo labels.
DEMO_BANNER = "DEMO: synthetic labels"
#: Start of the interval note (and of the result warning, after the metric name) of an AUC of
#: exactly 0 or 1, whose interval is degenerate (:func:`benchmark.scoring.score.degenerate_auc_note`).
DEGENERATE_NOTE = "degenerate interval"
#: First words of every synthetic demo data file.
SYNTHETIC = "SYNTHETIC demo data, not real patients"


def format_value(value: Optional[float], digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "undefined"
    return f"{value:.{digits}f}"
