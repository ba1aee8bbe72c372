"""Round trip of every submission format every task declares: write, read back, same arrays.

The files are written the way a participant writes them, with ``pandas.DataFrame.to_csv``,
from the layout rules of :class:`benchmark.data.tasks.FormatDecl` (not from the package's own
writer): ``wide`` is an id column and one column per target (per target and class in a
multi-class task), ``long`` a ``<case id><separator><target>`` row id and the value column(s),
``headerless`` the value columns alone, one row per case in ascending id order. Any valid
values, any subset of the public cases, any row order, LF or CRLF, a byte-order mark or not,
quoted or not, shortest or 17-digit floats: the reader gives back exactly the written doubles.
The package's writer (``write_canonical``) round-trips too.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmark.data.public import PublicCases, load_public
from benchmark.data.tasks import load_registry
from benchmark.submissions.submission import Submission, read_submission, write_canonical

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(ROOT)
FORMATS = [(task.id, fmt.name) for task in REGISTRY for fmt in task.formats]
PUBLIC = {task.id: load_public(task) for task in REGISTRY}

# Probabilities, with the edges: 0, 1, the smallest subnormal, values one ulp inside [0, 1].
probabilities = st.floats(min_value=0.0, max_value=1.0) | st.sampled_from(
    [0.0, 1.0, 5e-324, 2.2250738585072014e-308, 1e-300, np.nextafter(1.0, 0.0), 0.5, 1e-16])


def _digits_first(ids):
    """Ascending case-id order: numeric when every id is made of digits, else by text."""
    if all(i.isdigit() for i in ids):
        return sorted(ids, key=lambda i: (int(i), i))
    return sorted(ids)


def _value_columns(task, fmt) -> list[str]:
    if task.kind == "binary":
        return list(task.targets)
    return [f"{t}{fmt.separator}{c}" for t in task.targets for c in task.classes]


def _frame(task, fmt, ids, scores, row_order) -> pd.DataFrame:
    """The prediction table of ``scores`` (n, k[, c]) in the layout of ``fmt``."""
    n, k = len(ids), len(task.targets)
    flat = scores.reshape(n, -1)
    if fmt.layout == "wide":
        frame = pd.DataFrame(flat, columns=_value_columns(task, fmt))
        frame.insert(0, fmt.id_column, ids)
        return frame.iloc[row_order]
    if fmt.layout == "headerless":
        pos = {i: r for r, i in enumerate(ids)}
        return pd.DataFrame(flat[[pos[i] for i in _digits_first(list(ids))]])
    c = 1 if task.kind == "binary" else len(task.classes)
    rows = pd.DataFrame(scores.reshape(n * k, c), columns=list(fmt.value_columns))
    rows.insert(0, fmt.id_column, [f"{i}{fmt.separator}{t}" for i in ids for t in task.targets])
    long_order = np.concatenate([np.arange(k) + r * k for r in row_order]) if n else []
    return rows.iloc[long_order]


@st.composite
def submissions(draw, task):
    public = PUBLIC[task.id]
    width = len(task.targets) * (len(task.classes) if task.kind == "multiclass" else 1)
    n = draw(st.integers(min_value=1, max_value=min(len(public), max(2, 200 // width), 8)))
    picked = draw(st.lists(st.sampled_from(list(public.ids)), min_size=n, max_size=n, unique=True))
    ids = np.array(picked, dtype=str)
    expected = PublicCases(task.id, public.split, ids, public.table.loc[ids], public.source)
    shape = (n, len(task.targets)) + ((len(task.classes),) if task.kind == "multiclass" else ())
    values = draw(st.lists(probabilities, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    scores = np.array(values, dtype=np.float64).reshape(shape)
    order = draw(st.permutations(range(n)))
    return expected, scores, list(order)


@pytest.mark.parametrize("task_id,format_name", FORMATS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       float_format=st.sampled_from([None, "%.17g"]))
def test_every_declared_format_round_trips(tmp_path, task_id, format_name, data, newline, bom,
                                           quoting, float_format):
    task = REGISTRY.get(task_id)
    fmt = task.format(format_name)
    expected, scores, order = data.draw(submissions(task))
    frame = _frame(task, fmt, expected.ids, scores, order)
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=fmt.layout != "headerless", lineterminator=newline,
                 quoting=quoting, float_format=float_format)
    path = tmp_path / f"{task_id}-{format_name}.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + buf.getvalue().encode("utf-8"))

    sub = read_submission(task, path, expected, format=format_name)

    assert sub.format == format_name
    assert list(sub.ids) == list(expected.ids)
    np.testing.assert_array_equal(sub.scores, scores)
    assert sub.scores.dtype == np.float64


@pytest.mark.parametrize("task_id,format_name", FORMATS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_package_writer_round_trips(tmp_path, task_id, format_name, data):
    task = REGISTRY.get(task_id)
    expected, scores, _ = data.draw(submissions(task))
    sub = Submission(task.id, "x", "mem", "0" * 64, expected.ids, scores, [], len(expected))
    out = write_canonical(task, sub, tmp_path / f"{format_name}.csv", format=format_name)
    back = read_submission(task, out, expected, format=format_name)
    assert back.format == format_name
    np.testing.assert_array_equal(back.scores, scores)
