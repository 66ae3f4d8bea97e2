"""Exercise 4 of book/loss_lovasz: the Lovász-softmax loss per image against per batch.

``DilatedNet()`` after ``set_seed(0)``, ``LovaszSoftmaxLoss(per_image=...)`` (other settings
the defaults), the full ``MATLAB_RECIPE`` (SGD with momentum 0.9, lr 1e-2, batches of 64,
100 epochs), trained on the triangles' train split, scored on test: the mean over the test
images of ``metrics.image_metrics["MeanIoU"]`` and the data-set MeanIoU. The per-batch
run is the chapter's own network (its test MeanIoU, 0.950, is printed there).

Run from the repository root::

    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE TQDM_DISABLE=1 MPLBACKEND=Agg \\
        .venv/bin/python benchmarks/exercises/loss_lovasz.py

Measured 2026-12-04 (torch 2.14.1, one thread of a 2-core AMD EPYC, machine shared with
other jobs), test split: per_image=True mean per-image MeanIoU 0.9466, data-set MeanIoU
0.9506, MeanBFScore 0.9034 (130.6 s of training); per_image=False 0.9465, 0.9505, 0.9029
(105.8 s; the chapter's network, printed there as 0.950 and 0.903). Total run time 237 s.
"""

from __future__ import annotations

import time

from _common import header

from seglearn.data import load_triangles
from seglearn.losses import LovaszSoftmaxLoss
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.train import MATLAB_RECIPE, fit, segment, set_seed


def per_image_and_dataset(per_image: bool, train, test) -> None:
    """Train one seed-0 network and print its mean per-image and data-set MeanIoU."""
    set_seed(0)
    net = DilatedNet()
    start = time.perf_counter()
    fit(net, *train, loss=LovaszSoftmaxLoss(per_image=per_image), seed=0, progress=False,
        **MATLAB_RECIPE)
    seconds = time.perf_counter() - start
    m = evaluate_semantic_segmentation(segment(net, test[0]), test[1], num_classes=2)
    print(f"per_image={per_image!s:5}: mean per-image MeanIoU "
          f"{m.image_metrics['MeanIoU'].mean().item():.4f}, data-set MeanIoU "
          f"{m.mean_iou:.4f}, MeanBFScore {m.mean_bf_score:.4f} ({seconds:.1f} s)", flush=True)


def main() -> None:
    header("book/loss_lovasz, exercise 4: seed 0, MATLAB_RECIPE, test split")
    start = time.perf_counter()
    train, test = load_triangles("train"), load_triangles("test")
    for per_image in (True, False):
        per_image_and_dataset(per_image, train, test)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
