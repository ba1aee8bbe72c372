"""The report of a grading, for the pull request (Markdown), a terminal (plain text) and the
workflow (``::error`` / ``::warning`` commands pointing at the offending lines).

Participant-provided text (folder and file names, model names, cell values quoted in a
problem) is data: the Markdown report escapes it so it cannot add links, mentions, HTML or
tables; the plain-text report shows every control, format and line-breaking character as a
visible escape (``\\x1b``, ``\\u202e``), so a file name cannot move the cursor, recolour the
terminal, reorder the line or forge a report line of its own.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import Optional, Sequence

from .models import GradeReport, ShownScore, SubmissionReport
from ..core.errors import EXIT_OK, MAX_PROBLEMS_SHOWN, Problem
from ..core.formatting import DEMO_BANNER
from ..core.termtable import plain_table
from ..submissions.folders import PREDICTIONS

__all__ = [
    "MAX_MESSAGE",
    "MAX_REPORT",
    "char_columns",
    "clip",
    "clip_report",
    "escape_data",
    "escape_property",
    "markdown_body",
    "md_escape",
    "render_markdown",
    "render_text",
    "text_body",
    "terminal_safe",
    "workflow_commands",
]

#: Longest problem text in a report or annotation; longer text is cut with a note.
MAX_MESSAGE = 600
#: Longest Markdown report: GitHub comments hold 65,536 characters, step summaries 1 MiB.
MAX_REPORT = 60_000


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: str) -> str:
    """Escape participant-provided text for Markdown (no links, mentions, HTML or tables).

    Examples
    --------
    >>> md_escape("<img src=x> @team [a](b) a_b")
    '&lt;img src=x&gt; @\\u200bteam \\\\[a\\\\](b) a\\\\_b'
    """
    t = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    t = _MD_SPECIAL.sub(r"\\\1", t)
    t = t.replace("@", "@\u200b")
    return t.replace("\r", " ").replace("\n", " ")


def _code(text: str) -> str:
    t = str(text).replace("`", "'").replace("\r", " ").replace("\n", " ")
    return f"`{t}`"


def render_markdown(report: GradeReport) -> str:
    """The participant-visible Markdown report of a grading."""
    out = ["## Submission check", ""]
    if any(s.score is not None and s.score.synthetic for s in report.submissions):
        out += [f"> **{DEMO_BANNER}** — scores are illustrative, not real results.", ""]
    out.append(f"Base {_code(report.base[:12])}, head {_code(report.head[:12])}: "
               + summary(report, lambda verdict: f"**{verdict}**"))
    out.append("")
    return clip_report("\n".join(out + markdown_body(report)).rstrip() + "\n")


def markdown_body(report: GradeReport) -> list[str]:
    """The lines of the Markdown report after its heading and verdict: notes, problems, scores."""
    out = []
    for note in report.notes:
        out += [f"> {md_escape(note)}", ""]
    if not report.submissions and not report.change_problems:
        out += ["No submission folder was added or changed.", ""]
    if report.change_problems:
        out += ["### The change itself", ""]
        out += _problem_lines(report.change_problems)
        out.append("")
    for s in report.submissions:
        status = "valid" if s.valid else "INVALID"
        out += [f"### {_code(s.path + '/')}: {status}", ""]
        who = f"team {_code(s.team)}" + (f", model {md_escape(s.model)}" if s.model else "")
        out.append(f"- {who}, task {_code(s.task_id)}")
        left = _remaining(s, _code)
        if left:
            out.append(f"- {left}")
        out.append("")
        if s.problems:
            out += [f"**{len(s.problems)} problem(s):**", ""]
            out += _problem_lines(s.problems)
            out.append("")
        if s.warnings:
            out += [f"{len(s.warnings)} warning(s):", ""]
            out += _problem_lines(s.warnings)
            out.append("")
        if s.score is not None:
            out += _score_lines(s.score)
    if not report.scored and any(s.valid for s in report.submissions):
        out += [_PUBLIC_ONLY, ""]
    return out


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out.

    Examples
    --------
    >>> clip("x" * 100, 40)
    'xxxxxxxxxx… [90 more characters]'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 30)] + f"… [{len(text) - max(0, limit - 30)} more characters]"


def clip_report(text: str, limit: int = MAX_REPORT) -> str:
    """A Markdown report cut at a line boundary so it fits a GitHub comment and step summary."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 200)
    cut = cut if cut > 0 else limit - 200
    return text[:cut] + "\n\n… the report was cut here: it exceeded the length a pull-request comment can hold.\n"


def _problem_lines(problems: Sequence[Problem]) -> list[str]:
    lines = [f"- {md_escape(clip(p.format()))}" for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"- ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problem(s) not shown.")
    return lines


def summary(report: GradeReport, emphasis=str) -> str:
    """``"<n> submission folder(s), <k> valid. <verdict>"``, the verdict passed through ``emphasis``."""
    n_ok = sum(1 for s in report.submissions if s.valid)
    verdict = "All submissions are valid." if report.exit_code == EXIT_OK else "Changes needed."
    return f"{len(report.submissions)} submission folder(s), {n_ok} valid. {emphasis(verdict)}"


def _remaining(s: SubmissionReport, code) -> str:
    """The submissions a team has left on the task ("" when the task has no limits)."""
    rem = s.remaining
    if rem is None:
        return ""
    parts = []
    if rem.per_day is not None:
        parts.append(f"{rem.per_day_left} of {rem.per_day} in the last 24 hours")
    if rem.total is not None:
        parts.append(f"{rem.total_left} of {rem.total} in total")
    if not parts:
        return ""
    whose = f"team {code(rem.team)}" + (f" and account {code(rem.account)}" if rem.account else "")
    return (f"submissions left for {whose} on {code(s.task_id)} after this one: {', '.join(parts)}"
            + ("" if s.valid else " (a refused submission does not count unless the task counts every attempt)"))


def _part(sc: ShownScore) -> str:
    return {
        "all": f"all {sc.n_cases} cases",
        "public": f"the public part ({sc.n_cases} cases); the final ranking uses the private part after the reveal date",
        "private": f"the private part ({sc.n_cases} cases)",
    }[sc.part]


_PUBLIC_ONLY = "Validated against the public case ids only; scores are computed by the maintainers' scoring job."
_LADDER_NOTE = ("this task uses the Ladder: the shown score moves only when a submission beats the team's "
                "best by a clear margin, and it is rounded.")


def _score_lines(sc: ShownScore) -> list[str]:
    out = [f"**Score** on split {_code(sc.split)}, {_part(sc)}:", ""]
    if sc.mode == "ladder":
        return out + [f"- leaderboard score (Ladder): {sc.ladder}", f"- {_LADDER_NOTE}", ""]
    out += [f"| metric | value | {sc.level:.0%} CI |", "|---|---:|---|"]
    for name, value, ci in sc.rows:
        out.append(f"| {md_escape(name)} | {value} | {ci} |")
    out.append("")
    if sc.bootstrap:
        out.append(f"- intervals: {sc.bootstrap}")
    if sc.rank:
        out.append(f"- rank: {sc.rank}")
    if sc.leader:
        out.append(f"- compared with the {sc.leader}")
    for b in sc.baselines:
        out.append(f"- radiologists: {md_escape(b)}")
    out.append("")
    return out


def terminal_safe(text: str) -> str:
    r"""``text`` with every character that could act on a terminal shown as a visible escape.

    Control characters (C0, DEL, C1: escape sequences, carriage returns, line breaks, tabs),
    format characters (bidi embeddings, overrides and isolates, zero-width characters), line
    and paragraph separators, surrogates, private-use and unassigned code points become
    ``\xNN``, ``\uNNNN`` or ``\UNNNNNNNN``; a backslash stays as it is.

    Examples
    --------
    >>> terminal_safe("a\x1b[31mb\nc\u202ed")
    'a\\x1b[31mb\\x0ac\\u202ed'
    """
    out = []
    for ch in str(text):
        if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029":
            n = ord(ch)
            out.append(f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}")
        else:
            out.append(ch)
    return "".join(out)


def render_text(report: GradeReport) -> str:
    """The report of a grading as plain text for a terminal (the content of the Markdown report).

    Nothing is escaped for Markdown; every participant-provided text goes through
    :func:`terminal_safe`.
    """
    out = ["Submission check", "================", ""]
    if any(s.score is not None and s.score.synthetic for s in report.submissions):
        out += [f"{DEMO_BANNER}: scores are illustrative, not real results.", ""]
    out.append(f"Base {report.base[:12]}, head {report.head[:12]}: {summary(report)}")
    out.append("")
    return "\n".join(out + text_body(report)).rstrip() + "\n"


def text_body(report: GradeReport) -> list[str]:
    """The lines of the plain-text report after its heading and verdict."""
    t = terminal_safe
    out = []
    for note in report.notes:
        out += [f"Note: {t(note)}", ""]
    if not report.submissions and not report.change_problems:
        out += ["No submission folder was added or changed.", ""]
    if report.change_problems:
        out += ["The change itself:"]
        out += _text_problem_lines(report.change_problems)
        out.append("")
    for s in report.submissions:
        out += [f"{t(s.path + '/')}: {'valid' if s.valid else 'INVALID'}"]
        out.append(f"  team {t(s.team)}" + (f", model {t(s.model)}" if s.model else "") + f", task {t(s.task_id)}")
        left = _remaining(s, t)
        if left:
            out.append(f"  {left}")
        out.append("")
        if s.problems:
            out += [f"  {len(s.problems)} problem(s):"]
            out += _text_problem_lines(s.problems)
            out.append("")
        if s.warnings:
            out += [f"  {len(s.warnings)} warning(s):"]
            out += _text_problem_lines(s.warnings)
            out.append("")
        if s.score is not None:
            out += _text_score_lines(s.score)
    if not report.scored and any(s.valid for s in report.submissions):
        out += [_PUBLIC_ONLY, ""]
    return out


def _text_problem_lines(problems: Sequence[Problem]) -> list[str]:
    lines = [f"  - {terminal_safe(clip(p.format()))}" for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"  - ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problem(s) not shown.")
    return lines


def _text_score_lines(sc: ShownScore) -> list[str]:
    out = [f"  Score on split {terminal_safe(sc.split)}, {_part(sc)}:"]
    if sc.mode == "ladder":
        return out + [f"  - leaderboard score (Ladder): {terminal_safe(sc.ladder)}", f"  - {_LADDER_NOTE}", ""]
    rows = [[terminal_safe(name), value, ci] for name, value, ci in sc.rows]
    out += ["    " + line for line in plain_table(["metric", "value", f"{sc.level:.0%} CI"], rows, {1}).split("\n")]
    for label, value in (("intervals", sc.bootstrap), ("rank", sc.rank), ("compared with the", sc.leader)):
        if value:
            out.append(f"  - {label}{'' if label.endswith('the') else ':'} {terminal_safe(value)}")
    out += [f"  - radiologists: {terminal_safe(b)}" for b in sc.baselines]
    out.append("")
    return out


def escape_data(text: str) -> str:
    """Escape the message of a workflow command (``%``, CR, LF).

    Examples
    --------
    >>> escape_data("50%\\nnext")
    '50%25%0Anext'
    """
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a workflow command (also ``:`` and ``,``).

    Examples
    --------
    >>> escape_property("a,b:c")
    'a%2Cb%3Ac'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def char_columns(csv_file: Optional[Path], problems: Sequence[Problem]) -> dict:
    """``(line, column) -> character column`` for the problems located in ``csv_file``."""
    wanted = {(p.line, p.column) for p in problems[: 2 * MAX_PROBLEMS_SHOWN]
              if p.line is not None and p.column is not None and p.file.endswith(PREDICTIONS)}
    if csv_file is None or not wanted:
        return {}
    try:
        lines = csv_file.read_bytes().decode("utf-8-sig", "replace").splitlines()
    except OSError:
        return {}
    out = {}
    for line, column in wanted:
        col = _char_column(lines, line, column)
        if col is not None:
            out[(line, column)] = col
    return out


def _char_column(lines: list[str], line: int, column) -> Optional[int]:
    """1-based character column where CSV field ``column`` starts on physical ``line``."""
    if not 1 <= line <= len(lines) or len(lines[line - 1]) > 1_000_000:
        return None
    col = str(column)
    header = next((ln for ln in lines if ln.strip() and not ln.startswith("#")), None)
    fields: list[str] = []
    if header is not None and len(header) <= 1_000_000:
        try:
            fields = [f.strip() for f in next(csv.reader(io.StringIO(header)))]
        except (csv.Error, StopIteration):
            fields = []
    if col in fields:  # a column named by the header, even an all-digit name such as "2024"
        index = fields.index(col)
    elif col.isascii() and col.isdigit() and len(col) <= 6:  # a 1-based position
        index = int(col) - 1
    else:
        return None
    text = lines[line - 1]
    starts, quoted, pos = [0], False, 0
    for pos, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            starts.append(pos + 1)
    return starts[index] + 1 if 0 <= index < len(starts) else None


def workflow_commands(report: GradeReport) -> list[str]:
    """``::error`` / ``::warning`` workflow commands for every problem with a file."""
    cmds = []

    def one(kind, p: Problem, columns):
        props = [f"file={escape_property(clip(p.file, 300))}"] if p.file else []
        if p.line is not None:
            props.append(f"line={int(p.line)}")
            col = columns.get((p.line, p.column))
            if col is not None:
                props.append(f"col={col}")
        props.append(f"title={escape_property('submission ' + kind + ': ' + clip(p.code, 60))}")
        cmds.append(f"::{kind} {','.join(props)}::{escape_data(clip(p.format()))}")

    for p in report.change_problems:
        one("error", p, {})
    for s in report.submissions:
        for p in s.problems[:MAX_PROBLEMS_SHOWN]:
            one("error", p, s.char_columns)
        if len(s.problems) > MAX_PROBLEMS_SHOWN:
            cmds.append(f"::error file={escape_property(s.path + '/' + PREDICTIONS)}::"
                        f"{escape_data(f'... and {len(s.problems) - MAX_PROBLEMS_SHOWN} more problem(s)')}")
        for p in s.warnings[:MAX_PROBLEMS_SHOWN]:
            one("warning", p, s.char_columns)
    return cmds


