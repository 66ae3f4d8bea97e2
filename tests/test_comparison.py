"""seglearn.comparison: the contenders of *The losses compared*, checked by hand-made cases
(a schedule read off its clock, an equal weighting read off its value, a network that
returns the truth)."""

from __future__ import annotations

import math

import pytest
import torch

from seglearn.comparison import (
    FAMILY,
    LEARNING_RATES,
    SETTINGS,
    dice_plus_boundary,
    dice_plus_hausdorff,
    load_comparison_data,
    make_losses,
    score,
    sparse_triangles,
)
from seglearn.losses import boundary_loss, dice_loss, hausdorff_dt_loss


def _batch(seed: int = 0):
    images, masks = sparse_triangles("train", 4)
    logits = torch.randn(4, 2, 64, 64, generator=torch.Generator().manual_seed(seed))
    return images, masks, logits


def test_sparse_triangles_keep_the_objects_and_dilute_them():
    images, masks = sparse_triangles("val", 20)
    assert images.shape == (20, 1, 64, 64) and masks.dtype == torch.int64
    assert 0 <= float(images.min()) and float(images.max()) <= 1
    area = masks.flatten(1).sum(1).float()  # the book's areas: 18 to 90 px (pixel centres)
    assert 10 <= float(area.min()) and float(area.max()) <= 100
    assert 0.005 < float(masks.float().mean()) < 0.025  # about 1.3 %, a quarter of 5 %
    with pytest.raises(ValueError, match="sparse"):
        load_comparison_data("shapes")


def test_every_contender_has_a_family_settings_and_a_finite_value():
    _, masks, logits = _batch()
    losses = make_losses(masks, updates_per_epoch=1)
    assert list(losses) == list(FAMILY) == list(SETTINGS) and len(losses) == 20
    for name, make in losses.items():
        value = make()(logits, masks)
        assert value.ndim == 0 and math.isfinite(float(value)), name
    assert set(LEARNING_RATES) == {"adam", "sgdm"}


def test_boundary_schedule_grows_from_zero_to_ten():
    _, masks, logits = _batch(1)
    loss = dice_plus_boundary(updates_per_epoch=2, epochs=3)
    dice, bnd = dice_loss(logits, masks), boundary_loss(logits, masks)
    got = [loss(logits, masks) for _ in range(6)]  # epochs 0, 0, 1, 1, 2, 2
    for value, lam in zip(got, (0, 0, 5, 5, 10, 10), strict=True):
        torch.testing.assert_close(value, dice + lam * bnd)


def test_hausdorff_term_weighs_as_much_as_dice_but_keeps_its_gradient():
    _, masks, logits = _batch(2)
    logits.requires_grad_(True)
    value = dice_plus_hausdorff(logits, masks)
    dice, hd = dice_loss(logits, masks), hausdorff_dt_loss(logits, masks)
    torch.testing.assert_close(value, 2 * dice)
    (grad,) = torch.autograd.grad(value, logits)
    (g_dice,) = torch.autograd.grad(dice, logits, retain_graph=True)
    (g_hd,) = torch.autograd.grad(hd, logits)
    torch.testing.assert_close(grad, g_dice + (dice / hd).detach() * g_hd)


class _Oracle(torch.nn.Module):
    """Returns confident logits of the true masks it was given."""

    def __init__(self, masks):
        super().__init__()
        self.masks = masks

    def forward(self, x):
        return torch.nn.functional.one_hot(self.masks, 2).movedim(-1, 1).float() * 20 - 10


def test_score_of_the_truth_is_perfect_and_of_nothing_is_a_miss():
    images, masks = sparse_triangles("test", 6)
    perfect = score(_Oracle(masks), images, masks)
    assert perfect["MeanIoU"] == 1 and perfect["HD95"] == 0 and perfect["missed"] == 0
    assert perfect["precision"] == perfect["recall"] == 1 and perfect["ECE"] < 1e-4
    nothing = score(_Oracle(torch.zeros_like(masks)), images, masks)
    assert nothing["missed"] == 1 and math.isnan(nothing["HD95"]) and nothing["recall"] == 0
