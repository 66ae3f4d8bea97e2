"""seglearn.results: the stored runs are the ones the benchmark that wrote them quotes."""

from pathlib import Path

from seglearn.protocol import summarize
from seglearn.results import shape_calibration

ROOT = Path(__file__).resolve().parent.parent


def test_shape_calibration_holds_what_the_benchmark_quotes():
    table = shape_calibration()
    assert len(table.runs) == 14 and table.predictions == {}
    summary = summarize(table, split="test")
    doc = (ROOT / "benchmarks" / "calibrate_shapes.py").read_text()
    for name, iv in summary.intervals.items():
        assert iv.n == 5 and sorted(table.values(name, "test")) == list(range(5))
        quoted = f"{iv.mean:.3f} [{iv.low:.3f}, {iv.high:.3f}]"
        assert quoted in doc, f"{name}: {quoted} is not what the benchmark quotes"
    (gap,) = summary.differences.values()
    assert gap.excludes_zero and f"{gap.mean:.3f} [{gap.low:.3f}, {gap.high:.3f}]" in doc
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"results/*.csv"' in pyproject, "the CSV must ship with the package (Colab)"
