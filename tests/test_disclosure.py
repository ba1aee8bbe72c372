"""The disclosure stage: what the outputs may show of hidden labels, attacked as a participant would.

The attacks use only what is public: the built site (``leaderboard.json``) and everything in
the repository except the hidden labels (the committed predictions under ``submissions/``, the
public id lists, the reader study's reads). Each attack turns what it reads into constraints
"these cases hold exactly k positives" and propagates them; a label counts as recovered when the
constraints force it. Withholding disabled (a maintainer's private view), the same attacks
recover every binary label of the demo; on the published site they recover none.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmark.leaderboard.board import score_all_tasks, score_board
from benchmark.leaderboard.curves import CALIBRATION_BINS
from benchmark.cli.main import main
from benchmark.data.disclosure import NOW_ENV, parse_now, resolve_now
from benchmark.core.errors import SubmissionInvalid, UsageError
from benchmark.data.labels import load_labels
from benchmark.data.public import load_public
from benchmark.submissions.metadata import read_metadata
from benchmark.leaderboard.site.render import MANIFEST, build_site, csv_cell
from benchmark.submissions.submission import read_submission
from benchmark.data.tasks import load_registry
from test_site import small_root, tree

REPO = Path(__file__).resolve().parent.parent


# -- the attacks ----------------------------------------------------------------------------------
def _propagate(n: int, constraints: list[tuple[np.ndarray, int]]) -> dict[int, int]:
    """Labels forced by constraints ``sum(y[S]) == k`` (k = 0 or k = |S| after the known ones)."""
    known: dict[int, int] = {}
    changed = True
    while changed:
        changed = False
        for idx, k in constraints:
            unknown = [int(i) for i in idx if int(i) not in known]
            if not unknown:
                continue
            rest = k - sum(known[int(i)] for i in idx if int(i) in known)
            if rest == 0 or rest == len(unknown):
                for i in unknown:
                    known[i] = 0 if rest == 0 else 1
                changed = True
    return known


def _roc_walk(g: dict, s: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Walk a published ROC curve in score order: each segment holds a known number of positives."""
    if not g.get("fpr"):
        return []
    n, pos = g["n"], g["positives"]
    neg = n - pos
    order = np.argsort(-s, kind="stable")
    out, k0, tp0 = [], 0, 0
    for fx, ty in zip(g["fpr"], g["tpr"]):
        tp, fp = round(ty * pos), round(fx * neg)
        k = tp + fp
        if k > k0:
            out.append((order[k0:k], tp - tp0))
        k0, tp0 = k, tp
    return out


def _calibration_bins(c: dict, p: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Reliability bins with counts: the cases of a bin hold round(observed * n) events."""
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    pp = np.clip(p, 1e-15, 1 - 1e-15)
    which = np.clip(np.searchsorted(edges, pp, side="right") - 1, 0, CALIBRATION_BINS - 1)
    out = []
    for b in c.get("bins", []):
        idx = np.flatnonzero(which == round(b["low"] * CALIBRATION_BINS))
        out.append((idx, round(b["observed"] * b["n"])))
    return out


def _reader_rows(rows: list[dict], reads: dict, ids: list[str], target: str, n: int, pos: int):
    """Per-reader sensitivity and specificity with the public reads: counts of positives among
    the cases each reader called positive and negative."""
    out = []
    where = {c: i for i, c in enumerate(ids)}
    for r in rows:
        if r["target"] != target or r["reader_id"] == "pooled" or (r["reader_id"], target) not in reads:
            continue
        called = reads[(r["reader_id"], target)]
        ones = np.array([where[c] for c, v in called.items() if v == 1 and c in where], dtype=int)
        zeros = np.array([where[c] for c, v in called.items() if v == 0 and c in where], dtype=int)
        out.append((ones, round(r["reader_sensitivity"] * pos)))
        out.append((zeros, len(zeros) - round(r["reader_specificity"] * (n - pos))))
    return out


def _public_reads(task) -> dict:
    decl = task.split(task.default_split)
    if not decl.demo_reads:
        return {}
    out: dict = {}
    text = task.path(decl.demo_reads).read_text()
    for row in csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")):
        out.setdefault((row["reader_id"], row.get("target") or task.targets[0]), {})[row["case"]] = int(row["read"])
    return out


def attack(site: Path, root: Path, which=("roc", "calibration", "readers")) -> dict:
    """Run the attacks on a built site; per task and target the labels they force."""
    reg = load_registry(root)
    data = json.loads((site / "leaderboard.json").read_text())
    out = {}
    for t in data["tasks"]:
        task = reg.get(t["id"])
        if task.kind != "binary":
            continue
        public = load_public(task, t["split"])
        ids = [str(i) for i in public.ids]
        reads = _public_reads(task)
        subs = {}
        for e in t["entries"]:
            if e["submission"]["path"].endswith(".age"):
                continue  # confidential predictions: encrypted, not readable by an attacker
            meta = read_metadata(root / Path(e["submission"]["path"]).parent / "submission.toml")
            subs[e["name"]] = read_submission(task, root / e["submission"]["path"], public, format=meta.format).scores
        n = len(ids)
        for j, target in enumerate(task.targets):
            cons: list = []
            pos = None
            for e in t["entries"]:
                g = next(g for g in e["roc"] if g["key"] == target)
                pos = g["positives"]
                if e["name"] not in subs:
                    continue
                s = subs[e["name"]][:, j]
                if "roc" in which:
                    cons += _roc_walk(g, s)
                if "calibration" in which:
                    for c in e["calibration"]:
                        if c["key"] == target:
                            cons += _calibration_bins(c, s)
                if "readers" in which:
                    cons += _reader_rows(e["reader_study"], reads, ids, target, n, pos)
            if pos is None:
                continue
            cons.append((np.arange(n), pos))  # the published number of positives
            out[(t["id"], target)] = (_propagate(n, cons), n, pos)
    return out


def score_attack(found: dict, root: Path) -> dict:
    """Recovered (forced and right), wrong, total, and the accuracy of the attack's best guess
    (forced labels, else the majority class) against guessing the majority class."""
    reg = load_registry(root)
    tot = {"recovered": 0, "wrong": 0, "labels": 0, "guess_right": 0, "majority_right": 0}
    for (tid, target), (known, n, pos) in found.items():
        task = reg.get(tid)
        y = load_labels(task).y[:, task.targets.index(target)].astype(int)
        majority = int(pos * 2 > n)
        guess = np.full(n, majority)
        for i, v in known.items():
            guess[i] = v
        tot["recovered"] += sum(1 for i, v in known.items() if y[i] == v)
        tot["wrong"] += sum(1 for i, v in known.items() if y[i] != v)
        tot["labels"] += n
        tot["guess_right"] += int((guess == y).sum())
        tot["majority_right"] += int((y == majority).sum())
    return tot


@pytest.fixture(scope="module")
def demo_sites(tmp_path_factory):
    """The demo site as published (the committed leaderboard/, which
    test_site.py::test_committed_leaderboard_is_up_to_date proves equal to a fresh build), and
    the same inputs built with withholding disabled."""
    tmp = tmp_path_factory.mktemp("demo")
    reg = load_registry(REPO)
    build_site(reg, score_all_tasks(reg, withhold=False, cache_dir=tmp / "cache"), tmp / "unwithheld")
    return {"published": REPO / "leaderboard", "unwithheld": tmp / "unwithheld"}


def test_attacks_recover_every_label_when_nothing_is_withheld(demo_sites):
    res = score_attack(attack(demo_sites["unwithheld"], REPO), REPO)
    # MRNet 3 x 120, RSNA 2022 8 x 1500, ScopeMRI 3 tasks x 117: 12,711 binary labels; the
    # 117 of scopemri-slap are safe even unwithheld: its predictions are encrypted.
    assert res["labels"] == 12711
    assert res["wrong"] == 0
    assert res["recovered"] == 12711 - 117


@pytest.mark.parametrize("kind", ["roc", "calibration", "readers"])
def test_each_attack_alone_recovers_labels_when_nothing_is_withheld(demo_sites, kind):
    res = score_attack(attack(demo_sites["unwithheld"], REPO, which=(kind,)), REPO)
    assert res["wrong"] == 0 and res["recovered"] > 0, res


def test_published_demo_site_gives_no_label_away(demo_sites):
    res = score_attack(attack(demo_sites["published"], REPO), REPO)
    assert res["labels"] == 12711
    assert res["recovered"] == 0 and res["wrong"] == 0
    assert res["guess_right"] <= res["majority_right"]


def test_committed_site_gives_no_label_away():
    res = score_attack(attack(REPO / "leaderboard", REPO), REPO)
    assert res["recovered"] == 0 and res["guess_right"] <= res["majority_right"]


def test_no_published_file_holds_a_label_hash(demo_sites):
    """Neither the label file's sha256 nor any resampling key built on it (an offline oracle)."""
    reg = load_registry(REPO)
    digests = set()
    for task in reg:
        for name, decl in task.splits.items():
            if decl.demo_labels and not decl.labels_public:
                labels = load_labels(task, name)
                digests.add(labels.sha256)
    assert digests
    for f in demo_sites["published"].rglob("*"):
        if f.is_file():
            text = f.read_text(encoding="utf-8")
            for d in digests:
                assert d not in text and d[:16] not in text, f
            assert '"plan_key": "' not in text, f


def test_case_listings_follow_the_public_order_not_the_hidden_files(tmp_path, capsys):
    """A hidden file sorted by label must not show through the order of 'missing id' messages."""
    reg = load_registry(REPO)
    task = reg.get("scopemri-bankart")
    labels = load_labels(task)
    public = load_public(task)
    order = np.argsort(labels.y[:, 0], kind="stable")
    src = task.path(task.split("test").demo_labels).read_text().splitlines()
    head = [ln for ln in src if ln.startswith("#")] + [next(ln for ln in src if not ln.startswith("#"))]
    rows = [ln for ln in src if not ln.startswith("#")][1:]
    by_id = {ln.split(",")[0]: ln for ln in rows}
    outs = []
    for name, idx in (("asc", order), ("desc", order[::-1])):
        d = tmp_path / name / "scopemri"
        d.mkdir(parents=True)
        (d / "test_labels.csv").write_text("\n".join(head + [by_id[str(labels.ids[i])] for i in idx]) + "\n")
        sub = tmp_path / "sub.csv"
        keep = [str(i) for k, i in enumerate(public.ids) if k % 3]  # a third of the cases missing
        sub.write_text("study_uid,bankart\n" + "".join(f"{i},0.5\n" for i in keep))
        code = main(["score", "scopemri-bankart", str(sub), "--labels", str(tmp_path / name),
                     "--allow-label-hash-mismatch"])
        assert code == 2
        outs.append(capsys.readouterr().err)
    assert outs[0] == outs[1]
    first_missing = str(public.ids[0])
    assert first_missing in outs[0]


def test_native_label_files_list_cases_in_id_order_not_file_order(tmp_path, capsys):
    """A native train.csv has no public list: its cases follow ascending id order."""
    task = load_registry(REPO).get("rsna-cspine")
    src = task.path(task.split("test").demo_labels).read_text().splitlines()
    rows = [ln for ln in src if ln and not ln.startswith("#")]
    header, body = rows[0], rows[1:61]
    by_label = sorted(body, key=lambda ln: (ln.split(",")[1], ln))  # sorted by patient_overall
    errs = []
    for name, lines in (("a", by_label), ("b", by_label[::-1])):
        d = tmp_path / name
        d.mkdir()
        (d / "train.csv").write_text(header + "\n" + "\n".join(lines) + "\n")
        ls = load_labels(task, None, d / "train.csv")
        assert list(ls.ids) == sorted(ln.split(",")[0] for ln in body)
        pred = tmp_path / "oof.csv"
        pred.write_text("row_id,fractured\n" + "".join(f"{ln.split(',')[0]}_C1,0.5\n" for ln in body[:5]))
        assert main(["score", "rsna-cspine", str(pred), "--labels", str(d / "train.csv")]) == 2
        errs.append(capsys.readouterr().err.replace(str(d), "DIR"))
    assert errs[0] == errs[1]


# -- the reveal date ------------------------------------------------------------------------------------
def _toy(tmp_path):
    from test_ci import USAGE, Y, build_repo, make_labels

    repo = build_repo(tmp_path / "repo", mode="standard")
    y2 = Y.copy()
    private = USAGE == "private"
    y2[private] = 1 - y2[private]  # every private label flipped
    return repo, make_labels(tmp_path / "la", Y), make_labels(tmp_path / "lb", y2)


def test_site_before_the_reveal_does_not_depend_on_private_labels(tmp_path):
    repo, la, lb = _toy(tmp_path)
    reg = load_registry(repo)
    trees = {}
    for now in ("2026-03-02", "2030-01-02"):
        for name, labels in (("a", la), ("b", lb)):
            out = tmp_path / f"site-{now}-{name}"
            build_site(reg, score_all_tasks(reg, labels=labels, now=now, cache_dir=tmp_path / "cache"), out)
            trees[now, name] = tree(out)
    assert trees["2026-03-02", "a"] == trees["2026-03-02", "b"]
    assert trees["2030-01-02", "a"] != trees["2030-01-02", "b"]
    page = trees["2026-03-02", "a"]["toy/index.html"].decode()
    assert "the public part (20 cases)" in page
    data = json.loads(trees["2026-03-02", "a"]["leaderboard.json"])
    assert data["tasks"][0]["entries"][0]["reproduce"].endswith("--now 2029-12-31")
    assert "the private part (20 cases" in trees["2030-01-02", "a"]["toy/index.html"].decode()


def test_score_json_before_the_reveal_does_not_depend_on_private_labels(tmp_path, capsys, monkeypatch):
    repo, la, lb = _toy(tmp_path)
    pred = repo / "submissions" / "toy" / "lab-a__m1" / "predictions.csv"
    outs = {}
    for now in ("2026-03-02", "2030-01-02"):
        for name, labels in (("a", la), ("b", lb)):
            monkeypatch.setenv(NOW_ENV, now)  # the environment variable fixes "now" too
            assert main(["--root", str(repo), "score", "toy", str(pred), "--labels", str(labels), "--json", "-"]) == 0
            outs[now, name] = capsys.readouterr().out
    assert outs["2026-03-02", "a"] == outs["2026-03-02", "b"]
    assert outs["2030-01-02", "a"] != outs["2030-01-02", "b"]
    res = json.loads(outs["2026-03-02", "a"])
    assert res["n_cases"] == 20 and res["disclosure"]["part"] == "public"
    assert res["labels_sha256"] is None and res["bootstrap"]["plan_key"] is None
    # --now wins over the environment
    assert main(["--root", str(repo), "score", "toy", str(pred), "--labels", str(la), "--json", "-",
                 "--now", "2026-03-02"]) == 0
    assert capsys.readouterr().out == outs["2026-03-02", "a"]


def test_now_option_and_environment(monkeypatch):
    monkeypatch.delenv(NOW_ENV, raising=False)
    assert resolve_now("2030-01-02") == _dt.date(2030, 1, 2)
    assert resolve_now(None, default=lambda: _dt.date(2001, 2, 3)) == _dt.date(2001, 2, 3)
    monkeypatch.setenv(NOW_ENV, "2029-12-31T23:00:00-05:00")
    assert resolve_now(None, default=lambda: _dt.date(2001, 2, 3)) == _dt.date(2030, 1, 1)
    assert resolve_now("2026-01-01") == _dt.date(2026, 1, 1)
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        parse_now("next tuesday")
    monkeypatch.setenv(NOW_ENV, "soon")
    assert main(["leaderboard", "build", "--out", "/nonexistent-never-written"]) == 2


# -- the output folder ----------------------------------------------------------------------------------
def test_rebuild_deletes_only_files_it_wrote(tmp_path):
    root = small_root(tmp_path)
    out = tmp_path / "out"
    (out / "mrnet").mkdir(parents=True)
    mine = {"notes.txt": "keep me\n", "mrnet/my-own-page.html": "<p>mine</p>\n", "data.json": "{}\n",
            "static/extra.css": "a{}\n"}
    for rel, text in mine.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)

    def build():
        reg = load_registry(root)
        build_site(reg, score_all_tasks(reg, replicates=200, cache_dir=tmp_path / "cache"), out)

    build()
    listed = (out / MANIFEST).read_text().splitlines()
    assert "index.html" in listed and "notes.txt" not in listed
    build()  # a rebuild
    victim = sorted((root / "submissions" / "mrnet").iterdir())[0]
    shutil.rmtree(victim)
    build()  # a rebuild with one entry fewer
    for rel, text in mine.items():
        assert (out / rel).read_text() == text, rel
    assert not list((out / "mrnet").glob(f"{victim.name}*.html"))
    # building into the benchmark root itself loses nothing
    before = tree(root)
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=200, cache_dir=tmp_path / "cache"), root)
    build_site(reg, score_all_tasks(reg, replicates=200, cache_dir=tmp_path / "cache"), root)
    after = tree(root)
    assert all(after.get(k) == v for k, v in before.items())


def test_tampered_manifest_cannot_delete_outside_the_site(tmp_path):
    root = small_root(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("x")
    (out / MANIFEST).write_text(f"../precious.txt\n{outside}\n./../precious.txt\n")
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=200, cache_dir=tmp_path / "cache"), out)
    assert outside.read_text() == "x"


# -- participant text -------------------------------------------------------------------------------------
def test_csv_cells_cannot_start_a_formula():
    for bad in ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\",\"y\")"]:
        assert csv_cell(bad).startswith("'"), bad
    for fine in ["-0.25", "1e-05", "0.9171", "Lab A", "", "3"]:
        assert csv_cell(fine) == fine


def _one_task_root(tmp_path, team: str, model: str) -> Path:
    root = small_root(tmp_path, "scopemri-bankart", "scopemri")
    folder = sorted((root / "submissions" / "scopemri-bankart").iterdir())[-1]
    toml = (folder / "submission.toml").read_text()
    toml = re.sub(r"^team = .*$", lambda m: f"team = {json.dumps(team)}", toml, flags=re.M)
    toml = re.sub(r"^model = .*$", lambda m: f"model = {json.dumps(model)}", toml, flags=re.M)
    (folder / "submission.toml").write_text(toml)
    return root


def test_formula_names_are_neutralised_in_the_csv_download(tmp_path):
    root = _one_task_root(tmp_path, "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd")
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=200, cache_dir=tmp_path / "cache"), tmp_path / "site")
    text = (tmp_path / "site" / "scopemri-bankart" / "scopemri-bankart.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for r in rows for c in r]
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)*cmd" in cells
    assert not any(c[:1] in ("=", "+", "@", "\t", "\r") for c in cells)
    assert all(not c.startswith("-") or re.fullmatch(r"-[0-9.e+-]+", c) for c in cells)


def test_mathtext_in_names_is_drawn_literally(tmp_path):
    root = _one_task_root(tmp_path, "Lab $\\sqrt$", "m $x^2$ \\frac{a}{b}")
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=200, cache_dir=tmp_path / "cache"), tmp_path / "site", cache_dir=False)
    html = (tmp_path / "site" / "scopemri-bankart" / "index.html").read_text()
    svg = "".join(re.findall(r"<svg.*?</svg>", html, flags=re.S))
    assert "Lab $\\sqrt$" in svg and "$x^2$" in svg


@pytest.mark.parametrize("url, why", [
    ("https://github.com@evil.example/x", "user information"),
    ("https://user:pw@example.org/", "user information"),
    ("javascript:alert(1)", "http"),
    ("ftp://example.org/x", "http"),
    ("data:text/html,<script>", "http"),
    ("file:///etc/passwd", "http"),
])
def test_links_refuse_userinfo_and_other_schemes(tmp_path, url, why):
    src = sorted((REPO / "submissions" / "mrnet").iterdir())[1] / "submission.toml"
    toml = re.sub(r"^links = .*$", f"links = [{{ title = \"x\", url = {json.dumps(url)} }}]", src.read_text(), flags=re.M)
    assert url in toml
    p = tmp_path / "submission.toml"
    p.write_text(toml)
    with pytest.raises(SubmissionInvalid) as exc:
        read_metadata(p)
    assert why in " ".join(pr.format() for pr in exc.value.problems)


def test_confidential_predictions_show_the_curves(tmp_path):
    # scopemri-slap keeps its demo predictions encrypted (predictions.csv.age): nobody can pair
    # a curve with case scores, so its curves and calibration bins are published; its sibling
    # scopemri-bankart (plain predictions.csv) has them withheld.
    reg = load_registry(REPO)
    slap = [t for t in reg if t.id == "scopemri-slap"]
    boards = [score_board(t, REPO, replicates=200, cache_dir=tmp_path / "cache") for t in reg
              if t.id in ("scopemri-slap", "scopemri-bankart")]
    build_site(reg, boards, tmp_path / "site")
    tasks = {t["id"]: t for t in json.loads((tmp_path / "site" / "leaderboard.json").read_text())["tasks"]}
    assert slap and tasks["scopemri-slap"]["disclosure"]["predictions_confidential"]
    for e in tasks["scopemri-slap"]["entries"]:
        assert e["roc"][0]["fpr"] and e["calibration"][0]["bins"] and not e["withheld"]
        html = (tmp_path / "site" / "scopemri-slap" / e["page"]).read_text()
        assert 'id="roc-' in html and 'id="calibration-' in html and "withheld" not in html
    assert tasks["scopemri-slap"]["disclosure"]["labels_sha256"] is None
    assert not tasks["scopemri-bankart"]["disclosure"]["predictions_confidential"]
    assert all(e["withheld"] for e in tasks["scopemri-bankart"]["entries"])


def test_ladder_task_publishes_only_the_ladder_score(tmp_path):
    from test_ci import Y, build_repo, make_labels

    repo = build_repo(tmp_path / "repo", mode="ladder", ladder="ladder_step = 0.05\n")
    labels = make_labels(tmp_path / "labels", Y)
    reg = load_registry(repo)
    boards = score_all_tasks(reg, labels=labels, now="2026-03-02", cache_dir=tmp_path / "cache")
    build_site(reg, boards, tmp_path / "site")
    task = json.loads((tmp_path / "site" / "leaderboard.json").read_text())["tasks"][0]
    assert [m["name"] for m in task["metrics"]] == ["auc"]
    assert task["significance"] is None and task["disclosure"]["ladder"]
    for e in task["entries"]:
        mv = e["metrics"]["auc"]
        assert list(e["metrics"]) == ["auc"] and mv["ci"] is None
        assert round(mv["value"] / 0.05, 9) == round(mv["value"] / 0.05)  # a multiple of the step
        assert e["rank_counts"] is None and e["leader_difference"] in (None, {"difference": 0.0, "ci": None, "p_value": None, "verdict": "leader", "reason": None})
        assert e["roc"] == [] and e["calibration"] == [] and e["operating_points"] == [] and e["reader_study"] == []
    # the same scores, exactly, from the public part without the Ladder: never published
    exact = score_all_tasks(load_registry(repo), labels=labels, now="2026-03-02", cache_dir=tmp_path / "cache", withhold=False)
    values = {r.entry.name: r.result.primary_value for r in exact[0].scored}
    text = (tmp_path / "site" / "leaderboard.json").read_text() + (tmp_path / "site" / "toy" / "toy.csv").read_text()
    unrounded = [v for v in values.values() if abs(v / 0.05 - round(v / 0.05)) > 1e-6]
    assert unrounded
    for v in unrounded:
        assert repr(v) not in text and f"{v:.4f}" not in text
    page = (tmp_path / "site" / "toy" / task["entries"][0]["page"]).read_text()
    assert "This task uses the Ladder" in page or "only the rounded leaderboard score" in page
    if len(task["entries"]) > 1:  # the missing rank figures say why, in place
        task_page = (tmp_path / "site" / "toy" / "index.html").read_text()
        assert "The rank plot and the significance map are withheld: this task uses the Ladder" in task_page


def test_published_numbers_of_a_hidden_split_have_four_decimals(demo_sites):
    """A log loss at full precision, with the public predictions, is an exact linear equation
    in the labels; published values carry 4 decimals (what the pages show) instead."""
    floats = re.compile(r"(?<![\w.])-?\d+\.(\d+)(?:e-?\d+)?")
    for name in ("published", "unwithheld"):
        data = json.loads((demo_sites[name] / "leaderboard.json").read_text())
        long = []
        for t in data["tasks"]:
            if t["disclosure"]["predictions_confidential"]:
                continue  # no public predictions to pair the numbers with (scopemri-slap)
            text = json.dumps([t["entries"], t["significance"]])
            long += [m.group(0) for m in floats.finditer(text) if len(m.group(1)) > 4 and "e" not in m.group(0)]
        if name == "published":
            assert not long, long[:5]
        else:
            assert long  # the maintainer's view keeps full precision


def test_ci_report_lists_missing_ids_in_public_order(tmp_path):
    """The participant-visible grading report: a hidden file sorted by usage and label shows
    through neither the 'missing ids' listing nor anything else."""
    from test_ci import IDS, USAGE, Y, branch, build_repo, commit, predictions, write_sub

    repo = build_repo(tmp_path / "repo", mode="standard")
    branch(repo, "partial")
    text = predictions(1.0, 4).splitlines()
    write_sub(repo, "lab-c__net", "Lab C", "net", "\n".join(text[:1] + text[1::3]) + "\n")
    commit(repo, "lab-c net")
    reports = []
    for name, order in (("asc", np.lexsort((Y, USAGE))), ("desc", np.lexsort((Y, USAGE))[::-1])):
        d = tmp_path / name
        d.mkdir()
        (d / "test_labels.csv").write_text("case,a,usage\n" + "".join(f"{IDS[i]},{Y[i]},{USAGE[i]}\n" for i in order))
        out = tmp_path / f"{name}.md"
        code = main(["--root", str(repo), "ci", "grade", "--base", "main", "--head", "partial", "--labels", str(d),
                     "--summary", str(out), "--now", "2026-03-02"])
        assert code == 2
        reports.append(out.read_text())
    assert reports[0] == reports[1]
    missing = [i for k, i in enumerate(IDS) if k % 3 != 0]
    assert missing[0] in reports[0]
