"""Distance maps and the boundary-based losses of seglearn.losses (boundary loss,
distance-transform Hausdorff loss), checked against brute-force loops, hand computations
and identities.

The hand-made examples: the 2×2 image of test_losses_overlap.py (class-1 logits
[[0, ln 3], [ln 3, −ln 3]], p1 = [[1/2, 3/4], [3/4, 1/4]], truth t1 = [[0, 1], [1, 0]]),
whose signed distance map of class 1 is [[1, −1], [−1, 1]] (every pixel touches the
boundary), and the 1×5 strip with truth [0, 0, 1, 1, 1], φ1 = [2, 1, −1, −2, −3].
"""

import itertools
import math
from functools import partial

import pytest
import torch
import torch.nn.functional as F
from loss_cases import random_case, tiny

from seglearn import losses as L
from seglearn.losses import _distance_maps

_random = partial(random_case, n=2, k=3, h=5, w=6)
_tiny = partial(tiny, dtype=torch.float64)


def _from_p1(p1, masks):
    """Logits (N, 2, H, W) whose class-1 softmax probability is ``p1`` (N, H, W)."""
    p1 = torch.as_tensor(p1, dtype=torch.float64)
    return torch.stack([torch.zeros_like(p1), torch.log(p1 / (1 - p1))], dim=1), masks


def _hard_logits(labels, k, scale=40.0):
    """Logits whose softmax is one-hot ``labels`` up to e^-scale."""
    return scale * F.one_hot(labels, k).permute(0, 3, 1, 2).double()  # (N, K, H, W)


# --- signed distance maps ---------------------------------------------------------------


def _brute_signed(mask, k, ignore_index):
    """φ by the definition: loops over every pair of pixels."""
    h, w = mask.shape
    pixels = list(itertools.product(range(h), range(w)))
    out = torch.zeros(k, h, w, dtype=torch.float64)
    for c in range(k):
        inside = [q for q in pixels if mask[q] == c]
        outside = [q for q in pixels if mask[q] != c and mask[q] != ignore_index]
        if not inside or not outside:
            continue  # no boundary: zero map
        for q in pixels:
            others = outside if q in inside else inside if q in outside else None
            if others is not None:
                d = min(math.dist(q, o) for o in others)
                out[c][q] = -d if q in inside else d
    return out


def test_signed_distance_map_matches_brute_force():
    g = torch.Generator().manual_seed(7)
    masks = torch.randint(0, 3, (3, 6, 7), generator=g)
    masks[0][masks[0] == 2] = 1  # class 2 absent from image 0
    masks[1, 2:4, 1:3] = -100  # an ignored block
    masks[2] = 1  # image 2: class 1 everywhere, no boundary for anyone
    maps = L.signed_distance_map(masks, 3, cache=False, dtype=torch.float64)
    assert maps.shape == (3, 3, 6, 7) and maps.dtype == torch.float64
    for i in range(3):
        torch.testing.assert_close(maps[i], _brute_signed(masks[i], 3, -100))
    assert not maps[0, 2].any() and not maps[2].any()


def test_signed_distance_map_of_a_strip_by_hand():
    masks = torch.tensor([[[0, 0, 1, 1, 1]]])
    maps = L.signed_distance_map(masks, 2)
    assert maps[0, 1, 0].tolist() == [2, 1, -1, -2, -3]
    assert maps[0, 0, 0].tolist() == [-2, -1, 1, 2, 3]


def test_unsigned_distance_of_regions_matches_brute_force():
    g = torch.Generator().manual_seed(8)
    regions = torch.rand(2, 2, 5, 6, generator=g) > 0.6
    valid = torch.rand(2, 5, 6, generator=g) > 0.2
    got = _distance_maps.unsigned_distance_of_regions(regions, valid)
    for n, c in itertools.product(range(2), range(2)):
        # a mask with label 1 inside, 0 outside, -1 where not valid
        mask = torch.where(valid[n], regions[n, c].long(), torch.tensor(-1))
        torch.testing.assert_close(got[n, c], _brute_signed(mask, 2, -1)[1].abs())


def test_the_cache_returns_the_same_maps_and_counts_hits():
    _distance_maps._CACHE.clear()
    _, masks = _random(seed=9)
    first = L.signed_distance_map(masks, 3)
    assert _distance_maps._CACHE.misses == 2 and _distance_maps._CACHE.hits == 0
    again = L.signed_distance_map(masks.flip(0), 3).flip(0)  # same images, other order
    assert _distance_maps._CACHE.hits == 2
    torch.testing.assert_close(again, first)
    torch.testing.assert_close(L.signed_distance_map(masks, 3, cache=False), first)
    assert _distance_maps._CACHE.hits == 2  # cache=False neither reads nor writes


def test_the_cache_evicts_the_least_recently_used_beyond_its_bytes():
    cache = _distance_maps._MapCache(max_bytes=3 * 80)
    for key in "abc":
        cache.put(key, torch.zeros(10).double().numpy())  # 80 bytes each
    cache.get("a")  # a is now the most recent
    cache.put("d", torch.zeros(10).double().numpy())
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("d") is not None


def test_signed_distance_map_rejects_bad_input():
    with pytest.raises(ValueError):
        L.signed_distance_map(torch.zeros(1, 2, 2), 2)  # float masks
    with pytest.raises(ValueError):
        L.signed_distance_map(torch.full((1, 2, 2), 2), 2)  # label >= K
    with pytest.raises(ValueError):
        L.signed_distance_map(torch.zeros(1, 2, 2, dtype=torch.long), 0)


# --- boundary loss ------------------------------------------------------------------------


def test_boundary_loss_by_hand():
    logits, masks = _tiny()
    # φ1·p1 = 1/2 − 3/4 − 3/4 + 1/4 = −3/4 over 4 pixels; class 0 gives the same
    assert L.boundary_loss(logits, masks).item() == pytest.approx(-3 / 16)
    assert L.boundary_loss(logits, masks, include_background=True).item() == pytest.approx(-3 / 16)
    strip, truth = _from_p1([[[0.2, 0.6, 0.9, 0.7, 0.4]]], torch.tensor([[[0, 0, 1, 1, 1]]]))
    expected = (2 * 0.2 + 1 * 0.6 - 1 * 0.9 - 2 * 0.7 - 3 * 0.4) / 5  # φ1 = [2, 1, −1, −2, −3]
    assert L.boundary_loss(strip, truth).item() == pytest.approx(expected)


def _shift(masks, dy, dx):
    return torch.roll(masks, shifts=(dy, dx), dims=(1, 2))


def test_boundary_loss_is_smallest_for_the_perfect_prediction():
    masks = torch.zeros(1, 12, 12, dtype=torch.long)
    masks[0, 3:8, 4:10] = 1
    grown = (F.max_pool2d(masks[:, None].double(), 3, 1, 1)[:, 0] > 0).long()
    shrunk = 1 - (F.max_pool2d(1 - masks[:, None].double(), 3, 1, 1)[:, 0] > 0).long()
    candidates = {"perfect": masks, "shifted": _shift(masks, 1, 0), "moved": _shift(masks, 2, 2),
                  "grown": grown, "shrunk": shrunk, "empty": torch.zeros_like(masks),
                  "full": torch.ones_like(masks)}
    values = {name: L.boundary_loss(_hard_logits(pred, 2), masks).item()
              for name, pred in candidates.items()}
    best = values.pop("perfect")
    assert best < min(values.values()), values
    # the minimum is minus the mean depth of the class: Σ_inside φ / |Ω|
    phi = L.signed_distance_map(masks, 2, dtype=torch.float64)[0, 1]
    assert best == pytest.approx((phi * (masks[0] == 1)).sum().item() / 144)


def test_boundary_losses_accept_precomputed_maps():
    logits, masks = _random(seed=10)
    maps = L.signed_distance_map(masks, 3, dtype=torch.float64)
    for fn in (L.boundary_loss, L.hausdorff_dt_loss):
        torch.testing.assert_close(fn(logits, masks, dist_maps=maps), fn(logits, masks))
        torch.testing.assert_close(fn(logits, masks, cache=False), fn(logits, masks))
        with pytest.raises(ValueError):
            fn(logits, masks, dist_maps=maps[:, :2])
        with pytest.raises(ValueError):
            fn(logits, masks, dist_maps=maps * float("nan"))
        with pytest.raises(TypeError):
            fn(logits, masks, dist_maps=maps.tolist())
    module = L.BoundaryLoss()
    torch.testing.assert_close(module(logits, masks, maps), L.boundary_loss(logits, masks))


# --- Hausdorff distance-transform loss -------------------------------------------------------


def test_hausdorff_dt_by_hand():
    logits, masks = _tiny()
    # prediction p1 > 0.5 is the truth; all distances 1, weight 1 + 1;
    # (p − t)² = 1/4 + 3 × 1/16 = 7/16 → 2 × 7/16 / 4 pixels
    assert L.hausdorff_dt_loss(logits, masks).item() == pytest.approx(7 / 32)
    # strip: d_t = [2, 1, 1, 2, 3]; prediction {1, 2, 3}: d_p = [1, 1, 2, 1, 1]
    strip, truth = _from_p1([[[0.2, 0.6, 0.9, 0.7, 0.4]]], torch.tensor([[[0, 0, 1, 1, 1]]]))
    weights = [1 + 4, 1 + 1, 4 + 1, 1 + 4, 1 + 9]
    errors = [0.04, 0.36, 0.01, 0.09, 0.36]
    expected = sum(w * e for w, e in zip(weights, errors, strict=True)) / 5
    assert L.hausdorff_dt_loss(strip, truth).item() == pytest.approx(expected)
    # α = 1: [1 + 2, 1 + 1, 2 + 1, 1 + 2, 1 + 3]
    expected1 = sum(w * e for w, e in zip([3, 2, 3, 3, 4], errors, strict=True)) / 5
    assert L.hausdorff_dt_loss(strip, truth, alpha=1.0).item() == pytest.approx(expected1)


def test_hausdorff_dt_alpha_zero_is_twice_the_mean_squared_error():
    logits, masks = _random(k=2, seed=11)
    probs = torch.softmax(logits, dim=1)[:, 1]
    mse = ((probs - (masks == 1).double()) ** 2).mean()
    torch.testing.assert_close(L.hausdorff_dt_loss(logits, masks, alpha=0.0), 2 * mse)
    # K = 2: both classes share their boundary and squared errors, so background is moot
    torch.testing.assert_close(L.hausdorff_dt_loss(logits, masks, include_background=True),
                               L.hausdorff_dt_loss(logits, masks))


def test_hausdorff_dt_is_zero_only_for_the_perfect_prediction():
    _, masks = _random(k=2, seed=12)
    assert L.hausdorff_dt_loss(_hard_logits(masks, 2), masks).item() < 1e-20
    assert L.hausdorff_dt_loss(_hard_logits(1 - masks, 2), masks).item() > 1.0
