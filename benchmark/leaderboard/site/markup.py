"""Text formats of the leaderboard site: a small safe Markdown converter and BibTeX records.

:func:`markdown_to_html` renders the subset of Markdown the project's documentation uses
(``#`` headings, paragraphs, ordered and unordered lists with indented continuation lines and
nesting, fenced code blocks, pipe tables, ``inline code``, ``**bold**``, ``*emphasis*`` and
``[links](url)``). Every piece of text is HTML-escaped before any markup is added, raw HTML
in the source is shown as text, and only ``http``/``https`` links and relative links to
documentation files are kept, so the output cannot carry a script whatever the input.

:func:`bibtex_escape` makes any text safe inside a braced BibTeX field; :func:`task_bibtex`
and :func:`entry_bibtex` build the records shown (HTML-escaped by the template) on the site.
"""

from __future__ import annotations

import html
import re
from typing import Optional
from urllib.parse import urlsplit

from ...core.naming import slug

__all__ = ["safe_url", "markdown_to_html", "bibtex_escape", "bibtex_key", "task_bibtex", "entry_bibtex"]


_CTRL = re.compile(r"[\x00-\x20\x7f]")


def safe_url(url) -> Optional[str]:
    """``url`` when it is an absolute http(s) URL without user information (``user@``),
    spaces or control characters, else None.

    >>> safe_url("https://example.org/x"), safe_url("javascript:alert(1)"), safe_url(" http://a")
    ('https://example.org/x', None, None)
    >>> safe_url("https://github.com@evil.example/x") is None
    True
    """
    if not isinstance(url, str) or not url or _CTRL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return url


# -- Markdown ------------------------------------------------------------------------------------
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_OL = re.compile(r"^(\s*)(\d+)\.\s+(.*)$")
_UL = re.compile(r"^(\s*)[*+-]\s+(.*)$")
_HEAD = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*```\s*([A-Za-z0-9_+-]*)\s*$")


def _safe_href(url: str) -> Optional[str]:
    """An absolute http(s) URL (see :func:`safe_url`) or a relative path without a scheme."""
    if urlsplit(url).scheme:
        return safe_url(url)
    return url if not url.startswith("//") and ":" not in url.split("/")[0] else None


def _inline(text: str) -> str:
    """Escape ``text`` and add inline markup (code spans are kept literal)."""
    out, pos = [], 0
    for m in _CODE.finditer(text):
        out.append(_inline_plain(text[pos:m.start()]))
        out.append(f"<code>{html.escape(m.group(1), quote=False)}</code>")
        pos = m.end()
    out.append(_inline_plain(text[pos:]))
    return "".join(out)


def _inline_plain(text: str) -> str:
    parts, pos = [], 0
    for m in _LINK.finditer(text):
        parts.append(_emphasis(html.escape(text[pos:m.start()], quote=False)))
        label = _emphasis(html.escape(m.group(1), quote=False))
        href = _safe_href(m.group(2))
        parts.append(label if href is None else f'<a href="{html.escape(href, quote=True)}">{label}</a>')
        pos = m.end()
    parts.append(_emphasis(html.escape(text[pos:], quote=False)))
    return "".join(parts)


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _EM.sub(r"<em>\1</em>", escaped)


def _table(rows: list[str]) -> str:
    def cells(line: str) -> list[str]:
        line = line.strip()
        if line.startswith("|"):
            line = line[1:]
        if line.endswith("|"):
            line = line[:-1]
        return [c.strip() for c in line.split("|")]

    head = cells(rows[0])
    body = [cells(r) for r in rows[2:]]
    out = ['<div class="scroll" role="region" tabindex="0" aria-label="Table"><table class="board">', "<thead><tr>"]
    out += [f'<th scope="col">{_inline(c)}</th>' for c in head]
    out.append("</tr></thead><tbody>")
    for r in body:
        out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _list(lines: list[str]) -> str:
    """Render a list block (items may contain indented continuation lines and sub-blocks)."""
    first = _OL.match(lines[0]) or _UL.match(lines[0])
    indent = len(first.group(1))
    ordered = bool(_OL.match(lines[0]))
    items: list[list[str]] = []
    for line in lines:
        m = _OL.match(line) if ordered else _UL.match(line)
        if m and len(m.group(1)) == indent:
            items.append([m.group(3) if ordered else m.group(2)])
        else:
            items[-1].append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
    tag = "ol" if ordered else "ul"
    out = [f"<{tag}>"]
    for item in items:
        # continuation lines are dedented to the item's text column
        body = [item[0]] + [_dedent_one(x) for x in item[1:]]
        inner = _blocks(body)
        if inner.startswith("<p>") and inner.count("<p>") == 1 and inner.endswith("</p>"):
            inner = inner[3:-4]
        out.append(f"<li>{inner}</li>")
    out.append(f"</{tag}>")
    return "".join(out)


def _dedent_one(line: str) -> str:
    n = len(line) - len(line.lstrip(" "))
    return line[min(n, 3):]


def _blocks(lines: list[str]) -> str:
    out: list[str] = []
    i, n = 0, len(lines)
    para: list[str] = []

    def flush():
        if para:
            out.append("<p>" + _inline(" ".join(s.strip() for s in para)) + "</p>")
            para.clear()

    while i < n:
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            pad = len(line) - len(line.lstrip(" "))
            j = i + 1
            code = []
            while j < n and not _FENCE.match(lines[j]):
                code.append(lines[j][pad:] if lines[j][:pad].strip() == "" else lines[j])
                j += 1
            cls = f' class="language-{fence.group(1)}"' if fence.group(1) else ""
            out.append(f'<pre class="cmd" tabindex="0"><code{cls}>{html.escape(chr(10).join(code), quote=False)}</code></pre>')
            i = j + 1
            continue
        head = _HEAD.match(line)
        if head:
            flush()
            level = len(head.group(1))
            text = head.group(2)
            out.append(f'<h{level} id="{slug(text) or "section"}">{_inline(text)}</h{level}>')
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < n and re.match(r"^\s*\|?[\s:|-]+\|?\s*$", lines[i + 1]) and "-" in lines[i + 1]:
            flush()
            j = i
            while j < n and lines[j].lstrip().startswith("|"):
                j += 1
            out.append(_table(lines[i:j]))
            i = j
            continue
        if _OL.match(line) or _UL.match(line):
            flush()
            indent = len(line) - len(line.lstrip(" "))
            j = i + 1
            while j < n:
                nxt = lines[j]
                if not nxt.strip():
                    # a blank line continues the list when the next text is indented or an item
                    k = j + 1
                    while k < n and not lines[k].strip():
                        k += 1
                    if k < n and (len(lines[k]) - len(lines[k].lstrip(" ")) > indent
                                  or ((_OL.match(lines[k]) or _UL.match(lines[k]))
                                      and len(lines[k]) - len(lines[k].lstrip(" ")) == indent)):
                        j = k
                        continue
                    break
                lead = len(nxt) - len(nxt.lstrip(" "))
                if lead < indent or (lead == indent and not (_OL.match(nxt) or _UL.match(nxt))):
                    if lead == indent and para == [] and not (_OL.match(nxt) or _UL.match(nxt)):
                        # a lazy continuation line of the last item
                        j += 1
                        continue
                    break
                j += 1
            block = [x for x in lines[i:j]]
            out.append(_list(block))
            i = j
            continue
        para.append(line)
        i += 1
    flush()
    return "\n".join(out)


def markdown_to_html(text: str, shift: int = 0) -> str:
    """Render Markdown ``text`` (the subset described in the module docstring) as safe HTML.

    ``shift`` lowers every heading level by that many steps (``#`` becomes ``<h2>`` with
    ``shift=1``), so a document can sit under the page's own title.

    >>> markdown_to_html("# Title\\n\\nSome `code` and **bold** <script>x</script>.", shift=1)
    '<h2 id="title">Title</h2>\\n<p>Some <code>code</code> and <strong>bold</strong> &lt;script&gt;x&lt;/script&gt;.</p>'
    >>> markdown_to_html("[x](javascript:alert%281%29) [y](https://example.org)")
    '<p>x <a href="https://example.org">y</a></p>'
    """
    body = _blocks(text.replace("\r\n", "\n").split("\n"))
    if shift:
        body = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}", body)
    return body


# -- BibTeX --------------------------------------------------------------------------------------
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def bibtex_escape(text) -> str:
    """``text`` made safe inside a braced BibTeX field: braces balanced, TeX specials escaped,
    control characters and line breaks turned into spaces.

    >>> bibtex_escape("A & B {x} 50% \\\\ #1_a~^$")
    'A \\\\& B \\\\{x\\\\} 50\\\\% \\\\textbackslash{} \\\\#1\\\\_a\\\\~{}\\\\^{}\\\\$'
    """
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text))
    return "".join(_BIB_SPECIAL.get(c, c) for c in text).strip()


def bibtex_key(*parts) -> str:
    """A citation key from ``parts``: ASCII letters, digits and ``-``, joined by ``:``.

    >>> bibtex_key("Demo Lab A", "ResNet 50", 2026)
    'demo-lab-a:resnet-50:2026'
    """
    out = []
    for p in parts:
        s = slug(p)
        if s:
            out.append(s)
    return ":".join(out) or "entry"


def _record(kind: str, key: str, fields: list[tuple[str, str]]) -> str:
    lines = [f"@{kind}{{{key},"]
    body = [f"  {name} = {{{value}}}" for name, value in fields if value]
    lines.append(",\n".join(body))
    lines.append("}")
    return "\n".join(lines) + "\n"


def task_bibtex(task: dict) -> str:
    """The dataset citation of a task (from its dataset block) as a BibTeX ``@misc`` record."""
    ds = task["dataset"]
    fields = [
        ("title", bibtex_escape(ds["name"])),
        ("note", bibtex_escape(ds["citation"])),
        ("doi", bibtex_escape(ds["doi"] or "")),
        ("url", bibtex_escape(ds["url"] or "")),
    ]
    return _record("misc", bibtex_key(ds["id"], "dataset"), fields)


def entry_bibtex(task: dict, e: dict) -> str:
    """A leaderboard entry (from its ``submission.toml``) as a BibTeX ``@misc`` record."""
    year = (e.get("date") or "")[:4]
    authors = " and ".join(bibtex_escape(a) for a in e["authors"] if str(a).strip())
    if not authors:
        authors = "{" + bibtex_escape(e["team"]) + "}"  # a team name is a corporate author
    what = e["model"] or e["team"]
    title = f"{{{bibtex_escape(what)}}}: {bibtex_escape(task['title'])} leaderboard entry of {bibtex_escape(e['team'])}"
    link = next((l["url"] for l in e["links"]), "")
    note = f"Task {bibtex_escape(task['id'])} v{bibtex_escape(task['version'])}; predictions sha256 {e['submission']['sha256']}"
    if e.get("synthetic"):
        note += "; synthetic demonstration entry"
    fields = [
        ("author", authors),
        ("title", title),
        ("year", bibtex_escape(year)),
        ("url", bibtex_escape(link)),
        ("note", note),
    ]
    return _record("misc", bibtex_key(e["team"], e["model"], year), fields)
