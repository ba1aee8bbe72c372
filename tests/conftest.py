import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def registry():
    from benchmark.data.tasks import load_registry

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
