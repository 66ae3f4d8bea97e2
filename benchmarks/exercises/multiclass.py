"""The exercise answers of book/multiclass that the chapter does not print (no training).

2. Both class weightings of the 2000 training scenes and of their 8000 32×32 tiles: the
   triangle/disk and background/disk ratios, and how many scenes and tiles hold a triangle.
3. The absent square's Dice term ``1 - s/(Σp + s)`` for logits ``m · one-hot`` on the
   chapter's 16×16 scene, ``s = 1e-8``, at margins m = 6 to 26.
4. The per-class Tversky example with α = 1 − β for the triangle, β from 0.5 to 0.9: the
   triangle's term ``1 - TI`` for 6 missed pixels against 6 over-painted ones, and its ratio.
5. The stored runs (``seglearn.results.multiclass_losses``): the test confusion counts of
   Dice at 3e-3, seed 2, and the lowest background IoU of every loss's trainings on val.

Run from the repository root:
``OMP_NUM_THREADS=1 python benchmarks/exercises/multiclass.py``

Measured 2026-12-04 (torch 2.14.1+cu130, one thread of a 2-core AMD EPYC, machine shared
with other jobs):
2. scenes: 838 of 2000 hold a triangle; triangle/disk inverse 3.951, median 2.521;
   background/disk median 0.107. Tiles: 1639 of 8000; inverse 3.951, median 2.035;
   background/disk 0.176.
3. Σp = 0.63 at m = 6; the term is 1.000 (m = 6), 0.997 (18), 0.877 (22), 0.491 (24),
   0.116 (26).
4. ratio 1.64 (β = 0.5), 2.14 (0.6), 2.92 (0.7), 4.37 (0.8), 8.25 (0.9).
5. Dice 3e-3 seed 2, test: background row 0 / 307 / 582 / 354,712 (355,601 pixels); disk
   21,909 of 27,346 right. Lowest background IoU on val: Dice 0.000 (3e-3 seed 2) and
   0.021 (3e-4 seed 0); the others 0.971 (generalized Dice 3e-4 seed 1) and above.
Total run time 23 s (47 s with start-up).
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from _common import header

from seglearn.data import class_weights, count_each_label
from seglearn.multiclass import LOSSES
from seglearn.results import multiclass_losses
from seglearn.shapes import SHAPE_CLASSES, load_shapes

NAMES = list(SHAPE_CLASSES)  # background, disk, square, triangle
K = len(NAMES)


def weights_of(masks: torch.Tensor) -> None:
    counts = count_each_label(masks, NAMES)
    inv, med = class_weights(counts, "inverse"), class_weights(counts, "median")
    holding = int((masks == 3).flatten(1).any(1).sum())
    print(f"  {holding} of {masks.shape[0]} hold a triangle; triangle/disk: inverse "
          f"{inv[3] / inv[1]:.3f}, median {med[3] / med[1]:.3f}; background/disk: "
          f"median {med[0] / med[1]:.3f}")


def tversky_terms(logits, truth, alpha, beta, smooth=1e-8):
    """1 - TI_c per class (N, K), with per-class alpha and beta (K,)."""
    p = logits.softmax(1)
    t = F.one_hot(truth, K).permute(0, 3, 1, 2).float()
    tp = (p * t).sum((2, 3))
    fp, fn = (p * (1 - t)).sum((2, 3)), ((1 - p) * t).sum((2, 3))
    return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


def main() -> None:
    header("book/multiclass exercises 2-5")
    start = time.perf_counter()

    print("2. class weights of the scenes and of their 32x32 tiles")
    masks = load_shapes("train")[1]
    tiles = masks.reshape(-1, 2, 32, 2, 32).permute(0, 1, 3, 2, 4).reshape(-1, 32, 32)
    print(" scenes:")
    weights_of(masks)
    print(" tiles:")
    weights_of(tiles)

    print("3. the absent square's Dice term, 256 pixels, s = 1e-8")
    s = 1e-8
    for m in (6, 18, 22, 24, 26):
        share = 1 / (math.exp(m) + K - 1)  # softmax share of a class at logit 0
        print(f"  m = {m}: sum p = {256 * share:.3g}, 1 - s/(sum p + s) = "
              f"{1 - s / (256 * share + s):.3f}")

    print("4. per-class Tversky, triangle alpha = 1 - beta: miss 6 px / paint 6 px")
    truth = torch.zeros(1, 16, 16, dtype=torch.long)
    truth[0, 2:12, 2:12] = 1
    truth[0, 13:15, 10:16] = 3
    half_tri, over_tri = truth.clone(), truth.clone()
    half_tri[0, 13:15, 13:16] = 0  # 6 triangle pixels missed
    over_tri[0, 12, 10:16] = 3  # 6 background pixels painted triangle
    for beta in (0.5, 0.6, 0.7, 0.8, 0.9):
        a = torch.tensor([0.5, 0.5, 0.5, 1 - beta])
        b = torch.tensor([0.5, 0.5, 0.5, beta])
        miss, over = (float(tversky_terms(6.0 * F.one_hot(p, K).permute(0, 3, 1, 2).float(),
                                          truth, a, b)[0, 3]) for p in (half_tri, over_tri))
        print(f"  beta {beta}: 1-TI triangle {miss:.4f} against {over:.4f}, "
              f"ratio {miss / over:.2f}")

    print("5. the stored runs")
    stored = multiclass_losses()
    row = {p: stored.values("Dice lr=0.003", "test", f"confusion background > {p}")[2]
           for p in NAMES}
    disk = {p: stored.values("Dice lr=0.003", "test", f"confusion disk > {p}")[2]
            for p in NAMES}
    print(f"  Dice 3e-3 seed 2, test: background row {row}; disk > disk "
          f"{disk['disk']:.0f} of {sum(disk.values()):.0f}")
    for name in LOSSES:
        runs = sorted((r.metrics["IoU background"], r.configuration, r.seed)
                      for r in stored.runs if r.split == "val"
                      and r.configuration.rsplit(" lr=", 1)[0] == name)
        low = ", ".join(f"{c.rsplit('=', 1)[1]} seed {sd}: {v:.3f}" for v, c, sd in runs[:2])
        print(f"  {name}: {len(runs)} trainings, lowest background IoU on val {low}")
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
