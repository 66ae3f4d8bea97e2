"""The slips a user makes with label maps, augmentation and generator settings.

Each test is one misuse as it is met in practice; the package must either give the
documented correct answer (checked against a brute-force count or an independent
transform) or raise an error that says what was expected and what came.
"""

import time
from collections import Counter

import numpy as np
import pytest
import torch

from seglearn import _triangles
from seglearn._checks import check_masks, value_checks_skipped
from seglearn.data import (
    LabelCount,
    TriangleConfig,
    augment_pair,
    class_weights,
    count_each_label,
    load_triangles,
    make_triangle,
    make_triangle_arrays,
)

INT_DTYPES = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]

# ------------------------------------------------------------------ integer label maps


def test_uint8_label_156_is_not_taken_for_ignore_index_minus_100():
    masks = torch.tensor([[[0, 1], [156, 1]]], dtype=torch.uint8)
    # -100 stored in uint8 is 156: compared in uint8, the bad label would be "ignored"
    assert (masks == torch.tensor(-100).to(torch.uint8)).any()
    with pytest.raises(ValueError, match=r"found values in \[0, 156\]"):
        check_masks(masks, 2, ignore_index=-100)
    ok = torch.tensor([[[0, 1], [-100, 1]]], dtype=torch.int16)
    check_masks(ok, 2, ignore_index=-100)  # a real ignore label passes in any signed dtype
    with value_checks_skipped():  # fit's fast path still skips the value test
        check_masks(masks, 2, ignore_index=-100)
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        check_masks(ok, 2, ignore_index=-100.0)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
def test_count_each_label_any_integer_dtype_equals_brute_force(dtype):
    g = torch.Generator().manual_seed(0)
    masks = torch.randint(0, 21, (3, 9, 7), generator=g)
    masks[2] = masks[2].clamp(max=10)  # classes 11..20 absent from image 2
    c = count_each_label(masks.to(dtype), [f"c{i}" for i in range(21)])
    pixels = Counter(masks.reshape(-1).tolist())
    assert c.pixel_count == [pixels[k] for k in range(21)]
    per_image = [set(m.reshape(-1).tolist()) for m in masks]
    assert c.image_pixel_count == [63 * sum(k in s for s in per_image) for k in range(21)]


def test_count_each_label_names_misuse():
    masks = torch.zeros(1, 2, 2, dtype=torch.long)
    with pytest.raises(TypeError, match="list of names"):
        count_each_label(masks, "background")  # a string is not 10 class names
    with pytest.raises(ValueError, match="twice"):
        count_each_label(masks, ["a", "a"])
    with pytest.raises(ValueError, match="no pixels"):
        count_each_label(torch.zeros(0, 2, 2, dtype=torch.long), ["a", "b"])
    with pytest.raises(ValueError, match="integer class indices"):
        count_each_label(masks.float(), ["a", "b"])
    with pytest.raises(TypeError, match="LabelCount"):
        class_weights({"a": 3, "b": 1})
    assert isinstance(count_each_label(masks, ("a", "b")), LabelCount)  # a tuple is fine


# ------------------------------------------------------------------ augmentation

def _symmetries(square: bool):
    """Every transform augment_pair may apply, as independent torch calls on (..., H, W)."""
    ops = {"id": lambda t: t, "hflip": lambda t: t.flip(-1), "vflip": lambda t: t.flip(-2),
           "rot180": lambda t: torch.rot90(t, 2, (-2, -1))}
    if square:
        ops |= {"rot90": lambda t: torch.rot90(t, 1, (-2, -1)),
                "rot270": lambda t: torch.rot90(t, 3, (-2, -1)),
                "transpose": lambda t: t.transpose(-2, -1),
                "antitranspose": lambda t: torch.rot90(t.transpose(-2, -1), 2, (-2, -1))}
    return ops


@pytest.mark.parametrize("h, w", [(6, 10), (10, 6), (7, 7), (5, 8)])
def test_augment_pair_keeps_every_mask_pixel_for_any_shape(h, w):
    g = torch.Generator().manual_seed(1)
    n = 64
    images = torch.rand(n, 2, h, w, generator=g)
    masks = torch.randint(0, 5, (n, h, w), generator=g).to(torch.uint8)
    xa, ya = augment_pair(images, masks, generator=torch.Generator().manual_seed(2))
    assert xa.shape == images.shape and ya.shape == masks.shape and ya.dtype == torch.uint8
    used = Counter()
    for i in range(n):
        hits = [name for name, op in _symmetries(h == w).items()
                if torch.equal(op(images[i]), xa[i]) and torch.equal(op(masks[i]), ya[i])]
        assert hits, f"image {i}: image and mask were not moved by one and the same symmetry"
        used[hits[0]] += 1
        # no label pixel is lost or invented
        assert torch.equal(torch.bincount(ya[i].reshape(-1).long(), minlength=5),
                           torch.bincount(masks[i].reshape(-1).long(), minlength=5))
    assert len(used) == len(_symmetries(h == w))  # every allowed symmetry occurs


def test_augment_pair_misuse():
    x, y = torch.rand(2, 1, 8, 8), torch.zeros(2, 8, 8, dtype=torch.long)
    with pytest.raises(ValueError, match=r"agree in N, H and W.*\(2, 8, 6\)"):
        augment_pair(x, y[:, :, :6])
    with pytest.raises(ValueError, match="agree in N"):
        augment_pair(x, y[:1])
    with pytest.raises(TypeError, match="torch.Generator"):
        augment_pair(x, y, generator=3)
    with pytest.raises(TypeError, match="flips must be True or False"):
        augment_pair(x, y, flips="no")
    with pytest.raises(ValueError, match="integer class indices"):
        augment_pair(x, y.float())
    xe, ye = augment_pair(x[:0], y[:0])
    assert xe.shape == (0, 1, 8, 8) and ye.shape == (0, 8, 8)
    before = x.clone()
    augment_pair(x, y, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, before)  # inputs untouched


# ------------------------------------------------------------------ generator settings


@pytest.mark.parametrize("kwargs, error, match", [
    ({"min_angle": 60.0}, ValueError, "min_angle"),  # no triangle: used to loop for ever
    ({"min_angle": -5.0}, ValueError, "min_angle"),
    ({"area": (18.0, 500.0)}, ValueError, "area"),  # cannot fit 32x32: used to loop
    ({"area": (0.0, 10.0)}, ValueError, "area"),  # gave NaN vertices
    ({"area": (90.0, 18.0)}, ValueError, "min <= max"),
    ({"area": 50.0}, TypeError, "pair"),
    ({"area": (1.0, float("nan"))}, TypeError, "pair"),
    ({"size": 32.0}, TypeError, "size must be an int"),
    ({"size": 3}, ValueError, "size must be >= 4"),
    ({"supersample": 0}, ValueError, "supersample"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"contrast": (0.3, 1.5)}, ValueError, "contrast"),
    ({"background": (-0.1, 0.2)}, ValueError, "background"),
])
def test_bad_settings_are_refused_when_the_config_is_made(kwargs, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        TriangleConfig(**kwargs)
    assert time.perf_counter() - start < 1.0


def test_the_book_settings_still_pass():
    TriangleConfig(area=(5.0, 16.0))  # loss_comparison.ipynb
    TriangleConfig(area=(20.0, 400.0), background=(0.1, 0.6), contrast=(0.15, 0.35))


def test_a_barely_feasible_setting_gives_up_instead_of_hanging(monkeypatch):
    # passes every range check (the largest triangle in a 6x6 box has area 18) but the
    # generator's triangles practically never fit: bounded now, with a message
    monkeypatch.setattr(_triangles, "MAX_TRIES", 300)
    cfg = TriangleConfig(size=8, area=(17.9, 18.0))
    with pytest.raises(ValueError, match="fitted a 8x8 image in 300 draws"):
        make_triangle(np.random.default_rng(0), cfg)


def test_generator_argument_types():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        make_triangle(0)
    with pytest.raises(TypeError, match="TriangleConfig"):
        make_triangle(np.random.default_rng(0), {"size": 32})
    with pytest.raises(ValueError, match="split"):
        make_triangle_arrays("training", 3)
    with pytest.raises(ValueError, match="num must be >= 0"):
        make_triangle_arrays("train", -1)
    images, labels = make_triangle_arrays("test", 0)
    assert images.shape == (0, 32, 32) and labels.dtype == np.uint8


def test_generated_and_loaded_triangles_keep_the_contract():
    x, y = load_triangles("val", num=4)
    assert x.dtype == torch.float32 and y.dtype == torch.int64


def test_metric_misuse_messages():
    from seglearn.metrics import confusion_matrix, evaluate_semantic_segmentation

    masks = torch.zeros(2, 4, 4, dtype=torch.long)
    with pytest.raises(ValueError, match=r"squeeze\(-3\)"):
        confusion_matrix(masks[:, None], masks[:, None], 2)  # (N, 1, H, W) label images
    with pytest.raises(ValueError, match=r"argmax\(dim=1\)"):
        confusion_matrix(torch.zeros(2, 2, 4, 4, dtype=torch.long), masks, 2)  # (N, K, H, W)
    with pytest.raises(TypeError, match="got the string 'ab'"):
        evaluate_semantic_segmentation(masks, masks, num_classes=2, class_names="ab")
    with value_checks_skipped(), pytest.raises(ValueError, match="same device"):
        confusion_matrix(masks.to("meta"), masks, 2)


def test_overwrite_will_not_follow_a_link(tmp_path):
    from seglearn.data import make_triangle_dataset

    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "keep.png").write_bytes(b"x")
    root = tmp_path / "t"
    root.mkdir()
    (root / "trainingImages").symlink_to(elsewhere)
    with pytest.raises(FileExistsError, match="not plain folders"):
        make_triangle_dataset(root, num_train=1, num_val=0, num_test=1, overwrite=True)
    assert (elsewhere / "keep.png").exists()


def test_num_classes_as_a_numpy_int_is_an_int():
    from seglearn.metrics import confusion_matrix, evaluate_semantic_segmentation

    masks = torch.tensor([[[0, 1], [1, 1]]])
    assert confusion_matrix(masks, masks, np.int64(2)).tolist() == [[1, 0], [0, 3]]
    assert evaluate_semantic_segmentation(masks, masks, num_classes=np.int64(2)).mean_iou == 1.0
    for bad in (2.0, True, "2", 0):
        with pytest.raises(ValueError, match="num_classes must be a positive int"):
            confusion_matrix(masks, masks, bad)
