"""The geometry of the shape scenes (private; see :mod:`seglearn.shapes`): outlines of
disks, squares and triangles, the inside test, and the textured background."""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter

__all__: list[str] = []  # private module

TEXTURE_SIGMA = 3.0  # px: the Gaussian that smooths the background's blobs


def outline(shape: str, area: float, rng: np.random.Generator, min_angle: float):
    """Vertices (V, 2) around (0, 0) of a polygon of the given area, or a disk's radius."""
    if shape == "disk":
        return math.sqrt(area / math.pi)
    turn = rng.uniform(0, 2 * math.pi)  # any orientation
    if shape == "square":
        angles = turn + np.arange(4) * math.pi / 2
        radius = math.sqrt(area / 2)
    else:  # a random triangle inscribed in a circle, every interior angle >= min_angle
        m = math.radians(min_angle)
        inner = m + (math.pi - 3 * m) * rng.dirichlet(np.ones(3))  # interior angles, sum π
        # the arc opposite an interior angle a spans 2a (inscribed-angle theorem)
        angles = turn + np.concatenate([[0], np.cumsum(2 * inner[:2])])
        radius = math.sqrt(area / (2 * np.prod(np.sin(inner))))  # area = 2 R² Π sin a
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (V, 2)


def inside(px: np.ndarray, py: np.ndarray, outline) -> np.ndarray:
    """Points inside a disk radius (float) or a convex counter-clockwise polygon (V, 2)."""
    if not isinstance(outline, np.ndarray):
        return px**2 + py**2 <= outline**2
    inside = np.ones(np.broadcast_shapes(px.shape, py.shape), dtype=bool)
    for (x1, y1), (x2, y2) in zip(outline, np.roll(outline, -1, axis=0), strict=True):
        inside &= (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1) >= 0  # left of each edge
    return inside


def background(rng: np.random.Generator, cfg) -> np.ndarray:
    """Mean level + linear ramp + smooth blobs, float (size, size), for a ``ShapeConfig``."""
    s, direction = cfg.size, rng.uniform(0, 2 * math.pi)
    y, x = (np.mgrid[0:s, 0:s] + 0.5) / s - 0.5  # (s, s) each, in [-0.5, 0.5]
    ramp = rng.uniform(0, cfg.ramp) * (x * math.cos(direction) + y * math.sin(direction))
    blobs = gaussian_filter(rng.normal(size=(s, s)), TEXTURE_SIGMA, mode="wrap")
    blobs *= cfg.texture / max(blobs.std(), 1e-12)
    return rng.uniform(*cfg.background) + ramp + blobs
