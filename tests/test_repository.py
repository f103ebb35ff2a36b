"""The repository's address is set once (colab.REPOSITORY): every badge and Colab setup cell uses it."""

from __future__ import annotations

import importlib.util
import json
import re
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


def _first_code_cell(text: str) -> str:
    """The source of a lesson's first code cell, from its .ipynb or its percent-format twin."""
    if text.lstrip().startswith("{"):
        return next("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "code")
    return re.search(r"(?ms)^# %%\n(.*?)(?=\n\n# %%)", text).group(1)


@pytest.mark.parametrize(
    "path", [p for p in sync.files() if p.parent.name == "notebooks"], ids=lambda p: p.name
)
def test_every_lesson_opens_with_the_one_colab_setup_cell(path):
    """The first code cell is the one short setup, which runs recsys_course/colab.py; the script writes it
    into every lesson's twin and notebook. A hand-edited copy, or a setup moved below other code, fails."""
    text = path.read_text()
    assert sync.setup_of(text) == sync.SETUP, f"{path.name}: run `python scripts/sync_repository.py`"
    assert _first_code_cell(text) == sync.SETUP, f"{path.name}: the setup is not the first code cell"


def test_the_setup_cell_can_be_rewritten():
    edited = sync.setup_cell(sync.SETUP + "\n\n# %%\nx = 1\n", "# Setup: on Colab, something else")
    assert edited.startswith("# Setup: on Colab, something else\n\n# %%\nx = 1")
