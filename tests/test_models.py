"""Tests of seglearn.models and seglearn.deeplab: shapes, gradients, size rules, DeepLabv3."""

import pytest
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from seglearn.deeplab import DeepLabV3
from seglearn.models import DilatedNet, FCNSkip, TinyEncoderDecoder, UNet

# Small widths keep the file fast; the architecture (and so the size rules) is unchanged.
BUILDERS = {
    "dilated": lambda c, k: DilatedNet(c, k, channels=4),
    "tiny": lambda c, k: TinyEncoderDecoder(c, k, channels=4),
    "fcn": lambda c, k: FCNSkip(c, k, channels=4),
    "unet-transpose": lambda c, k: UNet(c, k, base_channels=4, depth=3),
    "unet-bilinear": lambda c, k: UNet(c, k, base_channels=4, depth=2, upsampling="bilinear"),
    "deeplab-os8": lambda c, k: DeepLabV3(c, k, output_stride=8, width=4),
    "deeplab-os16": lambda c, k: DeepLabV3(c, k, output_stride=16, width=4),
}
# Builders only used where one case per model is enough (keeps the file fast).
EXTRA = {"deeplab-os4": lambda c, k: DeepLabV3(c, k, output_stride=4, width=4)}
SIZES = [(32, 32), (64, 48), (16, 16)]


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("in_channels,num_classes", [(1, 2), (3, 4)])
def test_logits_at_input_resolution(name, size, in_channels, num_classes):
    torch.manual_seed(0)
    model = BUILDERS[name](in_channels, num_classes).train()
    logits = model(torch.rand(2, in_channels, *size))
    assert logits.shape == (2, num_classes, *size)
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", BUILDERS)
def test_gradients_reach_every_parameter(name):
    torch.manual_seed(0)
    model = BUILDERS[name](1, 2).train()
    images, masks = torch.rand(4, 1, 32, 32), torch.randint(0, 2, (4, 32, 32))
    F.cross_entropy(model(images), masks).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{name}: {pname} got no gradient"
        assert p.grad.abs().sum() > 0, f"{name}: {pname} got an all-zero gradient"


@pytest.mark.parametrize("name,size,divisor", [
    ("tiny", (31, 32), 2), ("tiny", (32, 17), 2),
    ("fcn", (36, 32), 8),
    ("unet-transpose", (36, 32), 8), ("unet-bilinear", (32, 30), 4),
    ("deeplab-os8", (36, 32), 8), ("deeplab-os16", (32, 40), 16),
    ("deeplab-os4", (32, 30), 4),
])
def test_disallowed_sizes_raise_naming_size_and_divisor(name, size, divisor):
    model = {**BUILDERS, **EXTRA}[name](1, 2)
    with pytest.raises(ValueError, match=rf"divisible by {divisor}, got H={size[0]}, W={size[1]}"):
        model(torch.rand(2, 1, *size))


@pytest.mark.parametrize("name", [n for n in BUILDERS if n != "dilated"])
def test_wrong_channels_and_integer_images_raise(name):
    model = BUILDERS[name](1, 2)
    with pytest.raises(ValueError, match="in_channels=1"):
        model(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="floating point"):
        model(torch.ones(2, 1, 32, 32, dtype=torch.uint8))


def test_bad_constructor_arguments_raise():
    with pytest.raises(ValueError, match="upsampling"):
        UNet(upsampling="nearest")
    with pytest.raises(ValueError, match="depth"):
        UNet(depth=0)
    for bad in (2, 32):
        with pytest.raises(ValueError, match="output_stride must be 4, 8 or 16"):
            DeepLabV3(output_stride=bad)
    with pytest.raises(ValueError, match="multi_grid"):
        DeepLabV3(multi_grid=())
    with pytest.raises(ValueError, match="rate"):
        DeepLabV3(aspp_rates=(1, 0))


def test_tiny_encoder_decoder_is_seed_004_network():
    model = TinyEncoderDecoder(1, 2)
    kinds = [type(m).__name__ for m in model.modules() if not list(m.children())]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "ConvTranspose2d",
                     "Conv2d"]
    up = model.decoder
    assert (up.kernel_size, up.stride, up.padding, up.out_channels) == ((4, 4), (2, 2),
                                                                        (1, 1), 64)
    # Hand count: 3·3·1·64+64, 3·3·64·64+64, 4·4·64·64+64, 64·2+2.
    assert sum(p.numel() for p in model.parameters()) == 640 + 36_928 + 65_600 + 130


def test_unet_levels_double_channels_and_concatenate_skips():
    model = UNet(1, 2, base_channels=4, depth=3)
    assert [block[0][0].out_channels for block in model.down] == [4, 8, 16, 32]
    # Decoder level i takes the upsampled features and the skip: 2 · (4 · 2**i) channels.
    assert [block[0][0].in_channels for block in model.decode] == [32, 16, 8]
    assert isinstance(model.up[0], nn.ConvTranspose2d)


@pytest.mark.parametrize("output_stride,features,dilations,block4_rates", [
    (4, (8, 8), [1, 2, 4, 8], (8, 16, 32)),
    (8, (4, 4), [1, 1, 2, 4], (4, 8, 16)),
    (16, (2, 2), [1, 1, 1, 2], (2, 4, 8)),
])
def test_deeplab_output_stride_is_the_feature_size_ratio(
    output_stride, features, dilations, block4_rates
):
    model = DeepLabV3(1, 2, output_stride=output_stride, width=4).eval()
    assert model.backbone(torch.rand(1, 1, 32, 32)).shape == (1, 32, *features)
    assert model.backbone(torch.rand(1, 1, 64, 48)).shape[2:] == (64 // output_stride,
                                                                   48 // output_stride)
    assert model.stage_dilations == dilations
    # Multi-grid (Chen et al. 2017): read the rates off the 3×3 convolutions themselves.
    convs = [m for m in model.backbone[-1].modules()
             if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    assert tuple(c.dilation[0] for c in convs) == block4_rates
    assert all(c.padding[0] == c.dilation[0] and c.stride == (1, 1) for c in convs)


def test_deeplab_custom_multi_grid_and_aspp_rates():
    model = DeepLabV3(1, 2, output_stride=16, width=4, multi_grid=(1, 1), aspp_rates=(1, 2))
    assert model.block4_rates == (2, 2) and len(model.backbone[-1]) == 2
    assert model.aspp.rates == (1, 2)
    assert DeepLabV3(width=4).aspp.rates == (1, 2, 3)


def test_deeplab_batch_of_one_in_training_mode():
    torch.manual_seed(0)
    model = DeepLabV3(1, 2, output_stride=8, width=4).train()
    F.cross_entropy(model(torch.rand(1, 1, 32, 32)),
                    torch.randint(0, 2, (1, 32, 32))).backward()
    pooling = model.aspp.branches[-1]
    for name, p in model.named_parameters():
        if not name.startswith("aspp.branches.4."):  # the pooling branch: see ASPP's caveat
            assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert all(p.grad.abs().max() < 1e-6 for p in pooling.parameters())
    one_by_one = torch.rand(1, 1, 16, 16)  # 1×1 features at OS 16: batch norm undefined
    with pytest.raises(ValueError, match="one feature value per channel"):
        DeepLabV3(1, 2, output_stride=16, width=4).train()(one_by_one)
    assert DeepLabV3(1, 2, output_stride=16, width=4).eval()(one_by_one).shape == (1, 2, 16, 16)


def test_deeplab_logits_are_bilinear_upsampling_of_coarse_logits():
    model = DeepLabV3(1, 3, output_stride=8, width=4).eval()
    x = torch.rand(2, 1, 32, 24)
    coarse = model.classifier(model.aspp(model.backbone(x)))  # (N, K, 4, 3)
    expected = F.interpolate(coarse, scale_factor=8, mode="bilinear", align_corners=False)
    torch.testing.assert_close(model(x), expected)


def test_deeplab_overfits_four_images():
    # A tiny convergence run: the whole pipeline can learn (a square, 4 images).
    torch.manual_seed(0)
    masks = torch.zeros(4, 32, 32, dtype=torch.long)
    for i in range(4):
        masks[i, 4 + 4 * i:16 + 4 * i, 8:24] = 1
    images = masks[:, None].float() * 0.6 + 0.2 + 0.05 * torch.randn(4, 1, 32, 32)
    model = DeepLabV3(1, 2, output_stride=8, width=4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(model(images), masks)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


@pytest.mark.parametrize("name", BUILDERS)
def test_models_trace_with_torch_fx(name):
    # Tools like seglearn.receptive_field trace models with torch.fx; the input checks
    # step aside for the symbolic input, and the traced graph computes the same logits.
    model = BUILDERS[name](1, 2).eval()
    traced = torch.fx.symbolic_trace(model)
    x = torch.rand(2, 1, 32, 32)
    torch.testing.assert_close(traced(x), model(x))


def test_deeplab_output_stride_4_logits_and_gradients():
    torch.manual_seed(0)
    model = EXTRA["deeplab-os4"](3, 4).train()
    x = torch.rand(2, 3, 32, 24)
    logits = model(x)
    assert logits.shape == (2, 4, 32, 24) and torch.isfinite(logits).all()
    F.cross_entropy(logits, torch.randint(0, 4, (2, 32, 24))).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname
