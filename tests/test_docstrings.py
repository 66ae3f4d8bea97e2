"""Every public name of seglearn documents itself and names the chapter that teaches it.

The pointer has one form, on a line of its own in the docstring, so that this test can
check it and a reader can follow it::

    Chapter: book/loss_tversky
    Chapter: book/loss_dice, book/loss_generalized_dice

and every chapter it names must exist (as ``book/<name>.ipynb``). A class's methods and a
module's private names are not checked; public names re-exported from another seglearn
module are checked where they are defined.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

import seglearn

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = {p.stem for p in (ROOT / "book").glob("*.ipynb")}
MODULES = sorted({*seglearn.__all__, "widgets"} - {"__version__"})
POINTER = re.compile(r"^\s*Chapters?: (book/\w+(?:, book/\w+)*)\s*$", re.M)


def chapter_pointers(doc: str | None) -> list[str]:
    """The chapter stems named by the ``Chapter:`` lines of a docstring."""
    names = []
    for match in POINTER.finditer(doc or ""):
        names += [p.strip().removeprefix("book/") for p in match.group(1).split(",")]
    return names


def _public_objects():
    for mod_name in MODULES:
        module = importlib.import_module(f"seglearn.{mod_name}")
        yield f"seglearn.{mod_name}", module
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # constants are documented in their module's docstring
            home = getattr(obj, "__module__", "")
            parts = home.split(".")
            defined_in_public_module = home.startswith("seglearn.") and not any(
                part.startswith("_") for part in parts[1:])
            if defined_in_public_module and home != module.__name__:
                continue  # re-exported from another public module: checked there
            yield f"seglearn.{mod_name}.{name}", obj


PUBLIC = dict(_public_objects())


def test_the_pointer_pattern_reads_both_forms():
    doc = "Text.\n\n    Chapter: book/loss_dice\n\nChapters: book/a, book/b_c\n"
    assert chapter_pointers(doc) == ["loss_dice", "a", "b_c"]
    assert chapter_pointers("Taught in the chapter book/loss_dice.") == []


@pytest.mark.parametrize("qualname", sorted(PUBLIC))
def test_public_name_has_a_docstring_that_points_to_an_existing_chapter(qualname):
    doc = inspect.getdoc(PUBLIC[qualname])
    assert doc and doc.strip(), f"{qualname} has no docstring"
    pointers = chapter_pointers(doc)
    assert pointers, f"{qualname}: no 'Chapter: book/<name>' line in its docstring"
    missing = [p for p in pointers if p not in CHAPTERS]
    assert not missing, f"{qualname} points to chapters that do not exist: {missing}"
