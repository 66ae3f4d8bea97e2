"""Tests of the building blocks: conv-BN-ReLU (seglearn.models), the bottleneck unit and ASPP
(seglearn.deeplab, against torchvision)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.segmentation.deeplabv3 import ASPP as TorchvisionASPP

from seglearn.deeplab import ASPP, Bottleneck
from seglearn.models import conv_bn_relu


def _randomize_bn(module: nn.Module, gen: torch.Generator) -> None:
    """Non-trivial batch-norm statistics and affine parameters, so eval mode is tested."""
    for bn in module.modules():
        if isinstance(bn, nn.BatchNorm2d):
            c = bn.num_features
            bn.running_mean.copy_(torch.randn(c, generator=gen) * 0.5)
            bn.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
            bn.weight.data.copy_(torch.rand(c, generator=gen) + 0.5)
            bn.bias.data.copy_(torch.randn(c, generator=gen) * 0.2)


def _all_grads_nonzero(module: nn.Module) -> None:
    for name, p in module.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        assert p.grad.abs().sum() > 0, f"{name} got an all-zero gradient"


@pytest.mark.parametrize("dilation", [1, 2, 5])
def test_conv_bn_relu_keeps_size_and_is_nonnegative(dilation):
    block = conv_bn_relu(3, 4, dilation=dilation)
    y = block(torch.randn(2, 3, 9, 7))
    assert y.shape == (2, 4, 9, 7)
    assert (y >= 0).all()
    assert block[0].padding == (dilation, dilation)


def test_conv_bn_relu_rejects_even_kernel():
    with pytest.raises(ValueError, match="odd"):
        conv_bn_relu(1, 1, kernel_size=2)


@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (1, 3)])
def test_residual_block_shapes(stride, dilation):
    block = Bottleneck(4, 2, 6, stride=stride, dilation=dilation)
    y = block(torch.randn(2, 4, 9, 8))
    assert y.shape == (2, 6, -(-9 // stride), 8 // stride)


def test_residual_block_is_relu_of_input_when_residual_branch_is_silenced():
    # With the last batch norm's scale and shift at 0 the residual branch outputs 0, and
    # an identity shortcut leaves relu(x): the "identity mapping" a ResNet starts from.
    block = Bottleneck(5, 3, 5)
    last_bn = block.residual[-1][1]
    nn.init.zeros_(last_bn.weight)
    nn.init.zeros_(last_bn.bias)
    x = torch.randn(3, 5, 6, 6)
    torch.testing.assert_close(block(x), torch.relu(x))


def test_residual_block_rejects_bad_stride():
    with pytest.raises(ValueError, match="stride"):
        Bottleneck(2, 2, 2, stride=0)
    with pytest.raises(ValueError, match="dilation"):
        Bottleneck(2, 2, 2, dilation=0)


def _copy_into_torchvision(ours: ASPP, theirs: TorchvisionASPP) -> None:
    """Load our ASPP's weights into torchvision's, branch by branch (same order).

    The pooling branch differs in form: ours is conv(+bias) → ReLU, theirs conv → BN →
    ReLU. Their eval-mode BN is the affine map y = γ (z − μ)/√(σ² + ε) + β, so we give
    them our conv weights, and a BN (μ = 0, σ² = 1 − ε, γ = 1, β = our bias) that adds our
    bias: then both compute ReLU(W·mean(x) + b) exactly.
    """
    n_conv = 1 + len(ours.rates)
    for i in range(n_conv):
        theirs.convs[i].load_state_dict(ours.branches[i].state_dict())
    pool_conv, pool_bn = theirs.convs[n_conv][1], theirs.convs[n_conv][2]
    ours_pool = ours.branches[n_conv].conv
    pool_conv.weight.data.copy_(ours_pool.weight.data)
    pool_bn.running_mean.zero_()
    pool_bn.running_var.fill_(1.0 - pool_bn.eps)
    pool_bn.weight.data.fill_(1.0)
    pool_bn.bias.data.copy_(ours_pool.bias.data)
    proj = dict(theirs.project.named_children())
    proj["0"].load_state_dict(ours.project[0].state_dict())
    proj["1"].load_state_dict(ours.project[1].state_dict())


@pytest.mark.parametrize("rates,size", [((1, 2, 3), (4, 4)), ((2, 6), (7, 5)), ((), (3, 3))])
def test_aspp_matches_torchvision_in_eval_mode(rates, size):
    gen = torch.Generator().manual_seed(0)
    ours = ASPP(6, 4, rates)
    _randomize_bn(ours, gen)
    with torch.no_grad():
        ours.branches[-1].conv.bias.copy_(torch.randn(4, generator=gen))
    theirs = TorchvisionASPP(6, rates, out_channels=4)
    _copy_into_torchvision(ours, theirs)
    ours.eval()
    theirs.eval()  # also turns off torchvision's dropout (0.5)
    x = torch.randn(3, 6, *size, generator=gen)
    torch.testing.assert_close(ours(x), theirs(x))


def test_aspp_without_pooling_is_the_conv_branches_only():
    aspp = ASPP(3, 2, (1, 4), image_pooling=False).eval()
    assert len(aspp.branches) == 3 and aspp.project[0].in_channels == 3 * 2
    x = torch.randn(2, 3, 5, 5)
    branches = torch.cat([b(x) for b in aspp.branches], dim=1)  # (N, 3·2, 5, 5)
    torch.testing.assert_close(aspp(x), aspp.project(branches))


def test_aspp_pooling_branch_is_constant_relu_of_mean():
    aspp = ASPP(3, 2, (1,))
    pool = aspp.branches[-1]
    x = torch.randn(2, 3, 4, 6)
    expected = torch.relu(x.mean(dim=(2, 3)) @ pool.conv.weight[:, :, 0, 0].T + pool.conv.bias)
    y = pool(x)
    assert y.shape == (2, 2, 4, 6)
    torch.testing.assert_close(y, expected[:, :, None, None].expand(-1, -1, 4, 6))


def test_atrous_rate_at_least_feature_size_reduces_to_centre_tap():
    # REFERENCE.md section 6: on a 4×4 map a 3×3 filter at rate 4 sees only its centre.
    conv = nn.Conv2d(3, 2, 3, padding=4, dilation=4, bias=False)
    x = torch.randn(1, 3, 4, 4)
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight[:, :, 1:2, 1:2]))


def test_aspp_trains_with_batch_of_one_where_torchvision_cannot():
    torch.manual_seed(0)
    x = torch.randn(1, 4, 4, 4)
    ours = ASPP(4, 3, (1, 2)).train()
    ours(x).square().mean().backward()
    pooling = ours.branches[-1]
    _all_grads_nonzero(nn.ModuleList([*ours.branches[:-1], ours.project]))
    # Documented caveat: with one image, the pooling branch is a per-channel constant that
    # the projection's batch norm removes, so it gets zero gradient (up to rounding).
    assert all(p.grad.abs().max() < 1e-6 for p in pooling.parameters())
    # Why our pooling branch has no batch norm: torchvision's needs > 1 value per channel.
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        TorchvisionASPP(4, (1, 2), out_channels=3).train()(x)


def test_aspp_gradients_reach_every_parameter():
    torch.manual_seed(0)
    aspp = ASPP(4, 3, (1, 2, 3), dropout=0.1).train()
    aspp(torch.randn(2, 4, 5, 5)).square().mean().backward()
    _all_grads_nonzero(aspp)


def test_aspp_rejects_bad_settings_and_single_value_batches():
    with pytest.raises(ValueError, match="rate"):
        ASPP(2, 2, (1, 0))
    with pytest.raises(ValueError, match="dropout"):
        ASPP(2, 2, (1,), dropout=1.0)
    with pytest.raises(ValueError, match="one value per channel"):
        ASPP(2, 2, (1,)).train()(torch.randn(1, 2, 1, 1))
    assert ASPP(2, 2, (1,)).eval()(torch.randn(1, 2, 1, 1)).shape == (1, 2, 1, 1)
