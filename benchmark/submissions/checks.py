"""Checks of a prediction file's rows and values, one function per check, composed by
:func:`benchmark.submissions.submission.read_submission`.

Field counts per row; values (empty, NaN, infinite, text, decimal commas, percent signs,
logits, percentages, rounding just outside [0, 1]); hard 0/1 predictions in an AUC task; rows
of class probabilities. Every message depends on the file alone, never on the labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from .collect import count_of, MAX_EXAMPLES, ProblemReport, show
from .formats import Layout
from .read import DECIMAL_COMMA_RE, detect_delimiter, Lines
from ..data.declarations import FormatDecl
from ..data.tasks import Task

__all__ = ["check_class_rows", "check_hard_predictions", "check_values", "report_field_counts", "ROUNDING_TOLERANCE", "ROW_SUM_TOLERANCE"]

#: A row of class probabilities whose sum differs from 1 by more than this gets a warning.
ROW_SUM_TOLERANCE = 1e-5
_NAN_WORDS = {"nan", "-nan", "+nan", "na", "n/a", "#n/a", "null", "none", "nil", "<na>", "nat"}
# Unambiguous (one way to split the digits), so a hostile 10 MB cell is matched in linear time;
# ``\d+\.?\d*`` backtracks quadratically on a long run of digits.
_PERCENT_RE = re.compile(r"^\s*[+-]?(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
_INT_TOKEN_RE = re.compile(r"^\s*[+-]?\d+\s*$")
#: A value outside [0, 1] by at most this much is floating-point rounding, not a percentage or
#: a logit: ``1.0000000001`` (``1 + 1e-10``) or ``-1e-17``. Single-precision rounding of 1 is
#: ``1 + 1.19e-7``, inside the tolerance; a percentage or a logit above 1 is far outside it.
#: In binary tasks such a value is accepted with a warning and read as 0 or 1; in multi-class
#: tasks values above 1 are accepted anyway and a tiny negative value is still refused (the
#: competition's scorer refused every negative prediction).
ROUNDING_TOLERANCE = 1e-6
_SIGMOID = "apply a sigmoid to every value, p = 1 / (1 + exp(-x)), and write p"
_SOFTMAX = ("apply a softmax to the class values of each row, p_k = exp(x_k) / sum_j exp(x_j), "
            "and write p")


@dataclass(frozen=True)
class _ValueKind:
    code: str
    message: str  # one cell
    summary: str  # the count, with {n}
    fix: str
    warning: bool = False


def _value_kinds(kind: str) -> list[_ValueKind]:
    """The kinds of cell value reported in stage 7, in report order, for a task ``kind``.

    Every message is a function of the cell's text and of the other values of the same file
    (whether the file holds negative values), never of the labels.
    """
    binary = kind == "binary"
    unit = "a probability in [0, 1]" if binary else "a class probability (a non-negative number)"
    logit_fix = _SIGMOID if binary else _SOFTMAX
    kinds = [
        _ValueKind("empty-value", "the value is empty", "{n} values in total are empty",
                   f"write {unit} in every cell"),
        _ValueKind("nan-value", "the value is NaN / missing",
                   "{n} values in total are NaN / missing", f"replace NaN with {unit}"),
        _ValueKind("infinite-value", "the value is infinite", "{n} values in total are infinite",
                   f"write {unit}; if the values are logits, {logit_fix}"),
        _ValueKind("decimal-comma", "the value uses a decimal comma",
                   "{n} values in total use a decimal comma", "use '.' as the decimal separator"),
        _ValueKind("percent-sign", "the value has a percent sign",
                   "{n} values in total have a percent sign",
                   "write probabilities in [0, 1] without '%'"),
        _ValueKind("not-a-number", "the value is not a number",
                   "{n} values in total are not numbers", f"write {unit}"),
        _ValueKind("logit", "the value is negative: it looks like a logit (log-odds), not a "
                   "probability", "{n} values in total are negative and look like logits",
                   logit_fix),
    ]
    if binary:
        kinds += [
            _ValueKind("logit-above-one", "the value is above 1 and the file holds negative "
                       "values: it looks like a logit (log-odds), not a probability",
                       "{n} values in total are above 1 in a file with negative values and look "
                       "like logits", logit_fix),
            _ValueKind("percentage", "the value is above 1 and at most 100: it looks like a "
                       "percentage", "{n} values in total are between 1 and 100 and look like "
                       "percentages", "divide the values by 100"),
            _ValueKind("above-one", "the value is above 100: neither a probability nor a "
                       "percentage", "{n} values in total are above 100",
                       f"write probabilities in [0, 1]; if the values are logits, {logit_fix}"),
            _ValueKind("rounding", f"the value is outside [0, 1] by at most "
                       f"{ROUNDING_TOLERANCE:g} (floating-point rounding): it is read as the "
                       f"nearest of 0 and 1", f"{{n}} values in total are outside [0, 1] by at "
                       f"most {ROUNDING_TOLERANCE:g} and are read as 0 or 1",
                       "clip the values to [0, 1] before writing", warning=True),
        ]
    else:
        kinds += [
            _ValueKind("negative-value", f"the value is negative by at most "
                       f"{ROUNDING_TOLERANCE:g} (floating-point rounding?); negative predictions "
                       f"are refused, as the competition's scorer refused them",
                       "{n} values in total are slightly negative",
                       "write 0 instead of tiny negative values"),
            _ValueKind("value-above-one", "the value is above 1: as the competition's scorer "
                       "did, it is clipped to 1 - 2.2e-16 before its row is rescaled, so it "
                       "counts as 1 (a row of percentages is not the same prediction as the row "
                       "divided by 100)",
                       "{n} values in total are above 1 and count as 1 when scored",
                       "divide each row by its sum (by 100 for percentages)", warning=True),
        ]
    return kinds


def _classify_text(s: pd.Series, v: np.ndarray, kind: str, has_negative: bool
                   ) -> dict[str, np.ndarray]:
    """Masks of value kinds for one column: ``s`` the text, ``v`` its numeric parse."""
    nan = np.isnan(v)
    kinds = {k.code: np.zeros(len(v), dtype=bool) for k in _value_kinds(kind)}
    if nan.any():
        idx = np.flatnonzero(nan)
        sub = s.iloc[idx].astype(str).str.strip()
        empty = (sub == "").to_numpy()
        low = sub.str.lower()
        nanword = low.isin(_NAN_WORDS).to_numpy() & ~empty
        dec = sub.str.match(DECIMAL_COMMA_RE).to_numpy() & ~empty
        pct = sub.str.match(_PERCENT_RE).to_numpy() & ~empty
        other = ~(empty | nanword | dec | pct)
        kinds["empty-value"][idx[empty]] = True
        kinds["nan-value"][idx[nanword]] = True
        kinds["decimal-comma"][idx[dec]] = True
        kinds["percent-sign"][idx[pct]] = True
        kinds["not-a-number"][idx[other]] = True
    _range_kinds(v, kinds, kind, has_negative)
    return kinds


def _range_kinds(v: np.ndarray, kinds: dict[str, np.ndarray], kind: str, has_negative: bool
                 ) -> None:
    """Range kinds of the numbers ``v``; ``has_negative``: the file holds a value below
    ``-ROUNDING_TOLERANCE`` (then values above 1 are logits too, not percentages)."""
    tol = ROUNDING_TOLERANCE
    with np.errstate(invalid="ignore"):
        kinds["infinite-value"] |= np.isinf(v)
        finite = np.isfinite(v)
        kinds["logit"] |= finite & (v < -tol)
        if kind == "binary":
            above = finite & (v > 1 + tol)
            kinds["rounding"] |= finite & (((v >= -tol) & (v < 0)) | ((v > 1) & (v <= 1 + tol)))
            if has_negative:
                kinds["logit-above-one"] |= above
            else:
                kinds["percentage"] |= above & (v <= 100)
                kinds["above-one"] |= above & (v > 100)
        else:
            kinds["negative-value"] |= finite & (v >= -tol) & (v < 0)
            kinds["value-above-one"] |= finite & (v > 1)


def _file_has_negative(values: dict[str, np.ndarray]) -> bool:
    with np.errstate(invalid="ignore"):
        return any(bool((v < -ROUNDING_TOLERANCE).any()) for v in values.values())


def check_values(df: pd.DataFrame, numeric: bool, cols: list[tuple[str, int]], line_of: np.ndarray,
                  rep: ProblemReport, lines: Lines, kind: str) -> tuple[dict[str, np.ndarray], bool]:
    """Check every value column; return ``{name: float values}`` and whether all are valid.

    ``cols`` lists ``(column name, position)``. When ``numeric``, the frame's value columns
    were parsed as float64 (every cell was a number), so only range problems remain and the
    text of the few cells quoted in messages is taken from the line itself. Values that only
    raise a warning are kept; in binary tasks a value within ``ROUNDING_TOLERANCE`` of [0, 1]
    is replaced by the nearest of 0 and 1.
    """
    values: dict[str, np.ndarray] = {}
    for name, pos in cols:
        if numeric:
            values[name] = df[pos].to_numpy(dtype=np.float64)
        else:
            values[name] = pd.to_numeric(df[pos], errors="coerce").to_numpy(dtype=np.float64)
    bad_any = False
    for name, _ in cols:
        v = values[name]
        with np.errstate(invalid="ignore"):
            if not (np.isfinite(v).all() and (v >= 0).all() and (v <= 1).all()):
                bad_any = True
                break
    if not bad_any:
        return values, True

    def cell_text(r: int, pos: int) -> str:
        if not numeric:
            return str(df[pos].iloc[r])
        fields = lines.split(int(line_of[r]))
        return fields[pos] if pos < len(fields) else ""

    table = _value_kinds(kind)
    has_negative = _file_has_negative(values)
    per_kind: dict[str, list[tuple[int, int, int]]] = {k.code: [] for k in table}
    totals: dict[str, int] = {k.code: 0 for k in table}
    col_count: dict[str, set] = {k.code: set() for k in table}
    for ci, (name, pos) in enumerate(cols):
        if numeric:
            kinds = {k.code: np.zeros(len(values[name]), dtype=bool) for k in table}
            _range_kinds(values[name], kinds, kind, has_negative)
        else:
            kinds = _classify_text(df[pos], values[name], kind, has_negative)
        for code, mask in kinds.items():
            hits = np.flatnonzero(mask)
            if len(hits):
                totals[code] += len(hits)
                col_count[code].add(name)
                for r in hits[:MAX_EXAMPLES]:
                    per_kind[code].append((int(r), ci, pos))
        if kind == "binary" and kinds["rounding"].any():
            values[name] = np.where(kinds["rounding"], np.clip(values[name], 0.0, 1.0), values[name])
    expected = "a probability in [0, 1]" if kind == "binary" else "a non-negative class probability"
    ok = True
    for k in table:
        if not totals[k.code]:
            continue
        ok = ok and k.warning
        ex = sorted(per_kind[k.code])[:MAX_EXAMPLES]
        items = [(int(line_of[r]) + 1, cols[ci][0], show(cell_text(r, pos))) for r, ci, pos in ex]
        column = next(iter(col_count[k.code])) if len(col_count[k.code]) == 1 else None
        rep.examples(k.code, totals[k.code], items, k.message, k.summary,
                     expected=expected, fix=k.fix, column=column, warning=k.warning)
    return values, ok


def _auc_task(task: Task) -> bool:
    return any(spec.metric.rank_based for spec in task.metric_specs())


def check_hard_predictions(task: Task, scores: np.ndarray, rep: ProblemReport) -> None:
    """Warn about binary target columns of exactly two distinct values in an AUC task.

    A column of 0/1 decisions (or any two values) has a ROC curve with one operating point:
    its AUC is the balanced accuracy ``(sensitivity + specificity) / 2`` at that threshold,
    every tie between a positive and a negative case counts one half, and the curve cannot be
    compared with a reader at another specificity. A constant column (a prevalence baseline)
    is left alone: its AUC of 0.5 says what it is.
    """
    if task.kind != "binary" or not _auc_task(task):
        return
    for j, target in enumerate(task.targets):
        distinct = np.unique(scores[:, j])
        if len(distinct) != 2:
            continue
        rep.add("hard-predictions",
                f"the column holds only the values {distinct[0]:g} and {distinct[1]:g}: its ROC "
                "curve has a single operating point, so its AUC is the balanced accuracy "
                "(sensitivity + specificity) / 2 at that threshold",
                column=target, expected="a continuous probability or score per case",
                found="2 distinct values",
                fix="submit the model's probabilities before any threshold is applied",
                warning=True)


def check_class_rows(task: Task, fmt: FormatDecl, values: dict, row_lines: np.ndarray,
                      df: pd.DataFrame, id_pos: Optional[int], rep: ProblemReport) -> None:
    """Row-level checks of class probabilities, in file order (before ids are matched)."""
    c = len(task.classes)
    m = len(row_lines)
    if fmt.layout == "long":
        names = list(fmt.value_columns or [])
        if not all(nm in values for nm in names):
            return

        def label(i: int) -> str:
            return show(df[id_pos].iloc[int(i)]) if id_pos is not None else f"row {int(i) + 1}"

        _multiclass_rows(np.column_stack([values[nm] for nm in names]), row_lines, label, rep, None)
        return
    targets = [t for t in task.targets
               if all(f"{t}{fmt.separator}{cl}" in values for cl in task.classes)]
    if not targets:
        return
    v = np.stack([np.column_stack([values[f"{t}{fmt.separator}{cl}"] for cl in task.classes])
                  for t in targets], axis=1).reshape(m * len(targets), c)
    kk = len(targets)

    def label2(i: int) -> str:
        r, t = divmod(int(i), kk)
        who = show(df[id_pos].iloc[r]) + " " if id_pos is not None else ""
        return f"{who}{targets[t]}"

    _multiclass_rows(v, np.repeat(row_lines, kk), label2, rep, None)


def report_field_counts(lines: Lines, idx: np.ndarray, ncols: int, layout: Layout,
                         id_pos: Optional[int], n_values: int, rep: ProblemReport) -> None:
    cols = ",".join(layout.columns) if layout.header_line is not None else None
    expected = (f"{ncols} fields like the header `{cols}`" if cols is not None and len(cols) <= 200
                else f"{ncols} fields")
    items = []
    hint_any = ""
    for i in idx[:MAX_EXAMPLES]:
        text = lines.text(int(i))
        nf = int(lines.fields[i])
        hint = ""
        if nf == 1:
            alt = detect_delimiter(text)
            if alt is not None:
                hint = f"; the fields seem separated by {alt[0]}"
        elif nf > ncols and '"' not in text:
            toks = text.split(",")
            vals = [t for j, t in enumerate(toks) if j != (id_pos if id_pos is not None else -1)]
            ints = [bool(_INT_TOKEN_RE.match(t)) for t in vals]
            if any(a and b for a, b in zip(ints, ints[1:])):
                hint = "; the values seem to use a decimal comma (0,5 instead of 0.5)"
            else:
                hint = "; a field may hold an unquoted comma"
        hint_any = hint_any or hint
        items.append((int(i) + 1, None, f"{count_of(nf, 'field')}{hint}: {show(text)}"))
    if "decimal comma" in hint_any:
        fix = "use '.' as the decimal separator (or quote each value containing a comma)"
    elif "separated by" in hint_any:
        fix = "separate all fields with commas"
    else:
        fix = f"write exactly {ncols} comma-separated fields on every line"
    rep.examples("field-count", len(idx), items, f"the line does not have {ncols} fields",
                 "{n} lines in total have the wrong number of fields", expected=expected, fix=fix)


def _multiclass_rows(v: np.ndarray, line_of: np.ndarray, label, rep: ProblemReport,
                     column: Optional[str]) -> None:
    """Warn about rows of class probabilities ``v`` (m, c) that the scorer rescales.

    ``line_of[i]`` is the 0-based line of row ``i``; ``label(i)`` names it in messages. Rows
    with a bad cell were reported in stage 7 and rows with a value above 1 got a warning
    there. Of the other rows, one summing to 0 scores as 1/3 per class (every value is
    clipped up to the float64 epsilon, then the row is rescaled) and one whose sum differs
    from 1 is rescaled to sum to 1, as the competition's scorer did; both get a warning.
    """
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(v).all(axis=1) & (v >= 0).all(axis=1) & (v <= 1).all(axis=1)
        s = v.sum(axis=1)
    zero = valid & (s == 0)
    if zero.any():
        idx = np.flatnonzero(zero)
        rep.examples("zero-row", len(idx),
                     [(int(line_of[i]) + 1, column, label(i)) for i in idx[:MAX_EXAMPLES]],
                     "all class probabilities of the row are 0: as the competition's scorer "
                     "did, they are clipped to 2.2e-16 and the row scores as 1/3 per class",
                     "{n} rows in total have all class probabilities 0 and score as 1/3 per class",
                     expected="class probabilities summing to 1",
                     fix="give every row its class probabilities (summing to 1)",
                     column=column, warning=True)
    off = valid & (s > 0) & (np.abs(s - 1) > ROW_SUM_TOLERANCE)
    if off.any():
        idx = np.flatnonzero(off)
        rep.examples("row-sum", len(idx),
                     [(int(line_of[i]) + 1, column, f"{label(i)} sums to {s[i]:.6g}")
                      for i in idx[:MAX_EXAMPLES]],
                     "the class probabilities do not sum to 1; the class log losses rescale "
                     "the row to sum to 1, as the competition's scorer did (a metric of one "
                     "class alone uses its value as written)",
                     "{n} rows in total do not sum to 1 and are rescaled when scored",
                     expected="class probabilities summing to 1",
                     fix="normalise each row (divide by its sum)", column=column, warning=True)
