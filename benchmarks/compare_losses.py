"""The losses compared (issue 14): every loss of the book, its learning rate chosen on val,
scored on test over ten seeds; the runs the chapter *The losses compared* reads.

    OMP_NUM_THREADS=1 python benchmarks/compare_losses.py --data triangles --choose-seeds 5 \\
        --csv seglearn/results/compare_losses_triangles.csv
    OMP_NUM_THREADS=1 python benchmarks/compare_losses.py --data sparse --choose-seeds 3 \\
        --csv seglearn/results/compare_losses_sparse.csv
    OMP_NUM_THREADS=1 python benchmarks/compare_losses.py --data triangles --choose-seeds 5 \\
        --optimizer sgdm --csv seglearn/results/compare_losses_triangles_sgdm.csv
    OMP_NUM_THREADS=1 python benchmarks/compare_losses.py --data triangles --choose-seeds 5 \\
        --controls --csv seglearn/results/compare_controls_triangles.csv

Protocol, per loss: ``DilatedNet(channels=8)`` (dilations 1, 2, 4, receptive field 15 px)
in channels-last memory format, Adam (or, with ``--optimizer sgdm``, SGD with momentum 0.9
as in the loss chapters), batches of 32, 20 epochs of the 200 training images (140
updates). Each learning rate of ``--lrs`` (default 0.003, 0.01, 0.03, 0.1 for Adam; 0.01,
0.03, 0.1, 0.3, 1 for SGD) is trained on seeds ``0 .. choose-seeds - 1``; the one with the
best mean MeanIoU on ``val`` is then trained on the remaining seeds up to ``--seeds``. Every run is
scored on val and test; only the chosen rate's test rows are the result. Data sets:
``triangles`` (the book's 32×32 images, about 5 % foreground) and ``sparse`` (the same
triangle generator, the same areas 18-90 px, in 64×64 images: about 1.3 % foreground, so
that rarity is not confounded with object size).

Metrics per run and split: MATLAB's five; the triangle's precision and recall; HD95 (px,
mean over the images where both the truth and the prediction have a triangle; pooled
boundary distances, :func:`seglearn.bfscore.hausdorff_distance`); ``missed``, the share of
images whose triangle has no true-positive pixel; expected calibration error (15 bins) and
Brier score of the softmax probabilities over all pixels.

Measured 2026-12-02 (torch 2.14.1, one thread of a 2-core AMD EPYC, with the other data
set's run on the other core, so the times are upper bounds): see the chapter and the
docstrings of ``seglearn.results.loss_comparison``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from seglearn.comparison import (
    LEARNING_RATES,
    RECIPE,
    load_comparison_data,
    make_controls,
    make_losses,
    score,
    train_once,
)
from seglearn.protocol import ResultsTable, Run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", choices=("triangles", "sparse"), default="triangles")
    ap.add_argument("--optimizer", choices=("adam", "sgdm"), default="adam",
                    help="sgdm: SGD with momentum 0.9, the loss chapters' optimizer")
    ap.add_argument("--lrs", type=float, nargs="+",
                    help="default: seglearn.comparison.LEARNING_RATES")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--choose-seeds", type=int, default=10,
                    help="seeds 0..n-1 train every learning rate; val chooses among them")
    ap.add_argument("--losses", nargs="*", help="a subset of the losses (default: all)")
    ap.add_argument("--csv", help="write every run here (ResultsTable.to_csv)")
    ap.add_argument("--controls", action="store_true",
                    help="train seglearn.comparison.CONTROLS instead of the contenders")
    args = ap.parse_args()
    args.lrs = args.lrs or list(LEARNING_RATES[args.optimizer])
    torch.set_num_threads(1)
    data = load_comparison_data(args.data)
    updates = -(-data["train"][0].shape[0] // RECIPE["batch_size"])
    losses = make_controls() if args.controls else make_losses(data["train"][1], updates)
    names = args.losses or list(losses)
    table, started = ResultsTable(), time.perf_counter()

    def record(name: str, lr: float, seed: int) -> float:
        net, seconds = train_once(losses[name], data, lr=lr, seed=seed,
                                  optimizer=args.optimizer)
        config = f"{name} lr={lr:g}"
        for split in ("val", "test"):
            table.runs.append(Run(config, seed, split, score(net, *data[split]), round(seconds, 2)))
        if args.csv:
            table.to_csv(args.csv)  # after every run: an interrupted job keeps what it did
        return table.values(config, "val")[seed]

    for name in names:
        val = {lr: [record(name, lr, s) for s in range(args.choose_seeds)] for lr in args.lrs}
        best = max(args.lrs, key=lambda lr: np.mean(val[lr]))
        for s in range(args.choose_seeds, args.seeds):
            record(name, best, s)
        test = list(table.values(f"{name} lr={best:g}", "test").values())
        print(f"{name:<24} val MeanIoU by lr " + " ".join(
            f"{lr:g}:{np.mean(v):.4f}" for lr, v in val.items())
            + f" -> lr {best:g}; test {np.mean(test):.4f} (n={len(test)}) "
            f"[{time.perf_counter() - started:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
