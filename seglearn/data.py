"""The triangle data set, modelled on MATLAB's ``triangleImages``.

MATLAB ships 200 training and 100 test images, 32×32 grayscale, one noisy triangle each,
with label PNGs holding 255 for triangle pixels and 0 for background (seed ``000``; the
chapter *Semantic segmentation with dilated convolutions* teaches this module). Here the
images are generated, so the book downloads nothing:

- :func:`make_triangle_dataset` writes MATLAB's folder layout as PNG files;
- :class:`SegmentationFolder` reads such folders (``imageDatastore`` + ``pixelLabelDatastore``);
- :func:`load_triangles` gives the same data as tensors, from disk or straight from memory;
- :func:`count_each_label` and :func:`class_weights` are ``countEachLabel`` and the
  inverse / median frequency weights of the class-imbalance chapter;
- :func:`augment_pair` flips and rotates an image and its mask together (torchvision).

Calibration (measured, see the first chapter): the mean foreground fraction is about 5 %
(MATLAB: 5.04 % train, about 4.6 % test).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ._checks import check_images, check_masks
from ._folder import SegmentationFolder, _labels_to_masks

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

_SPLITS = {"train": ("trainingImages", "trainingLabels"), "test": ("testImages", "testLabels")}


@dataclass(frozen=True)
class TriangleConfig:
    """How a triangle image is drawn (defaults are the calibrated book settings).

    Attributes:
        size: image side in pixels.
        area: (min, max) triangle area in pixels, sampled uniformly.
        min_angle: smallest interior angle in degrees (rejects slivers).
        contrast: (min, max) intensity step from background to triangle, in [0, 1].
        background: (min, max) background intensity.
        noise: standard deviation of the additive Gaussian noise (intensity units).
        supersample: sub-pixels per side used to anti-alias the triangle's edges.
    """

    size: int = 32
    area: tuple[float, float] = (18.0, 90.0)
    min_angle: float = 20.0
    contrast: tuple[float, float] = (0.3, 0.7)
    background: tuple[float, float] = (0.15, 0.35)
    noise: float = 0.08
    supersample: int = 4


def _inside(px: np.ndarray, py: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Points (px, py) inside the triangle with vertices v (3, 2), edges included."""
    d = []
    for i in range(3):
        (x1, y1), (x2, y2) = v[i], v[(i + 1) % 3]
        d.append((px - x2) * (y1 - y2) - (x1 - x2) * (py - y2))
    d = np.stack(d)
    return np.all(d >= 0, axis=0) | np.all(d <= 0, axis=0)


def _angles(v: np.ndarray) -> np.ndarray:
    out = []
    for i in range(3):
        a, b = v[(i + 1) % 3] - v[i], v[(i + 2) % 3] - v[i]
        cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)
        out.append(math.degrees(math.acos(np.clip(cos, -1.0, 1.0))))
    return np.array(out)


def _random_vertices(rng: np.random.Generator, cfg: TriangleConfig) -> np.ndarray:
    """Vertices (3, 2) in pixel coordinates of a random triangle that fits the image."""
    while True:
        angles = np.sort(rng.uniform(0, 2 * math.pi, 3))
        radii = rng.uniform(0.6, 1.0, 3)
        v = np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
        if _angles(v).min() < cfg.min_angle:
            continue
        (ax, ay), (bx, by) = v[1] - v[0], v[2] - v[0]
        area = 0.5 * abs(ax * by - ay * bx)
        v = v * math.sqrt(rng.uniform(*cfg.area) / area)
        lo, hi = v.min(0), v.max(0)
        margin = 1.0
        room = cfg.size - 2 * margin - (hi - lo)
        if np.any(room <= 0):
            continue
        return v - lo + margin + rng.uniform(0, 1, 2) * room


def make_triangle(
    rng: np.random.Generator, cfg: TriangleConfig = TriangleConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one noisy triangle.

    Args:
        rng: a NumPy random generator (the only source of randomness).
        cfg: drawing settings.

    Returns:
        ``(image, label)``: uint8 ``(size, size)`` arrays; the image in 0..255, the label
        255 on pixels whose centre lies inside the triangle and 0 elsewhere (MATLAB's
        values).
    """
    v = _random_vertices(rng, cfg)
    s, k = cfg.size, cfg.supersample
    centres = np.arange(s) + 0.5
    label = _inside(centres[None, :], centres[:, None], v)
    sub = (np.arange(s * k) + 0.5) / k
    coverage = _inside(sub[None, :], sub[:, None], v).reshape(s, k, s, k).mean(axis=(1, 3))
    bg = rng.uniform(*cfg.background)
    image = bg + rng.uniform(*cfg.contrast) * coverage + rng.normal(0, cfg.noise, (s, s))
    image = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    return image, np.where(label, 255, 0).astype(np.uint8)


def _split_rng(split: str, seed: int) -> np.random.Generator:
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    train_seq, test_seq = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(train_seq if split == "train" else test_seq)


def make_triangle_arrays(
    split: str, num: int, *, seed: int = 0, config: TriangleConfig = TriangleConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """``num`` triangles of one split as uint8 arrays ``(num, size, size)`` (image, label).

    Train and test come from independent streams of the same ``seed``; the first ``n``
    images of a split do not depend on ``num``.
    """
    rng = _split_rng(split, seed)
    pairs = [make_triangle(rng, config) for _ in range(num)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def make_triangle_dataset(
    root: str | Path,
    *,
    num_train: int = 200,
    num_test: int = 100,
    seed: int = 0,
    config: TriangleConfig = TriangleConfig(),
) -> Path:
    """Write MATLAB's ``triangleImages`` layout under ``root`` and return ``root``.

    Creates ``trainingImages/``, ``trainingLabels/``, ``testImages/`` and ``testLabels/``
    holding ``image_001.png`` … (8-bit grayscale) and label PNGs with 255 = triangle,
    0 = background. The same seed gives byte-identical files.
    """
    root = Path(root)
    for split, num in (("train", num_train), ("test", num_test)):
        images, labels = make_triangle_arrays(split, num, seed=seed, config=config)
        image_dir, label_dir = (root / d for d in _SPLITS[split])
        image_dir.mkdir(parents=True, exist_ok=True)
        label_dir.mkdir(parents=True, exist_ok=True)
        for i, (image, label) in enumerate(zip(images, labels, strict=True), start=1):
            Image.fromarray(image, mode="L").save(image_dir / f"image_{i:03d}.png")
            Image.fromarray(label, mode="L").save(label_dir / f"image_{i:03d}.png")
    return root


def load_triangles(
    split: str, *, root: str | Path | None = None, seed: int = 0, num: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The triangle data as tensors.

    Args:
        split: ``"train"`` (200 images) or ``"test"`` (100 images).
        root: a folder written by :func:`make_triangle_dataset` to read from; ``None``
            generates the same data in memory without touching the disk.
        seed: data-set seed (used only when ``root`` is ``None``).
        num: number of images when generating (default 200 train, 100 test).

    Returns:
        ``(images, masks)``: float32 ``(N, 1, 32, 32)`` in [0, 1] and int64 ``(N, 32, 32)``
        with 0 = background, 1 = triangle.

    Raises:
        ValueError: unknown split, or files that fail :class:`SegmentationFolder`'s checks.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if root is not None:
        image_dir, label_dir = (Path(root) / d for d in _SPLITS[split])
        return SegmentationFolder(image_dir, label_dir, TRIANGLE_CLASSES).tensors()
    num = num if num is not None else (200 if split == "train" else 100)
    images, labels = make_triangle_arrays(split, num, seed=seed)
    masks = _labels_to_masks(labels, list(TRIANGLE_CLASSES.values()), "generated labels")
    return torch.from_numpy(images.astype(np.float32) / 255.0)[:, None], torch.from_numpy(masks)


@dataclass(frozen=True)
class LabelCount:
    """MATLAB's ``countEachLabel`` table, one entry per class.

    ``pixel_count[c]`` is the number of pixels of class ``c``; ``image_pixel_count[c]`` the
    total number of pixels in the images where class ``c`` occurs.
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
    """MATLAB's ``countEachLabel`` for masks ``(N, H, W)`` int64 in ``[0, len(class_names))``.

    Raises:
        ValueError: masks outside the class range, or not integer ``(N, H, W)``.
    """
    k = len(class_names)
    check_masks(masks, k)
    flat = masks.reshape(masks.shape[0], -1)  # (N, H*W)
    per_image = torch.stack([torch.bincount(m, minlength=k) for m in flat])  # (N, K)
    pixels_per_image = flat.shape[1]
    present = per_image > 0
    return LabelCount(
        names=list(class_names),
        pixel_count=per_image.sum(0).tolist(),
        image_pixel_count=(present.sum(0) * pixels_per_image).tolist(),
    )


def class_weights(counts: LabelCount, method: str = "inverse") -> torch.Tensor:
    """Class weights from a :class:`LabelCount`, float32 ``(K,)``.

    - ``"inverse"``: ``1 / frequency`` with frequency ``PixelCount / sum(PixelCount)``
      (seed ``000``'s choice);
    - ``"median"``: median frequency balancing, ``median(f) / f`` with
      ``f = PixelCount / ImagePixelCount`` (Eigen & Fergus 2015, MATLAB's documentation).

    Raises:
        ValueError: unknown method, or a class with no pixels (its weight would be infinite).
    """
    pix = torch.tensor(counts.pixel_count, dtype=torch.float64)
    if (pix == 0).any():
        missing = [n for n, p in zip(counts.names, counts.pixel_count, strict=True) if p == 0]
        raise ValueError(f"classes {missing} have no pixels; their weight would be infinite")
    if method == "inverse":
        w = pix.sum() / pix
    elif method == "median":
        freq = pix / torch.tensor(counts.image_pixel_count, dtype=torch.float64)
        w = freq.median() / freq
    else:
        raise ValueError(f"method must be 'inverse' or 'median', got {method!r}")
    return w.float()


def augment_pair(
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
    flips: bool = True,
    rotate90: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random flips and right-angle rotations applied to each image and its mask.

    Uses ``torchvision.transforms.v2`` functionals on an image and a ``tv_tensors.Mask``;
    transforms that map the pixel grid onto itself are exact for labels (no interpolation).

    Args:
        images: float ``(N, C, H, W)``; masks: int64 ``(N, H, W)``; ``H == W`` for rotations.
        generator: random source (seed it for reproducible augmentation).

    Returns:
        New tensors of the same shapes and dtypes; the inputs are not modified.
    """
    from torchvision import tv_tensors
    from torchvision.transforms.v2 import functional as TF

    check_images(images)
    check_masks(masks)
    out_x, out_y = [], []
    for x, y in zip(images, masks, strict=True):
        m = tv_tensors.Mask(y)
        draws = torch.rand(3, generator=generator)
        if flips and draws[0] < 0.5:
            x, m = TF.horizontal_flip(x), TF.horizontal_flip(m)
        if flips and draws[1] < 0.5:
            x, m = TF.vertical_flip(x), TF.vertical_flip(m)
        if rotate90:
            k = int(draws[2] * 4)
            x, m = TF.rotate(x, 90.0 * k), TF.rotate(m, 90.0 * k)
        out_x.append(x)
        out_y.append(m.as_subclass(torch.Tensor))
    return torch.stack(out_x), torch.stack(out_y)
