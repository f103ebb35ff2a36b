"""Tests for recsys_course.training.wide_deep: the settings it saves and loads per kind of model."""

from __future__ import annotations


def test_settings_round_trip_per_kind(tmp_path):
    from dataclasses import replace

    from recsys_course.training import wide_deep

    tuned = {
        "wide": replace(wide_deep.Settings(), ftrl_l1=16.0),
        "deep": wide_deep.Settings(hidden=(8, 4)),
        "joint": wide_deep.Settings(adam_lr=3e-3),
    }
    path = wide_deep.save_settings(tuned, tmp_path / "s.json")
    assert wide_deep.load_settings(path) == tuned  # tuples come back as tuples
    assert wide_deep.load_settings(tmp_path / "absent.json") == {
        k: wide_deep.Settings() for k in wide_deep.KINDS
    }
