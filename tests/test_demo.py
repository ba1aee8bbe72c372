"""Tests of the SYNTHETIC demo data written by benchmark.demo.generate.

Expected counts are computed here from the published figures (see FACTS: MRNet public
validation prevalence; ScopeMRI sizes, npj AI 2025 doi:10.1038/s44387-025-00043-5, and
Bankart prevalence, SPIE 2025 doi:10.1117/12.3046251; RSNA 2022 train.csv counts), and the
quality of the demo submissions is measured with scikit-learn, not with the package's metrics.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import io
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyrage
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from benchmark.demo import generate as demo

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tasks" / "_datasets"
SUBS = REPO / "submissions"

CSPINE_TARGETS = ["patient_overall"] + [f"C{i}" for i in range(1, 8)]
CONDITIONS = [
    "spinal_canal_stenosis",
    "left_neural_foraminal_narrowing",
    "right_neural_foraminal_narrowing",
    "left_subarticular_stenosis",
    "right_subarticular_stenosis",
]
LEVELS = ["l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1"]
LUMBAR_TARGETS = [f"{c}_{lv}" for c in CONDITIONS for lv in LEVELS]
GRADE = {"Normal/Mild": 0, "Moderate": 1, "Severe": 2, "": -1}

# Intended quality order of the demo entries, weakest first; the last two are the close pair.
ORDER = {
    "mrnet": ["demo-baseline__prevalence", "demo-lab-d__logistic-radiomics",
              "demo-lab-c__alexnet-official-format", "demo-lab-a__resnet-baseline",
              "demo-lab-b__mrnet-ensemble"],
    "rsna-cspine": ["demo-baseline__prevalence", "demo-lab-d__slice-classifier",
                    "demo-lab-c__efficientnet-wide", "demo-lab-a__segmentation-2stage",
                    "demo-lab-b__vertebra-crops-ensemble"],
    "rsna-lumbar": ["demo-baseline__prevalence", "demo-lab-d__resnet18-crops",
                    "demo-lab-c__rounded-probabilities", "demo-lab-a__coordinate-crops-2stage",
                    "demo-lab-b__level-attention"],
}
for _t in ("bankart", "slap", "cuff"):
    ORDER[f"scopemri-{_t}"] = ["demo-baseline__prevalence", "demo-lab-d__logistic-baseline",
                               "demo-lab-c__densenet-3d", "demo-lab-a__scope-cnn",
                               "demo-lab-b__multiview-transformer"]
#: The tasks the demo generator writes submissions for (a task may have none: see
#: test_new_task.py).
TASKS = list(ORDER)


def plain_bytes(path: Path) -> bytes:
    """A demo file's content; ``.age`` files (confidential demo task) are decrypted with the
    committed DEMO key by pyrage directly, independently of the package's reader."""
    raw = path.read_bytes()
    if path.name.endswith(".age"):
        key = next(ln for ln in (REPO / demo.DEMO_IDENTITY).read_text().splitlines()
                   if ln.startswith("AGE-SECRET-KEY-"))
        raw = pyrage.decrypt(raw, [pyrage.x25519.Identity.from_str(key)])
    return raw


def read(path: Path, header="infer") -> pd.DataFrame:
    """Read a demo CSV (after its comment line) as strings; an encrypted one is decrypted."""
    if not path.exists() and path.with_name(path.name + ".age").exists():
        path = path.with_name(path.name + ".age")
    text = plain_bytes(path).decode("utf-8")
    assert text.splitlines()[0].startswith("# ")
    return pd.read_csv(
        io.StringIO(text), skiprows=1, dtype=str, keep_default_na=False, header=0 if header == "infer" else None
    )


# -- regeneration ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    demo.generate(root)
    return root


def test_committed_files_equal_a_fresh_regeneration(fresh):
    generated = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    # MRNet 4 files, ScopeMRI 4 (with the Bankart reader study), RSNA 2022 2, RSNA 2024 2;
    # two files per submission.
    assert len(generated) == 4 + 4 + 2 + 2 + 2 * 5 * len(TASKS)
    for rel in generated:
        committed = REPO / rel
        assert committed.is_file(), f"{rel} is not committed; run python -m benchmark.demo.generate"
        # encrypted files differ in every encryption (fresh random keys): compare plaintexts
        assert plain_bytes(committed) == plain_bytes(fresh / rel), f"{rel} differs"


def test_generation_is_deterministic(fresh, tmp_path):
    demo.generate(tmp_path)
    for p in fresh.rglob("*"):
        if p.is_file():
            assert plain_bytes(tmp_path / p.relative_to(fresh)) == plain_bytes(p)


def test_check_mode(tmp_path, capsys):
    demo.generate(tmp_path)
    assert demo.main(["--check", "--root", str(tmp_path)]) == 0
    target = tmp_path / "tasks/_datasets/mrnet/demo/test_labels.csv"
    target.write_bytes(target.read_bytes().replace(b"\n1250,", b"\n1250,9", 1))
    (tmp_path / "submissions/mrnet/demo-lab-a__resnet-baseline/submission.toml").unlink()
    capsys.readouterr()
    assert demo.main(["--check", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "tasks/_datasets/mrnet/demo/test_labels.csv" in out
    assert "submissions/mrnet/demo-lab-a__resnet-baseline/submission.toml" in out
    assert "2 demo file(s) differ" in out


def test_every_file_says_synthetic(fresh):
    files = [p for p in fresh.rglob("*") if p.is_file()]
    assert files
    for p in files:
        raw = plain_bytes(p)
        assert b"\r" not in raw and raw.endswith(b"\n"), p
        first = raw.split(b"\n", 1)[0].decode()
        assert first.startswith("# SYNTHETIC"), p
        if p.suffix == ".toml":
            assert tomllib.loads(raw.decode())["synthetic"] is True


# -- MRNet -------------------------------------------------------------------------------------
@pytest.mark.parametrize("split, first", [("valid", 1130), ("test", 1250)])
def test_mrnet_ids_and_labels(split, first):
    ids = read(DATA / f"mrnet/public/{split}_ids.csv")
    assert list(ids.columns) == ["case"]
    assert list(ids["case"]) == [f"{i:04d}" for i in range(first, first + 120)]
    assert all(re.fullmatch(r"[0-9]{4}", c) for c in ids["case"])
    lab = read(DATA / f"mrnet/demo/{split}_labels.csv")
    assert list(lab.columns) == ["case", "abnormal", "acl", "meniscus"]
    assert list(lab["case"]) == list(ids["case"])
    y = lab[["abnormal", "acl", "meniscus"]].astype(int)
    # Public validation prevalence: abnormal 95, ACL 54, meniscus 52 of 120.
    assert y.sum().tolist() == [95, 54, 52]
    assert ((y["acl"] == 1) <= (y["abnormal"] == 1)).all()
    assert ((y["meniscus"] == 1) <= (y["abnormal"] == 1)).all()
    both = int(((y["acl"] == 1) & (y["meniscus"] == 1)).sum())
    abn = y[y["abnormal"] == 1]
    assert both / 95 > (54 / 95) * (52 / 95)  # positively associated among abnormal exams
    assert np.corrcoef(abn["acl"], abn["meniscus"])[0, 1] > 0


def test_mrnet_valid_and_test_labels_differ():
    a = read(DATA / "mrnet/demo/valid_labels.csv").drop(columns="case")
    b = read(DATA / "mrnet/demo/test_labels.csv").drop(columns="case")
    assert not a.equals(b)


# -- ScopeMRI ----------------------------------------------------------------------------------
UID = re.compile(r"1\.2\.826\.0\.1\.3680043\.10\.474\.[0-9]+\.[0-9]+")


def test_scopemri_annotations():
    path = DATA / "scopemri/demo/annotations.csv"
    assert "ILLUSTRATIVE" in path.read_text().splitlines()[0]
    ann = read(path)
    assert list(ann.columns) == [
        "study_uid", "patient_id", "modality", "bankart", "reverse_bankart", "slap", "cuff"
    ]
    assert len(ann) == 586
    assert ann["study_uid"].is_unique
    assert all(UID.fullmatch(u) for u in ann["study_uid"])
    assert all(re.fullmatch(r"SCOPE-[0-9]{4}", p) for p in ann["patient_id"])
    per_patient = ann.groupby("patient_id").size()
    assert len(per_patient) == 558
    assert (per_patient == 2).sum() == 586 - 558 and per_patient.max() == 2
    assert ann["modality"].value_counts().to_dict() == {"MRI": 335, "MRA": 251}
    for c in ("bankart", "reverse_bankart", "slap", "cuff"):
        assert set(ann[c]) == {"0", "1"}
    y = ann["bankart"].astype(int)
    # Bankart 31.9 % of MRA, 8.6 % of MRI (SPIE 2025).
    assert y[ann["modality"] == "MRA"].sum() == round(0.319 * 251)
    assert y[ann["modality"] == "MRI"].sum() == round(0.086 * 335)


def test_scopemri_split_files():
    ann = read(DATA / "scopemri/demo/annotations.csv")
    ids = read(DATA / "scopemri/public/test_ids.csv")
    lab = read(DATA / "scopemri/demo/test_labels.csv")
    assert list(ids.columns) == ["study_uid", "patient_id", "modality"]
    assert list(lab.columns) == ["study_uid", "bankart", "reverse_bankart", "slap", "cuff"]
    assert list(ids["study_uid"]) == list(lab["study_uid"])
    assert abs(len(ids) - 0.2 * 586) <= 2  # the authors' test set had 117 MRIs
    src = ann.set_index("study_uid")
    for c in ("patient_id", "modality"):
        assert (src.loc[ids["study_uid"], c].to_numpy() == ids[c].to_numpy()).all()
    for c in ("bankart", "reverse_bankart", "slap", "cuff"):
        assert (src.loc[lab["study_uid"], c].to_numpy() == lab[c].to_numpy()).all()
    test_patients = set(ids["patient_id"])
    rest = ann[~ann["study_uid"].isin(set(ids["study_uid"]))]
    assert test_patients.isdisjoint(set(rest["patient_id"]))
    # Stratified: test prevalences and modality mix close to the whole table.
    merged = ids.merge(lab, on="study_uid")
    for c in ("bankart", "slap", "cuff"):
        assert abs(merged[c].astype(int).mean() - ann[c].astype(int).mean()) < 0.05
    assert abs((merged["modality"] == "MRA").mean() - 251 / 586) < 0.05


# -- RSNA 2022 cervical spine ------------------------------------------------------------------
def test_rsna_cspine_ids_and_labels():
    ids = read(DATA / "rsna-cspine/public/test_ids.csv")
    assert list(ids.columns) == ["StudyInstanceUID"]
    assert len(ids) == 1500 and ids["StudyInstanceUID"].is_unique
    uid = re.compile(r"1\.2\.826\.0\.1\.3680043\.[0-9]{5}")
    assert all(uid.fullmatch(u) for u in ids["StudyInstanceUID"])
    lab = read(DATA / "rsna-cspine/demo/test_labels.csv")
    assert list(lab.columns) == ["StudyInstanceUID", *CSPINE_TARGETS]
    assert list(lab["StudyInstanceUID"]) == list(ids["StudyInstanceUID"])
    y = lab[CSPINE_TARGETS].astype(int)
    train = {"patient_overall": 961, "C1": 146, "C2": 285, "C3": 73, "C4": 108, "C5": 162,
             "C6": 277, "C7": 393}
    for t, c in train.items():
        assert y[t].sum() == round(c / 2019 * 1500), t
    assert (y["patient_overall"] == y[CSPINE_TARGETS[1:]].max(axis=1)).all()


# -- RSNA 2024 lumbar --------------------------------------------------------------------------
def test_rsna_lumbar_ids_and_labels():
    ids = read(DATA / "rsna-lumbar/public/test_ids.csv")
    assert list(ids.columns) == ["study_id"]
    assert len(ids) == 300 and ids["study_id"].is_unique
    assert all(re.fullmatch(r"[1-9][0-9]{6,9}", s) for s in ids["study_id"])
    lab = read(DATA / "rsna-lumbar/demo/test_labels.csv")
    assert list(lab.columns) == ["study_id", *LUMBAR_TARGETS]
    assert list(lab["study_id"]) == list(ids["study_id"])
    values = lab[LUMBAR_TARGETS].to_numpy()
    assert set(np.unique(values)) == set(GRADE)
    empty = (values == "").sum()
    assert empty == round(0.01 * 300 * 25)
    g = np.vectorize(GRADE.get)(values)
    labelled = g[g >= 0]
    assert (labelled == 0).mean() > 0.6  # mostly Normal/Mild
    assert (labelled == 2).mean() < (labelled == 1).mean()
    for c in CONDITIONS:
        cols = [LUMBAR_TARGETS.index(f"{c}_{lv}") for lv in LEVELS]
        upper = g[:, cols[:2]]
        lower = g[:, cols[3:]]
        assert (lower[lower >= 0] > 0).mean() > (upper[upper >= 0] > 0).mean(), c


# -- submissions -------------------------------------------------------------------------------
def _folders(task: str) -> list[Path]:
    return sorted(p for p in (SUBS / task).iterdir() if p.is_dir())


@pytest.mark.parametrize("task", TASKS)
def test_submission_metadata(task):
    folders = _folders(task)
    assert 4 <= len(folders) <= 6
    assert sorted(f.name for f in folders) == sorted(ORDER[task])
    for f in folders:
        assert re.fullmatch(r"[a-z0-9-]+__[a-z0-9-]+", f.name)
        meta = tomllib.loads((f / "submission.toml").read_text(encoding="utf-8"))
        if task in demo.CONFIDENTIAL_TASKS:  # encrypted, with the plaintext's sha256 recorded
            assert sorted(p.name for p in f.iterdir()) == ["predictions.csv.age", "submission.toml"]
            plain = plain_bytes(f / "predictions.csv.age")
            assert meta["predictions_sha256"] == hashlib.sha256(plain).hexdigest()
        else:
            assert sorted(p.name for p in f.iterdir()) == ["predictions.csv", "submission.toml"]
        assert meta["synthetic"] is True
        assert meta["task"] == task and meta["split"] == "test"
        team, model = f.name.split("__")
        assert re.sub(r"[^a-z0-9]+", "-", meta["team"].lower()).strip("-") == team
        assert re.sub(r"[^a-z0-9]+", "-", meta["model"].lower()).strip("-") == model
        assert isinstance(meta["date"], datetime.date)
        assert meta["authors"] and all(isinstance(a, str) for a in meta["authors"])
        assert meta["description"].startswith("Synthetic demo entry: ")
        assert isinstance(meta["external_data"], bool)
        assert isinstance(meta["external_data_description"], str)
        assert bool(meta["external_data_description"]) == meta["external_data"]
        assert all(re.match(r"https?://", link["url"]) for link in meta["links"])
        assert meta["format"] in {"canonical", "mrnet_official", "kaggle_long", "wide"}


def _meta(task: str, folder: str) -> dict:
    return tomllib.loads((SUBS / task / folder / "submission.toml").read_text(encoding="utf-8"))


PROB = re.compile(r"(0\.[0-9]{6}|1\.000000)")


def mrnet_scores(folder: str) -> tuple[np.ndarray, np.ndarray]:
    lab = read(DATA / "mrnet/demo/test_labels.csv")
    y = lab[["abnormal", "acl", "meniscus"]].astype(int).to_numpy()
    path = SUBS / "mrnet" / folder / "predictions.csv"
    if _meta("mrnet", folder)["format"] == "mrnet_official":
        pred = read(path, header=None)
        assert pred.shape == (120, 3)
        # np.genfromtxt, as the official scorer reads it, skips the comment line.
        official = np.genfromtxt(path, delimiter=",")
        assert official.shape == (120, 3)
        p = pred.to_numpy()
        assert np.allclose(official, p.astype(float))
    else:
        pred = read(path)
        assert list(pred.columns) == ["case", "abnormal", "acl", "meniscus"]
        assert sorted(pred["case"]) == sorted(lab["case"])
        p = pred.set_index("case").loc[lab["case"]].to_numpy()
    assert all(PROB.fullmatch(v) for v in p.ravel())
    return y, p.astype(float)


def test_mrnet_has_an_official_format_entry():
    formats = [_meta("mrnet", f)["format"] for f in ORDER["mrnet"]]
    assert "mrnet_official" in formats and "canonical" in formats
    official = [f for f in ORDER["mrnet"] if _meta("mrnet", f)["format"] == "mrnet_official"]
    assert all("official" in f for f in official)


def scopemri_scores(task: str, folder: str):
    target = task.split("-", 1)[1]
    ids = read(DATA / "scopemri/public/test_ids.csv")
    lab = read(DATA / "scopemri/demo/test_labels.csv")
    pred = read(SUBS / task / folder / "predictions.csv")
    assert list(pred.columns) == ["study_uid", target]
    assert sorted(pred["study_uid"]) == sorted(ids["study_uid"])
    p = pred.set_index("study_uid").loc[ids["study_uid"], target]
    assert all(PROB.fullmatch(v) for v in p)
    y = lab.set_index("study_uid").loc[ids["study_uid"], target].astype(int).to_numpy()
    return y, p.astype(float).to_numpy(), ids["modality"].to_numpy(), ids["patient_id"].to_numpy()


def cspine_scores(folder: str) -> tuple[np.ndarray, np.ndarray]:
    lab = read(DATA / "rsna-cspine/demo/test_labels.csv")
    uids = lab["StudyInstanceUID"]
    y = lab[CSPINE_TARGETS].astype(int).to_numpy()
    pred = read(SUBS / "rsna-cspine" / folder / "predictions.csv")
    if _meta("rsna-cspine", folder)["format"] == "wide":
        assert list(pred.columns) == ["StudyInstanceUID", *CSPINE_TARGETS]
        assert len(pred) == 1500
        p = pred.set_index("StudyInstanceUID").loc[uids, CSPINE_TARGETS].to_numpy()
    else:
        assert list(pred.columns) == ["row_id", "fractured"]
        assert len(pred) == 12000 and pred["row_id"].is_unique
        s = pred.set_index("row_id")["fractured"]
        p = s.loc[[f"{u}_{t}" for u in uids for t in CSPINE_TARGETS]].to_numpy().reshape(1500, 8)
    assert all(PROB.fullmatch(v) for v in p.ravel())
    return y, p.astype(float)


def cspine_weighted_log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Kaggle RSNA 2022 metric, written out from its definition (FACTS)."""
    p = np.clip(p, 1e-15, 1 - 1e-15)
    w = np.where(y == 1, 2.0, 1.0)
    w[:, 0] *= 7.0
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.mean((w * bce).sum(axis=1) / w.sum(axis=1)))


def lumbar_scores(folder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lab = read(DATA / "rsna-lumbar/demo/test_labels.csv")
    y = np.vectorize(GRADE.get)(lab[LUMBAR_TARGETS].to_numpy())
    pred = read(SUBS / "rsna-lumbar" / folder / "predictions.csv")
    assert list(pred.columns) == ["row_id", "normal_mild", "moderate", "severe"]
    assert len(pred) == 7500 and pred["row_id"].is_unique
    want = [f"{s}_{t}" for s in lab["study_id"] for t in LUMBAR_TARGETS]
    raw = pred.set_index("row_id").loc[want].to_numpy()
    return y, raw.astype(float).reshape(300, 25, 3), raw


def lumbar_score(y: np.ndarray, p: np.ndarray) -> float:
    """Competition score (FACTS: sample weight 2**grade, clip at the float64 epsilon 2**-52 as
    scikit-learn 1.2.2 did, then rescale rows)."""
    p = np.clip(p, 2.0 ** -52, 1 - 2.0 ** -52)
    p = p / p.sum(axis=2, keepdims=True)
    losses = []
    for key in ("spinal", "foraminal", "subarticular"):
        cols = [j for j, t in enumerate(LUMBAR_TARGETS) if key in t]
        yy = y[:, cols].ravel()
        pp = p[:, cols].reshape(-1, 3)
        keep = yy >= 0
        losses.append(log_loss(yy[keep], pp[keep], sample_weight=2.0 ** yy[keep], labels=[0, 1, 2]))
    cols = [j for j, t in enumerate(LUMBAR_TARGETS) if "spinal" in t]
    ys = y[:, cols]
    keep = (ys >= 0).any(axis=1)
    label = (ys == 2).any(axis=1).astype(int)
    weight = np.where(ys >= 0, 2.0**ys, 0.0).max(axis=1)
    pred = p[:, cols, 2].max(axis=1)
    losses.append(log_loss(label[keep], pred[keep], sample_weight=weight[keep], labels=[0, 1]))
    return float(np.mean(losses))


def primary_score(task: str, folder: str) -> float:
    """Primary metric of the task, oriented so that higher is better."""
    if task == "mrnet":
        y, p = mrnet_scores(folder)
        return float(np.mean([roc_auc_score(y[:, j], p[:, j]) for j in range(3)]))
    if task.startswith("scopemri"):
        y, p, _, _ = scopemri_scores(task, folder)
        return float(roc_auc_score(y, p))
    if task == "rsna-cspine":
        return -cspine_weighted_log_loss(*cspine_scores(folder))
    y, p, _ = lumbar_scores(folder)
    return -lumbar_score(y, p)


@pytest.mark.parametrize("task", TASKS)
def test_submissions_rank_as_constructed(task):
    scores = [primary_score(task, f) for f in ORDER[task]]
    baseline, weak, medium, strong_a, strong_b = scores
    assert baseline < weak < medium < min(strong_a, strong_b), dict(zip(ORDER[task], scores))
    # The two strong entries are close: their order is left to the uncertainty analysis.
    assert abs(strong_a - strong_b) < 0.03, dict(zip(ORDER[task], scores))


@pytest.mark.parametrize("task", [t for t in TASKS if t != "rsna-lumbar"])
def test_prevalence_baseline_is_constant_at_demo_prevalence(task):
    folder = "demo-baseline__prevalence"
    if task == "mrnet":
        y, p = mrnet_scores(folder)
    elif task == "rsna-cspine":
        y, p = cspine_scores(folder)
    else:
        y, p, _, _ = scopemri_scores(task, folder)
        y, p = y[:, None], p[:, None]
    assert np.allclose(p, y.mean(axis=0), atol=5e-7)
    # A constant score has AUC 0.5 on every target.
    for j in range(y.shape[1]):
        assert roc_auc_score(y[:, j], p[:, j]) == 0.5


def test_cspine_baseline_matches_published_reference():
    # FACTS: the training prevalence scores 0.5638 on the training labels.
    loss = cspine_weighted_log_loss(*cspine_scores("demo-baseline__prevalence"))
    assert abs(loss - 0.5638) < 0.005
    # Constant 0.5 scores ln 2 whatever the labels.
    y, _ = cspine_scores("demo-baseline__prevalence")
    assert abs(cspine_weighted_log_loss(y, np.full(y.shape, 0.5)) - np.log(2)) < 1e-12


def test_cspine_formats():
    formats = {f: _meta("rsna-cspine", f)["format"] for f in ORDER["rsna-cspine"]}
    assert sorted(formats.values()).count("wide") == 1
    long_rows = read(SUBS / "rsna-cspine/demo-baseline__prevalence/predictions.csv")["row_id"]
    row_id = re.compile(r"1\.2\.826\.0\.1\.3680043\.[0-9]{5}_(patient_overall|C[1-7])")
    assert all(row_id.fullmatch(r) for r in long_rows)


def test_lumbar_probabilities_sum_to_one_except_the_rounded_entry():
    off = {}
    for folder in ORDER["rsna-lumbar"]:
        y, p, raw = lumbar_scores(folder)
        assert np.all(p >= 0) and np.all(p <= 1)
        sums = p.sum(axis=2)
        off[folder] = int((np.abs(sums - 1) > 1e-9).sum())
        if folder == "demo-lab-c__rounded-probabilities":
            assert np.abs(sums - 1).max() <= 0.0025
        else:
            assert all(PROB.fullmatch(v) for v in raw.ravel())
            # Exact decimal sums: integer millionths add up to 1,000,000.
            micro = np.vectorize(lambda v: int(v.replace(".", "")))(raw).sum(axis=1)
            assert (micro == 1_000_000).all()
    assert off["demo-lab-c__rounded-probabilities"] > 0
    assert sum(v for k, v in off.items() if k != "demo-lab-c__rounded-probabilities") == 0


def test_lumbar_baseline_is_the_class_mix_of_each_target():
    y, p, _ = lumbar_scores("demo-baseline__prevalence")
    for j in range(25):
        labelled = y[:, j][y[:, j] >= 0]
        freq = np.bincount(labelled, minlength=3) / len(labelled)
        assert np.allclose(p[:, j, :], freq, atol=2e-6)


def test_scopemri_bankart_strong_models_better_on_mra():
    for folder in ("demo-lab-a__scope-cnn", "demo-lab-b__multiview-transformer"):
        y, p, mod, _ = scopemri_scores("scopemri-bankart", folder)
        auc_mri = roc_auc_score(y[mod == "MRI"], p[mod == "MRI"])
        auc_mra = roc_auc_score(y[mod == "MRA"], p[mod == "MRA"])
        assert auc_mra > auc_mri
        assert abs(auc_mri - 0.91) < 0.05 or folder.startswith("demo-lab-b")
        assert auc_mri > 0.85 and auc_mra > 0.9


def test_scopemri_scores_of_a_patient_are_correlated():
    # Residual logits of the two studies of one patient, pooled over the model entries.
    pairs = []
    for target in ("bankart", "slap", "cuff"):
        task = f"scopemri-{target}"
        for folder in ORDER[task][1:]:
            y, p, _, patients = scopemri_scores(task, folder)
            logit = np.log(p) - np.log1p(-p)
            resid = logit.copy()
            for v in (0, 1):
                resid[y == v] -= logit[y == v].mean()
            frame = pd.DataFrame({"patient": patients, "r": resid})
            for _, g in frame.groupby("patient"):
                if len(g) == 2:
                    pairs.append(g["r"].to_numpy())
    pairs = np.array(pairs)
    assert len(pairs) >= 20
    assert np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1] > 0.2


# -- the generators live apart -------------------------------------------------------------------
def imported_modules(source: str, package: str) -> set[str]:
    """Absolute names of the modules ``source`` (a module of ``package``) imports, at any
    depth (function-level imports too), relative imports resolved."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{a.name}" for a in node.names)
    return names


def is_demo(name: str) -> bool:
    return name == "benchmark.demo" or name.startswith("benchmark.demo.")


def test_the_import_reader_sees_every_way_to_import_the_generators():
    for source in ("from ..demo import generate\n", "from ..demo.common import SEEDS\n",
                   "import benchmark.demo.mrnet\n", "def f():\n    from .. import demo\n",
                   "from benchmark.demo import entries\n"):
        assert any(map(is_demo, imported_modules(source, "benchmark.cli"))), source
    assert not any(map(is_demo, imported_modules("from . import demo\n", "benchmark.cli")))  # cli.demo


def test_no_module_of_the_package_imports_the_demo_generators():
    package = REPO / "benchmark"
    sources = [p for p in package.rglob("*.py") if p.relative_to(package).parts[0] != "demo"]
    assert len(sources) > 20
    found = {}
    for path in sources:
        dotted = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
        names = sorted(filter(is_demo, imported_modules(path.read_text(encoding="utf-8"), dotted)))
        if names:
            found[str(path.relative_to(REPO))] = names
    assert found == {}
