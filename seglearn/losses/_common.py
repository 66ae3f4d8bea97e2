"""Building blocks shared by every loss of :mod:`seglearn.losses` (private).

Each loss in the subpackage is written from the same few pieces, so that the conventions
of the subpackage (see its docstring) live in one place:

- :func:`prepare`: validate ``(logits, masks)`` and turn them into softmax probabilities,
  one-hot targets and a mask of the pixels that count (``ignore_index`` removed);
- :func:`log_probs_at_labels`: the same for the pixel-wise losses: log-softmax, the
  log-probability of each pixel's true class, safe labels and the valid-pixel mask;
- :func:`overlap_sums`: soft true positives, false positives and false negatives per class,
  per image or over the whole batch;
- :func:`tversky_index`: the Tversky index from those sums, with the smoothing term in the
  numerator and the denominator;
- :func:`tversky_per_class`: the three steps above in one call, ``(N, K)``;
- :func:`reduce_classes`: drop the background class if asked, then mean over classes and
  over images;
- :func:`masked_mean`: the mean of a per-pixel loss over the pixels that count;
- :func:`as_class_vector` and :func:`check_number`: argument checks;
- :class:`LossModule`: the thin ``nn.Module`` shell whose ``repr`` lists the settings.

The module is private (import the losses from :mod:`seglearn.losses`), but its names
carry no underscore because every loss module of the subpackage uses them; a new loss
should be built from them so that it inherits the conventions.

Notation (REFERENCE.md section 4): ``p`` is the softmax probability of a class, ``t`` the
one-hot target, TP = Σ p·t, FP = Σ p·(1−t), FN = Σ (1−p)·t.

Used by every loss chapter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_logits_masks

__all__ = [
    "SMOOTH",
    "LossModule",
    "as_class_vector",
    "check_number",
    "log_probs_at_labels",
    "masked_mean",
    "overlap_sums",
    "prepare",
    "reduce_classes",
    "tversky_index",
    "tversky_per_class",
]

#: Default smoothing term of the overlap losses, added to numerator and denominator.
#: MATLAB's value (seeds ``000`` and ``004`` both use ``epsilon = 1e-8``), so that the
#: book's losses reproduce the seed code; it is negligible against any pixel sum and,
#: with half precision computed in float32 (see :func:`prepare`), never underflows.
SMOOTH = 1e-8


def _checked(
    logits: torch.Tensor, masks: torch.Tensor, ignore_index: int | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Check the input; return logits (half precision raised to float32), int64 labels
    with ignored pixels set to class 0 (safe for indexing) and the bool mask ``keep``
    ``(N, H, W)`` of the pixels that count."""
    check_logits_masks(logits, masks, ignore_index=ignore_index)
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    masks = masks.long()  # any integer dtype; int64 so that ignore_index=-100 cannot wrap
    keep = torch.ones_like(masks, dtype=torch.bool)
    if ignore_index is not None:
        keep = masks != ignore_index
    labels = torch.where(keep, masks, torch.zeros_like(masks))  # (N, H, W) int64
    return logits, labels, keep


def prepare(
    logits: torch.Tensor, masks: torch.Tensor, *, ignore_index: int | None = -100
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate the input and return ``(probs, targets, valid)``.

    Args:
        logits: float ``(N, K, H, W)``, unnormalised class scores (never probabilities).
        masks: int64 ``(N, H, W)``, class indices in ``[0, K)`` or ``ignore_index``.
        ignore_index: label of pixels that count nowhere (``None``: every pixel counts).

    Returns:
        ``probs``: softmax over the class dimension, ``(N, K, H, W)``, zero at ignored
        pixels; ``targets``: one-hot float ``(N, K, H, W)``, zero at ignored pixels;
        ``valid``: float ``(N, 1, H, W)``, 1 where the pixel counts and 0 where ignored.
        Half-precision logits are computed in float32 so that a smoothing term of 1e-8
        does not underflow; float32 and float64 are kept.

    Raises:
        TypeError, ValueError: see :func:`seglearn._checks.check_logits_masks`.
    """
    logits, labels, keep = _checked(logits, masks, ignore_index)
    valid = keep.unsqueeze(1).to(logits.dtype)  # (N, 1, H, W)
    targets = F.one_hot(labels, logits.shape[1]).permute(0, 3, 1, 2)  # (N, K, H, W)
    targets = targets.to(logits.dtype) * valid
    probs = torch.softmax(logits, dim=1) * valid  # (N, K, H, W)
    return probs, targets, valid


def log_probs_at_labels(
    logits: torch.Tensor, masks: torch.Tensor, *, ignore_index: int | None = -100
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate the input and return what the pixel-wise (cross-entropy family) losses need.

    Args: as :func:`prepare`.

    Returns:
        ``(log_probs, log_p_true, labels, valid)``: ``log_softmax`` over classes
        ``(N, K, H, W)``; the log-probability of each pixel's true class ``(N, H, W)``;
        the labels ``(N, H, W)`` with ignored pixels replaced by class 0 (safe for
        indexing); ``valid`` float ``(N, H, W)``, 1 where the pixel counts. Values at
        ignored pixels are meaningless and must be multiplied by ``valid``.
        Half-precision logits are computed in float32.

    Raises:
        TypeError, ValueError: see :func:`seglearn._checks.check_logits_masks`.
    """
    logits, labels, keep = _checked(logits, masks, ignore_index)
    log_probs = torch.log_softmax(logits, dim=1)  # (N, K, H, W)
    log_p_true = log_probs.gather(1, labels.unsqueeze(1)).squeeze(1)  # (N, H, W)
    return log_probs, log_p_true, labels, keep.to(log_probs.dtype)


def overlap_sums(
    probs: torch.Tensor, targets: torch.Tensor, *, per_image: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Soft TP, FP and FN per class: ``(N, K)`` each if ``per_image``, else ``(1, K)``.

    Args:
        probs: ``(N, K, H, W)`` probabilities, zero at ignored pixels (from :func:`prepare`).
        targets: ``(N, K, H, W)`` one-hot targets, zero at ignored pixels.
        per_image: sum over the pixels of each image (seed ``000``'s ``tverskyLoss``) or
            over all pixels of the batch (one row).

    Returns:
        ``(tp, fp, fn)`` with TP = Σ p·t, FP = Σ p·(1−t), FN = Σ (1−p)·t, in pixels
        (ignored pixels hold zeros in both tensors and add nothing). Each sum is taken
        directly, never as a difference, so FP and FN are never negative by rounding.
    """
    dims = (2, 3) if per_image else (0, 2, 3)
    tp = (probs * targets).sum(dim=dims)  # (N, K) or (K,)
    fp = (probs * (1 - targets)).sum(dim=dims)
    fn = ((1 - probs) * targets).sum(dim=dims)
    if not per_image:
        tp, fp, fn = tp.unsqueeze(0), fp.unsqueeze(0), fn.unsqueeze(0)  # (1, K)
    return tp, fp, fn


def tversky_index(
    tp: torch.Tensor,
    fp: torch.Tensor,
    fn: torch.Tensor,
    *,
    alpha: float,
    beta: float,
    smooth: float,
) -> torch.Tensor:
    """Tversky index ``(TP + s) / (TP + α·FP + β·FN + s)``, elementwise, in ``[0, 1]``.

    α weights false positives and β false negatives (Salehi et al. 2017, seed ``000``).
    The smoothing ``s`` sits in the numerator and the denominator, so a class absent from
    the truth and predicted absent (TP = FP = FN = 0) scores 1, not 0/0.
    """
    return (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


def tversky_per_class(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    alpha: float,
    beta: float,
    smooth: float,
    per_image: bool,
    ignore_index: int | None,
) -> torch.Tensor:
    """Tversky index per image and class, ``(N, K)`` (``(1, K)`` if not ``per_image``).

    Checks α, β, s ≥ 0 and the input, then chains :func:`prepare`, :func:`overlap_sums`
    and :func:`tversky_index`. Dice_c is ``alpha=beta=0.5``, IoU_c is ``alpha=beta=1``.
    """
    alpha = check_number("alpha", alpha, low=0.0)
    beta = check_number("beta", beta, low=0.0)
    smooth = check_number("smooth", smooth, low=0.0)
    probs, targets, _ = prepare(logits, masks, ignore_index=ignore_index)
    tp, fp, fn = overlap_sums(probs, targets, per_image=per_image)  # (R, K) each
    return tversky_index(tp, fp, fn, alpha=alpha, beta=beta, smooth=smooth)


def reduce_classes(per_class: torch.Tensor, *, include_background: bool = True) -> torch.Tensor:
    """Scalar from a per-class loss ``(R, K)``: drop class 0 if asked, mean over classes
    (dim 1), then mean over rows (images, or the single batch row)."""
    if not include_background:
        per_class = per_class[:, 1:]  # (R, K-1)
    return per_class.mean(dim=1).mean()


def masked_mean(per_pixel: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted mean ``Σ w·ℓ / Σ w`` of a per-pixel loss; an exact 0 when ``Σ w = 0``.

    ``weights`` is the valid-pixel mask (plain mean over the pixels that count) or that
    mask times per-pixel weights (PyTorch's weighted mean); both tensors broadcast to the
    same shape, e.g. ``(N, H, W)``. With no weight at all (every pixel ignored) the result
    is 0 with zero gradient, never 0/0 (PyTorch's ``F.cross_entropy`` returns NaN there).
    """
    total = (per_pixel * weights).sum()
    norm = weights.sum()
    # Divide by 1 when the norm is 0 (the total is 0 then): no NaN in value or gradient.
    norm = torch.where(norm > 0, norm, torch.ones_like(norm))
    return total / norm


def check_number(
    name: str, value: float, *, low: float, high: float = math.inf, low_open: bool = False
) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` if ``low_open``).

    Raises:
        TypeError: not an int or float (bools refused).
        ValueError: NaN, infinite, or outside the interval.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    inside = (value > low if low_open else value >= low) and value <= high
    if not (math.isfinite(value) and inside):
        left = "(" if low_open else "["
        right = "∞)" if high == math.inf else f"{high}]"
        raise ValueError(f"{name} must be a finite number in {left}{low}, {right}, got {value}")
    return value


def as_class_vector(
    name: str, values: torch.Tensor | Sequence[float], num_classes: int, like: torch.Tensor
) -> torch.Tensor:
    """Per-class values (class weights, focal α) as a ``(K,)`` tensor on ``like``'s device
    and dtype, checked to be finite and non-negative.

    Raises:
        ValueError: a shape other than ``(K,)``, a negative or non-finite entry.
    """
    vec = torch.as_tensor(values, device=like.device, dtype=like.dtype)
    if vec.shape != (num_classes,):
        raise ValueError(
            f"{name} must have shape (K,) = ({num_classes},), got {tuple(vec.shape)}"
        )
    if not torch.isfinite(vec).all() or (vec < 0).any():
        raise ValueError(f"{name} must be finite and non-negative, got {vec.tolist()}")
    return vec


class LossModule(nn.Module):
    """Base of the ``nn.Module`` shells: subclasses store their settings as attributes named
    in ``_settings`` and name their loss function in ``_function``; ``forward`` calls it with
    those settings, and ``repr`` shows them, e.g.
    ``TverskyLoss(alpha=0.7, beta=0.3, smooth=1e-08, ...)``."""

    _settings: tuple[str, ...] = ()
    _function: Callable[..., torch.Tensor]

    def forward(self, logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """The loss of ``logits`` ``(N, K, H, W)`` against ``masks`` ``(N, H, W)``."""
        return self._call(logits, masks)

    def _call(self, logits: torch.Tensor, masks: torch.Tensor, **inputs) -> torch.Tensor:
        # ``inputs``: per-call tensors of the function (the boundary losses' ``dist_maps``)
        settings = {key: getattr(self, key) for key in self._settings}
        return type(self)._function(logits, masks, **settings, **inputs)

    def extra_repr(self) -> str:
        parts = []
        for key in self._settings:
            value = getattr(self, key)
            if isinstance(value, torch.Tensor):
                value = [round(v, 6) for v in value.tolist()]
            parts.append(f"{key}={value!r}")
        return ", ".join(parts)
