"""The task table as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re

__all__ = ["csv_cell", "task_csv"]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^-?inf$|^nan$")


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection").

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe; a plain number (``-0.5``, ``1e-05``), which a spreadsheet reads as that number,
    is left alone.

    >>> csv_cell("=SUM(A1:A9)"), csv_cell("-0.25"), csv_cell("@team"), csv_cell(3)
    ("'=SUM(A1:A9)", '-0.25', "'@team", '3')
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def task_csv(task: dict) -> str:
    metrics = [m["name"] for m in task["metrics"]]
    head = ["rank", "rank_low", "rank_high", "entry", "team", "model", "date"]
    for m in metrics:
        head += [m, f"{m}_ci_low", f"{m}_ci_high"]
    head += ["diff_from_leader", "diff_ci_low", "diff_ci_high", "diff_p_value", "predictions_sha256"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in head])

    def f(v):
        return "" if v is None else repr(float(v))

    for e in task["entries"]:
        ri = e["rank_interval"] or [None, None]
        row = [e["rank"], ri[0] if ri[0] is not None else "", ri[1] if ri[1] is not None else "", e["name"], e["team"], e["model"], e["date"] or ""]
        for m in metrics:
            mv = e["metrics"][m]
            ci = mv["ci"] or [None, None]
            row += [f(mv["value"]), f(ci[0]), f(ci[1])]
        d = e["leader_difference"] or {}
        dci = d.get("ci") or [None, None]
        row += [f(d.get("difference")), f(dci[0]), f(dci[1]), f(d.get("p_value")), e["submission"]["sha256"]]
        w.writerow([csv_cell(c) for c in row])
    return buf.getvalue()
