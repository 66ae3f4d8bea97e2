"""Segmentation networks of the book.

Every model takes ``in_channels`` and ``num_classes`` and maps float images
``(N, C_in, H, W)`` (values in [0, 1]) to logits ``(N, K, H, W)`` at the input's
resolution; each docstring says which H and W it accepts.

- :class:`DilatedNet` — MATLAB's network from "Semantic Segmentation Using Dilated
  Convolutions" (seed ``000``); chapter *Semantic segmentation with dilated convolutions*.
- :class:`TinyEncoderDecoder`, :class:`FCNSkip`, :class:`UNet` — chapter "From pixels to
  fully convolutional networks" (``book/encoder_decoder.ipynb``): the tiny encoder-decoder
  of seed ``004``; FCN's skip architecture (Long et al., "Fully Convolutional Networks for
  Semantic Segmentation", CVPR 2015); U-Net (Ronneberger et al., MICCAI 2015). Upsampling
  by transposed convolution follows Noh et al. ("Learning Deconvolution Network for
  Semantic Segmentation", ICCV 2015); its checkerboard artefacts and the resize-convolution
  alternative are from Odena et al. ("Deconvolution and Checkerboard Artifacts",
  Distill 2016).
- :func:`conv_bn_relu` — the "same"-padded convolution block every network is built from.

DeepLabv3, its bottleneck units and ASPP are in :mod:`seglearn.deeplab` (chapter
*ASPP and DeepLabv3*), which builds on this module.

Chapters: book/dilated_segmentation, book/encoder_decoder
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_model_input

__all__ = ["conv_bn_relu", "DilatedNet", "TinyEncoderDecoder", "FCNSkip", "UNet"]


def conv_bn_relu(
    in_channels: int, out_channels: int, *, kernel_size: int = 3, dilation: int = 1
) -> nn.Sequential:
    """3×3 (odd ``kernel_size``) convolution with "same" padding, batch norm, ReLU.

    "Same" padding for stride 1 is ``dilation * (kernel_size - 1) / 2`` on each side, so the
    output keeps the input's height and width. The convolution has no bias: batch norm's
    shift makes it redundant.

    Raises:
        ValueError: even ``kernel_size`` (no symmetric "same" padding exists).

    Chapters: book/dilated_convolution, book/encoder_decoder
    """
    if kernel_size % 2 != 1:
        raise ValueError(f"kernel_size must be odd for 'same' padding, got {kernel_size}")
    padding = dilation * (kernel_size - 1) // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding,
                  dilation=dilation, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class DilatedNet(nn.Module):
    """MATLAB's dilated segmentation network (seed ``000``).

    One block [3×3 conv, ``channels`` filters, dilation d, "same" padding → batch norm →
    ReLU] per entry of ``dilations``, then a 1×1 convolution to ``num_classes`` logits. With
    the default dilations (1, 2, 4) the receptive field is 1 + 2·(1 + 2 + 4) = 15 pixels.

    MATLAB's image input layer subtracts the training set's mean image ("zerocenter");
    here the first batch norm does the centring, so the model takes raw [0, 1] images.

    Args:
        in_channels: image channels (1 for the triangles).
        num_classes: number of classes K.
        channels: filters per dilated block.
        dilations: one dilation rate per block.

    Input ``(N, in_channels, H, W)`` float, any H, W ≥ 1; output logits ``(N, K, H, W)``.

    Chapter: book/dilated_segmentation

    Raises:
        ValueError: non-positive dilations; at call time, images that are not float
            ``(N, in_channels, H, W)``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        channels: int = 32,
        dilations: Sequence[int] = (1, 2, 4),
    ) -> None:
        super().__init__()
        if not dilations or any(int(d) < 1 for d in dilations):
            raise ValueError(f"dilations must be positive integers, got {tuple(dilations)}")
        self.in_channels = in_channels
        self.dilations = tuple(int(d) for d in dilations)
        blocks, c = [], in_channels
        for d in self.dilations:
            blocks.append(conv_bn_relu(c, channels, dilation=d))
            c = channels
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self.in_channels, 1, "DilatedNet")
        return self.classifier(self.features(x))  # (N, K, H, W)


class TinyEncoderDecoder(nn.Module):
    """The tiny encoder-decoder of seed ``004`` (MATLAB's Dice-loss example).

    conv 3×3×``channels`` pad 1 → ReLU → max-pool 2×2 stride 2 → conv 3×3×``channels``
    pad 1 → ReLU → transposed conv 4×4×``channels`` stride 2, cropping 1 (PyTorch
    ``padding=1``) → conv 1×1×K. The transposed convolution maps H/2 back to
    ``(H/2 - 1)·2 - 2 + 4 = H`` (Noh et al. 2015); its 4×4 kernel is a multiple of its
    stride, the condition Odena et al. (2016) give for even overlap (no built-in
    checkerboard). No batch norm, as in the seed; MATLAB's "zerocenter" input
    normalisation is left out (inputs are [0, 1]).

    Args:
        in_channels: image channels; num_classes: K; channels: filters per layer.

    Input ``(N, in_channels, H, W)`` float with H and W even; output ``(N, K, H, W)``.

    Raises:
        ValueError: odd H or W (the pooling would drop a row or column), wrong channels.

    Chapter: book/encoder_decoder
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 2, channels: int = 64) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, stride=2),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.ReLU(inplace=True),
        )
        self.decoder = nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1)
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self.in_channels, 2, "TinyEncoderDecoder")
        return self.classifier(self.decoder(self.encoder(x)))  # (N, K, H, W)


class FCNSkip(nn.Module):
    """A tiny FCN with one skip (the FCN-16s idea of Long et al. 2015, at 1/8 and 1/4).

    Encoder: three [conv-BN-ReLU 3×3 → max-pool 2] stages (``channels``, ``2·channels``,
    ``4·channels`` filters) reaching 1/8 resolution, then a 3×3 conv-BN-ReLU (FCN's
    convolutionalised fully connected layer). A 1×1 score layer gives coarse class scores
    at 1/8; they are upsampled ×2 and added to the scores of a second 1×1 score layer on
    the 1/4 pooled features; the sum is upsampled ×4 to the input. Long et al. learn the
    ×2 upsampling (initialised bilinear) and fix the last one; here both are fixed bilinear
    interpolations (``align_corners=False``), so all learning is in the convolutions.

    Args:
        in_channels: image channels; num_classes: K; channels: filters of the first stage.

    Input ``(N, in_channels, H, W)`` float, H and W divisible by 8; output ``(N, K, H, W)``.

    Raises:
        ValueError: H or W not divisible by 8, wrong channels.

    Chapter: book/encoder_decoder
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 2, *, channels: int = 16) -> None:
        super().__init__()
        c = channels
        self.in_channels = in_channels
        self.to_quarter = nn.Sequential(
            conv_bn_relu(in_channels, c), nn.MaxPool2d(2),
            conv_bn_relu(c, 2 * c), nn.MaxPool2d(2),
        )
        self.to_eighth = nn.Sequential(
            conv_bn_relu(2 * c, 4 * c), nn.MaxPool2d(2), conv_bn_relu(4 * c, 4 * c),
        )
        self.score_quarter = nn.Conv2d(2 * c, num_classes, 1)
        self.score_eighth = nn.Conv2d(4 * c, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self.in_channels, 8, "FCNSkip")
        quarter = self.to_quarter(x)  # (N, 2c, H/4, W/4)
        coarse = self.score_eighth(self.to_eighth(quarter))  # (N, K, H/8, W/8)
        fused = self.score_quarter(quarter) + _upsample(coarse, quarter.shape[2:])
        return _upsample(fused, x.shape[2:])  # (N, K, H, W)


def _upsample(x: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def _double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(conv_bn_relu(in_channels, out_channels),
                         conv_bn_relu(out_channels, out_channels))


def _up(in_channels: int, out_channels: int, upsampling: str) -> nn.Module:
    if upsampling == "transpose":  # U-Net's 2×2 "up-convolution" halving the channels
        return nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
    # Resize-convolution (Odena et al. 2016): interpolate, then a 3×3 convolution.
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                         nn.Conv2d(in_channels, out_channels, 3, padding=1))


class UNet(nn.Module):
    """A small U-Net (Ronneberger et al., MICCAI 2015).

    Level ``i`` (0 … ``depth``) has ``base_channels · 2**i`` channels and two 3×3
    conv-BN-ReLU layers; max-pooling 2×2 goes down a level. Going up, the features are
    upsampled ×2 (``"transpose"``: a 2×2 transposed conv with stride 2, as in the paper;
    ``"bilinear"``: bilinear interpolation then a 3×3 conv, Odena et al. 2016), halving the
    channels, concatenated with the encoder features of the same level (the skip
    connection), and go through two conv-BN-ReLU layers; a 1×1 conv gives the logits.
    Departures from the paper: "same" padding instead of valid convolutions (so no cropping
    of the skips and logits at input size) and batch norm (not in the 2015 paper).

    Args:
        in_channels: image channels; num_classes: K.
        base_channels: channels of level 0.
        depth: number of poolings (≥ 1).
        upsampling: ``"transpose"`` or ``"bilinear"``.

    Input ``(N, in_channels, H, W)`` float, H and W divisible by ``2**depth``; output
    ``(N, K, H, W)``.

    Raises:
        ValueError: bad ``depth`` or ``upsampling``; H or W not divisible by ``2**depth``.

    Chapter: book/encoder_decoder
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        *,
        base_channels: int = 16,
        depth: int = 3,
        upsampling: str = "transpose",
    ) -> None:
        super().__init__()
        if int(depth) != depth or depth < 1:
            raise ValueError(f"depth must be a positive integer, got {depth!r}")
        if upsampling not in ("transpose", "bilinear"):
            raise ValueError(f"upsampling must be 'transpose' or 'bilinear', got {upsampling!r}")
        self.in_channels, self.depth, self.upsampling = in_channels, int(depth), upsampling
        widths = [base_channels * 2**i for i in range(self.depth + 1)]
        self.down = nn.ModuleList(
            [_double_conv(in_channels, widths[0])]
            + [_double_conv(widths[i - 1], widths[i]) for i in range(1, self.depth + 1)]
        )
        levels = range(self.depth - 1, -1, -1)  # decoder goes from the bottom up
        self.up = nn.ModuleList([_up(widths[i + 1], widths[i], upsampling) for i in levels])
        self.decode = nn.ModuleList([_double_conv(2 * widths[i], widths[i]) for i in levels])
        self.classifier = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self.in_channels, 2**self.depth,
                           f"UNet(depth={self.depth}) (divisor 2**{self.depth})")
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()  # the bottom level is not a skip
        for up, decode in zip(self.up, self.decode, strict=True):
            x = decode(torch.cat([skips.pop(), up(x)], dim=1))  # (N, 2·C_i, H_i, W_i)
        return self.classifier(x)  # (N, K, H, W)
