"""Joint augmentation of images and masks with torchvision's ``transforms.v2``, and
test-time flip averaging.

torchvision does the transforms; this module is the glue between them and the book's
tensor contract:

- :class:`JointTransform` wraps a batch as ``tv_tensors.Image`` and ``tv_tensors.Mask``
  (so geometric transforms move image and mask alike, photometric ones touch the image
  only, and masks are resampled with nearest interpolation), draws parameters once per
  batch or once per image, and fills every mask pixel a transform invents (the corners of
  a rotation, the padding of a crop) with the *ignore index*, never with background;
- :func:`scale_crop` is DeepLab's random scaling by 0.5-2 followed by a random crop;
- :class:`FlipAverage` averages a model's probabilities over flipped copies of the input
  (test-time augmentation).

Random draws: ``transforms.v2`` draws from torch's global generator, so
``torch.manual_seed`` repeats them; :func:`seglearn.train.fit` seeds it from its own
``seed`` for the whole training and restores the caller's state afterwards.

Chapter: book/augmentation
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ._checks import check_images, check_masks

__all__ = ["IGNORE_INDEX", "JointTransform", "scale_crop", "FlipAverage"]

#: The label the losses ignore (PyTorch's ``ignore_index`` default), which
#: :class:`JointTransform` writes where a transform leaves no data.
IGNORE_INDEX = -100


class JointTransform:
    """A ``transforms.v2`` transform applied to a batch of images and their masks.

    Called as ``images, masks = JointTransform(t)(images, masks)``, the form
    :func:`seglearn.train.fit` takes as ``transform=``.

    The mask fill policy: pixels a transform fills because it has no data there (rotation
    corners, crop padding, elastic or affine borders) become ``ignore_index`` in the mask,
    so that no loss counts them: they are *unknown*, not background. The masks travel
    through ``t`` shifted by one (class c as c + 1, ``ignore_index`` as 0), so every fill
    of 0, the default fill of every v2 transform, comes out as ``ignore_index``; pixels
    already ignored stay ignored. Leave the masks' fill of ``t`` at its default: a
    ``fill={tv_tensors.Mask: v}`` with v != 0 would come out as class v - 1. The images'
    fill is ``t``'s own (0 by default).

    Args:
        transform: a callable on ``(tv_tensors.Image, tv_tensors.Mask)`` returning the
            pair, e.g. ``v2.Compose([...])``.
        ignore_index: the mask value of filled and ignored pixels.
        per_image: draw the transform's random parameters for each image separately (a
            Python loop, one call per image); by default one draw per batch, which is
            v2's own behaviour and much cheaper (a batch then shares a rotation angle;
            successive batches do not).

    Call: ``images`` float ``(N, C, H, W)``, ``masks`` integer ``(N, H, W)`` with values
    in ``[0, K)`` or ``ignore_index``, on any device. Returns plain tensors ``(N, C, H',
    W')`` and int64 ``(N, H', W')`` on the same device (H', W' as ``t`` makes them).

    Raises:
        TypeError: ``transform`` not callable; inputs not tensors.
        ValueError: images and masks that disagree on N, H, W; a transform that returns
            images and masks of different sizes, or (``per_image``) images of different
            sizes, which cannot form one batch (e.g. ``RandomRotation(expand=True)`` on
            images that are not all square, or a resize without a crop after it).

    Chapter: book/augmentation
    """

    def __init__(self, transform: Callable, *, ignore_index: int = IGNORE_INDEX,
                 per_image: bool = False) -> None:
        if not callable(transform):
            raise TypeError(f"transform must be callable, got {transform!r}")
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise TypeError(f"ignore_index must be an int, got {ignore_index!r}")
        if ignore_index >= 0:
            raise ValueError(f"ignore_index must be negative (classes are 0 ... K-1), "
                             f"got {ignore_index}")
        self.transform, self.ignore_index, self.per_image = transform, ignore_index, per_image

    def __repr__(self) -> str:
        return (f"JointTransform({self.transform!r}, ignore_index={self.ignore_index}, "
                f"per_image={self.per_image})")

    def _one_call(self, images: torch.Tensor, shifted: torch.Tensor):
        from torchvision import tv_tensors

        x, y = self.transform(tv_tensors.Image(images), tv_tensors.Mask(shifted))
        x, y = x.as_subclass(torch.Tensor), y.as_subclass(torch.Tensor)
        if x.shape[:1] + x.shape[2:] != y.shape:
            raise ValueError(f"the transform returned images {tuple(x.shape)} and masks "
                             f"{tuple(y.shape)}: is the mask a tv_tensors.Mask in it?")
        return x, y

    def __call__(self, images: torch.Tensor,
                 masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_images(images)
        check_masks(masks)
        if images.shape[:1] + images.shape[2:] != masks.shape:
            raise ValueError(f"images (N, C, H, W) and masks (N, H, W) must agree in N, H "
                             f"and W, got {tuple(images.shape)} and {tuple(masks.shape)}")
        masks = masks.long()
        shifted = torch.where(masks == self.ignore_index, 0, masks + 1)  # (N, H, W)
        if self.per_image:
            pairs = [self._one_call(x[None], y[None]) for x, y in zip(images, shifted, strict=True)]
            sizes = {tuple(x.shape[1:]) for x, _ in pairs}
            if len(sizes) > 1:
                raise ValueError(f"per_image: the transform gave images of different "
                                 f"sizes {sorted(sizes)}; end it with a fixed-size crop")
            x = torch.cat([x for x, _ in pairs]) if pairs else images.clone()
            y = torch.cat([y for _, y in pairs]) if pairs else shifted.clone()
        else:
            x, y = self._one_call(images, shifted)
        return x, torch.where(y == 0, self.ignore_index, y - 1)


def scale_crop(crop_size: int | Sequence[int], *, base_size: int,
               scale: tuple[float, float] = (0.5, 2.0)):
    """DeepLab's random scaling and cropping as one ``transforms.v2`` transform.

    Resizes the image so that its shorter side is a random whole number of pixels in
    ``[scale[0] · base_size, scale[1] · base_size)`` (``v2.RandomResize``; masks with
    nearest interpolation), then crops ``crop_size`` at a random place, padding first
    where the scaled image is smaller (``v2.RandomCrop(pad_if_needed=True)``; inside a
    :class:`JointTransform` the mask's padding is ignored). DeepLabv3 (Chen et al. 2017)
    scales by 0.5-2 and crops 513×513; torchvision's segmentation references do the same
    with these two transforms.

    Args:
        crop_size: the output (H, W), or one int for a square.
        base_size: the size a scale of 1 gives the shorter side (usually the images').
        scale: the range of scale factors, ``0 < scale[0] <= scale[1]``.

    Raises:
        ValueError: a non-positive ``base_size`` or a bad ``scale``.

    Chapter: book/augmentation
    """
    from torchvision.transforms import v2

    low, high = (int(round(s * base_size)) for s in scale)
    if base_size < 1 or not 0 < scale[0] <= scale[1] or low < 1:
        raise ValueError(f"need base_size >= 1 and 0 < scale[0] <= scale[1] with "
                         f"scale[0] * base_size >= 1, got {base_size}, {scale}")
    return v2.Compose([v2.RandomResize(low, max(high, low + 1)),
                       v2.RandomCrop(crop_size, pad_if_needed=True)])


class FlipAverage(nn.Module):
    """Test-time augmentation: the mean of a model's probabilities over flipped inputs.

    In eval mode, ``forward`` runs ``model`` on the input and on its horizontal flip (and
    vertical flip, and both, with ``vertical=True``), flips each probability map back,
    averages them, and returns the log of the average: ``softmax`` of the output is the
    averaged probability and its ``argmax`` the averaged decision, so
    :func:`seglearn.train.segment` and the metrics take it like any model's logits. In
    training mode it is ``model`` itself (train the inner model, wrap it for testing).

    Args:
        model: maps ``(N, C, H, W)`` to logits ``(N, K, H, W)``.
        vertical: also average over vertical flips (4 passes instead of 2).

    Chapter: book/augmentation
    """

    def __init__(self, model: nn.Module, *, vertical: bool = False) -> None:
        super().__init__()
        self.model, self.vertical = model, vertical

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self.model(images)
        flips = [(), (-1,)] + ([(-2,), (-2, -1)] if self.vertical else [])
        total = 0
        for dims in flips:
            x = images.flip(dims) if dims else images
            probs = self.model(x).float().softmax(1)  # (N, K, H, W)
            total = total + (probs.flip(dims) if dims else probs)
        return (total / len(flips)).clamp_min(1e-12).log()  # (N, K, H, W) log-probs
