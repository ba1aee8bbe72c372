"""Attacks on the grading of pull requests, in temporary git repositories.

Confidential predictions end to end, impersonation of a team, look-alike names, a fresh team name
to get a fresh quota, racing gradings against a limit, and hostile files.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrage import x25519

from benchmark.core.naming import slug
from benchmark.grading.command import parse_now
from benchmark.grading.grade import grade
from benchmark.grading.models import GradeReport, SubmissionReport
from benchmark.grading.report import MAX_MESSAGE, MAX_REPORT, char_columns, render_markdown, workflow_commands
from benchmark.grading import grade as grade_module
from benchmark.grading import git as git_module, reading as reading_module, scores as scores_module
from benchmark.cli.main import main
from benchmark.core.errors import Problem, SubmissionInvalid
from benchmark.grading.ledger import GitLedgerStore, Ledger
from benchmark.submissions.metadata import check_name, parse_metadata
from test_ci import IDS, TASK_TOML, Y, branch, build_repo, commit, git, make_labels, meta_toml, predictions, write_sub

NOW = ["--now", "2026-03-02T12:00:00Z"]


def run(repo: Path, *args: str) -> int:
    return main(["--root", str(repo), "ci", "grade", "--base", "main", *args])


def add_teams(repo: Path, teams: dict) -> None:
    (repo / "teams").mkdir(exist_ok=True)
    for team_slug, (name, members) in teams.items():
        body = f'name = "{name}"\nmembers = [{", ".join(repr(m).replace(chr(39), chr(34)) for m in members)}]\n'
        (repo / "teams" / f"{team_slug}.toml").write_text(body)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    r = build_repo(tmp_path / "repo", mode="standard")
    add_teams(r, {"lab-a": ("Lab A", ["alice"]), "lab-b": ("Lab B", ["bob"]),
                  "lab-c": ("Lab C", ["carol"]), "lab-d": ("Lab D", ["carol", "dave"])})
    commit(r, "teams", "2026-03-01T11:00:00Z")
    return r


# -- confidential predictions ----------------------------------------------------------------------
@pytest.fixture()
def conf_repo(tmp_path: Path):
    key = x25519.Identity.generate()
    ident = tmp_path / "secret" / "key.txt"
    ident.parent.mkdir()
    ident.write_text(f"# grader key\n{key}\n")
    r = tmp_path / "crepo"
    (r / "tasks" / "toy" / "public").mkdir(parents=True)
    toml = TASK_TOML.format(mode="standard", ladder="").replace(
        'default_split = "test"\n', 'default_split = "test"\nconfidential_predictions = true\n', 1)
    toml += f'\n[confidential]\nrecipient = "{key.to_public()}"\n'
    (r / "tasks" / "toy" / "task.toml").write_text(toml)
    (r / "tasks" / "toy" / "public" / "test_ids.csv").write_text("case\n" + "\n".join(IDS) + "\n")
    git(r, "init", "-q", "-b", "main")
    commit(r, "task", "2026-02-01T08:00:00Z")
    return r, ident, key


def prepare(repo: Path, tmp: Path, team: str, model: str, text: str) -> Path:
    plain = tmp / f"plain-{team}-{model}.csv".replace(" ", "_")
    plain.write_text(text)
    folder = repo / "submissions" / "toy" / f"{slug(team)}__{model}"
    code = main(["--root", str(repo), "submit", "prepare", "toy", str(plain), "--team", team, "--model", model,
                 "--author", "A. Example", "--description", "Synthetic test entry.", "--synthetic",
                 "--out", str(folder)])
    assert code == 0
    plain.unlink()  # the participant's plain file is not part of anything the grader writes
    return folder


def test_confidential_end_to_end_without_plaintext_anywhere(conf_repo, tmp_path, capsys, monkeypatch):
    repo, ident, key = conf_repo
    merged_text, new_text = predictions(1.5, 1), predictions(1.0, 4)
    prepare(repo, tmp_path, "Lab A", "m1", merged_text)
    commit(repo, "lab-a m1")
    branch(repo, "conf")
    folder = prepare(repo, tmp_path, "Lab C", "net", new_text)
    box = (folder / "predictions.csv.age").read_bytes()
    assert box.startswith(b"age-encryption.org/v1\n-> X25519 ") and b"c001" not in box
    meta = parse_metadata((folder / "submission.toml").read_text())
    assert meta.predictions_sha256 == hashlib.sha256(new_text.encode()).hexdigest()
    assert not (folder / "predictions.csv").exists()
    commit(repo, "lab-c net (encrypted)")
    # untrusted validation: no key, still valid
    monkeypatch.delenv("BENCHMARK_AGE_IDENTITY", raising=False)
    v = tmp_path / "out" / "validate.md"
    assert run(repo, "--head", "conf", "--summary", str(v), "--annotations", *NOW) == 0
    assert "lab-c__net/`: valid" in v.read_text()
    # trusted grading with the key: decrypted in memory, scored, recorded; every file the grader
    # writes goes through these two functions, so record what they are given
    import benchmark.core.fileio as fileio

    given_to_disk: list[bytes] = []
    real_extract, real_atomic = git_module.extract_blob, fileio.atomic_write_bytes

    def spy_extract(repo_, blob, dest, max_bytes=None):
        size = real_extract(repo_, blob, dest, max_bytes)
        if Path(dest).exists():
            given_to_disk.append(Path(dest).read_bytes())
        return size

    def spy_atomic(path, data, fsync=False):
        given_to_disk.append(bytes(data))
        return real_atomic(path, data, fsync)

    for module in (reading_module, scores_module):  # every grading module that writes a blob to disk
        monkeypatch.setattr(module, "extract_blob", spy_extract)
    monkeypatch.setattr(fileio, "atomic_write_bytes", spy_atomic)
    labels = make_labels(tmp_path / "labels", Y)
    s = tmp_path / "out" / "score.md"
    step = tmp_path / "out" / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    assert run(repo, "--head", "conf", "--labels", str(labels), "--identity", str(ident), "--summary", str(s),
               "--ledger", str(tmp_path / "out" / "ledger"), "--annotations", *NOW) == 0
    report = s.read_text()
    assert "| AUC" in report and "rank: " in report and "current leader `lab-a__m1`" in report
    logs = capsys.readouterr()
    # no plaintext prediction row in any file written or any output: grep for every row
    rows = [ln for text in (merged_text, new_text) for ln in text.splitlines()[1:]]
    written = [p for p in tmp_path.rglob("*") if p.is_file() and ".git" not in p.parts and p != ident]
    assert any(p.name == "ledger.jsonl" for p in written) and step in written
    blobs = [p.read_bytes() for p in written] + [logs.out.encode(), logs.err.encode()] + given_to_disk
    assert given_to_disk  # the spies saw the grader's writes (submission.toml, the report)
    for row in rows:
        value = row.split(",")[1].encode()
        assert not any(value in b for b in blobs), f"plaintext value {value!r} leaked"
    # the site build decrypts the same way (leaderboard build with --identity)
    from benchmark.leaderboard.board import score_board
    from benchmark.data.tasks import load_registry

    git(repo, "checkout", "-q", "conf")
    board = score_board(load_registry(repo).get("toy"), repo, labels_path=str(labels), replicates=200,
                        cache_dir=None, identity=str(ident))
    assert len(board.scored) == 2


def test_confidential_attacks(conf_repo, tmp_path):
    repo, ident, key = conf_repo
    labels = make_labels(tmp_path / "labels", Y)
    # a plain predictions.csv in a confidential task is refused (it is public)
    branch(repo, "plain")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "plain")
    s = tmp_path / "p.md"
    assert run(repo, "--head", "plain", "--summary", str(s), *NOW) == 2
    assert "only encrypted predictions" in s.read_text()
    # replacing it by the encrypted file does not help: the plain file stays in the branch's history
    git(repo, "rm", "-q", "submissions/toy/lab-c__net/predictions.csv")
    prepare(repo, tmp_path, "Lab C", "net", predictions(1.0, 4))
    commit(repo, "encrypt it now")
    assert run(repo, "--head", "plain", "--summary", str(s), *NOW) == 2
    assert "a commit of this pull request holds the plain predictions.csv" in s.read_text()
    # encrypted to another key: cannot be decrypted; a recorded sha256 that does not match: refused
    other = x25519.Identity.generate()
    git(repo, "checkout", "-q", "main")
    branch(repo, "wrongkey")
    folder = prepare(repo, tmp_path, "Lab C", "net", predictions(1.0, 4))
    from benchmark.submissions.confidential import encrypt

    (folder / "predictions.csv.age").write_bytes(encrypt(predictions(1.0, 4).encode(), str(other.to_public())))
    commit(repo, "wrong key")
    s = tmp_path / "w.md"
    assert run(repo, "--head", "wrongkey", "--labels", str(labels), "--identity", str(ident), "--summary", str(s), *NOW) == 2
    assert "cannot be decrypted" in s.read_text()
    git(repo, "checkout", "-q", "main")
    branch(repo, "badsha")
    folder = prepare(repo, tmp_path, "Lab C", "net", predictions(1.0, 4))
    toml = folder / "submission.toml"
    toml.write_text(toml.read_text().replace('predictions_sha256 = "', 'predictions_sha256 = "0', 1)[:-3] + '"\n')
    commit(repo, "bad sha")
    s = tmp_path / "s.md"
    assert run(repo, "--head", "badsha", "--labels", str(labels), "--identity", str(ident), "--summary", str(s), *NOW) == 2
    assert "sha256-mismatch" not in s.read_text() and "do not have the sha256" in s.read_text()
    # an invalid plaintext: the problems name lines and columns, never the cells' text
    bad = predictions(1.0, 4).replace(f"{IDS[2]},", f"{IDS[2]},secret-cell-", 1)
    (folder / "predictions.csv.age").write_bytes(encrypt(bad.encode(), str(key.to_public())))
    toml.write_text("".join(ln for ln in toml.read_text().splitlines(True) if "predictions_sha256" not in ln)
                    + f'predictions_sha256 = "{hashlib.sha256(bad.encode()).hexdigest()}"\n')
    commit(repo, "invalid plaintext")
    assert run(repo, "--head", "badsha", "--labels", str(labels), "--identity", str(ident), "--summary", str(s),
               "--annotations", *NOW) == 2
    text = s.read_text()
    assert "predictions.csv (decrypted):4" in text and "not a number" in text and "secret-cell" not in text
    # not an age file at all: refused without the key
    text = folder.joinpath("predictions.csv.age")
    text.write_text("case,a\n")
    commit(repo, "not age")
    s = tmp_path / "n.md"
    assert run(repo, "--head", "badsha", "--summary", str(s), *NOW) == 2
    assert "not an age-encrypted file" in s.read_text()


# -- accounts ---------------------------------------------------------------------------------------
def test_impersonation_is_refused(repo, tmp_path, monkeypatch):
    branch(repo, "c")
    write_sub(repo, "lab-c__net", "Lab C", "net", predictions(1.0, 4))
    commit(repo, "lab-c net")
    s = tmp_path / "r.md"
    assert run(repo, "--head", "c", "--author", "mallory", "--summary", str(s), *NOW) == 2
    assert "author 'mallory' is not a member of team 'lab-c'" in s.read_text()
    assert run(repo, "--head", "c", "--author", "Carol", "--summary", str(s), *NOW) == 0
    monkeypatch.setenv("BENCHMARK_PR_AUTHOR", "alice")  # the event's author, from the environment
    assert run(repo, "--head", "c", "--summary", str(s), *NOW) == 2
    # a team without a team file on the base branch
    git(repo, "checkout", "-q", "main")
    branch(repo, "z")
    write_sub(repo, "lab-z__net", "Lab Z", "net", predictions(1.0, 4))
    commit(repo, "lab-z")
    assert run(repo, "--head", "z", "--author", "zed", "--summary", str(s), *NOW) == 2
    assert "has no teams/lab-z.toml on the base branch" in s.read_text()


def test_a_new_team_file_waits_for_a_maintainer(repo, tmp_path):
    branch(repo, "newteam")
    add_teams(repo, {"lab-z": ("Lab Z", ["zed"])})
    write_sub(repo, "lab-z__net", "Lab Z", "net", predictions(1.0, 4))
    commit(repo, "lab-z with its team file")
    s = tmp_path / "r.md"
    assert run(repo, "--head", "newteam", "--author", "zed", "--summary", str(s), *NOW) == 2
    assert "teams/lab-z.toml is new: a maintainer must approve" in s.read_text()
    # a pull request adding itself to another team's file is flagged the same way
    git(repo, "checkout", "-q", "main")
    branch(repo, "join")
    add_teams(repo, {"lab-a": ("Lab A", ["alice", "mallory"])})
    write_sub(repo, "lab-a__m9", "Lab A", "m9", predictions(1.0, 5))
    commit(repo, "join lab-a")
    assert run(repo, "--head", "join", "--author", "mallory", "--summary", str(s), *NOW) == 2
    text = s.read_text()
    assert "teams/lab-a.toml is changed" in text and "not a member of team 'lab-a'" in text
    # once the maintainer merged the same team file on its own, the submission is graded
    git(repo, "checkout", "-q", "main")
    add_teams(repo, {"lab-z": ("Lab Z", ["zed"])})
    commit(repo, "approve lab-z")
    assert run(repo, "--head", "newteam", "--author", "zed", "--summary", str(s), *NOW) == 0


@pytest.mark.parametrize("name", [
    "Lab\u200bA",            # zero-width space
    "Lab\u2060A",            # word joiner
    "Lab \u202eA",           # right-to-left override
    "Lab \u200fA",           # right-to-left mark
    "\ufeffLab A",           # byte-order mark
    "L\u0430b A",            # Cyrillic a inside a Latin name
    "Lab \u0391",            # Greek capital alpha
    "\u0410\u0441me Lab",    # Cyrillic "Ac" before Latin "me Lab"
])
def test_look_alike_names_are_refused(name):
    with pytest.raises(ValueError):
        check_name(name)
    text = meta_toml(name, "m1").replace(f'team = "{name}"', f'team = "{name}"')
    with pytest.raises(SubmissionInvalid) as exc:
        parse_metadata(text)
    assert any(p.column == "team" for p in exc.value.problems)


def test_names_are_nfkc_normalised_and_real_scripts_accepted():
    assert check_name("\uff2c\uff41\uff42 A") == "Lab A"  # fullwidth letters
    assert check_name("Équipe Lyon") == "Équipe Lyon"
    assert check_name("東京 AI ラボ") == "東京 AI ラボ"  # Han, Katakana and Latin
    assert check_name("Лаборатория 7") == "Лаборатория 7"  # one script throughout
    assert parse_metadata(meta_toml("\uff2c\uff41\uff42 A", "m1")).team == "Lab A"


def test_look_alike_team_in_a_pull_request_is_refused(repo, tmp_path):
    branch(repo, "cyr")
    write_sub(repo, "lab-c__net", "L\u0430b C", "net", predictions(1.0, 4))
    commit(repo, "look-alike")
    s = tmp_path / "r.md"
    assert run(repo, "--head", "cyr", "--author", "carol", "--summary", str(s), *NOW) == 2
    assert "must not mix scripts" in s.read_text()


# -- limits ------------------------------------------------------------------------------------------
def _submit(repo, tmp_path, name, team_slug, team, seed, author, ledger_args, now=NOW) -> tuple[int, str]:
    git(repo, "checkout", "-q", "main")
    branch(repo, name)
    write_sub(repo, f"{team_slug}__{name}", team, name, predictions(1.0, seed))
    commit(repo, name)
    s = tmp_path / f"{name}.md"
    code = run(repo, "--head", name, "--author", author, *ledger_args, "--summary", str(s), *now)
    return code, s.read_text()


def test_a_fresh_team_name_shares_the_accounts_quota(repo, tmp_path):
    led = ["--ledger", str(tmp_path / "ledger")]
    assert _submit(repo, tmp_path, "m1", "lab-c", "Lab C", 11, "carol", led)[0] == 0
    assert _submit(repo, tmp_path, "m2", "lab-c", "Lab C", 12, "carol", led)[0] == 0
    # per_day = 2 is used up for carol: her other team gets no fresh quota
    code, text = _submit(repo, tmp_path, "m3", "lab-d", "Lab D", 13, "carol", led)
    assert code == 2 and "account 'carol' (across all its teams) has used all 2 submissions" in text
    # another member of lab-d still may submit: the team itself has used nothing
    assert _submit(repo, tmp_path, "m4", "lab-d", "Lab D", 14, "dave", led)[0] == 0
    recs = Ledger(tmp_path / "ledger").read().records
    assert [r["author"] for r in recs] == ["carol", "carol", "carol", "dave"]
    assert [r["status"] for r in recs] == ["valid", "valid", "invalid", "valid"]
    # unmerged attempts count: nothing of this was merged, and the next day carol has 2 again
    assert _submit(repo, tmp_path, "m5", "lab-d", "Lab D", 15, "carol", led,
                   ["--now", "2026-03-03T13:00:00Z"])[0] == 0


def test_invalid_attempts_count_when_the_task_says_so(repo, tmp_path):
    toml = repo / "tasks/toy/task.toml"
    toml.write_text(toml.read_text().replace("total = 5\n", 'total = 5\ncount = "all"\n'))
    commit(repo, "count every attempt", "2026-03-01T12:00:00Z")
    led = ["--ledger", str(tmp_path / "ledger")]
    for i, name in enumerate(["x1", "x2"]):
        git(repo, "checkout", "-q", "main")
        branch(repo, name)
        write_sub(repo, f"lab-c__{name}", "Lab C", name, f"case,a\nc00{i + 1},abc\n")
        commit(repo, name)
        assert run(repo, "--head", name, "--author", "carol", *led, "--summary", str(tmp_path / "x.md"), *NOW) == 2
    code, text = _submit(repo, tmp_path, "ok", "lab-c", "Lab C", 21, "carol", led)
    assert code == 2 and "has used all 2 submissions to toy of the last 24 hours" in text
    # attempts refused because the author is not a member never use up the team's quota
    for name in ("y1", "y2", "y3"):
        code, _ = _submit(repo, tmp_path, name, "lab-a", "Lab A", 30 + len(name) + ord(name[1]), "mallory", led)
        assert code == 2
    code, text = _submit(repo, tmp_path, "mine", "lab-a", "Lab A", 40, "alice", led)
    assert code == 0, text


def _race_repo(repo: Path, n: int) -> list[str]:
    names = []
    for k in range(n):
        name = f"r{k}"
        git(repo, "checkout", "-q", "main")
        branch(repo, name)
        team = ("lab-c", "Lab C") if k % 2 else ("lab-d", "Lab D")
        write_sub(repo, f"{team[0]}__{name}", team[1], name, predictions(1.0, 100 + k))
        commit(repo, name)
        names.append(name)
    git(repo, "checkout", "-q", "main")
    return names


def test_racing_processes_cannot_exceed_a_limit(repo, tmp_path):
    names = _race_repo(repo, 5)
    env = dict(os.environ, PYTHONPATH=str(Path(grade_module.__file__).resolve().parent.parent))
    procs = [subprocess.Popen(
        [sys.executable, "-m", "benchmark", "--root", str(repo), "ci", "grade", "--base", "main", "--head", n,
         "--author", "carol", "--ledger-ref", "refs/heads/ledger", "--summary", str(tmp_path / f"{n}.md"), *NOW],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for n in names]
    codes = [p.wait(timeout=300) for p in procs]
    assert sorted(codes) == [0, 0, 2, 2, 2], [p.stderr.read() for p in procs]
    with GitLedgerStore(repo, "refs/heads/ledger").transaction() as tx:
        recs = tx.records
    assert len(recs) == 5 and sum(r["status"] == "valid" for r in recs) == 2
    # the ledger branch is a chain of appends: one commit per grading
    assert git(repo, "rev-list", "--count", "refs/heads/ledger").strip() == "5"


def test_compare_and_swap_alone_stops_a_race(repo, tmp_path, monkeypatch):
    """Without the host lock, two gradings that read the same ledger cannot both be recorded."""
    names = _race_repo(repo, 3)
    barrier = threading.Barrier(3, timeout=60)
    real = GitLedgerStore.transaction
    first_read = set()

    def racing(self):
        ctx = real(self)
        tx = ctx.__enter__()
        if threading.get_ident() not in first_read:  # every thread reads the empty ledger first
            first_read.add(threading.get_ident())
            barrier.wait()

        class _Wrap:
            def __enter__(self_inner):
                return tx

            def __exit__(self_inner, *exc):
                return ctx.__exit__(*exc)

        return _Wrap()

    monkeypatch.setattr(GitLedgerStore, "transaction", racing)
    reports = {}

    def grade_branch(name):
        reports[name] = grade(repo, "main", name, author="carol", ledger_ref="refs/heads/ledger",
                                 ledger_lock=False, now=parse_now(NOW[1]))

    threads = [threading.Thread(target=grade_branch, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    codes = sorted(r.exit_code for r in reports.values())
    assert codes == [0, 0, 2]
    assert any("graded again after" in n for r in reports.values() for n in r.host_notes)
    with real(GitLedgerStore(repo, "refs/heads/ledger")) as tx:
        assert sum(r["status"] == "valid" for r in tx.records) == 2


def test_the_ladder_follows_the_account(tmp_path):
    r = build_repo(tmp_path / "lrepo", mode="ladder", ladder="ladder_step = 0.05\n")
    add_teams(r, {"lab-c": ("Lab C", ["carol"]), "lab-d": ("Lab D", ["carol"])})
    commit(r, "teams", "2026-03-01T11:00:00Z")
    labels = make_labels(tmp_path / "labels", Y)
    led = ["--ledger", str(tmp_path / "ledger"), "--labels", str(labels)]
    code, first = _submit(r, tmp_path, "good", "lab-c", "Lab C", 4, "carol", led)
    assert code == 0 and "(improved: this submission first scored submission)" in first
    # the same account under a fresh team name: no fresh Ladder, the shown value stays
    code, second = _submit(r, tmp_path, "same", "lab-d", "Lab D", 4, "carol", led)
    assert code == 0 and "(unchanged:" in second
    recs = Ledger(tmp_path / "ledger").read().records
    assert [x["ladder_key"] for x in recs] == ["account:carol", "account:carol"]
    assert recs[0]["shown"]["ladder"] == recs[1]["shown"]["ladder"]


# -- hostile files -----------------------------------------------------------------------------------
def test_symlink_and_submodule_predictions_are_refused(repo, tmp_path):
    branch(repo, "link")
    d = repo / "submissions/toy/lab-c__net"
    d.mkdir(parents=True)
    (d / "submission.toml").write_text(meta_toml("Lab C", "net"))
    os.symlink("../../../tasks/toy/public/test_ids.csv", d / "predictions.csv")
    commit(repo, "symlink")
    s = tmp_path / "l.md"
    assert run(repo, "--head", "link", "--summary", str(s), *NOW) == 2
    assert "predictions.csv must be a regular file (expected a regular file" in s.read_text()
    assert "a symbolic link" in s.read_text()
    git(repo, "checkout", "-q", "main")
    branch(repo, "gitlink")
    d.mkdir(parents=True, exist_ok=True)
    (d / "submission.toml").write_text(meta_toml("Lab C", "net"))
    git(repo, "add", "-A")
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{head},submissions/toy/lab-c__net/predictions.csv")
    git(repo, "commit", "-q", "-m", "gitlink")
    assert run(repo, "--head", "gitlink", "--summary", str(s), *NOW) == 2
    assert "a submodule (gitlink) entry" in s.read_text()


@pytest.mark.parametrize("kind", ["wide", "column", "cell", "digits"])
def test_hostile_csv_is_refused_quickly_and_the_report_fits(repo, tmp_path, capsys, kind):
    body = {
        "wide": "case," + ",".join(f"x{i}" for i in range(300_000)) + "\n",
        "column": "case," + "a" * 10_000_000 + "\n" + "".join(f"{i},0.5\n" for i in IDS),
        "cell": "case,a\n" + "".join(f"{i},0.5\n" for i in IDS[:-1]) + f"{IDS[-1]}," + "7" * 10_000_000 + "\n",
        "digits": "case,a," + "9" * 200 + "\n" + "".join(f"{i},0.5,x\n" for i in IDS),
    }[kind]
    branch(repo, "hostile")
    write_sub(repo, "lab-c__net", "Lab C", "net", body)
    commit(repo, "hostile")
    s = tmp_path / "r.md"
    t0 = time.perf_counter()
    assert run(repo, "--head", "hostile", "--summary", str(s), "--annotations", *NOW) == 2
    elapsed = time.perf_counter() - t0
    out = capsys.readouterr().out
    report = s.read_text()
    assert len(report) < 65_536 and all(len(line) < 4_000 for line in out.splitlines())
    assert "Traceback" not in out and "INVALID" in report
    assert elapsed < 30  # a 10 MB line is refused in linear time (well under a second here)


def test_every_message_and_the_report_are_cut_to_fit():
    sub = SubmissionReport("toy", "lab-c__m", "submissions/toy/lab-c__m", "lab-c")
    sub.problems = [Problem("bad", "x" * 1_000_000, file="submissions/toy/lab-c__m/predictions.csv", line=1)]
    rep = GradeReport(base="0" * 40, head="1" * 40, submissions=[sub] * 400)
    text = render_markdown(rep)
    assert len(text) <= MAX_REPORT and "the report was cut here" in text
    (cmd,) = workflow_commands(GradeReport("0" * 40, "1" * 40, submissions=[sub]))
    assert len(cmd) < 2 * MAX_MESSAGE and "more characters]" in cmd


def test_all_digit_column_names_never_crash_the_annotations(tmp_path):
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("case,a,2024,²\nc001,0.5,x,y\n")
    probs = [Problem("p", "m", file="x/predictions.csv", line=2, column=c)
             for c in ("2024", "9" * 5000, "²", "0", "3")]
    cols = char_columns(csv_file, probs)
    assert cols[(2, "2024")] == 10  # the header's column named "2024", not position 2024
    assert cols[(2, "3")] == 10     # position 3
    assert (2, "9" * 5000) not in cols and (2, "0") not in cols


def test_deeply_nested_toml_is_a_problem_not_a_host_error(repo, tmp_path, capsys):
    branch(repo, "deep")
    d = repo / "submissions/toy/lab-c__net"
    d.mkdir(parents=True)
    (d / "predictions.csv").write_text(predictions(1.0, 4))
    (d / "submission.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    commit(repo, "deep")
    s = tmp_path / "r.md"
    assert run(repo, "--head", "deep", "--summary", str(s), *NOW) == 2
    assert "nests arrays or tables too deeply" in s.read_text()
    assert "internal error" not in capsys.readouterr().err


def test_the_parameter_free_ladder_restores_the_accounts_best_replicates(tmp_path, monkeypatch):
    from benchmark.data.ladder import Ladder

    r = build_repo(tmp_path / "lrepo", mode="ladder")
    add_teams(r, {"lab-c": ("Lab C", ["carol"]), "lab-d": ("Lab D", ["carol"])})
    commit(r, "teams", "2026-03-01T11:00:00Z")
    labels = make_labels(tmp_path / "labels", Y)
    led = ["--ledger", str(tmp_path / "ledger"), "--labels", str(labels)]
    assert _submit(r, tmp_path, "good", "lab-c", "Lab C", 4, "carol", led)[0] == 0
    restored = []
    real = Ladder.restore

    def spy(self, shown, best_replicates=None):
        restored.append((shown, None if best_replicates is None else len(best_replicates)))
        return real(self, shown, best_replicates)

    monkeypatch.setattr(Ladder, "restore", spy)
    code, text = _submit(r, tmp_path, "again", "lab-d", "Lab D", 5, "carol", led)
    assert code == 0
    recs = Ledger(tmp_path / "ledger").read().records
    # the best's replicates come from its blob, scored again on the task's plan (200 replicates)
    assert restored == [(recs[0]["shown"]["ladder"], 200)]
    assert recs[0]["ladder_best"]["blob"] == recs[0]["blob"]
    # the public ledger holds only the rounded Ladder value, never an exact score
    assert set(recs[1]["shown"]) == {"ladder", "improved"}


# -- properties of the name rule ----------------------------------------------------------------------
_LATIN = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -"),
                 min_size=1, max_size=30)
_CF = st.characters(categories=["Cf"])
_CYRILLIC_OR_GREEK = st.characters(min_codepoint=0x0391, max_codepoint=0x04FF).filter(
    lambda c: unicodedata.category(c) in ("Lu", "Ll"))


@settings(max_examples=200, deadline=None)
@given(_LATIN, _CF, st.integers(min_value=0, max_value=30))
def test_any_format_character_anywhere_is_refused(name, mark, at):
    # every format character is its own NFKC form (Unicode 15: all 163 of them), so NFKC can
    # never remove one: the rule must refuse it wherever it sits
    assert unicodedata.normalize("NFKC", mark) == mark
    with pytest.raises(ValueError):
        check_name(name[:at] + mark + name[at:])


@settings(max_examples=200, deadline=None)
@given(_LATIN.filter(lambda s: any(c.isalpha() for c in s)), _CYRILLIC_OR_GREEK, st.integers(min_value=0, max_value=30))
def test_a_cyrillic_or_greek_letter_in_a_latin_name_is_refused(name, letter, at):
    with pytest.raises(ValueError):
        check_name(name[:at] + letter + name[at:])


@settings(max_examples=100, deadline=None)
@given(_LATIN)
def test_plain_latin_names_pass_unchanged(name):
    assert check_name(name) == name


def test_prepare_refuses_plain_tasks_and_invalid_files(conf_repo, tmp_path, repo, capsys):
    crepo, ident, key = conf_repo
    bad = tmp_path / "bad.csv"
    bad.write_text("case,a\nc001,abc\n")
    out = tmp_path / "out"
    args = ["--team", "Lab C", "--model", "net", "--author", "A", "--description", "d", "--out", str(out)]
    assert main(["--root", str(crepo), "submit", "prepare", "toy", str(bad), *args]) == 2
    assert not out.exists() and "not a number" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text(predictions(1.0, 4))
    # a task without confidential predictions takes the plain file
    assert main(["--root", str(repo), "submit", "prepare", "toy", str(good), *args]) == 2
    assert "takes plain predictions" in capsys.readouterr().err and not out.exists()
    # a look-alike team name is refused before anything is written
    args[1] = "L\u0430b C"
    assert main(["--root", str(crepo), "submit", "prepare", "toy", str(good), *args]) == 2
    assert not out.exists()


def test_a_folder_named_predictions_csv_is_refused(repo, tmp_path):
    branch(repo, "folder")
    d = repo / "submissions/toy/lab-c__net"
    (d / "predictions.csv").mkdir(parents=True)
    (d / "predictions.csv" / "part1.csv").write_text(predictions(1.0, 4))
    (d / "submission.toml").write_text(meta_toml("Lab C", "net"))
    commit(repo, "folder")
    s = tmp_path / "r.md"
    assert run(repo, "--head", "folder", "--summary", str(s), *NOW) == 2
    text = s.read_text()
    assert "must sit directly in submissions/" in text and "predictions.csv must be a regular file" in text


def test_the_reproduce_command_of_a_confidential_demo_entry_works(root, capsys, monkeypatch, tmp_path):
    """The site's reproduce line names predictions.csv.age: score opens it with the DEMO key."""
    monkeypatch.delenv("BENCHMARK_AGE_IDENTITY", raising=False)
    path = "submissions/scopemri-slap/demo-lab-a__scope-cnn/predictions.csv.age"
    assert main(["--root", str(root), "validate", "scopemri-slap", str(root / path)]) == 0
    assert "valid scopemri-slap submission" in capsys.readouterr().out
    # a grader key file for other tasks does not hide the task's own DEMO key
    other = tmp_path / "other.txt"
    other.write_text(f"{x25519.Identity.generate()}\n")
    monkeypatch.setenv("BENCHMARK_AGE_IDENTITY", str(other))
    assert main(["--root", str(root), "validate", "scopemri-slap", str(root / path)]) == 0


def test_a_key_that_is_not_the_tasks_is_a_clear_error(conf_repo, tmp_path, capsys, monkeypatch):
    from benchmark.submissions.confidential import resolve_identity
    from benchmark.core.errors import HostError
    from benchmark.data.tasks import load_registry

    repo, ident, key = conf_repo
    task = load_registry(repo).get("toy")
    other = tmp_path / "other.txt"
    other.write_text(f"# two keys, one per task\n{x25519.Identity.generate()}\n")
    with pytest.raises(HostError, match="no key in the age identity"):
        resolve_identity(task, str(other))
    # a key file holding several keys: the one of the task's recipient is used
    other.write_text(other.read_text() + f"{key}\n")
    assert str(resolve_identity(task, str(other)).to_public()) == str(key.to_public())
    box = tmp_path / "p.csv.age"
    from benchmark.submissions.confidential import encrypt

    box.write_bytes(encrypt(predictions(1.0, 4).encode(), str(key.to_public())))
    monkeypatch.setenv("BENCHMARK_AGE_IDENTITY", str(tmp_path / "missing.txt"))
    assert main(["--root", str(repo), "validate", "toy", str(box)]) == 2
    err = capsys.readouterr().err
    assert "is encrypted" in err and "Traceback" not in err
