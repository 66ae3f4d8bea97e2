"""Tests of seglearn.receptive_field against hand arithmetic, PyTorch's own output sizes,
gradient footprints and brute-force enumeration of kernel taps."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seglearn.coverage import dilation_coverage
from seglearn.models import DilatedNet
from seglearn.receptive_field import (
    LayerSpec,
    effective_receptive_field,
    format_receptive_field_table,
    receptive_field,
    receptive_field_table,
)

# ---------------------------------------------------------------- hand-computed fields


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),  # 1 + 2 (1 + 2 + 4)
        ([(3, 1, 1), (2, 2, 1), (3, 1, 1)], 8),  # 3, + 1·1, + 2·2 (jump 2 after the pool)
        ([(7, 2, 1), (3, 2, 1)], 11),  # 7, + 2·2
        ([(3, 2, 1), (3, 2, 1), (3, 2, 1)], 15),  # 3, + 2·2, + 2·4
        ([(1, 1, 1)], 1),
        ([LayerSpec(3, dilation=8)], 17),
    ],
)
def test_hand_computed_stacks(specs, expected):
    assert receptive_field(specs) == expected


def test_dilated_net_default_is_15_and_table_reads_like_the_chapter():
    rows = receptive_field_table(DilatedNet(), input_size=32)
    assert receptive_field(DilatedNet()) == 15
    assert [r.name for r in rows] == ["features.0.0", "features.1.0", "features.2.0", "classifier"]
    assert [r.receptive_field for r in rows] == [3, 7, 15, 15]
    assert [r.k_eff for r in rows] == [3, 5, 9, 1]
    assert all(r.out_size == (32, 32) and r.jump == 1 for r in rows)
    assert receptive_field(DilatedNet(dilations=(1, 2, 4, 8))) == 31
    text = format_receptive_field_table(rows)
    assert text.splitlines()[0].split() == ["layer", "type", "k", "s", "d", "p", "k_eff",
                                            "jump", "RF", "out"]
    assert "features.2.0  Conv2d" in text and "32×32" in text


def test_pointwise_rows_are_hidden_unless_asked():
    rows = receptive_field_table(DilatedNet(), include_pointwise=True)
    assert [r.type for r in rows[:3]] == ["Conv2d", "BatchNorm2d", "ReLU"]
    assert len(rows) == 10 and sum(r.pointwise for r in rows) == 6


# ---------------------------------------------------------------- against PyTorch itself


def _random_stack(
    rng: random.Random, kinds=("conv", "conv", "max", "avg"), act: bool = True
) -> nn.Sequential:
    """Random convolutions and pools; ``act=False``: no padding, no pointwise layers."""
    layers: list[nn.Module] = []
    c = 2
    for _ in range(rng.randint(1, 5)):
        kind = rng.choice(kinds)
        if kind == "conv":
            k, d = rng.randint(1, 4), rng.randint(1, 3)
            layers.append(nn.Conv2d(c, 2, k, stride=rng.randint(1, 2), dilation=d,
                                    padding=rng.randint(0, 2) if act else 0, bias=False))
        elif kind == "max":
            k = rng.randint(2, 3)
            layers.append(nn.MaxPool2d(k, stride=rng.randint(1, 3), padding=rng.randint(0, k // 2),
                                       dilation=rng.randint(1, 2), ceil_mode=rng.random() < .5))
        else:
            k = rng.randint(2, 3)
            layers.append(nn.AvgPool2d(k, stride=rng.randint(1, 3), padding=rng.randint(0, k // 2),
                                       ceil_mode=rng.random() < .5))
        if act and rng.random() < 0.5:
            layers.append(rng.choice([nn.ReLU(), nn.BatchNorm2d(2), nn.Identity()]))
    return nn.Sequential(*layers)


def test_table_output_sizes_match_pytorch():
    rng, checked = random.Random(0), 0
    for _ in range(60):
        model = _random_stack(rng).eval()
        h, w = rng.randint(9, 40), rng.randint(9, 40)
        x = torch.rand(1, 2, h, w)
        sizes, ok = {}, True
        try:
            for name, layer in model.named_children():
                x = layer(x)
                sizes[name] = tuple(x.shape[-2:])
                ok = ok and min(x.shape[-2:]) >= 1
        except RuntimeError:  # PyTorch refuses an input smaller than the window
            ok = False
        if not ok:  # too small for PyTorch: the table must refuse it too
            with pytest.raises(ValueError, match="too small"):
                receptive_field_table(model, input_size=(h, w))
            continue
        for row in receptive_field_table(model, input_size=(h, w), include_pointwise=True):
            assert row.out_size == sizes[row.name], (model, h, w, row)
            checked += 1
    assert checked > 50


def _nonzero_rows_cols(g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the rows and of the columns of a 2-D map that hold a non-zero value."""
    nz = g != 0
    return torch.nonzero(nz.any(dim=1)).flatten(), torch.nonzero(nz.any(dim=0)).flatten()


def test_field_equals_gradient_footprint_of_random_stacks():
    rng = random.Random(1)
    for _ in range(25):
        # average, not max pooling: max sends the gradient to one pixel of its window
        model = _random_stack(rng, kinds=("conv", "conv", "avg"), act=False).double()
        for p in model.parameters():
            nn.init.normal_(p)  # random weights: no accidental zero in the gradient
        rows = receptive_field_table(model)
        rf, jump, start = rows[-1].receptive_field, rows[-1].jump, rows[-1].start
        size = rf + 4 * jump  # output at least 5 wide, padding never clips
        x = torch.rand(1, 2, size, size, dtype=torch.float64, requires_grad=True)
        y = model(x)
        o = y.shape[-1] // 2
        (grad,) = torch.autograd.grad(y[0, :, o, o].sum(), x)
        r, c = _nonzero_rows_cols(grad[0].abs().sum(dim=0))  # over (H, W)
        assert int(r[-1] - r[0]) + 1 == rf and int(c[-1] - c[0]) + 1 == rf, model
        assert float(r[0] + r[-1]) / 2 == start + o * jump  # centre of the field, too


class _TwoBranches(nn.Module):
    def __init__(self, stride2: int = 1) -> None:
        super().__init__()
        self.a = nn.Conv2d(1, 1, 3, padding=1)
        self.b = nn.Conv2d(1, 1, 3, padding=3, dilation=3, stride=stride2)
        self.head = nn.Conv2d(2, 1, 1)

    def forward(self, x):
        return self.head(F.relu(torch.cat([self.a(x), self.b(x)], dim=1)))


class _Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(self.conv1(x).relu())


@pytest.mark.parametrize(("model", "expected"), [(_TwoBranches(), 7), (_Residual(), 5)])
def test_branches_take_the_hull_and_match_the_gradient(model, expected):
    assert receptive_field(model) == expected
    model = model.double()
    for p in model.parameters():
        nn.init.uniform_(p, 0.5, 1.0)  # positive: every ReLU passes, no cancellation
    x = torch.rand(1, 1, 21, 21, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(model(x)[0, 0, 10, 10], x)
    r, c = _nonzero_rows_cols(grad[0, 0])
    assert (int(r[-1] - r[0]) + 1, int(c[-1] - c[0]) + 1) == (expected, expected)


# ---------------------------------------------------------------- clear errors


class _Upsampler(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0)


@pytest.mark.parametrize(
    ("model", "exc", "match"),
    [
        (nn.Sequential(nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(1, 1, 3)), TypeError,
         "ConvTranspose2d"),
        (nn.Sequential(nn.Conv2d(1, 1, 3), nn.AdaptiveAvgPool2d(1)), TypeError,
         "AdaptiveAvgPool2d"),
        (_Upsampler(), TypeError, "interpolate"),
        (nn.Conv2d(1, 1, (3, 5)), ValueError, "non-square"),
        (_TwoBranches(stride2=2), ValueError, "different jumps"),
        ([(3, 1)], TypeError, "layer spec 0"),
        ([(3, 0, 1)], ValueError, "stride"),
        ([], TypeError, "non-empty"),
    ],
)
def test_unsupported_layers_raise_naming_them(model, exc, match):
    with pytest.raises(exc, match=match):
        receptive_field(model)


def test_too_small_input_is_refused():
    with pytest.raises(ValueError, match="too small"):
        receptive_field([(3, 1, 4)], input_size=8)  # k_eff 9 > 8 without padding
    assert receptive_field([(3, 1, 4, 4)], input_size=8) == 9


# ---------------------------------------------------------------- dilation coverage


@pytest.mark.parametrize(
    ("rates", "rf", "holes", "hdc_ok"),
    [((1, 1, 1), 7, 0, True), ((2, 2, 2), 13, 13 * 13 - 7 * 7, True),
     ((1, 2, 5), 17, 0, True), ((2, 4, 8), 29, 29 * 29 - 15 * 15, False),
     ((1, 2, 9), 25, 25 * 25 - 21 * 21, False)],
)
def test_dilation_coverage_cases(rates, rf, holes, hdc_ok):
    cov = dilation_coverage(rates)
    assert cov.receptive_field == rf == receptive_field([(3, 1, r) for r in rates])
    assert cov.num_holes == holes
    assert cov.hdc_ok is hdc_ok
    assert cov.counts.sum() == 3 ** (2 * len(rates))


def test_hdc_rule_alone_is_not_enough():
    cov = dilation_coverage((2, 2, 2))
    assert cov.hdc_ok and cov.num_holes > 0 and cov.common_factor == 2
    assert cov.offsets == tuple(range(-6, 7, 2))


@pytest.mark.parametrize(
    "rates", [(1,), (3,), (2, 3), (1, 2, 5), (2, 4, 8), (3, 1, 2), (1, 3, 3, 7)]
)
@pytest.mark.parametrize("k", [3, 5])
def test_coverage_equals_brute_force_enumeration_of_taps(rates, k):
    cov = dilation_coverage(rates, kernel_size=k)
    half = (cov.receptive_field - 1) // 2
    expected = np.zeros(cov.receptive_field, dtype=np.int64)
    taps = [[r * (j - k // 2) for j in range(k)] for r in rates]
    for path in itertools.product(*taps):
        expected[sum(path) + half] += 1
    np.testing.assert_array_equal(cov.counts_1d, expected)
    if len(rates) <= 3 and k == 3:  # 2-D brute force: 9 ** n paths
        grid = np.zeros((cov.receptive_field,) * 2, dtype=np.int64)
        for path in itertools.product(*[list(itertools.product(t, t)) for t in taps]):
            grid[sum(p[0] for p in path) + half, sum(p[1] for p in path) + half] += 1
        np.testing.assert_array_equal(cov.counts, grid)
    assert cov.num_holes_1d == int((expected == 0).sum())


@pytest.mark.parametrize("rates", [(2, 2, 2), (1, 2, 5), (2, 4, 8), (1, 2, 9)])
def test_coverage_equals_gradient_footprint_of_a_linear_stack(rates):
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Conv2d(1, 1, 3, dilation=r, bias=False) for r in rates]).double()
    cov = dilation_coverage(rates)
    x = torch.rand(1, 1, cov.receptive_field, cov.receptive_field, dtype=torch.float64,
                   requires_grad=True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)  # output is 1×1
    np.testing.assert_array_equal((grad[0, 0] != 0).numpy(), cov.covered)


@pytest.mark.parametrize(("rates", "k"), [((), 3), ((0, 1), 3), ((1,), 2), ((1,), 0)])
def test_dilation_coverage_rejects_bad_input(rates, k):
    with pytest.raises(ValueError):
        dilation_coverage(rates, kernel_size=k)


# ---------------------------------------------------------------- effective field


def test_erf_of_one_linear_conv_is_its_kernel():
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.arange(1.0, 10.0).view(1, 1, 3, 3) - 5.0)
    erf = effective_receptive_field(conv, (9, 9), num_samples=2)
    expected = torch.zeros(9, 9)
    expected[3:6, 3:6] = (torch.arange(1.0, 10.0).view(3, 3) - 5.0).abs() / 4.0
    torch.testing.assert_close(erf, expected)
    assert conv.weight.grad is None


def test_erf_lies_inside_the_theoretical_field_and_restores_modes():
    torch.manual_seed(0)
    model = DilatedNet()
    model.train()
    model.features[1][1].eval()  # a mixed state must come back as it was
    erf = effective_receptive_field(model, 32, num_samples=4, seed=3)
    assert erf.shape == (32, 32) and erf.dtype == torch.float32 and float(erf.max()) == 1.0
    outside = erf.clone()
    outside[16 - 7:16 + 8, 16 - 7:16 + 8] = 0
    assert float(outside.abs().max()) == 0.0 and float(erf[16, 16]) > 0
    assert model.training and not model.features[1][1].training
    assert model.features[0][1].training
    assert all(p.grad is None for p in model.parameters())
    again = effective_receptive_field(model, 32, num_samples=4, seed=3)
    torch.testing.assert_close(erf, again)
    class1 = effective_receptive_field(model, images=torch.rand(2, 1, 20, 24), target_class=1)
    assert class1.shape == (20, 24)


def test_erf_rejects_bad_arguments():
    with pytest.raises(ValueError, match="target_class"):
        effective_receptive_field(DilatedNet(), 8, target_class=2)
    with pytest.raises(ValueError, match="num_samples"):
        effective_receptive_field(DilatedNet(), 8, num_samples=0)
    with pytest.raises(ValueError):
        effective_receptive_field(DilatedNet(), images=torch.rand(1, 8, 8))
