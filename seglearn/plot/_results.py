"""Pictures and tables of a training run: overlays, sample grids, training curves, tables.

Part of :mod:`seglearn.plot` (import from there).

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

__all__ = ["CLASS_COLORS", "label_overlay", "error_overlay", "show_samples", "plot_history"]


#: Colours of classes 1, 2, … in overlays (class 0, background, is left uncoloured).
CLASS_COLORS = ["#ffd000", "#00c0ff", "#ff40c0", "#60ff60", "#ff8000"]


def _to_rgb_uint8(image: torch.Tensor) -> torch.Tensor:
    """(C, H, W) or (H, W) float in [0, 1] -> (3, H, W) uint8."""
    image = torch.as_tensor(image).detach().cpu().float()
    if image.dim() == 2:
        image = image[None]
    if image.shape[0] == 1:
        image = image.expand(3, -1, -1)
    return (image.clamp(0, 1) * 255).round().to(torch.uint8)


def label_overlay(
    image: torch.Tensor,
    mask: torch.Tensor,
    *,
    alpha: float = 0.45,
    colors: Sequence[str] | None = None,
) -> np.ndarray:
    """Image with its label map painted over it, like MATLAB's ``labeloverlay``.

    Args:
        image: float ``(C, H, W)`` or ``(H, W)`` in [0, 1] (C = 1 or 3).
        mask: int ``(H, W)`` class indices; class 0 (background) stays unpainted.
        alpha: opacity of the paint, in [0, 1].
        colors: colours of classes 1, 2, … (default :data:`CLASS_COLORS`).

    Returns:
        uint8 RGB array ``(H, W, 3)`` for ``plt.imshow``.

    Source: MATLAB's ``labeloverlay``.

    Chapter: book/dilated_segmentation
    """
    from torchvision.utils import draw_segmentation_masks

    colors = list(colors or CLASS_COLORS)
    mask = torch.as_tensor(mask).detach().cpu()
    classes = [int(c) for c in torch.unique(mask) if int(c) > 0]
    rgb = _to_rgb_uint8(image)
    if classes:
        stack = torch.stack([mask == c for c in classes])  # (M, H, W) bool
        cols = [colors[(c - 1) % len(colors)] for c in classes]
        rgb = draw_segmentation_masks(rgb, stack, alpha=alpha, colors=cols)
    return rgb.permute(1, 2, 0).numpy()  # (H, W, 3)


def error_overlay(
    image: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor, *, cls: int | None = None,
    alpha: float = 0.55,
) -> np.ndarray:
    """Where a prediction is right and wrong, painted on the image.

    ``cls=None`` (K classes): green where a foreground pixel gets its true class, red where
    a pixel is predicted as a foreground class it does not belong to (a false positive, or
    one shape taken for another), blue where a foreground pixel is predicted background
    (missed); right background stays unpainted. ``cls=c``: the same for class ``c`` against
    all others (green TP, red FP, blue FN). For K = 2 the two agree with ``c = 1``.
    ``image`` float ``(C, H, W)`` or ``(H, W)`` in [0, 1]; ``pred`` and ``mask`` int
    ``(H, W)`` class indices. Returns uint8 ``(H, W, 3)``; the colours are
    :data:`ERROR_COLORS` (legend: :func:`class_legend` with ``errors=True``).

    Chapters: book/dilated_convolution, book/multiclass
    """
    from torchvision.utils import draw_segmentation_masks

    from ._classes import ERROR_COLORS

    pred, mask = torch.as_tensor(pred).cpu(), torch.as_tensor(mask).cpu()
    if cls is None:
        right, fore_p, fore_t = pred == mask, pred > 0, mask > 0
        stack = torch.stack([right & fore_t, fore_p & ~right, fore_t & ~fore_p])  # (3, H, W)
    else:
        p, t = pred == cls, mask == cls
        stack = torch.stack([p & t, p & ~t, ~p & t])  # (3, H, W): TP, FP, FN
    rgb = draw_segmentation_masks(_to_rgb_uint8(image), stack, alpha=alpha,
                                  colors=list(ERROR_COLORS.values()))
    return rgb.permute(1, 2, 0).numpy()


def show_samples(
    images: torch.Tensor,
    masks: torch.Tensor | None = None,
    preds: torch.Tensor | None = None,
    *,
    n: int = 8,
    errors: bool = True,
    titles: Sequence[str] | None = None,
    size: float = 1.4,
    class_names: Sequence[str] | None = None,
    columns: int = 5,
) -> plt.Figure:
    """A grid: one column per image; rows image, truth overlay, prediction overlay.

    With ``errors=True`` the prediction row uses :func:`error_overlay` (green right, red
    wrong class, blue missed) instead of the plain overlay. With ``class_names`` (K names,
    background first) a legend of the class colours (and error colours) goes under the
    grid, and with ``errors=True`` the prediction is drawn twice: in class colours, then
    its errors. ``images`` float ``(N, C, H, W)``; ``masks`` and ``preds`` int
    ``(N, H, W)``. Shows the first ``n`` images, at most ``columns`` per row of the grid
    (more go into further blocks below, filled evenly: 8 images make two blocks of 4),
    each ``size`` inches square: the default 5 × 1.4 in fits the book's column without
    shrinking. Returns the Figure (a pyplot figure: it
    shows itself in a notebook).

    Raises:
        ValueError: ``columns`` < 1.

    Chapters: book/dilated_segmentation, book/multiclass
    """
    from ._classes import class_legend

    if int(columns) < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    n = min(n, images.shape[0])
    errors = errors and masks is not None and preds is not None
    rows = [("image", None)]
    if masks is not None:
        rows.append(("truth", "truth"))
    if preds is not None and (class_names is not None or not errors):
        rows.append(("prediction", "pred"))
    if errors:
        rows.append(("prediction (errors)" if class_names is None else "errors", "errors"))
    blocks = -(-n // int(columns))  # as few blocks as columns allows, filled evenly
    cols = -(-n // blocks)
    legend = 0.35 if class_names is not None else 0.0
    fig, axes = plt.subplots(len(rows) * blocks, cols, squeeze=False,
                             figsize=(size * cols, size * len(rows) * blocks + 0.3 + legend))
    for ax in axes.flat:
        ax.set_axis_off()
    for i in range(n):
        img, block, col = images[i], i // cols, i % cols
        for r, (name, kind) in enumerate(rows):
            ax = axes[block * len(rows) + r, col]
            ax.set_axis_on()
            if kind is None:
                pic = img[0] if img.shape[0] == 1 else img.permute(1, 2, 0)  # (H, W[, 3])
                ax.imshow(pic.detach().cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            elif kind == "truth":
                ax.imshow(label_overlay(img, masks[i]))
            elif kind == "errors":
                ax.imshow(error_overlay(img, preds[i], masks[i]))
            else:
                ax.imshow(label_overlay(img, preds[i]))
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(name, fontsize=9)
        if titles is not None:
            axes[block * len(rows), col].set_title(titles[i], fontsize=8)
    if class_names is None:
        fig.tight_layout()
        return fig
    handles = class_legend(class_names, errors=errors)
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               frameon=False, handlelength=1.2, columnspacing=1.0)
    fig.tight_layout(rect=(0, legend / fig.get_figheight(), 1, 1))
    return fig


def plot_history(histories: Mapping[str, object], *, ax_loss=None, ax_iou=None) -> plt.Figure:
    """Training loss (and validation MeanIoU when recorded) per epoch, one line per run.

    ``histories`` maps a label to a :class:`~seglearn.train.History` (loss per epoch;
    MeanIoU in [0, 1]). Returns the Figure (pyplot's, or that of ``ax_loss``).

    Chapter: book/dilated_segmentation
    """
    has_iou = any(getattr(h, "val_mean_iou", None) for h in histories.values())
    own = ax_loss is None
    if own:  # 7.2 in: the book's column at 100 dpi
        fig, axes = plt.subplots(1, 2 if has_iou else 1, figsize=(7.2 if has_iou else 4.5, 3.0),
                                 squeeze=False)
        ax_loss = axes[0, 0]
        ax_iou = axes[0, 1] if has_iou else None
    fig = ax_loss.figure
    for label, h in histories.items():
        epochs = np.arange(1, len(h.loss) + 1)
        ax_loss.plot(epochs, h.loss, label=label)
        if ax_iou is not None and h.val_mean_iou:
            ax_iou.plot(epochs, h.val_mean_iou, label=label)
    ax_loss.set(xlabel="epoch", ylabel="training loss", title="loss")
    ax_loss.xaxis.set_major_locator(MaxNLocator(integer=True))
    if ax_iou is not None:
        ax_iou.set(xlabel="epoch", ylabel="MeanIoU", title="validation MeanIoU")
        ax_iou.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_iou.legend(fontsize=8)
    if len(histories) > 1:
        ax_loss.legend(fontsize=8)
    if own:  # a caller's figure keeps its own layout engine
        fig.tight_layout()
    return fig
