"""The BF (boundary F1) score, computed the way MATLAB's ``evaluateSemanticSegmentation`` does.

The BF score compares the *boundaries* of a predicted and a true region instead of their
areas (Csurka, Larlus and Perronnin, "What is a good evaluation measure for semantic
segmentation?", BMVC 2013). The chapter *Evaluating segmentation: MATLAB's metrics*
(``book/metrics.ipynb``) teaches it; :mod:`seglearn.metrics` averages it over classes and
images.

The recipe (REFERENCE.md, section 3):

1. boundary(mask) = mask AND NOT erode(mask), eroded with the 4-connected cross and the
   image padded with background, so a region touching the image border has its border
   pixels as boundary;
2. tolerance θ = 0.0075 · sqrt(H² + W²) pixels (0.75 % of the image diagonal) by default;
3. a boundary pixel matches when some boundary pixel of the other set lies at a squared
   Euclidean distance *strictly below* θ²;
4. precision P = matched predicted / all predicted boundary pixels, recall R = matched true
   / all true boundary pixels, BF = 2PR / (P + R), and 0 when P + R = 0.

What θ means on small images. Squared distances between pixel centres are integers
(0, 1, 2, 4, 5, ...). On the 32×32 triangles θ = 0.0075 · sqrt(32² + 32²) ≈ 0.339 px and
θ² ≈ 0.115, so only distance 0 is below it: a boundary pixel matches only a boundary pixel
at *exactly* the same place, and BF is an exact boundary F1 with no tolerance at all. A
boundary shifted by one pixel scores 0. MATLAB's default starts to forgive a one-pixel
offset (squared distance 1) only when θ > 1, i.e. when the diagonal exceeds
1 / 0.0075 ≈ 133.3 px (a square image of at least 95×95: 94×94 gives θ ≈ 0.997), and a
diagonal one-pixel offset (squared distance 2) only beyond a diagonal of
sqrt(2) / 0.0075 ≈ 188.6 px (square side ≥ 134). Pass ``theta`` to choose another tolerance,
e.g. ``theta=1.5`` accepts the 8 neighbours.

NaN policy: the score is NaN when the predicted or the true boundary is empty (the class
is absent from the prediction or from the truth): there is nothing to match, and a NaN is
skipped by every mean in :mod:`seglearn.metrics`, as MATLAB does.

Erosion and distances come from :mod:`scipy.ndimage` (``binary_erosion`` with
``border_value=0`` and ``distance_transform_edt``).

Chapter: book/metrics
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import ndimage

from ._checks import check_label_maps, check_num_classes

__all__ = ["bf_score", "bf_scores", "boundary", "default_theta", "hausdorff_distance"]

# The 4-connected cross: a pixel stays in the eroded mask only if it and its four edge
# neighbours are all inside the region.
_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


def default_theta(height: int, width: int) -> float:
    """MATLAB's default BF tolerance, 0.75 % of the image diagonal, in pixels.

    Args:
        height: image height H in pixels.
        width: image width W in pixels.

    Returns:
        θ = 0.0075 · sqrt(H² + W²); about 0.339 px for 32×32 images.

    Chapter: book/metrics
    """
    return 0.0075 * math.hypot(height, width)


def _as_bool_map(x: torch.Tensor | np.ndarray, name: str) -> np.ndarray:
    """A boolean numpy (H, W) map from a bool or 0/1 integer tensor/array."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D mask (H, W), got shape {x.shape}")
    if x.dtype == np.bool_:
        return x
    if not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"{name} must be boolean or 0/1 integers, got dtype {x.dtype}")
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"{name} must hold only 0 and 1, found values in [{x.min()}, {x.max()}]; "
            "pass (labels == c) for one class of a label map"
        )
    return x.astype(bool)


def _boundaries(masks: np.ndarray) -> np.ndarray:
    """Boundaries of a stack of boolean maps ``(..., H, W)``, each map on its own."""
    structure = _CROSS.reshape((1,) * (masks.ndim - 2) + _CROSS.shape)  # (1, ..., 3, 3)
    eroded = ndimage.binary_erosion(masks, structure=structure, border_value=0)
    return masks & ~eroded


def boundary(mask: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Boundary pixels of a region: mask AND NOT erode(mask), 4-connected cross.

    The image is padded with background, so pixels of the region on the image border are
    boundary pixels.

    Args:
        mask: boolean (or 0/1 integer) ``(H, W)`` tensor or numpy array.

    Returns:
        boolean tensor ``(H, W)``, True on the boundary.

    Raises:
        TypeError: ``mask`` is neither a tensor nor an array.
        ValueError: not 2-D, or values other than 0/1 (floats are rejected).

    Chapter: book/metrics
    """
    return torch.from_numpy(_boundaries(_as_bool_map(mask, "mask")))


def _matched(own: np.ndarray, other: np.ndarray, theta_sq: float) -> int:
    """How many pixels of ``own`` have a pixel of ``other`` at squared distance < θ²."""
    # EDT of the complement: distance from every pixel to the nearest `other` pixel.
    dist = ndimage.distance_transform_edt(~other)
    # Squared distances between pixel centres are integers; rint removes sqrt round-off.
    return int((np.rint(dist[own] ** 2) < theta_sq).sum())


def _bf_from_boundaries(pred_b: np.ndarray, true_b: np.ndarray, theta_sq: float) -> float:
    """BF of two boundary maps ``(H, W)``; NaN when either is empty."""
    n_pred, n_true = int(pred_b.sum()), int(true_b.sum())
    if n_pred == 0 or n_true == 0:
        return math.nan
    precision = _matched(pred_b, true_b, theta_sq) / n_pred
    recall = _matched(true_b, pred_b, theta_sq) / n_true
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _check_theta(theta: float | None, height: int, width: int) -> float:
    if theta is None:
        return default_theta(height, width)
    if isinstance(theta, bool) or not isinstance(theta, (int, float)):
        raise TypeError(f"theta must be a number of pixels or None, got {type(theta).__name__}")
    if not math.isfinite(theta) or theta <= 0:
        raise ValueError(f"theta must be a positive finite number of pixels, got {theta}")
    return float(theta)


def bf_score(
    pred: torch.Tensor | np.ndarray,
    target: torch.Tensor | np.ndarray,
    *,
    theta: float | None = None,
) -> float:
    """BF (boundary F1) score of one predicted region against the true one.

    See the module docstring for the recipe and what θ means on 32×32 images (there the
    default tolerance counts only exact boundary matches).

    Args:
        pred: predicted region, boolean (or 0/1 integer) ``(H, W)`` tensor or numpy array.
        target: true region, same shape and kinds as ``pred``.
        theta: distance tolerance in pixels, > 0; default 0.0075 · sqrt(H² + W²) (MATLAB).

    Returns:
        BF in [0, 1]; NaN when the predicted or the true boundary is empty.

    Raises:
        TypeError: an argument is neither tensor nor array, or ``theta`` is not a number.
        ValueError: not 2-D, shapes differ, values other than 0/1, or ``theta`` <= 0.

    Source: Csurka et al., BMVC 2013; MATLAB ``bfscore`` / ``evaluateSemanticSegmentation``.

    Chapter: book/metrics
    """
    p = _as_bool_map(pred, "pred")
    t = _as_bool_map(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    th = _check_theta(theta, *p.shape)
    return _bf_from_boundaries(_boundaries(p), _boundaries(t), th * th)


def bf_scores(
    preds: torch.Tensor,
    masks: torch.Tensor,
    *,
    num_classes: int,
    theta: float | None = None,
) -> torch.Tensor:
    """BF score of every (image, class) pair of two stacks of label maps.

    ``out[i, c]`` is :func:`bf_score` of ``preds[i] == c`` against ``masks[i] == c``;
    :func:`seglearn.metrics.evaluate_semantic_segmentation` averages it into MATLAB's
    class and image BF scores. Boundaries are eroded for the whole stack at once; the
    distance transforms run only where both boundaries are non-empty.

    Args:
        preds: predicted label maps ``(N, H, W)``, any integer dtype, in ``[0, K)``.
        masks: true label maps, same shape (dtype may differ), in ``[0, K)``.
        num_classes: K.
        theta: distance tolerance in pixels, > 0; default 0.0075 · sqrt(H² + W²) (MATLAB).

    Returns:
        float64 ``(N, K)`` on the CPU, values in [0, 1]; NaN where the predicted or the
        true boundary of that class is empty.

    Raises:
        TypeError: an argument is not a tensor, or ``theta`` is not a number.
        ValueError: shapes differ, not 3-D, non-integer dtype, labels outside ``[0, K)``,
            ``num_classes`` not a positive int, ``theta`` <= 0.

    Source: Csurka et al., BMVC 2013; MATLAB ``evaluateSemanticSegmentation``.

    Chapter: book/metrics
    """
    k = check_num_classes(num_classes)
    check_label_maps(preds, masks, k)
    p, t = preds.cpu().numpy(), masks.cpu().numpy()  # (N, H, W), any integer dtype
    n, h, w = p.shape
    theta_sq = _check_theta(theta, h, w) ** 2
    out = np.full((n, k), np.nan)
    for c in range(k):
        pred_b = _boundaries(p == c)  # (N, H, W)
        true_b = _boundaries(t == c)  # (N, H, W)
        both = pred_b.any(axis=(1, 2)) & true_b.any(axis=(1, 2))
        for i in np.flatnonzero(both):
            out[i, c] = _bf_from_boundaries(pred_b[i], true_b[i], theta_sq)
    return torch.from_numpy(out)


def hausdorff_distance(
    pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray, *,
    percentile: float = 100.0,
) -> float:
    """Hausdorff distance between the boundaries of two regions, or a percentile of it (HD95).

    The boundaries are :func:`boundary`'s. Every predicted boundary pixel's distance to the
    nearest true boundary pixel and every true one's to the nearest predicted one are
    pooled; ``percentile=100`` gives their maximum, the symmetric Hausdorff distance
    max(h(P, T), h(T, P)); ``percentile=95`` gives HD95 as medical segmentation reports it
    (numpy's linear interpolation). Conventions differ between tools (some take the 95th
    percentile of each direction and then the larger one); this one pools, as the boundary
    chapter does.

    Args:
        pred, target: boolean (or 0/1 integer) ``(H, W)`` region maps, tensor or array.
        percentile: in (0, 100].

    Returns:
        Distance in pixels (Euclidean, between pixel centres), a float ≥ 0; NaN when either
        region is empty (no boundary to measure from).

    Raises:
        TypeError, ValueError: as :func:`boundary`; the two shapes differ; ``percentile``
            outside (0, 100].

    Source: Huttenlocher et al., "Comparing images using the Hausdorff distance", TPAMI
    1993; HD95 as in Karimi & Salcudean 2020 (arXiv 1904.10030).

    Chapter: book/loss_comparison
    """
    p, t = _as_bool_map(pred, "pred"), _as_bool_map(target, "target")
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and "
                         f"{t.shape}")
    if isinstance(percentile, bool) or not 0 < float(percentile) <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile!r}")
    if not p.any() or not t.any():
        return math.nan
    pb, tb = _boundaries(p), _boundaries(t)
    to_t = ndimage.distance_transform_edt(~tb)[pb]  # each predicted boundary px -> truth
    to_p = ndimage.distance_transform_edt(~pb)[tb]  # each true boundary px -> prediction
    return float(np.percentile(np.concatenate([to_t, to_p]), float(percentile)))
