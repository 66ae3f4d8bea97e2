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


def test_loss_comparison_runs_follow_the_protocol():
    import math

    import numpy as np
    import pytest

    from seglearn.comparison import FAMILY, LEARNING_RATES
    from seglearn.results import loss_comparison

    metrics = {"GlobalAccuracy", "MeanAccuracy", "MeanIoU", "WeightedIoU", "MeanBFScore",
               "precision", "recall", "HD95", "missed", "ECE", "Brier"}
    for data, optimizer, choose_n in (("triangles", "adam", 5), ("sparse", "adam", 3),
                                      ("triangles", "sgdm", 3)):
        table = loss_comparison(data, optimizer)
        rates = LEARNING_RATES[optimizer]
        held = [n for n in FAMILY if any(r.configuration.startswith(f"{n} lr=")
                                         for r in table.runs)]
        assert held == list(FAMILY)
        assert len(table.runs) == 2 * len(held) * (len(rates) * choose_n + 10 - choose_n)
        for run in table.runs:
            assert metrics <= set(run.metrics), run.configuration
            assert 0 <= run.metrics["MeanIoU"] <= 1 and 0 <= run.metrics["missed"] <= 1
            assert math.isnan(run.metrics["HD95"]) or run.metrics["HD95"] >= 0
        for name in held:
            val = {lr: table.values(f"{name} lr={lr:g}", "val") for lr in rates}
            best = max(rates, key=lambda lr: np.mean([val[lr][s] for s in range(choose_n)]))
            for lr in rates:  # every rate on the choice seeds; the chosen one on ten
                want = range(10) if lr == best else range(choose_n)
                assert sorted(table.values(f"{name} lr={lr:g}", "test")) == list(want)
    with pytest.raises(ValueError, match="triangles only"):
        loss_comparison("sparse", "sgdm")


def test_comparison_result_takes_the_ten_seed_rate_of_every_loss_and_control():
    import pytest

    from seglearn.comparison import CONTROLS, FAMILY
    from seglearn.results import comparison_result

    for data, optimizer in (("triangles", "adam"), ("sparse", "adam"), ("triangles", "sgdm")):
        rates, runs = comparison_result(data, optimizer)
        expected = set(FAMILY) | (set(CONTROLS) if data == "triangles" and optimizer == "adam"
                                  else set())
        assert set(rates) == expected
        for loss in rates:  # the benchmark trained seeds 5-9 (3-9) only at the rate it chose
            assert sorted(runs.values(loss, "test")) == list(range(10)), loss
    with pytest.raises(ValueError, match="triangles only"):
        comparison_result("sparse", "sgdm")


def test_paired_controls_match_a_hand_computed_t_interval():
    import numpy as np
    import pytest
    from scipy import stats

    from seglearn.results import comparison_result, paired_controls

    _, runs = comparison_result()
    a, b = runs.values("Lovász-softmax", "test"), runs.values("soft Jaccard", "test")
    d = np.array([a[s] - b[s] for s in range(10)])
    half = stats.t.ppf(0.975, 9) * d.std(ddof=1) / np.sqrt(10)
    row = paired_controls([("Lovász-softmax", "soft Jaccard")])["Lovász-softmax − soft Jaccard"]
    assert row["difference"] == f"{d.mean():+.4f} ± {half:.4f}"
    assert row[""] == ("resolved" if abs(d.mean()) > half else "not resolved")
    assert row["MeanIoU"].startswith(f"{np.mean(list(a.values())):.4f} ± ")
    with pytest.raises(KeyError, match="no 'MeanIoU' runs"):
        paired_controls([("Dice", "no such loss")])


def test_paired_controls_refuse_a_metric_that_is_nan_in_some_run():
    import pytest

    from seglearn.results import paired_controls

    # seed 5 of Dice + Hausdorff on the sparse data predicted no triangle: HD95 is NaN
    with pytest.raises(ValueError, match="finite"):
        paired_controls([("Dice + Hausdorff", "Dice")], "sparse", metric="HD95")


def _grid_runs(table: dict) -> list:
    """Runs from {(name, lr): ((val per seed), (test per seed))}."""
    from seglearn.protocol import Run

    runs = []
    for (name, lr), (val, test) in table.items():
        for seed, (v, t) in enumerate(zip(val, test, strict=True)):
            runs += [Run(f"{name} lr={lr:g}", seed, "val", {"MeanIoU": v}, 1.0),
                     Run(f"{name} lr={lr:g}", seed, "test", {"MeanIoU": t}, 1.0)]
    return runs


def test_chosen_on_val_chooses_on_the_common_seeds_and_never_looks_at_test():
    import pytest

    from seglearn.protocol import ResultsTable
    from seglearn.results import chosen_on_val

    # by hand: on "b", 1e-3 wins on seeds 0-1 (mean 0.75 vs 0.7); its seed 2 (0.0) and the
    # test scores of 1e-2 (all 1.0) must not change that. "a" has one rate.
    runs = _grid_runs({("b", 1e-3): ((0.8, 0.7, 0.0), (0.5, 0.6, 0.7)),
                       ("b", 1e-2): ((0.6, 0.8), (1.0, 1.0)),
                       ("a", 3e-3): ((0.1, 0.2), (0.3, 0.4))})
    rates, test = chosen_on_val(ResultsTable(runs))
    assert rates == {"b": 1e-3, "a": 3e-3} and list(rates) == ["b", "a"]
    assert test.values("b", "test") == {0: 0.5, 1: 0.6, 2: 0.7}
    assert {r.split for r in test.runs} == {"test"} and len(test.runs) == 5
    # seed 2 alone prefers 1e-2 if it had one; with seeds=(1,) the choice flips
    assert chosen_on_val(ResultsTable(runs), ["b"], seeds=(1,))[0] == {"b": 1e-2}
    assert chosen_on_val(ResultsTable(runs), ["b"], rates=(1e-2,))[0] == {"b": 1e-2}
    for kwargs in ({"names": ["c"]}, {"names": ["b"], "rates": (3e-4, 1e-3)},
                   {"names": ["b"], "seeds": (2,)}):
        with pytest.raises(KeyError, match="no 'MeanIoU' runs"):
            chosen_on_val(ResultsTable(runs), **kwargs)


def test_architecture_runs_follow_the_protocol_and_controls_pair_them_by_hand():
    import numpy as np
    import pytest
    from scipy import stats

    from seglearn.multiclass import NETWORKS
    from seglearn.results import (
        architecture_controls,
        architecture_table,
        architectures_shapes,
        chosen_on_val,
    )

    table = architectures_shapes()
    rates, runs = chosen_on_val(table)
    assert set(rates) == set(NETWORKS)
    for name, lr in rates.items():  # every rate on seeds 0-1; the chosen one on 0-4
        grid = (1e-3, 3e-3, 1e-2) if name == "U-Net" else (1e-3, 3e-3, 1e-2, 3e-2)
        val = {r: table.values(f"{name} lr={r:g}", "val") for r in grid}
        assert max(val, key=lambda r: val[r][0] + val[r][1]) == lr, name
        assert sorted(val[lr]) == list(range(5)) and all({0, 1} <= set(v) for v in val.values())
        assert sorted(runs.values(name, "test")) == list(range(5))
    a = runs.values("dilated (1, 3, 8)", "test", "IoU triangle")
    b = runs.values("dilated (4, 4, 4)", "test", "IoU triangle")
    d = np.array([a[s] - b[s] for s in range(5)])
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    row = architecture_controls("dilated (1, 3, 8)", "dilated (4, 4, 4)",
                                ("IoU triangle",))["IoU triangle"]
    assert row["difference"] == f"{d.mean():+.4f} ± {half:.4f}"
    assert row[""] == ("resolved" if abs(d.mean()) > half else "not resolved")
    assert row["dilated (4, 4, 4)"].startswith(f"{np.mean(list(b.values())):.4f} ± ")
    u = np.array(list(runs.values("U-Net", "test").values()))
    u_half = stats.t.ppf(0.975, 4) * u.std(ddof=1) / np.sqrt(5)
    assert architecture_table(["U-Net"], ("MeanIoU",)) == {
        "U-Net": {"MeanIoU": f"{u.mean():.4f} ± {u_half:.4f}", "lr (val)": f"{rates['U-Net']:g}"}}
    with pytest.raises(KeyError):
        architecture_controls("ResNet", "U-Net")
