"""The results table that prints as aligned text (at most 76 columns) and renders as HTML.

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import torch


def _breakable(name: str) -> str:
    """A header, HTML-escaped, that may break inside CamelCase names and after ``/`` or
    ``_`` ("Global<wbr>Accuracy"), so that a table of MATLAB's metric names fits a narrow
    column without breaking a word anywhere else."""
    text = html.escape(str(name))
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[/_])(?=\w)", "<wbr>", text)


def _wrap(text: str, width: int) -> list[str]:
    """Words of ``text`` greedily into lines of at most ``width`` characters (a longer word
    keeps a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


class Table:
    """A small table that prints as aligned text and renders as HTML in notebooks.

    Args:
        rows: row label -> mapping of column name -> value (floats are rounded to
            ``digits`` decimals; NaN prints as ``NaN``; strings print as they are).
        columns: column order (default: the keys of the first row, then any new ones).
        digits: decimals for floats.
        index_name: header of the row-label column.
        width: the text form's target width in characters (76, the book's code column).

    The text form is what ``print`` shows and what nbval compares; ``_repr_html_`` is what
    Jupyter, Colab and the rendered book show.

    Chapter: book/dilated_segmentation
    """

    def __init__(
        self,
        rows: Mapping[str, Mapping[str, object]],
        *,
        columns: Sequence[str] | None = None,
        digits: int = 4,
        index_name: str = "",
        width: int = 76,
    ) -> None:
        self.rows = {str(k): dict(v) for k, v in rows.items()}
        self.width = width
        if columns is None:
            columns = []
            for r in self.rows.values():
                columns += [c for c in r if c not in columns]
        self.columns = list(columns)
        self.digits = digits
        self.index_name = index_name

    def _cell(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, torch.Tensor):
            value = value.item()
        if isinstance(value, (float, np.floating)):
            return "NaN" if math.isnan(value) else f"{value:.{self.digits}f}"
        return str(value)

    def __str__(self) -> str:
        """Aligned text at most :attr:`width` characters wide where the cells allow: a table
        that is wider gets its headers wrapped between words, and then, if still too wide,
        its columns split into blocks (the row labels repeated), one under the other."""
        body = [[k] + [self._cell(r.get(c)) for c in self.columns] for k, r in self.rows.items()]
        head = [self.index_name] + self.columns
        wide = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
        if wide[0] + sum(2 + w for w in wide[1:]) <= self.width:
            return self._block(head, body, range(1, len(head)), [[h] for h in head], wide)
        # wrap each header to its column's values (never inside a word)
        heads = [_wrap(h, max([len(row[i]) for row in body] + [len(w) for w in h.split()]))
                 for i, h in enumerate(head)]
        widths = [max(len(x) for x in [*heads[i], *(row[i] for row in body)])
                  for i in range(len(head))]
        blocks, cols = [], []
        for i in range(1, len(head)):
            if cols and widths[0] + sum(2 + widths[j] for j in [*cols, i]) > self.width:
                blocks.append(cols)
                cols = []
            cols.append(i)
        blocks.append(cols)
        return "\n\n".join(self._block(head, body, b, heads, widths) for b in blocks)

    @staticmethod
    def _block(head, body, cols, heads, widths) -> str:
        """The row labels and the columns ``cols``, headers of several lines bottom-aligned."""
        depth = max(len(heads[i]) for i in [0, *cols])
        lines = []
        for level in range(depth):
            def part(i, level=level):
                pad = depth - len(heads[i])
                return heads[i][level - pad] if level >= pad else ""
            lines.append((part(0).ljust(widths[0]) + "".join(
                "  " + part(i).rjust(widths[i]) for i in cols)).rstrip())
        for row in body:
            lines.append(row[0].ljust(widths[0]) + "".join(
                "  " + row[i].rjust(widths[i]) for i in cols))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{_breakable(c)}</th>" for c in [self.index_name] + self.columns)
        body = "".join(
            f"<tr><th style='text-align:left'>{_breakable(k)}</th>"
            + "".join(f"<td>{html.escape(self._cell(r.get(c)))}</td>" for c in self.columns)
            + "</tr>"
            for k, r in self.rows.items())
        return (f"<table class='seglearn-table'><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")
