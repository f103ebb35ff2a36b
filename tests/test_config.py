"""Tests for recsys_course.config: seeding, device choice, paths and env switches."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from recsys_course import config


def _draws():
    """One draw from each random source seed_everything is meant to control."""
    return random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist()


def test_seed_everything_repeats_draws():
    """Seeding twice with the same seed repeats Python, NumPy and torch draws."""
    gen_a = config.seed_everything(123)
    first = _draws()
    from_gen_a = gen_a.random(4)
    gen_b = config.seed_everything(123)
    second = _draws()
    from_gen_b = gen_b.random(4)
    assert first == second
    np.testing.assert_array_equal(from_gen_a, from_gen_b)


def test_seed_everything_different_seeds_differ():
    """Different seeds give different draws (so the previous test is not vacuous)."""
    config.seed_everything(1)
    first = _draws()
    config.seed_everything(2)
    second = _draws()
    assert first[0] != second[0]
    assert first[1] != second[1]
    assert first[2] != second[2]


def test_seed_everything_returns_generator_with_that_seed():
    """The returned Generator behaves like np.random.default_rng(seed)."""
    gen = config.seed_everything(7)
    assert isinstance(gen, np.random.Generator)
    np.testing.assert_array_equal(gen.integers(0, 1000, 10), np.random.default_rng(7).integers(0, 1000, 10))


def test_get_device_without_gpu_is_cpu(monkeypatch):
    """With no CUDA available the default device is the CPU."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert config.get_device() == torch.device("cpu")


def test_get_device_with_gpu_is_cuda(monkeypatch):
    """When CUDA reports a GPU, the default device is cuda."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.get_device().type == "cuda"


def test_get_device_default_matches_this_machine():
    """Unpatched, the choice follows torch.cuda.is_available() (cpu on a CPU-only box)."""
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.get_device().type == expected


@pytest.mark.parametrize("prefer", ["cpu", "meta", "cuda"])
def test_get_device_honours_prefer(monkeypatch, prefer):
    """``prefer`` overrides the automatic choice, whatever hardware is present."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: prefer != "cuda")
    assert config.get_device(prefer).type == prefer


def test_data_dir_honours_env(monkeypatch, tmp_path):
    """RECSYS_COURSE_DATA points the dataset cache anywhere."""
    monkeypatch.setenv("RECSYS_COURSE_DATA", str(tmp_path))
    assert config.data_dir() == tmp_path


def test_data_dir_expands_user(monkeypatch, tmp_path):
    """A ~ in RECSYS_COURSE_DATA is expanded to the home folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RECSYS_COURSE_DATA", "~/datasets")
    assert config.data_dir() == tmp_path / "datasets"


def test_data_dir_default_without_env(monkeypatch):
    """Without the variable the cache is <repo>/data, or ~/.cache/recsys_course outside a repo."""
    monkeypatch.delenv("RECSYS_COURSE_DATA", raising=False)
    root = config.repo_root()
    expected = root / "data" if root is not None else Path.home() / ".cache" / "recsys_course"
    assert config.data_dir() == expected


def test_data_dir_outside_repo(monkeypatch, tmp_path):
    """When the package is not inside the course repo, the default falls back to ~/.cache."""
    monkeypatch.delenv("RECSYS_COURSE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(config, "repo_root", lambda: None)
    assert config.data_dir() == tmp_path / ".cache" / "recsys_course"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("0", False),
        ("", False),
        ("false", False),
        ("no", False),
    ],
)
def test_fast_mode_reads_env(monkeypatch, value, expected):
    """RECSYS_COURSE_FAST switches fast mode on for truthy values only."""
    monkeypatch.setenv("RECSYS_COURSE_FAST", value)
    assert config.fast_mode() is expected


def test_fast_mode_off_when_unset(monkeypatch):
    """Learners and CI run the full course: unset means off."""
    monkeypatch.delenv("RECSYS_COURSE_FAST", raising=False)
    assert config.fast_mode() is False


@pytest.mark.parametrize("value, expected", [("1", True), ("True", True), ("0", False), ("off", False)])
def test_strict_data_reads_env(monkeypatch, value, expected):
    """RECSYS_COURSE_STRICT_DATA switches off the synthetic fallback."""
    monkeypatch.setenv("RECSYS_COURSE_STRICT_DATA", value)
    assert config.strict_data() is expected


def test_strict_data_off_when_unset(monkeypatch):
    """By default, being offline falls back to synthetic data."""
    monkeypatch.delenv("RECSYS_COURSE_STRICT_DATA", raising=False)
    assert config.strict_data() is False


def test_figures_dir_is_created(monkeypatch, tmp_path):
    """figures_dir creates <repo>/figures on demand."""
    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    path = config.figures_dir()
    assert path == tmp_path / "figures"
    assert path.is_dir()


def test_fast_mode_figures_do_not_overwrite_committed_ones(monkeypatch):
    """FAST runs save under figures/fast/, default runs under figures/."""
    monkeypatch.delenv("RECSYS_COURSE_FAST", raising=False)
    default = config.figures_dir()
    monkeypatch.setenv("RECSYS_COURSE_FAST", "1")
    fast = config.figures_dir()
    assert fast == default / "fast"


def test_claims_dir_mirrors_figures_dir(monkeypatch, tmp_path):
    """Claim records go to <repo>/claims, and FAST runs to claims/fast/ (ignored by git)."""
    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    monkeypatch.delenv("RECSYS_COURSE_FAST", raising=False)
    assert config.claims_dir() == tmp_path / "claims" and (tmp_path / "claims").is_dir()
    monkeypatch.setenv("RECSYS_COURSE_FAST", "1")
    assert config.claims_dir() == tmp_path / "claims" / "fast"


def test_results_go_under_the_lessons_folder_and_fast_runs_apart(monkeypatch, tmp_path):
    """A lesson's results go to results/<lesson>/, FAST runs to results/fast/<lesson>/; the committed ones stay put."""
    monkeypatch.setattr(config, "repo_root", lambda: tmp_path)
    monkeypatch.delenv("RECSYS_COURSE_FAST", raising=False)
    assert (
        config.results_dir("03_x") == tmp_path / "results" / "03_x"
        and (tmp_path / "results" / "03_x").is_dir()
    )
    monkeypatch.setenv("RECSYS_COURSE_FAST", "1")
    assert config.results_dir("03_x") == tmp_path / "results" / "fast" / "03_x"
    assert config.committed_results_dir("03_x") == tmp_path / "results" / "03_x"
    monkeypatch.setattr(config, "repo_root", lambda: None)
    assert config.committed_results_dir("03_x") is None
