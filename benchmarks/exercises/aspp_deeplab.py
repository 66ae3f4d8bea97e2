"""The measured answers to exercises 2-5 of *ASPP and DeepLabv3*: seeds 0-2 at the
chapter's budget (generalized Dice loss, Adam 3e-3, batches of 32, 20 epochs), trained on
the triangles' train split and scored on test.

- exercise 2: DeepLabV3 at OS 8 with ASPP rates (4, 8, 12) against the default (1, 2, 3);
- exercise 3: the OS 4 model with its ASPP replaced by
  ``ASPP(128, 64, (1, 2, 3), image_pooling=False)`` against the OS 4 model;
- exercise 4: OS 8 on the triangles upsampled to 64x64 (bilinear images, nearest masks,
  scored against the upsampled test masks) against OS 4 on 32x32;
- exercise 5: OS 4 with a DeepLabv3+-style decoder (ASPP output upsampled x2,
  concatenated with the stem's 16x16 features, two 3x3 conv-BN-ReLU layers of 64
  channels, the classifier) against OS 4.

Prints test MeanIoU and MeanBFScore per run, their 95 % t intervals, the paired
differences of each exercise, and the multiply-adds per image of each network.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TQDM_DISABLE=1 MPLBACKEND=Agg \
        python benchmarks/exercises/aspp_deeplab.py

Measured 2026-12-04 (torch 2.14.1, one thread of a 2-core AMD EPYC, machine shared with
other jobs), test, seeds 0-2, mean [95 % t interval]:

- exercise 2: MeanIoU (1, 2, 3) 0.7448 [0.7361, 0.7534], (4, 8, 12) 0.7346 [0.7212,
  0.7480], paired (1, 2, 3) - (4, 8, 12) +0.0102 [-0.0037, +0.0240]; MeanBFScore paired
  +0.0177 [-0.0019, +0.0373]: neither resolved;
- exercise 3: MeanIoU OS 4 0.8868 [0.8812, 0.8924], without image pooling 0.8858 [0.8784,
  0.8932], paired +0.0010 [-0.0086, +0.0107]; MeanBFScore paired -0.0013 [-0.0204,
  +0.0179]: neither resolved;
- exercise 4: MeanIoU OS 8 on 64x64 0.8762 [0.8719, 0.8806], paired - OS 4 -0.0106
  [-0.0169, -0.0043]; MeanBFScore 0.6256 [0.6170, 0.6341] against 0.7709 [0.7542,
  0.7876], paired -0.1453 [-0.1606, -0.1300];
- exercise 5: MeanIoU OS 4 + decoder 0.9391 [0.9357, 0.9425], paired - OS 4 +0.0523
  [+0.0493, +0.0553]; MeanBFScore 0.8807 [0.8740, 0.8873], paired +0.1098 [+0.0981,
  +0.1215].

Multiply-adds per image: OS 8 6.0 M (32x32), OS 4 22.4 M, OS 4 without image pooling
22.1 M, OS 8 on 64x64 23.9 M, OS 4 + decoder 43.6 M. 13-50 s per training (the shared
machine slowed some), 503 s in all.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from _common import header, over_seeds, report, train_and_score
from torch import nn

from seglearn.complexity import model_complexity
from seglearn.data import load_triangles
from seglearn.deeplab import ASPP, DeepLabV3
from seglearn.losses import generalized_dice_loss

BUDGET = dict(loss=generalized_dice_loss, optimizer="adam", lr=3e-3, batch_size=32,
              epochs=20)
train, test = load_triangles("train"), load_triangles("test")


def up(data):
    """Images bilinear, masks nearest, both x2 (32x32 -> 64x64)."""
    x, m = data
    return (F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
            F.interpolate(m[:, None].float(), scale_factor=2, mode="nearest")[:, 0].long())


train64, test64 = up(train), up(test)


class PlusDecoder(nn.Module):
    """DeepLabv3+'s decoder on ``base``: ASPP output x2, concatenated with the stem's
    features, two 3x3 conv-BN-ReLU layers, a 1x1 classifier, upsampled to the input."""

    def __init__(self, base: DeepLabV3):
        super().__init__()
        self.base = base
        w = base.backbone[0][0].out_channels  # stem width (16)
        a = base.classifier.in_channels  # ASPP output (64)

        def cbr(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o),
                    nn.ReLU(inplace=True)]

        self.decoder = nn.Sequential(*cbr(a + w, a), *cbr(a, a))
        self.classifier = nn.Conv2d(a, 2, 1)

    def forward(self, x):
        stem = self.base.backbone[0](x)
        y = self.base.aspp(self.base.backbone[1:](stem))
        y = F.interpolate(y, size=stem.shape[2:], mode="bilinear", align_corners=False)
        y = self.classifier(self.decoder(torch.cat([y, stem], 1)))
        return F.interpolate(y, size=x.shape[2:], mode="bilinear", align_corners=False)


def os4_without_image_pooling() -> DeepLabV3:
    model = DeepLabV3(output_stride=4)
    model.aspp = ASPP(128, 64, (1, 2, 3), image_pooling=False)  # as exercise 3 writes
    return model


BUILDS = {  # name: (build, train, test, input size)
    "OS 8 (1, 2, 3)": (lambda: DeepLabV3(output_stride=8), train, test, 32),
    "OS 8 (4, 8, 12)": (lambda: DeepLabV3(output_stride=8, aspp_rates=(4, 8, 12)),
                        train, test, 32),
    "OS 4": (lambda: DeepLabV3(output_stride=4), train, test, 32),
    "OS 4, no image pooling": (os4_without_image_pooling, train, test, 32),
    "OS 8, 64x64": (lambda: DeepLabV3(output_stride=8), train64, test64, 64),
    "OS 4 + decoder": (lambda: PlusDecoder(DeepLabV3(output_stride=4)), train, test, 32),
}


def config(build, tr, te):
    return lambda seed: train_and_score(build, tr, te, seed=seed, **BUDGET)


if __name__ == "__main__":
    t0 = time.perf_counter()
    header("aspp_deeplab exercises 2-5: DeepLabV3 variants on the triangles, seeds 0-2")
    for name, (build, _, _, size) in BUILDS.items():
        c = model_complexity(build(), (1, 1, size, size))
        print(f"{name:>24s}: {c.params:,} weights, {c.macs / 1e6:.1f} MMACs at {size}x{size}")
    res = over_seeds({name: config(b, tr, te) for name, (b, tr, te, _) in BUILDS.items()},
                     range(3))
    metrics = ("MeanIoU", "MeanBFScore")
    for a, b in [("OS 8 (1, 2, 3)", "OS 8 (4, 8, 12)"),  # exercise 2
                 ("OS 4", "OS 4, no image pooling"),  # exercise 3
                 ("OS 8, 64x64", "OS 4"),  # exercise 4
                 ("OS 4 + decoder", "OS 4")]:  # exercise 5
        print(f"-- {a} against {b}")
        report({a: res[a], b: res[b]}, metrics=metrics, against=b)
    for name, runs in res.items():
        secs = [r["seconds"] for r in runs.values()]
        print(f"{name}: {min(secs):.1f}-{max(secs):.1f} s per training")
    print(f"total {time.perf_counter() - t0:.0f} s")
