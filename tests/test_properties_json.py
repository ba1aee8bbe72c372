"""Canonical JSON is exactly what the standard library writes, for any JSON value.

``canonical_json`` writes plain values with its own encoder (for speed); the reference is
``json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\\n"`` after replacing
NaN and the infinities by ``None`` (standard JSON has no such numbers), computed here by a
small function of the test's own.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from benchmark.core.canonical import canonical_json


def reference(value) -> str:
    def finite(v):
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [finite(x) for x in v]
        return v

    return json.dumps(finite(value), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# Floats a result file can hold: any double, with the edges written out (negative zero, the
# largest and smallest normal numbers, subnormals, NaN and both infinities).
EDGE_FLOATS = [0.0, -0.0, 1e308, -1e308, sys.float_info.max, sys.float_info.min, 5e-324,
               -5e-324, 2.225e-308, 1e-320, 0.1, 1 / 3, math.nan, math.inf, -math.inf]
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(EDGE_FLOATS)
# Integers beyond 64 bits (Python's JSON writes them exactly) and around the float limits.
ints = st.integers() | st.integers(min_value=-(2**200), max_value=2**200) | st.sampled_from(
    [0, -1, 2**53 + 1, 2**63, -(2**63) - 1, 10**400])
# Any Unicode text, and the characters JSON must escape or may leave raw.
texts = st.text() | st.text(alphabet=st.sampled_from(
    ['"', "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "\u2028", "\u2029",
     "é", "ß", "中", "😀", "\ufeff", " ", "a"]))
scalars = st.none() | st.booleans() | ints | floats | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6)
    | st.lists(inner, max_size=6).map(tuple)
    | st.dictionaries(texts, inner, max_size=6)
    # homogeneous number lists take the encoder's fast paths
    | st.lists(floats, max_size=8)
    | st.lists(ints | floats | st.booleans(), max_size=8),
    max_leaves=25,
)


def nested(depth: int):
    value = [1.5, {"k": None}]
    for i in range(depth):
        value = {f"level{i}": value, "x": [i, -0.0]}
    return value


@settings(max_examples=200, deadline=None)
@given(json_values)
@example(nested(70))  # deeper than the encoder's table of indents
@example({"b": 1, "a": {"d": [], "c": {}}, "": [(), [[]]]})
@example([float("nan"), 1.0, float("-inf")])
@example([True, 1, 1.0, False, 0])
def test_canonical_json_is_the_standard_library_text(value):
    text = canonical_json(value)
    assert text == reference(value)
    # and it is a fixed point: reading it back and writing again gives the same bytes
    assert canonical_json(json.loads(text)) == text


@settings(max_examples=100, deadline=None)
@given(st.lists(floats | ints, max_size=10), st.dictionaries(texts, floats, max_size=5))
def test_numpy_scalars_are_written_as_their_python_values(numbers, mapping):
    as_numpy = [np.float64(v) if isinstance(v, float) else np.int64(v) if -(2**63) <= v < 2**63 else v
                for v in numbers]
    np_mapping = {k: np.float64(v) for k, v in mapping.items()}
    assert canonical_json({"a": as_numpy, "m": np_mapping}) == reference({"a": numbers, "m": mapping})


@given(floats.filter(math.isfinite))
def test_a_finite_float_reads_back_to_the_same_double(v):
    back = json.loads(canonical_json([v]))[0]
    assert back == v and math.copysign(1.0, back) == math.copysign(1.0, v)
