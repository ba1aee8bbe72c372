"""Security properties of the GitHub workflows, checked on the YAML text.

PyYAML is not a dependency, so the workflows are read with a small indentation-based reader
that understands the subset they use (block mappings, block sequences, scalars, ``{}``,
``[a, b]`` flow lists and ``|`` block scalars). It refuses anything else, so a workflow
written in another style fails these tests loudly instead of being misread.
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


def _scalar(text: str):
    t = text.strip()
    if t == "{}":
        return {}
    if t.startswith("[") and t.endswith("]"):
        return [_scalar(x) for x in t[1:-1].split(",") if x.strip()]
    if t.startswith("{") or t.startswith("["):
        raise ValueError(f"unsupported flow collection: {t}")
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    return t


def parse_yaml(text: str):
    """Parse the YAML subset used by the workflows into dicts, lists and strings."""
    lines = []
    raw = text.splitlines()
    i = 0
    while i < len(raw):
        line = raw[i]
        stripped = _strip_comment(line)
        if stripped.strip():
            indent = len(stripped) - len(stripped.lstrip(" "))
            if stripped.rstrip().endswith(": |") or stripped.rstrip().endswith(": >"):
                block, j = [], i + 1
                while j < len(raw) and (not raw[j].strip() or len(raw[j]) - len(raw[j].lstrip(" ")) > indent):
                    block.append(raw[j].strip())
                    j += 1
                key = stripped.strip()[:-1].rstrip()
                lines.append((indent, key, "\n".join(block)))
                i = j
                continue
            lines.append((indent, stripped.strip(), None))
        i += 1
    pos = 0

    def block(indent):
        if pos >= len(lines):
            return None
        if lines[pos][1].startswith("- "):
            return seq(lines[pos][0])
        return mapping(lines[pos][0])

    def value_after(key_indent, rest, block_text):
        if block_text is not None:
            return block_text
        if rest:
            return _scalar(rest)
        if pos < len(lines) and lines[pos][0] > key_indent:
            return block(lines[pos][0])
        if pos < len(lines) and lines[pos][0] == key_indent and lines[pos][1].startswith("- "):
            return seq(key_indent)
        return None

    def mapping(indent):
        nonlocal pos
        out = {}
        while pos < len(lines) and lines[pos][0] == indent and not lines[pos][1].startswith("- "):
            _, text, block_text = lines[pos]
            m = re.match(r"^([^:]+?):(?:\s+(.*))?$", text)
            if not m:
                raise ValueError(f"cannot parse line: {text}")
            pos += 1
            out[_scalar(m.group(1))] = value_after(indent, (m.group(2) or "").strip(), block_text)
        return out

    def seq(indent):
        nonlocal pos
        out = []
        while pos < len(lines) and lines[pos][0] == indent and lines[pos][1].startswith("- "):
            item = lines[pos][1][2:].strip()
            inner = indent + 2
            if re.match(r"^[\w.-]+:(\s|$)", item):
                lines[pos] = (inner, item, lines[pos][2])  # a mapping starting on this line
                out.append(mapping(inner))
            else:
                pos += 1
                out.append(_scalar(item))
        return out

    doc = mapping(0)
    if pos != len(lines):
        raise ValueError(f"unparsed line: {lines[pos][1]}")
    return doc


def load(name):
    """The workflow's text without comments, and its parsed document."""
    text = (WORKFLOWS / name).read_text()
    code = "\n".join(_strip_comment(line) for line in text.splitlines())
    return code, parse_yaml(text)


def triggers(doc):
    # "on" is the trigger key (PyYAML would read it as True; this reader keeps the string)
    return doc["on"]


def all_steps(doc):
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def test_reader_understands_the_subset():
    doc = parse_yaml("a:\n  b: [x, y]\n  c: {}\n  d:\n    - e: 1\n      f: '2'\n    - g\n  h: |\n    one\n    two\n")
    assert doc == {"a": {"b": ["x", "y"], "c": {}, "d": [{"e": "1", "f": "2"}, "g"], "h": "one\ntwo"}}
    with pytest.raises(ValueError):
        parse_yaml("a: {b: 1}\n")


@pytest.mark.parametrize("name", ["validate.yml", "score.yml", "publish.yml"])
def test_no_pull_request_target_and_actions_pinned(name):
    text, doc = load(name)
    assert "pull_request_target" not in text
    assert "pull_request_target" not in triggers(doc)
    for step in all_steps(doc):
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), f"{name}: {step['uses']} is not pinned to a commit SHA"
    # no expression is expanded inside a shell script (template injection)
    for step in all_steps(doc):
        assert "${{" not in str(step.get("run", "")), f"{name}: expression inside run: {step.get('name')}"
    # top-level permissions are declared (default token permissions are never relied on)
    assert "permissions" in doc


def test_validate_is_unprivileged():
    _, doc = load("validate.yml")
    assert set(triggers(doc)) == {"pull_request"}
    assert doc["permissions"] in ({}, {"contents": "read"})
    for job in doc["jobs"].values():
        assert job.get("permissions", {}) in ({}, {"contents": "read"})
    text, _ = load("validate.yml")
    assert "secrets." not in text
    runs = " ".join(str(s.get("run", "")) for s in all_steps(doc))
    assert "benchmark ci grade" in runs and "--labels" not in runs
    uploads = [s for s in all_steps(doc) if "upload-artifact" in s.get("uses", "")]
    assert uploads and uploads[0]["with"]["path"].endswith(".md")
    checkout = [s for s in all_steps(doc) if "actions/checkout" in s.get("uses", "")][0]
    assert checkout["with"]["persist-credentials"] == "false"


def test_score_is_privileged_but_never_checks_out_the_head():
    text, doc = load("score.yml")
    on = triggers(doc)
    assert set(on) == {"workflow_run"}
    assert on["workflow_run"]["workflows"] == ["validate"]
    assert doc["permissions"] == {}
    (job,) = doc["jobs"].values()
    # contents: write only to push the ledger branch; statuses: write for the required check
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "statuses": "write"}
    checkouts = [s for s in job["steps"] if "actions/checkout" in s.get("uses", "")]
    assert len(checkouts) == 1
    ref = checkouts[0]["with"]["ref"]
    assert "default_branch" in ref and "head" not in ref
    assert checkouts[0]["with"]["persist-credentials"] == "false"
    runs = "\n".join(str(s.get("run", "")) for s in job["steps"])
    # the head commit is fetched as git objects and never checked out, installed or run
    assert "git fetch" in runs
    for bad in ("git checkout", "git switch", "git worktree", "pip install -e", "HEAD_SHA\" &&"):
        assert bad not in runs
    assert re.search(r"benchmark ci grade --base HEAD --head \"\$HEAD_SHA\" --labels", runs)
    assert "secrets.LABELS_ARCHIVE" in text and "secrets.LABELS_PASSPHRASE" in text
    assert "gpg --batch" in runs and "gh pr comment" in runs


def test_publish_deploys_pages_from_main():
    _, doc = load("publish.yml")
    on = triggers(doc)
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" not in on and "workflow_run" not in on
    assert doc["permissions"] == {}
    assert doc["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert doc["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    uses = [s.get("uses", "") for s in all_steps(doc)]
    assert any("upload-pages-artifact" in u for u in uses) and any("deploy-pages" in u for u in uses)
    runs = " ".join(str(s.get("run", "")) for s in all_steps(doc))
    assert "benchmark leaderboard build" in runs


def test_score_posts_the_required_status_and_serialises_gradings():
    text, doc = load("score.yml")
    # one concurrency group per repository, never cancelling a grading in progress
    assert doc["concurrency"]["group"] == "score-${{ github.repository }}"
    assert doc["concurrency"]["cancel-in-progress"] == "false"
    (job,) = doc["jobs"].values()
    steps = job["steps"]
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    # the author comes from GitHub's pull-request record, the ledger from the ledger branch
    assert "--author \"$AUTHOR\"" in runs and "--ledger-ref refs/heads/ledger" in runs
    pr_step = next(s for s in steps if s.get("id") == "pr")
    assert ".user.login" in pr_step["run"]
    score = next(s for s in steps if s.get("id") == "score")
    assert score["env"]["AUTHOR"] == "${{ steps.pr.outputs.author }}"
    # the ledger push is a plain (fast-forward only) push: never forced
    push = next(s for s in steps if s.get("id") == "ledger")
    assert "push" in push["run"] and "--force" not in push["run"] and "+refs" not in push["run"]
    # the status is posted last, always, and success needs both a passing grade and the push
    status = [s for s in steps if "statuses/" in str(s.get("run", ""))]
    assert len(status) == 2 and status[-1]["if"] == "always()"
    final = status[-1]["run"]
    assert "context=benchmark/score" in final
    assert '[ "$STATUS" = 0 ] && [ "$PUSHED" = true ]' in final
    assert steps.index(push) < steps.index(status[-1])


def test_validate_cannot_post_the_required_status():
    text, doc = load("validate.yml")
    assert "statuses" not in text and "benchmark/score" not in text
    for job in doc["jobs"].values():
        assert "statuses" not in job.get("permissions", {})
        assert job.get("name") != "benchmark/score"
