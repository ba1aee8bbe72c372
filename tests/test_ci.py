"""End-to-end tests of ``benchmark ci grade`` in temporary git repositories.

Each test builds a small benchmark root (one synthetic binary task with 40 cases) in a real git
repository: a ``main`` branch with merged submissions of two teams, and branches that add a
valid submission, a malformed CSV, an edit of another team's folder, a change outside
``submissions/``, and a submission over the daily limit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmark.grading.models import GradeReport, SubmissionReport
from benchmark.grading.report import escape_data, escape_property, md_escape, render_markdown, workflow_commands
from benchmark.cli.main import main
from benchmark.core.errors import Problem
from benchmark.grading.ledger import Ledger

N = 40
IDS = [f"c{i:03d}" for i in range(1, N + 1)]
RNG = np.random.default_rng(7)
Y = np.array([1] * 16 + [0] * 24)
RNG.shuffle(Y)
USAGE = np.array(["public", "private"] * (N // 2))

TASK_TOML = """\
id = "toy"
version = "1.0.0"
title = "Toy task"
description = "A synthetic binary task for the CI tests."
kind = "binary"
id_column = "case"
targets = ["a"]
primary = "auc"
default_split = "test"

[dataset]
id = "toy"
name = "Toy"
description = "Synthetic."
modality = "none"
citation = "none"
license = "CC0-1.0"

[[metrics]]
name = "auc"
fn = "roc_auc"

[[formats]]
name = "canonical"
layout = "wide"
id_column = "case"

[splits.test]
public_ids = "public/test_ids.csv"

[resampling]
stratify = "primary_target"
replicates = 200
seed = 11

[limits]
per_day = 2
total = 5

[leaderboard]
mode = "{mode}"
{ladder}reveal_date = 2030-01-01

[[baselines]]
name = "Readers"
target = "a"
sensitivity = 0.8
specificity = 0.8
source = "synthetic"
"""


def git(repo: Path, *args: str, date: str = "2026-03-01T08:00:00Z") -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="T",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="T",
        GIT_COMMITTER_EMAIL="t@example.org",
        GIT_AUTHOR_DATE=date,
        GIT_COMMITTER_DATE=date,
    )
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def meta_toml(team: str, model: str, task: str = "toy") -> str:
    return (
        "synthetic = true\n"
        f'task = "{task}"\n'
        'split = "test"\n'
        f'team = "{team}"\n'
        f'model = "{model}"\n'
        'authors = ["A. Example"]\n'
        'description = "Synthetic test entry."\n'
        "date = 2026-03-01\n"
        "external_data = false\n"
        'external_data_description = ""\n'
        'links = [{ title = "Code", url = "https://example.org/code" }]\n'
        'format = "canonical"\n'
    )


def predictions(quality: float, seed: int) -> str:
    rng = np.random.default_rng(seed)
    s = 1 / (1 + np.exp(-(quality * (2 * Y - 1) + rng.standard_normal(N))))
    return "case,a\n" + "".join(f"{i},{v:.6f}\n" for i, v in zip(IDS, s))


def write_sub(repo: Path, folder: str, team: str, model: str, text: str) -> None:
    d = repo / "submissions" / "toy" / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "predictions.csv").write_text(text)
    (d / "submission.toml").write_text(meta_toml(team, model))


def commit(repo: Path, msg: str, date: str = "2026-03-01T08:00:00Z") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", msg, date=date)


def make_labels(folder: Path, y: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["case,a,usage"] + [f"{i},{int(v)},{u}" for i, v, u in zip(IDS, y, USAGE)]
    (folder / "test_labels.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return build_repo(tmp_path / "repo", mode="standard")


def build_repo(r: Path, mode: str, ladder: str = "") -> Path:
    (r / "tasks" / "toy" / "public").mkdir(parents=True)
    (r / "tasks" / "toy" / "task.toml").write_text(TASK_TOML.format(mode=mode, ladder=ladder))
    (r / "tasks" / "toy" / "public" / "test_ids.csv").write_text("case\n" + "\n".join(IDS) + "\n")
    (r / "README.md").write_text("toy benchmark\n")
    git(r, "init", "-q", "-b", "main")
    commit(r, "task", "2026-02-01T08:00:00Z")
    write_sub(r, "lab-a__m1", "Lab A", "m1", predictions(1.5, 1))
    commit(r, "lab-a m1", "2026-03-01T08:00:00Z")
    write_sub(r, "lab-b__m1", "Lab B", "m1", predictions(0.5, 2))
    commit(r, "lab-b m1", "2026-03-01T09:00:00Z")
    write_sub(r, "lab-a__m2", "Lab A", "m2", predictions(2.0, 3))
    commit(r, "lab-a m2", "2026-03-01T10:00:00Z")
    return r


def branch(repo: Path, name: str) -> None:
    git(repo, "checkout", "-q", "-b", name, "main")


def run(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "ci", "grade", "--base", "main", *args])


NOW = ["--now", "2026-03-02T12:00:00Z"]


def test_valid_submission_without_labels(repo, tmp_path, capsys):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    summary = tmp_path / "report.md"
    code = run(repo, "--head", "valid", "--summary", str(summary), *NOW)
    assert code == 0
    text = summary.read_text()
    assert "`submissions/toy/lab-c__net/`: valid" in text
    assert "1 submission folder(s), 1 valid" in text
    # team lab-c has nothing merged: 1 of 2 left today, 4 of 5 in total after this one
    assert "1 of 2 in the last 24 hours, 4 of 5 in total" in text
    assert "public case ids only" in text


def test_step_summary_is_appended(repo, tmp_path, monkeypatch):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    step = tmp_path / "step.md"
    step.write_text("previous step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    assert run(repo, "--head", "valid", "--summary", str(tmp_path / "r.md"), *NOW) == 0
    text = step.read_text()
    assert text.startswith("previous step\n")
    assert "## Submission check" in text


def test_malformed_csv_annotations_point_at_lines(repo, tmp_path, capsys):
    branch(repo, "bad")
    lines = predictions(1.0, 5).splitlines()
    lines[4] = lines[4].split(",")[0] + ",abc"  # physical line 5: not a number
    lines[9] = lines[9].split(",")[0] + ",1.7"  # physical line 10: not a probability
    write_sub(repo, "lab-c__bad", "Lab C", "bad", "\n".join(lines) + "\n")
    commit(repo, "bad csv")
    summary = tmp_path / "r.md"
    code = run(repo, "--head", "bad", "--summary", str(summary), "--annotations", *NOW)
    assert code == 2
    out = capsys.readouterr().out
    errors = [ln for ln in out.splitlines() if ln.startswith("::error ")]
    path = "submissions/toy/lab-c__bad/predictions.csv"
    got = {(m.group(1), int(m.group(2))) for m in
           (re.match(r"::error file=([^,]+),line=(\d+)", e) for e in errors) if m}
    assert (path, 5) in got and (path, 10) in got
    line5 = next(e for e in errors if f"file={path},line=5," in e)
    # column a starts at character 6 of "c004,abc"
    assert ",col=6," in line5
    text = summary.read_text()
    assert "INVALID" in text and "predictions.csv:5" in text
    # an invalid submission does not count towards the limits
    assert "2 of 2 in the last 24 hours, 5 of 5 in total" in text


def test_problem_list_is_cut_to_20(repo, tmp_path):
    branch(repo, "many")
    body = "case,a\n" + "".join(f"{i},x\n" for i in IDS)
    write_sub(repo, "lab-c__many", "Lab C", "many", body)
    commit(repo, "many problems")
    assert run(repo, "--head", "many", "--summary", str(tmp_path / "r.md"), *NOW) == 2
    # rendering cuts any list to 20 with a count of the rest, in the report and the annotations
    sub = SubmissionReport("toy", "lab-c__many", "submissions/toy/lab-c__many", "lab-c")
    sub.problems = [Problem("bad-value", f"bad value {k}", file="submissions/toy/lab-c__many/predictions.csv",
                            line=k + 2, column="a") for k in range(27)]
    rep = GradeReport(base="0" * 40, head="1" * 40, submissions=[sub])
    text = render_markdown(rep)
    assert text.count("bad value") == 20 and "and 7 more problem(s) not shown" in text
    cmds = workflow_commands(rep)
    assert len(cmds) == 21 and "7 more problem(s)" in cmds[-1]


def test_edit_of_another_teams_folder_is_refused(repo, tmp_path):
    branch(repo, "hijack")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    (repo / "submissions/toy/lab-a__m1/predictions.csv").write_text(predictions(0.1, 9))
    commit(repo, "edit lab-a")
    summary = tmp_path / "r.md"
    assert run(repo, "--head", "hijack", "--summary", str(summary), *NOW) == 2
    text = summary.read_text()
    assert "another team" in text and "lab-a\\_\\_m1" in text


def test_taking_over_a_folder_by_renaming_the_team_is_refused(repo, tmp_path):
    branch(repo, "takeover")
    d = repo / "submissions/toy/lab-a__m1"
    (d / "submission.toml").write_text(meta_toml("Lab C", "m1"))
    commit(repo, "take over")
    summary = tmp_path / "r.md"
    assert run(repo, "--head", "takeover", "--summary", str(summary), *NOW) == 2
    assert "the folder's team part must be the slug of the team" in summary.read_text()


def test_own_folder_can_be_updated(repo, tmp_path):
    branch(repo, "update")
    (repo / "submissions/toy/lab-b__m1/predictions.csv").write_text(predictions(1.2, 10))
    commit(repo, "lab-b update")
    assert run(repo, "--head", "update", "--summary", str(tmp_path / "r.md"), *NOW) == 0


def test_change_outside_submissions_is_refused(repo, tmp_path):
    branch(repo, "outside")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    (repo / "README.md").write_text("changed\n")
    (repo / "tasks/toy/task.toml").write_text((repo / "tasks/toy/task.toml").read_text() + "\n")
    commit(repo, "outside")
    summary = tmp_path / "r.md"
    assert run(repo, "--head", "outside", "--summary", str(summary), "--annotations", *NOW) == 2
    text = summary.read_text()
    assert "outside submissions/" in text and "README.md" in text and "task.toml" in text


def test_daily_limit(repo, tmp_path):
    # lab-a had two submissions merged on 2026-03-01 (08:00 and 10:00): per_day = 2.
    branch(repo, "over")
    write_sub(repo, "lab-a__m3", "Lab A", "m3", predictions(1.0, 6))
    commit(repo, "lab-a m3")
    summary = tmp_path / "r.md"
    code = run(repo, "--head", "over", "--summary", str(summary), "--now", "2026-03-01T20:00:00Z")
    assert code == 2
    text = summary.read_text()
    assert "has used all 2 submissions to toy of the last 24 hours" in text
    assert "0 of 2 in the last 24 hours" in text
    # the next day the same submission is accepted, with 2 of 5 in total left
    summary2 = tmp_path / "r2.md"
    assert run(repo, "--head", "over", "--summary", str(summary2), "--now", "2026-03-02T11:00:00Z") == 0
    assert "1 of 2 in the last 24 hours, 2 of 5 in total" in summary2.read_text()


def test_scoring_with_labels(repo, tmp_path):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    labels = make_labels(tmp_path / "labels", Y)
    summary = tmp_path / "r.md"
    assert run(repo, "--head", "valid", "--labels", str(labels), "--summary", str(summary), *NOW) == 0
    text = summary.read_text()
    assert "the public part (20 cases)" in text
    assert re.search(r"\| AUC[^|]*\(primary\) \| 0\.\d{4} \| \[0\.\d{4}, [01]\.\d{4}\] \|", text)
    assert "rank: " in text and "rank interval" in text
    assert "current leader `lab-a__m2`" in text
    assert "radiologists: Readers" in text
    assert "test\\_labels" not in text and str(labels) not in text


def test_private_labels_cannot_be_learned_before_reveal(repo, tmp_path):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    y2 = Y.copy()
    private = USAGE == "private"
    y2[private] = 1 - y2[private]  # every private label flipped
    la = make_labels(tmp_path / "la", Y)
    lb = make_labels(tmp_path / "lb", y2)
    ra, rb = tmp_path / "a.md", tmp_path / "b.md"
    assert run(repo, "--head", "valid", "--labels", str(la), "--summary", str(ra), *NOW) == 0
    assert run(repo, "--head", "valid", "--labels", str(lb), "--summary", str(rb), *NOW) == 0
    assert ra.read_text() == rb.read_text()
    # after the reveal date the private part is scored, and the reports differ
    later = ["--now", "2030-01-02T00:00:00Z"]
    ra2, rb2 = tmp_path / "a2.md", tmp_path / "b2.md"
    run(repo, "--head", "valid", "--labels", str(la), "--summary", str(ra2), *later)
    run(repo, "--head", "valid", "--labels", str(lb), "--summary", str(rb2), *later)
    assert "the private part (20 cases)" in ra2.read_text()
    assert ra2.read_text() != rb2.read_text()


def test_ladder_mode_shows_only_the_rounded_ladder_score(tmp_path):
    r = build_repo(tmp_path / "lrepo", mode="ladder", ladder="ladder_step = 0.05\n")
    branch(r, "valid")
    write_sub(r, "lab-c__net", "Lab C", "net", predictions(3.0, 4))
    commit(r, "lab-c net")
    labels = make_labels(tmp_path / "labels", Y)
    summary = tmp_path / "r.md"
    assert run(r, "--head", "valid", "--labels", str(labels), "--summary", str(summary), *NOW) == 0
    text = summary.read_text()
    m = re.search(r"leaderboard score \(Ladder\): (\d\.\d+) \(improved", text)
    assert m and len(m.group(1).split(".")[1]) == 2
    assert round(float(m.group(1)) / 0.05, 6) == int(round(float(m.group(1)) / 0.05))
    assert "CI |" not in text and "rank interval" not in text


def test_ledger_records_every_grading_and_counts_towards_limits(repo, tmp_path):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    led = tmp_path / "ledger"
    labels = make_labels(tmp_path / "labels", Y)
    args = ["--head", "valid", "--ledger", str(led), "--labels", str(labels), "--actor", "octo"]
    assert run(repo, *args, "--summary", str(tmp_path / "r1.md"), *NOW) == 0
    recs = Ledger(led).read().records
    assert len(recs) == 1
    rec = recs[0]
    assert rec["team"] == "lab-c" and rec["status"] == "valid" and rec["actor"] == "octo"
    assert rec["scored_part"] == "public" and set(rec["shown"]) == {"auc"}
    assert len(rec["sha256"]) == 64 and len(rec["blob"]) == 40
    # the same file graded again is not counted twice
    assert run(repo, *args, "--summary", str(tmp_path / "r2.md"), *NOW) == 0
    assert "1 of 2 in the last 24 hours" in (tmp_path / "r2.md").read_text()
    assert len(Ledger(led).read().records) == 2
    # a different file of the same team is: the ledger's valid grading counts
    git(repo, "checkout", "-q", "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.1, 12))
    commit(repo, "lab-c net v2")
    assert run(repo, *args, "--summary", str(tmp_path / "r3.md"), *NOW) == 0
    assert "0 of 2 in the last 24 hours" in (tmp_path / "r3.md").read_text()


def test_shallow_clone_falls_back_to_a_direct_comparison(repo, tmp_path):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "valid",
                    f"file://{repo}", str(clone)], check=True)
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:main")
    summary = tmp_path / "r.md"
    code = main(["--root", str(clone), "ci", "grade", "--base", "main", "--head", "HEAD",
                 "--summary", str(summary), *NOW])
    assert code == 0
    assert "fetch-depth: 0" in summary.read_text()


def test_unknown_base_is_a_host_error_with_guidance(repo, tmp_path, capsys):
    summary = tmp_path / "r.md"
    code = main(["--root", str(repo), "ci", "grade", "--base", "no-such-ref", "--summary", str(summary)])
    assert code == 1
    err = capsys.readouterr().err
    assert "fetch-depth: 0" in err
    assert "host's side" in summary.read_text() and "no-such-ref" not in summary.read_text()


def test_bad_label_file_is_a_host_error_without_details_in_the_report(repo, tmp_path, capsys):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "test_labels.csv").write_text("case,a\n" + "".join(f"{i},7\n" for i in IDS))
    summary = tmp_path / "r.md"
    assert run(repo, "--head", "valid", "--labels", str(bad), "--summary", str(summary), *NOW) == 1
    assert "'7'" in capsys.readouterr().err
    assert "7" not in summary.read_text().replace("host's side", "")


def test_subprocess_entry_point(repo, tmp_path):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    py = Path(sys.executable)
    out = subprocess.run([str(py), "-m", "benchmark", "--root", str(repo), "ci", "grade",
                          "--base", "main", "--head", "valid", *NOW],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "## Submission check" in out.stdout


def test_workflow_command_escaping():
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("x,y:z%\n") == "x%2Cy%3Az%25%0A"
    rep = GradeReport(base="0" * 40, head="1" * 40)
    rep.change_problems.append(Problem("outside-submissions", "bad, very: bad\nreally", file="a,b:c.txt", line=3))
    (cmd,) = workflow_commands(rep)
    assert cmd.startswith("::error file=a%2Cb%3Ac.txt,line=3,title=")
    assert cmd.split("::", 2)[2].count("\n") == 0 and "%0A" in cmd


def test_markdown_escapes_participant_text():
    s = md_escape("<script>x</script> [click](http://x) @admin | col")
    assert "<" not in s and "\\[click\\]" in s and "@admin" not in s and "\\|" in s


def test_report_json_free_of_traceback_for_bad_now(repo, capsys):
    assert main(["--root", str(repo), "ci", "grade", "--base", "main", "--now", "yesterday"]) == 2
    assert "Traceback" not in capsys.readouterr().err


# -- the ledger ----------------------------------------------------------------------------------
def test_ledger_appends_complete_lines_and_survives_a_crash_mid_write(tmp_path, monkeypatch):
    import benchmark.grading.ledger as L

    led = Ledger(tmp_path / "state")
    first = led.append({"task": "toy", "team": "lab-a", "n": 1})
    led.append({"task": "toy", "team": "lab-b", "n": 2})
    before = led.path.read_bytes()
    assert before.count(b"\n") == 2 and first["checksum"]

    real_write = os.write

    def crash(fd, data):  # the process dies after half of the line reached the disk
        real_write(fd, data[: len(data) // 2])
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(L.os, "write", crash)
    with pytest.raises(L.HostError):
        led.append({"task": "toy", "team": "lab-c", "n": 3})
    monkeypatch.setattr(L.os, "write", real_write)
    after = led.path.read_bytes()
    assert after.startswith(before)  # nothing before was rewritten
    read = led.read()
    assert [r["n"] for r in read.records] == [1, 2]
    assert read.partial_tail and read.host_notes()
    # the next append ends the broken line first; every complete record is kept
    led.append({"task": "toy", "team": "lab-c", "n": 4})
    read = led.read()
    assert [r["n"] for r in read.records] == [1, 2, 4]
    assert read.damaged == [3] and not read.partial_tail
    assert led.path.read_bytes().startswith(before)


def test_ledger_detects_an_altered_record(tmp_path):
    led = Ledger(tmp_path / "x.jsonl")
    led.append({"team": "lab-a", "shown": {"auc": 0.8}})
    text = led.path.read_text().replace("0.8", "0.9")
    led.path.write_text(text)
    read = led.read()
    assert read.records == [] and read.damaged == [1]


def test_ledger_partial_line_is_reported_to_the_host(repo, tmp_path, capsys):
    branch(repo, "valid")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    led = tmp_path / "led"
    led.mkdir()
    (led / "ledger.jsonl").write_text('{"task": "toy", "team"')
    assert run(repo, "--head", "valid", "--ledger", str(led), "--summary", str(tmp_path / "r.md"), *NOW) == 0
    assert "incomplete last line" in capsys.readouterr().err
    assert "ledger" not in (tmp_path / "r.md").read_text()
    assert len(Ledger(led).read().records) == 1
