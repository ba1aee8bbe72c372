"""Security properties of the GitHub workflows, checked on their text.

The workflows are not parsed here. ``scripts/lint-workflows.sh`` (run by ``.ci/run``) checks
them with actionlint (syntax, types, expressions: a file it passes is a valid workflow) and
zizmor (security audits: dangerous triggers, unpinned actions, template injection, excessive
permissions, persisted credentials), so these tests only need to find a block by its key, as
YAML's block structure nests it: by indentation. The helpers below do that and nothing else;
each refuses a key that is missing or given twice at one level instead of guessing. The
properties checked are the repository's own policy, which no linter knows: which job holds
which permission, what the privileged job checks out, the order of its steps.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _strip_comment(line: str) -> str:
    out, quote = [], None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def load(name) -> list[str]:
    """The workflow's non-blank lines, comments removed."""
    lines = [_strip_comment(line) for line in (WORKFLOWS / name).read_text().splitlines()]
    return [line for line in lines if line.strip()]


def _top(lines: list[str], key: str) -> int:
    """Index of the one line ``key:`` at the outermost indentation of ``lines``."""
    level = min(map(_indent, lines))
    hits = [i for i, line in enumerate(lines)
            if _indent(line) == level and re.match(rf"{re.escape(key)}:(\s|$)", line.strip())]
    assert len(hits) == 1, f"key {key!r} found {len(hits)} times"
    return hits[0]


def block(lines: list[str], *keys: str) -> list[str]:
    """The lines nested under ``keys`` (``block(doc, "jobs", "score", "permissions")``)."""
    for key in keys:
        i = _top(lines, key)
        level = _indent(lines[i])
        end = next((j for j in range(i + 1, len(lines)) if _indent(lines[j]) <= level
                    and not (lines[j].strip().startswith("- ") and _indent(lines[j]) == level)),
                   len(lines))
        lines = lines[i + 1:end]
        assert lines, f"key {key!r} has no block"
    return lines


def value(lines: list[str], key: str) -> str:
    """The scalar of ``key: value`` (quotes removed), or the text of a ``key: |`` block."""
    i = _top(lines, key)
    text = lines[i].strip()[len(key) + 1:].strip()
    if text in ("|", ">"):
        return "\n".join(line.strip() for line in block(lines, key))
    assert text, f"key {key!r} holds a block, not a value"
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def keys(lines: list[str]) -> list[str]:
    """The keys at the outermost indentation of ``lines``."""
    level = min(map(_indent, lines))
    return [line.strip().split(":")[0] for line in lines if _indent(line) == level]


def items(lines: list[str]) -> list[list[str]]:
    """The items of a block sequence, each as lines of its own (the ``- `` marker removed)."""
    level = min(map(_indent, lines))
    out: list[list[str]] = []
    for line in lines:
        if _indent(line) == level:
            assert line.strip().startswith("- "), f"not a sequence item: {line.strip()}"
            out.append([" " * (level + 2) + line.strip()[2:]])
        else:
            out[-1].append(line)
    return out


def has(lines: list[str], key: str) -> bool:
    level = min(map(_indent, lines))
    return any(_indent(line) == level and re.match(rf"{re.escape(key)}:(\s|$)", line.strip())
               for line in lines)


def steps(doc, job=None) -> list[list[str]]:
    """The steps of one job, or of every job."""
    jobs = [job] if job else keys(block(doc, "jobs"))
    return [s for j in jobs if has(block(doc, "jobs", j), "steps") for s in items(block(doc, "jobs", j, "steps"))]


def get(step: list[str], key: str, default: str = "") -> str:
    return value(step, key) if has(step, key) else default


def scalars(lines: list[str]) -> dict[str, str]:
    """The ``name: value`` lines at the outermost indentation, as a dict."""
    return {k: value(lines, k) for k in keys(lines)}


def mapping(parent: list[str], key: str) -> dict[str, str]:
    """The mapping of scalars under ``key``: written ``key: {}`` or as a block."""
    if parent[_top(parent, key)].strip() == f"{key}: {{}}":
        return {}
    return scalars(block(parent, key))


def text(doc) -> str:
    return "\n".join(doc)


def test_the_helpers_find_blocks_by_indentation():
    doc = ["a:", "  b: [x, y]", "  c: {}", "  d:", "    - e: 1", "      f: '2'", "    - g: |",
           "        one", "        two", "  h: 3", "i: 4"]
    assert keys(doc) == ["a", "i"] and keys(block(doc, "a")) == ["b", "c", "d", "h"]
    assert value(block(doc, "a"), "b") == "[x, y]" and value(doc, "i") == "4"
    first, second = items(block(doc, "a", "d"))
    assert value(first, "e") == "1" and value(first, "f") == "2" and value(second, "g") == "one\ntwo"
    assert value(block(doc, "a"), "h") == "3"  # the sequence ended where its items did
    assert mapping(block(doc, "a"), "c") == {} and scalars(first) == {"e": "1", "f": "2"}
    with pytest.raises(AssertionError):
        block(doc, "missing")
    with pytest.raises(AssertionError):
        value(["x: 1", "x: 2"], "x")  # a key given twice is refused, not guessed
    with pytest.raises(AssertionError):
        value(doc, "a")  # a block is not a value


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.y*ml")))
def test_no_pull_request_target_and_actions_pinned(name):
    doc = load(name)
    assert "pull_request_target" not in text(doc)
    uses = [m.group(1) for line in doc if (m := re.match(r"^\s*(?:- )?uses:\s*(\S+)\s*$", line))]
    assert uses == [get(s, "uses") for s in steps(doc) if has(s, "uses")]  # every one is a step's
    for u in uses:
        assert SHA_PIN.match(u), f"{name}: {u} is not pinned to a commit SHA"
    # no expression is expanded inside a shell script (template injection)
    for step in steps(doc):
        assert "${{" not in get(step, "run"), f"{name}: expression inside run: {get(step, 'name')}"
    # top-level permissions are declared (default token permissions are never relied on)
    assert has(doc, "permissions")


def test_validate_is_unprivileged():
    doc = load("validate.yml")
    assert keys(block(doc, "on")) == ["pull_request"]
    assert mapping(doc, "permissions") in ({}, {"contents": "read"})
    for job in keys(block(doc, "jobs")):
        if has(block(doc, "jobs", job), "permissions"):
            assert mapping(block(doc, "jobs", job), "permissions") in ({}, {"contents": "read"})
    assert "secrets." not in text(doc)
    runs = " ".join(get(s, "run") for s in steps(doc))
    assert "benchmark ci grade" in runs and "--labels" not in runs
    uploads = [s for s in steps(doc) if "upload-artifact" in get(s, "uses")]
    assert uploads and value(block(uploads[0], "with"), "path").endswith(".md")
    (checkout,) = [s for s in steps(doc) if "actions/checkout" in get(s, "uses")]
    assert value(block(checkout, "with"), "persist-credentials") == "false"


def test_score_is_privileged_but_never_checks_out_the_head():
    doc = load("score.yml")
    assert keys(block(doc, "on")) == ["workflow_run"]
    assert value(block(doc, "on", "workflow_run"), "workflows") == "[validate]"
    assert mapping(doc, "permissions") == {}
    (job,) = keys(block(doc, "jobs"))
    # contents: write only to push the ledger branch; statuses: write for the required check
    assert mapping(block(doc, "jobs", job), "permissions") == {
        "contents": "write", "pull-requests": "write", "statuses": "write"}
    checkouts = [s for s in steps(doc, job) if "actions/checkout" in get(s, "uses")]
    assert len(checkouts) == 1
    ref = value(block(checkouts[0], "with"), "ref")
    assert "default_branch" in ref and "head" not in ref
    assert value(block(checkouts[0], "with"), "persist-credentials") == "false"
    runs = "\n".join(get(s, "run") for s in steps(doc, job))
    # the head commit is fetched as git objects and never checked out, installed or run
    assert "git fetch" in runs
    for bad in ("git checkout", "git switch", "git worktree", "pip install -e", "HEAD_SHA\" &&"):
        assert bad not in runs
    assert re.search(r"benchmark ci grade --base HEAD --head \"\$HEAD_SHA\" --labels", runs)
    assert "secrets.LABELS_ARCHIVE" in text(doc) and "secrets.LABELS_PASSPHRASE" in text(doc)
    assert "gpg --batch" in runs and "gh pr comment" in runs


def test_publish_deploys_pages_from_main():
    doc = load("publish.yml")
    assert value(block(doc, "on", "push"), "branches") == "[main]"
    assert not has(block(doc, "on"), "pull_request") and not has(block(doc, "on"), "workflow_run")
    assert mapping(doc, "permissions") == {}
    assert mapping(block(doc, "jobs", "build"), "permissions") == {"contents": "read"}
    assert mapping(block(doc, "jobs", "deploy"), "permissions") == {"pages": "write", "id-token": "write"}
    uses = [get(s, "uses") for s in steps(doc)]
    assert any("upload-pages-artifact" in u for u in uses) and any("deploy-pages" in u for u in uses)
    runs = " ".join(get(s, "run") for s in steps(doc))
    assert "benchmark leaderboard build" in runs


def test_tests_workflow_covers_the_supported_pythons_and_both_dependency_sets():
    import tomllib

    doc = load("tests.yml")
    assert set(keys(block(doc, "on"))) <= {"pull_request", "push"}
    assert mapping(doc, "permissions") == {"contents": "read"}
    matrix = block(doc, "jobs", "test", "strategy", "matrix")
    pythons = set(re.findall(r'"(3\.\d+)"', value(matrix, "python")))
    project = tomllib.loads((WORKFLOWS.parent.parent / "pyproject.toml").read_text())["project"]
    floor = int(re.fullmatch(r">=3\.(\d+)", project["requires-python"]).group(1))
    classified = {c.rsplit(" ", 1)[1] for c in project["classifiers"] if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert pythons == classified and f"3.{floor}" in pythons
    include = [scalars(i) for i in items(block(matrix, "include"))]
    assert {"python": f"3.{floor}", "deps": "oldest"} in include
    runs = " ".join(get(s, "run") for s in steps(doc, "test"))
    assert "make test" in runs and "oldest-constraints.py" in runs


def test_score_posts_the_required_status_and_serialises_gradings():
    doc = load("score.yml")
    # one concurrency group per repository, never cancelling a grading in progress
    assert value(block(doc, "concurrency"), "group") == "score-${{ github.repository }}"
    assert value(block(doc, "concurrency"), "cancel-in-progress") == "false"
    all_steps = steps(doc)
    runs = "\n".join(get(s, "run") for s in all_steps)
    # the author comes from GitHub's pull-request record, the ledger from the ledger branch
    assert "--author \"$AUTHOR\"" in runs and "--ledger-ref refs/heads/ledger" in runs
    by_id = {get(s, "id"): s for s in all_steps if has(s, "id")}
    assert ".user.login" in value(by_id["pr"], "run")
    assert value(block(by_id["score"], "env"), "AUTHOR") == "${{ steps.pr.outputs.author }}"
    # the ledger push is a plain (fast-forward only) push: never forced
    push = value(by_id["ledger"], "run")
    assert "push" in push and "--force" not in push and "+refs" not in push
    # the status is posted last, always, and success needs both a passing grade and the push
    status = [s for s in all_steps if "statuses/" in get(s, "run")]
    assert len(status) == 2 and value(status[-1], "if") == "always()"
    final = value(status[-1], "run")
    assert "context=benchmark/score" in final
    assert '[ "$STATUS" = 0 ] && [ "$PUSHED" = true ]' in final
    assert all_steps.index(by_id["ledger"]) < all_steps.index(status[-1])


def test_validate_cannot_post_the_required_status():
    doc = load("validate.yml")
    assert "statuses" not in text(doc) and "benchmark/score" not in text(doc)
    for job in keys(block(doc, "jobs")):
        if has(block(doc, "jobs", job), "permissions"):
            assert "statuses" not in mapping(block(doc, "jobs", job), "permissions")
        assert get(block(doc, "jobs", job), "name") != "benchmark/score"
