"""The measured answers to exercises 2, 3 and 4 of *Class imbalance*.

- exercise 2: inverse- and median-frequency weights of the training masks and of their
  800 16x16 tiles (``count_each_label``, ``class_weights``), and their ratios.
- exercise 3: the chapter's four-trainings recipe (MATLAB's recipe shortened to 40
  epochs: momentum SGD 0.9, learning rate 1e-2, batches of 64; DilatedNet built after
  ``set_seed(seed)``), plain cross-entropy, its pixels labelled triangle where the
  softmax score exceeds 0.05 instead of taking the argmax, against the network trained
  with inverse-frequency weights (argmax). Test MeanIoU, MeanBFScore and the triangle's
  precision and recall per seed (0-2), their 95 % t intervals and the paired differences
  against the inverse-weighted network.
- exercise 4: the foreground share of 200 training images drawn with probability
  proportional to their triangle pixels (``torch.multinomial``, with replacement): its
  exact expectation, and the share of draws with ``torch.manual_seed(0..9)``.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TQDM_DISABLE=1 MPLBACKEND=Agg \
        python benchmarks/exercises/class_imbalance.py [--seeds 0 1 2]

Measured 2026-12-04 (torch 2.14.1, one thread of a 2-core AMD EPYC, machine shared with
other jobs):

- exercise 2: triangle ImagePixelCount 204,800 (images) and 114,432 (tiles); ratio of
  the weights inverse 18.69 both, median 18.69 (images) and 10.44 (tiles);
- exercise 3, test, seeds 0-2, mean [95 % t interval]: unweighted, score > 0.05:
  MeanIoU 0.8256 [0.8146, 0.8367], MeanBFScore 0.6139 [0.5399, 0.6878], precision
  0.6824 [0.6635, 0.7012], recall 0.9902 [0.9865, 0.9939]; inverse 1/f: MeanIoU 0.8896
  [0.8645, 0.9146], MeanBFScore 0.7465 [0.6712, 0.8217], precision 0.8031 [0.7586,
  0.8475], recall 0.9852 [0.9812, 0.9893]; paired (thresholded - inverse) MeanIoU
  -0.0639 [-0.0869, -0.0409], precision -0.1207 [-0.1629, -0.0785], recall +0.0049
  [+0.0040, +0.0058]. The unweighted argmax: precision 0.9352 / 0.9372 / 0.9199, recall
  0.8786 / 0.9054 / 0.8734. Seed 0 reproduces the chapter's table.
- exercise 4: training-set share 0.0508, largest image 0.0889, expected share of the
  drawn images 0.0587; ten draws 0.0575 to 0.0611.

12-14 s per training, 78 s in all.
"""

from __future__ import annotations

import argparse
import time

import torch
from _common import header, over_seeds, report, train_and_score

from seglearn.data import class_weights, count_each_label, load_triangles
from seglearn.losses import cross_entropy_loss
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.train import MATLAB_RECIPE, segment

train, test = load_triangles("train"), load_triangles("test")
BUDGET = {**MATLAB_RECIPE, "epochs": 40}
w_inverse = class_weights(count_each_label(train[1], ["background", "triangle"]), "inverse")


def inverse_loss(logits, masks):
    return cross_entropy_loss(logits, masks, class_weights=w_inverse.to(logits.device))


def scored(preds) -> dict[str, float]:
    m = evaluate_semantic_segmentation(preds, test[1], num_classes=2)
    cm = m.confusion_matrix.double()
    return {**m.as_dict(), "precision 1": float(cm[1, 1] / cm[:, 1].sum()),
            "recall 1": float(cm[1, 1] / cm[1].sum())}


def unweighted_thresholded(seed: int) -> dict[str, float]:
    built = []
    r = train_and_score(lambda: built.append(DilatedNet()) or built[-1], train, test,
                        seed=seed, loss=cross_entropy_loss, **BUDGET)
    _, scores = segment(built[0], test[0], return_scores=True)
    return {**scored((scores[:, 1] > 0.05).long()), "seconds": r["seconds"],
            "argmax MeanIoU": r["MeanIoU"], "argmax precision 1": r["precision 1"],
            "argmax recall 1": r["recall 1"]}


def inverse(seed: int) -> dict[str, float]:
    return train_and_score(DilatedNet, train, test, seed=seed, loss=inverse_loss, **BUDGET)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    seeds = parser.parse_args().seeds
    t0 = time.perf_counter()
    header("class_imbalance exercises 2, 3 and 4")
    tiles = train[1].reshape(200, 2, 16, 2, 16).permute(0, 1, 3, 2, 4).reshape(800, 16, 16)
    for name, m in (("images", train[1]), ("16x16 tiles", tiles)):
        counts = count_each_label(m, ["background", "triangle"])
        inv, med = class_weights(counts, "inverse"), class_weights(counts, "median")
        print(f"exercise 2, {name}: triangle ImagePixelCount {counts.image_pixel_count[1]}, "
              f"inverse {inv.tolist()} (ratio {inv[1] / inv[0]:.2f}), "
              f"median {med.tolist()} (ratio {med[1] / med[0]:.2f})")
    area = train[1].sum((1, 2)).float()  # (N,) triangle pixels per image
    pixels = train[1][0].numel()
    print(f"exercise 4: share of the training set {area.sum() / (len(area) * pixels):.4f}, "
          f"largest image {area.max() / pixels:.4f}, expected share of a drawn image "
          f"{(area ** 2).sum() / (area.sum() * pixels):.4f}")
    draws = []
    for s in range(10):
        torch.manual_seed(s)
        idx = torch.multinomial(area, 200, replacement=True)
        draws.append(float(area[idx].sum() / (200 * pixels)))
    print("  200 drawn images, seeds 0-9:", " ".join(f"{d:.4f}" for d in draws))
    metrics = ("MeanIoU", "MeanBFScore", "precision 1", "recall 1")
    res = over_seeds({"unweighted, score > 0.05": unweighted_thresholded,
                      "inverse 1/f": inverse}, seeds, show=metrics)
    for seed, r in res["unweighted, score > 0.05"].items():
        print(f"unweighted argmax seed {seed}: MeanIoU {r['argmax MeanIoU']:.4f}, precision "
              f"{r['argmax precision 1']:.4f}, recall {r['argmax recall 1']:.4f}")
    if len(seeds) > 1:
        report(res, metrics=metrics, against="inverse 1/f")
    print(f"total {time.perf_counter() - t0:.0f} s")
