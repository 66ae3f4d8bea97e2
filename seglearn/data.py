"""The triangle data set, modelled on MATLAB's ``triangleImages``.

MATLAB ships 200 training and 100 test images, 32×32 grayscale, one noisy triangle each,
with label PNGs holding 255 for triangle pixels and 0 for background (seed ``000``; the
chapter *Semantic segmentation with dilated convolutions* teaches this module). Here the
images are generated, so the book downloads nothing; a validation split of 100 images
(its own random stream: train and test are the same files with or without it) is where
chapters choose their settings:

- :func:`make_triangle_dataset` writes MATLAB's folder layout as PNG files (and refuses
  to mix them with files already there);
- :class:`SegmentationFolder` reads such folders (``imageDatastore`` + ``pixelLabelDatastore``)
  and real data sets' label files: palette PNGs (VOC), 16-bit values, RGB colour codes;
- :func:`load_triangles` gives the same data as tensors, from disk or straight from memory;
- :func:`count_each_label` and :func:`class_weights` are ``countEachLabel`` and the
  inverse / median frequency weights of the class-imbalance chapter;
- :func:`augment_pair` flips and rotates an image and its mask together.

Label maps may have any integer dtype (uint8 from PNG files, int64 from the package);
every count is made in int64.

Calibration (measured, see the first chapter): the mean foreground fraction is about 5 %
(MATLAB: 5.04 % train, about 4.6 % test).

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ._augment import augment_pair
from ._checks import check_masks
from ._folder import SegmentationFolder
from ._label_files import labels_to_masks
from ._triangles import (
    DEFAULT_CONFIG,
    SPLIT_FOLDERS,
    SPLIT_SIZES,
    TriangleConfig,
    check_count,
    check_seed,
    check_split,
    make_triangle,
    make_triangle_arrays,
)
from ._writing import checked_root, staged, write_split

__all__ = [
    "TRIANGLE_CLASSES",
    "TriangleConfig",
    "make_triangle",
    "make_triangle_arrays",
    "make_triangle_dataset",
    "SegmentationFolder",
    "load_triangles",
    "LabelCount",
    "count_each_label",
    "class_weights",
    "augment_pair",
]

#: MATLAB's class table for the triangles: class name -> value stored in label PNGs.
#: Index order here is the class index order of the masks (0 = background, 1 = triangle).
TRIANGLE_CLASSES: dict[str, int] = {"background": 0, "triangle": 255}


def make_triangle_dataset(
    root: str | os.PathLike,
    *,
    num_train: int = 200,
    num_val: int = 100,
    num_test: int = 100,
    seed: int = 0,
    config: TriangleConfig = DEFAULT_CONFIG,
    overwrite: bool = False,
) -> Path:
    """Write MATLAB's ``triangleImages`` layout under ``root`` and return ``root``.

    Creates ``trainingImages/``, ``trainingLabels/``, ``validationImages/``,
    ``validationLabels/``, ``testImages/`` and ``testLabels/`` holding ``image_001.png`` …
    (8-bit grayscale) and label PNGs with 255 = triangle, 0 = background (a split with
    0 images gets no folders). The same seed gives byte-identical files; the training and
    test files do not depend on ``num_val``.

    Nothing is mixed or lost: every argument is checked and every image generated before
    the first file is written; a non-empty ``root`` is refused unless ``overwrite=True``,
    which deletes the six folders above (only those, and hidden ``.triangles-*`` staging
    folders an interrupted call left: other files in ``root`` stay) and writes new ones.
    The files are written to a hidden folder in ``root`` and moved into place at the end,
    so a failure leaves no half-written split.

    Args:
        root: the folder to write (created if missing; ``~`` is expanded).
        num_train, num_val, num_test: images per split, ints >= 0, not all 0.
        seed: data-set seed, an int >= 0.
        config: drawing settings.
        overwrite: replace this function's folders in a non-empty ``root``.

    Raises:
        TypeError: an argument of the wrong type.
        ValueError: a negative count, all counts 0, a negative seed.
        FileExistsError: ``root`` is not empty and ``overwrite`` is False, or ``root``
            (or one of the six folders, with ``overwrite``) is a file or a link.

    Chapter: book/dilated_segmentation
    """
    counts = {"train": check_count("num_train", num_train), "val": check_count("num_val", num_val),
              "test": check_count("num_test", num_test)}
    if not any(counts.values()):
        raise ValueError("num_train, num_val and num_test are all 0: nothing to write")
    seed = check_seed(seed)
    if not isinstance(config, TriangleConfig):
        raise TypeError(f"config must be a TriangleConfig, got {type(config).__name__}")
    owned = [d for pair in SPLIT_FOLDERS.values() for d in pair]
    root = checked_root(root, owned, overwrite)
    data = {s: make_triangle_arrays(s, n, seed=seed, config=config)
            for s, n in counts.items() if n}  # all generated before any file is written
    with staged(root, owned, "triangles") as staging:
        for split, (images, labels) in data.items():
            write_split(staging, *SPLIT_FOLDERS[split], images, labels,
                        lambda label: Image.fromarray(label, mode="L"))
    return root


def load_triangles(
    split: str,
    *,
    root: str | os.PathLike | None = None,
    seed: int | None = None,
    num: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The triangle data as tensors.

    Args:
        split: ``"train"`` (200 images), ``"val"`` (100) or ``"test"`` (100).
        root: a folder written by :func:`make_triangle_dataset` to read from; ``None``
            generates the same data in memory without touching the disk.
        seed: data-set seed when generating (default 0).
        num: number of images when generating (default 200 train, 100 val, 100 test).

    Returns:
        ``(images, masks)``: float32 ``(N, 1, 32, 32)`` in [0, 1] and int64 ``(N, 32, 32)``
        with 0 = background, 1 = triangle.

    Raises:
        ValueError: unknown split; ``seed`` or ``num`` given with ``root`` (a folder holds
            the images it holds); files that fail :class:`SegmentationFolder`'s checks.
        FileNotFoundError: ``root`` lacks the split's folders.

    Chapter: book/dilated_segmentation
    """
    check_split(split)
    if root is not None:
        if seed is not None or num is not None:
            raise ValueError(
                f"seed and num apply only when generating (root=None); got root={root!r} "
                f"with seed={seed!r}, num={num!r}"
            )
        image_dir, label_dir = (Path(root).expanduser() / d for d in SPLIT_FOLDERS[split])
        return SegmentationFolder(image_dir, label_dir, TRIANGLE_CLASSES).tensors()
    seed = 0 if seed is None else check_seed(seed)
    num = SPLIT_SIZES[split] if num is None else check_count("num", num)
    images, labels = make_triangle_arrays(split, num, seed=seed)
    masks = labels_to_masks(labels, list(TRIANGLE_CLASSES.values()), "generated labels")
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]  # (N, 1, S, S)
    return x, torch.from_numpy(masks)


@dataclass(frozen=True)
class LabelCount:
    """MATLAB's ``countEachLabel`` table, one entry per class.

    ``pixel_count[c]`` is the number of pixels of class ``c``; ``image_pixel_count[c]`` the
    total number of pixels in the images where class ``c`` occurs.

    Chapter: book/dilated_segmentation
    """

    names: list[str]
    pixel_count: list[int]
    image_pixel_count: list[int]

    @property
    def frequency(self) -> list[float]:
        """``pixel_count / sum(pixel_count)`` (the inverse-frequency weighting's base)."""
        total = sum(self.pixel_count)
        return [c / total for c in self.pixel_count]

    def __str__(self) -> str:
        width = max(len(n) for n in self.names + ["Name"]) + 2
        lines = [f"{'Name':<{width}}{'PixelCount':>12}{'ImagePixelCount':>17}"]
        for n, p, i in zip(self.names, self.pixel_count, self.image_pixel_count, strict=True):
            lines.append(f"{n:<{width}}{p:>12d}{i:>17d}")
        return "\n".join(lines)

    __repr__ = __str__


def count_each_label(masks: torch.Tensor, class_names: Sequence[str]) -> LabelCount:
    """MATLAB's ``countEachLabel``: pixels per class, and pixels of the images holding it.

    Args:
        masks: label maps ``(N, H, W)``, any integer dtype (uint8 … int64), values in
            ``[0, len(class_names))``; N >= 1 and H·W >= 1.
        class_names: the K class names in class-index order (a list, not one string).

    Returns:
        :class:`LabelCount` (Python ints; counted in int64, so no dtype overflows).

    Raises:
        TypeError: ``masks`` not a tensor; ``class_names`` a string or holding non-strings.
        ValueError: masks not integer ``(N, H, W)``, values outside ``[0, K)``, no pixels,
            no or duplicated class names.

    Chapter: book/dilated_segmentation
    """
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence):
        raise TypeError(f"class_names must be a list of names, got {class_names!r}")
    names = list(class_names)
    if not names or not all(isinstance(n, str) for n in names):
        raise TypeError(f"class_names must be a non-empty list of strings, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"class_names holds a name twice: {names}")
    k = len(names)
    check_masks(masks, k)
    n, pixels_per_image = masks.shape[0], masks.shape[1] * masks.shape[2]
    if n == 0 or pixels_per_image == 0:
        raise ValueError(f"masks hold no pixels (shape {tuple(masks.shape)})")
    image = torch.arange(n, device=masks.device).view(n, 1, 1)  # (N, 1, 1)
    flat = (image * k + masks.long()).reshape(-1)  # (N*H*W,) int64: image and class in one bin
    per_image = torch.bincount(flat, minlength=n * k).view(n, k).cpu()  # (N, K)
    return LabelCount(
        names=names,
        pixel_count=per_image.sum(0).tolist(),
        image_pixel_count=((per_image > 0).sum(0) * pixels_per_image).tolist(),
    )


def class_weights(counts: LabelCount, method: str = "inverse") -> torch.Tensor:
    """Class weights from a :class:`LabelCount`, float32 ``(K,)``.

    - ``"inverse"``: ``1 / frequency`` with frequency ``PixelCount / sum(PixelCount)``
      (seed ``000``'s choice);
    - ``"median"``: median frequency balancing, ``median(f) / f`` with
      ``f = PixelCount / ImagePixelCount`` (Eigen & Fergus 2015, MATLAB's documentation);
      the median of an even number of classes is the mean of the middle two, as in
      MATLAB's ``median`` (``torch.median`` would return the lower one).

    Raises:
        TypeError: ``counts`` is not a :class:`LabelCount`.
        ValueError: unknown method, or a class with no pixels (its weight would be infinite).

    Chapter: book/class_imbalance
    """
    if not isinstance(counts, LabelCount):
        raise TypeError(f"counts must be a LabelCount (count_each_label(masks, names)), "
                        f"got {type(counts).__name__}")
    pix = torch.tensor(counts.pixel_count, dtype=torch.float64)
    if (pix == 0).any():
        missing = [n for n, p in zip(counts.names, counts.pixel_count, strict=True) if p == 0]
        raise ValueError(f"classes {missing} have no pixels; their weight would be infinite")
    if method == "inverse":
        w = pix.sum() / pix
    elif method == "median":
        freq = pix / torch.tensor(counts.image_pixel_count, dtype=torch.float64)
        w = freq.quantile(0.5) / freq  # the mean of the middle two for even K
    else:
        raise ValueError(f"method must be 'inverse' or 'median', got {method!r}")
    return w.float()
