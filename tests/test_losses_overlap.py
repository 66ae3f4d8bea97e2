"""Overlap losses of seglearn.losses (Tversky, Dice, Jaccard, focal Tversky, generalized
Dice), checked against hand computations, MATLAB transcriptions and identities.

The hand-made example: one 2×2 image, K = 2, p1 = [[1/2, 3/4], [3/4, 1/4]] (class-0
logits 0, class-1 logits [[0, ln 3], [ln 3, −ln 3]]) and truth [[0, 1], [1, 0]]:
  class 1: TP = 3/4 + 3/4 = 1.5, FP = 1/2 + 1/4 = 0.75, FN = 1/4 + 1/4 = 0.5;
  class 0: TP = 1/2 + 3/4 = 1.25, FP = 1/4 + 1/4 = 0.5, FN = 1/2 + 1/4 = 0.75.
"""

from functools import partial

import pytest
import torch
from loss_cases import random_case, tiny

from seglearn.losses import (
    dice_loss,
    focal_tversky_loss,
    generalized_dice_loss,
    jaccard_loss,
    tversky_loss,
)
from seglearn.losses._dice import _generalized_dice_from_probs

_random = partial(random_case, n=3, k=3, h=4, w=5)

OVERLAP = [tversky_loss, dice_loss, jaccard_loss, focal_tversky_loss, generalized_dice_loss]


def _probs_onehot(logits, masks):
    probs = torch.softmax(logits, dim=1)
    onehot = torch.nn.functional.one_hot(masks, logits.shape[1]).permute(0, 3, 1, 2)
    return probs, onehot.to(logits.dtype)  # (N, K, H, W) each


# --- hand-computed values -------------------------------------------------------------


def test_tversky_by_hand():
    logits, masks = tiny()
    ti1 = 1.5 / (1.5 + 0.7 * 0.75 + 0.3 * 0.5)  # = 20/29
    ti0 = 1.25 / (1.25 + 0.7 * 0.5 + 0.3 * 0.75)  # = 50/73
    assert (ti1, ti0) == pytest.approx((20 / 29, 50 / 73))
    loss = tversky_loss(logits, masks, alpha=0.7, beta=0.3)
    assert loss.item() == pytest.approx(1 - (20 / 29 + 50 / 73) / 2, rel=1e-6)
    fg = tversky_loss(logits, masks, alpha=0.7, beta=0.3, include_background=False)
    assert fg.item() == pytest.approx(1 - 20 / 29, rel=1e-6)


def test_dice_jaccard_and_squared_dice_by_hand():
    logits, masks = tiny()
    # Dice = 2TP / (Σp + Σt): class 1: 3 / (2.25 + 2), class 0: 2.5 / (1.75 + 2)
    assert dice_loss(logits, masks).item() == pytest.approx(1 - (12 / 17 + 2 / 3) / 2, rel=1e-6)
    # IoU = TP / (TP + FP + FN): class 1: 1.5 / 2.75, class 0: 1.25 / 2.5
    assert jaccard_loss(logits, masks).item() == pytest.approx(1 - (6 / 11 + 1 / 2) / 2, rel=1e-6)
    # V-Net: 2TP / (Σp² + Σt²): Σp1² = (4 + 9 + 9 + 1)/16 = 23/16, Σp0² = 15/16, Σt² = 2
    squared = dice_loss(logits, masks, squared=True)
    assert squared.item() == pytest.approx(1 - (48 / 55 + 40 / 47) / 2, rel=1e-6)


def test_focal_tversky_by_hand():
    logits, masks = tiny()
    expected = ((1 - 20 / 29) ** 0.75 + (1 - 50 / 73) ** 0.75) / 2
    loss = focal_tversky_loss(logits, masks, alpha=0.7, beta=0.3, gamma=4 / 3)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_generalized_dice_by_hand():
    logits, masks = tiny()
    # both classes cover 2 pixels: w = 1/4 each; 1 − 2(1.5 + 1.25) / (55/16 + 47/16)
    assert generalized_dice_loss(logits, masks).item() == pytest.approx(7 / 51, rel=1e-6)
    masks = torch.tensor([[[0, 1], [1, 1]]])  # areas: class 0 -> 1, class 1 -> 3
    # w1 = 1/9, TP1 = 1.75, Σp1² + Σt1² = 23/16 + 3; w0 = 1, TP0 = 0.5, 15/16 + 1
    numer = 2 * (1.75 / 9 + 0.5)
    denom = (23 / 16 + 3) / 9 + (15 / 16 + 1)
    assert numer / denom == pytest.approx(4 / 7)
    assert generalized_dice_loss(logits, masks).item() == pytest.approx(3 / 7, rel=1e-6)


# --- the seeds' MATLAB code, transcribed ------------------------------------------------


def _matlab_tversky(y, t, alpha, beta):
    """Seed 000's tverskyLoss, line by line, in (N, K, H, W) layout."""
    tp = (y * t).sum(dim=(2, 3))
    fp = (y * (1 - t)).sum(dim=(2, 3))
    fn = ((1 - y) * t).sum(dim=(2, 3))
    epsilon = 1e-8
    loss_tic = 1 - (tp + epsilon) / (tp + alpha * fp + beta * fn + epsilon)
    return loss_tic.sum(dim=1).sum() / y.shape[0]  # sum over classes, average over images


def _matlab_gdl(y, t):
    """Seed 004's forwardLoss and backwardLoss, line by line, in (N, K, H, W) layout."""
    w = 1 / t.sum(dim=(2, 3), keepdim=True) ** 2  # (N, K, 1, 1)
    intersection = (y * t).sum(dim=(2, 3), keepdim=True)
    union = (y**2 + t**2).sum(dim=(2, 3), keepdim=True)
    numer = 2 * (w * intersection).sum(dim=1, keepdim=True) + 1e-8  # (N, 1, 1, 1)
    denom = (w * union).sum(dim=1, keepdim=True) + 1e-8
    n = y.shape[0]
    loss = (1 - numer / denom).sum() / n
    dldy = (2 * w * y * numer / denom**2 - 2 * w * t / denom) / n
    return loss, dldy


def test_tversky_is_matlab_tversky_divided_by_k():
    logits, masks = _random(k=3)
    y, t = _probs_onehot(logits, masks)
    ours = tversky_loss(logits, masks, alpha=0.7, beta=0.3)
    torch.testing.assert_close(3 * ours, _matlab_tversky(y, t, 0.7, 0.3))


def test_generalized_dice_matches_seed_004_forward_and_hand_written_backward():
    logits, masks = _random(n=2, k=3, h=4, w=4, seed=4)
    masks[:, 0, :3] = torch.tensor([0, 1, 2])  # every class present in every image
    y, t = _probs_onehot(logits, masks)
    y = y.detach().requires_grad_(True)
    ours = _generalized_dice_from_probs(y, t, smooth=1e-8, per_image=True)
    ours.backward()
    loss, dldy = _matlab_gdl(y.detach(), t)
    torch.testing.assert_close(ours.detach(), loss)
    torch.testing.assert_close(y.grad, dldy)  # autograd == seed 004's backwardLoss
    torch.testing.assert_close(generalized_dice_loss(logits, masks), loss)


def test_generalized_dice_absent_class_gets_zero_weight():
    logits, masks = _random(n=1, k=3, h=3, w=4, seed=5)
    masks[masks == 2] = 1  # class 2 absent: seed 004's weight would be 1/0
    y, t = _probs_onehot(logits, masks)
    assert not torch.isfinite(_matlab_gdl(y, t)[0])  # the seed's formula breaks here
    present = [0, 1]  # our policy: the absent class drops out of the ratio
    w = [1 / t[0, c].sum() ** 2 for c in present]
    numer = sum(2 * wc * (y[0, c] * t[0, c]).sum() for wc, c in zip(w, present, strict=True))
    denom = sum(wc * ((y[0, c] ** 2).sum() + (t[0, c] ** 2).sum())
                for wc, c in zip(w, present, strict=True))
    expected = 1 - (numer + 1e-8) / (denom + 1e-8)
    torch.testing.assert_close(generalized_dice_loss(logits, masks), expected)


# --- identities ----------------------------------------------------------------------


def test_tversky_half_half_is_dice_and_one_one_is_jaccard():
    logits, masks = _random()
    y, t = _probs_onehot(logits, masks)
    tp, sp, st = (y * t).sum(dim=(2, 3)), y.sum(dim=(2, 3)), t.sum(dim=(2, 3))
    s = 1e-8
    dice = ((2 * tp + 2 * s) / (sp + st + 2 * s)).mean()  # textbook Dice, s doubled
    iou = ((tp + s) / (sp + st - tp + s)).mean()
    torch.testing.assert_close(tversky_loss(logits, masks, alpha=0.5, beta=0.5), 1 - dice)
    torch.testing.assert_close(dice_loss(logits, masks), 1 - dice)
    torch.testing.assert_close(tversky_loss(logits, masks, alpha=1.0, beta=1.0), 1 - iou)
    torch.testing.assert_close(jaccard_loss(logits, masks), 1 - iou)


def test_focal_tversky_with_gamma_one_is_tversky():
    logits, masks = _random()
    torch.testing.assert_close(
        focal_tversky_loss(logits, masks, alpha=0.3, beta=0.7, gamma=1.0),
        tversky_loss(logits, masks, alpha=0.3, beta=0.7),
    )


@pytest.mark.parametrize("loss_fn", OVERLAP)
def test_per_image_loss_is_the_mean_of_single_image_losses(loss_fn):
    logits, masks = _random()
    singles = torch.stack([loss_fn(logits[i : i + 1], masks[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(loss_fn(logits, masks), singles.mean())


@pytest.mark.parametrize("loss_fn", OVERLAP)
def test_batch_sums_equal_one_image_made_of_the_batch(loss_fn):
    logits, masks = _random()
    wide_logits = torch.cat(list(logits), dim=-1)[None]  # (1, K, H, N*W)
    wide_masks = torch.cat(list(masks), dim=-1)[None]  # (1, H, N*W)
    torch.testing.assert_close(
        loss_fn(logits, masks, per_image=False), loss_fn(wide_logits, wide_masks)
    )


# --- α and β: which error costs what -----------------------------------------------------


def _prediction(truth_on, predicted_on):
    """Logits (1, 2, 4, 4) that confidently predict class 1 exactly on `predicted_on`."""
    z1 = torch.full((4, 4), -20.0)
    z1.view(-1)[predicted_on] = 20.0  # p1 = 1 − 2e-9 there, 2e-9 elsewhere
    masks = torch.zeros(1, 4, 4, dtype=torch.long)
    masks.view(-1)[truth_on] = 1
    return torch.stack([torch.zeros(4, 4), z1])[None], masks


@pytest.mark.parametrize("loss_fn", [tversky_loss, focal_tversky_loss])
def test_alpha_weights_false_positives_and_beta_false_negatives(loss_fn):
    truth = [0, 1, 2, 3]
    only_fp = _prediction(truth, truth + [8, 9, 10, 11])
    only_fn = _prediction(truth, [0, 1])

    def fp_heavy(x):
        return loss_fn(*x, alpha=0.7, beta=0.3, include_background=False)

    def fn_heavy(x):
        return loss_fn(*x, alpha=0.3, beta=0.7, include_background=False)

    assert fp_heavy(only_fp) > fn_heavy(only_fp) + 0.05
    assert fn_heavy(only_fn) > fp_heavy(only_fn) + 0.05
    # exact for Tversky: FP ≈ 4, TP ≈ 4 -> 1 − 4 / (4 + α·4)
    if loss_fn is tversky_loss:
        assert fp_heavy(only_fp).item() == pytest.approx(1 - 4 / (4 + 0.7 * 4), abs=1e-6)


# --- absent classes -------------------------------------------------------------------


@pytest.mark.parametrize("loss_fn", OVERLAP + [lambda a, b: dice_loss(a, b, squared=True)])
def test_absent_class_predicted_absent_costs_nothing(loss_fn):
    logits = torch.zeros(2, 2, 3, 3)
    logits[:, 0] = 40.0  # p1 ≈ 4e-18: class 1 predicted absent
    masks = torch.zeros(2, 3, 3, dtype=torch.long)  # and absent from the truth
    assert loss_fn(logits, masks).item() < 1e-6


@pytest.mark.parametrize("loss_fn", [tversky_loss, dice_loss, jaccard_loss, focal_tversky_loss])
def test_absent_class_predicted_present_costs_one(loss_fn):
    logits = torch.zeros(1, 2, 3, 3)  # p1 = 1/2 everywhere, FP = 4.5 pixels
    masks = torch.zeros(1, 3, 3, dtype=torch.long)
    assert loss_fn(logits, masks, include_background=False).item() == pytest.approx(1.0)


# --- bad settings ---------------------------------------------------------------------


def test_overlap_bad_settings_raise():
    logits, masks = tiny()
    with pytest.raises(ValueError, match="alpha"):
        tversky_loss(logits, masks, alpha=-0.1)
    with pytest.raises(ValueError, match="beta"):
        focal_tversky_loss(logits, masks, beta=float("nan"))
    with pytest.raises(ValueError, match="gamma"):
        focal_tversky_loss(logits, masks, gamma=0.0)
    with pytest.raises(ValueError, match="smooth"):
        dice_loss(logits, masks, squared=True, smooth=-1.0)
    with pytest.raises(ValueError, match="smooth"):
        generalized_dice_loss(logits, masks, smooth=-1.0)
    with pytest.raises(TypeError, match="alpha"):
        tversky_loss(logits, masks, alpha="0.7")
