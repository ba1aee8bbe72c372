import hashlib

import numpy as np
import pytest

from benchmark.core.errors import LabelError, LabelHashMismatch, UsageError
from benchmark.data.labels import load_labels
from benchmark.data.public import load_public
from benchmark.data.tasks import load_registry


def _write_mrnet_public(root, split, ids):
    p = root / "tasks" / "_datasets" / "mrnet" / "public" / f"{split}_ids.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("case\n" + "".join(f"{i}\n" for i in ids))


def _write_canonical(path, rows, synthetic=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "# SYNTHETIC test labels\n" if synthetic else ""
    path.write_text(head + "case,abnormal,acl,meniscus\n" + "".join(f"{c},{a},{b},{m}\n" for c, a, b, m in rows))


ROWS = [("1250", 1, 1, 0), ("1251", 0, 0, 0), ("1252", 1, 0, 1)]


def test_mrnet_native_files_restore_zero_padding(task_root, tmp_path):
    task = load_registry(task_root).get("mrnet")
    d = tmp_path / "release"
    d.mkdir()
    # The official files: `case,label`, no header; ids as the release writes them.
    (d / "valid-abnormal.csv").write_text("130,1\n131,0\n1132,1\n")
    (d / "valid-acl.csv").write_text("130,0\n131,0\n1132,1\n")
    (d / "valid-meniscus.csv").write_text("130,1\n131,0\n1132,0\n")
    ls = load_labels(task, "valid", d)
    assert list(ls.ids) == ["0130", "0131", "1132"]
    np.testing.assert_array_equal(ls.y, [[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    assert ls.native == "mrnet" and ls.synthetic is False
    # The hash covers all three files: changing one changes it.
    h1 = ls.sha256
    (d / "valid-acl.csv").write_text("130,1\n131,0\n1132,1\n")
    assert load_labels(task, "valid", d).sha256 != h1


def test_mrnet_native_wrong_split_is_named(task_root, tmp_path):
    task = load_registry(task_root).get("mrnet")
    d = tmp_path / "release"
    d.mkdir()
    for t in ("abnormal", "acl", "meniscus"):
        (d / f"valid-{t}.csv").write_text("1130,1\n")
    # a usage error (exit 2): the folder holds another split's files
    with pytest.raises(UsageError, match="--split valid"):
        load_labels(task, "test", d)
    # without an explicit split, the only set of native files names it
    assert load_labels(task, None, d).split == "valid"


def test_canonical_labels_from_folder_and_env(task_root, tmp_path, monkeypatch):
    _write_mrnet_public(task_root, "test", [r[0] for r in ROWS])
    task = load_registry(task_root).get("mrnet")
    lab = tmp_path / "hidden"
    _write_canonical(lab / "mrnet" / "test_labels.csv", ROWS[::-1])
    ls = load_labels(task, "test", lab)
    # the public id list's order (1250, 1251, 1252), never the hidden file's reversed order
    assert list(ls.ids) == ["1250", "1251", "1252"]
    assert ls.y.tolist() == [[1, 1, 0], [0, 0, 0], [1, 0, 1]]
    monkeypatch.setenv("BENCHMARK_LABELS_DIR", str(lab))
    assert load_labels(task, "test").sha256 == ls.sha256
    expected = hashlib.sha256((lab / "mrnet" / "test_labels.csv").read_bytes()).hexdigest()
    assert ls.sha256 == expected


def test_labels_must_cover_exactly_the_public_ids(task_root, tmp_path):
    _write_mrnet_public(task_root, "test", ["1250", "1251", "1252", "1253"])
    task = load_registry(task_root).get("mrnet")
    lab = tmp_path / "hidden"
    _write_canonical(lab / "test_labels.csv", ROWS)
    with pytest.raises(LabelError, match="lack 1 case"):
        load_labels(task, "test", lab)


def test_pinned_hash_mismatch_names_both_hashes(task_root, tmp_path):
    _write_mrnet_public(task_root, "test", [r[0] for r in ROWS])
    toml = task_root / "tasks" / "mrnet" / "task.toml"
    pin = "0" * 64
    text = toml.read_text().replace(
        'labels_file = "mrnet/test_labels.csv"',
        f'labels_file = "mrnet/test_labels.csv"\nlabels_sha256 = "{pin}"\nlabels_public = true',
    )
    toml.write_text(text)
    task = load_registry(task_root).get("mrnet")
    lab = tmp_path / "hidden"
    _write_canonical(lab / "mrnet" / "test_labels.csv", ROWS)
    actual = hashlib.sha256((lab / "mrnet" / "test_labels.csv").read_bytes()).hexdigest()
    with pytest.raises(LabelHashMismatch) as info:
        load_labels(task, "test", lab)
    assert pin in str(info.value) and actual in str(info.value)
    ls = load_labels(task, "test", lab, allow_hash_mismatch=True)
    assert ls.pinned is False and any("differs" in n for n in ls.notes)


def test_bad_label_values_are_host_errors(task_root, tmp_path):
    _write_mrnet_public(task_root, "test", [r[0] for r in ROWS])
    task = load_registry(task_root).get("mrnet")
    lab = tmp_path / "hidden"
    _write_canonical(lab / "test_labels.csv", [("1250", 1, 2, 0), ROWS[1], ROWS[2]])
    with pytest.raises(LabelError, match="0/1"):
        load_labels(task, "test", lab)


def test_missing_labels_path(task_root, tmp_path):
    task = load_registry(task_root).get("mrnet")
    with pytest.raises(LabelError, match="does not exist"):
        load_labels(task, "test", tmp_path / "nope")


def test_synthetic_mark_is_read(task_root, tmp_path):
    _write_mrnet_public(task_root, "test", [r[0] for r in ROWS])
    task = load_registry(task_root).get("mrnet")
    lab = tmp_path / "hidden"
    _write_canonical(lab / "test_labels.csv", ROWS, synthetic=True)
    assert load_labels(task, "test", lab).synthetic is True


def test_lumbar_native_train_csv(task_root, tmp_path):
    task = load_registry(task_root).get("rsna-lumbar")
    cols = task.targets
    vals = ["Normal/Mild", "Moderate", "Severe", ""] * 7
    row = ",".join(vals[: len(cols)])
    (tmp_path / "train.csv").write_text("study_id," + ",".join(cols) + "\n4003253," + row + "\n")
    ls = load_labels(task, "test", tmp_path / "train.csv")
    assert ls.native == "rsna-lumbar"
    assert ls.y[0, :4].tolist() == [0, 1, 2, -1]
    assert list(ls.ids) == ["4003253"]


def test_public_ids_of_every_task_load(registry):
    for t in registry:
        for s in t.splits:
            if t.path(t.splits[s].public_ids).is_file():
                pub = load_public(t, s)
                assert len(pub) == len(set(pub.ids)) > 0


def test_hidden_labels_are_pinned_by_a_keyed_commitment(task_root, tmp_path):
    """A plain sha256 of hidden labels in a public task file is an offline oracle: refused;
    the keyed commitment (RFC 2104 HMAC-SHA256, key beside the labels) is checked instead."""
    import hmac

    from benchmark.core.errors import TaskError

    _write_mrnet_public(task_root, "test", [r[0] for r in ROWS])
    toml = task_root / "tasks" / "mrnet" / "task.toml"
    original = toml.read_text()
    toml.write_text(original.replace('labels_file = "mrnet/test_labels.csv"',
                                     f'labels_file = "mrnet/test_labels.csv"\nlabels_sha256 = "{"0" * 64}"'))
    with pytest.raises(TaskError, match="labels_commitment"):
        load_registry(task_root)
    lab = tmp_path / "hidden"
    _write_canonical(lab / "mrnet" / "test_labels.csv", ROWS)
    key = bytes(range(32))
    expected = hmac.new(key, (lab / "mrnet" / "test_labels.csv").read_bytes(), hashlib.sha256).hexdigest()
    toml.write_text(original.replace('labels_file = "mrnet/test_labels.csv"',
                                     f'labels_file = "mrnet/test_labels.csv"\nlabels_commitment = "hmac-sha256:{expected}"'))
    task = load_registry(task_root).get("mrnet")
    with pytest.raises(LabelError, match="key file"):
        load_labels(task, "test", lab)
    (lab / "mrnet" / "test_labels.csv.key").write_text(key.hex() + "\n")
    assert load_labels(task, "test", lab).pinned is True
    (lab / "mrnet" / "test_labels.csv.key").write_text(bytes(32).hex())
    with pytest.raises(LabelHashMismatch, match="keyed commitment"):
        load_labels(task, "test", lab)
