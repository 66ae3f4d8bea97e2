"""Open every page of the built book in headless Chromium and check what a reader sees.

Usage (after `bash scripts/book.sh`, from the repository root)::

    python scripts/check_rendered_book.py                # _build/html, every page
    python scripts/check_rendered_book.py PATH [--page book/metrics.html ...] [--shots DIR]

A page fails when, at a 1280 px wide window:

- it logs a JavaScript error (an uncaught exception or a console error) from the book's
  own files (requests to other hosts are blocked and not counted: the book must work
  offline);
- math is left unrendered (an element Sphinx marked as math holds no MathJax output, or
  MathJax reports a TeX error such as an undefined macro);
- a table, a printed output, a code block or a display equation is wider than the
  content column (content hidden behind a scroll bar counts as wider);
- an image fails to load;
- moving a static slider with the keyboard does not change the frame shown and the
  value label.

``--phone`` checks a 390 px wide window instead (a phone held upright): there code,
tables and printed outputs may scroll inside their own boxes, but the page itself must not
scroll sideways, and figures must shrink to the column.

Drives Debian's ``chromium`` (``$CHROMIUM``, default ``/usr/bin/chromium``) with
Playwright from PyPI (``pip install playwright``; no browser download). Prints one line
per problem and exits 1 if there is any; ``--shots DIR`` saves a screenshot per page.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1280, 900
PHONE = (390, 844)
SKIP = {"genindex.html", "search.html"}
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

# Runs in the page: every element whose content is wider than the content column.
_MEASURE = """() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const column = article.getBoundingClientRect();
  const kinds = {
    'table': 'table', 'output': 'div.cell_output pre, div.output pre',
    'code': 'div.cell_input pre, div.highlight pre',
    'equation': 'div.math, mjx-container[display="true"]',
    'figure': 'div.cell_output img, figure img',
  };
  const wide = [];
  for (const [kind, sel] of Object.entries(kinds)) {
    for (const el of article.querySelectorAll(sel)) {
      if (el.closest('.seglearn-slider .sgl-frames') && el.style.display === 'none') continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      // Clipped content: the element, or the scroll box around it, hides some of it.
      let box = el, hidden = 0;
      for (let i = 0; i < 3 && box && box !== article; i++, box = box.parentElement) {
        hidden = Math.max(hidden, box.scrollWidth - box.clientWidth);
      }
      const over = Math.max(r.right - column.right, hidden);
      if (over > 1) {
        const text = (el.innerText || el.getAttribute('alt') || '').trim().slice(0, 60);
        wide.push(`${kind} ${Math.round(over)} px too wide: ${JSON.stringify(text)}`);
      }
    }
  }
  return wide;
}"""

# Runs in the page (phone width): how far the page scrolls sideways, and wide figures.
_PHONE = """() => {
  const out = [];
  const page = document.documentElement.scrollWidth - window.innerWidth;
  if (page > 1) out.push(`the page scrolls sideways by ${page} px`);
  const article = document.querySelector('article.bd-article') || document.body;
  const right = article.getBoundingClientRect().right;
  for (const img of article.querySelectorAll('div.cell_output img, figure img')) {
    const r = img.getBoundingClientRect();
    const over = Math.round(r.right - right);
    if (r.width > 0 && over > 1) out.push(`figure ${over} px too wide`);
  }
  return out;
}"""

_UNRENDERED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('span.math, div.math')) {
    if (!el.querySelector('mjx-container')) bad.push(el.textContent.trim().slice(0, 60));
  }
  for (const el of document.querySelectorAll('mjx-merror, [data-mjx-error]')) {
    bad.push('TeX error: ' + (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 60));
  }
  return bad;
}"""

_BROKEN_IMAGES = """() => Array.from(document.images)
  .filter(img => img.offsetParent !== null || img.closest('.sgl-frames'))
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => (img.getAttribute('src') || '').slice(0, 80))"""

_SLIDER_STATE = """(slider) => {
  const frames = Array.from(slider.querySelectorAll('.sgl-frames img'));
  return {
    frame: frames.findIndex(img => img.style.display !== 'none'),
    labels: Array.from(slider.querySelectorAll('.sgl-value')).map(e => e.textContent),
  };
}"""


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log on stderr
        pass


def _check_sliders(page) -> list[str]:
    problems = []
    for s, slider in enumerate(page.query_selector_all(".seglearn-slider")):
        for r, rng in enumerate(slider.query_selector_all("input[type=range]")):
            before = slider.evaluate(_SLIDER_STATE)
            at_max = rng.evaluate("e => +e.value >= +e.max")
            rng.focus()
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
            after = slider.evaluate(_SLIDER_STATE)
            if after["frame"] < 0:
                problems.append(f"slider {s}, range {r}: no frame shown after a move")
            elif after["frame"] == before["frame"]:
                problems.append(f"slider {s}, range {r}: the frame did not change")
            if after["labels"] == before["labels"]:
                problems.append(f"slider {s}, range {r}: the value label did not change")
    return problems


def check_page(page, url: str, shots: Path | None = None, phone: bool = False) -> list[str]:
    """Every problem of one page, as text lines (empty: the page is fine)."""
    errors: list[str] = []
    host = url.split("/")[2]
    page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console error: {msg.text}")
            if msg.type == "error" and host in (msg.location or {}).get("url", host) else None)
    page.goto(url, wait_until="load")
    if page.url != url:  # a redirect page (the root index.html): check where it leads
        page.wait_for_load_state("load")
    page.evaluate("() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                  " || null")
    page.wait_for_timeout(100)
    problems = list(errors)
    problems += [f"unrendered math: {t!r}" for t in page.evaluate(_UNRENDERED)]
    problems += page.evaluate(_PHONE if phone else _MEASURE)
    problems += [f"image failed to load: {src}" for src in page.evaluate(_BROKEN_IMAGES)]
    problems += _check_sliders(page)
    if shots is not None:
        name = url.split("/", 3)[3].replace("/", "_").removesuffix(".html") or "index"
        page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
    return problems


def pages_of(html: Path) -> list[str]:
    """The book's pages, without Sphinx's index and search pages and redirects."""
    return sorted(str(p.relative_to(html)) for p in html.rglob("*.html")
                  if p.name not in SKIP and "_static" not in p.parts
                  and "_sources" not in p.parts
                  and 'http-equiv="Refresh"' not in p.read_text(errors="replace")[:2000])


def check_book(html: Path, pages: list[str] | None = None,
               shots: Path | None = None, phone: bool = False) -> dict[str, list[str]]:
    """Problems per page of the book built in ``html`` (every page if ``pages`` is None)."""
    server, base = _serve(html)
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    results = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
            width, height = PHONE if phone else (WIDTH, HEIGHT)
            context = browser.new_context(viewport={"width": width, "height": height})
            # A returning reader: the theme logs a console error of its own on a first
            # visit, when no colour mode is stored yet.
            context.add_init_script("localStorage.setItem('mode', 'light')")
            # Offline: anything not served by us is refused (and not counted as ours).
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith(base) else route.abort())
            for rel in pages or pages_of(html):
                page = context.new_page()
                try:
                    results[rel] = check_page(page, base + rel, shots, phone)
                finally:
                    page.close()
            browser.close()
    finally:
        server.shutdown()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--page", action="append", help="check only this page (repeatable)")
    parser.add_argument("--shots", type=Path, help="save a screenshot of each page here")
    parser.add_argument("--phone", action="store_true",
                        help="a 390 px window: only page-level sideways scrolling and "
                             "figures wider than the column count")
    parser.add_argument("--known", action="append", default=[], metavar="PAGE",
                        help="a page whose problems are known and tracked elsewhere: they "
                             "are printed but do not fail the check (repeatable)")
    args = parser.parse_args()
    if not (args.html / "index.html").exists():
        print(f"no built book at {args.html}: run `bash scripts/book.sh` first",
              file=sys.stderr)
        return 2
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    results = check_book(args.html, args.page, args.shots, args.phone)
    bad = known = 0
    for rel, problems in results.items():
        if rel in args.known:
            state = "KNOWN" if problems else "ok   (listed as known: drop --known)"
            known += bool(problems)
        else:
            state = "FAIL" if problems else "ok"
            bad += bool(problems)
        print(f"{state:5s} {rel}")
        for p in problems:
            print(f"      {p}")
    print(f"{len(results) - bad - known} of {len(results)} pages pass"
          + (f", {known} with known problems" if known else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
