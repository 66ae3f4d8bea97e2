"""Boundary-based losses: the boundary (surface) loss and the distance-transform Hausdorff
loss.

Both weight the per-pixel error by distances to region boundaries, computed from the
masks (and, for the Hausdorff loss, from the thresholded prediction) with
:func:`seglearn.losses.signed_distance_map`'s definition: distances in pixels between
pixel centres, ±1 on the two pixel layers that touch the boundary, zero maps where a
class has no boundary in an image. The maps are constants for autograd.

Both papers train with these losses **added to a region loss** (Dice or generalized
Dice), with a weight that grows during training; alone they can stall, since an image
where a class has no boundary gives that class no gradient. The functions here are the
boundary terms alone; a chapter combines them, e.g.
``dice_loss(x, y) + λ * boundary_loss(x, y)``.

Chapter: book/loss_boundary (boundary-based losses, seed ``002``)

References:
    Kervadec, Bouchtiba, Desrosiers, Granger, Dolz & Ben Ayed, "Boundary loss for highly
    unbalanced segmentation", MIDL 2019. Karimi & Salcudean, "Reducing the Hausdorff
    Distance in Medical Image Segmentation with Convolutional Neural Networks", IEEE TMI
    2020 (arXiv 2019). Seed ``002`` (loss catalogue).
"""

from __future__ import annotations

import torch

from .._checks import value_checks_skipped
from ._common import LossModule, check_number, masked_mean, prepare
from ._distance_maps import signed_distance_map, unsigned_distance_of_regions

__all__ = ["BoundaryLoss", "HausdorffDTLoss", "boundary_loss", "hausdorff_dt_loss"]


def _truth_maps(
    dist_maps: torch.Tensor | None,
    masks: torch.Tensor,
    like: torch.Tensor,
    *,
    ignore_index: int | None,
    cache: bool,
) -> torch.Tensor:
    """φ of the truth ``(N, K, H, W)`` in ``like``'s dtype and device: computed from the
    masks, or the caller's precomputed ``dist_maps`` after checking them."""
    if dist_maps is None:
        return signed_distance_map(masks, like.shape[1], ignore_index=ignore_index,
                                   cache=cache, dtype=like.dtype).to(like.device)
    if not isinstance(dist_maps, torch.Tensor):
        raise TypeError(f"dist_maps must be a torch.Tensor, got {type(dist_maps).__name__}")
    if dist_maps.shape != like.shape or not dist_maps.is_floating_point():
        raise ValueError(
            f"dist_maps must be a float tensor of the logits' shape {tuple(like.shape)} "
            f"(from signed_distance_map), got {dist_maps.dtype} {tuple(dist_maps.shape)}"
        )
    if not torch.isfinite(dist_maps).all():
        raise ValueError("dist_maps contain NaN or infinite values")
    return dist_maps.detach().to(device=like.device, dtype=like.dtype)


def _mean_over_classes_and_pixels(
    per_pixel: torch.Tensor, valid: torch.Tensor, include_background: bool
) -> torch.Tensor:
    """``(N, K, H, W)`` → scalar: drop class 0 if asked, mean over classes, then mean over
    the pixels that count (``valid`` ``(N, 1, H, W)``)."""
    if not include_background:
        per_pixel = per_pixel[:, 1:]  # (N, K-1, H, W)
    return masked_mean(per_pixel.mean(dim=1), valid.squeeze(1))  # over (N, H, W)


def boundary_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    dist_maps: torch.Tensor | None = None,
    include_background: bool = False,
    ignore_index: int = -100,
    cache: bool = True,
) -> torch.Tensor:
    """Boundary (surface) loss of Kervadec et al. 2019: mean over pixels and classes of φ_c·p_c.

    ``L = (1 / |C|) Σ_{c ∈ C} (1 / |Ω|) Σ_{q ∈ Ω} φ_c(q) p_c(q)`` with ``p`` the softmax,
    ``Ω`` the pixels that count (over the whole batch), ``C`` the foreground classes (all
    classes if ``include_background``) and ``φ_c`` the signed distance map of class c in
    the truth (:func:`seglearn.losses.signed_distance_map`): **negative inside** the class
    (minus the distance to the nearest pixel of another class), **positive outside**
    (the distance to the nearest pixel of the class), ±1 on the two layers of pixels that
    touch the boundary, so φ is never 0 on a labelled pixel. The loss is linear in p and
    is smallest when p_c = 1 exactly on the class: that minimum is **negative** (minus the
    mean depth of the class), not 0. Kervadec et al.'s released code adds 1 to φ inside
    the class, so that its inner layer of pixels gets 0 (and no gradient); their loss is
    ours plus ``(1 / |Ω|) Σ_{q in class} p_c(q)``.

    **Empty policy**: a class absent from an image (or filling all its labelled pixels)
    has no boundary; its map is zero and it adds 0 (no gradient) for that image. The paper
    (and we) therefore combine this loss with a region loss: Kervadec et al. train with
    ``α·L_GDL + (1 − α)·L_B`` and a schedule that moves the weight from the region term
    to the boundary term (α from 1 down by 0.01 per epoch in the MIDL paper); this
    function is the boundary term alone.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        dist_maps: optional float ``(N, K, H, W)``, the truth's maps precomputed once with
            :func:`seglearn.losses.signed_distance_map` (same ``ignore_index``); None
            computes them here (scipy, CPU).
        include_background: False (default, as Kervadec et al.) keeps only classes 1..K-1.
        ignore_index: label of pixels that count nowhere.
        cache: when the maps are computed here, reuse those of masks already seen.

    Returns:
        Scalar tensor, in pixels; can be negative. 0 when no pixel counts.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, ``dist_maps`` not a finite
            float tensor of the logits' shape.

    Source: Kervadec et al. 2019; seed ``002`` (boundary-based losses).

    Chapter: book/loss_boundary
    """
    probs, _, valid = prepare(logits, masks, ignore_index=ignore_index)
    with value_checks_skipped():  # masks were checked by prepare
        phi = _truth_maps(dist_maps, masks, probs, ignore_index=ignore_index, cache=cache)
    return _mean_over_classes_and_pixels(phi * probs, valid, include_background)


def hausdorff_dt_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    alpha: float = 2.0,
    dist_maps: torch.Tensor | None = None,
    include_background: bool = False,
    ignore_index: int = -100,
    cache: bool = True,
) -> torch.Tensor:
    """Distance-transform Hausdorff loss of Karimi & Salcudean 2019/2020.

    ``L = (1 / |C|) Σ_{c ∈ C} (1 / |Ω|) Σ_{q ∈ Ω} (p_c − t_c)² (d_{p,c}^α + d_{t,c}^α)``:
    the squared error of each pixel, weighted by how far it lies from the boundary of the
    truth (``d_t = |φ|``, :func:`seglearn.losses.signed_distance_map`) and from the
    boundary of the prediction (``d_p``: the same unsigned distance for the region
    ``p_c > 0.5``, recomputed at every call, without gradient). Errors far from both
    boundaries, which make the Hausdorff distance large, cost the most. α = 2 is the
    paper's choice. ``Ω`` are the pixels that count, over the whole batch; ``C`` the
    foreground classes unless ``include_background`` (for K = 2 both choices give the same
    value: the two classes share their boundary and their squared errors).

    **Empty policy**: where the truth or the prediction of a class has no boundary in an
    image (region empty or everywhere), the corresponding ``d`` is the zero map; if both
    are, that class adds 0 there. The paper trains with ``L_DT + λ·L_Dice``, λ chosen so
    the two terms weigh the same; this function is the distance term alone.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        alpha: exponent α ≥ 0 of the distances.
        dist_maps: optional precomputed truth maps φ (signed, as from
            :func:`seglearn.losses.signed_distance_map`); their absolute value is d_t.
        include_background: False (default) keeps only classes 1..K-1.
        ignore_index: label of pixels that count nowhere.
        cache: when the truth's maps are computed here, reuse those of masks already seen.

    Returns:
        Scalar tensor ≥ 0 (squared probability times pixels^α); 0 when no pixel counts.

    Raises:
        TypeError, ValueError: as :func:`boundary_loss`, and α < 0.

    Source: Karimi & Salcudean 2020 (arXiv 2019), eq. for Loss_DT; seed ``002``.

    Chapter: book/loss_boundary
    """
    alpha = check_number("alpha", alpha, low=0.0)
    probs, targets, valid = prepare(logits, masks, ignore_index=ignore_index)
    with value_checks_skipped():  # masks were checked by prepare
        d_truth = _truth_maps(dist_maps, masks, probs, ignore_index=ignore_index,
                              cache=cache).abs()
    keep = valid.squeeze(1) > 0  # (N, H, W)
    d_pred = unsigned_distance_of_regions(probs.detach() > 0.5, keep).to(probs.dtype)
    weight = d_pred**alpha + d_truth**alpha  # (N, K, H, W), constant for autograd
    return _mean_over_classes_and_pixels((probs - targets) ** 2 * weight, valid,
                                         include_background)


class BoundaryLoss(LossModule):
    """Module form of :func:`boundary_loss`; ``forward(logits, masks, dist_maps=None)``.

    Chapter: book/loss_boundary
    """

    _settings = ("include_background", "ignore_index", "cache")
    _function = staticmethod(boundary_loss)

    def __init__(self, *, include_background: bool = False, ignore_index: int = -100,
                 cache: bool = True) -> None:
        super().__init__()
        self.include_background, self.ignore_index, self.cache = (
            include_background, ignore_index, cache)

    def forward(self, logits: torch.Tensor, masks: torch.Tensor,
                dist_maps: torch.Tensor | None = None) -> torch.Tensor:
        return self._call(logits, masks, dist_maps=dist_maps)


class HausdorffDTLoss(LossModule):
    """Module form of :func:`hausdorff_dt_loss`; ``forward(logits, masks, dist_maps=None)``.

    Chapter: book/loss_boundary
    """

    _settings = ("alpha", "include_background", "ignore_index", "cache")
    _function = staticmethod(hausdorff_dt_loss)

    def __init__(self, *, alpha: float = 2.0, include_background: bool = False,
                 ignore_index: int = -100, cache: bool = True) -> None:
        super().__init__()
        self.alpha, self.include_background = alpha, include_background
        self.ignore_index, self.cache = ignore_index, cache

    def forward(self, logits: torch.Tensor, masks: torch.Tensor,
                dist_maps: torch.Tensor | None = None) -> torch.Tensor:
        return self._call(logits, masks, dist_maps=dist_maps)
