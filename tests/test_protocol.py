"""The experiment protocol and its statistics (seglearn.intervals): intervals against
scipy, planted and absent differences, the bootstrap against a loop, the table and summary,
and one tiny real run."""

import math
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from seglearn.intervals import bootstrap_interval, mean_interval, paired_difference
from seglearn.metrics import evaluate_semantic_segmentation
from seglearn.models import DilatedNet
from seglearn.protocol import Configuration, ResultsTable, Run, choose, grid, run, summarize


@pytest.mark.parametrize("n", [2, 3, 5, 10])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_interval_is_scipys_student_t(n, confidence):
    x = np.random.default_rng(n).normal(0.8, 0.02, n)
    iv = mean_interval(x, confidence=confidence)
    low, high = stats.t.interval(confidence, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert (iv.low, iv.high) == pytest.approx((low, high), rel=1e-12)
    assert iv.sd == pytest.approx(x.std(ddof=1)) and iv.n == n
    assert iv.mean == pytest.approx(x.mean())


def test_interval_by_hand_for_two_values():
    # n = 2: t_{0.975, 1} = 12.7062, sd = |a - b| / sqrt 2, half-width = t · sd / sqrt 2
    iv = mean_interval([0.0, 1.0])
    assert iv.high - iv.mean == pytest.approx(12.7062047 * 0.5, rel=1e-7)


def test_one_value_has_no_interval():
    iv = mean_interval([0.5])
    assert iv.mean == 0.5 and math.isnan(iv.sd) and math.isnan(iv.low) and not iv.excludes_zero


@pytest.mark.parametrize(("values", "confidence"), [([], 0.95), ([1.0, math.nan], 0.95),
                                                     ([1.0, 2.0], 1.0), ([1.0, 2.0], 0.0)])
def test_bad_interval_input_is_rejected(values, confidence):
    with pytest.raises(ValueError):
        mean_interval(values, confidence=confidence)


def _paired_draw(rng, n, difference, noise=0.01):
    """Two configurations on n shared seeds: a seed effect both share, plus own noise."""
    seed_effect = rng.normal(0, 0.03, n)
    a = 0.80 + seed_effect + rng.normal(0, noise, n)
    b = 0.80 - difference + seed_effect + rng.normal(0, noise, n)
    return dict(enumerate(a)), dict(enumerate(b))


def test_a_planted_difference_is_resolved():
    a, b = _paired_draw(np.random.default_rng(0), 5, difference=0.02, noise=0.004)
    diff = paired_difference(a, b)
    assert diff.excludes_zero and diff.low > 0
    assert diff.low < 0.02 < diff.high
    # the separate intervals overlap (the seed effect dominates), pairing removes it
    ia, ib = mean_interval(list(a.values())), mean_interval(list(b.values()))
    assert ia.low < ib.high


def test_identical_configurations_are_resolved_at_the_nominal_rate():
    rng = np.random.default_rng(12)
    draws = 4000
    resolved = sum(paired_difference(*_paired_draw(rng, 5, 0.0)).excludes_zero
                   for _ in range(draws))
    # binomial(4000, 0.05): sd 0.0034; this band is about ±3 sd
    assert 0.04 <= resolved / draws <= 0.06


def test_paired_difference_needs_the_same_seeds():
    with pytest.raises(ValueError, match="same seeds"):
        paired_difference({0: 1.0, 1: 2.0}, {0: 1.0, 2: 2.0})


def test_bootstrap_matches_a_loop_over_resampled_images():
    g = torch.Generator().manual_seed(0)
    masks = torch.randint(3, (12, 8, 8), generator=g)
    preds = torch.where(torch.rand(12, 8, 8, generator=g) < 0.7, masks,
                        torch.randint(3, (12, 8, 8), generator=g))
    value, low, high = bootstrap_interval(preds, masks, num_classes=3, num_samples=200, seed=4)
    picks = torch.randint(12, (200, 12), generator=torch.Generator().manual_seed(4))
    loop = [evaluate_semantic_segmentation(preds[p], masks[p], num_classes=3,
                                           bf_score=False).mean_iou for p in picks]
    assert (low, high) == pytest.approx(tuple(np.percentile(loop, [2.5, 97.5])), abs=1e-12)
    whole = evaluate_semantic_segmentation(preds, masks, num_classes=3, bf_score=False)
    assert value == pytest.approx(whole.mean_iou) and low < value < high


def _table(values):
    """A ResultsTable from {configuration: [MeanIoU per seed]} on the test split."""
    runs = [Run(name, seed, "test", {"MeanIoU": v}, 1.0)
            for name, vs in values.items() for seed, v in enumerate(vs)]
    return ResultsTable(runs)


def test_summary_marks_only_resolved_differences():
    table = _table({"big": [0.90, 0.91, 0.89, 0.92, 0.90],
                    "big again": [0.91, 0.90, 0.90, 0.91, 0.89],
                    "small": [0.60, 0.62, 0.58, 0.61, 0.60]})
    summary = summarize(table)
    assert summary.resolved("big", "small") and summary.resolved("small", "big again")
    assert not summary.resolved("big", "big again")
    assert summary.differences[("big", "small")].mean == pytest.approx(0.302)
    text = str(summary)
    assert "not resolved" in text and "big - small" in text
    assert len(table.records()) == 15 and "MeanIoU" in table.records()[0]


def test_results_table_round_trips_through_csv(tmp_path):
    table = _table({"a": [0.9, 1 / 3, 0.7], "b, with a comma": [0.5, 0.6, 2 / 7]})
    table.runs[0] = Run("a", 0, "test", {"MeanIoU": 0.9, "MeanBFScore": math.nan,
                                         "HD95": 1 / 7}, 1.25)
    table.to_csv(tmp_path / "runs.csv")
    back = ResultsTable.from_csv(tmp_path / "runs.csv")
    assert len(back.runs) == len(table.runs) and back.predictions == {}
    for old, new in zip(table.runs, back.runs, strict=True):
        assert (old.configuration, old.seed, old.split) == (new.configuration, new.seed,
                                                             new.split)
        assert old.metrics["MeanIoU"] == new.metrics["MeanIoU"]  # exact, not approximate
    assert math.isnan(back.runs[0].metrics["MeanBFScore"])
    assert back.runs[0].metrics["HD95"] == 1 / 7  # a metric of the caller's survives
    assert math.isnan(back.runs[1].metrics["HD95"])  # and is nan where a run lacks it
    assert str(summarize(back)) == str(summarize(table))
    (tmp_path / "bad.csv").write_text("name,MeanIoU\na,0.5\n")
    with pytest.raises(ValueError, match="columns"):
        ResultsTable.from_csv(tmp_path / "bad.csv")


def _config(name, dilations=(1, 1), **recipe):
    return Configuration(name, partial(DilatedNet, 1, 2, 4, dilations),
                         F.cross_entropy, {"epochs": 1, "batch_size": 4, **recipe})


def test_choose_uses_validation_never_test():
    configs = [_config("a"), _config("b")]
    table = ResultsTable([Run("a", 0, "val", {"MeanIoU": 0.5}, 1.0),
                          Run("b", 0, "val", {"MeanIoU": 0.7}, 1.0),
                          Run("a", 0, "test", {"MeanIoU": 0.9}, 1.0),
                          Run("b", 0, "test", {"MeanIoU": 0.1}, 1.0)])
    assert choose(configs, table).name == "b"
    with pytest.raises(ValueError, match="validation"):
        choose(configs, table, split="test")


def test_configuration_checks_its_recipe_and_grid_names_variants():
    with pytest.raises(ValueError, match="not fit"):
        _config("x", learning_rate=1e-3)
    with pytest.raises(ValueError, match="must set 'epochs'"):
        Configuration("x", DilatedNet, F.cross_entropy, {})
    variants = grid(_config("net"), "lr", [1e-3, 1e-2])
    assert [v.name for v in variants] == ["net lr=0.001", "net lr=0.01"]
    assert variants[1].recipe["lr"] == 1e-2 and variants[1].recipe["epochs"] == 1
    with pytest.raises(ValueError, match="setting must be one of"):
        grid(_config("net"), "seed", [1])


def test_a_tiny_real_run_repeats_per_seed():
    from seglearn.data import load_triangles

    train, test = load_triangles("train", num=8), load_triangles("test", num=4)
    configs = [_config("rf 5", (1, 1)), _config("rf 9", (1, 3))]
    table = run(configs, seeds=[0, 1], train_data=train, eval_data={"test": test},
                num_classes=2, progress=False)
    assert [(r.configuration, r.seed) for r in table.runs] == [
        ("rf 5", 0), ("rf 5", 1), ("rf 9", 0), ("rf 9", 1)]
    assert all(r.split == "test" and r.seconds > 0 and 0 <= r.metrics["MeanIoU"] <= 1
               for r in table.runs)
    assert table.predictions[("rf 9", 1, "test")].shape == (4, 32, 32)
    again = run(configs[:1], seeds=[1], train_data=train, eval_data={"test": test},
                num_classes=2, progress=False)
    assert again.runs[0].metrics == table.runs[1].metrics  # same seed, same numbers
    summary = summarize(table)
    assert set(summary.intervals) == {"rf 5", "rf 9"} and summary.intervals["rf 5"].n == 2
    assert "rf 9" in str(table)
