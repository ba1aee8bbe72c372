"""The leaderboard in a real browser (Playwright + Debian's chromium), opened from file://.

Checks: sorting by mouse and keyboard, search and filters, the column chooser (keyboard, state
in the address), no request leaving file://, no console errors, no axe-core violations (light
and dark colour schemes), no script from submission.toml running, every page type fitting 390 px
and 1440 px wide, and screenshots of every page type at both widths and in both schemes (in a
temporary folder; the path is printed with ``pytest -s``).

The pages are those of the committed leaderboard/ (test_site.py's
``test_committed_leaderboard_is_up_to_date`` proves it equals a fresh build); only the
injection test builds a site of its own, from submissions it writes.

``scripts/test-deps.sh`` installs chromium, Playwright and axe-playwright-python; under
``CI=true`` a missing browser is an error, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from benchmark.leaderboard.board import score_all_tasks
from benchmark.leaderboard.site.render import build_site
from benchmark.data.tasks import load_registry

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

if sync_playwright is None or not Path(CHROMIUM).is_file():
    # Never skipped: `make test` installs both (scripts/test-deps.sh).
    raise RuntimeError(
        "browser tests need Playwright and /usr/bin/chromium: run `make test` "
        "(or scripts/test-deps.sh .venv/bin/python) to install them"
    )

AXE_JS = None
try:
    import axe_playwright_python

    AXE_JS = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
except (ImportError, OSError):  # pragma: no cover
    if IN_CI:
        raise


@pytest.fixture(scope="module")
def site() -> Path:
    """The committed demo site of every task (opened read-only from file://)."""
    return REPO / "leaderboard"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Guard:
    """A page that refuses every request outside file:// and records console errors."""

    def __init__(self, browser, width=1280, height=800, scheme="light"):
        self.context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path):
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        return self.page

    def close(self):
        self.context.close()


def axe_violations(page) -> list:
    page.evaluate(AXE_JS)
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'], preload: false})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def pages_to_check(site: Path) -> list[Path]:
    data = json.loads((site / "leaderboard.json").read_text())
    out = [site / "index.html", site / "submit.html"]
    for t in data["tasks"]:
        out.append(site / t["id"] / "index.html")
        if t["entries"]:
            out.append(site / t["id"] / t["entries"][0]["page"])
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_network_no_console_errors_no_axe_violations(site, browser, scheme):
    g = Guard(browser, scheme=scheme)
    try:
        for path in pages_to_check(site):
            page = g.open(path)
            assert g.errors == [], f"{path.relative_to(site)}: {g.errors}"
            violations = axe_violations(page)
            assert violations == [], f"{path.relative_to(site)} ({scheme}): {violations}"
        assert g.blocked == [], g.blocked
        assert g.errors == [], g.errors
    finally:
        g.close()


def column_texts(page, col: int) -> list[str]:
    return page.eval_on_selector_all(
        "#board tbody tr", f"rows => rows.map(r => r.children[{col}].getAttribute('data-sort'))"
    )


def test_sort_by_click_and_keyboard(site, browser):
    g = Guard(browser)
    try:
        page = g.open(site / "mrnet" / "index.html")
        headers = page.locator("#board thead th")
        names = [h.strip() for h in headers.all_inner_texts()]
        team_col = next(i for i, n in enumerate(names) if n.startswith("Team"))
        metric_col = next(i for i, n in enumerate(names) if "Mean AUC" in n or "mean" in n.lower())
        date_col = next(i for i, n in enumerate(names) if n.startswith("Date"))

        # mouse: team column ascending, then descending
        headers.nth(team_col).locator("button").click()
        teams = [t.lower() for t in column_texts(page, team_col)]
        assert teams == sorted(teams)
        assert headers.nth(team_col).get_attribute("aria-sort") == "ascending"
        assert headers.nth(0).get_attribute("aria-sort") is None
        headers.nth(team_col).locator("button").click()
        assert [t.lower() for t in column_texts(page, team_col)] == sorted(teams, reverse=True)
        assert headers.nth(team_col).get_attribute("aria-sort") == "descending"

        # keyboard: Tab-reachable button, Enter sorts best first (higher is better), Space flips
        button = headers.nth(metric_col).locator("button")
        button.focus()
        assert page.evaluate("document.activeElement.tagName") == "BUTTON"
        page.keyboard.press("Enter")
        vals = column_texts(page, metric_col)
        nums = [float(v) for v in vals if v]
        assert nums == sorted(nums, reverse=True) and len(nums) >= 2
        assert vals[len(nums):] == [""] * (len(vals) - len(nums))  # empty cells last
        assert headers.nth(metric_col).get_attribute("aria-sort") == "descending"
        page.keyboard.press("Space")
        vals = column_texts(page, metric_col)
        nums = [float(v) for v in vals if v]
        assert nums == sorted(nums)
        assert headers.nth(metric_col).get_attribute("aria-sort") == "ascending"

        # reach a header button with Tab alone
        page.locator("body").focus()
        seen = set()
        for _ in range(60):
            page.keyboard.press("Tab")
            seen.add(page.evaluate("document.activeElement.closest('th') ? document.activeElement.closest('th').cellIndex : -1"))
            if date_col in seen:
                break
        assert date_col in seen
        page.keyboard.press("Enter")
        dates = [d for d in column_texts(page, date_col) if d]
        assert dates == sorted(dates)
        assert g.errors == [] and g.blocked == []
    finally:
        g.close()


def _layout_module():
    """benchmarks/site_layout.py: the same measurement the recorded before/after numbers use."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("site_layout", REPO / "benchmarks" / "site_layout.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


LAYOUT = _layout_module()
WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}

KEY_CELLS = """() => {
  const row = document.querySelector('#board tbody tr[data-kind=entry]:not([hidden])');
  if (!row) return {cells: {}, vw: window.innerWidth};  // a task without entries yet
  const heads = Array.from(document.querySelectorAll('#board thead th'));
  const idx = c => heads.findIndex(h => h.dataset.col === c);
  const prim = heads.findIndex(h => h.classList.contains('primary'));
  const cells = {rank: row.cells[idx('rank')], entry: row.cells[idx('entry')], primary: row.cells[prim],
                 diff: row.cells[idx('diff')], pbest: row.cells[idx('pbest')]};
  const out = {};
  for (const [k, c] of Object.entries(cells)) {
    const r = c.getBoundingClientRect();
    out[k] = {left: r.left, right: r.right, width: r.width, hidden: c.hidden || r.width === 0};
  }
  return {cells: out, vw: window.innerWidth};
}"""

FIGURE_TEXT = """() => Array.from(document.querySelectorAll('figure svg text')).filter(t => t.getClientRects().length).map(t => {
  const m = t.getScreenCTM();
  const size = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
  return [t.closest('svg').getAttribute('class'), t.textContent.trim().slice(0, 30), size];
})"""


def test_every_page_type_fits_both_widths_and_schemes(site, browser, tmp_path, request):
    """No page scrolls sideways, no element leaves the viewport unless it sits in a frame that
    scrolls (a wide figure on a phone), the key columns are on screen, task figures keep their
    text at 10 px or more; screenshots of every page (every task's, one entry's)."""
    asked = request.config.getoption("--screenshots", default=None)
    shots = Path(asked) if asked else tmp_path / "screenshots"  # --screenshots DIR keeps them
    shots.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {shots}")
    data = json.loads((site / "leaderboard.json").read_text())
    targets = {"index": site / "index.html", "submit": site / "submit.html"}
    targets.update({f"task-{t['id']}": site / t["id"] / "index.html" for t in data["tasks"]})
    with_entries = next(t for t in data["tasks"] if t["entries"])
    targets[f"entry-{with_entries['id']}"] = site / with_entries["id"] / with_entries["entries"][0]["page"]
    # every figure kind of a submission page: ROC with its band and calibration (a public split),
    # the comparison with the reader panel (MRMC)
    for t in data["tasks"]:
        e = next(iter(t["entries"]), None)
        if e and (any("fpr" in g for g in e["roc"]) or e["mrmc"]):
            targets[f"entry-{t['id']}"] = site / t["id"] / e["page"]
    for label, (w, h) in WIDTHS.items():
        for scheme in ("light", "dark"):
            g = Guard(browser, w, h, scheme)
            try:
                for name, path in targets.items():
                    page = g.open(path)
                    m = page.evaluate(LAYOUT.MEASURE)
                    assert m["overflow"] <= 1, f"{name} at {label}: {m['overflow']}px horizontal overflow"
                    assert m["n_escaping"] == 0, f"{name} at {label}: {m['escaping']}"
                    if name.startswith("task-"):
                        k = page.evaluate(KEY_CELLS)
                        for col, c in k["cells"].items():
                            assert not c["hidden"], (name, label, col)
                            assert c["left"] >= -1 and c["right"] <= k["vw"] + 1, (name, label, col, c)
                    if name.startswith(("task-", "entry-")):
                        small = [t for t in page.evaluate(FIGURE_TEXT) if t[2] < 10 - 1e-6]
                        assert not small, (name, label, small[:5])
                    if label == "phone":  # the desktop width is checked by the axe test above
                        violations = axe_violations(page)
                        assert violations == [], f"{name} ({label}, {scheme}): {violations}"
                    shot = shots / f"{name}-{label}-{scheme}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    assert shot.stat().st_size > 5000
                assert g.errors == [] and g.blocked == []
            finally:
                g.close()


def visible_entries(page) -> list[str]:
    return page.eval_on_selector_all(
        "#board tbody tr[data-kind=entry]", "rows => rows.filter(r => !r.hidden).map(r => r.dataset.team + ' / ' + r.dataset.model)"
    )


def test_search_filters_no_match_and_sorting_by_keyboard(site, browser):
    data = json.loads((site / "leaderboard.json").read_text())
    task = next(t for t in data["tasks"] if t["id"] == "mrnet")
    g = Guard(browser)
    try:
        page = g.open(site / "mrnet" / "index.html")
        everyone = visible_entries(page)
        assert len(everyone) == task["n_entries"]
        # search by typing (keyboard only): a team name matches its rows only
        target = task["entries"][-1]
        page.locator("#f-q").focus()
        page.keyboard.type(target["team"][-6:].upper())  # case-insensitive, part of the name
        want = [f"{e['team']} / {e['model']}" for e in task["entries"]
                if target["team"][-6:].lower() in (e["team"] + " / " + e["model"]).lower()]
        assert visible_entries(page) == want
        assert page.locator("#board-status").inner_text().startswith(f"Showing {len(want)} of {len(everyone)}")
        assert "q=" in page.evaluate("location.hash")
        # sorting keeps working on the filtered rows, and keeps the filter
        page.locator("#board thead th[data-col=entry] button").focus()
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        assert visible_entries(page) == sorted(want, key=str.lower, reverse=True)
        # no match
        page.locator("#f-q").fill("no team is called this")
        assert visible_entries(page) == []
        assert page.locator("#board-nomatch").is_visible()
        assert axe_violations(page) == []
        page.locator("#board-nomatch button").focus()
        page.keyboard.press("Enter")
        assert len(visible_entries(page)) == len(everyone) and not page.locator("#board-nomatch").is_visible()
        # date range, external data, synthetic
        dates = sorted(e["date"] for e in task["entries"])
        page.locator("#f-from").fill(dates[1])
        page.locator("#f-to").fill(dates[-2])
        want = sorted(f"{e['team']} / {e['model']}" for e in task["entries"] if dates[1] <= e["date"] <= dates[-2])
        assert sorted(visible_entries(page)) == want
        page.locator("#f-from").fill("")
        page.locator("#f-to").fill("")
        page.locator("#f-ext").select_option("yes")
        assert sorted(visible_entries(page)) == sorted(f"{e['team']} / {e['model']}" for e in task["entries"] if e["external_data"])
        page.locator("#f-ext").select_option("")
        page.locator("#f-syn").select_option("no")
        assert sorted(visible_entries(page)) == sorted(f"{e['team']} / {e['model']}" for e in task["entries"] if not e["synthetic"])
        # the address restores the view
        page.locator("#f-syn").select_option("")
        page.locator("#f-q").fill(target["model"])
        url = page.evaluate("location.href")
        assert "#" in url
        page2 = g.context.new_page()
        page2.goto(url, wait_until="load")
        assert page2.locator("#f-q").input_value() == target["model"]
        assert len(visible_entries(page2)) >= 1 and len(visible_entries(page2)) < len(everyone)
        page2.close()
        assert g.errors == [] and g.blocked == []
    finally:
        g.close()


def test_column_chooser_by_keyboard_and_in_the_address(site, browser):
    g = Guard(browser, 1440, 900, "dark")
    try:
        page = g.open(site / "rsna-cspine" / "index.html")
        optional = page.eval_on_selector_all("#board thead th[data-optional]", "hs => hs.map(h => [h.dataset.col, h.hidden])")
        assert dict(optional)["date"] is False  # shown by default
        assert all(hidden for col, hidden in optional if col != "date")
        # open the chooser and tick "Links" with the keyboard only
        page.locator("#board-chooser summary").focus()
        page.keyboard.press("Enter")
        box = page.locator("#board-chooser input[value=links]")
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.value") == "links":
                break
        assert page.evaluate("document.activeElement.value") == "links"
        page.keyboard.press("Space")
        assert box.is_checked()
        assert page.locator("#board thead th[data-col=links]").is_visible()
        assert "cols=date,links" in page.evaluate("decodeURIComponent(location.hash)")
        assert axe_violations(page) == []
        # a linked view: only the columns in the address
        page.goto((site / "rsna-cspine" / "index.html").resolve().as_uri() + "#cols=auc/C1", wait_until="load")
        assert page.locator("#board thead th[data-col='auc/C1']").is_visible()
        assert not page.locator("#board thead th[data-col=date]").is_visible()
        first_row = page.locator("#board tbody tr[data-kind=entry]").first
        assert first_row.locator("td").nth(5).is_visible()  # the chosen metric's cell
        m = page.evaluate(LAYOUT.MEASURE)
        assert m["overflow"] <= 1 and m["n_escaping"] == 0
        assert g.errors == [] and g.blocked == []
    finally:
        g.close()


def test_copy_bibtex_button(site, browser):
    g = Guard(browser)
    try:
        g.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = g.open(site / "mrnet" / "index.html")
        button = page.locator("button.copy")
        assert button.is_visible()
        button.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('button.copy').textContent !== 'Copy BibTeX'")
        assert page.locator("button.copy").inner_text() in ("Copied", "Select the text and copy it")
        assert g.errors == [] and g.blocked == []
    finally:
        g.close()


XSS_TOML = r'''
synthetic = true
task = "scopemri-bankart"
split = "test"
team = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">"
model = "\"><svg onload=window.__xss=3>"
authors = ["<script>window.__xss = 8</script>"]
description = "<iframe src=\"javascript:window.__xss = 4\"></iframe>"
date = 2026-01-30
external_data = false
external_data_description = ""
links = [{ title = "<b onmouseover=window.__xss=5>x</b>", url = "https://example.org/?q=\"><script>window.__xss=7</script>" }]
format = "canonical"
'''

XSS_JS_LINK_TOML = XSS_TOML.replace(
    'links = [', 'links = [{ title = "click", url = "javascript:window.__xss=6" }, '
).replace('model = "', 'model = "js-link ')


def test_xss_payloads_do_not_run(tmp_path, browser):
    root = tmp_path / "root"
    shutil.copytree(REPO / "tasks" / "scopemri-bankart", root / "tasks" / "scopemri-bankart")
    shutil.copytree(REPO / "tasks" / "_datasets" / "scopemri", root / "tasks" / "_datasets" / "scopemri")
    demo = sorted((REPO / "submissions" / "scopemri-bankart").iterdir())[-1]
    for name, toml in {"xss__payload": XSS_TOML, "xss__js-link": XSS_JS_LINK_TOML}.items():
        folder = root / "submissions" / "scopemri-bankart" / name
        folder.mkdir(parents=True)
        shutil.copyfile(demo / "predictions.csv", folder / "predictions.csv")
        (folder / "submission.toml").write_text(XSS_TOML if name == "xss__payload" else toml)
    reg = load_registry(root)
    boards = score_all_tasks(reg, replicates=200, cache_dir=tmp_path / "cache")
    out = tmp_path / "site"
    build_site(reg, boards, out, cache_dir=tmp_path / "cache")
    assert "javascript:" not in (out / "leaderboard.json").read_text().replace("javascript:window.__xss = 4", "")
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 3
    g = Guard(browser)
    try:
        for path in pages:
            page = g.open(path)
            # fire the events an injected handler would wait for
            page.eval_on_selector_all(
                "body *",
                "els => els.forEach(e => ['mouseover', 'mouseenter', 'focus', 'load', 'error']"
                ".forEach(t => e.dispatchEvent(new Event(t, {bubbles: true}))))",
            )
            assert page.evaluate("window.__xss") is None, path
            hrefs = page.eval_on_selector_all("[href], [src]", "els => els.map(e => e.getAttribute('href') || e.getAttribute('src'))")
            assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")], path
            assert page.locator("script:not([src])").count() == 0, path
            assert page.locator("iframe, img[onerror], svg[onload], b[onmouseover]").count() == 0, path
        # the payload is shown as text
        page = g.open(out / "scopemri-bankart" / "index.html")
        assert "<script>window.__xss = 1</script>" in page.locator("#board").inner_text()
        assert g.dialogs == [] and g.blocked == []
    finally:
        g.close()
