"""Model size and cost: parameter count and multiply-accumulates (MACs) of a forward pass.

Used by the chapters "From pixels to fully convolutional networks"
(``book/encoder_decoder.ipynb``) and "ASPP and DeepLabv3" (``book/aspp_deeplab.ipynb``) to
compare architectures, and by ``benchmarks/bench_models.py``.

What is counted (one multiply-accumulate = one product added to a sum):

- ``nn.Conv2d``: ``N · H_out · W_out · C_out · (C_in / groups) · k_h · k_w``; a dilated
  convolution costs the same as an undilated one (same number of taps); padded zeros are
  counted, as they are computed by the usual implementations.
- ``nn.ConvTranspose2d``: ``N · H_in · W_in · C_in · (C_out / groups) · k_h · k_w`` (every
  input pixel scatters one kernel), cropped outputs included.
- ``nn.Linear``: ``(number of input rows) · in_features · out_features``.
- Not counted: biases, batch norm, activations, pooling, interpolation, additions and
  concatenations. They cost O(N·C·H·W) each, small next to the convolutions here.

Every call of a module is counted (a module used twice counts twice).

Chapters: book/encoder_decoder, book/aspp_deeplab
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Complexity", "model_complexity"]


@dataclass(frozen=True)
class Complexity:
    """Parameter count and MACs of one forward pass at ``input_size``.

    Attributes:
        params: number of parameters (trainable or not; buffers such as batch-norm
            statistics excluded).
        macs: multiply-accumulates of one forward pass of the whole input batch.
        input_size: the ``(N, C, H, W)`` it was measured at.

    Chapter: book/encoder_decoder
    """

    params: int
    macs: int
    input_size: tuple[int, ...]

    def __str__(self) -> str:
        return (f"{_human(self.params)} parameters, {_human(self.macs)} MACs "
                f"per forward pass of {tuple(self.input_size)}")


def _human(n: int) -> str:
    for factor, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= factor:
            return f"{n / factor:.2f}{suffix}"
    return str(n)


def _conv_macs(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
    kernel_taps = math.prod(module.kernel_size)
    if isinstance(module, nn.ConvTranspose2d):
        n, c_in, h_in, w_in = inputs[0].shape
        return n * h_in * w_in * c_in * (module.out_channels // module.groups) * kernel_taps
    n, c_out, h_out, w_out = output.shape
    return n * h_out * w_out * c_out * (module.in_channels // module.groups) * kernel_taps


def _linear_macs(module: nn.Linear, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
    rows = inputs[0].numel() // module.in_features
    return rows * module.in_features * module.out_features


def model_complexity(
    model: nn.Module, input_size: tuple[int, ...] = (1, 1, 32, 32)
) -> Complexity:
    """Count parameters and MACs of ``model`` on a zero input of shape ``input_size``.

    The model runs once in eval mode without gradients (its mode is restored afterwards)
    on the device and dtype of its first parameter; forward hooks on ``nn.Conv2d``,
    ``nn.ConvTranspose2d`` and ``nn.Linear`` add up the MACs (see the module docstring
    for the formulas and what is left out). MACs scale with N and, for convolutions,
    with H·W.

    Args:
        model: any ``nn.Module`` taking one tensor.
        input_size: ``(N, C, H, W)`` of the input batch; the default is one triangle image.

    Returns:
        :class:`Complexity`; ``str()`` of it reads e.g. ``"103.30 k parameters, 26.94 M
        MACs per forward pass of (1, 1, 32, 32)"``.

    Raises:
        ValueError: ``input_size`` with a non-positive entry.

    Chapters: book/encoder_decoder, book/aspp_deeplab
    """
    if any(int(s) < 1 for s in input_size):
        raise ValueError(f"input_size must hold positive sizes, got {tuple(input_size)}")
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    dtype = first.dtype if first is not None else torch.float32
    total = [0]

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if isinstance(module, nn.Linear):
            total[0] += _linear_macs(module, inputs, output)
        else:
            total[0] += _conv_macs(module, inputs, output)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(tuple(int(s) for s in input_size), device=device, dtype=dtype))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    params = sum(p.numel() for p in model.parameters())
    return Complexity(params=params, macs=total[0], input_size=tuple(int(s) for s in input_size))
