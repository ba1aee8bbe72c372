"""Measure how the leaderboard pages fit the screen, in Chromium (Playwright), from file://.

For every page type (the index, every task page, the first submission page of every task and
the "How to submit" page when present), at 390 px and 1440 px wide, light and dark, prints:

* ``overflow``: ``document.documentElement.scrollWidth - innerWidth`` (page-level sideways
  scrolling, 0 when the page fits);
* ``widest``: the widest element on the page (its border box, wherever it is, also inside a
  scrolling region), as ``tag#id.class``;
* ``offscreen_headers`` (task pages): column headers of the ranked table that start out of
  sight (to the right of the viewport or of the table's scrolling frame);
* ``min_figure_text``: the smallest rendered font size (px) of any text in a figure;
* ``escaping``: elements whose box reaches beyond the viewport and are not clipped by a
  scrolling ancestor that itself fits (elements moved off screen on purpose, such as the skip
  link, are not counted).

Usage: ``python benchmarks/site_layout.py [SITE_DIR]`` (default ``leaderboard/``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"

MEASURE = """() => {
  const vw = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  function clipped(el) {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') {
        const r = p.getBoundingClientRect();
        if (r.right <= vw + 1 && r.left >= -1) return true;
      }
    }
    return false;
  }
  let widest = null, wmax = 0;
  const escaping = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.width > wmax) { wmax = r.width; widest = name(el); }
    if (r.right <= 0) continue;  // moved off screen on purpose (the skip link until focused)
    if ((r.right > vw + 1 || r.left < -1) && !clipped(el)) escaping.push(name(el) + ' ' + Math.round(r.width));
  }
  let small = null;
  for (const t of document.querySelectorAll('figure svg text')) {
    const m = t.getScreenCTM();
    if (!m) continue;
    const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    if (small === null || px < small) small = px;
  }
  return {overflow: document.documentElement.scrollWidth - vw, widest: widest, width: Math.round(wmax),
          escaping: escaping.slice(0, 5), n_escaping: escaping.length,
          min_figure_text: small === null ? null : Math.round(small * 10) / 10};
}"""


OFFSCREEN_HEADERS = """() => {
  const table = document.querySelector('#board');
  if (!table) return null;
  const frame = table.closest('.scroll') || table;
  const right = Math.min(frame.getBoundingClientRect().right, window.innerWidth) + 1;
  return Array.from(table.querySelectorAll('thead th'))
    .filter(th => th.getBoundingClientRect().width > 0 && th.getBoundingClientRect().right > right)
    .map(th => th.textContent.replace(/\\s+/g, ' ').trim().slice(0, 24));
}"""


def pages(site: Path) -> dict:
    data = json.loads((site / "leaderboard.json").read_text())
    out = {"index": site / "index.html"}
    if (site / "submit.html").is_file():
        out["submit"] = site / "submit.html"
    for t in data["tasks"]:
        out[f"task {t['id']}"] = site / t["id"] / "index.html"
        if t["entries"]:
            out[f"entry {t['id']}"] = site / t["id"] / t["entries"][0]["page"]
    return out


def main(site: Path) -> None:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
        for width in (390, 1440):
            for scheme in ("light", "dark"):
                ctx = b.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
                page = ctx.new_page()
                for label, path in pages(site).items():
                    page.goto(path.resolve().as_uri(), wait_until="load")
                    m = page.evaluate(MEASURE)
                    off = page.evaluate(OFFSCREEN_HEADERS)
                    print(f"{width:5d} {scheme:5s} {label:24s} overflow={m['overflow']:5d} "
                          f"widest={m['width']:5d} {m['widest']}  escaping={m['n_escaping']} {m['escaping'][:2]} "
                          f"min_figure_text={m['min_figure_text']}"
                          + ("" if off is None else f" offscreen_headers={off}"))
                ctx.close()
        b.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "leaderboard")
