"""Sliders of the book: live in Jupyter and Colab, static in the rendered HTML book.

The rendered Jupyter Book shows ipywidgets from their saved state, but moving a slider
there runs no Python (REFERENCE.md, section 7). So every slider has two forms:

- :class:`StaticSlider` (from :func:`static_slider`, one parameter, or :func:`static_grid`,
  one frame per combination of several): every frame is drawn in advance and embedded as a
  PNG behind plain ``<input type="range">`` elements with an inline ``oninput`` handler. No
  ``<script>``, no CDN: it works in the HTML book, in Colab, and in Jupyter (JupyterLab
  strips the handler from untrusted output: re-run the cell or trust the notebook).
- :class:`LiveSlider` (from :func:`live_slider`): ipywidgets controls and an ``Output``
  that call the drawing function again on each change, using only the core API shared by
  ipywidgets 7.7.1 (Colab) and 8. Each move shows exactly one picture: the drawing's figure
  is shown as a PNG by ``IPython.display`` inside the ``Output`` and closed, never left to
  pyplot (whose handling of closed figures differs between matplotlib 3.10 and 3.11).

The two chapter explorers are thin shells over these, drawing with :mod:`seglearn.plot`::

    explorer = DilationExplorer(images[0])
    explorer.static()   # frames for rates 1 … max_rate, works without a kernel
    explorer            # live sliders (Jupyter, Colab)

Chapter: book/dilated_convolution

References:
    Yu & Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016.
    Wang et al., "Understanding convolution for semantic segmentation", WACV 2018.
"""

from ._explorers import DilationExplorer, RatesExplorer
from ._live import LiveSlider, live_slider
from ._static import StaticSlider, figure_png, static_grid, static_slider

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
