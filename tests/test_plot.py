"""Tests of seglearn.plot: overlays paint the right pixels; tables print and render."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from seglearn.plot import Table, error_overlay, label_overlay, plot_history, show_samples  # noqa: E402
from seglearn.train import History  # noqa: E402


def test_label_overlay_paints_only_labelled_pixels():
    image = torch.full((1, 4, 4), 0.5)
    mask = torch.zeros(4, 4, dtype=torch.long)
    mask[1, 2] = 1
    rgb = label_overlay(image, mask, alpha=1.0, colors=["#ff0000"])
    assert rgb.shape == (4, 4, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[1, 2]) == (255, 0, 0)
    assert tuple(rgb[0, 0]) == (128, 128, 128)  # background left as the gray image


def test_error_overlay_colours():
    image = torch.zeros(1, 1, 4)
    pred = torch.tensor([[1, 1, 0, 0]])
    truth = torch.tensor([[1, 0, 1, 0]])
    rgb = error_overlay(image, pred, truth, alpha=1.0)
    tp, fp, fn, tn = rgb[0]
    assert tp[1] > tp[0] and tp[1] > tp[2]  # green
    assert fp[0] > fp[1] and fp[0] > fp[2]  # red
    assert fn[2] > fn[0] and fn[2] > fn[1]  # blue
    assert tuple(tn) == (0, 0, 0)


def test_show_samples_and_history_make_figures():
    x = torch.rand(3, 1, 8, 8)
    y = torch.randint(0, 2, (3, 8, 8))
    fig = show_samples(x, y, y, n=3)
    assert len(fig.axes) == 9
    plt.close(fig)
    h = History(loss=[1.0, 0.5], val_mean_iou=[0.3, 0.6], seconds=[0.1, 0.1])
    assert str(h) == "2 epochs, loss 0.5000, val MeanIoU 0.6000, 0.2 s"
    assert str(History(device="cuda:0")) == "0 epochs, not trained, 0.0 s on cuda:0"
    fig = plot_history({"a": h, "b": h})
    assert len(fig.axes) == 2
    plt.close(fig)


def test_table_text_and_html():
    t = Table({"run A": {"MeanIoU": 0.912345, "note": "x"}, "run B": {"MeanIoU": math.nan}},
              digits=3)
    text = str(t).splitlines()
    assert text[0].split() == ["MeanIoU", "note"]
    assert text[1].split() == ["run", "A", "0.912", "x"]
    assert text[2].split() == ["run", "B", "NaN"]
    html = t._repr_html_()
    assert html.count("<tr>") == 3 and "0.912" in html


def test_table_html_breaks_headers_only_between_words_and_escapes():
    t = Table({"a<b": {"GlobalAccuracy": 1.0, "loss/run": "x & y"}})
    html = t._repr_html_()
    assert "<th>Global<wbr>Accuracy</th>" in html  # a narrow column breaks it there only
    assert "<th>loss/<wbr>run</th>" in html
    assert "a&lt;b" in html and "x &amp; y" in html
    assert str(t).split()[:2] == ["GlobalAccuracy", "loss/run"]  # the text form is unchanged


def test_table_text_fits_its_width_by_wrapping_headers_then_splitting_columns():
    narrow = Table({"a": {"short": 1.0}})
    assert str(narrow).splitlines()[0].split() == ["short"]  # fits: one header line
    rows = {f"row {i}": {f"a long header {j}": i * 10.0 + j for j in range(12)} for i in range(3)}
    t = Table(rows, digits=1)
    lines = str(t).splitlines()
    assert max(map(len, lines)) <= 76 < 12 * len("  a long header 0")  # unwrapped: 204
    blocks = str(t).split("\n\n")
    assert len(blocks) > 1  # twelve columns do not fit one block
    values = [float(v) for b in blocks for line in b.splitlines() if line.startswith("row 1")
              for v in line.split()[2:]]
    assert values == [10.0 + j for j in range(12)]  # every value, in column order
    heads = " ".join(" ".join(b.splitlines()[:3]) for b in blocks).split()
    assert heads.count("header") == 12  # every header, wrapped between words
    wide = Table({"r": {"x" * 90: 1.0}})  # a single word wider than the limit stays whole
    assert "x" * 90 in str(wide)


def test_dilation_pictures_are_figures_pyplot_never_holds():
    from seglearn.plot import dilated_response, plot_dilation, plot_dilation_rates

    before = plt.get_fignums()
    image = torch.zeros(16, 16)
    image[4:12, 4:12] = 1.0
    fig = plot_dilation(image, 2, max_rate=3)
    panel = fig.axes[2].images[0].get_array()  # the third panel draws the response
    np.testing.assert_allclose(panel, dilated_response(image, 2).numpy())
    fig = plot_dilation_rates((1, 2, 3), max_rate=3)
    assert "HDC rule M_2 = 2 <= 3: yes" in fig.axes[0].texts[0].get_text()
    assert plt.get_fignums() == before  # shown by whoever displays them, once
    for bad in (dict(rate=0), dict(rate=4), dict(rate=1, kernel_size=2)):
        with pytest.raises(ValueError, match="rate|kernel_size"):
            plot_dilation(image, **bad, max_rate=3)


def test_error_overlay_k_classes_against_a_pixel_loop():
    from seglearn.plot import ERROR_COLORS

    image = torch.zeros(1, 2, 4)
    truth = torch.tensor([[0, 1, 2, 3], [3, 0, 2, 1]])
    pred = torch.tensor([[0, 1, 3, 0], [2, 2, 2, 0]])
    rgb = error_overlay(image, pred, truth, alpha=1.0)
    colours = {name: tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))
               for name, c in ERROR_COLORS.items()}
    for i in range(2):
        for j in range(4):
            t, p = int(truth[i, j]), int(pred[i, j])
            if t == p == 0:
                want = (0, 0, 0)  # right background: the image
            elif t == p:
                want = colours["right class"]
            elif p > 0:
                want = colours["wrong class"]  # a false positive or a confusion
            else:
                want = colours["missed (background)"]
            assert tuple(rgb[i, j]) == want, (i, j, t, p)


def test_error_overlay_k2_is_the_class_1_overlay():
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(1, 8, 8, generator=gen)
    pred, truth = (torch.randint(0, 2, (8, 8), generator=gen) for _ in range(2))
    np.testing.assert_array_equal(error_overlay(image, pred, truth),
                                  error_overlay(image, pred, truth, cls=1))


def test_label_overlay_k_classes_paints_each_class_its_colour():
    mask = torch.tensor([[0, 1], [2, 3]])
    cols = ["#ff0000", "#00ff00", "#0000ff"]
    rgb = label_overlay(torch.zeros(1, 2, 2), mask, alpha=1.0, colors=cols)
    assert [tuple(rgb[i, j]) for i in range(2) for j in range(2)] == [
        (0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)]


def test_class_legend_names_and_colours():
    from matplotlib.colors import to_hex

    from seglearn.plot import CLASS_COLORS, class_legend

    names = ["background", "disk", "square", "triangle"]
    handles = class_legend(names)
    assert [h.get_label() for h in handles] == names[1:]
    assert [to_hex(h.get_facecolor()) for h in handles] == CLASS_COLORS[:3]
    assert len(class_legend(names, errors=True)) == 6
    with pytest.raises(ValueError, match="K >= 2"):
        class_legend(["background"])


def test_show_samples_k_classes_draws_both_rows_and_a_legend():
    x = torch.rand(2, 1, 8, 8)
    y = torch.randint(0, 4, (2, 8, 8))
    names = ["background", "disk", "square", "triangle"]
    fig = show_samples(x, y, y, n=2, class_names=names)
    assert len(fig.axes) == 8  # image, truth, prediction, errors
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[:3] == names[1:] and "missed (background)" in labels
    plt.close(fig)
    fig = show_samples(x, y, y, n=2)  # without names: the binary layout, no legend
    assert len(fig.axes) == 6 and not fig.legends
    plt.close(fig)


def test_plot_confusion_shows_row_shares_against_numpy():
    from seglearn.metrics import confusion_matrix
    from seglearn.plot import plot_confusion

    gen = torch.Generator().manual_seed(1)
    truth = torch.randint(0, 3, (2, 6, 6), generator=gen)  # class 3 never true
    pred = torch.randint(0, 4, (2, 6, 6), generator=gen)
    cm = confusion_matrix(pred, truth, 4)
    t, p = truth.numpy().ravel(), pred.numpy().ravel()
    want = np.full((4, 4), np.nan)  # no true pixel of class 3: NaN, not 0
    for row in range(3):
        want[row] = [np.mean(p[t == row] == col) for col in range(4)]
    before = plt.get_fignums()
    fig = plot_confusion(cm, ["bg", "a", "b", "c"])
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(np.ma.filled(shown, np.nan), want)
    assert len(fig.axes) == 2 and plt.get_fignums() == before  # a colour bar; not held
    assert fig.axes[0].texts[15].get_text() == "NaN"
    with pytest.raises(ValueError, match="class names"):
        plot_confusion(cm, ["bg"])
    with pytest.raises(ValueError, match="square"):
        plot_confusion(torch.zeros(2, 3), ["a", "b"])


def test_show_samples_wraps_into_even_blocks_that_fit_the_column():
    images = torch.rand(10, 1, 8, 8)
    masks = torch.randint(0, 2, (10, 8, 8))
    fig = show_samples(images, masks, masks, n=8)  # rows: image, truth, errors
    shown = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 2 * 3 * 4 and len(shown) == 8 * 3  # 2 blocks of 4
    assert fig.get_size_inches()[0] == pytest.approx(4 * 1.4)
    fig = show_samples(images, masks, n=7)  # 4 + 3: one empty cell, hidden
    assert len(fig.axes) == 2 * 2 * 4 and sum(ax.axison for ax in fig.axes) == 7 * 2
    with pytest.raises(ValueError, match="columns"):
        show_samples(images, columns=0)
    plt.close("all")


def test_plot_paired_draws_hand_computed_intervals_and_fills_resolved_differences():
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    import pytest
    from scipy import stats

    from seglearn.plot import plot_paired
    from seglearn.protocol import ResultsTable, Run

    scores = {"control": [0.5, 0.6, 0.7], "better": [0.6, 0.71, 0.79],
              "noisy": [0.9, 0.4, 0.8]}  # better - control: 0.1, 0.11, 0.09 (resolved)
    runs = ResultsTable([Run(n, s, "test", {"MeanIoU": v}, 1.0)
                         for n, vs in scores.items() for s, v in enumerate(vs)])
    fig = plot_paired(runs, list(scores), "control")
    ax_l, ax_r = fig.axes
    t = stats.t.ppf(0.975, 2)
    for row, vs in enumerate(scores.values()):
        (line,) = [ln for ln in ax_l.lines
                   if ln.get_marker() == "o" and ln.get_ydata()[0] == -row]
        assert line.get_xdata()[0] == pytest.approx(np.mean(vs))
    dots = {int(-ln.get_ydata()[0]): ln for ln in ax_r.lines if ln.get_marker() == "o"}
    assert sorted(dots) == [1, 2]  # the control is not paired with itself
    d = np.array(scores["better"]) - np.array(scores["control"])
    assert dots[1].get_xdata()[0] == pytest.approx(d.mean())
    assert d.mean() - t * d.std(ddof=1) / np.sqrt(3) > 0  # resolved: filled
    assert matplotlib.colors.same_color(dots[1].get_markerfacecolor(), "tab:blue")
    assert matplotlib.colors.same_color(dots[2].get_markerfacecolor(), "white")
    assert [tk.get_text() for tk in ax_l.get_yticklabels()] == list(scores)
    with pytest.raises(ValueError, match="same seeds"):
        plot_paired(ResultsTable(runs.runs[:-1]), list(scores), "control")
