"""The installed package works from any folder: bundled task files, root discovery, metadata."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

import benchmark
from benchmark.data import tasks as T

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _tracked(folder: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        return out.stdout.split()
    return [p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()]


def _setup_module():
    import runpy

    return runpy.run_path(str(ROOT / "setup.py"), run_name="setup_for_tests")  # setup() not called


@pytest.mark.parametrize("folder", ["tasks", "submissions"])
def test_every_task_and_demo_file_goes_into_the_wheel(folder):
    bundled = {p.as_posix() for p in _setup_module()["bundled_files"](ROOT)}
    files = _tracked(folder)
    assert files
    left_out = [f for f in files if f not in bundled]
    assert not left_out, f"not installed with the wheel: {left_out}"


def test_exact_package_list_and_metadata():
    from fnmatch import fnmatchcase

    st = PYPROJECT["tool"]["setuptools"]
    assert st["include-package-data"] is False and st["package-dir"] == {"": "."}
    include = st["packages"]["find"]["include"]
    # what setuptools' find_packages(include=...) selects: importable folders whose dotted name
    # matches a pattern (fnmatchcase), here without importing setuptools (absent on 3.12+ venvs)
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in ROOT.rglob("__init__.py")
             if ".venv" not in p.parts and "site-packages" not in p.parts and "build" not in p.parts}
    pkgs = {n for n in found if any(fnmatchcase(n, pat) for pat in include)}
    assert not any(fnmatchcase(n, pat) for n in ("benchmarks", "tests") for pat in include)
    assert not any(p.split(".")[0] != "benchmark" for p in pkgs), "only the benchmark package is installed"
    # every importable folder of the package is installed (nothing silently missing from the wheel)
    for init in (ROOT / "benchmark").rglob("__init__.py"):
        name = ".".join(init.parent.relative_to(ROOT).parts)
        assert name in pkgs, name
    proj = PYPROJECT["project"]
    assert proj["name"] != "benchmark"  # taken on PyPI by an unrelated project
    assert proj["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert proj["dynamic"] == ["version"] and "version" not in proj
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "benchmark.__version__"}
    floor = re.fullmatch(r">=3\.(\d+)", proj["requires-python"])
    assert floor and int(floor.group(1)) >= 11  # tomllib is in the standard library from 3.11
    minors = sorted(int(c.rsplit(".", 1)[1]) for c in proj["classifiers"] if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert minors[0] == int(floor.group(1))
    assert (ROOT / "benchmark" / "py.typed").is_file()


def test_root_order(tmp_path, monkeypatch):
    """$BENCHMARK_ROOT, then a checkout above the current folder, then the package's checkout,
    then the copy bundled with an installed package."""
    bundled = tmp_path / "site-packages" / "benchmark" / "bundled"
    shutil.copytree(ROOT / "tasks", bundled / "tasks")
    fake_pkg = tmp_path / "site-packages" / "benchmark" / "tasks.py"
    monkeypatch.setattr(T, "__file__", str(fake_pkg))
    monkeypatch.setattr(T, "BUNDLED_ROOT", bundled.resolve())
    elsewhere = tmp_path / "somewhere" / "deep"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    root = T.find_root()
    assert root == bundled.resolve() and T.is_bundled(root)
    assert T.output_root(root) == Path.cwd()  # never write into site-packages
    reg = T.load_registry()
    assert "mrnet" in reg.ids()
    # a checkout above the working folder wins over the bundled copy
    checkout = tmp_path / "somewhere"
    shutil.copytree(ROOT / "tasks", checkout / "tasks")
    assert T.find_root() == checkout.resolve()
    assert not T.is_bundled(checkout) and T.output_root(checkout) == checkout
    # $BENCHMARK_ROOT wins over both
    monkeypatch.setenv("BENCHMARK_ROOT", str(bundled))
    assert T.find_root() == bundled.resolve()


def test_missing_tasks_folder_names_the_fix(tmp_path):
    from benchmark.core.errors import TaskError

    with pytest.raises(TaskError, match=r"--root .*BENCHMARK_ROOT"):
        T.load_registry(tmp_path)


def test_version_has_one_source():
    assert re.fullmatch(r"\d+\.\d+\.\d+", benchmark.__version__)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert benchmark.__version__ not in text


def test_make_demo_installs_what_the_demo_needs_and_no_test_tools(registry):
    mk = (ROOT / "Makefile").read_text(encoding="utf-8")
    block = mk.split("$(BASE): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    installs = [ln for ln in block.splitlines() if "pip install" in ln and "--upgrade pip" not in ln]
    assert len(installs) == 1 and "[test]" not in installs[0] and "test" not in installs[0]
    if any(getattr(t, "confidential_predictions", False) for t in registry):
        assert "confidential" in installs[0]  # the demo opens encrypted demo predictions
    extras = PYPROJECT["project"]["optional-dependencies"]
    needed = {e for e in re.findall(r"\[([a-z,]+)\]", installs[0]) for e in e.split(",")}
    assert needed <= set(extras) and "test" not in needed
