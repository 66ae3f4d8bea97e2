"""List the numbers a chapter's prose quotes that none of its outputs prints.

Every sentence that states a measured number must rest on an output. This script reads
each committed notebook, collects the decimal numbers of its markdown cells (at least
``--decimals`` digits after the point, default 3: 0.927, −0.4226, 12.5 % is skipped) and
looks for each in the outputs of the same notebook: a quote matches an output number
that rounds to it (0.9271 matches 0.92708 and 0.927; signs and the Unicode minus are
treated alike). What is left is printed per chapter, with its line, for a person to
check: a number derived in the text (a difference of two outputs, a ratio), one quoted
from another chapter or a paper, or a stale quote after a re-run. Numbers that the
measurement record of the chapter's exercise script holds (the module docstring of
``benchmarks/exercises/<chapter>.py``, where the figures it printed are written down) are
counted apart: they rest on that script, not on an output of the notebook.

    python scripts/check_quotes.py                   # every chapter
    python scripts/check_quotes.py book/metrics.ipynb --decimals 2

Exit status 0 always: it is a reading aid, not a test.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"(?<![\w.])[-−+]?\d+\.(\d+)(?![\w.])")


def _numbers(text: str) -> list[tuple[float, int]]:
    """(value, decimals) of every decimal number in ``text``."""
    out = []
    for m in NUMBER.finditer(text.replace("−", "-")):
        out.append((abs(float(m.group(0))), len(m.group(1))))
    return out


def _output_text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if "text" in o:
            parts.append(o["text"])
        for key in ("text/plain", "text/html", "text/markdown"):
            parts.append(o.get("data", {}).get(key, ""))
    return "\n".join(parts)


def _rounded(numbers: list[tuple[float, int]]) -> dict[int, set[str]]:
    """Each number rounded to every precision it has digits for: {decimals: {"0.927", ...}}."""
    return {d: {f"{v:.{d}f}" for v, dd in numbers if dd >= d} for d in range(1, 9)}


def script_record(chapter: str) -> dict[int, set[str]]:
    """The numbers of ``benchmarks/exercises/<chapter>.py``'s docstring (none if absent)."""
    script = ROOT / "benchmarks" / "exercises" / f"{chapter}.py"
    if not script.exists():
        return _rounded([])
    return _rounded(_numbers(ast.get_docstring(ast.parse(script.read_text())) or ""))


def unmatched(path: Path, decimals: int) -> list[tuple[int, str, str]]:
    """(cell index, quoted number, line) of every quote without a matching output."""
    nb = nbformat.read(path, as_version=4)
    by_decimals = _rounded(
        _numbers("\n".join(_output_text(c) for c in nb.cells if c.cell_type == "code")))
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "$$")):
                continue
            for value, d in _numbers(line):
                if d >= decimals and f"{value:.{d}f}" not in by_decimals.get(d, set()):
                    missing.append((i, f"{value:.{d}f}", line.strip()))
    return missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--decimals", type=int, default=3)
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    for path in paths:
        record = script_record(path.stem)
        missing, in_record = [], 0
        for i, number, line in unmatched(path, args.decimals):
            if number in record.get(len(number.split(".")[1]), set()):
                in_record += 1
            else:
                missing.append((i, number, line))
        also = (f" ({in_record} more found only in benchmarks/exercises/{path.stem}.py's "
                "record)" if in_record else "")
        print(f"== {path.stem}: {len(missing)} quoted numbers without a matching output{also}")
        for i, number, line in missing:
            print(f"  cell {i:3d}  {number:>9}  {line[:100]}")


if __name__ == "__main__":
    main()
