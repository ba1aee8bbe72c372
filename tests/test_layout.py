"""Layout rules of the package, checked on its source (docs/architecture.md).

Stages import only stages below them, and no two modules import each other even through a
chain; the demo generators are imported by nothing; module-level imports only (a lazy import that saves start-up time says so on its line with a
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
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "demo" not in p.relative_to(PACKAGE).parts)
#: The stages, top first: a module may import its own stage and the stages after it.
ORDER = ("cli", "api", "leaderboard", "grading", "scoring", "submissions", "data", "metrics", "stats", "core")
#: Stages a stage may import although they stand beside or above it (none today; say why in
#: docs/architecture.md before adding one).
ALLOWED_UP: set = set()
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


def _stage(module: str) -> str:
    """``benchmark.data.labels`` -> ``data``; the package's own ``__init__``/``__main__`` -> ``cli``."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__init__", "__main__"):
        return "cli"
    return parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path):
    """(line, imported module, at module level?) for every import of a ``benchmark`` module."""
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    tree = _tree(path)
    top = {id(n) for n in tree.body}
    typing_only = {  # `if TYPE_CHECKING:` imports are for annotations, never run
        id(inner) for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "benchmark":
                continue
            for alias in node.names:  # `from . import x` imports the module x when it is one
                sub = f"{target}.{alias.name}"
                is_module = (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").is_file() or (
                    PACKAGE.parent / sub.replace(".", "/")).is_dir()
                out.append((node.lineno, sub if is_module else target, id(node) in top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "benchmark":
                    out.append((node.lineno, alias.name, id(node) in top))
    return out


def test_the_rules_see_every_module():
    names = set(_ids(MODULES))
    assert {"stats/resampling.py", "data/tasks.py", "cli/main.py", "leaderboard/board.py"} <= names
    assert {_stage(_module_name(p)) for p in MODULES} <= set(ORDER)


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_imports_point_down_the_stages(path):
    me = _stage(_module_name(path))
    up = [
        f"line {line}: {target}"
        for line, target, _ in _imports(path)
        if target != "benchmark" and (other := _stage(target)) != me
        and ORDER.index(other) < ORDER.index(me) and (me, other) not in ALLOWED_UP
    ]
    assert not up, f"{me} imports a stage above it: {up}"


def test_no_import_cycle():
    graph = {_module_name(p): set() for p in MODULES}
    for p in MODULES:
        for _, target, _ in _imports(p):
            # the package's own __init__ (the version number) imports nothing at module level
            if target in graph and target not in (_module_name(p), "benchmark"):
                graph[_module_name(p)].add(target)
    done, active, cycles = set(), [], []

    def visit(m):
        if m in active:
            cycles.append(active[active.index(m):] + [m])
            return
        if m in done:
            return
        active.append(m)
        for n in sorted(graph[m]):
            visit(n)
        active.pop()
        done.add(m)

    for m in sorted(graph):
        visit(m)
    assert not cycles, cycles


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


def test_nothing_imports_the_demo_generators():
    found = [f"{_module_name(p)} line {line}" for p in MODULES for line, target, _ in _imports(p)
             if target == "benchmark.demo" or target.startswith("benchmark.demo.")]
    assert not found, found


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
