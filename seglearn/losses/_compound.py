"""Compound losses of seed ``002``'s catalogue: combo loss and exponential logarithmic loss.

Each mixes a pixel-wise cross-entropy term with a Dice term, both built from the losses
already in :mod:`seglearn.losses` (the balanced BCE of ``_cross_entropy``, the soft Dice
of ``_common.tversky_per_class``), so the conventions of the subpackage (logits in,
``ignore_index``, smoothing, Dice sums per image, means over classes) carry over.

Chapter: book/loss_compound

References:
    Taghanaki, Zheng, Zhou, Georgescu, Sharma, Xu, Comaniciu & Hamarneh, "Combo loss:
    Handling input and output imbalance in multi-organ segmentation", Computerized Medical
    Imaging and Graphics 2019 (arXiv 2018). Wong, Moradi, Tang & Syeda-Mahmood, "3D
    Segmentation with Exponential Logarithmic Loss for Highly Unbalanced Object Sizes",
    MICCAI 2018. Seed ``002`` (loss catalogue).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._checks import value_checks_skipped
from ._common import (
    SMOOTH,
    LossModule,
    as_class_vector,
    check_number,
    log_probs_at_labels,
    masked_mean,
    reduce_classes,
    tversky_per_class,
)
from ._cross_entropy import balanced_cross_entropy_loss

__all__ = ["ComboLoss", "ExpLogLoss", "combo_loss", "exp_log_loss"]


def combo_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = SMOOTH,
    per_image: bool = True,
    include_background: bool = False,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Combo loss (Taghanaki et al. 2019): ``α · weighted BCE − (1 − α) · Dice``.

    The paper's binary form, with ``p`` the predicted probability and ``t`` the truth of
    the target, ``N`` the number of pixels::

        L = α · (−1/N) Σ_i [β t_i ln p_i + (1 − β)(1 − t_i) ln(1 − p_i)]
            − (1 − α) · (2 Σ_i p_i t_i + s) / (Σ_i p_i + Σ_i t_i + s)

    **β weights the positive (t = 1) term**, so β > ½ punishes false negatives more and
    β < ½ false positives; α trades the cross-entropy term against the Dice term (α = 0:
    minus the Dice, α = 1: the BCE alone). The Dice is *subtracted*, not ``1 − Dice``, so
    the loss lies in ``[−(1 − α), ∞)`` and is negative near a good fit. The paper tunes
    α and β per data set; the defaults ½, ½ weigh the terms equally and give the plain
    BCE halved.

    **K classes**: one-vs-rest per class c, with p_c the softmax probability:
    the BCE term is :func:`seglearn.losses.balanced_cross_entropy_loss` with
    ``foreground=c`` (mean over the pixels that count, of the whole batch), the Dice term
    is the soft Dice of :func:`seglearn.losses.dice_loss` for class c (smoothing ``s`` as
    there, sums per image, mean over images); both are **averaged over the classes**
    (the paper sums the Dice over classes). **Background left out by default**: for
    K = 2 the class-0 BCE is the class-1 BCE with β and 1 − β swapped, so averaging both
    would cancel β; ``include_background=False`` gives exactly the paper's binary loss on
    the triangles (class 1).

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        alpha: weight α ∈ ``[0, 1]`` of the BCE term (1 − α on the Dice term).
        beta: weight β ∈ ``[0, 1]`` of the BCE's positive term (1 − β on the negative).
        smooth: s ≥ 0 in the Dice's numerator and denominator (default 1e-8).
        per_image: Dice sums per image, then mean over images; False sums over the batch.
        include_background: True also averages class 0's terms in (see above).
        ignore_index: label of pixels that count nowhere.

    Returns:
        Scalar tensor in ``[−(1 − α), ∞)``.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, α or β outside ``[0, 1]``,
            negative ``smooth``.

    Source: Taghanaki et al. 2019; seed ``002``.

    Chapter: book/loss_compound
    """
    alpha = check_number("alpha", alpha, low=0.0, high=1.0)
    beta = check_number("beta", beta, low=0.0, high=1.0)
    dice = tversky_per_class(logits, masks, alpha=0.5, beta=0.5, smooth=smooth,
                             per_image=per_image, ignore_index=ignore_index)  # (R, K)
    first = 0 if include_background else 1
    with value_checks_skipped():  # the same input, checked once by the Dice term above
        bce = torch.stack([
            balanced_cross_entropy_loss(logits, masks, beta=beta, foreground=c,
                                        ignore_index=ignore_index)
            for c in range(first, logits.shape[1])
        ]).mean()
    return alpha * bce - (1.0 - alpha) * reduce_classes(dice,
                                                        include_background=include_background)


def exp_log_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    weight_dice: float = 0.8,
    weight_cross: float = 0.2,
    gamma_dice: float = 0.3,
    gamma_cross: float = 0.3,
    class_frequencies: torch.Tensor | Sequence[float] | None = None,
    smooth: float = SMOOTH,
    per_image: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Exponential logarithmic loss (Wong et al. 2018).

    ``L = w_Dice · E_c[(−ln Dice_c)^γ_Dice] + w_Cross · E_x[w_l (−ln p_l(x))^γ_Cross]``

    - Dice term: ``Dice_c`` the soft Dice of class c (as in :func:`seglearn.losses.dice_loss`:
      smoothing s, sums per image); E is the mean over classes (background included, as
      in the paper) and over images.
    - Cross term: at each pixel x that counts, ``l`` is its true class and ``p_l`` the
      softmax probability of it; E is the plain mean over the pixels that count in the
      batch. The label weights are ``w_l = (Σ_k f_k / f_l)^0.5`` with ``f_k`` the
      frequency of class k: the ``class_frequencies`` given (any scale, e.g. pixel counts
      over the training set, as in the paper), or by default the pixel counts of the
      batch (constants for autograd). A class with frequency 0 gets weight 0 (it labels
      no pixel).

    With γ < 1 both powers raise small losses (x^0.3 > x for x < 1), so nearly correct
    classes and pixels keep a say: the paper's "focus on less accurately predicted
    structures" through the exponent. Defaults are the paper's values
    ``w_Dice = 0.8, w_Cross = 0.2, γ_Dice = γ_Cross = 0.3``. The paper smooths the Dice
    with a pseudocount of 1; we keep the subpackage's s = 1e-8. Both bases are clamped at
    the smallest positive float before the power, so the slope of x^0.3 at 0 stays finite.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        weight_dice, weight_cross: w_Dice, w_Cross ≥ 0.
        gamma_dice, gamma_cross: exponents γ > 0.
        class_frequencies: ``(K,)`` non-negative frequencies f_k, or None for the batch's.
        smooth: s ≥ 0 in the Dice's numerator and denominator.
        per_image: Dice sums per image, then mean over images; False sums over the batch.
        ignore_index: label of pixels that count nowhere.

    Returns:
        Scalar tensor ≥ 0.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, negative weights, γ ≤ 0,
            bad ``class_frequencies``, negative ``smooth``.

    Source: Wong et al. 2018; seed ``002``.

    Chapter: book/loss_compound
    """
    weight_dice = check_number("weight_dice", weight_dice, low=0.0)
    weight_cross = check_number("weight_cross", weight_cross, low=0.0)
    gamma_dice = check_number("gamma_dice", gamma_dice, low=0.0, low_open=True)
    gamma_cross = check_number("gamma_cross", gamma_cross, low=0.0, low_open=True)
    dice = tversky_per_class(logits, masks, alpha=0.5, beta=0.5, smooth=smooth,
                             per_image=per_image, ignore_index=ignore_index)  # (R, K)
    tiny = torch.finfo(dice.dtype).tiny
    neg_log_dice = -torch.log(dice.clamp_min(tiny))  # (R, K), ≥ 0
    dice_term = reduce_classes(neg_log_dice.clamp_min(tiny) ** gamma_dice)

    with value_checks_skipped():  # the same input, checked once by the Dice term above
        _, log_p_true, labels, valid = log_probs_at_labels(logits, masks,
                                                           ignore_index=ignore_index)
    num_classes = logits.shape[1]
    if class_frequencies is None:
        counted = labels[valid > 0]  # (P,) labels of the pixels that count
        freq = torch.bincount(counted, minlength=num_classes).to(log_p_true.dtype)  # (K,)
    else:
        freq = as_class_vector("class_frequencies", class_frequencies, num_classes, log_p_true)
    label_weights = torch.where(freq > 0, (freq.sum() / freq.clamp_min(tiny)).sqrt(),
                                torch.zeros_like(freq))  # (K,)
    per_pixel = label_weights[labels] * (-log_p_true).clamp_min(tiny) ** gamma_cross
    cross_term = masked_mean(per_pixel, valid)  # (N, H, W) → scalar
    return weight_dice * dice_term + weight_cross * cross_term


class ComboLoss(LossModule):
    """Module form of :func:`combo_loss` (β on the positive term; background left out).

    Chapter: book/loss_compound
    """

    _settings = ("alpha", "beta", "smooth", "per_image", "include_background", "ignore_index")
    _function = staticmethod(combo_loss)

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, smooth: float = SMOOTH,
                 per_image: bool = True, include_background: bool = False,
                 ignore_index: int = -100) -> None:
        super().__init__()
        self.alpha, self.beta, self.smooth, self.per_image = alpha, beta, smooth, per_image
        self.include_background, self.ignore_index = include_background, ignore_index


class ExpLogLoss(LossModule):
    """Module form of :func:`exp_log_loss`; ``class_frequencies`` is kept as a buffer.

    Chapter: book/loss_compound
    """

    _settings = ("weight_dice", "weight_cross", "gamma_dice", "gamma_cross",
                 "class_frequencies", "smooth", "per_image", "ignore_index")
    _function = staticmethod(exp_log_loss)

    def __init__(self, *, weight_dice: float = 0.8, weight_cross: float = 0.2,
                 gamma_dice: float = 0.3, gamma_cross: float = 0.3,
                 class_frequencies: torch.Tensor | Sequence[float] | None = None,
                 smooth: float = SMOOTH, per_image: bool = True,
                 ignore_index: int = -100) -> None:
        super().__init__()
        self.weight_dice, self.weight_cross = weight_dice, weight_cross
        self.gamma_dice, self.gamma_cross = gamma_dice, gamma_cross
        freq = None  # float64 so that float64 logits see the exact values given
        if class_frequencies is not None:
            freq = torch.as_tensor(class_frequencies, dtype=torch.float64)
        self.register_buffer("class_frequencies", freq, persistent=False)
        self.smooth, self.per_image, self.ignore_index = smooth, per_image, ignore_index
