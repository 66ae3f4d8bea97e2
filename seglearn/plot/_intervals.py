"""Dots with interval bars: configurations scored over seeds, and their paired differences
from a control (the figure of every experiment that ranks networks or losses)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt

from ..intervals import mean_interval, paired_difference
from ..protocol import ResultsTable


def plot_paired(runs: ResultsTable, names: Sequence[str], control: str, *,
                metric: str = "MeanIoU", split: str = "test", title: str | None = None
                ) -> plt.Figure:
    """Left: each configuration's mean ``metric`` over its seeds with the 95 % Student-t
    interval; right: its paired difference from ``control`` (same seeds) with its
    interval, a filled dot where the interval excludes 0 (resolved), hollow where not.
    Rows top to bottom in the order of ``names``.

    Args:
        runs: the runs, named by configuration (e.g. from
            :func:`seglearn.results.chosen_on_val`).
        names: the configurations to draw; ``control`` among them or not.
        control: the configuration every other one is paired with.
        metric, split: what is drawn (the metric's units; higher need not be better).
        title: the figure's title.

    Returns:
        The figure (7.2 × 0.4 per row + 1 inches).

    Raises:
        KeyError: a configuration without ``metric`` runs on ``split``.
        ValueError: a configuration whose seeds differ from the control's.

    Chapters: book/encoder_decoder, book/dilated_convolution, book/receptive_fields
    (and book/aspp_deeplab)
    """
    base = runs.values(control, split, metric)
    fig, (ax_l, ax_r) = plt.subplots(1, 2, figsize=(7.2, 0.4 * len(names) + 1.3),
                                     sharey=True)
    for row, name in enumerate(names):
        values = runs.values(name, split, metric)
        iv = mean_interval(list(values.values()))
        ax_l.errorbar(iv.mean, -row, xerr=iv.high - iv.mean, fmt="o", ms=4, capsize=2,
                      color="tab:blue")
        if name != control:
            diff = paired_difference(values, base)
            ax_r.errorbar(diff.mean, -row, xerr=diff.high - diff.mean, fmt="o", ms=4,
                          capsize=2, color="tab:blue",
                          mfc="tab:blue" if diff.excludes_zero else "white")
    ax_r.axvline(0, color="0.4", lw=0.8)
    ax_l.set_yticks([-i for i in range(len(names))], list(names), fontsize=8)
    ax_l.set_xlabel(f"{split} {metric} (mean, 95 % interval)", fontsize=8)
    ax_r.set_xlabel(f"minus {control}, paired (filled: resolved)", fontsize=8)
    for ax in (ax_l, ax_r):
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(axis="x", labelsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
