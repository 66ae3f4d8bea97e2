"""Input checks shared by the whole package (private).

Every public function that takes tensors validates them here, so that bad input fails
early with a message naming what was expected and what came (STYLE.md, habit 7).
"""

from __future__ import annotations

import contextlib
import contextvars
import operator
from collections.abc import Iterator

import torch
import torch.fx

__all__: list[str] = []  # private module

# Value checks (label range, finite logits) read tensor values back to the host: on a GPU
# each one is a synchronisation. `fit` validates its data once, then trains inside
# `value_checks_skipped()`; shape and dtype checks (free: no values read) always run.
_VALUE_CHECKS = contextvars.ContextVar("seglearn_value_checks", default=True)


@contextlib.contextmanager
def value_checks_skipped() -> Iterator[None]:
    """Within this block, the checks below skip every test that reads tensor values."""
    token = _VALUE_CHECKS.set(False)
    try:
        yield
    finally:
        _VALUE_CHECKS.reset(token)


def value_checks_enabled() -> bool:
    """False inside :func:`value_checks_skipped`."""
    return _VALUE_CHECKS.get()


def _describe(x: torch.Tensor) -> str:
    return f"{x.dtype} tensor of shape {tuple(x.shape)}"


def check_images(images: torch.Tensor, *, name: str = "images") -> None:
    """Images: floating tensor ``(N, C, H, W)`` (finiteness is a value check left to callers)."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(images).__name__}")
    if images.dim() != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got {_describe(images)}")
    if not images.is_floating_point():
        raise ValueError(f"{name} must be floating point in [0, 1], got {_describe(images)}")


#: The integer dtypes a label map may have; every computation converts to int64 first, so
#: that ``K * K`` bins and ``ignore_index=-100`` cannot overflow or wrap (a uint8 map holds
#: -100 as 156). uint64 is left out: its values above 2**63 - 1 have no int64 equivalent.
MASK_DTYPES = tuple(
    d for d in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
                getattr(torch, "uint16", None), getattr(torch, "uint32", None))
    if d is not None
)


def check_masks(
    masks: torch.Tensor,
    num_classes: int | None = None,
    *,
    ignore_index: int | None = None,
    name: str = "masks",
    ndim: int = 3,
) -> None:
    """Masks: integer ``(N, H, W)`` (or ``ndim`` dims) class indices in ``[0, num_classes)``.

    Any dtype of :data:`MASK_DTYPES` is accepted (uint8, int8, int16, int32, int64, and
    uint16/uint32 where torch has them); the range test runs in int64, so that an
    ``ignore_index`` of -100 never matches a uint8 value of 156. The value test (it reads
    values back from the device) is skipped inside :func:`value_checks_skipped`.

    Raises:
        TypeError: not a tensor, or ``ignore_index`` not an int.
        ValueError: wrong number of dimensions, a non-integer dtype (float, bool, complex,
            uint64), or a value outside ``[0, num_classes)`` other than ``ignore_index``.
    """
    if not isinstance(masks, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(masks).__name__}")
    if masks.dim() != ndim:
        shape = "(N, H, W)" if ndim == 3 else "(H, W)"
        hint = ""
        if masks.dim() == ndim + 1 and masks.shape[-3] == 1:
            hint = "; drop the channel dimension with masks.squeeze(-3)"
        elif masks.dim() == ndim + 1:
            hint = "; for logits or probabilities (N, K, H, W) take argmax(dim=1)"
        raise ValueError(f"{name} must have shape {shape}, got {_describe(masks)}{hint}")
    if masks.dtype not in MASK_DTYPES:
        raise ValueError(
            f"{name} must hold integer class indices (torch.int64 or another integer "
            f"dtype except uint64), got {_describe(masks)}; convert probabilities with "
            "argmax(dim=1) and label images with a class table"
        )
    if ignore_index is not None and (
        isinstance(ignore_index, bool) or not isinstance(ignore_index, int)
    ):
        raise TypeError(f"ignore_index must be an int or None, got {ignore_index!r}")
    if num_classes is not None and masks.numel() > 0 and value_checks_enabled():
        wide = masks.long()  # int64: no wrap-around in the comparison, min/max for every dtype
        valid = wide if ignore_index is None else wide[wide != ignore_index]
        if valid.numel() > 0:
            lo, hi = int(valid.min()), int(valid.max())
            if lo < 0 or hi >= num_classes:
                extra = "" if ignore_index is None else f" (or ignore_index={ignore_index})"
                raise ValueError(
                    f"{name} values must lie in [0, {num_classes}){extra}, "
                    f"found values in [{lo}, {hi}]"
                )


def check_logits_masks(
    logits: torch.Tensor,
    masks: torch.Tensor,
    *,
    ignore_index: int | None = None,
) -> None:
    """Logits ``(N, K, H, W)`` floating and finite; masks ``(N, H, W)`` int in ``[0, K)``.

    Raises:
        TypeError: an argument is not a tensor.
        ValueError: shape mismatch, float masks, labels outside ``[0, K)``, NaN or
            infinite logits.
    """
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if logits.dim() != 4:
        raise ValueError(
            f"logits must have shape (N, K, H, W) (unnormalised scores, one channel per "
            f"class), got {_describe(logits)}"
        )
    if not logits.is_floating_point():
        raise ValueError(f"logits must be floating point, got {_describe(logits)}")
    if logits.shape[1] < 2:
        raise ValueError(
            f"logits need K >= 2 class channels (background included), got {_describe(logits)}"
        )
    check_masks(masks, logits.shape[1], ignore_index=ignore_index)
    n, _, h, w = logits.shape
    if tuple(masks.shape) != (n, h, w):
        raise ValueError(
            f"masks must have shape (N, H, W) = {(n, h, w)} to match logits "
            f"{tuple(logits.shape)}, got {tuple(masks.shape)}"
        )
    if value_checks_enabled() and not torch.isfinite(logits).all():
        raise ValueError("logits contain NaN or infinite values")


def check_num_classes(num_classes: int) -> int:
    """K: a positive integer (Python or NumPy int; not a bool, not a float), as an int."""
    try:
        k = None if isinstance(num_classes, bool) else operator.index(num_classes)
    except TypeError:
        k = None
    if k is None or k < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    return k


def check_label_maps(preds: torch.Tensor, masks: torch.Tensor, num_classes: int) -> None:
    """Predicted and true label maps: integer ``(N, H, W)``, same shape and device, in ``[0, K)``.

    The two may have different integer dtypes (e.g. uint8 truth read from PNG files and
    int64 predictions); callers compute in int64.
    """
    check_masks(preds, num_classes, name="preds")
    check_masks(masks, num_classes, name="masks")
    if preds.shape != masks.shape:
        raise ValueError(
            f"preds and masks must have the same shape, got {tuple(preds.shape)} "
            f"and {tuple(masks.shape)}"
        )
    if preds.device != masks.device:
        raise ValueError(
            f"preds and masks must be on the same device, got {preds.device} and {masks.device}"
        )


def check_model_input(x: torch.Tensor, in_channels: int, divisor: int, what: str) -> None:
    """Images ``(N, in_channels, H, W)`` float with H and W divisible by ``divisor``.

    Skipped while ``torch.fx`` traces the model (symbolic input, no values), so that tools
    such as :mod:`seglearn.receptive_field` can trace the book's networks.
    """
    if isinstance(x, torch.fx.Proxy):
        return
    check_images(x)
    if x.shape[1] != in_channels:
        raise ValueError(
            f"{what} was built for in_channels={in_channels}, got images of shape "
            f"{tuple(x.shape)}"
        )
    h, w = x.shape[2], x.shape[3]
    if h % divisor or w % divisor or h == 0 or w == 0:
        raise ValueError(
            f"{what} needs H and W divisible by {divisor}, got H={h}, W={w} "
            f"(images of shape {tuple(x.shape)}); pad or crop the images"
        )


def check_positive_int(name: str, value: int) -> None:
    """A positive integer (``2.0`` passes as 2; ``0``, ``-1``, ``1.5`` raise ValueError)."""
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
