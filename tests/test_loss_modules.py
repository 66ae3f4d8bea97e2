"""The ``nn.Module`` shells of seglearn.losses against their functions, validation once per
call, and label maps of any integer dtype.

A shell only holds settings and calls its function (STYLE.md, habit 2), so its settings
must be exactly the function's keyword-only arguments with the same defaults, and a shell
built with non-default settings must return what the function returns with them.
"""

import inspect

import pytest
import torch

import seglearn.losses as L
from seglearn import _checks
from seglearn.losses import _common

SHELLS = [getattr(L, n) for n in L.__all__
          if isinstance(getattr(L, n), type) and issubclass(getattr(L, n), _common.LossModule)]
PER_CALL = {"dist_maps"}  # tensors passed at call time, not settings

# Non-default settings that every shell accepts (K = 3 classes below).
NON_DEFAULT = {
    "alpha": 0.3, "beta": 0.7, "gamma": 2.0, "smooth": 1e-3, "per_image": False,
    "include_background": False, "squared": True, "r": 0.2, "foreground": 2,
    "weight_dice": 0.6, "weight_cross": 0.4, "gamma_dice": 0.5, "gamma_cross": 0.7,
    "class_weights": (0.2, 1.0, 3.0), "class_frequencies": (10.0, 3.0, 1.0),
}


def _keyword_only(fn) -> dict:
    sig = inspect.signature(fn)
    return {k: p.default for k, p in sig.parameters.items()
            if p.kind is p.KEYWORD_ONLY and k not in PER_CALL}


def _case(seed: int = 0, k: int = 3):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, k, 6, 5, generator=gen, dtype=torch.float64)
    masks = torch.randint(0, k, (2, 6, 5), generator=gen)
    masks[0, 0, :2] = -100  # a few ignored pixels
    return logits, masks


def test_every_loss_has_a_shell():
    functions = {n for n in L.__all__ if n.endswith("_loss")}
    assert {s._function.__name__ for s in SHELLS} == functions


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s.__name__)
def test_shell_settings_are_the_functions_keyword_arguments(shell):
    fn_args = _keyword_only(shell._function)
    init = inspect.signature(shell.__init__).parameters
    init_args = {k: p.default for k, p in init.items() if k != "self"}
    assert tuple(fn_args) == shell._settings, "settings in the function's order"
    assert init_args == fn_args, "same names and defaults as the function"


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s.__name__)
def test_shell_with_settings_equals_function_with_settings(shell):
    logits, masks = _case()
    settings = {k: v for k, v in NON_DEFAULT.items() if k in shell._settings}
    if shell is L.FocalLoss:
        settings["alpha"] = (0.2, 1.0, 3.0)  # a float alpha is for K = 2 only
    module = shell(**settings)
    torch.testing.assert_close(module(logits, masks),
                               shell._function(logits, masks, **settings))
    for key in settings:  # the repr shows the settings
        assert key in repr(module)


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s.__name__)
def test_a_loss_reads_its_input_values_once_per_call(shell, monkeypatch):
    # Each value check is a host synchronisation on a GPU; a compound loss must not
    # repeat it once per term.
    calls = []
    original = _checks.check_masks

    def counting(*args, **kwargs):
        if _checks.value_checks_enabled():
            calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(_checks, "check_masks", counting)
    import seglearn.losses._distance_maps as dm
    monkeypatch.setattr(dm, "check_masks", counting)
    logits, masks = _case()
    shell()(logits, masks)
    assert len(calls) == 1


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32])
@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s.__name__)
def test_masks_of_any_integer_dtype_give_the_int64_value(shell, dtype):
    logits, masks = _case(seed=1)
    masks = masks.clamp_min(0)  # no ignore label: -100 does not fit unsigned types
    expected = shell()(logits, masks)
    torch.testing.assert_close(shell()(logits, masks.to(dtype)), expected)


def test_uint8_masks_do_not_wrap_onto_ignore_index():
    # -100 wraps to 156 in uint8; a class 156 must count as a class, not as "ignored".
    logits = torch.randn(1, 157, 2, 2, dtype=torch.float64)
    masks = torch.full((1, 2, 2), 156, dtype=torch.uint8)
    ce = L.cross_entropy_loss(logits, masks)
    torch.testing.assert_close(ce, L.cross_entropy_loss(logits, masks.long()))
    assert ce > 0
