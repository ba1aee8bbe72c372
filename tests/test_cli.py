"""End to end through the command-line interface, on the committed demo files."""

import json
import math
import shutil
import subprocess
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmark.cli.main import main

MRNET_OFFICIAL = "submissions/mrnet/demo-lab-c__densenet-official-format/predictions.csv"


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _find_official(root):
    for p in sorted((root / "submissions" / "mrnet").glob("*/submission.toml")):
        if 'format = "mrnet_official"' in p.read_text():
            return p.parent / "predictions.csv"
    raise AssertionError("no official-format MRNet demo submission")


def _official_mrnet_score(label_rows: np.ndarray, pred_path) -> float:
    # The official scorer (stanfordmlgroup.github.io competitions/mrnet/evaluate-v1.0.py):
    # np.genfromtxt on both files, per-column roc_auc_score, plain mean; rows matched by order.
    preds = np.genfromtxt(pred_path, delimiter=",")
    assert preds.shape == label_rows.shape
    return float(np.mean([roc_auc_score(label_rows[:, j], preds[:, j]) for j in range(3)]))


def test_tasks_lists_directions(capsys, root, monkeypatch):
    monkeypatch.chdir(root)
    code, out, _ = run(["tasks"], capsys)
    assert code == 0
    assert "mrnet" in out and "rsna-lumbar" in out
    line = next(l for l in out.splitlines() if l.startswith("rsna-cspine"))
    assert "lower is better" in line


def test_split_reproduces_the_committed_scopemri_split(tmp_path, root, capsys, monkeypatch):
    monkeypatch.chdir(root)
    code, out, err = run(
        [
            "split", "scopemri",
            "--labels", "tasks/_datasets/scopemri/demo/annotations.csv",
            "--extra-label", "reverse_bankart",
            "--test-fraction", "0.2", "--seed", "586",
            "--out", str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    ds = root / "tasks" / "_datasets" / "scopemri"
    assert (tmp_path / "test_ids.csv").read_bytes() == (ds / "public" / "test_ids.csv").read_bytes()
    assert (tmp_path / "test_labels.csv").read_bytes() == (ds / "demo" / "test_labels.csv").read_bytes()


def test_mrnet_official_format_equals_official_scorer(root, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(root)
    pred = _find_official(root)
    out_json = tmp_path / "r.json"
    code, out, err = run(["score", "mrnet", str(pred), "--demo", "--bootstrap", "0", "--json", str(out_json)], capsys)
    assert code == 0, err
    res = json.loads(out_json.read_text())
    labels = np.genfromtxt(root / "tasks/_datasets/mrnet/demo/test_labels.csv", delimiter=",", skip_header=2)
    # label file rows are in ascending case order, like the official predictions
    order = np.argsort(labels[:, 0])
    expected = _official_mrnet_score(labels[order, 1:], pred)
    assert abs(res["metrics"]["mean_auc"]["value"] - expected) < 1e-12
    for key in ("task", "task_version", "split", "labels_sha256", "synthetic_labels", "n_cases", "primary", "metrics", "harness_version"):
        assert key in res
    assert res["synthetic_labels"] is True and res["n_cases"] == 120 and res["primary"] == "mean_auc"
    assert "DEMO: synthetic labels" in out


def test_mrnet_native_valid_files(root, tmp_path, capsys, monkeypatch):
    """A researcher's valid-*.csv release files: expected ids are the ids of those files."""
    monkeypatch.chdir(root)
    rng = np.random.default_rng(7)
    cases = [f"{i}" for i in range(1130, 1250)]
    y = rng.integers(0, 2, size=(120, 3))
    for j, t in enumerate(["abnormal", "acl", "meniscus"]):
        (tmp_path / f"valid-{t}.csv").write_text("".join(f"{c},{v}\n" for c, v in zip(cases, y[:, j])))
    p = rng.random((120, 3))
    pred = tmp_path / "pred.csv"
    np.savetxt(pred, p, delimiter=",", fmt="%.17g")
    out_json = tmp_path / "r.json"
    code, _, err = run(
        ["score", "mrnet", str(pred), "--labels", str(tmp_path), "--split", "valid", "--bootstrap", "0", "--json", str(out_json)],
        capsys,
    )
    assert code == 0, err
    res = json.loads(out_json.read_text())
    expected = float(np.mean([roc_auc_score(y[:, j], p[:, j]) for j in range(3)]))
    assert abs(res["metrics"]["mean_auc"]["value"] - expected) < 1e-12
    assert res["synthetic_labels"] is False and res["split"] == "valid"


def test_json_is_byte_identical_across_runs(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    sub = sorted((root / "submissions" / "scopemri-bankart").glob("*/predictions.csv"))[0]
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for p in (a, b):
        code, _, err = run(["score", "scopemri-bankart", str(sub.relative_to(root)), "--demo", "--bootstrap", "500", "--json", str(p)], capsys)
        assert code == 0, err
    assert a.read_bytes() == b.read_bytes()
    res = json.loads(a.read_text())
    assert res["bootstrap"]["cluster"] == "patient_id"
    assert res["bootstrap"]["replicates"] == 500
    lo, hi = res["metrics"]["auc/bankart"]["ci"]
    assert lo <= res["metrics"]["auc/bankart"]["value"] <= hi


def test_cspine_half_everywhere_is_ln2(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    ids = [l.strip() for l in (root / "tasks/_datasets/rsna-cspine/public/test_ids.csv").read_text().splitlines()[2:] if l.strip()]
    targets = ["patient_overall"] + [f"C{i}" for i in range(1, 8)]
    f = tmp_path / "half.csv"
    f.write_text("row_id,fractured\n" + "".join(f"{i}_{t},0.5\n" for i in ids for t in targets))
    code, out, err = run(["score", "rsna-cspine", str(f), "--demo", "--bootstrap", "0", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert abs(res["metrics"]["weighted_log_loss"]["value"] - math.log(2)) < 1e-12


def test_invalid_submission_exit_2_without_traceback(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    f = tmp_path / "bad.csv"
    f.write_text("case,abnormal,acl\n130,0.5,nan\n")
    code, out, err = run(["validate", "mrnet", str(f)], capsys)
    assert code == 2
    assert "Traceback" not in err and "problem" in err


def test_missing_file_and_unknown_task(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    code, _, err = run(["validate", "mrnet", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "Traceback" not in err
    # unknown names are usage errors (exit 2), matched ignoring case
    code, _, err = run(["validate", "mrnt", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "Did you mean 'mrnet'" in err
    code, _, err = run(["validate", "MRNet", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "Did you mean 'mrnet'" in err and "host error" not in err
    code, _, err = run(["validate", "mrnet", str(tmp_path / "nope.csv"), "--split", "validation"], capsys)
    assert code == 2 and "Did you mean 'valid'" in err


def test_label_hash_mismatch_is_a_host_error(root, tmp_path, capsys, monkeypatch):
    shutil.copytree(root / "tasks", tmp_path / "tasks")
    lab = tmp_path / "tasks/_datasets/mrnet/demo/test_labels.csv"
    lab.write_text(lab.read_text() + "\n")  # same rows, different bytes
    monkeypatch.chdir(tmp_path)
    pred = _find_official(root)
    code, _, err = run(["--root", str(tmp_path), "score", "mrnet", str(pred), "--demo", "--bootstrap", "0"], capsys)
    assert code == 1
    assert "9ed1956eb17d3b8180e7bc0f10344e0e642aa0c4ad18a40b808644ad95e4cd33" in err
    code, _, err = run(["--root", str(tmp_path), "score", "mrnet", str(pred), "--demo", "--bootstrap", "0", "--allow-label-hash-mismatch"], capsys)
    assert code == 0, err


def test_python_dash_m_works(root):
    r = subprocess.run([sys.executable, "-m", "benchmark", "tasks"], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0 and "scopemri-bankart" in r.stdout


def test_compare_self_and_reversed(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    a = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
    code, out, err = run(["compare", "mrnet", a, a, "--demo", "--bootstrap", "300", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    for m in res["metrics"].values():
        assert m["difference"] == 0 and m["ci"] == [0.0, 0.0] and m["p_value"] == 1.0 and m["better"] is None
    # B = 1 - A reverses every ranking: AUC(B) = 1 - AUC(A) exactly.
    lines = [l for l in (root / a).read_text().splitlines() if l and not l.startswith("#")]
    rev = tmp_path / "rev.csv"
    rev.write_text(lines[0] + "\n" + "".join(
        ",".join([c[0]] + [repr(1.0 - float(x)) for x in c[1:]]) + "\n" for c in (l.split(",") for l in lines[1:])
    ))
    code, out, err = run(["compare", "mrnet", a, str(rev), "--demo", "--bootstrap", "300", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    m = res["metrics"]["auc/acl"]
    assert abs(m["a"] + m["b"] - 1) < 1e-12
    assert m["better"] == a and m["ci"][0] > 0 and m["delong"]["p_value"] < 1e-6


def test_compare_clustered_task_notes_delong_ignores_clustering(root, capsys, monkeypatch):
    monkeypatch.chdir(root)
    a = "submissions/scopemri-bankart/demo-lab-a__scope-cnn/predictions.csv"
    b = "submissions/scopemri-bankart/demo-lab-d__logistic-baseline/predictions.csv"
    code, out, err = run(["compare", "scopemri-bankart", a, b, "--demo", "--bootstrap", "200", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["bootstrap"]["cluster"] == "patient_id"
    delongs = [m["delong"] for m in res["metrics"].values() if m.get("delong")]
    assert delongs and all("clustered by patient_id" in d["note"] for d in delongs)
    code, out, err = run(["compare", "scopemri-bankart", a, b, "--demo", "--bootstrap", "200"], capsys)
    assert code == 0, err
    assert "note: p (DeLong): DeLong treats cases as independent" in out
    # an unclustered task: no note
    m = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
    code, out, err = run(["compare", "mrnet", m, m, "--demo", "--bootstrap", "200", "--json", "-"], capsys)
    assert all(v["delong"]["note"] is None for v in json.loads(out)["metrics"].values() if v.get("delong"))


def test_compare_needs_replicates(root, capsys, monkeypatch):
    monkeypatch.chdir(root)
    a = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
    code, _, err = run(["compare", "mrnet", a, a, "--demo", "--bootstrap", "0"], capsys)
    assert code == 2 and "--bootstrap" in err


def test_rsna_train_csv_native_labels(root, tmp_path, capsys, monkeypatch):
    """A researcher's train.csv: the expected studies are those of the file, not the public list."""
    monkeypatch.chdir(root)
    rows = [l for l in (root / "tasks/_datasets/rsna-cspine/demo/test_labels.csv").read_text().splitlines() if l and not l.startswith("#")]
    header, body = rows[0], rows[1:201]
    (tmp_path / "train.csv").write_text(header + "\n" + "\n".join(body) + "\n")
    ids = [r.split(",")[0] for r in body]
    targets = header.split(",")[1:]
    pred = tmp_path / "oof.csv"
    pred.write_text("row_id,fractured\n" + "".join(f"{i}_{t},0.5\n" for i in ids for t in targets))
    code, out, err = run(["score", "rsna-cspine", str(pred), "--labels", str(tmp_path / "train.csv"), "--bootstrap", "0", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["n_cases"] == 200 and res["synthetic_labels"] is False
    assert abs(res["metrics"]["weighted_log_loss"]["value"] - math.log(2)) < 1e-12


def test_scoring_without_labels_is_a_usage_error(root, capsys, monkeypatch):
    """Forgetting --labels never yields a real-looking score: exit 2 and a message naming the ways out."""
    monkeypatch.chdir(root)
    monkeypatch.delenv("BENCHMARK_LABELS_DIR", raising=False)
    a = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
    for args in (["score", "mrnet", a, "--split", "test"], ["score", "mrnet", a, "--json", "-"], ["compare", "mrnet", a, a]):
        code, out, err = run(args, capsys)
        assert code == 2, (args, err)
        assert out == "" and "Traceback" not in err
        assert "--labels" in err and "BENCHMARK_LABELS_DIR" in err and "--demo" in err
    code, _, err = run(["score", "mrnet", a, "--demo", "--labels", "x"], capsys)
    assert code == 2 and "not allowed with" in err


def test_demo_flag_wins_over_the_environment_and_says_demo_everywhere(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    monkeypatch.setenv("BENCHMARK_LABELS_DIR", str(tmp_path / "no-such-folder"))
    a = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
    code, out, err = run(["score", "mrnet", a, "--demo", "--bootstrap", "0"], capsys)
    assert code == 0, err
    assert "[DEMO: synthetic labels]" in out.splitlines()[0]
    code, out, err = run(["score", "mrnet", a, "--demo", "--bootstrap", "0", "--json", "-"], capsys)
    assert json.loads(out)["synthetic_labels"] is True
    code, out, err = run(["compare", "mrnet", a, a, "--demo", "--bootstrap", "200"], capsys)
    assert code == 0, err
    assert "[DEMO: synthetic labels]" in out.splitlines()[0]
    code, out, err = run(["compare", "mrnet", a, a, "--demo", "--bootstrap", "200", "--json", "-"], capsys)
    assert json.loads(out)["synthetic_labels"] is True
    # Without --demo the environment is used (and here it points nowhere: a host error, not demo scores).
    code, out, err = run(["score", "mrnet", a, "--bootstrap", "0"], capsys)
    assert code == 1 and "no-such-folder" in err and out == ""


def _mrnet_native(folder, prefix, cases, y):
    folder.mkdir(parents=True, exist_ok=True)
    for j, t in enumerate(["abnormal", "acl", "meniscus"]):
        (folder / f"{prefix}-{t}.csv").write_text("".join(f"{c},{v}\n" for c, v in zip(cases, y[:, j])))


def test_mrnet_train_files_score_with_split_train(root, tmp_path, capsys, monkeypatch):
    """Out-of-fold scoring on MRNet's train-*.csv: --split train is accepted with native files."""
    monkeypatch.chdir(root)
    rng = np.random.default_rng(11)
    cases = [f"{i:04d}" for i in range(0, 300)]
    y = rng.integers(0, 2, size=(300, 3))
    _mrnet_native(tmp_path / "release", "train", cases, y)
    p = rng.random((300, 3))
    pred = tmp_path / "oof.csv"
    pred.write_text("case,abnormal,acl,meniscus\n" + "".join(f"{c},{float(a)!r},{float(b)!r},{float(m)!r}\n" for c, (a, b, m) in zip(cases, p)))
    code, out, err = run(["score", "mrnet", str(pred), "--labels", str(tmp_path / "release"), "--split", "train", "--bootstrap", "0", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    expected = float(np.mean([roc_auc_score(y[:, j], p[:, j]) for j in range(3)]))
    assert abs(res["metrics"]["mean_auc"]["value"] - expected) < 1e-12
    assert res["split"] == "train" and res["n_cases"] == 300
    assert res["labels_source"] == "native MRNet train-abnormal.csv, train-acl.csv, train-meniscus.csv"
    # --split train without native files: a usage error naming the splits, no traceback
    code, out, err = run(["score", "mrnet", str(pred), "--demo", "--split", "train"], capsys)
    assert code == 2 and "splits: test, valid" in err.lower() and "Traceback" not in err
    code, out, err = run(["score", "mrnet", str(pred), "--demo", "--split", "Valid"], capsys)
    assert code == 2 and "Did you mean 'valid'?" in err


def test_native_file_recognised_by_content_whatever_its_name(root, tmp_path, capsys, monkeypatch):
    """A renamed RSNA 2022 train.csv is native: scored on its own studies, named as its source."""
    monkeypatch.chdir(root)
    rows = [l for l in (root / "tasks/_datasets/rsna-cspine/demo/test_labels.csv").read_text().splitlines() if l and not l.startswith("#")]
    header, body = rows[0], rows[1:151]
    lab = tmp_path / "cspine_fold_labels.csv"
    lab.write_text(header + "\n" + "\n".join(body) + "\n")
    ids = [r.split(",")[0] for r in body]
    targets = header.split(",")[1:]
    pred = tmp_path / "oof.csv"
    pred.write_text("row_id,fractured\n" + "".join(f"{i}_{t},0.5\n" for i in ids for t in targets))
    code, out, err = run(["score", "rsna-cspine", str(pred), "--labels", str(lab), "--bootstrap", "0", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["n_cases"] == 150 and res["split"] == "native"
    assert res["labels_source"] == "native RSNA 2022 Cervical Spine Fracture Detection cspine_fold_labels.csv"
    assert res["labels_sha256"] == __import__("hashlib").sha256(lab.read_bytes()).hexdigest()
    assert abs(res["metrics"]["weighted_log_loss"]["value"] - math.log(2)) < 1e-12
    code, out, err = run(["score", "rsna-cspine", str(pred), "--labels", str(lab), "--bootstrap", "0"], capsys)
    assert "labels: native RSNA 2022" in out and "split native" in out


def test_cases_file_scores_one_fold(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    a = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
    lines = [l for l in (root / a).read_text().splitlines() if l and not l.startswith("#")]
    fold = [l.split(",")[0] for l in lines[1:][::3]]  # every third case
    cases = tmp_path / "fold1.csv"
    cases.write_text("case\n" + "\n".join(fold) + "\n")
    sub = tmp_path / "fold_pred.csv"
    sub.write_text(lines[0] + "\n" + "\n".join(lines[1:][::3]) + "\n")
    code, out, err = run(["score", "mrnet", str(sub), "--demo", "--cases", str(cases), "--bootstrap", "0", "--json", "-"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["n_cases"] == len(fold) == 40
    lab = np.genfromtxt(root / "tasks/_datasets/mrnet/demo/test_labels.csv", delimiter=",", skip_header=2, dtype=str)
    truth = {r[0]: r[1:].astype(int) for r in lab}
    pred = {l.split(",")[0]: np.array(l.split(",")[1:], float) for l in lines[1:]}
    expected = np.mean([roc_auc_score([truth[c][j] for c in fold], [pred[c][j] for c in fold]) for j in range(3)])
    assert abs(res["metrics"]["mean_auc"]["value"] - expected) < 1e-12
    assert "fold1.csv" in res["labels_source"] and res["synthetic_labels"] is True
    # the whole file against the fold: the rows outside the fold are reported like any extra rows
    code, out, err = run(["score", "mrnet", a, "--demo", "--cases", str(cases), "--bootstrap", "0"], capsys)
    assert code == 2 and "problem" in err
    # an unknown id in the case list: a usage error naming it in plain text
    cases.write_text("case\n" + "\n".join(fold + ["9999"]) + "\n")
    code, out, err = run(["score", "mrnet", str(sub), "--demo", "--cases", str(cases)], capsys)
    assert code == 2 and "'9999'" in err and "np.str_" not in err


def test_label_messages_never_show_numpy_reprs(root, tmp_path, capsys, monkeypatch):
    shutil.copytree(root / "tasks", tmp_path / "tasks")
    monkeypatch.chdir(tmp_path)
    lab = tmp_path / "hidden" / "mrnet" / "test_labels.csv"
    lab.parent.mkdir(parents=True)
    rows = (root / "tasks/_datasets/mrnet/demo/test_labels.csv").read_text().splitlines()
    lab.write_text("\n".join(r for r in rows if not r.startswith("#"))[: -len(rows[-1]) - 1] + "\n")  # last case dropped
    a = str(root / "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv")
    code, _, err = run(["--root", str(tmp_path), "score", "mrnet", a, "--labels", str(tmp_path / "hidden"), "--allow-label-hash-mismatch"], capsys)
    assert code == 1 and "lack 1 case(s)" in err and "np.str_" not in err and "'1369'" in err


def test_ids_of_another_split_are_named(root, tmp_path, capsys, monkeypatch):
    """A file of validation ids checked against the test split says which split it belongs to."""
    monkeypatch.chdir(root)
    valid = [l.split(",")[0] for l in (root / "tasks/_datasets/mrnet/public/valid_ids.csv").read_text().splitlines()
             if l and not l.startswith("#")][1:]
    assert len(valid) == 120
    f = tmp_path / "valid_preds.csv"
    f.write_text("case,abnormal,acl,meniscus\n" + "".join(f"{c},0.5,0.5,0.5\n" for c in valid))
    code, out, err = run(["validate", "mrnet", str(f)], capsys)
    assert code == 2
    first = err.splitlines()[1]
    assert "all 120 case ids of the file belong to split 'valid'" in first and "add --split valid" in first
    code, out, err = run(["validate", "mrnet", str(f), "--json", "-"], capsys)
    rep = json.loads(out)
    assert rep["problems"][0]["code"] == "ids-of-another-split" and rep["problems"][0]["fix"] == "add --split valid"
    code, out, err = run(["validate", "mrnet", str(f), "--split", "valid"], capsys)
    assert code == 0, err
    # a file that is simply wrong gets no split hint
    g = tmp_path / "junk.csv"
    g.write_text("case,abnormal,acl,meniscus\n9999,0.5,0.5,0.5\n")
    code, out, err = run(["validate", "mrnet", str(g)], capsys)
    assert code == 2 and "belong to split" not in err


def test_every_command_has_examples_and_every_option_help(capsys):
    import argparse

    from benchmark.cli.main import EXAMPLES, build_parser

    parser = build_parser(["--help"])
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    own = [n for n in subs.choices if n not in ("ci", "submit")]  # documented by their own modules
    assert set(own) == set(EXAMPLES)
    for name in own:
        sp = subs.choices[name]
        assert "examples:" in (sp.epilog or ""), name
        for action in sp._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help, f"benchmark {name}: option {action.option_strings or action.dest} has no help text"
    assert main(["score", "--help"]) == 0
    out = capsys.readouterr().out
    assert "formats by task" in out and "mrnet: canonical, mrnet_official" in out


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    import io

    from benchmark.cli import main as cli

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert cli._paint("error:", "error", Tty()) == "\033[1;31merror:\033[0m"
    assert cli._paint("error:", "error", io.StringIO()) == "error:"  # not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._paint("error:", "error", Tty()) == "error:"


def test_quiet_and_verbose(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    a = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
    out_json = tmp_path / "r.json"
    code, out, err = run(["score", "mrnet", a, "--demo", "--bootstrap", "0", "--json", str(out_json)], capsys)
    assert code == 0 and "result written to" in out
    for args in (["-q", "score", "mrnet", a], ["score", "mrnet", a, "-q"]):  # before or after the command
        code, out, err = run([*args, "--demo", "--bootstrap", "0", "--json", str(out_json)], capsys)
        assert code == 0 and "result written to" not in out and "mean_auc" in out and err == ""
    code, out, err = run(["score", "mrnet", a, "--demo", "--bootstrap", "0", "-v"], capsys)
    assert code == 0 and "labels: " in err and "test_labels.csv" in err
    copy = tmp_path / "copy"  # `demo` caches results under its root: a copy, not the checkout
    for folder in ("tasks", "submissions"):
        shutil.copytree(root / folder, copy / folder)
    code, out, err = run(["--root", str(copy), "demo", "--no-site", "--bootstrap", "0", "-q"], capsys)
    assert code == 0 and err == "" and "auc/C7" in out
    code, out, err = run(["score", "mrnet", a, "-q", "-v"], capsys)
    assert code == 2 and "not allowed with" in err


def test_auc_of_one_says_its_interval_is_degenerate(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    labels = np.genfromtxt(root / "tasks/_datasets/mrnet/demo/test_labels.csv", delimiter=",",
                           skip_header=2)
    rng = np.random.default_rng(1)
    # Perfect separation with continuous scores: positives in [0.6, 0.9], negatives in [0.1, 0.4].
    scores = np.where(labels[:, 1:] == 1, 0.6, 0.1) + 0.3 * rng.random(labels[:, 1:].shape)
    scores[:, 2] = rng.random(len(labels))  # meniscus: an ordinary AUC
    f = tmp_path / "perfect.csv"
    f.write_text("case,abnormal,acl,meniscus\n" + "".join(
        f"{int(c)},{a:.6f},{b:.6f},{m:.6f}\n" for c, (a, b, m) in zip(labels[:, 0], scores)))
    for ci in ("percentile", "delong"):
        code, out, err = run(["score", "mrnet", str(f), "--split", "test", "--demo", "--bootstrap", "200",
                              "--ci", ci, "--json", "-"], capsys)
        assert code == 0, err
        res = json.loads(out)
        for name in ("auc/abnormal", "auc/acl"):
            mv = res["metrics"][name]
            assert mv["value"] == 1.0 and mv["ci"] == [1.0, 1.0]
            assert mv["ci_note"].startswith("degenerate interval: AUC = 1")
            assert any(w.startswith(f"{name}: degenerate interval") for w in res["warnings"])
        assert res["metrics"]["auc/meniscus"]["ci_note"] is None or \
            "degenerate" not in res["metrics"]["auc/meniscus"]["ci_note"]
        assert not any(w.startswith("auc/meniscus") for w in res["warnings"])
    code, out, err = run(["score", "mrnet", str(f), "--split", "test", "--demo", "--bootstrap", "200"], capsys)
    assert code == 0, err
    row = next(l for l in out.splitlines() if l.startswith("auc/acl"))
    assert "[1.0000, 1.0000] degenerate" in row
    assert "warning: auc/acl: degenerate interval" in out


def test_ladder_disclosure_drops_the_degenerate_interval_warning(root):
    # On a Ladder task only the rounded primary score is published: a warning that names another
    # metric's value (AUC = 1) must not be published either.
    from benchmark.data.disclosure import Disclosure
    from benchmark.data.labels import load_labels
    from benchmark.scoring.score import BootstrapSettings, score_task
    from benchmark.submissions.submission import Submission
    from benchmark.data.tasks import load_registry

    task = load_registry(root).get("mrnet")
    labels = load_labels(task, "test")
    rng = np.random.default_rng(3)
    scores = np.where(labels.y == 1, 0.6, 0.1) + 0.3 * rng.random(labels.y.shape)
    sub = Submission("mrnet", "canonical", "p.csv", "0" * 64, labels.ids, scores)
    res = score_task(task, labels, [sub], ["p"], BootstrapSettings.from_task(task, replicates=200)).results[0]
    assert any(": degenerate interval" in w for w in res.warnings)
    standard = Disclosure("mrnet", "test", "all", hidden=True, predictions_confidential=False).result(res)
    assert [w for w in standard.warnings if "degenerate" in w] == [w for w in res.warnings if "degenerate" in w]
    ladder = Disclosure("mrnet", "test", "all", hidden=True, predictions_confidential=False,
                        mode="ladder").result(res)
    assert not any("degenerate" in w for w in ladder.warnings)
    assert list(ladder.metrics) == [res.primary]
