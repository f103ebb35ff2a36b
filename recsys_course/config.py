"""Paths, FAST mode, device choice and seeding: the settings every notebook shares.

Environment variables read here:

``RECSYS_COURSE_DATA``
    Folder that caches the datasets (default: ``data/`` at the repository root,
    or ``~/.cache/recsys_course`` when the package is installed without the repo).
``RECSYS_COURSE_FAST``
    ``1`` shrinks models and epochs for quick checks. Learners and CI run the
    default (``0``).
``RECSYS_COURSE_STRICT_DATA``
    ``1`` turns the offline fallback to synthetic data into an error.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

# The course's GitHub repository, "owner/name": set in colab.py, which the Colab setup runs before any of
# the course's dependencies is installed, and re-exported here. `python scripts/sync_repository.py` writes it
# into the badges (Colab, Binder) and the notebooks' Colab setup cells; tests/test_repository.py fails when
# one of them names another repository.
from recsys_course.colab import REPOSITORY  # noqa: F401

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_CANDIDATE = PACKAGE_DIR.parent


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def repo_root() -> Path | None:
    """The course repository this package was loaded from, or None when pip-installed."""
    if (_REPO_CANDIDATE / "pyproject.toml").is_file() and (_REPO_CANDIDATE / "notebooks").is_dir():
        return _REPO_CANDIDATE
    return None


def data_dir() -> Path:
    """Where datasets are cached: $RECSYS_COURSE_DATA, else <repo>/data, else ~/.cache."""
    env = os.environ.get("RECSYS_COURSE_DATA")
    if env:
        return Path(env).expanduser()
    root = repo_root()
    if root is not None:
        return root / "data"
    return Path.home() / ".cache" / "recsys_course"


def figures_dir() -> Path:
    """Where notebooks save the charts they regenerate (created on demand).

    FAST mode writes to ``figures/fast/`` (ignored by git), so a quick check
    never overwrites the committed figures made with the default settings.
    """
    return _output_dir("figures")


def claims_dir() -> Path:
    """Where lessons save their claim records as JSON (``claims/``; ``claims/fast/`` in FAST mode)."""
    return _output_dir("claims")


def results_dir(lesson: str) -> Path:
    """Where a full-size experiment writes its results: ``results/<lesson>/`` (``results/fast/<lesson>/`` in FAST mode).

    ``lesson`` is the lesson's stem, e.g. ``"03_neumf_with_pretraining"``.
    """
    path = _output_dir("results") / lesson
    path.mkdir(parents=True, exist_ok=True)
    return path


def committed_results_dir(lesson: str) -> Path | None:
    """The folder of a lesson's committed full-size results in the repository, or None when pip-installed."""
    root = repo_root()
    return None if root is None else root / "results" / lesson


def _output_dir(name: str) -> Path:
    root = None if grading() else repo_root()
    path = root / name if root is not None else Path.cwd() / name
    if fast_mode():
        path = path / "fast"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fast_mode() -> bool:
    """True when RECSYS_COURSE_FAST=1: smaller models, fewer epochs."""
    return _truthy(os.environ.get("RECSYS_COURSE_FAST"))


def grading() -> bool:
    """True while nbgrader grades a submission (RECSYS_COURSE_GRADING=1, set by :mod:`recsys_course.grading`):
    a lesson then writes its figures and claim records into its own working folder instead of the course's.
    Whether an item passed is not decided by this switch, which a learner's code could flip, but by the
    grader's copy of each graded cell (:func:`recsys_course.lessons.graded`)."""
    return _truthy(os.environ.get("RECSYS_COURSE_GRADING"))


def strict_data() -> bool:
    """True when RECSYS_COURSE_STRICT_DATA=1: no synthetic fallback."""
    return _truthy(os.environ.get("RECSYS_COURSE_STRICT_DATA"))


def get_device(prefer: str | None = None) -> torch.device:
    """cuda when a GPU is present (Colab), else cpu. ``prefer`` forces one."""
    if prefer is not None:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 42) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch; return a fresh NumPy Generator with that seed.

    Notebooks call this once at the top and pass the returned generator (or
    explicit seeds) to anything random, so a second run gives the same numbers.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return np.random.default_rng(seed)
