"""The triangles' three splits, and writing them to disk without mixing or losing files.

The hashes below were recorded from the two-split generator *before* the validation split
was added (commit 49242f1, seed 0, 200 training and 100 test images): the training and
test data must stay byte-identical, so MATLAB's comparison and every number in the book
still hold.
"""

import hashlib

import numpy as np
import PIL
import pytest
import torch
from PIL import Image, features

from seglearn.data import (
    TRIANGLE_CLASSES,
    SegmentationFolder,
    load_triangles,
    make_triangle_arrays,
    make_triangle_dataset,
)

# sha256 of the uint8 arrays' bytes: (images, labels), shape (N, 32, 32).
ARRAYS = {
    "train": ("7acec53ea13b38ead145ab649a8e3104f727821d0d30326e65842eed9de4f027",
              "550e649e27e457831785328430a9da0348a83483979364fa6c04ef91eda321c4"),
    "test": ("e76f07ae17dc53da197ea2ef1a484dd0b771292f7c52e295191530bb03d8ebb8",
             "b6f72e6675e49199cc32861deb1e9011e1786be2fe60e1388b9de981769f9d98"),
}
# sha256 over (file name, PNG bytes) of each folder, sorted by name. PNG bytes depend on
# the encoder (Pillow and its zlib), so they are compared where the encoder is the one
# they were recorded with; the decoded pixels are compared everywhere (ARRAYS).
PNG_FOLDERS = {
    "trainingImages": "a274cb7126b0bfbe446945b33fec1463ffd99868324c3ecdbc225d3228a81427",
    "trainingLabels": "620b6abe908c82b0b49fbc1e7bae0150d8e01fd8c88a842aede593150096af45",
    "testImages": "a1bddeb3d0a705aec46267153ed31de3e27f815c6b665385c2b5b71626e064df",
    "testLabels": "a72a6a555793a6a5347129a075eafd03d329e6610a44066058444a397d392d6b",
}
RECORDED_ENCODER = ("13.0.0", "1.2.13", "2.3.3")  # Pillow, its zlib, its zlib-ng


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _folder_sha(folder) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.png")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return make_triangle_dataset(tmp_path_factory.mktemp("full") / "triangleImages")


@pytest.mark.parametrize("split", ["train", "test"])
def test_train_and_test_arrays_are_byte_identical_to_before(split):
    images, labels = make_triangle_arrays(split, 200 if split == "train" else 100, seed=0)
    assert (_sha(images), _sha(labels)) == ARRAYS[split]


def test_files_on_disk_hold_the_recorded_pixels(full):
    for split, (image_dir, label_dir) in {"train": ("trainingImages", "trainingLabels"),
                                          "test": ("testImages", "testLabels")}.items():
        images = np.stack([np.asarray(Image.open(p)) for p in sorted((full / image_dir).iterdir())])
        labels = np.stack([np.asarray(Image.open(p)) for p in sorted((full / label_dir).iterdir())])
        assert (_sha(images), _sha(labels)) == ARRAYS[split]


def test_png_bytes_are_identical_to_before(full):
    encoder = (PIL.__version__, features.version("zlib"), features.version("zlib_ng"))
    if encoder != RECORDED_ENCODER:
        pytest.skip(f"PNG encoder {encoder} differs from the recorded {RECORDED_ENCODER}; "
                    "the pixels are compared by the other tests")
    assert {d: _folder_sha(full / d) for d in PNG_FOLDERS} == PNG_FOLDERS


def test_layout_has_three_splits(full):
    sizes = {d.name: len(list(d.glob("*.png"))) for d in full.iterdir()}
    assert sizes == {"trainingImages": 200, "trainingLabels": 200, "validationImages": 100,
                     "validationLabels": 100, "testImages": 100, "testLabels": 100}


def test_val_is_its_own_stream(full):
    xv, yv = load_triangles("val")
    assert xv.shape == (100, 1, 32, 32) and yv.shape == (100, 32, 32)
    assert yv.dtype == torch.int64 and set(torch.unique(yv).tolist()) == {0, 1}
    # disk and memory agree, and val repeats no training or test image
    xd, yd = load_triangles("val", root=full)
    assert torch.equal(xd, xv) and torch.equal(yd, yv)
    seen = {x.numpy().tobytes() for s in ("train", "test") for x in load_triangles(s)[0]}
    assert not any(x.numpy().tobytes() in seen for x in xv)
    # about the same foreground share as train (MATLAB: 5.04 %)
    assert 0.035 < float(yv.float().mean()) < 0.065


def test_num_val_does_not_change_train_or_test(tmp_path):
    a = make_triangle_dataset(tmp_path / "a", num_train=5, num_val=0, num_test=3)
    b = make_triangle_dataset(tmp_path / "b", num_train=5, num_val=7, num_test=3)
    assert sorted(p.name for p in a.iterdir()) == ["testImages", "testLabels",
                                                  "trainingImages", "trainingLabels"]
    for d in ("trainingImages", "trainingLabels", "testImages", "testLabels"):
        assert _folder_sha(a / d) == _folder_sha(b / d)


def test_refuses_a_non_empty_folder_and_keeps_it_intact(tmp_path):
    root = make_triangle_dataset(tmp_path / "t", num_train=4, num_val=2, num_test=2)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(FileExistsError, match="not empty.*overwrite=True"):
        make_triangle_dataset(root, num_train=3, num_val=1, num_test=1, seed=5)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    # an unrelated file is enough to refuse
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="notes.txt"):
        make_triangle_dataset(other)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_overwrite_replaces_only_its_own_folders(tmp_path):
    root = make_triangle_dataset(tmp_path / "t", num_train=6, num_val=2, num_test=3)
    (root / "README.txt").write_text("mine")
    (root / "trainingImages" / "image_999.png").write_bytes(b"stale")  # would be mixed in
    make_triangle_dataset(root, num_train=2, num_val=0, num_test=1, seed=3, overwrite=True)
    names = sorted(p.name for p in root.iterdir())
    assert names == ["README.txt", "testImages", "testLabels", "trainingImages",
                     "trainingLabels"]  # the stale validation folders are gone too
    assert (root / "README.txt").read_text() == "mine"
    assert sorted(p.name for p in (root / "trainingImages").iterdir()) == [
        "image_001.png", "image_002.png"]
    x, _ = SegmentationFolder(root / "trainingImages", root / "trainingLabels",
                              TRIANGLE_CLASSES).tensors()
    assert torch.equal(x, load_triangles("train", seed=3, num=2)[0])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"num_train": -1}, ValueError, "num_train must be >= 0"),
    ({"num_test": 2.5}, TypeError, "num_test must be an int"),
    ({"num_val": True}, TypeError, "num_val must be an int"),
    ({"num_train": 0, "num_val": 0, "num_test": 0}, ValueError, "nothing to write"),
    ({"seed": -3}, ValueError, "seed must be a non-negative int"),
    ({"config": {"size": 32}}, TypeError, "TriangleConfig"),
    ({"overwrite": "yes"}, TypeError, "overwrite must be True or False"),
])
def test_bad_arguments_write_nothing(tmp_path, kwargs, error, match):
    # the bad count is the *last* split written: nothing of the others may appear first
    with pytest.raises(error, match=match):
        make_triangle_dataset(tmp_path / "t", **kwargs)
    assert not (tmp_path / "t").exists()


def test_root_that_is_a_file_or_not_a_path(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(FileExistsError, match="not a folder"):
        make_triangle_dataset(f)
    with pytest.raises(TypeError, match="root must be a path"):
        make_triangle_dataset(None)


def test_load_triangles_arguments(full):
    with pytest.raises(ValueError, match="'train', 'val', 'test'"):
        load_triangles("validation")
    with pytest.raises(ValueError, match="only when generating"):
        load_triangles("train", root=full, num=5)  # was silently ignored
    with pytest.raises(ValueError, match="only when generating"):
        load_triangles("train", root=full, seed=1)
    with pytest.raises(ValueError, match="seed"):
        load_triangles("train", seed=-1)
    with pytest.raises(TypeError, match="num"):
        load_triangles("train", num=3.0)
    x, y = load_triangles("val", num=0)
    assert x.shape == (0, 1, 32, 32) and y.shape == (0, 32, 32)


def test_old_folder_without_validation_split_names_the_folder(tmp_path):
    root = make_triangle_dataset(tmp_path / "t", num_train=2, num_val=0, num_test=1)
    with pytest.raises(FileNotFoundError, match="validationImages"):
        load_triangles("val", root=root)



def test_overwrite_clears_staging_left_by_an_interrupted_call(tmp_path):
    root = tmp_path / "t"
    (root / ".triangles-dead").mkdir(parents=True)  # what a killed call leaves
    with pytest.raises(FileExistsError, match=r"\.triangles-dead"):
        make_triangle_dataset(root, num_train=1, num_val=0, num_test=1)
    make_triangle_dataset(root, num_train=1, num_val=0, num_test=1, overwrite=True)
    assert sorted(p.name for p in root.iterdir()) == ["testImages", "testLabels",
                                                     "trainingImages", "trainingLabels"]


def test_home_folder_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    root = make_triangle_dataset("~/tri", num_train=2, num_val=0, num_test=1)
    assert root == tmp_path / "tri" and (tmp_path / "tri" / "trainingImages").is_dir()
    assert load_triangles("train", root="~/tri")[0].shape == (2, 1, 32, 32)
    with pytest.raises(TypeError, match="image_dir must be a path"):
        SegmentationFolder(None, root / "trainingLabels", TRIANGLE_CLASSES)
