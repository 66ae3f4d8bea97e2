"""Tests of seglearn.widgets: the static HTML (parsed, and its inline handler run in node
when available), the live sliders' callbacks without a display, and the explorers.

Only core ipywidgets API is used (IntSlider, SelectionSlider, ``.value``), so the tests
read the same under ipywidgets 7.7.1 (Colab) and 8; CI runs them under Colab's stack
(matplotlib 3.10, IPython 7.34) as well as the newest.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import seglearn.widgets as widgets  # noqa: E402
from seglearn.widgets import (  # noqa: E402
    DilationExplorer,
    LiveSlider,
    RatesExplorer,
    StaticSlider,
    live_slider,
    static_grid,
    static_slider,
)


class _Tags(HTMLParser):
    """Collects (tag, attributes) of every start tag; attribute values come unescaped."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def of(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def _tiny(title: str = "") -> Figure:
    fig = Figure(figsize=(1, 1))
    fig.suptitle(title)
    return fig


def _triangle() -> np.ndarray:
    yy, xx = np.mgrid[:32, :32]
    return ((yy > 6) & (yy < 26) & (xx > 5) & (xx < yy + 2)).astype(np.float64)


# ---------------------------------------------------------------- static form


def test_static_slider_html_has_one_frame_per_value_and_no_script():
    calls = []
    s = static_slider(lambda v: calls.append(v) or _tiny(str(v)), [0.1, 0.5, 0.9],
                      label="alpha", initial=0.5, dpi=20)
    assert calls == [0.1, 0.5, 0.9]
    html = s._repr_html_()
    tags = _Tags(html)
    imgs, ranges = tags.of("img"), tags.of("input")
    assert len(imgs) == 3 and len(ranges) == 1
    assert ranges[0]["type"] == "range" and (ranges[0]["min"], ranges[0]["max"]) == ("0", "2")
    assert ranges[0]["value"] == "1" and json.loads(ranges[0]["data-labels"]) == ["0.1", "0.5",
                                                                                  "0.9"]
    assert "<script" not in html.lower() and "http" not in html
    assert [("display:none" in a["style"]) for a in imgs] == [True, False, True]
    for a in imgs:
        assert base64.b64decode(a["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert s.nbytes == len(html.encode()) and "3 frames" in repr(s)


def test_each_instance_has_a_unique_id():
    a = static_slider(lambda v: _tiny(), [1], dpi=10)
    b = static_slider(lambda v: _tiny(), [1], dpi=10)
    ids = [_Tags(x.html).of("div")[0]["id"] for x in (a, b)]
    assert ids[0] != ids[1] and all(i.startswith("sgl-") for i in ids)


def test_static_grid_calls_draw_for_the_product_in_row_major_order():
    calls = []
    values = {"alpha": [0.3, 0.5, 0.7], "beta": [0.3, 0.7]}
    s = static_grid(lambda alpha, beta: calls.append((alpha, beta)) or _tiny(), values, dpi=10)
    assert calls == list(itertools.product(*values.values()))
    tags = _Tags(s.html)
    assert [(r["min"], r["max"]) for r in tags.of("input")] == [("0", "2"), ("0", "1")]
    assert [a["alt"] for a in tags.of("img")] == [f"alpha={a:g}, beta={b:g}" for a, b in calls]


def test_pyplot_drawing_is_rendered_and_closed():
    before = plt.get_fignums()

    def draw(v):
        plt.figure(figsize=(1, 1))
        plt.plot([0, v])

    s = static_slider(draw, [1, 2], dpi=10)
    assert len(s.frames) == 2 and plt.get_fignums() == before


@pytest.mark.parametrize(
    ("frames", "values", "initial", "match"),
    [([b"x"], {"a": [1, 2]}, None, "expected 2 frames"),
     ([b"x"], {}, None, "at least one slider"),
     ([b"x"], {"a": [1]}, {"a": 5}, "not among")],
)
def test_static_slider_rejects_inconsistent_input(frames, values, initial, match):
    with pytest.raises(ValueError, match=match):
        StaticSlider(frames, values, initial=initial)


_FAKE_DOM = """
const spec = JSON.parse(process.argv[1]);
const imgs = spec.imgs.map(d => ({style: {display: d}}));
const container = {querySelectorAll: q => q.includes('range') ? ranges : imgs};
const ranges = spec.ranges.map(r => {
  const span = {textContent: ''};
  return {value: String(r.value), max: r.max, dataset: {labels: r.labels},
          parentNode: {querySelector: () => span}, span: span,
          closest: () => container};
});
const handler = new Function(spec.handler);
spec.moves.forEach(([i, v]) => { ranges[i].value = String(v); handler.call(ranges[i]); });
console.log(JSON.stringify({shown: imgs.map(m => m.style.display !== 'none'),
                            labels: ranges.map(r => r.span.textContent)}));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the inline handler")
def test_inline_handler_shows_the_frame_of_both_ranges():
    values = {"alpha": [0.1, 0.2, 0.3, 0.4], "beta": [1, 2, 3]}
    s = StaticSlider([b"png"] * 12, values)
    tags = _Tags(s.html)
    ranges = tags.of("input")
    spec = {
        "handler": ranges[0]["oninput"],
        "ranges": [{"value": r["value"], "max": r["max"], "labels": r["data-labels"]}
                   for r in ranges],
        "imgs": ["none" if "display:none" in a["style"] else "" for a in tags.of("img")],
        "moves": [[0, 2], [1, 1]],  # alpha -> 0.3, then beta -> 2
    }
    out = subprocess.run(["node", "-e", _FAKE_DOM, json.dumps(spec)], capture_output=True,
                         text=True, check=True, timeout=30)
    result = json.loads(out.stdout)
    expected = list(itertools.product(*values.values())).index((0.3, 2))
    assert result["shown"] == [k == expected for k in range(12)]
    assert result["labels"] == ["0.3", "2"]


# ---------------------------------------------------------------- live form


@pytest.fixture
def pictures(monkeypatch, tmp_path):
    """What a live slider's ``Output`` holds, as a notebook would show it: a real IPython
    shell (no kernel, no display) captures every ``display`` call, and ``clear_output`` (which
    ``interactive_output`` calls before each redraw) empties the capture. Returns a function
    giving the PNG pictures captured since the last clear."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))  # the shell writes nothing to ~/.ipython
    fresh = not InteractiveShell.initialized()
    config = Config()
    config.HistoryManager.enabled = False
    InteractiveShell.instance(config=config)
    try:
        with capture_output(stdout=False, stderr=False) as captured:
            yield lambda: [_png_bytes(o.data["image/png"]) for o in captured.outputs
                           if "image/png" in o.data]
    finally:
        if fresh:
            InteractiveShell.clear_instance()


def _png_bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else base64.b64decode(data)  # IPython 7: base64


def _plain_figure(k):  # a Figure pyplot never held
    return _tiny(str(k))


def _closed_pyplot_figure(k):  # what the explorers did, and the Tversky chapter does
    fig = plt.figure(figsize=(1, 1))
    plt.close(fig)  # matplotlib 3.10 keeps fig.canvas.manager set after this, 3.11 does not
    fig.suptitle(str(k))
    return fig


def _open_pyplot_figure(k):
    fig = plt.figure(figsize=(1, 1))
    plt.plot([0, k])
    return fig


def _pyplot_only(k):
    plt.figure(figsize=(1, 1))
    plt.plot([0, k])


@pytest.mark.parametrize("draw", [_plain_figure, _closed_pyplot_figure, _open_pyplot_figure,
                                  _pyplot_only], ids=lambda f: f.__name__.strip("_"))
def test_live_slider_shows_exactly_one_picture_per_move(pictures, draw):
    before = plt.get_fignums()
    live = LiveSlider(draw, {"k": ipywidgets.IntSlider(value=1, max=3)}, dpi=20)
    got = [len(pictures())]  # drawn once at construction
    for k in (2, 3, 0):
        live.controls["k"].value = k
        got.append(len(pictures()))
    assert got == [1, 1, 1, 1]
    assert all(png[:4] == b"\x89PNG" for png in pictures())
    assert plt.get_fignums() == before  # nothing left for pyplot to show again


def test_explorers_show_exactly_one_picture_per_move(pictures):
    """The Colab bug: under matplotlib 3.10 a moved explorer slider showed nothing."""
    slider = DilationExplorer(_triangle(), max_rate=3).widget.children[0].children[0]
    got = [len(pictures())]
    for rate in (2, 3):
        slider.value = rate
        got.append(len(pictures()))
    r1, r2, r3 = RatesExplorer(max_rate=4).widget.children[0].children
    got.append(len(pictures()))
    r3.value = 4
    got.append(len(pictures()))
    assert got == [1, 1, 1, 1, 1]


def test_live_slider_calls_draw_on_value_change(pictures):
    calls = []
    live = live_slider(lambda rate, gain: calls.append((rate, gain)), rate=[1, 2, 4],
                       gain=ipywidgets.FloatSlider(value=0.5, min=0, max=1))
    assert calls == [(1, 0.5)]  # drawn once at construction
    live.controls["rate"].value = 4
    live.controls["gain"].value = 0.25
    assert calls == [(1, 0.5), (4, 0.5), (4, 0.25)] and len(pictures()) == 1
    assert isinstance(live.controls["rate"], ipywidgets.SelectionSlider)
    assert isinstance(live.widget, ipywidgets.VBox) and live.output in live.widget.children


def test_a_draw_returning_something_else_is_rejected():
    with pytest.raises(TypeError, match="Figure or None"):
        static_slider(lambda v: 3, [1, 2])


@pytest.mark.parametrize("control", ["abc", [], 3])
def test_live_slider_rejects_bad_controls(control):
    with pytest.raises(TypeError, match="control 'x'"):
        LiveSlider(lambda x: None, {"x": control})


def test_only_core_ipywidgets_api_is_used():
    """The names ipywidgets 7.7.1 (Colab) and 8 share; nothing else may appear."""
    core = {"IntSlider", "FloatSlider", "SelectionSlider", "interactive_output", "Output",
            "HBox", "VBox", "ValueWidget", "Widget"}
    used = set()
    for path in Path(widgets.__file__).parent.glob("*.py"):
        used |= set(re.findall(r"ipywidgets\.(\w+)", path.read_text()))
    assert used and used <= core, used - core


# ---------------------------------------------------------------- explorers


def test_dilation_explorer_draws_and_its_response_is_a_dilated_laplacian():
    before = plt.get_fignums()
    explorer = DilationExplorer(torch.from_numpy(_triangle()).float()[None, None], max_rate=4)
    for rate in (1, 2, 4):
        fig = explorer.draw(rate)
        assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert plt.get_fignums() == before  # its figures never join pyplot's list
    img = _triangle()
    for rate in (1, 3):
        y, x = 16, 15  # interior pixel: centre minus the mean of its 8 rate-spaced taps
        taps = [img[y + rate * i, x + rate * j] for i in (-1, 0, 1) for j in (-1, 0, 1)
                if (i, j) != (0, 0)]
        got = float(explorer.response(rate)[y, x])
        assert got == pytest.approx(img[y, x] - sum(taps) / 8)
    big = torch.full((1, 1, 7, 7), 0.0, dtype=torch.float64)  # zero-filled 7×7 kernel, rate 3
    big[0, 0, ::3, ::3] = -1 / 8
    big[0, 0, 3, 3] = 1.0
    direct = F.conv2d(torch.from_numpy(img)[None, None], big, padding=3)[0, 0]
    torch.testing.assert_close(explorer.response(3), direct)
    with pytest.raises(ValueError, match="rate"):
        explorer.draw(5)


def test_dilation_explorer_static_and_live():
    explorer = DilationExplorer(_triangle(), max_rate=3)
    s = explorer.static(dpi=20)
    tags = _Tags(s.html)
    assert len(tags.of("img")) == 3 and tags.of("input")[0]["max"] == "2"
    assert "<script" not in s.html
    calls = []
    original = explorer.draw
    explorer.draw = lambda rate: calls.append(rate) or original(rate)
    slider = explorer.widget.children[0].children[0]
    assert (slider.min, slider.max, slider.value) == (1, 3, 1)
    slider.value = 3
    assert calls == [1, 3]


@pytest.mark.parametrize("image", [np.zeros((2, 8, 8)), np.zeros(8), np.full((8, 8), np.nan)])
def test_dilation_explorer_rejects_bad_images(image):
    with pytest.raises(ValueError, match="image"):
        DilationExplorer(image)


@pytest.mark.parametrize(("kwargs", "match"), [({"max_rate": 0}, "max_rate"),
                                               ({"kernel_size": 4}, "kernel_size")])
def test_explorers_reject_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DilationExplorer(_triangle(), **kwargs)
    with pytest.raises(ValueError, match=match):
        RatesExplorer(**kwargs)


def test_rates_explorer_text_reports_holes_and_the_hdc_rule():
    explorer = RatesExplorer(max_rate=8)
    for rates, holes, hdc in [((1, 2, 5), 0, "yes"), ((2, 4, 8), 616, "no")]:
        fig = explorer.draw(*rates)
        text = fig.axes[0].texts[0].get_text()
        assert f"holes: {holes} of" in text and text.endswith(hdc)
        assert "k_eff" in text and isinstance(fig, Figure)
    with pytest.raises(ValueError, match="rates"):
        explorer.draw(1, 9, 1)


def test_rates_explorer_static_grid_and_live():
    explorer = RatesExplorer(max_rate=4)
    s = explorer.static({"r1": (1,), "r2": (1, 2), "r3": (1, 3)}, dpi=20)
    tags = _Tags(s.html)
    assert len(tags.of("img")) == 4 and [r["max"] for r in tags.of("input")] == ["0", "1", "1"]
    with pytest.raises(ValueError, match="keys"):
        explorer.static({"a": (1,)})
    calls = []
    explorer.draw = lambda r1, r2, r3: calls.append((r1, r2, r3)) or _tiny()
    r1, r2, r3 = explorer.widget.children[0].children
    r3.value = 4
    assert calls == [(1, 1, 1), (1, 1, 4)]
