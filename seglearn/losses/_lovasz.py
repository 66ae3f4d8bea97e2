"""Lovász-softmax loss: a convex surrogate of the Jaccard (IoU) loss, tight on hard labels.

For one class, the Jaccard loss of a hard prediction depends only on the *set* M of
mispredicted pixels: Δ_J(M) = |M| / |T ∪ M|, T the pixels of the class in the truth
(each pixel of M is a false positive or a false negative). Δ_J is submodular, and its
Lovász extension Δ̄ is the piecewise-linear function on error vectors m ∈ [0, 1]^P that
equals Δ_J on the 0/1 vectors (the indicators of sets) and interpolates linearly in
between. It is computed by sorting: with m sorted in decreasing order m_π(1) ≥ … ≥ m_π(P),

    Δ̄(m) = Σ_i m_π(i) g_i,   g_i = Δ_J({π(1), …, π(i)}) − Δ_J({π(1), …, π(i−1)}),

so g (a function of the order and of the truth only) is the gradient of Δ̄ with respect
to the sorted errors. The loss feeds it the soft errors m_i = |t_i − p_i| of the softmax.

Chapter: book/loss_lovasz

References:
    Berman, Rannen Triki & Blaschko, "The Lovász-Softmax loss: A tractable surrogate for
    the optimization of the intersection-over-union measure in neural networks", CVPR
    2018. Lovász, "Submodular functions and convexity", 1983.
"""

from __future__ import annotations

import torch

from ._common import LossModule, prepare

__all__ = ["LovaszSoftmaxLoss", "lovasz_softmax_loss"]

_CLASS_CHOICES = ("present", "all")


def _lovasz_gradient(sorted_truth: torch.Tensor) -> torch.Tensor:
    """g of the Lovász extension of the Jaccard loss, for errors sorted in decreasing order.

    Args:
        sorted_truth: ``(K, P)`` 0/1 targets of K classes, each row in the order of that
            class's decreasing errors.

    Returns:
        ``(K, P)``: ``g_i = Δ_J(first i pixels) − Δ_J(first i − 1 pixels)``.
    """
    # |T|: pixels of the class in the truth, one per row.
    total = sorted_truth.sum(dim=1, keepdim=True)  # (K, 1)
    # Taking the first i pixels as mispredicted: the truth pixels still right are those
    # of T not among them ...
    intersection = total - sorted_truth.cumsum(dim=1)  # (K, P)
    # ... and the union T ∪ M grows by one for each non-truth pixel among them (a false
    # positive); a truth pixel among them (a false negative) is already in T.
    union = total + (1.0 - sorted_truth).cumsum(dim=1)  # (K, P), ≥ 1 for i ≥ 1
    # Δ_J of the first i pixels, i = 1..P (Δ_J of the empty set is 0).
    jaccard = 1.0 - intersection / union  # (K, P)
    # g is the increment of Δ_J from one prefix to the next.
    return torch.diff(jaccard, dim=1, prepend=torch.zeros_like(jaccard[:, :1]))


def _lovasz_per_class(probs: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Δ̄(|t − p|) of each class: ``probs`` and ``truth`` ``(K, P)`` → ``(K,)``."""
    errors = (truth - probs).abs()  # (K, P), m_i = 1 − p on T, p elsewhere
    # Sort each class's errors in decreasing order; the sort is differentiable with
    # respect to the values, so autograd carries g back to the unsorted errors.
    sorted_errors, order = torch.sort(errors, dim=1, descending=True)  # (K, P) each
    sorted_truth = truth.gather(1, order)  # (K, P), the truth in the same order
    # g depends on the truth and the order only: a constant for autograd, which makes
    # Δ̄ linear in the sorted errors (the extension is piecewise linear).
    g = _lovasz_gradient(sorted_truth)  # (K, P)
    return (sorted_errors * g).sum(dim=1)  # (K,)


def _group_loss(
    probs: torch.Tensor, truth: torch.Tensor, *, classes: str, include_background: bool
) -> torch.Tensor | None:
    """Mean over the chosen classes of one group of pixels (an image or the batch),
    ``(K, P)`` each; None if no class is chosen (no pixel, or no class present)."""
    losses = _lovasz_per_class(probs, truth)  # (K,)
    chosen = torch.ones_like(losses, dtype=torch.bool)
    if classes == "present":
        chosen = truth.sum(dim=1) > 0  # (K,)
    if not include_background:
        chosen[0] = False
    if probs.shape[1] == 0 or not chosen.any():
        return None
    return losses[chosen].mean()


def lovasz_softmax_loss(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    per_image: bool = False,
    classes: str = "present",
    include_background: bool = True,
    ignore_index: int = -100,
) -> torch.Tensor:
    """Lovász-softmax loss (Berman et al. 2018): the Lovász extension of the Jaccard loss.

    For each class c, the soft errors ``m_i = |t_i − p_i|`` (``p`` the softmax, ``t`` the
    one-hot truth, over the pixels that count) are sorted in decreasing order and
    ``Δ̄_c = Σ_i m_π(i) g_i``, with ``g_i`` the increase of the Jaccard loss
    ``|M| / |T ∪ M|`` when the i-th largest error joins the mispredicted set M (see the
    module docstring). The loss is the mean of Δ̄_c over the classes chosen. On hard
    one-hot predictions Δ̄_c is exactly ``1 − IoU_c`` (the extension is tight on the
    vertices of the cube); in between it is convex and piecewise linear in the errors.

    **Grouping** (``per_image``): False, the default and the paper's setting for
    softmax, pools the pixels of the whole batch into one group (batch IoU); True computes
    the loss per image and averages over the images that have a class chosen (an image
    whose pixels are all ignored is left out). **Classes**: ``"present"`` (default, the
    paper's) averages over the classes present in the truth of the group; ``"all"`` over
    every class, where an absent class costs its largest predicted probability (Δ_J of
    any non-empty set is then 1, so Δ̄ = max_i p_i). ``include_background=False`` leaves
    class 0 out. If no class is chosen anywhere the loss is 0 (with zero gradient).

    Sorting is not differentiable at ties, like any piecewise-linear function at a kink;
    the value is the same for every order of tied errors.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        per_image: one Lovász term per image (True) or one for the batch (False).
        classes: ``"present"`` or ``"all"``.
        include_background: False leaves class 0 out of the mean.
        ignore_index: label of pixels left out of the errors and of T.

    Returns:
        Scalar tensor in ``[0, 1]``.

    Raises:
        TypeError, ValueError: logits not finite float ``(N, K, H, W)``, masks not integer
            ``(N, H, W)`` in ``[0, K)``, shapes that disagree, ``classes`` not one of
            ``"present"``, ``"all"``.

    Source: Berman et al. 2018.

    Chapter: book/loss_lovasz
    """
    if classes not in _CLASS_CHOICES:
        raise ValueError(f"classes must be one of {_CLASS_CHOICES}, got {classes!r}")
    probs, targets, valid = prepare(logits, masks, ignore_index=ignore_index)
    keep = valid[:, 0] > 0  # (N, H, W)
    # One group per image ((K, H, W) each), or the whole batch as one group.
    if per_image:
        groups = [(probs[n], targets[n], keep[n]) for n in range(probs.shape[0])]
    else:
        groups = [(probs.transpose(0, 1), targets.transpose(0, 1), keep)]  # (K, N, H, W)
    results = []
    for p, t, k in groups:
        # Keep only the pixels that count, flattened: (K, P).
        loss = _group_loss(p[:, k], t[:, k], classes=classes,
                           include_background=include_background)
        if loss is not None:
            results.append(loss)
    if not results:
        return probs.sum() * 0.0  # nothing to measure: 0, zero gradient
    return torch.stack(results).mean()


class LovaszSoftmaxLoss(LossModule):
    """Module form of :func:`lovasz_softmax_loss`.

    Chapter: book/loss_lovasz
    """

    _settings = ("per_image", "classes", "include_background", "ignore_index")
    _function = staticmethod(lovasz_softmax_loss)

    def __init__(self, *, per_image: bool = False, classes: str = "present",
                 include_background: bool = True, ignore_index: int = -100) -> None:
        super().__init__()
        self.per_image, self.classes = per_image, classes
        self.include_background, self.ignore_index = include_background, ignore_index
