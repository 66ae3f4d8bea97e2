"""Receptive fields: layer arithmetic, per-layer tables and the effective receptive field.

Taught in the chapter *Receptive fields and dilation* (and used by *Semantic segmentation
with dilated convolutions* to explain MATLAB's network, seed ``000``).

- :func:`receptive_field` and :func:`receptive_field_table` walk a model (or a list of
  layer specs) and apply the recurrence, with ``J`` the jump (input pixels between two
  adjacent outputs) and ``k_eff = d (k - 1) + 1`` the effective kernel::

      RF_l = RF_{l-1} + (k_l - 1) d_l J_{l-1},      J_l = J_{l-1} s_l,      RF_0 = J_0 = 1.

- :func:`effective_receptive_field` measures how much each input pixel really moves the
  central output (Luo et al. 2016).
- which offsets a stack of dilated convolutions reaches (gridding, the HDC rule) is the
  concept of its own module, :mod:`seglearn.coverage`.

References:
    Dumoulin & Visin, "A guide to convolution arithmetic for deep learning", 2016.
    Araujo, Norris & Sim, "Computing receptive fields of convolutional neural networks",
    Distill, 2019.
    Luo, Li, Urtasun & Zemel, "Understanding the effective receptive field in deep
    convolutional neural networks", NeurIPS 2016.

Chapter: book/receptive_fields
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._checks import check_images
from ._rf_walk import LayerSpec, ReceptiveFieldRow, walk

__all__ = [
    "LayerSpec",
    "ReceptiveFieldRow",
    "receptive_field",
    "receptive_field_table",
    "format_receptive_field_table",
    "effective_receptive_field",
]

_Layers = nn.Module | Sequence[LayerSpec | tuple[int, ...]]


def receptive_field(model: _Layers, *, input_size: int | tuple[int, int] | None = None) -> int:
    """Theoretical receptive field of the model's output, in input pixels (one side).

    The field of one output pixel is a square of ``receptive_field × receptive_field``
    input pixels (borders included, padding ignored: it is the field on an unbounded input).

    What it understands: ``nn.Conv2d`` (any kernel, stride, padding, dilation),
    ``nn.MaxPool2d`` / ``nn.AvgPool2d`` (``ceil_mode`` too), pointwise layers (batch,
    group and instance norm, ReLU and the other element-wise activations, softmax over
    channels, dropout, ``nn.Identity``, and the same as functions such as ``F.relu``), any
    container or custom block whose ``forward`` torch.fx can trace, and branches merged by
    ``+``, ``*`` or ``torch.cat`` over channels when the branches have the same jump (the
    merged field is the hull of the branches' fields). The model's forward is traced with
    ``torch.fx``, so the order is the real data flow, not the order of registration.
    Alternatively pass a list of :class:`LayerSpec` or tuples ``(kernel, stride,
    dilation)`` / ``(kernel, stride, dilation, padding)`` for pure arithmetic.

    Args:
        model: an ``nn.Module`` or a sequence of layer specs, applied in order.
        input_size: optional input height and width (int for a square). When given, every
            layer's output size is checked to be at least 1.

    Returns:
        The side of the square receptive field, an int ≥ 1.

    Raises:
        TypeError: a layer or operation it does not understand (its type is named, e.g.
            ``ConvTranspose2d``, ``AdaptiveAvgPool2d``, ``interpolate``), or a model torch.fx
            cannot trace.
        ValueError: non-square kernel, stride or dilation; branches with different jumps;
            an input too small for a layer.

    Example:
        >>> receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])
        15

    Chapters: book/receptive_fields, book/dilated_segmentation
    """
    return walk(model, input_size=input_size)[-1].receptive_field


def receptive_field_table(
    model: _Layers,
    *,
    input_size: int | tuple[int, int] | None = None,
    include_pointwise: bool = False,
) -> list[ReceptiveFieldRow]:
    """One row per layer: kernel, stride, dilation, ``k_eff``, jump and receptive field.

    Rows come in the order the data flows (topological order of the traced graph). Each
    row holds the field and jump *after* that layer; the last row is the model's output.
    Understands the same layers as :func:`receptive_field`.

    Args:
        model: an ``nn.Module`` or a sequence of layer specs.
        input_size: optional input height and width; when given, each row carries its
            output size ``(H_out, W_out)`` from PyTorch's formula
            ``floor((H + 2p - d (k - 1) - 1) / s) + 1`` (ceil for ``ceil_mode`` pools).
        include_pointwise: also list pointwise layers (norms, activations, dropout); they
            change neither the field nor the jump, so they are left out by default.

    Returns:
        A list of :class:`ReceptiveFieldRow`; print it with
        :func:`format_receptive_field_table`.

    Raises:
        TypeError, ValueError: as :func:`receptive_field`.

    Chapter: book/receptive_fields
    """
    rows = walk(model, input_size=input_size)
    return [r for r in rows if include_pointwise or not r.pointwise]


def format_receptive_field_table(rows: Sequence[ReceptiveFieldRow]) -> str:
    """The rows of :func:`receptive_field_table` as a plain-text table (no pandas).

    Columns: layer, type, k, s, d, p, k_eff, jump, RF, and ``out`` (``H×W``) when the rows
    carry output sizes.

    Chapter: book/receptive_fields
    """
    with_size = any(r.out_size is not None for r in rows)
    head = ["layer", "type", "k", "s", "d", "p", "k_eff", "jump", "RF"]
    head += ["out"] if with_size else []
    body = []
    for r in rows:
        cells = [r.name, r.type, r.kernel, r.stride, r.dilation, r.padding, r.k_eff,
                 r.jump, r.receptive_field]
        if with_size:
            cells.append("-" if r.out_size is None else f"{r.out_size[0]}×{r.out_size[1]}")
        body.append([str(c) for c in cells])
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(row) for row in body)])


def _first_conv_channels(model: nn.Module) -> int:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    raise ValueError("found no nn.Conv2d to infer in_channels from; pass in_channels")


def effective_receptive_field(
    model: nn.Module,
    input_size: int | tuple[int, int] = (32, 32),
    *,
    images: torch.Tensor | None = None,
    num_samples: int = 16,
    seed: int = 0,
    in_channels: int | None = None,
    target_class: int | None = None,
) -> torch.Tensor:
    """Effective receptive field: ``|d output / d input|`` for the central output pixel.

    For each input x the gradient of ``y = logits[n, c, H // 2, W // 2]`` with respect to
    x is taken, where ``y`` is the sum over classes ``c`` of the logits (default) or the
    logit of ``target_class``. Its absolute value, summed over input channels, is averaged
    over the inputs and divided by its maximum (Luo et al., NeurIPS 2016). The inputs are
    ``num_samples`` uniform random images in [0, 1] drawn with ``seed``, or ``images``.

    The model runs in eval mode (batch norm uses its running statistics, dropout is off);
    each submodule's own mode is restored afterwards. The model's parameters get no
    gradient. It runs on the device and in the dtype of the model's first parameter.

    Args:
        model: maps ``(N, C_in, H, W)`` to logits ``(N, K, H, W)`` (or any 4-D map whose
            centre pixel is meaningful).
        input_size: ``(H, W)`` or an int, for random inputs; ignored when ``images`` is
            given.
        images: optional float images ``(N, C_in, H, W)``.
        num_samples: number of random inputs (≥ 1).
        seed: seed of the random inputs.
        in_channels: channels of the random inputs; default: the first ``nn.Conv2d``'s.
        target_class: one class index, or ``None`` for the sum over classes.

    Returns:
        float32 tensor ``(H, W)`` on the CPU, values in [0, 1], maximum 1 (all zeros if the
        gradient vanishes everywhere, e.g. a dead ReLU network).

    Raises:
        ValueError: bad ``images``, ``num_samples`` < 1, ``target_class`` out of range, or
            a model output that is not 4-D.

    Chapter: book/receptive_fields
    """
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    if images is None:
        if num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
        c = _first_conv_channels(model) if in_channels is None else in_channels
        gen = torch.Generator().manual_seed(seed)
        x = torch.rand(num_samples, c, h, w, generator=gen, dtype=torch.float64)
    else:
        check_images(images)
        x = images.detach()
    x = x.to(device=device, dtype=dtype).requires_grad_(True)
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        with torch.enable_grad():
            out = model(x)
            if out.dim() != 4:
                raise ValueError(f"model output must be (N, K, H, W), got {tuple(out.shape)}")
            centre = out[:, :, out.shape[2] // 2, out.shape[3] // 2]  # (N, K)
            if target_class is not None:
                if not 0 <= target_class < out.shape[1]:
                    raise ValueError(
                        f"target_class must lie in [0, {out.shape[1]}), got {target_class}"
                    )
                centre = centre[:, target_class]
            (grad,) = torch.autograd.grad(centre.sum(), x)
    finally:
        for m, mode in modes.items():
            m.training = mode
    erf = grad.abs().sum(dim=1).mean(dim=0).float().cpu()  # (H, W)
    peak = float(erf.max())
    return erf / peak if peak > 0 and math.isfinite(peak) else torch.zeros_like(erf)
