"""A small DeepLabv3 for 32×32 images: atrous ResNet backbone, multi-grid, ASPP head.

Chen, Papandreou, Schroff, Adam, "Rethinking Atrous Convolution for Semantic Image
Segmentation", arXiv:1706.05587 (2017); seed ``003`` (freeCodeCamp's DeepLab v3 article).
The backbone follows ResNet-50's layout (He et al., CVPR 2016) at a fraction of its width.

Chapter: "ASPP and DeepLabv3" (``book/aspp_deeplab.ipynb``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from .layers import ASPP, Bottleneck, _check_model_input, _check_positive

__all__ = ["DeepLabV3"]

# (mid-channel multiplier of ``width``, units) of the three stages before block4. Every
# stage, like the stem, nominally halves the resolution: nominal output stride 2**5 = 32,
# as in ResNet. Bottleneck units expand to 4 × mid channels, as in ResNet-50.
_STAGES = ((1, 1), (2, 1), (2, 1))
_BLOCK4_MID = 2
_EXPANSION = 4
_DEFAULT_ASPP_RATES = (1, 2, 3)


class DeepLabV3(nn.Module):
    """DeepLabv3 (Chen et al. 2017) shrunk for 32×32 images.

    **Backbone** (ResNet-50 layout, ``width`` = stem channels): a 3×3 stride-2 conv-BN-ReLU
    stem, three stages of :class:`~seglearn.layers.Bottleneck` units (mid channels
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

    **Head**: :class:`~seglearn.layers.ASPP` with ``4·width`` channels, image pooling and
    ``aspp_rates`` (default (1, 2, 3) at every output stride: the paper's (6, 12, 18) at
    OS 16 are for 33×33 feature maps; on 4×4 maps rates must stay below 4 to use more than
    the centre tap, on 2×2 maps (OS 16) only rate 1 does — the image-pooling branch is what
    still sees the whole image there — and on 8×8 maps (OS 4) all three do), then a 1×1
    classifier, and bilinear upsampling of the logits to the input size
    (``align_corners=False``). No decoder (that
    is DeepLabv3+).

    Chapter: "ASPP and DeepLabv3" (``book/aspp_deeplab.ipynb``).

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
            _check_positive("every multi_grid rate", r)
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
        _check_model_input(x, self.in_channels, self.output_stride,
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
