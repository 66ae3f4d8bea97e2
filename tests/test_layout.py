"""The package's layout: one concept per module, dependencies that flow one way, and no
module reaching into another module's private names.

DESIGN.md's flow: data / receptive_field / coverage → models → deeplab → losses, metrics
→ train, baselines → protocol → plot → widgets. A module may import from modules to its
left (or its own private helpers), never from its right, so that, e.g., the losses never
depend on the training loop and plotting never on the widgets.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "seglearn"
FILES = sorted(PACKAGE.rglob("*.py"))

# Rank of each public module in the flow; private modules (leading underscore) and
# subpackage internals take the rank of the public module that owns them.
RANK = {
    "_checks": 0, "complexity": 0, "coverage": 0, "receptive_field": 0,
    "_rf_walk": 0, "data": 0, "_folder": 0, "_label_files": 0, "_triangles": 0,
    "_augment": 0, "_writing": 0, "shapes": 0, "_shape_geometry": 0, "bfscore": 0, "augment": 1,
    "models": 1, "deeplab": 2, "losses": 3, "metrics": 3, "calibration": 3, "intervals": 3,
    "baselines": 4, "train": 4, "_training": 4, "protocol": 5, "results": 5,
    "comparison": 5, "multiclass": 5, "plot": 6,
    "widgets": 7,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return rel.parts[0] if rel.parts[0] != "__init__" else "__init__"


def _imports(path: Path):
    """(target module, imported names) for every import of a seglearn module in a file."""
    tree = ast.parse(path.read_text())
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]  # e.g. (seglearn, losses)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package[: len(package) - node.level + 1]
                target = ".".join((*base, node.module)) if node.module else ".".join(base)
            else:
                target = node.module or ""
            if target.split(".")[0] == "seglearn":
                yield target, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "seglearn":
                    yield a.name, [], node.lineno


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_modules_private_names(path):
    for target, names, line in _imports(path):
        # `from . import _training` imports a private module of the package (a module's
        # own helpers), not a private name of another module
        base = PACKAGE.parent.joinpath(*target.split("."))
        private = [n for n in names if n.startswith("_") and n != "__version__"
                   and not (base / f"{n}.py").exists()]
        assert not private, f"{path.name}:{line} imports private {private} from {target}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_dependencies_flow_one_way(path):
    me = _module_name(path)
    if me == "__init__":
        return
    assert me in RANK, f"{me}: add the new module to RANK (and to DESIGN.md's flow)"
    for target, names, line in _imports(path):
        parts = target.split(".")
        if len(parts) == 1:  # `from seglearn import x` / `from . import x`
            others = names
        else:
            others = [parts[1]]
        for other in others:
            if other == me or other not in RANK:
                continue
            assert RANK[other] <= RANK[me], (
                f"{path.name}:{line}: {me} (rank {RANK[me]}) imports {other} "
                f"(rank {RANK[other]}), against the flow of DESIGN.md"
            )


def test_every_module_is_short():
    long = {str(p.relative_to(PACKAGE)): n for p in FILES
            if (n := len(p.read_text().splitlines())) > 330}
    assert not long, f"modules over ~300 lines (split them by concept): {long}"
