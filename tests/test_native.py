"""Native label files: declared in a dataset's folder, recognised by content, read generically.

Every data set here is SYNTHETIC (written by the tests).
"""

import ast
import re
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from benchmark.cli.main import main
from benchmark.core.errors import LabelError, TaskError, UsageError
from benchmark.data.labels import load_labels
from benchmark.data.public import load_public
from benchmark.data.tasks import load_registry

PACKAGE = Path(__file__).resolve().parent.parent / "benchmark"

TASK = textwrap.dedent('''
    # a SYNTHETIC task of a SYNTHETIC dataset
    include = ["../_datasets/{ds}/dataset.toml"]
    id = "{task}"
    version = "1.0.0"
    title = "Toy knee: {targets}"
    description = "Synthetic."
    kind = "binary"
    targets = {target_list}
    primary = "mean_auc"
    default_split = "test"

    [[metrics]]
    name = "mean_auc"
    fn = "mean_roc_auc"

    [[metrics]]
    name = "auc/{{target}}"
    fn = "roc_auc"
    each_target = true

    [[formats]]
    name = "canonical"
    layout = "wide"
    id_column = "exam"
''')

DATASET = textwrap.dedent('''
    # SYNTHETIC dataset block
    id_column = "exam"
    id_pattern = "^[0-9]{{5}}$"

    [dataset]
    id = "{ds}"
    name = "Toy Knee {ds}"
    description = "Synthetic."
    modality = "MRI"
    citation = "none (synthetic)"
    license = "CC0-1.0"

    [splits.test]
    public_ids = "public/test_ids.csv"
    labels_file = "{ds}/test_labels.csv"
''')


def _make(root: Path, ds: str, task: str, targets: list[str], native: str, ids: list[str]) -> Path:
    """Write tasks/<task>/task.toml and tasks/_datasets/<ds>/ (dataset.toml + public ids)."""
    d = root / "tasks" / "_datasets" / ds
    (d / "public").mkdir(parents=True)
    (d / "public" / "test_ids.csv").write_text("# SYNTHETIC\nexam\n" + "".join(f"{i}\n" for i in ids))
    (d / "dataset.toml").write_text(DATASET.format(ds=ds) + textwrap.dedent(native))
    t = root / "tasks" / task
    t.mkdir(parents=True)
    (t / "task.toml").write_text(TASK.format(ds=ds, task=task, targets=" and ".join(targets), target_list=json.dumps(targets)))
    return d


def _score(root, task, pred, labels, capsys, *extra):
    code = main(["--root", str(root), "score", task, str(pred), "--labels", str(labels), "--bootstrap", "0", "--json", "-", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def _score_random(root, task, labels, ids, targets, seed, capsys):
    """Score random predictions for ``ids`` against ``labels``: (predictions, file, result JSON)."""
    p = np.random.default_rng(seed).random((len(ids), len(targets)))
    pred = root / "pred.csv"
    pred.write_text("exam," + ",".join(targets) + "\n" + "".join(
        f"{i}," + ",".join(repr(float(v)) for v in row) + "\n" for i, row in zip(ids, p)))
    code, out, err = _score(root, task, pred, labels, capsys)
    assert code == 0, err
    return p, pred, json.loads(out)


WIDE = '''
    # The release's label sheet: exam numbers without their leading zeros, Y/N flags.
    [[native]]
    name = "release sheet"
    layout = "wide"
    files = ["sheet_*.csv"]
    id_column = "Exam No"
    id_width = 5
    target_columns = { tear = "Tear?", effusion = "Effusion?" }
    values = { "Y" = 1, "N" = 0 }
'''


def test_a_new_dataset_with_a_native_format_is_only_a_folder(tmp_path, capsys):
    """A dataset.toml declaring its native sheet + a task.toml: scored end to end, no code."""
    rng = np.random.default_rng(3)
    targets = ["tear", "effusion"]
    ids = [f"{i:05d}" for i in range(1, 61)]
    _make(tmp_path, "toyknee", "toyknee-tear", targets, WIDE, ids)
    y = rng.integers(0, 2, size=(60, 2))
    sheet = tmp_path / "my renamed labels.csv"  # any name: recognised by its columns
    rows = [f"{int(i)},{'YN'[1 - a]},{'YN'[1 - b]},extra" for i, (a, b) in zip(ids, y)]
    sheet.write_text("Exam No,Tear?,Effusion?,Comment\n" + "\n".join(rows[::-1]) + "\n")
    p, pred, res = _score_random(tmp_path, "toyknee-tear", sheet, ids, targets, 4, capsys)
    expected = [roc_auc_score(y[:, j], p[:, j]) for j in range(2)]  # independent: scikit-learn
    assert abs(res["metrics"]["auc/tear"]["value"] - expected[0]) < 1e-12
    assert abs(res["metrics"]["mean_auc"]["value"] - np.mean(expected)) < 1e-12
    assert res["split"] == "native" and res["n_cases"] == 60 and res["synthetic_labels"] is False
    assert res["labels_source"] == "native Toy Knee toyknee my renamed labels.csv"
    # In a folder, found by its `files` pattern.
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "sheet_2024.csv").write_text(sheet.read_text())
    code, out, err = _score(tmp_path, "toyknee-tear", pred, folder, capsys)
    assert code == 0, err
    assert json.loads(out)["labels_source"] == "native Toy Knee toyknee sheet_2024.csv"
    # A value outside the declared mapping: a host error naming the file, column and value.
    sheet.write_text("Exam No,Tear?,Effusion?\n1,maybe,N\n")
    code, out, err = _score(tmp_path, "toyknee-tear", pred, sheet, capsys)
    assert code == 1 and "column 'Tear?'" in err and "'maybe'" in err and "Traceback" not in err


HOOK = '''
    # The release lists each exam's findings, `exam;finding|finding`: read by a hook.
    [[native]]
    name = "findings list"
    layout = "hook"
    files = ["findings*.txt"]
    hook = "hooks.py"
'''

HOOK_MODULE = '''
"""Reader of the SYNTHETIC toy release's findings list (one exam per line)."""
import pandas as pd


def recognises(path):
    with open(path, encoding="utf-8") as fh:
        return fh.readline().strip() == "exam;findings"


def read_labels(paths, task):
    rows = []
    for line in open(paths[0], encoding="utf-8").read().splitlines()[1:]:
        exam, _, found = line.partition(";")
        if exam == "boom":
            raise ValueError("unreadable line")
        names = set(found.split("|")) - {""}
        rows.append({"exam": exam.zfill(5), **{t: str(int(t in names)) for t in task.targets}})
    return pd.DataFrame(rows, columns=["exam", *task.targets])
'''


def test_a_native_format_no_declaration_can_say_is_a_hook_in_the_dataset_folder(tmp_path, capsys):
    rng = np.random.default_rng(5)
    targets = ["tear", "effusion"]
    ids = [f"{i:05d}" for i in range(1, 41)]
    d = _make(tmp_path, "toyhook", "toyhook-knee", targets, HOOK, ids)
    (d / "hooks.py").write_text(HOOK_MODULE)
    y = rng.integers(0, 2, size=(40, 2))
    lines = ["exam;findings"] + [f"{int(i)};" + "|".join(t for t, v in zip(targets, row) if v) for i, row in zip(ids, y)]
    listing = tmp_path / "whatever.txt"  # recognised by the hook's own test of the content
    listing.write_text("\n".join(lines) + "\n")
    p, pred, res = _score_random(tmp_path, "toyhook-knee", listing, ids, targets, 6, capsys)
    assert abs(res["metrics"]["auc/effusion"]["value"] - roc_auc_score(y[:, 1], p[:, 1])) < 1e-12
    assert res["split"] == "native" and res["n_cases"] == 40
    # A hook that fails: a host error naming the file and the hook, never a traceback.
    listing.write_text("exam;findings\nboom;tear\n")
    code, out, err = _score(tmp_path, "toyhook-knee", pred, listing, capsys)
    assert code == 1 and "hooks.py:read_labels failed: ValueError: unreadable line" in err and "Traceback" not in err
    # A hook module missing when the labels are read (removed after the task loaded): a task
    # error naming the dataset.toml that declares it; missing at load: the task does not load.
    task = load_registry(tmp_path).get("toyhook-knee")
    (d / "hooks.py").unlink()
    with pytest.raises(TaskError, match=r"dataset\.toml: native\.hook = 'hooks\.py': no such file"):
        load_labels(task, None, listing)
    with pytest.raises(TaskError, match=r"task\.toml: invalid task file: .*native layout 'findings list': hook 'hooks\.py' not found: no file .*toyhook/hooks\.py"):
        load_registry(tmp_path)


def test_dataset_paths_resolve_relative_to_the_file_that_declares_them(tmp_path):
    ids = ["00001", "00002"]
    _make(tmp_path, "toyknee", "toyknee-tear", ["tear"], "", ids)
    toml = tmp_path / "tasks" / "toyknee-tear" / "task.toml"
    # a task-level path stays relative to the task file
    (tmp_path / "tasks" / "toyknee-tear" / "reads.csv").write_text("reader_id,case,read\n")
    toml.write_text(toml.read_text() + '\n[splits.test]\ndemo_reads = "reads.csv"\n')
    task = load_registry(tmp_path).get("toyknee-tear")
    assert task.path(task.splits["test"].public_ids) == (tmp_path / "tasks/_datasets/toyknee/public/test_ids.csv").resolve()
    assert task.path(task.splits["test"].demo_reads) == (tmp_path / "tasks/toyknee-tear/reads.csv").resolve()
    assert list(load_public(task).ids) == ids


@pytest.mark.parametrize("native, message", [
    (WIDE, r"unknown target\(s\) \['effusion'\]"),
    ('[[native]]\nlayout = "wide"\nvalues = { "maybe" = -1 }\n', r"values must map to one of \[0, 1\]"),
    ('[[native]]\nlayout = "per_target"\nfiles = ["labels.csv"]\n', r"per_target needs a files pattern holding \{target\}"),
    ('[[native]]\nlayout = "hook"\n', r"layout hook needs hook"),
    ('[[native]]\nlayout = "wide"\nhook = "hooks.py"\n', r"hook is only read with layout hook"),
    ('[[native]]\nlayout = "wide"\nid_colum = "x"\n', r"native\.0\.id_colum: Extra inputs are not permitted"),
])
def test_native_declarations_are_checked_at_load(tmp_path, native, message):
    _make(tmp_path, "toyknee", "toyknee-tear", ["tear"], native, ["00001"])
    with pytest.raises(TaskError, match=r"task\.toml: invalid task file") as info:
        load_registry(tmp_path)
    assert re.search(message, str(info.value)), str(info.value)


def test_where_a_layout_is_declared_cannot_be_written_in_the_file(tmp_path):
    """The loader records the declaring file itself: a key in the file cannot point a hook elsewhere."""
    d = _make(tmp_path, "toyhook", "toyhook-knee", ["tear"], HOOK + 'declared_in = "/tmp/elsewhere/x.toml"\n', ["00001"])
    (d / "hooks.py").write_text(HOOK_MODULE)
    task = load_registry(tmp_path).get("toyhook-knee")
    assert task.native[0].declared_in == (d / "dataset.toml").resolve()


def test_renamed_lumbar_train_csv_is_recognised_by_content(task_root, tmp_path):
    task = load_registry(task_root).get("rsna-lumbar")
    vals = ["Normal/Mild", "Moderate", "Severe", ""]
    rows = [f"{4003253 + k}," + ",".join(vals[(k + j) % 4] for j in range(25)) for k in range(6)]
    text = "study_id," + ",".join(task.targets) + "\n" + "\n".join(rows) + "\n"
    (tmp_path / "lumbar_train.csv").write_text(text)
    ls = load_labels(task, None, tmp_path / "lumbar_train.csv")
    assert ls.native == task.dataset.id and ls.split == "native" and len(ls) == 6
    assert ls.y[0, :5].tolist() == [0, 1, 2, -1, 0] and ls.y[1, :4].tolist() == [1, 2, -1, 0]
    # in a folder, found by content whatever its name; two such files are ambiguous
    assert load_labels(task, None, tmp_path).sha256 == ls.sha256
    (tmp_path / "lumbar_train_copy.csv").write_text(text)
    with pytest.raises(UsageError, match="several .* label files .*lumbar_train.csv, lumbar_train_copy.csv"):
        load_labels(task, None, tmp_path)


def test_mrnet_train_and_valid_release_files_in_one_folder(task_root, tmp_path):
    task = load_registry(task_root).get("mrnet")
    for split, cases in (("train", range(0, 5)), ("valid", range(1130, 1134))):
        for j, t in enumerate(task.targets):
            (tmp_path / f"{split}-{t}.csv").write_text("".join(f"{c},{(c + j) % 2}\n" for c in cases))
    train = load_labels(task, "train", tmp_path)
    valid = load_labels(task, "valid", tmp_path)
    assert (train.split, list(train.ids)) == ("train", ["0000", "0001", "0002", "0003", "0004"])
    assert (valid.split, len(valid)) == ("valid", 4) and train.native == valid.native == task.dataset.id
    assert train.y[:, 1].tolist() == [1, 0, 1, 0, 1]
    with pytest.raises(UsageError, match="for split\\(s\\) train, valid but none for split 'test'; pass --split train"):
        load_labels(task, "test", tmp_path)
    # one file of a set given on its own: the whole set, of the split its name says
    one = load_labels(task, None, tmp_path / "valid-acl.csv")
    assert (one.split, one.sha256) == ("valid", valid.sha256)
    (tmp_path / "valid-acl.csv").write_text("1130,1\n1131,0\n")
    with pytest.raises(LabelError, match="disagree on the cases \\(see acl\\)"):
        load_labels(task, "valid", tmp_path)


@pytest.mark.parametrize("body, needle", [
    ("4003253,{row}\n4003253,{row}\n", "duplicate id '4003253'"),
    ("4003253,{bad}\n", "holds 'Mild-ish'"),
])
def test_label_messages_name_ids_as_plain_text(task_root, tmp_path, body, needle):
    task = load_registry(task_root).get("rsna-lumbar")
    row = ",".join(["Moderate"] * 25)
    bad = ",".join(["Mild-ish"] + ["Moderate"] * 24)
    (tmp_path / "lumbar_train.csv").write_text("study_id," + ",".join(task.targets) + "\n" + body.format(row=row, bad=bad))
    with pytest.raises(LabelError) as info:
        load_labels(task, None, tmp_path / "lumbar_train.csv")
    assert needle in str(info.value) and "np." not in str(info.value)


def _dataset_literals(path: Path) -> list[str]:
    """String constants (not docstrings) in ``path`` that name a dataset of the repository."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(n.body[0].value) for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
    }
    names = ("mrnet", "scopemri", "rsna", "lumbar", "cspine", "c-spine")
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
            and any(w in n.value.lower() for w in names)]


def test_the_literal_scan_finds_a_dataset_name():
    sample = Path(__file__)  # this file names datasets in strings: the scan must see them
    assert "rsna-lumbar" in _dataset_literals(sample)


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("data/*.py")) + [PACKAGE / "submissions" / "metadata.py"], ids=str)
def test_no_dataset_name_in_data_code(path):
    assert _dataset_literals(path) == []
