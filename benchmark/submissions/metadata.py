"""``submission.toml``: who made a submission, with what, and how to name its folder.

A submission lives in ``submissions/<task-id>/<team-slug>__<model-slug>/`` next to its
``predictions.csv``. Its ``submission.toml`` reads::

    task = "mrnet"
    team = "Knee Lab"
    model = "ResNet-3D v2"
    authors = ["A. Researcher", "B. Engineer"]
    description = "3D ResNet-18 on the sagittal T2 series, 5-fold ensemble."
    date = 2024-06-01
    external_data = false
    synthetic = false            # optional; true for generated demo entries
    split = "test"               # optional
    format = "canonical"         # optional: name of the prediction file's format

    [[links]]
    title = "Code"
    url = "https://github.com/example/knee-lab"

Text fields are plain text: markup in them (``<script>``) is allowed and shown escaped by the
leaderboard renderer. Links must be absolute ``http://`` or ``https://`` URLs; ``javascript:``,
``data:``, ``file:`` and relative URLs are refused. Control characters (and Unicode bidi
overrides, which can disguise text) are refused everywhere; the description fields may hold
line breaks and tabs.

>>> slug("Knee Lab"), folder_name("Knee Lab", "ResNet-3D v2")
('knee-lab', 'knee-lab__resnet-3d-v2')
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ..core.errors import Problem, SubmissionInvalid

__all__ = [
    "Link",
    "SubmissionMeta",
    "read_metadata",
    "parse_metadata",
    "slug",
    "check_name",
    "folder_name",
    "MAX_NAME",
    "MAX_DESCRIPTION",
]

#: Longest team or model name.
MAX_NAME = 80
#: Longest description (and external data description).
MAX_DESCRIPTION = 2000
MAX_AUTHOR = 120
MAX_AUTHORS = 100
MAX_LINKS = 20
MAX_LINK_TITLE = 200
MAX_URL = 2000
#: ``submission.toml`` files larger than this are refused before being read.
MAX_FILE_BYTES = 1 << 20

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Unicode bidi embeddings, overrides and isolates: they reorder how text is displayed.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def slug(text: str) -> str:
    """The folder slug of a team or model name: ``[a-z0-9-]``.

    Lower case; every run of characters other than ASCII letters and digits becomes one
    ``-``; leading and trailing ``-`` are dropped.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Possibly empty (a name without any ASCII letter or digit).

    Examples
    --------
    >>> slug("  ACME  AI!"), slug("Équipe 3")
    ('acme-ai', 'quipe-3')
    """
    out = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in str(text).lower())
    return re.sub(r"-+", "-", out).strip("-")


# Scripts that may share one name (UTS #39, "highly restrictive" level): one script, or Latin
# with the scripts written together with Han in Japanese, Chinese and Korean.
_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def _script(ch: str) -> Optional[str]:
    """The script of a letter from its Unicode name (``None`` for digits, marks, punctuation)."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    if name.startswith(("CJK ", "KANGXI")):
        return "HAN"
    word = name.split(" ", 1)[0]
    if word in ("HALFWIDTH", "FULLWIDTH") and " " in name:
        word = name.split(" ", 2)[1]
    return word or "UNKNOWN"


def check_name(text: str) -> str:
    """NFKC-normalise a team or model name; refuse invisible and look-alike characters.

    Refused: format characters (Unicode category Cf: zero-width spaces and joiners, direction
    marks, embeddings, overrides and isolates, the byte-order mark), other control characters,
    and letters of scripts that do not belong together in one name (UTS #39 "highly
    restrictive": Latin mixed with Cyrillic or Greek is a classic look-alike of a Latin name).

    Returns
    -------
    str
        The NFKC form of ``text``.

    Raises
    ------
    ValueError
        Naming the first offending character and its position.

    Examples
    --------
    >>> check_name("ＡＣＭＥ Lab")
    'ACME Lab'
    >>> check_name("Lab\u200bA")
    Traceback (most recent call last):
    ...
    ValueError: must not contain invisible or direction characters. Got U+200B ZERO WIDTH SPACE at position 4 instead
    >>> check_name("Lab \u0410")  # Latin with a Cyrillic A
    Traceback (most recent call last):
    ...
    ValueError: must not mix scripts (CYRILLIC, LATIN): letters that look alike can impersonate another name
    """
    norm = unicodedata.normalize("NFKC", str(text))
    for i, ch in enumerate(norm):
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp") and ch not in ("\n", "\t"):
            what = unicodedata.name(ch, "unnamed character")
            raise ValueError(
                "must not contain invisible or direction characters. "
                f"Got U+{ord(ch):04X} {what} at position {i + 1} instead"
            )
    scripts = {s for s in map(_script, norm) if s is not None}
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_SETS):
        raise ValueError(
            f"must not mix scripts ({', '.join(sorted(scripts))}): letters that look alike can "
            "impersonate another name"
        )
    return norm


def folder_name(team: str, model: str) -> str:
    """The folder of a submission: ``<team-slug>__<model-slug>``.

    Raises
    ------
    ValueError
        If either name has no ASCII letter or digit.
    """
    t, m = slug(team), slug(model)
    if not t or not m:
        which = "team" if not t else "model"
        raise ValueError(
            f"{which} name must contain at least one ASCII letter or digit. "
            f"Got {(team if not t else model)!r} instead."
        )
    return f"{t}__{m}"


def _check_text(value: str, *, max_len: int, multiline: bool = False, required: bool = True) -> str:
    if required and not value.strip():
        raise ValueError("must not be empty")
    if len(value) > max_len:
        raise ValueError(f"must be at most {max_len} characters. Got {len(value)} instead")
    allowed = {"\n", "\t"} if multiline else set()
    for i, ch in enumerate(value):
        if ch in allowed:
            continue
        if unicodedata.category(ch) == "Cc" or ch in _BIDI or ch in ("\u2028", "\u2029"):
            raise ValueError(
                f"must not contain control characters. Got {ch!r} at position {i + 1} instead"
            )
    return value


class Link(BaseModel):
    """A link shown with the entry (paper, code, model card)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    url: str

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return _check_text(v, max_len=MAX_LINK_TITLE)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if len(v) > MAX_URL:
            raise ValueError(f"must be at most {MAX_URL} characters. Got {len(v)} instead")
        if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in v):
            raise ValueError(
                "must be an absolute http:// or https:// URL without spaces or control characters"
            )
        parts = urlsplit(v)
        if parts.scheme.lower() not in ("http", "https"):
            shown = f"scheme {parts.scheme + ':'!r}" if parts.scheme else "a relative URL"
            raise ValueError(f"must be an absolute http:// or https:// URL. Got {shown} instead")
        if not v.lower().startswith(parts.scheme.lower() + "://") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL with a host name")
        if "@" in parts.netloc:
            # https://github.com@evil.example/ leads to evil.example: a look-alike link.
            raise ValueError(
                "must not hold user information ('user@' before the host name): the link "
                f"would lead to {parts.hostname!r}. Got {parts.netloc!r} instead"
            )
        return v


class SubmissionMeta(BaseModel):
    """The contents of a ``submission.toml`` file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    synthetic: bool = Field(default=False, strict=True)
    task: str
    split: Optional[str] = None
    team: str
    model: str
    authors: list[str]
    description: str
    date: _dt.date
    external_data: bool = Field(strict=True)
    external_data_description: str = Field(default="", validate_default=True)
    links: list[Link] = Field(default_factory=list)
    format: Optional[str] = None
    #: sha256 of the plain CSV of an encrypted (confidential) submission.
    predictions_sha256: Optional[str] = None

    @field_validator("predictions_sha256")
    @classmethod
    def _sha(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not re.fullmatch(r"[0-9a-f]{64}", v):
            raise ValueError(f"must be 64 lower-case hex digits (a sha256). Got {_show(v)} instead")
        return v

    @field_validator("task", "split", "format")
    @classmethod
    def _ident(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return v
        if len(v) > 64 or not _ID_RE.match(v):
            raise ValueError(
                f"must be a name of lower-case letters, digits, '-' and '_' (at most 64). Got {v!r} instead"
            )
        return v

    @field_validator("team", "model")
    @classmethod
    def _name(cls, v: str) -> str:
        _check_text(v, max_len=MAX_NAME)
        v = check_name(v)
        if not slug(v):
            raise ValueError("must contain at least one ASCII letter or digit (it names the folder)")
        return v

    @field_validator("authors")
    @classmethod
    def _authors(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("must name at least one author")
        if len(v) > MAX_AUTHORS:
            raise ValueError(f"must list at most {MAX_AUTHORS} authors. Got {len(v)} instead")
        for i, a in enumerate(v):
            try:
                _check_text(a, max_len=MAX_AUTHOR)
            except ValueError as exc:
                raise ValueError(f"author {i + 1} {exc}") from None
        return v

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return _check_text(v, max_len=MAX_DESCRIPTION, multiline=True)

    @field_validator("external_data_description")
    @classmethod
    def _ext(cls, v: str, info: ValidationInfo) -> str:
        _check_text(v, max_len=MAX_DESCRIPTION, multiline=True, required=False)
        if info.data.get("external_data") is True and not v.strip():
            raise ValueError("must say which external data was used when external_data is true")
        return v

    @field_validator("links")
    @classmethod
    def _links(cls, v: list[Link]) -> list[Link]:
        if len(v) > MAX_LINKS:
            raise ValueError(f"must hold at most {MAX_LINKS} links. Got {len(v)} instead")
        return v

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> _dt.date:
        if isinstance(v, _dt.datetime):
            raise ValueError("must be a date without a time, like 2024-06-01")
        if isinstance(v, _dt.date):
            return v
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            try:
                return _dt.date.fromisoformat(v)
            except ValueError:
                raise ValueError("must be a valid calendar date like 2024-06-01") from None
        raise ValueError("must be a date like 2024-06-01")

    @property
    def folder(self) -> str:
        """``<team-slug>__<model-slug>``, the folder the submission belongs in."""
        return folder_name(self.team, self.model)


_FIELDS = list(SubmissionMeta.model_fields)
_LINK_FIELDS = list(Link.model_fields)
_EXAMPLE = {
    "task": 'task = "<task-id>"',  # the folder under submissions/
    "team": 'team = "Knee Lab"',
    "model": 'model = "ResNet-3D v2"',
    "authors": 'authors = ["A. Researcher"]',
    "description": 'description = "What the model is and how it was trained."',
    "date": "date = 2024-06-01",
    "external_data": "external_data = false",
    "title": 'title = "Code"',
    "url": 'url = "https://example.org/code"',
}


# -- locating keys in the TOML text --------------------------------------------------------------
def _key_re(key: str) -> re.Pattern:
    return re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")


def _line_of(lines: list[str], loc: tuple) -> Optional[int]:
    """1-based line where the value at ``loc`` (a pydantic error location) is written."""
    if not loc:
        return None
    top = str(loc[0])
    table = re.compile(r"^\s*\[\[\s*" + re.escape(top) + r"\s*\]\]")
    if len(loc) >= 2 and isinstance(loc[1], int):
        headers = [i for i, ln in enumerate(lines) if table.match(ln)]
        if loc[1] < len(headers):
            start = headers[loc[1]]
            if len(loc) >= 3:
                kre = _key_re(str(loc[2]))
                for j in range(start + 1, len(lines)):
                    if re.match(r"^\s*\[", lines[j]):
                        break
                    if kre.match(lines[j]):
                        return j + 1
            return start + 1
    kre = _key_re(top)
    in_table = False
    for i, ln in enumerate(lines):
        if re.match(r"^\s*\[", ln):
            in_table = True
        if not in_table and kre.match(ln):
            return i + 1
    headers = [i for i, ln in enumerate(lines) if table.match(ln)]
    return headers[0] + 1 if headers else None


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _problems_from(exc: ValidationError, lines: list[str], file: str) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        kind = err.get("type", "")
        field = _dotted(loc) or None
        line = _line_of(lines, loc)
        msg = str(err.get("msg", "invalid value"))
        msg = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
        if kind == "missing":
            name = str(loc[-1])
            out.append(Problem(
                "missing-field", f"required field {field!r} is missing", file=file, line=line,
                column=field, expected=f"a value for {name!r}",
                fix="add " + (f"`{_EXAMPLE[name]}`" if name in _EXAMPLE else f"a {name!r} field"),
            ))
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            known = _LINK_FIELDS if len(loc) > 1 else _FIELDS
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            out.append(Problem(
                "unknown-field",
                f"unknown field {field!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                file=file, line=line, column=field,
                expected="one of " + ", ".join(known), found=repr(name),
                fix=f"rename it to {close[0]!r}" if close else "remove it",
            ))
        elif not loc:
            out.append(Problem("invalid-metadata", msg, file=file,
                               found=_show(err.get("input")), fix="write a table of fields"))
        else:
            out.append(Problem(
                "invalid-field", f"field {field!r} {msg}" if msg.startswith("must") else
                f"field {field!r}: {msg}", file=file, line=line, column=field,
                found=_show(err.get("input")) if kind not in ("model_type", "dict_type") else None,
                fix=f"correct {field!r}" + (f", e.g. `{_EXAMPLE[str(loc[-1])]}`"
                                             if str(loc[-1]) in _EXAMPLE else ""),
            ))
    return out


def parse_metadata(text: str, file: str = "submission.toml") -> SubmissionMeta:
    """Parse and validate the text of a ``submission.toml``.

    Parameters
    ----------
    text : str
        The TOML text.
    file : str
        File name used in problems.

    Returns
    -------
    SubmissionMeta

    Raises
    ------
    SubmissionInvalid
        For TOML syntax errors and for missing, unknown or invalid fields (all of them).
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise SubmissionInvalid([Problem(
            "toml-too-deep", "the file nests arrays or tables too deeply to be read",
            file=file, expected="flat `key = value` lines", found="deeply nested brackets",
            fix="write submission.toml as in docs/ci.md: a flat table with one list of links",
        )]) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        what = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
        found = None
        lines = text.splitlines()
        if line is not None and 1 <= line <= len(lines):
            found = _show(lines[line - 1])
        raise SubmissionInvalid([Problem(
            "toml-syntax", f"the file is not valid TOML: {what}"
            + (f" (column {m.group(2)})" if m else ""), file=file, line=line,
            found=found, fix='write `key = value` lines; quote text values: team = "Knee Lab"',
        )]) from None
    try:
        return SubmissionMeta.model_validate(data)
    except ValidationError as exc:
        raise SubmissionInvalid(_problems_from(exc, text.splitlines(), file)) from None


def read_metadata(path: Union[str, Path]) -> SubmissionMeta:
    """Read and validate a ``submission.toml`` file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    SubmissionMeta

    Raises
    ------
    SubmissionInvalid
        With a :class:`~benchmark.core.errors.Problem` per problem (file, line where known, field,
        expected, found, fix).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "submission.toml")
    >>> _ = open(p, "w").write('task = "mrnet"\\nteam = "Knee Lab"\\nmodel = "R3D"\\n'
    ...     'authors = ["A. B."]\\ndescription = "x"\\ndate = 2024-06-01\\nexternal_data = false\\n')
    >>> read_metadata(p).folder
    'knee-lab__r3d'
    """
    file = str(path)
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise IsADirectoryError(file)
    except FileNotFoundError:
        raise SubmissionInvalid([Problem("file-not-found", "submission.toml does not exist",
                                         file=file, fix="add a submission.toml")]) from None
    except OSError as exc:
        raise SubmissionInvalid([Problem("cannot-read", "the file cannot be opened", file=file,
                                         found=exc.strerror or type(exc).__name__,
                                         fix="pass the path of submission.toml")]) from None
    if size > MAX_FILE_BYTES:
        raise SubmissionInvalid([Problem("file-too-large", "submission.toml is too large",
                                         file=file, expected=f"at most {MAX_FILE_BYTES} bytes",
                                         found=f"{size} bytes", fix="shorten the file")])
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionInvalid([Problem(
            "not-utf8", "submission.toml is not valid UTF-8 text", file=file,
            line=raw.count(b"\n", 0, exc.start) + 1, expected="UTF-8",
            found=f"bytes {raw[exc.start:exc.start + 4].hex(' ')}", fix="save the file as UTF-8",
        )]) from None
    return parse_metadata(text, file)
