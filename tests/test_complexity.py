"""Tests of seglearn.complexity against hand-computed parameter and MAC counts."""

import pytest
import torch
from torch import nn

from seglearn.complexity import Complexity, model_complexity
from seglearn.models import TinyEncoderDecoder


def test_single_conv_hand_count():
    # 10×12 input, 3×3 kernel, stride 2, padding 1 → 5×6 output; groups 2.
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    c = model_complexity(conv, (2, 4, 10, 12))
    assert c.macs == 2 * 5 * 6 * 6 * (4 // 2) * 3 * 3
    assert c.params == 6 * 2 * 3 * 3 + 6


def test_dilation_costs_no_extra_macs():
    dense = model_complexity(nn.Conv2d(3, 5, 3, padding=1), (1, 3, 8, 8))
    atrous = model_complexity(nn.Conv2d(3, 5, 3, padding=4, dilation=4), (1, 3, 8, 8))
    assert dense == atrous
    assert dense.macs == 8 * 8 * 5 * 3 * 9


def test_transposed_conv_and_linear_hand_count():
    up = nn.ConvTranspose2d(3, 5, 4, stride=2, padding=1, bias=False)
    assert model_complexity(up, (1, 3, 7, 6)).macs == 7 * 6 * 3 * 5 * 16
    lin = nn.Linear(10, 4)
    c = model_complexity(lin, (2, 3, 5, 10))  # Linear acts on the last dimension
    assert (c.macs, c.params) == (2 * 3 * 5 * 10 * 4, 44)


def test_tiny_encoder_decoder_hand_count():
    c = model_complexity(TinyEncoderDecoder(1, 2), (1, 1, 32, 32))
    assert c.params == 640 + 36_928 + 65_600 + 130
    assert c.macs == (32 * 32 * 64 * 1 * 9      # conv 3×3, 1 → 64 at 32×32
                      + 16 * 16 * 64 * 64 * 9   # conv 3×3, 64 → 64 at 16×16
                      + 16 * 16 * 64 * 64 * 16  # transposed 4×4 from 16×16
                      + 32 * 32 * 2 * 64)       # 1×1 classifier
    assert "103.30 k parameters" in str(c) and "26.94 M MACs" in str(c)


def test_modules_called_twice_count_twice_and_batch_scales_macs():
    conv = nn.Conv2d(2, 2, 1, bias=False)
    twice = nn.Sequential(conv, conv)  # the same module twice: parameters once
    c1, c4 = model_complexity(twice, (1, 2, 3, 3)), model_complexity(twice, (4, 2, 3, 3))
    assert (c1.params, c1.macs) == (4, 2 * 9 * 2 * 2)
    assert c4.macs == 4 * c1.macs and c4.input_size == (4, 2, 3, 3)


def test_mode_restored_and_nothing_counted_without_convs():
    model = nn.Sequential(nn.BatchNorm2d(2), nn.ReLU()).train()
    c = model_complexity(model, (1, 2, 4, 4))
    assert model.training
    assert c == Complexity(params=4, macs=0, input_size=(1, 2, 4, 4))
    with pytest.raises(ValueError, match="positive"):
        model_complexity(model, (0, 2, 4, 4))


def test_parameter_free_model():
    assert model_complexity(nn.Identity(), (1, 1, 2, 2)).macs == 0
    assert torch.is_grad_enabled()
