"""Exercises 3, 4 and 5 of book/loss_boundary.

- Exercise 3: ``dice_loss`` and ``hausdorff_dt_loss`` of an untrained ``DilatedNet()``
  (after ``set_seed(0)``) on the first 64 training images, ``lam`` their ratio; then
  ``dice_loss`` alone and ``dice_loss + lam * hausdorff_dt_loss``, 20 epochs each with the
  chapter's SGD settings (momentum 0.9, lr 1e-2, batches of 64, seed 0), each from the
  same initial weights, three times each: CPU seconds per epoch, the CPU seconds spent
  in the distance transforms of the prediction (``unsigned_distance_of_regions``, timed
  by a wrapper), and the test MeanIoU.
- Exercise 4: the mean distance from the predicted boundary to the true one,
  ``distance_transform_edt(~b_true)[b_pred].mean()``, for the chapter's hand-made *near*
  and *far* predictions of training triangle 1 (no training).
- Exercise 5: the chapter's Dice network (``dice_loss``, 60 epochs, the SGD settings
  above, seed 0) trained again, its test MeanBFScore at the default θ and at θ = 1.5.

Run from the repository root::

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TQDM_DISABLE=1 MPLBACKEND=Agg \\
        .venv/bin/python benchmarks/exercises/loss_boundary.py

Measured 2026-12-04 (torch 2.14.1, one thread of a 2-core AMD EPYC, machine shared with
other jobs): exercise 3, on the first 64 images of an untrained network dice_loss 0.6696
and hausdorff_dt_loss 49.2869, lam = 0.01358; CPU seconds per epoch (median of three
runs each) 0.297 for Dice and 0.347 for the combined loss (ratio 1.17), of the extra
0.050 s 0.036 s in the prediction's distance transforms (wall-clock epochs 0.60-0.95 s,
swayed by the other jobs); test MeanIoU after 20 epochs 0.8847 for Dice, 0.8996 for the
combined loss. Exercise 4: mean distance 0.235 px (near, 34 boundary pixels) and 2.570 px
(far, 36 boundary pixels, 6 of them at 14.42 to 16.40 px). Exercise 5: the Dice network
(MeanIoU 0.9419, as in the chapter) has MeanBFScore 0.88747 at the default θ and 0.99750
at θ = 1.5. Total run time 131 s.
"""

from __future__ import annotations

import time

import torch
from _common import header
from scipy.ndimage import distance_transform_edt

import seglearn.losses._boundary as boundary_module
from seglearn.bfscore import boundary
from seglearn.data import load_triangles
from seglearn.losses import dice_loss, hausdorff_dt_loss
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.train import fit, segment, set_seed

SGD = {"optimizer": "sgdm", "lr": 1e-2, "momentum": 0.9, "batch_size": 64}
REPEATS = 3  # trainings per loss in exercise 3, for the timing (the results are identical)
DT_SECONDS = [0.0]  # CPU seconds spent in the prediction's distance transforms
_unsigned = boundary_module.unsigned_distance_of_regions


def _timed_unsigned(regions, valid):
    start = time.process_time()
    out = _unsigned(regions, valid)
    DT_SECONDS[0] += time.process_time() - start
    return out


boundary_module.unsigned_distance_of_regions = _timed_unsigned


def train(loss, epochs: int, train_data) -> tuple[torch.nn.Module, float, float]:
    """A seed-0 ``DilatedNet`` trained with ``loss``; returns it, the training's wall-clock
    seconds and its CPU seconds (``time.process_time``: on a machine shared with other jobs
    the wall clock also counts the time the process waited for a core)."""
    set_seed(0)
    net = DilatedNet()
    start, cpu = time.perf_counter(), time.process_time()
    fit(net, *train_data, loss=loss, epochs=epochs, seed=0, progress=False, **SGD)
    return net, time.perf_counter() - start, time.process_time() - cpu


def exercise_3(train_data, test) -> None:
    x, y = train_data[0][:64], train_data[1][:64]
    set_seed(0)
    net = DilatedNet()
    with torch.no_grad():
        logits = net(x)
        d, h = dice_loss(logits, y).item(), hausdorff_dt_loss(logits, y).item()
    lam = d / h
    print(f"exercise 3: untrained net, first 64 images: dice_loss {d:.4f}, "
          f"hausdorff_dt_loss {h:.4f}, lam = {lam:.5f}")

    def combined(logits, masks):
        return dice_loss(logits, masks) + lam * hausdorff_dt_loss(logits, masks)

    cpu: dict[str, list[float]] = {"Dice": [], "Dice + lam * HD-DT": []}
    dt: list[float] = []
    for repeat in range(REPEATS):  # alternating, so that both see the same load
        for name, loss in [("Dice", dice_loss), ("Dice + lam * HD-DT", combined)]:
            DT_SECONDS[0] = 0.0
            net, wall, seconds = train(loss, 20, train_data)
            cpu[name].append(seconds / 20)
            if name != "Dice":
                dt.append(DT_SECONDS[0] / 20)
            m = evaluate_semantic_segmentation(segment(net, test[0]), test[1], num_classes=2)
            print(f"  {name} (run {repeat + 1}): {wall / 20:.3f} s per epoch (wall), "
                  f"{seconds / 20:.3f} s (CPU), of which {DT_SECONDS[0] / 20:.3f} s in the "
                  f"prediction's distance transforms; test MeanIoU {m.mean_iou:.4f}",
                  flush=True)
    dice, comb, dts = (float(torch.tensor(v).median()) for v in
                       (cpu["Dice"], cpu["Dice + lam * HD-DT"], dt))
    print(f"  median CPU seconds per epoch: Dice {dice:.3f}, combined {comb:.3f} "
          f"(ratio {comb / dice:.2f}); extra {comb - dice:.3f}, of which {dts:.3f} in the "
          f"distance transforms of the prediction")


def exercise_4(train_data) -> None:
    truth = train_data[1][1] == 1
    near, far = truth.clone(), truth.clone()
    near[23:25, 14:17] = True
    far[2:4, 26:29] = True
    b_true = boundary(truth).numpy()
    dist = distance_transform_edt(~b_true)
    for name, region in (("near", near), ("far", far)):
        d = dist[boundary(region).numpy()]
        print(f"exercise 4: {name}: mean distance {d.mean():.3f} px over {d.size} boundary "
              f"pixels; {(d > 1.5).sum()} of them farther than 1.5 px, at "
              f"{d[d > 1.5].min() if (d > 1.5).any() else 0:.2f} to {d.max():.2f} px")


def exercise_5(train_data, test) -> None:
    net, seconds, _ = train(dice_loss, 60, train_data)
    preds = segment(net, test[0])
    for theta in (None, 1.5):
        m = evaluate_semantic_segmentation(preds, test[1], num_classes=2, theta=theta)
        print(f"exercise 5: Dice, 60 epochs ({seconds:.1f} s), theta={theta}: MeanIoU "
              f"{m.mean_iou:.4f}, MeanBFScore {m.mean_bf_score:.5f}", flush=True)


def main() -> None:
    header("book/loss_boundary, exercises 3-5: seed 0, the chapter's SGD settings, test split")
    start = time.perf_counter()
    train_data, test = load_triangles("train"), load_triangles("test")
    exercise_4(train_data)
    exercise_3(train_data, test)
    exercise_5(train_data, test)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
