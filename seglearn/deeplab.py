"""A small DeepLabv3 for 32×32 images: atrous ResNet backbone, multi-grid, ASPP head.

Chen, Papandreou, Schroff, Adam, "Rethinking Atrous Convolution for Semantic Image
Segmentation", arXiv:1706.05587 (2017); seed ``003`` (freeCodeCamp's DeepLab v3 article).
The backbone follows ResNet-50's layout (He et al., CVPR 2016) at a fraction of its width.

- :class:`Bottleneck` — ResNet's bottleneck unit, with dilation so that a stride can be
  traded for an atrous rate;
- :class:`ASPP` — Atrous Spatial Pyramid Pooling with image-level features (seed ``003``);
- :class:`DeepLabV3` — the network built from them (as torchvision keeps its ``ASPP`` with
  its ``deeplabv3``).

Chapter: book/aspp_deeplab
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from ._checks import check_model_input, check_positive_int
from .models import conv_bn_relu

__all__ = ["Bottleneck", "ASPP", "DeepLabV3"]

# (mid-channel multiplier of ``width``, units) of the three stages before block4. Every
# stage, like the stem, nominally halves the resolution: nominal output stride 2**5 = 32,
# as in ResNet. Bottleneck units expand to 4 × mid channels, as in ResNet-50.
_STAGES = ((1, 1), (2, 1), (2, 1))
_BLOCK4_MID = 2
_EXPANSION = 4
_DEFAULT_ASPP_RATES = (1, 2, 3)


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

    Chapter: book/aspp_deeplab
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
        check_positive_int("stride", stride)
        check_positive_int("dilation", dilation)
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

    Chapter: book/aspp_deeplab
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
            check_positive_int("every ASPP rate", r)
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


class DeepLabV3(nn.Module):
    """DeepLabv3 (Chen et al. 2017) shrunk for 32×32 images.

    **Backbone** (ResNet-50 layout, ``width`` = stem channels): a 3×3 stride-2 conv-BN-ReLU
    stem, three stages of :class:`Bottleneck` units (mid channels
    ``width·(1, 2, 2)``, out 4 × mid), and block4: ``len(multi_grid)`` bottleneck units with
    mid channels ``2·width``. Stem, stages and block4 each nominally halve the resolution
    (nominal output stride 32). To reach ``output_stride`` the late strides are replaced by
    dilation, doubling the rate each time (as in the paper): OS 16 → block4 at rate 2;
    OS 8 → stage 3 at rate 2, block4 at rate 4; OS 4 → stages 2 and 3 at rates 2 and 4,
    block4 at rate 8. Output stride = input size / feature size: on 32×32 images, OS 16
    gives 2×2 features, OS 8 gives 4×4 and OS 4 gives 8×8. The paper uses OS 8 and 16 on
    513×513 crops (features of 65×65 and 33×33); OS 4 is this package's addition, so that
    32×32 images get features fine enough to place a boundary (the chapter shows that OS 16
    learns nothing on the triangles and OS 8 only blobs).

    **Multi-grid**: the 3×3 convolution of block4's unit i has rate
    ``base · multi_grid[i]``, base being block4's rate (OS 16, (1, 2, 4) → (2, 4, 8), the
    paper's setting; OS 8 → (4, 8, 16); OS 4 → (8, 16, 32)). On 32×32 images block4's rates
    are at least its feature size at every output stride, so its 3×3 filters reduce to
    their centre taps; the defaults keep the paper's rule anyway, so the chapter can show
    the effect (on larger inputs the rule works as intended).

    **Head**: :class:`ASPP` with ``4·width`` channels, image pooling and
    ``aspp_rates`` (default (1, 2, 3) at every output stride: the paper's (6, 12, 18) at
    OS 16 are for 33×33 feature maps; on 4×4 maps rates must stay below 4 to use more than
    the centre tap, on 2×2 maps (OS 16) only rate 1 does — the image-pooling branch is what
    still sees the whole image there — and on 8×8 maps (OS 4) all three do), then a 1×1
    classifier, and bilinear upsampling of the logits to the input size
    (``align_corners=False``). No decoder (that
    is DeepLabv3+).

    Args:
        in_channels: image channels; num_classes: K.
        output_stride: 4, 8 or 16.
        width: channels of the stem; every other width is a multiple of it.
        multi_grid: unit rates of block4 (one unit per entry).
        aspp_rates: atrous rates of ASPP (``None``: (1, 2, 3)).

    Input ``(N, in_channels, H, W)`` float, H and W divisible by ``output_stride``; output
    logits ``(N, K, H, W)``. ``model.backbone(x)`` gives the features
    ``(N, 8·width, H/OS, W/OS)``.

    Raises:
        ValueError: ``output_stride`` not 4, 8 or 16, non-positive multi-grid or ASPP rates;
            H or W not divisible by ``output_stride``; in training mode, features with one
            value per channel (``N·(H/OS)·(W/OS) == 1``, batch norm undefined).

    Chapter: book/aspp_deeplab
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        *,
        output_stride: int = 8,
        width: int = 16,
        multi_grid: Sequence[int] = (1, 2, 4),
        aspp_rates: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        if output_stride not in (4, 8, 16):
            raise ValueError(f"output_stride must be 4, 8 or 16, got {output_stride!r}")
        if len(multi_grid) == 0:
            raise ValueError("multi_grid needs at least one rate (one per block4 unit)")
        for r in multi_grid:
            check_positive_int("every multi_grid rate", r)
        self.in_channels, self.output_stride = in_channels, output_stride
        self.aspp_rates = tuple(_DEFAULT_ASPP_RATES if aspp_rates is None else aspp_rates)

        stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        layers: list[nn.Module] = [stem]
        stride_so_far, dilation, channels = 2, 1, width
        self.stage_dilations: list[int] = []
        plan = (*_STAGES, (_BLOCK4_MID, len(multi_grid)))
        for index, (mid_mult, units) in enumerate(plan):
            # Keep halving until the requested output stride; after that, trade each
            # stride 2 for a doubled dilation (the receptive field keeps growing).
            if stride_so_far < output_stride:
                stride, stride_so_far = 2, stride_so_far * 2
            else:
                stride, dilation = 1, dilation * 2
            self.stage_dilations.append(dilation)
            mid, out = mid_mult * width, _EXPANSION * mid_mult * width
            is_block4 = index == len(plan) - 1
            rates = [dilation * g for g in multi_grid] if is_block4 else [dilation] * units
            stage = [Bottleneck(channels if i == 0 else out, mid, out,
                                stride=stride if i == 0 else 1, dilation=rates[i])
                     for i in range(units)]
            layers.append(nn.Sequential(*stage))
            channels = out
        self.block4_rates = tuple(rates)
        self.backbone = nn.Sequential(*layers)
        self.aspp = ASPP(channels, 4 * width, self.aspp_rates, image_pooling=True)
        self.classifier = nn.Conv2d(4 * width, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_model_input(x, self.in_channels, self.output_stride,
                           f"DeepLabV3(output_stride={self.output_stride})")
        if (self.training and not isinstance(x, torch.fx.Proxy)
                and x.shape[0] * x.shape[2] * x.shape[3] == self.output_stride**2):
            raise ValueError(
                f"DeepLabV3 in training mode needs more than one feature value per channel "
                f"for batch norm; images {tuple(x.shape)} give 1×1 features at output "
                f"stride {self.output_stride} with a batch of 1. Use a larger batch or input."
            )
        features = self.backbone(x)  # (N, 8·width, H/OS, W/OS)
        logits = self.classifier(self.aspp(features))  # (N, K, H/OS, W/OS)
        return F.interpolate(logits, size=x.shape[2:], mode="bilinear", align_corners=False)
