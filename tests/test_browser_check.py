"""The browser check of the rendered book (scripts/check_rendered_book.py) catches what it
promises: a table wider than the column, a slider whose frame does not follow the
keyboard, unrendered math, a broken image, a JavaScript error; and passes a page that has
none of them.

The pages are small hand-made stand-ins for the book's HTML (the same ``article.bd-article``
column, a real ``seglearn.widgets.static_slider``). Needs Debian's ``chromium`` and
Playwright; ``.ci/run`` installs both, elsewhere the tests are skipped.
"""

import os
import re
import shutil
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
pytest.importorskip("playwright.sync_api")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
sys.path.insert(0, str(ROOT / "scripts"))
import check_rendered_book as check  # noqa: E402

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; }} article.bd-article {{ width: 688px; margin: 0 auto; }}
</style></head><body><main><article class="bd-article">{body}</article></main></body></html>"""


def _slider_html() -> str:
    from seglearn.widgets import static_slider

    def draw(rate):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.text(0.5, 0.5, f"rate {rate}")
        ax.axis("off")
        return fig

    return static_slider(draw, [1, 2, 3], label="rate")._repr_html_()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    slider = _slider_html()
    cells = "".join(f"<td>{i}</td>" for i in range(60))
    pages = {
        "fine.html": f"<p>text</p><div class='cell_output'><pre>short output</pre></div>"
                     f"{slider}",
        "wide_table.html": f"<div class='cell_output'><table><tr>{cells}</tr></table></div>",
        "broken_slider.html": re.sub(r'oninput="[^"]*"', "", slider),
        "broken_image.html": "<div class='cell_output'><img src='missing.png'></div>",
        "script_error.html": "<script>undefined_function_of_ours();</script>",
        "unrendered_math.html": "<p><span class='math'>\\(x^2\\)</span></p>",
    }
    for name, body in pages.items():
        (root / name).write_text(PAGE.format(body=body))
    return root, check.check_book(root, sorted(pages))


def test_a_page_without_faults_passes(site):
    _, results = site
    assert results["fine.html"] == []


@pytest.mark.parametrize(("page", "pattern"), [
    ("wide_table.html", r"^table \d+ px too wide"),
    ("broken_slider.html", r"frame did not change"),
    ("broken_slider.html", r"value label did not change"),
    ("broken_image.html", r"image failed to load: missing.png"),
    ("script_error.html", r"JavaScript error: .*undefined_function_of_ours"),
    ("unrendered_math.html", r"unrendered math"),
])
def test_each_fault_is_reported(site, page, pattern):
    _, results = site
    assert any(re.search(pattern, p) for p in results[page]), results[page]


def test_only_the_books_pages_are_listed(tmp_path):
    (tmp_path / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=a.html" />')
    (tmp_path / "a.html").write_text("<p>a</p>")
    (tmp_path / "search.html").write_text("<p>search</p>")
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "b.html").write_text("<p>b</p>")
    assert check.pages_of(tmp_path) == ["a.html"]


def test_phone_width_reports_a_page_that_scrolls_sideways_and_the_books_css_fixes_it(
        tmp_path):
    call = "<code class='docutils literal'><span class='pre'>" + "x" * 120 + "</span></code>"
    phone = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width'>{css}</head><body>"
             "<article class='bd-article'><p>{call}</p></article></body></html>")
    rule = (ROOT / "book" / "_static" / "book.css").read_text()
    (tmp_path / "bare.html").write_text(phone.format(
        css="<style>span.pre { white-space: nowrap; }</style>", call=call))
    (tmp_path / "styled.html").write_text(phone.format(
        css=f"<style>span.pre {{ white-space: nowrap; }}\n{rule}</style>", call=call))
    results = check.check_book(tmp_path, ["bare.html", "styled.html"], phone=True)
    assert any(re.search(r"page scrolls sideways by \d+ px", p) for p in results["bare.html"])
    assert results["styled.html"] == []
