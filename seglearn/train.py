"""Training and prediction: device choice, seeding, :func:`fit`, :func:`segment`.

Taught in the chapter *Semantic segmentation with dilated convolutions* and used by every
chapter that trains. The data sets of the book are small, so :func:`fit` keeps the whole
training set on the device and draws shuffled mini-batches by indexing, instead of a
``DataLoader`` that copies each batch (``benchmarks/bench_fit.py`` measures the difference).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from ._checks import check_images, check_masks

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


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """The device to compute on.

    Order: the ``device`` argument; else the ``SEGLEARN_DEVICE`` environment variable (e.g.
    ``cpu`` to force the CPU on a GPU machine); else CUDA, else Apple MPS, else CPU.
    """
    if device is None:
        device = os.environ.get("SEGLEARN_DEVICE") or None
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class History:
    """What :func:`fit` recorded, one entry per epoch.

    Attributes:
        loss: mean training loss over the epoch's mini-batches.
        val_mean_iou: MeanIoU on the validation data after the epoch (empty without it).
        seconds: wall-clock time of each epoch, validation included.
        device: the device trained on (for printing; never compare it).
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
        last = f"final loss {self.loss[-1]:.4f}" if self.loss else "not trained"
        iou = f", val MeanIoU {self.val_mean_iou[-1]:.4f}" if self.val_mean_iou else ""
        return (f"History({self.epochs} epochs on {self.device}, {last}{iou}, "
                f"{self.total_seconds:.1f} s)")


def _make_optimizer(
    name: str, params, lr: float, momentum: float, weight_decay: float
) -> torch.optim.Optimizer:
    if name == "sgdm":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgdm', 'adam' or 'adamw', got {name!r}")


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
    val_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    device: str | torch.device | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train ``model`` in place on ``(images, masks)`` and return the :class:`History`.

    Args:
        model: maps ``(N, C, H, W)`` images to ``(N, K, H, W)`` logits.
        images: float32 ``(N, C, H, W)`` in [0, 1].
        masks: int64 ``(N, H, W)`` class indices.
        loss: ``loss(logits, masks) -> scalar``, e.g. ``seglearn.losses.cross_entropy_loss``
            wrapped with its settings, or an ``nn.Module`` loss.
        epochs: passes over the training set.
        batch_size: images per mini-batch (the last batch of an epoch may be smaller).
        lr: learning rate; ``optimizer``: ``"sgdm"`` (SGD with ``momentum``, MATLAB's
            ``"sgdm"``), ``"adam"`` or ``"adamw"``.
        lr_drop_period, lr_drop_factor: MATLAB's piecewise schedule: multiply the rate by
            ``lr_drop_factor`` every ``lr_drop_period`` epochs (``None``: constant rate).
        augment: random flips and right-angle rotations of every batch
            (:func:`~seglearn.data.augment_pair`).
        val_data: ``(images, masks)`` scored with MeanIoU after every epoch.
        device: see :func:`choose_device`; the model is moved there and stays there.
        seed: seeds the shuffling and augmentation (initialise the model yourself, after
            :func:`set_seed`). Results repeat on one machine; CUDA kernels may differ slightly.
        progress: show a progress bar (``tqdm.auto``: a widget in notebooks, text in
            terminals); ``TQDM_DISABLE=1`` also silences it.

    Raises:
        ValueError: bad shapes or labels (checked once, up front), ``epochs < 1``.
    """
    from tqdm.auto import tqdm

    from .data import augment_pair

    check_images(images)
    check_masks(masks)
    if images.shape[0] != masks.shape[0] or images.shape[2:] != masks.shape[1:]:
        raise ValueError(
            f"images {tuple(images.shape)} and masks {tuple(masks.shape)} must agree on N, H, W"
        )
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs}, {batch_size}")
    dev = choose_device(device)
    model.to(dev)
    x_all, y_all = images.to(dev), masks.to(dev)
    opt = _make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    sched = (torch.optim.lr_scheduler.StepLR(opt, lr_drop_period, lr_drop_factor)
             if lr_drop_period else None)
    gen = torch.Generator().manual_seed(seed)
    hist = History(device=str(dev))
    n = x_all.shape[0]
    # tqdm's notebook bar ignores TQDM_DISABLE, so the variable is read here
    quiet = not progress or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true")
    bar = tqdm(range(epochs), desc="epochs", leave=False, disable=quiet)
    for _ in bar:
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=gen).to(dev)
        total, seen = 0.0, 0
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            x, y = x_all[idx], y_all[idx]
            if augment:
                x, y = augment_pair(x, y, generator=gen)
            opt.zero_grad(set_to_none=True)
            value = loss(model(x), y)
            value.backward()
            opt.step()
            total += float(value.detach()) * len(idx)
            seen += len(idx)
        if sched is not None:
            sched.step()
        hist.loss.append(total / seen)
        if val_data is not None:
            hist.val_mean_iou.append(_mean_iou(model, *val_data, device=dev))
        hist.seconds.append(time.perf_counter() - start)
        post = {"loss": f"{hist.loss[-1]:.4f}"}
        if hist.val_mean_iou:
            post["val_mIoU"] = f"{hist.val_mean_iou[-1]:.4f}"
        bar.set_postfix(post)
    bar.close()
    model.eval()
    return hist


def _mean_iou(model: nn.Module, images: torch.Tensor, masks: torch.Tensor, device) -> float:
    from .metrics import evaluate_semantic_segmentation

    preds = segment(model, images, device=device)
    num_classes = _num_classes(model, images[:1], device)
    res = evaluate_semantic_segmentation(preds, masks, num_classes=num_classes, bf_score=False)
    return float(res.mean_iou)


def _num_classes(model: nn.Module, sample: torch.Tensor, device) -> int:
    with torch.no_grad():
        was_training = model.training
        model.eval()
        k = model(sample.to(device)).shape[1]
        model.train(was_training)
    return int(k)


@torch.no_grad()
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
        model: the trained network (put in eval mode for the call, then restored).
        images: float ``(N, C, H, W)``, or one image ``(C, H, W)``.
        batch_size: images per forward pass.
        return_scores: also return the softmax probabilities.
        device: see :func:`choose_device`; defaults to the model's own device.

    Returns:
        masks int64 ``(N, H, W)`` on the CPU (``(H, W)`` for one image); with
        ``return_scores``, also float32 scores ``(N, K, H, W)`` (``(K, H, W)``) in [0, 1].
    """
    single = images.dim() == 3
    if single:
        images = images[None]
    check_images(images)
    if device is None:
        p = next(model.parameters(), None)
        dev = p.device if p is not None else choose_device()
    else:
        dev = choose_device(device)
    was_training = model.training
    model.eval()
    labels, scores = [], []
    for i in range(0, images.shape[0], batch_size):
        logits = model(images[i:i + batch_size].to(dev))
        labels.append(logits.argmax(1).cpu())
        if return_scores:
            scores.append(logits.softmax(1).float().cpu())
    model.train(was_training)
    out = torch.cat(labels)
    if return_scores:
        sc = torch.cat(scores)
        return (out[0], sc[0]) if single else (out, sc)
    return out[0] if single else out
