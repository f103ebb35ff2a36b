"""Binder's environment.yml must list everything pyproject.toml asks for, with the same lower bounds."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch-cpu"}  # pip name -> conda-forge name where they differ
NOT_FOR_BINDER = {"ruff"}  # tools Binder may leave out: the linter, for maintainers


def _requirement(text: str) -> tuple[str, str]:
    """('numpy', '>=1.23') from 'numpy>=1.23'."""
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", text).groups()
    return name.lower(), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("test", "course"):
        wanted += project["optional-dependencies"][extra]
    return dict(_requirement(r) for r in wanted)


def environment_requirements() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:")
    entries = [line.strip()[2:] for line in lines[start + 1 :] if line.strip().startswith("- ")]
    return dict(_requirement(e.replace("=", "==", 1) if re.match(r"^[\w\-]+=\d", e) else e) for e in entries)


def test_environment_lists_every_requirement_with_the_same_bounds():
    env = environment_requirements()
    missing, different = [], []
    for name, spec in pyproject_requirements().items():
        conda = CONDA_NAMES.get(name, name)
        if name in NOT_FOR_BINDER:
            continue
        if conda not in env:
            missing.append(f"{conda}{spec}")
        elif env[conda] != spec:
            different.append(f"{conda}: pyproject {spec!r}, environment.yml {env[conda]!r}")
    assert not missing, f"environment.yml lacks {missing}"
    assert not different, f"bounds differ: {different}"


def test_environment_pins_the_python_binder_runs():
    assert environment_requirements()["python"] == "==3.11"
