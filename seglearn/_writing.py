"""Writing a data set to disk without mixing or losing anything (private).

Used by :func:`seglearn.data.make_triangle_dataset` and
:func:`seglearn.shapes.make_shapes_dataset`. The policy, decided once:

- a non-empty ``root`` is refused unless the caller passes ``overwrite=True``; then only
  the entries the writer owns (its split folders, its class table) are replaced, and
  anything else in ``root`` stays;
- the caller generates everything before the first file is written;
- files go to a hidden staging folder in ``root`` (``.<prefix>-*``) and are moved into
  place at the end, so a failure leaves no half-written split; staging folders left by an
  interrupted earlier call are cleared by the next successful one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

__all__: list[str] = []  # private module


def checked_root(root: str | os.PathLike, owned: Sequence[str], overwrite: bool) -> Path:
    """``root`` as a ``Path``, after the checks of the policy above (nothing is written).

    Raises:
        TypeError: ``root`` is not a path, ``overwrite`` not a bool.
        FileExistsError: ``root`` is a file; ``root`` is not empty and ``overwrite`` is
            False; with ``overwrite``, an owned entry is a link or of the wrong kind.
    """
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path (str or pathlib.Path), got {type(root).__name__}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    root = Path(root).expanduser()
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"root {root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()):
        if not overwrite:
            found = sorted(p.name for p in root.iterdir())
            raise FileExistsError(
                f"{root} is not empty (it holds {found[:5]}{' ...' if len(found) > 5 else ''}); "
                "writing there would mix two data sets. Choose an empty folder, or pass "
                f"overwrite=True to replace this function's entries ({', '.join(owned)})"
            )
        odd = [root / n for n in owned if (root / n).is_symlink()]
        if odd:
            raise FileExistsError(f"will not delete {odd}: links, not plain folders or files")
    return root


@contextlib.contextmanager
def staged(root: Path, owned: Sequence[str], prefix: str) -> Iterator[Path]:
    """A hidden staging folder in ``root`` to write into; on success its entries replace the
    owned entries of ``root`` (which must be named in ``owned``)."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{prefix}-", dir=root))
    try:
        yield staging
        written = sorted(staging.iterdir())
        stray = [p.name for p in written if p.name not in owned]
        assert not stray, f"writer put unowned entries {stray} in the staging folder"
        leftovers = [p for p in root.glob(f".{prefix}-*") if p.is_dir() and p != staging]
        for entry in [root / n for n in owned] + leftovers:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.exists():
                entry.unlink()
        for entry in written:
            entry.rename(root / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_split(folder: Path, image_dir: str, label_dir: str, images: np.ndarray,
                labels: np.ndarray, label_png: Callable[[np.ndarray], Image.Image]) -> None:
    """Write uint8 ``images`` ``(N, H, W)`` as 8-bit grayscale PNGs ``image_001.png`` … in
    ``folder / image_dir`` and ``labels`` through ``label_png`` in ``folder / label_dir``."""
    (folder / image_dir).mkdir()
    (folder / label_dir).mkdir()
    for i, (image, label) in enumerate(zip(images, labels, strict=True), start=1):
        Image.fromarray(image, mode="L").save(folder / image_dir / f"image_{i:03d}.png")
        label_png(label).save(folder / label_dir / f"image_{i:03d}.png")
