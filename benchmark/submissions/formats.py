"""Submission formats: what a task accepts (wide, long, headerless), the header each expects,
how a file's layout is recognised, and the header checks.

A file's format is the one named by the caller, or the one whose header its first line
matches. A first line of ``k`` numbers (``k`` = value columns of the task) selects the
``headerless`` layout when the task declares one. Cases that fit no format unambiguously are
reported as such, not guessed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Optional

from .align import FLOATY_ID_RE
from .collect import count_of, MAX_EXAMPLES, ProblemReport, show
from .read import DECIMAL_COMMA_RE, detect_delimiter, Lines
from ..data.declarations import FormatDecl
from ..data.tasks import Task

__all__ = ["canonical_format", "check_header", "describe_formats", "expected_header", "format_names", "header_fits", "Layout", "MAX_COLUMN_NAME", "MAX_HEADER_CHARS", "resolve_layout", "value_slots"]

#: Unexpected header columns reported one by one (with suggestions); the rest are counted.
_MAX_EXTRA_COLUMNS = 10


def value_slots(task: Task, fmt: FormatDecl) -> list[str]:
    """Names of the value columns of a row of ``fmt`` (wide/headerless), target-major."""
    if task.kind == "binary":
        return list(task.targets)
    return [f"{t}{fmt.separator}{c}" for t in task.targets for c in task.classes]


def expected_header(task: Task, fmt: FormatDecl) -> Optional[list[str]]:
    """Column names a file of format ``fmt`` must have; ``None`` for the headerless layout.

    Parameters
    ----------
    task : Task
    fmt : FormatDecl

    Returns
    -------
    list of str or None
    """
    if fmt.layout == "headerless":
        return None
    if fmt.layout == "long":
        return [fmt.id_column] + list(fmt.value_columns or [])
    return [fmt.id_column] + value_slots(task, fmt)


def canonical_format(task: Task) -> FormatDecl:
    """The format :func:`write_canonical` writes: ``canonical`` if declared, else the first
    declared format with a header row, else the first format."""
    for f in task.formats:
        if f.name == "canonical":
            return f
    for f in task.formats:
        if f.layout != "headerless":
            return f
    return task.formats[0]


def _example_values(task: Task, fmt: FormatDecl) -> list[str]:
    if task.kind == "binary":
        per = ["0.5"]
    else:
        c = len(task.classes)
        per = ["0.8", "0.15", "0.05"] if c == 3 else [repr(round(1 / c, 4))] * c
    if fmt.layout == "long":
        return per
    return per * len(task.targets)


def _example_id(task: Task) -> str:
    return task.id_example or "<id>"


def _layout_text(task: Task, fmt: FormatDecl) -> str:
    head = expected_header(task, fmt)
    vals = _example_values(task, fmt)
    if fmt.layout == "headerless":
        return (
            f"no header and no id column: {count_of(len(vals), 'value column')} "
            f"({', '.join(value_slots(task, fmt))}), one row per case in ascending case-id order; "
            f"e.g. first row `{','.join(vals)}`"
        )
    if fmt.layout == "long":
        rid = f"{_example_id(task)}{fmt.separator}{task.targets[0]}"
        return (
            f"header row `{','.join(head)}`, one row per case and target, {fmt.id_column} = "
            f"`<{task.id_column}>{fmt.separator}<target>`, any row order; "
            f"e.g. first data row `{rid},{','.join(vals)}`"
        )
    return (
        f"header row `{','.join(head)}`, one row per case, any row order; "
        f"e.g. first data row `{_example_id(task)},{','.join(vals)}`"
    )


def describe_formats(task: Task) -> str:
    """Describe the submission formats a task accepts, for fix messages and documentation.

    Parameters
    ----------
    task : Task

    Returns
    -------
    str
        One line per format with its header and an example first row built from
        ``task.id_example``.
    """
    lines = [f"Accepted submission formats of task {task.id!r} (comma-separated, UTF-8):"]
    for f in task.formats:
        lines.append(f"- {f.name}: {_layout_text(task, f)}.")
    return "\n".join(lines)


def format_names(task: Task) -> str:
    return ", ".join(repr(f.name) for f in task.formats)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@dataclass
class Layout:
    fmt: FormatDecl
    header_line: Optional[int]  # 0-based line index of the header, None when headerless
    columns: list[str]  # header names (stripped) or slot names for headerless


def _looks_like_id(task: Task, text: str, expected_set: set, width: Optional[int]) -> bool:
    t = text.strip()
    if not t:
        return False
    if t in expected_set:
        return True
    if width and t.isdigit() and len(t) < width and t.zfill(width) in expected_set:
        return True
    if task.id_pattern and re.fullmatch(task.id_pattern, t):
        return True
    return False


def resolve_layout(task: Task, fmt_name: Optional[str], lines: Lines, first: int,
                    expected_set: set, width: Optional[int], rep: ProblemReport) -> Optional[Layout]:
    text = lines.text(first)
    fields = [f.strip() for f in lines.split(first)]
    line_no = first + 1
    all_names = {n for f in task.formats for n in (expected_header(task, f) or [])}

    if lines.bad_quotes[first]:
        rep.add("malformed-quotes", "the first line has unbalanced or misplaced double quotes",
                line=line_no, found=show(text),
                fix='enclose whole fields in double quotes ("...") and write a quote inside a '
                'quoted field as ""')
        return None

    # Delimiter: every format has at least two columns.
    if len(fields) == 1:
        alt = detect_delimiter(text)
        if alt is not None:
            name = alt[0]
            rep.add(
                "wrong-delimiter",
                f"fields are separated by {name}, not by commas",
                line=line_no,
                expected="comma-separated fields",
                found=show(text),
                fix="save the file as comma-separated CSV; a spreadsheet set to a locale with "
                "decimal commas also needs its decimal separator switched to '.'",
            )
            return None

    def numeric(f: str) -> bool:
        return _is_number(f) or bool(DECIMAL_COMMA_RE.match(f))

    nonempty = [f for f in fields if f]
    is_numeric = bool(nonempty) and all(numeric(f) for f in nonempty)
    lower_names = {n.lower() for n in all_names}
    has_name = any(f.lower() in lower_names for f in fields)
    data_like = bool(nonempty) and not has_name and all(
        numeric(f) or _looks_like_id(task, f, expected_set, width) or _looks_like_row_id(task, f)
        for f in nonempty
    )
    headerless = [f for f in task.formats if f.layout == "headerless"]
    with_header = [f for f in task.formats if f.layout != "headerless"]

    if fmt_name is not None:
        fmt = task.format(fmt_name)
        if fmt.layout == "headerless":
            if not is_numeric:
                rep.add("unexpected-header",
                        f"format {fmt.name!r} has no header row, but the first line is not a row "
                        "of numbers", line=line_no,
                        expected=f"{len(value_slots(task, fmt))} numbers",
                        found=show(text),
                        fix=f"delete the header line, or choose another format ({format_names(task)})")
                return None
            return Layout(fmt, None, value_slots(task, fmt))
        if data_like:
            rep.add("missing-header", f"format {fmt.name!r} starts with a header row, but the "
                    "first line holds data", line=line_no,
                    expected=f"`{','.join(expected_header(task, fmt))}`", found=show(text),
                    fix=f"add the header line `{','.join(expected_header(task, fmt))}` at the top")
            return None
        return Layout(fmt, first, fields)

    if data_like:
        if headerless and is_numeric:
            fmt = headerless[0]
            k = len(value_slots(task, fmt))
            if len(fields) == k + 1 and _looks_like_id_number(task, fields[0], expected_set, width):
                wide = [f for f in with_header if f.layout == "wide"]
                alt = f"add the header `{','.join(expected_header(task, wide[0]))}` ({wide[0].name} format)" \
                    if wide else "add the header of another format"
                rep.add(
                    "ambiguous-format",
                    f"the first line has {k + 1} numeric columns and the first looks like a case "
                    f"id: an id column without a header fits no accepted format",
                    line=line_no,
                    expected=f"{k} probability columns ({fmt.name}) or a header row",
                    found=show(text),
                    fix=f"either {alt}, or delete the id column and keep one row per case in "
                    f"ascending case-id order ({fmt.name} format)",
                )
                return None
            return Layout(fmt, None, value_slots(task, fmt))
        target = with_header[0] if with_header else None
        if target is not None:
            rep.add(
                "missing-header",
                "the first line holds data, but the file needs a header row",
                line=line_no,
                expected=f"`{','.join(expected_header(task, target))}`",
                found=show(text),
                fix=f"add the header line `{','.join(expected_header(task, target))}` at the top",
            )
            return None

    # A header row: choose the closest declared format.
    lowered = [f.lower() for f in fields]
    best, best_score = None, 0.0
    for f in with_header:
        exp = expected_header(task, f)
        exp_lower = [e.lower() for e in exp]
        score = 0.0
        for name, low in zip(fields, lowered):
            if name in exp:
                score += 1
            elif low in exp_lower or difflib.get_close_matches(low, exp_lower, n=1, cutoff=0.75):
                score += 0.5
        if score > best_score:
            best, best_score = f, score
    if headerless:
        slots = value_slots(task, headerless[0])
        id_cols = {f.id_column for f in with_header}
        if best is not None and fields and set(fields) <= set(slots) and not (set(fields) & id_cols):
            wide = [f for f in with_header if f.layout == "wide"]
            id_col = wide[0].id_column if wide else task.id_column
            rep.add(
                "ambiguous-format",
                f"the header names the value columns but there is no {id_col!r} column: the file "
                f"is neither the {best.name!r} format (which needs the {id_col!r} column) nor the "
                f"{headerless[0].name!r} format (which has no header)",
                line=line_no,
                expected=f"`{','.join(expected_header(task, best))}`",
                found=show(text),
                fix=f"either add a {id_col!r} column with the case ids, or delete the header line "
                f"and keep one row per case in ascending case-id order",
            )
            return None
    if best is None:
        rep.add(
            "unrecognised-header",
            "the header matches none of the task's submission formats",
            line=line_no,
            expected=" or ".join(f"`{','.join(expected_header(task, f))}`" for f in with_header)
            or "no header",
            found=show(text),
            fix=describe_formats(task),
        )
        return None
    return Layout(best, first, fields)


def _looks_like_row_id(task: Task, text: str) -> bool:
    t = text.strip()
    for f in task.formats:
        if f.layout == "long" and any(t.endswith(f.separator + tg) for tg in task.targets):
            return True
    return False


def _looks_like_id_number(task: Task, text: str, expected_set: set, width: Optional[int]) -> bool:
    t = text.strip()
    if _looks_like_id(task, t, expected_set, width):
        return True
    m = FLOATY_ID_RE.match(t)
    if m and m.group(1) in expected_set:
        return True
    try:
        v = float(t)
    except ValueError:
        return False
    return v > 1 and float(v).is_integer()


def check_header(task: Task, layout: Layout, raw_fields: list[str], rep: ProblemReport) -> dict:
    """Map expected column names to positions in the file; report header problems."""
    fmt = layout.fmt
    expected = expected_header(task, fmt)
    line = layout.header_line + 1
    names = layout.columns
    if any(r != n for r, n in zip(raw_fields, names)):
        rep.add("header-whitespace", "header names have spaces around them; they were ignored",
                line=line, warning=True, fix="remove the spaces from the header line")
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        positions.setdefault(n, []).append(i)
    mapping: dict[str, int] = {}
    for n, pos in positions.items():
        if n and len(pos) > 1:
            rep.add("duplicate-column", f"column {n!r} appears {len(pos)} times", line=line,
                    column=n, expected="each column once",
                    found="at positions " + ", ".join(str(p + 1) for p in pos),
                    fix=f"keep one {n!r} column")
    for n in expected:
        if n in positions:
            mapping[n] = positions[n][0]
    missing = [n for n in expected if n not in positions]
    extra = [(i, n) for i, n in enumerate(names) if n not in expected]
    unnamed = [(i, n) for i, n in extra if n == ""]
    extra = [(i, n) for i, n in extra if n != ""]
    if len(unnamed) > MAX_EXAMPLES:
        rep.add("unnamed-column", f"{len(unnamed):,} columns have no name", line=line,
                expected=f"the columns `{','.join(expected)}`", found="empty header fields",
                fix="write the header and the rows with exactly the columns of the format "
                "(pandas: DataFrame.to_csv(path, index=False))")
        unnamed = []
    for i, _ in unnamed:
        if i == 0:
            fix = ("remove the unnamed first column; pandas writes it when index=False is not "
                   "given: use DataFrame.to_csv(path, index=False)")
        elif i == len(names) - 1:
            fix = "remove the trailing comma at the end of the header line (and of the rows)"
        else:
            fix = "name the column or remove it"
        rep.add("unnamed-column", f"column {i + 1} has no name", line=line, column=str(i + 1),
                expected=f"the columns `{','.join(expected)}`", found="an empty header field",
                fix=fix)
    still_missing = list(missing)
    rest = extra[_MAX_EXTRA_COLUMNS:]
    extra = extra[:_MAX_EXTRA_COLUMNS]
    for i, n in extra:
        low = {m.lower(): m for m in still_missing}
        match = low.get(n.lower())
        if match is None:
            close = difflib.get_close_matches(n.lower(), list(low), n=1, cutoff=0.6)
            match = low[close[0]] if close else None
        if match is not None:
            still_missing.remove(match)
            mapping[match] = i
            rep.add("misspelled-column", f"column {n!r} is not a column of format {fmt.name!r}; "
                    f"did you mean {match!r}?", line=line, column=n, expected=repr(match),
                    found=repr(n), fix=f"rename column {n!r} to {match!r}")
        else:
            rep.add("extra-column", f"column {n!r} is not a column of format {fmt.name!r}",
                    line=line, column=n, expected=f"only the columns `{','.join(expected)}`",
                    found=repr(n), fix=f"remove column {n!r}")
    if rest:
        rep.add("extra-column", f"{len(rest):,} more columns are not columns of format "
                f"{fmt.name!r}", line=line, expected=f"only the columns `{','.join(expected)}`",
                found=f"{len(names):,} columns", fix="remove the columns the format does not name")
    for n in still_missing:
        rep.add("missing-column", f"column {n!r} is missing", line=line, column=n,
                expected=f"the columns `{','.join(expected)}`",
                found=f"`{','.join(names)}`" if len(",".join(names)) <= 200 else f"{len(names)} columns",
                fix=f"add a {n!r} column")
    return mapping


#: Longest first line (header) and column name read; a hostile header is refused before it is
#: split, matched against the expected names or echoed in a message.
MAX_HEADER_CHARS = 64 * 1024
MAX_COLUMN_NAME = 256


def header_fits(task: Task, lines: "Lines", first: int, rep: ProblemReport) -> bool:
    """Refuse, in time linear in the line, a first line too wide or too long to be a header."""
    max_cols = 4 * (len(task.targets) + len(task.classes) + 2) + 64
    n_fields = int(lines.fields[first])
    length = int(lines.ends[first] - lines.starts[first])
    if n_fields > max_cols:
        rep.add("too-many-columns", "the first line has far more columns than any format of the task",
                line=first + 1, expected=f"at most {max_cols} columns", found=f"{n_fields:,} columns",
                fix=describe_formats(task))
        return False
    if length > MAX_HEADER_CHARS:
        rep.add("header-too-long", "the first line is too long to be a header or a row",
                line=first + 1, expected=f"at most {MAX_HEADER_CHARS:,} characters",
                found=f"{length:,} characters", fix=describe_formats(task))
        return False
    longest = max((len(f) for f in lines.split(first)), default=0)
    if longest > MAX_COLUMN_NAME:
        rep.add("column-name-too-long", "a column name (or first-row value) is too long",
                line=first + 1, expected=f"at most {MAX_COLUMN_NAME} characters per column",
                found=f"a column of {longest:,} characters", fix=describe_formats(task))
        return False
    return True
