"""Canonical JSON: the one text form of every JSON file the harness writes.

Keys sorted, two-space indent, ``\\n`` at the end, floats written by Python's shortest
round-trip repr, NaN and infinities written as ``null``, so the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel


def _clean(obj):
    """Replace non-finite floats by None so the JSON stays standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _clean(obj.item())
    return obj


class _Unsupported(Exception):
    """A value the fast encoder leaves to :func:`json.dumps`."""


_encode_str = json.encoder.encode_basestring  # ensure_ascii=False; the C version when built
_INDENTS = ["\n" + "  " * i for i in range(64)]


def _float_text(v: float) -> str:
    return float.__repr__(v) if math.isfinite(v) else "null"


def _encode(obj, level: int, out: list) -> None:
    """Append the text of ``obj`` as ``json.dumps(_clean(obj), sort_keys=True, indent=2,
    ensure_ascii=False)`` writes it at nesting ``level``."""
    t = type(obj)
    if t is str:
        out.append(_encode_str(obj))
    elif t is float:
        out.append(_float_text(obj))
    elif t is int:
        out.append(int.__repr__(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif t is dict:
        if not obj:
            out.append("{}")
            return
        if any(type(k) is not str for k in obj):
            raise _Unsupported
        inner = _INDENTS[level + 1] if level + 1 < len(_INDENTS) else "\n" + "  " * (level + 1)
        sep = "{" + inner
        for k in sorted(obj):
            out.append(sep)
            out.append(_encode_str(k))
            out.append(": ")
            _encode(obj[k], level + 1, out)
            sep = "," + inner
        out.append(inner[:-2] + "}")
    elif t is list or t is tuple:
        if not obj:
            out.append("[]")
            return
        inner = _INDENTS[level + 1] if level + 1 < len(_INDENTS) else "\n" + "  " * (level + 1)
        kinds = set(map(type, obj))
        if kinds == {float} and all(map(math.isfinite, obj)):  # finite floats: in one go
            out.append("[" + inner + ("," + inner).join(map(float.__repr__, obj)) + inner[:-2] + "]")
            return
        if kinds <= {float, int}:  # numbers (bool is a type of its own here)
            out.append("[" + inner + ("," + inner).join(
                [_float_text(v) if type(v) is float else int.__repr__(v) for v in obj]
            ) + inner[:-2] + "]")
            return
        sep = "[" + inner
        for v in obj:
            out.append(sep)
            _encode(v, level + 1, out)
            sep = "," + inner
        out.append(inner[:-2] + "]")
    else:
        raise _Unsupported


def canonical_json(obj: Any) -> str:
    """Serialise to the canonical JSON text (sorted keys, indent 2, trailing newline).

    Non-finite floats become ``null`` (see :func:`_clean`). The text is exactly that of
    ``json.dumps(..., sort_keys=True, indent=2, ensure_ascii=False)``; plain dicts, lists,
    strings, numbers, booleans and None are written by a specialised encoder (the standard
    library writes indented JSON in pure Python, element by element), anything else by
    :func:`json.dumps` itself.
    """
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    out: list[str] = []
    try:
        _encode(obj, 0, out)
    except (_Unsupported, RecursionError):
        return json.dumps(_clean(obj), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    out.append("\n")
    return "".join(out)
