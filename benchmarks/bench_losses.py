"""Speed of every loss in :mod:`seglearn.losses` on a triangle-sized batch.

Prints, per loss, the median wall time of one forward + backward pass on logits of shape
``(64, 2, 32, 32)`` against 64 triangle masks (:func:`seglearn.data.load_triangles`), on
the CPU and on CUDA when available. The boundary-based losses are timed three ways: with
the truth's distance maps computed at every call (``cache=False``), looked up in the
cache (the default, warm after the first call), and passed in precomputed
(``dist_maps=``). Then the cost of :func:`seglearn.losses.signed_distance_map` alone,
with and without the cache.

Usage::

    python benchmarks/bench_losses.py [--threads N] [--batch 64] [--repeats 20]

On a shared machine, CPU times depend on the other jobs; with more runnable threads than
cores, ``--threads 1`` is often faster than the default.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from seglearn import losses as L
from seglearn.data import load_triangles
from seglearn.losses import _distance_maps

LossCall = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_time(step: Callable[[], None], device: torch.device, *, warmup: int,
                repeats: int) -> float:
    """Median seconds of ``step()`` over ``repeats`` calls after ``warmup`` calls."""
    times = []
    for i in range(warmup + repeats):
        _sync(device)
        start = time.perf_counter()
        step()
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def loss_calls(maps: torch.Tensor) -> dict[str, LossCall]:
    """Every public loss function with its default settings, plus the boundary-based
    losses without cache and with precomputed maps."""
    calls: dict[str, LossCall] = {
        name: getattr(L, name) for name in sorted(L.__all__) if name.endswith("_loss")
    }
    for name in ("boundary_loss", "hausdorff_dt_loss"):
        fn = getattr(L, name)
        calls[f"{name} (cache=False)"] = lambda x, y, fn=fn: fn(x, y, cache=False)
        calls[f"{name} (dist_maps given)"] = lambda x, y, fn=fn: fn(x, y, dist_maps=maps)
    return calls


def bench(device: torch.device, *, batch: int, warmup: int, repeats: int) -> None:
    _, masks = load_triangles("train", num=batch)  # (B, 32, 32)
    masks = masks.to(device)
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(batch, 2, 32, 32, generator=gen).to(device).requires_grad_(True)
    maps = L.signed_distance_map(masks, 2, cache=False)  # (B, 2, 32, 32)
    print(f"\n{device.type}: logits {tuple(logits.shape)}, forward + backward, median ms")
    for name, fn in loss_calls(maps).items():

        def step(fn: LossCall = fn) -> None:
            logits.grad = None
            fn(logits, masks).backward()

        ms = 1e3 * median_time(step, device, warmup=warmup, repeats=repeats)
        print(f"  {name:42s} {ms:8.2f}")

    print(f"  signed_distance_map of {batch} masks, K = 2:")
    for label, cache in (("cache=False", False), ("cache hit", True)):
        _distance_maps._CACHE.clear()
        ms = 1e3 * median_time(lambda cache=cache: L.signed_distance_map(masks, 2, cache=cache),
                               device, warmup=1, repeats=repeats)
        print(f"    {label:40s} {ms:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    for device in devices:
        bench(device, batch=args.batch, warmup=args.warmup, repeats=args.repeats)


if __name__ == "__main__":
    main()
