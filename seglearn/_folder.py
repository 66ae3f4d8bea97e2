"""Reading images and pixel labels from folders (private; use it as :mod:`seglearn.data`).

:class:`SegmentationFolder` is MATLAB's ``imageDatastore`` + ``pixelLabelDatastore`` pair:
two folders matched by file name, label values mapped to class indices through an explicit
class table, unknown values rejected. How each file kind is read (palette, 16-bit, 1-bit,
colour-coded labels; grayscale, RGB, RGBA images) is decided in
:mod:`seglearn._label_files`. Taught in the chapter *Semantic segmentation with dilated
convolutions*; :mod:`seglearn.data` re-exports it.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Mapping
from pathlib import Path

import torch

from ._label_files import (
    IMAGE_EXTENSIONS,
    LABEL_EXTENSIONS,
    check_class_table,
    labels_to_masks,
    read_image,
    read_label,
)

__all__ = ["SegmentationFolder"]


def _list_images(folder: Path, what: str) -> dict[str, Path]:
    """Image files of a folder by stem; two files with one stem are an error."""
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{what} folder {folder} is a file, not a folder")
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} folder not found: {folder}")
    by_stem: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        # hidden files (".DS_Store", macOS "._image_001.png" forks) are not data
        if p.name.startswith(".") or p.suffix.lower() not in IMAGE_EXTENSIONS or p.is_dir():
            continue
        if p.stem in by_stem:
            raise ValueError(
                f"ambiguous {what} files in {folder}: {by_stem[p.stem].name} and {p.name} "
                f"share the name {p.stem!r} (files are matched by name); remove one"
            )
        by_stem[p.stem] = p
    if not by_stem:
        raise FileNotFoundError(
            f"no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) in {what} folder {folder}"
        )
    return by_stem


class SegmentationFolder(torch.utils.data.Dataset):
    """Images and pixel labels from two folders, like ``imageDatastore`` + ``pixelLabelDatastore``.

    Files are matched by name (same stem in both folders, sorted order; hidden files are
    skipped). Each item is ``(image, mask)``: float32 ``(C, H, W)`` in [0, 1] and int64
    ``(H, W)`` with class indices in the order of ``classes``. Files are read losslessly
    (the rules are in the module :mod:`seglearn._label_files`): a palette PNG gives its
    indices, 8- and 16-bit grayscale labels their values, 1-bit labels 0 and 1, RGB labels
    their colours (matched against a class table of colours); images keep their channels
    (grayscale C = 1, RGB C = 3; an opaque alpha channel is dropped) and are scaled by
    their bit depth (8-bit / 255, 16-bit / 65535, 1-bit 0 or 1).

    Args:
        image_dir: folder of images (PNG, JPEG, BMP, TIFF).
        label_dir: folder of label files (PNG, BMP, TIFF; never JPEG, whose compression
            changes label values), a different folder from ``image_dir``.
        classes: class table in class-index order, class name -> the value stored in the
            label files, e.g. ``{"background": 0, "triangle": 255}`` (palette PNGs: the
            palette index), or class name -> RGB colour, e.g. ``{"road": (128, 64, 128),
            "sky": (70, 130, 180)}``. Values must all be of one kind and distinct.

    Raises:
        TypeError: a folder that is not a path; ``classes`` not a dict of names to ints
            or to RGB triples.
        ValueError: duplicated class values; ``image_dir`` and ``label_dir`` are the same
            folder; two files with one stem (``a.png`` and ``a.jpg``); files without a
            partner in the other folder; JPEG label files. On access (naming the files):
            an image and its label of different sizes; label values not in ``classes``;
            a label kind that does not fit the table (RGB labels with a table of numbers);
            transparent pixels; multi-frame files; in :meth:`tensors`, images of
            different sizes.
        FileNotFoundError: a folder is missing or holds no images (NotADirectoryError: a
            file was given for a folder).
        OSError: on access, a corrupt, truncated or unreadable file (naming it).

    Chapter: book/dilated_segmentation
    """

    def __init__(
        self, image_dir: str | Path, label_dir: str | Path, classes: Mapping[str, object]
    ) -> None:
        self.class_names, self.class_values, self._is_colour = check_class_table(classes)
        for name, d in (("image_dir", image_dir), ("label_dir", label_dir)):
            if not isinstance(d, (str, os.PathLike)):
                raise TypeError(f"{name} must be a path (str or pathlib.Path), got "
                                f"{type(d).__name__}")
        self.image_dir = Path(image_dir).expanduser()
        self.label_dir = Path(label_dir).expanduser()
        images = _list_images(self.image_dir, "image")
        labels = _list_images(self.label_dir, "label")
        if self.image_dir.resolve() == self.label_dir.resolve():
            raise ValueError(f"image_dir and label_dir are the same folder: {self.image_dir}")
        if images.keys() != labels.keys():
            only_img = sorted(images.keys() - labels.keys())[:5]
            only_lab = sorted(labels.keys() - images.keys())[:5]
            raise ValueError(
                f"unmatched files: images without labels {only_img}, labels without "
                f"images {only_lab} (files are matched by name; a stale file from another "
                f"data set?) in {self.image_dir} and {self.label_dir}"
            )
        lossy = [p.name for p in labels.values() if p.suffix.lower() not in LABEL_EXTENSIONS]
        if lossy:
            raise ValueError(
                f"JPEG label files in {self.label_dir}: {lossy[:5]}; JPEG compression "
                "changes label values, store labels as PNG"
            )
        self.stems = sorted(images)
        self._images, self._labels = images, labels

    def __len__(self) -> int:
        return len(self.stems)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        try:
            stem = self.stems[operator.index(i)]
        except TypeError:
            raise TypeError(f"index must be an int, got {type(i).__name__}") from None
        except IndexError:
            raise IndexError(f"index {i} out of range for {len(self)} items") from None
        image_path, label_path = self._images[stem], self._labels[stem]
        image = read_image(image_path)  # (C, H, W)
        label = read_label(label_path, self._is_colour)  # (H, W) or (H, W, 3)
        if image.shape[1:] != label.shape[:2]:
            raise ValueError(
                f"image size {image.shape[1:]} of {image_path} differs from label size "
                f"{label.shape[:2]} of {label_path}"
            )
        mask = labels_to_masks(label, self.class_values, str(label_path))
        return torch.from_numpy(image), torch.from_numpy(mask)

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All items stacked: images ``(N, C, H, W)`` float32, masks ``(N, H, W)`` int64.

        Raises:
            ValueError: images of different sizes or channel counts (naming two of them);
                and everything item access raises.
        """
        items = [self[i] for i in range(len(self))]
        first = tuple(items[0][0].shape)
        for stem, (x, _) in zip(self.stems, items, strict=True):
            if tuple(x.shape) != first:
                raise ValueError(
                    f"images differ in size (C, H, W): {self._images[self.stems[0]]} is "
                    f"{first}, {self._images[stem]} is {tuple(x.shape)}; tensors() stacks "
                    "one size (read items one by one, or resize the files)"
                )
        return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])
