"""Render the static leaderboard site from scored task boards.

``build_site(reg, boards, out)`` writes::

    out/index.html                   every task: dataset, metric, direction, leader, entries
    out/submit.html                  "How to submit", rendered from docs/ci.md (when present)
    out/leaderboard.json             everything the pages show (one canonical JSON document)
    out/static/site.css, sort.js     styles (light and dark, cards on phones), the table sorter
    out/static/table.js              column chooser, search and filters, copy buttons
    out/<task>/index.html            the task's table, subgroups, history, forest plot, rank
                                     plot, significance map, dataset BibTeX
    out/<task>/<task>.csv            the task's table as CSV
    out/<task>/<entry>.html          one page per submission

Pages are rendered by jinja2 with autoescaping on; every string that comes from a
``submission.toml`` is escaped, and only ``http``/``https`` links are kept. Figures are SVG
written as text (:mod:`.figures`), in a wide and a narrow drawing. The output depends only on
the inputs (no clock, sorted iteration, fixed number formatting), so a rebuild of unchanged
inputs gives the same bytes. Files that a previous build wrote and this one did not (a removed
submission) are deleted; the build keeps a manifest of what it wrote
(``out/.benchmark-site-manifest``) and never deletes a file it did not write.

Everything shown comes through the disclosure stage (:mod:`benchmark.data.disclosure`): the
boards hold only what may be published, ``leaderboard.json`` says per task which part of the
labels was scored and what was withheld, and the pages say so where a figure is missing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
from typing import Iterable, Optional

import jinja2

from ... import __version__
from ...core.canonical import canonical_json
from ...core.fileio import atomic_write_text
from ...core.fingerprint import source_fingerprint
from ...core.formatting import format_value
from ...data.tasks import output_root
from . import views
from .data import site_data
from .export import csv_cell, task_csv
from .figures import entry_figures_of, task_figures_of
from .svg import FigureCache
from .markup import safe_url
from .views import entry_label

HERE = Path(__file__).resolve().parent
STATIC_FILES = ("site.css", "sort.js", "table.js")
SITE_JSON = "leaderboard.json"

__all__ = ["build_site", "site_data", "safe_url", "csv_cell", "SITE_JSON", "MANIFEST"]


def _fmt(v, digits: int = 4) -> str:
    return "" if v is None else format_value(v, digits)


def _env(cache_dir=None) -> jinja2.Environment:
    """The template environment; compiled templates are kept under ``cache_dir/jinja``."""
    bytecode = None
    if cache_dir is not None:
        folder = Path(cache_dir) / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        bytecode = jinja2.FileSystemBytecodeCache(str(folder))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        bytecode_cache=bytecode,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["pct"] = lambda v: "" if v is None else f"{100 * v:.1f}%"
    env.filters["sortnum"] = lambda v: "" if v is None else repr(float(v))
    env.filters["label"] = entry_label
    env.filters["safe_url"] = safe_url
    return env


def _subgroup_table(task: dict, e: dict) -> list[dict]:
    """Rows ``metric x subgroup value`` for the metrics declared with subgroups."""
    out = []
    for m in task["metrics"]:
        if m["subgroup"] is None:
            continue
        base = m["name"].split("[")[0]
        mv = e["metrics"][m["name"]]
        out.append({**mv, "metric": base, "column": m["subgroup"]["column"], "group": m["subgroup"]["value"]})
    return out


MANIFEST = ".benchmark-site-manifest"


class _Writer:
    """Writes files under ``out``, skipping unchanged ones, and remembers what it wrote.

    The list of written files is kept in ``out/.benchmark-site-manifest`` (one relative path
    a line). A rebuild deletes only the files the previous manifest lists and this build did
    not write (a removed submission's page): a file the builder never wrote is never touched,
    so ``--out .`` or a folder holding other files loses nothing.
    """

    def __init__(self, out: Path):
        self.out = out
        self.written: set[str] = set()
        self.digests: dict[str, str] = {}  # sha256 of every file this build wrote or kept

    def text(self, rel: str, text: str) -> Path:
        path = self.out / rel
        self.written.add(rel)
        data = text.encode("utf-8")
        self.digests[rel] = hashlib.sha256(data).hexdigest()
        if not (path.is_file() and not path.is_symlink() and path.read_bytes() == data):
            if path.is_symlink():
                path.unlink()
            atomic_write_text(path, text)
            os.chmod(path, 0o644)
        return path

    def keep(self, rel: str, digest: str) -> Path:
        """Count ``rel`` (whose bytes have the sha256 ``digest``) as written by this build
        without rewriting it."""
        self.written.add(rel)
        self.digests[rel] = digest
        return self.out / rel

    def previous(self) -> list[str]:
        """The files the previous build listed in its manifest (safe relative paths only)."""
        try:
            lines = (self.out / MANIFEST).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return []
        out = []
        for line in lines:
            parts = line.split("/")
            if line and not line.startswith("/") and "\\" not in line and all(x not in ("", ".", "..") for x in parts):
                out.append(line)
        return out

    def finish(self) -> None:
        """Delete what the previous build wrote and this one did not; write the manifest."""
        for rel in self.previous():
            if rel in self.written:
                continue
            path = self.out / rel
            if path.is_file() or path.is_symlink():
                path.unlink()
            parent = path.parent
            while parent != self.out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        self.text(MANIFEST, "".join(f"{rel}\n" for rel in sorted(self.written | {MANIFEST})))


SITE_JSON_MEMO = "site-json.memo"
SITE_MEMO = "site.memo"


def _data_key(data: dict) -> Optional[str]:
    """sha256 of ``data``'s compact JSON (the standard library's C encoder); None when it is
    not JSON."""
    try:
        compact = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(compact.encode("utf-8")).hexdigest()


def _write_site_json(w: _Writer, data: dict, cache_dir, key: Optional[str]) -> None:
    """Write ``leaderboard.json`` unless it already holds the canonical text of ``data``.

    The canonical text (indented, sorted keys) is slow to produce for a large site. A memo in
    ``cache_dir`` records ``key`` (:func:`_data_key` of ``data``) next to the sha256 of the
    canonical text last written for it; when both match (same data, and the file on disk is
    that text) nothing is serialised again.
    """
    memo = Path(cache_dir) / SITE_JSON_MEMO if cache_dir is not None else None
    path = w.out / SITE_JSON
    if key is not None and memo is not None and memo.is_file() and path.is_file():
        recorded = memo.read_text(encoding="utf-8").split()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if recorded[:1] == [key] and recorded[1:2] == [digest]:
            w.keep(SITE_JSON, digest)
            return
    text = canonical_json(data)
    w.text(SITE_JSON, text)
    if key is not None and memo is not None:
        atomic_write_text(memo, f"{key} {hashlib.sha256(text.encode('utf-8')).hexdigest()}\n")


def _site_key(data_key: Optional[str], guide, root) -> Optional[str]:
    """What every page depends on: the site data, the submission guide as rendered, and the
    site's own inputs (:func:`site_inputs`: version, code, templates, static files, the template
    engine's version). None when the data has no key."""
    if data_key is None:
        return None
    h = hashlib.sha256()
    for part in (data_key, json.dumps(guide, sort_keys=True, default=str), site_inputs(root)):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def _unchanged(out: Path, memo: Optional[Path], key: Optional[str]) -> Optional[dict[str, str]]:
    """The files of the previous build (path: sha256) when it was made from the same ``key``
    and every one of them is still on disk with the bytes it wrote; else None."""
    if key is None or memo is None:
        return None
    try:
        lines = memo.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0] != key:
        return None
    files = {}
    for line in lines[1:]:
        digest, _, rel = line.partition(" ")
        path = out / rel
        if not rel or ".." in rel.split("/") or rel.startswith("/") or path.is_symlink() or not path.is_file():
            return None
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return None
        files[rel] = digest
    return files or None


def _record(memo: Optional[Path], key: Optional[str], w: "_Writer") -> None:
    """Write the site memo: ``key``, then the sha256 of every file the build wrote or kept."""
    if key is None or memo is None:
        return
    lines = [key] + [f"{w.digests[rel]} {rel}" for rel in sorted(w.written) if rel != MANIFEST]
    atomic_write_text(memo, "\n".join(lines) + "\n")


def site_inputs(root) -> str:
    """sha256 of what the pages depend on besides the boards: the version, the package's code,
    templates and static files, the template engine's version, and the two project files the
    site reads (the submission guide ``docs/ci.md`` and ``pyproject.toml``'s repository URL)."""
    h = hashlib.sha256()
    engine = f"jinja2 {jinja2.__version__}, markupsafe {importlib.metadata.version('markupsafe')}"
    for part in (__version__, source_fingerprint(), engine):
        h.update(part.encode("utf-8") + b"\0")
    for folder in ("templates", "static"):
        for f in sorted((HERE / folder).rglob("*")):
            if f.is_file():
                h.update(f.relative_to(HERE).as_posix().encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
    for rel in (views.GUIDE_SOURCE, "pyproject.toml"):
        path = None if root is None else Path(root) / rel
        h.update(rel.encode("utf-8") + b"\0")
        h.update(path.read_bytes() if path is not None and path.is_file() else b"(none)")
        h.update(b"\0")
    return h.hexdigest()


def keep_site(out, cache_dir, key: Optional[str]) -> Optional[Path]:
    """Keep the site in ``out`` as the build recorded under site key ``key`` (in ``cache_dir``)
    left it, when every file it wrote is still there with the same bytes; its ``index.html``,
    else None (nothing touched)."""
    out = Path(out)
    memo = Path(cache_dir) / SITE_MEMO if cache_dir is not None else None
    kept = _unchanged(out, memo, key)
    if kept is None:
        return None
    w = _Writer(out)
    for rel, digest in kept.items():
        w.keep(rel, digest)
    w.finish()
    return out / "index.html"


def build_site(reg, boards: Iterable, out, cache_dir=None, workers: Optional[int] = None) -> Path:
    """Render the whole site into ``out``; returns the path of ``index.html``.

    ``cache_dir`` holds compiled templates, drawn figures, the memo of ``leaderboard.json`` and
    the memo of the whole site (default: the boards' result cache, else
    ``<root>/.cache/results``); ``False`` uses none. The site memo records what every page
    depends on (:func:`_site_key`) and the sha256 of every file written: when neither the key
    nor any of those files changed, an unchanged rebuild keeps them without rendering.
    ``workers`` is accepted for compatibility and unused: figures are written as SVG text in
    this process (a few milliseconds each).
    """
    return render_site(reg, boards, out, cache_dir)[0]


def render_site(reg, boards: Iterable, out, cache_dir=None) -> tuple[Path, Optional[str]]:
    """:func:`build_site`, and the site key it recorded (None when the data has none)."""
    boards = list(boards)
    out = Path(out)
    if cache_dir is None:
        known = [b.cache_dir for b in boards if getattr(b, "cache_dir", None) is not None]
        cache_dir = known[0] if known else output_root(reg.root) / ".cache" / "results"
    elif cache_dir is False:
        cache_dir = None
    out.mkdir(parents=True, exist_ok=True)
    data = site_data(reg, boards)
    w = _Writer(out)
    data_key = _data_key(data)
    guide = views.submit_guide(getattr(reg, "root", None))
    # Nothing that a page depends on changed and every page is still as written: keep them.
    key = _site_key(data_key, guide, getattr(reg, "root", None))
    memo = Path(cache_dir) / SITE_MEMO if cache_dir is not None else None
    kept = keep_site(out, cache_dir, key)
    if kept is not None:
        return kept, key

    env = _env(cache_dir)
    figure_cache = FigureCache(cache_dir)
    common = {"site": data, "banner": data["banner"], "version": __version__}

    _write_site_json(w, data, cache_dir, data_key)
    for name in STATIC_FILES:
        w.text(f"static/{name}", (HERE / "static" / name).read_text(encoding="utf-8"))

    common["submit_page"] = guide is not None
    if guide is not None:
        w.text("submit.html", env.get_template("submit.html.j2").render(
            root="", page_title="How to submit", guide=guide, **common))
    index = w.text("index.html", env.get_template("index.html.j2").render(root="", page_title="Leaderboards", **common))
    task_tpl = env.get_template("task.html.j2")
    entry_tpl = env.get_template("entry.html.j2")
    for task in data["tasks"]:
        tid = task["id"]
        w.text(f"{tid}/{task['csv']}", task_csv(task))
        figs = task_figures_of(task, figure_cache)
        w.text(
            f"{tid}/index.html",
            task_tpl.render(root="../", page_title=task["title"], task=task, figs=figs,
                            history=views.history_chart(task), subgroup_tables=views.subgroup_tables(task), **common),
        )
        for e in task["entries"]:
            w.text(
                f"{tid}/{e['page']}",
                entry_tpl.render(
                    root="../", page_title=f"{entry_label(e)} \u2013 {task['title']}", task=task, e=e,
                    figs=entry_figures_of(task, e, figure_cache), subgroups=_subgroup_table(task, e), **common,
                ),
            )
    w.finish()
    _record(memo, key, w)
    return index, key
