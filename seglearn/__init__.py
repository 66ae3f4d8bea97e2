"""seglearn: the companion package of the book *Semantic Segmentation, Hands-On*.

One module per concept, each taught by a chapter of the book:

- ``seglearn.data``: the triangle data set (MATLAB's ``triangleImages``), folders and label
  files, label counts and class weights, joint flips and rotations
- ``seglearn.shapes``: multi-class shape scenes, where a pixel's class is read from shape
- ``seglearn.models``: conv-BN-ReLU, the dilated network, encoder-decoders, U-Net
- ``seglearn.deeplab``: DeepLabv3 with its bottleneck units and ASPP
- ``seglearn.losses``: every loss of the book, a function plus a thin ``nn.Module``
- ``seglearn.metrics``: confusion matrix and MATLAB's evaluation metrics
- ``seglearn.bfscore``: the boundary F1 (BF) score of Csurka et al.
- ``seglearn.baselines``: the trivial answers (all background, a brightness threshold),
  MATLAB's published metrics and the book's reference runs
- ``seglearn.protocol``, ``seglearn.intervals``: configurations over seeds, settings chosen
  on the validation split, intervals and paired differences
- ``seglearn.results``: stored runs of experiments too slow for a chapter
- ``seglearn.complexity``: parameter and multiply-accumulate counts of a model
- ``seglearn.receptive_field``: receptive-field arithmetic, effective receptive field
- ``seglearn.coverage``: which offsets dilated stacks reach: gridding, the HDC rule
- ``seglearn.augment``: joint image/mask transforms (torchvision v2), DeepLab's scale and
  crop, test-time flip averaging
- ``seglearn.train``: device choice, seeding, ``fit``, ``segment``
- ``seglearn.plot``: overlays, sample grids, training curves
- ``seglearn.widgets``: sliders, live in Jupyter/Colab and static in the HTML book

The tensor contract, everywhere in the package:

- images: float32 ``(N, C_in, H, W)`` with values in ``[0, 1]`` (triangles: ``C_in = 1``);
- masks: int64 ``(N, H, W)`` of class indices ``0 … K-1`` (0 = background); functions that
  take label maps accept any integer dtype;
- models map images to logits ``(N, K, H, W)`` at the input's resolution;
- losses take ``(logits, masks)`` like ``torch.nn.functional.cross_entropy``;
- metrics take hard label maps ``(N, H, W)`` (predictions and truth).

Label files on disk keep MATLAB's values (255 = triangle, 0 = background) and are mapped to
class indices through an explicit class table; unknown values are rejected.

The PyPI project named ``seglearn`` is unrelated: install this package from the book's
repository (its distribution name is ``seglearn-book``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seglearn-book")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

from . import (  # noqa: E402
    augment,
    baselines,
    bfscore,
    complexity,
    coverage,
    data,
    deeplab,
    intervals,
    losses,
    metrics,
    models,
    plot,
    protocol,
    receptive_field,
    results,
    shapes,
    train,
)

# `seglearn.widgets` (ipywidgets, IPython) is imported on demand: `from seglearn import widgets`.
__all__ = [
    "augment", "baselines", "bfscore", "complexity", "coverage", "data", "deeplab", "intervals",
    "losses", "metrics", "models", "plot", "protocol", "receptive_field", "results", "shapes",
    "train", "__version__",
]
