"""Print pip constraints pinning every declared dependency to its lower bound.

    python scripts/oldest-constraints.py [EXTRA ...] > oldest.txt
    pip install -c oldest.txt -e '.[test]'

Used by the "oldest" job of .github/workflows/tests.yml, so the lower bounds in pyproject.toml
are tested rather than assumed. Every run-time dependency and every dependency of the named
extras (default: test) must have a ``>=`` bound.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lower_bounds(extras: list[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for e in extras:
        reqs += project["optional-dependencies"][e]
    bounds: dict[str, str] = {}
    for r in reqs:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][A-Za-z0-9.]*)\s*(?:,.*)?", r)
        if not m:
            raise SystemExit(f"{r!r} has no lower bound (>=) to test")
        name, version = m.group(1).lower(), m.group(2)
        # an extra may raise a run-time bound (scipy for the tests): the larger one holds
        if name not in bounds or _key(version) > _key(bounds[name]):
            bounds[name] = version
    return [f"{n}=={v}" for n, v in bounds.items()]


def _key(version: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in version.split("."))


if __name__ == "__main__":
    print("\n".join(lower_bounds(sys.argv[1:] or ["test"])))
