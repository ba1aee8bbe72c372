"""Evaluation harness for medical-imaging AI benchmarks.

Validate a submission, score it with exact task metrics and paired bootstrap confidence
intervals, compare it with radiologist baselines and other submissions, and build a static
leaderboard. See README.md; the Python API (``benchmark.validate``, ``benchmark.score``,
``benchmark.compare``) is described in docs/api.md.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "validate", "score", "compare"]

_API = {"validate", "score", "compare"}


def __getattr__(name):
    # The API pulls in numpy and pandas: import it on first use, so `import benchmark` (and the
    # command line's start-up) stays light.
    if name in _API:
        from . import api  # lazy: numpy and pandas only when the API is used

        return getattr(api, name)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _API)
