"""The multi-class comparison: the contenders, the network, the recipe and the scores of the
experiment in *Multi-class segmentation*, shared by the chapter and
``benchmarks/multiclass_losses.py`` (which trains them all; its runs ship as
:func:`seglearn.results.multiclass_losses`).

- :func:`make_losses`: name -> a factory of a fresh loss (class weights from the training
  masks at hand): unweighted cross-entropy (the control of the weighting), cross-entropy
  weighted by the square root of MATLAB's median-frequency weights, the soft Dice loss
  without background, the generalized Dice loss, and weighted cross-entropy + Dice;
- :func:`unet` and :data:`RECIPE`: the network (a U-Net of depth 3, 8 base channels, whose
  receptive field covers the largest objects) and the budget every loss gets; the learning
  rate is chosen per loss on val from :data:`LEARNING_RATES`;
- :func:`score`: MATLAB's five metrics, per-class IoU and Accuracy, and the confusion
  counts of a trained network on one split;
- :func:`train_once`: one seeded training;
- :func:`chosen_runs`: the protocol's result from the stored runs (rate chosen on val).

Chapter: book/multiclass
"""

from __future__ import annotations

import time

import torch

from .data import class_weights, count_each_label
from .losses import CrossEntropyLoss, DiceLoss, GeneralizedDiceLoss
from .metrics import evaluate_semantic_segmentation
from .models import UNet
from .protocol import ResultsTable, Run
from .shapes import SHAPE_CLASSES
from .train import fit, segment, set_seed

__all__ = ["LEARNING_RATES", "LOSSES", "NAMES", "RECIPE", "chosen_runs", "make_losses", "score",
           "train_once", "unet"]

NAMES = list(SHAPE_CLASSES)  #: background, disk, square, triangle
RECIPE = {"epochs": 12, "batch_size": 16, "optimizer": "adam", "lr_drop_period": 9,
          "augment": True}
"""12 epochs of the 2000 training scenes in batches of 16 (1500 updates), Adam, the learning
rate divided by 10 after 9 epochs, random flips and right-angle rotations."""
LEARNING_RATES = (3e-4, 1e-3, 3e-3, 1e-2)
LOSSES = ("cross-entropy", "weighted CE", "Dice", "generalized Dice", "weighted CE + Dice")
"""The contenders, in the order of :func:`make_losses`."""


class _Sum(torch.nn.Module):
    """A compound loss: the sum of its terms."""

    def __init__(self, *terms: torch.nn.Module) -> None:
        super().__init__()
        self.terms = torch.nn.ModuleList(terms)

    def forward(self, logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        return sum(term(logits, masks) for term in self.terms)

    def __repr__(self) -> str:
        return " + ".join(repr(term) for term in self.terms)


def make_losses(masks: torch.Tensor) -> dict:
    """name -> a factory that returns a fresh ``loss(logits, masks)`` for one training.

    Args:
        masks: the training masks, int64 ``(N, H, W)`` with labels in [0, 4): the class
            weights (square root of MATLAB's median-frequency weights,
            :func:`seglearn.data.class_weights`) come from them.

    Raises:
        ValueError: what :func:`seglearn.data.count_each_label` raises (bad labels).
    """
    w = class_weights(count_each_label(masks, NAMES), "median").sqrt()
    return {
        "cross-entropy": lambda: CrossEntropyLoss(),
        "weighted CE": lambda: CrossEntropyLoss(class_weights=w),
        "Dice": lambda: DiceLoss(include_background=False),
        "generalized Dice": lambda: GeneralizedDiceLoss(),
        "weighted CE + Dice": lambda: _Sum(CrossEntropyLoss(class_weights=w),
                                           DiceLoss(include_background=False)),
    }


def unet() -> UNet:
    """The network of the experiment: ``UNet(1, 4, base_channels=8, depth=3)``, 121,060
    weights."""
    return UNet(1, len(NAMES), base_channels=8, depth=3)


@torch.no_grad()
def score(net: torch.nn.Module, images: torch.Tensor, masks: torch.Tensor
          ) -> tuple[dict[str, float], torch.Tensor]:
    """Every metric of one trained network on one split, rounded to 5 decimals.

    Args:
        net: a four-class network; images: float32 ``(N, 1, H, W)`` in [0, 1]; masks:
            int64 ``(N, H, W)`` in [0, 4).

    Returns:
        ``(metrics, predictions)``: MATLAB's five data-set metrics, ``"IoU <class>"`` and
        ``"Accuracy <class>"`` per class (NaN for a class absent from the truth and the
        prediction), and ``"confusion <true> > <predicted>"`` pixel counts; the predicted
        label maps, int64 ``(N, H, W)``.
    """
    preds = segment(net, images)
    res = evaluate_semantic_segmentation(preds, masks, num_classes=len(NAMES),
                                         class_names=NAMES)
    out = dict(res.as_dict())
    for c, name in enumerate(NAMES):
        out[f"IoU {name}"] = res.class_metrics["IoU"][c]
        out[f"Accuracy {name}"] = res.class_metrics["Accuracy"][c]
    for t, true in enumerate(NAMES):
        for p, pred in enumerate(NAMES):
            out[f"confusion {true} > {pred}"] = res.confusion_matrix[t, p]
    return {k: round(float(v), 5) for k, v in out.items()}, preds


def train_once(make_loss, train: tuple[torch.Tensor, torch.Tensor], *, lr: float, seed: int,
               device: str | torch.device | None = None, progress: bool = False
               ) -> tuple[torch.nn.Module, float]:
    """One training of :func:`unet` at :data:`RECIPE` with the loss ``make_loss()`` on
    ``train`` (images, masks); returns the network and its training time in seconds."""
    set_seed(seed)
    net = unet()
    start = time.perf_counter()
    fit(net, *train, loss=make_loss(), lr=lr, seed=seed, progress=progress, device=device,
        **RECIPE)
    return net, time.perf_counter() - start


def chosen_runs(table: ResultsTable, *, choose_seeds: tuple[int, ...] = (0, 1)
                ) -> tuple[dict[str, float], ResultsTable]:
    """The protocol's result: per loss of :data:`LOSSES`, the rate of :data:`LEARNING_RATES`
    with the best mean **val** MeanIoU over ``choose_seeds``, and that configuration's
    **test** runs, renamed to the loss.

    Args:
        table: runs named ``"<loss> lr=<rate>"`` on ``"val"`` and ``"test"``, e.g.
            :func:`seglearn.results.multiclass_losses`.

    Returns:
        ``(rates, test_runs)``: loss -> chosen rate; a ResultsTable of the chosen
        configurations' test runs, one configuration per loss.

    Raises:
        KeyError: a loss, rate or choice seed missing from ``table``.

    Chapters: book/multiclass (which writes the choice out), book/loss_comparison
    """
    def val_mean(name: str, lr: float) -> float:
        scores = table.values(f"{name} lr={lr:g}", "val")
        return sum(scores[s] for s in choose_seeds) / len(choose_seeds)

    rates = {n: max(LEARNING_RATES, key=lambda lr, n=n: val_mean(n, lr)) for n in LOSSES}
    runs = [Run(n, r.seed, r.split, r.metrics, r.seconds) for n in LOSSES for r in table.runs
            if r.configuration == f"{n} lr={rates[n]:g}" and r.split == "test"]
    return rates, ResultsTable(runs)
