"""Exercises 4 and 5 of book/loss_dice: the Jaccard loss against the Dice loss on the
chapter's ``two_masks``/``hard_logits`` and ``toy_logits``/``toy_masks`` (per image and
per batch, the identity IoU = Dice / (2 - Dice)), and the Dice loss of the triangle class
on a batch of ``two_masks[1]`` (predicted with logit margin 30) and an empty 16x16 image
(logit margin 10 for background), per image and per batch, for smooth 1e-8 and 1. No
training: the chapter's tensors are rebuilt as its code cells build them.

    OMP_NUM_THREADS=1 python benchmarks/exercises/loss_dice.py

Measured 2026-12-04 (torch 2.14.1+cu130, one thread of a 2-core AMD EPYC, machine shared with
other jobs): exercise 4, per image (with background) Jaccard 0.2539, Dice 0.2520; triangle
class alone 0.5000 both; per batch 0.0339 and 0.0174; the identity holds per class and
image on ``toy_logits`` to 5.6e-17; ``jaccard_loss(toy_logits, toy_masks)`` 0.6927,
``dice_loss`` 0.5438, through the identity 0.7045. Exercise 5: stray triangle probability
0.0116 on the empty image; per image 0.499999 (smooth 1e-8) and 0.00288868 (smooth 1);
per batch 9.07875e-05 and 8.93909e-05. Total 0.1 s.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from _common import header

from seglearn.losses import dice_loss, jaccard_loss


def one_hot_logits(labels: torch.Tensor, margins: list[float]) -> torch.Tensor:
    """(N, 2, H, W) float64 logits: ``margins[n]`` on the labelled class of image n."""
    onehot = F.one_hot(labels, 2).permute(0, 3, 1, 2).double()
    return torch.tensor(margins, dtype=torch.float64)[:, None, None, None] * onehot


def main() -> None:
    header("book/loss_dice, exercises 4 and 5 (no training)")
    start = time.perf_counter()

    # the chapter's tensors
    torch.manual_seed(0)
    toy_logits = 2 * torch.randn(3, 2, 8, 8, dtype=torch.float64)
    toy_masks = torch.zeros(3, 8, 8, dtype=torch.long)
    toy_masks[0, 2:6, 2:6] = 1
    toy_masks[1, :3, :] = 1
    toy_masks[2, 5:, 6:] = 1
    two_masks = torch.zeros(2, 16, 16, dtype=torch.long)
    two_masks[0, 4:6, 4:6] = 1
    two_masks[1, 4:12, 4:12] = 1
    pred_labels = two_masks.clone()
    pred_labels[0] = 0
    hard_logits = one_hot_logits(pred_labels, [30.0, 30.0])

    print("exercise 4: two_masks, hard_logits")
    for per_image in (True, False):
        for bg in (True, False):
            j = jaccard_loss(hard_logits, two_masks, per_image=per_image,
                             include_background=bg).item()
            d = dice_loss(hard_logits, two_masks, per_image=per_image,
                          include_background=bg).item()
            print(f"  per_image={per_image!s:5}, include_background={bg!s:5}: "
                  f"jaccard {j:.4f}, dice {d:.4f}")
    # the identity per class and image on soft predictions
    p = toy_logits.softmax(1)
    t = F.one_hot(toy_masks, 2).permute(0, 3, 1, 2).double()
    tp, sp, st = (p * t).sum((2, 3)), p.sum((2, 3)), t.sum((2, 3))
    dice, iou = 2 * tp / (sp + st), tp / (sp + st - tp)
    print(f"  toy_logits, max |Dice/(2-Dice) - IoU| per class and image: "
          f"{(dice / (2 - dice) - iou).abs().max().item():.1e}")
    jl, dl = jaccard_loss(toy_logits, toy_masks).item(), dice_loss(toy_logits, toy_masks).item()
    predicted = 1 - (1 - dl) / (1 + dl)  # 1 - IoU with IoU = Dice / (2 - Dice)
    print(f"  toy_logits: jaccard_loss {jl:.4f}; dice_loss {dl:.4f}, through the identity "
          f"{predicted:.4f}")

    print("exercise 5: two_masks[1] (margin 30) and an empty image (margin 10), triangle only")
    masks = torch.stack([two_masks[1], torch.zeros(16, 16, dtype=torch.long)])
    logits = one_hot_logits(masks, [30.0, 10.0])
    stray = logits.softmax(1)[1, 1].sum().item()
    print(f"  sum of the triangle probability on the empty image: {stray:.4f}")
    for per_image in (True, False):
        for smooth in (1e-8, 1.0):
            v = dice_loss(logits, masks, per_image=per_image, include_background=False,
                          smooth=smooth).item()
            print(f"  per_image={per_image!s:5}, smooth={smooth:g}: {v:.6g}")
    print(f"total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
