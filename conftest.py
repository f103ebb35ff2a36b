"""Shared by every test run: the helpers in tests/ are importable, and notebook cells are marked.

``python -m pytest`` runs everything (the README's test command); ``python -m pytest -m "not notebook"``
is the quick unit run, leaving out the lessons and solutions that nbval executes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parent / "tests"
if str(HELPERS) not in sys.path:
    sys.path.insert(0, str(HELPERS))  # tests/hints.py, imported as `hints` by the exercise tests


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
