import re

import pytest

from benchmark.core.errors import TaskError
from benchmark.data.tasks import load_registry, load_task


def test_registry_has_every_task(registry, root):
    # every folder with a task file is a task (a new task folder needs no test edit)
    folders = sorted(p.parent.name for p in (root / "tasks").glob("*/task.toml") if not p.parent.name.startswith("_"))
    assert registry.ids() == folders and folders


def test_primary_metrics_and_directions(registry):
    expect = {
        "mrnet": ("mean_auc", True),
        "scopemri-bankart": ("auc/bankart", True),
        "rsna-cspine": ("weighted_log_loss", False),
        "rsna-lumbar": ("competition_score", False),
    }
    for tid, (name, hib) in expect.items():
        t = registry.get(tid)
        assert t.primary == name
        assert t.metric_specs()[0].name == name
        assert t.higher_is_better is hib


def test_metric_expansion_per_target_and_subgroup(registry):
    names = [s.name for s in registry.get("scopemri-bankart").metric_specs()]
    assert names == [
        "auc/bankart",
        "auc/bankart[modality=MRI]",
        "auc/bankart[modality=MRA]",
        "log_loss/bankart",
    ]
    cs = [s.name for s in registry.get("rsna-cspine").metric_specs()]
    assert "log_loss/C1" in cs and "auc/patient_overall" in cs and len(cs) == 17


def test_dataset_block_is_shared_by_include(registry):
    a, b = registry.get("scopemri-bankart"), registry.get("scopemri-cuff")
    assert a.dataset == b.dataset
    assert a.resampling.cluster == "patient_id" and a.resampling.stratify == "primary_target"


def test_every_external_number_has_a_source(registry):
    for t in registry:
        for b in t.baselines:
            assert re.search(r"doi:|https?://|/", b.source)
        for r in t.references:
            assert r.source.strip()


def test_unknown_task_suggests(registry):
    with pytest.raises(TaskError, match="Did you mean 'mrnet'"):
        registry.get("mrnt")


def test_duplicate_task_ids_refused(task_root):
    src = task_root / "tasks" / "mrnet"
    dst = task_root / "tasks" / "mrnet-copy"
    dst.mkdir()
    (dst / "task.toml").write_text((src / "task.toml").read_text())
    with pytest.raises(TaskError, match="duplicate task id 'mrnet'"):
        load_registry(task_root)


def test_invalid_primary_is_refused(task_root):
    p = task_root / "tasks" / "mrnet" / "task.toml"
    p.write_text(p.read_text().replace('primary = "mean_auc"', 'primary = "mean_aucc"'))
    with pytest.raises(TaskError, match="primary must be one of"):
        load_task(p)


def test_bad_toml_is_a_clear_error(task_root):
    p = task_root / "tasks" / "mrnet" / "task.toml"
    p.write_text("id = \n")
    with pytest.raises(TaskError, match="invalid TOML"):
        load_task(p)


@pytest.mark.parametrize("folder, loaded", [("_draft", False), ("draft", True)])
def test_underscore_folders_are_not_tasks(task_root, registry, folder, loaded):
    # a valid task file in a folder named _draft is not a task; the same file in a folder
    # named draft is one (so the first case can fail)
    source = registry.get(registry.ids()[0]).task_dir / "task.toml"
    text = re.sub(r'(?m)^id = ".*"$', 'id = "draft-task"', source.read_text(), count=1)
    assert 'id = "draft-task"' in text
    # the copy sits beside its source, so its relative paths resolve as the source's do
    (task_root / "tasks" / folder).mkdir()
    (task_root / "tasks" / folder / "task.toml").write_text(text)
    assert ("draft-task" in load_registry(task_root).ids()) is loaded
