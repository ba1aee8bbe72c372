"""The build memo of ``benchmark leaderboard build`` and the result cache's key.

An unchanged build keeps the site without reading a cached result, ranking or rendering; any
change to what the site is made from gives exactly the bytes of a cold build (fresh cache,
nothing kept). The result cache's key covers the code of a dataset's hooks, the reader study
and the public columns of the labels, so editing them rescores.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.data.labels import load_labels
from benchmark.data.tasks import load_registry
from benchmark.leaderboard import board, build as build_module
from benchmark.leaderboard.board import score_all_tasks
from benchmark.leaderboard.build import BUILD_MEMO, build_leaderboard
from benchmark.leaderboard.cache import ResultCache, plan_hash
from benchmark.leaderboard.site.render import build_site
from benchmark.scoring.score import BootstrapSettings

from test_site import small_root, tree

REPO = Path(__file__).resolve().parent.parent
B = 200


def memo_build(root: Path, out: Path, cache: Path, **kw) -> Path:
    return build_leaderboard(load_registry(root), out, replicates=B, cache_dir=cache, **kw)


def cold_build(root: Path, tmp: Path) -> dict:
    """The site built from nothing: a fresh cache, boards scored, every page rendered."""
    reg = load_registry(root)
    cache = tmp / "cold-cache"
    shutil.rmtree(cache, ignore_errors=True)
    out = tmp / "cold-site"
    shutil.rmtree(out, ignore_errors=True)
    build_site(reg, score_all_tasks(reg, replicates=B, cache_dir=cache), out, cache_dir=cache)
    return tree(out)


@pytest.fixture()
def built(tmp_path):
    root = small_root(tmp_path)
    out, cache = tmp_path / "site", tmp_path / "cache"
    memo_build(root, out, cache)
    assert (cache / BUILD_MEMO).is_file()
    return root, out, cache


def _forbid(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("the build did work although nothing changed")

    monkeypatch.setattr(ResultCache, "load", fail)
    monkeypatch.setattr(build_module, "run_builds", fail)
    monkeypatch.setattr(build_module, "render_site", fail)


def test_an_unchanged_build_reads_no_result_and_renders_nothing(built, tmp_path, monkeypatch):
    root, out, cache = built
    before = tree(out)
    assert before == cold_build(root, tmp_path)
    _forbid(monkeypatch)
    index = memo_build(root, out, cache)
    assert index == out / "index.html"
    assert tree(out) == before


def _edit_predictions(root):
    f = sorted((root / "submissions" / "mrnet").glob("*/predictions.csv"))[0]
    lines = f.read_text().splitlines()
    i = next(k for k, ln in enumerate(lines) if ln and ln[0].isdigit())
    cells = lines[i].split(",")
    cells[1] = "0.999" if cells[1] != "0.999" else "0.001"
    lines[i] = ",".join(cells)
    f.write_text("\n".join(lines) + "\n")


def _edit_metadata(root):
    f = sorted((root / "submissions" / "mrnet").glob("*/submission.toml"))[0]
    text = f.read_text()
    assert "model = " in text
    f.write_text(text.replace("model = ", 'model = "renamed model"\n# was: model = ', 1))


def _remove_submission(root):
    shutil.rmtree(sorted((root / "submissions" / "mrnet").iterdir())[-1])


def _add_submission(root):
    src = sorted((root / "submissions" / "mrnet").iterdir())[1]
    shutil.copytree(src, src.parent / "zz-new-team__copy")


def _write_guide(root):
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "ci.md").write_text("# How to submit\n\nOpen a pull request.\n")


def _write_project_urls(root):
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n[project.urls]\nRepository = "https://example.org/repo"\n')


def _edit_reads(root):
    f = root / "tasks" / "_datasets" / "mrnet" / "demo" / "test_reads.csv"
    lines = f.read_text().splitlines()
    i = next(k for k, ln in enumerate(lines) if ln and not ln.startswith("#") and k > 0 and ln.split(",")[-1] in ("0", "1"))
    cells = lines[i].split(",")
    cells[-1] = "1" if cells[-1] == "0" else "0"
    lines[i] = ",".join(cells)
    f.write_text("\n".join(lines) + "\n")


def _edit_page(out):
    page = next(p for p in sorted((out / "mrnet").glob("*.html")) if p.name != "index.html")
    page.write_text("<p>edited by hand</p>")


@pytest.mark.parametrize("edit", [
    _edit_predictions, _edit_metadata, _remove_submission, _add_submission, _write_guide,
    _write_project_urls, _edit_reads, "page",
])
def test_any_change_gives_the_cold_build(built, tmp_path, edit):
    root, out, cache = built
    before = tree(out)
    if edit == "page":
        _edit_page(out)
    else:
        edit(root)
    memo_build(root, out, cache)
    after = tree(out)
    assert after == cold_build(root, tmp_path)
    if edit == "page":
        assert after == before  # the page is written again
    elif edit is not _edit_reads:  # the case-level reader study of a hidden split is withheld
        assert after != before  # the edit shows on the site


def test_the_reads_file_is_part_of_the_result_key(built):
    root, _, _ = built
    task = load_registry(root).get("mrnet")

    def key():
        labels = load_labels(task, None, None)
        return plan_hash(task, labels, BootstrapSettings.from_task(task, replicates=B))

    first = key()
    _edit_reads(root)
    assert key() != first


def test_the_disclosure_decision_is_part_of_the_inputs(built):
    root, _, cache = built
    reg = load_registry(root)
    shown = board.prepare_builds(reg, None, B, None, cache, None, True, None)[0]
    private = board.prepare_builds(reg, None, B, None, cache, None, False, None)[0]
    assert shown.disc != private.disc
    assert shown.inputs() is not None and shown.inputs() != private.inputs()


def test_an_invalid_submission_is_validated_on_every_build(built, tmp_path):
    # Invalid outcomes are not cached, so the memo never stands in for them.
    root, out, cache = built
    bad = root / "submissions" / "mrnet" / "zz-bad__broken"
    bad.mkdir()
    shutil.copy(next((root / "submissions" / "mrnet").glob("*/submission.toml")), bad / "submission.toml")
    (bad / "predictions.csv").write_text("case,abnormal\nnot,a,file\n")
    memo_build(root, out, cache)
    assert all(b.inputs() is None for b in board.prepare_builds(load_registry(root), None, B, None, cache, None, True, None))
    assert tree(out) == cold_build(root, tmp_path)


def _fingerprint_in_fresh_process(root: Path) -> str:
    code = ("import sys; from benchmark.data.tasks import load_registry; "
            "from benchmark.leaderboard.cache import task_fingerprint; "
            f"print(task_fingerprint(load_registry({str(root)!r}).get('rsna-cspine')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return res.stdout.strip()


def test_editing_a_metric_hook_changes_the_task_fingerprint(tmp_path):
    root = small_root(tmp_path, "rsna-cspine", "rsna-cspine")
    first = _fingerprint_in_fresh_process(root)
    assert first == _fingerprint_in_fresh_process(root)  # stable
    hook = root / "tasks" / "_datasets" / "rsna-cspine" / "metrics.py"
    hook.write_text(hook.read_text() + "\n# an edit to the competition metric's module\n")
    assert _fingerprint_in_fresh_process(root) != first
