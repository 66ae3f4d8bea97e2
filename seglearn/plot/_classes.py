"""Pictures of K-class results: a legend of class names, the confusion matrix.

Part of :mod:`seglearn.plot` (import from there).

Chapter: book/multiclass
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = ["ERROR_COLORS", "class_legend", "plot_confusion"]

#: Colours of the error overlays: right class, wrong class predicted, missed (predicted
#: background).
ERROR_COLORS = {"right class": "#20c020", "wrong class": "#ff2020",
                "missed (background)": "#3070ff"}


def class_legend(
    class_names: Sequence[str], colors: Sequence[str] | None = None, *,
    errors: bool = False,
) -> list[Patch]:
    """Legend handles: one coloured patch per foreground class (classes 1 … K−1, in the
    colours of :func:`label_overlay`), then, with ``errors=True``, the three colours of
    :func:`error_overlay`. Pass them to ``ax.legend(handles=...)`` or
    ``fig.legend(handles=...)``.

    Args:
        class_names: K names, class 0 (background, never painted) first.
        colors: colours of classes 1, 2, … (default :data:`CLASS_COLORS`).
        errors: also the error colours.

    Raises:
        ValueError: fewer than two class names.

    Chapter: book/multiclass
    """
    from ._results import CLASS_COLORS

    names = list(class_names)
    if len(names) < 2:
        raise ValueError(f"need the K >= 2 class names, background first, got {names}")
    colors = list(colors or CLASS_COLORS)
    handles = [Patch(color=colors[(c - 1) % len(colors)], label=names[c])
               for c in range(1, len(names))]
    if errors:
        handles += [Patch(color=col, label=name) for name, col in ERROR_COLORS.items()]
    return handles


def _row_shares(cm: torch.Tensor | np.ndarray) -> np.ndarray:
    """(K, K) counts -> float64 (K, K), each row divided by its sum (NaN row if empty)."""
    counts = torch.as_tensor(cm).detach().cpu().double().numpy()
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or (counts < 0).any():
        raise ValueError(f"cm must be a square (K, K) matrix of counts >= 0, got shape "
                         f"{tuple(counts.shape)}")
    rows = counts.sum(axis=1, keepdims=True)  # (K, 1) true pixels of each class
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rows > 0, counts / rows, np.nan)


def plot_confusion(
    cm: torch.Tensor | np.ndarray, class_names: Sequence[str], *, ax=None,
    title: str = "confusion matrix (rows sum to 1)", digits: int = 2,
) -> Figure:
    """The row-normalised confusion matrix as a picture (the metrics'
    ``normalized_confusion_matrix``): rows = true class, columns = predicted class, each
    cell coloured by its share of the true class's pixels (0 … 1, a colour bar) and
    labelled with it; a class with no true pixel gets a row of NaN.

    Args:
        cm: ``(K, K)`` pixel counts, rows = truth.
        class_names: K names for the axes.
        ax: draw into this Axes (default: a new 4.6 × 3.8 in figure).
        title: the Axes title; digits: decimals of the cell labels.

    Returns:
        The Figure (not held by pyplot when ``ax`` is None: display it to show it).

    Raises:
        ValueError: ``cm`` not a square matrix of counts >= 0; a name count that is not K.

    Chapter: book/multiclass
    """
    share = _row_shares(cm)
    k = share.shape[0]
    if len(class_names) != k:
        raise ValueError(f"need {k} class names, got {len(class_names)}")
    if ax is None:
        fig = Figure(figsize=(4.6, 3.8))
        ax = fig.add_subplot()
    fig = ax.figure
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for t in range(k):
        for p in range(k):
            value = share[t, p]
            text = "NaN" if np.isnan(value) else f"{value:.{digits}f}"
            ax.text(p, t, text, ha="center", va="center", fontsize=8,
                    color="white" if value > 0.6 else "black")
    ax.set_xticks(range(k), class_names, rotation=30, ha="right")
    ax.set_yticks(range(k), class_names)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    fig.colorbar(im, ax=ax, label="share of the true class's pixels")
    if fig.get_layout_engine() is None:
        fig.set_layout_engine("tight")
    return fig

