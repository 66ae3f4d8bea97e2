"""Draw the landing page's figure, book/figures/overview.png: image, true mask, prediction.

Usage (from the repository root, in the environment where seglearn is installed)::

    python scripts/make_overview_figure.py          # about 4 minutes on one CPU thread

Top row: a test triangle image and MATLAB's dilated network trained with the book's MATLAB
recipe for 20 epochs. Bottom row: a test shape scene and the calibrated U-Net (depth 3,
base 16; benchmarks/calibrate_shapes.py) trained for 8 of its 16 epochs on the 2000
training scenes. Both trainings are short on purpose (the figure illustrates what
the networks are asked to do; the chapters measure how well they do it), seeded, on the
CPU, so the figure is the same on every run of the same torch version.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from seglearn.data import class_weights, count_each_label, load_triangles  # noqa: E402
from seglearn.losses import CrossEntropyLoss  # noqa: E402
from seglearn.models import DilatedNet, UNet  # noqa: E402
from seglearn.shapes import SHAPE_CLASSES, SHAPE_PALETTE, load_shapes  # noqa: E402
from seglearn.train import MATLAB_RECIPE, fit, segment, set_seed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "book" / "figures" / "overview.png"


def _train(model, images, masks, names, **recipe):
    weights = class_weights(count_each_label(masks, names)) ** 0.5
    set_seed(0)
    fit(model, images, masks, loss=CrossEntropyLoss(class_weights=weights), device="cpu",
        seed=0, progress=False, **recipe)
    return model


def main() -> None:
    tri_x, tri_y = load_triangles("train")
    tri_tx, tri_ty = load_triangles("test")
    tri_net = _train(DilatedNet(), tri_x, tri_y, ["background", "triangle"],
                     **{**MATLAB_RECIPE, "epochs": 20})
    sh_x, sh_y = load_shapes("train")
    sh_tx, sh_ty = load_shapes("test")
    sh_net = _train(UNet(1, len(SHAPE_CLASSES), base_channels=16, depth=3), sh_x, sh_y,
                    list(SHAPE_CLASSES), epochs=8, batch_size=16, lr=1e-3, optimizer="adam",
                    lr_drop_period=6, augment=True)

    rows = [
        ("triangles", tri_tx[3, 0], tri_ty[3], segment(tri_net, tri_tx[3:4])[0],
         ["background", "triangle"], [(0, 0, 0), (255, 215, 0)]),
        ("shape scenes", sh_tx[1, 0], sh_ty[1], segment(sh_net, sh_tx[1:2])[0],
         list(SHAPE_CLASSES), list(SHAPE_PALETTE)),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(6.8, 4.9), layout="constrained")
    for r, (name, image, mask, pred, classes, colours) in enumerate(rows):
        cmap = ListedColormap(np.array(colours) / 255)
        axes[r, 0].imshow(image, cmap="gray", vmin=0, vmax=1)
        axes[r, 1].imshow(mask, cmap=cmap, vmin=0, vmax=len(classes) - 1,
                          interpolation="nearest")
        axes[r, 2].imshow(pred, cmap=cmap, vmin=0, vmax=len(classes) - 1,
                          interpolation="nearest")
        axes[r, 0].set_ylabel(name, fontsize=11)
        handles = [Patch(color=np.array(c) / 255, label=n)
                   for n, c in zip(classes, colours, strict=True)]
        axes[r, 2].legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5),
                          fontsize=9, frameon=False)
    for c, title in enumerate(["image", "true mask", "prediction"]):
        axes[0, c].set_title(title, fontsize=11)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=100, facecolor="white", metadata={"Software": None})
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
