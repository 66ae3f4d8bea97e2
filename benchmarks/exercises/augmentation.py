"""The exercise answers of book/augmentation.

1. The share of the frame that ``JointTransform(v2.RandomRotation((45, 45)))`` ignores on
   16 shape scenes of 64×64 (``load_shapes("val", num=16)``), against 2 (2 − √2)² / 4.
2. The time of one call of ``v2.RandomRotation(30)`` and ``v2.ElasticTransform(alpha=20,
   sigma=4)`` on a batch of 16 scenes, one draw per batch against ``per_image=True``
   (median of 30 calls, one thread).
3. The chapter's 20-image networks trained again (``DilatedNet(1, 2, channels=16)``,
   cross-entropy, Adam at 1e-2, batches of 16, 50 epochs of the first 20 training
   triangles: about 100 steps; seeds 0-4), without augmentation and with the eight
   symmetries of the square (the chapter's choice on val), each scored on the 100 test
   triangles plain, with horizontal flips averaged (two passes) and with vertical flips too
   (``FlipAverage(model, vertical=True)``, four passes); paired differences over the seeds.
5. The labels that ``JointTransform(v2.RandomRotation((30, 30), fill={tv_tensors.Mask: 1}))``
   puts in the corners of a mask that is all class 2.

Run from the repository root:
``OMP_NUM_THREADS=1 python benchmarks/exercises/augmentation.py``

Measured 2026-12-04 (torch 2.14.1+cu130, one thread of a 2-core AMD EPYC, machine shared
with other jobs):
1. 16.7 % of the pixels ignored; the corners' share of the frame 17.2 %.
2. rotation 1.1 ms per batch, 20.3 ms with per-image draws (17.7 times); elastic 16.5 ms
   against 205.1 ms (12.4 times).
3. trained without augmentation: plain 0.9292 [0.9219, 0.9365]; 2 passes - plain +0.0070
   [+0.0039, +0.0101], 4 passes - plain +0.0082 [+0.0052, +0.0113], 4 - 2 passes +0.0012
   [-0.0013, +0.0038]. Trained with the symmetries: plain 0.9403 [0.9377, 0.9430]; 2
   passes +0.0036 [+0.0005, +0.0067], 4 passes +0.0057 [+0.0024, +0.0089], 4 - 2 passes
   +0.0021 [+0.0004, +0.0038]. Symmetries - none, plain: +0.0111 [+0.0025, +0.0197].
5. labels out: [0, 2].
Total run time 53 s (10 trainings of 2-6 s).
"""

from __future__ import annotations

import math
import statistics
import time

import torch
import torch.nn.functional as F
from _common import header, report
from torchvision import tv_tensors
from torchvision.transforms import v2

from seglearn.augment import IGNORE_INDEX, FlipAverage, JointTransform
from seglearn.data import load_triangles
from seglearn.intervals import paired_difference
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.shapes import load_shapes
from seglearn.train import fit, segment, set_seed

N_TRAIN, STEPS, BATCH = 20, 100, 16
SYMMETRIES = v2.Compose([
    v2.RandomHorizontalFlip(),
    v2.RandomVerticalFlip(),
    v2.RandomChoice([v2.RandomRotation((a, a)) for a in (0, 90, 180, 270)]),
])


def milliseconds(call, repeats: int = 30) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def train_three_ways(seed: int, transform, train, test) -> dict[str, dict[str, float]]:
    """One training as the chapter's (about STEPS mini-batches), scored three ways."""
    set_seed(seed)
    net = DilatedNet(1, 2, channels=16)
    epochs = max(1, round(STEPS / -(-N_TRAIN // BATCH)))
    start = time.perf_counter()
    fit(net, *train, loss=F.cross_entropy, epochs=epochs, batch_size=BATCH, lr=1e-2,
        transform=transform, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    out = {}
    for name, model in (("plain", net), ("2 passes", FlipAverage(net)),
                        ("4 passes", FlipAverage(net, vertical=True))):
        res = evaluate_semantic_segmentation(segment(model, test[0]), test[1],
                                             num_classes=2, bf_score=False)
        out[name] = {"MeanIoU": float(res.mean_iou), "seconds": seconds}
    return out


def main() -> None:
    header("book/augmentation exercises 1, 2, 3 and 5")
    start = time.perf_counter()
    scenes, masks = load_shapes("val", num=16)

    print("1. a 45-degree rotation of the 64x64 scenes")
    torch.manual_seed(0)
    _, rotated = JointTransform(v2.RandomRotation((45, 45)))(scenes, masks)
    share = float((rotated == IGNORE_INDEX).float().mean())
    print(f"  ignored {100 * share:.1f} % of the pixels; corners 2 (2 - sqrt 2)^2 / 4 = "
          f"{100 * 2 * (2 - math.sqrt(2)) ** 2 / 4:.1f} %")

    print("2. one draw per batch against per_image=True, batch of 16 scenes, median of 30")
    for name, t in (("rotation 30", v2.RandomRotation(30)),
                    ("elastic 20/4", v2.ElasticTransform(alpha=20.0, sigma=4.0))):
        torch.manual_seed(0)
        batch = milliseconds(lambda t=t: JointTransform(t)(scenes, masks))
        each = milliseconds(lambda t=t: JointTransform(t, per_image=True)(scenes, masks))
        print(f"  {name}: {batch:.1f} ms per batch, {each:.1f} ms per image draws "
              f"({each / batch:.1f} times)", flush=True)

    print("5. an explicit mask fill of 1 on a mask of class 2")
    torch.manual_seed(0)
    all_two = torch.full((1, 64, 64), 2, dtype=torch.long)
    _, out = JointTransform(v2.RandomRotation((30, 30), fill={tv_tensors.Mask: 1}))(
        scenes[:1], all_two)
    print(f"  labels out: {out.unique().tolist()}", flush=True)

    print("3. flip averaging with and without vertical flips, 20 training images")
    images, train_masks = load_triangles("train")
    train, test = (images[:N_TRAIN], train_masks[:N_TRAIN]), load_triangles("test")
    res: dict[str, dict[int, dict]] = {}
    for seed in range(5):
        for trained, transform in (("none", None), ("flips", JointTransform(SYMMETRIES))):
            scores = train_three_ways(seed, transform, train, test)
            for how, r in scores.items():
                res.setdefault(f"{trained}, {how}", {})[seed] = r
            print(f"  seed {seed}, trained with {trained}: " + "  ".join(
                f"{how} {r['MeanIoU']:.4f}" for how, r in scores.items())
                + f"  ({r['seconds']:.1f} s)", flush=True)
    for trained in ("none", "flips"):
        print(f" trained with {trained}:")
        report({k: v for k, v in res.items() if k.startswith(trained)},
               against=f"{trained}, plain")
        four, two = (
            {s: r["MeanIoU"] for s, r in res[f"{trained}, {p} passes"].items()} for p in "42")
        print(f"MeanIoU 4 passes - 2 passes: {paired_difference(four, two).signed()}")
    plain = {t: {s: r["MeanIoU"] for s, r in res[f"{t}, plain"].items()}
             for t in ("none", "flips")}
    print("trained with flips - none, plain, 20 images: "
          f"{paired_difference(plain['flips'], plain['none']).signed()}")
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
