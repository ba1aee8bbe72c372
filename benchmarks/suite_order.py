"""Does the order of the tests change their results or their timings?

Runs the whole suite twice, in the collected order and in reverse (``pytest --reverse``, a
hook of ``tests/conftest.py``), each with a JUnit XML report, then compares the two reports:
the outcome of every test (must be identical), the counts, the wall time, and the duration of
every test (a test that is much slower in one order than in the other depends on what ran
before it: a warm cache, a fixture of another module, a module-level memo)::

    python benchmarks/suite_order.py                      # run both orders, then compare
    python benchmarks/suite_order.py --compare A.xml B.xml  # compare two existing reports

A test counts as order-dependent in time when its two durations differ by more than
``--factor`` (default 3) and by more than ``--seconds`` (default 2 s); the machine's load
average is printed, since the durations of one run on a shared machine move with it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def report(path: Path) -> dict[str, tuple[str, float]]:
    """``{test id: (outcome, seconds)}`` of a JUnit XML report."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcome = ("failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds
                   else "passed")
        out[name] = (outcome, float(case.get("time", 0.0)))
    return out


def run(xml: Path, reverse: bool) -> float:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}"]
    if reverse:
        cmd.append("--reverse")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    start = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, env=env, check=False)
    return time.perf_counter() - start


def compare(a: Path, b: Path, factor: float, seconds: float) -> int:
    ra, rb = report(a), report(b)
    print(f"{a.name}: {len(ra)} tests; {b.name}: {len(rb)} tests")
    for name, r in (("first", ra), ("second", rb)):
        counts = {k: sum(1 for o, _ in r.values() if o == k) for k in ("passed", "failed", "skipped")}
        print(f"  {name}: {counts}, sum of test durations {sum(t for _, t in r.values()):.1f} s")
    differ = sorted(n for n in ra.keys() & rb.keys() if ra[n][0] != rb[n][0])
    only = sorted(ra.keys() ^ rb.keys())
    slow = sorted(
        (n for n in ra.keys() & rb.keys()
         if abs(ra[n][1] - rb[n][1]) > seconds
         and max(ra[n][1], rb[n][1]) > factor * max(min(ra[n][1], rb[n][1]), 1e-3)),
        key=lambda n: -abs(ra[n][1] - rb[n][1]),
    )
    print(f"outcomes that differ: {len(differ)}; tests in one report only: {len(only)}")
    for n in differ[:20] + only[:20]:
        print(f"  {n}: {ra.get(n)} vs {rb.get(n)}")
    print(f"durations that differ by more than {factor:g}x and {seconds:g} s: {len(slow)}")
    for n in slow[:20]:
        print(f"  {n}: {ra[n][1]:.2f} s vs {rb[n][1]:.2f} s")
    # A module-scoped fixture is set up by whichever of its tests runs first: per test its cost
    # moves with the order, per module it does not. Modules are compared against the ratio of
    # the two runs' totals (the machine's load scales every duration of a run alike).
    ma, mb = {}, {}
    for r, m in ((ra, ma), (rb, mb)):
        for n, (_, t) in r.items():
            m[n.split("::")[0]] = m.get(n.split("::")[0], 0.0) + t
    overall = sum(ma.values()) / max(sum(mb.values()), 1e-9)
    odd = sorted((k for k in ma.keys() & mb.keys() if abs(ma[k] - overall * mb[k]) > seconds
                  and max(ma[k], overall * mb[k]) > factor * max(min(ma[k], overall * mb[k]), 1e-3)),
                 key=lambda k: -abs(ma[k] - overall * mb[k]))
    print(f"modules: {len(ma)}; ratio of the totals {overall:.2f}; modules off that ratio by more "
          f"than {factor:g}x and {seconds:g} s: {len(odd)}")
    for k in odd[:20]:
        print(f"  {k}: {ma[k]:.1f} s vs {mb[k]:.1f} s")
    return 1 if differ or only else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("FIRST", "SECOND"))
    parser.add_argument("--factor", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare, args.factor, args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        forward, backward = Path(tmp) / "forward.xml", Path(tmp) / "reverse.xml"
        print(f"load average before: {os.getloadavg()}")
        t1 = run(forward, reverse=False)
        print(f"collected order: {t1:.0f} s; load average {os.getloadavg()}")
        t2 = run(backward, reverse=True)
        print(f"reverse order: {t2:.0f} s; load average {os.getloadavg()}")
        return compare(forward, backward, args.factor, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
