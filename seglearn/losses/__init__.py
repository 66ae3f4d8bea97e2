"""Segmentation losses: each a function ``loss(logits, masks, *, settings)`` plus a thin
``nn.Module`` that only holds the settings and calls it.

Chapter: book/loss_comparison

One chapter teaches each loss (named in its docstring); the formulas are collected in
REFERENCE.md section 4 and come from the papers cited in each docstring and from the seed documents
(``000`` MATLAB weighted cross-entropy and ``tverskyLoss``, ``002`` loss catalogue,
``004`` MATLAB generalized Dice layer).

Pixel-wise (cross-entropy family):

- :func:`cross_entropy_loss` / :class:`CrossEntropyLoss`: Σ w_y (−log p_y) / Σ w_y;
- :func:`balanced_cross_entropy_loss` / :class:`BalancedCrossEntropyLoss`:
  −[β t log p + (1−β)(1−t) log(1−p)] on the foreground probability;
- :func:`focal_loss` / :class:`FocalLoss`: −α_t (1 − p_t)^γ log p_t.

Overlap (region) losses, per class c:

- :func:`tversky_loss` / :class:`TverskyLoss`: 1 − TI, TI = TP / (TP + α FP + β FN);
- :func:`dice_loss` / :class:`DiceLoss`: Tversky(½, ½), or V-Net's squared denominator;
- :func:`jaccard_loss` / :class:`JaccardLoss`: Tversky(1, 1), the soft IoU;
- :func:`focal_tversky_loss` / :class:`FocalTverskyLoss`: (1 − TI)^(1/γ);
- :func:`generalized_dice_loss` / :class:`GeneralizedDiceLoss`:
  1 − 2 Σ_c w_c TP_c / Σ_c w_c (Σp_c² + Σt_c²), w_c = 1 / (Σ t_c)².

Region-based variants and compound losses (seed ``002``'s catalogue):

- :func:`log_cosh_dice_loss` / :class:`LogCoshDiceLoss`: log cosh(1 − Dice_c);
- :func:`sensitivity_specificity_loss` / :class:`SensitivitySpecificityLoss`:
  r · MSE on the class + (1 − r) · MSE on the other pixels;
- :func:`combo_loss` / :class:`ComboLoss`: α · β-weighted BCE − (1 − α) · Dice;
- :func:`exp_log_loss` / :class:`ExpLogLoss`: w_D E[(−ln Dice_c)^γ] + w_C E[w_l (−ln p_l)^γ].

Boundary-based losses and the IoU surrogate:

- :func:`boundary_loss` / :class:`BoundaryLoss`: mean of φ_c · p_c, φ the truth's signed
  distance map (:func:`signed_distance_map`, negative inside);
- :func:`hausdorff_dt_loss` / :class:`HausdorffDTLoss`: (p − t)² (d_p^α + d_t^α);
- :func:`lovasz_softmax_loss` / :class:`LovaszSoftmaxLoss`: the Lovász extension of the
  Jaccard loss on the sorted soft errors.

Seed ``002``'s "shape-aware loss" is not implemented: the seed gives it in words only
(its formula is an image missing from the text), and the words leave open whether the
distance is per pixel or per image and how it multiplies the cross-entropy.

Conventions, decided once for every loss here:

- **Input.** ``logits`` float ``(N, K, H, W)`` (unnormalised scores; softmax over dim 1 is
  applied inside, never pass probabilities) and ``masks`` int64 ``(N, H, W)`` of class
  indices in ``[0, K)``, exactly like ``F.cross_entropy``. Bad input (shape mismatch,
  labels outside ``[0, K)`` other than ``ignore_index``, float masks, NaN or infinite
  logits) raises ``ValueError`` (``TypeError`` for a non-tensor). Half-precision logits
  are computed in float32; float64 stays float64.
- **ignore_index** (default −100, PyTorch's): those pixels count nowhere, neither in the
  pixel means nor in the TP/FP/FN sums nor in the balanced-β fraction.
- **Pixel-wise losses** (cross-entropy family) are means over the pixels that count
  (cross-entropy: PyTorch's weighted mean). If no pixel counts the loss is 0 with zero
  gradient (PyTorch returns NaN).
- **Overlap losses** (Tversky family, Dice, generalized Dice) use soft counts
  TP = Σ p·t, FP = Σ p·(1−t), FN = Σ (1−p)·t, **α weighting false positives and β false
  negatives** (Salehi et al. 2017, seed ``000``; Abraham & Khan 2019 swap the letters).
  Sums run **per image**, and the loss is the **mean over images** (seed ``000``'s
  ``tverskyLoss``, seed ``004``); ``per_image=False`` sums over the whole batch instead.
  Classes are **averaged** (seed ``000`` sums: our value = MATLAB's / K), so every overlap
  loss lies in ``[0, 1]``; ``include_background=False`` leaves class 0 out.
- **Smoothing** ``smooth = 1e-8`` (MATLAB's, seeds ``000`` and ``004``) is added to the
  numerator and the denominator of each index. It only matters when a class is absent:
  absent from an image's truth and predicted absent, the index is s/s = 1 (loss 0);
  predicted present, it is ≈ 0 (loss ≈ 1). In the generalized Dice an absent class gets
  weight 0 instead of seed ``004``'s 1/0.
- **Background.** ``include_background`` defaults to True, except where a paper's loss is
  binary on the foreground and the class-0 term would undo a setting or double the
  foreground term: :func:`combo_loss` (class 0 mirrors class 1 with β ↔ 1 − β, so the
  average cancels β), :func:`sensitivity_specificity_loss` (r ↔ 1 − r, same cancellation),
  :func:`boundary_loss` and :func:`hausdorff_dt_loss` (Kervadec et al., Karimi &
  Salcudean: foreground classes). Compound losses' cross-entropy terms are means over
  pixels as above; their Dice terms follow the overlap conventions.
- **Distance maps** (boundary-based losses) are in pixels, computed from the masks with
  ``scipy.ndimage.distance_transform_edt`` without gradient; ignored pixels are neither
  inside nor outside any class; a class with no boundary in an image (absent, or
  everywhere) gets the zero map. The truth's maps are cached per mask (64 MiB LRU) or can
  be passed in precomputed (``dist_maps``).

Private modules: ``_common`` (shared building blocks, for anyone adding a loss),
``_cross_entropy``, ``_tversky``, ``_dice``, ``_region`` (log-cosh Dice,
sensitivity-specificity), ``_compound`` (combo, exponential logarithmic),
``_distance_maps`` and ``_boundary`` (boundary, Hausdorff), ``_lovasz``.
"""

from ._boundary import BoundaryLoss, HausdorffDTLoss, boundary_loss, hausdorff_dt_loss
from ._compound import ComboLoss, ExpLogLoss, combo_loss, exp_log_loss
from ._cross_entropy import (
    BalancedCrossEntropyLoss,
    CrossEntropyLoss,
    FocalLoss,
    balanced_cross_entropy_loss,
    cross_entropy_loss,
    focal_loss,
)
from ._dice import DiceLoss, GeneralizedDiceLoss, dice_loss, generalized_dice_loss
from ._distance_maps import signed_distance_map
from ._lovasz import LovaszSoftmaxLoss, lovasz_softmax_loss
from ._region import (
    LogCoshDiceLoss,
    SensitivitySpecificityLoss,
    log_cosh_dice_loss,
    sensitivity_specificity_loss,
)
from ._tversky import (
    FocalTverskyLoss,
    JaccardLoss,
    TverskyLoss,
    focal_tversky_loss,
    jaccard_loss,
    tversky_loss,
)

__all__ = [
    "BalancedCrossEntropyLoss",
    "BoundaryLoss",
    "ComboLoss",
    "CrossEntropyLoss",
    "DiceLoss",
    "ExpLogLoss",
    "FocalLoss",
    "FocalTverskyLoss",
    "GeneralizedDiceLoss",
    "HausdorffDTLoss",
    "JaccardLoss",
    "LogCoshDiceLoss",
    "LovaszSoftmaxLoss",
    "SensitivitySpecificityLoss",
    "TverskyLoss",
    "balanced_cross_entropy_loss",
    "boundary_loss",
    "combo_loss",
    "cross_entropy_loss",
    "dice_loss",
    "exp_log_loss",
    "focal_loss",
    "focal_tversky_loss",
    "generalized_dice_loss",
    "hausdorff_dt_loss",
    "jaccard_loss",
    "log_cosh_dice_loss",
    "lovasz_softmax_loss",
    "sensitivity_specificity_loss",
    "signed_distance_map",
    "tversky_loss",
]
