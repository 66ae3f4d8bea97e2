"""SegmentationFolder on label files as real data sets store them, written with PIL.

Each expected mask or image is computed here from the arrays the files were written from
(numpy), never by the reader: a palette PNG must give back the indices it was written
with, a 16-bit PNG its values, an RGB label the classes of its colours.
"""

import numpy as np
import pytest
import torch
from PIL import Image

from seglearn.data import (
    TRIANGLE_CLASSES,
    SegmentationFolder,
    load_triangles,
    make_triangle_dataset,
)


def _voc_palette() -> list[int]:
    """PASCAL VOC's colour map (the bit-interleaving recipe of its devkit), 256 colours."""
    out = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        out += [r, g, b]
    return out


def _pair(tmp_path, image, label, stem="a", image_ext=".png", label_ext=".png"):
    """Save one image/label pair (PIL images) into tmp_path/img and tmp_path/lab."""
    img, lab = tmp_path / "img", tmp_path / "lab"
    img.mkdir(parents=True, exist_ok=True)
    lab.mkdir(parents=True, exist_ok=True)
    image.save(img / f"{stem}{image_ext}")
    label.save(lab / f"{stem}{label_ext}")
    return img, lab


def _gray(h=6, w=5, value=100):
    return Image.fromarray(np.full((h, w), value, np.uint8))


# ------------------------------------------------------------------------ label files

VOC = {"background": 0, **{f"class{i}": i for i in range(1, 21)}, "void": 255}


def test_palette_png_gives_its_indices_not_its_colours(tmp_path):
    rng = np.random.default_rng(0)
    index = rng.choice([*range(21), 255], size=(12, 10)).astype(np.uint8)
    label = Image.fromarray(index)
    label.putpalette(_voc_palette())  # an "L" image with a palette becomes mode "P"
    assert label.mode == "P"
    img, lab = _pair(tmp_path, _gray(12, 10), label)
    assert Image.open(lab / "a.png").mode == "P"
    _, mask = SegmentationFolder(img, lab, VOC)[0]
    expected = np.where(index == 255, 21, index)  # "void" is the 22nd class of the table
    assert mask.dtype == torch.int64 and np.array_equal(mask.numpy(), expected)
    # what a luminance conversion would have reported instead: not the indices
    assert not np.array_equal(np.asarray(Image.open(lab / "a.png").convert("L")), index)
    # the same file through a table of its palette colours gives the same classes
    pal = np.array(_voc_palette()).reshape(-1, 3)
    by_colour = {name: tuple(int(c) for c in pal[v]) for name, v in VOC.items()}
    _, mask_c = SegmentationFolder(img, lab, by_colour)[0]
    assert torch.equal(mask_c, mask)


def test_16_bit_grayscale_labels_keep_values_above_255(tmp_path):
    values = np.array([[0, 1000, 40000], [65535, 0, 1000]], np.uint16)
    label = Image.fromarray(values)
    assert label.mode == "I;16"
    img, lab = _pair(tmp_path, _gray(2, 3), label)
    classes = {"none": 0, "low": 1000, "high": 40000, "max": 65535}
    _, mask = SegmentationFolder(img, lab, classes)[0]
    assert mask.tolist() == [[0, 1, 2], [3, 0, 1]]


def test_1_bit_labels_hold_0_and_1(tmp_path):
    fg = np.zeros((4, 6), bool)
    fg[1:3, 2:5] = True
    img, lab = _pair(tmp_path, _gray(4, 6), Image.fromarray(fg))
    assert Image.open(lab / "a.png").mode == "1"
    _, mask = SegmentationFolder(img, lab, {"background": 0, "object": 1})[0]
    assert np.array_equal(mask.numpy(), fg.astype(np.int64))


CITYSCAPES = {"road": (128, 64, 128), "sky": (70, 130, 180), "car": (0, 0, 142)}


def test_rgb_colour_coded_labels_through_a_colour_table(tmp_path):
    classes = np.array([[0, 1, 2, 2], [1, 1, 0, 2], [2, 0, 0, 1]])
    colours = np.array(list(CITYSCAPES.values()), np.uint8)[classes]  # (3, 4, 3)
    img, lab = _pair(tmp_path, _gray(3, 4), Image.fromarray(colours))
    _, mask = SegmentationFolder(img, lab, CITYSCAPES)[0]
    assert np.array_equal(mask.numpy(), classes)
    # a table of numbers cannot read colours, and says what to do
    with pytest.raises(ValueError, match=r"RGB \(colour-coded\).*give colours"):
        SegmentationFolder(img, lab, {"road": 0, "sky": 1})[0]
    # an unknown colour is named as a colour
    colours[0, 0] = (1, 2, 3)
    Image.fromarray(colours).save(lab / "a.png")
    with pytest.raises(ValueError, match=r"a\.png: label colours \[\(1, 2, 3\)\]"):
        SegmentationFolder(img, lab, CITYSCAPES)[0]


def test_grayscale_label_with_a_colour_table_is_refused(tmp_path):
    img, lab = _pair(tmp_path, _gray(), _gray(value=0))
    with pytest.raises(ValueError, match="grayscale label file"):
        SegmentationFolder(img, lab, CITYSCAPES)[0]


def test_opaque_rgba_label_reads_as_rgb_transparent_is_refused(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = CITYSCAPES["sky"]
    rgba[..., 3] = 255
    img, lab = _pair(tmp_path, _gray(2, 2), Image.fromarray(rgba))
    assert SegmentationFolder(img, lab, CITYSCAPES)[0][1].tolist() == [[1, 1], [1, 1]]
    rgba[0, 0, 3] = 0
    Image.fromarray(rgba).save(lab / "a.png")
    with pytest.raises(ValueError, match="a.png: mode RGBA with transparent pixels"):
        SegmentationFolder(img, lab, CITYSCAPES)[0]


def test_jpeg_labels_are_refused(tmp_path):
    img, lab = _pair(tmp_path, _gray(), _gray(value=0), label_ext=".jpg")
    with pytest.raises(ValueError, match="JPEG label files.*a.jpg"):
        SegmentationFolder(img, lab, TRIANGLE_CLASSES)


# ------------------------------------------------------------------------ image files


def test_image_modes_become_floats_in_0_1_by_bit_depth(tmp_path):
    rng = np.random.default_rng(1)
    h, w = 3, 4
    label = _gray(h, w, value=0)
    gray8 = rng.integers(0, 256, (h, w), dtype=np.uint8)
    gray16 = rng.integers(0, 65536, (h, w), dtype=np.uint16)
    bits = rng.random((h, w)) < 0.5
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    rgba = np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], axis=2)
    floats = rng.random((h, w)).astype(np.float32)
    cases = {  # stem: (PIL image, extension, expected (C, H, W))
        "l8": (Image.fromarray(gray8), ".png", gray8[None] / 255),
        "l16": (Image.fromarray(gray16), ".png", gray16[None] / 65535),
        "t16": (Image.fromarray(gray16), ".tif", gray16[None] / 65535),
        "b1": (Image.fromarray(bits), ".png", bits[None].astype(float)),
        "rgb": (Image.fromarray(rgb), ".png", rgb.transpose(2, 0, 1) / 255),
        "rgba": (Image.fromarray(rgba), ".png", rgb.transpose(2, 0, 1) / 255),
        "f": (Image.fromarray(floats), ".tif", floats[None]),
    }
    for stem, (im, ext, expected) in cases.items():
        sub = tmp_path / stem
        img, lab = _pair(sub, im, label, image_ext=ext)
        x, _ = SegmentationFolder(img, lab, TRIANGLE_CLASSES)[0]
        assert x.dtype == torch.float32, stem
        torch.testing.assert_close(x, torch.from_numpy(expected).float(), msg=stem)


def test_palette_images_give_their_colours_grey_palettes_one_channel(tmp_path):
    index = np.array([[0, 1], [2, 1]], np.uint8)
    colour = Image.fromarray(index)
    colour.putpalette([10, 20, 30, 200, 100, 0, 0, 0, 255] + [0] * 759)
    grey = Image.fromarray(index)
    grey.putpalette([v for i in range(256) for v in (i * 3 % 256,) * 3])
    x, _ = SegmentationFolder(*_pair(tmp_path / "c", colour, _gray(2, 2, 0)),
                              TRIANGLE_CLASSES)[0]
    expected = np.asarray(colour.convert("RGB")).transpose(2, 0, 1) / 255
    torch.testing.assert_close(x, torch.from_numpy(expected).float())
    x, _ = SegmentationFolder(*_pair(tmp_path / "g", grey, _gray(2, 2, 0)),
                              TRIANGLE_CLASSES)[0]
    torch.testing.assert_close(x, torch.from_numpy(index * 3 / 255.0).float()[None])


def test_transparent_image_is_refused(tmp_path):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 1, 3] = 255
    img, lab = _pair(tmp_path, Image.fromarray(rgba), _gray(2, 2, 0))
    with pytest.raises(ValueError, match="transparent pixels"):
        SegmentationFolder(img, lab, TRIANGLE_CLASSES)[0]


# ------------------------------------------------------------------------ broken folders


def test_truncated_and_corrupt_files_name_the_file(tmp_path):
    big = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), np.uint8))
    img, lab = _pair(tmp_path, big, Image.fromarray(np.zeros((64, 64), np.uint8)))
    data = (img / "a.png").read_bytes()
    (img / "a.png").write_bytes(data[: len(data) // 2])
    ds = SegmentationFolder(img, lab, TRIANGLE_CLASSES)
    with pytest.raises(OSError, match=r"img/a\.png: not a readable image file"):
        ds[0]
    (lab / "a.png").write_bytes(b"this is not a PNG")
    (img / "a.png").write_bytes(data)
    with pytest.raises(OSError, match=r"lab/a\.png: not a readable image file"):
        ds[0]


def test_same_stem_with_two_extensions_is_ambiguous(tmp_path):
    img, lab = _pair(tmp_path, _gray(), _gray(value=0))
    _gray(value=7).save(img / "a.bmp")
    with pytest.raises(ValueError, match=r"ambiguous image files.*a\.bmp and a\.png"):
        SegmentationFolder(img, lab, TRIANGLE_CLASSES)


def test_stale_file_from_another_data_set_is_named(tmp_path):
    root = make_triangle_dataset(tmp_path / "t", num_train=3, num_val=0, num_test=1)
    _gray(32, 32, 0).save(root / "trainingLabels" / "image_004.png")  # left from a bigger set
    with pytest.raises(ValueError, match=r"labels without images \['image_004'\]"):
        SegmentationFolder(root / "trainingImages", root / "trainingLabels", TRIANGLE_CLASSES)
    # hidden files (macOS resource forks) are not data and are skipped
    (root / "trainingLabels" / "image_004.png").unlink()
    (root / "trainingImages" / "._image_001.png").write_bytes(b"\x00\x05\x16\x07")
    assert len(SegmentationFolder(root / "trainingImages", root / "trainingLabels",
                                  TRIANGLE_CLASSES)) == 3


def test_images_of_different_sizes_are_named(tmp_path):
    img, lab = _pair(tmp_path, _gray(4, 4), _gray(4, 4, 0), stem="a")
    _pair(tmp_path, _gray(5, 4), _gray(5, 4, 0), stem="b")
    ds = SegmentationFolder(img, lab, TRIANGLE_CLASSES)
    assert ds[1][0].shape == (1, 5, 4)  # item by item is fine
    with pytest.raises(ValueError, match=r"img/a\.png is \(1, 4, 4\), .*img/b\.png is \(1, 5, 4\)"):
        ds.tensors()
    _gray(5, 5, 0).save(lab / "b.png")  # an image and its own label disagree
    with pytest.raises(ValueError, match=r"\(5, 4\) of .*img/b\.png differs from label size "
                                         r"\(5, 5\) of .*lab/b\.png"):
        ds[1]


def test_same_folder_for_images_and_labels(tmp_path):
    img, _ = _pair(tmp_path, _gray(), _gray(value=0))
    with pytest.raises(ValueError, match="same folder"):
        SegmentationFolder(img, img, TRIANGLE_CLASSES)


def test_item_index_errors(tmp_path):
    ds = SegmentationFolder(*_pair(tmp_path, _gray(), _gray(value=0)), TRIANGLE_CLASSES)
    with pytest.raises(IndexError, match="out of range for 1 items"):
        ds[1]
    with pytest.raises(TypeError, match="index must be an int"):
        ds["a"]
    assert torch.equal(ds[-1][1], ds[0][1])


# ------------------------------------------------------------------------ class tables


@pytest.mark.parametrize("classes, error, match", [
    ({"background": 0, "triangle": 0}, ValueError, "'background' and 'triangle' share"),
    ({"a": (1, 2, 3), "b": [1, 2, 3]}, ValueError, "'a' and 'b' share"),
    ({"background": 0, "triangle": 255.0}, TypeError, "must be an int"),
    ({"background": 0, "triangle": "255"}, TypeError, "must be an int"),
    ({"background": 0, "triangle": True}, TypeError, "must be an int"),
    ({"road": (128, 64, 128), "sky": 3}, TypeError, "RGB colour"),
    ({"road": 0, "sky": (70, 130, 180)}, TypeError, "one kind"),
    ({"road": (128, 64, 128, 255)}, TypeError, "RGB colour"),
    ({"road": (128, 64, 256)}, ValueError, "0..255"),
    ({"background": -1}, ValueError, ">= 0"),
    ({}, ValueError, "at least one class"),
    ([("background", 0), ("triangle", 255)], TypeError, "must be a dict"),
    ({0: 0, 1: 255}, TypeError, "class names must be non-empty strings"),
])
def test_class_table_is_validated(tmp_path, classes, error, match):
    img, lab = _pair(tmp_path, _gray(), _gray(value=0))
    with pytest.raises(error, match=match):
        SegmentationFolder(img, lab, classes)


def test_triangle_folders_read_as_before(tmp_path):
    root = make_triangle_dataset(tmp_path / "t", num_train=5, num_val=0, num_test=2)
    x, y = SegmentationFolder(root / "trainingImages", root / "trainingLabels",
                              TRIANGLE_CLASSES).tensors()
    files = sorted((root / "trainingLabels").iterdir())
    labels = np.stack([np.asarray(Image.open(p)) for p in files])
    pixels = np.stack([np.asarray(Image.open(root / "trainingImages" / p.name)) for p in files])
    assert x.shape == (5, 1, 32, 32) and x.dtype == torch.float32
    assert np.array_equal(y.numpy(), (labels == 255).astype(np.int64))
    torch.testing.assert_close(x, torch.from_numpy(pixels / 255.0).float()[:, None])
    assert torch.equal(y, load_triangles("train", num=5)[1])


def test_other_file_kinds(tmp_path):
    # a CMYK JPEG photo is read through PIL's RGB conversion: 3 channels
    cmyk = Image.fromarray(np.full((3, 3, 3), (200, 30, 90), np.uint8)).convert("CMYK")
    img, lab = _pair(tmp_path / "cmyk", cmyk, _gray(3, 3, 0), image_ext=".jpg")
    x, _ = SegmentationFolder(img, lab, TRIANGLE_CLASSES)[0]
    expected = np.asarray(Image.open(img / "a.jpg").convert("RGB")).transpose(2, 0, 1) / 255
    torch.testing.assert_close(x, torch.from_numpy(expected).float())
    # a float label file holds no class values
    img, lab = _pair(tmp_path / "f", _gray(2, 2), Image.fromarray(np.zeros((2, 2), np.float32)),
                     label_ext=".tif")
    with pytest.raises(ValueError, match="unsupported label file mode 'F'"):
        SegmentationFolder(img, lab, TRIANGLE_CLASSES)[0]
    # grayscale and RGB images mixed in one folder cannot be stacked
    img, lab = _pair(tmp_path / "mix", _gray(2, 2), _gray(2, 2, 0), stem="a")
    _pair(tmp_path / "mix", Image.fromarray(np.zeros((2, 2, 3), np.uint8)), _gray(2, 2, 0),
          stem="b")
    with pytest.raises(ValueError, match=r"a\.png is \(1, 2, 2\), .*b\.png is \(3, 2, 2\)"):
        SegmentationFolder(img, lab, TRIANGLE_CLASSES).tensors()
    # a file given for a folder
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        SegmentationFolder(img / "a.png", lab, TRIANGLE_CLASSES)


def test_multi_page_tiff_is_refused(tmp_path):
    img, lab = _pair(tmp_path, _gray(), _gray(value=0))
    pages = [_gray(value=0), _gray(value=255)]
    pages[0].save(lab / "a.tif", save_all=True, append_images=pages[1:])
    (lab / "a.png").unlink()
    with pytest.raises(ValueError, match=r"a\.tif: holds 2 frames"):
        SegmentationFolder(img, lab, TRIANGLE_CLASSES)[0]
