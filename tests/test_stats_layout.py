"""Layout rules of the statistics and scoring stages, checked on their source.

Module-level imports only (a lazy import that saves start-up time says so on its line with a
``# lazy:`` comment), no private name imported from another module, no dataset named in code
(docstrings may cite one), and modules small enough to read.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import benchmark

PACKAGE = Path(benchmark.__file__).resolve().parent
MODULES = sorted((PACKAGE / "stats").glob("*.py")) + sorted((PACKAGE / "scoring").glob("*.py"))
DATASET_NAMES = ("mrnet", "scopemri", "rsna", "lumbar", "cspine")
MAX_LINES = 600


def _ids(paths):
    return [p.relative_to(PACKAGE).as_posix() for p in paths]


def _tree(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _docstrings(tree):
    """The string constants that are docstrings (module, class, function)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def test_the_rules_see_every_module():
    names = set(_ids(MODULES))
    assert {"stats/resampling.py", "stats/intervals.py", "stats/delong.py", "scoring/score.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_no_function_level_import(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = _tree(path)
    nested = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)) and "# lazy:" not in lines[inner.lineno - 1]:
                    nested.append(f"line {inner.lineno} in {node.name}()")
    assert not nested, nested


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_no_private_name_imported_from_another_module(path):
    private = [
        f"line {node.lineno}: {alias.name}"
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and alias.name != "__version__"
    ]
    assert not private, private


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_no_dataset_named_in_code(path):
    tree = _tree(path)
    docs = _docstrings(tree)
    found = [
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
        and any(name in node.value.lower() for name in DATASET_NAMES)
    ]
    found += [
        f"line {node.lineno}: {node.id}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and any(name in node.id.lower() for name in DATASET_NAMES)
    ]
    assert not found, found


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_module_is_small_enough_to_read(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{n} lines"


def test_the_checks_catch_what_they_look_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        '"""Doc naming mrnet is fine."""\nX = "rsna-lumbar"\n\n\ndef f():\n    from os import _exit\n'
        "    import json  # lazy: allowed, says why\n"
    )
    tree = _tree(bad)
    docs = _docstrings(tree)
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docs]
    assert strings == ["rsna-lumbar"]
    with pytest.raises(AssertionError, match=r"\['line 6 in f\(\)'\]"):
        test_no_function_level_import(bad)
    with pytest.raises(AssertionError):
        test_no_private_name_imported_from_another_module(bad)
    with pytest.raises(AssertionError):
        test_no_dataset_named_in_code(bad)


def test_scoring_loads_scipy_only_when_a_statistic_needs_it():
    # scipy takes about a second to import (benchmarks/README.md, score_startup.py): a score
    # with percentile intervals and no reader study needs none of it.
    code = (
        "import sys, numpy as np\n"
        "import benchmark.scoring.score\n"
        "from benchmark.stats.intervals import percentile_ci\n"
        "percentile_ci(np.arange(10.0))\n"
        "print('scipy' in sys.modules)\n"
        "from benchmark.stats.intervals import wilson_interval\n"
        "wilson_interval(3, 5)\n"
        "print('scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent, env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)})
    assert out.stdout.split() == ["False", "True"]
