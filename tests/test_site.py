"""Static leaderboard: data, caching, escaping, determinism and the committed site."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.leaderboard.board import score_all_tasks
from benchmark.leaderboard.curves import calibration_stats, rounded, rounded_list, thin_curve
from benchmark.leaderboard.site.render import build_site, safe_url
from benchmark.data.tasks import load_registry

REPO = Path(__file__).resolve().parent.parent
B = 200


def small_root(tmp_path: Path, task: str = "mrnet", dataset: str = "mrnet") -> Path:
    """A benchmark root with one task, its dataset block and its demo submissions."""
    root = tmp_path / "root"
    shutil.copytree(REPO / "tasks" / task, root / "tasks" / task)
    shutil.copytree(REPO / "tasks" / "_datasets" / dataset, root / "tasks" / "_datasets" / dataset)
    shutil.copytree(REPO / "submissions" / task, root / "submissions" / task)
    return root


def build(root: Path, out: Path, cache, replicates=B, log=None):
    reg = load_registry(root)
    boards = score_all_tasks(reg, replicates=replicates, cache_dir=cache, progress=(log.append if log is not None else None))
    return build_site(reg, boards, out, cache_dir=cache), boards


def tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def mrnet_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mrnet")
    root = small_root(tmp)
    log: list[str] = []
    index, boards = build(root, tmp / "site", tmp / "cache", log=log)
    return {"root": root, "site": tmp / "site", "index": index, "boards": boards, "tmp": tmp, "log": log}


# -- helpers ------------------------------------------------------------------------------------
def test_safe_url_keeps_only_http_and_https():
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("http://example.org") == "http://example.org"
    for bad in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//example.org",
                "https://github.com@evil.example/", "http://u:p@example.org",
                "ftp://example.org", " https://example.org", "https://exa mple.org", "java\tscript:x", "", None, 3]:
        assert safe_url(bad) is None, bad


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=30), st.integers(0, 8))
def test_rounded_list_equals_rounding_each_value(values, digits):
    expected = [rounded(v, digits) for v in values]
    got = rounded_list(values, digits)
    assert got == expected or all((a is None and b is None) or a == b for a, b in zip(got, expected))
    assert [type(v) for v in got] == [type(v) for v in expected]


def test_thin_curve_is_lossless():
    x = np.array([0, 0, 0, 0.25, 0.5, 0.5, 1.0])
    y = np.array([0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0])
    tx, ty = thin_curve(x, y)
    assert tx.tolist() == [0, 0, 1.0] and ty.tolist() == [0, 1.0, 1.0]
    # every dropped point lies on the kept polyline
    assert np.allclose(np.interp(x[2:], tx[1:], ty[1:]), y[2:])


def test_calibration_stats_known_values():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.98, 20000)
    y = (rng.uniform(size=p.size) < p).astype(float)
    s = calibration_stats(y, p)
    assert abs(s["calibration_in_the_large"]) < 0.05
    assert abs(s["calibration_slope"] - 1) < 0.05
    assert s["ece"] < 0.02
    assert s["brier"] == pytest.approx(np.mean((p - y) ** 2), abs=1e-6)
    # predictions pushed to the extremes: slope below one; shifted down: positive intercept
    z = np.log(p / (1 - p))
    over = 1 / (1 + np.exp(-2 * z))
    assert calibration_stats(y, over)["calibration_slope"] == pytest.approx(0.5, abs=0.05)
    low = 1 / (1 + np.exp(-(z - 1)))
    assert calibration_stats(y, low)["calibration_in_the_large"] == pytest.approx(1.0, abs=0.06)
    assert sum(b["n"] for b in s["bins"]) == p.size


# -- pages and data -----------------------------------------------------------------------------
def test_site_layout_and_json(mrnet_site):
    site = mrnet_site["site"]
    assert mrnet_site["index"] == site / "index.html"
    data = json.loads((site / "leaderboard.json").read_text())
    task = data["tasks"][0]
    assert task["id"] == "mrnet" and task["n_entries"] == len(task["entries"]) >= 2
    assert (site / "mrnet" / "index.html").is_file() and (site / "mrnet" / "mrnet.csv").is_file()
    for e in task["entries"]:
        assert (site / "mrnet" / e["page"]).is_file()
        assert e["reproduce"].startswith("benchmark score mrnet submissions/mrnet/")
        assert f"--bootstrap {B}" in e["reproduce"]
    ranks = [e["rank"] for e in task["entries"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    lead = task["entries"][0]
    assert lead["leader"] and lead["leader_difference"]["difference"] == 0.0
    for e in task["entries"][1:]:
        d = e["leader_difference"]
        assert d["difference"] <= 0 and d["ci"][0] <= d["difference"] <= d["ci"][1] + 1e-12
        lo, hi = e["rank_interval"]
        assert 1 <= lo <= hi <= len(task["entries"])
        # sparse rank distribution: [[rank, count], ...] over the ranks reached, summing to B
        assert sum(c for _, c in e["rank_counts"]) == B
        assert all(c > 0 for _, c in e["rank_counts"]) and [r for r, _ in e["rank_counts"]] == sorted(
            r for r, _ in e["rank_counts"])
    # MRNet's reader baseline is compared on every entry
    assert all(e["operating_points"] and e["operating_points"][0]["target"] == "abnormal" for e in task["entries"])
    assert task["references"] and task["baselines"]


def test_task_page_shows_the_table(mrnet_site):
    site = mrnet_site["site"]
    html = (site / "mrnet" / "index.html").read_text()
    data = json.loads((site / "leaderboard.json").read_text())["tasks"][0]
    assert "DEMO: synthetic labels" in html
    # the MRMC table of MRNet (binary reads) is withheld on this hidden split
    assert 'id="mrmc"' not in html
    # the ranked table, and the table of new best scores under the history chart
    assert html.count('<table class="board sortable') == 1 and html.count("<table") == 2
    assert "<caption>" in html and 'scope="col"' in html
    assert 'aria-sort="ascending"' in html
    assert html.count('data-kind="entry"') == data["n_entries"]
    assert html.count('data-kind="baseline"') == len(data["baselines"])
    assert html.count('data-kind="reference"') == len(data["references"])
    for e in data["entries"]:
        assert e["metrics"]["mean_auc"]["display_value"] in html
    for fig in ("forest", "ranks", "significance"):  # each in a wide and a narrow drawing
        assert f'id="{fig}-wide-' in html and f'id="{fig}-narrow-' in html, fig
    csv_rows = list(csv.DictReader(io.StringIO((site / "mrnet" / "mrnet.csv").read_text())))
    assert [r["entry"] for r in csv_rows] == [e["name"] for e in data["entries"]]
    assert float(csv_rows[0]["mean_auc"]) == data["entries"][0]["metrics"]["mean_auc"]["value"]


def test_svg_is_themable_and_ids_unique(mrnet_site):
    site = mrnet_site["site"]
    for page in [site / "mrnet" / "index.html", *sorted((site / "mrnet").glob("demo-*.html"))]:
        html = page.read_text()
        ids = re.findall(r'\bid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), page
        for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
            assert 'role="img"' in svg and "aria-label=" in svg
            assert "currentColor" in svg
            assert "#ffffff" not in svg.lower() and "fill: white" not in svg
            assert "<metadata>" not in svg and "Matplotlib" not in svg


def test_entry_page_content(mrnet_site):
    site = mrnet_site["site"]
    data = json.loads((site / "leaderboard.json").read_text())["tasks"][0]
    e = data["entries"][0]
    html = (site / "mrnet" / e["page"]).read_text()
    # the test split's labels are hidden and the predictions public: the ROC curve is
    # withheld (benchmark.data.disclosure) and the page says why, in place
    assert "ROC curves" in html and 'id="roc-' not in html
    assert "ROC curves withheld: the labels of this split are hidden" in html
    assert all("fpr" not in g and g["auc"] is not None for g in e["roc"])
    # the bootstrap band of a withheld ROC curve is withheld with it (it is drawn from the
    # same case-level scores)
    assert all("band" not in g for x in data["entries"] for g in x["roc"])
    assert e["reproduce"] in html
    assert e["submission"]["sha256"] in html
    assert "sensitivity at specificity" in html
    assert "Calibration" not in html  # MRNet is scored by AUC only


def test_calibration_on_log_loss_task(tmp_path):
    root = small_root(tmp_path, "scopemri-bankart", "scopemri")
    build(root, tmp_path / "site", tmp_path / "cache")
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text())["tasks"][0]
    e = data["entries"][0]
    assert e["calibration"] and {"calibration_in_the_large", "calibration_slope", "brier", "ece"} <= set(e["calibration"][0])
    assert "bins" not in e["calibration"][0]  # bins with counts are withheld on a hidden split
    html = (tmp_path / "site" / "scopemri-bankart" / e["page"]).read_text()
    assert "Calibration" in html and 'id="calibration-' not in html
    assert "The reliability diagram is withheld" in html
    assert "Subgroups" in html and "modality = MRA" in html and "modality = MRI" in html


# -- determinism and the cache ------------------------------------------------------------------
def test_rebuild_is_byte_identical_and_cached(mrnet_site, tmp_path):
    root, tmp = mrnet_site["root"], mrnet_site["tmp"]
    log: list[str] = []
    build(root, tmp_path / "again", tmp / "cache", log=log)
    assert any("5 cached, validating and scoring 0" in m for m in log) or not any("scoring" in m for m in log)
    assert tree(tmp_path / "again") == tree(mrnet_site["site"])
    # without any cache: same bytes again
    build(root, tmp_path / "fresh", None)
    assert tree(tmp_path / "fresh") == tree(mrnet_site["site"])


def test_changed_prediction_is_rescored_and_removed_entry_pruned(mrnet_site, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(mrnet_site["root"], root)
    cache = tmp_path / "cache"
    shutil.copytree(mrnet_site["tmp"] / "cache", cache)
    out = tmp_path / "site"
    shutil.copytree(mrnet_site["site"], out)
    subs = sorted((root / "submissions" / "mrnet").iterdir())
    victim, removed = subs[-1], subs[0]
    pred = victim / "predictions.csv"
    text = pred.read_text()
    pred.write_text(text.replace("0.", "0.0", 1) if "0." in text else text + "\n")
    shutil.rmtree(removed)
    log: list[str] = []
    build(root, out, cache, log=log)
    assert any("validating and scoring 1 " in m for m in log), log
    data = json.loads((out / "leaderboard.json").read_text())["tasks"][0]
    assert removed.name not in [e["name"] for e in data["entries"]]
    assert not list((out / "mrnet").glob(f"{removed.name}*.html"))


def test_escaping_of_submission_strings(tmp_path):
    root = small_root(tmp_path)
    folder = sorted((root / "submissions" / "mrnet").iterdir())[-1]
    toml = (folder / "submission.toml").read_text()
    toml = re.sub(r'^team = .*$', 'team = "<b>Bold & \\"Co\\"</b>"', toml, flags=re.M)
    toml = re.sub(r'^links = .*$', 'links = [{ title = "<i>x</i>", url = "https://example.org/?a=1&b=\\"2" }]', toml, flags=re.M)
    (folder / "submission.toml").write_text(toml)
    build(root, tmp_path / "site", tmp_path / "cache")
    site = tmp_path / "site"
    for page in site.rglob("*.html"):
        html = page.read_text()
        assert "<b>Bold" not in html and "<i>x</i>" not in html, page
    task_html = (site / "mrnet" / "index.html").read_text()
    assert "&lt;b&gt;Bold &amp; &#34;Co&#34;&lt;/b&gt;" in task_html
    assert 'href="https://example.org/?a=1&amp;b=&#34;2"' in task_html


@pytest.mark.pinned_versions
def test_committed_leaderboard_is_up_to_date(tmp_path):
    """The committed leaderboard/ equals a fresh build of the committed tasks and submissions.

    Fails when a task, a submission or the site code changed without rebuilding: run
    ``benchmark leaderboard build``.
    """
    reg = load_registry(REPO)
    boards = score_all_tasks(reg, cache_dir=tmp_path / "cache")  # a fresh cache: no stale result
    build_site(reg, boards, tmp_path / "site")
    fresh, committed = tree(tmp_path / "site"), tree(REPO / "leaderboard")
    stale = sorted(k for k in set(fresh) | set(committed) if fresh.get(k) != committed.get(k))
    assert not stale, f"leaderboard/ is stale ({len(stale)} files differ, e.g. {stale[:5]}); run `benchmark leaderboard build`"


def test_parallel_build_writes_the_bytes_of_a_serial_build(tmp_path, monkeypatch):
    """Scoring batches and figures drawn in worker processes give exactly the serial output."""
    from benchmark.leaderboard import board
    from benchmark.core import parallel

    root = small_root(tmp_path)
    serial = tmp_path / "serial"
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=B, cache_dir=False, workers=1), serial, cache_dir=False, workers=1)
    # force the pools even for this small build
    monkeypatch.setattr(board, "POOL_MIN_SUBMISSIONS", 1)
    used = []
    real = parallel.ProcessPoolExecutor
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", lambda *a, **k: used.append(k) or real(*a, **k))
    pooled = tmp_path / "pooled"
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=B, cache_dir=False, workers=2), pooled, cache_dir=False, workers=2)
    assert len(used) == 1  # one pool for scoring (figures are SVG text, written in process)
    assert tree(pooled) == tree(serial)


def test_tasks_share_one_pool_and_write_the_bytes_of_a_serial_build(tmp_path, monkeypatch):
    """The batches of every task go to one pool (no wait for a task's last batch before the
    next starts), and the site is the serial site byte for byte."""
    from benchmark.leaderboard import board
    from benchmark.core import parallel

    root = small_root(tmp_path)
    small = small_root(tmp_path / "other", "scopemri-bankart", "scopemri")
    for sub in ("tasks", "submissions"):
        for item in (small / sub).iterdir():
            shutil.copytree(item, root / sub / item.name, dirs_exist_ok=True)
    serial = tmp_path / "serial"
    reg = load_registry(root)
    assert len(reg) == 2
    build_site(reg, score_all_tasks(reg, replicates=B, cache_dir=False, workers=1), serial, cache_dir=False)
    monkeypatch.setattr(board, "POOL_MIN_SUBMISSIONS", 1)
    used = []
    real = parallel.ProcessPoolExecutor
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", lambda *a, **k: used.append(k) or real(*a, **k))
    log: list[str] = []
    pooled = tmp_path / "pooled"
    build_site(reg, score_all_tasks(reg, replicates=B, cache_dir=False, workers=2, progress=log.append), pooled,
               cache_dir=False)
    assert len(used) == 1, used  # one pool for both tasks
    assert sum("validating and scoring" in m for m in log) == 2
    # reported task by task: each task's header, then its batches, then the next task
    tasks = [m.split(":", 1)[0] for m in log]
    assert tasks == sorted(tasks, key=["mrnet", "scopemri-bankart"].index), log
    assert "validating and scoring" in log[0] and any(m.startswith("mrnet: scored") for m in log), log
    assert tree(pooled) == tree(serial)


def test_an_unchanged_site_is_kept_and_a_changed_file_is_rewritten(mrnet_site, tmp_path, monkeypatch):
    """The site memo: nothing a page depends on changed and every file is as written, so the
    rebuild renders nothing; a file edited on disk, or a changed template, is rendered again."""
    from benchmark.leaderboard.site import render

    cache = tmp_path / "cache"
    shutil.copytree(mrnet_site["tmp"] / "cache", cache)
    out = tmp_path / "site"
    build(mrnet_site["root"], out, cache)
    before = tree(out)
    assert before == tree(mrnet_site["site"])

    def no_rendering(*a, **k):
        raise AssertionError("rendered although nothing changed")

    real_env = render._env
    monkeypatch.setattr(render, "_env", no_rendering)
    build(mrnet_site["root"], out, cache)  # kept: no template environment needed
    assert tree(out) == before

    page = next(p for p in sorted((out / "mrnet").glob("*.html")) if p.name != "index.html")
    page.write_text("<p>edited by hand</p>")
    with pytest.raises(AssertionError, match="rendered although"):
        build(mrnet_site["root"], out, cache)  # the edited page makes the memo miss
    monkeypatch.setattr(render, "_env", real_env)
    build(mrnet_site["root"], out, cache)
    assert tree(out) == before

    # another version of the template engine may render differently: the pages are rendered
    monkeypatch.setattr(render, "_env", no_rendering)
    monkeypatch.setattr(render.jinja2, "__version__", "0.0-other")
    with pytest.raises(AssertionError, match="rendered although"):
        build(mrnet_site["root"], out, cache)
    monkeypatch.setattr(render, "_env", real_env)

    # a template change is part of the key: the pages are rendered again from the new template
    here = tmp_path / "site-code"
    shutil.copytree(render.HERE / "templates", here / "templates")
    shutil.copytree(render.HERE / "static", here / "static")
    base = here / "templates" / "base.html.j2"
    base.write_text(base.read_text().replace("</body>", "<!-- changed template --></body>"))
    monkeypatch.setattr(render, "HERE", here)
    build(mrnet_site["root"], out, cache)
    assert "<!-- changed template -->" in (out / "index.html").read_text()


def test_a_figure_is_the_same_bytes_whatever_was_drawn_before_it(mrnet_site, tmp_path):
    """The figures are pure functions of the page data: drawn one after another in this
    process they equal the same figures drawn in the reverse order by a fresh interpreter."""
    from benchmark.leaderboard.site.data import site_data
    from benchmark.leaderboard.site.figures import entry_figures_of, task_figures_of

    # ROC figures of a hidden split are drawn only where predictions are confidential (or in a
    # maintainer's view with nothing withheld, used here)
    reg = load_registry(mrnet_site["root"])
    boards = score_all_tasks(reg, replicates=B, cache_dir=mrnet_site["tmp"] / "cache", withhold=False)
    task = site_data(reg, boards)["tasks"][0]
    requests = [(task, None)] + [(task, e) for e in task["entries"]]

    def draw(t, e):
        figs = task_figures_of(t) if e is None else entry_figures_of(t, e)
        return {k: v["svg"] for k, v in figs.items() if v}

    forward = [draw(*r) for r in requests]
    assert sum("roc" in f for f in forward) >= 3
    (tmp_path / "requests.pkl").write_bytes(pickle.dumps(requests[::-1]))
    script = (
        "import pickle, sys\n"
        "from benchmark.leaderboard.site.figures import entry_figures_of, task_figures_of\n"
        "reqs = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "out = [{k: v['svg'] for k, v in (task_figures_of(t) if e is None else entry_figures_of(t, e)).items() if v}"
        " for t, e in reqs]\n"
        "sys.stdout.buffer.write(pickle.dumps(out))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "requests.pkl")], check=True,
                         capture_output=True, env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=tmp_path)
    assert pickle.loads(out.stdout)[::-1] == forward


def test_worker_count(monkeypatch):
    from benchmark.core.parallel import ENV_WORKERS, worker_count

    monkeypatch.delenv(ENV_WORKERS, raising=False)
    assert 1 <= worker_count() <= 2
    assert worker_count(3) == 3
    monkeypatch.setenv(ENV_WORKERS, "1")
    assert worker_count() == 1
    monkeypatch.setenv(ENV_WORKERS, "zero")
    with pytest.raises(ValueError, match="positive integer"):
        worker_count()


def test_reproduce_command_runs_and_gives_the_shown_value(mrnet_site, monkeypatch, capsys):
    """The command a page shows really reproduces the entry's score (demo labels need --demo)."""
    import shlex

    from benchmark.cli.main import main

    data = json.loads((mrnet_site["site"] / "leaderboard.json").read_text())
    e = data["tasks"][0]["entries"][0]
    args = shlex.split(e["reproduce"])
    assert args[:2] == ["benchmark", "score"] and "--demo" in args
    monkeypatch.chdir(mrnet_site["root"])
    assert main(["--root", str(mrnet_site["root"]), *args[1:], "--json", "-"]) == 0
    res = json.loads(capsys.readouterr().out)
    board = mrnet_site["boards"][0]
    shown = next(r.result for r in board.scored if r.result.submission.path == res["submission"]["path"])
    assert res["metrics"] == shown.model_dump(mode="json")["metrics"]


def test_calibration_bins_mark_sparse_bins():
    # 25 cases at 0.05 (bin [0, 0.1]), 4 at 0.5 (bin (0.4, 0.5]), 1 at 0.95 (bin (0.9, 1]).
    p = np.array([0.05] * 25 + [0.5] * 4 + [0.95])
    y = np.array([0] * 24 + [1] + [0, 1, 1, 0] + [1], dtype=float)
    s = calibration_stats(y, p)
    got = [(b["low"], b["high"], b["n"], b["sparse"]) for b in s["bins"]]
    assert got == [(0.0, 0.1, 25, False), (0.4, 0.5, 4, True), (0.9, 1.0, 1, True)]
    assert s["n_bins"] == 10 and s["min_bin_cases"] == 10
    # ECE by hand: 25/30 * |0.04 - 0.05| + 4/30 * |0.5 - 0.5| + 1/30 * |1 - 0.95|
    assert s["ece"] == pytest.approx(25 / 30 * 0.01 + 1 / 30 * 0.05, abs=1e-6)


def test_lumbar_calibration_and_roc_use_rescaled_rows(registry):
    from benchmark.leaderboard.curves import submission_curves
    from benchmark.data.labels import load_labels
    from benchmark.scoring.score import BootstrapSettings

    task = registry.get("rsna-lumbar")
    labels = load_labels(task)
    rng = np.random.default_rng(5)
    probs = rng.dirichlet([3, 2, 1], size=(len(labels), len(task.targets)))
    settings = BootstrapSettings.from_task(task, replicates=0)
    curves = submission_curves(task, labels, probs, None, settings)
    as_probs = curves["calibration"]
    # Every row multiplied by its own factor in [0.3, 1]: the scorer rescales rows, so neither
    # the calibration nor the ROC panels may change (the raw severe values rank differently).
    scaled = probs * rng.uniform(0.3, 1.0, size=probs.shape[:2] + (1,))
    other = submission_curves(task, labels, scaled, None, settings)
    for a, b in zip(other["calibration"], as_probs):
        assert [x["n"] for x in a["bins"]] == [x["n"] for x in b["bins"]]
        assert a["ece"] == pytest.approx(b["ece"], abs=2e-6)
        assert a["mean_predicted"] == pytest.approx(b["mean_predicted"], abs=2e-6)
    assert [r["auc"] for r in other["roc"]] == pytest.approx([r["auc"] for r in curves["roc"]], abs=2e-6)
    # and it matches a direct computation on the normalised rows
    keep = labels.y >= 0
    severe = probs[..., 2][keep]
    assert as_probs[2]["mean_predicted"] == pytest.approx(severe.mean(), abs=1e-6)


def test_perfect_auc_is_flagged_as_a_degenerate_interval(tmp_path):
    root = small_root(tmp_path)
    folder = root / "submissions" / "mrnet" / "demo-lab-z__perfect"
    folder.mkdir()
    labels = np.genfromtxt(REPO / "tasks/_datasets/mrnet/demo/test_labels.csv", delimiter=",", skip_header=2)
    rng = np.random.default_rng(2)
    scores = np.where(labels[:, 1:] == 1, 0.6, 0.1) + 0.3 * rng.random(labels[:, 1:].shape)
    (folder / "predictions.csv").write_text("case,abnormal,acl,meniscus\n" + "".join(
        f"{int(c)},{a:.6f},{b:.6f},{m:.6f}\n" for c, (a, b, m) in zip(labels[:, 0], scores)))
    meta = (REPO / "submissions/mrnet/demo-baseline__prevalence/submission.toml").read_text()
    (folder / "submission.toml").write_text(
        meta.replace('team = "Demo Baseline"', 'team = "Demo Lab Z"').replace('model = "prevalence"', 'model = "perfect"'))
    build(root, tmp_path / "site", tmp_path / "cache")
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text())["tasks"][0]
    e = next(x for x in data["entries"] if x["team"] == "Demo Lab Z")
    assert e["metrics"]["mean_auc"]["value"] == 1.0 and e["metrics"]["mean_auc"]["ci_degenerate"]
    assert any("degenerate interval: AUC = 1" in w for w in e["warnings"])
    others = [x for x in data["entries"] if x["team"] != "Demo Lab Z"]
    assert not any(m["ci_degenerate"] for x in others for m in x["metrics"].values())
    task_page = (tmp_path / "site" / "mrnet" / "index.html").read_text()
    assert task_page.count('degenerate interval</span>') == 1
    entry_page = (tmp_path / "site" / "mrnet" / e["page"]).read_text()
    assert "<h2>Warnings</h2>" in entry_page and "degenerate interval: AUC = 1" in entry_page


def test_figure_captions_use_the_task_level_and_describe_the_map(mrnet_site):
    from benchmark.leaderboard.site.figures import task_figures_of

    task = json.loads((mrnet_site["site"] / "leaderboard.json").read_text())["tasks"][0]
    figs = task_figures_of(dict(task, level=0.9))
    assert "90% rank interval" in figs["blob"]["alt"] and "95%" not in figs["blob"]["alt"]
    assert "90% interval" in figs["forest"]["alt"]
    sig = task["significance"]
    assert "studentised" in sig["method"] and sig["n_replicates"] == B
    assert f"over {B:,} shared resamples" in figs["significance"]["note"]
    # a pair that cannot be tested is hatched and the figure says why
    s = len(sig["names"])
    sig2 = dict(sig, untested=[[("bootstrap standard error 0 at B = 200" if {i, j} == {0, 1} else None)
                                for j in range(s)] for i in range(s)])
    figs2 = task_figures_of(dict(task, significance=sig2))
    assert "1 pair(s) hatched could not be tested at B = 200" in figs2["significance"]["alt"]
    data = figs2["significance"]["data"]
    assert sum(map(sum, data["untested"])) == 2
    assert "not testable at B = 200" in figs2["significance"]["svg"]
    assert "not testable" not in figs["significance"]["svg"]
