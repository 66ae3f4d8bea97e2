"""Refresh the book's chapters: text source -> notebook -> execute -> committed outputs.

Each chapter is a pair (see ``jupytext.toml``): ``book/src/<chapter>.md``, the MyST
Markdown text people edit and review, and ``book/<chapter>.ipynb``, the committed notebook
that carries the outputs. Usage (from the repository root, in the environment where
seglearn is installed)::

    python scripts/execute_notebooks.py                        # every chapter
    python scripts/execute_notebooks.py book/src/loss_dice.md  # one chapter (or several;
                                                               # book/loss_dice.ipynb and
                                                               # loss_dice name it too)
    python scripts/execute_notebooks.py --no-execute [...]     # text -> notebook only
    python scripts/execute_notebooks.py --set-url --no-execute # _config.yml's repository
                                                               # url into every set-up cell

For each chapter the notebook is rebuilt from its text source: its cells, their tags and
the notebook's metadata come from the text (cell ids from the old notebook, so unchanged
cells stay unchanged in the diff); then every output is cleared and the notebook runs top
to bottom in a fresh kernel with ``book/`` as working directory. Nothing of the old
notebook's outputs survives. Live widgets need a kernel, so their state is not kept
and their outputs are dropped (the book shows the static sliders instead); progress bars
are silenced (TQDM_DISABLE=1). A chapter that fails leaves its committed notebook as it
was: the error is printed, the partly executed notebook is written to
``_build/failed/<chapter>.ipynb``, the other chapters still run, and the summary names
the failures (exit status 1).

``--no-execute`` rebuilds the notebook from the text and keeps the committed outputs of
the cells it matches (for a change of prose or tags); it lists code cells whose source
changed, since their outputs are then stale and the chapter needs a run.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import traceback
from pathlib import Path

import jupytext
import nbformat
import yaml
from jupytext.combine import combine_inputs_with_outputs
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SRC = BOOK / "src"
FMT = "md:myst"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The set-up cell names the repository once, `REPO = "<url>"`, and installs with
# `%pip install -q "seglearn-book @ git+$REPO"` (IPython expands $REPO in the magic).
INSTALL = re.compile(r'^REPO = "[^"\s]+"$', re.M)
# Per-cell limit: the longest cell (the loss comparison's trainings) takes minutes on an
# idle 2-core CPU and several times that on a loaded one; SEGLEARN_CELL_TIMEOUT overrides.
DEFAULT_TIMEOUT = int(os.environ.get("SEGLEARN_CELL_TIMEOUT", "1800"))
SLOW_CELL = 30.0  # seconds: a cell that runs longer is reported as it finishes


def chapter_paths(name: Path | str) -> tuple[Path, Path]:
    """(text source, notebook) of a chapter named by either file or by its stem."""
    stem = Path(name).name.removesuffix(".md").removesuffix(".ipynb")
    return SRC / f"{stem}.md", BOOK / f"{stem}.ipynb"


def all_chapters() -> list[str]:
    """Every chapter: a notebook in book/ or a text source in book/src/."""
    return sorted({p.stem for p in BOOK.glob("*.ipynb")} | {p.stem for p in SRC.glob("*.md")})


def repository_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def set_url(md: Path, url: str) -> bool:
    """Write ``url`` into the set-up cell's ``REPO = ...`` line of a text source; True if
    changed."""
    text = md.read_text()
    new = INSTALL.sub(f'REPO = "{url}"', text)
    if new != text:
        md.write_text(new)
    return new != text


def strip_live_widgets(nb) -> None:
    """Drop saved widget state and the outputs that need it (live widgets need a kernel)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]


def from_text(md: Path, ipynb: Path, keep_outputs: bool):
    """The notebook built from the text source ``md``; cell ids (and, with ``keep_outputs``,
    outputs and the kernel's language_info) are taken from the notebook ``ipynb``."""
    text = jupytext.read(md, fmt=FMT)
    if not ipynb.exists():
        return text
    old = nbformat.read(ipynb, as_version=4)
    nb = combine_inputs_with_outputs(jupytext.read(md, fmt=FMT), old, fmt=FMT)
    # The text decides everything but the ids: no stale cell or notebook metadata survives.
    nb.metadata = text.metadata
    if keep_outputs and "language_info" in old.metadata:
        nb.metadata["language_info"] = old.metadata["language_info"]
    for cell, source in zip(nb.cells, text.cells, strict=True):
        cell.metadata = source.metadata
        if cell.cell_type == "code" and not keep_outputs:
            cell.outputs = []
            cell.execution_count = None
    return nb


def write(nb, md: Path, ipynb: Path) -> None:
    jupytext.write(nb, ipynb, fmt="ipynb")
    os.utime(md)  # the text stays the newer of the pair, as `jupytext --sync` leaves it


def stale_cells(nb, ipynb: Path) -> list[int]:
    """Indices of code cells whose source differs from the committed notebook's."""
    if not ipynb.exists():
        return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    old = {c.get("id"): c.source for c in nbformat.read(ipynb, as_version=4).cells}
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and old.get(c.get("id")) != c.source]


def refresh(stem: str, timeout: int, execute: bool) -> float:
    """Rebuild one chapter's notebook from its text (and run it); return the seconds taken."""
    md, ipynb = chapter_paths(stem)
    if not md.exists():
        raise FileNotFoundError(f"{md.relative_to(ROOT)} does not exist: every chapter needs a "
                                f"text source (create it with `jupytext --sync "
                                f"{ipynb.relative_to(ROOT)}`)")
    start = time.perf_counter()
    if not execute:
        nb = from_text(md, ipynb, keep_outputs=True)
        stale = stale_cells(nb, ipynb)
        strip_live_widgets(nb)
        write(nb, md, ipynb)
        if stale:
            print(f"note: {stem}: code cells {stale} changed; their outputs are stale until "
                  f"the chapter runs (python scripts/execute_notebooks.py {stem})")
        return time.perf_counter() - start
    nb = from_text(md, ipynb, keep_outputs=False)
    kernel_name = nb.metadata.get("kernelspec", {}).get("name", "python3")
    started: dict[int, float] = {}

    def cell_started(cell, cell_index):
        started[cell_index] = time.perf_counter()

    def cell_done(cell, cell_index, execute_reply):
        seconds = time.perf_counter() - started.get(cell_index, start)
        if seconds > SLOW_CELL:  # progress for the long experiments (tqdm is silenced)
            print(f"        {stem}: cell {cell_index} took {seconds:.0f} s", flush=True)

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        on_cell_start=cell_started,
        on_cell_executed=cell_done,
        # The kernel logs only errors: otherwise every chapter prints ipykernel's warning
        # that the (local) kernel connection is unencrypted TCP.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(BOOK)}},
        # Recorded, then dropped by strip_live_widgets: with store_widget_state=False,
        # nbclient (0.11) raises a KeyError when a cell displays an ipywidgets Output.
        store_widget_state=True,
        record_timing=False,
    )
    try:
        client.execute()
    except BaseException:
        failed = ROOT / "_build" / "failed" / ipynb.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, failed)
        raise
    strip_live_widgets(nb)
    write(nb, md, ipynb)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*",
                        help="book/src/<chapter>.md, book/<chapter>.ipynb or <chapter> "
                             "(default: every chapter)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help="seconds per cell (default: $SEGLEARN_CELL_TIMEOUT or 1800)")
    parser.add_argument("--no-execute", action="store_true",
                        help="only rebuild the notebooks from their text, keeping outputs")
    parser.add_argument("--set-url", action="store_true",
                        help="first write _config.yml's repository url into the set-up cell "
                             "of every text source")
    args = parser.parse_args(argv)
    stems = [chapter_paths(c)[0].stem for c in args.chapters] or all_chapters()
    if args.set_url:
        url = repository_url()
        for stem in all_chapters():
            md = chapter_paths(stem)[0]
            if md.exists() and set_url(md, url):
                print(f"set-up cell of {md.relative_to(ROOT)} now installs from {url}")
    os.environ["TQDM_DISABLE"] = "1"  # inherited by the kernels
    # One torch thread per kernel (fit's default too) and OpenMP workers that sleep instead
    # of spinning: on a machine that is busy with anything else, spinning threads made
    # training several times slower (benchmarks/bench_fit.py --threads-study).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    failed = []
    total = 0.0
    for stem in stems:
        try:
            seconds = refresh(stem, args.timeout, execute=not args.no_execute)
        except (CellExecutionError, CellTimeoutError) as exc:
            print(f"FAILED  {stem}: a cell raised; the committed notebook is unchanged, the "
                  f"partly run one is _build/failed/{stem}.ipynb\n{exc}", file=sys.stderr,
                  flush=True)
            failed.append(stem)
            continue
        except Exception as exc:  # a broken text source, a missing kernel, ...
            print(f"FAILED  {stem}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            traceback.print_exc(limit=3)
            failed.append(stem)
            continue
        total += seconds
        print(f"{seconds:7.1f} s  {stem}", flush=True)
    verb = "rebuilt" if args.no_execute else "executed"
    print(f"{total:7.1f} s  in all ({len(stems) - len(failed)} {verb}, {len(failed)} failed)")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
