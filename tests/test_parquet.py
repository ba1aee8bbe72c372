"""Parquet prediction and label files: the same results and messages as the CSV of the table,
and hostile Parquet files refused with clear problems. All data here is SYNTHETIC."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from benchmark.cli.main import main  # noqa: E402
from benchmark.core import parquet as core_parquet  # noqa: E402
from benchmark.core.errors import LabelError, SubmissionInvalid  # noqa: E402
from benchmark.data.labels import load_labels, load_public  # noqa: E402
from benchmark.data.tasks import load_registry  # noqa: E402
from benchmark.submissions.submission import read_submission  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEMO_ENTRY = REPO / "submissions" / "mrnet" / "demo-lab-a__resnet-baseline" / "predictions.csv"


@pytest.fixture(scope="module")
def mrnet():
    return load_registry(REPO).get("mrnet")


@pytest.fixture(scope="module")
def public(mrnet):
    return load_public(mrnet)


def demo_frame() -> pd.DataFrame:
    return pd.read_csv(DEMO_ENTRY, comment="#", dtype={"case": str})


def problems_of(task, path, public, **kw) -> list[str]:
    with pytest.raises(SubmissionInvalid) as exc:
        read_submission(task, path, public, **kw)
    return [p.format().replace(str(path), "FILE") for p in exc.value.problems]


def test_a_parquet_submission_scores_exactly_as_its_csv(mrnet, public, tmp_path):
    df = demo_frame()
    df["abnormal"] = np.random.default_rng(1).uniform(size=len(df))  # 17-digit floats
    csv, parquet = tmp_path / "p.csv", tmp_path / "p.parquet"
    df.to_csv(csv, index=False, float_format="%.17g")
    df.to_parquet(parquet, index=False)
    a = read_submission(mrnet, csv, public)
    b = read_submission(mrnet, parquet, public)
    assert b.scores.tobytes() == a.scores.tobytes()
    assert b.scores[:, 0].tobytes() == np.ascontiguousarray(
        df.set_index("case").loc[list(public.ids), "abnormal"].to_numpy()).tobytes()
    assert b.sha256 == hashlib.sha256(parquet.read_bytes()).hexdigest() and b.format == a.format


def test_the_score_command_reads_parquet(mrnet, tmp_path, capsys):
    parquet = tmp_path / "p.parquet"
    demo_frame().to_parquet(parquet, index=False)
    outs = []
    for f in (DEMO_ENTRY, parquet):
        assert main(["score", "mrnet", str(f), "--demo", "--bootstrap", "200", "--json", "-"]) == 0
        res = json.loads(capsys.readouterr().out)
        outs.append(res["metrics"])
    assert outs[0] == outs[1]


def test_the_same_table_gets_the_same_messages_as_csv(mrnet, public, tmp_path):
    df = demo_frame()
    df["acl"] = df["acl"].astype(str)  # a column of text in Parquet
    df.loc[2, "acl"] = "abc"  # not a number
    df.loc[4, "abnormal"] = 1.5  # out of range
    df.loc[6, "meniscus"] = np.nan  # missing value (a null in Parquet, an empty CSV cell)
    df.loc[8, "case"] = "99999"  # not a public id
    df = df.drop(index=10)  # a case without a row
    csv, parquet = tmp_path / "bad.csv", tmp_path / "bad.parquet"
    df.to_csv(csv, index=False)
    df.to_parquet(parquet, index=False)
    from_csv = problems_of(mrnet, csv, public)
    from_parquet = problems_of(mrnet, parquet, public)
    assert len(from_csv) >= 5
    assert from_parquet == from_csv
    assert any("FILE:6: column abnormal" in p for p in from_parquet)  # data row 5 (df.loc[4]) -> line 6


def test_typed_columns_read_as_their_csv(mrnet, public, tmp_path):
    df = demo_frame()
    df["acl"] = df["acl"] > 0.5  # booleans: hard predictions, as their CSV (True/False) reads
    df["case"] = df["case"].astype(int)  # integer ids
    csv, parquet = tmp_path / "b.csv", tmp_path / "b.parquet"
    df.to_csv(csv, index=False)
    df.to_parquet(parquet, index=False)
    a, b = read_submission(mrnet, csv, public), read_submission(mrnet, parquet, public)
    assert b.scores.tobytes() == a.scores.tobytes() and set(b.scores[:, 1]) == {0.0, 1.0}
    assert [w.format().replace("b.parquet", "FILE") for w in b.warnings] == [
        w.format().replace("b.csv", "FILE") for w in a.warnings]
    assert a.warnings


def _write(table, path, **kw) -> Path:
    pq.write_table(table, path, **kw)
    return path


def _one_problem(task, path, public, **kw):
    with pytest.raises(SubmissionInvalid) as exc:
        read_submission(task, path, public, **kw)
    (p,) = exc.value.problems
    assert p.file == str(path) and p.fix
    return p


@pytest.mark.parametrize("column, code, word", [
    (pa.array([[0.1, 0.2]] * 120, pa.list_(pa.float64())), "nested-column", "nested"),
    (pa.array([{"p": 0.1}] * 120, pa.struct([("p", pa.float64())])), "nested-column", "nested"),
    (pa.array([b"\x00\x01"] * 120, pa.binary()), "column-type", "binary"),
    (pa.array([0] * 120, pa.timestamp("s")), "column-type", "timestamp"),
])
def test_hostile_column_types_are_named(mrnet, public, tmp_path, column, code, word):
    ids = pa.array(list(public.ids))
    table = pa.table({"case": ids, "abnormal": column, "acl": pa.array([0.5] * 120), "meniscus": pa.array([0.5] * 120)})
    p = _one_problem(mrnet, _write(table, tmp_path / "h.parquet"), public)
    assert p.code == code and word in f"{p.message} {p.found}" and "'abnormal'" in p.message


def test_a_huge_row_group_is_refused_before_it_is_read(mrnet, public, tmp_path, monkeypatch):
    path = tmp_path / "p.parquet"
    demo_frame().to_parquet(path, index=False)
    monkeypatch.setattr(core_parquet, "MAX_ROW_GROUP_BYTES", 1000)
    p = _one_problem(mrnet, path, public)
    assert p.code == "row-group-too-large" and "row_group_size" in p.fix


def test_a_table_too_large_uncompressed_is_refused(mrnet, public, tmp_path):
    n = 200_000  # compresses to a few kB: a decompression bomb for a 0.05 MB limit
    table = pa.table({"case": pa.array(["1250"] * n), "abnormal": pa.array(np.zeros(n))})
    path = _write(table, tmp_path / "bomb.parquet", compression="zstd")
    assert path.stat().st_size < 50_000
    p = _one_problem(mrnet, path, public, max_mb=0.05)
    assert p.code == "file-too-large" and "as CSV text" in p.expected


def test_a_broken_parquet_file_is_named(mrnet, public, tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\xff" * 64 + b"PAR1")
    p = _one_problem(mrnet, path, public)
    assert p.code == "bad-parquet"


def test_without_pyarrow_the_fix_names_the_extra(mrnet, public, tmp_path, monkeypatch):
    path = tmp_path / "p.parquet"
    demo_frame().to_parquet(path, index=False)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    p = _one_problem(mrnet, path, public)
    assert p.code == "parquet-unsupported" and "[parquet]" in p.fix


def test_a_parquet_beyond_the_csv_size_limit_of_the_same_table_is_accepted(mrnet, public, tmp_path):
    df = demo_frame()
    rng = np.random.default_rng(2)
    for col in ("abnormal", "acl", "meniscus"):
        df[col] = rng.uniform(size=len(df))
    csv, parquet = tmp_path / "p.csv", tmp_path / "p.parquet"
    df.to_csv(csv, index=False, float_format="%.17g")
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    table = table.set_column(0, "case", pa.array(df["case"].astype(int), pa.int16()))
    pq.write_table(table, parquet, write_statistics=False, compression="zstd", store_schema=False)
    limit = (csv.stat().st_size - 1) / 10**6
    assert parquet.stat().st_size < csv.stat().st_size
    assert [p.split(" (")[0] for p in problems_of(mrnet, csv, public, max_mb=limit)] == [
        "FILE: the file is larger than the task allows"]
    sub = read_submission(mrnet, parquet, public, max_mb=limit)
    assert sub.scores.tobytes() == read_submission(mrnet, csv, public).scores.tobytes()


# -- labels -------------------------------------------------------------------------------------
def _demo_labels_csv(mrnet) -> Path:
    return mrnet.path(mrnet.splits[mrnet.default_split].demo_labels)


def test_parquet_labels_read_as_their_csv(mrnet, tmp_path):
    src = _demo_labels_csv(mrnet)
    df = pd.read_csv(src, comment="#", dtype=str)
    for t in mrnet.targets:
        df[t] = df[t].astype(int)  # typed: integers, not text
    folder = tmp_path / "labels"
    folder.mkdir()
    df.to_parquet(folder / src.with_suffix(".parquet").name, index=False)
    a = load_labels(mrnet, labels=src, allow_hash_mismatch=True)
    b = load_labels(mrnet, labels=folder, allow_hash_mismatch=True)  # found by its canonical name
    assert b.source.endswith(".parquet") and b.native is None
    assert list(b.ids) == list(a.ids) and b.y.tobytes() == a.y.tobytes()
    assert b.sha256 == hashlib.sha256((folder / src.with_suffix(".parquet").name).read_bytes()).hexdigest()


def test_a_bad_parquet_label_row_gets_the_csv_message(mrnet, tmp_path):
    src = _demo_labels_csv(mrnet)
    df = pd.read_csv(src, comment="#", dtype=str)
    df.loc[4, mrnet.targets[0]] = "2"
    csv, parquet = tmp_path / "test_labels.csv", tmp_path / "test_labels.parquet"
    df.to_csv(csv, index=False)
    df.to_parquet(parquet, index=False)
    messages = []
    for f in (csv, parquet):
        with pytest.raises(LabelError) as exc:
            load_labels(mrnet, labels=f, allow_hash_mismatch=True)
        messages.append(str(exc.value).replace(str(f), "FILE"))
    assert messages[0] == messages[1] and "row 5 holds '2'" in messages[0]


def test_a_nested_parquet_label_file_is_a_host_error(mrnet, tmp_path):
    path = tmp_path / "test_labels.parquet"
    _write(pa.table({"case": pa.array(["1250"]), "abnormal": pa.array([[1]])}), path)
    with pytest.raises(LabelError, match="nested"):
        load_labels(mrnet, labels=path, allow_hash_mismatch=True)


def test_the_cli_reports_a_hostile_parquet_without_traceback(tmp_path, capsys):
    path = tmp_path / "h.parquet"
    _write(pa.table({"case": pa.array(["1250"]), "abnormal": pa.array([[0.1]])}), path)
    assert main(["validate", "mrnet", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested" in err and "Traceback" not in err


def test_parquet_labels_keep_the_synthetic_mark(mrnet, tmp_path):
    src = _demo_labels_csv(mrnet)
    df = pd.read_csv(src, comment="#", dtype=str)
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"comment": b"SYNTHETIC demo labels"})
    folder = tmp_path / "l"
    folder.mkdir()
    shutil.copy(src, folder / "unused.csv")
    _write(table, folder / src.with_suffix(".parquet").name)
    assert load_labels(mrnet, labels=folder / src.with_suffix(".parquet").name, allow_hash_mismatch=True).synthetic
