"""Receptive-field pictures: the frames of the book's dilation sliders.

Part of :mod:`seglearn.plot` (import from there); :mod:`seglearn.widgets` puts them behind
sliders.

Chapter: book/dilated_convolution

References:
    Yu & Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016.
    Wang et al., "Understanding convolution for semantic segmentation", WACV 2018.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..coverage import DilationCoverage, dilation_coverage
from ..receptive_field import format_receptive_field_table, receptive_field_table

__all__ = ["dilated_response", "plot_dilation", "plot_dilation_rates"]


def _gray(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """(H, W), (1, H, W) or (1, 1, H, W) image -> float64 (H, W) array."""
    arr = image.detach().cpu().double().numpy() if isinstance(image, torch.Tensor) else \
        np.asarray(image, dtype=np.float64)
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or min(arr.shape) < 2 or not np.isfinite(arr).all():
        raise ValueError(f"image must be one finite grayscale image (H, W), (1, H, W) or "
                         f"(1, 1, H, W), got shape {np.shape(image)}")
    return arr


def _check_rates(rates: Sequence[int], max_rate: int, kernel_size: int) -> None:
    if max_rate < 1:
        raise ValueError(f"max_rate must be >= 1, got {max_rate}")
    if kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and >= 3, got {kernel_size}")
    if not all(1 <= r <= max_rate for r in rates):
        raise ValueError(f"rates must lie in [1, {max_rate}], got {tuple(rates)}")


def _figure(width: float, height: float) -> Figure:
    # A Figure pyplot never holds, in every matplotlib version: whoever shows it (a
    # notebook's display of the returned value, or a slider) shows it once; nothing is left
    # for pyplot to show again. Fixed margins, no layout engine: half the time per frame.
    return Figure(figsize=(width, height))


def _draw_coverage(ax, cov: DilationCoverage, side: int) -> None:
    """Path counts of ``cov`` centred on a ``side × side`` grid of offsets.

    Colours: paths per offset; white: holes inside the field; grey: outside the field.
    """
    grid = np.full((side, side), np.nan)
    rf, c = cov.receptive_field, (side - cov.receptive_field) // 2
    grid[c:c + rf, c:c + rf] = cov.counts
    cmap = plt.get_cmap("viridis").with_extremes(under="white", bad="0.85")
    half = side // 2
    ax.imshow(grid, cmap=cmap, vmin=0.5, interpolation="nearest",
              extent=(-half - 0.5, half + 0.5, half + 0.5, -half - 0.5))
    ax.set_xlabel("offset (pixels)")


def dilated_response(image: torch.Tensor | np.ndarray, rate: int, *,
                     kernel_size: int = 3) -> torch.Tensor:
    """Response of an image to a zero-sum ``k × k`` kernel applied with dilation ``rate``.

    The kernel is the centre tap minus the mean of the other ``k² - 1`` taps (a Laplacian
    for k = 3), with "same" zero padding: an edge comes back as copies ``rate`` pixels apart.

    Args:
        image: one grayscale image, ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``, tensor
            or array, values typically in [0, 1].
        rate: dilation, >= 1 (pixels between taps).
        kernel_size: odd kernel side k >= 3.

    Returns:
        float64 ``(H, W)`` tensor.

    Raises:
        ValueError: a bad image, ``rate`` < 1 or an even ``kernel_size``.

    Chapter: book/dilated_convolution
    """
    if rate < 1:
        raise ValueError(f"rate must be >= 1, got {rate}")
    _check_rates((rate,), rate, kernel_size)
    k = kernel_size
    kernel = torch.full((1, 1, k, k), -1.0 / (k * k - 1), dtype=torch.float64)
    kernel[0, 0, k // 2, k // 2] = 1.0
    x = torch.from_numpy(_gray(image))[None, None]  # (1, 1, H, W)
    return F.conv2d(x, kernel, padding=rate * (k - 1) // 2, dilation=rate)[0, 0]  # (H, W)


def plot_dilation(image: torch.Tensor | np.ndarray, rate: int, *, max_rate: int = 8,
                  kernel_size: int = 3) -> Figure:
    """Three panels for one dilation rate (the frame of the dilation-rate slider).

    (1) The taps of one dilated ``k × k`` kernel centred on the image and its effective
    size ``k_eff = r (k - 1) + 1``; (2) the coverage of a stack of three such convolutions,
    all at rate r (path counts, the gridding holes in white for r > 1); (3) the
    :func:`dilated_response` of the image. Colour and offset ranges are those of
    ``max_rate``, so frames for rates 1 … ``max_rate`` compare at a glance.

    Args:
        image: one grayscale image in [0, 1], ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``.
        rate: the dilation, in [1, max_rate].
        max_rate: the largest rate the frames are drawn for.
        kernel_size: odd kernel side k >= 3.

    Returns:
        A new 9×3.2 inch Figure that pyplot does not hold (display or save it).

    Raises:
        ValueError: a bad image, a rate outside [1, max_rate] or an even ``kernel_size``.

    Chapter: book/dilated_convolution
    """
    _check_rates((rate,), max_rate, kernel_size)
    img, k = _gray(image), kernel_size
    (h, w), side = img.shape, 1 + 3 * (k - 1) * max_rate
    vmax = max(float(dilated_response(img, r, kernel_size=k).abs().max())
               for r in range(1, max_rate + 1))
    fig = _figure(9.0, 3.2)
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw=dict(
        left=0.02, right=0.98, bottom=0.14, top=0.9, wspace=0.25))
    ax1.imshow(img, cmap="gray", vmin=0, vmax=1)
    offs = rate * (np.arange(k) - k // 2)
    for y in h // 2 + offs:  # one pixel-sized square per tap
        for x in w // 2 + offs:
            ax1.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, color="crimson", alpha=0.9))
    e = rate * (k - 1) + 1
    ax1.add_patch(Rectangle((w // 2 - e // 2 - 0.5, h // 2 - e // 2 - 0.5), e, e,
                            fill=False, ec="crimson", ls="--"))
    ax1.set(xlim=(-0.5, w - 0.5), ylim=(h - 0.5, -0.5),
            title=f"{k}×{k} kernel, rate {rate}: k_eff = {e}")
    cov = dilation_coverage((rate,) * 3, kernel_size=k)
    _draw_coverage(ax2, cov, side)
    ax2.set_title(f"3 layers at rate {rate}: RF {cov.receptive_field}, {cov.num_holes} holes")
    ax3.imshow(dilated_response(img, rate, kernel_size=k).numpy(), cmap="RdBu_r",
               vmin=-vmax, vmax=vmax)
    ax3.set_title(f"Laplacian with dilation {rate}")
    for ax in (ax1, ax3):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def plot_dilation_rates(rates: Sequence[int], *, max_rate: int = 8,
                        kernel_size: int = 3) -> Figure:
    """Receptive-field table and coverage of stacked dilated ``k × k`` convolutions.

    Left: the :func:`~seglearn.receptive_field.receptive_field_table` of the stack
    (stride 1, "same" padding), its hole count, the rates' common factor and Wang et al.'s
    HDC rule (``M_2 <= k``); right: its coverage (path counts; white: holes, the gridding
    of rates with a common factor), on the offset range of ``max_rate``.

    Args:
        rates: one rate per layer (e.g. ``(1, 2, 5)``), each in [1, max_rate].
        max_rate: the largest rate of any layer (fixes the picture's offset range, which
            assumes three layers).
        kernel_size: odd kernel side k >= 3.

    Returns:
        A new 9×3.4 inch Figure that pyplot does not hold.

    Raises:
        ValueError: a rate outside [1, max_rate] or an even ``kernel_size``.

    Source: Wang et al., "Understanding convolution for semantic segmentation", WACV 2018.

    Chapter: book/receptive_fields
    """
    rates, k = tuple(int(r) for r in rates), kernel_size
    _check_rates(rates, max_rate, k)
    cov = dilation_coverage(rates, kernel_size=k)
    stack = torch.nn.Sequential(*[torch.nn.Conv2d(1, 1, k, padding=r * (k - 1) // 2,
                                                  dilation=r) for r in rates])
    table = format_receptive_field_table(receptive_field_table(stack))
    m2 = cov.hdc_m[1] if len(rates) > 1 else rates[0]
    text = (f"rates {rates}\n\n{table}\n\n"
            f"holes: {cov.num_holes} of {cov.receptive_field ** 2} offsets "
            f"({cov.num_holes_1d} of {cov.receptive_field} along one axis)\n"
            f"common factor of the rates: {cov.common_factor}\n"
            f"HDC rule M_2 = {m2} <= {k}: {'yes' if cov.hdc_ok else 'no'}")
    fig = _figure(9.0, 3.4)
    ax_text, ax_cov = fig.subplots(1, 2, gridspec_kw=dict(
        width_ratios=(1.5, 1), left=0.01, right=0.98, bottom=0.15, top=0.9, wspace=0.05))
    ax_text.axis("off")
    ax_text.text(0.0, 0.5, text, family="monospace", fontsize=9, va="center")
    _draw_coverage(ax_cov, cov, max(1 + 3 * (k - 1) * max_rate, cov.receptive_field))
    ax_cov.set_title(f"coverage: RF {cov.receptive_field}, {cov.num_holes} holes")
    return fig
