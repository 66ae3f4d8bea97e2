"""The losses compared: the contenders, their recipe, the two data sets and the scores of
*The losses compared*, shared by the chapter and ``benchmarks/compare_losses.py`` (which
trains them all; its runs ship as :func:`seglearn.results.loss_comparison`).

- :data:`FAMILY` / :data:`SETTINGS`: the twenty losses, each at the settings its chapter
  teaches (or, where the book leaves the choice open, its paper's), with the contenders
  practitioners use besides (cross-entropy + Dice 1:1, cross-entropy weighted by 1/√f, the
  soft Jaccard loss);
- :func:`make_losses`: name -> a factory of a fresh loss for one training (class weights
  and frequencies from the training masks at hand);
- :data:`RECIPE`: the budget every loss gets (the learning rate is chosen per loss);
- :func:`load_comparison_data`: the book's triangles, or the same triangles in 64×64
  images (rarer foreground at the same object size);
- :func:`score`: every metric of a trained network on one split;
- :func:`train_once`: one seeded training.

Chapter: book/loss_comparison
"""

from __future__ import annotations

import time

import numpy as np
import torch

from .bfscore import hausdorff_distance
from .calibration import brier_score, expected_calibration_error
from .data import (
    TriangleConfig,
    class_weights,
    count_each_label,
    load_triangles,
    make_triangle_arrays,
)
from .losses import (
    BalancedCrossEntropyLoss,
    ComboLoss,
    CrossEntropyLoss,
    DiceLoss,
    ExpLogLoss,
    FocalLoss,
    FocalTverskyLoss,
    GeneralizedDiceLoss,
    JaccardLoss,
    LogCoshDiceLoss,
    LovaszSoftmaxLoss,
    SensitivitySpecificityLoss,
    TverskyLoss,
    boundary_loss,
    cross_entropy_loss,
    dice_loss,
    hausdorff_dt_loss,
    signed_distance_map,
)
from .metrics import evaluate_semantic_segmentation, precision_recall
from .models import DilatedNet
from .train import fit, set_seed

CLASSES = ["background", "triangle"]
#: The budget every loss gets; the learning rate is chosen per loss on val. Adam, or SGD
#: with momentum 0.9 (``optimizer="sgdm"`` in :func:`train_once`, the loss chapters').
RECIPE = {"optimizer": "adam", "batch_size": 32, "epochs": 20}
#: The learning rates tried per loss and optimizer.
LEARNING_RATES = {"adam": (3e-3, 1e-2, 3e-2, 1e-1), "sgdm": (1e-2, 3e-2, 1e-1, 3e-1, 1.0)}
#: loss -> family, as the chapter files them.
FAMILY = {
    "cross-entropy": "pixel-wise",
    "weighted CE (1/f)": "pixel-wise",
    "weighted CE (1/√f)": "pixel-wise",
    "balanced BCE": "pixel-wise",
    "focal (α = 0.25)": "pixel-wise",
    "focal (no α)": "pixel-wise",
    "sensitivity-specificity": "class-mean error",
    "Dice": "overlap",
    "generalized Dice": "overlap",
    "soft Jaccard": "overlap",
    "Tversky (0.3, 0.7)": "overlap",
    "Tversky (0.7, 0.3)": "overlap",
    "focal Tversky": "overlap",
    "log-cosh Dice": "overlap",
    "combo (α = β = ½)": "compound",
    "CE + Dice (1:1)": "compound",
    "exp-log": "compound",
    "Dice + boundary": "boundary",
    "Dice + Hausdorff": "boundary",
    "Lovász-softmax": "IoU surrogate",
}
#: loss -> its settings, in words.
SETTINGS = {
    "cross-entropy": "no weights",
    "weighted CE (1/f)": "w_c = 1 / f_c",
    "weighted CE (1/√f)": "w_c = 1 / √f_c",
    "balanced BCE": "β = background share of the batch",
    "focal (α = 0.25)": "γ = 2, α = 0.25 on the triangle",
    "focal (no α)": "γ = 2",
    "sensitivity-specificity": "r = 0.05",
    "Dice": "soft Dice per image, both classes",
    "generalized Dice": "w_c = 1 / (Σ t_c)²",
    "soft Jaccard": "1 − soft IoU per image",
    "Tversky (0.3, 0.7)": "α = 0.3 (FP), β = 0.7 (FN)",
    "Tversky (0.7, 0.3)": "α = 0.7 (FP), β = 0.3 (FN)",
    "focal Tversky": "α = 0.3, β = 0.7, γ = 4/3",
    "log-cosh Dice": "log cosh(Dice loss)",
    "combo (α = β = ½)": "½ (½ CE) − ½ Dice",
    "CE + Dice (1:1)": "CE + Dice loss",
    "exp-log": "w = 0.8 / 0.2, γ = 0.3",
    "Dice + boundary": "λ from 0 to 10 over the run",
    "Dice + Hausdorff": "HD term scaled to Dice's size",
    "Lovász-softmax": "per batch, present classes",
}

#: the nearest controls that are not contenders themselves -> their settings, in words:
#: trained by ``benchmarks/compare_losses.py --controls`` with the same protocol.
CONTROLS = {
    "α-weighted CE (α = 0.25)": "focal (α = 0.25) at γ = 0",
}


def make_controls() -> dict:
    """name -> a factory of a fresh loss, for the losses of :data:`CONTROLS`: focal
    (α = 0.25) with γ = 0, i.e. cross-entropy with α_t = 0.25 on the triangle and 0.75 on
    the background, averaged over the pixels (not divided by the weights' sum as
    PyTorch's weighted cross-entropy is), so that focal (α = 0.25) minus it isolates what
    γ = 2 does at the same α.

    Chapter: book/loss_focal
    """
    return {"α-weighted CE (α = 0.25)": lambda: FocalLoss(gamma=0.0, alpha=0.25)}


def sparse_triangles(split: str, num: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The book's triangles (same areas, contrast and noise) in 64×64 images: float32
    ``(num, 1, 64, 64)`` in [0, 1] and int64 ``(num, 64, 64)``; seeds 0 / 1 / 2 for
    ``"train"`` / ``"val"`` / ``"test"``. Raises KeyError: another split."""
    seed = {"train": 0, "val": 1, "test": 2}[split]
    raw, labels = make_triangle_arrays(split, num, seed=seed, config=TriangleConfig(size=64))
    return (torch.from_numpy(raw).float().div(255).unsqueeze(1),
            torch.from_numpy(labels == 255).long())


def load_comparison_data(data: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{"train", "val", "test"} -> (images, masks)`` of one data set: float32 ``(N, 1, S,
    S)`` in [0, 1] and int64 ``(N, S, S)`` (0 background, 1 triangle); 200 / 100 / 100
    images. ``"triangles"``: :func:`seglearn.data.load_triangles` (S = 32, about 5 %
    foreground); ``"sparse"``: the same generator and triangle areas in S = 64 images
    (about 1.3 % foreground).

    Raises:
        ValueError: another ``data``.
    """
    if data not in ("triangles", "sparse"):
        raise ValueError(f"data must be 'triangles' or 'sparse', got {data!r}")
    if data == "triangles":
        return {s: load_triangles(s) for s in ("train", "val", "test")}
    return {"train": sparse_triangles("train", 200), "val": sparse_triangles("val", 100),
            "test": sparse_triangles("test", 100)}


def dice_plus_boundary(updates_per_epoch: int, epochs: int, lam_max: float = 10.0):
    """The boundary chapter's schedule: Dice + λ·boundary, λ growing linearly from 0 in the
    first epoch to ``lam_max`` in the last (a counter of the calls gives the epoch)."""
    calls = [0]

    def loss(logits, masks):
        epoch = calls[0] // updates_per_epoch
        calls[0] += 1
        lam = lam_max * min(1.0, epoch / (epochs - 1))
        return dice_loss(logits, masks) + lam * boundary_loss(logits, masks)

    return loss


def dice_plus_hausdorff(logits, masks):
    """Karimi & Salcudean's weighting: the Hausdorff term scaled, without gradient, to the
    size of the Dice term at every step (the two weigh the same)."""
    dice, hd = dice_loss(logits, masks), hausdorff_dt_loss(logits, masks)
    return dice + (dice.detach() / hd.detach().clamp_min(1e-8)) * hd


def make_losses(masks: torch.Tensor, updates_per_epoch: int) -> dict:
    """name -> a factory that returns a fresh ``loss(logits, masks)`` for one training (the
    boundary schedule counts its calls, so every training needs its own).

    Args:
        masks: the training masks, int64 ``(N, H, W)`` in {0, 1}: class weights and
            frequencies come from them, and their distance maps are cached here.
        updates_per_epoch: mini-batches per epoch (the boundary schedule's clock).
    """
    counts = count_each_label(masks, CLASSES)
    inverse = class_weights(counts, "inverse")
    signed_distance_map(masks, 2)  # fill the cache of the truth's distance maps
    return {
        "cross-entropy": lambda: CrossEntropyLoss(),
        "weighted CE (1/f)": lambda: CrossEntropyLoss(class_weights=inverse),
        "weighted CE (1/√f)": lambda: CrossEntropyLoss(class_weights=inverse.sqrt()),
        "balanced BCE": lambda: BalancedCrossEntropyLoss(),
        "focal (α = 0.25)": lambda: FocalLoss(gamma=2.0, alpha=0.25),
        "focal (no α)": lambda: FocalLoss(gamma=2.0),
        "sensitivity-specificity": lambda: SensitivitySpecificityLoss(r=0.05),
        "Dice": lambda: DiceLoss(),
        "generalized Dice": lambda: GeneralizedDiceLoss(),
        "soft Jaccard": lambda: JaccardLoss(),
        "Tversky (0.3, 0.7)": lambda: TverskyLoss(alpha=0.3, beta=0.7),
        "Tversky (0.7, 0.3)": lambda: TverskyLoss(alpha=0.7, beta=0.3),
        "focal Tversky": lambda: FocalTverskyLoss(alpha=0.3, beta=0.7, gamma=4 / 3),
        "log-cosh Dice": lambda: LogCoshDiceLoss(),
        "combo (α = β = ½)": lambda: ComboLoss(alpha=0.5, beta=0.5),
        "CE + Dice (1:1)": lambda: lambda l, m: cross_entropy_loss(l, m) + dice_loss(l, m),
        "exp-log": lambda: ExpLogLoss(weight_dice=0.8, weight_cross=0.2, gamma_dice=0.3,
                                      gamma_cross=0.3, class_frequencies=counts.pixel_count),
        "Dice + boundary": lambda: dice_plus_boundary(updates_per_epoch, RECIPE["epochs"]),
        "Dice + Hausdorff": lambda: dice_plus_hausdorff,
        "Lovász-softmax": lambda: LovaszSoftmaxLoss(),
    }


@torch.no_grad()
def score(net: torch.nn.Module, images: torch.Tensor, masks: torch.Tensor) -> dict[str, float]:
    """Every metric of one trained network on one split, rounded to 5 decimals.

    MATLAB's five (:func:`seglearn.metrics.evaluate_semantic_segmentation`), the triangle's
    ``precision`` and ``recall``, ``HD95`` (px, mean over the images where truth and
    prediction both have a triangle; NaN if none), ``missed`` (share of the images whose
    triangle has no true-positive pixel), ``ECE`` (15 bins) and ``Brier``.

    Args:
        net: a two-class network; images: float32 ``(N, 1, H, W)``; masks: int64
            ``(N, H, W)`` in {0, 1}, every image with a triangle.
    """
    net.eval()
    probs = net(images).softmax(dim=1)  # (N, 2, H, W)
    preds = probs.argmax(dim=1)
    out = evaluate_semantic_segmentation(preds, masks, num_classes=2).as_dict()
    out["precision"], out["recall"] = precision_recall(preds, masks, num_classes=2, cls=1)
    hd = [hausdorff_distance(p == 1, t == 1, percentile=95)
          for p, t in zip(preds, masks, strict=True)]
    out["HD95"] = float(np.nanmean(hd)) if not np.isnan(hd).all() else float("nan")
    tp = ((preds == 1) & (masks == 1)).flatten(1).sum(1)
    present = (masks == 1).flatten(1).any(1)
    out["missed"] = float((present & (tp == 0)).sum() / present.sum())
    out["ECE"] = expected_calibration_error(probs, masks)
    out["Brier"] = brier_score(probs, masks)
    return {k: round(float(v), 5) for k, v in out.items()}


def train_once(make_loss, data: dict, *, lr: float, seed: int, optimizer: str = "adam",
               device: str | torch.device | None = None) -> tuple[torch.nn.Module, float]:
    """One training of ``DilatedNet(channels=8)`` (channels-last) at :data:`RECIPE` with the
    loss ``make_loss()`` on ``data["train"]``; returns the network and its training time in
    seconds. ``optimizer``: ``"adam"`` or ``"sgdm"`` (momentum 0.9)."""
    set_seed(seed)
    net = DilatedNet(channels=8).to(memory_format=torch.channels_last)
    start = time.perf_counter()
    fit(net, *data["train"], loss=make_loss(), lr=lr, seed=seed, progress=False, device=device,
        **{**RECIPE, "optimizer": optimizer})
    return net, time.perf_counter() - start


