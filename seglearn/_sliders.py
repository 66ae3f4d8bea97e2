"""Slider machinery of :mod:`seglearn.widgets` (private; use it through that module).

The rendered Jupyter Book shows ipywidgets from their saved state, but moving a slider
there runs no Python. So every slider has two forms:

- :class:`StaticSlider` (from :func:`static_slider` or :func:`static_grid`): every frame is
  drawn in advance and embedded as a PNG; plain ``<input type="range">`` elements with an
  inline ``oninput`` handler show the frame of the current position. No ``<script>``, no
  CDN, no external file: it works in the HTML book, in Jupyter (once the notebook is
  trusted or re-run: JupyterLab strips handlers from untrusted output) and in Colab.
- :class:`LiveSlider` (from :func:`live_slider`): ipywidgets sliders and an ``Output``
  that call the drawing function again on each change. It uses only the core API shared
  by ipywidgets 7.7.1 (Colab) and 8 (``SelectionSlider``, ``interactive_output``,
  ``Output``, ``HBox`` / ``VBox``) and ends each redraw with ``plt.show()``, without which
  Colab stacks a new figure on every move.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets
import matplotlib.pyplot as plt
from IPython.display import Image, display
from matplotlib.figure import Figure
from PIL import Image as PILImage

__all__ = [
    "StaticSlider",
    "static_slider",
    "static_grid",
    "LiveSlider",
    "live_slider",
    "figure_png",
]

_counter = itertools.count()

# One handler for any number of ranges: the frame index is row-major over the ranges,
# each range's ``max + 1`` is its number of values. Single quotes only (it sits in a
# double-quoted attribute, HTML-escaped).
_HANDLER = (
    "var c=this.closest('.seglearn-slider'),r=c.querySelectorAll('input[type=range]'),f=0;"
    "for(var a=0;a<r.length;a++){var v=+r[a].value;f=f*(+r[a].max+1)+v;"
    "r[a].parentNode.querySelector('.sgl-value').textContent="
    "JSON.parse(r[a].dataset.labels)[v];}"
    "var m=c.querySelectorAll('.sgl-frames img');"
    "for(var k=0;k<m.length;k++){m[k].style.display=k===f?'':'none';}"
)


def figure_png(fig: Figure, *, dpi: int = 72, colors: int | None = 128) -> bytes:
    """PNG bytes of a figure, small enough to embed many of them in a notebook.

    Args:
        fig: the figure (it is not closed here).
        dpi: resolution; the figure's size in inches times ``dpi`` gives the pixels.
        colors: quantise to a palette of this many colours (a third of the bytes of an
            RGB PNG for line art and grey images), or ``None`` for full colour.

    Returns:
        The PNG file as bytes (deterministic: no time stamp or software tag).
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    if colors is None:
        return buf.getvalue()
    buf.seek(0)
    img = PILImage.open(buf).convert("RGB").quantize(colors=colors)
    out = io.BytesIO()
    img.save(out, format="png", optimize=True)
    return out.getvalue()


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _render(draw: Callable[..., Figure | None], kwargs: dict, dpi: int) -> bytes:
    before = set(plt.get_fignums())
    fig = draw(**kwargs)
    if fig is None:
        fig = plt.gcf()
    if not isinstance(fig, Figure):
        raise TypeError(f"draw must return a matplotlib Figure or None, got {type(fig).__name__}")
    png = figure_png(fig, dpi=dpi)
    for num in set(plt.get_fignums()) - before:  # pyplot figures draw made: not for display
        plt.close(num)
    return png


class StaticSlider:
    """Precomputed frames behind one or more HTML range inputs (works without a kernel).

    Frames are in row-major order over the product of the sliders' values (the last
    slider varies fastest). Display the object in a notebook (``_repr_html_``); the HTML is
    also in :attr:`html`.

    Args:
        frames: PNG bytes, one per combination of values.
        values: slider name -> its values, in slider order.
        initial: slider name -> starting value (default: each slider's first value).

    Raises:
        ValueError: no slider, a slider without values, an unknown initial value, or a
            number of frames other than the product of the numbers of values.
    """

    def __init__(
        self,
        frames: Sequence[bytes],
        values: Mapping[str, Sequence[Any]],
        *,
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        self.values = {str(k): list(v) for k, v in values.items()}
        if not self.values or any(len(v) == 0 for v in self.values.values()):
            raise ValueError(f"need at least one slider with values, got {self.values}")
        expected = 1
        for v in self.values.values():
            expected *= len(v)
        if len(frames) != expected:
            raise ValueError(f"expected {expected} frames for {self.values}, got {len(frames)}")
        self.frames = list(frames)
        initial = dict(initial or {})
        self.index = {}
        for name, vals in self.values.items():
            if name in initial and initial[name] not in vals:
                raise ValueError(f"initial {name}={initial[name]!r} is not among {vals}")
            self.index[name] = vals.index(initial[name]) if name in initial else 0
        digest = hashlib.sha1(b"".join(self.frames)).hexdigest()[:8]  # same on re-runs
        self.id = f"sgl-{digest}-{next(_counter)}"
        self.html = self._build_html()

    def _build_html(self) -> str:
        flat = 0
        for name, vals in self.values.items():
            flat = flat * len(vals) + self.index[name]
        handler = html.escape(_HANDLER)
        ranges = []
        for name, vals in self.values.items():
            labels = html.escape(json.dumps([_label(v) for v in vals]))
            i = self.index[name]
            ranges.append(
                f'<label style="margin-right:1.5em">{html.escape(name)} '
                f'<input type="range" min="0" max="{len(vals) - 1}" step="1" value="{i}" '
                f'aria-label="{html.escape(name)}" data-labels="{labels}" '
                f'oninput="{handler}" style="vertical-align:middle"> '
                f'<span class="sgl-value">{html.escape(_label(vals[i]))}</span></label>'
            )
        imgs = []
        names = list(self.values)
        for k, (combo, png) in enumerate(
            zip(itertools.product(*self.values.values()), self.frames, strict=True)
        ):
            alt = html.escape(", ".join(f"{n}={_label(v)}" for n, v in zip(names, combo,
                                                                          strict=True)))
            hidden = "" if k == flat else "display:none;"
            data = base64.b64encode(png).decode("ascii")
            imgs.append(f'<img src="data:image/png;base64,{data}" alt="{alt}" '
                        f'style="{hidden}max-width:100%">')
        return (f'<div class="seglearn-slider" id="{self.id}">'
                f'<div class="sgl-controls">{"".join(ranges)}</div>'
                f'<div class="sgl-frames">{"".join(imgs)}</div></div>')

    @property
    def nbytes(self) -> int:
        """Size of the HTML in bytes (what the notebook and the book page carry)."""
        return len(self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        sliders = ", ".join(f"{k}: {len(v)} values" for k, v in self.values.items())
        return f"StaticSlider({sliders}; {len(self.frames)} frames, {self.nbytes / 1e3:.0f} kB)"


def static_slider(
    draw: Callable[[Any], Figure | None],
    values: Sequence[Any],
    *,
    label: str = "value",
    initial: Any = None,
    dpi: int = 72,
) -> StaticSlider:
    """One slider: call ``draw(value)`` for each value and embed the frames.

    Args:
        draw: takes one value, returns a ``Figure`` (or draws with pyplot and returns
            ``None``); figures it opens with pyplot are closed after rendering.
        values: the slider's values, in order (e.g. ``range(1, 9)``).
        label: the slider's name shown next to it.
        initial: starting value (default: the first).
        dpi: resolution of the frames; the HTML grows with its square.

    Returns:
        A :class:`StaticSlider`.
    """
    values = list(values)
    frames = [_render(lambda v=v: draw(v), {}, dpi) for v in values]
    init = None if initial is None else {label: initial}
    return StaticSlider(frames, {label: values}, initial=init)


def static_grid(
    draw: Callable[..., Figure | None],
    values: Mapping[str, Sequence[Any]],
    *,
    initial: Mapping[str, Any] | None = None,
    dpi: int = 72,
) -> StaticSlider:
    """Several sliders (e.g. Tversky α and β): a frame for every combination of values.

    ``draw`` is called with the slider names as keyword arguments, ``draw(alpha=…,
    beta=…)``, once per combination: the number of frames, and the HTML, is the product of
    the numbers of values, so keep the grids small (about 30 KB a frame at the default
    dpi for a 9×3 inch figure).

    Returns:
        A :class:`StaticSlider` with one range input per name of ``values``.
    """
    values = {str(k): list(v) for k, v in values.items()}
    frames = [_render(draw, dict(zip(values, combo, strict=True)), dpi)
              for combo in itertools.product(*values.values())]
    return StaticSlider(frames, values, initial=initial)


class LiveSlider:
    """ipywidgets sliders and an ``Output`` that redraw on every change (needs a kernel).

    Each value of ``controls`` is an ipywidgets value widget (``IntSlider``,
    ``FloatSlider``, ``SelectionSlider``, ``Dropdown`` …), used as it is, or a sequence of
    values, which becomes a ``SelectionSlider`` that redraws when released. ``draw`` is
    called with the control names as keyword arguments, once at construction and again
    on each change; a returned ``Figure`` not managed by pyplot is shown as a PNG at
    ``dpi``, and every redraw ends with ``plt.show()`` (for pyplot drawing, and Colab).

    Attributes:
        controls: name -> widget.
        output: the ``Output`` the drawings go to.
        widget: the whole UI (``VBox`` of the controls and the output); displaying the
            ``LiveSlider`` displays it.
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
        return ipywidgets.SelectionSlider(options=[(_label(v), v) for v in control],
                                          description=name, continuous_update=False)

    def _redraw(self, **kwargs: Any) -> None:
        fig = self.draw(**kwargs)
        if isinstance(fig, Figure) and fig.canvas.manager is None:  # not a pyplot figure
            display(Image(data=figure_png(fig, dpi=self.dpi, colors=None)))
        plt.show()

    def _ipython_display_(self) -> None:
        display(self.widget)


def live_slider(
    draw: Callable[..., Figure | None],
    **controls: ipywidgets.ValueWidget | Sequence[Any],
) -> LiveSlider:
    """``LiveSlider(draw, controls)`` with the controls as keywords, like ``interact``.

    Example:
        >>> live_slider(lambda rate: explorer.draw(rate), rate=range(1, 9))  # doctest: +SKIP
    """
    return LiveSlider(draw, controls)
