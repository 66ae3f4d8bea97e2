"""How fast `seglearn.train.fit` trains the book's networks, and where a step's time goes.

Prints every row of the targets table of issue 17, measured in one run as ratios (on a
shared machine the absolute times move with the other jobs; ratios of runs interleaved
round by round move much less):

- ``fit / minimal resident loop``: the same work (data resident on the device, the same
  model memory format, optimizer implementation, loss and thread count) written as the
  shortest loop that does it: what fit's validation, bookkeeping and progress cost;
- ``fit / plain DataLoader loop``: the loop most tutorials write (a ``DataLoader`` over a
  ``TensorDataset``, a copy per batch, default memory format and optimizer, the loss with
  its checks, ``loss.item()`` every step for the running loss), at the same thread count;
- one small comparison training (8-filter DilatedNet, Adam, batch 32, 20 epochs: 140
  updates on the 200 triangles, the budget of ``book/loss_comparison``), in seconds;
- the arithmetic floor: forward + backward multiply-accumulates (3x the forward MACs of
  :func:`seglearn.complexity.model_complexity`) over this CPU's convolution rate, measured
  here on the MATLAB network's 32->32 3x3 convolution;
- where one step's time goes: forward, loss with its input checks (and without),
  backward, optimizer, one host sync (``float(loss)``);
- threads (fit at torch's default count / at one thread) and mixed precision (bfloat16
  autocast / float32).

Workloads: MATLAB's recipe (32-filter DilatedNet, SGD with momentum, batch 64, weighted
cross-entropy; ``--epochs`` of its 100 epochs are timed and scaled) and the comparison's
small network (all 20 epochs, cross-entropy and Dice).

    python benchmarks/bench_fit.py [--repeats 5] [--epochs 2] [--device cpu|cuda] [--quick]
        [--threads-study]

``--quick`` (a smoke test: 1 repeat, 1 epoch, 2 epochs of the small network) checks that
the script runs; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

import torch
from torch.utils.data import DataLoader, TensorDataset

from seglearn._checks import value_checks_skipped
from seglearn._training import cpu_threads, make_optimizer
from seglearn.complexity import model_complexity
from seglearn.data import class_weights, count_each_label, load_triangles
from seglearn.losses import cross_entropy_loss, dice_loss
from seglearn.models import DilatedNet
from seglearn.train import MATLAB_RECIPE, fit, set_seed

SMALL = {"optimizer": "adam", "lr": 1e-2, "batch_size": 32, "epochs": 20}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(run: Callable[[], object], device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    run()
    _sync(device)
    return time.perf_counter() - start


def _timed2(run: Callable[[], object], device: torch.device) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process, all its threads) of ``run()``."""
    cpu = time.process_time()
    wall = _timed(run, device)
    return wall, time.process_time() - cpu


def minimal_loop(model, images, masks, loss, *, epochs, batch_size, lr, optimizer,
                 momentum=0.9, device, seed=0):
    """The shortest loop doing fit's work: resident data, the same optimizer, memory
    format and threads, the loss without its value checks, no read-back."""
    with cpu_threads(device):
        model.to(device)
        if device.type in ("cpu", "cuda"):
            model.to(memory_format=torch.channels_last)
        x_all, y_all = images.to(device), masks.to(device)
        opt = make_optimizer(optimizer, model, lr, momentum, 0.0, device)
        gen = torch.Generator().manual_seed(seed)
        model.train()
        with value_checks_skipped():
            for _ in range(epochs):
                order = torch.randperm(len(x_all), generator=gen).to(device)
                for i in range(0, len(x_all), batch_size):
                    idx = order[i:i + batch_size]
                    opt.zero_grad(set_to_none=True)
                    loss(model(x_all[idx]), y_all[idx]).backward()
                    opt.step()


def tutorial_loop(model, images, masks, loss, *, epochs, batch_size, lr, optimizer,
                  momentum=0.9, device, seed=0):
    """The loop most tutorials write: DataLoader, a copy per batch, default optimizer and
    memory format, the loss with its checks, ``loss.item()`` per step."""
    with cpu_threads(device):  # the same thread count as fit: only the loop differs
        model.to(device)
        torch.manual_seed(seed)
        loader = DataLoader(TensorDataset(images, masks), batch_size=batch_size, shuffle=True)
        opt = (torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
               if optimizer == "sgdm" else torch.optim.Adam(model.parameters(), lr=lr))
        for _ in range(epochs):
            model.train()
            running = 0.0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                opt.zero_grad()
                value = loss(model(x), y)
                value.backward()
                opt.step()
                running += value.item() * len(x)


def conv_rate(device: torch.device, repeats: int) -> float:
    """FLOP/s (2 per MAC) of the forward 32->32 3x3 convolution on 64 images of 32x32,
    best of ``repeats``, at fit's thread count and memory format."""
    conv = torch.nn.Conv2d(32, 32, 3, padding=2, dilation=2).to(device)
    conv = conv.to(memory_format=torch.channels_last)
    x = torch.rand(64, 32, 32, 32, device=device).contiguous(memory_format=torch.channels_last)
    macs = 64 * 32 * 32 * 32 * 32 * 9
    best = float("inf")
    with cpu_threads(device), torch.no_grad():
        for _ in range(3):
            conv(x)
        for _ in range(max(5, repeats * 5)):
            best = min(best, _timed(lambda: conv(x), device))
    return 2 * macs / best


def floor_seconds(channels: int, images_seen: int, rate: float) -> float:
    """Forward + backward (3x forward) MACs of training, at ``rate`` FLOP/s."""
    macs = model_complexity(DilatedNet(channels=channels), (1, 1, 32, 32)).macs
    return 3 * 2 * macs * images_seen / rate


def step_breakdown(channels: int, batch_size: int, loss, optimizer: str, device, steps=20):
    """Milliseconds per step of each phase (each phase synchronised on CUDA)."""
    x, y = load_triangles("train")
    x, y = x[:batch_size].to(device), y[:batch_size].to(device)
    set_seed(0)
    net = DilatedNet(channels=channels).to(device).to(memory_format=torch.channels_last)
    opt = make_optimizer(optimizer, net, 1e-3, 0.9, 0.0, device)
    phases = ["forward", "loss with checks", "loss without checks", "backward", "optimizer",
              "host sync"]
    times = {p: [] for p in phases}
    with cpu_threads(device):
        for i in range(steps + 3):
            t: dict = {}
            t["forward"] = _timed(lambda t=t: t.setdefault("logits", net(x)), device)
            t["loss with checks"] = _timed(
                lambda t=t: t.setdefault("v", loss(t["logits"], y)), device)
            with value_checks_skipped():
                t["loss without checks"] = _timed(lambda t=t: loss(t["logits"], y), device)
            opt.zero_grad(set_to_none=True)
            t["backward"] = _timed(lambda t=t: t["v"].backward(), device)
            t["optimizer"] = _timed(opt.step, device)
            t["host sync"] = _timed(lambda t=t: float(t["v"].detach()), device)
            if i >= 3:
                for p in phases:
                    times[p].append(t[p])
    return {p: 1e3 * statistics.median(v) for p, v in times.items()}


def _rounds(variants: dict[str, Callable[[], object]], repeats: int, device) -> dict:
    """Wall and CPU seconds of each variant per round, ``{name: [(wall, cpu), ...]}``: the
    variants interleaved within a round, their order rotated from round to round, after
    one untimed warm-up round (kernel choice and caches for every batch shape)."""
    out = {k: [] for k in variants}
    names = list(variants)
    for name in names:
        variants[name]()
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            out[name].append(_timed2(variants[name], device))
    return out


def _ratio(times: dict, a: str, b: str, which: int) -> float:
    """Ratio of the fastest rounds (``which``: 0 wall, 1 CPU time): other jobs only add
    time, so the minimum is the least disturbed estimate."""
    return min(t[which] for t in times[a]) / min(t[which] for t in times[b])


def _ratios(times: dict, a: str, b: str) -> str:
    return (f"{_ratio(times, a, b, 1):.3f} in CPU time, {_ratio(times, a, b, 0):.3f} in "
            "wall time")


_ONE_FIT = """
import sys, time, torch
from seglearn.data import load_triangles
from seglearn.losses import cross_entropy_loss
from seglearn.models import DilatedNet
from seglearn.train import fit, set_seed
channels, epochs, batch, opt = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
x, y = load_triangles("train")
set_seed(0)
fit(DilatedNet(channels=channels), x, y, loss=cross_entropy_loss, epochs=1, batch_size=batch,
    lr=1e-2, optimizer=opt, progress=False, device="cpu")  # warm-up
start = time.perf_counter()
fit(DilatedNet(channels=channels), x, y, loss=cross_entropy_loss, epochs=epochs,
    batch_size=batch, lr=1e-2, optimizer=opt, progress=False, device="cpu")
print(time.perf_counter() - start)
"""


def thread_study(repeats: int, matlab_epochs: int) -> None:
    """Wall seconds of fit in fresh processes: one thread, and torch's default count with
    OpenMP's default (spinning) and passive wait policies (read at start-up only)."""
    threads = os.cpu_count() or 1
    settings = {"1 thread": {"SEGLEARN_NUM_THREADS": "1"},
                f"{threads} threads": {"SEGLEARN_NUM_THREADS": str(threads)},
                f"{threads} threads, PASSIVE": {"SEGLEARN_NUM_THREADS": str(threads),
                                                "OMP_WAIT_POLICY": "PASSIVE"}}
    for label, args in [("MATLAB recipe", ["32", str(matlab_epochs), "64", "sgdm"]),
                        ("small network", ["8", "20", "32", "adam"])]:
        times = {k: [] for k in settings}
        for r in range(repeats):
            for k in list(settings)[r % 3:] + list(settings)[:r % 3]:
                env = {key: v for key, v in os.environ.items()
                       if key not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
                env.update(settings[k])
                done = subprocess.run([sys.executable, "-c", _ONE_FIT, *args], env=env,
                                      capture_output=True, text=True, check=True)
                times[k].append(float(done.stdout.split()[-1]))
        base = min(times["1 thread"])
        print(f"  {label}: " + ", ".join(
            f"{k} {min(v):.2f} s ({min(v) / base:.2f}x)" for k, v in times.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of MATLAB's recipe")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="smoke test, figures meaningless")
    parser.add_argument("--threads-study", action="store_true",
                        help="also time thread counts and wait policies in fresh processes")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs = 1, 1
    device = torch.device(args.device)
    small = dict(SMALL, epochs=2) if args.quick else SMALL
    x, y = load_triangles("train")
    w = class_weights(count_each_label(y, ["background", "triangle"])).to(device)
    weighted_ce = partial(cross_entropy_loss, class_weights=w)
    matlab = dict(MATLAB_RECIPE, epochs=args.epochs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with cpu_threads(device):
        threads = torch.get_num_threads()
    print(f"torch {torch.__version__} on {device}, fit's threads {threads} (torch default "
          f"{torch.get_num_threads()}), load average {load:.1f}, {os.cpu_count()} CPUs seen")
    rate = conv_rate(device, args.repeats)
    print(f"convolution rate: {rate / 1e9:.1f} GFLOP/s (32->32 3x3, batch 64, 32x32)")

    def run(kind, channels, budget, loss):
        def go():
            set_seed(0)
            net = DilatedNet(channels=channels)
            if kind == "fit":
                fit(net, x, y, loss=loss, device=device, progress=False, **budget)
            else:
                (minimal_loop if kind == "minimal" else tutorial_loop)(
                    net, x, y, loss, device=device, **budget)
        return go

    rows = []
    for label, channels, budget, loss in [("MATLAB recipe", 32, matlab, weighted_ce),
                                          ("small network, CE", 8, small, cross_entropy_loss),
                                          ("small network, Dice", 8, small, dice_loss)]:
        times = _rounds({k: run(k, channels, budget, loss)
                         for k in ("fit", "minimal", "tutorial")}, args.repeats, device)
        seen = budget["epochs"] * len(x)
        fit_s = min(t[0] for t in times["fit"])
        fit_cpu = min(t[1] for t in times["fit"])
        floor = floor_seconds(channels, seen, rate)
        full = MATLAB_RECIPE["epochs"] / budget["epochs"] if channels == 32 else 1.0
        print(f"\n{label}: {budget['epochs']} epochs, {seen / fit_s:.0f} images/s with fit")
        for k, v in times.items():
            print(f"  {k:9s} wall " + " ".join(f"{w:6.2f}" for w, _ in v) + " s;  CPU "
                  + " ".join(f"{c:6.2f}" for _, c in v) + " s")
        print(f"  fit / minimal resident loop   {_ratios(times, 'fit', 'minimal')}")
        print(f"  fit / plain DataLoader loop   {_ratios(times, 'fit', 'tutorial')}")
        print(f"  arithmetic floor {floor * full:.2f} s per full run; fit "
              f"{fit_s * full:.2f} s wall = {fit_s / floor:.1f}x the floor, "
              f"{fit_cpu * full:.2f} s CPU = {fit_cpu / floor:.1f}x")
        rows.append((label, times, (fit_s * full, fit_cpu * full), floor * full))

    print("\nwhere one step goes (ms, median of 20 steps; share of the step)")
    for label, channels, batch, loss, opt in [
            ("MATLAB recipe", 32, 64, weighted_ce, "sgdm"),
            ("small network, Dice", 8, 32, dice_loss, "adam")]:
        ms = step_breakdown(channels, batch, loss, opt, device, steps=5 if args.quick else 20)
        step = sum(v for k, v in ms.items() if k != "loss without checks")
        print(f"  {label}: " + ", ".join(f"{k} {v:.2f} ({v / step:.0%})" for k, v in ms.items()))

    print("\nsettings (fit variants, interleaved rounds)")
    default_threads = torch.get_num_threads()
    for label, channels, budget, loss in [("MATLAB recipe", 32, matlab, weighted_ce),
                                          ("small network, CE", 8, small, cross_entropy_loss)]:
        variants = {"fit": run("fit", channels, budget, loss)}
        if device.type == "cpu" and default_threads > 1:
            def more_threads(go=variants["fit"]):
                os.environ["SEGLEARN_NUM_THREADS"] = str(default_threads)
                try:
                    go()
                finally:
                    del os.environ["SEGLEARN_NUM_THREADS"]
            variants[f"{default_threads} threads"] = more_threads
        variants["mixed precision"] = run("fit", channels, dict(budget, mixed_precision=True),
                                          loss)
        times = _rounds(variants, args.repeats, device)
        for k in variants:
            if k != "fit":  # threads: wall time is the point (spinning threads burn CPU)
                print(f"  {label}: fit with {k} / fit   {_ratios(times, k, 'fit')}")

    if args.threads_study and device.type == "cpu":
        print("\nthreads (fresh processes, fastest of the rounds, wall time)")
        thread_study(args.repeats, args.epochs)

    print("\ntargets (issue 17)                                   target   measured")
    for label, times, _, _ in rows:
        print(f"  {label:22s} fit / minimal resident loop   <= 1.05  "
              f"{_ratio(times, 'fit', 'minimal', 1):7.3f} CPU, "
              f"{_ratio(times, 'fit', 'minimal', 0):.3f} wall")
        print(f"  {label:22s} fit / plain DataLoader loop   <= 0.67  "
              f"{_ratio(times, 'fit', 'tutorial', 1):7.3f} CPU, "
              f"{_ratio(times, 'fit', 'tutorial', 0):.3f} wall")
    for label, _, full_s, floor in rows[1:]:
        print(f"  one small comparison training, {label[15:]:4s} (s)      <= 1    "
              f"{full_s[0]:7.2f} wall, {full_s[1]:.2f} CPU (floor {floor:.2f} s)")
    print(f"  MATLAB recipe, 100 epochs (s)                      -       {rows[0][2][0]:7.1f}"
          f" wall, {rows[0][2][1]:.1f} CPU (floor {rows[0][3]:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
