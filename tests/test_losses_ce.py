"""Pixel-wise losses of seglearn.losses, checked against hand computations and PyTorch.

The hand-made example: one 2×2 image, K = 2, class-0 logits 0 and class-1 logits
[[0, ln 3], [ln 3, −ln 3]], so p1 = [[1/2, 3/4], [3/4, 1/4]] (p1 = 3/(1+3) = 3/4, ...).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from loss_cases import LN3, tiny

from seglearn.losses import (
    BalancedCrossEntropyLoss,
    CrossEntropyLoss,
    FocalLoss,
    balanced_cross_entropy_loss,
    cross_entropy_loss,
    focal_loss,
)


def _p1(z1):  # softmax probability of class 1 when the class-0 logit is 0, by hand
    return math.exp(z1) / (math.exp(0.0) + math.exp(z1))


def test_tiny_probabilities_are_what_the_docstring_says():
    assert [_p1(z) for z in (0.0, LN3, -LN3)] == pytest.approx([0.5, 0.75, 0.25])


def test_cross_entropy_by_hand():
    logits, masks = tiny()
    # true-class probabilities: 1/2 (class 0), 3/4, 3/4 (class 1), 3/4 (class 0: 1 − 1/4)
    expected = -(math.log(0.5) + 3 * math.log(0.75)) / 4
    assert cross_entropy_loss(logits, masks).item() == pytest.approx(expected, rel=1e-6)


def test_weighted_cross_entropy_by_hand_is_a_weighted_mean():
    logits, masks = tiny()
    w = [1.0, 3.0]  # class 0 weight 1 (pixels 0 and 3), class 1 weight 3 (pixels 1 and 2)
    num = 1 * -math.log(0.5) + 3 * -math.log(0.75) + 3 * -math.log(0.75) + 1 * -math.log(0.75)
    expected = num / (1 + 3 + 3 + 1)
    loss = cross_entropy_loss(logits, masks, class_weights=torch.tensor(w))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("ignore_index", [-100, 255])
def test_cross_entropy_matches_pytorch_with_weights_and_ignore_index(ignore_index):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 4, 5, 6, generator=g, dtype=torch.float64)
    masks = torch.randint(0, 4, (3, 5, 6), generator=g)
    masks[torch.rand(3, 5, 6, generator=g) < 0.3] = ignore_index
    weights = torch.tensor([0.2, 1.0, 3.0, 0.5], dtype=torch.float64)
    ours = cross_entropy_loss(logits, masks, class_weights=weights, ignore_index=ignore_index)
    ref = F.cross_entropy(logits, masks, weight=weights, ignore_index=ignore_index)
    torch.testing.assert_close(ours, ref)
    module = CrossEntropyLoss(class_weights=weights, ignore_index=ignore_index)
    torch.testing.assert_close(module(logits, masks), ref)


def test_cross_entropy_all_ignored_is_zero_not_nan():
    logits = torch.randn(1, 2, 3, 3, requires_grad=True)
    masks = torch.full((1, 3, 3), -100)
    loss = cross_entropy_loss(logits, masks)
    loss.backward()
    assert loss.item() == 0.0 and torch.all(logits.grad == 0)
    assert torch.isnan(F.cross_entropy(logits, masks))  # what we chose not to copy


def test_balanced_bce_by_hand_beta_from_the_batch():
    logits, _ = tiny()
    masks = torch.tensor([[[0, 1], [1, 1]]])  # 3 of 4 pixels foreground -> beta = 1/4
    beta = 0.25
    p = [0.5, 0.75, 0.75, 0.25]
    t = [0, 1, 1, 1]
    terms = [-(beta * ti * math.log(pi) + (1 - beta) * (1 - ti) * math.log(1 - pi))
             for pi, ti in zip(p, t, strict=True)]
    expected = sum(terms) / 4
    assert balanced_cross_entropy_loss(logits, masks).item() == pytest.approx(expected, rel=1e-6)
    explicit = balanced_cross_entropy_loss(logits, masks, beta=0.25)
    assert explicit.item() == pytest.approx(expected, rel=1e-6)


def test_balanced_bce_with_half_beta_is_half_the_binary_cross_entropy():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 2, 4, 4, generator=g, dtype=torch.float64)
    masks = torch.randint(0, 2, (2, 4, 4), generator=g)
    ours = balanced_cross_entropy_loss(logits, masks, beta=0.5)
    ref = 0.5 * F.cross_entropy(logits, masks)  # for K = 2 BCE on p1 is the 2-class CE
    torch.testing.assert_close(ours, ref)


def test_balanced_bce_foreground_choice_and_multiclass():
    # K = 3, foreground = 2: log(1 - p2) must be the log of p0 + p1
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(1, 3, 2, 3, generator=g, dtype=torch.float64)
    masks = torch.tensor([[[0, 2, 1], [2, 2, 0]]])
    p = torch.softmax(logits, 1)[0, 2].flatten().tolist()
    t = (masks[0] == 2).flatten().tolist()
    beta = 0.3
    expected = sum(-(beta * ti * math.log(pi) + (1 - beta) * (1 - ti) * math.log(1 - pi))
                   for pi, ti in zip(p, t, strict=True)) / 6
    loss = balanced_cross_entropy_loss(logits, masks, beta=beta, foreground=2)
    assert loss.item() == pytest.approx(expected, rel=1e-9)


def test_balanced_bce_stays_finite_when_the_foreground_is_certain():
    logits = torch.tensor([[[[-200.0]], [[200.0]]]], requires_grad=True)  # p1 = 1 exactly
    loss = balanced_cross_entropy_loss(logits, torch.tensor([[[0]]]), beta=0.5)
    loss.backward()
    assert loss.item() == pytest.approx(0.5 * 400.0) and torch.isfinite(logits.grad).all()


def test_focal_by_hand():
    logits, masks = tiny()
    pt = [0.5, 0.75, 0.75, 0.75]
    expected = sum(-((1 - p) ** 2) * math.log(p) for p in pt) / 4
    assert focal_loss(logits, masks, gamma=2.0).item() == pytest.approx(expected, rel=1e-6)
    # binary float alpha: 0.25 on class 1 (pixels 1, 2), 0.75 on class 0 (pixels 0, 3)
    at = [0.75, 0.25, 0.25, 0.75]
    expected_a = sum(-a * (1 - p) ** 2 * math.log(p) for a, p in zip(at, pt, strict=True)) / 4
    loss_a = focal_loss(logits, masks, gamma=2.0, alpha=0.25)
    assert loss_a.item() == pytest.approx(expected_a, rel=1e-6)
    loss_t = focal_loss(logits, masks, gamma=2.0, alpha=torch.tensor([0.75, 0.25]))
    assert loss_t.item() == pytest.approx(expected_a, rel=1e-6)


def test_focal_with_gamma_zero_is_cross_entropy():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64)
    masks = torch.randint(0, 3, (2, 4, 5), generator=g)
    masks[0, 0] = -100
    ref = F.cross_entropy(logits, masks)
    torch.testing.assert_close(focal_loss(logits, masks, gamma=0.0), ref)
    torch.testing.assert_close(cross_entropy_loss(logits, masks), ref)


def test_focal_down_weights_easy_pixels():
    logits, masks = tiny()
    assert focal_loss(logits, masks, gamma=2.0) < focal_loss(logits, masks, gamma=0.5)
    assert focal_loss(logits, masks, gamma=0.5) < cross_entropy_loss(logits, masks)


def test_focal_gradient_finite_for_small_gamma_at_perfect_pixels():
    logits = torch.tensor([[[[300.0, 0.0]], [[-300.0, 0.0]]]], requires_grad=True)
    focal_loss(logits, torch.tensor([[[0, 1]]]), gamma=0.5).backward()
    assert torch.isfinite(logits.grad).all()


def test_pixelwise_bad_settings_raise():
    logits, masks = tiny()
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(logits, masks, gamma=-1.0)
    with pytest.raises(ValueError, match="K = 2"):
        focal_loss(torch.zeros(1, 3, 2, 2), masks, alpha=0.25)
    with pytest.raises(ValueError, match="alpha"):
        focal_loss(logits, masks, alpha=[0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="beta"):
        balanced_cross_entropy_loss(logits, masks, beta=1.5)
    with pytest.raises(ValueError, match="foreground"):
        balanced_cross_entropy_loss(logits, masks, foreground=2)
    with pytest.raises(ValueError, match="class_weights"):
        cross_entropy_loss(logits, masks, class_weights=[1.0, -1.0])


def test_modules_repr_and_call():
    logits, masks = tiny()
    focal = FocalLoss(gamma=1.5, alpha=[0.3, 0.7])
    assert repr(focal) == "FocalLoss(gamma=1.5, alpha=[0.3, 0.7], ignore_index=-100)"
    assert focal(logits, masks).item() == pytest.approx(
        focal_loss(logits, masks, gamma=1.5, alpha=torch.tensor([0.3, 0.7])).item())
    bce = BalancedCrossEntropyLoss(beta=0.2)
    assert "beta=0.2" in repr(bce) and "foreground=1" in repr(bce)
    assert bce(logits, masks).item() == pytest.approx(
        balanced_cross_entropy_loss(logits, masks, beta=0.2).item())
