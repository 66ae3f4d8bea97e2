"""Run every chapter and the benchmarks on a CUDA machine in one call, and report speed.

Usage (from the repository root, in the environment where seglearn is installed)::

    python scripts/gpu_check.py                      # every chapter, then the benchmarks
    python scripts/gpu_check.py --chapters loss_dice metrics --skip-benchmarks
    python scripts/gpu_check.py --dry-run            # print the plan, run nothing
    python scripts/gpu_check.py --device cpu --chapters dilated_convolution  # CPU smoke test

Each chapter runs top to bottom in a fresh kernel with ``SEGLEARN_DEVICE`` set to
``--device`` (so a chapter cannot fall back to the CPU unnoticed), progress bars off. The
executed copies go to ``--out`` (default ``$OUT``, else ``_build/gpu_check``); the
committed notebooks and their CPU outputs are never touched. A first cell added to each
copy wraps :func:`seglearn.train.fit` to count the images it trains on and the seconds it
takes (synchronised), so the table gives per chapter: wall time, ``fit`` calls, images
trained and images per second inside ``fit``. A chapter that fails is reported and the
others still run. Then ``benchmarks/bench_fit.py``, ``bench_models.py`` and
``bench_losses.py`` run on the device; their output is printed and saved beside the
notebooks, with the table as ``gpu_check.json``. Exit status 1 if anything failed, 2 if
the device is not there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "SEGLEARN_GPU_CHECK "

# Added as the first cell of every executed copy: count what fit does, wherever it is
# imported from (the chapters import it after this cell runs; seglearn.protocol holds it).
INSTRUMENT = '''\
import functools as _ft, json as _json, sys as _sys, time as _time
import torch as _torch
import seglearn.train as _train
_GPU_CHECK = {"fit_calls": 0, "images": 0, "fit_seconds": 0.0, "device": None}
_fit = _train.fit


@_ft.wraps(_fit)
def _counted_fit(model, images, masks, **kwargs):
    start = _time.perf_counter()
    hist = _fit(model, images, masks, **kwargs)
    if _torch.cuda.is_available():
        _torch.cuda.synchronize()
    _GPU_CHECK["fit_seconds"] += _time.perf_counter() - start
    _GPU_CHECK["fit_calls"] += 1
    _GPU_CHECK["images"] += len(images) * hist.epochs
    _GPU_CHECK["device"] = hist.device
    return hist


for _mod in [m for n, m in list(_sys.modules.items()) if n.startswith("seglearn")]:
    if getattr(_mod, "fit", None) is _fit:
        _mod.fit = _counted_fit
'''
REPORT = f'print("{MARKER}" + _json.dumps(_GPU_CHECK))'
BENCHMARKS = ("bench_fit.py", "bench_models.py", "bench_losses.py")


def chapters(names: list[str]) -> list[Path]:
    """The chapters in the order of ``_toc.yml`` (then any other notebook in book/)."""
    found = sorted((ROOT / "book").glob("*.ipynb"))
    toc = ROOT / "_toc.yml"
    order = re.findall(r"file:\s*book/([\w-]+)", toc.read_text()) if toc.exists() else []
    rank = {stem: i for i, stem in enumerate(order)}
    found.sort(key=lambda p: (rank.get(p.stem, len(rank)), p.stem))
    if names:
        wanted = {Path(n).stem for n in names}
        unknown = wanted - {p.stem for p in found}
        if unknown:
            raise SystemExit(f"no such chapter in book/: {sorted(unknown)}")
        found = [p for p in found if p.stem in wanted]
    return found


def run_chapter(path: Path, out: Path, timeout: int) -> dict:
    """Execute an instrumented copy of one chapter; its row of the table."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(INSTRUMENT))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    row = {"chapter": path.stem, "status": "ok"}
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        row["status"] = "FAILED: " + (str(exc).strip().splitlines() or ["?"])[-1][:200]
    row["seconds"] = time.perf_counter() - start
    nbformat.write(nb, out / path.name)
    for output in nb.cells[-1].get("outputs", []):
        text = output.get("text", "")
        if MARKER in text:
            row.update(json.loads(text.split(MARKER, 1)[1].splitlines()[0]))
    return row


def print_table(rows: list[dict]) -> None:
    print(f"\n{'chapter':32s} {'seconds':>8s} {'fit calls':>9s} {'images':>9s} "
          f"{'fit s':>8s} {'images/s':>9s}  device  status")
    for r in rows:
        ips = r.get("images", 0) / r["fit_seconds"] if r.get("fit_seconds") else float("nan")
        print(f"{r['chapter']:32s} {r['seconds']:8.1f} {r.get('fit_calls', 0):9d} "
              f"{r.get('images', 0):9d} {r.get('fit_seconds', 0.0):8.1f} {ips:9.0f}  "
              f"{str(r.get('device')):7s} {r['status']}")
    total = sum(r["seconds"] for r in rows)
    print(f"{'all chapters':32s} {total:8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:1, or cpu")
    parser.add_argument("--chapters", nargs="*", default=[], help="chapter stems (default all)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the executed copies (default $OUT or _build/gpu_check)")
    parser.add_argument("--skip-benchmarks", action="store_true")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, run nothing")
    args = parser.parse_args(argv)
    out = args.out or Path(os.environ.get("OUT") or ROOT / "_build" / "gpu_check")
    paths = chapters(args.chapters)
    benches = [] if args.skip_benchmarks else [
        [sys.executable, str(ROOT / "benchmarks" / b)] + (
            ["--device", args.device] if b == "bench_fit.py" else []) for b in BENCHMARKS]
    if args.dry_run:
        print(f"would run {len(paths)} chapters with SEGLEARN_DEVICE={args.device}, "
              f"copies into {out}:")
        for p in paths:
            print(f"  {p.relative_to(ROOT)}")
        for cmd in benches:
            print("  " + " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)))
        return 0
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"no CUDA device here (torch {torch.__version__}); use --device cpu for a "
              "smoke test", file=sys.stderr)
        return 2
    if args.device.startswith("cuda"):
        print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
              f"CUDA {torch.version.cuda}")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.update(SEGLEARN_DEVICE=args.device, TQDM_DISABLE="1", MPLBACKEND="Agg")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    rows = []
    for p in paths:
        rows.append(run_chapter(p, out, args.timeout))
        r = rows[-1]
        print(f"{r['seconds']:7.1f} s  {p.stem}  {r['status']}", flush=True)
    print_table(rows)
    failed = [r["chapter"] for r in rows if r["status"] != "ok"]
    for cmd in benches:
        name = Path(cmd[1]).stem
        print(f"\n$ {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}",
              flush=True)
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        (out / f"{name}.txt").write_text(done.stdout + done.stderr)
        print(done.stdout + done.stderr[-2000:], flush=True)
        if done.returncode:
            failed.append(name)
    (out / "gpu_check.json").write_text(json.dumps(rows, indent=1))
    if failed:
        print(f"\nfailed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
