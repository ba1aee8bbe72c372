"""Same inputs, same bytes on every machine: whatever the BLAS processor kernel, the number of
BLAS threads, and the pandas version.

Results are computed in child processes under ``OPENBLAS_CORETYPE=Prescott`` (OpenBLAS's
SSE3 kernels, no AVX or FMA) and under the machine's own kernel, with one and two BLAS threads,
and compared byte for byte. Each child reports the kernel OpenBLAS actually loaded, so the
comparison cannot pass by running the same kernel twice.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]

_KERNEL = (
    "import numpy, threadpoolctl;"
    "print([i.get('architecture') for i in threadpoolctl.threadpool_info()"
    " if i['internal_api'] == 'openblas'])"
)


def _env(coretype=None, threads=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    env.pop("BENCHMARK_LABELS_DIR", None)
    env["PYTHONPATH"] = str(REPO)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    if threads:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    return env


def _architecture(env):
    out = subprocess.run([sys.executable, "-c", _KERNEL], env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def _score(tmp, task, submission, env, name, *extra):
    out = tmp / f"{name}.json"
    subprocess.run(
        [sys.executable, "-m", "benchmark", "score", task, str(submission), "--demo", "--json", str(out),
         *extra],
        cwd=REPO, env=env, check=True, capture_output=True,
    )
    return out.read_bytes()


ENVIRONMENTS = {
    "default": _env(),
    "prescott": _env("Prescott", 2),
    "default-1-thread": _env(None, 1),
}


def test_children_really_run_different_blas_kernels():
    # OpenBLAS names the kernel it selected (for Prescott, an SSE3-era core name).
    prescott = _architecture(ENVIRONMENTS["prescott"])
    default = _architecture(ENVIRONMENTS["default"])
    assert prescott != default and prescott != "[]"


def test_scores_are_the_same_bytes_whatever_the_blas_kernel(tmp_path):
    # Linear metrics (log losses, the lumbar score), AUCs, BCa's jackknife.
    cases = [
        ("rsna-cspine", "--bootstrap", "200", "--ci", "bca"),
        ("rsna-lumbar", "--bootstrap", "200"),
    ]
    for task, *extra in cases:
        submission = sorted((REPO / "submissions" / task).glob("*/predictions.csv"))[0]
        outputs = {
            name: _score(tmp_path, task, submission, env, f"{task}-{name}", *extra)
            for name, env in ENVIRONMENTS.items()
        }
        first = outputs["default"]
        assert b'"ci"' in first
        for name, data in outputs.items():
            assert data == first, f"{task}: {name} differs from the default kernel"


def test_leaderboard_is_the_same_bytes_whatever_the_blas_kernel(tmp_path):
    root = tmp_path / "root"
    for task, dataset in (("rsna-cspine", "rsna-cspine"), ("rsna-lumbar", "rsna-lumbar")):
        shutil.copytree(REPO / "tasks" / task, root / "tasks" / task)
        shutil.copytree(REPO / "tasks" / "_datasets" / dataset, root / "tasks" / "_datasets" / dataset)
        shutil.copytree(REPO / "submissions" / task, root / "submissions" / task)
    sites = {}
    for name in ("default", "prescott"):
        env = dict(ENVIRONMENTS[name], BENCHMARK_ROOT=str(root))
        out = tmp_path / name
        subprocess.run(
            [sys.executable, "-m", "benchmark", "leaderboard", "build", "--out", str(out),
             "--cache", str(tmp_path / f"cache-{name}")],
            cwd=root, env=env, check=True, capture_output=True,
        )
        sites[name] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()
        }
    assert len(sites["default"]) > 10
    differ = [k for k in sites["default"] if sites["default"][k] != sites["prescott"].get(k)]
    assert not differ and sites["default"].keys() == sites["prescott"].keys(), differ[:5]


def test_submitted_floats_are_parsed_exactly(tmp_path):
    # 17 significant digits: a float parser that is not correctly rounded gets some of these
    # one ulp off (pandas 2's default parser did for about a third).
    from benchmark.data.labels import load_labels
    from benchmark.submissions.submission import read_submission
    from benchmark.data.tasks import load_registry

    task = load_registry(REPO).get("rsna-cspine")
    cases = load_labels(task, None, None).public_cases()
    ids = list(cases.ids)
    rng = np.random.default_rng(17)
    values = rng.random((len(ids), len(task.targets)))
    texts = np.vectorize(lambda v: f"{v:.17g}")(values)
    lines = ["StudyInstanceUID," + ",".join(task.targets)]
    lines += [i + "," + ",".join(row) for i, row in zip(ids, texts)]
    path = tmp_path / "predictions.csv"
    path.write_text("\n".join(lines) + "\n")
    sub = read_submission(task, path, cases, format="wide")
    expected = np.vectorize(float)(texts)
    order = [ids.index(i) for i in cases.ids]
    assert np.array_equal(sub.scores, expected[order])
    assert int(pd.__version__.split(".")[0]) >= 3 or "float_precision" in _parse_options()


def _parse_options():
    from benchmark.submissions import read

    return read.EXACT_FLOATS


@pytest.mark.pinned_versions
def test_installed_versions_are_the_pinned_ones():
    """The committed site is built with the versions of constraints.txt (make test and the
    publish workflow install them); another numpy or pandas may give other bytes."""
    from importlib.metadata import version

    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            pins[name] = pinned
    for name in ("numpy", "pandas", "scipy", "Jinja2", "pydantic", "threadpoolctl"):
        assert version(name) == pins[name], f"{name} {version(name)} installed, {pins[name]} pinned"
