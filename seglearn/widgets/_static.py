"""The static form of a slider: every frame drawn in advance, behind HTML range inputs.

Part of :mod:`seglearn.widgets` (import from there). Works without a kernel: in the
rendered book, in Colab, and in Jupyter once the notebook is trusted or re-run.

Chapter: book/loss_tversky
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

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from PIL import Image as PILImage

__all__ = ["figure_png", "StaticSlider", "static_slider", "static_grid"]

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

    Chapter: book/loss_tversky
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


def value_label(value: Any) -> str:
    """How a slider labels a value: floats in ``%g`` form (0.5, not 0.500000)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def frame_png(draw: Callable[..., Figure | None], kwargs: dict, dpi: int,
              colors: int | None = 128) -> bytes:
    """PNG of what ``draw(**kwargs)`` drew (a returned ``Figure``, or pyplot's current one
    when it returns ``None``). That figure and every pyplot figure ``draw`` opened are then
    closed: pyplot holds nothing to show again; the caller shows the picture.

    Raises:
        TypeError: ``draw`` returned something other than a ``Figure`` or ``None``.
    """
    before, fig = set(plt.get_fignums()), None
    try:
        fig = draw(**kwargs)
        if fig is None:  # drawn with pyplot
            fig = plt.gcf()
        if not isinstance(fig, Figure):
            raise TypeError(f"draw must return a matplotlib Figure or None, "
                            f"got {type(fig).__name__}")
        return figure_png(fig, dpi=dpi, colors=colors)
    finally:
        for num in set(plt.get_fignums()) - before:
            plt.close(num)
        if isinstance(fig, Figure):
            plt.close(fig)  # a pyplot figure from before the call; a no-op for any other


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

    Chapter: book/loss_tversky
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
            labels = html.escape(json.dumps([value_label(v) for v in vals]))
            i = self.index[name]
            ranges.append(
                f'<label style="margin-right:1.5em">{html.escape(name)} '
                f'<input type="range" min="0" max="{len(vals) - 1}" step="1" value="{i}" '
                f'aria-label="{html.escape(name)}" data-labels="{labels}" '
                f'oninput="{handler}" style="vertical-align:middle"> '
                f'<span class="sgl-value">{html.escape(value_label(vals[i]))}</span></label>'
            )
        imgs = []
        names = list(self.values)
        for k, (combo, png) in enumerate(
            zip(itertools.product(*self.values.values()), self.frames, strict=True)
        ):
            alt = html.escape(", ".join(f"{n}={value_label(v)}" for n, v in zip(names, combo,
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

    Raises:
        ValueError: no values, or an ``initial`` not among them.
        TypeError: ``draw`` returned something other than a ``Figure`` or ``None``.

    Chapter: book/loss_tversky
    """
    values = list(values)
    frames = [frame_png(lambda v=v: draw(v), {}, dpi) for v in values]
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

    Args:
        draw: takes one keyword per slider, returns a ``Figure`` (or draws with pyplot).
        values: slider name -> its values, in slider order (the last varies fastest).
        initial: slider name -> starting value (default: each slider's first value).
        dpi: resolution of the frames.

    Returns:
        A :class:`StaticSlider` with one range input per name of ``values``.

    Raises:
        ValueError, TypeError: as :func:`static_slider`.

    Chapter: book/loss_tversky
    """
    values = {str(k): list(v) for k, v in values.items()}
    frames = [frame_png(draw, dict(zip(values, combo, strict=True)), dpi)
              for combo in itertools.product(*values.values())]
    return StaticSlider(frames, values, initial=initial)
