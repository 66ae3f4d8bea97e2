"""Tests of seglearn.augment and of fit's transform, against independent references:
the same v2 transform applied to image and mask separately with the same random state,
right-angle rotations as torch.rot90, crops as slices, flip averaging written out."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision import tv_tensors
from torchvision.transforms import v2

from seglearn.augment import IGNORE_INDEX, FlipAverage, JointTransform, scale_crop
from seglearn.data import augment_pair, load_triangles
from seglearn.models import DilatedNet
from seglearn.shapes import load_shapes
from seglearn.train import fit, set_seed


def _scenes(n=4):
    x, y = load_shapes("val", num=n)
    return x, y  # (n, 1, 64, 64), (n, 64, 64) in 0..3


def _geometric(fill=0):
    return v2.Compose([
        v2.RandomHorizontalFlip(),
        v2.RandomAffine(degrees=40, translate=(0.1, 0.1), scale=(0.7, 1.3), fill=fill),
        v2.ElasticTransform(alpha=30.0, sigma=5.0, fill=fill),
        v2.RandomResize(40, 90),
        v2.RandomCrop(64, pad_if_needed=True, fill=fill),
    ])


def test_a_joint_transform_is_the_same_transform_on_image_and_mask_apart():
    x, y = _scenes()
    filled = []
    for seed in range(4):
        torch.manual_seed(seed)
        xj, yj = JointTransform(_geometric())(x, y)
        # reference: image and mask transformed in separate calls from the same random
        # state (the same parameters), the mask's fill set to the ignore index explicitly
        ref = _geometric(fill={tv_tensors.Image: 0.0, tv_tensors.Mask: IGNORE_INDEX})
        torch.manual_seed(seed)
        xr = ref(tv_tensors.Image(x))
        torch.manual_seed(seed)
        yr = ref(tv_tensors.Mask(y))
        assert type(xj) is torch.Tensor and type(yj) is torch.Tensor
        assert xj.shape == x.shape and yj.shape == y.shape and yj.dtype == torch.int64
        torch.testing.assert_close(xj, xr.as_subclass(torch.Tensor))
        assert torch.equal(yj, yr.as_subclass(torch.Tensor))
        filled.append(bool((yj == IGNORE_INDEX).any()))
    assert any(filled)  # some draws left pixels without data, and they matched too


def test_nearest_interpolated_masks_keep_only_valid_labels():
    x, y = _scenes(8)
    torch.manual_seed(0)
    _, out = JointTransform(_geometric(), per_image=True)(x, y)
    for before, after in zip(y, out, strict=True):
        labels = set(after.unique().tolist())
        assert labels <= set(before.unique().tolist()) | {IGNORE_INDEX}
    # what bilinear interpolation would have made of the same label maps
    rotated = v2.functional.rotate(y[:, None].float(), 30.0,
                                   interpolation=v2.InterpolationMode.BILINEAR)
    assert (rotated != rotated.round()).any()  # fractions between classes


def test_right_angle_rotation_is_rot90_with_no_pixel_filled():
    x, y = _scenes()
    x_r, y_r = JointTransform(v2.RandomRotation((90, 90)))(x, y)
    torch.testing.assert_close(x_r, torch.rot90(x, 1, (-2, -1)))
    assert torch.equal(y_r, torch.rot90(y, 1, (-2, -1)))


def test_the_fill_where_a_rotation_leaves_no_data_is_the_ignore_index():
    x, y = torch.rand(1, 1, 32, 32), torch.zeros(1, 32, 32, dtype=torch.int64)
    _, y_r = JointTransform(v2.RandomRotation((45, 45)))(x, y)
    assert set(y_r.unique().tolist()) == {IGNORE_INDEX, 0}  # corners: ignored, not 0
    assert y_r[0, 0, 0] == IGNORE_INDEX and y_r[0, 16, 16] == 0
    # pixels already ignored stay ignored, and a custom ignore index is honoured
    _, y_i = JointTransform(v2.RandomHorizontalFlip(1.0))(x, torch.full_like(y, -100))
    assert (y_i == -100).all()
    _, y_c = JointTransform(v2.RandomRotation((45, 45)), ignore_index=-1)(x, y)
    assert set(y_c.unique().tolist()) == {-1, 0}


def test_crop_padding_is_ignored_and_the_rest_is_a_slice():
    x, y = _scenes(2)
    x, y = x[..., :40, :50], y[..., :40, :50]
    x_c, y_c = JointTransform(v2.RandomCrop(56, pad_if_needed=True))(x, y)
    assert y_c.shape == (2, 56, 56)
    valid = (y_c != IGNORE_INDEX).nonzero()
    top, left = (int(v) for v in valid[:, 1:].min(0).values)
    assert torch.equal(y_c[:, top:top + 40, left:left + 50], y)  # the data, unmoved
    torch.testing.assert_close(x_c[:, :, top:top + 40, left:left + 50], x)
    assert int((y_c != IGNORE_INDEX).sum()) == y.numel()  # the rest is padding


def test_photometric_transforms_leave_the_mask_alone():
    x, y = _scenes()
    torch.manual_seed(0)
    x_p, y_p = JointTransform(v2.ColorJitter(brightness=0.5, contrast=0.5))(x, y)
    assert torch.equal(y_p, y) and not torch.equal(x_p, x)
    assert 0.0 <= float(x_p.min()) and float(x_p.max()) <= 1.0


def test_rotations_of_non_square_images_keep_every_pixel_or_are_refused():
    x, y = _scenes(3)
    x, y = x[..., :40, :], y[..., :40, :]  # (3, 1, 40, 64)
    # a quarter turn with expand=True keeps every pixel: it is rot90 (40x64 -> 64x40)
    x_e, y_e = JointTransform(v2.RandomRotation((90, 90), expand=True))(x, y)
    assert torch.equal(y_e, torch.rot90(y, 1, (-2, -1)))
    torch.testing.assert_close(x_e, torch.rot90(x, 1, (-2, -1)))
    # inside its own 40x64 frame it would lose the ends of the long side
    _, y_f = JointTransform(v2.RandomRotation((90, 90)))(x, y)
    assert int((y_f != IGNORE_INDEX).sum()) < y.numel()
    # per image, random angles with expand give different sizes: refused, not padded
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="different sizes"):
        JointTransform(v2.RandomRotation(30, expand=True), per_image=True)(x, y)
    # the package's own rotations keep the frame: half turns only (every pixel kept)
    g = torch.Generator().manual_seed(0)
    _, y_a = augment_pair(x, y, generator=g)
    for before, after in zip(y, y_a, strict=True):
        assert torch.equal(before.flatten().sort().values, after.flatten().sort().values)


def test_per_image_draws_differ_within_a_batch():
    x, y = _scenes(1)
    x, y = x.repeat(6, 1, 1, 1), y.repeat(6, 1, 1)
    torch.manual_seed(0)
    _, one = JointTransform(v2.RandomRotation(40))(x, y)
    torch.manual_seed(0)
    _, each = JointTransform(v2.RandomRotation(40), per_image=True)(x, y)
    assert all(torch.equal(one[0], m) for m in one)  # one draw for the batch
    assert not all(torch.equal(each[0], m) for m in each)


def test_joint_transform_rejects_misuse():
    x, y = _scenes(2)
    with pytest.raises(TypeError, match="callable"):
        JointTransform("flip")
    with pytest.raises(ValueError, match="negative"):
        JointTransform(v2.RandomHorizontalFlip(), ignore_index=255)
    with pytest.raises(ValueError, match="agree"):
        JointTransform(v2.RandomHorizontalFlip())(x, y[:, :10])
    with pytest.raises(ValueError, match="Mask"):  # a transform that drops the mask
        JointTransform(lambda a, b: (a, b[..., :10]))(x, y)


def test_scale_crop_draws_deeplab_scales_and_crops_to_size():
    x, y = _scenes(1)
    t = scale_crop(64, base_size=64, scale=(0.5, 2.0))
    resize, crop = t.transforms
    assert (resize.min_size, resize.max_size) == (32, 128)
    torch.manual_seed(0)
    for _ in range(5):
        x_s, y_s = JointTransform(t)(x, y)
        assert x_s.shape == x.shape and y_s.shape == y.shape
        assert set(y_s.unique().tolist()) <= {IGNORE_INDEX, 0, 1, 2, 3}
    with pytest.raises(ValueError, match="scale"):
        scale_crop(64, base_size=64, scale=(2.0, 0.5))


class _Draws:
    """A transform that records what it draws from torch's global generator."""

    def __init__(self):
        self.draws = []

    def __call__(self, images, masks):
        self.draws.append(float(torch.rand(())))
        return images.flip(-1), masks.flip(-1)


def _fit_with(transform, seed):
    x, y = load_triangles("train", num=12)
    set_seed(0)
    net = DilatedNet(channels=4)
    hist = fit(net, x, y, loss=F.cross_entropy, epochs=2, batch_size=4, lr=1e-2,
               transform=transform, device="cpu", seed=seed, progress=False)
    return net, hist


def test_fit_with_a_v2_transform_is_reproducible_per_seed():
    def make():
        return JointTransform(v2.Compose([v2.RandomRotation(30), v2.ColorJitter(0.3)]))

    net_a, hist_a = _fit_with(make(), seed=3)
    net_b, hist_b = _fit_with(make(), seed=3)
    _, hist_c = _fit_with(make(), seed=4)
    assert hist_a.loss == hist_b.loss and hist_a.loss != hist_c.loss
    for p, q in zip(net_a.parameters(), net_b.parameters(), strict=True):
        assert torch.equal(p, q)
    # fit restores the caller's global random state: draws after fit are those before
    x, y = load_triangles("train", num=4)
    net = DilatedNet(channels=4)
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    fit(net, x, y, loss=F.cross_entropy, epochs=1, batch_size=4,
        transform=make(), progress=False)
    assert torch.equal(torch.rand(3), before)


def test_fit_draws_the_transforms_randomness_from_its_seed():
    a, b, c = _Draws(), _Draws(), _Draws()
    _fit_with(a, seed=5), _fit_with(b, seed=5), _fit_with(c, seed=6)
    assert len(a.draws) == 6  # 2 epochs of 3 batches, one call each
    assert a.draws == b.draws and a.draws != c.draws


def test_fit_rejects_a_bad_transform():
    x, y = load_triangles("train", num=4)
    kw = {"loss": F.cross_entropy, "epochs": 1, "batch_size": 4, "progress": False}
    with pytest.raises(ValueError, match="callable"):
        fit(DilatedNet(channels=4), x, y, transform="flip", **kw)
    with pytest.raises(ValueError, match="augment=True"):
        fit(DilatedNet(channels=4), x, y, transform=_Draws(), augment=True, **kw)
    with pytest.raises(ValueError, match="pair"):
        fit(DilatedNet(channels=4), x, y, transform=lambda a, b: a, **kw)
    with pytest.raises(ValueError, match="transformed"):
        fit(DilatedNet(channels=4), x, y, transform=lambda a, b: (a, b[:, :5]), **kw)
    with pytest.raises(ValueError, match="channels"):
        fit(DilatedNet(channels=4), x, y, transform=lambda a, b: (a.repeat(1, 2, 1, 1), b),
            **kw)


def test_flip_average_is_the_mean_of_flipped_probabilities():
    set_seed(0)
    net = DilatedNet(1, 3, channels=4).eval()
    x = torch.rand(2, 1, 12, 16)
    with torch.no_grad():
        p0 = net(x).softmax(1)
        p1 = net(x.flip(-1)).softmax(1).flip(-1)
        p2 = net(x.flip(-2)).softmax(1).flip(-2)
        p3 = net(x.flip(-2, -1)).softmax(1).flip(-2, -1)
        two = FlipAverage(net).eval()(x)
        four = FlipAverage(net, vertical=True).eval()(x)
    torch.testing.assert_close(two.exp(), (p0 + p1) / 2)
    torch.testing.assert_close(four.softmax(1), (p0 + p1 + p2 + p3) / 4)
    wrapped = FlipAverage(net).train()
    assert torch.equal(wrapped(x), net.train()(x))  # training: the model itself


def test_flip_average_of_a_pointwise_model_changes_nothing():
    net = nn.Conv2d(1, 2, 1).eval()  # a 1x1 convolution commutes with flips
    x = torch.rand(3, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(FlipAverage(net, vertical=True).eval()(x).exp(),
                                   net(x).softmax(1))
