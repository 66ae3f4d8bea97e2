"""An experiment protocol that tells a real difference from seed-to-seed noise.

One training is one draw: another seed gives another initialisation, batch order and
score. So:

1. build each candidate as a :class:`Configuration` (seed -> model, loss, recipe) and its
   variants with :func:`grid` (a learning rate from a small grid, a number of epochs);
2. :func:`run` them on a few seeds and :func:`choose` the best on the **validation**
   split (it refuses the test split);
3. :func:`run` each chosen configuration on n seeds, scored once on **test**;
4. :func:`summarize`: per configuration the mean, sd and 95 % Student-t interval over
   seeds; per pair the paired difference over the same seeds, *resolved* when its interval
   excludes 0 (the statistics: :mod:`seglearn.intervals`).

Seed intervals answer "would another seed change the ranking?"; the bootstrap over test
images (:func:`~seglearn.intervals.bootstrap_interval`) answers "are there enough test
images?". Many comparisons at 95 % each find some difference by chance: the summary lists
every pair, so that a reader sees how many were made.

Chapter: book/experiments
"""

from __future__ import annotations

import csv
import inspect
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from .intervals import Interval, bootstrap_interval, mean_interval, paired_difference
from .metrics import DATASET_COLUMNS, evaluate_semantic_segmentation
from .train import fit, segment, set_seed

__all__ = [
    "Configuration", "grid", "Run", "ResultsTable", "run", "choose", "Interval",
    "mean_interval", "paired_difference", "bootstrap_interval", "Summary", "summarize",
]

Data = tuple[torch.Tensor, torch.Tensor]
_PROTOCOL_KEYS = {"model", "images", "masks", "loss", "val_data", "device", "seed", "progress"}
_RECIPE_KEYS = frozenset(inspect.signature(fit).parameters) - _PROTOCOL_KEYS


@dataclass(frozen=True)
class Configuration:
    """What one training run needs besides its seed.

    Attributes:
        name: the row label in tables (unique within a comparison).
        model: builds a fresh model; called right after :func:`seglearn.train.set_seed`
            with the run's seed, so the seed fixes the initialisation.
        loss: ``loss(logits, masks) -> scalar``.
        recipe: keyword arguments of :func:`seglearn.train.fit` (``epochs`` required);
            ``seed``, ``device`` and the data are the protocol's.

    Raises:
        ValueError: an empty name, a recipe key ``fit`` does not take, no ``epochs``.

    Chapter: book/experiments
    """

    name: str
    model: Callable[[], nn.Module]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    recipe: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string, got {self.name!r}")
        unknown = set(self.recipe) - _RECIPE_KEYS
        if unknown:
            raise ValueError(f"recipe keys {sorted(unknown)} are not fit() settings "
                             f"(known: {sorted(_RECIPE_KEYS)})")
        if "epochs" not in self.recipe:
            raise ValueError(f"recipe of {self.name!r} must set 'epochs', got {dict(self.recipe)}")
        object.__setattr__(self, "recipe", MappingProxyType(dict(self.recipe)))


def grid(config: Configuration, setting: str, values: Iterable[object]) -> list[Configuration]:
    """Variants of ``config`` with ``recipe[setting]`` set to each value, named
    ``"<name> <setting>=<value>"``.

    Raises:
        ValueError: ``setting`` is not a recipe key; no values.

    Chapter: book/experiments
    """
    values = list(values)
    if setting not in _RECIPE_KEYS or not values:
        raise ValueError(f"setting must be one of {sorted(_RECIPE_KEYS)} with at least one "
                         f"value, got {setting!r} with {values}")
    return [replace(config, name=f"{config.name} {setting}={v}",
                    recipe={**config.recipe, setting: v}) for v in values]


@dataclass(frozen=True)
class Run:
    """One row of a :class:`ResultsTable`: a configuration trained with one seed, scored on
    one split. ``metrics``: MATLAB's five data-set metrics (floats in [0, 1], NaN per the
    metrics' NaN policy); ``seconds``: wall-clock training time of that seed.

    Chapter: book/experiments
    """

    configuration: str
    seed: int
    split: str
    metrics: Mapping[str, float]
    seconds: float


@dataclass
class ResultsTable:
    """Every run of an experiment, one :class:`Run` per (configuration, seed, split), and
    each run's predicted label maps (uint8 ``(N, H, W)``) under ``predictions[(configuration,
    seed, split)]`` for :func:`bootstrap_interval` and overlays.

    Chapter: book/experiments
    """

    runs: list[Run] = field(default_factory=list)
    predictions: dict[tuple[str, int, str], torch.Tensor] = field(default_factory=dict)

    def values(self, configuration: str, split: str, metric: str = "MeanIoU") -> dict[int, float]:
        """``{seed: value}`` of one metric for one configuration on one split.
        Raises KeyError: no such runs (the message names some configurations held)."""
        out = {r.seed: float(r.metrics[metric]) for r in self.runs
               if r.configuration == configuration and r.split == split and metric in r.metrics}
        if not out:
            held = sorted({r.configuration for r in self.runs})
            raise KeyError(f"no {metric!r} runs of {configuration!r} on {split!r}; the table "
                           f"holds {len(held)} configurations: {', '.join(held[:6])}"
                           + (", ..." if len(held) > 6 else ""))
        return out

    def records(self) -> list[dict[str, object]]:
        """One flat dict per run (``pandas.DataFrame(table.records())`` makes a frame)."""
        return [{"configuration": r.configuration, "seed": r.seed, "split": r.split,
                 **r.metrics, "seconds": r.seconds} for r in self.runs]

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write :meth:`records` (not the predictions) to a CSV file: configuration, seed,
        split, the metrics (MATLAB's first, then others; ``nan`` where a run lacks one),
        seconds; floats are written exactly, so :meth:`from_csv` gives them back."""
        cols = [c for c in DATASET_COLUMNS if any(c in r.metrics for r in self.runs)]
        cols += list(dict.fromkeys(c for r in self.runs for c in r.metrics if c not in cols))
        with open(path, "w", newline="") as f:
            out = csv.DictWriter(f, ["configuration", "seed", "split", *cols, "seconds"],
                                 restval="nan")
            out.writeheader(), out.writerows(self.records())

    @classmethod
    def from_csv(cls, path: str | os.PathLike) -> ResultsTable:
        """Read a file written by :meth:`to_csv` (e.g. a benchmark's runs, for a chapter
        that cannot afford to train them). Raises ValueError: a missing column."""
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        need = {"configuration", "seed", "split", "seconds"}
        if not rows or not need <= set(rows[0]):
            raise ValueError(f"{path}: need rows with columns {sorted(need)} and metrics")
        return cls([Run(r["configuration"], int(r["seed"]), r["split"], {
            c: float(v) for c, v in r.items() if c not in need}, float(r["seconds"]))
            for r in rows])

    def __add__(self, other: ResultsTable) -> ResultsTable:
        return ResultsTable(self.runs + other.runs, {**self.predictions, **other.predictions})

    def __str__(self) -> str:
        """One line per run: configuration, seed, split, MeanIoU (and MeanBFScore where
        measured), seconds; :meth:`records` holds every metric."""
        width = max([len("configuration"), *(len(r.configuration) for r in self.runs)])
        cols = [c for c in ("MeanIoU", "MeanBFScore") if any(c in r.metrics for r in self.runs)]
        lines = [f"{'configuration':<{width}}  seed  split  " + "  ".join(cols) + "  seconds"]
        lines += [f"{r.configuration:<{width}}  {r.seed:>4}  {r.split:<5}  " + "  ".join(
            f"{r.metrics.get(c, math.nan):>{len(c)}.4f}" for c in cols) + f"  {r.seconds:7.1f}"
            for r in self.runs]
        return "\n".join(lines)


def run(
    configs: Sequence[Configuration],
    *,
    seeds: Iterable[int],
    train_data: Data,
    eval_data: Mapping[str, Data],
    num_classes: int,
    bf_score: bool = False,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> ResultsTable:
    """Train every configuration once per seed, score each model on every split given.

    Args:
        configs: the configurations (distinct names); seeds: ints, the same for all, so
            that results can be paired.
        train_data: ``(images, masks)``: float32 ``(N, C, H, W)`` in [0, 1], int64
            ``(N, H, W)``; eval_data: split name -> ``(images, masks)``, e.g.
            ``{"val": val}`` while choosing settings, ``{"test": test}`` once chosen.
        num_classes: K; bf_score: also compute MeanBFScore (the slowest metric).
        device: see :func:`seglearn.train.choose_device`; progress: a ``tqdm.auto`` bar
            over the runs (``TQDM_DISABLE=1`` silences it).

    Returns:
        The :class:`ResultsTable`.

    Raises:
        ValueError: no configurations or seeds, duplicate names, no splits to score;
            and what :func:`seglearn.train.fit` raises.

    Chapter: book/experiments
    """
    from tqdm.auto import tqdm

    seeds = [int(s) for s in seeds]
    names = [c.name for c in configs]
    if not configs or not seeds or not eval_data or len(set(names)) != len(names):
        raise ValueError(f"need configurations with distinct names, seeds and splits, got "
                         f"{names}, {seeds}, {list(eval_data)}")
    quiet = not progress or os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true")
    table = ResultsTable()
    for config, seed in tqdm([(c, s) for c in configs for s in seeds], disable=quiet):
        set_seed(seed)
        model, start = config.model(), time.perf_counter()
        fit(model, *train_data, loss=config.loss, **config.recipe, device=device, seed=seed,
            progress=False)
        seconds = time.perf_counter() - start
        for split, (images, masks) in eval_data.items():
            preds = segment(model, images)
            result = evaluate_semantic_segmentation(preds, masks, num_classes=num_classes,
                                                    bf_score=bf_score)
            metrics = {k: v for k, v in result.as_dict().items()
                       if bf_score or k != "MeanBFScore"}
            table.runs.append(Run(config.name, seed, split, metrics, seconds))
            table.predictions[(config.name, seed, split)] = preds.to(torch.uint8)
    return table


def choose(
    configs: Sequence[Configuration], table: ResultsTable, *, split: str = "val",
    metric: str = "MeanIoU",
) -> Configuration:
    """The configuration with the highest mean ``metric`` over seeds on ``split``.

    Raises:
        ValueError: ``split == "test"`` (the test set chooses nothing), no configurations.
        KeyError: a configuration without runs on ``split``.

    Chapter: book/experiments
    """
    if split == "test":
        raise ValueError("settings are chosen on the validation split; the test split "
                         "only scores the configurations chosen")
    if not configs:
        raise ValueError("need at least one configuration to choose from")
    means = [np.mean(list(table.values(c.name, split, metric).values())) for c in configs]
    return configs[int(np.argmax(means))]


@dataclass(frozen=True)
class Summary:
    """Per configuration an :class:`Interval` over seeds; per pair ``(a, b)`` the paired
    difference ``a - b`` and whether it is resolved (its interval excludes 0).
    ``str(summary)`` prints both tables.

    Chapter: book/experiments
    """

    split: str
    metric: str
    intervals: Mapping[str, Interval]
    differences: Mapping[tuple[str, str], Interval]

    def resolved(self, a: str, b: str) -> bool:
        """Whether the paired difference of ``a`` and ``b`` excludes 0 (either order)."""
        key = (a, b) if (a, b) in self.differences else (b, a)
        return self.differences[key].excludes_zero

    def __str__(self) -> str:
        """Both tables, at most 76 characters wide where the names allow (a pair whose
        names are long gets its numbers on the next line)."""
        width = max(len(n) for n in self.intervals) + 2
        ivs = list(self.intervals.values())
        ns, pct = {iv.n for iv in ivs}, f"{100 * ivs[0].confidence:g} %"
        same_n = len(ns) == 1
        seeds = f"{ivs[0].n} seeds" if same_n else "seeds (n of each)"
        lines = [f"{self.metric} on {self.split}: mean [{pct} t interval], sd; {seeds}"]
        lines += [f"  {name:<{width}}{iv.mean:.4f} [{iv.low:.4f}, {iv.high:.4f}], sd "
                  f"{iv.sd:.4f}" + ("" if same_n else f", n={iv.n}")
                  for name, iv in self.intervals.items()]
        if self.differences:
            lines.append("paired differences a - b (same seeds):")
        for (a, b), iv in self.differences.items():
            verdict = "resolved" if iv.excludes_zero else "not resolved"
            pair, numbers = f"  {a} - {b}:", f"{iv.signed()} {verdict}"
            fits = len(pair) + 1 + len(numbers) <= 76
            lines += [f"{pair} {numbers}"] if fits else [pair, f"    {numbers}"]
        return "\n".join(lines)


def summarize(
    table: ResultsTable, *, split: str = "test", metric: str = "MeanIoU",
    confidence: float = 0.95,
) -> Summary:
    """Intervals per configuration and paired differences for every pair, on one split.

    Raises:
        KeyError: no runs of ``metric`` on ``split``.
        ValueError: two configurations that were not run on the same seeds.

    Chapter: book/experiments
    """
    names = list(dict.fromkeys(r.configuration for r in table.runs if r.split == split))
    if not names:
        raise KeyError(f"no runs on split {split!r}")
    values = {n: table.values(n, split, metric) for n in names}
    intervals = {n: mean_interval(list(v.values()), confidence=confidence)
                 for n, v in values.items()}
    diffs = {(a, b): paired_difference(values[a], values[b], confidence=confidence)
             for a, b in combinations(names, 2)}
    return Summary(split, metric, MappingProxyType(intervals), MappingProxyType(diffs))
