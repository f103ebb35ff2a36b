"""The repository address is set once (config.REPOSITORY): every badge and Colab setup cell uses it."""

from __future__ import annotations

import importlib.util
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


def test_the_setup_cell_clones_once_and_runs_again_safely():
    assert 'os.path.isdir("/content/recsys-course/.git")' in sync.SETUP  # a second run reuses the clone
    assert "not in sys.path" in sync.SETUP and "check=True" in sync.SETUP
    edited = sync.setup_cell(sync.SETUP + "\n\n# %%\nx = 1\n", "# Setup: on Colab, something else")
    assert edited.startswith("# Setup: on Colab, something else\n\n# %%\nx = 1")
