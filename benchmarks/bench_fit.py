"""Images per second of `seglearn.train.fit` against the plain DataLoader loop of a tutorial.

Both train the same DilatedNet (MATLAB's network) with the same weighted cross-entropy,
optimiser, batch size and number of epochs on the 200 training triangles; the only
difference is how batches reach the model: `fit` keeps the whole set on the device and
indexes shuffled mini-batches, the tutorial loop draws them from a `DataLoader` over a
`TensorDataset` and copies each batch to the device.

    python benchmarks/bench_fit.py [--epochs 10] [--device cpu|cuda]

Prints images per second (training images processed per wall-clock second) for each, on
the CPU and, when present, on the GPU.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import torch
from torch.utils.data import DataLoader, TensorDataset

from seglearn.data import class_weights, count_each_label, load_triangles
from seglearn.losses import cross_entropy_loss
from seglearn.models import DilatedNet
from seglearn.train import fit, set_seed


def plain_loop(model, images, masks, weights, *, epochs, batch_size, lr, device):
    """The loop most tutorials write: DataLoader, copy per batch, SGD with momentum."""
    model.to(device)
    loader = DataLoader(TensorDataset(images, masks), batch_size=batch_size, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    w = weights.to(device)
    for _ in range(epochs):
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            opt.zero_grad()
            loss = cross_entropy_loss(model(x), y, class_weights=w)
            loss.backward()
            opt.step()


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(device: torch.device, epochs: int, batch_size: int) -> dict[str, float]:
    images, masks = load_triangles("train")
    weights = class_weights(count_each_label(masks, ["background", "triangle"]))
    w = weights.to(device)
    out = {}
    for name in ("plain DataLoader loop", "seglearn fit"):
        set_seed(0)
        model = DilatedNet()
        # one warm-up epoch (allocator, cuDNN autotuning), not timed
        fit(model, images, masks, loss=cross_entropy_loss,
            epochs=1, batch_size=batch_size, lr=1e-2, optimizer="sgdm", device=device,
            progress=False)
        _sync(device)
        start = time.perf_counter()
        if name == "seglearn fit":
            fit(model, images, masks,
                loss=partial(cross_entropy_loss, class_weights=w),
                epochs=epochs, batch_size=batch_size, lr=1e-2, optimizer="sgdm",
                device=device, progress=False)
        else:
            plain_loop(model, images, masks, weights, epochs=epochs, batch_size=batch_size,
                       lr=1e-2, device=device)
        _sync(device)
        out[name] = epochs * len(images) / (time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: both if any)")
    args = parser.parse_args()
    devices = [torch.device(args.device)] if args.device else [torch.device("cpu")]
    if args.device is None and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"{args.epochs} epochs of 200 images, batch {args.batch_size}")
    for device in devices:
        for name, ips in bench(device, args.epochs, args.batch_size).items():
            print(f"{device.type:5s}  {name:24s} {ips:9.0f} images/s")


if __name__ == "__main__":
    main()
