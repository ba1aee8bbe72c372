"""The leaderboard's figures and the numbers behind them: colour-blind-safe significance map,
accessible responsive SVG, ROC bootstrap bands, per-bin calibration intervals, bounded
per-pair data, and the leaderboard package's own rules (no dataset names, no imports inside
functions)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from benchmark.leaderboard import compare
from benchmark.leaderboard.board import score_all_tasks
from benchmark.leaderboard.curves import BAND_GRID, calibration_stats, roc_bands
from benchmark.leaderboard.site import svg as S
from benchmark.leaderboard.site.figures import entry_figures_of, task_figures_of
from benchmark.leaderboard.site.render import build_site
from benchmark.stats.ranking import rank_summary
from benchmark.stats.resampling import ResamplingPlan
from benchmark.data.tasks import load_registry

from test_site import B, small_root

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "benchmark" / "leaderboard"
CSS = (PACKAGE / "site" / "static" / "site.css").read_text()

# -- colour-blind safety of the significance map -------------------------------------------------
# Machado, Oliveira & Fernandes 2009, "A physiologically-based model for simulation of color
# vision deficiency", IEEE TVCG 15(6):1291-1298, doi:10.1109/TVCG.2009.113: severity 1.0
# matrices, applied to linear RGB.
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)  # sRGB (IEC 61966-2-1)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear sRGB."""
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    t = (m @ np.clip(rgb, 0, 1)) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 216 / 24389, np.cbrt(t), (24389 / 27 * t + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(a: str, b: str, sim=None) -> float:
    x, y = _linear(a), _linear(b)
    if sim is not None:
        x, y = sim @ x, sim @ y
    return float(np.linalg.norm(_lab(x) - _lab(y)))


def _scheme_colours() -> list[dict]:
    blocks = re.findall(r":root \{(.*?)\}", CSS, flags=re.S)
    out = []
    for block in blocks:
        out.append(dict(re.findall(r"--(plot-[a-z0-9-]+): (#[0-9a-fA-F]{6});", block)))
    return out


def test_significance_colours_stay_apart_for_colour_blind_readers():
    schemes = _scheme_colours()
    assert len(schemes) == 2  # light and dark
    for colours in schemes:
        better, worse = colours["plot-better"], colours["plot-worse"]
        for sim in (None, PROTANOPIA, DEUTERANOPIA):
            assert _delta_e(better, worse, sim) > 60, (better, worse)
    # the check can fail: the red/green pair used before loses most of its difference
    assert _delta_e("#34a36b", "#d9534f") > 60
    assert _delta_e("#34a36b", "#d9534f", DEUTERANOPIA) < 25
    assert _delta_e("#34a36b", "#d9534f", PROTANOPIA) < 25


# -- SVG rules -----------------------------------------------------------------------------------
def _task(n_entries=3, refs=False, level=0.95):
    entries = []
    for i in range(n_entries):
        v = 0.9 - 0.05 * i
        entries.append({
            "name": f"t{i}__m", "team": f"Team {i} with a rather long laboratory name", "model": "model",
            "leader": i == 0, "metrics": {"auc": {"value": v, "ci": [v - 0.03, v + 0.03]}},
            "rank_counts": [[1 + i, 180], [2 + i, 20]] if i < n_entries - 1 else [[n_entries, 200]],
            "median_rank": 1 + i, "rank_interval": [1 + i, 2 + i] if i < n_entries - 1 else [n_entries, n_entries],
        })
    sig_better = [[i < j for j in range(n_entries)] for i in range(n_entries)]
    return {
        "primary": "auc", "primary_display_name": "AUC", "higher_is_better": True, "level": level,
        "synthetic_labels": True, "entries": entries, "bootstrap": {"replicates": 200},
        "references": [{"name": "Published model", "metrics": {"auc": 0.91}, "ci": {}}] if refs else [],
        "significance": {"names": [e["name"] for e in entries], "order": list(range(n_entries)),
                         "better": sig_better, "untested": [[None] * n_entries for _ in range(n_entries)],
                         "n_replicates": 200, "alpha": 0.05, "n_total": n_entries},
    }


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", html, flags=re.S)


def test_every_figure_is_accessible_in_two_sizes_with_legible_text():
    figs = task_figures_of(_task(refs=True))
    for name in ("forest", "blob", "significance"):
        svgs = _svgs(figs[name]["svg"])
        assert [re.search(r'class="plot (\w+)"', s).group(1) for s in svgs] == ["wide", "narrow"], name
        for s in svgs:
            assert 'role="img"' in s and 'aria-label="' in s and "<title id=" in s and "<desc id=" in s
            width = int(re.search(r'viewBox="0 0 (\d+) ', s).group(1))
            sizes = [int(v) for v in re.findall(r'font-size="(\d+)"', s)]
            # drawn at most at its natural width: the wide drawing is shown from a 600 px
            # column, the narrow one from a 330 px column: text stays at 10 px or more
            shown_from = 600 if width == S.WIDE.width else 330
            assert sizes and min(sizes) * shown_from / width >= 10, (name, min(sizes))
            assert not re.search(r'(fill|stroke)="#', s), "colours are CSS variables"
    # one truncation rule, full names in the tooltips
    forest = figs["forest"]["svg"]
    full = "Team 0 with a rather long laboratory name / model"
    assert S.short_label(full) in forest and f"<title>{full}: 0.9000 [0.8700, 0.9300]</title>" in forest
    assert len(S.short_label(full)) == S.LABEL_CHARS


def test_captions_describe_only_what_is_drawn():
    plain = task_figures_of(_task(refs=False))
    assert "diamond" not in plain["forest"]["caption"] and "published reference" not in plain["forest"]["svg"]
    assert "Published references" not in plain["forest"]["caption"]
    with_ref = task_figures_of(_task(refs=True))
    assert "1 published reference below them, drawn as diamonds" in with_ref["forest"]["caption"]
    assert "published reference" in with_ref["forest"]["svg"]
    # the leader's dashed line is labelled in the legend and under the axis
    assert "leader&#x27;s value" in plain["forest"]["svg"] and "dashed line: the leader" in plain["forest"]["svg"]
    # the significance map explains its diagonal and marks cells by symbol as well as colour
    sig = plain["significance"]["svg"]
    assert "diagonal: an entry with itself" in sig and "+ row significantly better" in sig
    assert "var(--plot-mark)" in sig and "hatched" not in sig


def test_rank_plot_stays_legible_at_thirty_entries():
    figs = task_figures_of(_task(n_entries=30))
    wide, narrow = _svgs(figs["blob"]["svg"])
    for s, size in ((wide, S.WIDE), (narrow, S.NARROW)):
        height = float(re.search(r'viewBox="0 0 \d+ ([0-9.]+)"', s).group(1))
        assert height >= 30 * size.row  # one row per entry, no overlapping labels
        labels = re.findall(r'text-anchor="end" fill="currentColor">([^<]*)</text>', s)
        assert len(labels) == 30 and all(len(x) <= S.LABEL_CHARS for x in labels)


def test_roc_figure_shows_every_reader_and_the_pooled_reads():
    task = {"level": 0.95, "baselines": [], "calibration_bins": 10, "calibration_min_bin_cases": 10}
    roc = [{"key": "t", "title": "t", "n": 100, "positives": 40, "auc": 0.8, "fpr": [0, 0.2, 1], "tpr": [0, 0.7, 1],
            "band": {"fpr": [0.0, 0.5, 1.0], "low": [0.0, 0.6, 1.0], "high": [0.2, 0.9, 1.0]}}]
    study = [{"target": "t", "reader_id": r, "n_cases": 100, "reader_sensitivity": 0.75, "reader_specificity": 0.8,
              "submission_sensitivity": 0.7} for r in ("r1", "r2", "pooled")]
    e = {"team": "Lab", "model": "m", "roc": roc, "operating_points": [], "reader_study": study, "calibration": []}
    fig = entry_figures_of(task, e)["roc"]
    wide = _svgs(fig["svg"])[0]
    assert "reader r1" in wide and "reader r2" in wide and "pooled reads" in wide
    assert "each of the 2 readers of the reader study" in fig["caption"] and "bootstrap band" in fig["caption"]
    # Wilson interval of 30/40 (sensitivity 0.75 over the 40 positives), by hand:
    # centre (0.75 + z^2/80) / (1 + z^2/40), half-width z sqrt(0.75 * 0.25 / 40 + z^2 / 6400) / (1 + z^2/40)
    z = 1.959963984540054
    den = 1 + z * z / 40
    lo = ((0.75 + z * z / 80) - z * (0.75 * 0.25 / 40 + z * z / 6400) ** 0.5) / den
    assert f"sensitivity interval [{lo:.3f}," in wide


# -- numbers behind the figures ------------------------------------------------------------------
def test_calibration_bins_carry_wilson_intervals():
    # bin (0.1, 0.2]: 10 cases with 2 events. Wilson's formula (Wilson 1927,
    # doi:10.1080/01621459.1927.10502953) by hand with z = 1.96: centre (0.2 + 0.19207) / 1.38415
    # = 0.28326, half-width 1.96 * sqrt(0.016 + 0.0096) / 1.38415 = 0.22657: [0.0567, 0.5098].
    y = np.array([1, 1] + [0] * 8, dtype=float)
    p = np.full(10, 0.15)
    (b,) = calibration_stats(y, p)["bins"]
    assert (b["n"], b["events"], b["observed"]) == (10, 2, 0.2)
    assert b["ci"] == pytest.approx([0.0567, 0.5098], abs=1e-4)


def test_roc_band_matches_a_replicate_by_replicate_computation():
    rng = np.random.default_rng(4)
    n = 80
    y = (rng.random(n) < 0.4).astype(float)
    s = np.round(y * 0.8 + rng.random(n), 2)  # rounded: tied scores are grouped
    plan = ResamplingPlan.build(n, strata=y.astype(int), replicates=60, seed=3, key="band")
    task = SimpleNamespace(kind="binary", targets=["t"], leaderboard=SimpleNamespace(panels={}))
    band = roc_bands(task, SimpleNamespace(y=y[:, None]), [s[:, None]], plan, 0.9)[0][0]
    per_rep = []
    for w in plan.weights():
        fpr, tpr, _ = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        per_rep.append([tpr[fpr <= g + 1e-12].max() for g in BAND_GRID])
    q = np.quantile(np.array(per_rep), [0.05, 0.95], axis=0)
    assert band["fpr"] == [float(g) for g in BAND_GRID] and band["n_replicates"] == 60
    assert band["low"] == pytest.approx(q[0], abs=1e-4) and band["high"] == pytest.approx(q[1], abs=1e-4)


def test_rank_distributions_are_sparse_and_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(compare, "RANK_COUNTS_MAX", 2)
    root = small_root(tmp_path)
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=B, cache_dir=False), tmp_path / "site", cache_dir=False)
    task = json.loads((tmp_path / "site" / "leaderboard.json").read_text())["tasks"][0]
    entries = task["entries"]
    assert len(entries) > 2
    assert all(e["rank_counts"] for e in entries[:2]) and all(e["rank_counts"] is None for e in entries[2:])
    assert all(e["rank_interval"] and e["p_best"] is not None for e in entries)  # every entry keeps these
    assert task["rank_counts"]["entries"] == 2 and task["rank_counts"]["format"].startswith("[[rank")
    page = (tmp_path / "site" / "mrnet" / "index.html").read_text()
    assert f"The best 2 of {len(entries)} entries are shown" in page


def test_rank_data_grows_linearly_with_the_entries():
    """Published rank distributions: sparse, for the best RANK_COUNTS_MAX entries only."""
    rng = np.random.default_rng(0)
    sizes = {}
    for n_entries in (100, 400):
        pts = np.sort(rng.normal(size=n_entries))[::-1]
        reps = pts[:, None] + rng.normal(scale=0.3, size=(n_entries, 200))
        summaries = rank_summary(pts, reps, True)
        dense = sum(len(json.dumps(list(s.rank_counts))) for s in summaries)
        sizes[n_entries] = sum(len(json.dumps(compare.sparse_rank_counts(s.rank_counts)))
                               for s in summaries[: compare.RANK_COUNTS_MAX])
        if n_entries == 400:
            assert sizes[n_entries] < dense / 20
    assert sizes[400] < 2 * sizes[100]  # bounded, where the dense form grows 16-fold


# -- the package's own rules ---------------------------------------------------------------------
DATASET_WORDS = re.compile(r"mrnet|scopemri|rsna|lumbar|cspine", re.I)


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_no_dataset_name_and_no_import_inside_a_function_in_the_leaderboard():
    for path in _modules():
        tree = ast.parse(path.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not DATASET_WORDS.search(node.value), (path.name, node.value[:60])
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, (path.name, node.name)
            if isinstance(node, ast.ImportFrom) and node.level:
                assert not any(a.name.startswith("_") and not a.name.startswith("__") for a in node.names), (path.name, node.module)
        assert len(path.read_text().splitlines()) <= 600, path.name


def test_mrmc_figure_shows_every_reader_the_mean_and_the_interval():
    data = json.loads((REPO / "leaderboard" / "leaderboard.json").read_text())
    task = next(t for t in data["tasks"] if any(e["mrmc"] for e in t["entries"]))
    e = next(x for x in task["entries"] if x["mrmc"])
    fig = entry_figures_of(task, e)["mrmc"]
    wide = _svgs(fig["svg"])[0]
    m = e["mrmc"][0]
    for rid, v in m["fom_by_reader"].items():
        assert f"<title>reader {rid}: {v:.3f}</title>" in wide
    lo, hi = m["analyses"]["RRRC"]["ci"]
    assert f"interval [{lo:+.3f}, {hi:+.3f}] (RRRC)" in wide
    assert f"({len(m['readers'])} readers)" in fig["caption"]
