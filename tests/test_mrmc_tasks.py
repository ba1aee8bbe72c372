"""Tasks with a reader study: the MRMC comparison of each submission with the reader panel.

Expected values are recomputed here from the committed demo files with scikit-learn and
scipy (model AUC, reader AUCs, the one-sample t test of the differences for RRFC).
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from benchmark.cli.main import main
from benchmark.core.errors import LabelError
from benchmark.stats.reads import read_reads
from benchmark.stats.mrmc_panel import ReaderPanel

BANKART_SUB = "submissions/scopemri-bankart/demo-lab-c__densenet-3d/predictions.csv"
MRNET_SUB = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"


def _csv(path):
    return pd.read_csv(path, comment="#", dtype=str)


def _score(capsys, task, sub):
    assert main(["score", task, sub, "--demo", "--bootstrap", "100", "--json", "-"]) == 0
    return json.loads(capsys.readouterr().out)


def _unwithheld(registry, task_id, sub_path):
    # the library path, before the disclosure stage (a maintainer's private view)
    from benchmark.data.labels import load_labels
    from benchmark.scoring.score import BootstrapSettings, score_task
    from benchmark.submissions.submission import read_submission

    task = registry.get(task_id)
    labels = load_labels(task)
    sub = read_submission(task, sub_path, labels.public_cases())
    settings = BootstrapSettings.from_task(task, replicates=100)
    return score_task(task, labels, [sub], [str(sub_path)], settings).results[0].model_dump(mode="json")


@pytest.fixture
def at_root(root, monkeypatch):
    monkeypatch.chdir(root)
    return root


def test_demo_reader_study_has_confidence_ratings(at_root):
    reads = _csv("tasks/_datasets/scopemri/demo/test_reads_bankart.csv")
    labels = _csv("tasks/_datasets/scopemri/demo/test_labels.csv")
    assert open("tasks/_datasets/scopemri/demo/test_reads_bankart.csv").readline().startswith("# SYNTHETIC")
    assert sorted(reads["rating"].unique()) == ["1", "2", "3", "4", "5"]
    assert (reads["read"] == (reads["rating"].astype(int) >= 4).astype(int).astype(str)).all()
    m = reads.merge(labels, left_on="case", right_on="study_uid", validate="many_to_one")
    assert len(m) == 5 * len(labels)  # every reader read every test study
    aucs = [roc_auc_score(g["bankart"].astype(int), g["rating"].astype(int)) for _, g in m.groupby("reader_id")]
    assert 0.7 < min(aucs) and max(aucs) < 0.97 and 0.8 < np.mean(aucs) < 0.9


def test_scopemri_result_has_auc_mrmc(at_root, capsys, registry):
    full = _unwithheld(registry, "scopemri-bankart", BANKART_SUB)
    assert full["comparisons"]["readers"]  # per-reader comparisons stay beside it
    assert "covers that reader only" in full["comparisons"]["readers_population"]
    res = _score(capsys, "scopemri-bankart", BANKART_SUB)
    # on this hidden split the per-reader table is withheld; the AUC comparison is aggregate
    assert "readers" not in res["comparisons"] and "readers_population" not in res["comparisons"]
    assert res["comparisons"]["mrmc"] == full["comparisons"]["mrmc"]
    (m,) = res["comparisons"]["mrmc"]
    assert m["target"] == "bankart" and m["fom"] == "auc" and m["model_threshold"] is None
    labels = _csv("tasks/_datasets/scopemri/demo/test_labels.csv")
    y = labels["bankart"].astype(int).to_numpy()
    sub = _csv(BANKART_SUB).set_index("study_uid").loc[labels["study_uid"], "bankart"].astype(float)
    reads = _csv("tasks/_datasets/scopemri/demo/test_reads_bankart.csv")
    aucs = {}
    for r, g in reads.groupby("reader_id"):
        g = g.set_index("case").loc[labels["study_uid"]]
        aucs[r] = roc_auc_score(y, g["rating"].astype(float))
    model = roc_auc_score(y, sub.to_numpy())
    assert m["model_fom"] == pytest.approx(model, abs=1e-12)
    assert m["fom_by_reader"] == pytest.approx(aucs, abs=1e-12)
    diffs = np.array([model - aucs[r] for r in m["readers"]])
    tt = stats.ttest_1samp(diffs, 0.0)
    assert m["analyses"]["RRFC"]["t"] == pytest.approx(tt.statistic, rel=1e-9)
    assert m["analyses"]["RRFC"]["p"] == pytest.approx(tt.pvalue, rel=1e-8)
    rrrc = m["analyses"]["RRRC"]
    assert rrrc["difference"] == pytest.approx(diffs.mean(), abs=1e-12)
    assert rrrc["se"] >= m["analyses"]["RRFC"]["se"]  # case variance only widens it (Cov2 >= 0 here)
    assert "readers like these reading cases like these" in rrrc["population"]
    assert "patient_id" in m["note"]


def test_mrnet_result_has_sensitivity_and_specificity_mrmc(at_root, registry):
    res = _unwithheld(registry, "mrnet", MRNET_SUB)
    rows = res["comparisons"]["mrmc"]
    assert [(m["target"], m["fom"]) for m in rows] == [
        (t, f) for t in ("abnormal", "acl", "meniscus") for f in ("sensitivity", "specificity")
    ]
    labels = _csv("tasks/_datasets/mrnet/demo/test_labels.csv")
    sub = _csv(MRNET_SUB).set_index("case").loc[labels["case"]]
    reads = _csv("tasks/_datasets/mrnet/demo/test_reads.csv")
    for m in rows:
        t, fom = m["target"], m["fom"]
        y = labels[t].astype(int).to_numpy()
        call = sub[t].astype(float).to_numpy() >= 0.5
        cls = 1 if fom == "sensitivity" else 0
        assert m["model_threshold"] == 0.5
        assert m["model_fom"] == pytest.approx(np.mean(call[y == cls] == bool(cls)), abs=1e-12)
        rd = reads[reads["target"] == t]
        per = {}
        for r, g in rd.groupby("reader_id"):
            g = g.set_index("case").loc[labels["case"]]
            per[r] = np.mean(g["read"].astype(int).to_numpy()[y == cls] == cls)
        assert m["fom_by_reader"] == pytest.approx(per, abs=1e-12)
        assert m["reader_mean_fom"] == pytest.approx(np.mean(list(per.values())), abs=1e-12)
        assert m["note"] is None  # MRNet has no cluster key


def test_binary_mrmc_is_withheld_for_a_hidden_split(at_root, capsys):
    # MRNet's test split is hidden and its predictions public: the model's sensitivity and
    # specificity at p >= 0.5 would count positives among a known set of cases
    res = _score(capsys, "mrnet", MRNET_SUB)
    assert "mrmc" not in res["comparisons"]
    assert "sensitivity and specificity at a fixed threshold" in res["disclosure"]["withheld"]["mrmc"]


def test_score_prints_mrmc(at_root, capsys):
    assert main(["score", "scopemri-bankart", BANKART_SUB, "--demo", "--bootstrap", "100"]) == 0
    out = capsys.readouterr().out
    assert "vs the reader panel (MRMC" in out and "RRRC difference CI" in out


def test_pages_show_mrmc_with_population(root):
    for page in ("leaderboard/scopemri-bankart/index.html",
                 "leaderboard/scopemri-bankart/demo-lab-c__densenet-3d.html"):
        html = (root / page).read_text()
        assert 'id="mrmc"' in html, page
        assert "each per-reader comparison holds for that reader only" in html
        assert "readers like these reading cases like these" in html
    assert 'id="mrmc"' not in (root / "leaderboard/scopemri-cuff/index.html").read_text()
    mrnet = (root / "leaderboard/mrnet/demo-lab-a__resnet-baseline.html").read_text()
    assert 'id="mrmc"' not in mrnet and "reader panel on binary reads is withheld" in mrnet


def test_reads_rating_column(registry, tmp_path):
    task = registry.get("scopemri-bankart")
    p = tmp_path / "reads.csv"
    p.write_text("reader_id,case,read,rating\nr1,a,1,4.5\nr1,b,0,1\n")
    df = read_reads(p, task, ["a", "b"])
    assert df["rating"].tolist() == [4.5, 1.0]
    p.write_text("reader_id,case,read,rating\nr1,a,1,inf\n")
    with pytest.raises(LabelError, match="rating must be a finite number"):
        read_reads(p, task, ["a", "b"])


def test_reader_panel_reasons():
    y = np.array([0, 1, 0, 1])
    assert "at least 2 readers" in ReaderPanel(y, np.ones((1, 4)), ["a"], "auc").compare(np.zeros(4))["reason"]
    rat = np.array([[1, 2, np.nan, np.nan], [1, 2, 3, 4.0]])
    out = ReaderPanel(np.array([0, 0, 1, 1]), rat, ["a", "b"], "auc").compare(np.zeros(4))
    assert "0 positive and 2 negative cases" in out["reason"] and out["n_cases"] == 2
    with pytest.raises(ValueError, match="shape"):
        ReaderPanel(y, np.ones((2, 3)), ["a", "b"], "auc")
