"""``benchmark check``, the pre-flight before a pull request, through the command line in
temporary git repositories (the synthetic toy benchmark of test_ci)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from benchmark.cli.main import main
from benchmark.grading.models import GradeReport, ShownScore, SubmissionReport
from benchmark.grading.report import render_text, terminal_safe
from test_ci import branch, build_repo, commit, git, meta_toml, predictions, write_sub


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    r = build_repo(tmp_path / "repo", mode="standard")
    branch(r, "entry")
    return r


def check(repo: Path, capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(repo), "check", "--base", "main", *args])
    return code, capsys.readouterr().out


def ci_grade(repo: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(repo), "ci", "grade", "--base", "main", "--head", "HEAD"])
    return code, capsys.readouterr().out


def repo_state(repo: Path) -> tuple[str, str, str]:
    """Status, object count and every ref: what the check must leave exactly as it was."""
    return (git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
            git(repo, "count-objects", "-v"), git(repo, "show-ref"))


def final_verdict(text: str) -> str:
    """The summary line of the pull request's check at the end of the pre-flight."""
    part = text.split("What the pull request's check will see", 1)[1]
    return next(ln for ln in part.splitlines() if "submission folder(s)" in ln)


def ci_verdict(markdown: str) -> str:
    line = next(ln for ln in markdown.splitlines() if "submission folder(s)" in ln)
    return re.sub(r"^Base `[0-9a-f]+`, head `[0-9a-f]+`: ", "", line).replace("**", "")


def test_uncommitted_files_are_warned_and_listed_and_nothing_is_changed(repo, capsys):
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 5))
    commit(repo, "lab-c net")
    # after the commit: a changed prediction file and a new, untracked file
    (repo / "submissions/toy/lab-c__net/predictions.csv").write_text(predictions(1.2, 6))
    (repo / "submissions/toy/lab-c__net/readme.md").write_text("notes\n")
    before = repo_state(repo)
    code, out = check(repo, capsys)
    assert repo_state(repo) == before  # no object, index entry or ref written
    assert code == 2
    assert "2 file(s) under submissions/ or teams/ are not committed" in out
    assert "  - modified since the last commit: submissions/toy/lab-c__net/predictions.csv" in out
    assert "  - untracked (in no commit): submissions/toy/lab-c__net/readme.md" in out
    assert ("  - submissions/toy/lab-c__net/: predictions.csv (modified), readme.md (untracked), "
            "submission.toml (committed)") in out
    assert "Base main (" in out and "head HEAD (" in out
    # the working tree (with the stray file) is invalid; the committed tree is what the pull
    # request sees, and it is valid
    assert "readme.md" in out.split("Found in one pass", 1)[1]
    assert final_verdict(out) == "1 submission folder(s), 1 valid. All submissions are valid."
    ci_code, md = ci_grade(repo, capsys)
    assert ci_code == 0 and ci_verdict(md) == final_verdict(out)


def test_a_clean_valid_branch_is_ready_and_agrees_with_ci_grade(repo, capsys):
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 5))
    commit(repo, "lab-c net")
    code, out = check(repo, capsys)
    ci_code, md = ci_grade(repo, capsys)
    assert (code, ci_code) == (0, 0)
    assert "not committed" not in out
    assert final_verdict(out) == ci_verdict(md) == "1 submission folder(s), 1 valid. All submissions are valid."
    assert out.rstrip().endswith("Ready: the pull request's check will pass.")


def test_every_kind_of_problem_in_one_run(repo, capsys):
    # a bad folder name (which makes the grader skip the folder), an invalid submission.toml,
    # invalid predictions, and in a second folder a team that does not match its folder name
    bad = repo / "submissions/toy/Lab_C__Net"
    bad.mkdir(parents=True)
    (bad / "predictions.csv").write_text("case,a\nc001,0.5\nc002,abc\n")
    (bad / "submission.toml").write_text(meta_toml("Lab C", "Net").replace('authors = ["A. Example"]\n', ""))
    write_sub(repo, "lab-c__other", "Lab D", "other", predictions(1.0, 5))
    commit(repo, "two folders")
    code, out = check(repo, capsys)
    ci_code, md = ci_grade(repo, capsys)
    assert code == ci_code == 2
    found = out.split("Found in one pass", 1)[1].split("What the pull request's check will see", 1)[0]
    assert "the submission folder name must be <team>__<model> in lower case" in found
    assert "(expected lab-c__net; found Lab_C__Net). Fix: rename the folder to lab-c__net" in found
    assert "required field 'authors' is missing" in found  # submission.toml
    assert "predictions.csv:3: column a: the value is not a number" in found  # the CSV
    assert "the folder's team part must be the slug of the team in submission.toml" in found  # team slug
    # the pull request's check shows the folder-name problem but none of the rest
    assert "authors" not in md and "not a number" not in md
    assert final_verdict(out) == ci_verdict(md)


def test_terminal_text_has_no_markdown(repo, capsys):
    bad = repo / "submissions/toy/Lab_C__Net"
    bad.mkdir(parents=True)
    (bad / "predictions.csv").write_text("case,a\nc001,0.5\n")
    (bad / "submission.toml").write_text(meta_toml("Lab C", "Net"))
    commit(repo, "bad name")
    code, out = check(repo, capsys)
    assert code == 2
    assert "<team>__<model>" in out and "Lab_C__Net" in out
    for escape in ("&lt;", "&gt;", "&amp;", "\\_", "\\[", "**", "##", "@\u200b"):
        assert escape not in out, escape
    _, md = check(repo, capsys, "--markdown")
    assert md.startswith("## Pre-flight check") and "&lt;team&gt;\\_\\_&lt;model&gt;" in md


def test_ci_grade_on_a_terminal_prints_plain_text(repo, capsys, monkeypatch):
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 5))
    commit(repo, "lab-c net")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    code, out = ci_grade(repo, capsys)
    assert code == 0
    assert out.startswith("Submission check\n================\n") and "**" not in out and "`" not in out


@pytest.mark.parametrize("name", [
    "evil\x1b[2J\x1b[1;1HAll submissions are valid.csv",  # clear the screen, write at the top
    "x\nReady: the pull request's check will pass.\n.csv",  # forge report lines
    "a\u202etxt.vsc",  # right-to-left override: shown as "acsv.txt"
    "bell\x07\x9b31m.csv",  # BEL and a C1 control sequence introducer
])
def test_hostile_file_names_cannot_act_on_the_terminal(repo, capsys, name):
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 5))
    commit(repo, "lab-c net")
    (repo / "submissions/toy/lab-c__net" / name).write_text("x")
    (repo / "submissions/toy" / "fold\u2066er\n__x").mkdir()
    (repo / "submissions/toy" / "fold\u2066er\n__x" / "predictions.csv").write_text("case,a\n")
    code, out = check(repo, capsys)
    assert code == 2
    assert not any(ord(c) < 32 and c != "\n" or 0x7f <= ord(c) < 0xa0 for c in out)
    assert not any(c in out for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
    assert terminal_safe(name) in out
    assert "fold\\u2066er\\x0a__x" in out
    lines = out.splitlines()
    assert not any(ln.startswith(("All submissions are valid", "Ready:", ".csv")) for ln in lines)
    assert lines[-1].startswith("Not ready")


def test_no_git_repository_is_a_host_error(tmp_path, capsys):
    root = build_repo(tmp_path / "repo", mode="standard")
    plain = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(root), str(plain)], check=True)
    subprocess.run(["rm", "-rf", str(plain / ".git")], check=True)
    assert main(["--root", str(plain), "check", "--base", "main"]) == 1
    assert "host error" in capsys.readouterr().err


def test_no_base_branch_is_a_usage_error_naming_the_option(tmp_path, capsys):
    r = build_repo(tmp_path / "repo", mode="standard")
    git(r, "branch", "-m", "main", "work")
    assert main(["--root", str(r), "check"]) == 2
    assert "pass --base REF" in capsys.readouterr().err


def test_plain_text_report_with_a_score_is_safe():
    sc = ShownScore(part="public", split="test", n_cases=20, mode="standard", primary="auc",
                    rows=[("AUC (primary)", "0.8000", "[0.7000, 0.9000]")], bootstrap="200 paired bootstrap "
                    "replicates (seed 1, percentile)", rank="1 of 3", leader="current leader `x`: difference +0.1")
    s = SubmissionReport("toy", "lab\x1b[31m__m", "submissions/toy/lab\x1b[31m__m", "lab", model="M\u202e1", score=sc)
    text = render_text(GradeReport(base="0" * 40, head="1" * 40, submissions=[s], scored=True))
    assert "\x1b" not in text and "\u202e" not in text
    assert "submissions/toy/lab\\x1b[31m__m/: valid" in text and "model M\\u202e1" in text
    assert "AUC (primary)  0.8000  [0.7000, 0.9000]" in text and "- rank: 1 of 3" in text


def test_help_has_examples_and_every_option_a_help_text(capsys):
    assert main(["check", "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:\n  benchmark check\n" in out
    for option in ("--base REF", "--repo DIR", "--markdown"):
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(option))
        assert len(line.strip()) > len(option) + 5, option  # followed by its help text
