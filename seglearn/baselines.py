"""Results the chapters compare against, stated once: MATLAB's published metrics and the
book's own reference runs.

Every loss chapter puts its network next to two baselines in one table: what MATLAB's
example reports, and what the book's first training (weighted cross-entropy) scored; the
overlap-loss chapters add the Dice run. The values are copied here from the outputs of the
chapters that compute them, so that a later chapter quotes them without training again;
``tests/test_book.py`` checks them against those chapters' committed outputs, so a
re-executed chapter whose numbers moved fails the tests until this file follows.

All values are test-set metrics in ``[0, 1]`` under MATLAB's names
(:func:`seglearn.metrics.evaluate_semantic_segmentation`), plus the triangle class's
precision and recall (:func:`seglearn.metrics.precision_recall`) for the book's runs.

The trivial answers every network must beat are computed here too, on any data set:
:func:`all_background` labels every pixel background; :func:`fit_threshold` finds the
brightness threshold that maximises MeanIoU on one split (exactly, over every distinct cut
of the pixel scores) and :meth:`ThresholdRule.predict` applies it to another, globally
(``x > t``) or per image (``x - median(image) > t``, optionally two-sided,
``|x - median(image)| > t``). :func:`threshold_baseline` does both and scores the result
with :func:`seglearn.metrics.evaluate_semantic_segmentation`. On the triangles the
per-image rule nearly matches the network; on the shape scenes (:mod:`seglearn.shapes`)
no threshold can tell a disk from a square.

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import torch

from ._checks import check_images, check_masks
from .metrics import SegmentationMetrics, evaluate_semantic_segmentation

__all__ = [
    "MATLAB_PUBLISHED", "WEIGHTED_CE", "DICE",
    "THRESHOLD_RULES", "ThresholdRule", "all_background", "fit_threshold", "threshold_baseline",
]

#: MATLAB's example "Semantic Segmentation Using Dilated Convolutions" (seed ``000``): its
#: dilated network trained with its Tversky loss (α = 0.7 on false positives, β = 0.3 on
#: false negatives), on MATLAB's ``triangleImages`` test set (100 images).
MATLAB_PUBLISHED = MappingProxyType({
    "GlobalAccuracy": 0.99674, "MeanAccuracy": 0.98562, "MeanIoU": 0.96447,
    "WeightedIoU": 0.99362, "MeanBFScore": 0.92831,
})

#: The book's ``DilatedNet`` trained with inverse-frequency weighted cross-entropy and
#: :data:`seglearn.train.MATLAB_RECIPE` (SGD with momentum, lr 1e-2, batches of 64,
#: 100 epochs, seed 0) on the generated triangles, on the CPU with torch 2.14: chapters
#: *Semantic segmentation with dilated convolutions* and *Cross-entropy: weighted and
#: balanced*. Another torch version, another CPU (these come from an AMD EPYC; an Intel
#: Xeon gave MeanIoU 0.92858) or a GPU moves the third or fourth decimal.
WEIGHTED_CE = MappingProxyType({
    "GlobalAccuracy": 0.99194, "MeanAccuracy": 0.98746, "MeanIoU": 0.92918,
    "WeightedIoU": 0.98484, "MeanBFScore": 0.85392,
    "triangle precision": 0.8805, "triangle recall": 0.9824,
})

#: The same network and recipe trained with the soft Dice loss: chapter *Dice loss*.
DICE = MappingProxyType({
    "GlobalAccuracy": 0.99429, "MeanAccuracy": 0.96713, "MeanIoU": 0.94574,
    "WeightedIoU": 0.98883, "MeanBFScore": 0.89539,
    "triangle precision": 0.9554, "triangle recall": 0.9367,
})


#: The brightness rules :func:`fit_threshold` knows: pixel score, then ``score > threshold``.
THRESHOLD_RULES = ("global", "per_image", "per_image_two_sided")


def _pixel_scores(images: torch.Tensor, rule: str) -> np.ndarray:
    """Float64 ``(N, H, W)`` scores: brightness (channel mean), minus the image median."""
    check_images(images)
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"rule must be one of {THRESHOLD_RULES}, got {rule!r}")
    x = images.detach().cpu().double().mean(1).numpy()  # (N, H, W) brightness
    if rule == "global":
        return x
    x = x - np.median(x.reshape(len(x), -1), axis=1)[:, None, None]  # NumPy's median
    return np.abs(x) if rule == "per_image_two_sided" else x


@dataclass(frozen=True)
class ThresholdRule:
    """A fitted brightness threshold: pixels whose score exceeds ``threshold`` get class
    ``foreground``, all others background (class 0).

    Attributes:
        rule: one of :data:`THRESHOLD_RULES`; the score is the pixel's brightness (mean over
            channels, in [0, 1]) for ``"global"``, its brightness minus its image's median
            for ``"per_image"``, and the absolute value of that for ``"per_image_two_sided"``.
        threshold: the cut, in the score's units.
        foreground: the class index given to pixels above the cut (1 … K-1).
        num_classes: K.
        fit_mean_iou: MeanIoU on the split it was fitted on.

    Chapter: book/dilated_segmentation
    """

    rule: str
    threshold: float
    foreground: int
    num_classes: int
    fit_mean_iou: float

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Label maps int64 ``(N, H, W)`` for float images ``(N, C, H, W)`` in [0, 1].

        Raises:
            TypeError, ValueError: images that are not a float ``(N, C, H, W)`` tensor.
        """
        above = _pixel_scores(images, self.rule) > self.threshold
        return torch.from_numpy(np.where(above, self.foreground, 0).astype(np.int64))


def all_background(images: torch.Tensor) -> torch.Tensor:
    """The all-background answer: int64 zeros ``(N, H, W)`` for images ``(N, C, H, W)``.

    Raises:
        TypeError, ValueError: images that are not a float ``(N, C, H, W)`` tensor.

    Chapter: book/dilated_segmentation
    """
    check_images(images)
    n, _, h, w = images.shape
    return torch.zeros((n, h, w), dtype=torch.int64)


def fit_threshold(
    images: torch.Tensor, masks: torch.Tensor, *, num_classes: int, rule: str = "per_image",
    foreground: int | None = None,
) -> ThresholdRule:
    """The brightness threshold with the highest MeanIoU on ``(images, masks)``.

    Every distinct cut of the pixel scores is tried exactly (cuts halfway between
    consecutive distinct scores, plus "everything" and "nothing"): per cut, the confusion
    matrix of the two-valued prediction follows from cumulative class histograms of the
    scores, and MeanIoU from it with MATLAB's NaN policy. Ties go to the lowest cut.

    Args:
        images: float ``(N, C, H, W)`` in [0, 1]; masks: int64 ``(N, H, W)`` in ``[0, K)``.
        num_classes: K >= 2.
        rule: one of :data:`THRESHOLD_RULES`.
        foreground: the class above the cut; ``None`` tries every class 1 … K-1 and keeps
            the best (for K = 2: class 1).

    Returns:
        The :class:`ThresholdRule`.

    Raises:
        TypeError, ValueError: bad tensors, shapes that disagree, an unknown rule,
            ``num_classes`` < 2 or ``foreground`` outside 1 … K-1.

    Chapter: book/dilated_segmentation
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
    check_masks(masks, num_classes)
    scores = _pixel_scores(images, rule)
    if scores.shape != tuple(masks.shape):
        raise ValueError(f"images {tuple(images.shape)} and masks {tuple(masks.shape)} must "
                         "agree on N, H, W")
    candidates = range(1, num_classes) if foreground is None else [foreground]
    if any(isinstance(c, bool) or not isinstance(c, int) or not 1 <= c < num_classes
           for c in candidates):
        raise ValueError(f"foreground must be an int in [1, {num_classes}), got {foreground!r}")
    k = num_classes
    values, index = np.unique(scores.ravel(), return_inverse=True)  # sorted distinct scores
    truth = masks.cpu().numpy().ravel()
    hist = np.bincount(truth * len(values) + index.ravel(), minlength=k * len(values))
    hist = hist.reshape(k, len(values)).astype(np.float64)  # (K, U) class counts per score
    below = np.concatenate([np.zeros((k, 1)), np.cumsum(hist, axis=1)], axis=1)  # (K, U+1)
    row = hist.sum(1, keepdims=True)  # (K, 1) true pixels per class
    above = row - below  # cut j: the scores values[j:] are above it
    cuts = np.concatenate([[values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1]]])
    best = None
    for c in candidates:
        # classes other than 0 and c are never predicted: IoU 0, or NaN when absent
        iou = np.where(row > 0, 0.0, np.nan) * np.ones_like(below)  # (K, U+1)
        for cls, tp, col in ((0, below[0], below.sum(0)), (c, above[c], above.sum(0))):
            union = row[cls] + col - tp
            with np.errstate(invalid="ignore", divide="ignore"):
                iou[cls] = np.where(union > 0, tp / union, np.nan)
        mean_iou = np.nanmean(iou, axis=0)  # (U+1,)
        j = int(np.nanargmax(mean_iou))
        if best is None or mean_iou[j] > best[0]:
            best = (float(mean_iou[j]), float(cuts[j]), c)
    return ThresholdRule(rule=rule, threshold=best[1], foreground=best[2],
                         num_classes=num_classes, fit_mean_iou=best[0])


def threshold_baseline(
    fit_data: tuple[torch.Tensor, torch.Tensor],
    eval_data: tuple[torch.Tensor, torch.Tensor],
    *,
    num_classes: int,
    rule: str = "per_image",
    class_names: Sequence[str] | None = None,
    bf_score: bool = True,
) -> tuple[ThresholdRule, SegmentationMetrics]:
    """Fit a brightness threshold on one split, score it on another.

    Args:
        fit_data: ``(images, masks)`` the threshold is chosen on (train or val, never test).
        eval_data: ``(images, masks)`` it is scored on.
        num_classes, rule: as :func:`fit_threshold`.
        class_names, bf_score: as :func:`seglearn.metrics.evaluate_semantic_segmentation`.

    Returns:
        ``(rule, metrics)``: the :class:`ThresholdRule` and MATLAB's metrics on
        ``eval_data``.

    Raises:
        TypeError, ValueError: as :func:`fit_threshold` and the metrics.

    Chapter: book/dilated_segmentation
    """
    fitted = fit_threshold(*fit_data, num_classes=num_classes, rule=rule)
    images, masks = eval_data
    metrics = evaluate_semantic_segmentation(fitted.predict(images), masks,
                                             num_classes=num_classes, class_names=class_names,
                                             bf_score=bf_score)
    return fitted, metrics

