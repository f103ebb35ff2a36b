"""Versions that are honest: the Python floor is the one ruff checks the code against, requirements-lock.txt pins
everything pyproject.toml asks for within its ranges, and Binder's environment.yml is built from that lock - the
course's runtime packages at the locked versions, no test tool."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib", reason="tomllib, which reads pyproject.toml, needs Python 3.11")

_spec = importlib.util.spec_from_file_location("lock_versions", ROOT / "scripts" / "lock_versions.py")
lock_versions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock_versions)

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = (ROOT / "requirements-lock.txt").read_text()
REWRITE = "run `python scripts/lock_versions.py` in the environment CI passed with"


def canonical(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def environment_entries() -> tuple[list[str], list[str]]:
    """environment.yml's conda packages and the lines of its pip section, read as plain text."""
    lines = (ROOT / "environment.yml").read_text().splitlines()
    entries = lines[lines.index("dependencies:") + 1 :]
    conda = [line.strip()[2:] for line in entries if line.startswith("  - ") and line != "  - pip:"]
    pip = [line.strip()[2:] for line in entries if line.startswith("      - ")]
    return conda, pip


def test_the_python_floor_is_the_one_ruff_checks_the_code_against():
    """Syntax newer than requires-python's floor fails `ruff check` (zip(strict=...) needs 3.10, say)."""
    [floor] = [s.version for s in SpecifierSet(PYPROJECT["project"]["requires-python"]) if s.operator == ">="]
    major, minor = floor.split(".")[:2]
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py{major}{minor}"
    assert (int(major), int(minor)) >= (3, 10), "the package calls zip(..., strict=True), new in Python 3.10"


def test_the_lock_pins_every_requirement_within_its_range():
    python, pins = lock_versions.parse_lock(LOCK)
    assert python in SpecifierSet(PYPROJECT["project"]["requires-python"]), f"the lock's Python {python}"
    missing, outside = [], []
    for requirement in lock_versions.requirements("test", "course"):
        name = canonicalize_name(requirement.name)
        if name not in pins:
            missing.append(name)
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            outside.append(f"{name}=={pins[name]} (pyproject: {requirement.specifier})")
    assert not missing, f"requirements-lock.txt lacks {missing}: {REWRITE}"
    assert not outside, f"locked outside pyproject.toml's range: {outside}"


def test_the_lock_names_each_package_once_exactly():
    pinned = [line for line in LOCK.splitlines() if line and not line.startswith(("#", "--extra-index-url "))]
    names = [line.partition("==")[0] for line in pinned]
    assert all("==" in line and ";" not in line for line in pinned), "one name==version a line"
    assert names == sorted(set(names)) and all(n == canonicalize_name(n) for n in names)


def test_binder_environment_is_built_from_the_lock():
    assert (ROOT / "environment.yml").read_text() == lock_versions.environment_text(LOCK), REWRITE


def test_binder_installs_the_runtime_packages_at_the_locked_versions_and_no_test_tool():
    """Read without the script: a package pyproject.toml adds or a pin that moves is drift, so is a test tool."""
    python, pins = lock_versions.parse_lock(LOCK)
    conda, pip = environment_entries()
    assert conda == [f"python={python}", "pip"]
    pinned = dict(line.split("==") for line in pip if not line.startswith("--"))
    runtime = canonical(lock_versions.requirements("course"))
    test_only = canonical(lock_versions.requirements("test")) - runtime
    assert not test_only & set(pinned), (
        f"test tools in Binder's environment: {sorted(test_only & set(pinned))}"
    )
    assert set(pinned) == runtime, (
        f"environment.yml: {sorted(pinned)}, pyproject's runtime: {sorted(runtime)}"
    )
    for name, version in pinned.items():
        assert version == pins[name].partition("+")[0], (
            f"environment.yml {name}=={version}, lock {pins[name]}"
        )


def test_the_lock_follows_requirements_transitively_and_by_their_markers():
    """What pytest pulls in is found through the installed metadata; a marker for another Python drops it."""
    found = lock_versions.installed([Requirement("pytest")])
    assert {"pytest", "pluggy", "iniconfig", "packaging"} <= set(found)
    assert lock_versions.installed([Requirement('pytest; python_version < "3"')]) == {}
