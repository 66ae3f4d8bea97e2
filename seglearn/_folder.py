"""Reading images and pixel labels from folders (private; use it as :mod:`seglearn.data`).

:class:`SegmentationFolder` is MATLAB's ``imageDatastore`` + ``pixelLabelDatastore`` pair:
two folders matched by file name, label values mapped to class indices through an explicit
class table, unknown values rejected. Taught in the chapter *Semantic segmentation with
dilated convolutions*; :mod:`seglearn.data` re-exports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

__all__ = ["SegmentationFolder"]


def _labels_to_masks(labels: np.ndarray, class_values: Sequence[int], where: str) -> np.ndarray:
    """Map label-file values to class indices through the class table; reject unknowns."""
    masks = np.full(labels.shape, -1, dtype=np.int64)
    for index, value in enumerate(class_values):
        masks[labels == value] = index
    if (masks < 0).any():
        unknown = sorted(set(np.unique(labels[masks < 0]).tolist()))
        raise ValueError(
            f"{where}: label values {unknown} are not in the class table "
            f"(known values: {list(class_values)})"
        )
    return masks


class SegmentationFolder(torch.utils.data.Dataset):
    """Images and pixel labels from two folders, like ``imageDatastore`` + ``pixelLabelDatastore``.

    Files are matched by name (same stem in both folders, sorted order). Each item is
    ``(image, mask)``: float32 ``(C, H, W)`` in [0, 1] and int64 ``(H, W)`` with class
    indices in the order of ``classes``.

    Args:
        image_dir: folder of images (PNG, JPEG, …; grayscale gives ``C = 1``).
        label_dir: folder of label images holding the values of ``classes``.
        classes: class table, class name -> value in the label files, in class-index
            order, e.g. ``{"background": 0, "triangle": 255}``.

    Raises:
        FileNotFoundError: a folder is missing or holds no images.
        ValueError: files without a partner in the other folder; an image and its label
            of different sizes (raised on access); label values not in ``classes``.
    """

    _EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}

    def __init__(
        self, image_dir: str | Path, label_dir: str | Path, classes: Mapping[str, int]
    ) -> None:
        self.image_dir, self.label_dir = Path(image_dir), Path(label_dir)
        self.class_names = list(classes)
        self.class_values = list(classes.values())
        files = {}
        for d in (self.image_dir, self.label_dir):
            if not d.is_dir():
                raise FileNotFoundError(f"folder not found: {d}")
            files[d] = {p.stem: p for p in d.iterdir() if p.suffix.lower() in self._EXTENSIONS}
            if not files[d]:
                raise FileNotFoundError(f"no image files in {d}")
        images, labels = files[self.image_dir], files[self.label_dir]
        if images.keys() != labels.keys():
            only_img = sorted(images.keys() - labels.keys())[:5]
            only_lab = sorted(labels.keys() - images.keys())[:5]
            raise ValueError(
                f"unmatched files: images without labels {only_img}, labels without "
                f"images {only_lab} (files are matched by name)"
            )
        self.stems = sorted(images)
        self._images, self._labels = images, labels

    def __len__(self) -> int:
        return len(self.stems)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        stem = self.stems[i]
        image = np.asarray(Image.open(self._images[stem]))
        label = np.asarray(Image.open(self._labels[stem]).convert("L"))
        if image.shape[:2] != label.shape:
            raise ValueError(
                f"{stem}: image size {image.shape[:2]} differs from label size {label.shape}"
            )
        scale = 65535.0 if image.dtype == np.uint16 else 255.0
        image = torch.from_numpy(image.astype(np.float32) / scale)
        image = image[None] if image.dim() == 2 else image.permute(2, 0, 1)  # (C, H, W)
        mask = _labels_to_masks(label, self.class_values, str(self._labels[stem]))
        return image, torch.from_numpy(mask)

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All items stacked: images ``(N, C, H, W)`` float32, masks ``(N, H, W)`` int64."""
        items = [self[i] for i in range(len(self))]
        return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])
