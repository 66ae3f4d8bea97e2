"""Calibration of predicted probabilities: the Brier score and the expected calibration
error, per pixel. A segmentation network's argmax can be right while its probabilities say
"90 %" where it is right 99 % of the time; these two numbers measure that. The chapter
*The losses compared* reports them for every loss.

Chapter: book/loss_comparison
"""

from __future__ import annotations

import torch

from ._checks import check_masks

__all__ = ["brier_score", "expected_calibration_error"]


def _check_probabilities(probs: torch.Tensor, masks: torch.Tensor) -> None:
    """Probabilities ``(N, K, H, W)`` summing to 1 over K, and masks ``(N, H, W)`` in [0, K)."""
    if not isinstance(probs, torch.Tensor) or probs.ndim != 4 or not probs.is_floating_point():
        raise ValueError("probs must be a float tensor (N, K, H, W) of class probabilities "
                         f"(softmax of the logits), got {getattr(probs, 'shape', type(probs))}")
    k = probs.shape[1]
    check_masks(masks, k, name="masks")
    if masks.shape != probs.shape[:1] + probs.shape[2:]:
        raise ValueError(f"masks must be (N, H, W) = {tuple(probs.shape[:1] + probs.shape[2:])}"
                         f", got {tuple(masks.shape)}")
    if probs.min() < 0 or probs.max() > 1 or not torch.allclose(
            probs.sum(1), torch.ones((), dtype=probs.dtype, device=probs.device), atol=1e-4):
        raise ValueError("probs must be probabilities in [0, 1] that sum to 1 over dim 1; "
                         "pass logits.softmax(dim=1), not the logits")


def brier_score(probs: torch.Tensor, masks: torch.Tensor) -> float:
    """Brier score: the mean over pixels of Σ_c (p_c − t_c)², t the one-hot truth.

    0 for certain, correct predictions; 2 for certain, wrong ones. For K = 2 it is twice
    the binary Brier score of the class-1 probability (``sklearn.metrics.brier_score_loss``).

    Args:
        probs: float ``(N, K, H, W)``, class probabilities (softmax of the logits).
        masks: integer ``(N, H, W)`` in ``[0, K)``.

    Returns:
        A float in [0, 2].

    Raises:
        ValueError: wrong shapes or dtypes, values that are not probabilities (logits).

    Source: Brier, "Verification of forecasts expressed in terms of probability", Monthly
    Weather Review 1950.

    Chapter: book/loss_comparison
    """
    _check_probabilities(probs, masks)
    onehot = torch.nn.functional.one_hot(masks.long(), probs.shape[1]).movedim(-1, 1)
    return float(((probs.double() - onehot) ** 2).sum(1).mean())


def expected_calibration_error(probs: torch.Tensor, masks: torch.Tensor, *,
                               bins: int = 15) -> float:
    """Expected calibration error of the predicted class, over all pixels.

    Each pixel's confidence is its largest class probability and it is correct when that
    class is the true one. Confidences fall into ``bins`` equal-width bins of [0, 1]
    (right-closed: (a, b]; the first also holds 0); ECE = Σ_bins (n_b / n) |accuracy_b −
    mean confidence_b|. 0 means "when the network says 0.8, it is right 80 % of the time".

    Args:
        probs: float ``(N, K, H, W)``, class probabilities (softmax of the logits).
        masks: integer ``(N, H, W)`` in ``[0, K)``.
        bins: number of bins, an int ≥ 1 (15 as in Guo et al.).

    Returns:
        A float in [0, 1].

    Raises:
        ValueError: as :func:`brier_score`; ``bins`` < 1.

    Source: Guo et al., "On calibration of modern neural networks", ICML 2017 (eq. 3).

    Chapter: book/loss_comparison
    """
    _check_probabilities(probs, masks)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be an int >= 1, got {bins!r}")
    conf, pred = probs.double().max(dim=1)  # (N, H, W) each
    correct = (pred == masks.long()).double().flatten()
    conf = conf.flatten()
    which = (torch.ceil(conf * bins).long() - 1).clamp(0, bins - 1)  # bin (a, b] -> index
    n = torch.bincount(which, minlength=bins).double()
    gap = (torch.bincount(which, correct, minlength=bins)
           - torch.bincount(which, conf, minlength=bins)).abs()  # n_b |acc_b - conf_b|
    return float(gap.sum() / n.sum())
