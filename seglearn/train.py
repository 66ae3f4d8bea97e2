"""Training and prediction: device choice, seeding, :func:`fit`, :func:`segment`.

Used by every chapter that trains. The book's data sets are small, so :func:`fit` keeps the
whole training set on the device and draws shuffled mini-batches by indexing, instead of a
``DataLoader`` that copies each batch. It validates everything once, up front, then trains
without reading a value back from the device inside an epoch (on a GPU each read is a
synchronisation that stalls the queue of small kernels): the losses' value checks are
skipped (:func:`seglearn._checks.value_checks_skipped`) and the losses of an epoch are read
once, at its end, which is also where a NaN or infinite loss is caught. Benchmarks against a
minimal loop and a tutorial loop: ``benchmarks/bench_fit.py``.
Chapters: book/dilated_segmentation, book/augmentation
"""

from __future__ import annotations

import functools
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from . import _training as T
from ._checks import check_images, value_checks_skipped

__all__ = ["MATLAB_RECIPE", "choose_device", "set_seed", "History", "fit", "segment"]

#: The training budget of MATLAB's dilated-convolution example as the book runs it, shared
#: by every chapter that compares losses on equal terms:
#: ``fit(model, x, y, loss=..., **MATLAB_RECIPE)``.
#: SGD with momentum 0.9, mini-batches of 64, 100 epochs (seed ``000``). The published text
#: is cut before the learning rate; 1e-2 is ours (1e-3 leaves this network under-trained
#: after its 400 iterations; chapter *Semantic segmentation with dilated convolutions*).
MATLAB_RECIPE = MappingProxyType(
    {"optimizer": "sgdm", "lr": 1e-2, "momentum": 0.9, "batch_size": 64, "epochs": 100}
)

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
PairFn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """The device to compute on.

    Order: the ``device`` argument; else the ``SEGLEARN_DEVICE`` environment variable (e.g.
    ``cpu`` to force the CPU on a GPU machine); else CUDA, else Apple MPS, else CPU.

    Raises:
        ValueError: ``device`` or ``SEGLEARN_DEVICE`` (named in the message) is not a
            torch device string, or asks for CUDA or MPS where there is none.

    Chapter: book/dilated_segmentation
    """
    if device is not None:
        return T.parse_device(device, "device")
    env = os.environ.get("SEGLEARN_DEVICE", "").strip()
    if env:
        return T.parse_device(env, "the SEGLEARN_DEVICE environment variable")
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators.

    Chapter: book/dilated_segmentation
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class History:
    """What :func:`fit` recorded, one entry per epoch.

    Attributes:
        loss: mean training loss over the epoch's mini-batches (weighted by batch size).
        val_mean_iou: MeanIoU on the validation data after the epoch (empty without it).
        seconds: wall-clock time of each epoch, validation included.
        device: the device trained on (for printing; never compare it).

    Chapter: book/dilated_segmentation
    """

    loss: list[float] = field(default_factory=list)
    val_mean_iou: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    device: str = "cpu"

    @property
    def epochs(self) -> int:
        return len(self.loss)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds))

    def __str__(self) -> str:
        """One line: epochs, last epoch's loss and val MeanIoU, time (device if not CPU)."""
        last = f"loss {self.loss[-1]:.4f}" if self.loss else "not trained"
        iou = f", val MeanIoU {self.val_mean_iou[-1]:.4f}" if self.val_mean_iou else ""
        where = "" if self.device == "cpu" else f" on {self.device}"
        return f"{self.epochs} epochs, {last}{iou}, {self.total_seconds:.1f} s{where}"


def fit(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    loss: LossFn,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    optimizer: str = "adam",
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    lr_drop_period: int | None = None,
    lr_drop_factor: float = 0.1,
    augment: bool = False,
    transform: PairFn | None = None,
    val_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    device: str | torch.device | None = None,
    seed: int = 0,
    progress: bool = True,
    mixed_precision: bool = False,
) -> History:
    """Train ``model`` in place on ``(images, masks)`` and return the :class:`History`.

    Args:
        model: maps ``(N, C, H, W)`` images to ``(N, K, H, W)`` logits. Submodules the
            caller put in eval mode (a frozen BatchNorm) stay in eval mode while it trains;
            afterwards the whole model is in eval mode.
        images: float ``(N, C, H, W)``, finite, N >= 1 (values in [0, 1] by the contract).
        masks: integer ``(N, H, W)`` class indices in ``[0, K)``; -100 marks pixels the
            losses ignore (their default ``ignore_index``).
        loss: ``loss(logits, masks) -> scalar``, e.g. ``seglearn.losses.cross_entropy_loss``
            wrapped with its settings, or an ``nn.Module`` loss. Its value checks are
            skipped while training: the data were validated once, up front.
        epochs: passes over the training set (an integer >= 1).
        batch_size: images per mini-batch (the last batch of an epoch may be smaller).
        lr: learning rate; ``optimizer``: ``"sgdm"`` (SGD with ``momentum``, MATLAB's
            ``"sgdm"``), ``"adam"`` or ``"adamw"`` (PyTorch's fused implementations).
        lr_drop_period, lr_drop_factor: MATLAB's piecewise schedule: multiply the rate by
            ``lr_drop_factor`` every ``lr_drop_period`` epochs (``None``: constant rate).
        augment: random flips and right-angle rotations of every batch, drawn from the
            ``seed`` (:func:`~seglearn.data.augment_pair`): short for such a ``transform``.
        transform: ``transform(images, masks) -> (images, masks)`` applied to each batch on
            the device, e.g. a :class:`seglearn.augment.JointTransform`; torch's global
            generator, which v2 draws from, is seeded with ``seed`` and restored after.
        val_data: ``(images, masks)`` scored with MeanIoU after every epoch.
        device: see :func:`choose_device`; the model is moved there and stays there. On
            the CPU and CUDA it is also put in channels-last memory format (faster
            convolutions; 0.6-0.8x the step time measured on the CPU).
        seed: seeds the shuffling and augmentation (initialise the model yourself, after
            :func:`set_seed`). Results repeat on one machine; CUDA kernels may differ slightly.
        progress: show a progress bar (``tqdm.auto``: a widget in notebooks, text in
            terminals); ``TQDM_DISABLE=1`` also silences it.
        mixed_precision: compute the forward pass under ``torch.autocast`` (bfloat16, or
            float16 with gradient scaling on GPUs without bfloat16); off by default: on
            CPUs without bfloat16 units it is slower (benchmarks/bench_fit.py).

    On the CPU, training uses one thread, or ``$SEGLEARN_NUM_THREADS``: the book's networks
    gain little from more, and two threads next to another busy process ran 3-20x slower.

    Raises:
        TypeError: a tensor argument that is not a tensor, a non-integer ``epochs``,
            ``batch_size`` or ``lr_drop_period`` (e.g. ``epochs=2.5``).
        ValueError: bad shapes, dtypes, labels outside ``[0, K)``, NaN images, empty data,
            bad settings, in the training data or in ``val_data`` (named), all checked
            before the first step (a ``transform``'s output: on the first step), a bad
            ``SEGLEARN_DEVICE`` or ``SEGLEARN_NUM_THREADS``.
        FloatingPointError: the loss became NaN or infinite (the message names the epoch
            and the step); checked at the end of each epoch.

    Chapter: book/dilated_segmentation
    """
    from tqdm.auto import tqdm

    from .data import augment_pair

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a callable loss(logits, masks), got {loss!r}")
    if transform is not None and (augment or not callable(transform)):
        raise ValueError(f"transform must be a callable (images, masks) -> (images, masks), "
                         f"without augment=True; got {transform!r}, augment={augment}")
    epochs, batch_size, seed, lr_drop_period = (
        T.check_int("epochs", epochs, 1), T.check_int("batch_size", batch_size, 1),
        T.check_int("seed", seed, -(2**63)),
        None if lr_drop_period is None else T.check_int("lr_drop_period", lr_drop_period, 1))
    lr, momentum, weight_decay, lr_drop_factor = (
        T.check_real("lr", lr, low=0.0, low_open=True),
        T.check_real("momentum", momentum, low=0.0, high=1.0),
        T.check_real("weight_decay", weight_decay, low=0.0),
        T.check_real("lr_drop_factor", lr_drop_factor, low=0.0, low_open=True))
    if optimizer not in T.OPTIMIZERS:
        raise ValueError(f"optimizer must be 'sgdm', 'adam' or 'adamw', got {optimizer!r}")
    n, channels = T.check_data(images, masks, "train")
    if val_data is not None:
        T.check_val_data(val_data, channels)
    dev = choose_device(device)
    amp_dtype = T.autocast_dtype(dev) if mixed_precision else None
    quiet = not progress or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true")
    with T.cpu_threads(dev):
        num_classes = T.num_classes_of(model, images[:1])  # on the model's device, as it is
        T.check_labels(masks, num_classes, "masks")
        if val_data is not None:
            T.check_labels(val_data[1], num_classes, "val_data masks")
        frozen = T.frozen_modules(model)
        model.to(dev)
        if dev.type in ("cpu", "cuda"):
            model.to(memory_format=torch.channels_last)
        x_all, y_all = images.to(dev, T.float_dtype(model)), masks.to(dev, torch.int64)
        opt = T.make_optimizer(optimizer, model, lr, momentum, weight_decay, dev)
        sched = (torch.optim.lr_scheduler.StepLR(opt, lr_drop_period, lr_drop_factor)
                 if lr_drop_period else None)
        scaler = T.grad_scaler(dev, amp_dtype)
        gen = torch.Generator().manual_seed(seed)
        if augment:  # the package's own flips and rotations, drawn from gen
            transform = functools.partial(augment_pair, generator=gen)
        hist = History(device=str(dev))
        sizes = torch.tensor([min(batch_size, n - i) for i in range(0, n, batch_size)],
                             dtype=torch.float64)
        bar = tqdm(range(1, epochs + 1), desc="epochs", leave=False, disable=quiet)
        with value_checks_skipped(), T.seeded_global_rng(seed, dev, transform is not None):
            for epoch in bar:
                start = time.perf_counter()
                T.train_mode(model, frozen)
                order = torch.randperm(n, generator=gen).to(dev)
                values = []
                for i in range(0, n, batch_size):
                    idx = order[i:i + batch_size]
                    x, y = x_all[idx], y_all[idx]
                    if transform is not None:
                        x, y = T.checked_transform(transform, x, y, not values and epoch == 1)
                    opt.zero_grad(set_to_none=True)
                    with T.autocast(dev, amp_dtype):
                        value = loss(model(x), y)
                    if not values and epoch == 1:
                        T.check_loss_value(value)
                    if scaler is None:
                        value.backward()
                        opt.step()
                    else:
                        scaler.scale(value).backward()
                        scaler.step(opt)
                        scaler.update()
                    values.append(value.detach().reshape(()))
                # the epoch's one read from the device: every step's loss at once
                per_step = torch.stack(values).cpu().double()
                T.check_finite_losses(per_step, epoch, epochs, lr, optimizer)
                if sched is not None:
                    sched.step()
                hist.loss.append(float((per_step * sizes).sum()) / n)
                if val_data is not None:
                    hist.val_mean_iou.append(T.mean_iou(model, *val_data, num_classes, dev))
                hist.seconds.append(time.perf_counter() - start)
                post = {"loss": f"{hist.loss[-1]:.4f}"}
                if hist.val_mean_iou:
                    post["val_mIoU"] = f"{hist.val_mean_iou[-1]:.4f}"
                bar.set_postfix(post)
        bar.close()
    model.eval()
    return hist


def segment(
    model: nn.Module,
    images: torch.Tensor,
    *,
    batch_size: int = 256,
    return_scores: bool = False,
    device: str | torch.device | None = None,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Label every pixel, like MATLAB's ``semanticseg``.

    Args:
        model: the trained network. It runs in eval mode; afterwards every submodule has
            its own training flag back (a frozen BatchNorm stays frozen), also on error.
        images: float ``(N, C, H, W)`` with N >= 1, or one image ``(C, H, W)``; finite.
        batch_size: images per forward pass (an integer >= 1).
        return_scores: also return the softmax probabilities.
        device: see :func:`choose_device`; defaults to the model's own device. Everything
            stays there until the results are copied to the CPU, once.

    Returns:
        masks int64 ``(N, H, W)`` on the CPU (``(H, W)`` for one image); with
        ``return_scores``, also float32 scores ``(N, K, H, W)`` (``(K, H, W)``) in [0, 1].

    Raises:
        TypeError: ``images`` not a tensor, ``batch_size`` not an integer.
        ValueError: wrong shape or dtype, no images, NaN or infinite values.

    Chapter: book/dilated_segmentation
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batch_size = T.check_int("batch_size", batch_size, 1)
    single = isinstance(images, torch.Tensor) and images.dim() == 3
    if single:
        images = images[None]
    check_images(images)
    if images.shape[0] == 0:
        raise ValueError(f"images is empty: shape {tuple(images.shape)} (N = 0)")
    T.check_finite(images, "images")
    if device is None:
        p = next(model.parameters(), None)
        dev = p.device if p is not None else choose_device()
    else:
        dev = choose_device(device)
    with T.cpu_threads(dev):
        out, sc = T.predict(model, images, batch_size, return_scores, dev)
    out = out.cpu()
    if return_scores:
        sc = sc.cpu()
        return (out[0], sc[0]) if single else (out, sc)
    return out[0] if single else out
