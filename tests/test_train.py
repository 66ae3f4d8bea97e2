"""Tests of seglearn.train: device choice, seeding, fit, segment."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seglearn.data import load_triangles
from seglearn.models import DilatedNet
from seglearn.train import History, choose_device, fit, segment, set_seed


def test_choose_device_order(monkeypatch):
    monkeypatch.delenv("SEGLEARN_DEVICE", raising=False)
    assert choose_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("SEGLEARN_DEVICE", "cpu")
    assert choose_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device() == torch.device("cpu")  # the variable wins over CUDA
    monkeypatch.delenv("SEGLEARN_DEVICE")
    assert choose_device() == torch.device("cuda")


class _Threshold(nn.Module):
    """A 1×1 'network' whose logits are (0, a·x + b): segment() must threshold x."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([0.0, 10.0]).view(2, 1, 1, 1))
            self.conv.bias.copy_(torch.tensor([0.0, -5.0]))

    def forward(self, x):
        return self.conv(x)


def test_segment_is_argmax_of_logits():
    x = torch.rand(3, 1, 5, 7)
    labels, scores = segment(_Threshold(), x, return_scores=True, batch_size=2)
    assert labels.shape == (3, 5, 7) and labels.dtype == torch.int64
    assert torch.equal(labels, (x[:, 0] > 0.5).long())
    torch.testing.assert_close(scores.sum(1), torch.ones(3, 5, 7))
    one, one_scores = segment(_Threshold(), x[0], return_scores=True)
    assert one.shape == (5, 7) and one_scores.shape == (2, 5, 7)


def test_segment_restores_training_mode():
    net = DilatedNet()
    net.train()
    segment(net, torch.rand(2, 1, 8, 8))
    assert net.training


def _tiny_run(seed):
    x, y = load_triangles("train", num=16)
    set_seed(0)
    net = DilatedNet(channels=8)
    hist = fit(net, x, y, loss=F.cross_entropy, epochs=3, batch_size=8, lr=1e-2,
               device="cpu", seed=seed, progress=False)
    return net, hist


def test_fit_is_reproducible_and_seeded():
    net_a, hist_a = _tiny_run(0)
    net_b, hist_b = _tiny_run(0)
    _, hist_c = _tiny_run(1)
    assert hist_a.loss == hist_b.loss
    for p, q in zip(net_a.parameters(), net_b.parameters(), strict=True):
        assert torch.equal(p, q)
    assert hist_a.loss != hist_c.loss  # another shuffling seed, another trajectory
    assert isinstance(hist_a, History) and hist_a.epochs == 3 and hist_a.device == "cpu"
    assert len(hist_a.seconds) == 3 and "3 epochs" in str(hist_a)


def test_fit_learns_the_triangles():
    x, y = load_triangles("train", num=32)
    set_seed(0)
    net = DilatedNet(channels=16)
    hist = fit(net, x, y, loss=F.cross_entropy, epochs=25, batch_size=16, lr=1e-2,
               device="cpu", val_data=(x, y), progress=False)
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    assert len(hist.val_mean_iou) == 25
    assert hist.val_mean_iou[-1] > 0.75  # the (training) triangles are found
    assert not net.training


def test_fit_with_lr_drop_and_augmentation_runs():
    x, y = load_triangles("train", num=8)
    set_seed(0)
    net = DilatedNet(channels=4)
    hist = fit(net, x, y, loss=F.cross_entropy, epochs=2, batch_size=4, lr=1e-2,
               optimizer="sgdm", lr_drop_period=1, augment=True, progress=False)
    assert hist.epochs == 2


def test_fit_rejects_bad_input():
    net = DilatedNet(channels=4)
    x, y = load_triangles("train", num=4)
    with pytest.raises(ValueError, match="agree"):
        fit(net, x, y[:3], loss=F.cross_entropy, epochs=1, progress=False)
    with pytest.raises(ValueError, match="integer class indices"):
        fit(net, x, y.float(), loss=F.cross_entropy, epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(net, x, y, loss=F.cross_entropy, epochs=0, progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        fit(net, x, y, loss=F.cross_entropy, epochs=1, optimizer="lbfgs", progress=False)
