"""Exercises 2 and 5 of book/loss_tversky: the chapter's sweep recipe (``DilatedNet`` after
``set_seed(0)``, ``MATLAB_RECIPE`` with 30 epochs, training split, scored on the test
split).

- exercise 2: ``tversky_loss`` at (alpha, beta) = (0.1, 0.9) and (0.9, 0.1): triangle
  precision, recall and MeanIoU.
- exercise 5: (0.7, 0.3) with ``per_image=False`` and with the default ``per_image=True``;
  the test images split into thirds by triangle area (``torch.tensor_split`` of the
  images sorted by area: 34, 33, 33), and the mean per-image triangle IoU of each third,
  with the data-set MeanIoU.

    OMP_NUM_THREADS=1 python benchmarks/exercises/loss_tversky.py

Measured 2026-12-04 (torch 2.14.1+cu130, one thread of a 2-core AMD EPYC, machine shared with
other jobs): exercise 2, (0.1, 0.9) precision 0.7891, recall 0.9660, MeanIoU 0.8756;
(0.9, 0.1) precision 0.9668, recall 0.7551, MeanIoU 0.8605. Exercise 5, mean triangle
IoU of the thirds 19-42 / 42-68 / 69-89 px: per_image=False 0.7651 / 0.8515 / 0.8371,
MeanIoU 0.9098; per_image=True 0.7773 / 0.8474 / 0.8331, MeanIoU 0.9094 (the chapter's
sweep run). Total 138 s.
"""

from __future__ import annotations

import time

import torch
from _common import header

from seglearn.data import load_triangles
from seglearn.losses import tversky_loss
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.train import MATLAB_RECIPE, fit, segment, set_seed

RECIPE = {**MATLAB_RECIPE, "epochs": 30}


def train(loss, images, masks) -> torch.nn.Module:
    set_seed(0)
    net = DilatedNet()
    fit(net, images, masks, loss=loss, seed=0, progress=False, **RECIPE)
    return net


def main() -> None:
    header("book/loss_tversky, exercises 2 and 5: MATLAB's recipe at 30 epochs, seed 0")
    start = time.perf_counter()
    images, masks = load_triangles("train")
    test_images, test_masks = load_triangles("test")

    for a, b in [(0.1, 0.9), (0.9, 0.1)]:
        t0 = time.perf_counter()
        net = train(lambda l, m, a=a, b=b: tversky_loss(l, m, alpha=a, beta=b), images, masks)
        preds = segment(net, test_images)
        m = evaluate_semantic_segmentation(preds, test_masks, num_classes=2)
        cm = m.confusion_matrix.double()
        print(f"exercise 2, (alpha, beta) = ({a}, {b}): precision "
              f"{cm[1, 1] / cm[:, 1].sum():.4f}, recall {cm[1, 1] / cm[1].sum():.4f}, "
              f"MeanIoU {m.mean_iou:.4f} ({time.perf_counter() - t0:.1f} s)", flush=True)

    area = (test_masks == 1).sum(dim=(1, 2))  # (N,) triangle pixels per test image
    thirds = torch.tensor_split(area.argsort(stable=True), 3)
    for per_image in (False, True):
        t0 = time.perf_counter()
        net = train(lambda l, m, p=per_image: tversky_loss(l, m, alpha=0.7, beta=0.3,
                                                           per_image=p), images, masks)
        preds = segment(net, test_images)
        m = evaluate_semantic_segmentation(preds, test_masks, num_classes=2)
        inter = ((preds == 1) & (test_masks == 1)).sum(dim=(1, 2)).double()
        union = ((preds == 1) | (test_masks == 1)).sum(dim=(1, 2)).double()
        iou = inter / union  # (N,) triangle IoU per image (every test image has one)
        cells = ", ".join(f"{area[i].min()}-{area[i].max()} px: {iou[i].mean():.4f}"
                          for i in thirds)
        print(f"exercise 5, (0.7, 0.3), per_image={per_image}: MeanIoU {m.mean_iou:.4f}; "
              f"mean triangle IoU by thirds of area: {cells} "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
