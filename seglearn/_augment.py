"""Joint augmentation of images and masks (private; the public face is :mod:`seglearn.data`).

Only transforms that map the pixel grid onto itself (flips, right-angle rotations), so
labels need no interpolation and stay exact.

Chapter: book/dilated_segmentation
"""

from __future__ import annotations

import torch

from ._checks import check_images, check_masks

__all__ = ["augment_pair"]


def augment_pair(
    images: torch.Tensor,
    masks: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
    flips: bool = True,
    rotate90: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random flips and right-angle rotations applied to each image and its mask.

    For each image, three uniform draws from ``generator``: a horizontal flip (p = 1/2),
    a vertical flip (p = 1/2), then a counter-clockwise rotation by k·90°, k uniform in
    {0, 1, 2, 3}. A quarter turn swaps H and W, so for non-square images (H != W) the
    rotation is a half turn when k is 2 or 3 and none otherwise: every output keeps its
    input's shape and no pixel is lost or invented (a 90° rotation inside an H×W frame
    would crop some and pad others). The mask gets exactly the image's transform.

    Args:
        images: float ``(N, C, H, W)``.
        masks: integer ``(N, H, W)`` (any integer dtype), the same N, H and W.
        generator: random source (seed it for reproducible augmentation).
        flips: draw the flips.
        rotate90: draw the rotation.

    Returns:
        New tensors with the inputs' shapes, dtypes and devices; the inputs are not
        modified.

    Raises:
        TypeError: a non-tensor input, ``generator`` not a ``torch.Generator``, ``flips`` or
            ``rotate90`` not a bool.
        ValueError: images not float ``(N, C, H, W)``, masks not integer ``(N, H, W)``, or
            images and masks of different N, H or W.

    Chapter: book/dilated_segmentation
    """
    check_images(images)
    check_masks(masks)
    if images.shape[:1] + images.shape[2:] != masks.shape:
        raise ValueError(
            f"images (N, C, H, W) and masks (N, H, W) must agree in N, H and W, got images "
            f"{tuple(images.shape)} and masks {tuple(masks.shape)}"
        )
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got "
                        f"{type(generator).__name__}")
    for name, flag in (("flips", flips), ("rotate90", rotate90)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    square = images.shape[-2] == images.shape[-1]
    out_x, out_y = [], []
    for x, y in zip(images, masks, strict=True):  # x (C, H, W), y (H, W)
        draws = torch.rand(3, generator=generator)
        if flips and draws[0] < 0.5:
            x, y = x.flip(-1), y.flip(-1)
        if flips and draws[1] < 0.5:
            x, y = x.flip(-2), y.flip(-2)
        if rotate90:
            k = int(draws[2] * 4)
            k = k if square else 2 * (k // 2)  # non-square: half turn or nothing
            x, y = torch.rot90(x, k, (-2, -1)), torch.rot90(y, k, (-2, -1))
        out_x.append(x)
        out_y.append(y)
    if not out_x:
        return images.clone(), masks.clone()
    return torch.stack(out_x), torch.stack(out_y)
