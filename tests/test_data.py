"""Tests of seglearn.data: the triangle generator, folders, label counts, weights."""

import hashlib

import numpy as np
import pytest
import torch
from PIL import Image

from seglearn.data import (
    TRIANGLE_CLASSES,
    SegmentationFolder,
    augment_pair,
    class_weights,
    count_each_label,
    load_triangles,
    make_triangle_dataset,
)


def _digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.png")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_triangle_dataset(tmp_path_factory.mktemp("tri"), num_train=12, num_val=4,
                                 num_test=6)


def test_layout_matches_matlab(folder):
    for d, n in [("trainingImages", 12), ("trainingLabels", 12), ("validationImages", 4),
                 ("validationLabels", 4), ("testImages", 6), ("testLabels", 6)]:
        assert len(list((folder / d).glob("*.png"))) == n
    label = np.asarray(Image.open(folder / "trainingLabels" / "image_001.png"))
    assert label.shape == (32, 32) and set(np.unique(label)) <= {0, 255}


def test_same_seed_gives_byte_identical_files(folder, tmp_path):
    again = make_triangle_dataset(tmp_path / "again", num_train=12, num_val=4, num_test=6)
    assert _digest(again) == _digest(folder)
    other = make_triangle_dataset(tmp_path / "other", num_train=12, num_val=4, num_test=6,
                                  seed=1)
    assert _digest(other) != _digest(folder)


def test_disk_and_memory_agree(folder):
    for split, n in [("train", 12), ("val", 4), ("test", 6)]:
        x_disk, y_disk = load_triangles(split, root=folder)
        x_mem, y_mem = load_triangles(split, num=n)
        torch.testing.assert_close(x_disk, x_mem)
        assert torch.equal(y_disk, y_mem)


def test_tensor_contract_and_calibration():
    x, y = load_triangles("train")
    xt, yt = load_triangles("test")
    assert x.shape == (200, 1, 32, 32) and x.dtype == torch.float32
    assert y.shape == (200, 32, 32) and y.dtype == torch.int64
    assert xt.shape == (100, 1, 32, 32) and yt.shape == (100, 32, 32)
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert set(torch.unique(y).tolist()) == {0, 1}
    # MATLAB: 5.04 % foreground in training, about 4.6 % in test.
    assert 0.04 < float(y.float().mean()) < 0.06
    assert 0.035 < float(yt.float().mean()) < 0.065
    # every image holds one triangle of varied size
    sizes = y.sum((1, 2))
    assert int(sizes.min()) > 5 and float(sizes.max()) > 2.5 * float(sizes.min())


def test_train_and_test_differ():
    x, _ = load_triangles("train", num=5)
    xt, _ = load_triangles("test", num=5)
    assert not torch.equal(x, xt)


def test_prefix_does_not_depend_on_count():
    a = load_triangles("train", num=3)
    b = load_triangles("train", num=7)
    assert torch.equal(a[0], b[0][:3]) and torch.equal(a[1], b[1][:3])


def test_triangle_pixels_are_brighter_on_average():
    x, y = load_triangles("train", num=50)
    fg = x[:, 0][y == 1].mean()
    bg = x[:, 0][y == 0].mean()
    assert float(fg - bg) > 0.15


def test_folder_errors(folder, tmp_path):
    with pytest.raises(FileNotFoundError):
        SegmentationFolder(tmp_path / "nope", folder / "trainingLabels", TRIANGLE_CLASSES)
    # unmatched names
    img, lab = tmp_path / "img", tmp_path / "lab"
    img.mkdir(), lab.mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(img / "a.png")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(lab / "b.png")
    with pytest.raises(ValueError, match="unmatched"):
        SegmentationFolder(img, lab, TRIANGLE_CLASSES)
    # unknown label value
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(img / "b.png")
    Image.fromarray(np.full((4, 4), 128, np.uint8)).save(lab / "a.png")
    ds = SegmentationFolder(img, lab, TRIANGLE_CLASSES)
    with pytest.raises(ValueError, match=r"\[128\] are not in the class table"):
        ds[0]
    # size mismatch
    Image.fromarray(np.zeros((5, 4), np.uint8)).save(img / "b.png")
    with pytest.raises(ValueError, match="differs from label size"):
        ds[1]


def test_class_table_order_defines_indices(folder):
    swapped = {"triangle": 255, "background": 0}
    _, y = SegmentationFolder(folder / "testImages", folder / "testLabels", swapped).tensors()
    _, y_ref = load_triangles("test", root=folder)
    assert torch.equal(y, 1 - y_ref)


def test_count_each_label_by_hand():
    masks = torch.tensor([[[0, 1], [1, 1]], [[0, 0], [0, 0]]])
    c = count_each_label(masks, ["background", "triangle"])
    assert c.pixel_count == [5, 3]
    assert c.image_pixel_count == [8, 4]  # triangle occurs only in the first image
    assert "PixelCount" in str(c)
    w = class_weights(c, "inverse")
    torch.testing.assert_close(w, torch.tensor([8 / 5, 8 / 3]))
    # median frequency: f = [5/8, 3/4]; MATLAB's median of two values is their mean
    m = class_weights(c, "median")
    med = (5 / 8 + 3 / 4) / 2
    torch.testing.assert_close(m, torch.tensor([med / (5 / 8), med / (3 / 4)]))


@pytest.mark.parametrize("k", [3, 4, 5])
def test_median_frequency_weights_use_the_statistical_median(k):
    # numpy's median (the mean of the middle two for an even count) is MATLAB's.
    gen = torch.Generator().manual_seed(k)
    masks = torch.randint(0, k, (6, 5, 5), generator=gen)
    masks[0] = 0  # class frequencies per image differ
    c = count_each_label(masks, [f"c{i}" for i in range(k)])
    f = np.array(c.pixel_count, dtype=np.float64) / np.array(c.image_pixel_count)
    torch.testing.assert_close(class_weights(c, "median"),
                               torch.tensor(np.median(f) / f, dtype=torch.float32))


def test_count_each_label_errors():
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        count_each_label(torch.tensor([[[0, 2]]]), ["a", "b"])
    with pytest.raises(ValueError, match="no pixels"):
        class_weights(count_each_label(torch.zeros(1, 2, 2, dtype=torch.long), ["a", "b"]))
    with pytest.raises(ValueError, match="method"):
        class_weights(count_each_label(torch.tensor([[[0, 1]]]), ["a", "b"]), "mean")


def test_augment_pair_moves_image_and_mask_together():
    x, y = load_triangles("train", num=16)
    g = torch.Generator().manual_seed(3)
    xa, ya = augment_pair(x, y, generator=g)
    assert xa.shape == x.shape and ya.dtype == torch.int64
    for i in range(16):
        # each augmented pair is one of the 8 symmetries of the square, the same for both
        found = False
        for k in range(4):
            for flip in (False, True):
                xi, yi = x[i, 0], y[i]
                if flip:
                    xi, yi = xi.flip(-1), yi.flip(-1)
                xi, yi = torch.rot90(xi, k, (0, 1)), torch.rot90(yi, k, (0, 1))
                if torch.equal(xi, xa[i, 0]) and torch.equal(yi, ya[i]):
                    found = True
        assert found, f"image {i} and its mask were not moved by the same symmetry"
    assert not torch.equal(xa, x)
    assert torch.equal(x, load_triangles("train", num=16)[0])  # inputs untouched
