"""The measured answers to exercises 3-5 of *Encoder-decoders, upsampling and skips*, with
the chapter's budget (Adam 3e-3, batches of 32, 20 epochs; generalized Dice loss unless
named otherwise), trained on the triangles' train split and scored on test, seeds 0-2:

- exercise 3: ``UNet(upsampling="bilinear")`` against ``UNet()``: MeanIoU, MeanBFScore,
  weights and the checkerboard amplitude of the logits (the chapter's measure: the mean
  absolute period-2 part of the mean background logit margin, interior 24x24), with the
  dilated network as the noise level;
- exercise 4: FCNSkip without its skip (only the 1/8 scores, upsampled x8) against FCNSkip;
- exercise 5: the chapter's five networks trained with inverse-frequency weighted
  cross-entropy (as in the first chapter) against the generalized Dice loss.

Prints one line per run, then the mean ± 95 % t interval of each metric and the paired
differences of each exercise.

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TQDM_DISABLE=1 MPLBACKEND=Agg \
        python benchmarks/exercises/encoder_decoder.py

Measured 2026-12-04 (torch 2.14.1, one thread of a 2-core AMD EPYC, machine shared with
other jobs), test, seeds 0-2, mean [95 % t interval] (seed 0 reproduces the chapter's
table and checkerboard amplitudes):

- exercise 3: MeanIoU UNet 0.9544 [0.9482, 0.9607], UNet bilinear 0.9537 [0.9466,
  0.9608], paired -0.0007 [-0.0111, +0.0096]; amplitude UNet 0.0460 [0.0126, 0.0794],
  bilinear 0.0361 [0.0279, 0.0444], DilatedNet 0.0622 [0.0537, 0.0707], paired bilinear
  - UNet -0.0099 [-0.0370, +0.0172]; weights 482,466 and 536,226;
- exercise 4: MeanIoU FCNSkip 0.8666 [0.8560, 0.8771], without skip 0.7402 [0.6975,
  0.7829], paired -0.1264 [-0.1795, -0.0732]; MeanBFScore 0.7286 [0.6798, 0.7774] and
  0.5737 [0.5661, 0.5813], paired -0.1549 [-0.2112, -0.0985];
- exercise 5, weighted CE - generalized Dice, paired: recall +0.0426 (DilatedNet) to +0.1196
  (FCNSkip), all resolved; precision -0.0840 to -0.2822 (UNet -0.1047 [-0.2097,
  +0.0002]); MeanAccuracy +0.0180 to +0.0432 (resolved for Tiny, UNet, DilatedNet);
  MeanIoU -0.0226 to -0.1050 and MeanBFScore -0.0537 to -0.2532, resolved except UNet
  (-0.0329 [-0.0713, +0.0054], -0.0785 [-0.1773, +0.0203]); FCNSkip, the largest loss,
  MeanIoU -0.105 [-0.144, -0.066], MeanBFScore -0.253 [-0.276, -0.230].

2-24 s per training, 333 s in all.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from _common import header, over_seeds, report, train_and_score
from torch import nn

from seglearn.data import class_weights, count_each_label, load_triangles
from seglearn.losses import cross_entropy_loss, generalized_dice_loss
from seglearn.models import DilatedNet, FCNSkip, TinyEncoderDecoder, UNet

train, test = load_triangles("train"), load_triangles("test")
BUDGET = dict(optimizer="adam", lr=3e-3, batch_size=32, epochs=20)
weights = class_weights(count_each_label(train[1], ["background", "triangle"]), "inverse")


def weighted_ce(logits, masks):
    return cross_entropy_loss(logits, masks, class_weights=weights.to(logits.device))


def tiny_with_kernel3():
    net = TinyEncoderDecoder()
    net.decoder = nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1)
    return net


class FCNNoSkip(FCNSkip):
    """FCNSkip scoring only its 1/8 features, upsampled x8 (``score_quarter`` unused)."""

    def forward(self, x):
        coarse = self.score_eighth(self.to_eighth(self.to_quarter(x)))  # (N, K, H/8, W/8)
        return F.interpolate(coarse, size=x.shape[2:], mode="bilinear", align_corners=False)


def amplitude(net) -> float:
    """The chapter's checkerboard amplitude of ``net`` on the test images."""
    images, masks = test
    with torch.no_grad():
        logits = net.eval()(images)  # (N, 2, H, W)
    margin = logits[:, 1] - logits[:, 0]
    background = (masks == 0).float()
    m = (margin * background).sum(0) / background.sum(0)  # (H, W)
    smooth = F.interpolate(F.avg_pool2d(m[None, None], 2), scale_factor=2, mode="nearest")
    return (m - smooth[0, 0])[4:-4, 4:-4].abs().mean().item()


def config(build, loss):
    def one(seed: int) -> dict[str, float]:
        built = []
        r = train_and_score(lambda: built.append(build()) or built[-1], train, test,
                            seed=seed, loss=loss, **BUDGET)
        r["amplitude"] = amplitude(built[0])
        r["weights"] = sum(p.numel() for p in built[0].parameters())
        return r
    return one


NETS = {"TinyEncoderDecoder": TinyEncoderDecoder, "Tiny, 3x3 transposed": tiny_with_kernel3,
        "FCNSkip": FCNSkip, "UNet": UNet, "DilatedNet": DilatedNet}
CONFIGS = {
    **{name: config(b, generalized_dice_loss) for name, b in NETS.items()},
    "UNet bilinear": config(lambda: UNet(upsampling="bilinear"), generalized_dice_loss),
    "FCNSkip without skip": config(FCNNoSkip, generalized_dice_loss),
    **{f"{name}, weighted CE": config(b, weighted_ce) for name, b in NETS.items()},
}

if __name__ == "__main__":
    t0 = time.perf_counter()
    header("encoder_decoder exercises 3-5, seeds 0-2")
    res = over_seeds(CONFIGS, range(3),
                     show=("MeanIoU", "MeanBFScore", "MeanAccuracy", "precision 1", "amplitude"))
    print("weights: UNet", res["UNet"][0]["weights"], "UNet bilinear",
          res["UNet bilinear"][0]["weights"])
    print("-- exercise 3")
    report({k: res[k] for k in ("UNet", "UNet bilinear", "DilatedNet")},
           metrics=("MeanIoU", "MeanBFScore", "amplitude"), against="UNet")
    print("-- exercise 4")
    report({k: res[k] for k in ("FCNSkip", "FCNSkip without skip")},
           metrics=("MeanIoU", "MeanBFScore"), against="FCNSkip")
    print("-- exercise 5 (weighted CE - generalized Dice, per network)")
    for name in NETS:
        report({f"{name}, weighted CE": res[f"{name}, weighted CE"], name: res[name]},
               metrics=("MeanIoU", "MeanBFScore", "MeanAccuracy", "recall 1", "precision 1"),
               against=name)
    print(f"total {time.perf_counter() - t0:.0f} s")
