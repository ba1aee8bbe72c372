"""Fixtures of the whole suite, and two promises it keeps.

* The suite writes only to temporary directories: every output (result caches, built sites,
  screenshots) goes under pytest's ``tmp_path``, Hypothesis's caches to a temporary folder, and
  no example database is kept. A check around the session fails when any file of the working
  tree was created, changed or removed (the caches of the interpreter and of pytest itself,
  ``__pycache__`` and ``.pytest_cache``, are theirs, not the suite's).
* Results do not depend on the order of the tests: Hypothesis draws its examples from each
  test's own name (``derandomize``), never from a database left by an earlier run or test.
  ``pytest --hypothesis-profile explore`` draws fresh random examples instead.
  ``pytest --reverse`` runs the tests in the reverse of their usual order, to show it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from benchmark.data.tasks import load_registry

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis keeps caches (constants, Unicode tables) in its home folder, ./.hypothesis unless
# told otherwise: a temporary folder of this run instead.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="hypothesis-")
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
settings.register_profile("suite", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
settings.load_profile("suite")

# Not part of the working tree: version control, the virtual environment `make test` creates in
# the checkout, and the caches Python and pytest keep of their own accord.
_NOT_THE_TREE = {".git", ".venv", "__pycache__", ".pytest_cache"}


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (outside :data:`_NOT_THE_TREE`) with its size and mtime."""
    state = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _NOT_THE_TREE]
        for name in files:
            p = os.path.join(folder, name)
            st = os.lstat(p)
            state[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return state


def tree_changes(before: dict, after: dict) -> list[str]:
    """Paths created (+), removed (-) or changed (~) between two :func:`tree_state` results."""
    return sorted(
        [f"+ {p}" for p in after.keys() - before.keys()]
        + [f"- {p}" for p in before.keys() - after.keys()]
        + [f"~ {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    )


def pytest_addoption(parser):
    parser.addoption("--reverse", action="store_true",
                     help="run the tests in the reverse of the collected order")
    parser.addoption("--screenshots", metavar="DIR",
                     help="also keep the browser tests' screenshots in DIR (e.g. artifacts/screenshots)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--reverse", default=False):
        items.reverse()


@pytest.fixture(scope="session", autouse=True)
def working_tree_is_left_alone(request):
    """Fails the session (an error at the last test's teardown) when the tree changed.

    The one folder a run may write to is the one asked for with ``--screenshots DIR``."""
    before = tree_state(ROOT)
    yield
    asked = request.config.getoption("--screenshots", default=None)
    kept = os.path.relpath(Path(asked).resolve(), ROOT) + os.sep if asked else None
    changed = [c for c in tree_changes(before, tree_state(ROOT)) if not (kept and c[2:].startswith(kept))]
    assert not changed, (
        f"the working tree changed during the test run ({len(changed)} paths): a test wrote "
        f"there (write to tmp_path instead), or a file was edited meanwhile:\n" + "\n".join(changed[:30])
    )


@pytest.fixture(scope="session", autouse=True)
def hypothesis_is_warm(request):
    """Hypothesis builds its Unicode tables and reads the project's constants on first use
    (seconds): done here, before any test, when the run holds a Hypothesis test, so that no
    test's time depends on whether it happens to run first."""
    if any(getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
           for item in request.session.items):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            given(st.text(), st.characters())(lambda text, char: None)()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def registry():
    return load_registry(ROOT)


@pytest.fixture(autouse=True)
def _no_label_env(monkeypatch):
    # Tests choose their labels explicitly; a developer's environment must not leak in.
    monkeypatch.delenv("BENCHMARK_LABELS_DIR", raising=False)
    monkeypatch.delenv("BENCHMARK_ROOT", raising=False)
    monkeypatch.delenv("BENCHMARK_NOW", raising=False)


@pytest.fixture
def task_root(tmp_path) -> Path:
    """A copy of the repository's tasks/ in a temporary root (safe to modify)."""
    shutil.copytree(ROOT / "tasks", tmp_path / "tasks")
    return tmp_path
