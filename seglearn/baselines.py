"""Results the chapters compare against, stated once: MATLAB's published metrics and the
book's own reference runs.

Every loss chapter puts its network next to two baselines in one table: what MATLAB's
example reports, and what the book's first training (weighted cross-entropy) scored; the
overlap-loss chapters add the Dice run. The values are copied here from the outputs of the
chapters that compute them, so that a later chapter quotes them without training again;
``tests/test_book.py`` checks them against those chapters' committed outputs, so a
re-executed chapter whose numbers moved fails the tests until this file follows.

All values are test-set metrics in ``[0, 1]`` under MATLAB's names
(:func:`seglearn.metrics.evaluate_semantic_segmentation`), plus the triangle class's
precision and recall (:func:`seglearn.metrics.precision_recall`) for the book's runs.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["MATLAB_PUBLISHED", "WEIGHTED_CE", "DICE"]

#: MATLAB's example "Semantic Segmentation Using Dilated Convolutions" (seed ``000``): its
#: dilated network trained with its Tversky loss (α = 0.7 on false positives, β = 0.3 on
#: false negatives), on MATLAB's ``triangleImages`` test set (100 images).
MATLAB_PUBLISHED = MappingProxyType({
    "GlobalAccuracy": 0.99674, "MeanAccuracy": 0.98562, "MeanIoU": 0.96447,
    "WeightedIoU": 0.99362, "MeanBFScore": 0.92831,
})

#: The book's ``DilatedNet`` trained with inverse-frequency weighted cross-entropy and
#: :data:`seglearn.train.MATLAB_RECIPE` (SGD with momentum, lr 1e-2, batches of 64,
#: 100 epochs, seed 0) on the generated triangles, on the CPU with torch 2.14: chapters
#: *Semantic segmentation with dilated convolutions* and *Cross-entropy: weighted and
#: balanced*. Another torch version or a GPU moves the third or fourth decimal.
WEIGHTED_CE = MappingProxyType({
    "GlobalAccuracy": 0.99187, "MeanAccuracy": 0.98743, "MeanIoU": 0.92866,
    "WeightedIoU": 0.98472, "MeanBFScore": 0.85242,
    "triangle precision": 0.8795, "triangle recall": 0.9824,
})

#: The same network and recipe trained with the soft Dice loss: chapter *Dice loss*.
DICE = MappingProxyType({
    "GlobalAccuracy": 0.99426, "MeanAccuracy": 0.96685, "MeanIoU": 0.94546,
    "WeightedIoU": 0.98878, "MeanBFScore": 0.89491,
    "triangle precision": 0.9554, "triangle recall": 0.9362,
})
