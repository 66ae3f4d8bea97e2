"""Exercises 3 and 5 of book/loss_focal, all runs with MATLAB's recipe after
``set_seed(0)`` (the chapter's ``DilatedNet``, training split, scored on the test split).

- exercise 3: focal loss, gamma = 2, with Lin et al.'s alpha = 0.25 (alpha_t = 0.75 on
  background, 0.25 on the triangle), with no alpha, and with alpha proportional to 1/f_c
  (mean 1 over the training pixels): triangle precision, recall, MeanIoU.
- exercise 5: the share of test pixels whose triangle score lies between 0.05 and 0.95,
  for the chapter's focal network (gamma = 2, alpha proportional to 1/sqrt(f_c), mean 1),
  for inverse-frequency weighted cross-entropy and for unweighted cross-entropy (and,
  printed with exercise 3, for its three focal networks).

    OMP_NUM_THREADS=1 python benchmarks/exercises/loss_focal.py

Measured 2026-12-04 (torch 2.14.1+cu130, one thread of a 2-core AMD EPYC, machine shared with
other jobs), triangle precision / recall / MeanIoU / share of test pixels with a triangle
score in [0.05, 0.95]: focal alpha = 0.25 0.9465 / 0.7279 / 0.8408 / 76.4 %; focal, no
alpha 0.9260 / 0.8952 / 0.9128 / 70.2 %; focal, alpha 1/f 0.8310 / 0.9823 / 0.9032 /
85.2 %; focal, alpha 1/sqrt(f) (the chapter's network) 0.8937 / 0.9590 / 0.9260 /
74.9 %; weighted CE (1/f) 0.8794 / 0.9824 / 0.9286 / 3.9 %; cross-entropy 0.9584 /
0.9230 / 0.9404 / 2.8 %. Total 456 s.
"""

from __future__ import annotations

import time

import torch
from _common import header

from seglearn.data import class_weights, count_each_label, load_triangles
from seglearn.losses import cross_entropy_loss, focal_loss
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.train import MATLAB_RECIPE, fit, segment, set_seed


def run(name, loss, train, test) -> None:
    """Train ``DilatedNet`` with ``loss`` (seed 0, MATLAB's recipe) and print its test
    metrics and the share of test pixels with a triangle score in [0.05, 0.95]."""
    set_seed(0)
    net = DilatedNet()
    start = time.perf_counter()
    fit(net, *train, loss=loss, seed=0, progress=False, **MATLAB_RECIPE)
    seconds = time.perf_counter() - start
    preds, scores = segment(net, test[0], return_scores=True)
    m = evaluate_semantic_segmentation(preds, test[1], num_classes=2)
    cm = m.confusion_matrix.double()
    tri = scores[:, 1]
    middle = ((tri >= 0.05) & (tri <= 0.95)).double().mean().item()
    print(f"{name:>30s}: precision {cm[1, 1] / cm[:, 1].sum():.4f}, recall "
          f"{cm[1, 1] / cm[1].sum():.4f}, MeanIoU {m.mean_iou:.4f}; triangle score in "
          f"[0.05, 0.95]: {100 * middle:.1f} % of the test pixels ({seconds:.1f} s)",
          flush=True)


def main() -> None:
    header("book/loss_focal, exercises 3 and 5: MATLAB's recipe, seed 0")
    start = time.perf_counter()
    train, test = load_triangles("train"), load_triangles("test")
    counts = count_each_label(train[1], ["background", "triangle"])
    freq = torch.tensor(counts.frequency)
    inverse, root_inverse = 1 / freq, freq.rsqrt()
    alpha_inverse = (inverse / (inverse * freq).sum()).float()  # mean 1 over the pixels
    alpha_root = (root_inverse / (root_inverse * freq).sum()).float()  # the chapter's ALPHA
    weights = class_weights(counts, "inverse")
    print(f"alpha 1/f (mean 1): {[round(a, 4) for a in alpha_inverse.tolist()]}; "
          f"alpha 1/sqrt(f) (mean 1): {[round(a, 4) for a in alpha_root.tolist()]}")
    runs = {
        "focal, alpha = 0.25": lambda l, m: focal_loss(l, m, gamma=2.0, alpha=0.25),
        "focal, no alpha": lambda l, m: focal_loss(l, m, gamma=2.0),
        "focal, alpha 1/f (mean 1)": lambda l, m: focal_loss(l, m, gamma=2.0,
                                                             alpha=alpha_inverse),
        "focal, alpha 1/sqrt(f)": lambda l, m: focal_loss(l, m, gamma=2.0, alpha=alpha_root),
        "weighted CE (1/f)": lambda l, m: cross_entropy_loss(l, m, class_weights=weights),
        "cross-entropy": cross_entropy_loss,
    }
    for name, loss in runs.items():
        run(name, loss, train, test)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
