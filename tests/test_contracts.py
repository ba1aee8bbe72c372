"""Task <-> metric contracts are checked when a task loads (benchmark.data.contracts).

Each test copies the committed task files into a temporary root, breaks one thing, and checks
that loading fails with a TaskError naming the task file and the key, and that the command line
exits 1 with that message (never "internal error").
"""

import multiprocessing
import re
import shutil
from pathlib import Path

import pytest

from benchmark.cli.main import main
from benchmark.core.errors import TaskError
from benchmark.data import tasks as T
from benchmark.data.contracts import declaring_file, load_metric_hook
from benchmark.metrics import registry as M

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def copy(tmp_path):
    """A private copy of tasks/ (the committed hooks are registered first, as in a real run)."""
    T.load_registry(ROOT)
    shutil.copytree(ROOT / "tasks", tmp_path / "tasks")
    return tmp_path


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def load_error(root: Path, task_id: str) -> str:
    with pytest.raises(TaskError) as info:
        T.load_task(root / "tasks" / task_id / "task.toml")
    return str(info.value)


# -- unknown metric -------------------------------------------------------------------------------
def test_fn_typo_fails_at_load_through_the_cli(copy, capsys):
    task = copy / "tasks" / "mrnet" / "task.toml"
    edit(task, 'fn = "mean_roc_auc"', 'fn = "mean_roc_acu"')
    code, out = cli(capsys, "--root", str(copy), "task", "check")
    assert code == 1
    assert "internal error" not in out and "Traceback" not in out
    assert (f"{task}: metrics[0].fn = 'mean_roc_acu' (metric 'mean_auc'): unknown metric. "
            "Did you mean 'mean_roc_auc'") in out
    # score goes through the same loader
    code, out = cli(capsys, "--root", str(copy), "score", "mrnet", str(task), "--demo")
    assert code == 1 and "unknown metric" in out and "internal error" not in out


def test_fn_suggestion_ignores_case(copy):
    edit(copy / "tasks" / "scopemri-cuff" / "task.toml", 'fn = "roc_auc"', 'fn = "ROC_AUC"')
    message = load_error(copy, "scopemri-cuff")
    assert "metrics[0].fn = 'ROC_AUC'" in message and "Did you mean 'roc_auc'" in message


def test_unknown_fn_without_close_name_lists_the_registered_ones(copy):
    edit(copy / "tasks" / "scopemri-cuff" / "task.toml", 'fn = "roc_auc"', 'fn = "qwertyuiop"')
    message = load_error(copy, "scopemri-cuff")
    assert "unknown metric. Registered metrics: log_loss, mean_roc_auc, roc_auc" in message


# -- input kind -----------------------------------------------------------------------------------
def test_single_target_metric_on_several_targets_needs_each_target(copy):
    task = copy / "tasks" / "mrnet" / "task.toml"
    edit(task, 'name = "auc/{target}"\nfn = "roc_auc"\neach_target = true',
         'name = "auc"\nfn = "roc_auc"')
    message = load_error(copy, "mrnet")
    assert message == (
        f"{task}: metrics[1].fn = 'roc_auc' (metric 'auc'): the metric scores one target, but it "
        "is bound to 3 targets (abnormal, acl, meniscus); it would score only the first. Set "
        "each_target = true, or name one target in metrics[1].targets."
    )


def test_single_target_metric_bound_to_one_named_target_loads(copy):
    edit(copy / "tasks" / "mrnet" / "task.toml",
         'name = "auc/{target}"\nfn = "roc_auc"\neach_target = true',
         'name = "auc_acl"\nfn = "roc_auc"\ntargets = ["acl"]')
    task = T.load_task(copy / "tasks" / "mrnet" / "task.toml")
    spec = next(s for s in task.metric_specs() if s.name == "auc_acl")
    assert spec.targets == ("acl",) and spec.display_name == "AUC (acl)"


def test_binary_metric_on_a_multiclass_task(copy):
    task = copy / "tasks" / "rsna-lumbar" / "task.toml"
    edit(task, 'fn = "rsna_lumbar_spinal_loss"', 'fn = "log_loss"')
    message = load_error(copy, "rsna-lumbar")
    assert message == (f"{task}: metrics[1].fn = 'log_loss' (metric 'log_loss/spinal'): "
                       "a binary metric cannot score a task of kind 'multiclass'. Use a multiclass "
                       "metric.")


def test_metric_of_another_dataset_hook_is_refused(copy):
    # mrnet's three targets are not c-spine's eight; but the first refusal is the origin, which
    # does not depend on whether the c-spine task happened to load first
    task = copy / "tasks" / "mrnet" / "task.toml"
    edit(task, 'fn = "mean_roc_auc"', 'fn = "rsna_cspine_weighted_log_loss"')
    message = load_error(copy, "mrnet")
    assert message.startswith(
        f"{task}: metrics[0].fn = 'rsna_cspine_weighted_log_loss' (metric 'mean_auc'): the metric "
        "is defined by another dataset's hook (")
    assert message.endswith("), which this task's [hooks.metrics] does not name.")


# -- declared column and class order --------------------------------------------------------------
def _reverse_targets(task: Path) -> None:
    text = task.read_text(encoding="utf-8")
    block = re.search(r"targets = \[\n(.*?)\n\]", text, re.S)
    lines = block.group(1).split("\n")
    reversed_lines = [ln.rstrip(",") for ln in lines][::-1]
    new = "targets = [\n" + ",\n".join(reversed_lines) + "\n]"
    task.write_text(text.replace(block.group(0), new), encoding="utf-8")


def test_reversed_lumbar_targets_fail_at_load_through_the_cli(copy, capsys):
    task = copy / "tasks" / "rsna-lumbar" / "task.toml"
    _reverse_targets(task)
    code, out = cli(capsys, "--root", str(copy), "score", "rsna-lumbar",
                    str(ROOT / "submissions" / "rsna-lumbar" / "demo-lab-a__coordinate-crops-2stage"
                        / "predictions.csv"), "--demo")
    assert code == 1
    assert "internal error" not in out and "score:" not in out
    assert (f"{task}: targets: metrics[0].fn = 'rsna_lumbar_loss' (metric 'competition_score') "
            "requires its target columns in the order its definition uses; same target columns "
            "in another order: position 1 must be 'spinal_canal_stenosis_l1_l2', found "
            "'right_subarticular_stenosis_l5_s1'. Declare targets in the metric's order.") in out


def test_the_committed_lumbar_order_scores_the_published_demo_value(capsys):
    # The control for the test above: the committed order loads and scores.
    code, out = cli(capsys, "--root", str(ROOT), "score", "rsna-lumbar",
                    str(ROOT / "submissions" / "rsna-lumbar" / "demo-lab-a__coordinate-crops-2stage"
                        / "predictions.csv"), "--demo", "--bootstrap", "0")
    assert code == 0, out
    # the demo value in the targets' committed order (the reversed order scored 0.3376 before
    # the metric declared its column order)
    assert re.search(r"competition_score \*\s+0\.3201\s", out), out


def test_cspine_columns_swapped(copy):
    task = copy / "tasks" / "rsna-cspine" / "task.toml"
    edit(task, '"C1", "C2"', '"C2", "C1"')
    message = load_error(copy, "rsna-cspine")
    assert message.startswith(f"{task}: targets: metrics[0].fn = 'rsna_cspine_weighted_log_loss'")
    assert "position 2 must be 'C1', found 'C2'" in message


def test_cspine_metric_bound_to_a_subset(copy):
    task = copy / "tasks" / "rsna-cspine" / "task.toml"
    edit(task, 'fn = "rsna_cspine_weighted_log_loss"',
         'fn = "rsna_cspine_weighted_log_loss"\ntargets = ["C1", "C2"]')
    message = load_error(copy, "rsna-cspine")
    assert message.startswith(f"{task}: metrics[0].targets: ")
    assert ("it declares 8 target columns (patient_overall, C1, C2, C3, C4, C5, C6, C7), "
            "the task binds 2 (C1, C2)") in message


def test_lumbar_classes_reordered(copy):
    task = copy / "tasks" / "rsna-lumbar" / "task.toml"
    edit(task, 'classes = ["normal_mild", "moderate", "severe"]',
         'classes = ["severe", "moderate", "normal_mild"]')
    message = load_error(copy, "rsna-lumbar")
    assert message.startswith(f"{task}: classes: metrics[0].fn = 'rsna_lumbar_loss'")
    assert "position 1 must be 'normal_mild', found 'severe'" in message


# -- hooks ----------------------------------------------------------------------------------------
def test_missing_hook_file(copy, capsys):
    (copy / "tasks" / "_datasets" / "rsna-cspine" / "metrics.py").unlink()
    dataset = (copy / "tasks" / "_datasets" / "rsna-cspine" / "dataset.toml").resolve()
    code, out = cli(capsys, "--root", str(copy), "tasks")
    assert code == 1 and "internal error" not in out
    task = copy / "tasks" / "rsna-cspine" / "task.toml"
    assert f"{task}: {dataset}: hooks.metrics.file = 'metrics.py': no such file" in out


def test_hook_path_resolves_relative_to_the_dataset_file(copy):
    task = copy / "tasks" / "rsna-cspine" / "task.toml"
    assert declaring_file(task, ("hooks", "metrics", "file")) == (
        copy / "tasks" / "_datasets" / "rsna-cspine" / "dataset.toml").resolve()
    assert declaring_file(task, ("hooks", "labels", "file")) == task


def test_hook_defines_fewer_metrics_than_the_dataset_says(copy):
    dataset = copy / "tasks" / "_datasets" / "rsna-cspine" / "dataset.toml"
    edit(dataset, 'names = ["rsna_cspine_weighted_log_loss"]',
         'names = ["rsna_cspine_weighted_log_loss", "rsna_cspine_extra_loss"]')
    message = load_error(copy, "rsna-cspine")
    task = copy / "tasks" / "rsna-cspine" / "task.toml"
    assert message.startswith(f"{task} (via {dataset.resolve()}): hooks.metrics.names lists "
                              "'rsna_cspine_extra_loss', which ")
    assert "does not define (its METRICS: rsna_cspine_weighted_log_loss)" in message


def test_hook_defines_metrics_the_dataset_does_not_list(copy):
    dataset = copy / "tasks" / "_datasets" / "rsna-lumbar" / "dataset.toml"
    edit(dataset, '  "rsna_lumbar_any_severe_spinal_loss",\n', "")
    message = load_error(copy, "rsna-lumbar")
    assert ("defines 'rsna_lumbar_any_severe_spinal_loss', which hooks.metrics.names does not "
            "list") in message


def test_hook_without_metrics_attribute(copy):
    hook = copy / "tasks" / "_datasets" / "rsna-cspine" / "metrics.py"
    edit(hook, "\nMETRICS = (", "\nOTHER = (")
    message = load_error(copy, "rsna-cspine")
    assert "hooks.metrics.file = 'metrics.py': the module defines no 'METRICS'." in message


def test_hook_that_fails_to_import(copy):
    hook = copy / "tasks" / "_datasets" / "rsna-cspine" / "metrics.py"
    hook.write_text(hook.read_text(encoding="utf-8") + "\n1 / 0\n", encoding="utf-8")
    message = load_error(copy, "rsna-cspine")
    assert "importing" in message and "ZeroDivisionError" in message


def test_a_changed_definition_under_a_registered_name_is_refused(copy):
    hook = copy / "tasks" / "_datasets" / "rsna-cspine" / "metrics.py"
    edit(hook, '"Weighted log loss"', '"Another weighted log loss"')
    message = load_error(copy, "rsna-cspine")
    assert "A metric named 'rsna_cspine_weighted_log_loss' is already registered (by " in message
    assert M.get("rsna_cspine_weighted_log_loss").display_name == "Weighted log loss"


def test_unknown_hook_kind(copy):
    dataset = copy / "tasks" / "_datasets" / "scopemri" / "dataset.toml"
    dataset.write_text(dataset.read_text(encoding="utf-8")
                       + '\n[hooks.scores]\nfile = "scores.py"\n', encoding="utf-8")
    message = load_error(copy, "scopemri-cuff")
    assert "hooks.scores: unknown hook kind 'scores'. Known kinds: metrics." in message


def test_loading_twice_and_from_a_copy_is_idempotent(copy):
    before = M.names()
    first = T.load_registry(ROOT)
    again = T.load_registry(copy)
    assert M.names() == before
    assert first.ids() == again.ids()
    hook = load_metric_hook(copy / "tasks" / "_datasets" / "rsna-lumbar" / "dataset.toml")
    # the registry keeps the first definition; the copy is the same code
    assert M.get("rsna_lumbar_loss").fn is not hook.rsna_lumbar_loss
    assert M.get("rsna_lumbar_loss").fn.__code__.co_code == hook.rsna_lumbar_loss.__code__.co_code


def test_hooks_load_from_the_copy_bundled_with_an_installed_package(tmp_path, monkeypatch):
    bundled = tmp_path / "site-packages" / "benchmark" / "bundled"
    shutil.copytree(ROOT / "tasks", bundled / "tasks")
    monkeypatch.setattr(T, "BUNDLED_ROOT", bundled.resolve())
    assert T.is_bundled(bundled)
    registry = T.load_registry(bundled)
    assert registry.get("rsna-lumbar").primary_spec.metric.column_order[0] == (
        "spinal_canal_stenosis_l1_l2")
    assert registry.get("rsna-cspine").primary_spec.metric.column_order == tuple(
        registry.get("rsna-cspine").targets)


def _primary_metric_name(task) -> str:
    return task.primary_spec.metric.name


def test_a_task_sent_to_a_spawned_worker_registers_its_hook_metrics_there():
    # A spawned process imports the package afresh: only the package's own metrics are
    # registered until the unpickled task registers its dataset's hook.
    task = T.load_registry(ROOT).get("rsna-lumbar")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_primary_metric_name, (task,)) == "rsna_lumbar_loss"


def test_multiclass_metric_on_a_binary_task(copy):
    task = copy / "tasks" / "scopemri-slap" / "task.toml"
    edit(task, 'fn = "log_loss"', 'fn = "rsna_lumbar_loss"')
    message = load_error(copy, "scopemri-slap")
    assert message == (
        f"{task}: metrics[1].fn = 'rsna_lumbar_loss' (metric 'log_loss/{{target}}'): a multiclass "
        "metric cannot score a task of kind 'binary'. Use a binary or multilabel metric.")


def test_loading_a_hook_writes_no_bytecode_beside_the_dataset(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    shutil.copytree(ROOT / "tasks" / "_datasets" / "rsna-cspine", tmp_path / "rsna-cspine")
    hook = load_metric_hook(tmp_path / "rsna-cspine" / "dataset.toml")
    assert hook.CSPINE_TARGETS[0] == "patient_overall"
    assert not list(tmp_path.rglob("__pycache__"))
