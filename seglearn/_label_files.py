"""Reading one image or label file losslessly, and the class table (private).

Used by :class:`seglearn.data.SegmentationFolder` (and by :mod:`seglearn.data` for the
generated labels). Nothing is converted on the way: a label file gives the numbers (or
colours) it stores, and an image the intensities it stores, scaled by its bit depth. The
rules, decided once:

Label files (``PIL`` mode -> what is matched against the class table):

- ``"P"`` (palette PNG, PASCAL VOC style): the palette *indices*, never the colours, when
  the class table holds numbers; the palette colours when it holds colours;
- ``"L"`` (8-bit) and ``"I;16"``/``"I"`` (16-bit) grayscale: the stored values;
- ``"1"`` (1-bit): 0 and 1 (as MATLAB's logical labels);
- ``"RGB"`` (Cityscapes / CamVid style): the colour of each pixel, with a class table of
  colours such as ``{"road": (128, 64, 128), ...}``; ``"RGBA"``/``"LA"`` as RGB/L when
  every pixel is opaque;
- JPEG label files are refused (compression changes label values), as are float files.

Image files (mode -> float32 ``(C, H, W)`` in [0, 1]); channels are kept as stored, never
mixed into luminance:

- ``"1"`` -> C = 1, 0.0 / 1.0; ``"L"`` -> C = 1, value / 255; ``"I;16"`` and ``"I"`` (16-bit
  grayscale) -> C = 1, value / 65535; ``"F"`` -> C = 1, the values (must lie in [0, 1]);
- ``"RGB"`` -> C = 3, value / 255 (``"CMYK"`` and ``"YCbCr"`` JPEGs through PIL's
  conversion to RGB); ``"P"`` -> its palette colours, C = 3 (C = 1 when the palette is
  grey, R = G = B);
- ``"RGBA"``, ``"LA"``, ``"PA"``: the alpha channel is dropped when every pixel is opaque;
  transparent pixels are an error (their colour is not image content).

Every file holds one image (a multi-page TIFF or an animation is an error), and a file
PIL cannot decode (corrupt, truncated) is an ``OSError`` that names it.

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["check_class_table", "labels_to_masks", "read_image", "read_label",
           "IMAGE_EXTENSIONS", "LABEL_EXTENSIONS"]

#: File name extensions read as images; label files must not be JPEG (lossy).
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
LABEL_EXTENSIONS = IMAGE_EXTENSIONS - {".jpg", ".jpeg"}
_MAX_LISTED = 10  # unknown label values listed in an error message


def _as_int(value, what: str) -> int:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what} must be an int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {value!r}") from None


def check_class_table(classes: Mapping[str, object]) -> tuple[list[str], list, bool]:
    """Validate a class table; return ``(names, values, is_colour)``.

    Values are all non-negative ints (label-file values, palette indices) or all RGB
    colours (3 ints in 0..255); no value appears twice (two classes sharing a value would
    silently relabel one as the other).
    """
    if not isinstance(classes, Mapping):
        raise TypeError(
            "classes must be a dict of class name -> label value (or RGB colour), e.g. "
            f"{{'background': 0, 'triangle': 255}}, got {type(classes).__name__}"
        )
    if not classes:
        raise ValueError("classes must name at least one class, got an empty table")
    names = list(classes)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise TypeError(f"class names must be non-empty strings, got {bad!r}")
    raw = list(classes.values())
    is_colour = not isinstance(raw[0], (int, np.integer))
    values: list = []
    for name, v in zip(names, raw, strict=True):
        if is_colour:
            if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 3:
                raise TypeError(
                    f"class {name!r}: expected an RGB colour (r, g, b) like the other "
                    f"classes, got {v!r}"
                )
            rgb = tuple(_as_int(c, f"class {name!r} colour component") for c in v)
            if not all(0 <= c <= 255 for c in rgb):
                raise ValueError(f"class {name!r}: colour components must lie in 0..255, "
                                 f"got {rgb}")
            values.append(rgb)
        else:
            value = _as_int(v, f"class {name!r} value (all values must be of one kind)")
            if value < 0:
                raise ValueError(f"class {name!r}: label values are >= 0, got {value}")
            values.append(value)
    seen: dict = {}
    for name, v in zip(names, values, strict=True):
        if v in seen:
            raise ValueError(
                f"classes {seen[v]!r} and {name!r} share the label value {v}; each value "
                "must name one class"
            )
        seen[v] = name
    return names, values, is_colour


def _pack(rgb: np.ndarray) -> np.ndarray:
    """RGB colours ``(..., 3)`` -> one int64 per colour, ``(...)``."""
    rgb = rgb.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def labels_to_masks(labels: np.ndarray, class_values: list, where: str) -> np.ndarray:
    """Label-file values ``(..., H, W)`` (or colours ``(..., H, W, 3)`` when the table holds
    colours) -> int64 class indices ``(..., H, W)`` in the table's order; unknowns rejected.

    Raises:
        ValueError: a value (colour) that is not in the table, naming ``where``.
    """
    is_colour = bool(class_values) and isinstance(class_values[0], tuple)
    labels = np.asarray(labels)
    if not is_colour and labels.dtype in (np.uint8, np.uint16):  # PNG files: a lookup table
        lut = np.full(2 ** (8 * labels.dtype.itemsize), -1, np.int64)
        for i, v in enumerate(class_values):
            if v < len(lut):
                lut[v] = i
        masks = lut[labels]
        if not (masks < 0).any():
            return masks
    keys = _pack(labels) if is_colour else labels.astype(np.int64)
    table = _pack(np.array(class_values)) if is_colour else np.array(class_values, np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    lookup = {int(v): i for i, v in enumerate(table.tolist())}
    index = np.array([lookup.get(int(u), -1) for u in uniq], dtype=np.int64)
    if (index < 0).any():
        unknown = uniq[index < 0]
        shown = [(int(u) >> 16, (int(u) >> 8) & 255, int(u) & 255) if is_colour else int(u)
                 for u in unknown[:_MAX_LISTED]]
        more = f" and {len(unknown) - _MAX_LISTED} more" if len(unknown) > _MAX_LISTED else ""
        kind = "colours" if is_colour else "values"
        raise ValueError(
            f"{where}: label {kind} {shown}{more} are not in the class table "
            f"(known {kind}: {list(class_values)})"
        )
    return index[inverse.reshape(keys.shape)]


def _open(path: Path) -> Image.Image:
    """The decoded image; a corrupt, truncated or unknown file is an OSError naming it."""
    try:
        with Image.open(path) as im:
            frames = getattr(im, "n_frames", 1)
            im.load()
            im = im.copy()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise OSError(f"{path}: not a readable image file ({type(e).__name__}: {e})") from e
    if frames != 1:  # a multi-page TIFF or an animation: which frame would be meant?
        raise ValueError(f"{path}: holds {frames} frames; one image per file is expected")
    return im


def _opaque(im: Image.Image, path: Path) -> Image.Image:
    """Drop the alpha channel of an ``LA``/``RGBA`` image whose pixels are all opaque."""
    if np.asarray(im.getchannel("A")).min() < 255:
        raise ValueError(
            f"{path}: mode {im.mode} with transparent pixels; their colour is not image "
            "content (flatten the file onto a background first)"
        )
    return im.convert(im.mode[:-1])


def read_image(path: Path) -> np.ndarray:
    """An image file as float32 ``(C, H, W)`` in [0, 1], by the module's rules."""
    im = _open(path)
    if im.mode in ("CMYK", "YCbCr"):  # JPEG colour spaces: PIL's conversion to RGB
        im = im.convert("RGB")
    if im.mode in ("P", "PA"):
        palette = np.array(im.getpalette() or [0, 0, 0]).reshape(-1, 3)
        grey = (palette[:, 0] == palette[:, 1]).all() and (palette[:, 1] == palette[:, 2]).all()
        has_alpha = im.mode == "PA" or "transparency" in im.info
        im = im.convert("LA" if grey and has_alpha else "L" if grey else
                        "RGBA" if has_alpha else "RGB")
    if im.mode in ("LA", "RGBA"):
        im = _opaque(im, path)
    a = np.asarray(im)
    if im.mode == "1":
        x = a.astype(np.float32)
    elif im.mode in ("L", "RGB"):
        x = a.astype(np.float32) / 255.0
    elif im.mode.startswith("I"):  # "I;16", "I;16B", ... and "I" (how old Pillow opens 16 bit)
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise ValueError(f"{path}: mode {im.mode} values outside the 16-bit range "
                             f"[0, 65535] (found [{a.min()}, {a.max()}])")
        x = a.astype(np.float32) / 65535.0
    elif im.mode == "F":
        if not np.isfinite(a).all() or (a.size and (a.min() < 0 or a.max() > 1)):
            raise ValueError(f"{path}: a float image must hold finite values in [0, 1]")
        x = a.astype(np.float32)
    else:
        raise ValueError(
            f"{path}: unsupported image mode {im.mode!r}; expected 1, L, LA, I;16, I, F, P, "
            "RGB, RGBA, CMYK or YCbCr (convert it with PIL first)"
        )
    return x[None] if x.ndim == 2 else x.transpose(2, 0, 1)  # (C, H, W)


def read_label(path: Path, is_colour: bool) -> np.ndarray:
    """A label file's values, integer ``(H, W)`` (uint8, uint16 or int32 as stored), or its
    colours, uint8 ``(H, W, 3)``."""
    im = _open(path)
    if im.mode in ("LA", "RGBA"):
        im = _opaque(im, path)
    if im.mode in ("P", "PA"):
        a = np.asarray(im)  # (H, W) indices, or (H, W, 2) index + alpha for "PA"
        if im.mode == "PA":
            if a[..., 1].min() < 255:
                raise ValueError(f"{path}: mode PA with transparent pixels in a label file")
            a = a[..., 0]
        if not is_colour:
            return a  # palette indices: VOC's class values, no colour conversion
        index = a.astype(np.int64)
        palette = np.array(im.getpalette() or [], dtype=np.uint8).reshape(-1, 3)
        if index.size and index.max() >= len(palette):
            raise ValueError(f"{path}: palette index {index.max()} has no colour "
                             f"(the palette holds {len(palette)})")
        return palette[index]
    if im.mode == "RGB":
        if not is_colour:
            raise ValueError(
                f"{path}: an RGB (colour-coded) label file, but the class table holds "
                "numbers; give colours, e.g. {'road': (128, 64, 128), ...}"
            )
        return np.asarray(im)
    if im.mode in ("1", "L") or im.mode.startswith("I"):
        if is_colour:
            raise ValueError(f"{path}: a grayscale label file (mode {im.mode}), but the class "
                             "table holds colours; give the values stored in the file")
        a = np.asarray(im)
        return a.astype(np.uint8) if a.dtype == bool else a
    raise ValueError(f"{path}: unsupported label file mode {im.mode!r}; expected P, L, 1, "
                     "I;16, I or RGB (label files hold class values, not floats)")
