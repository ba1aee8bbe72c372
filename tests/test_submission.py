"""Reading and validating prediction files (benchmark.submissions.submission).

Expected arrays are built independently of the reader under test: from the values the test
itself writes (a dict per case), from ``np.genfromtxt`` (the reader of the official MRNet
scorer) or from Python's ``csv`` module.
"""

import csv
import gzip
import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmark.submissions.submission as submission_module
from benchmark.core.errors import Problem, SubmissionInvalid, format_problems
from benchmark.data.labels import LabelSet
from benchmark.data.public import PublicCases, load_public
from benchmark.submissions.submission import Submission, canonical_format, describe_formats, expected_header, read_submission, write_canonical
from benchmark.data.tasks import load_registry

ROOT = Path(__file__).resolve().parent.parent
MRNET_VALID = [str(i) for i in range(1130, 1250)]  # public validation ids (competition page)


@pytest.fixture(scope="module")
def reg():
    return load_registry(ROOT)


@pytest.fixture(scope="module")
def mrnet(reg):
    return reg.get("mrnet")


@pytest.fixture(scope="module")
def cspine(reg):
    return reg.get("rsna-cspine")


@pytest.fixture(scope="module")
def lumbar(reg):
    return reg.get("rsna-lumbar")


@pytest.fixture(scope="module")
def bankart(reg):
    return reg.get("scopemri-bankart")


def cases(task_id, ids, split="valid"):
    ids = np.array(list(ids), dtype=str)
    return PublicCases(task_id, split, ids, pd.DataFrame(index=ids), "public_ids.csv")


def write(tmp_path, content, name="pred.csv"):
    p = tmp_path / name
    p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return p


def invalid(task, path, expected, **kw) -> SubmissionInvalid:
    with pytest.raises(SubmissionInvalid) as info:
        read_submission(task, path, expected, **kw)
    exc = info.value
    for p in exc.problems:
        assert isinstance(p, Problem) and p.code and p.message
        assert p.file == str(path)
    return exc


def codes(exc) -> list:
    return [p.code for p in exc.problems]


def first(exc, code) -> Problem:
    for p in exc.problems:
        if p.code == code:
            return p
    raise AssertionError(f"no {code!r} problem in:\n{format_problems(exc.problems, 100)}")


def mrnet_values(seed=0, ids=MRNET_VALID):
    rng = np.random.default_rng(seed)
    return {i: rng.random(3).round(4) for i in ids}


def mrnet_wide(values, order=None, header="case,abnormal,acl,meniscus", nl="\n"):
    order = list(values) if order is None else order
    rows = [header] + [f"{i},{values[i][0]},{values[i][1]},{values[i][2]}" for i in order]
    return nl.join(rows) + nl


CSPINE_IDS = [f"1.2.826.0.1.3680043.{10020 + 7 * i}" for i in range(12)]
LUMBAR_IDS = [str(4003253 + 1117 * i) for i in range(4)]


def cspine_long_rows(values, targets):
    return [f"{i}_{t},{values[i][j]}" for i in values for j, t in enumerate(targets)]


# ------------------------------------------------------------------------------------------
# Valid files
# ------------------------------------------------------------------------------------------
def test_wide_any_row_order_is_aligned_to_public_ids(tmp_path, mrnet):
    vals = mrnet_values()
    order = list(np.random.default_rng(1).permutation(MRNET_VALID))
    text = mrnet_wide(vals, order)
    p = write(tmp_path, text)
    sub = read_submission(mrnet, p, cases("mrnet", MRNET_VALID))
    assert isinstance(sub, Submission)
    assert sub.format == "canonical" and sub.task_id == "mrnet" and sub.n_rows == 120
    assert sub.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert list(sub.ids) == MRNET_VALID
    assert sub.scores.dtype == np.float64 and sub.scores.shape == (120, 3)
    np.testing.assert_array_equal(sub.scores, np.array([vals[i] for i in MRNET_VALID]))
    assert sub.warnings == []


def test_wide_columns_in_any_order(tmp_path, mrnet):
    vals = mrnet_values(2)
    rows = ["meniscus,case,acl,abnormal"] + [f"{v[2]},{i},{v[1]},{v[0]}" for i, v in vals.items()]
    sub = read_submission(mrnet, write(tmp_path, "\n".join(rows)), cases("mrnet", MRNET_VALID))
    np.testing.assert_array_equal(sub.scores, np.array([vals[i] for i in MRNET_VALID]))


def test_headerless_official_format_matches_official_reader(tmp_path, mrnet):
    vals = mrnet_values(3)
    text = "".join(f"{v[0]},{v[1]},{v[2]}\n" for v in vals.values())
    p = write(tmp_path, text)
    # The public id list in a shuffled order: rows still belong to cases in ascending order.
    shuffled = list(np.random.default_rng(4).permutation(MRNET_VALID))
    sub = read_submission(mrnet, p, cases("mrnet", shuffled))
    official = np.genfromtxt(p, delimiter=",")  # how evaluate-v1.0.py reads predictions
    assert sub.format == "mrnet_official"
    pos = {c: i for i, c in enumerate(sorted(MRNET_VALID, key=int))}
    np.testing.assert_array_equal(sub.scores, official[[pos[c] for c in shuffled]])
    assert [w.code for w in sub.warnings] == ["row-order"]
    # Explicit format gives the same result.
    sub2 = read_submission(mrnet, p, cases("mrnet", shuffled), format="mrnet_official")
    np.testing.assert_array_equal(sub2.scores, sub.scores)


def test_headerless_orders_numerically_when_ids_are_digits(tmp_path, mrnet):
    ids = ["0099", "0100", "1000", "0998"]
    p = write(tmp_path, "0.1,0.1,0.1\n0.2,0.2,0.2\n0.3,0.3,0.3\n0.4,0.4,0.4\n")
    sub = read_submission(mrnet, p, cases("mrnet", ids))
    np.testing.assert_array_equal(sub.scores[:, 0], [0.1, 0.2, 0.4, 0.3])


def test_long_layout_quoted_scientific_any_order(tmp_path, cspine):
    rng = np.random.default_rng(5)
    vals = {i: rng.random(8).round(6) for i in CSPINE_IDS}
    rows = cspine_long_rows(vals, cspine.targets)
    rng.shuffle(rows)
    out = ["row_id,fractured"]
    for j, r in enumerate(rows):
        rid, v = r.rsplit(",", 1)
        if j % 3 == 0:
            out.append(f'"{rid}","{v}"')
        elif j % 3 == 1:
            out.append(f"{rid},{float(v):.6e}")
        else:
            out.append(r)
    p = write(tmp_path, "\n".join(out) + "\n")
    sub = read_submission(cspine, p, cases("rsna-cspine", CSPINE_IDS, "test"))
    assert sub.format == "kaggle_long" and sub.n_rows == 96
    # Independent reading with the csv module.
    with open(p, newline="") as fh:
        got = {r["row_id"]: float(r["fractured"]) for r in csv.DictReader(fh)}
    want = np.array([[got[f"{i}_{t}"] for t in cspine.targets] for i in CSPINE_IDS])
    np.testing.assert_array_equal(sub.scores, want)


def test_cspine_wide_format_is_detected(tmp_path, cspine):
    rng = np.random.default_rng(6)
    vals = {i: rng.random(8).round(5) for i in CSPINE_IDS}
    head = "StudyInstanceUID," + ",".join(cspine.targets)
    text = head + "\n" + "".join(f"{i}," + ",".join(map(str, v)) + "\n" for i, v in vals.items())
    sub = read_submission(cspine, write(tmp_path, text), cases("rsna-cspine", CSPINE_IDS, "test"))
    assert sub.format == "wide"
    np.testing.assert_array_equal(sub.scores, np.array([vals[i] for i in CSPINE_IDS]))


def _lumbar_text(lumbar, probs, header="row_id,normal_mild,moderate,severe"):
    rows = [header]
    for i in LUMBAR_IDS:
        for t in lumbar.targets:
            a, b, c = probs[(i, t)]
            rows.append(f"{i}_{t},{a},{b},{c}")
    return "\n".join(rows) + "\n"


def _lumbar_probs(seed=7):
    rng = np.random.default_rng(seed)
    return {(i, t): tuple(rng.dirichlet([3, 2, 1]).round(3)) for i in LUMBAR_IDS
            for t in load_registry(ROOT).get("rsna-lumbar").targets}


def test_multiclass_long_shape_and_values(tmp_path, lumbar):
    probs = _lumbar_probs()
    # Make every row sum to exactly 1 so no warning is expected.
    probs = {k: (v[0], v[1], round(1 - v[0] - v[1], 3)) for k, v in probs.items()}
    probs = {k: v if abs(sum(v) - 1) < 1e-9 else (0.5, 0.25, 0.25) for k, v in probs.items()}
    sub = read_submission(lumbar, write(tmp_path, _lumbar_text(lumbar, probs)),
                          cases("rsna-lumbar", LUMBAR_IDS, "test"))
    assert sub.scores.shape == (4, 25, 3)
    want = np.array([[probs[(i, t)] for t in lumbar.targets] for i in LUMBAR_IDS])
    np.testing.assert_array_equal(sub.scores, want)
    assert sub.warnings == []


def test_multiclass_rows_not_summing_to_one_warn(tmp_path, lumbar):
    probs = {k: (0.5, 0.25, 0.25) for k in _lumbar_probs()}
    t0 = lumbar.targets[3]
    probs[(LUMBAR_IDS[1], t0)] = (0.6, 0.6, 0.6)  # sum 1.8: rescaled by the scorer
    probs[(LUMBAR_IDS[2], t0)] = (0.2, 0.2, 0.2)
    p = write(tmp_path, _lumbar_text(lumbar, probs))
    sub = read_submission(lumbar, p, cases("rsna-lumbar", LUMBAR_IDS, "test"))
    warns = [w for w in sub.warnings if w.code == "row-sum"]
    assert len(warns) == 2
    assert warns[0].line == 2 + 25 * 1 + 3 and warns[1].line == 2 + 25 * 2 + 3
    assert "1.8" in warns[0].found and "rescale" in warns[0].message
    assert sub.scores[1, 3].tolist() == [0.6, 0.6, 0.6]  # stored as written


def test_multiclass_problems(tmp_path, lumbar):
    # The competition's scorer refused negative predictions only; a value above 1 and a row of
    # zeros were scored (clipped to [2**-52, 1 - 2**-52], then the row rescaled): warnings.
    probs = {k: (0.5, 0.25, 0.25) for k in _lumbar_probs()}
    t = lumbar.targets
    probs[(LUMBAR_IDS[0], t[0])] = (0, 0, 0)
    probs[(LUMBAR_IDS[0], t[1])] = (-0.1, 0.6, 0.5)
    probs[(LUMBAR_IDS[0], t[2])] = (1.5, 0, 0)
    probs[(LUMBAR_IDS[0], t[3])] = (-1e-9, 0.6, 0.4)  # rounding, still refused
    exc = invalid(lumbar, write(tmp_path, _lumbar_text(lumbar, probs)),
                  cases("rsna-lumbar", LUMBAR_IDS, "test"))
    assert codes(exc) == ["logit", "negative-value"]
    neg = first(exc, "logit")
    assert (neg.line, neg.column, neg.found) == (3, "normal_mild", "'-0.1'")
    assert "logit" in neg.message and "softmax" in neg.fix
    tiny = first(exc, "negative-value")
    assert tiny.line == 5 and "rounding" in tiny.message and "logit" not in tiny.message
    warned = {w.code: w.line for w in exc.warnings}
    assert warned == {"zero-row": 2, "value-above-one": 4}


def test_multiclass_percentages_and_zero_rows_are_accepted_with_warnings(tmp_path, lumbar):
    probs = {k: (0.5, 0.25, 0.25) for k in _lumbar_probs()}
    t = lumbar.targets
    probs[(LUMBAR_IDS[1], t[0])] = (60, 30, 10)
    probs[(LUMBAR_IDS[1], t[1])] = (0, 0, 0)
    probs[(LUMBAR_IDS[2], t[4])] = (1.0000000001, 0, 0)
    sub = read_submission(lumbar, write(tmp_path, _lumbar_text(lumbar, probs)),
                          cases("rsna-lumbar", LUMBAR_IDS, "test"))
    assert sub.scores[1, 0].tolist() == [60, 30, 10]  # stored as written; the metric clips
    above = [w for w in sub.warnings if w.code == "value-above-one"]
    # Three examples (the percentage row), then the count of all four values above 1.
    assert [(w.line, w.column, w.found) for w in above] == [
        (2 + 25, "normal_mild", "'60'"), (2 + 25, "moderate", "'30'"),
        (2 + 25, "severe", "'10'"), (None, None, None),
    ]
    assert all("counts as 1" in w.message and "not the same prediction" in w.message
               for w in above[:3])
    assert "4 values in total are above 1" in above[3].message
    assert "percentage" not in {w.code for w in sub.warnings}
    zero = [w for w in sub.warnings if w.code == "zero-row"]
    assert len(zero) == 1 and zero[0].line == 2 + 25 + 1 and "1/3" in zero[0].message


def test_bom_crlf_comments_blank_lines_are_accepted(tmp_path, mrnet):
    vals = mrnet_values(8)
    base = mrnet_wide(vals)
    want = np.array([[vals[i][j] for j in range(3)] for i in MRNET_VALID])
    variants = {
        "bom": "\ufeff" + base,
        "crlf": base.replace("\n", "\r\n"),
        "cr": base.replace("\n", "\r"),
        "trailing": base + "\n\n  \n",
        "comments": "# model v2\n# generated 2024-06-01, seed 1\n\n" + base,
        "no-final-newline": base.rstrip("\n"),
        "spaces-in-values": base.replace(",0.", ", 0."),
    }
    for name, text in variants.items():
        sub = read_submission(mrnet, write(tmp_path, text, f"{name}.csv"), cases("mrnet", MRNET_VALID))
        np.testing.assert_array_equal(sub.scores, want, err_msg=name)


def test_header_spaces_are_a_warning(tmp_path, mrnet):
    vals = mrnet_values(9)
    text = mrnet_wide(vals, header="case, abnormal, acl, meniscus")
    sub = read_submission(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    assert [w.code for w in sub.warnings] == ["header-whitespace"]


# ------------------------------------------------------------------------------------------
# File and bytes
# ------------------------------------------------------------------------------------------
def test_missing_path_and_directory(tmp_path, mrnet):
    exc = invalid(mrnet, tmp_path / "nope.csv", cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["file-not-found"]
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "predictions.csv").write_text("x")
    exc = invalid(mrnet, tmp_path / "dir", cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["not-a-file"] and "predictions.csv" in exc.problems[0].message


def test_size_is_checked_before_reading(tmp_path, mrnet, monkeypatch):
    p = tmp_path / "big.csv"
    with open(p, "wb") as fh:  # sparse: 250 MB without writing them
        fh.truncate(250 * 1_000_000)

    def no_open(*a, **k):
        raise AssertionError("the file was opened although it is too large")

    monkeypatch.setattr(submission_module, "open", no_open, raising=False)
    exc = invalid(mrnet, p, cases("mrnet", MRNET_VALID))
    prob = first(exc, "file-too-large")
    assert prob.expected == "at most 200 MB" and prob.found == "250.0 MB"
    # An explicit limit wins over the task's.
    small = write(tmp_path, mrnet_wide(mrnet_values()), "small.csv")
    exc = invalid(mrnet, small, cases("mrnet", MRNET_VALID), max_mb=0.001)
    assert first(exc, "file-too-large").expected == "at most 0.001 MB"


@pytest.mark.parametrize(
    "content, code",
    [
        (gzip.compress(b"case,abnormal,acl,meniscus\n", mtime=0), "compressed"),
        (b"", "empty-file"),
        ("case,abnormal,acl,meniscus\n1130,0.1,0.2,0.3\n".encode("utf-16"), "utf16"),
        ("case,abnormal,acl,meniscus\n1130,0.1,0.2,0.3\n".encode("utf-16-le"), "utf16"),
        ("case,abnormal,acl,meniscus\n".encode("utf-32"), "utf16"),
        (b"\x00\x01\x02\x03binary\xff\xfe", "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "binary"),
        (b"PAR1\x00\x00", "binary"),
    ],
)
def test_non_text_inputs_are_named(tmp_path, mrnet, content, code):
    exc = invalid(mrnet, write(tmp_path, content), cases("mrnet", MRNET_VALID))
    assert codes(exc) == [code]
    assert exc.problems[0].fix


def test_zip_and_xlsx_are_named(tmp_path, mrnet):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    exc = invalid(mrnet, write(tmp_path, buf.getvalue(), "pred.xlsx"), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["archive"] and "xlsx" in exc.problems[0].message


def test_latin1_file_names_line_and_encoding(tmp_path, mrnet):
    text = "# modèle\ncase,abnormal,acl,meniscus\n1130,0.1,0.2,0.3\n"
    exc = invalid(mrnet, write(tmp_path, text.encode("latin-1")), cases("mrnet", MRNET_VALID))
    p = first(exc, "not-utf8")
    assert p.line == 1 and "e8" in p.found and "Windows-1252" in p.message


def test_only_comments(tmp_path, mrnet):
    exc = invalid(mrnet, write(tmp_path, "# nothing\n\n   \n"), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["no-content"]


def test_header_without_rows(tmp_path, mrnet):
    exc = invalid(mrnet, write(tmp_path, "case,abnormal,acl,meniscus\n"), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["no-rows"]


# ------------------------------------------------------------------------------------------
# Delimiters and format detection
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sep, name", [(";", "';'"), ("\t", "tab")])
def test_wrong_delimiter(tmp_path, mrnet, sep, name):
    text = mrnet_wide(mrnet_values()).replace(",", sep)
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    p = first(exc, "wrong-delimiter")
    assert p.line == 1 and name in p.message


def test_semicolon_rows_under_a_comma_header(tmp_path, mrnet):
    lines = mrnet_wide(mrnet_values()).splitlines()
    lines[5] = lines[5].replace(",", ";")
    exc = invalid(mrnet, write(tmp_path, "\n".join(lines)), cases("mrnet", MRNET_VALID))
    p = first(exc, "field-count")
    assert p.line == 6 and "separated by ';'" in p.found
    assert "missing-ids" not in codes(exc)  # the row's id was seen


def test_decimal_comma_unquoted_and_quoted(tmp_path, mrnet):
    vals = mrnet_values()
    lines = mrnet_wide(vals).splitlines()
    lines[3] = "1132,0,5,0,25,0,75"
    lines[4] = '1133,"0,5",0.2,0.3'
    exc = invalid(mrnet, write(tmp_path, "\n".join(lines)), cases("mrnet", MRNET_VALID))
    fc = first(exc, "field-count")
    assert fc.line == 4 and "decimal comma" in fc.found and "'.'" in fc.fix
    dc = first(exc, "decimal-comma")
    assert (dc.line, dc.column, dc.found) == (5, "abnormal", "'0,5'")
    assert "missing-ids" not in codes(exc)


def test_mrnet_header_without_case_column_is_ambiguous(tmp_path, mrnet):
    vals = mrnet_values()
    text = "abnormal,acl,meniscus\n" + "".join(f"{v[0]},{v[1]},{v[2]}\n" for v in vals.values())
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    p = first(exc, "ambiguous-format")
    assert p.line == 1 and "'case'" in p.message and "canonical" in p.message
    assert "mrnet_official" in p.message and "delete the header line" in p.fix


def test_id_column_without_header_is_ambiguous(tmp_path, mrnet):
    vals = mrnet_values()
    text = "".join(f"{i},{v[0]},{v[1]},{v[2]}\n" for i, v in vals.items())
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    p = first(exc, "ambiguous-format")
    assert "4 numeric columns" in p.message and "case,abnormal,acl,meniscus" in p.fix


def test_missing_header_when_no_headerless_format(tmp_path, bankart):
    ids = ["1.2.826.0.1.3680043.10.474.1.1", "1.2.826.0.1.3680043.10.474.1.2"]
    exc = invalid(bankart, write(tmp_path, f"{ids[0]},0.1\n{ids[1]},0.2\n"), cases("x", ids))
    p = first(exc, "missing-header")
    assert "study_uid,bankart" in p.fix


def test_explicit_format(tmp_path, mrnet):
    p = write(tmp_path, mrnet_wide(mrnet_values()))
    exc = invalid(mrnet, p, cases("mrnet", MRNET_VALID), format="mrnet_oficial")
    assert codes(exc) == ["unknown-format"] and "mrnet_official" in exc.problems[0].message
    exc = invalid(mrnet, p, cases("mrnet", MRNET_VALID), format="mrnet_official")
    assert codes(exc) == ["unexpected-header"]
    sub = read_submission(mrnet, p, cases("mrnet", MRNET_VALID), format="canonical")
    assert sub.format == "canonical"


def test_unrecognised_header_lists_formats(tmp_path, cspine):
    exc = invalid(cspine, write(tmp_path, "foo,bar\n1,2\n"), cases("x", CSPINE_IDS))
    p = first(exc, "unrecognised-header")
    assert "kaggle_long" in p.fix and "row_id,fractured" in p.fix


# ------------------------------------------------------------------------------------------
# Header
# ------------------------------------------------------------------------------------------
def test_header_problems(tmp_path, mrnet):
    vals = mrnet_values()
    text = mrnet_wide(vals, header="case,abnormal,ACL,menicsus")
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["misspelled-column", "misspelled-column"]
    assert {(p.found, p.expected) for p in exc.problems} == {("'ACL'", "'acl'"), ("'menicsus'", "'meniscus'")}
    assert all(p.line == 1 for p in exc.problems)

    lines = [f"{i},{v[0]},{v[1]},{v[2]},{v[0]}" for i, v in vals.items()]
    exc = invalid(mrnet, write(tmp_path, "\n".join(["case,abnormal,acl,acl,score"] + lines)),
                  cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["duplicate-column", "extra-column", "missing-column"]
    assert first(exc, "duplicate-column").found == "at positions 3, 4"
    assert first(exc, "missing-column").column == "meniscus"


def test_pandas_index_column_is_explained(tmp_path, mrnet):
    vals = mrnet_values()
    df = pd.DataFrame([[i, *v] for i, v in vals.items()], columns=["case", "abnormal", "acl", "meniscus"])
    p = tmp_path / "pred.csv"
    df.to_csv(p)  # index=True by mistake
    exc = invalid(mrnet, p, cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["unnamed-column"]
    assert "index=False" in exc.problems[0].fix


# ------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------
def test_value_problems_name_line_column_and_fix(tmp_path, mrnet):
    vals = mrnet_values()
    lines = mrnet_wide(vals).splitlines()  # line n of the file is lines[n - 1]
    lines[1] = "1130,nan,0.2,0.3"
    lines[2] = "1131,0.1,inf,0.3"
    lines[3] = "1132,0.1,,0.3"
    lines[4] = "1133,0.1,high,0.3"
    lines[5] = "1134,42,0.2,0.3"
    lines[6] = "1135,0.5,0.2,0.3"
    lines[7] = "1136,0.1,0.2,250"
    lines[8] = "1137,50%,0.2,0.3"
    text = "# comment line\n" + "\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:])
    # physical lines: 1 comment, 2 header, 3-6 rows 1130-1133, 7 blank, 8.. rows 1134..
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    got = {p.code: (p.line, p.column, p.found) for p in exc.problems}
    assert got == {
        "nan-value": (3, "abnormal", "'nan'"),
        "infinite-value": (4, "acl", "'inf'"),
        "empty-value": (5, "acl", "''"),
        "not-a-number": (6, "acl", "'high'"),
        "percentage": (8, "abnormal", "'42'"),
        "above-one": (10, "meniscus", "'250'"),
        "percent-sign": (11, "abnormal", "'50%'"),
    }
    assert "divide" in first(exc, "percentage").fix and "100" in first(exc, "percentage").fix
    assert all(p.expected == "a probability in [0, 1]" and p.fix for p in exc.problems)


def test_negative_values_are_logits_and_so_are_large_values_beside_them(tmp_path, mrnet):
    vals = mrnet_values()
    vals["1134"] = [42.0, 0.2, 0.3]
    vals["1135"] = [-0.5, 0.2, 0.3]
    vals["1136"] = [0.1, 0.2, 2.5]
    exc = invalid(mrnet, write(tmp_path, mrnet_wide(vals)), cases("mrnet", MRNET_VALID))
    got = {(p.code, p.line, p.column, p.found) for p in exc.problems}
    assert got == {
        ("logit-above-one", 6, "abnormal", "'42.0'"),
        ("logit", 7, "abnormal", "'-0.5'"),
        ("logit-above-one", 8, "meniscus", "'2.5'"),
    }
    for p in exc.problems:
        assert "logit" in p.message and "sigmoid" in p.fix and "percentage" not in p.message
    # Without the negative value, 42 and 2.5 look like percentages.
    vals["1135"] = [0.5, 0.2, 0.3]
    exc = invalid(mrnet, write(tmp_path, mrnet_wide(vals)), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["percentage", "percentage"]


def test_values_a_few_ulps_outside_the_unit_interval_are_rounding(tmp_path, mrnet):
    vals = mrnet_values()
    vals["1130"] = [1.0000000001, 0.2, 0.3]
    vals["1131"] = [0.1, -1e-17, 0.3]
    vals["1132"] = [0.1, 0.2, 1 + 1e-6]
    sub = read_submission(mrnet, write(tmp_path, mrnet_wide(vals)), cases("mrnet", MRNET_VALID))
    assert sub.scores[0, 0] == 1.0 and sub.scores[1, 1] == 0.0 and sub.scores[2, 2] == 1.0
    warned = [(w.code, w.line, w.column) for w in sub.warnings]
    assert warned == [("rounding", 2, "abnormal"), ("rounding", 3, "acl"),
                      ("rounding", 4, "meniscus")]
    assert all("percentage" not in w.message for w in sub.warnings)
    # Just beyond the tolerance a value is a percentage again.
    vals["1132"] = [0.1, 0.2, 1 + 2e-6]
    exc = invalid(mrnet, write(tmp_path, mrnet_wide(vals)), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["percentage"]


def test_hard_predictions_in_an_auc_task_warn(tmp_path, mrnet, cspine):
    rng = np.random.default_rng(3)
    vals = {i: [float(rng.integers(0, 2)), 0.7, float(rng.random())] for i in MRNET_VALID}
    sub = read_submission(mrnet, write(tmp_path, mrnet_wide(vals)), cases("mrnet", MRNET_VALID))
    hard = {w.column: w for w in sub.warnings if w.code == "hard-predictions"}
    # acl is constant (a prevalence baseline): AUC 0.5, no warning.
    assert set(hard) == {"abnormal"}
    assert "0 and 1" in hard["abnormal"].message and "single operating point" in hard["abnormal"].message
    assert hard["abnormal"].found == "2 distinct values" and hard["abnormal"].line is None
    # The same task without its AUC metrics: no such warning.
    ids = CSPINE_IDS
    cspine = cspine.model_copy(update={"metrics": [m for m in cspine.metrics if m.fn != "roc_auc"]})
    targets = list(cspine.targets)
    values = {i: [1.0 if (k + j) % 2 else 0.0 for j in range(len(targets))]
              for k, i in enumerate(ids)}
    text = "row_id,fractured\n" + "\n".join(cspine_long_rows(values, targets)) + "\n"
    sub = read_submission(cspine, write(tmp_path, text, "c.csv"), cases("rsna-cspine", ids, "test"))
    assert "hard-predictions" not in {w.code for w in sub.warnings}


def test_value_messages_do_not_depend_on_labels(tmp_path, mrnet):
    # Validation sees the public ids only: two label sets with the same public ids give the
    # same problems and warnings, byte for byte.
    vals = mrnet_values()
    vals["1130"] = [1.0000000001, 1.0, 0.0]
    vals["1131"] = [0.0, 1.0, 1.0]
    path = write(tmp_path, mrnet_wide(vals))
    ids = np.array(MRNET_VALID, dtype=str)
    rng = np.random.default_rng(0)
    outs = []
    for y in (np.zeros((len(ids), 3)), (rng.random((len(ids), 3)) < 0.5).astype(float)):
        labels = LabelSet("mrnet", "valid", ids, y, pd.DataFrame(index=ids), "0" * 64,
                          "labels.csv", True)
        sub = read_submission(mrnet, path, labels.public_cases())
        outs.append([w.format() for w in sub.warnings])
    assert outs[0] == outs[1]


def test_many_bad_values_are_summarised(tmp_path, mrnet):
    vals = {i: [0.1, 0.2, -1.0] for i in MRNET_VALID}
    exc = invalid(mrnet, write(tmp_path, mrnet_wide(vals)), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["logit"] * 4
    assert [p.line for p in exc.problems[:3]] == [2, 3, 4]
    assert exc.problems[3].line is None and "120 values in total" in exc.problems[3].message


def test_all_problems_are_collected_across_stages(tmp_path, mrnet):
    vals = mrnet_values()
    del vals["1200"]
    lines = mrnet_wide(vals, header="case,abnormal,acl,menicsus").splitlines()
    lines[2] = lines[2].split(",")[0] + ",0.1,1.5,0.2"
    lines.append("9999,0.1,0.2,0.3")
    exc = invalid(mrnet, write(tmp_path, "\n".join(lines)), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["misspelled-column", "percentage", "unknown-id", "missing-ids"]
    assert "1 case " in first(exc, "missing-ids").message and "'1200'" in first(exc, "missing-ids").found


# ------------------------------------------------------------------------------------------
# Ids
# ------------------------------------------------------------------------------------------
def test_id_problems(tmp_path, mrnet):
    vals = mrnet_values()
    lines = mrnet_wide(vals).splitlines()
    lines[2] = lines[2].replace("1131", " 1131 ")
    lines[3] = lines[3].replace("1132", "1130")  # duplicate of line 2
    lines[4] = lines[4].replace("1133", "")
    lines[5] = lines[5].replace("1134", "0134")
    lines[6] = lines[6].replace("1135", "1135.0")
    exc = invalid(mrnet, write(tmp_path, "\n".join(lines)), cases("mrnet", MRNET_VALID))
    got = {p.code: p for p in exc.problems}
    assert set(got) == {"id-whitespace", "empty-id", "duplicate-id", "id-as-number",
                        "unknown-id", "missing-ids"}
    assert got["id-whitespace"].line == 3
    assert got["duplicate-id"].line == 4 and "first on line 2" in got["duplicate-id"].found
    assert got["empty-id"].line == 5
    assert got["unknown-id"].line == 6 and "0134" in got["unknown-id"].found
    assert got["id-as-number"].line == 7 and "'1135'" in got["id-as-number"].found
    # 1132 (overwritten by the duplicate), 1133 (empty id) and 1134 are missing; 1131 and
    # 1135 were recognised and are not reported missing.
    assert "3 cases" in got["missing-ids"].message
    for i in ("'1132'", "'1133'", "'1134'"):
        assert i in got["missing-ids"].found
    assert "'1131'" not in got["missing-ids"].found and "'1135'" not in got["missing-ids"].found


def test_lost_zero_padding_is_recognised(tmp_path, mrnet):
    ids = [f"{i:04d}" for i in range(120, 240)]  # training-like ids 0120-0239
    order = [str(int(i)) for i in ids]  # written as numbers: 120, 121, ...
    text = "case,abnormal,acl,meniscus\n" + "".join(f"{o},0.1,0.2,0.3\n" for o in order)
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", ids, "train"))
    assert codes(exc) == ["id-zero-padding"] * 4
    p = exc.problems[0]
    assert p.line == 2 and "'120'" in p.found and "'0120'" in p.found
    assert "4-character" in p.expected
    assert "120 ids in total" in exc.problems[3].message
    # '130' is not a valid case of the validation split (1130-1249) and padding gives '0130':
    text = mrnet_wide(mrnet_values()).replace("\n1130,", "\n130,")
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    assert codes(exc) == ["unknown-id", "missing-ids"]
    assert "does not match the id pattern" in exc.problems[0].found


def test_missing_ids_list_is_cut_to_20(tmp_path, mrnet):
    vals = mrnet_values()
    keep = {i: v for i, v in vals.items() if int(i) >= 1180}
    exc = invalid(mrnet, write(tmp_path, mrnet_wide(keep)), cases("mrnet", MRNET_VALID))
    p = first(exc, "missing-ids")
    assert "50 cases" in p.message
    listed = re.findall(r"'(\d{4})'", p.found)
    assert listed == [str(i) for i in range(1130, 1150)]
    assert p.found.endswith("and 30 more")


def test_long_layout_id_problems(tmp_path, cspine):
    vals = {i: [0.1] * 8 for i in CSPINE_IDS}
    rows = cspine_long_rows(vals, cspine.targets)
    rows = [r for r in rows if not r.startswith(f"{CSPINE_IDS[0]}_patient_overall")]
    rows = [r.replace(f"{CSPINE_IDS[1]}_C1,", f"{CSPINE_IDS[1]}_c1,") for r in rows]
    rows = [r for r in rows if not r.startswith(CSPINE_IDS[2] + "_")]
    rows.append("1.2.826.0.1.3680043.99999_C3,0.1")
    rows.append("nonsense,0.2")
    text = "row_id,fractured\n" + "\n".join(rows) + "\n"
    exc = invalid(cspine, write(tmp_path, text), cases("rsna-cspine", CSPINE_IDS, "test"))
    got = {p.code: p for p in exc.problems}
    assert set(codes(exc)) == {"unknown-target", "unknown-id", "missing-ids", "missing-rows"}
    assert "did you mean 'C1'" in got["unknown-target"].message
    assert got["unknown-target"].line == 1 + 7 + 2  # row 2 of study 1 after study 0's 7 rows
    miss = [p for p in exc.problems if p.code == "missing-rows"]
    assert len(miss) == 1 and "'patient_overall'" in miss[0].message  # C1 of study 1 was claimed
    assert f"{CSPINE_IDS[0]}_patient_overall" in miss[0].found
    assert "1 case " in got["missing-ids"].message and CSPINE_IDS[2] in got["missing-ids"].found
    unknown = [p for p in exc.problems if p.code == "unknown-id"]
    assert {p.found for p in unknown} == {"'nonsense'", "'1.2.826.0.1.3680043.99999'"}


def test_long_duplicate_rows(tmp_path, cspine):
    vals = {i: [0.1] * 8 for i in CSPINE_IDS}
    rows = cspine_long_rows(vals, cspine.targets)
    rows.append(rows[5])
    exc = invalid(cspine, write(tmp_path, "row_id,fractured\n" + "\n".join(rows)),
                  cases("rsna-cspine", CSPINE_IDS, "test"))
    p = first(exc, "duplicate-id")
    assert p.line == 98 and "first on line 7" in p.found


# ------------------------------------------------------------------------------------------
# Participant-visible messages never depend on hidden labels
# ------------------------------------------------------------------------------------------
def test_messages_do_not_depend_on_hidden_labels(tmp_path, mrnet):
    ids = np.array(MRNET_VALID)
    rng = np.random.default_rng(11)
    y_a = (rng.random((120, 3)) < np.array([0.31, 0.48, 0.23])).astype(float)
    y_a[:, 0] = 0.0
    y_a[:37, 0] = 1.0  # 37 positives for abnormal
    y_b = 1.0 - y_a  # flipped: 83 positives
    label_sets = [
        LabelSet("mrnet", "valid", ids, y, pd.DataFrame(index=ids), "f" * 64, "hidden.csv", False)
        for y in (y_a, y_b)
    ]
    vals = mrnet_values(12)
    bad_files = []
    lines = mrnet_wide(vals).splitlines()
    lines[2] = "1131,0.1,-0.2,0.3"
    lines[9] = "0009,0.1,0.2,0.3"
    bad_files.append("\n".join(lines[:60] + lines[70:]))
    bad_files.append("abnormal,acl,meniscus\n0.1,0.2,0.3\n")
    bad_files.append(mrnet_wide(vals, header="case,abnormal,acl").replace(",0.", ",1."))
    bad_files.append("".join(f"{v[0]},{v[1]}\n" for v in vals.values()))
    for k, text in enumerate(bad_files):
        p = write(tmp_path, text, f"bad{k}.csv")
        rendered = []
        for ls in label_sets:
            exc = invalid(mrnet, p, ls.public_cases())
            rendered.append([q.to_dict() for q in exc.problems] + [w.to_dict() for w in exc.warnings])
        assert rendered[0] == rendered[1]
        blob = format_problems([Problem(**d) for d in rendered[0]], 1000)
        prevalences = {f"{c / 120:.2f}" for c in (37, 83)} | {f"{c / 120:.3f}" for c in (37, 83)}
        for token in ["37", "83", *prevalences]:
            assert not re.search(rf"(?<![\d.]){re.escape(token)}(?![\d])", blob), (token, blob)


# ------------------------------------------------------------------------------------------
# Robustness (any input gives a Submission or SubmissionInvalid: test_properties_submission_fuzz)
# ------------------------------------------------------------------------------------------
def test_quoted_field_spanning_lines_is_reported(tmp_path, mrnet):
    text = 'case,abnormal,acl,meniscus\n1130,"0.1\n0.2",0.3,0.4\n1131,0.1,0.2,0.3\n'
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", ["1130", "1131"]))
    assert [p.line for p in exc.problems if p.code == "malformed-quotes"] == [2, 3]


# ------------------------------------------------------------------------------------------
# Writing and describing
# ------------------------------------------------------------------------------------------
def test_write_canonical_round_trips_every_task(tmp_path, reg):
    rng = np.random.default_rng(13)
    for task in reg:
        try:
            expected = load_public(task)
        except Exception:  # noqa: BLE001 - public lists are optional in a fresh checkout
            ex = task.id_example or "1"
            expected = cases(task.id, [f"{ex}{j}" for j in range(5)], task.default_split)
        n, k = len(expected), len(task.targets)
        if task.kind == "multiclass":
            scores = rng.dirichlet([1.0] * len(task.classes), size=(n, k))
        else:
            scores = rng.random((n, k))
        sub = Submission(task.id, "x", "mem", "0" * 64, expected.ids, scores, [], n)
        for fmt in task.formats:
            out = write_canonical(task, sub, tmp_path / task.id / f"{fmt.name}.csv", format=fmt.name)
            back = read_submission(task, out, expected)
            assert back.format == fmt.name, (task.id, fmt.name)
            np.testing.assert_array_equal(back.scores, scores)
        default = write_canonical(task, sub, tmp_path / task.id / "default.csv")
        assert read_submission(task, default, expected).format == canonical_format(task).name
        assert sorted(x.name for x in (tmp_path / task.id).iterdir() if x.name.startswith(".")) == []


def test_describe_formats_uses_id_example(reg):
    for task in reg:
        text = describe_formats(task)
        for f in task.formats:
            assert f"- {f.name}:" in text
            head = expected_header(task, f)
            if head is not None:
                assert ",".join(head) in text
        assert task.id_example in text
    mr = describe_formats(reg.get("mrnet"))
    assert "`1130,0.5,0.5,0.5`" in mr and "`0.5,0.5,0.5`" in mr


def test_large_long_file_is_correct(tmp_path, cspine):
    ids = [f"1.2.826.0.1.3680043.{100000 + i}" for i in range(5000)]
    rng = np.random.default_rng(14)
    vals = rng.random((5000, 8)).round(6)
    rows = [f"{i}_{t},{vals[a, b]}" for a, i in enumerate(ids) for b, t in enumerate(cspine.targets)]
    order = rng.permutation(len(rows))
    text = "row_id,fractured\n" + "\n".join(rows[j] for j in order) + "\n"
    sub = read_submission(cspine, write(tmp_path, text), cases("rsna-cspine", ids, "test"))
    np.testing.assert_array_equal(sub.scores, vals)
    assert sub.n_rows == 40_000


def test_a_long_run_of_digits_is_classified_in_linear_time(tmp_path, mrnet):
    # 200,000 digits then a letter: not a number. A pattern that can split a run of digits in
    # many ways (``\d+\.?\d*``) needs ~10^10 steps here; an unambiguous one needs ~10^5.
    import time

    values = mrnet_values()
    text = mrnet_wide(values).replace(f"{MRNET_VALID[0]},{values[MRNET_VALID[0]][0]},",
                                      f"{MRNET_VALID[0]},{'1' * 200_000}x,", 1)
    start = time.perf_counter()
    exc = invalid(mrnet, write(tmp_path, text), cases("mrnet", MRNET_VALID))
    assert time.perf_counter() - start < 10
    assert first(exc, "not-a-number").column == "abnormal"
