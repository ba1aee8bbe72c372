"""Tests of benchmark.data.split: patient-level, label-combination-stratified test splits."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

import benchmark.data.split as split_mod
import benchmark.data.split_files as split_files_mod
from benchmark.core.errors import UsageError
from benchmark.data.split import OTHER_STRATUM, SplitInputError, make_split
from benchmark.data.split_files import write_split

LABELS = ["a", "b", "c"]


def _table(n_patients: int = 600, seed: int = 7) -> pd.DataFrame:
    """Patients with 1-3 studies each, three correlated binary labels, a modality column."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 1, 1, 1, 2, 3], size=n_patients)
    rows = []
    k = 0
    for p, size in enumerate(sizes):
        base = rng.random(3) < [0.35, 0.2, 0.1]
        for _ in range(size):
            flip = rng.random(3) < 0.15
            y = np.where(flip, ~base, base).astype(int)
            rows.append(
                {
                    "uid": f"1.2.3.{k}",
                    "patient": f"P{p:04d}",
                    "modality": "MRA" if rng.random() < 0.4 else "MRI",
                    "a": y[0],
                    "b": y[1],
                    "c": y[2],
                }
            )
            k += 1
    return pd.DataFrame(rows)


def _patient_combo(df: pd.DataFrame) -> pd.Series:
    """Per patient, the combination of per-label maxima (computed independently of the module)."""
    m = df.groupby("patient")[LABELS].max()
    return m.apply(lambda r: tuple(int(v) for v in r), axis=1)


@pytest.mark.parametrize("module", [split_mod, split_files_mod], ids=["split", "split_files"])
def test_doctests_pass(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_no_patient_on_both_sides_and_fraction_close():
    df = _table()
    ids, hidden, summary = make_split(
        df, "uid", "patient", LABELS, ["patient", "modality"], 0.2, 11
    )
    test_ids = set(ids["uid"])
    test_patients = set(df.loc[df["uid"].isin(test_ids), "patient"])
    rest_patients = set(df.loc[~df["uid"].isin(test_ids), "patient"])
    assert test_patients and rest_patients
    assert test_patients.isdisjoint(rest_patients)
    # Every study of a test patient is in the test set.
    assert set(df.loc[df["patient"].isin(test_patients), "uid"]) == test_ids
    # Requested 20 %: within a handful of studies (patients have up to 3 studies).
    assert abs(len(test_ids) - 0.2 * len(df)) <= 3
    assert summary.n_test_cases == len(test_ids) == len(hidden)
    assert summary.n_test_patients == len(test_patients)
    assert summary.n_cases == len(df)
    assert summary.n_patients == df["patient"].nunique()
    assert math.isclose(summary.achieved_fraction, len(test_ids) / len(df))


def test_columns_of_the_two_outputs():
    df = _table(100)
    ids, hidden, _ = make_split(df, "uid", "patient", LABELS, ["patient", "modality"], 0.25, 3)
    assert list(ids.columns) == ["uid", "patient", "modality"]
    assert list(hidden.columns) == ["uid", *LABELS]
    assert list(ids["uid"]) == list(hidden["uid"])
    # Rows keep the input order and carry the input values.
    pos = df.set_index("uid").index.get_indexer(ids["uid"])
    assert list(pos) == sorted(pos)
    merged = hidden.merge(df, on="uid", suffixes=("", "_src"))
    for c in LABELS:
        assert (merged[c] == merged[c + "_src"]).all()


def test_stratum_proportions_preserved():
    df = _table(1000, seed=3)
    ids, _, summary = make_split(df, "uid", "patient", LABELS, [], 0.2, 5)
    combo = _patient_combo(df)
    in_test = df.groupby("patient")["uid"].apply(lambda u: bool(u.isin(set(ids["uid"])).any()))
    sizes = df.groupby("patient").size()
    merged = set()
    for key, n_pat in combo.value_counts().items():
        if n_pat < summary.min_stratum_patients:
            merged.add(key)
            continue
        members = combo.index[combo == key]
        cases = int(sizes[members].sum())
        test_cases = int(sizes[members][in_test[members]].sum())
        # Allotment is 20 % of the stratum's studies (rounded); patients hold at most 3.
        assert abs(test_cases - 0.2 * cases) <= 3.5, (key, test_cases, cases)
    # Label prevalence in the test set is close to the overall prevalence.
    test = df[df["uid"].isin(set(ids["uid"]))]
    for c in LABELS:
        assert abs(test[c].mean() - df[c].mean()) < 0.02
    assert len(merged) == len(summary.merged)


def test_multi_study_patient_is_stratified_by_max_label():
    # Patient Q has a negative and a positive study: its stratum is "a=1".
    rows = [{"uid": f"n{i}", "patient": f"N{i}", "a": 0} for i in range(10)]
    rows += [{"uid": f"p{i}", "patient": f"P{i}", "a": 1} for i in range(9)]
    rows += [{"uid": "q0", "patient": "Q", "a": 0}, {"uid": "q1", "patient": "Q", "a": 1}]
    df = pd.DataFrame(rows)
    _, _, summary = make_split(df, "uid", "patient", ["a"], [], 0.2, 0, min_stratum_patients=1)
    strata = {s.key: s for s in summary.strata}
    assert set(strata) == {"a=0", "a=1"}
    assert strata["a=1"].n_patients == 10
    assert strata["a=1"].n_cases == 11
    assert strata["a=0"].n_patients == 10
    assert strata["a=0"].n_cases == 10


def test_small_exact_case():
    # 10 single-study patients, 5 positive and 5 negative; 20 % = 2 studies, one per stratum.
    df = pd.DataFrame(
        {
            "id": [f"{i:02d}" for i in range(10)],
            "pat": [f"p{i}" for i in range(10)],
            "y": [1, 0] * 5,
        }
    )
    for seed in range(20):
        ids, hidden, summary = make_split(
            df, "id", "pat", ["y"], ["pat"], 0.2, seed, min_stratum_patients=1
        )
        assert len(ids) == 2
        assert sorted(hidden["y"]) == [0, 1]
        assert [s.target_test_cases for s in summary.strata] == [1, 1]


def test_rare_combinations_merged_into_other():
    df = _table(300, seed=9)
    # A combination held by a single patient.
    df.loc[len(df)] = {
        "uid": "rare-1", "patient": "RARE", "modality": "MRI", "a": 1, "b": 1, "c": 1
    }
    df = df[~((df[LABELS] == 1).all(axis=1) & (df["patient"] != "RARE"))].reset_index(drop=True)
    _, _, summary = make_split(df, "uid", "patient", LABELS, [], 0.2, 1)
    assert "a=1|b=1|c=1" in summary.merged
    keys = [s.key for s in summary.strata]
    assert keys[-1] == OTHER_STRATUM
    assert "a=1|b=1|c=1" not in keys
    assert sum(s.n_patients for s in summary.strata) == df["patient"].nunique()
    assert sum(s.n_test_cases for s in summary.strata) == summary.n_test_cases


def test_stratify_extra_column():
    df = _table(800, seed=4)
    ids, _, summary = make_split(
        df, "uid", "patient", LABELS, ["modality"], 0.2, 2, stratify_extra=["modality"]
    )
    assert any("modality=MRA" in s.key for s in summary.strata)
    share_all = (df["modality"] == "MRA").mean()
    share_test = (ids["modality"] == "MRA").mean()
    assert abs(share_all - share_test) < 0.03


def test_deterministic_and_seed_dependent():
    df = _table(400)
    a = make_split(df, "uid", "patient", LABELS, ["patient"], 0.2, 42)
    b = make_split(df, "uid", "patient", LABELS, ["patient"], 0.2, 42)
    c = make_split(df, "uid", "patient", LABELS, ["patient"], 0.2, 43)
    pd.testing.assert_frame_equal(a.public_ids, b.public_ids)
    pd.testing.assert_frame_equal(a.hidden_labels, b.hidden_labels)
    assert a.summary == b.summary
    assert set(a.public_ids["uid"]) != set(c.public_ids["uid"])


def test_input_row_order_does_not_change_the_draw():
    df = _table(400)
    shuffled = df.sample(frac=1.0, random_state=0).reset_index(drop=True)
    a = make_split(df, "uid", "patient", LABELS, [], 0.2, 8)
    b = make_split(shuffled, "uid", "patient", LABELS, [], 0.2, 8)
    assert set(a.public_ids["uid"]) == set(b.public_ids["uid"])


def test_no_patient_column_means_one_patient_per_case():
    df = _table(200).drop(columns="patient")
    ids, _, summary = make_split(df, "uid", None, LABELS, [], 0.2, 0)
    assert summary.n_patients == len(df)
    assert len(ids) == round(0.2 * len(df))


def test_write_split_files(tmp_path):
    df = _table(150)
    s1 = make_split(df, "uid", "patient", LABELS, ["patient", "modality"], 0.2, 5)
    paths = write_split(s1.public_ids, s1.hidden_labels, tmp_path / "x", summary=s1.summary,
                        title="Toy set.", prefix="SYNTHETIC test data.")
    assert paths == (tmp_path / "x" / "test_ids.csv", tmp_path / "x" / "test_labels.csv")
    ids_bytes = paths[0].read_bytes()
    lab_bytes = paths[1].read_bytes()
    for raw in (ids_bytes, lab_bytes):
        assert raw.startswith(b"# SYNTHETIC test data. Toy set. Test set ")
        assert b"\r" not in raw
        assert raw.endswith(b"\n")
    ids_lines = ids_bytes.decode().splitlines()
    lab_lines = lab_bytes.decode().splitlines()
    assert "public id list" in ids_lines[0] and "seed=5" in ids_lines[0]
    assert "hidden labels" in lab_lines[0]
    assert ids_lines[1] == "uid,patient,modality"
    assert lab_lines[1] == "uid,a,b,c"
    assert len(ids_lines) == len(lab_lines) == s1.summary.n_test_cases + 2
    back = pd.read_csv(paths[1], skiprows=1, dtype=str)
    assert list(back["uid"]) == list(s1.hidden_labels["uid"])
    # Same inputs, same bytes (also without the optional summary).
    s2 = make_split(df, "uid", "patient", LABELS, ["patient", "modality"], 0.2, 5)
    write_split(s2.public_ids, s2.hidden_labels, tmp_path / "y", summary=s2.summary,
                title="Toy set.", prefix="SYNTHETIC test data.")
    assert (tmp_path / "y" / "test_ids.csv").read_bytes() == ids_bytes
    assert (tmp_path / "y" / "test_labels.csv").read_bytes() == lab_bytes
    assert sorted(p.name for p in (tmp_path / "y").iterdir()) == ["test_ids.csv", "test_labels.csv"]
    write_split(s2.public_ids, s2.hidden_labels, tmp_path / "z")
    first = (tmp_path / "z" / "test_ids.csv").read_text().splitlines()[0]
    n = len(s2.public_ids)
    assert first == f"# Test set public id list (ids and public columns, no labels): {n} cases."


def test_write_split_refuses_mismatched_or_leaking_tables(tmp_path):
    ids, hidden, _ = make_split(_table(100), "uid", "patient", LABELS, ["patient"], 0.2, 5)
    with pytest.raises(SplitInputError, match="same ids in the same order"):
        write_split(ids.iloc[::-1], hidden, tmp_path)
    with pytest.raises(SplitInputError, match="must not hold label columns"):
        write_split(ids.assign(a=hidden["a"]), hidden, tmp_path)
    assert not any(tmp_path.iterdir())


def test_label_column_order_does_not_change_the_draw():
    df = _table(400)
    a = make_split(df, "uid", "patient", ["a", "b", "c"], [], 0.2, 8)
    b = make_split(df, "uid", "patient", ["c", "a", "b"], [], 0.2, 8)
    assert list(a.public_ids["uid"]) == list(b.public_ids["uid"])
    assert list(b.hidden_labels.columns) == ["uid", "c", "a", "b"]


def test_summary_report():
    df = _table(200)
    _, _, summary = make_split(df, "uid", "patient", LABELS, [], 0.2, 1)
    text = summary.format()
    assert text.startswith(f"test set: {summary.n_test_cases} of {len(df)} cases")
    d = summary.to_dict()
    assert d["n_test_cases"] == summary.n_test_cases
    assert len(d["strata"]) == len(summary.strata)


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fraction", [0, 0.0, 1, 1.0, -0.1, 1.5, float("nan"), float("inf")])
def test_fraction_outside_open_interval(fraction):
    df = _table(50)
    with pytest.raises(SplitInputError, match="open interval"):
        make_split(df, "uid", "patient", LABELS, [], fraction, 0)


@pytest.mark.parametrize("fraction", ["0.2", None, True])
def test_fraction_not_a_number(fraction):
    with pytest.raises(SplitInputError, match="test_fraction"):
        make_split(_table(50), "uid", "patient", LABELS, [], fraction, 0)


def test_fraction_giving_empty_test_set():
    df = _table(3)
    with pytest.raises(SplitInputError, match="test cases"):
        make_split(df, "uid", "patient", LABELS, [], 0.01, 0)


@pytest.mark.parametrize(
    "kwargs, missing",
    [
        ({"id_col": "study"}, "study"),
        ({"patient_col": "pid"}, "pid"),
        ({"label_cols": ["a", "zz"]}, "zz"),
        ({"public_cols": ["site"]}, "site"),
    ],
)
def test_missing_columns(kwargs, missing):
    args = {"id_col": "uid", "patient_col": "patient", "label_cols": LABELS, "public_cols": []}
    args.update(kwargs)
    with pytest.raises(SplitInputError, match=f"column\\(s\\) \\['{missing}'\\] not found"):
        make_split(_table(50), test_fraction=0.2, seed=0, **args)


def test_duplicate_ids():
    df = _table(50)
    df.loc[5, "uid"] = df.loc[4, "uid"]
    with pytest.raises(SplitInputError, match="must be unique. Duplicated ids: '1.2.3.4'"):
        make_split(df, "uid", "patient", LABELS, [], 0.2, 0)


def test_missing_and_non_numeric_labels():
    df = _table(50)
    df["a"] = df["a"].astype(float)
    df.loc[3, "a"] = np.nan
    with pytest.raises(SplitInputError, match="missing value"):
        make_split(df, "uid", "patient", LABELS, [], 0.2, 0)
    df = _table(50)
    df["a"] = df["a"].map({0: "no", 1: "yes"})
    with pytest.raises(SplitInputError, match="must be numeric"):
        make_split(df, "uid", "patient", LABELS, [], 0.2, 0)


def test_label_column_in_public_columns_is_refused():
    with pytest.raises(SplitInputError, match="must not contain label columns"):
        make_split(_table(50), "uid", "patient", LABELS, ["patient", "a"], 0.2, 0)


def test_bad_types():
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        make_split([{"uid": 1}], "uid", "patient", LABELS, [], 0.2, 0)
    with pytest.raises(SplitInputError, match="seed"):
        make_split(_table(50), "uid", "patient", LABELS, [], 0.2, -1)
    with pytest.raises(SplitInputError, match="at least one label"):
        make_split(_table(50), "uid", "patient", [], [], 0.2, 0)


def test_errors_are_usage_errors():
    # The CLI maps UsageError to exit code 2; the class is also a ValueError.
    assert issubclass(SplitInputError, UsageError)
    assert issubclass(SplitInputError, ValueError)
