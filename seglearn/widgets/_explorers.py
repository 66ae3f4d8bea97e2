"""The chapters' dilation explorers: thin shells pairing :mod:`seglearn.plot`'s dilation
pictures with a static and a live slider.

Part of :mod:`seglearn.widgets` (import from there).

Chapter: book/dilated_convolution
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

import ipywidgets
import numpy as np
import torch
from IPython.display import display
from matplotlib.figure import Figure

from ..plot import dilated_response, plot_dilation, plot_dilation_rates
from ._live import LiveSlider
from ._static import StaticSlider, static_grid, static_slider

__all__ = ["DilationExplorer", "RatesExplorer"]


class DilationExplorer:
    """The dilation-rate slider of the book, on one image: :func:`~seglearn.plot.plot_dilation`
    for rates 1 … ``max_rate`` (kernel taps, gridding of a 3-layer stack, dilated Laplacian).

    Args:
        image: one grayscale image in [0, 1], ``(H, W)``, ``(1, H, W)`` or ``(1, 1, H, W)``,
            tensor or array (e.g. a 32×32 triangle).
        max_rate: largest rate of the slider, >= 1.
        kernel_size: odd kernel side k >= 3.

    Attributes:
        widget: the live UI (created on first use); displaying the explorer shows it.

    Raises:
        ValueError: a bad image, ``max_rate`` < 1 or an even ``kernel_size``.

    Chapter: book/dilated_convolution
    """

    def __init__(self, image: torch.Tensor | np.ndarray, *, max_rate: int = 8,
                 kernel_size: int = 3) -> None:
        self.image, self.max_rate, self.kernel_size = image, max_rate, kernel_size
        if max_rate < 1:
            raise ValueError(f"max_rate must be >= 1, got {max_rate}")
        dilated_response(image, max_rate, kernel_size=kernel_size)  # checks image and k

    def response(self, rate: int) -> torch.Tensor:
        """:func:`~seglearn.plot.dilated_response` of the image at ``rate``: float64 (H, W)."""
        return dilated_response(self.image, rate, kernel_size=self.kernel_size)

    def draw(self, rate: int) -> Figure:
        """The frame for ``rate`` in [1, max_rate] (a new Figure pyplot does not hold)."""
        return plot_dilation(self.image, rate, max_rate=self.max_rate,
                             kernel_size=self.kernel_size)

    @cached_property
    def widget(self) -> ipywidgets.Widget:
        slider = ipywidgets.IntSlider(value=1, min=1, max=self.max_rate, description="rate",
                                      continuous_update=False)
        return LiveSlider(lambda rate: self.draw(rate), {"rate": slider}).widget

    def static(self, rates: Sequence[int] | None = None, *, dpi: int = 72) -> StaticSlider:
        """Frames for ``rates`` (default 1 … max_rate) behind an HTML range input."""
        rates = list(range(1, self.max_rate + 1)) if rates is None else list(rates)
        return static_slider(self.draw, rates, label="rate", dpi=dpi)

    def _ipython_display_(self) -> None:
        display(self.widget)


class RatesExplorer:
    """Three stacked ``k × k`` convolutions with a rate slider each (stride 1):
    :func:`~seglearn.plot.plot_dilation_rates` (receptive-field table, holes, HDC rule,
    coverage).

    Args:
        max_rate: largest rate of each live slider, >= 1.
        kernel_size: odd kernel side k >= 3.

    Attributes:
        widget: the live UI with three sliders (created on first use).

    Raises:
        ValueError: ``max_rate`` < 1 or an even ``kernel_size``.

    Chapter: book/receptive_fields
    """

    #: Default static grid: 2 × 3 × 5 = 30 frames holding (1, 1, 1), (1, 2, 4) (MATLAB's
    #: network), (1, 2, 5) (HDC), (2, 2, 2) and (2, 4, 8) (gridding).
    STATIC_RATES: Mapping[str, tuple[int, ...]] = {
        "r1": (1, 2), "r2": (1, 2, 4), "r3": (1, 2, 4, 5, 8),
    }

    def __init__(self, *, max_rate: int = 8, kernel_size: int = 3) -> None:
        self.max_rate, self.kernel_size = max_rate, kernel_size
        plot_dilation_rates((1, 1, 1), max_rate=max_rate, kernel_size=kernel_size)  # checks

    def draw(self, r1: int, r2: int, r3: int) -> Figure:
        """The frame for rates ``(r1, r2, r3)``, each in [1, max_rate]."""
        return plot_dilation_rates((r1, r2, r3), max_rate=self.max_rate,
                                   kernel_size=self.kernel_size)

    @cached_property
    def widget(self) -> ipywidgets.Widget:
        sliders = {name: ipywidgets.IntSlider(value=1, min=1, max=self.max_rate,
                                              description=name, continuous_update=False)
                   for name in ("r1", "r2", "r3")}
        return LiveSlider(lambda r1, r2, r3: self.draw(r1, r2, r3), sliders).widget

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
