"""Build step that pyproject.toml cannot declare: the task files and demo data go into the wheel.

``tasks/`` (task definitions, public id lists, synthetic demo labels) and ``submissions/``
(synthetic demo submissions) are copied to ``benchmark/bundled/`` in the built wheel, so an
installed ``benchmark`` works from any folder. An editable install (``make demo``,
``make test``) reads them from the checkout instead, so nothing is copied then.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
BUNDLED = ("tasks", "submissions")


def bundled_files(root: Path = ROOT) -> list:
    """Every file of the bundled folders, relative to ``root`` (caches left out)."""
    out = []
    for folder in BUNDLED:
        for p in sorted((root / folder).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
                out.append(p.relative_to(root))
    return out


if __name__ == "__main__":  # the build backend runs this file; tests only read bundled_files
    from setuptools import setup
    from setuptools.command.build_py import build_py

    class BuildWithTaskFiles(build_py):
        def run(self):
            super().run()
            if getattr(self, "editable_mode", False):
                return
            for rel in bundled_files():
                dst = Path(self.build_lib) / "benchmark" / "bundled" / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                self.copy_file(str(ROOT / rel), str(dst))

    setup(cmdclass={"build_py": BuildWithTaskFiles})
