"""What the exercise scripts share: a header naming the machine, one seeded training scored
on MATLAB's metrics, and the report of several seeds (t intervals, paired differences).

Each ``benchmarks/exercises/<chapter>.py`` measures the answers that the folded solutions
of ``book/<chapter>`` quote (run it from the repository root, e.g.
``python benchmarks/exercises/loss_focal.py``); the solution names its script.
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from collections.abc import Callable, Iterable

import torch

from seglearn.intervals import mean_interval, paired_difference
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.train import fit, segment, set_seed

torch.set_num_threads(1)  # as the chapters run on the 2-core CPU


def header(what: str) -> None:
    """Print what is measured, when, and on which torch, CPU and thread count."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    print(f"{what}\n{datetime.date.today()}, torch {torch.__version__}, {cpu}, "
          f"{torch.get_num_threads()} thread(s), OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}", flush=True)


def train_and_score(build: Callable[[], torch.nn.Module], train, test, *, seed: int,
                    num_classes: int = 2, **fit_kwargs) -> dict[str, float]:
    """``set_seed(seed)``, ``build()``, ``fit(..., seed=seed, **fit_kwargs)`` on ``train``
    (images, masks), then MATLAB's data-set metrics of ``segment`` on ``test``, plus the
    IoU, precision and recall of each class but the background (``"IoU 1"``,
    ``"precision 1"``, ``"recall 1"`` ...; NaN where a class is never predicted) and the
    training seconds."""
    set_seed(seed)
    net = build()
    start = time.perf_counter()
    fit(net, *train, seed=seed, progress=False, **fit_kwargs)
    seconds = time.perf_counter() - start
    m = evaluate_semantic_segmentation(segment(net, test[0]), test[1], num_classes=num_classes)
    out = m.as_dict()
    cm = m.confusion_matrix.double()  # rows = true, columns = predicted
    for c in range(1, num_classes):
        out[f"IoU {c}"] = float(m.class_metrics["IoU"][c])
        out[f"precision {c}"] = float(cm[c, c] / cm[:, c].sum())
        out[f"recall {c}"] = float(cm[c, c] / cm[c].sum())
    out["seconds"] = seconds
    return out


def over_seeds(configs: dict[str, Callable[[int], dict[str, float]]], seeds: Iterable[int],
               show: Iterable[str] = ("MeanIoU", "MeanBFScore")) -> dict[str, dict[int, dict]]:
    """Run ``configs[name](seed)`` for every seed (seed-major, so that a paired comparison
    sees its runs side by side) and print one line per run."""
    show = tuple(show)
    res: dict[str, dict[int, dict]] = {name: {} for name in configs}
    for seed in seeds:
        for name, run in configs.items():
            r = run(seed)
            res[name][seed] = r
            cells = "  ".join(f"{k} {r[k]:.4f}" for k in show)
            print(f"{name:>28s} seed {seed}: {cells}  ({r.get('seconds', 0):.1f} s)", flush=True)
    return res


def report(res: dict[str, dict[int, dict]], metrics: Iterable[str] = ("MeanIoU",),
           against: str | None = None) -> None:
    """Print mean ± 95 % t interval per configuration and metric and, with ``against``,
    each configuration's paired difference from it over the seeds both have."""
    for metric in metrics:
        for name, runs in res.items():
            print(f"{metric} {name}: {mean_interval([r[metric] for r in runs.values()])}")
        if against is None:
            continue
        base = {s: r[metric] for s, r in res[against].items()}
        for name, runs in res.items():
            if name != against:
                diff = paired_difference({s: r[metric] for s, r in runs.items()}, base)
                print(f"{metric} {name} - {against}: {diff.signed()}")
