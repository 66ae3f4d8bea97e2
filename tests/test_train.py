"""Tests of seglearn.train: device choice, seeding, fit, segment."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seglearn.data import load_triangles
from seglearn.models import DilatedNet, TinyEncoderDecoder
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


# ---- settings and environment variables, as a user meets them --------------------------

def _data(num=8):
    x, y = load_triangles("train", num=num)
    return x, y


def _params(net):
    return [p.detach().clone() for p in net.parameters()]


def _unchanged(net, before):
    return all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))


def test_a_bad_device_variable_is_named(monkeypatch):
    monkeypatch.setenv("SEGLEARN_DEVICE", "gpu")
    with pytest.raises(ValueError, match="SEGLEARN_DEVICE.*'gpu'"):
        choose_device()
    x, y = _data(4)
    with pytest.raises(ValueError, match="SEGLEARN_DEVICE"):
        fit(DilatedNet(channels=4), x, y, loss=F.cross_entropy, epochs=1, progress=False)
    monkeypatch.delenv("SEGLEARN_DEVICE")
    with pytest.raises(ValueError, match="device must name a torch device"):
        choose_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_device_this_machine_lacks_is_an_error(monkeypatch):
    monkeypatch.setenv("SEGLEARN_DEVICE", "cuda")
    with pytest.raises(ValueError, match="SEGLEARN_DEVICE.*'cuda'.*does not have"):
        choose_device()
    with pytest.raises(ValueError, match="device asks for 'cuda:1'"):
        choose_device("cuda:1")


def test_threads_come_from_the_variable_and_are_restored(monkeypatch):
    seen = []
    net = DilatedNet(channels=4)
    net.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    x, y = _data(4)
    before = torch.get_num_threads()
    monkeypatch.setenv("SEGLEARN_NUM_THREADS", "2")
    fit(net, x, y, loss=F.cross_entropy, epochs=1, batch_size=4, progress=False, device="cpu")
    assert set(seen) == {2} and torch.get_num_threads() == before
    monkeypatch.delenv("SEGLEARN_NUM_THREADS")
    seen.clear()
    segment(net, x)
    assert set(seen) == {1}  # the default: one thread
    monkeypatch.setenv("SEGLEARN_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="SEGLEARN_NUM_THREADS.*'two'"):
        fit(net, x, y, loss=F.cross_entropy, epochs=1, progress=False, device="cpu")


# ---- fit validates everything before the first step ------------------------------------

@pytest.mark.parametrize("epochs, error, match", [
    (2.5, TypeError, r"epochs must be an integer, got 2\.5"),
    (True, TypeError, "epochs must be an integer"),
    ("3", TypeError, "epochs must be an integer"),
    (0, ValueError, "epochs must be >= 1"),
])
def test_epochs_must_be_a_positive_integer(epochs, error, match):
    x, y = _data(4)
    with pytest.raises(error, match=match):
        fit(DilatedNet(channels=4), x, y, loss=F.cross_entropy, epochs=epochs, progress=False)


def test_numpy_integer_epochs_are_fine():
    np = pytest.importorskip("numpy")
    x, y = _data(4)
    hist = fit(DilatedNet(channels=4), x, y, loss=F.cross_entropy, epochs=np.int64(1),
               progress=False)
    assert hist.epochs == 1


@pytest.mark.parametrize("setting, match", [
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"batch_size": 8.0}, "batch_size must be an integer"),
    ({"lr": 0.0}, "lr must be finite and in"),
    ({"lr": float("nan")}, "lr must be finite"),
    ({"momentum": 1.0}, "momentum"),
    ({"lr_drop_period": 1.5}, "lr_drop_period must be an integer"),
    ({"optimizer": "lbfgs"}, "optimizer"),
])
def test_bad_settings_are_named(setting, match):
    x, y = _data(4)
    with pytest.raises((TypeError, ValueError), match=match):
        fit(DilatedNet(channels=4), x, y, loss=F.cross_entropy, epochs=1, progress=False,
            **setting)


def test_empty_data_is_an_error_not_a_crash():
    x, y = _data(4)
    net = DilatedNet(channels=4)
    with pytest.raises(ValueError, match=r"images is empty.*N = 0"):
        fit(net, x[:0], y[:0], loss=F.cross_entropy, epochs=1, progress=False)
    with pytest.raises(ValueError, match="val_data images is empty"):
        fit(net, x, y, loss=F.cross_entropy, epochs=1, val_data=(x[:0], y[:0]),
            progress=False)
    with pytest.raises(ValueError, match="images is empty"):
        segment(net, x[:0])


@pytest.mark.parametrize("val, error, match", [
    ("not data", TypeError, "val_data must be a pair"),
    ("masks 4D", ValueError, "val_data masks must have shape"),
    ("float masks", ValueError, "val_data masks must hold integer"),
    ("labels 0/255", ValueError, r"val_data masks values must lie in \[0, 2\)"),
    ("NaN images", ValueError, "val_data images must be finite"),
    ("3 channels", ValueError, "val_data images have 3 channels"),
    ("N differs", ValueError, "val_data images .* must agree"),
])
def test_bad_val_data_is_named_before_training(val, error, match):
    x, y = _data(8)
    vx, vy = x[:4].clone(), y[:4].clone()
    val_data = {
        "not data": vx,
        "masks 4D": (vx, vy[:, None]),
        "float masks": (vx, vy.float()),
        "labels 0/255": (vx, vy * 255),  # MATLAB's label values, not class indices
        "NaN images": (vx.index_fill(2, torch.tensor([3]), float("nan")), vy),
        "3 channels": (vx.expand(-1, 3, -1, -1), vy),
        "N differs": (vx, vy[:3]),
    }[val]
    set_seed(0)
    net = DilatedNet(channels=4)
    before = _params(net)
    with pytest.raises(error, match=match):
        fit(net, x, y, loss=F.cross_entropy, epochs=1, val_data=val_data, progress=False)
    assert _unchanged(net, before)  # nothing was trained


def test_training_labels_outside_the_classes_fail_before_training():
    x, y = _data(8)
    net = DilatedNet(channels=4)
    before = _params(net)
    with pytest.raises(ValueError, match=r"masks values must lie in \[0, 2\)"):
        fit(net, x, y * 255, loss=F.cross_entropy, epochs=1, progress=False)
    with pytest.raises(ValueError, match="images must be finite"):
        fit(net, x.clone().fill_(float("inf")), y, loss=F.cross_entropy, epochs=1,
            progress=False)
    assert _unchanged(net, before)
    ignored = y.clone()
    ignored[:, 0, 0] = -100  # PyTorch's ignore label is fine
    fit(net, x, ignored, loss=F.cross_entropy, epochs=1, progress=False)


def test_a_model_or_loss_that_breaks_the_contract_is_named():
    x, y = _data(4)
    with pytest.raises(ValueError, match=r"model must return logits .* returned \(1, 4, 30, 30\)"):
        fit(nn.Conv2d(1, 4, 3), x, y, loss=F.cross_entropy, epochs=1, progress=False)
    with pytest.raises(ValueError, match="loss must return a scalar"):
        fit(DilatedNet(channels=4), x, y, epochs=1, progress=False,
            loss=lambda l, m: F.cross_entropy(l, m, reduction="none"))
    with pytest.raises(ValueError, match="without gradient"):
        fit(DilatedNet(channels=4), x, y, epochs=1, progress=False,
            loss=lambda l, m: F.cross_entropy(l.detach(), m))


# ---- a diverged run stops and says where ----------------------------------------------

def test_a_diverging_learning_rate_stops_with_epoch_and_step():
    x, y = _data(16)
    set_seed(0)
    net = TinyEncoderDecoder(channels=4)  # no batch norm to hold the activations back
    with pytest.raises(FloatingPointError,
                       match=r"loss became (nan|inf) at epoch \d+ of 10, step \d of 2 "
                             r"\(lr=100, optimizer 'sgdm'\)"):
        fit(net, x, y, loss=F.cross_entropy, epochs=10, batch_size=8, lr=100.0,
            optimizer="sgdm", progress=False)


def test_the_first_bad_step_is_the_one_named():
    calls = []

    def loss(logits, masks):  # not one of the package's losses: no checks of its own
        calls.append(None)
        value = F.cross_entropy(logits, masks)
        return value * float("nan") if len(calls) >= 7 else value

    x, y = _data(16)
    with pytest.raises(FloatingPointError, match="at epoch 2 of 5, step 3 of 4"):
        fit(DilatedNet(channels=4), x, y, loss=loss, epochs=5, batch_size=4, progress=False)
    assert len(calls) == 8  # the epoch is finished, then checked (one read per epoch)


# ---- what fit records and how it trains ------------------------------------------------

def test_loss_history_is_the_batch_weighted_mean_of_the_steps():
    values = []

    def loss(logits, masks):
        value = F.cross_entropy(logits, masks)
        values.append((float(value.detach()), len(masks)))
        return value

    x, y = _data(10)
    hist = fit(DilatedNet(channels=4), x, y, loss=loss, epochs=2, batch_size=4,
               progress=False)
    for epoch in range(2):
        steps = values[3 * epoch:3 * epoch + 3]  # batches of 4, 4 and 2
        assert [n for _, n in steps] == [4, 4, 2]
        expected = sum(v * n for v, n in steps) / 10
        assert hist.loss[epoch] == pytest.approx(expected, rel=1e-12)


def test_losses_run_without_value_checks_during_training():
    from seglearn._checks import value_checks_enabled

    seen = []

    def loss(logits, masks):
        seen.append(value_checks_enabled())
        return F.cross_entropy(logits, masks)

    x, y = _data(4)
    fit(DilatedNet(channels=4), x, y, loss=loss, epochs=2, batch_size=2, progress=False)
    assert seen == [False] * 4
    assert value_checks_enabled()  # and back on afterwards


def test_fit_keeps_a_frozen_batchnorm_frozen():
    x, y = _data(8)
    set_seed(0)
    net = DilatedNet(channels=4)
    frozen = net.features[0][1]
    assert isinstance(frozen, nn.BatchNorm2d)
    frozen.eval()  # the caller freezes the first batch norm's statistics
    stats = frozen.running_mean.clone()
    other = net.features[1][1].running_mean.clone()
    fit(net, x, y, loss=F.cross_entropy, epochs=2, batch_size=4, progress=False)
    assert torch.equal(frozen.running_mean, stats)
    assert not torch.equal(net.features[1][1].running_mean, other)  # the others trained
    assert not net.training  # fit ends in eval mode


def test_fit_with_mixed_precision_trains_on_the_cpu():
    x, y = _data(8)
    set_seed(0)
    hist = fit(DilatedNet(channels=4), x, y, loss=F.cross_entropy, epochs=2, batch_size=4,
               mixed_precision=True, progress=False, device="cpu")
    assert all(torch.isfinite(torch.tensor(hist.loss)))


# ---- segment ---------------------------------------------------------------------------

def test_segment_gives_back_each_submodules_own_flag():
    net = DilatedNet(channels=4)
    net.train()
    net.features[0][1].eval()  # a frozen batch norm
    segment(net, torch.rand(2, 1, 8, 8))
    assert net.training and not net.features[0][1].training
    assert all(m.training for m in net.modules() if m is not net.features[0][1])


class _Fails(nn.Module):
    """A network whose forward pass raises (after batch norm ran)."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(1)

    def forward(self, x):
        self.bn(x)
        raise RuntimeError("out of memory, say")


def test_segment_restores_modes_when_the_model_raises():
    net = _Fails()
    net.train()
    with pytest.raises(RuntimeError, match="out of memory"):
        segment(net, torch.rand(2, 1, 8, 8))
    assert net.training and net.bn.training


def test_segment_rejects_nan_images():
    x = torch.rand(2, 1, 8, 8)
    x[1, 0, 2, 2] = float("nan")
    with pytest.raises(ValueError, match="images must be finite, got 1 NaN"):
        segment(DilatedNet(channels=4), x)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        segment(DilatedNet(channels=4), x[:1], batch_size=2.0)


# ---- scripts/gpu_check.py: the parts that run without a GPU ----------------------------

def _gpu_check():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "gpu_check.py"
    spec = importlib.util.spec_from_file_location("gpu_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_check_dry_run_lists_every_chapter(capsys):
    from pathlib import Path

    gpu_check = _gpu_check()
    assert gpu_check.main(["--dry-run"]) == 0
    printed = capsys.readouterr().out
    book = Path(gpu_check.ROOT) / "book"
    for notebook in book.glob("*.ipynb"):
        assert f"book/{notebook.name}" in printed
    assert "bench_fit.py --device cuda" in printed
    with pytest.raises(SystemExit, match="no such chapter"):
        gpu_check.main(["--dry-run", "--chapters", "no_such_chapter"])


def test_gpu_check_counts_what_fit_trains():
    import sys

    import seglearn.train

    gpu_check = _gpu_check()
    original = seglearn.train.fit
    namespace = {}
    try:
        exec(gpu_check.INSTRUMENT, namespace)  # the cell added in front of each chapter
        from seglearn.train import fit as counted  # what a chapter imports afterwards

        x, y = _data(6)
        counted(DilatedNet(channels=4), x, y, loss=F.cross_entropy, epochs=2, progress=False)
        protocol = sys.modules.get("seglearn.protocol")
        if protocol is not None:
            assert protocol.fit is counted
    finally:  # put the real fit back wherever the cell replaced it
        wrapper = namespace.get("_counted_fit")
        for name, module in list(sys.modules.items()):
            if wrapper is not None and name.startswith("seglearn") \
                    and getattr(module, "fit", None) is wrapper:
                module.fit = original
    report = namespace["_GPU_CHECK"]
    assert report["fit_calls"] == 1 and report["images"] == 12 and report["device"] == "cpu"
    assert report["fit_seconds"] > 0
