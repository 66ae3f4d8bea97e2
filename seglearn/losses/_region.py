"""Two more region-based losses of seed ``002``'s catalogue: log-cosh Dice and the
sensitivity-specificity loss.

Log-cosh Dice reshapes the Dice loss of :mod:`seglearn.losses._dice` (computed through
the same Tversky code); the sensitivity-specificity loss is a weighted mean squared error,
normalised separately over the pixels of a class and over the others. Conventions (logits
in, smoothing, sums per image, mean over classes) are in the subpackage docstring.

Chapters: book/loss_compound, book/loss_sensitivity_specificity

References:
    Jadon, "A survey of loss functions for semantic segmentation", IEEE CIBCB 2020.
    Brosch, Yoo, Tang, Li, Traboulsee & Tam, "Deep Convolutional Encoder Networks for
    Multiple Sclerosis Lesion Segmentation", MICCAI 2015. Seed ``002`` (loss catalogue).
"""

from __future__ import annotations

import torch

from ._common import SMOOTH, LossModule, check_number, prepare, reduce_classes, tversky_per_class

__all__ = [
    "LogCoshDiceLoss",
    "SensitivitySpecificityLoss",
    "log_cosh_dice_loss",
    "sensitivity_specificity_loss",
]


def log_cosh_dice_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Log-cosh Dice loss (Jadon 2020): mean over images and classes of ``log cosh(1 − Dice_c)``.

    ``Dice_c`` is the soft Dice of :func:`seglearn.losses.dice_loss` (Tversky index with
    α = β = ½, smoothing ``s`` in numerator and denominator, sums per image). Jadon applies
    log-cosh to the (binary) Dice loss; we apply it **per class, then average**, like the
    focal Tversky exponent: for K = 2 with ``include_background=False`` the two readings
    coincide. Since ``log cosh x = x²/2 − x⁴/12 + …``, the loss behaves like half the
    squared Dice loss near a perfect overlap (its slope vanishes there) and like
    ``x − log 2`` far from it; on ``[0, 1]`` it lies in ``[0, log cosh 1 ≈ 0.4338]``.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        smooth: s ≥ 0 added to numerator and denominator (default 1e-8, MATLAB's).
        per_image: sums per image, then mean over images; False sums over the batch.
        include_background: False leaves class 0 out of the mean over classes.
        ignore_index: label of pixels left out of every sum.

    Returns:
        Scalar tensor in ``[0, log cosh 1]``.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, negative ``smooth``.

    Source: Jadon 2020; seed ``002``.

    Chapter: book/loss_compound
    """
    dice = tversky_per_class(logits, masks, alpha=0.5, beta=0.5, smooth=smooth,
                             per_image=per_image, ignore_index=ignore_index)  # (R, K)
    return reduce_classes(torch.log(torch.cosh(1.0 - dice)),
                          include_background=include_background)


def sensitivity_specificity_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    r: float = 0.05,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = False,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Sensitivity-specificity loss (Brosch et al. 2015), per class, in ``[0, 1]``.

    For class c, with ``p`` the softmax and ``t`` the one-hot truth, sums over the pixels
    that count of one image::

        L_c = r · Σ (t − p)² t / (Σ t + s)  +  (1 − r) · Σ (t − p)² (1 − t) / (Σ (1 − t) + s)

    The first term is the mean squared error on the pixels of the class (1 − sensitivity
    for hard predictions), the second on the other pixels (1 − specificity). Because the
    second term is normalised by the (large) number of background pixels, Brosch et al.
    give it the large weight: r is small (0.05, the default) and tunes recall against
    precision. ``s`` only keeps an empty denominator finite: a class absent from an image
    has a sensitivity term of exactly 0.

    **Background left out by default**: for K = 2 the class-0 terms mirror the class-1
    terms with r and 1 − r swapped ((t₀ − p₀)² = (t₁ − p₁)² and t₀ = 1 − t₁), so averaging
    both classes gives ``(S + P)/2`` whatever r is. ``include_background=False`` (default)
    is the paper's binary loss on the foreground for K = 2, and one-vs-rest per foreground
    class for K > 2; the mean is over those classes, then over images.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        r: weight of the sensitivity term, in ``[0, 1]``; ``1 − r`` weights specificity.
        smooth: s ≥ 0 added to both denominators.
        per_image: sums per image, then mean over images; False sums over the batch.
        include_background: True also averages in class 0 (see above).
        ignore_index: label of pixels left out of every sum.

    Returns:
        Scalar tensor in ``[0, 1]``.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, r outside ``[0, 1]``,
            negative ``smooth``.

    Source: Brosch et al. 2015; seed ``002``.

    Chapter: book/loss_sensitivity_specificity
    """
    r = check_number("r", r, low=0.0, high=1.0)
    smooth = check_number("smooth", smooth, low=0.0)
    probs, targets, valid = prepare(logits, masks, ignore_index=ignore_index)
    dims = (2, 3) if per_image else (0, 2, 3)
    squared_error = (targets - probs) ** 2  # (N, K, H, W), 0 at ignored pixels
    others = (1.0 - targets) * valid  # (N, K, H, W), pixels of the other classes
    sensitivity = (squared_error * targets).sum(dim=dims) / (targets.sum(dim=dims) + smooth)
    specificity = (squared_error * others).sum(dim=dims) / (others.sum(dim=dims) + smooth)
    per_class = r * sensitivity + (1.0 - r) * specificity  # (N, K) or (K,)
    per_class = per_class.reshape(-1, probs.shape[1])  # (R, K)
    return reduce_classes(per_class, include_background=include_background)


class LogCoshDiceLoss(LossModule):
    """Module form of :func:`log_cosh_dice_loss`.

    Chapter: book/loss_compound
    """

    _settings = ("smooth", "per_image", "include_background", "ignore_index")
    _function = staticmethod(log_cosh_dice_loss)

    def __init__(self, *, smooth: float = SMOOTH, per_image: bool = True,
                 include_background: bool = True, ignore_index: int = -100) -> None:
        super().__init__()
        self.smooth, self.per_image = smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index


class SensitivitySpecificityLoss(LossModule):
    """Module form of :func:`sensitivity_specificity_loss` (background left out by default).

    Chapter: book/loss_sensitivity_specificity
    """

    _settings = ("r", "smooth", "per_image", "include_background", "ignore_index")
    _function = staticmethod(sensitivity_specificity_loss)

    def __init__(self, *, r: float = 0.05, smooth: float = SMOOTH, per_image: bool = True,
                 include_background: bool = False, ignore_index: int = -100) -> None:
        super().__init__()
        self.r, self.smooth, self.per_image = r, smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index
