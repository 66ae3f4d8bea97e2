"""The measured answer to exercise 3 of *Receptive fields*: ``DilatedNet(dilations=(1, 2,
5))`` (field 17, no holes) in the chapter's experiment, next to (1, 2, 4) and (2, 4, 8).

The chapter's setting: its overlapping-brightness triangles (``TriangleConfig(area=(20,
400), background=(0.1, 0.6), contrast=(0.15, 0.35))``, ``make_triangle_arrays`` with seed
1, 200 training and 300 test images), inverse-frequency weighted cross-entropy, Adam 3e-3,
batches of 32, 20 epochs; the network built after ``set_seed(seed)``. Per seed (0-2) and
pattern it prints test MeanIoU, MeanBFScore and the triangle's recall at depths 1-2 and at
depths >= 4 (chessboard distance to the background, as the chapter defines it), then the
mean ± 95 % t interval of each and the paired differences against (1, 2, 4).

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TQDM_DISABLE=1 MPLBACKEND=Agg \
        python benchmarks/exercises/receptive_fields.py

Measured 2026-12-04 (torch 2.14.1, one thread of a 2-core AMD EPYC, machine shared with
other jobs), test, seeds 0-2, mean [95 % t interval]:

| dilations | MeanIoU | MeanBFScore | recall depth 1-2 | recall depth >= 4 |
| --- | --- | --- | --- | --- |
| (1, 2, 4) | 0.9197 [0.9112, 0.9282] | 0.7499 [0.7230, 0.7768] | 0.9567 | 0.9507 |
| (1, 2, 5) | 0.9161 [0.8970, 0.9351] | 0.7360 [0.6739, 0.7981] | 0.9538 | 0.9852 |
| (2, 4, 8) | 0.8854 [0.8799, 0.8909] | 0.6849 [0.6721, 0.6977] | 0.9313 | 0.9964 |

Recall at depth >= 4 with its interval: (1, 2, 4) 0.9507 [0.9313, 0.9700], (1, 2, 5)
0.9852 [0.9761, 0.9943], (2, 4, 8) 0.9964 [0.9936, 0.9991].

Paired against (1, 2, 4): (1, 2, 5) MeanIoU -0.0036 [-0.0242, +0.0170], MeanBFScore -0.0139
[-0.0861, +0.0584], recall 1-2 -0.0029 [-0.0312, +0.0254], recall >= 4 +0.0346 [+0.0062,
+0.0629]; (2, 4, 8) MeanIoU -0.0343 [-0.0482, -0.0204], recall >= 4 +0.0457 [+0.0257,
+0.0657]. Seed 0 reproduces the chapter's table. 14-20 s per training, 159 s in all.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from _common import header, over_seeds, report
from scipy import ndimage

from seglearn.data import TriangleConfig, class_weights, count_each_label, make_triangle_arrays
from seglearn.losses import cross_entropy_loss
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.train import fit, segment, set_seed

CONFIG = TriangleConfig(area=(20.0, 400.0), background=(0.1, 0.6), contrast=(0.15, 0.35))


def triangles(split: str, num: int):
    images, labels = make_triangle_arrays(split, num, seed=1, config=CONFIG)
    return (torch.from_numpy(images.astype(np.float32) / 255.0)[:, None],
            torch.from_numpy((labels == 255).astype(np.int64)))


train, test = triangles("train", 200), triangles("test", 300)
depth = torch.from_numpy(np.stack([
    ndimage.distance_transform_cdt(m.numpy(), metric="chessboard") for m in test[1]]))
weights = class_weights(count_each_label(train[1], ["background", "triangle"]), "inverse")


def weighted_ce(logits, target):
    return cross_entropy_loss(logits, target, class_weights=weights.to(logits.device))


def run(rates):
    def one(seed: int) -> dict[str, float]:
        set_seed(seed)
        net = DilatedNet(dilations=rates)
        start = time.perf_counter()
        fit(net, *train, loss=weighted_ce, epochs=20, batch_size=32, lr=3e-3,
            optimizer="adam", seed=seed, progress=False)
        seconds = time.perf_counter() - start
        pred = segment(net, test[0])
        m = evaluate_semantic_segmentation(pred, test[1], num_classes=2)
        found = pred == 1
        return {"MeanIoU": m.mean_iou, "MeanBFScore": m.mean_bf_score,
                "recall 1-2": float(found[(depth >= 1) & (depth <= 2)].float().mean()),
                "recall 4+": float(found[depth >= 4].float().mean()), "seconds": seconds}
    return one


if __name__ == "__main__":
    t0 = time.perf_counter()
    header("receptive_fields exercise 3: dilations (1, 2, 5) next to (1, 2, 4) and (2, 4, 8)")
    metrics = ("MeanIoU", "MeanBFScore", "recall 1-2", "recall 4+")
    res = over_seeds({str(r): run(r) for r in [(1, 2, 4), (1, 2, 5), (2, 4, 8)]}, range(3),
                     show=metrics)
    report(res, metrics=metrics, against="(1, 2, 4)")
    print(f"total {time.perf_counter() - t0:.0f} s")
