"""Five losses on the four-class shape scenes (issues 13 and 14): the learning rate of each
chosen on val, the chosen configuration scored on test over five seeds; the runs the chapter
*Multi-class segmentation* reads.

    python benchmarks/multiclass_losses.py --jobs 2 --csv seglearn/results/multiclass_losses.csv

Protocol, per loss (:func:`seglearn.multiclass.make_losses`): ``UNet(1, 4, base_channels=8,
depth=3)`` at :data:`seglearn.multiclass.RECIPE` (12 epochs of the 2000 training scenes,
batches of 16, Adam, the rate divided by 10 after 9 epochs, flips and right-angle
rotations). Each rate of ``--lrs`` (default 3e-4, 1e-3, 3e-3, 1e-2) is trained on seeds
``0 .. choose-seeds - 1``; the one with the best mean val MeanIoU is then trained on the
remaining seeds up to ``--seeds``. Every run is scored on val and test
(:func:`seglearn.multiclass.score`); only the chosen rate's test rows are the result.
Trainings run ``--jobs`` at a time, each on one thread; the CSV is rewritten after every
training, and a rerun with the same ``--csv`` skips the runs it already holds.

With ``--networks`` the loss is fixed (``--losses``, default weighted CE) and the contenders
are architectures of :data:`seglearn.multiclass.NETWORKS` (configurations named
``"<network> lr=<rate>"``): the runs the architecture chapters read, e.g.

    python benchmarks/multiclass_losses.py --jobs 2 --lrs 1e-3 3e-3 1e-2 3e-2 --networks \
        "dilated RF 11" "dilated RF 63" ... --csv seglearn/results/architectures_shapes.csv

Measured 2026-12-02 (the losses) and 2026-12-04 (the networks: 121 trainings, 2071 s for
the last 77 of them; torch 2.14.1, two jobs on a 2-core AMD EPYC, one thread each; one
training 32-150 s): see :func:`seglearn.results.multiclass_losses`,
:func:`seglearn.results.architectures_shapes` and the chapters.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from seglearn.multiclass import LEARNING_RATES, LOSSES, make_losses, score, train_once
from seglearn.protocol import ResultsTable, Run
from seglearn.shapes import load_shapes

_DATA: dict = {}


def _train(task: tuple[str, str, float, int, str]) -> list[Run]:
    """One training in a worker process (loss, network, rate, seed, label): its val and test
    rows, named ``"<label> lr=<rate>"``."""
    torch.set_num_threads(1)
    if not _DATA:
        _DATA.update(train=load_shapes("train"), val=load_shapes("val"),
                     test=load_shapes("test"))
        _DATA["losses"] = make_losses(_DATA["train"][1])
    name, network, lr, seed, label = task
    net, seconds = train_once(_DATA["losses"][name], _DATA["train"], lr=lr, seed=seed,
                              network=network)
    return [Run(f"{label} lr={lr:g}", seed, split, score(net, *_DATA[split])[0],
                round(seconds, 2)) for split in ("val", "test")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lrs", type=float, nargs="+", default=list(LEARNING_RATES))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--choose-seeds", type=int, default=2,
                    help="seeds 0..n-1 train every learning rate; val chooses among them")
    ap.add_argument("--losses", nargs="*", help="a subset of the losses (default: all)")
    ap.add_argument("--networks", nargs="*",
                    help="compare these networks of NETWORKS with one loss instead")
    ap.add_argument("--jobs", type=int, default=1, help="trainings at a time")
    ap.add_argument("--csv", help="write every run here (ResultsTable.to_csv)")
    args = ap.parse_args()
    if args.networks:
        (loss,) = args.losses or ["weighted CE"]
        names, spec = args.networks, {n: (loss, n) for n in args.networks}
    else:
        names = args.losses or list(LOSSES)
        spec = {n: (n, "U-Net") for n in names}
    table = ResultsTable.from_csv(args.csv) if args.csv and Path(args.csv).exists() \
        else ResultsTable()
    done = {(r.configuration, r.seed) for r in table.runs}
    started = time.perf_counter()

    def train_all(tasks: list[tuple[str, float, int]]) -> None:
        todo = [(*spec[n], lr, s, n) for n, lr, s in tasks if (f"{n} lr={lr:g}", s) not in done]
        with ProcessPoolExecutor(args.jobs) as pool:
            for task, runs in zip(todo, pool.map(_train, todo), strict=True):
                table.runs.extend(runs)
                if args.csv:  # after every run: an interrupted job keeps what it did
                    table.to_csv(args.csv)
                print(f"{task[4]:<20} lr {task[2]:g} seed {task[3]}: val MeanIoU "
                      f"{runs[0].metrics['MeanIoU']:.4f}, {runs[0].seconds:.0f} s "
                      f"[{time.perf_counter() - started:.0f} s]", flush=True)

    train_all([(n, lr, s) for n in names for lr in args.lrs for s in range(args.choose_seeds)])
    best = {}
    for n in names:
        val = {lr: np.mean([table.values(f"{n} lr={lr:g}", "val")[s]
                            for s in range(args.choose_seeds)]) for lr in args.lrs}
        best[n] = max(args.lrs, key=val.get)
        print(f"{n:<20} val MeanIoU by lr " + " ".join(f"{lr:g}:{v:.4f}" for lr, v in val.items())
              + f" -> lr {best[n]:g}")
    train_all([(n, best[n], s) for n in names for s in range(args.choose_seeds, args.seeds)])
    for n in names:
        test = list(table.values(f"{n} lr={best[n]:g}", "test").values())
        print(f"{n:<20} test MeanIoU {np.mean(test):.4f} (n={len(test)})")
    print(f"{os.cpu_count()} CPUs, {args.jobs} jobs, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
