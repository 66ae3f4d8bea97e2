"""Properties every loss of seglearn.losses must have: input checks, gradients that
autograd's gradcheck confirms, finite values on absent classes, ignore_index meaning
"as if the pixel were not there", module shells equal to their functions, and training a
tiny network on the triangles. Values are tested in test_losses_ce.py,
test_losses_overlap.py, test_losses_extra.py and test_losses_boundary.py.
"""

from functools import partial

import pytest
import torch
from loss_cases import random_case
from torch import nn

from seglearn import losses as L
from seglearn.data import load_triangles

_random = partial(random_case, n=2, k=3, h=3, w=4)

# (function, settings, module class): every loss, with non-default settings where it has any
CASES = {
    "cross_entropy": (L.cross_entropy_loss, {"class_weights": [1.0, 4.0, 2.0]},
                      L.CrossEntropyLoss),
    "balanced_bce": (L.balanced_cross_entropy_loss, {}, L.BalancedCrossEntropyLoss),
    "focal": (L.focal_loss, {"gamma": 2.0, "alpha": [0.2, 0.5, 0.3]}, L.FocalLoss),
    "tversky": (L.tversky_loss, {"alpha": 0.3, "beta": 0.7}, L.TverskyLoss),
    "dice": (L.dice_loss, {}, L.DiceLoss),
    "dice_squared": (L.dice_loss, {"squared": True}, L.DiceLoss),
    "jaccard": (L.jaccard_loss, {}, L.JaccardLoss),
    "focal_tversky": (L.focal_tversky_loss, {"alpha": 0.3, "beta": 0.7, "gamma": 4 / 3},
                      L.FocalTverskyLoss),
    "generalized_dice": (L.generalized_dice_loss, {}, L.GeneralizedDiceLoss),
    "log_cosh_dice": (L.log_cosh_dice_loss, {}, L.LogCoshDiceLoss),
    "sensitivity_specificity": (L.sensitivity_specificity_loss, {"r": 0.1},
                                L.SensitivitySpecificityLoss),
    "combo": (L.combo_loss, {"alpha": 0.6, "beta": 0.7}, L.ComboLoss),
    "exp_log": (L.exp_log_loss, {"class_frequencies": [5.0, 1.0, 2.0]}, L.ExpLogLoss),
    "boundary": (L.boundary_loss, {"include_background": True}, L.BoundaryLoss),
    "hausdorff_dt": (L.hausdorff_dt_loss, {"alpha": 2.0}, L.HausdorffDTLoss),
    "lovasz_softmax": (L.lovasz_softmax_loss, {}, L.LovaszSoftmaxLoss),
    "lovasz_per_image": (L.lovasz_softmax_loss, {"per_image": True, "classes": "all"},
                         L.LovaszSoftmaxLoss),
}
NAMES = list(CASES)


def _call(name, logits, masks, **extra):
    fn, settings, _ = CASES[name]
    return fn(logits, masks, **settings, **extra)


def test_public_names():
    expected = {
        "cross_entropy_loss", "balanced_cross_entropy_loss", "focal_loss", "tversky_loss",
        "dice_loss", "jaccard_loss", "focal_tversky_loss", "generalized_dice_loss",
        "CrossEntropyLoss", "BalancedCrossEntropyLoss", "FocalLoss", "TverskyLoss",
        "DiceLoss", "JaccardLoss", "FocalTverskyLoss", "GeneralizedDiceLoss",
        "log_cosh_dice_loss", "sensitivity_specificity_loss", "combo_loss", "exp_log_loss",
        "boundary_loss", "hausdorff_dt_loss", "lovasz_softmax_loss", "signed_distance_map",
        "LogCoshDiceLoss", "SensitivitySpecificityLoss", "ComboLoss", "ExpLogLoss",
        "BoundaryLoss", "HausdorffDTLoss", "LovaszSoftmaxLoss",
    }
    assert set(L.__all__) == expected
    assert all(hasattr(L, name) for name in expected)


# --- bad input ------------------------------------------------------------------------

BAD = {
    "shape mismatch": lambda x, y: (x, y[:, :2]),
    "label >= K": lambda x, y: (x, torch.full_like(y, 3)),
    "negative label": lambda x, y: (x, torch.full_like(y, -1)),
    "float masks": lambda x, y: (x, y.float()),
    "NaN logits": lambda x, y: (torch.where(y[:, None] == 1, float("nan"), x), y),
    "3-D logits": lambda x, y: (x[0], y),
    "one class": lambda x, y: (x[:, :1], torch.zeros_like(y)),
}


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises_value_error(name, bad):
    logits, masks = BAD[bad](*_random())
    with pytest.raises(ValueError):
        _call(name, logits, masks)


@pytest.mark.parametrize("name", NAMES)
def test_non_tensor_raises_type_error(name):
    with pytest.raises(TypeError):
        _call(name, [[0.0]], torch.zeros(1, 1, 1, dtype=torch.long))


# --- gradients ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_float64(name):
    logits, masks = _random(seed=1)
    masks[1, 0, 0] = -100  # an ignored pixel too
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: _call(name, x, masks), (logits,))


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_not_modified(name):
    logits, masks = _random()
    before = logits.clone(), masks.clone()
    _call(name, logits, masks)
    assert torch.equal(logits, before[0]) and torch.equal(masks, before[1])


@pytest.mark.parametrize(
    "where", ["class absent from one image", "class absent from the batch", "all ignored"]
)
@pytest.mark.parametrize("name", NAMES)
def test_finite_value_and_gradient_on_empty_cases(name, where):
    logits, masks = _random(seed=2)
    if where == "class absent from one image":
        masks[0][masks[0] == 2] = 0
    elif where == "class absent from the batch":
        masks[masks == 2] = 1
    else:
        masks[:] = -100
    for scale in (1.0, 60.0):  # soft and nearly saturated predictions
        x = (scale * logits).requires_grad_(True)
        loss = _call(name, x, masks)
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(x.grad).all(), (scale, loss)


# --- ignore_index -----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_ignored_pixels_count_as_if_cropped_away(name):
    logits, masks = _random(w=5, seed=3)
    masks[..., -1] = 255
    ignored = _call(name, logits, masks, ignore_index=255)
    cropped = _call(name, logits[..., :-1], masks[..., :-1], ignore_index=255)
    torch.testing.assert_close(ignored, cropped)


# --- dtype and modules -----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_half_precision_logits_are_computed_in_float32(name):
    logits, masks = _random(dtype=torch.float32)
    half = _call(name, logits.bfloat16(), masks)
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, _call(name, logits.bfloat16().float(), masks))


@pytest.mark.parametrize("name", NAMES)
def test_module_calls_its_function_and_shows_its_settings(name):
    fn, settings, module_cls = CASES[name]
    module = module_cls(**settings)
    logits, masks = _random()
    torch.testing.assert_close(module(logits, masks), fn(logits, masks, **settings))
    text = repr(module)
    assert text.startswith(module_cls.__name__ + "(")
    for key in settings:
        assert f"{key}=" in text


# --- a tiny network learns the triangles with every loss --------------------------------


@pytest.fixture(scope="module")
def triangles():
    return load_triangles("train", num=8)


# The boundary-based losses are trained as their papers train them, added to a region loss
# (Kervadec et al. 2019, Karimi & Salcudean 2020): Dice + λ · loss. Alone, from scratch, both
# drive this network to an empty foreground (measured: IoU 0), the collapse Kervadec et al.
# report; so does λ = 0.2 (boundary) or 0.02 (Hausdorff). At λ = 0.1 and 0.01 the boundary
# term's gradient is still 2x and 4x the Dice's at initialisation (measured), so the test
# does train with it, not around it.
WITH_DICE = {"boundary": 0.1, "hausdorff_dt": 0.01}


@pytest.mark.parametrize("name", NAMES)
def test_tiny_network_overfits_eight_triangles(name, triangles):
    images, masks = triangles
    fn, settings, _ = CASES[name]
    settings = {k: v[:2] if isinstance(v, list) else v for k, v in settings.items()}  # K = 2
    weight = WITH_DICE.get(name)

    def objective(logits):
        loss = fn(logits, masks, **settings)
        return loss if weight is None else L.dice_loss(logits, masks) + weight * loss

    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 2, 3, padding=1)
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(80):
        opt.zero_grad()
        objective(net(images)).backward()
        opt.step()
    with torch.no_grad():
        pred = net(images).argmax(dim=1)  # (N, H, W); BN in training mode: batch statistics
    inter = ((pred == 1) & (masks == 1)).sum().item()
    union = ((pred == 1) | (masks == 1)).sum().item()
    print(f"{name}: foreground IoU {inter / union:.3f}")
    assert inter / union > 0.7, f"{name}: foreground IoU {inter / union:.3f}"
