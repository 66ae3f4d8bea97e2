"""Stored runs of experiments too slow to train in a chapter, shipped with the package so
that a chapter can show them on Colab too (the CSV files beside this module, written by
:meth:`seglearn.protocol.ResultsTable.to_csv`).

Chapter: book/experiments
"""

from __future__ import annotations

from importlib.resources import as_file, files

from ..protocol import ResultsTable

__all__ = ["shape_calibration"]


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
