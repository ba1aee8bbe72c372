"""Joining a prediction file on the case id: stray whitespace, empty and duplicate ids, unknown
ids (with a diagnosis of lost zero padding and of ids written as numbers), missing ids; for
``long`` layouts unknown target suffixes and cases lacking a target's row. The result is in the
order of the public id list.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd

from .collect import count_of, MAX_EXAMPLES, ProblemReport, show
from .read import ids_of_lines, Lines
from ..data.public import PublicCases
from ..data.tasks import Task

__all__ = ["align_long", "align_wide", "ascending", "digit_width", "FLOATY_ID_RE", "IdCheck", "MAX_LISTED_IDS"]

#: Ids listed in a "missing ids" problem.
MAX_LISTED_IDS = 20
#: Distinct unknown target suffixes of a long file that get a "did you mean" suggestion.
_MAX_SUFFIXES = 50
#: An id written as a number with a decimal point, such as ``1130.0`` (a spreadsheet's doing).
FLOATY_ID_RE = re.compile(r"^(\d+)\.0*$")


def digit_width(ids: np.ndarray) -> Optional[int]:
    """The common length of the expected ids when all are digit strings of one length."""
    if len(ids) == 0:
        return None
    s = pd.Series(ids, dtype=object)
    lengths = s.str.len()
    if lengths.nunique() == 1 and s.str.isdigit().all():
        return int(lengths.iloc[0])
    return None


@dataclass
class IdCheck:
    task: Task
    expected: PublicCases
    rep: ProblemReport
    index: pd.Index  # expected ids
    width: Optional[int]
    id_column: str

    def where(self) -> str:
        return f"the public id list of {self.task.id}/{self.expected.split}"

    def recover(self, ids: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions of unknown ids recoverable by zero padding or by dropping ``.0``.

        Returns ``(padded, floaty, pos)``: masks of the two kinds and the recovered positions
        (-1 when neither applies).
        """
        pos = np.full(len(ids), -1, dtype=np.int64)
        padded = np.zeros(len(ids), dtype=bool)
        floaty = np.zeros(len(ids), dtype=bool)
        if len(ids) == 0:
            return padded, floaty, pos
        s = ids.astype(str)
        if self.width:
            digits = s.str.isdigit().to_numpy() & (s.str.len() < self.width).to_numpy()
            if digits.any():
                p = self.index.get_indexer(s[digits].str.zfill(self.width))
                padded[np.flatnonzero(digits)[p >= 0]] = True
                pos[np.flatnonzero(digits)[p >= 0]] = p[p >= 0]
        m = s.str.extract(FLOATY_ID_RE, expand=False)
        has = m.notna().to_numpy() & (pos < 0)
        if has.any():
            cand = m[has].astype(str)
            if self.width:
                cand = cand.str.zfill(self.width)
            p = self.index.get_indexer(cand)
            floaty[np.flatnonzero(has)[p >= 0]] = True
            pos[np.flatnonzero(has)[p >= 0]] = p[p >= 0]
        return padded, floaty, pos

    def report_recovered(self, raw: pd.Series, padded: np.ndarray, floaty: np.ndarray,
                         pos: np.ndarray, lines: np.ndarray, column: str) -> None:
        ids = self.index.to_numpy()
        if padded.any():
            idx = np.flatnonzero(padded)
            items = [(int(lines[i]) + 1, column, f"{show(raw.iloc[i])} for case {ids[pos[i]]!r}")
                     for i in idx[:MAX_EXAMPLES]]
            self.rep.examples(
                "id-zero-padding", len(idx), items,
                "the id lost its leading zeros",
                "{n} ids in total lost their leading zeros",
                expected=f"{self.width}-character zero-padded ids (e.g. {ids[0]!r})",
                fix="write the ids as zero-padded text (pandas: read them with dtype=str; "
                "spreadsheets: format the column as text)",
                column=column,
            )
        if floaty.any():
            idx = np.flatnonzero(floaty)
            items = [(int(lines[i]) + 1, column, f"{show(raw.iloc[i])} for case {ids[pos[i]]!r}")
                     for i in idx[:MAX_EXAMPLES]]
            self.rep.examples(
                "id-as-number", len(idx), items,
                "the id was written as a number",
                "{n} ids in total were written as numbers",
                expected=f"ids as text (e.g. {ids[0]!r})",
                fix="write the ids as text, not as floating-point numbers (pandas: dtype=str)",
                column=column,
            )

    def report_unknown(self, raw: pd.Series, mask: np.ndarray, lines: np.ndarray, column: str,
                       what: str = "id") -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        pattern = self.task.id_pattern
        items = []
        for i in idx[:MAX_EXAMPLES]:
            v = str(raw.iloc[i])
            note = ""
            if pattern and not re.fullmatch(pattern, v):
                note = f" (does not match the id pattern {pattern})"
            items.append((int(lines[i]) + 1, column, show(v) + note))
        hint = ""
        if pattern:
            s = raw.iloc[idx].astype(str)
            nomatch = int((~s.str.fullmatch(pattern)).sum())
            if nomatch:
                hint = f"; {count_of(nomatch, 'of them does', 'of them do')} not match {pattern}"
        ex = self.index[0] if len(self.index) else ""
        self.rep.examples(
            "unknown-id", len(idx), items,
            f"the {what} is not a case of {self.where()}",
            "{n} " + f"unknown {what}s in total{hint}",
            expected=f"an id of the split (e.g. {ex!r})",
            fix=f"remove rows of cases outside the split and check the id column {column!r}",
            column=column,
        )

    def report_duplicates(self, keys: np.ndarray, lines: np.ndarray, raw: pd.Series, column: str,
                          what: str) -> None:
        valid = keys >= 0
        if not valid.any():
            return
        sk = pd.Series(keys[valid])
        dup = sk.duplicated(keep="first").to_numpy()
        if not dup.any():
            return
        vidx = np.flatnonzero(valid)
        didx = vidx[dup]
        items = []
        for i in didx[:MAX_EXAMPLES]:
            first = vidx[np.flatnonzero(keys[vidx] == keys[i])[0]]
            items.append((int(lines[i]) + 1, column,
                          f"{show(raw.iloc[i])} (first on line {int(lines[first]) + 1})"))
        self.rep.examples(
            "duplicate-id", len(didx), items,
            f"the {what} appears more than once",
            "{n} " + f"duplicate {what} rows in total",
            expected=f"one row per {what}",
            fix="keep exactly one row per id",
            column=column,
        )

    def report_missing(self, missing: np.ndarray, column: str) -> None:
        idx = np.flatnonzero(missing)
        if not len(idx):
            return
        ids = self.index.to_numpy()
        listed = ", ".join(repr(str(ids[i])) for i in idx[:MAX_LISTED_IDS])
        more = f" and {len(idx) - MAX_LISTED_IDS:,} more" if len(idx) > MAX_LISTED_IDS else ""
        self.rep.add(
            "missing-ids",
            f"{count_of(len(idx), 'case')} of {self.where()} "
            f"{'has' if len(idx) == 1 else 'have'} no row",
            column=column,
            expected=f"one row for each of the {len(ids):,} cases",
            found=f"missing: {listed}{more}",
            fix="add a row for every id of the public id list",
        )


def _strip_ids(raw: np.ndarray, row_lines: np.ndarray, lines: Lines) -> tuple[pd.Series, np.ndarray]:
    """Stripped ids and a mask of ids that had spaces around them (checked only on lines with
    spaces or tabs)."""
    s = pd.Series(raw, dtype=object)
    ws = np.zeros(len(s), dtype=bool)
    has_space = lines.spaces[row_lines] > 0
    if has_space.any():
        idx = np.flatnonzero(has_space)
        sub = s.iloc[idx].astype(str)
        stripped = sub.str.strip()
        changed = (stripped != sub).to_numpy()
        ws[idx[changed]] = True
        s = s.copy()
        s.iloc[idx[changed]] = stripped[changed].to_numpy()
    return s, ws


def ascending(ids: np.ndarray) -> np.ndarray:
    """Expected positions in ascending case-id order (numeric when every id is digits).

    ``perm[r]`` is the position in ``ids`` of the ``r``-th smallest id: the case that row ``r``
    of a headerless file belongs to.
    """
    ids = [str(x) for x in ids]
    if ids and all(x.isdigit() for x in ids):
        return np.array(sorted(range(len(ids)), key=lambda i: (int(ids[i]), ids[i])), dtype=np.int64)
    return np.array(sorted(range(len(ids)), key=lambda i: ids[i]), dtype=np.int64)


def align_wide(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values, value_names,
                ck: IdCheck, c) -> Optional[np.ndarray]:
    n, k = len(ck.index), len(task.targets)
    col = fmt.id_column
    ids, ws = _strip_ids(raw_ids, row_lines, lines)
    if ws.any():
        idx = np.flatnonzero(ws)
        ck.rep.examples("id-whitespace", len(idx),
                        [(int(row_lines[i]) + 1, col, show(raw_ids[i])) for i in idx[:MAX_EXAMPLES]],
                        "the id has spaces around it", "{n} ids in total have spaces around them",
                        expected="ids without spaces", fix="remove the spaces around the ids",
                        column=col)
    ids = ids.astype(str)
    empty = (ids == "").to_numpy()
    if empty.any():
        idx = np.flatnonzero(empty)
        ck.rep.examples("empty-id", len(idx), [(int(row_lines[i]) + 1, col, "''") for i in idx[:MAX_EXAMPLES]],
                        "the id is empty", "{n} rows in total have an empty id",
                        expected="a case id", fix=f"write the case id in column {col!r}", column=col)
    pos = ck.index.get_indexer(ids)
    unknown = (pos < 0) & ~empty
    if unknown.any():
        uidx = np.flatnonzero(unknown)
        padded, floaty, rpos = ck.recover(ids.iloc[uidx])
        P = np.zeros(len(ids), bool)
        F = np.zeros(len(ids), bool)
        R = np.full(len(ids), -1, np.int64)
        P[uidx], F[uidx], R[uidx] = padded, floaty, rpos
        ck.report_recovered(ids, P, F, R, row_lines, col)
        pos = np.where(R >= 0, R, pos)
        ck.report_unknown(ids, unknown & (R < 0), row_lines, col)
    ck.report_duplicates(pos, row_lines, ids, col, "case")
    present = np.zeros(n, dtype=bool)
    present[pos[pos >= 0]] = True
    if len(dropped):
        extra = ck.index.get_indexer(pd.Series(ids_of_lines(lines, dropped, id_pos), dtype=object))
        present[extra[extra >= 0]] = True
    ck.report_missing(~present, col)
    if ck.rep.problems:
        return None
    scores = np.empty((n, k, c), dtype=np.float64)
    for j, name in enumerate(value_names):
        t, cl = divmod(j, c)
        scores[pos, t, cl] = values[name]
    return scores


def align_long(task, fmt, raw_ids, row_lines, lines, dropped, id_pos, values, value_names,
                ck: IdCheck, c) -> Optional[np.ndarray]:
    n, k = len(ck.index), len(task.targets)
    sep = fmt.separator
    col = fmt.id_column
    targets = list(task.targets)
    exp_ids = ck.index.to_numpy()
    ids, ws = _strip_ids(raw_ids, row_lines, lines)
    if ws.any():
        idx = np.flatnonzero(ws)
        ck.rep.examples("id-whitespace", len(idx),
                        [(int(row_lines[i]) + 1, col, show(raw_ids[i])) for i in idx[:MAX_EXAMPLES]],
                        "the row id has spaces around it",
                        "{n} row ids in total have spaces around them",
                        expected="row ids without spaces", fix="remove the spaces around the row ids",
                        column=col)
    ids = ids.astype(str)
    empty = (ids == "").to_numpy()
    if empty.any():
        idx = np.flatnonzero(empty)
        ck.rep.examples("empty-id", len(idx), [(int(row_lines[i]) + 1, col, "''") for i in idx[:MAX_EXAMPLES]],
                        "the row id is empty", "{n} rows in total have an empty row id",
                        expected=f"`<{task.id_column}>{sep}<target>`",
                        fix=f"write the row id in column {col!r}", column=col)
    row_index = pd.Index([f"{i}{sep}{t}" for i in exp_ids for t in targets], dtype=object)
    pos = row_index.get_indexer(ids)
    unmatched = (pos < 0) & ~empty
    claimed = np.zeros(0, dtype=np.int64)
    if unmatched.any():
        pos, claimed = _diagnose_long(task, fmt, ids, unmatched, pos, row_lines, ck)
    ck.report_duplicates(pos, row_lines, ids, col, "row id")
    present = np.zeros(n * k, dtype=bool)
    present[pos[pos >= 0]] = True
    present[claimed] = True  # rows already reported with a misspelled target suffix
    if len(dropped):
        extra = row_index.get_indexer(pd.Series(ids_of_lines(lines, dropped, id_pos), dtype=object))
        present[extra[extra >= 0]] = True
    present = present.reshape(n, k)
    any_row = present.any(axis=1)
    ck.report_missing(~any_row, col)
    for t, name in enumerate(targets):
        miss = any_row & ~present[:, t]
        if miss.any():
            idx = np.flatnonzero(miss)
            listed = ", ".join(repr(f"{exp_ids[i]}{sep}{name}") for i in idx[:MAX_EXAMPLES])
            more = f" and {len(idx) - MAX_EXAMPLES:,} more" if len(idx) > MAX_EXAMPLES else ""
            ck.rep.add(
                "missing-rows",
                f"{count_of(len(idx), 'case')} {'has' if len(idx) == 1 else 'have'} rows for other "
                f"targets but none for {name!r}",
                column=col,
                expected=f"{k} rows per case, one per target",
                found=f"missing: {listed}{more}",
                fix=f"add a row `<{task.id_column}>{sep}{name}` for every case",
            )
    if ck.rep.problems:
        return None
    scores = np.empty((n * k, c), dtype=np.float64)
    for cl, name in enumerate(value_names):
        scores[pos, cl] = values[name]
    return scores.reshape(n, k, c)


def _diagnose_long(task, fmt, ids: pd.Series, unmatched: np.ndarray, pos: np.ndarray,
                   row_lines: np.ndarray, ck: IdCheck) -> tuple[np.ndarray, np.ndarray]:
    """Explain row ids that are not ``<case><sep><target>`` of the split; recover what can be.

    Returns the row positions (``case * k + target``; -1 when unknown) with recovered ids
    filled in, and the positions claimed by rows whose target suffix is a recognisable
    misspelling (already reported, so not reported again as missing).
    """
    sep = fmt.separator
    col = fmt.id_column
    k = len(task.targets)
    targets = list(task.targets)
    tindex = {t: i for i, t in enumerate(targets)}
    uidx = np.flatnonzero(unmatched)
    sub = ids.iloc[uidx].astype(str)
    exp_ids = ck.index.to_numpy()
    if not any(sep in str(i) for i in exp_ids[: min(len(exp_ids), 1000)]):
        parts = sub.str.partition(sep)
        case, has_sep, suffix = parts[0], (parts[1] != "").to_numpy(), parts[2]
    else:  # case ids contain the separator: take the longest known target suffix
        case_l, suf_l, has_l = [], [], []
        for rid in sub:
            hit = next((t for t in sorted(targets, key=len, reverse=True)
                        if rid.endswith(sep + t)), None)
            if hit is None:
                a, s_, b = rid.rpartition(sep)
                case_l.append(a if s_ else rid)
                suf_l.append(b if s_ else "")
                has_l.append(bool(s_))
            else:
                case_l.append(rid[: -len(sep + hit)])
                suf_l.append(hit)
                has_l.append(True)
        case = pd.Series(case_l, dtype=object)
        suffix = pd.Series(suf_l, dtype=object)
        has_sep = np.array(has_l, dtype=bool)
    case = case.reset_index(drop=True)
    suffix = suffix.reset_index(drop=True)
    tpos = suffix.map(tindex).to_numpy()
    t_known = pd.notna(tpos) & has_sep
    cpos = ck.index.get_indexer(case)
    c_known = cpos >= 0
    # Unknown case parts: try zero padding / numbers.
    padded, floaty, rpos = ck.recover(case)
    recovered = ~c_known & (rpos >= 0)
    cpos = np.where(recovered, rpos, cpos)
    lines_u = row_lines[uidx]
    ck.report_recovered(case, padded & recovered, floaty & recovered, rpos, lines_u, col)
    # No separator at all.
    nosep = ~has_sep
    if nosep.any():
        idx = np.flatnonzero(nosep)
        ck.rep.examples(
            "unknown-id", len(idx),
            [(int(lines_u[i]) + 1, col, show(sub.iloc[i])) for i in idx[:MAX_EXAMPLES]],
            f"the row id is not of the form `<{task.id_column}>{sep}<target>`",
            "{n} " + f"row ids in total are not of the form `<{task.id_column}>{sep}<target>`",
            expected=f"e.g. {exp_ids[0] if len(exp_ids) else task.id_example}{sep}{targets[0]}",
            fix=f"write row ids as `<{task.id_column}>{sep}<target>` with target one of "
            f"{', '.join(targets[:8])}{', ...' if k > 8 else ''}",
            column=col,
        )
    # Unknown target suffix.
    badt = has_sep & ~t_known
    claimed: list[np.ndarray] = []
    if badt.any():
        idx = np.flatnonzero(badt)
        codes, distinct = pd.factorize(suffix.iloc[idx].to_numpy())
        low = {t.lower(): t for t in targets}
        # Suggestions for the most frequent distinct suffixes only (bounded work).
        freq = np.bincount(codes, minlength=len(distinct))
        ranked = sorted(range(len(distinct)), key=lambda j: (-freq[j], j))[:_MAX_SUFFIXES]
        reported = 0
        for j in sorted(ranked):
            sfx = str(distinct[j])
            guess = low.get(sfx.lower())
            if guess is None:
                close = difflib.get_close_matches(sfx.lower(), list(low), n=1, cutoff=0.6)
                guess = low[close[0]] if close else None
            where = idx[codes == j]
            if guess is not None:
                cp = cpos[where]
                claimed.append(cp[cp >= 0] * k + tindex[guess])
            if reported >= MAX_EXAMPLES:
                continue
            reported += 1
            ck.rep.add(
                "unknown-target",
                f"{count_of(len(where), 'row id')} {'ends' if len(where) == 1 else 'end'} in "
                f"the unknown target {sfx!r}" + (f"; did you mean {guess!r}?" if guess else ""),
                line=int(lines_u[where[0]]) + 1,
                column=col,
                expected="a target of " + ", ".join(targets[:8]) + (", ..." if k > 8 else ""),
                found=show(sub.iloc[where[0]]),
                fix=(f"rename the suffix {sfx!r} to {guess!r}" if guess
                     else "use one of the task's target names as the row id suffix"),
            )
        if len(distinct) > MAX_EXAMPLES:
            ck.rep.add("unknown-target", f"{len(distinct) - MAX_EXAMPLES:,} more unknown target "
                       f"suffixes ({count_of(len(idx), 'row')} with unknown targets in total)",
                       column=col, fix="use only the task's target names as suffixes")
    # Unknown case part (with a valid or invalid target).
    badc = has_sep & (cpos < 0)
    if badc.any():
        ck.report_unknown(case, badc, lines_u, col, what="case id")
    ok = t_known & (cpos >= 0)
    newpos = pos.copy()
    tp = np.where(ok, tpos, 0).astype(np.int64)
    newpos[uidx[ok]] = cpos[ok] * k + tp[ok]
    claimed_pos = np.concatenate(claimed).astype(np.int64) if claimed else np.zeros(0, np.int64)
    return newpos, claimed_pos
