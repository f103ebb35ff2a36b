"""The repository address is set once (config.REPOSITORY): every badge and Colab setup cell uses it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from recsys_course.config import REPOSITORY

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("sync_repository", ROOT / "scripts" / "sync_repository.py")
sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync)


@pytest.mark.parametrize("path", sync.files(), ids=lambda p: p.name)
def test_every_badge_and_setup_cell_names_the_configured_repository(path):
    text = path.read_text()
    assert sync.named(text) == {REPOSITORY}, f"{path.name}: run `python scripts/sync_repository.py`"
    if path.parent.name == "notebooks":
        # a Colab badge, a Binder badge and the Colab setup cell
        hits = sum(len(p.findall(text)) for p in sync.PATTERNS)
        assert hits >= 3, f"{path.name} names the repository in only {hits} places"


@pytest.mark.parametrize("path", sync.files(), ids=lambda p: p.name)
def test_changing_the_constant_reaches_every_mention(path):
    """Rewritten for a fork, no mention of the old address is left behind."""
    moved = sync.synced(path.read_text(), "someone/fork")
    assert REPOSITORY not in moved
    assert sync.named(moved) == {"someone/fork"}


@pytest.mark.parametrize(
    "path", [p for p in sync.files() if p.parent.name == "notebooks"], ids=lambda p: p.name
)
def test_every_lesson_has_the_one_colab_setup_cell(path):
    """One setup, written by the script into every lesson's twin and notebook; a hand-edited copy fails."""
    assert sync.setup_of(path.read_text()) == sync.SETUP, (
        f"{path.name}: run `python scripts/sync_repository.py`"
    )


def _run_setup(monkeypatch, cloned: bool, installed: bool, colab: bool = True) -> list[list[str]]:
    """Execute the setup cell as Colab would, with git, pip and the file system stood in for; return the commands."""
    import importlib.util
    import os
    import subprocess
    import types

    commands = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: commands.append(cmd))
    monkeypatch.setattr(os.path, "isdir", lambda path: cloned and path == "/content/recsys-course/.git")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if installed else None)
    monkeypatch.setattr(sys, "path", list(sys.path))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(sync.SETUP, "setup-cell", "exec"), {})
    assert not colab or "/content/recsys-course" in sys.path
    return commands


def test_the_setup_cell_clones_and_installs_on_a_fresh_runtime(monkeypatch):
    git, pip = _run_setup(monkeypatch, cloned=False, installed=False)
    assert git[:2] == ["git", "clone"] and git[-1] == "/content/recsys-course"
    assert f"https://github.com/{REPOSITORY}" in git
    assert pip[1:] == ["-m", "pip", "install", "-q", "-e", "/content/recsys-course"]


def test_the_setup_cell_reuses_the_clone_and_the_install(monkeypatch):
    assert _run_setup(monkeypatch, cloned=True, installed=True) == []  # run again, or after a restart
    [pip] = _run_setup(monkeypatch, cloned=True, installed=False)  # an install that failed is retried
    assert "pip" in pip


def test_the_setup_cell_does_nothing_off_colab(monkeypatch):
    assert _run_setup(monkeypatch, cloned=False, installed=False, colab=False) == []


def test_the_setup_cell_can_be_rewritten():
    edited = sync.setup_cell(sync.SETUP + "\n\n# %%\nx = 1\n", "# Setup: on Colab, something else")
    assert edited.startswith("# Setup: on Colab, something else\n\n# %%\nx = 1")
