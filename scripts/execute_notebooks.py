"""Re-execute the book's chapters in place, refreshing their committed outputs.

Usage (from the repository root, in the environment where seglearn is installed)::

    python scripts/execute_notebooks.py                 # every chapter in book/
    python scripts/execute_notebooks.py book/losses_dice.ipynb ...

Each notebook runs top to bottom in a fresh kernel with its own folder as working
directory; widget state is saved into the notebook so the rendered book can draw the
widgets; progress bars are silenced (TQDM_DISABLE=1) so they do not clutter the committed
outputs. Prints the wall-clock time of every chapter; exits non-zero if one fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, timeout: int) -> float:
    """Execute one notebook in place and return its wall-clock time in seconds."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    os.environ["TQDM_DISABLE"] = "1"  # inherited by the kernels
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    failed = []
    total = 0.0
    for path in paths:
        try:
            seconds = execute(path, args.timeout)
        except (CellExecutionError, CellTimeoutError) as exc:
            print(f"FAILED  {path}\n{exc}", file=sys.stderr)
            failed.append(path)
            continue
        total += seconds
        print(f"{seconds:7.1f} s  {path.relative_to(ROOT) if path.is_absolute() else path}",
              flush=True)
    print(f"{total:7.1f} s  in all ({len(paths) - len(failed)} executed, {len(failed)} failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
