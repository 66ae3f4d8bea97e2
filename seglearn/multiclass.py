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
- :data:`NETWORKS`: the architectures that the chapters on dilation, receptive fields,
  encoder-decoders and ASPP compare on the same scenes at the same recipe (weighted
  cross-entropy; ``benchmarks/multiclass_losses.py --networks``);
- :func:`score`: MATLAB's five metrics, per-class IoU and Accuracy, and the confusion
  counts of a trained network on one split;
- :func:`train_once`: one seeded training;
- :func:`chosen_runs`: the protocol's result from the stored runs (rate chosen on val).

Chapters: book/multiclass, book/dilated_convolution, book/receptive_fields,
book/encoder_decoder, book/aspp_deeplab
"""

from __future__ import annotations

import time

import torch

from .data import class_weights, count_each_label
from .deeplab import ASPP, DeepLabV3
from .losses import CrossEntropyLoss, DiceLoss, GeneralizedDiceLoss
from .metrics import evaluate_semantic_segmentation
from .models import DilatedNet, FCNSkip, TinyEncoderDecoder, UNet
from .protocol import ResultsTable
from .results import chosen_on_val
from .shapes import SHAPE_CLASSES
from .train import fit, segment, set_seed

__all__ = ["LEARNING_RATES", "LOSSES", "NAMES", "NETWORKS", "RECIPE", "chosen_runs",
           "make_losses", "score", "train_once", "unet"]

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


def _deeplab(output_stride: int, image_pooling: bool = True) -> DeepLabV3:
    net = DeepLabV3(1, len(NAMES), output_stride=output_stride, width=8)
    if not image_pooling:
        net.aspp = ASPP(64, 32, net.aspp_rates, image_pooling=False)
    return net


NETWORKS = {
    "U-Net": unet,
    "encoder-decoder": lambda: TinyEncoderDecoder(1, len(NAMES), channels=16),
    "FCN skip": lambda: FCNSkip(1, len(NAMES), channels=16),
    "dilated RF 11": lambda: DilatedNet(1, len(NAMES), 16, (1, 1, 1, 1, 1)),
    "dilated RF 63": lambda: DilatedNet(1, len(NAMES), 16, (1, 2, 4, 8, 16)),
    "dilated (2, 2, 4, 8, 16)": lambda: DilatedNet(1, len(NAMES), 16, (2, 2, 4, 8, 16)),
    "dilated (4, 4, 4)": lambda: DilatedNet(1, len(NAMES), 16, (4, 4, 4)),
    "dilated (1, 3, 8)": lambda: DilatedNet(1, len(NAMES), 16, (1, 3, 8)),
    "DeepLabv3 OS 16": lambda: _deeplab(16),
    "DeepLabv3 OS 8": lambda: _deeplab(8),
    "DeepLabv3 OS 4": lambda: _deeplab(4),
    "DeepLabv3 OS 8, no image pooling": lambda: _deeplab(8, image_pooling=False),
}
"""name -> a factory of a fresh four-class network. The U-Net is :func:`unet`; the
encoder-decoder is MATLAB's tiny one (one pooling, no skip) at 16 channels; FCN has one
skip; the dilated networks keep full resolution: five layers of 16 channels whose rates
give receptive fields of 11 and 63 px (the largest objects are 32 px across in
sqrt(area)), the same five layers gridded by a first rate of 2, (2, 2, 4, 8, 16) (field
65 px, every offset even), and three layers of 16 channels with one 25 px field, gridded
(4, 4, 4) or not (1, 3, 8, which meets the HDC rule); DeepLabv3 of stem width 8 at output
stride 16, 8 and 4 (features 4×4, 8×8, 16×16 on the 64×64 scenes), and at OS 8 without
ASPP's image-pooling branch."""


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
               device: str | torch.device | None = None, progress: bool = False,
               network: str = "U-Net") -> tuple[torch.nn.Module, float]:
    """One training of ``NETWORKS[network]`` (default :func:`unet`) at :data:`RECIPE` with
    the loss ``make_loss()`` on ``train`` (images, masks); returns the network and its
    training time in seconds.

    Raises:
        KeyError: ``network`` not in :data:`NETWORKS`.
    """
    if network not in NETWORKS:
        raise KeyError(f"unknown network {network!r}; choose from {sorted(NETWORKS)}")
    set_seed(seed)
    net = NETWORKS[network]()
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
    return chosen_on_val(table, LOSSES, LEARNING_RATES, choose_seeds)
