"""The Dice family: soft Dice (plain and V-Net's squared form) and generalized Dice.

Plain soft Dice is the Tversky index with α = β = ½ (:mod:`seglearn.losses._tversky`),
computed through the same code. V-Net's squared denominator and Sudre et al.'s generalized
Dice (one ratio over all classes, weighted by 1/area²) are not of the Tversky form and get
their own lines. Conventions (logits in, smoothing, per image, mean over classes) are in
the subpackage docstring.

The generalized Dice with its hand-written gradient (seed ``004``) is its chapter's
``torch.autograd.Function`` example.

Chapters: book/loss_dice, book/loss_generalized_dice

References:
    Milletari, Navab & Ahmadi, "V-Net: Fully Convolutional Neural Networks for Volumetric
    Medical Image Segmentation", 3DV 2016. Sudre, Li, Vercauteren, Ourselin & Cardoso,
    "Generalised Dice overlap as a deep learning loss function for highly unbalanced
    segmentations", DLMIA 2017. Seed ``001`` (soft Dice), seed ``004`` (MATLAB generalized
    Dice layer).
"""

from __future__ import annotations

import torch

from ._common import SMOOTH, LossModule, check_number, prepare, reduce_classes, tversky_per_class

__all__ = ["DiceLoss", "GeneralizedDiceLoss", "dice_loss", "generalized_dice_loss"]


def dice_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    squared: bool = False,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Soft Dice loss: mean over images and classes of ``1 − Dice_c``, in ``[0, 1]``.

    ``squared=False``: Dice_c = 2 TP / (Σp + Σt), computed as the Tversky index with
    α = β = ½ (the same number, since TP + ½FP + ½FN = ½(Σp + Σt)); the smoothing enters
    as in :func:`seglearn.losses.tversky_loss`, i.e. (2 TP + 2s) / (Σp + Σt + 2s) when
    written in the Dice form. ``squared=True``: V-Net's (Milletari et al. 2016)
    Dice_c = (2 TP + s) / (Σp² + Σt² + s); for one-hot ``t``, Σt² = Σt, so only the
    prediction term changes.

    Conventions as in :func:`seglearn.losses.tversky_loss`: softmax inside, sums per image
    and mean over images (seed ``000``), mean over classes, and a class absent from an
    image's truth and predicted absent scores Dice = 1 (loss 0).

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        squared: use V-Net's squared denominator.
        smooth: s ≥ 0 added to numerator and denominator (default 1e-8, MATLAB's).
        per_image: sums per image, then mean over images; False sums over the batch.
        include_background: False leaves class 0 out of the mean over classes.
        ignore_index: label of pixels left out of every sum.

    Returns:
        Scalar tensor in ``[0, 1]``.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, negative ``smooth``.

    Source: Milletari et al. 2016; seed ``001``.

    Chapter: book/loss_dice
    """
    if not squared:
        dice = tversky_per_class(logits, masks, alpha=0.5, beta=0.5, smooth=smooth,
                                 per_image=per_image, ignore_index=ignore_index)  # (R, K)
        return reduce_classes(1.0 - dice, include_background=include_background)
    smooth = check_number("smooth", smooth, low=0.0)
    probs, targets, _ = prepare(logits, masks, ignore_index=ignore_index)
    dims = (2, 3) if per_image else (0, 2, 3)
    tp = (probs * targets).sum(dim=dims)  # (N, K) or (K,)
    denom = (probs**2).sum(dim=dims) + (targets**2).sum(dim=dims)
    dice = ((2.0 * tp + smooth) / (denom + smooth)).reshape(-1, probs.shape[1])  # (R, K)
    return reduce_classes(1.0 - dice, include_background=include_background)


def _generalized_dice_from_probs(
    probs: torch.Tensor, targets: torch.Tensor, *, smooth: float, per_image: bool
) -> torch.Tensor:
    """Generalized Dice loss from probabilities and one-hot targets ``(N, K, H, W)``.

    Seed ``004``'s ``forwardLoss`` with the absent-class fix; kept separate so that its
    hand-written gradient (``backwardLoss``) can be checked against autograd.
    """
    dims = (2, 3) if per_image else (0, 2, 3)
    area = targets.sum(dim=dims)  # (N, K) or (K,): Σt, pixels of each class
    # Sudre's weight 1/area²; an absent class (area 0) gets weight 0 instead of 1/0.
    weights = torch.where(area > 0, 1.0 / area.clamp_min(1.0) ** 2, torch.zeros_like(area))
    intersection = (probs * targets).sum(dim=dims)
    union = (probs**2).sum(dim=dims) + (targets**2).sum(dim=dims)  # seed 004's squares
    numer = 2.0 * (weights * intersection).sum(dim=-1) + smooth  # (N,) or ()
    denom = (weights * union).sum(dim=-1) + smooth
    return (1.0 - numer / denom).mean()


def generalized_dice_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Generalized Dice loss (Sudre et al. 2017) in seed ``004``'s form, in ``[0, 1]``.

    For each image, one ratio over all classes:
    ``L = 1 − (2 Σ_c w_c TP_c + s) / (Σ_c w_c (Σp_c² + Σt_c²) + s)``, ``w_c = 1 / (Σ t_c)²``,
    then the mean over the N images (seed ``004`` divides the sum by N). The weights make a
    small class count as much as a large one. The denominator uses squares as seed ``004``
    does (Sudre et al. write Σp + Σt); for one-hot ``t`` only the prediction term differs.

    Absent classes: a class with no pixel in an image's truth has ``w_c = 1/0`` in seed
    ``004``, which turns the loss into Inf/NaN. Here its weight is **0**: the class drops
    out of that image's ratio (probability put on it is still paid for, through the
    softmax, as probability taken from the classes that are present). An image with no
    counted pixel at all gives s/s = 1, loss 0. With ``per_image=False`` the areas are
    batch totals, so a class only needs to appear somewhere in the batch.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        smooth: s ≥ 0 added to numerator and denominator (default 1e-8, seed ``004``'s).
        per_image: one ratio per image, mean over images (seed ``004``); False: one ratio
            for the batch.
        include_background: False leaves class 0 out of the ratio.
        ignore_index: label of pixels left out of every sum.

    Returns:
        Scalar tensor in ``[0, 1]``.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, negative ``smooth``.

    Source: Sudre et al. 2017; seed ``004`` (``dicePixelClassificationLayer``).

    Chapter: book/loss_generalized_dice
    """
    smooth = check_number("smooth", smooth, low=0.0)
    probs, targets, _ = prepare(logits, masks, ignore_index=ignore_index)
    if not include_background:
        probs, targets = probs[:, 1:], targets[:, 1:]  # (N, K-1, H, W)
    return _generalized_dice_from_probs(probs, targets, smooth=smooth, per_image=per_image)


class DiceLoss(LossModule):
    """Module form of :func:`dice_loss`.

    Chapter: book/loss_dice
    """

    _settings = ("squared", "smooth", "per_image", "include_background", "ignore_index")
    _function = staticmethod(dice_loss)

    def __init__(self, *, squared: bool = False, smooth: float = SMOOTH, per_image: bool = True,
                 include_background: bool = True, ignore_index: int = -100) -> None:
        super().__init__()
        self.squared, self.smooth, self.per_image = squared, smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index


class GeneralizedDiceLoss(LossModule):
    """Module form of :func:`generalized_dice_loss`.

    Chapter: book/loss_generalized_dice
    """

    _settings = ("smooth", "per_image", "include_background", "ignore_index")
    _function = staticmethod(generalized_dice_loss)

    def __init__(self, *, smooth: float = SMOOTH, per_image: bool = True,
                 include_background: bool = True, ignore_index: int = -100) -> None:
        super().__init__()
        self.smooth, self.per_image = smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index
