"""The triangle generator, modelled on MATLAB's ``triangleImages`` (private; the public face
is :mod:`seglearn.data`, which re-exports it).

Each split draws from a random stream of its own, spawned from the data-set seed
(``numpy.random.SeedSequence(seed).spawn``): child 0 is train, child 1 test, child 2
validation. A spawned child depends only on the seed and its position, so adding the
validation stream left the training and test images byte-identical to the two-split
generator (tests/test_data_splits.py holds their hashes).

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_CONFIG",
    "SPLIT_FOLDERS",
    "SPLIT_SIZES",
    "TriangleConfig",
    "check_count",
    "check_seed",
    "check_split",
    "make_triangle",
    "make_triangle_arrays",
]

#: Split -> (image folder, label folder), MATLAB's names (validation: the same pattern).
SPLIT_FOLDERS = {
    "train": ("trainingImages", "trainingLabels"),
    "val": ("validationImages", "validationLabels"),
    "test": ("testImages", "testLabels"),
}
#: Default number of images per split (MATLAB: 200 training, 100 test).
SPLIT_SIZES = {"train": 200, "val": 100, "test": 100}
_STREAM = {"train": 0, "test": 1, "val": 2}  # position among the seed's spawned children

#: Draws of a triangle that fits before :func:`make_triangle` gives up (the book's settings
#: need at most a few dozen; a setting that needs more is all but infeasible).
MAX_TRIES = 100_000


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _check_pair(name: str, pair, lo: float, hi: float, *, open_lo: bool = False) -> None:
    ok = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(map(_is_number, pair))
    if not ok or not all(math.isfinite(v) for v in pair):
        raise TypeError(f"TriangleConfig.{name} must be a (min, max) pair of numbers, "
                        f"got {pair!r}")
    a, b = pair
    if a > b or a < lo or b > hi or (open_lo and a <= lo):
        bracket = "(" if open_lo else "["
        raise ValueError(f"TriangleConfig.{name} must be (min, max) with min <= max in "
                         f"{bracket}{lo}, {hi}], got {tuple(pair)}")


@dataclass(frozen=True)
class TriangleConfig:
    """How a triangle image is drawn (defaults are the calibrated book settings).

    Every setting is checked when the config is made, so that no setting can make the
    generator loop for ever.

    Attributes:
        size: image side in pixels, an int >= 4.
        area: (min, max) triangle area in pixels, sampled uniformly;
            0 < min <= max <= (size - 2)² / 2 (the largest triangle that fits the image
            inside its 1-pixel margin).
        min_angle: smallest interior angle in degrees (rejects slivers), in [0, 60).
        contrast: (min, max) intensity step from background to triangle, in [0, 1].
        background: (min, max) background intensity, in [0, 1].
        noise: standard deviation of the additive Gaussian noise (intensity units), >= 0.
        supersample: sub-pixels per side used to anti-alias the triangle's edges, int >= 1.

    Raises:
        TypeError: a setting of the wrong type (e.g. ``size=32.0``, ``area=50``).
        ValueError: a setting outside its range (e.g. ``min_angle=60``: no triangle has
            every angle above 60°; an area that cannot fit the image).

    Chapter: book/dilated_segmentation
    """

    size: int = 32
    area: tuple[float, float] = (18.0, 90.0)
    min_angle: float = 20.0
    contrast: tuple[float, float] = (0.3, 0.7)
    background: tuple[float, float] = (0.15, 0.35)
    noise: float = 0.08
    supersample: int = 4

    def __post_init__(self) -> None:
        for name in ("size", "supersample"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"TriangleConfig.{name} must be an int, got {v!r}")
        if self.size < 4:
            raise ValueError(f"TriangleConfig.size must be >= 4 pixels, got {self.size}")
        if self.supersample < 1:
            raise ValueError(f"TriangleConfig.supersample must be >= 1, got {self.supersample}")
        _check_pair("area", self.area, 0.0, (self.size - 2) ** 2 / 2, open_lo=True)
        _check_pair("contrast", self.contrast, 0.0, 1.0)
        _check_pair("background", self.background, 0.0, 1.0)
        for name, lo, hi in (("min_angle", 0.0, 60.0), ("noise", 0.0, math.inf)):
            v = getattr(self, name)
            if not _is_number(v) or math.isnan(v):
                raise TypeError(f"TriangleConfig.{name} must be a number, got {v!r}")
            if not lo <= v < hi:
                raise ValueError(f"TriangleConfig.{name} must lie in [{lo}, {hi}), got {v}")


#: The book's settings, the default of every generator function.
DEFAULT_CONFIG = TriangleConfig()


def check_split(split: str) -> str:
    """``split`` if it names a split of :data:`SPLIT_FOLDERS`; else ``ValueError``."""
    if split not in SPLIT_FOLDERS:
        raise ValueError(f"split must be one of {list(SPLIT_FOLDERS)}, got {split!r}")
    return split


def check_count(name: str, num: int) -> int:
    """A number of images: an int >= 0."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)):
        raise TypeError(f"{name} must be an int number of images, got {num!r}")
    if num < 0:
        raise ValueError(f"{name} must be >= 0, got {num}")
    return int(num)


def check_seed(seed: int) -> int:
    """A data-set seed as an int >= 0 (bools refused); else ``ValueError``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


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
    # Rejection sampling; the draws (and so every generated file) are those of the
    # unbounded loop this replaces, it only gives up after MAX_TRIES.
    for _ in range(MAX_TRIES):
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
    raise ValueError(
        f"no triangle with area in {cfg.area} px and every angle >= {cfg.min_angle}° fitted "
        f"a {cfg.size}x{cfg.size} image in {MAX_TRIES} draws; lower area or min_angle"
    )


def make_triangle(
    rng: np.random.Generator, cfg: TriangleConfig = DEFAULT_CONFIG
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one noisy triangle.

    Args:
        rng: a NumPy random generator (``numpy.random.default_rng(seed)``), the only
            source of randomness.
        cfg: drawing settings.

    Returns:
        ``(image, label)``: uint8 ``(size, size)`` arrays; the image in 0..255, the label
        255 on pixels whose centre lies inside the triangle and 0 elsewhere (MATLAB's
        values).

    Raises:
        TypeError: ``rng`` is not a ``numpy.random.Generator`` or ``cfg`` not a
            :class:`TriangleConfig`.
        ValueError: no triangle of the configured area fits after ``MAX_TRIES`` draws.

    Chapter: book/dilated_segmentation
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    if not isinstance(cfg, TriangleConfig):
        raise TypeError(f"cfg must be a TriangleConfig, got {type(cfg).__name__}")
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


def make_triangle_arrays(
    split: str, num: int, *, seed: int = 0, config: TriangleConfig = DEFAULT_CONFIG
) -> tuple[np.ndarray, np.ndarray]:
    """``num`` triangles of one split as uint8 arrays ``(num, size, size)`` (image, label).

    Train, val and test come from independent streams of the same ``seed``; the first
    ``n`` images of a split do not depend on ``num``. Labels hold 255 (triangle) and 0.

    Args:
        split: ``"train"``, ``"val"`` or ``"test"``.
        num: number of images, an int >= 0.
        seed: data-set seed, an int >= 0.
        config: drawing settings.

    Raises:
        TypeError: ``num`` not an int, ``config`` not a :class:`TriangleConfig`.
        ValueError: unknown split, negative ``num`` or ``seed``.

    Chapter: book/dilated_segmentation
    """
    check_split(split)
    num, seed = check_count("num", num), check_seed(seed)
    if not isinstance(config, TriangleConfig):
        raise TypeError(f"config must be a TriangleConfig, got {type(config).__name__}")
    stream = np.random.SeedSequence(seed).spawn(len(_STREAM))[_STREAM[split]]
    rng = np.random.default_rng(stream)
    images = np.zeros((num, config.size, config.size), np.uint8)  # (N, S, S)
    labels = np.zeros_like(images)
    for i in range(num):
        images[i], labels[i] = make_triangle(rng, config)
    return images, labels
