"""Sliders of the book, live in Jupyter and Colab and static in the rendered HTML book.

Taught and used in the chapters *Receptive fields and dilation* (:class:`RatesExplorer`),
*Semantic segmentation with dilated convolutions* (:class:`DilationExplorer`) and the
Tversky loss section (:func:`static_grid` over α and β).

The rendered Jupyter Book shows ipywidgets from their saved state, but moving a slider
there runs no Python (REFERENCE.md, section 7). So each slider comes in two forms:

- :class:`StaticSlider` — :func:`static_slider` (one parameter) and :func:`static_grid`
  (several, one frame per combination) draw every frame in advance as a PNG behind plain
  ``<input type="range">`` elements with an inline ``oninput`` handler: no ``<script>``, no
  CDN, so it works in the HTML book, in Colab, and in Jupyter (JupyterLab strips the
  handler from untrusted output: re-run the cell or trust the notebook).
- :class:`LiveSlider` — :func:`live_slider`: ipywidgets controls and an ``Output`` that
  redraw on each change, with only the core API shared by ipywidgets 7.7.1 (Colab) and 8,
  each redraw ending with ``plt.show()`` so Colab does not stack figures.

A chapter shows the static form for the book and the live one for readers with a kernel::

    explorer = DilationExplorer(images[0])
    explorer.static()   # frames for rates 1 … max_rate, works without a kernel
    explorer            # live sliders (Jupyter, Colab)

References:
    Yu & Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016.
    Wang et al., "Understanding convolution for semantic segmentation", WACV 2018.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import display
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn

from ._sliders import LiveSlider, StaticSlider, figure_png, live_slider, static_grid, static_slider
from .coverage import DilationCoverage, dilation_coverage
from .receptive_field import (
    format_receptive_field_table,
    receptive_field_table,
)

__all__ = [
    "StaticSlider",
    "static_slider",
    "static_grid",
    "LiveSlider",
    "live_slider",
    "figure_png",
    "DilationExplorer",
    "RatesExplorer",
]


def _new_figure(width: float, height: float) -> Figure:
    # Made by pyplot (so the notebook backend knows how to show it when returned) and
    # closed at once: it never joins pyplot's list, so it is shown once, not stacked.
    # Fixed margins, no layout engine: that halves the time per frame of a static slider.
    fig = plt.figure(figsize=(width, height))
    plt.close(fig)
    return fig


def _as_image(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """(H, W), (1, H, W) or (1, 1, H, W) image -> float64 (H, W) array."""
    arr = image.detach().cpu().double().numpy() if isinstance(image, torch.Tensor) else \
        np.asarray(image, dtype=np.float64)
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or min(arr.shape) < 2 or not np.isfinite(arr).all():
        raise ValueError(f"image must be one finite grayscale image (H, W), (1, H, W) or "
                         f"(1, 1, H, W), got shape {np.shape(image)}")
    return arr


def _check_rates(max_rate: int, kernel_size: int) -> None:
    if max_rate < 1:
        raise ValueError(f"max_rate must be >= 1, got {max_rate}")
    if kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and >= 3, got {kernel_size}")


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


class DilationExplorer:
    """The dilation-rate slider of the book, on one image.

    For a rate r, :meth:`draw` shows (1) the taps of one dilated ``k × k`` kernel centred
    on the image, (2) the coverage of a stack of three such convolutions, all at rate r —
    path counts, with the gridding holes in white for r > 1 — and (3) the response of the
    image to a fixed zero-sum ``k × k`` kernel (centre pixel minus the mean of the other
    taps, a Laplacian for k = 3) applied with dilation r and "same" zero padding: edges
    come back as r-spaced copies.

    Args:
        image: one grayscale image, ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``, tensor
            or array (e.g. a 32×32 triangle).
        max_rate: largest rate of the slider.
        kernel_size: odd kernel side k ≥ 3.

    Attributes:
        widget: the live UI (created on first use); displaying the explorer shows it.

    Raises:
        ValueError: a bad image, ``max_rate`` < 1 or an even ``kernel_size``.
    """

    def __init__(self, image: torch.Tensor | np.ndarray, *, max_rate: int = 8,
                 kernel_size: int = 3) -> None:
        _check_rates(max_rate, kernel_size)
        self.image, self.max_rate, self.kernel_size = _as_image(image), max_rate, kernel_size
        k = kernel_size
        self.kernel = torch.full((1, 1, k, k), -1.0 / (k * k - 1), dtype=torch.float64)
        self.kernel[0, 0, k // 2, k // 2] = 1.0
        self._vmax = max(float(self.response(r).abs().max()) for r in range(1, max_rate + 1))
        self._side = 1 + 3 * (k - 1) * max_rate

    def response(self, rate: int) -> torch.Tensor:
        """Dilated-kernel response ``(H, W)`` float64 of the image at ``rate``."""
        x = torch.from_numpy(self.image)[None, None]  # (1, 1, H, W)
        pad = rate * (self.kernel_size - 1) // 2
        return F.conv2d(x, self.kernel, padding=pad, dilation=rate)[0, 0]  # (H, W)

    def draw(self, rate: int) -> Figure:
        """The three panels for ``rate`` (1 … max_rate) as a new 9×3.2 inch Figure."""
        if not 1 <= rate <= self.max_rate:
            raise ValueError(f"rate must lie in [1, {self.max_rate}], got {rate}")
        k, (h, w) = self.kernel_size, self.image.shape
        fig = _new_figure(9.0, 3.2)
        ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw=dict(
            left=0.02, right=0.98, bottom=0.14, top=0.9, wspace=0.25))
        ax1.imshow(self.image, cmap="gray", vmin=0, vmax=1)
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
        _draw_coverage(ax2, cov, self._side)
        ax2.set_title(f"3 layers at rate {rate}: RF {cov.receptive_field}, "
                      f"{cov.num_holes} holes")
        ax3.imshow(self.response(rate).numpy(), cmap="RdBu_r", vmin=-self._vmax,
                   vmax=self._vmax)
        ax3.set_title(f"Laplacian with dilation {rate}")
        for ax in (ax1, ax3):
            ax.set_xticks([])
            ax.set_yticks([])
        return fig

    @cached_property
    def widget(self) -> ipywidgets.Widget:
        slider = ipywidgets.IntSlider(value=1, min=1, max=self.max_rate, description="rate",
                                      continuous_update=False)
        return LiveSlider(self.draw, {"rate": slider}).widget

    def static(self, rates: Sequence[int] | None = None, *, dpi: int = 72) -> StaticSlider:
        """Frames for ``rates`` (default 1 … max_rate) behind an HTML range input."""
        rates = list(range(1, self.max_rate + 1)) if rates is None else list(rates)
        return static_slider(self.draw, rates, label="rate", dpi=dpi)

    def _ipython_display_(self) -> None:
        display(self.widget)


class RatesExplorer:
    """Three stacked ``k × k`` convolutions with a rate slider each (stride 1).

    :meth:`draw` shows the :func:`~seglearn.receptive_field.receptive_field_table` of the
    stack, the hole counts and Wang et al.'s HDC rule as text, next to the coverage of the
    stack (path counts; white: holes, the gridding of rates with a common factor).

    Args:
        max_rate: largest rate of each live slider.
        kernel_size: odd kernel side k ≥ 3.

    Attributes:
        widget: the live UI with three sliders (created on first use).
    """

    #: Default static grid: 2 × 3 × 5 = 30 frames holding (1, 1, 1), (1, 2, 4) (MATLAB's
    #: network), (1, 2, 5) (HDC), (2, 2, 2) and (2, 4, 8) (gridding).
    STATIC_RATES: Mapping[str, tuple[int, ...]] = {
        "r1": (1, 2), "r2": (1, 2, 4), "r3": (1, 2, 4, 5, 8),
    }

    def __init__(self, *, max_rate: int = 8, kernel_size: int = 3) -> None:
        _check_rates(max_rate, kernel_size)
        self.max_rate, self.kernel_size = max_rate, kernel_size
        self._side = 1 + 3 * (kernel_size - 1) * max_rate

    def stack(self, r1: int, r2: int, r3: int) -> nn.Sequential:
        """The three convolutions (1 channel, "same" padding) the table describes."""
        k = self.kernel_size
        return nn.Sequential(*[nn.Conv2d(1, 1, k, padding=r * (k - 1) // 2, dilation=r)
                               for r in (r1, r2, r3)])

    def draw(self, r1: int, r2: int, r3: int) -> Figure:
        """Table and coverage for rates ``(r1, r2, r3)``, each in [1, max_rate]."""
        rates = (r1, r2, r3)
        if not all(1 <= r <= self.max_rate for r in rates):
            raise ValueError(f"rates must lie in [1, {self.max_rate}], got {rates}")
        cov = dilation_coverage(rates, kernel_size=self.kernel_size)
        table = format_receptive_field_table(receptive_field_table(self.stack(*rates)))
        m2 = cov.hdc_m[1]
        text = (f"rates {rates}\n\n{table}\n\n"
                f"holes: {cov.num_holes} of {cov.receptive_field ** 2} offsets "
                f"({cov.num_holes_1d} of {cov.receptive_field} along one axis)\n"
                f"common factor of the rates: {cov.common_factor}\n"
                f"HDC rule M_2 = {m2} <= {self.kernel_size}: {'yes' if cov.hdc_ok else 'no'}")
        fig = _new_figure(9.0, 3.4)
        ax_text, ax_cov = fig.subplots(1, 2, gridspec_kw=dict(
            width_ratios=(1.5, 1), left=0.01, right=0.98, bottom=0.15, top=0.9, wspace=0.05))
        ax_text.axis("off")
        ax_text.text(0.0, 0.5, text, family="monospace", fontsize=9, va="center")
        _draw_coverage(ax_cov, cov, self._side)
        ax_cov.set_title(f"coverage: RF {cov.receptive_field}, {cov.num_holes} holes")
        return fig

    @cached_property
    def widget(self) -> ipywidgets.Widget:
        sliders = {name: ipywidgets.IntSlider(value=1, min=1, max=self.max_rate,
                                              description=name, continuous_update=False)
                   for name in ("r1", "r2", "r3")}
        return LiveSlider(self.draw, sliders).widget

    def static(self, rates: Mapping[str, Sequence[int]] | None = None, *,
               dpi: int = 72) -> StaticSlider:
        """A grid of frames over ``rates`` (names ``r1``, ``r2``, ``r3``; default
        :attr:`STATIC_RATES`). Frames multiply: keep the product near 30."""
        rates = dict(self.STATIC_RATES if rates is None else rates)
        if sorted(rates) != ["r1", "r2", "r3"]:
            raise ValueError(f"rates must have the keys r1, r2, r3, got {sorted(rates)}")
        return static_grid(self.draw, {n: rates[n] for n in ("r1", "r2", "r3")}, dpi=dpi)

    def _ipython_display_(self) -> None:
        display(self.widget)
