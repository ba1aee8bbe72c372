"""Leaderboard views: history, subgroup differences, "last updated", BibTeX, the "How to submit"
page rendered from docs/ci.md, and the words the site must never show."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.leaderboard.board import score_all_tasks
from benchmark.leaderboard.compare import score_history, subgroup_differences
from benchmark.leaderboard.site.markup import bibtex_escape, entry_bibtex, markdown_to_html
from benchmark.leaderboard.site.render import build_site
from benchmark.leaderboard.site.views import history_chart, nice_ticks
from benchmark.data.tasks import load_registry

REPO = Path(__file__).resolve().parent.parent
B = 200


# -- history -------------------------------------------------------------------------------------
def test_score_history_by_hand():
    # dates and values chosen so the best changes twice and one later entry is worse
    entries = [
        {"name": "b", "date": "2026-01-03", "value": 0.70},
        {"name": "a", "date": "2026-01-01", "value": 0.60},
        {"name": "c", "date": "2026-01-03", "value": 0.65},
        {"name": "d", "date": "2026-01-09", "value": 0.68},
        {"name": "e", "date": "2026-01-10", "value": 0.91},
        {"name": "undated", "date": None, "value": 0.99},
        {"name": "unscored", "date": "2026-01-02", "value": None},
    ]
    steps, then = score_history(entries, higher_is_better=True)
    assert [(s["date"], s["name"], s["value"]) for s in steps] == [
        ("2026-01-01", "a", 0.60), ("2026-01-03", "b", 0.70), ("2026-01-10", "e", 0.91)]
    # rank when submitted: 1 + entries dated on or before with a strictly better value
    assert then == {
        "a": {"rank": 1, "of": 1},
        "b": {"rank": 1, "of": 3},
        "c": {"rank": 2, "of": 3},
        "d": {"rank": 2, "of": 4},
        "e": {"rank": 1, "of": 5},
    }


def test_score_history_lower_is_better_and_ties():
    entries = [
        {"name": "x", "date": "2026-02-01", "value": 0.5},
        {"name": "y", "date": "2026-02-02", "value": 0.5},  # a tie does not make a new best
        {"name": "z", "date": "2026-02-03", "value": 0.4},
    ]
    steps, then = score_history(entries, higher_is_better=False)
    assert [s["name"] for s in steps] == ["x", "z"]
    assert then["y"] == {"rank": 1, "of": 2} and then["z"] == {"rank": 1, "of": 3}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 9), st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9])), min_size=1, max_size=25),
    st.booleans(),
)
def test_score_history_matches_its_definition(items, hib):
    entries = [{"name": f"e{i:02d}", "date": f"2026-01-0{d}", "value": v} for i, (d, v) in enumerate(items)]
    steps, then = score_history(entries, hib)
    better = (lambda a, b: a > b) if hib else (lambda a, b: a < b)
    for e in entries:  # brute force, straight from the definition
        before = [o for o in entries if o["date"] <= e["date"]]
        assert then[e["name"]] == {"rank": 1 + sum(better(o["value"], e["value"]) for o in before), "of": len(before)}
    # the steps are the dates on which the best so far strictly improved
    best, expected = None, []
    for d in sorted({e["date"] for e in entries}):
        vals = [e["value"] for e in entries if e["date"] == d]
        top = max(vals) if hib else min(vals)
        if best is None or better(top, best):
            best = top
            expected.append((d, top))
    assert [(s["date"], s["value"]) for s in steps] == expected


def test_nice_ticks_cover_the_range():
    # step: the smallest of 1, 2, 5, 10 x 10^k at least (hi - lo) / 4
    assert nice_ticks(0.61, 0.93) == [0.6, 0.7, 0.8, 0.9, 1.0]  # 0.08 -> 0.1
    assert nice_ticks(0.2, 0.3) == [0.2, 0.25, 0.3]  # 0.025 -> 0.05
    assert nice_ticks(12.0, 31.0) == [10.0, 15.0, 20.0, 25.0, 30.0, 35.0]  # 4.75 -> 5


# -- a built site of the ScopeMRI Bankart task (it declares MRI/MRA subgroups) ------------------
@pytest.fixture(scope="module")
def bankart(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bankart")
    root = tmp / "root"
    shutil.copytree(REPO / "tasks" / "scopemri-bankart", root / "tasks" / "scopemri-bankart")
    shutil.copytree(REPO / "tasks" / "_datasets" / "scopemri", root / "tasks" / "_datasets" / "scopemri")
    shutil.copytree(REPO / "submissions" / "scopemri-bankart", root / "submissions" / "scopemri-bankart")
    (root / "docs").mkdir()
    shutil.copyfile(REPO / "docs" / "ci.md", root / "docs" / "ci.md")
    reg = load_registry(root)
    boards = score_all_tasks(reg, replicates=B, cache_dir=tmp / "cache")
    build_site(reg, boards, tmp / "site", cache_dir=tmp / "cache")
    data = json.loads((tmp / "site" / "leaderboard.json").read_text())
    return {"root": root, "site": tmp / "site", "boards": boards, "data": data, "tmp": tmp}


def test_subgroup_difference_is_the_paired_percentile_interval(bankart):
    board = bankart["boards"][0]
    names = board.metric_names
    i_mri, i_mra = names.index("auc/bankart[modality=MRI]"), names.index("auc/bankart[modality=MRA]")
    for row in board.scored:
        (d,) = subgroup_differences(board, row)
        a = row.result.metrics["auc/bankart[modality=MRA]"].value
        b = row.result.metrics["auc/bankart[modality=MRI]"].value
        assert d["group"] == "MRA" and d["reference"] == "MRI" and d["column"] == "modality"
        assert d["difference"] == pytest.approx(a - b, abs=1e-12)
        # independent: type-7 quantiles of the replicate-wise differences on the same resamples
        diff = row.replicates[i_mra] - row.replicates[i_mri]
        diff = diff[np.isfinite(diff)]
        lo, hi = np.quantile(diff, [0.025, 0.975])
        assert d["ci"] == pytest.approx([lo, hi], abs=1e-9)


def test_task_page_has_subgroups_history_and_citation(bankart):
    site, data = bankart["site"], bankart["data"]
    task = data["tasks"][0]
    page = (site / "scopemri-bankart" / "index.html").read_text()
    assert 'id="subgroups"' in page and "modality = MRI" in page and "modality = MRA" in page
    assert "Difference MRA \u2212 MRI" in page
    for e in task["entries"]:
        n_mri = e["metrics"]["auc/bankart[modality=MRI]"]["n_cases"]
        assert f"n = {n_mri}" in page
    # history: one step per new best, dates in order, ranks when submitted present
    dates = [h["date"] for h in task["history"]]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert all(e["rank_when_submitted"]["of"] >= 1 for e in task["entries"] if e["date"])
    chart = history_chart(task)
    assert chart is not None and all(0 <= b["x"] <= 100 for b in chart["best"])
    assert 'class="history"' in page
    # last updated: the newest submission date, never the build time
    newest = max(e["date"] for e in task["entries"] if e["date"])
    assert task["last_updated"] == newest == data["last_updated"]
    assert f"Last updated {newest}" in page
    # BibTeX of the task (dataset citation) and of every entry, each with a copy button
    assert "@misc{scopemri:dataset," in page and task["dataset"]["doi"] in task["bibtex"]
    assert 'data-copy="bib-task"' in page
    for e in task["entries"]:
        entry_page = (site / "scopemri-bankart" / e["page"]).read_text()
        assert htmllib.escape(e["bibtex"], quote=False) in entry_page
        assert 'data-copy="bib-entry"' in entry_page


def test_label_change_date_counts_for_last_updated(bankart, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(bankart["root"], root)
    toml = root / "tasks" / "_datasets" / "scopemri" / "dataset.toml"
    text = toml.read_text()
    toml.write_text(text.replace('labels_file = "scopemri/test_labels.csv"',
                                 'labels_file = "scopemri/test_labels.csv"\nlabels_date = 2027-03-04'))
    reg = load_registry(root)
    build_site(reg, score_all_tasks(reg, replicates=B, cache_dir=tmp_path / "cache"), tmp_path / "site",
               cache_dir=tmp_path / "cache")
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text())
    assert data["tasks"][0]["last_updated"] == "2027-03-04" == data["last_updated"]


def test_submit_page_is_rendered_from_docs_ci(bankart):
    page = (bankart["site"] / "submit.html").read_text()
    source = (bankart["root"] / "docs" / "ci.md").read_text()
    participants = source.split("## Running a benchmark")[0]
    assert '<h2 id="submitting-for-participants">' in page
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", page))
    flat = re.sub(r"\s+", " ", text)
    # every sentence of the participants' part reaches the page; the maintainers' part does not
    for sentence in ["Fork the repository and create a branch.", "Exit codes of benchmark ci grade",
                     'external_data_description = ""']:
        assert sentence.replace("`", "") in flat or sentence in text, sentence
        assert sentence.split()[0] in participants
    assert "gpg --batch" not in page and "gpg --batch" in source
    assert 'href="submit.html"' in (bankart["site"] / "index.html").read_text()


# -- BibTeX and Markdown safety -----------------------------------------------------------------
def _unescaped(text: str, ch: str) -> int:
    return len(re.findall(r"(?<!\\)" + re.escape(ch), text.replace("\\\\", "")))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_bibtex_escape_keeps_every_field_closed(text):
    out = bibtex_escape(text)
    assert _unescaped(out, "{") == _unescaped(out, "}")  # only the {} of \textbackslash{} etc.
    for ch in "%&$#_":
        assert _unescaped(out, ch) == 0
    assert "\n" not in out and "\r" not in out


def test_hostile_submission_cannot_break_out_of_its_bibtex_record():
    task = {"id": "t", "version": "1", "title": "T"}
    e = {"team": "}, note = {pwned", "model": "x} @misc{evil,", "authors": ["A\\", "{B"], "date": "2026-01-02",
         "links": [{"url": "https://example.org/?a=}&b=%"}], "synthetic": False, "submission": {"sha256": "ab" * 32}}
    bib = entry_bibtex(task, e).rstrip("\n")
    assert bib.startswith("@misc{")
    # BibTeX reads "@" only outside braces: the record's braces must open at "@misc{" and close
    # at its very last character, never earlier
    depth, closed_at = 0, None
    for i, ch in enumerate(bib):
        if ch in "{}" and bib[i - 1] != "\\":
            depth += 1 if ch == "{" else -1
            assert depth >= 0
            if depth == 0:
                closed_at = i
                break
        elif ch == "@" and depth == 0:
            assert i == 0
    assert closed_at == len(bib) - 1
    fields = re.findall(r"^  ([a-z]+) = ", bib, flags=re.M)
    assert fields == ["author", "title", "year", "url", "note"]


ALLOWED_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "pre", "code", "strong", "em", "a",
                "div", "table", "thead", "tbody", "tr", "th", "td"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>\"'`*[]()#|-:/ \nabcjs=1.&;")), max_size=200))
def test_markdown_output_has_only_known_tags_and_no_script(text):
    out = markdown_to_html(text)
    for tag in re.findall(r"</?([A-Za-z0-9]+)", out):
        assert tag.lower() in ALLOWED_TAGS, (text, out)
    for href in re.findall(r'href="([^"]*)"', out):
        assert not htmllib.unescape(href).strip().lower().startswith(("javascript:", "data:", "vbscript:"))
    assert "<script" not in out.lower()


# -- words the site never shows -----------------------------------------------------------------
def test_no_internal_tags_or_development_words_on_the_committed_site():
    pages = sorted((REPO / "leaderboard").rglob("*.html"))
    assert pages
    for page in pages:
        text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page.read_text()))
        assert "FACTS" not in text and "TODO" not in text and "FIXME" not in text, page
        for word in ("coordinator", "agent", "helper", "issue #"):
            assert word not in text.lower(), (page, word)
