"""The live form of a slider: ipywidgets controls and an ``Output`` (needs a kernel).

Part of :mod:`seglearn.widgets` (import from there).

Chapter: book/loss_tversky
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets
from IPython.display import Image, display
from matplotlib.figure import Figure

from ._static import frame_png, value_label

__all__ = ["LiveSlider", "live_slider"]


class LiveSlider:
    """ipywidgets sliders and an ``Output`` that redraw on every change (needs a kernel).

    Each value of ``controls`` is an ipywidgets value widget (``IntSlider``,
    ``FloatSlider``, ``SelectionSlider``, ``Dropdown`` …), used as it is, or a sequence of
    values, which becomes a ``SelectionSlider`` that redraws when released. ``draw`` is
    called with the control names as keyword arguments, once at construction and again
    on each change, and returns a ``Figure`` (or draws with pyplot and returns ``None``).

    Each call shows exactly one picture, whatever the matplotlib (3.9 … newest), ipywidgets
    (7.7.1, 8) and IPython (7.34 … newest): the figure is rendered to a PNG at ``dpi``,
    shown with ``IPython.display`` inside :attr:`output` (which ``interactive_output``
    clears first), and closed, with every pyplot figure ``draw`` opened. Nothing is left to
    pyplot, so it neither shows a figure a second time (Colab stacked one per move) nor
    depends on what a closed figure's ``canvas.manager`` holds (``None`` from matplotlib
    3.11 on, a manager before).

    Args:
        draw: the drawing function, called with one keyword per control.
        controls: name -> widget or sequence of values.
        dpi: resolution of the pictures.

    Attributes:
        controls: name -> widget.
        output: the ``Output`` the drawings go to.
        widget: the whole UI (``VBox`` of the controls and the output); displaying the
            ``LiveSlider`` displays it.

    Raises:
        ValueError: no control.
        TypeError: a control that is neither a value widget nor a non-empty sequence.

    Chapter: book/loss_tversky
    """

    def __init__(
        self,
        draw: Callable[..., Figure | None],
        controls: Mapping[str, ipywidgets.ValueWidget | Sequence[Any]],
        *,
        dpi: int = 90,
    ) -> None:
        self.draw, self.dpi = draw, dpi
        self.controls = {name: self._control(name, c) for name, c in controls.items()}
        if not self.controls:
            raise ValueError("LiveSlider needs at least one control")
        self.output = ipywidgets.interactive_output(self._redraw, self.controls)
        self.widget = ipywidgets.VBox([ipywidgets.HBox(list(self.controls.values())),
                                       self.output])

    @staticmethod
    def _control(name: str, control: Any) -> ipywidgets.ValueWidget:
        if isinstance(control, ipywidgets.ValueWidget):
            return control
        if isinstance(control, str) or not isinstance(control, Sequence) or not control:
            raise TypeError(f"control {name!r} must be a widget or a non-empty sequence of "
                            f"values, got {control!r}")
        return ipywidgets.SelectionSlider(options=[(value_label(v), v) for v in control],
                                          description=name, continuous_update=False)

    def _redraw(self, **kwargs: Any) -> None:
        # Called by interactive_output inside `with output:` after clear_output(wait=True),
        # so the one picture displayed here replaces the last one.
        display(Image(data=frame_png(self.draw, kwargs, self.dpi, colors=None)))

    def _ipython_display_(self) -> None:
        display(self.widget)


def live_slider(
    draw: Callable[..., Figure | None],
    **controls: ipywidgets.ValueWidget | Sequence[Any],
) -> LiveSlider:
    """``LiveSlider(draw, controls)`` with the controls as keywords, like ``interact``.

    Example:
        >>> live_slider(lambda rate: explorer.draw(rate), rate=range(1, 9))  # doctest: +SKIP

    Raises:
        ValueError, TypeError: as :class:`LiveSlider`.

    Chapter: book/loss_tversky
    """
    return LiveSlider(draw, controls)
