"""The pip install (pyproject.toml) and the conda environment (environment.yml) agree."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_installs_the_package_with_book_extras():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    assert python.replace("python", "") == project["requires-python"]
    assert "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    extras = set(project["optional-dependencies"])
    assert any(re.fullmatch(r"-e \.\[(.+)\]", p) for p in pip), pip
    named = {e for p in pip for e in re.findall(r"\[(.+)\]", p)[0].split(",")}
    assert {"book", "test"} <= named <= extras


def test_dependencies_are_floors_not_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    allreqs = project["dependencies"] + [
        r for rs in project["optional-dependencies"].values() for r in rs
    ]
    assert not [r for r in allreqs if "==" in r]
    assert project["name"] != "seglearn"  # that PyPI name is an unrelated project
