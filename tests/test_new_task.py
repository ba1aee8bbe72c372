"""Adding a binary task with canonical labels and no submissions needs no code and no test edit."""

import shutil
import textwrap

import pytest

from benchmark.leaderboard.board import score_all_tasks
from benchmark.cli.main import main
from benchmark.data.labels import load_labels
from benchmark.data.public import load_public
from benchmark.data.tasks import load_registry

import test_demo_entries
import test_labels
import test_tasks


@pytest.fixture(scope="module")
def new_root(tmp_path_factory, root):
    r = tmp_path_factory.mktemp("newtask")
    shutil.copytree(root / "tasks", r / "tasks")
    shutil.copytree(root / "submissions", r / "submissions")
    t = r / "tasks" / "toy-fracture"
    t.mkdir()
    ids = [f"T{i:03d}" for i in range(40)]
    y = [(i * 7) % 3 == 0 for i in range(40)]  # 14 positives, 26 negatives
    (t / "test_ids.csv").write_text("# SYNTHETIC ids of a toy task\ncase\n" + "".join(f"{i}\n" for i in ids))
    (t / "test_labels.csv").write_text("# SYNTHETIC labels of a toy task\ncase,fracture\n" + "".join(f"{i},{int(v)}\n" for i, v in zip(ids, y)))
    (t / "task.toml").write_text(textwrap.dedent('''
        id = "toy-fracture"
        version = "1.0.0"
        title = "Toy fracture detection"
        description = "A synthetic binary task used to check that adding a task needs no code."
        kind = "binary"
        id_column = "case"
        targets = ["fracture"]
        primary = "auc/fracture"
        default_split = "test"

        [dataset]
        id = "toy"
        name = "Toy"
        description = "Synthetic."
        modality = "CT"
        citation = "none (synthetic)"
        license = "CC0-1.0"

        [[metrics]]
        name = "auc/{target}"
        fn = "roc_auc"
        each_target = true

        [[formats]]
        name = "canonical"
        layout = "wide"
        id_column = "case"

        [splits.test]
        public_ids = "test_ids.csv"
        demo_labels = "test_labels.csv"
        labels_file = "toy-fracture/test_labels.csv"
    '''))
    return r


def test_the_registry_wide_tests_pass_with_the_new_task(new_root):
    reg = load_registry(new_root)
    assert "toy-fracture" in reg.ids()
    test_tasks.test_registry_has_every_task(reg, new_root)
    test_tasks.test_every_external_number_has_a_source(reg)
    test_labels.test_public_ids_of_every_task_load(reg)
    test_demo_entries.test_every_demo_submission_is_valid(reg, new_root)
    test_demo_entries.test_prevalence_baseline_is_last(reg, new_root)


def test_the_new_task_scores_and_builds(new_root, tmp_path, capsys):
    reg = load_registry(new_root)
    task = reg.get("toy-fracture")
    assert len(load_public(task)) == 40 and load_labels(task, demo=True).synthetic
    sub = tmp_path / "p.csv"
    sub.write_text("case,fracture\n" + "".join(f"T{i:03d},{0.9 if (i * 7) % 3 == 0 else 0.1}\n" for i in range(40)))
    assert main(["--root", str(new_root), "score", "toy-fracture", str(sub), "--demo", "--bootstrap", "0"]) == 0
    assert "1.0000" in capsys.readouterr().out  # perfect separation: AUC 1
    boards = score_all_tasks(reg, replicates=0, cache_dir=False, workers=1)
    toy = next(b for b in boards if b.task.id == "toy-fracture")
    assert toy.scored == [] and "toy-fracture" in toy.text_table()


def test_task_check_fills_the_pin_then_passes(new_root, capsys):
    toml = new_root / "tasks" / "toy-fracture" / "task.toml"
    assert "demo_labels_sha256" not in toml.read_text()
    assert main(["--root", str(new_root), "task", "check", "toy-fracture"]) == 1
    out = capsys.readouterr().out
    assert "toy-fracture: problems" in out and "--write-pins" in out
    assert main(["--root", str(new_root), "task", "check", "toy-fracture", "--write-pins"]) == 0
    import hashlib

    digest = hashlib.sha256((new_root / "tasks/toy-fracture/test_labels.csv").read_bytes()).hexdigest()
    assert f'demo_labels_sha256 = "{digest}"' in toml.read_text()
    assert load_registry(new_root).get("toy-fracture").splits["test"].demo_labels_sha256 == digest
    capsys.readouterr()
    # every committed task passes, and a tampered label file is caught
    assert main(["--root", str(new_root), "task", "check"]) == 0
    out = capsys.readouterr().out
    assert "0 with problems" in out and "checked: split test: demo labels cover" in out
    lab = new_root / "tasks/_datasets/mrnet/demo/valid_labels.csv"
    lab.write_text(lab.read_text() + "\n")
    assert main(["--root", str(new_root), "task", "check", "mrnet"]) == 1
    assert "split valid: demo labels sha256" in capsys.readouterr().out
