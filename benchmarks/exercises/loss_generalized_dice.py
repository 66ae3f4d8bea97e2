"""Exercises 2 and 5 of book/loss_generalized_dice.

- exercise 2: the chapter's ``matlab_forward`` with weights 1/A_k instead of 1/A_k^2, on
  the chapter's three predictions of the first eight training images (all background,
  perfect, triangle grown by 1 px), beside the squared-weight form and the class-mean
  Dice (``dice_loss(..., squared=True)``); no training.
- exercise 5: MATLAB's tiny encoder-decoder (``TinyEncoderDecoder``) trained with
  ``generalized_dice_loss`` after ``set_seed(0)``: ``fit(..., optimizer="sgdm", lr=1e-2,
  batch_size=128, epochs=50, lr_drop_period=25)`` on the training split (100 iterations),
  scored on the test split, with the training loss of the first and last epoch and the
  share of test pixels predicted triangle.

    OMP_NUM_THREADS=1 python benchmarks/exercises/loss_generalized_dice.py

Measured 2026-12-04 (torch 2.14.1+cu130, one thread of a 2-core AMD EPYC, machine shared with
other jobs): exercise 2, all background 0.9120 (1/A^2), 0.3441 (1/A), class-mean Dice
0.5119; grown by 1 px 0.3307, 0.2171, 0.1821; (M + A_bg) / A_bg 2.020 to 2.094, mean
2.049. Exercise 5: training loss 0.8404 after epoch 1, 0.7818 after epoch 50; test
GlobalAccuracy 0.9466, MeanIoU 0.4733, no pixel predicted triangle (5.34 % are). Total
89 s (101 s wall for the process).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from _common import header

from seglearn.data import load_triangles
from seglearn.losses import dice_loss, generalized_dice_loss
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import TinyEncoderDecoder
from seglearn.train import fit, segment, set_seed

EPS = 1e-8  # MATLAB's Epsilon


def matlab_forward(Y, T, power=2):
    """The chapter's ``matlab_forward`` with weights 1 / A_k ** ``power``."""
    W = 1 / T.sum(dim=(2, 3), keepdim=True) ** power  # (N, K, 1, 1)
    intersection = (Y * T).sum(dim=(2, 3), keepdim=True)
    union = (Y**2 + T**2).sum(dim=(2, 3), keepdim=True)
    numer = 2 * (W * intersection).sum(dim=1, keepdim=True) + EPS
    denom = (W * union).sum(dim=1, keepdim=True) + EPS
    return (1 - numer / denom).sum() / Y.shape[0]


def one_hot(masks, num_classes=2):
    return F.one_hot(masks, num_classes).permute(0, 3, 1, 2).double()


def exercise_2() -> None:
    batch = load_triangles("train")[1][:8]
    grown = F.max_pool2d(batch[:, None].double(), 3, stride=1, padding=1)[:, 0].long()
    predictions = {"all background": torch.zeros_like(batch), "perfect": batch,
                   "triangle grown by 1 px": grown}
    print("exercise 2 (first eight training images):")
    for name, pred in predictions.items():
        Y, T = one_hot(pred), one_hot(batch)
        print(f"  {name:>24s}: 1/A^2 {matlab_forward(Y, T).item():.4f}, "
              f"1/A {matlab_forward(Y, T, power=1).item():.4f}, class-mean Dice "
              f"{dice_loss(40.0 * Y, batch, squared=True).item():.4f}")
    area = one_hot(batch).sum(dim=(2, 3))  # (8, 2)
    term = (area.sum(1) + area[:, 0]) / area[:, 0]  # (M + A_bg) / A_bg per image
    print(f"  all background, 1/A: (M + A_bg) / A_bg from {term.min():.3f} to "
          f"{term.max():.3f}, mean {term.mean():.3f}")


def exercise_5() -> None:
    train, test = load_triangles("train"), load_triangles("test")
    set_seed(0)
    net = TinyEncoderDecoder()
    start = time.perf_counter()
    history = fit(net, *train, loss=generalized_dice_loss, optimizer="sgdm", lr=1e-2,
                  batch_size=128, epochs=50, lr_drop_period=25, seed=0, progress=False)
    seconds = time.perf_counter() - start
    preds = segment(net, test[0])
    m = evaluate_semantic_segmentation(preds, test[1], num_classes=2)
    print(f"exercise 5 (seed 0, {seconds:.1f} s): training loss {history.loss[0]:.4f} "
          f"after epoch 1, {history.loss[-1]:.4f} after epoch {len(history.loss)}")
    print(f"  test: GlobalAccuracy {m.global_accuracy:.4f}, MeanIoU {m.mean_iou:.4f}, "
          f"share of pixels predicted triangle {(preds == 1).double().mean():.4f}, "
          f"share of true triangle pixels {(test[1] == 1).double().mean():.4f}")


def main() -> None:
    header("book/loss_generalized_dice, exercises 2 and 5")
    start = time.perf_counter()
    exercise_2()
    exercise_5()
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
