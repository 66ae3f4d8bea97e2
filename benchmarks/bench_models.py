"""Size and speed of the book's networks on 32×32 triangle-sized batches.

Prints, per model: parameters, MACs of one forward pass of one 32×32 image
(:func:`seglearn.complexity.model_complexity`), and the wall time of one training step's
forward + backward pass (cross-entropy, batch of 32, training mode) on the CPU, and on
CUDA when available. Times are medians over ``--repeats`` steps after ``--warmup`` steps.

Usage::

    python benchmarks/bench_models.py [--threads N] [--batch 32] [--repeats 10]

On a shared machine, CPU times depend on the other jobs; with more runnable threads than
cores, ``--threads 1`` is often faster than the default.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from seglearn.complexity import model_complexity
from seglearn.deeplab import DeepLabV3
from seglearn.models import DilatedNet, TinyEncoderDecoder, UNet

MODELS: dict[str, Callable[[], nn.Module]] = {
    "DilatedNet": lambda: DilatedNet(1, 2),
    "TinyEncoderDecoder": lambda: TinyEncoderDecoder(1, 2),
    "UNet": lambda: UNet(1, 2),
    "DeepLabV3 OS 8": lambda: DeepLabV3(1, 2, output_stride=8),
    "DeepLabV3 OS 16": lambda: DeepLabV3(1, 2, output_stride=16),
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_time(
    model: nn.Module, device: torch.device, *, batch: int, warmup: int, repeats: int
) -> float:
    """Median seconds of one forward + backward pass on a random (batch, 1, 32, 32) input."""
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(batch, 1, 32, 32, generator=gen).to(device)
    masks = torch.randint(0, 2, (batch, 32, 32), generator=gen).to(device)
    model = model.to(device).train()
    times = []
    for i in range(warmup + repeats):
        _sync(device)
        start = time.perf_counter()
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), masks).backward()
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--no-cpu", action="store_true", help="time CUDA only")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = [] if args.no_cpu else [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, "
          f"batch {args.batch} of 1×32×32, median of {args.repeats} steps")
    if any(d.type == "cuda" for d in devices):
        print(f"CUDA device: {torch.cuda.get_device_name()}")
    header = f"{'model':<20}{'params':>10}{'MACs/image':>13}"
    header += "".join(f"{d.type + ' ms/step':>16}" for d in devices)
    print(header)
    for name, build in MODELS.items():
        torch.manual_seed(0)
        model = build()
        cost = model_complexity(model, (1, 1, 32, 32))
        row = f"{name:<20}{cost.params:>10,}{cost.macs:>13,}"
        for device in devices:
            seconds = step_time(model, device, batch=args.batch, warmup=args.warmup,
                                repeats=args.repeats)
            row += f"{seconds * 1e3:>16.1f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
