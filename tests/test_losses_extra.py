"""The region variants, compound and Lovász losses of seglearn.losses, checked against
hand computations, brute-force loops and identities (the boundary-based losses are in
test_losses_boundary.py).

The hand-made example (as in test_losses_overlap.py): one 2×2 image, K = 2, class-0
logits 0, class-1 logits [[0, ln 3], [ln 3, −ln 3]], so p1 = [[1/2, 3/4], [3/4, 1/4]],
truth t1 = [[0, 1], [1, 0]]. Soft Dice: class 1 = 3 / (2.25 + 2) = 12/17, class 0 =
2.5 / (1.75 + 2) = 2/3.
"""

import itertools
import math
from functools import partial

import pytest
import torch
import torch.nn.functional as F
from loss_cases import random_case, tiny

from seglearn import losses as L
from seglearn.losses._lovasz import _lovasz_gradient, _lovasz_per_class

_random = partial(random_case, n=2, k=3, h=5, w=6)
_tiny = partial(tiny, dtype=torch.float64)


def _hard_logits(labels, k, scale=40.0):
    """Logits whose softmax is one-hot ``labels`` up to e^-scale."""
    return scale * F.one_hot(labels, k).permute(0, 3, 1, 2).double()  # (N, K, H, W)


# --- log-cosh Dice ----------------------------------------------------------------------


def test_log_cosh_dice_by_hand():
    logits, masks = _tiny()
    expected = (math.log(math.cosh(5 / 17)) + math.log(math.cosh(1 / 3))) / 2
    assert L.log_cosh_dice_loss(logits, masks).item() == pytest.approx(expected, rel=1e-7)


def test_log_cosh_dice_is_half_squared_dice_near_a_perfect_fit():
    logits, masks = _random(n=1, k=2, seed=1)
    near = _hard_logits(masks, 2, scale=4.0) + 0.3 * logits  # Dice loss ≈ 0.02
    x = L.dice_loss(near, masks, include_background=False).item()
    value = L.log_cosh_dice_loss(near, masks, include_background=False).item()
    assert 0 < x < 0.05
    assert x**2 / 2 - x**4 / 12 <= value <= x**2 / 2  # log cosh x = x²/2 − x⁴/12 + ...
    assert value == pytest.approx(x**2 / 2, rel=1e-3)


# --- sensitivity-specificity --------------------------------------------------------------


def test_sensitivity_specificity_by_hand():
    logits, masks = _tiny()
    # class 1: truth pixels (1/4)² + (1/4)² over 2 → 1/16; others (1/2)² + (1/4)² over 2 → 5/32
    for r in (0.05, 0.3, 1.0):
        loss = L.sensitivity_specificity_loss(logits, masks, r=r)
        assert loss.item() == pytest.approx(r / 16 + (1 - r) * 5 / 32, rel=1e-7)


def _brute_sens_spec(logits, masks):
    """Per image and class (sensitivity term, specificity term), by loops."""
    probs = torch.softmax(logits, dim=1)
    n, k, h, w = probs.shape
    out = torch.zeros(n, k, 2, dtype=torch.float64)
    for i, c in itertools.product(range(n), range(k)):
        sums = [[0.0, 0], [0.0, 0]]  # [error sum, pixel count] inside, outside
        for y, x in itertools.product(range(h), range(w)):
            inside = int(masks[i, y, x]) == c
            err = (float(inside) - probs[i, c, y, x].item()) ** 2
            sums[0 if inside else 1][0] += err
            sums[0 if inside else 1][1] += 1
        out[i, c] = torch.tensor([s / max(m, 1) for s, m in sums])
    return out


def test_sensitivity_specificity_r_one_and_zero_give_each_term_alone():
    logits, masks = _random(seed=2)
    masks[0][masks[0] == 2] = 0  # class 2 absent from image 0: its sensitivity term is 0
    terms = _brute_sens_spec(logits, masks)  # (N, K, 2)
    for r, j in ((1.0, 0), (0.0, 1)):
        loss = L.sensitivity_specificity_loss(logits, masks, r=r, include_background=True)
        assert loss.item() == pytest.approx(terms[..., j].mean().item(), rel=1e-7)
        fg = L.sensitivity_specificity_loss(logits, masks, r=r)
        assert fg.item() == pytest.approx(terms[:, 1:, j].mean().item(), rel=1e-7)


def test_sensitivity_specificity_background_cancels_r_for_two_classes():
    logits, masks = _random(k=2, seed=3)
    values = [L.sensitivity_specificity_loss(logits, masks, r=r, include_background=True)
              for r in (0.05, 0.5, 0.9)]
    torch.testing.assert_close(values[0], values[1])
    torch.testing.assert_close(values[0], values[2])


# --- combo -----------------------------------------------------------------------------


def test_combo_by_hand():
    logits, masks = _tiny()
    # foreground BCE with β = 0.7: t = 1 pixels (p = 3/4) → −0.7 ln(3/4) each;
    # t = 0 pixels (p = 1/2, 1/4) → −0.3 ln(1/2), −0.3 ln(3/4); mean over the 4 pixels
    bce = (-2 * 0.7 * math.log(0.75) - 0.3 * math.log(0.5) - 0.3 * math.log(0.75)) / 4
    expected = 0.6 * bce - 0.4 * 12 / 17
    assert L.combo_loss(logits, masks, alpha=0.6, beta=0.7).item() == pytest.approx(expected)


def test_combo_special_cases():
    logits, masks = _random(k=2, seed=4)
    dice_fg = L.dice_loss(logits, masks, include_background=False)
    # α = 0: minus the foreground Dice, i.e. the Dice loss minus 1 (negative)
    torch.testing.assert_close(L.combo_loss(logits, masks, alpha=0.0), dice_fg - 1)
    # α = 1: the β-weighted BCE of the foreground class
    bce = L.balanced_cross_entropy_loss(logits, masks, beta=0.8, foreground=1)
    torch.testing.assert_close(L.combo_loss(logits, masks, alpha=1.0, beta=0.8), bce)
    # background included, K = 2: β cancels, leaving half the plain BCE
    for beta in (0.1, 0.8):
        both = L.combo_loss(logits, masks, alpha=1.0, beta=beta, include_background=True)
        torch.testing.assert_close(both, F.cross_entropy(logits, masks) / 2)


# --- exponential logarithmic ----------------------------------------------------------------


def test_exp_log_by_hand():
    logits, masks = _tiny()
    dice_term = ((-math.log(12 / 17)) ** 0.3 + (-math.log(2 / 3)) ** 0.3) / 2
    # two pixels of each class: w_l = (4 / 2)^0.5; −ln p_l = ln 2, ln 4/3 (three pixels)
    cross_term = math.sqrt(2) * (math.log(2) ** 0.3 + 3 * math.log(4 / 3) ** 0.3) / 4
    expected = 0.8 * dice_term + 0.2 * cross_term
    assert L.exp_log_loss(logits, masks).item() == pytest.approx(expected, rel=1e-7)


def test_exp_log_special_cases():
    logits, masks = _random(seed=5)
    # γ = 1, Dice term only: mean of −ln Dice_c over images and classes
    dice = torch.tensor([[_soft_dice(logits[i], masks[i], c) for c in range(3)]
                         for i in range(2)], dtype=torch.float64)  # (N, K)
    only_dice = L.exp_log_loss(logits, masks, weight_cross=0.0, weight_dice=1.0, gamma_dice=1.0)
    torch.testing.assert_close(only_dice, (-torch.log(dice)).mean())
    # γ = 1, cross term only, equal frequencies: w_l = √K, so √K × cross-entropy
    only_cross = L.exp_log_loss(logits, masks, weight_dice=0.0, weight_cross=1.0,
                                gamma_cross=1.0, class_frequencies=[2.0, 2.0, 2.0])
    torch.testing.assert_close(only_cross, math.sqrt(3) * F.cross_entropy(logits, masks))


def _soft_dice(logits, masks, c):
    """Soft Dice 2 Σpt / (Σp + Σt) of class c of one image, by the formula."""
    p = torch.softmax(logits, dim=0)[c]
    t = (masks == c).double()
    return (2 * (p * t).sum() / (p.sum() + t.sum())).item()


def test_exp_log_default_frequencies_are_the_batch_pixel_counts():
    logits, masks = _random(seed=6)
    masks[0, 0, :] = 255  # ignored pixels are not counted
    counts = torch.bincount(masks[masks != 255], minlength=3).double()
    given = L.exp_log_loss(logits, masks, class_frequencies=counts / 7, ignore_index=255)
    torch.testing.assert_close(L.exp_log_loss(logits, masks, ignore_index=255), given)


# --- Lovász-softmax ------------------------------------------------------------------------


def test_lovasz_gradient_by_hand():
    g = _lovasz_gradient(torch.tensor([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]))
    # Δ_J of the prefixes: [1/3, 2/3, 1, 1] and [1/2, 2/3, 3/4, 1]
    torch.testing.assert_close(g, torch.tensor([[1 / 3, 1 / 3, 1 / 3, 0.0],
                                                [1 / 2, 1 / 6, 1 / 12, 1 / 4]]))


def test_lovasz_by_hand():
    logits, masks = _tiny()
    # errors [1/2, 1/4, 1/4, 1/4] in both classes (ties: any order gives the same value):
    # class 1: 1/2·1/3 + 1/4·1/3 + 1/4·1/3 = 1/3; class 0: 1/2·1/2 + 1/4·(1/6+1/12+1/4) = 3/8
    assert L.lovasz_softmax_loss(logits, masks).item() == pytest.approx((1 / 3 + 3 / 8) / 2)


def _level_set_lovasz(errors, truth):
    """Δ̄(m) = ∫₀¹ Δ_J({i : m_i ≥ θ}) dθ, summed exactly over the levels of m."""
    levels = sorted(set(errors.tolist()) | {0.0}, reverse=True)
    total = 0.0
    for upper, lower in itertools.pairwise(levels):
        wrong = errors >= upper  # the set mispredicted for θ in (lower, upper]
        union = (truth.bool() | wrong).sum().item()
        total += (upper - lower) * wrong.sum().item() / union
    return total


def test_lovasz_equals_its_level_set_integral():
    g = torch.Generator().manual_seed(13)
    probs = torch.rand(3, 40, generator=g, dtype=torch.float64)
    truth = (torch.rand(3, 40, generator=g) > 0.7).double()
    got = _lovasz_per_class(probs, truth)
    for c in range(3):
        errors = (truth[c] - probs[c]).abs()
        assert got[c].item() == pytest.approx(_level_set_lovasz(errors, truth[c]), rel=1e-12)


def _iou(pred, masks, c):
    inter = ((pred == c) & (masks == c)).sum().item()
    return inter / ((pred == c) | (masks == c)).sum().item()


def test_lovasz_on_hard_predictions_is_one_minus_iou():
    _, masks = _random(n=3, k=3, seed=14)
    pred = masks.clone()
    pred[:, 0, :] = (pred[:, 0, :] + 1) % 3  # one wrong row per image
    onehot = F.one_hot(pred, 3).permute(3, 0, 1, 2).reshape(3, -1).double()  # (K, P)
    truth = F.one_hot(masks, 3).permute(3, 0, 1, 2).reshape(3, -1).double()
    exact = _lovasz_per_class(onehot, truth)  # on the vertices: exactly 1 − IoU
    assert exact.tolist() == pytest.approx([1 - _iou(pred, masks, c) for c in range(3)],
                                           abs=1e-15)
    batch = L.lovasz_softmax_loss(_hard_logits(pred, 3), masks)
    assert batch.item() == pytest.approx(exact.mean().item(), abs=1e-12)
    per_image = L.lovasz_softmax_loss(_hard_logits(pred, 3), masks, per_image=True)
    expected = sum(1 - _iou(pred[i], masks[i], c) for i in range(3) for c in range(3)) / 9
    assert per_image.item() == pytest.approx(expected, abs=1e-12)


def test_lovasz_class_choices():
    logits, masks = _random(k=3, seed=15)
    masks[masks == 2] = 1  # class 2 absent from the batch
    present = L.lovasz_softmax_loss(logits, masks)
    both = L.lovasz_softmax_loss(logits, masks, classes="present", include_background=True)
    torch.testing.assert_close(present, both)
    # "all": an absent class costs its largest probability
    p2_max = torch.softmax(logits, dim=1)[:, 2].max()
    every = L.lovasz_softmax_loss(logits, masks, classes="all")
    torch.testing.assert_close(every, (2 * present + p2_max) / 3)
    fg = L.lovasz_softmax_loss(logits, masks, include_background=False)
    p = torch.softmax(logits, dim=1)
    expected = _lovasz_per_class(p[:, 1].reshape(1, -1), (masks == 1).double().reshape(1, -1))
    torch.testing.assert_close(fg, expected[0])
    with pytest.raises(ValueError):
        L.lovasz_softmax_loss(logits, masks, classes="some")


# --- settings are checked ------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda x, y: L.sensitivity_specificity_loss(x, y, r=1.5),
    lambda x, y: L.combo_loss(x, y, alpha=-0.1),
    lambda x, y: L.combo_loss(x, y, beta=2.0),
    lambda x, y: L.exp_log_loss(x, y, gamma_dice=0.0),
    lambda x, y: L.exp_log_loss(x, y, weight_cross=-1.0),
    lambda x, y: L.exp_log_loss(x, y, class_frequencies=[1.0, -1.0, 1.0]),
    lambda x, y: L.exp_log_loss(x, y, class_frequencies=[1.0, 1.0]),
    lambda x, y: L.hausdorff_dt_loss(x, y, alpha=-1.0),
    lambda x, y: L.log_cosh_dice_loss(x, y, smooth=-1.0),
])
def test_bad_settings_raise_value_error(call):
    with pytest.raises(ValueError):
        call(*_random())
