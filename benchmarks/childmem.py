"""Peak memory of a benchmark's child process, for the scripts that time work in a fresh
interpreter (``bootstrap_speed.py``, ``score_large.py``).

``PEAK_KB`` is Python source defining ``peak_kb()``, to be put at the top of a child's ``-c``
program: the child's own peak resident memory in KiB, from ``VmHWM`` in ``/proc/self/status``.
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` would also count the parent's peak, which Linux
carries over to a child started by fork and exec; it is the fallback where ``/proc`` is absent.
"""

PEAK_KB = r'''
import resource as _resource


def peak_kb():
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    except (OSError, StopIteration):
        return _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
'''
