"""Python hook modules of a dataset: code a ``dataset.toml`` names for what declaration cannot say.

A dataset folder may carry a small Python module beside its ``dataset.toml`` (a competition's
own metric, a native label format no generic reader covers), as lm-evaluation-harness keeps a
``utils.py`` beside a task's YAML and mle-bench a ``grade.py`` in each competition folder. The
declaring file names the module by a path relative to itself, e.g. a competition's metrics
(registered and checked by :mod:`benchmark.data.contracts`)::

    [hooks.metrics]
    file = "metrics.py"
    names = ["..."]

The package never imports a hook by name: :func:`load_hook` loads it from its path, once per
resolved path, under a private module name derived from the file's location, so two datasets
may both call their module ``hooks.py``. A hook that is missing or fails to import is a
:class:`~benchmark.core.errors.TaskError` naming the declaring file and key, never a traceback.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

from ..core.errors import TaskError

#: Prefix of the module names hooks are registered under in ``sys.modules``.
HOOK_PACKAGE = "benchmark_dataset_hooks"

class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Loads a hook from its source and never writes ``__pycache__`` beside a dataset's files
    (a checkout, or the read-only copy inside an installed package)."""

    def set_data(self, path, data, *, _mode=0o666):
        return None


_LOCK = threading.Lock()
_LOADED: dict[Path, ModuleType] = {}


def hook_path(declared_in: Path, relative: str) -> Path:
    """Where the hook ``relative``, named in the file ``declared_in``, lives (resolved)."""
    return (Path(declared_in).parent / relative).resolve()


def load_hook(declared_in: Path, relative: str, key: str = "hooks") -> ModuleType:
    """Import the hook module ``relative`` named by ``key`` in ``declared_in`` (once per path).

    Parameters
    ----------
    declared_in : Path
        The ``dataset.toml`` (or ``task.toml``) that names the hook; the path resolves relative
        to its folder.
    relative : str
        The hook's path as written in that file, e.g. ``"hooks.py"``.
    key : str
        The key that names it, for the error message.

    Raises
    ------
    TaskError
        When the file is missing, is not a ``.py`` file, or raises while it is imported.
    """
    path = hook_path(declared_in, relative)
    where = f"{declared_in}: {key} = {relative!r}"
    if path.suffix != ".py":
        raise TaskError(f"{where}: a hook must be a .py file. Got {path.name!r} instead.")
    if not path.is_file():
        raise TaskError(f"{where}: no such file {path}.")
    with _LOCK:
        if path in _LOADED:
            return _LOADED[path]
        digest = hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:16]
        name = f"{HOOK_PACKAGE}.{path.parent.name.replace('-', '_')}_{path.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(
            name, path, loader=_SourceOnlyLoader(name, str(path))
        )
        if spec is None or spec.loader is None:
            raise TaskError(f"{where}: {path} cannot be imported as a Python module.")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a hook is dataset code: report it against its file
            sys.modules.pop(name, None)
            raise TaskError(f"{where}: importing {path} failed: {type(exc).__name__}: {exc}") from exc
        _LOADED[path] = module
        return module


def hook_attribute(declared_in: Path, relative: str, attribute: str, key: str = "hooks"):
    """The object ``attribute`` of a hook module, or a :class:`TaskError` that names it."""
    module = load_hook(declared_in, relative, key)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise TaskError(
            f"{declared_in}: {key} = {relative!r}: the module defines no {attribute!r}."
        ) from None
