"""Shape scenes: a data set where a pixel's class can only be read from the shape around it.

Each 64×64 grayscale scene holds disks, squares and triangles on a textured, non-uniform
background (a ramp, smooth blobs, noise). An object is the background shifted by its own
offset, brighter or darker, from *one* distribution for every class: no intensity tells a
disk from a square, the outline does, and deep inside a large object the outline lies
beyond a small receptive field. Sizes (sqrt of the area) are log-uniform over 4 … 32 px;
triangles are rarer and smaller; some scenes are empty. Occlusion order: largest painted
first, so smaller objects lie in front, seen whole. Labels are palette PNGs (PASCAL VOC's
convention: pixel values are the class indices of :data:`SHAPE_CLASSES`, colours VOC's)
in MATLAB's folder layout with a class table, ``classes.csv``.

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ._shape_geometry import background, inside
from ._shape_geometry import outline as make_outline
from ._writing import checked_root, staged, write_split

__all__ = ["SHAPE_CLASSES", "SHAPE_PALETTE", "SHAPE_SPLITS", "ShapeConfig", "ShapeObject",
           "make_shape_scene", "make_shape_arrays", "make_shapes_dataset", "load_shapes"]

#: Class table of the shape scenes: class name -> value in the label PNGs (= class index).
SHAPE_CLASSES: dict[str, int] = {"background": 0, "disk": 1, "square": 2, "triangle": 3}
#: RGB colour of each class in the label PNGs' palette (PASCAL VOC's first four colours).
SHAPE_PALETTE = ((0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0))
#: Split name -> (image folder, label folder), MATLAB's names; default number of images.
SHAPE_SPLITS = {"train": ("trainingImages", "trainingLabels", 2000),
                "val": ("validationImages", "validationLabels", 100),
                "test": ("testImages", "testLabels", 100)}


@dataclass(frozen=True)
class ShapeConfig:
    """How a scene is drawn (defaults: the calibrated book settings; intensities in [0, 1]).

    Attributes:
        size: image side in pixels (16 … 512).
        max_objects: a non-empty scene holds 1 … ``max_objects`` objects (uniform).
        empty_prob: probability of a scene without objects.
        class_probs: probabilities of disk, square, triangle (summing to 1).
        object_size: (min, max) of sqrt(object area) in pixels, sampled log-uniformly.
        triangle_scale: triangle sizes are ``object_size`` times this.
        min_angle: smallest interior angle of a triangle, degrees (20 … 60).
        contrast: (min, max) of an object's absolute offset from the background; its sign
            is + or - with equal chance, whatever the class.
        min_gap: smallest offset difference between objects whose bounding circles touch.
        max_hidden: largest share of an object's area a later (smaller) object may cover.
        background: (min, max) of the background's mean level; ramp: largest peak-to-peak
            amplitude of its linear ramp; texture: standard deviation of its smooth blobs
            (noise blurred by a Gaussian of 3 px); noise: pixel noise sd.

    Edges are anti-aliased on 3×3 sub-pixels (the label: the centre one's object); an object
    gets 30 draws (placement, offset) before it is dropped, a bound on a scene's time.

    Raises:
        ValueError: a setting outside its range, or objects too large for the image.

    Chapter: book/dilated_segmentation
    """

    size: int = 64
    max_objects: int = 5
    empty_prob: float = 0.1
    class_probs: tuple[float, float, float] = (0.4, 0.4, 0.2)
    object_size: tuple[float, float] = (4.0, 32.0)
    triangle_scale: float = 0.7
    min_angle: float = 55.0
    contrast: tuple[float, float] = (0.25, 0.45)
    min_gap: float = 0.1
    max_hidden: float = 0.25
    background: tuple[float, float] = (0.35, 0.65)
    ramp: float = 0.2
    texture: float = 0.03
    noise: float = 0.02

    def __post_init__(self) -> None:
        _int_in("size", self.size, 16, 512), _int_in("max_objects", self.max_objects, 1, 50)
        probs = np.asarray(self.class_probs, dtype=float)
        if probs.shape != (3,) or (probs < 0).any() or not math.isclose(probs.sum(), 1.0):
            raise ValueError(f"class_probs must be 3 non-negative numbers summing to 1, "
                             f"got {self.class_probs}")
        for name, lo, hi in (("empty_prob", 0, 1), ("triangle_scale", 0.1, 1),
                             ("min_angle", 20, 60), ("min_gap", 0, 0.5), ("max_hidden", 0, 1),
                             ("ramp", 0, 1), ("texture", 0, 0.5), ("noise", 0, 0.5)):
            if not lo <= getattr(self, name) <= hi:
                raise ValueError(f"{name} must lie in [{lo}, {hi}], got {getattr(self, name)}")
        for name, lo_ok, hi_ok in (("object_size", 1.0, self.size), ("contrast", 0.0, 0.5),
                                   ("background", 0.0, 1.0)):
            lo, hi = getattr(self, name)
            if not lo_ok <= lo <= hi <= hi_ok:
                raise ValueError(f"{name} must be (min, max) with {lo_ok} <= min <= max <= "
                                 f"{hi_ok}, got {(lo, hi)}")
        # bounding diameter per unit size: a disk (area π r²), a square (its diagonal), the
        # flattest triangle allowed, angles (m, m, 180° - 2m), area 2 R² sin m sin m sin 2m
        m = math.radians(self.min_angle)
        triangle = self.triangle_scale / math.sqrt(2 * math.sin(m) ** 2 * math.sin(2 * m))
        widest = 2 * self.object_size[1] * max(1 / math.sqrt(math.pi), 1 / math.sqrt(2), triangle)
        if widest > self.size - 2:
            raise ValueError(f"object_size[1]={self.object_size[1]} is too large: the widest "
                             f"object ({widest:.1f} px) must fit in {self.size - 2} px")


def _int_in(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an int in [{lo}, {hi}], got {value!r}")


_SHAPES = ("disk", "square", "triangle")  # class index = position + 1
_SUPERSAMPLE, _TRIES = 3, 30  # sub-pixels per side (odd), draws per object


@dataclass(frozen=True)
class ShapeObject:
    """One painted object, in pixels (x right, y down; pixel (i, j) covers [j, j+1) × [i, i+1)):
    class index ``cls`` (1 disk, 2 square, 3 triangle), ``size`` = sqrt(area), ``centre``
    (x, y), ``radius`` of its bounding circle (a disk's radius), ``vertices`` (polygon
    corners counter-clockwise, ``()`` for a disk) and the ``offset`` added to the
    background under it (in [-0.5, 0.5]).

    Chapter: book/dilated_segmentation
    """

    cls: int
    size: float
    centre: tuple[float, float]
    radius: float
    vertices: tuple[tuple[float, float], ...]
    offset: float


def make_shape_scene(
    rng: np.random.Generator, cfg: ShapeConfig = ShapeConfig()
) -> tuple[np.ndarray, np.ndarray, list[ShapeObject]]:
    """Draw one scene with ``rng`` (the only source of randomness) and settings ``cfg``.

    Returns:
        ``(image, label, objects)``: uint8 ``(size, size)`` image in 0..255; uint8 label, the
        class index (0 … 3) of the front-most object at each pixel centre; the placed
        :class:`ShapeObject` list, back to front.

    Raises:
        TypeError: ``rng`` is not a ``numpy.random.Generator``.

    Chapter: book/dilated_segmentation
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    s, k, image = cfg.size, _SUPERSAMPLE, background(rng, cfg)
    sub = (np.arange(s * k) + 0.5) / k  # sub-pixel centres, pixel units
    sx, sy = sub[None, :], sub[:, None]
    painted = np.zeros((s * k, s * k), dtype=np.int64)  # 0 background, j + 1 object j
    offsets, objects, areas = [0.0], [], []

    count = 0 if rng.random() < cfg.empty_prob else int(rng.integers(1, cfg.max_objects + 1))
    classes = rng.choice(3, size=count, p=cfg.class_probs) + 1
    sizes = np.exp(rng.uniform(*np.log(cfg.object_size), count))
    sizes = np.where(classes == 3, sizes * cfg.triangle_scale, sizes)
    for j in np.argsort(-sizes, kind="stable"):  # back to front: largest first
        shape = _SHAPES[classes[j] - 1]
        outline = make_outline(shape, sizes[j] ** 2, rng, cfg.min_angle)
        radius = float(np.hypot(*outline.T).max() if shape != "disk" else outline)
        for _ in range(_TRIES):
            cx, cy = rng.uniform(radius + 1, s - radius - 1, 2)
            mask = inside(sx - cx, sy - cy, outline)
            hidden = np.bincount(painted[mask], minlength=len(objects) + 1)[1:]
            if all(h <= cfg.max_hidden * a for h, a in zip(hidden, areas, strict=True)):
                break
        else:
            continue  # no placement hides little enough: drop the object
        near = [o.offset for o in objects
                if math.hypot(o.centre[0] - cx, o.centre[1] - cy) <= o.radius + radius + 1]
        for _ in range(_TRIES):
            offset = rng.choice([-1.0, 1.0]) * rng.uniform(*cfg.contrast)
            if all(abs(offset - o) >= cfg.min_gap for o in near):
                break
        else:
            continue
        corners = () if shape == "disk" else tuple(map(tuple, (outline + (cx, cy)).tolist()))
        objects.append(ShapeObject(int(classes[j]), float(sizes[j]), (float(cx), float(cy)),
                                   float(radius), corners, float(offset)))
        areas.append(int(mask.sum()))
        painted[mask] = len(objects)
        offsets.append(offset)

    image += np.asarray(offsets)[painted].reshape(s, k, s, k).mean(axis=(1, 3))  # anti-aliased
    image += rng.normal(0, cfg.noise, (s, s))
    image = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    centre = painted[k // 2::k, k // 2::k]  # (s, s) object under each pixel centre
    cls_of = np.asarray([0] + [o.cls for o in objects], dtype=np.uint8)
    return image, cls_of[centre], objects


def _check_split(split: str) -> None:
    if split not in SHAPE_SPLITS:
        raise ValueError(f"split must be one of {list(SHAPE_SPLITS)}, got {split!r}")


def make_shape_arrays(
    split: str, num: int | None = None, *, seed: int = 0, config: ShapeConfig = ShapeConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """``num`` scenes of one split as uint8 arrays ``(num, size, size)``: images, labels.

    Splits come from independent streams of ``seed``; the first ``n`` scenes of a split do
    not depend on ``num`` (default: 2000 train, 100 val, 100 test).

    Raises:
        ValueError: unknown split, ``num`` < 0.

    Chapter: book/dilated_segmentation
    """
    _check_split(split)
    streams = np.random.SeedSequence(seed).spawn(len(SHAPE_SPLITS))  # one per split
    rng = np.random.default_rng(streams[list(SHAPE_SPLITS).index(split)])
    num = SHAPE_SPLITS[split][2] if num is None else num
    _int_in("num", num, 0, 100_000)
    s = config.size
    images, labels = np.zeros((num, s, s), np.uint8), np.zeros((num, s, s), np.uint8)
    for i in range(num):
        images[i], labels[i], _ = make_shape_scene(rng, config)
    return images, labels


def _palette_png(label: np.ndarray) -> Image.Image:
    png = Image.fromarray(label, mode="P")  # pixel values: class indices
    png.putpalette([c for rgb in SHAPE_PALETTE for c in rgb])  # VOC's colours
    return png


def make_shapes_dataset(
    root: str | Path, *, num_train: int = SHAPE_SPLITS["train"][2],
    num_val: int = SHAPE_SPLITS["val"][2], num_test: int = SHAPE_SPLITS["test"][2],
    seed: int = 0, config: ShapeConfig = ShapeConfig(), overwrite: bool = False,
) -> Path:
    """Write the scenes in MATLAB's folder layout under ``root`` and return ``root``.

    The folders of :data:`SHAPE_SPLITS` get ``image_001.png`` …: 8-bit grayscale images and
    palette label PNGs (pixel values = class indices, colours :data:`SHAPE_PALETTE`), and
    ``classes.csv`` the class table (name, value, R, G, B); one seed, byte-identical files.
    Nothing is mixed or lost, as in :func:`seglearn.data.make_triangle_dataset`: a
    non-empty ``root`` is refused unless ``overwrite=True`` (then only these entries are
    replaced), and files move into place from a staging folder once all are written.

    Raises:
        TypeError, ValueError: bad counts, seed or config (see :func:`make_shape_arrays`).
        FileExistsError: ``root`` not empty without ``overwrite``, a file, or holds links.

    Chapter: book/dilated_segmentation
    """
    owned = [d for split in SHAPE_SPLITS.values() for d in split[:2]] + ["classes.csv"]
    root = checked_root(root, owned, overwrite)
    data = {split: make_shape_arrays(split, num, seed=seed, config=config) for split, num in
            (("train", num_train), ("val", num_val), ("test", num_test))}
    rows = [f"{n},{v},{r},{g},{b}\n" for (n, v), (r, g, b) in zip(
        SHAPE_CLASSES.items(), SHAPE_PALETTE, strict=True)]
    with staged(root, owned, "shapes") as staging:
        for split, (images, labels) in data.items():
            write_split(staging, *SHAPE_SPLITS[split][:2], images, labels, _palette_png)
        (staging / "classes.csv").write_text("name,value,R,G,B\n" + "".join(rows))
    return root


def load_shapes(
    split: str, *, root: str | Path | None = None, seed: int = 0, num: int | None = None,
    config: ShapeConfig = ShapeConfig(),
) -> tuple[torch.Tensor, torch.Tensor]:
    """The shape scenes as tensors.

    Args:
        split: ``"train"`` (2000 scenes), ``"val"`` (100) or ``"test"`` (100).
        root: a folder written by :func:`make_shapes_dataset`, read with
            :class:`seglearn.data.SegmentationFolder` and :data:`SHAPE_CLASSES`; ``None``
            generates the same data in memory (``seed``, ``num``, ``config`` as
            :func:`make_shape_arrays`).

    Returns:
        ``(images, masks)``: float32 ``(N, 1, size, size)`` in [0, 1] and int64
        ``(N, size, size)`` with 0 background, 1 disk, 2 square, 3 triangle.

    Raises:
        ValueError: unknown split, or files failing the folder reader's checks.

    Chapter: book/dilated_segmentation
    """
    _check_split(split)
    if root is not None:
        from .data import SegmentationFolder  # lazy: data may re-export this module

        image_dir, label_dir = (Path(root) / d for d in SHAPE_SPLITS[split][:2])
        return SegmentationFolder(image_dir, label_dir, SHAPE_CLASSES).tensors()
    images, labels = make_shape_arrays(split, num, seed=seed, config=config)
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]  # (N, 1, S, S)
    return x, torch.from_numpy(labels.astype(np.int64))
