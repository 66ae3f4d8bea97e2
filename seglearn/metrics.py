"""MATLAB's semantic-segmentation metrics: confusion matrix, accuracy, IoU, BF score.

:func:`evaluate_semantic_segmentation` reproduces MATLAB's ``evaluateSemanticSegmentation``
(the five data-set metrics GlobalAccuracy, MeanAccuracy, MeanIoU, WeightedIoU and
MeanBFScore, plus per-class and per-image tables) on hard label maps. The chapter
*Evaluating segmentation: MATLAB's metrics* (``book/metrics.ipynb``) teaches it; seed ``000``
reports MATLAB's values for the triangle network. Definitions (REFERENCE.md, section 3),
with CM the confusion matrix (rows = true class, columns = predicted class):

- GlobalAccuracy = trace(CM) / sum(CM);
- class Accuracy(c) = CM[c, c] / row_c (the recall of class c); MeanAccuracy its mean;
- class IoU(c) = CM[c, c] / (row_c + col_c - CM[c, c]) from *data-set totals* (not a mean
  of per-image IoUs); MeanIoU its mean; WeightedIoU = Σ_c row_c IoU(c) / Σ_c row_c;
- BF(image, c): boundary F1 score (Csurka et al., BMVC 2013), see :mod:`seglearn.bfscore`
  for the recipe and for what its tolerance θ means on 32×32 images (θ ≈ 0.34 px: only
  exact boundary matches count); class MeanBFScore(c) = mean over images; MeanBFScore =
  mean over images of each image's mean over classes.

Per-image metrics (MATLAB's ``ImageMetrics``) apply the same formulas to one image.

NaN policy (decided once, as MATLAB does): a quantity whose denominator is zero is NaN,
never 0 or 1 — Accuracy(c) when class c is absent from the truth; IoU(c) when c is absent
from both truth and prediction (a class predicted but absent from the truth has IoU 0);
BF when the predicted or the true boundary is empty. Every mean skips NaNs, and is NaN
only when all its terms are. A class absent from the truth has weight 0 in WeightedIoU.

Label maps may have any integer dtype (uint8 as read from PNG files, int8 … int64; preds
and masks may differ): every count is made in int64, so ``K * K`` bins cannot overflow
(a uint8 computation of ``mask * K + pred`` wraps once K >= 16).

Chapter: book/metrics
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ._checks import check_label_maps, check_num_classes
from .bfscore import bf_score, bf_scores

__all__ = [
    "confusion_matrix",
    "precision_recall",
    "bf_score",
    "SegmentationMetrics",
    "evaluate_semantic_segmentation",
]

DATASET_COLUMNS = ("GlobalAccuracy", "MeanAccuracy", "MeanIoU", "WeightedIoU", "MeanBFScore")
CLASS_COLUMNS = ("Accuracy", "IoU", "MeanBFScore")


def _confusion_per_image(preds: torch.Tensor, masks: torch.Tensor, k: int) -> torch.Tensor:
    """One bincount for all images: int64 ``(N, K, K)``, rows true, columns predicted."""
    n = masks.shape[0]
    image = torch.arange(n, device=masks.device).view(n, 1, 1)  # (N, 1, 1)
    # int64 before any arithmetic: uint8 maps would wrap at 256, int8 ones at 128
    flat = (image * (k * k) + masks.long() * k + preds.long()).reshape(-1)  # (N*H*W,)
    return torch.bincount(flat, minlength=n * k * k).view(n, k, k)  # (N, K, K)


def confusion_matrix(preds: torch.Tensor, masks: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Confusion matrix over all pixels of all images.

    Args:
        preds: predicted label maps ``(N, H, W)`` in ``[0, num_classes)``, any integer
            dtype (uint8 … int64).
        masks: true label maps ``(N, H, W)`` in ``[0, num_classes)``, any integer dtype.
        num_classes: K.

    Returns:
        int64 ``(K, K)`` pixel counts on the inputs' device: entry ``[t, p]`` counts pixels
        of true class ``t`` predicted as ``p`` (rows = truth, columns = prediction, as
        MATLAB's ``ConfusionMatrix``).

    Raises:
        TypeError: an argument is not a tensor.
        ValueError: shapes or devices differ, not 3-D, float/bool dtype, labels outside
            ``[0, K)``, ``num_classes`` not a positive int.

    Source: torchvision's reference ``bincount`` confusion matrix; MATLAB's
    ``ConfusionMatrix`` orientation.

    Chapter: book/metrics
    """
    k = check_num_classes(num_classes)
    check_label_maps(preds, masks, k)
    flat = (masks.long() * k + preds.long()).reshape(-1)  # (N*H*W,) int64: cannot wrap
    return torch.bincount(flat, minlength=k * k).view(k, k)  # (K, K)


def precision_recall(
    preds: torch.Tensor, masks: torch.Tensor, *, num_classes: int, cls: int = 1
) -> tuple[float, float]:
    """Precision and recall of one class over the whole data set.

    precision = CM[c, c] / col_c (of the pixels predicted c, the share truly c);
    recall = CM[c, c] / row_c (MATLAB's class Accuracy). NaN when the denominator is 0.

    Args:
        preds: predicted label maps ``(N, H, W)`` in ``[0, num_classes)``, any integer dtype.
        masks: true label maps ``(N, H, W)`` in ``[0, num_classes)``, any integer dtype.
        num_classes: K.
        cls: the class c (default 1, the triangle).

    Returns:
        ``(precision, recall)``, floats in [0, 1] or NaN.

    Raises:
        ValueError: as :func:`confusion_matrix`, or ``cls`` outside ``[0, K)``.

    Source: REFERENCE.md section 3 (MATLAB's class Accuracy is the recall).

    Chapter: book/metrics
    """
    k = check_num_classes(num_classes)
    if isinstance(cls, bool) or not isinstance(cls, int) or not 0 <= cls < k:
        raise ValueError(f"cls must be an int in [0, {k}), got {cls!r}")
    cm = confusion_matrix(preds, masks, k).double()
    tp = float(cm[cls, cls])
    col, row = float(cm[:, cls].sum()), float(cm[cls].sum())
    return (tp / col if col else math.nan), (tp / row if row else math.nan)


def _from_confusion(cm: torch.Tensor) -> dict[str, torch.Tensor]:
    """Accuracy and IoU metrics of confusion matrices ``(..., K, K)``, float64, NaN policy."""
    cm = cm.double()
    tp = cm.diagonal(dim1=-2, dim2=-1)  # (..., K)
    row, col = cm.sum(-1), cm.sum(-2)  # (..., K) true / predicted pixel counts
    total = row.sum(-1)  # (...)
    nan = torch.tensor(math.nan, dtype=torch.float64)
    acc = torch.where(row > 0, tp / row, nan)
    union = row + col - tp
    iou = torch.where(union > 0, tp / union, nan)
    weighted = (row * torch.nan_to_num(iou)).sum(-1) / total
    return {
        "Accuracy": acc,
        "IoU": iou,
        "GlobalAccuracy": tp.sum(-1) / total,
        "MeanAccuracy": acc.nanmean(-1),
        "MeanIoU": iou.nanmean(-1),
        "WeightedIoU": weighted,
    }


def _fmt(value: float) -> str:
    """MATLAB-like short number: 5 decimals, trailing zeros dropped (1 -> '1')."""
    if math.isnan(value):
        return "NaN"
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _table(columns: Sequence[str], rows: Sequence[tuple[str, Sequence[float]]]) -> str:
    """A table laid out like MATLAB's display: headers, underscores, a blank line, values."""
    label_w = max((len(name) for name, _ in rows), default=0)
    widths = [max(len(c), *(len(_fmt(v[j])) for _, v in rows)) for j, c in enumerate(columns)]
    lead = " " * 4 + (" " * (label_w + 4) if label_w else "")
    lines = [
        lead + "    ".join(c.center(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
        lead + "    ".join("_" * w for w in widths),
        "",
    ]
    for name, values in rows:
        cells = "    ".join(_fmt(v).center(w) for v, w in zip(values, widths, strict=True))
        label = (name.ljust(label_w) + "    ") if label_w else ""
        lines.append((" " * 4 + label + cells).rstrip())
    return "\n".join(lines)


@dataclass(repr=False)
class SegmentationMetrics:
    """Result of :func:`evaluate_semantic_segmentation`, like MATLAB's metrics object.

    Attributes:
        global_accuracy, mean_accuracy, mean_iou, weighted_iou, mean_bf_score: the data-set
            metrics, floats in [0, 1] (NaN per the NaN policy; ``mean_bf_score`` is NaN
            when the BF score was not computed).
        confusion_matrix: int64 ``(K, K)`` pixel counts, rows = true, columns = predicted.
        normalized_confusion_matrix: float64 ``(K, K)``, each row divided by its sum (a NaN
            row for a class absent from the truth).
        class_metrics: ``{"Accuracy", "IoU", "MeanBFScore"}`` -> float64 ``(K,)``.
        image_metrics: ``{"GlobalAccuracy", "MeanAccuracy", "MeanIoU", "WeightedIoU",
            "MeanBFScore"}`` -> float64 ``(N,)``.
        class_names: K names, in class-index order.
        bf_score_computed: whether the BF columns hold values (else they are all NaN and the
            tables leave them out, as MATLAB shows only the selected metrics).

    Chapter: book/metrics
    """

    global_accuracy: float
    mean_accuracy: float
    mean_iou: float
    weighted_iou: float
    mean_bf_score: float
    confusion_matrix: torch.Tensor
    normalized_confusion_matrix: torch.Tensor
    class_metrics: dict[str, torch.Tensor]
    image_metrics: dict[str, torch.Tensor]
    class_names: list[str]
    bf_score_computed: bool = True

    def as_dict(self) -> dict[str, float]:
        """The five data-set metrics under MATLAB's names (``"MeanIoU"`` ...), as floats."""
        values = (self.global_accuracy, self.mean_accuracy, self.mean_iou, self.weighted_iou,
                  self.mean_bf_score)
        return dict(zip(DATASET_COLUMNS, values, strict=True))

    def _columns(self, columns: Sequence[str]) -> list[str]:
        return [c for c in columns if self.bf_score_computed or c != "MeanBFScore"]

    def dataset_metrics_table(self) -> str:
        """MATLAB's "Data set metrics" table, values rounded to 5 decimals."""
        cols = self._columns(DATASET_COLUMNS)
        d = self.as_dict()
        return _table(cols, [("", [d[c] for c in cols])])

    def class_metrics_table(self) -> str:
        """MATLAB's ``ClassMetrics`` table: one row per class name."""
        cols = self._columns(CLASS_COLUMNS)
        rows = [
            (name, [float(self.class_metrics[c][i]) for c in cols])
            for i, name in enumerate(self.class_names)
        ]
        return _table(cols, rows)

    def __str__(self) -> str:
        return (
            "Data set metrics:\n\n" + self.dataset_metrics_table()
            + "\n\nClass metrics:\n\n" + self.class_metrics_table()
        )

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self.as_dict().items())
        return f"SegmentationMetrics({inner})"


def _class_names(class_names: Sequence[str] | None, k: int) -> list[str]:
    if class_names is None:
        # The package's contract: 0 = background, 1 = triangle (DESIGN.md).
        return ["background", "triangle"] if k == 2 else [f"class{c}" for c in range(k)]
    if isinstance(class_names, (str, bytes)):
        raise TypeError(f"class_names must be a list of {k} names, got the string {class_names!r}")
    names = [str(n) for n in class_names]
    if len(names) != k:
        raise ValueError(f"class_names must hold num_classes={k} names, got {len(names)}")
    return names


def evaluate_semantic_segmentation(
    preds: torch.Tensor,
    masks: torch.Tensor,
    *,
    num_classes: int,
    class_names: Sequence[str] | None = None,
    bf_score: bool = True,
    theta: float | None = None,
) -> SegmentationMetrics:
    """MATLAB's ``evaluateSemanticSegmentation`` on hard label maps.

    Args:
        preds: predicted label maps ``(N, H, W)`` in ``[0, num_classes)`` (e.g.
            ``logits.argmax(1)`` or :func:`seglearn.train.segment`), any integer dtype;
            any device.
        masks: true label maps ``(N, H, W)``, same shape and device, any integer dtype
            (uint8 label maps read from PNG files give the same result as int64).
        num_classes: K.
        class_names: K names for the tables; default ``["background", "triangle"]`` when
            K = 2 (the package's class order), else ``class0 ...``.
        bf_score: compute the BF score (a few ms per 100 images of 32×32 on the CPU);
            ``False`` skips it (NaN in its fields), for use inside training loops.
        theta: BF tolerance in pixels; default 0.0075 · sqrt(H² + W²) (MATLAB's).

    Returns:
        :class:`SegmentationMetrics` (data-set, per-class and per-image metrics; tensors on
        the CPU). ``print(result)`` shows MATLAB-style tables.

    Raises:
        TypeError: an argument is not a tensor.
        ValueError: shapes or devices differ, not 3-D, float/bool dtype, labels outside
            ``[0, K)``, no pixels, wrong number of class names, ``theta`` <= 0.

    Source: MATLAB Computer Vision Toolbox documentation; Csurka et al., BMVC 2013 (BF).

    Chapter: book/metrics
    """
    k = check_num_classes(num_classes)
    check_label_maps(preds, masks, k)
    if masks.numel() == 0:
        raise ValueError(f"need at least one pixel, got masks of shape {tuple(masks.shape)}")
    names = _class_names(class_names, k)
    per_image = _confusion_per_image(preds, masks, k).cpu()  # (N, K, K)
    cm = per_image.sum(0)  # (K, K)
    data, img = _from_confusion(cm), _from_confusion(per_image)

    n = masks.shape[0]
    bf = torch.full((n, k), math.nan, dtype=torch.float64)  # (N, K)
    if bf_score:
        bf = bf_scores(preds, masks, num_classes=k, theta=theta)  # (N, K)
    image_bf = bf.nanmean(1)  # (N,) NaN where every class is NaN
    row = cm.sum(1, keepdim=True).double()  # (K, 1)
    return SegmentationMetrics(
        global_accuracy=float(data["GlobalAccuracy"]),
        mean_accuracy=float(data["MeanAccuracy"]),
        mean_iou=float(data["MeanIoU"]),
        weighted_iou=float(data["WeightedIoU"]),
        mean_bf_score=float(image_bf.nanmean()),
        confusion_matrix=cm,
        normalized_confusion_matrix=torch.where(row > 0, cm / row, math.nan),
        class_metrics={"Accuracy": data["Accuracy"], "IoU": data["IoU"],
                       "MeanBFScore": bf.nanmean(0)},
        image_metrics={
            "GlobalAccuracy": img["GlobalAccuracy"],
            "MeanAccuracy": img["MeanAccuracy"],
            "MeanIoU": img["MeanIoU"],
            "WeightedIoU": img["WeightedIoU"],
            "MeanBFScore": image_bf,
        },
        class_names=names,
        bf_score_computed=bool(bf_score),
    )
