"""The exercise answers of book/loss_comparison that need trainings (3 and 4).

Both use the race's recipe (``seglearn.comparison``: ``DilatedNet(channels=8)``, Adam,
batches of 32, 20 epochs of the 200 training triangles; ``train_once`` and ``score``).

3. Tversky with α = β = ½ trained at Dice's chosen rate (0.1) on seed 0, against Dice
   trained here the same way and against the stored Dice run
   (``seglearn.results.loss_comparison("triangles")``): test MeanIoU to five decimals.
4. Cross-entropy plus generalized Dice raced as the benchmark races a loss: every rate of
   ``LEARNING_RATES["adam"]`` on seeds 0-4, the rate with the best mean val MeanIoU chosen
   and trained on seeds 5-9; its ten test MeanIoUs against Dice (lr 0.1) and generalized
   Dice (lr 0.03) trained here on the same ten seeds (paired differences), and against the
   stored runs of those two.

Run from the repository root:
``OMP_NUM_THREADS=1 python benchmarks/exercises/loss_comparison.py``

Measured 2026-12-04 (torch 2.14.1+cu130, one thread of a 2-core AMD EPYC, machine shared
with other jobs):
3. test MeanIoU: Tversky (0.5, 0.5) 0.94094, Dice here 0.94094, Dice stored 0.94094.
4. val means over seeds 0-4: 0.003: 0.9402, 0.01: 0.9452, 0.03: 0.9467, 0.1: 0.9438 ->
   lr 0.03. Ten test seeds: CE + generalized Dice 0.9461 [0.9433, 0.9489], Dice (here)
   0.9409 [0.9389, 0.9430], generalized Dice (here) 0.9480 [0.9464, 0.9495]; minus Dice
   +0.0052 [+0.0016, +0.0088], minus generalized Dice -0.0018 [-0.0042, +0.0005]; against
   the stored runs +0.0054 [+0.0031, +0.0077] and -0.0019 [-0.0042, +0.0003].
Total run time 269 s (47 trainings of 4-7 s).
"""

from __future__ import annotations

import time

import numpy as np
from _common import header, report

from seglearn.comparison import LEARNING_RATES, load_comparison_data, score, train_once
from seglearn.intervals import paired_difference
from seglearn.losses import (
    DiceLoss,
    GeneralizedDiceLoss,
    TverskyLoss,
    cross_entropy_loss,
    generalized_dice_loss,
)
from seglearn.results import loss_comparison


def ce_plus_gdl():
    return lambda logits, masks: (cross_entropy_loss(logits, masks)
                                  + generalized_dice_loss(logits, masks))


def main() -> None:
    header("book/loss_comparison exercises 3 and 4")
    start = time.perf_counter()
    data = load_comparison_data("triangles")
    stored = loss_comparison("triangles")

    def trained(make, lr, seed):
        net, seconds = train_once(make, data, lr=lr, seed=seed)
        return {split: score(net, *data[split]) for split in ("val", "test")}, seconds

    print("3. Tversky (0.5, 0.5) against Dice, lr 0.1, seed 0 (test MeanIoU)")
    tversky, _ = trained(lambda: TverskyLoss(alpha=0.5, beta=0.5), 0.1, 0)
    dice0, _ = trained(lambda: DiceLoss(), 0.1, 0)
    kept = stored.values("Dice lr=0.1", "test")[0]
    print(f"  Tversky {tversky['test']['MeanIoU']:.5f}, Dice here "
          f"{dice0['test']['MeanIoU']:.5f}, Dice stored {kept:.5f}", flush=True)

    print("4. cross-entropy + generalized Dice, raced")
    val: dict[float, dict[int, float]] = {}
    runs: dict[float, dict[int, dict]] = {}
    for lr in LEARNING_RATES["adam"]:
        for seed in range(5):
            r, seconds = trained(ce_plus_gdl, lr, seed)
            val.setdefault(lr, {})[seed] = r["val"]["MeanIoU"]
            runs.setdefault(lr, {})[seed] = r["test"]
            print(f"  lr {lr:g} seed {seed}: val {r['val']['MeanIoU']:.4f}, test "
                  f"{r['test']['MeanIoU']:.4f} ({seconds:.1f} s)", flush=True)
    means = {lr: float(np.mean(list(v.values()))) for lr, v in val.items()}
    best = max(means, key=means.get)
    print("  val means: " + ", ".join(f"{lr:g}: {m:.4f}" for lr, m in means.items())
          + f" -> lr {best:g}")
    for seed in range(5, 10):
        r, _ = trained(ce_plus_gdl, best, seed)
        runs[best][seed] = r["test"]
    res = {"CE + generalized Dice": runs[best]}
    for name, make, lr in (("Dice", lambda: DiceLoss(), 0.1),
                           ("generalized Dice", lambda: GeneralizedDiceLoss(), 0.03)):
        res[name] = {s: trained(make, lr, s)[0]["test"] for s in range(10)}
        print(f"  {name} lr {lr:g} trained here, seeds 0-9", flush=True)
    report(res, against="Dice")
    gdl = {s: r["MeanIoU"] for s, r in res["generalized Dice"].items()}
    mine = {s: r["MeanIoU"] for s, r in res["CE + generalized Dice"].items()}
    print(f"MeanIoU CE + generalized Dice - generalized Dice: "
          f"{paired_difference(mine, gdl).signed()}")
    for name, lr in (("Dice", 0.1), ("generalized Dice", 0.03)):
        kept = stored.values(f"{name} lr={lr:g}", "test")
        print(f"against the stored {name} runs: {paired_difference(mine, kept).signed()}")
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
