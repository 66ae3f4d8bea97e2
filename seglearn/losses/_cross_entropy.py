"""Pixel-wise losses: weighted cross-entropy, balanced binary cross-entropy, focal loss.

Each pixel is a classification problem; the loss of an image is a mean over its pixels.
Conventions shared with the rest of :mod:`seglearn.losses` (logits in, softmax inside,
``ignore_index``) are stated in the subpackage docstring.

Chapters: book/loss_cross_entropy, book/loss_focal

References:
    Long, Shelhamer & Darrell, "Fully Convolutional Networks for Semantic Segmentation",
    CVPR 2015. Xie & Tu, "Holistically-Nested Edge Detection", ICCV 2015. Lin, Goyal,
    Girshick, He & Dollár, "Focal Loss for Dense Object Detection", ICCV 2017.
    Seed ``000`` (MATLAB: weighted cross-entropy), seed ``002`` (loss catalogue).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._common import LossModule, as_class_vector, check_number, log_probs_at_labels, masked_mean

__all__ = [
    "BalancedCrossEntropyLoss",
    "CrossEntropyLoss",
    "FocalLoss",
    "balanced_cross_entropy_loss",
    "cross_entropy_loss",
    "focal_loss",
]


def cross_entropy_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    class_weights: torch.Tensor | Sequence[float] | None = None,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Pixel-wise (optionally class-weighted) cross-entropy, PyTorch's weighted mean.

    ``L = Σ_i w_{y_i} (−log p_{y_i}) / Σ_i w_{y_i}`` over the pixels ``i`` that are not
    ``ignore_index``, with ``p = softmax(logits)`` over classes and ``w = 1`` when
    ``class_weights`` is None. This is ``F.cross_entropy(logits, masks, weight=...,
    ignore_index=...)``, written out. The class weights of seed ``000`` (inverse class
    frequency, :func:`seglearn.data.class_weights`) counter the 5 % triangle pixels.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (not probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        class_weights: ``(K,)`` finite non-negative weights, or None for all ones.
        ignore_index: label of pixels that contribute nothing.

    Returns:
        Scalar tensor ≥ 0 (nats per pixel). If no pixel counts (all ignored, or all of
        zero weight) the loss is 0, where PyTorch returns NaN.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, bad ``class_weights``.

    Source: Long et al. 2015 (FCN); seed ``000``.

    Chapter: book/loss_cross_entropy
    """
    _, log_p_true, labels, valid = log_probs_at_labels(logits, masks, ignore_index=ignore_index)
    weights = valid  # (N, H, W)
    if class_weights is not None:
        w = as_class_vector("class_weights", class_weights, logits.shape[1], log_p_true)
        weights = w[labels] * valid  # (N, H, W)
    return masked_mean(-log_p_true, weights)


def balanced_cross_entropy_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    beta: float | None = None,
    foreground: int = 1,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Balanced binary cross-entropy on the foreground class.

    With ``p`` the softmax probability of class ``foreground`` and ``t = [mask == foreground]``,
    the loss is the mean over the pixels that count of
    ``−[β t log p + (1 − β)(1 − t) log(1 − p)]``  (seed ``002``).
    ``beta=None`` balances the two terms from the data: ``β = 1 − (foreground pixels /
    counted pixels)`` over the whole batch, i.e. HED's ``β = |Y−| / |Y|`` (Xie & Tu 2015),
    so the rare foreground gets the large weight. β is computed from the masks and is a
    constant for autograd. Seed ``002``'s *weighted* BCE ``−[β' t log p + (1 − t) log(1 − p)]``
    with β' > 0 equals this loss with ``β = β' / (1 + β')`` times ``1 + β'``.
    ``log(1 − p)`` is computed as the log-sum-exp of the other classes' log-probabilities,
    so it stays finite when ``p`` rounds to 1. For K > 2 every non-foreground class counts
    as background.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (not probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        beta: weight of the foreground term in ``[0, 1]``; None for the balanced choice.
        foreground: the class index treated as positive (1 = triangle).
        ignore_index: label of pixels that contribute nothing.

    Returns:
        Scalar tensor ≥ 0 (nats per pixel); 0 if no pixel counts. With ``beta=None`` and no
        foreground pixel in the batch, β = 1 and the loss is 0: nothing to balance against.

    Raises:
        TypeError, ValueError: bad logits or masks (see :func:`cross_entropy_loss`),
            ``beta`` outside ``[0, 1]``, ``foreground`` outside ``[0, K)``.

    Source: seed ``002``; Xie & Tu 2015 (HED).

    Chapter: book/loss_cross_entropy
    """
    log_probs, _, labels, valid = log_probs_at_labels(logits, masks, ignore_index=ignore_index)
    num_classes = logits.shape[1]
    if isinstance(foreground, bool) or not isinstance(foreground, int):
        raise TypeError(f"foreground must be an int, got {type(foreground).__name__}")
    if not 0 <= foreground < num_classes:
        raise ValueError(f"foreground must lie in [0, {num_classes}), got {foreground}")
    log_p = log_probs[:, foreground]  # (N, H, W)
    others = torch.cat([log_probs[:, :foreground], log_probs[:, foreground + 1 :]], dim=1)
    log_not_p = torch.logsumexp(others, dim=1)  # (N, H, W), log(1 - p)
    t = (labels == foreground).to(log_p.dtype) * valid  # (N, H, W)
    if beta is None:
        beta_t = 1.0 - t.sum() / valid.sum().clamp_min(1.0)
    else:
        beta = check_number("beta", beta, low=0.0, high=1.0)
        beta_t = torch.tensor(beta, dtype=log_p.dtype, device=log_p.device)
    per_pixel = -(beta_t * t * log_p + (1.0 - beta_t) * (1.0 - t) * log_not_p)
    return masked_mean(per_pixel, valid)


def focal_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    gamma: float = 2.0,
    alpha: float | torch.Tensor | Sequence[float] | None = None,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Focal loss ``−α_t (1 − p_t)^γ log p_t``, mean over the pixels that count.

    ``p_t`` is the softmax probability of the pixel's true class. The factor
    ``(1 − p_t)^γ`` shrinks the loss of well-classified pixels so that training focuses on
    the hard ones; γ = 0 with ``alpha=None`` is exactly :func:`cross_entropy_loss`.

    The mean is over pixels (Σ / number of pixels), *not* the weighted mean Σ/Σα that
    :func:`cross_entropy_loss` uses with class weights, so with α given and γ = 0 the two
    differ by the factor (mean α_t). ``1 − p_t`` is computed as ``−expm1(log p_t)`` and
    clamped at the smallest positive float, so gradients stay finite even for γ < 1 at
    perfectly classified pixels.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (not probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        gamma: focusing parameter γ ≥ 0 (Lin et al. use 2).
        alpha: None (α_t = 1); a float in ``[0, 1]`` for K = 2 only, weighting class 1 by
            α and class 0 by 1 − α as in Lin et al. (who use α = 0.25 with γ = 2); or a
            ``(K,)`` tensor/sequence of non-negative per-class weights.
        ignore_index: label of pixels that contribute nothing.

    Returns:
        Scalar tensor ≥ 0; 0 if no pixel counts.

    Raises:
        TypeError, ValueError: bad logits or masks (see :func:`cross_entropy_loss`),
            ``gamma < 0``, a float ``alpha`` outside ``[0, 1]`` or with K ≠ 2, a per-class
            ``alpha`` of the wrong shape or with negative entries.

    Source: Lin et al. 2017; seed ``002``.

    Chapter: book/loss_focal
    """
    _, log_p_true, labels, valid = log_probs_at_labels(logits, masks, ignore_index=ignore_index)
    gamma = check_number("gamma", gamma, low=0.0)
    num_classes = logits.shape[1]
    one_minus_pt = (-torch.expm1(log_p_true)).clamp_min(torch.finfo(log_p_true.dtype).tiny)
    per_pixel = -(one_minus_pt**gamma) * log_p_true  # (N, H, W)
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool):
        a = check_number("alpha", alpha, low=0.0, high=1.0)
        if num_classes != 2:
            raise ValueError(
                f"a float alpha is for binary problems (K = 2), got K = {num_classes}; "
                "pass a (K,) tensor of per-class weights instead"
            )
        alpha_t = as_class_vector("alpha", [1.0 - a, a], num_classes, log_p_true)  # (2,)
        per_pixel = per_pixel * alpha_t[labels]
    elif alpha is not None:
        per_pixel = per_pixel * as_class_vector("alpha", alpha, num_classes, log_p_true)[labels]
    return masked_mean(per_pixel, valid)


class CrossEntropyLoss(LossModule):
    """Module form of :func:`cross_entropy_loss`; holds ``class_weights`` (a float64
    buffer, so it follows ``.to(device)``; cast to the logits' dtype at each call) and
    ``ignore_index``.

    Chapter: book/loss_cross_entropy
    """

    _settings = ("class_weights", "ignore_index")
    _function = staticmethod(cross_entropy_loss)

    def __init__(
        self,
        *,
        class_weights: torch.Tensor | Sequence[float] | None = None,
        ignore_index: int = -100,
    ) -> None:
        super().__init__()
        weights = None  # float64 so that float64 logits see the exact values given
        if class_weights is not None:
            weights = torch.as_tensor(class_weights, dtype=torch.float64)
        self.register_buffer("class_weights", weights, persistent=False)
        self.ignore_index = ignore_index


class BalancedCrossEntropyLoss(LossModule):
    """Module form of :func:`balanced_cross_entropy_loss`.

    Chapter: book/loss_cross_entropy
    """

    _settings = ("beta", "foreground", "ignore_index")
    _function = staticmethod(balanced_cross_entropy_loss)

    def __init__(
        self, *, beta: float | None = None, foreground: int = 1, ignore_index: int = -100
    ) -> None:
        super().__init__()
        self.beta, self.foreground, self.ignore_index = beta, foreground, ignore_index


class FocalLoss(LossModule):
    """Module form of :func:`focal_loss`; a per-class ``alpha`` is kept as a buffer.

    Chapter: book/loss_focal
    """

    _settings = ("gamma", "alpha", "ignore_index")
    _function = staticmethod(focal_loss)

    def __init__(
        self,
        *,
        gamma: float = 2.0,
        alpha: float | torch.Tensor | Sequence[float] | None = None,
        ignore_index: int = -100,
    ) -> None:
        super().__init__()
        self.gamma, self.ignore_index = gamma, ignore_index
        if alpha is None or isinstance(alpha, (int, float)):
            self.alpha = alpha
        else:
            alpha = torch.as_tensor(alpha, dtype=torch.float64)  # cast to the logits' dtype
            self.register_buffer("alpha", alpha, persistent=False)
