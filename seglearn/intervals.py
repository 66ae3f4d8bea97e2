"""Means, intervals and paired differences over seeds; the bootstrap over test images.

A score from one training is one draw. :func:`mean_interval` gives the mean, the sample
standard deviation and the two-sided Student-t interval over seeds; :func:`paired_difference`
the same for the per-seed differences of two configurations trained on the same seeds
(pairing removes what a seed does to both); :func:`bootstrap_interval` the percentile
bootstrap of MeanIoU over test images (Efron & Tibshirani, *An Introduction to the
Bootstrap*, 1993, ch. 13). :mod:`seglearn.protocol` builds its summaries from them.

Chapter: book/experiments
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from .metrics import confusion_matrix

__all__ = ["Interval", "mean_interval", "paired_difference", "bootstrap_interval"]


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` draws with its sample standard deviation (ddof 1) and a
    two-sided Student-t interval ``[low, high]`` at ``confidence``; NaN where n < 2.

    Chapter: book/experiments
    """

    mean: float
    sd: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0 (a resolved difference)."""
        return bool(self.low > 0 or self.high < 0)

    def __str__(self) -> str:
        return f"{self.mean:.4f} [{self.low:.4f}, {self.high:.4f}] sd {self.sd:.4f} n={self.n}"

    def signed(self) -> str:
        """The mean and interval with explicit signs (for differences), e.g.
        ``+0.0050 [+0.0026, +0.0075]``."""
        return f"{self.mean:+.4f} [{self.low:+.4f}, {self.high:+.4f}]"


def mean_interval(values: Sequence[float], *, confidence: float = 0.95) -> Interval:
    """Mean, sd and the Student-t interval ``mean ± t_{(1+c)/2, n-1} · sd / sqrt(n)``.

    Args:
        values: one number per seed (finite floats).
        confidence: in (0, 1).

    Raises:
        ValueError: no values, non-finite values, ``confidence`` outside (0, 1).

    Chapter: book/experiments
    """
    x = np.asarray(list(values), dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"values must be a non-empty sequence of finite numbers, got {x}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    n, mean = x.size, float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, math.nan, n, confidence)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, sd, mean - half, mean + half, n, confidence)


def paired_difference(
    a: Mapping[int, float], b: Mapping[int, float], *, confidence: float = 0.95
) -> Interval:
    """The mean of ``a[seed] - b[seed]`` over the seeds both hold, with its t interval.

    Pairing removes what a seed does to both (an easy or a hard initialisation), so the
    interval is narrower than the two separate ones whenever the runs co-vary.

    Raises:
        ValueError: the two do not hold the same seeds; see :func:`mean_interval`.

    Chapter: book/experiments
    """
    if set(a) != set(b):
        raise ValueError(f"paired runs need the same seeds, got {sorted(a)} and {sorted(b)}")
    return mean_interval([a[s] - b[s] for s in sorted(a)], confidence=confidence)


def bootstrap_interval(
    preds: torch.Tensor, masks: torch.Tensor, *, num_classes: int, num_samples: int = 1000,
    confidence: float = 0.95, seed: int = 0,
) -> tuple[float, float, float]:
    """MeanIoU of the whole set and its percentile bootstrap interval over images.

    Each bootstrap sample draws N images with replacement and recomputes MATLAB's MeanIoU
    from the sum of their confusion matrices (Efron & Tibshirani, *An Introduction to the
    Bootstrap*, 1993, ch. 13): the uncertainty of having only N test images.

    Args:
        preds, masks: int ``(N, H, W)`` label maps in ``[0, num_classes)``.
        num_samples: bootstrap samples (1 … 100000); seed: their random stream.

    Returns:
        ``(mean_iou, low, high)``.

    Raises:
        TypeError, ValueError: bad label maps (as
            :func:`seglearn.metrics.confusion_matrix`) or settings.

    Chapter: book/experiments
    """
    if not 1 <= int(num_samples) <= 100_000 or not 0 < confidence < 1:
        raise ValueError(f"need 1 <= num_samples <= 100000 and 0 < confidence < 1, got "
                         f"{num_samples}, {confidence}")
    per_image = torch.stack([confusion_matrix(p[None], m[None], num_classes)
                             for p, m in zip(preds, masks, strict=True)]).double()  # (N, K, K)
    n = per_image.shape[0]
    picks = torch.randint(n, (int(num_samples), n), generator=torch.Generator().manual_seed(seed))
    weights = torch.stack([torch.bincount(p, minlength=n) for p in picks]).double()  # (B, N)
    cms = torch.cat([per_image.sum(0, keepdim=True),
                     torch.einsum("bn,nij->bij", weights, per_image)])  # (1 + B, K, K)
    tp = cms.diagonal(dim1=1, dim2=2)  # (1 + B, K)
    union = cms.sum(2) + cms.sum(1) - tp  # (1 + B, K): row + column - diagonal
    iou = torch.where(union > 0, tp / union, torch.nan).nanmean(1).numpy()  # NaN policy
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(iou[1:], [tail, 100 - tail])
    return float(iou[0]), float(low), float(high)
