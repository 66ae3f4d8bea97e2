"""HD / HD95, Brier score and expected calibration error against independent references:
scipy's directed Hausdorff distance, a brute-force loop over boundary pixel pairs, the
binary Brier score written out in numpy, and a loop over the bins."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import directed_hausdorff

from seglearn.bfscore import boundary, hausdorff_distance
from seglearn.calibration import brier_score, expected_calibration_error


def _random_region(rng: np.random.Generator, size: int = 24) -> np.ndarray:
    region = np.zeros((size, size), dtype=bool)
    for _ in range(rng.integers(1, 4)):
        r, c = rng.integers(0, size - 4, 2)
        h, w = rng.integers(2, 9, 2)
        region[r:r + h, c:c + w] = True
    return region


@pytest.mark.parametrize("seed", range(8))
def test_hausdorff_matches_scipy_and_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p, t = _random_region(rng), _random_region(rng)
    pb = np.argwhere(boundary(p).numpy()).astype(float)
    tb = np.argwhere(boundary(t).numpy()).astype(float)
    hd = max(directed_hausdorff(pb, tb)[0], directed_hausdorff(tb, pb)[0])
    assert hausdorff_distance(p, t) == pytest.approx(hd)
    # brute force: every boundary pixel's nearest distance to the other set, pooled
    d = np.sqrt(((pb[:, None] - tb[None]) ** 2).sum(-1))
    pooled = np.concatenate([d.min(1), d.min(0)])
    assert hausdorff_distance(p, t, percentile=95) == pytest.approx(np.percentile(pooled, 95))
    assert hausdorff_distance(torch.from_numpy(p), torch.from_numpy(t), percentile=95) == \
        pytest.approx(np.percentile(pooled, 95))


def test_hausdorff_hand_cases_and_errors() -> None:
    a = np.zeros((10, 10), dtype=bool)
    a[2:5, 2:5] = True
    assert hausdorff_distance(a, a) == 0.0
    b = np.roll(a, 3, axis=1)  # the same square 3 px to the right
    assert hausdorff_distance(a, b) == pytest.approx(3.0)
    assert math.isnan(hausdorff_distance(a, np.zeros_like(a)))
    with pytest.raises(ValueError, match="percentile"):
        hausdorff_distance(a, b, percentile=0)
    with pytest.raises(ValueError, match="same shape"):
        hausdorff_distance(a, a[:5])


def _probs(seed: int, n: int = 3, k: int = 2, size: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    probs = torch.randn(n, k, size, size, generator=g).mul(2).softmax(1)
    masks = torch.randint(0, k, (n, size, size), generator=g)
    return probs, masks


@pytest.mark.parametrize("seed", range(4))
def test_brier_is_twice_the_binary_score(seed: int) -> None:
    probs, masks = _probs(seed)
    # the binary Brier score of the class-1 probability (scikit-learn's brier_score_loss)
    ref = np.mean((probs[:, 1].double().numpy() - masks.numpy()) ** 2)
    assert brier_score(probs, masks) == pytest.approx(2 * ref, rel=1e-6)


def test_brier_hand_cases() -> None:
    masks = torch.tensor([[[0, 1]]])
    right = torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]]]])  # (1, 2, 1, 2), certain and right
    assert brier_score(right, masks) == 0.0
    assert brier_score(right.flip(1), masks) == 2.0


@pytest.mark.parametrize(("seed", "k", "bins"), [(0, 2, 15), (1, 3, 10), (2, 4, 1)])
def test_ece_matches_a_loop_over_bins(seed: int, k: int, bins: int) -> None:
    probs, masks = _probs(seed, k=k)
    conf, pred = probs.max(1)
    conf, ok = conf.flatten().double().numpy(), (pred == masks).flatten().numpy()
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = (conf > lo) & (conf <= hi) if b else (conf <= hi)
        if inside.any():
            total += inside.mean() * abs(ok[inside].mean() - conf[inside].mean())
    assert expected_calibration_error(probs, masks, bins=bins) == pytest.approx(total)


def test_ece_hand_case_and_errors() -> None:
    # two pixels, confidence 0.75 each, one right: accuracy 0.5 -> ECE 0.25
    probs = torch.tensor([[[[0.75, 0.75]], [[0.25, 0.25]]]])
    masks = torch.tensor([[[0, 1]]])
    assert expected_calibration_error(probs, masks) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="softmax"):
        expected_calibration_error(probs * 4 - 1, masks)  # logits, not probabilities
    with pytest.raises(ValueError, match="bins"):
        expected_calibration_error(probs, masks, bins=0)
    with pytest.raises(ValueError, match="masks"):
        brier_score(probs, masks[:, :, :1])
