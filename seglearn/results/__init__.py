"""Stored runs of experiments too slow to train in a chapter, shipped with the package so
that a chapter can show them on Colab too (the CSV files beside this module, written by
:meth:`seglearn.protocol.ResultsTable.to_csv`).

Chapters: book/experiments, book/loss_comparison, book/multiclass, book/encoder_decoder
(and the other architecture chapters, through :func:`architecture_controls`)
"""

from __future__ import annotations

from importlib.resources import as_file, files

from ..intervals import mean_interval, paired_difference
from ..protocol import ResultsTable, Run

__all__ = ["architecture_controls", "architecture_table", "architectures_shapes", "chosen_on_val",
           "comparison_result", "loss_comparison", "multiclass_losses", "paired_controls",
           "shape_calibration"]

LOSS_COMPARISON_DATA = ("triangles", "sparse")


def shape_calibration() -> ResultsTable:
    """The 14 runs of the shape scenes' calibration, as measured by
    ``benchmarks/calibrate_shapes.py`` (2026-12-02, torch 2.14.1, one CPU thread).

    DilatedNet (1, 2, 4) (receptive field 15 px) and a depth-3 U-Net (base 16 channels),
    16 epochs of the 2000 training scenes with Adam, flips and right-angle rotations and
    square-root inverse-frequency weighted cross-entropy: the learning rate of each chosen
    from (1e-3, 3e-3) on ``"val"`` with seed 0, then the chosen configuration trained on
    seeds 0-4 and scored on ``"test"``. Metrics as MATLAB names them, rounded to 4
    decimals; ``seconds`` is each run's training time.

    Returns:
        A :class:`seglearn.protocol.ResultsTable` without predictions.

    Chapter: book/experiments
    """
    with as_file(files(__name__) / "calibrate_shapes.csv") as path:
        return ResultsTable.from_csv(path)


def loss_comparison(data: str = "triangles", optimizer: str = "adam") -> ResultsTable:
    """The runs of *The losses compared*, as measured by ``benchmarks/compare_losses.py``
    (2026-12-02, torch 2.14.1, one thread of a 2-core AMD EPYC; two jobs side by side).

    Twenty losses (:data:`seglearn.comparison.FAMILY`), each training
    ``DilatedNet(channels=8)`` for 20 epochs of the 200 training images in batches of 32
    (:func:`seglearn.comparison.train_once`) at the learning rates of
    :data:`seglearn.comparison.LEARNING_RATES`. Configurations are named ``"<loss>
    lr=<rate>"``; every run is scored on ``"val"`` and ``"test"``
    (:func:`seglearn.comparison.score`: MATLAB's five metrics, ``precision``, ``recall``,
    ``HD95``, ``missed``, ``ECE``, ``Brier``; 5 decimals; ``seconds`` is the training time).
    Each rate was trained on seeds 0-4 (``"triangles"``) or 0-2 (``"sparse"``, and SGD);
    the rate with the best mean val MeanIoU over those seeds was then trained up to seed
    9. The SGD runs (2026-12-04 for the rate 1.0 and for eight of the losses) cover all
    twenty losses; where the rate 1.0, added to a first grid that ended at 0.3, won on
    val, the seeds 3-9 of the first grid's choice were dropped.

    Args:
        data: ``"triangles"`` (the book's 32×32 images) or ``"sparse"`` (the same triangles
            in 64×64 images, about 1.3 % foreground).
        optimizer: ``"adam"``, or ``"sgdm"`` (SGD with momentum 0.9; triangles only).

    Returns:
        A :class:`seglearn.protocol.ResultsTable` without predictions.

    Raises:
        ValueError: another ``data`` or ``optimizer``, or ``"sgdm"`` with ``"sparse"``.

    Chapter: book/loss_comparison
    """
    if data not in LOSS_COMPARISON_DATA or optimizer not in ("adam", "sgdm") or (
            optimizer == "sgdm" and data != "triangles"):
        raise ValueError(f"data must be one of {LOSS_COMPARISON_DATA} and optimizer 'adam' or "
                         f"'sgdm' (triangles only), got {data!r}, {optimizer!r}")
    name = f"compare_losses_{data}" + ("_sgdm" if optimizer == "sgdm" else "")
    with as_file(files(__name__) / f"{name}.csv") as path:
        return ResultsTable.from_csv(path)


def chosen_on_val(table: ResultsTable, names=None, rates=None, seeds=None,
                  metric: str = "MeanIoU") -> tuple[dict[str, float], ResultsTable]:
    """The protocol's result from stored runs: per name, the learning rate with the best mean
    **val** ``metric`` over the choice seeds, and the **test** runs at that rate, renamed to
    the name (the test set scores the chosen configuration only).

    Args:
        table: runs named ``"<name> lr=<rate>"`` on ``"val"`` and ``"test"``.
        names: the names to choose for (default: every name in ``table``, in order of
            first appearance); the result keeps this order.
        rates: the grid to choose from (default: every rate ``table`` holds for the name).
        seeds: the choice seeds (default: the seeds that every rate of the grid holds).
        metric: the val metric to maximise.

    Returns:
        ``(rates, test_runs)``: name -> chosen rate, and a ResultsTable of test runs.

    Raises:
        KeyError: a name, a rate of the grid, or a choice seed without val runs.

    Chapters: book/loss_comparison, book/multiclass, book/encoder_decoder
    (and the other architecture chapters, through :func:`architecture_controls`)
    """
    grid: dict[str, dict[float, dict[int, float]]] = {}
    for r in table.runs:
        name, _, lr = r.configuration.rpartition(" lr=")
        if r.split == "val" and name:
            grid.setdefault(name, {}).setdefault(float(lr), {})[r.seed] = r.metrics[metric]
    chosen = {}
    for name in grid if names is None else names:
        by_rate = grid.get(name, {})
        lrs = list(by_rate) if rates is None else [float(lr) for lr in rates]
        held = [set(by_rate.get(lr, ())) for lr in lrs]
        use = set.intersection(*held) if seeds is None and held else set(seeds or ())
        if not use or any(not use <= h for h in held):
            raise KeyError(f"no {metric!r} runs of {name!r} on val at every rate of {lrs} "
                           f"and choice seed of {sorted(use) or seeds}")
        chosen[name] = max(lrs, key=lambda lr, v=by_rate: sum(v[lr][s] for s in use))
    runs = [Run(n, r.seed, r.split, r.metrics, r.seconds) for n, lr in chosen.items()
            for r in table.runs if r.split == "test" and r.configuration == f"{n} lr={lr:g}"]
    return chosen, ResultsTable(runs)


def comparison_result(data: str = "triangles", optimizer: str = "adam"
                      ) -> tuple[dict[str, float], ResultsTable]:
    """The protocol's result of *The losses compared*, for one data set and optimizer: per
    loss, the learning rate with the best mean **val** MeanIoU over the seeds on which
    every rate was trained, and the **test** runs at that rate (ten seeds), renamed to the
    loss. On ``"triangles"`` with Adam it also holds the nearest controls of
    :data:`seglearn.comparison.CONTROLS` (``benchmarks/compare_losses.py --controls``,
    the same protocol, 2026-12-03).

    Returns:
        ``(rates, test_runs)``: loss -> chosen rate, and a ResultsTable of test runs.

    Raises:
        ValueError: what :func:`loss_comparison` raises.

    Chapters: book/loss_comparison, book/loss_cross_entropy, book/loss_focal
    (and every loss chapter, through :func:`paired_controls`)
    """
    table = loss_comparison(data, optimizer)
    if (data, optimizer) == ("triangles", "adam"):
        with as_file(files(__name__) / "compare_controls_triangles.csv") as path:
            table.runs.extend(ResultsTable.from_csv(path).runs)
    return chosen_on_val(table)


def paired_controls(pairs, data: str = "triangles", optimizer: str = "adam",
                    metric: str = "MeanIoU") -> dict[str, dict[str, str]]:
    """Each loss against its nearest control, from :func:`comparison_result`: rows for
    :class:`seglearn.plot.Table`, one per ``(loss, control)`` pair of ``pairs``, with both
    means ± the half-width of their 95 % t intervals over the ten test seeds, the paired
    difference loss − control (same seeds, so same initial weights and data order) ± its
    half-width, and whether its interval excludes 0 (``"resolved"``). Values to 4
    decimals; the metric's direction (higher or lower is better) is the reader's.

    Raises:
        KeyError: a loss, control or metric that the stored runs do not hold.
        ValueError: the metric is NaN in some run (HD95 of a run that predicted no
            triangle in any image, e.g. seed 5 of Dice + Hausdorff on ``"sparse"``).

    Chapters: book/loss_cross_entropy, book/loss_focal, book/loss_dice, book/loss_tversky
    (every loss chapter, in its section "Against its nearest control")
    """
    return _paired_rows(*comparison_result(data, optimizer), pairs, metric)


def _pm(iv) -> str:
    """``mean ± half-width`` of an :class:`~seglearn.intervals.Interval`, 4 decimals."""
    return f"{iv.mean:.4f} ± {iv.high - iv.mean:.4f}"


def _paired_cells(runs: ResultsTable, name: str, control: str, metric: str
                  ) -> tuple[str, str, str, str]:
    """Both test means, the paired difference name − control and whether it is resolved."""
    a, b = runs.values(name, "test", metric), runs.values(control, "test", metric)
    diff = paired_difference(a, b)
    return (_pm(mean_interval(list(a.values()))), _pm(mean_interval(list(b.values()))),
            f"{diff.mean:+.4f} ± {diff.high - diff.mean:.4f}",
            "resolved" if diff.excludes_zero else "not resolved")


def _paired_rows(rates: dict[str, float], runs: ResultsTable, pairs, metric: str
                 ) -> dict[str, dict[str, str]]:
    rows = {}
    for name, control in pairs:
        mean, control_mean, diff, verdict = _paired_cells(runs, name, control, metric)
        rows[f"{name} − {control}"] = {
            f"{metric}": mean, f"control {metric}": control_mean, "difference": diff,
            "": verdict, "lr (val)": f"{rates[name]:g} / {rates[control]:g}",
        }
    return rows


def multiclass_losses() -> ResultsTable:
    """The runs of the experiment in *Multi-class segmentation*, as measured by
    ``benchmarks/multiclass_losses.py`` (2026-12-02, torch 2.14.1, two jobs on a 2-core AMD
    EPYC, one thread each).

    Five losses (:data:`seglearn.multiclass.LOSSES`), each training
    :func:`seglearn.multiclass.unet` at :data:`seglearn.multiclass.RECIPE` on the 2000
    training scenes. Configurations are named ``"<loss> lr=<rate>"``; every run is scored
    on ``"val"`` and ``"test"`` (:func:`seglearn.multiclass.score`: MATLAB's five metrics,
    per-class ``IoU`` and ``Accuracy``, confusion counts; 5 decimals; ``seconds`` is the
    training time). Each rate of :data:`seglearn.multiclass.LEARNING_RATES` was trained on
    seeds 0-1; the rate with the best mean val MeanIoU was then trained on seeds 2-4.

    Returns:
        A :class:`seglearn.protocol.ResultsTable` without predictions.

    Chapter: book/multiclass
    """
    with as_file(files(__name__) / "multiclass_losses.csv") as path:
        return ResultsTable.from_csv(path)


def architectures_shapes() -> ResultsTable:
    """The runs of the architecture chapters' experiment on the shape scenes, as measured by
    ``benchmarks/multiclass_losses.py --networks`` (2026-12-04, torch 2.14.1, two jobs on a
    2-core AMD EPYC, one thread each), with the U-Net's runs of :func:`multiclass_losses`.

    Each network of :data:`seglearn.multiclass.NETWORKS` trained with square-root
    inverse-frequency weighted cross-entropy at :data:`seglearn.multiclass.RECIPE` on the
    2000 training scenes; configurations are named ``"<network> lr=<rate>"``. Each rate of
    (1e-3, 3e-3, 1e-2, 3e-2) was trained on seeds 0-1; the rate with the best mean val
    MeanIoU was then trained on seeds 2-4. Every run is scored on ``"val"`` and
    ``"test"`` (the metrics of :func:`seglearn.multiclass.score`). The U-Net rows are the
    ``"weighted CE"`` runs of :func:`multiclass_losses` at 1e-3, 3e-3 and 1e-2 (the same
    loss, recipe and protocol; its choice, 1e-3, lies inside that grid).

    Returns:
        A :class:`seglearn.protocol.ResultsTable` without predictions.

    Chapters: book/dilated_convolution, book/receptive_fields, book/encoder_decoder
    (and book/aspp_deeplab)
    """
    with as_file(files(__name__) / "architectures_shapes.csv") as path:
        table = ResultsTable.from_csv(path)
    table.runs.extend(Run("U-Net" + r.configuration[len("weighted CE"):], r.seed, r.split,
                          r.metrics, r.seconds) for r in multiclass_losses().runs
                      if r.configuration in ("weighted CE lr=0.001", "weighted CE lr=0.003",
                                             "weighted CE lr=0.01"))
    return table


def architecture_controls(network: str, control: str,
                          metrics=("MeanIoU", "MeanBFScore")) -> dict[str, dict[str, str]]:
    """One network against its nearest control on the shape scenes: rows for
    :class:`seglearn.plot.Table`, one per metric, with both means ± the half-width of their
    95 % t intervals over the five test seeds, the paired difference network − control ±
    its half-width, and whether its interval excludes 0 (``"resolved"``); 4 decimals. The
    rate of each network is chosen on val (:func:`chosen_on_val` over
    :func:`architectures_shapes`). A seed fixes the data order and augmentation of both
    networks, not their initial weights (they differ in shape).

    Args:
        network, control: names of :data:`seglearn.multiclass.NETWORKS`.
        metrics: metrics of :func:`seglearn.multiclass.score`, e.g. ``"IoU triangle"``.

    Raises:
        KeyError: a network or metric that the stored runs do not hold.

    Chapters: book/dilated_convolution, book/receptive_fields, book/encoder_decoder
    (and book/aspp_deeplab)
    """
    _, runs = chosen_on_val(architectures_shapes(), [network, control])
    rows = {}
    for metric in metrics:
        mean, control_mean, diff, verdict = _paired_cells(runs, network, control, metric)
        rows[metric] = {network: mean, control: control_mean, "difference": diff, "": verdict}
    return rows


def architecture_table(names, metrics=("MeanIoU", "MeanBFScore", "IoU triangle")
                       ) -> dict[str, dict[str, str]]:
    """Networks side by side on the shape scenes: rows for :class:`seglearn.plot.Table`,
    one per network of ``names``, each metric's test mean ± the half-width of its 95 % t
    interval over the five seeds (4 decimals), and the learning rate chosen on val.

    Args:
        names: names of :data:`seglearn.multiclass.NETWORKS`.
        metrics: metrics of :func:`seglearn.multiclass.score`.

    Raises:
        KeyError: a network or metric that the stored runs do not hold.

    Chapters: book/receptive_fields, book/encoder_decoder, book/aspp_deeplab
    """
    rates, runs = chosen_on_val(architectures_shapes(), names)
    rows = {}
    for name in names:
        rows[name] = {}
        for metric in metrics:
            per_seed = runs.values(name, "test", metric)
            rows[name][metric] = _pm(mean_interval(list(per_seed.values())))
        rows[name]["lr (val)"] = f"{rates[name]:g}"
    return rows
