"""The book's bibliography style: author-year labels that match its author-year citations.

sphinxcontrib-bibtex cites "Salehi et al., 2017" in the text (``bibtex_reference_style:
author_year``) but labels the list with pybtex's default alpha labels ("[SEG17]"), so a
reader cannot match the two. This Sphinx extension registers the pybtex style
``authoryear``: pybtex's ``unsrt`` formatting, entries sorted by author and year, labelled
"Salehi et al., 2017" (one author: "Lin, 2017"; two: "Karimi and Salcudean, 2020"; the same
label twice gets "2017a", "2017b"), and a journal's volume kept when its pages are not
known (``unsrt`` prints the volume only together with the pages).
"""

from __future__ import annotations

from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting import toplevel, unsrt
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle
from pybtex.style.template import (
    field,
    first_of,
    join,
    optional,
    optional_field,
    sentence,
    tag,
    words,
)


def _surname(person) -> str:
    return " ".join(t.render_as("text")
                    for t in person.rich_prelast_names + person.rich_last_names)


def _authors(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        return entry.fields.get("organization", entry.fields.get("title", "?"))
    names = [_surname(p) for p in people]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Author et al., YYYY", with a, b, ... when two entries would share one."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        base = [f"{_authors(e)}, {e.fields.get('year', 'n.d.')}" for e in entries]
        counts, seen = Counter(base), Counter()
        for label in base:
            if counts[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(unsrt.Style):
    default_label_style = AuthorYearLabels
    default_sorting_style = SortingStyle

    def get_article_template(self, e):
        volume = join[field("volume"), optional["(", field("number"), ")"]]
        volume_and_pages = first_of[
            optional[join[volume, ":", unsrt.pages]],
            optional[volume],  # unsrt drops the volume when the pages are not known
            words["pages", unsrt.pages],
        ]
        return toplevel[
            self.format_names("author"),
            self.format_title(e, "title"),
            sentence[tag("em")[field("journal")], optional[volume_and_pages], unsrt.date],
            sentence[optional_field("note")],
            self.format_web_refs(e),
        ]


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


__all__ = ["AuthorYearStyle", "AuthorYearLabels", "setup"]
