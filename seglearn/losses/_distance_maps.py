"""Distance maps of label regions, for the boundary-based losses (private module).

:func:`signed_distance_map` (exported by :mod:`seglearn.losses`) gives, per image and
class, the signed Euclidean distance of every pixel to the region of that class in the
ground truth; :func:`unsigned_distance_of_regions` gives the unsigned distance for any
boolean regions (the thresholded prediction of the Hausdorff loss). Both use
``scipy.ndimage.distance_transform_edt`` (exact Euclidean distances, in pixels) and are
computed without gradient: they are constants for autograd.

One definition serves every loss here. For a class c, let ``G`` be the pixels labelled c
and ``B`` the pixels labelled with another class (ignored pixels belong to neither). Then

    φ(q) = + distance from q to the nearest pixel of G    if q ∈ B   (outside, ≥ 1)
    φ(q) = − distance from q to the nearest pixel of B    if q ∈ G   (inside, ≤ −1)
    φ(q) = 0                                              if q is ignored,

distances between pixel centres. φ is never 0 on a labelled pixel: the boundary lies
between the pixels of G and of B, and the pixels on either side of it get ±1. (Kervadec
et al.'s released code adds 1 inside G, so that the inner layer of G gets 0; we keep the
symmetric form, whose unique minimiser of Σ φ·p over p ∈ [0, 1] is the truth.)
Ignored pixels are left out of G and B, so an ignored border acts exactly like cropping
the image there. **Empty policy**: if G or B is empty in an image (class absent, or
everywhere), the boundary does not exist and φ is the **zero map** for that class and
image (the boundary losses then ignore that class there; the region loss they are
combined with must handle it).

Computing the truth's maps costs about K·2 distance transforms per image on the CPU, far
more than the loss itself; :func:`signed_distance_map` therefore keeps the maps of the
images it has seen in a small least-recently-used cache (64 MiB, keyed by a hash of each
mask's bytes), and the losses also accept precomputed ``dist_maps``.

Chapter: book/loss_boundary

References:
    Kervadec, Bouchtiba, Desrosiers, Granger, Dolz & Ben Ayed, "Boundary loss for highly
    unbalanced segmentation", MIDL 2019. Karimi & Salcudean, "Reducing the Hausdorff
    Distance in Medical Image Segmentation with Convolutional Neural Networks", IEEE TMI
    2020 (arXiv 2019).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt

from .._checks import check_masks

__all__ = ["signed_distance_map", "unsigned_distance_of_regions"]

#: Memory allowed to the cache of ground-truth maps (float64 arrays), in bytes.
CACHE_BYTES = 64 * 2**20


def _signed_from_sets(inside: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """φ of one region in one image: ``inside`` (G) and ``outside`` (B) are disjoint
    boolean ``(H, W)`` arrays; pixels in neither get 0. Zero map if G or B is empty."""
    if not inside.any() or not outside.any():
        return np.zeros(inside.shape)
    # distance_transform_edt(x) gives each nonzero pixel of x its distance to the
    # nearest zero pixel of x: with x = ~G that is the distance to the nearest pixel of G.
    to_inside = distance_transform_edt(~inside)  # (H, W)
    to_outside = distance_transform_edt(~outside)  # (H, W)
    return np.where(outside, to_inside, 0.0) - np.where(inside, to_outside, 0.0)


def _image_maps(mask: np.ndarray, num_classes: int, ignore_index: int | None) -> np.ndarray:
    """φ of every class of one mask ``(H, W)``: float64 ``(K, H, W)``."""
    valid = np.ones(mask.shape, bool) if ignore_index is None else mask != ignore_index
    maps = [_signed_from_sets(mask == c, valid & (mask != c)) for c in range(num_classes)]
    return np.stack(maps)  # (K, H, W)


class _MapCache:
    """Least-recently-used store of per-image maps, bounded by total bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._store: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    def get(self, key: tuple) -> np.ndarray | None:
        value = self._store.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._store.move_to_end(key)
        return value

    def put(self, key: tuple, value: np.ndarray) -> None:
        if value.nbytes > self.max_bytes or key in self._store:
            return
        self._store[key] = value
        self._bytes += value.nbytes
        while self._bytes > self.max_bytes:
            _, old = self._store.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        self._store.clear()
        self._bytes = 0
        self.hits = self.misses = 0


_CACHE = _MapCache(CACHE_BYTES)


def signed_distance_map(
    masks: torch.Tensor,
    num_classes: int,
    *,
    ignore_index: int | None = -100,
    cache: bool = True,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Signed distance map φ of each class of each ground-truth mask, in pixels.

    φ(q) = distance to the nearest pixel of the class for a pixel q of another class
    (positive, ≥ 1), minus the distance to the nearest pixel of another class for a pixel
    of the class (negative, ≤ −1); 0 on ignored pixels. A class absent from an image, or
    covering all its labelled pixels, has no boundary there and gets the zero map. The
    module docstring of ``seglearn.losses._distance_maps`` gives the full definition.
    Computed with ``scipy.ndimage.distance_transform_edt`` on the CPU, without gradient.

    Args:
        masks: integer ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        num_classes: K ≥ 1.
        ignore_index: label of pixels that belong to no class (None: every pixel counts).
        cache: look each mask up in (and add it to) a 64 MiB least-recently-used cache
            keyed by a hash of its bytes; pays off whenever the same masks come back
            (epochs over a fixed data set). False recomputes every map.
        dtype: floating dtype of the result.

    Returns:
        ``(N, K, H, W)`` tensor of ``dtype`` on ``masks``' device; the values are exact
        Euclidean distances (square roots of integers) rounded to ``dtype``.

    Raises:
        TypeError, ValueError: masks not an integer ``(N, H, W)`` tensor with values in
            ``[0, K)`` (or ``ignore_index``), ``num_classes`` not a positive int.

    Source: Kervadec et al. 2019 (φ_G, negative inside); seed ``002`` (boundary-based
    losses).

    Chapter: book/loss_boundary
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    check_masks(masks, num_classes, ignore_index=ignore_index)
    arrays = masks.detach().cpu().long().numpy()  # (N, H, W)
    maps = []
    for mask in arrays:
        key = None
        if cache:
            digest = hashlib.blake2b(np.ascontiguousarray(mask).tobytes(), digest_size=16)
            key = (digest.digest(), mask.shape, num_classes, ignore_index)
            found = _CACHE.get(key)
            if found is not None:
                maps.append(found)
                continue
        image_maps = _image_maps(mask, num_classes, ignore_index)  # (K, H, W)
        if key is not None:
            _CACHE.put(key, image_maps)
        maps.append(image_maps)
    out = np.stack(maps) if maps else np.zeros((0, num_classes) + arrays.shape[1:])
    return torch.from_numpy(out).to(device=masks.device, dtype=dtype)  # (N, K, H, W)


def unsigned_distance_of_regions(regions: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """|φ| of arbitrary boolean regions: for each image and channel, the distance of each
    valid pixel to the boundary of ``regions`` (to the nearest valid pixel on the other
    side), 0 on invalid pixels, and the zero map where the region or its complement (within
    the valid pixels) is empty. No cache (predictions change at every step).

    Args:
        regions: bool ``(N, K, H, W)``, e.g. ``probs > 0.5``.
        valid: bool ``(N, H, W)``, the pixels that count.

    Returns:
        float64 ``(N, K, H, W)`` tensor on ``regions``' device, in pixels.
    """
    reg = regions.detach().cpu().numpy()  # (N, K, H, W)
    keep = valid.detach().cpu().numpy()  # (N, H, W)
    out = np.zeros(reg.shape)
    for n in range(reg.shape[0]):
        for c in range(reg.shape[1]):
            inside = reg[n, c] & keep[n]
            out[n, c] = np.abs(_signed_from_sets(inside, keep[n] & ~inside))
    return torch.from_numpy(out).to(regions.device)
