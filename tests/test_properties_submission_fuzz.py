"""No prediction file gives anything but a Submission or SubmissionInvalid (a shrinking fuzzer).

Every format of every registered task contributes a valid seed file (a few public cases,
written by the package's writer). Hypothesis mutates it: inserts, deletes and replaces
characters and tokens a participant's tool may produce (separators, quotes, line ends, NUL,
byte-order marks, non-ASCII and full-width digits, ``nan``, target suffixes), truncates it,
re-encodes it, or replaces it with arbitrary bytes; structural blow-ups (a 300,000-character
line, an unterminated 200,000-character quoted field, 20,000 columns, 1,000 empty lines, ...)
are applied to every seed. Whatever the file, the reader either returns finite scores or
raises :class:`SubmissionInvalid` whose problems name the file and a line that exists. When a
case fails, Hypothesis shrinks it to a minimal file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from benchmark.core.errors import Problem, SubmissionInvalid
from benchmark.data.public import PublicCases, load_public
from benchmark.data.tasks import load_registry
from benchmark.submissions.submission import Submission, read_submission, write_canonical

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = load_registry(ROOT)


def _seed(task, fmt_name: str, tmp: Path):
    """A valid file of ``fmt_name`` for the first public cases of ``task``, and those cases."""
    public = load_public(task)
    n = min(len(public), 3 if len(task.targets) * len(task.classes or [1]) < 30 else 2)
    ids = public.ids[:n]
    expected = PublicCases(task.id, public.split, ids, public.table.loc[ids], public.source)
    shape = (n, len(task.targets)) + ((len(task.classes),) if task.kind == "multiclass" else ())
    scores = np.random.default_rng(7).dirichlet(np.ones(shape[-1]), size=shape[:-1]) \
        if task.kind == "multiclass" else np.random.default_rng(7).random(shape).round(3)
    sub = Submission(task.id, "seed", "mem", "0" * 64, ids, scores, [], n)
    path = write_canonical(task, sub, tmp / f"{task.id}-{fmt_name}.csv", format=fmt_name)
    return expected, path.read_text()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seeds")
    return {(t.id, f.name): _seed(t, f.name, tmp) for t in REGISTRY for f in t.formats}


SEED_KEYS = [(t.id, f.name) for t in REGISTRY for f in t.formats]

TOKENS = list(',"\n\r;#\t 0123456789.-e+%') + [
    "\x00", "é", "\ufeff", "ab", "nan", "_C1", "\u200b", "０", "\x1a", "inf", "1e999", ",,",
    '""', "\r\n", "NaN", "-0", "1,5", "50%",
]


def outcome(task, path: Path, expected, fmt_name=None) -> str:
    """``"valid"`` or ``"invalid"``; anything else (another exception, a bad problem) fails."""
    try:
        sub = read_submission(task, path, expected, format=fmt_name)
    except SubmissionInvalid as exc:
        # Lines as an editor counts them: \n, \r\n and a lone \r end a line.
        data = path.read_bytes()
        n_lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
        for p in exc.problems + exc.warnings:
            assert isinstance(p, Problem) and p.file == str(path)
            assert p.line is None or 1 <= p.line <= n_lines, (p, n_lines)
            p.format()
        assert exc.problems
        return "invalid"
    assert np.isfinite(sub.scores).all()
    assert sub.scores.shape[:2] == (len(expected), len(task.targets))
    return "valid"


edits = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "replace"]),
              st.floats(min_value=0.0, max_value=1.0), st.sampled_from(TOKENS)),
    min_size=0, max_size=6,
)


def apply(text: str, ops, cut) -> str:
    s = list(text)
    for op, where, token in ops:
        pos = int(where * len(s))
        if op == "insert":
            s[pos:pos] = list(token)
        elif op == "delete" and pos < len(s):
            del s[pos]
        elif pos < len(s):
            s[pos] = token
    out = "".join(s)
    return out if cut is None else out[: int(cut * len(out))]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(SEED_KEYS), ops=edits,
       cut=st.none() | st.floats(min_value=0.0, max_value=1.0),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16-be", "cp1252", "latin-1"]),
       declared=st.booleans())
@example(key=SEED_KEYS[0], ops=[], cut=None, encoding="utf-8", declared=False)
def test_mutated_files_are_read_or_refused(tmp_path, seeds, key, ops, cut, encoding, declared):
    task = REGISTRY.get(key[0])
    expected, text = seeds[key]
    data = apply(text, ops, cut).encode(encoding, errors="replace")
    path = tmp_path / "mutated.csv"
    path.write_bytes(data)
    outcome(task, path, expected, key[1] if declared else None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(SEED_KEYS), blob=st.binary(max_size=3000))
def test_arbitrary_bytes_are_read_or_refused(tmp_path, seeds, key, blob):
    task = REGISTRY.get(key[0])
    path = tmp_path / "bytes.csv"
    path.write_bytes(blob)
    outcome(task, path, seeds[key][0])


BLOWUPS = {
    "printable-noise": lambda t: bytes(np.random.default_rng(1).integers(32, 127, 5000, dtype=np.uint8)),
    "utf-16": lambda t: t.encode("utf-16-be"),
    "cp1252-tail": lambda t: t.encode("cp1252") + "é".encode("cp1252"),
    "full-width-digits": lambda t: t.replace("0.", "０.").encode("utf-8"),
    "huge-line": lambda t: t.encode().replace(b"\n", b"\n" + b"x" * 300_000 + b"\n", 1),
    "unterminated-quote": lambda t: b'"' + b"a" * 200_000,
    "many-commas-first": lambda t: b"," * 50_000 + b"\n" + t.encode(),
    "many-columns-last": lambda t: t.encode() + b"\n" + b",".join([b"0.5"] * 20_000) + b"\n",
    "first-line-repeated": lambda t: (t.splitlines()[0] + "\n").encode() * 50,
    "empty-lines": lambda t: b"\n" * 1000,
    "control-prefix": lambda t: b"\x1a\x1b\x7f" + t.encode(),
    "quote-before-every-comma": lambda t: t.encode().replace(b",", b'",'),
    "three-quotes-after-commas": lambda t: t.encode().replace(b",", b',"', 3),
    "empty-file": lambda t: b"",
}


@pytest.mark.parametrize("blowup", sorted(BLOWUPS))
@pytest.mark.parametrize("key", SEED_KEYS, ids=["-".join(k) for k in SEED_KEYS])
def test_structural_blowups_are_read_or_refused(tmp_path, seeds, key, blowup):
    task = REGISTRY.get(key[0])
    expected, text = seeds[key]
    path = tmp_path / "blowup.csv"
    path.write_bytes(BLOWUPS[blowup](text))
    outcome(task, path, expected)


@pytest.mark.parametrize("key", SEED_KEYS, ids=["-".join(k) for k in SEED_KEYS])
def test_every_seed_is_valid_and_a_broken_one_is_refused(tmp_path, seeds, key):
    # the corpus exercises both outcomes for every format
    task = REGISTRY.get(key[0])
    expected, text = seeds[key]
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(text)
    bad.write_text(text.replace("0.", "x.", 1))
    assert outcome(task, good, expected, key[1]) == "valid"
    assert outcome(task, bad, expected, key[1]) == "invalid"
