"""Tests of seglearn.metrics and seglearn.bfscore against hand-computed values and brute force.

The references here share no code with the package: confusion matrices are counted pixel by
pixel, erosion is a loop over 4-neighbours, and BF matches every boundary pixel by computing
its distance to every boundary pixel of the other set.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from seglearn.bfscore import bf_score, bf_scores, boundary, default_theta
from seglearn.metrics import (
    SegmentationMetrics,
    confusion_matrix,
    evaluate_semantic_segmentation,
    precision_recall,
)

# ---------------------------------------------------------------- brute-force references


def _brute_confusion(preds, masks, k):
    cm = [[0] * k for _ in range(k)]
    for t, p in zip(masks.reshape(-1).tolist(), preds.reshape(-1).tolist(), strict=True):
        cm[t][p] += 1
    return torch.tensor(cm)


def _brute_boundary(mask):
    """Region pixels with at least one 4-neighbour outside the region (or off the image)."""
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    out = np.zeros_like(mask)
    for i in range(h):
        for j in range(w):
            if not mask[i, j]:
                continue
            for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                a, b = i + di, j + dj
                if not (0 <= a < h and 0 <= b < w) or not mask[a, b]:
                    out[i, j] = True
    return out


def _brute_bf(pred, true, theta):
    pb = list(zip(*np.nonzero(_brute_boundary(pred)), strict=True))
    tb = list(zip(*np.nonzero(_brute_boundary(true)), strict=True))
    if not pb or not tb:
        return math.nan

    def matched(own, other):
        return sum(
            any((i - a) ** 2 + (j - b) ** 2 < theta**2 for a, b in other) for i, j in own
        )

    p, r = matched(pb, tb) / len(pb), matched(tb, pb) / len(tb)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


# ---------------------------------------------------------------- hand-computed cases

# One 3x3 image, K = 2: the truth has a 2x2 square in the bottom-right corner, the
# prediction misses its top-left pixel.  CM = [[5, 0], [1, 3]].
MASK_3x3 = torch.tensor([[[0, 0, 0], [0, 1, 1], [0, 1, 1]]])
PRED_3x3 = torch.tensor([[[0, 0, 0], [0, 0, 1], [0, 1, 1]]])


def test_confusion_matrix_hand_computed():
    cm = confusion_matrix(PRED_3x3, MASK_3x3, 2)
    assert cm.dtype == torch.int64
    assert cm.tolist() == [[5, 0], [1, 3]]  # rows = truth, columns = prediction


def test_metrics_hand_computed_3x3():
    r = evaluate_semantic_segmentation(PRED_3x3, MASK_3x3, num_classes=2)
    assert r.global_accuracy == pytest.approx(8 / 9)
    assert r.class_metrics["Accuracy"].tolist() == pytest.approx([1.0, 3 / 4])
    assert r.mean_accuracy == pytest.approx(7 / 8)
    assert r.class_metrics["IoU"].tolist() == pytest.approx([5 / 6, 3 / 4])
    assert r.mean_iou == pytest.approx(19 / 24)
    assert r.weighted_iou == pytest.approx((5 * 5 / 6 + 4 * 3 / 4) / 9)
    # theta = 0.0075 * sqrt(18) << 1: exact matches only.  Class 1: predicted boundary 3 px
    # all on the true boundary (P = 1), 3 of 4 true boundary px matched (R = 3/4).
    # Class 0: 5 of 6 predicted boundary px matched, all 5 true ones.
    bf1, bf0 = 2 * 0.75 / 1.75, 2 * (5 / 6) / (5 / 6 + 1)
    assert r.class_metrics["MeanBFScore"].tolist() == pytest.approx([bf0, bf1])
    assert r.mean_bf_score == pytest.approx((bf0 + bf1) / 2)
    expected = torch.tensor([[1.0, 0.0], [0.25, 0.75]], dtype=torch.float64)
    torch.testing.assert_close(r.normalized_confusion_matrix, expected)


def test_absent_class_is_nan_and_skipped():
    masks = torch.tensor([[[0, 0], [1, 1]]])
    preds = torch.tensor([[[0, 1], [1, 1]]])
    r = evaluate_semantic_segmentation(preds, masks, num_classes=3)  # class 2 nowhere
    acc, iou = r.class_metrics["Accuracy"], r.class_metrics["IoU"]
    assert acc[:2].tolist() == pytest.approx([0.5, 1.0]) and math.isnan(acc[2])
    assert iou[:2].tolist() == pytest.approx([0.5, 2 / 3]) and math.isnan(iou[2])
    assert r.mean_accuracy == pytest.approx(0.75)
    assert r.mean_iou == pytest.approx(7 / 12)
    assert r.weighted_iou == pytest.approx(7 / 12)
    assert r.global_accuracy == pytest.approx(0.75)
    assert math.isnan(r.class_metrics["MeanBFScore"][2])
    assert torch.isnan(r.normalized_confusion_matrix[2]).all()


def test_class_predicted_but_absent_from_truth_has_iou_zero_accuracy_nan():
    masks = torch.tensor([[[0, 0], [1, 1]]])
    preds = torch.tensor([[[0, 2], [1, 1]]])
    r = evaluate_semantic_segmentation(preds, masks, num_classes=3)
    assert r.class_metrics["IoU"][2] == 0.0
    assert math.isnan(r.class_metrics["Accuracy"][2])
    assert math.isnan(r.class_metrics["MeanBFScore"][2])  # empty true boundary
    assert r.mean_iou == pytest.approx((0.5 + 1.0 + 0.0) / 3)


def test_all_background_prediction_on_five_percent_foreground():
    masks = torch.zeros(1, 20, 20, dtype=torch.int64)
    masks[0, 8:12, 6:11] = 1  # 20 of 400 px = 5 %
    preds = torch.zeros_like(masks)
    r = evaluate_semantic_segmentation(preds, masks, num_classes=2)
    assert r.global_accuracy == pytest.approx(0.95)
    assert r.class_metrics["IoU"].tolist() == pytest.approx([0.95, 0.0])
    assert r.mean_iou == pytest.approx(0.475)
    assert r.mean_accuracy == pytest.approx(0.5)
    assert r.weighted_iou == pytest.approx(0.95 * 0.95)
    bf = r.class_metrics["MeanBFScore"]
    assert math.isnan(bf[1])  # nothing predicted: no predicted boundary
    # background: predicted boundary = the 76 border px, all matched (P = 1); the true
    # boundary adds the 18 px ring around the hole (R = 76 / 94).
    rec = 76 / 94
    assert bf[0] == pytest.approx(2 * rec / (1 + rec))
    assert r.mean_bf_score == pytest.approx(float(bf[0]))


def test_perfect_prediction_gives_all_ones():
    g = torch.Generator().manual_seed(1)
    masks = torch.randint(0, 3, (4, 9, 9), generator=g)
    r = evaluate_semantic_segmentation(masks.clone(), masks, num_classes=3)
    for v in r.as_dict().values():
        assert v == pytest.approx(1.0)
    for v in [*r.class_metrics.values(), *r.image_metrics.values()]:
        assert torch.allclose(v, torch.ones_like(v))
    assert torch.equal(r.confusion_matrix, torch.diag(r.confusion_matrix.diagonal()))


def test_precision_recall():
    assert precision_recall(PRED_3x3, MASK_3x3, num_classes=2) == pytest.approx((1.0, 0.75))
    assert precision_recall(PRED_3x3, MASK_3x3, num_classes=2, cls=0) == pytest.approx(
        (5 / 6, 1.0)
    )
    p, r = precision_recall(torch.zeros_like(MASK_3x3), MASK_3x3, num_classes=2)
    assert math.isnan(p) and r == 0.0  # nothing predicted as class 1


# ---------------------------------------------------------------- against brute force


def test_confusion_matrix_matches_pixel_loop():
    g = torch.Generator().manual_seed(0)
    masks = torch.randint(0, 4, (3, 7, 5), generator=g)
    preds = torch.randint(0, 4, (3, 7, 5), generator=g)
    assert torch.equal(confusion_matrix(preds, masks, 4), _brute_confusion(preds, masks, 4))


def test_boundary_matches_brute_force_erosion():
    rng = np.random.default_rng(0)
    for _ in range(10):
        m = rng.random((8, 11)) < 0.6
        assert np.array_equal(boundary(m).numpy(), _brute_boundary(m))


def test_border_touching_region_has_border_as_boundary():
    m = torch.ones(4, 5, dtype=torch.bool)
    expected = torch.ones(4, 5, dtype=torch.bool)
    expected[1:3, 1:4] = False  # interior
    assert torch.equal(boundary(m), expected)
    corner = torch.zeros(6, 6, dtype=torch.int64)
    corner[:3, :3] = 1  # a 3x3 block in the corner: only (1, 1) is interior
    b = boundary(corner)
    assert b.sum() == 8 and not b[1, 1] and b[0, 0]


@pytest.mark.parametrize("theta", [None, 1.0, 1.5, 2.3])
def test_bf_score_matches_brute_force(theta):
    rng = np.random.default_rng(42)
    for _ in range(8):
        # blobby random masks: a random rectangle plus noise
        t = np.zeros((12, 12), dtype=bool)
        r0, c0 = rng.integers(0, 6, 2)
        t[r0 : r0 + rng.integers(3, 7), c0 : c0 + rng.integers(3, 7)] = True
        p = t ^ (rng.random((12, 12)) < 0.15)
        th = 0.0075 * math.hypot(12, 12) if theta is None else theta
        expected = _brute_bf(p, t, th)
        assert bf_score(p, t, theta=theta) == pytest.approx(expected, nan_ok=True)


def test_evaluate_bf_and_image_metrics_match_brute_force():
    g = torch.Generator().manual_seed(3)
    masks = torch.randint(0, 3, (5, 10, 10), generator=g)
    preds = torch.where(torch.rand(5, 10, 10, generator=g) < 0.3,
                        torch.randint(0, 3, (5, 10, 10), generator=g), masks)
    masks[4] = 0  # an image where classes 1 and 2 are absent from the truth
    r = evaluate_semantic_segmentation(preds, masks, num_classes=3, theta=1.2)
    bf = np.array([[_brute_bf((preds[i] == c).numpy(), (masks[i] == c).numpy(), 1.2)
                    for c in range(3)] for i in range(5)])
    img_bf = np.nanmean(bf, axis=1)
    assert r.class_metrics["MeanBFScore"].numpy() == pytest.approx(np.nanmean(bf, 0))
    assert r.image_metrics["MeanBFScore"].numpy() == pytest.approx(img_bf)
    assert r.mean_bf_score == pytest.approx(img_bf.mean())
    for i in range(5):
        cm = _brute_confusion(preds[i], masks[i], 3).double()
        assert r.image_metrics["GlobalAccuracy"][i] == pytest.approx(float(cm.trace() / cm.sum()))
        rows = cm.sum(1)
        iou = [cm[c, c] / (rows[c] + cm[:, c].sum() - cm[c, c]) for c in range(3)]
        iou = [float(x) for x in iou]
        assert r.image_metrics["MeanIoU"][i] == pytest.approx(np.nanmean(iou))
        weighted = sum(float(rows[c]) * x for c, x in enumerate(iou) if not math.isnan(x))
        assert r.image_metrics["WeightedIoU"][i] == pytest.approx(weighted / float(rows.sum()))


# ---------------------------------------------------------------- BF rules and tolerance


def test_bf_empty_boundary_is_nan_and_disjoint_is_zero():
    empty = np.zeros((6, 6), dtype=bool)
    block = empty.copy()
    block[1:3, 1:3] = True
    assert math.isnan(bf_score(empty, block))
    assert math.isnan(bf_score(block, empty))
    assert math.isnan(bf_score(empty, empty))
    far = empty.copy()
    far[4:6, 4:6] = True
    assert bf_score(block, far) == 0.0


def test_image_with_all_nan_bf_is_skipped():
    masks = torch.zeros(2, 6, 6, dtype=torch.int64)
    preds = torch.zeros_like(masks)
    preds[1] = 1  # image 1: truth all background, prediction all triangle -> both BF NaN
    r = evaluate_semantic_segmentation(preds, masks, num_classes=2)
    assert math.isnan(r.image_metrics["MeanBFScore"][1])
    assert r.mean_bf_score == pytest.approx(1.0)


def test_default_theta_and_the_one_pixel_offset_threshold():
    assert default_theta(32, 32) == pytest.approx(0.3394, abs=1e-4)

    def shifted_bar(size):
        t = np.zeros((size, size), dtype=bool)
        t[10:80, 10:20] = True
        return np.roll(t, 1, axis=1), t

    # On 32x32 the default tolerance demands exact matches; a 1 px shift is penalised.
    p, t = shifted_bar(32)
    assert bf_score(p, t) < 1.0
    assert bf_score(p, t, theta=1.01) == 1.0
    # MATLAB's default forgives a 1 px offset only from a 95x95 image on (diagonal > 133.3).
    assert default_theta(94, 94) < 1.0 < default_theta(95, 95)
    assert bf_score(*shifted_bar(94)) < 1.0
    assert bf_score(*shifted_bar(95)) == 1.0


def test_bf_accepts_int_and_tensor_masks():
    t = torch.zeros(8, 8, dtype=torch.int64)
    t[2:6, 2:6] = 1
    assert bf_score(t, t.bool().numpy()) == 1.0


# ---------------------------------------------------------------- validation and printing


@pytest.mark.parametrize(
    "preds, masks, k",
    [
        (torch.zeros(1, 3, 3, dtype=torch.int64), torch.zeros(1, 3, 4, dtype=torch.int64), 2),
        (torch.full((1, 3, 3), 2), torch.zeros(1, 3, 3, dtype=torch.int64), 2),
        (torch.full((1, 3, 3), -1), torch.zeros(1, 3, 3, dtype=torch.int64), 2),
        (torch.zeros(1, 3, 3), torch.zeros(1, 3, 3, dtype=torch.int64), 2),
        (torch.zeros(1, 3, 3, dtype=torch.bool), torch.zeros(1, 3, 3, dtype=torch.int64), 2),
        (torch.zeros(3, 3, dtype=torch.int64), torch.zeros(3, 3, dtype=torch.int64), 2),
        (torch.zeros(1, 3, 3, dtype=torch.int64), torch.zeros(1, 3, 3, dtype=torch.int64), 0),
    ],
)
def test_invalid_label_maps_raise(preds, masks, k):
    with pytest.raises(ValueError):
        confusion_matrix(preds, masks, k)
    with pytest.raises(ValueError):
        evaluate_semantic_segmentation(preds, masks, num_classes=k)


def test_other_invalid_inputs_raise():
    with pytest.raises(TypeError):
        confusion_matrix(np.zeros((1, 2, 2), dtype=np.int64), MASK_3x3, 2)
    with pytest.raises(ValueError):
        evaluate_semantic_segmentation(PRED_3x3, MASK_3x3, num_classes=2, class_names=["a"])
    with pytest.raises(ValueError):
        evaluate_semantic_segmentation(PRED_3x3, MASK_3x3, num_classes=2, theta=0.0)
    empty = torch.zeros(0, 3, 3, dtype=torch.int64)
    with pytest.raises(ValueError):
        evaluate_semantic_segmentation(empty, empty, num_classes=2)
    with pytest.raises(ValueError):
        precision_recall(PRED_3x3, MASK_3x3, num_classes=2, cls=2)
    m = np.zeros((4, 4), dtype=np.int64)
    for bad in (m + 2, m.astype(np.float32), np.zeros((1, 4, 4), dtype=bool)):
        with pytest.raises(ValueError):
            bf_score(bad, m)
    with pytest.raises(ValueError):
        bf_score(m, np.zeros((4, 5), dtype=bool))
    with pytest.raises(TypeError):
        bf_score([[0, 1]], [[0, 1]])


def test_tables_use_matlab_names_and_five_decimals():
    r = evaluate_semantic_segmentation(PRED_3x3, MASK_3x3, num_classes=2)
    assert isinstance(r, SegmentationMetrics)
    text = str(r)
    header = text.splitlines()[2].split()
    assert header == ["GlobalAccuracy", "MeanAccuracy", "MeanIoU", "WeightedIoU", "MeanBFScore"]
    assert "0.88889" in text and "0.79167" in text  # 8/9 and 19/24 rounded
    assert "background" in text and "triangle" in text  # default names for K = 2
    assert set(r.as_dict()) == set(header)
    fast = evaluate_semantic_segmentation(PRED_3x3, MASK_3x3, num_classes=2, bf_score=False)
    assert math.isnan(fast.mean_bf_score) and "MeanBFScore" not in fast.dataset_metrics_table()
    assert fast.mean_iou == r.mean_iou
    named = evaluate_semantic_segmentation(
        PRED_3x3, MASK_3x3, num_classes=2, class_names=["bg", "tri"]
    )
    assert named.class_metrics_table().splitlines()[-1].split()[0] == "tri"


# ---------------------------------------------------------------- integer dtypes

INT_DTYPES = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64] + [
    d for d in (getattr(torch, "uint16", None), getattr(torch, "uint32", None)) if d is not None
]


def _voc_like(k=21, n=4, size=16, seed=0):
    """Label maps with K = 21 classes (PASCAL VOC), every class present, noisy predictions."""
    g = torch.Generator().manual_seed(seed)
    masks = torch.randint(0, k, (n, size, size), generator=g)
    preds = torch.where(torch.rand(n, size, size, generator=g) < 0.6, masks,
                        torch.randint(0, k, (n, size, size), generator=g))
    return preds, masks


def _brute_iou(cm):
    """Class IoU from a confusion matrix (list of lists) by loops; NaN when the union is 0."""
    k = len(cm)
    out = []
    for c in range(k):
        tp = cm[c][c]
        union = sum(cm[c]) + sum(cm[t][c] for t in range(k)) - tp
        out.append(tp / union if union else math.nan)
    return out


def test_uint8_arithmetic_would_overflow_on_this_data():
    # the trap the int64 conversion avoids: 20 * 21 + 20 = 440 wraps in uint8
    preds, masks = _voc_like()
    wrapped = (masks.to(torch.uint8) * 21 + preds.to(torch.uint8)).long()
    assert not torch.equal(wrapped, masks * 21 + preds)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
def test_confusion_matrix_any_integer_dtype_equals_brute_force(dtype):
    preds, masks = _voc_like()
    cm = confusion_matrix(preds.to(dtype), masks.to(dtype), 21)
    assert cm.dtype == torch.int64
    assert torch.equal(cm, _brute_confusion(preds, masks, 21))
    # mixed dtypes: uint8 truth from a PNG file, int64 predictions from argmax
    assert torch.equal(confusion_matrix(preds, masks.to(dtype), 21), cm)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
def test_evaluate_any_integer_dtype_gives_the_int64_result(dtype):
    preds, masks = _voc_like()
    ref = evaluate_semantic_segmentation(preds, masks, num_classes=21)
    r = evaluate_semantic_segmentation(preds.to(dtype), masks.to(dtype), num_classes=21)
    assert r.as_dict() == pytest.approx(ref.as_dict(), nan_ok=True)
    assert torch.equal(r.confusion_matrix, ref.confusion_matrix)
    for key in ("Accuracy", "IoU", "MeanBFScore"):
        torch.testing.assert_close(r.class_metrics[key], ref.class_metrics[key], equal_nan=True)
    for key, value in ref.image_metrics.items():
        torch.testing.assert_close(r.image_metrics[key], value, equal_nan=True)
    assert str(r) == str(ref)
    # and the int64 result is the brute-force one
    iou = _brute_iou(_brute_confusion(preds, masks, 21).tolist())
    assert r.class_metrics["IoU"].tolist() == pytest.approx(iou)
    assert r.mean_iou == pytest.approx(sum(iou) / 21)
    p, rc = precision_recall(preds.to(dtype), masks.to(dtype), num_classes=21, cls=20)
    assert (p, rc) == precision_recall(preds, masks, num_classes=21, cls=20)


def test_bf_scores_is_bf_score_per_image_and_class():
    preds, masks = _voc_like(k=3, n=3, size=10, seed=4)
    table = bf_scores(preds.to(torch.uint8), masks.to(torch.int16), num_classes=3, theta=1.5)
    assert table.shape == (3, 3) and table.dtype == torch.float64
    for i in range(3):
        for c in range(3):
            ref = _brute_bf((preds[i] == c).numpy(), (masks[i] == c).numpy(), 1.5)
            assert table[i, c].item() == pytest.approx(ref, nan_ok=True)


def test_label_maps_that_no_dtype_can_rescue_raise():
    preds, masks = _voc_like(k=2)
    if hasattr(torch, "uint64"):
        with pytest.raises(ValueError, match="uint64"):
            confusion_matrix(preds.to(torch.uint64), masks, 2)
    with pytest.raises(ValueError, match=r"preds values must lie in \[0, 2\)"):
        confusion_matrix(preds.to(torch.int8) - 3, masks, 2)
    with pytest.raises(ValueError, match="num_classes"):
        bf_scores(preds, masks, num_classes=2.0)
    with pytest.raises(ValueError, match="same shape"):
        bf_scores(preds, masks[:, :3], num_classes=2)
