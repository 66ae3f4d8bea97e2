"""The private pieces of :mod:`seglearn.train`: argument checks, CPU threads, module modes,
the optimizer and mixed precision.

Kept apart so that ``train.py`` reads as the training loop it teaches; nothing here is
public (import from :mod:`seglearn.train`).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
from collections.abc import Iterator

import torch
from torch import nn

from ._checks import check_images, check_masks

__all__: list[str] = []  # private module

#: Environment variable: intra-op threads :func:`seglearn.train.fit` and ``segment`` use on
#: the CPU (default 1, see :func:`cpu_threads`).
THREADS_VARIABLE = "SEGLEARN_NUM_THREADS"

#: The label PyTorch's and seglearn's losses ignore by default (``ignore_index=-100``);
#: ``fit`` accepts it in masks besides the classes ``[0, K)``.
IGNORE_INDEX = -100


def check_int(name: str, value: object, low: int) -> int:
    """An integer ``>= low`` (``bool`` and ``2.5`` refused, NumPy integers accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def check_real(name: str, value: object, *, low: float, high: float = math.inf,
               low_open: bool = False) -> float:
    """A finite real number in ``[low, high)`` (``(low, high)`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v) or v < low or (low_open and v == low) or v >= high:
        side = "(" if low_open else "["
        raise ValueError(f"{name} must be finite and in {side}{low}, {high}), got {value!r}")
    return v


def check_data(images: object, masks: object, name: str) -> tuple[int, int]:
    """Shapes, dtypes, a non-empty set and finite images; returns ``(N, C)``.

    ``name`` says which data the message is about (``"images"`` and ``"masks"`` for the
    training data, ``"val_data images"`` and ``"val_data masks"`` for the validation data).
    """
    prefix = "" if name == "train" else f"{name} "
    check_images(images, name=f"{prefix}images")
    check_masks(masks, name=f"{prefix}masks")
    if images.shape[0] != masks.shape[0] or images.shape[2:] != masks.shape[1:]:
        raise ValueError(f"{prefix}images {tuple(images.shape)} and {prefix}masks "
                         f"{tuple(masks.shape)} must agree on N, H, W")
    if images.shape[0] == 0:
        raise ValueError(f"{prefix}images is empty: shape {tuple(images.shape)} (N = 0)")
    check_finite(images, f"{prefix}images")
    return images.shape[0], images.shape[1]


def check_val_data(val_data: object, channels: int) -> None:
    """``val_data``: a pair ``(images, masks)`` as :func:`check_data` wants, ``channels``."""
    if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
        raise TypeError(f"val_data must be a pair (images, masks), got "
                        f"{type(val_data).__name__}")
    if check_data(*val_data, "val_data")[1] != channels:
        raise ValueError(f"val_data images have {val_data[0].shape[1]} channels, the "
                         f"training images {channels}")


def check_finite(images: torch.Tensor, name: str) -> None:
    """No NaN or infinity (one read back from the device)."""
    if not bool(torch.isfinite(images).all()):
        bad = int((~torch.isfinite(images)).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite values")


def check_labels(masks: torch.Tensor, num_classes: int, name: str) -> None:
    """Values in ``[0, K)`` or the losses' default ignore label -100."""
    check_masks(masks, num_classes, ignore_index=IGNORE_INDEX, name=name)


def cpu_threads_wanted() -> int:
    """Threads to train with on the CPU: ``$SEGLEARN_NUM_THREADS``, else 1.

    One thread, because the book's networks are too small to share between threads, and on
    a machine with another busy process OpenMP's spinning threads fight it: on the 2-core
    CPU with other jobs running, two threads made training 3-20x slower than one
    (``benchmarks/bench_fit.py`` measures it). A fixed count also keeps results the same on
    machines with different core counts.
    """
    raw = os.environ.get(THREADS_VARIABLE, "").strip()
    if not raw:
        return 1
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"the {THREADS_VARIABLE} environment variable must be a positive "
                         f"integer (threads on the CPU), got {raw!r}")
    return n


@contextlib.contextmanager
def cpu_threads(device: torch.device) -> Iterator[None]:
    """On the CPU, run the block with :func:`cpu_threads_wanted` threads, then restore."""
    if device.type != "cpu":
        yield
        return
    wanted, before = cpu_threads_wanted(), torch.get_num_threads()
    if wanted != before:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != before:
            torch.set_num_threads(before)


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode for the block; afterwards every submodule gets its own flag back (a
    BatchNorm the caller froze stays frozen), also when the block raises."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, training in flags:
            m.training = training


def frozen_modules(model: nn.Module) -> list[nn.Module]:
    """Submodules the caller put in eval mode inside a model in training mode."""
    if not model.training:
        return []
    return [m for m in model.modules() if not m.training]


def train_mode(model: nn.Module, frozen: list[nn.Module]) -> None:
    """Training mode, except the modules the caller froze."""
    model.train()
    for m in frozen:
        m.eval()


def parse_device(device: str | torch.device, what: str) -> torch.device:
    """``torch.device(device)``, checked to exist here; ``what`` names the source."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{what} must name a torch device such as 'cpu', 'cuda', "
                         f"'cuda:1' or 'mps', got {device!r}") from None
    mps = getattr(torch.backends, "mps", None)
    missing = ((dev.type == "cuda" and not torch.cuda.is_available())
               or (dev.type == "mps" and not (mps is not None and mps.is_available())))
    if missing or (dev.type == "cuda" and dev.index is not None
                   and dev.index >= torch.cuda.device_count()):
        raise ValueError(f"{what} asks for {str(dev)!r}, which this machine does not "
                         f"have (torch {torch.__version__}); use 'cpu'")
    return dev


def check_finite_losses(per_step: torch.Tensor, epoch: int, epochs: int, lr: float,
                         optimizer: str) -> None:
    """A :class:`FloatingPointError` naming the first step whose loss is not finite."""
    bad = (~torch.isfinite(per_step)).nonzero()
    if len(bad):
        step = int(bad[0, 0])
        raise FloatingPointError(
            f"training diverged: the loss became {float(per_step[step])} at epoch {epoch} "
            f"of {epochs}, step {step + 1} of {len(per_step)} (lr={lr:g}, optimizer "
            f"{optimizer!r}); try a smaller lr, and check the loss and the data")


def float_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's first floating parameter (float32 without one)."""
    p = next((p for p in model.parameters() if p.is_floating_point()), None)
    return torch.float32 if p is None else p.dtype


def num_classes_of(model: nn.Module, sample: torch.Tensor) -> int:
    """K from one image's logits, checking they are ``(1, K, H, W)`` at its resolution.

    Runs where the model is, in eval mode without gradients (no state changes)."""
    p = next(model.parameters(), None)
    if p is not None:
        sample = sample.to(p.device, float_dtype(model))
    with torch.no_grad(), eval_mode(model):
        logits = model(sample)
    h, w = sample.shape[2:]
    if (not isinstance(logits, torch.Tensor) or logits.dim() != 4 or logits.shape[0] != 1
            or tuple(logits.shape[2:]) != (h, w) or logits.shape[1] < 2):
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"model must return logits (N, K, H, W) with K >= 2 at the input's "
                         f"resolution: for one image {tuple(sample.shape)} it returned {got}")
    return int(logits.shape[1])


def mean_iou(model: nn.Module, images: torch.Tensor, masks: torch.Tensor, num_classes: int,
              device: torch.device) -> float:
    """MeanIoU of the model's predictions (``fit``'s validation score)."""
    from .metrics import evaluate_semantic_segmentation

    preds = predict(model, images, 256, False, device)[0].cpu()
    res = evaluate_semantic_segmentation(preds, masks.cpu(), num_classes=num_classes,
                                         bf_score=False)
    return float(res.mean_iou)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int, return_scores: bool,
            device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Labels (and scores) on ``device``, in eval mode; the caller checked the input."""
    labels, scores = [], []
    with eval_mode(model):
        for i in range(0, images.shape[0], batch_size):
            logits = model(images[i:i + batch_size].to(device))  # (B, K, H, W)
            labels.append(logits.argmax(1))
            if return_scores:
                scores.append(logits.float().softmax(1))
    return torch.cat(labels), (torch.cat(scores) if return_scores else None)


OPTIMIZERS = ("sgdm", "adam", "adamw")


def make_optimizer(name: str, model: nn.Module, lr: float, momentum: float,
                   weight_decay: float, device: torch.device) -> torch.optim.Optimizer:
    """PyTorch's fused implementation where this torch and device have one (fastest on
    the CPU and CUDA), else its default."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters (all have requires_grad=False)")
    cls = {"sgdm": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name]
    kwargs = {"lr": lr, "weight_decay": weight_decay}
    if name == "sgdm":
        kwargs["momentum"] = momentum
    if device.type in ("cpu", "cuda"):
        try:
            return cls(params, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):  # older torch: no fused CPU kernels
            pass
    return cls(params, **kwargs)


def autocast_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on the CPU and on GPUs that have it natively, else float16 (with a
    gradient scaler, see :func:`grad_scaler`)."""
    if device.type == "cpu":
        return torch.bfloat16
    if device.type == "cuda":
        try:
            native = torch.cuda.is_bf16_supported(including_emulation=False)
        except TypeError:  # torch < 2.3
            native = torch.cuda.is_bf16_supported()
        return torch.bfloat16 if native else torch.float16
    raise ValueError(f"mixed_precision=True needs a CPU or CUDA device, got {device}")


def autocast(device: torch.device, dtype: torch.dtype | None):
    """``torch.autocast`` to ``dtype``; no context at all for ``None`` (any device)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype)


def grad_scaler(device: torch.device, dtype: torch.dtype):
    """A gradient scaler for float16 training on CUDA, else None."""
    if dtype != torch.float16:
        return None
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        return amp.GradScaler(device.type)
    return torch.cuda.amp.GradScaler()  # torch < 2.3


@contextlib.contextmanager
def seeded_global_rng(seed: int, device: torch.device, on: bool) -> Iterator[None]:
    """If ``on``, torch's global generators seeded with ``seed`` for the block, then the
    CPU's and the training device's restored (``transforms.v2`` draws from the CPU's)."""
    cuda = []
    if on and device.type == "cuda":
        cuda = [torch.cuda.current_device() if device.index is None else device.index]
    with torch.random.fork_rng(devices=cuda, enabled=on):
        if on:
            torch.manual_seed(seed)
        yield


def checked_transform(transform, x: torch.Tensor, y: torch.Tensor,
                      first: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``transform(x, y)``, its output checked on the first step (as the training data)."""
    out = transform(x, y)
    if first:
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError(f"transform must return a pair (images, masks), got {out!r}")
        channels, devices = check_data(*out, "transformed")[1], {out[0].device, out[1].device}
        if channels != x.shape[1] or devices != {x.device}:
            raise ValueError(f"transform must keep the {x.shape[1]} channels and the device "
                             f"{x.device}, got {tuple(out[0].shape)} on {devices}")
    return out[0], out[1]


def check_loss_value(value: object) -> None:
    """The loss returned a scalar tensor attached to the graph (checked on the first step;
    shape and flags only, no values read)."""
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else repr(value)
        raise ValueError(f"loss must return a scalar tensor, got {got}")
    if not value.requires_grad:
        raise ValueError("loss returned a tensor without gradient: it must be computed from "
                         "the logits with differentiable torch operations")
