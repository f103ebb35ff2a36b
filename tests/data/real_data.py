"""Where the data tests find the real datasets: ``$RECSYS_COURSE_DATA`` (relative to the repository) or
``../shared/datasets`` beside it, and the skip marks for tests that need the extracted ML-100K or UCI Adult."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def real_root() -> Path:
    """The folder that holds the real, extracted datasets (it may be read-only: never write beside it)."""
    env = os.environ.get("RECSYS_COURSE_DATA")
    if env:
        path = Path(env).expanduser()
        return path if path.is_absolute() else REPO / path
    return REPO.parent / "shared" / "datasets"


REAL_ROOT = real_root()
ADULT = REAL_ROOT / "adult"
needs_real_ml100k = pytest.mark.skipif(
    not (REAL_ROOT / "ml-100k" / "u.data").is_file(),
    reason=f"the extracted ML-100K is not at {REAL_ROOT / 'ml-100k'} (set RECSYS_COURSE_DATA)",
)
needs_real_adult = pytest.mark.skipif(
    not all((ADULT / name).is_file() for name in ("adult.data", "adult.test")),
    reason=f"the official UCI Adult files are not in {ADULT} (set RECSYS_COURSE_DATA)",
)
