"""The publish workflow's result cache: keyed by the code and the tasks, written on the default
branch only, and encrypted whenever a secret (hidden labels, a confidential-predictions
identity) took part in the build. The shell steps run here with a stand-in for the
`benchmark` command."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from test_workflows import get, load, mapping, steps as workflow_steps

MAIN = "github.ref == 'refs/heads/main'"


@pytest.fixture(scope="module")
def steps():
    return {get(s, "name"): s for s in workflow_steps(load("publish.yml"))}


def test_the_cache_is_keyed_by_code_tasks_and_constraints(steps):
    key = steps["Key of the result cache"]
    assert "source_fingerprint()" in get(key, "run")
    assert mapping(key, "env")["TASKS_HASH"] == "${{ hashFiles('tasks/**', 'constraints.txt') }}"
    restore, save = steps["Restore the result cache"], steps["Save the result cache"]
    assert get(restore, "uses").startswith("actions/cache/restore@")
    assert get(save, "uses").startswith("actions/cache/save@")
    r, s = mapping(restore, "with"), mapping(save, "with")
    assert r["key"] == s["key"] == "${{ steps.cachekey.outputs.key }}-${{ github.run_id }}"
    assert r["restore-keys"] == "${{ steps.cachekey.outputs.key }}-"
    assert r["path"] == s["path"]
    assert '--cache "$results"' in get(steps["Build the leaderboard"], "run")


def test_the_cache_is_written_on_the_default_branch_only(steps):
    for name, step in steps.items():
        uses = get(step, "uses")
        if "actions/cache" in uses and not uses.startswith("actions/cache/restore@"):
            assert get(step, "if") == MAIN, name  # no combined restore-and-save action either
    assert get(steps["Pack the result cache"], "if") == MAIN


needs_tools = pytest.mark.skipif(not (shutil.which("gpg") and shutil.which("tar") and shutil.which("bash")),
                                 reason="the workflow's steps need bash, tar and gpg")

STAND_IN = """#!/usr/bin/env bash
# stands in for `benchmark leaderboard build ... --cache DIR ...`: reports what the cache held,
# then adds one result
while [ $# -gt 0 ]; do
  if [ "$1" = "--cache" ]; then cache=$2; fi
  shift
done
ls "$cache" > "$RUNNER_TEMP/seen.txt"
echo 'result scored on hidden labels' > "$cache/entry-$(ls "$cache" | wc -l).json"
"""


def _run(script: str, env: dict, cwd: Path) -> None:
    subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], env=env, cwd=cwd, check=True,
                   capture_output=True, text=True)


@needs_tools
@pytest.mark.parametrize("secrets, kept", [
    ({}, "results.tar.gz"),  # a demo build: public synthetic results, plain
    ({"LABELS_ARCHIVE": "x", "LABELS_PASSPHRASE": "correct horse"}, "results.tar.gz.gpg"),
    ({"AGE_IDENTITY": "AGE-SECRET-KEY-1", "LABELS_PASSPHRASE": "correct horse"}, "results.tar.gz.gpg"),
    ({"LABELS_ARCHIVE": "x"}, None),  # hidden labels and nothing to encrypt with: not kept
])
def test_results_of_a_secret_build_are_kept_encrypted_or_not_at_all(steps, tmp_path, secrets, kept):
    temp, work, bin_ = tmp_path / "temp", tmp_path / "work", tmp_path / "bin"
    for d in (temp, work, bin_):
        d.mkdir()
    (bin_ / "benchmark").write_text(STAND_IN)
    (bin_ / "benchmark").chmod(0o755)
    env = {"PATH": f"{bin_}:{os.environ['PATH']}", "RUNNER_TEMP": str(temp), "HOME": str(tmp_path),
           "GNUPGHOME": str(tmp_path / "gnupg"), "LABELS_OPT": "", **secrets}
    (tmp_path / "gnupg").mkdir(mode=0o700)
    build, pack = get(steps["Build the leaderboard"], "run"), get(steps["Pack the result cache"], "run")

    for run in range(2):  # the second run restores what the first kept
        _run(build, env, work)
        _run(pack, env, work)
        files = sorted(p.name for p in (temp / "result-cache").iterdir())
        assert files == ([] if kept is None else [kept])
        assert not (temp / "results").exists()  # the plain results do not outlive the job
        seen = (temp / "seen.txt").read_text().split()
        assert seen == ([] if run == 0 or kept is None else ["entry-0.json"])
    if kept and kept.endswith(".gpg"):
        assert b"hidden labels" not in (temp / "result-cache" / kept).read_bytes()
        wrong = {**env, "LABELS_PASSPHRASE": "wrong"}  # another passphrase reads nothing: cold build
        _run(build, wrong, work)
        assert (temp / "seen.txt").read_text().split() == []
