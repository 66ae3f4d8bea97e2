"""Exercise 4 of book/loss_sensitivity_specificity: the loss at r = 0.2, 20 epochs, placed
among the chapter's sweep (r = 0.05, 0.5, 0.95).

``DilatedNet()`` after ``set_seed(0)``, ``SensitivitySpecificityLoss(r=r)``,
``MATLAB_RECIPE`` (SGD with momentum 0.9, lr 1e-2, batches of 64) at 20 epochs, trained on
the triangles' train split, scored on test. The sweep's three values of r are trained
again, as a check that this machine reproduces the chapter's table.

Run from the repository root::

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TQDM_DISABLE=1 MPLBACKEND=Agg \\
        .venv/bin/python benchmarks/exercises/loss_sensitivity_specificity.py

Measured 2026-12-04 (torch 2.14.1, one thread of a 2-core AMD EPYC, machine shared with
other jobs), test split, 20 epochs each:

    r = 0.05: MeanIoU 0.8101  MeanAccuracy 0.8447  precision 0.8948  recall 0.6940
    r = 0.2 : MeanIoU 0.8481  MeanAccuracy 0.9501  precision 0.7670  recall 0.9159
    r = 0.5 : MeanIoU 0.7852  MeanAccuracy 0.9689  precision 0.6168  recall 0.9718
    r = 0.95: MeanIoU 0.3267  MeanAccuracy 0.7716  precision 0.1100  recall 0.9998

(the three of the sweep as in the chapter's table). Total run time 111 s.
"""

from __future__ import annotations

import time

from _common import header, train_and_score

from seglearn.data import load_triangles
from seglearn.losses import SensitivitySpecificityLoss
from seglearn.models import DilatedNet
from seglearn.train import MATLAB_RECIPE


def main() -> None:
    header("book/loss_sensitivity_specificity, exercise 4: seed 0, 20 epochs, test split")
    start = time.perf_counter()
    train, test = load_triangles("train"), load_triangles("test")
    for r in (0.05, 0.2, 0.5, 0.95):
        m = train_and_score(DilatedNet, train, test, seed=0,
                            loss=SensitivitySpecificityLoss(r=r),
                            **{**MATLAB_RECIPE, "epochs": 20})
        print(f"r = {r:<4}: MeanIoU {m['MeanIoU']:.4f}  MeanAccuracy {m['MeanAccuracy']:.4f}  "
              f"MeanBFScore {m['MeanBFScore']:.4f}  triangle precision "
              f"{m['precision 1']:.4f}  recall {m['recall 1']:.4f}  ({m['seconds']:.1f} s)",
              flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
