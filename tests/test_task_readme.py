"""Task READMEs generated from task.toml, and `benchmark task new` scaffolding a working task."""

import hashlib
import io
import shutil

import pytest

from benchmark.cli.main import main
from benchmark.core.errors import TaskError
from benchmark.data.labels import load_labels, load_public
from benchmark.data.taskreadme import BEGIN, END, readme_is_current, readme_text, split_readme
from benchmark.data.tasks import load_registry


def test_every_committed_task_readme_matches_its_task_file(registry):
    stale = [t.id for t in registry if not readme_is_current(t)]
    assert not stale, f"run 'benchmark task check --write-readme': stale README of {stale}"


def _free_id(root, stem="toy-fracture"):
    """A task id no task of the repository uses (the committed tasks may grow)."""
    taken = set(load_registry(root).ids())
    return next(i for i in [stem, *(f"{stem}-{n}" for n in range(1, 100))] if i not in taken)


def _toy_files(tmp_path, n=40):
    ids = [f"T{i:03d}" for i in range(n)]
    y = [int((i * 7) % 3 == 0) for i in range(n)]
    pub = tmp_path / "ids.csv"
    pub.write_text("# SYNTHETIC ids of a toy task\ncase\n" + "".join(f"{i}\n" for i in ids))
    lab = tmp_path / "labels.csv"
    lab.write_text("# SYNTHETIC labels of a toy task\ncase,fracture\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, y)))
    return pub, lab, ids, y


def test_readme_regenerates_only_its_generated_part(task_root, capsys):
    readme = task_root / "tasks" / "mrnet" / "README.md"
    text = readme.read_text()
    readme.write_text("Maintainer's preface.\n\n" + text + "\n## Notes\n\nKept by hand.\n")
    toml = task_root / "tasks" / "mrnet" / "task.toml"
    toml.write_text(toml.read_text().replace('title = "MRNet knee MRI: abnormality, ACL tear, meniscal tear"',
                                             'title = "A new title"'))
    assert main(["--root", str(task_root), "task", "check", "mrnet"]) == 1
    assert "README.md differs from what task.toml says" in capsys.readouterr().out
    assert main(["--root", str(task_root), "task", "check", "mrnet", "--write-readme"]) == 0
    new = readme.read_text()
    assert new.startswith("Maintainer's preface.\n\n" + BEGIN + "\n# mrnet — A new title\n")
    assert new.endswith("## Changelog\n\n- 1.0.0: first release of the task.\n\n## Notes\n\nKept by hand.\n")
    assert "MRNet knee MRI: abnormality" not in new
    assert main(["--root", str(task_root), "task", "check", "mrnet"]) == 0


def test_missing_or_broken_readme_is_a_problem(task_root, capsys):
    readme = task_root / "tasks" / "rsna-cspine" / "README.md"
    readme.unlink()
    assert main(["--root", str(task_root), "task", "check", "rsna-cspine"]) == 1
    assert "README.md is missing" in capsys.readouterr().out
    readme.write_text("# hand-written, no markers\n")
    assert main(["--root", str(task_root), "task", "check", "rsna-cspine", "--write-readme"]) == 1
    assert "must hold the line" in capsys.readouterr().out
    assert readme.read_text() == "# hand-written, no markers\n"  # never overwritten


def test_split_readme_markers():
    assert split_readme("") == ("", "")
    assert split_readme(f"a\n{BEGIN}\nold\n{END}\nb\n") == ("a\n", "b\n")
    with pytest.raises(TaskError):
        split_readme(f"{END}\n{BEGIN}\n")
    with pytest.raises(TaskError):
        split_readme(f"{BEGIN}\n{BEGIN}\n{END}\n")


def test_readme_names_what_the_task_file_declares(registry):
    task = registry.get("mrnet")
    text = readme_text(task)
    for expected in ("# mrnet — ", "`mean_auc` (higher is better)", "`mrnet_official`", "`valid`", "seed 1370",
                     "5 per day, 20 in total", "`auc/acl` 0.965", "doi:10.1371/journal.pmed.1002699"):
        assert expected in text, expected


def test_task_new_scaffolds_a_task_that_loads_scores_and_checks(task_root, tmp_path, capsys):
    pub, lab, ids, y = _toy_files(tmp_path)
    new_id, other_id = _free_id(task_root), _free_id(task_root, "toy-other")
    args = ["--root", str(task_root), "task", "new", new_id, "--no-input", "--dataset", "toy-synthetic",
            "--targets", "fracture", "--public-ids", str(pub), "--demo-labels", str(lab),
            "--title", "Toy fracture detection", "--description", "A SYNTHETIC binary task.",
            "--dataset-name", "Toy", "--dataset-description", "Synthetic.", "--dataset-modality", "CT",
            "--dataset-citation", "none (synthetic)", "--dataset-license", "CC0-1.0"]
    assert main(args) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "wrote tasks/_datasets/toy-synthetic/dataset.toml" in out and f"wrote tasks/{new_id}/task.toml" in out
    assert "next: " in out
    task = load_registry(task_root).get(new_id)
    assert task.primary == "auc/fracture" and task.id_column == "case" and task.dataset.name == "Toy"
    assert task.splits["test"].demo_labels_sha256 == hashlib.sha256(lab.read_bytes()).hexdigest()
    assert list(load_public(task).ids) == ids and list(load_labels(task, demo=True).y[:, 0]) == y
    assert not list((task_root / "tasks").glob("_new-*"))
    assert main(["--root", str(task_root), "task", "check"]) == 0
    preds = tmp_path / "p.csv"
    preds.write_text("case,fracture\n" + "".join(f"{i},{0.2 + 0.6 * v}\n" for i, v in zip(ids, y)))
    assert main(["--root", str(task_root), "score", new_id, str(preds), "--demo", "--bootstrap", "0"]) == 0
    assert "1.0000" in capsys.readouterr().out  # perfect separation: AUC 1 (definition)
    # a second task of the same dataset includes the block instead of writing one
    assert main(["--root", str(task_root), "task", "new", other_id, "--no-input", "--dataset", "toy-synthetic",
                 "--targets", "fracture", "--public-ids", str(pub), "--title", "Other", "--description", "d"]) == 0
    out = capsys.readouterr().out
    assert "dataset.toml" not in out.split("next:")[0] and "add SYNTHETIC demo labels" in out


@pytest.mark.parametrize("change, message", [
    (["--dataset", "fresh-synthetic"], "--dataset-name, --dataset-description"),
    (["--metric", "roc_acu"], "Did you mean 'roc_auc'"),
    (["--metric", "rsna_lumbar_loss"], "scores multiclass predictions"),
    (["--id-column", "nope"], "is not a column of"),
    (["--targets", ""], "--targets"),
])
def test_task_new_refuses_incomplete_input_and_writes_nothing(task_root, tmp_path, capsys, change, message):
    pub, lab, _, _ = _toy_files(tmp_path)
    args = ["--root", str(task_root), "task", "new", _free_id(task_root), "--no-input", "--dataset", "mrnet",
            "--targets", "fracture", "--public-ids", str(pub), "--title", "T", "--description", "D"]
    i = args.index(change[0]) if change[0] in args else None
    if i is not None:
        args[i + 1] = change[1]
    else:
        args += change
    before = sorted(p.relative_to(task_root) for p in task_root.rglob("*"))
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.relative_to(task_root) for p in task_root.rglob("*")) == before


@pytest.mark.parametrize("task_id", ["../escape", "_hidden", "Upper-Case", "taken"])
def test_task_new_refuses_bad_or_taken_ids(task_root, tmp_path, capsys, task_id):
    pub, _, _, _ = _toy_files(tmp_path)
    if task_id == "taken":
        task_id = load_registry(task_root).ids()[0]
    before = sorted(p.relative_to(task_root) for p in task_root.rglob("*"))
    code = main(["--root", str(task_root), "task", "new", task_id, "--no-input", "--dataset", "mrnet",
                 "--targets", "fracture", "--public-ids", str(pub), "--title", "T", "--description", "D"])
    assert code in (1, 2) and "Traceback" not in capsys.readouterr().err
    assert sorted(p.relative_to(task_root) for p in task_root.rglob("*")) == before
    assert not (tmp_path / "escape").exists()


def test_task_new_asks_on_a_terminal(task_root, tmp_path, capsys, monkeypatch):
    pub, lab, _, _ = _toy_files(tmp_path)

    class Tty(io.StringIO):
        def isatty(self):
            return True

    answers = iter(["Asked title", "Asked description", "mrnet", "fracture", str(pub)])
    monkeypatch.setattr("sys.stdin", Tty())
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    new_id = _free_id(task_root, "asked")
    assert main(["--root", str(task_root), "task", "new", new_id]) == 0, capsys.readouterr()
    task = load_registry(task_root).get(new_id)
    assert task.title == "Asked title" and task.targets == ["fracture"] and task.dataset.id == "mrnet"
    assert readme_is_current(task)
    shutil.rmtree(task_root / "tasks" / new_id)
