"""The pip install (pyproject.toml) and the conda environment (environment.yml) agree, and
the declared floors and build requirements are ones that work (CI's floors job installs
every direct dependency at its floor)."""

import re
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10, the floor of requires-python
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _floor(requirements: list[str], name: str) -> tuple[int, ...]:
    spec = next(r for r in requirements if re.match(rf"{name}\s*>=", r))
    return tuple(int(p) for p in spec.split(">=")[1].split(";")[0].strip().split("."))


def test_environment_installs_the_package_with_book_extras():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    assert python.replace("python", "") == PROJECT["requires-python"]
    assert "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    extras = set(PROJECT["optional-dependencies"])
    assert any(re.fullmatch(r"-e \.\[(.+)\]", p) for p in pip), pip
    named = {e for p in pip for e in re.findall(r"\[(.+)\]", p)[0].split(",")}
    assert {"book", "test"} <= named <= extras


def test_dependencies_are_floors_not_pins():
    allreqs = PROJECT["dependencies"] + [
        r for rs in PROJECT["optional-dependencies"].values() for r in rs
    ]
    assert not [r for r in allreqs if "==" in r]
    assert PROJECT["name"] != "seglearn"  # that PyPI name is an unrelated project


def test_floors_that_are_known_to_break_are_raised():
    # matplotlib 3.7 and 3.8 import IPython.core.pylabtools.backend2gui, gone in IPython 9.16.
    assert _floor(PROJECT["dependencies"], "matplotlib") >= (3, 9)
    # The test extra reads this file on Python 3.10 too (tomllib is 3.11+).
    assert any(r.startswith("tomli") and "python_version < '3.11'" in r
               for r in PROJECT["optional-dependencies"]["test"])


def test_license_is_an_spdx_expression_the_build_backend_reads():
    # `license = {text = ...}` is deprecated (setuptools stops building it after
    # 2027-02-18); the SPDX string needs setuptools 77.0.3 (PEP 639).
    assert isinstance(PROJECT["license"], str) and PROJECT["license"] == "MIT"
    assert _floor(PYPROJECT["build-system"]["requires"], "setuptools") >= (77, 0, 3)
