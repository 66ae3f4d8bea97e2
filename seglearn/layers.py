"""Building blocks of the book's networks: conv-BN-ReLU, residual blocks, ASPP.

- :func:`conv_bn_relu` — the "same"-padded convolution block of every chapter (also
  exported by :mod:`seglearn.models`, where the dilated-convolution chapter first meets it).
- :class:`BasicBlock` and :class:`Bottleneck` — the two ResNet units (He et al., "Deep
  Residual Learning for Image Recognition", CVPR 2016), with dilation so that a stride
  can be traded for an atrous rate (Chen et al. 2017).
- :class:`ASPP` — Atrous Spatial Pyramid Pooling with image-level features (Chen et al.,
  "Rethinking Atrous Convolution for Semantic Image Segmentation", arXiv:1706.05587, 2017;
  seed ``003``).

Chapter: "ASPP and DeepLabv3" (``book/aspp_deeplab.ipynb``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.fx
from torch import nn

from ._checks import check_images

__all__ = ["conv_bn_relu", "BasicBlock", "Bottleneck", "ASPP"]


def conv_bn_relu(
    in_channels: int, out_channels: int, *, kernel_size: int = 3, dilation: int = 1
) -> nn.Sequential:
    """3×3 (odd ``kernel_size``) convolution with "same" padding, batch norm, ReLU.

    "Same" padding for stride 1 is ``dilation * (kernel_size - 1) / 2`` on each side, so the
    output keeps the input's height and width. The convolution has no bias: batch norm's
    shift makes it redundant.

    Raises:
        ValueError: even ``kernel_size`` (no symmetric "same" padding exists).
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


def _conv_bn(
    in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1, dilation: int = 1
) -> nn.Sequential:
    """Convolution (no bias, padding ``dilation * (k - 1) / 2``) followed by batch norm."""
    padding = dilation * (kernel_size - 1) // 2
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                  dilation=dilation, bias=False),
        nn.BatchNorm2d(out_channels),
    )


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    # Identity when shapes agree, else a strided 1×1 projection (ResNet's option B).
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return _conv_bn(in_channels, out_channels, 1, stride=stride)


def _check_model_input(x: torch.Tensor, in_channels: int, divisor: int, what: str) -> None:
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


def _check_positive(name: str, value: int) -> None:
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


class BasicBlock(nn.Module):
    """ResNet's baseline unit: two 3×3 conv-BN, ReLU between, identity or projection skip.

    ``y = relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))`` (post-activation, as in He et
    al. 2016 and torchvision; seed ``003`` describes the pre-activation variant of He et al.,
    ECCV 2016). Both 3×3 convolutions use ``dilation`` with padding ``dilation``; the first
    one carries the stride.

    Args:
        in_channels, out_channels: channels in and out.
        stride: 1 or 2; output size ``ceil(H / stride)``.
        dilation: atrous rate of both 3×3 convolutions.

    Input ``(N, in_channels, H, W)``, output ``(N, out_channels, ceil(H/s), ceil(W/s))``.

    Raises:
        ValueError: a non-positive stride or dilation.
    """

    def __init__(
        self, in_channels: int, out_channels: int, *, stride: int = 1, dilation: int = 1
    ) -> None:
        super().__init__()
        _check_positive("stride", stride)
        _check_positive("dilation", dilation)
        self.residual = nn.Sequential(
            _conv_bn(in_channels, out_channels, 3, stride=stride, dilation=dilation),
            nn.ReLU(inplace=True),
            _conv_bn(out_channels, out_channels, 3, dilation=dilation),
        )
        self.shortcut = _shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.residual(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """ResNet's bottleneck unit: 1×1 reduce → 3×3 atrous → 1×1 expand, plus the skip.

    Each conv is followed by batch norm, the first two by ReLU; the sum with the shortcut
    goes through a final ReLU (post-activation, He et al. 2016). The stride sits on the 3×3
    convolution (torchvision's "ResNet v1.5"). DeepLabv3's block4 stacks three of these,
    so its three 3×3 convolutions are where the multi-grid rates go (Chen et al. 2017).

    Args:
        in_channels: channels in.
        mid_channels: channels of the 3×3 convolution.
        out_channels: channels out (ResNet-50 uses ``4 * mid_channels``).
        stride: 1 or 2; output size ``ceil(H / stride)``.
        dilation: atrous rate of the 3×3 convolution (padding = rate).

    Input ``(N, in_channels, H, W)``, output ``(N, out_channels, ceil(H/s), ceil(W/s))``.

    Raises:
        ValueError: a non-positive stride or dilation.
    """

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        *,
        stride: int = 1,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        _check_positive("stride", stride)
        _check_positive("dilation", dilation)
        self.dilation = int(dilation)
        self.residual = nn.Sequential(
            _conv_bn(in_channels, mid_channels, 1),
            nn.ReLU(inplace=True),
            _conv_bn(mid_channels, mid_channels, 3, stride=stride, dilation=dilation),
            nn.ReLU(inplace=True),
            _conv_bn(mid_channels, out_channels, 1),
        )
        self.shortcut = _shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.residual(x) + self.shortcut(x))


class _ImagePooling(nn.Module):
    """Image-level branch: global average pool → 1×1 conv (with bias) → ReLU → broadcast.

    No batch norm here, on purpose: after global pooling each image gives one value per
    channel, so batch norm in training mode with a batch of one has a single value to
    normalise and fails (torchvision's ``ASPPPooling`` does exactly that). The conv's bias
    takes over batch norm's shift. In eval mode torchvision's conv + BN is an affine map of
    the pooled vector, which this conv represents exactly (fold BN into weight and bias).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = x.mean(dim=(2, 3), keepdim=True)  # (N, C_in, 1, 1)
        y = torch.relu(self.conv(pooled))  # (N, C_out, 1, 1)
        # Bilinear upsampling of a 1×1 map (any align_corners) is a constant copy.
        return y.expand(-1, -1, x.shape[2], x.shape[3])  # (N, C_out, H, W)


class ASPP(nn.Module):
    """Atrous Spatial Pyramid Pooling (Chen et al. 2017, arXiv:1706.05587; seed ``003``).

    Parallel branches on the same feature map, concatenated along channels, then a 1×1
    projection:

    - a 1×1 conv → BN → ReLU;
    - per rate r, a 3×3 atrous conv (dilation r, padding r) → BN → ReLU;
    - if ``image_pooling``: global average pool → 1×1 conv (bias, **no BN**) → ReLU →
      upsampled (copied) to the feature size;
    - projection: 1×1 conv → BN → ReLU → dropout(``dropout``).

    Departure from torchvision's ``ASPP``: its pooling branch has BN after the 1×1 conv,
    which raises in training mode for a batch of one image (one value per channel). Here
    that branch has a bias instead. In eval mode the two are the same function (fold BN
    into the conv); the tests check that against torchvision. Caveat, true of both: with a
    batch of one image in training mode the pooling branch is constant over the only
    image, the projection's batch norm subtracts every per-channel constant, so the branch
    has no effect and gets zero gradient; it learns from batches of two or more (and acts
    in eval mode). Dropout defaults to 0
    (torchvision: 0.5): the book trains on 200 small images with few channels, where
    dropout mostly slows learning; set it for larger data.

    A 3×3 atrous filter with a rate at least the feature size sees only its centre tap
    (the others fall into the zero padding), i.e. it degenerates to a 1×1 conv; pick rates
    below the feature size (on the book's 4×4 maps: 1, 2, 3).

    Chapter: "ASPP and DeepLabv3" (``book/aspp_deeplab.ipynb``).

    Args:
        in_channels: channels of the feature map.
        out_channels: channels of every branch and of the output.
        rates: atrous rates of the 3×3 branches (may be empty).
        image_pooling: add the image-level branch.
        dropout: dropout probability after the projection, in [0, 1).

    Input ``(N, in_channels, h, w)`` float; output ``(N, out_channels, h, w)``.

    Raises:
        ValueError: a non-positive rate, ``dropout`` outside [0, 1); in training mode, a
            feature map with a single value per channel (``N * h * w == 1``), where batch
            norm is undefined.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        rates: Sequence[int],
        *,
        image_pooling: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        for r in rates:
            _check_positive("every ASPP rate", r)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        self.rates = tuple(int(r) for r in rates)
        self.image_pooling = bool(image_pooling)
        branches: list[nn.Module] = [conv_bn_relu(in_channels, out_channels, kernel_size=1)]
        branches += [conv_bn_relu(in_channels, out_channels, dilation=r) for r in self.rates]
        if self.image_pooling:
            branches.append(_ImagePooling(in_channels, out_channels))
        self.branches = nn.ModuleList(branches)
        self.project = nn.Sequential(
            *conv_bn_relu(len(branches) * out_channels, out_channels, kernel_size=1),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (self.training and not isinstance(x, torch.fx.Proxy)
                and x.shape[0] * x.shape[2] * x.shape[3] == 1):
            raise ValueError(
                f"ASPP in training mode needs more than one value per channel for batch "
                f"norm, got features of shape {tuple(x.shape)}; use a larger batch or "
                "input, or eval mode"
            )
        y = torch.cat([branch(x) for branch in self.branches], dim=1)  # (N, B*C_out, h, w)
        return self.project(y)
