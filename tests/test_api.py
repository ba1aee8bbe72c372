"""The Python API (benchmark.validate / score / compare) and the JSON Schema of every output."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import benchmark
from benchmark.cli.main import main
from benchmark.core.errors import LabelsRequired, SubmissionInvalid
from benchmark.scoring.results import ComparisonResult, ScoreResult, ValidationReport, output_schema
from benchmark.core.canonical import canonical_json

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "docs" / "result.schema.json"
A = "submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv"
DEMO_LABELS = ROOT / "tasks/_datasets/mrnet/demo/test_labels.csv"


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _valid(doc, schema):
    jsonschema.Draft202012Validator(schema).validate(doc)


def _frame(path=A):
    return pd.read_csv(ROOT / path, comment="#", dtype={"case": str})


def _labels():
    lab = pd.read_csv(DEMO_LABELS, comment="#", dtype={"case": str}).set_index("case")
    return lab


def _normalised(schema):
    """Drop ``additionalProperties: true`` (the JSON Schema default, which pydantic 2.5 omits
    and later versions write out), so the comparison holds across the supported pydantic range."""
    if isinstance(schema, dict):
        return {k: _normalised(v) for k, v in schema.items() if not (k == "additionalProperties" and v is True)}
    if isinstance(schema, list):
        return [_normalised(v) for v in schema]
    return schema


def test_committed_schema_is_generated_from_the_models():
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert _normalised(committed) == _normalised(json.loads(canonical_json(output_schema()))), (
        "docs/result.schema.json is stale: regenerate it with "
        "python -c 'from benchmark.scoring.results import output_schema; from benchmark.core.canonical import canonical_json; "
        "print(canonical_json(output_schema()), end=\"\")' > docs/result.schema.json"
    )


def test_path_frame_and_array_give_the_same_result(monkeypatch, schema):
    monkeypatch.chdir(ROOT)
    by_path = benchmark.score("mrnet", A, demo=True, bootstrap=0)
    df = _frame()
    by_frame = benchmark.score("mrnet", df, demo=True, bootstrap=0)
    by_index = benchmark.score("mrnet", df.set_index("case"), demo=True, bootstrap=0)
    arr = df[["abnormal", "acl", "meniscus"]].to_numpy()
    by_array = benchmark.score("mrnet", arr, ids=df["case"].tolist(), demo=True, bootstrap=0)
    assert isinstance(by_path, ScoreResult)
    # the independent reference: scikit-learn on the demo label file
    lab = _labels().loc[df["case"]]
    expected = np.mean([roc_auc_score(lab[t], df[t]) for t in ("abnormal", "acl", "meniscus")])
    for r in (by_path, by_frame, by_index, by_array):
        assert abs(r.primary_value - expected) < 1e-12
        assert r.synthetic_labels is True
        assert r.metrics == by_path.metrics
        _valid(json.loads(r.to_json()), schema)
    assert by_frame.submission.path == "<DataFrame>" and by_array.submission.path == "<array>"
    frame = by_path.to_frame()
    assert list(frame["metric"]) == list(by_path.metrics)
    assert frame.loc[frame["primary"], "value"].item() == by_path.primary_value


def test_api_json_equals_the_cli_json(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(ROOT)
    res = benchmark.score("mrnet", A, demo=True, bootstrap=300, seed=5)
    assert main(["score", "mrnet", A, "--demo", "--bootstrap", "300", "--seed", "5", "--json", str(tmp_path / "r.json")]) == 0
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == res.to_json()


def test_every_problem_in_one_exception(monkeypatch):
    monkeypatch.chdir(ROOT)
    df = _frame()
    bad = df.copy()
    bad.loc[0, "acl"] = 1.7
    bad.loc[1, "meniscus"] = float("nan")
    bad = bad.drop(index=[5])
    with pytest.raises(SubmissionInvalid) as ei:
        benchmark.validate("mrnet", bad)
    codes = {p.code for p in ei.value.problems}
    assert len(ei.value.problems) >= 3, codes
    assert all(p.file == "<DataFrame>" for p in ei.value.problems)
    with pytest.raises(SubmissionInvalid) as ei:
        benchmark.validate("mrnet", np.zeros((3, 2)))
    assert {p.code for p in ei.value.problems} == {"array-shape", "missing-ids"}
    with pytest.raises(TypeError, match="path, a pandas DataFrame or a numpy array"):
        benchmark.validate("mrnet", [[0.1, 0.2, 0.3]])


def test_validate_returns_a_report(monkeypatch, schema):
    monkeypatch.chdir(ROOT)
    rep = benchmark.validate("mrnet", A)
    assert isinstance(rep, ValidationReport)
    assert rep.valid and rep.n_cases == 120 and rep.format == "canonical" and rep.problems == []
    _valid(json.loads(rep.to_json()), schema)


def test_scoring_needs_labels(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(LabelsRequired):
        benchmark.score("mrnet", A)
    with pytest.raises(LabelsRequired):
        benchmark.compare("mrnet", A, A)


def test_compare_typed_and_paired(monkeypatch, schema):
    monkeypatch.chdir(ROOT)
    df = _frame()
    rev = df.assign(acl=1 - df["acl"])
    res = benchmark.compare("mrnet", df, rev, demo=True, bootstrap=300)
    assert isinstance(res, ComparisonResult) and (res.a, res.b) == ("A", "B")
    m = res.metrics["auc/acl"]
    assert abs(m.a + m.b - 1) < 1e-12 and m.better == "A"
    assert res.metrics["auc/abnormal"].difference == 0.0
    _valid(json.loads(res.to_json()), schema)
    assert set(res.to_frame()["metric"]) == set(res.metrics)
    # problems of both inputs in one exception
    with pytest.raises(SubmissionInvalid) as ei:
        benchmark.compare("mrnet", np.zeros((2, 3)), np.zeros((2, 1)), ids=["1", "2"], demo=True)
    assert any(p.code == "array-shape" for p in ei.value.problems) and len(ei.value.problems) >= 2


def test_cli_json_outputs_validate_against_the_schema(monkeypatch, tmp_path, capsys, schema):
    monkeypatch.chdir(ROOT)
    bad = tmp_path / "bad.csv"
    bad.write_text("case,abnormal,acl,meniscus\n1250,0.5,2,0.1\n1250,0.5,0.5,x\n")
    docs = {}
    for name, args, code in [
        ("validate-ok", ["validate", "mrnet", A, "--json", "-"], 0),
        ("validate-bad", ["validate", "mrnet", str(bad), "--json", "-"], 2),
        ("score-ok", ["score", "rsna-cspine", "submissions/rsna-cspine/" + _first("rsna-cspine"), "--demo", "--bootstrap", "200", "--json", "-"], 0),
        ("score-bad", ["score", "mrnet", str(bad), "--demo", "--json", "-"], 2),
        ("compare", ["compare", "mrnet", A, A, "--demo", "--bootstrap", "200", "--json", "-"], 0),
    ]:
        assert main(args) == code, name
        out = capsys.readouterr().out
        docs[name] = json.loads(out)
        _valid(docs[name], schema)
    assert docs["validate-ok"]["valid"] is True
    for name in ("validate-bad", "score-bad"):
        d = docs[name]
        assert d["valid"] is False and len(d["problems"]) >= 3
        assert all(p["file"] == str(bad) for p in d["problems"])
    assert docs["score-ok"]["synthetic_labels"] is True
    # each document matches exactly one branch of the schema
    for name, d in docs.items():
        hits = [k for k in ("ScoreResult", "ComparisonResult", "ValidationReport")
                if jsonschema.Draft202012Validator({**schema, "oneOf": [{"$ref": f"#/$defs/{k}"}]}).is_valid(d)]
        assert len(hits) == 1, (name, hits)


def _first(task):
    return sorted(p.parent.name for p in (ROOT / "submissions" / task).glob("*/predictions.csv"))[0] + "/predictions.csv"


def test_compare_is_the_api_function_in_a_fresh_interpreter():
    import subprocess
    import sys

    code = (
        "import benchmark\n"
        "f = benchmark.compare\n"  # first use, then again after the ranking module is imported
        "import benchmark.stats.ranking\n"
        "assert f is benchmark.compare and f.__module__ == 'benchmark.api'\n"
        "r = benchmark.compare('mrnet', *(['submissions/mrnet/demo-lab-a__resnet-baseline/predictions.csv'] * 2), demo=True, bootstrap=100)\n"
        "assert type(r).__name__ == 'ComparisonResult'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
