"""The Tversky family: Tversky, Jaccard (soft IoU) and focal Tversky losses.

All are written with one index (Salehi et al. 2017, seed ``000``):

    TI_c = (TP_c + s) / (TP_c + α FP_c + β FN_c + s),

α weighting false positives and β false negatives. Jaccard is TI(1, 1); Dice, TI(½, ½),
lives in :mod:`seglearn.losses._dice` with its V-Net and generalized variants.
Conventions (logits in, smoothing, per image, mean over classes) are in the subpackage
docstring.

Chapters: book/loss_tversky, book/loss_focal_tversky

References:
    Salehi, Erdogmus & Gholipour, "Tversky loss function for image segmentation using 3D
    fully convolutional deep networks", MLMI 2017. Abraham & Khan, "A Novel Focal Tversky
    Loss Function with Improved Attention U-Net for Lesion Segmentation", ISBI 2019.
    Seed ``000`` (MATLAB ``tverskyLoss``), seed ``002`` (loss catalogue).
"""

from __future__ import annotations

import torch

from ._common import SMOOTH, LossModule, check_number, reduce_classes, tversky_per_class

__all__ = [
    "FocalTverskyLoss",
    "JaccardLoss",
    "TverskyLoss",
    "focal_tversky_loss",
    "jaccard_loss",
    "tversky_loss",
]


def tversky_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Tversky loss: mean over images and classes of ``1 − TI_c``, in ``[0, 1]``.

    ``TI_c = (TP_c + s) / (TP_c + α FP_c + β FN_c + s)`` with soft counts TP = Σ p·t,
    FP = Σ p·(1−t), FN = Σ (1−p)·t over the pixels of one image, ``p`` the softmax.

    **α weights false positives and β false negatives**, as in Salehi et al. 2017, in
    MATLAB (seed ``000``) and in most libraries. **Abraham & Khan 2019 swap the letters**
    (their α weights false negatives): translate before copying their settings. Raising β
    punishes missed foreground (higher recall). Salehi et al.'s best setting is α = 0.3,
    β = 0.7; seed ``000`` trains with α = 0.7, β = 0.3. α = β = ½ gives the Dice loss,
    α = β = 1 :func:`jaccard_loss`; the defaults make this the Dice loss.

    Departure from seed ``000``: MATLAB *sums* ``1 − TI_c`` over the K classes; we take the
    mean, so the value lies in ``[0, 1]`` for any K. Multiply by K (2 for the triangles)
    to get MATLAB's number. A class absent from an image's truth and predicted absent
    scores TI = 1 (loss 0) thanks to ``s``; predicted present, TI ≈ 0 (loss ≈ 1).

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores; softmax is applied inside
            (never pass probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        alpha: weight α ≥ 0 of false positives.
        beta: weight β ≥ 0 of false negatives.
        smooth: s ≥ 0 added to numerator and denominator (default 1e-8, MATLAB's).
        per_image: sums per image, then mean over images (seed ``000``); False sums over
            the whole batch as if it were one image.
        include_background: False leaves class 0 out of the mean over classes.
        ignore_index: label of pixels left out of every sum.

    Returns:
        Scalar tensor in ``[0, 1]``.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, negative α, β or s.

    Source: Salehi et al. 2017; seed ``000`` (``tverskyLoss``).

    Chapter: book/loss_tversky
    """
    ti = tversky_per_class(logits, masks, alpha=alpha, beta=beta, smooth=smooth,
                           per_image=per_image, ignore_index=ignore_index)  # (R, K)
    return reduce_classes(1.0 - ti, include_background=include_background)


def jaccard_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Soft Jaccard (IoU) loss ``1 − TP / (TP + FP + FN)``: :func:`tversky_loss` with α = β = 1.

    TP + FP + FN = Σp + Σt − TP is the soft union. Arguments, conventions and errors as
    in :func:`tversky_loss`. Returns a scalar tensor in ``[0, 1]``.

    Source: Salehi et al. 2017 (the α = β = 1 case); REFERENCE.md section 4.

    Chapters: book/loss_tversky, book/loss_lovasz
    """
    return tversky_loss(logits, masks, alpha=1.0, beta=1.0, smooth=smooth, per_image=per_image,
                        include_background=include_background, ignore_index=ignore_index)


def focal_tversky_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    gamma: float = 4.0 / 3.0,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Focal Tversky loss: mean over images and classes of ``(1 − TI_c)^(1/γ)``.

    ``gamma`` is γ as in Abraham & Khan 2019 and the exponent is **1/γ**: they take γ in
    ``[1, 3]`` and train with γ = 4/3 (exponent 0.75, our default). γ = 1 gives
    :func:`tversky_loss`. For γ > 1 every loss value below 1 is raised, and the slope
    (1/γ)(1 − TI)^(1/γ − 1) grows as TI → 1, so a class keeps receiving gradient as it
    approaches a perfect overlap; the authors present it as focusing on hard examples.

    ``alpha`` and ``beta`` follow **our** Tversky convention (α weights false positives,
    β false negatives), the *reverse* of Abraham & Khan's letters: their "α = 0.7" (on
    false negatives) is our ``alpha=0.3, beta=0.7``. The paper sums over classes; we take
    the mean, as in :func:`tversky_loss`.

    ``1 − TI`` is clamped at the smallest positive float before the power, so gradients
    stay finite at a perfect class (x^0.75 has an infinite slope at 0).

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        alpha: weight α ≥ 0 of false positives (our convention, see above).
        beta: weight β ≥ 0 of false negatives.
        gamma: γ > 0; the loss uses the exponent 1/γ.
        smooth, per_image, include_background, ignore_index: as in :func:`tversky_loss`.

    Returns:
        Scalar tensor in ``[0, 1]``.

    Raises:
        TypeError, ValueError: as :func:`tversky_loss`, and γ ≤ 0.

    Source: Abraham & Khan 2019; seed ``002``.

    Chapter: book/loss_focal_tversky
    """
    gamma = check_number("gamma", gamma, low=0.0, low_open=True)
    ti = tversky_per_class(logits, masks, alpha=alpha, beta=beta, smooth=smooth,
                           per_image=per_image, ignore_index=ignore_index)  # (R, K)
    one_minus = (1.0 - ti).clamp_min(torch.finfo(ti.dtype).tiny)
    return reduce_classes(one_minus ** (1.0 / gamma), include_background=include_background)


class TverskyLoss(LossModule):
    """Module form of :func:`tversky_loss` (α weights false positives, β false negatives).

    Chapter: book/loss_tversky
    """

    _settings = ("alpha", "beta", "smooth", "per_image", "include_background", "ignore_index")
    _function = staticmethod(tversky_loss)

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, smooth: float = SMOOTH,
                 per_image: bool = True, include_background: bool = True,
                 ignore_index: int = -100) -> None:
        super().__init__()
        self.alpha, self.beta, self.smooth, self.per_image = alpha, beta, smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index


class JaccardLoss(LossModule):
    """Module form of :func:`jaccard_loss`.

    Chapters: book/loss_tversky, book/loss_lovasz
    """

    _settings = ("smooth", "per_image", "include_background", "ignore_index")
    _function = staticmethod(jaccard_loss)

    def __init__(self, *, smooth: float = SMOOTH, per_image: bool = True,
                 include_background: bool = True, ignore_index: int = -100) -> None:
        super().__init__()
        self.smooth, self.per_image = smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index


class FocalTverskyLoss(LossModule):
    """Module form of :func:`focal_tversky_loss` (exponent 1/γ; our α/β convention).

    Chapter: book/loss_focal_tversky
    """

    _settings = ("alpha", "beta", "gamma", "smooth", "per_image", "include_background",
                 "ignore_index")
    _function = staticmethod(focal_tversky_loss)

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, gamma: float = 4.0 / 3.0,
                 smooth: float = SMOOTH, per_image: bool = True,
                 include_background: bool = True, ignore_index: int = -100) -> None:
        super().__init__()
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.smooth, self.per_image = smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index
