"""HTML fixes of the rendered book (a local Sphinx extension, see ``_config.yml``).

- sphinx-thebe adds its inline configuration script once per read of the sources; when
  Sphinx reads twice (as Jupyter Book's build does), the page declares
  ``const THEBE_JS_URL`` twice and the browser raises a SyntaxError on every page. Each
  page keeps one copy of every script here.
- ``_static/book.css`` fits tables, printed outputs and equations to the content column.
"""

from __future__ import annotations

from pathlib import Path

_STATIC = Path(__file__).resolve().parent.parent / "_static"


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        # the same file and attributes (an inline script's body is an attribute), whatever
        # priority each copy was added with; an inline script's file is None or ""
        key = (getattr(script, "filename", str(script)) or "",
               repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    # In place: the context's list is the builder's, to which later handlers (MathJax's)
    # still add their scripts.
    scripts[:] = kept


def _add_static(app):
    app.config.html_static_path.append(str(_STATIC))
    app.add_css_file("book.css")


def setup(app):
    app.connect("builder-inited", _add_static)
    # Early (priority 100): `html-page-context` stops at the first handler that returns a
    # template name; the duplicated scripts are in the context from the start.
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
