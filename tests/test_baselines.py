"""The trivial baselines, checked against brute force and against the numbers of issue 12.

The constants of ``seglearn.baselines`` (MATLAB's published metrics, the book's runs) are
checked against the chapters in ``tests/test_book.py``.
"""

import numpy as np
import pytest
import torch

from seglearn.baselines import (
    THRESHOLD_RULES,
    all_background,
    fit_threshold,
    threshold_baseline,
)
from seglearn.metrics import evaluate_semantic_segmentation


def _small_data(seed=0, n=5, size=6, k=3, levels=7):
    """Images on a few grey levels (many ties) and masks that are related to them."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(levels, (n, 1, size, size), generator=g).float() / (levels - 1)
    noisy = (images[:, 0] * (k - 1) + torch.rand(n, size, size, generator=g)).round()
    return images, noisy.clamp(0, k - 1).long()


def _brute_force(images, masks, k, rule):
    """Best MeanIoU over every threshold and foreground class, one prediction at a time."""
    x = images.double().mean(1).numpy()
    if rule != "global":
        x = x - np.median(x.reshape(len(x), -1), axis=1)[:, None, None]
        x = np.abs(x) if rule == "per_image_two_sided" else x
    best = -1.0
    for t in [x.min() - 1, *np.unique(x)]:
        for c in range(1, k):
            preds = torch.from_numpy(np.where(x > t, c, 0).astype(np.int64))
            res = evaluate_semantic_segmentation(preds, masks, num_classes=k, bf_score=False)
            best = max(best, res.mean_iou)
    return best


@pytest.mark.parametrize("rule", THRESHOLD_RULES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fitted_threshold_is_the_brute_force_optimum(rule, seed):
    images, masks = _small_data(seed)
    fitted = fit_threshold(images, masks, num_classes=3, rule=rule)
    assert fitted.fit_mean_iou == pytest.approx(_brute_force(images, masks, 3, rule), abs=1e-12)
    # and its own prediction scores what it claims
    res = evaluate_semantic_segmentation(fitted.predict(images), masks, num_classes=3,
                                         bf_score=False)
    assert res.mean_iou == pytest.approx(fitted.fit_mean_iou, abs=1e-12)


def test_a_fixed_foreground_class_is_respected():
    images, masks = _small_data(3)
    fitted = fit_threshold(images, masks, num_classes=3, rule="global", foreground=2)
    assert fitted.foreground == 2
    assert set(fitted.predict(images).unique().tolist()) <= {0, 2}


def test_a_separable_image_is_cut_exactly():
    images = torch.tensor([[[[0.1, 0.1, 0.9, 0.9]]]])
    masks = torch.tensor([[[0, 0, 1, 1]]])
    fitted = fit_threshold(images, masks, num_classes=2, rule="global")
    assert fitted.fit_mean_iou == 1.0 and 0.1 < fitted.threshold < 0.9
    assert fitted.foreground == 1


def test_triangles_reproduce_the_issue_numbers():
    # issue 12: the per-image offset best on train is 0.24 and scores test MeanIoU 0.927;
    # the global threshold chosen on train scores about 0.888 (an older grid search)
    from seglearn.data import load_triangles

    train, test = load_triangles("train"), load_triangles("test")
    rule, res = threshold_baseline(train, test, num_classes=2, rule="per_image",
                                   bf_score=False)
    assert rule.threshold == pytest.approx(0.24, abs=0.01)
    assert res.mean_iou == pytest.approx(0.927, abs=0.002)
    _, res = threshold_baseline(train, test, num_classes=2, rule="global", bf_score=False)
    assert res.mean_iou == pytest.approx(0.888, abs=0.01)


def test_no_threshold_reads_the_shape_scenes():
    # the calibration target of issue 12: every threshold rule, chosen on val, <= 0.40
    from seglearn.shapes import load_shapes

    val, test = load_shapes("val"), load_shapes("test")
    for rule in THRESHOLD_RULES:
        _, res = threshold_baseline(val, test, num_classes=4, rule=rule, bf_score=False)
        assert res.mean_iou <= 0.40, rule


def test_all_background():
    images, masks = _small_data(0)
    preds = all_background(images)
    assert preds.dtype == torch.int64 and preds.shape == masks.shape and not preds.any()
    res = evaluate_semantic_segmentation(preds, masks, num_classes=3, bf_score=False)
    background = float((masks == 0).double().mean())
    assert res.class_metrics["IoU"][0] == pytest.approx(background)
    assert res.mean_iou == pytest.approx(background / 3)  # the other classes score 0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"rule": "otsu"}, ValueError, "rule must be one of"),
    ({"num_classes": 1}, ValueError, "num_classes must be an int >= 2"),
    ({"foreground": 0}, ValueError, "foreground must be an int in"),
    ({"foreground": 3}, ValueError, "foreground must be an int in"),
])
def test_bad_settings_are_rejected(kwargs, error, match):
    images, masks = _small_data(0)
    with pytest.raises(error, match=match):
        fit_threshold(images, masks, **{"num_classes": 3, **kwargs})


def test_bad_tensors_are_rejected():
    images, masks = _small_data(0)
    with pytest.raises(ValueError, match="agree on N, H, W"):
        fit_threshold(images[:, :, :4], masks, num_classes=3)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        fit_threshold(images[:, 0], masks, num_classes=3)
    with pytest.raises(TypeError, match="torch.Tensor"):
        all_background(images.numpy())

