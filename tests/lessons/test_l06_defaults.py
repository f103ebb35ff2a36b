"""Tests for lesson 06's defaults-against-tuned experiment: both settings per model and seed, the defaults applied."""

from __future__ import annotations

import pytest

from recsys_course.data import synthetic_movielens
from recsys_course.lessons.l06_training_discipline import ctr_benchmark as ctr
from recsys_course.lessons.l06_training_discipline import defaults
from recsys_course.tasks.ctr import movielens_ctr


def test_each_model_runs_with_the_defaults_and_with_its_tuned_rate():
    task = movielens_ctr(synthetic_movielens(seed=8, n_users=80, n_items=150, n_ratings=5000), history_len=5)
    s = ctr.fast_settings(ctr.Settings(dim=4))
    rates = {name: 3e-3 for name in defaults.MODELS}
    results = defaults.run_models(task, s, rates, seeds=(0,), models=("MF", "FM"), log=lambda *_: None)
    frame = results.frame()
    assert list(zip(frame["model"], frame["setting"])) == [
        ("MF", "defaults"),
        ("MF", "tuned"),
        ("FM", "defaults"),
        ("FM", "tuned"),
    ]
    assert frame.loc[frame["setting"] == "defaults", "lr"].eq(1e-3).all()
    assert frame.loc[frame["setting"] == "tuned", "lr"].eq(3e-3).all()


def test_the_defaults_reach_the_optimizer_and_the_schedule(monkeypatch):
    task = movielens_ctr(synthetic_movielens(seed=8, n_users=80, n_items=150, n_ratings=5000), history_len=5)
    seen = {}

    def spy(model, task, *, optimizer, lr_patience, **kwargs):
        seen.update(group=optimizer.param_groups[0], lr_patience=lr_patience)
        return type("History", (), {"best_epoch": 0, "best_value": 0.5})()

    monkeypatch.setattr(ctr, "fit_ctr", spy)  # defaults.train trains through the benchmark's fit_with_adam
    defaults.train("FM", task, ctr.fast_settings(ctr.Settings(dim=4)), seed=0, **defaults.DEFAULTS)
    assert seen["group"]["lr"] == pytest.approx(1e-3) and seen["group"]["weight_decay"] == pytest.approx(1e-5)
    assert seen["lr_patience"] == 0  # ReduceLROnPlateau at each flat epoch
    defaults.train("FM", task, ctr.fast_settings(ctr.Settings(dim=4)), seed=0, lr=3e-3)
    assert seen["group"]["weight_decay"] == 0 and seen["lr_patience"] is None


def test_the_schedule_has_room_to_act_before_early_stopping():
    s = defaults.settings()
    # PyTorch halves the rate once more than lr_patience flat epochs have passed; early stopping needs patience
    assert defaults.DEFAULTS["lr_patience"] + 1 < s.patience
    assert s.max_epochs >= 40
