"""Tests for lesson 06's recipe-against-tuned experiment: both settings per model and seed, the recipe applied as
written, and patience replayed exactly on the recipe's runs."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_course.data import synthetic_movielens
from recsys_course.lessons.l06_training_discipline import ctr_benchmark as ctr
from recsys_course.lessons.l06_training_discipline import defaults
from recsys_course.tasks.ctr import movielens_ctr


@pytest.fixture(scope="module")
def task():
    return movielens_ctr(synthetic_movielens(seed=8, n_users=80, n_items=150, n_ratings=5000), history_len=5)


def test_each_model_runs_with_the_recipe_at_every_patience_and_with_its_tuned_setting(task):
    s = ctr.replace(ctr.fast_settings(ctr.Settings(dim=4)), max_epochs=6)
    tuned = {name: {"lr": 3e-3, "weight_decay": 0.0} for name in defaults.MODELS}
    results = defaults.run_models(task, s, tuned, seeds=(0,), models=("MF", "FM"), log=lambda *_: None)
    frame = results.frame()
    patiences = [(m, "recipe", p) for m in ("MF",) for p in defaults.PATIENCES] + [
        ("MF", "tuned", defaults.PATIENCE)
    ]
    patiences += [(m, "recipe", p) for m in ("FM",) for p in defaults.PATIENCES] + [
        ("FM", "tuned", defaults.PATIENCE)
    ]
    assert list(zip(frame["model"], frame["setting"], frame["patience"])) == patiences
    assert frame.loc[frame["setting"] == "recipe", "lr"].eq(1e-3).all()
    assert frame.loc[frame["setting"] == "tuned", "lr"].eq(3e-3).all()
    recipe = frame[frame["setting"] == "recipe"]
    # a longer patience trains at least as long and keeps an epoch at least as late
    for _, runs in recipe.groupby("model"):
        assert runs["epochs trained"].is_monotonic_increasing and runs["best epoch"].is_monotonic_increasing


def test_the_replayed_patience_keeps_what_a_run_stopped_at_that_patience_keeps(task):
    s = ctr.replace(ctr.fast_settings(ctr.Settings(dim=4)), max_epochs=8)
    kept, history = defaults.train_recipe("MF", task, s, seed=1, patiences=(1, 3))
    model, short = defaults.train("MF", task, s, seed=1, patience=1, **defaults.recipe("MF"))
    stop, epoch, metrics, _ = kept[1]
    assert len(short) == stop and short.best_epoch == epoch
    from recsys_course.evaluation.ctr import means

    assert means(model, task.test)["auc"] == pytest.approx(metrics["auc"], abs=1e-12)
    assert np.isfinite(history.frame()["auc"]).all()


def test_the_recipe_reaches_the_optimizer_the_schedule_and_the_clip(task, monkeypatch):
    seen = {}

    def spy(model, task, *, optimizer, **kwargs):
        seen.update(group=optimizer.param_groups[0], model=model, **kwargs)
        return type("History", (), {"best_epoch": 0, "best_value": 0.5})()

    monkeypatch.setattr(ctr, "fit_ctr", spy)  # defaults.train trains through the benchmark's fit_with_adam
    s = ctr.fast_settings(ctr.Settings(dim=4))
    defaults.train("DeepFM", task, s, seed=0, **defaults.recipe("DeepFM"))
    assert seen["group"]["lr"] == pytest.approx(1e-3) and seen["group"]["weight_decay"] == pytest.approx(1e-5)
    assert (seen["lr_patience"], seen["lr_monitor"], seen["lr_mode"]) == (3, "logloss", "min")
    assert seen["clip_norm"] == 5.0
    drops = [m.p for m in seen["model"].modules() if m.__class__.__name__ == "Dropout"]
    assert drops and all(p == defaults.DROPOUT for p in drops)
    seen.clear()
    defaults.train("FM", task, s, seed=0, lr=3e-3, weight_decay=1e-4)
    assert seen["group"]["weight_decay"] == pytest.approx(1e-4) and "lr_patience" not in seen
    assert "clip_norm" not in seen


def test_the_schedule_has_room_to_act_before_early_stopping():
    s = defaults.settings()
    # PyTorch halves the rate once more than lr_patience flat epochs have passed; early stopping needs patience
    assert defaults.RECIPE["lr_patience"] + 1 < max(defaults.PATIENCES) and s.patience == defaults.PATIENCE
    assert s.max_epochs >= 40


def test_recipe_claims_read_patience_5_against_tuned_and_count_the_runs_at_the_cap():
    import pandas as pd

    from recsys_course.evidence import Results
    from recsys_course.lessons.l06_training_discipline import advice_claims

    rng = np.random.default_rng(2)
    noise = rng.normal(0, 0.05, 30)
    results = Results()
    for seed in (0, 1, 2):
        for setting, patience, level, epochs in (
            ("recipe", 1, 0.60, 5),
            ("recipe", 5, 0.70, 12),
            ("tuned", 5, 0.71, 40 if seed else 20),
        ):
            terms = pd.DataFrame({"user": np.arange(30), "auc": level + noise + rng.normal(0, 1e-3, 30)})
            row = {
                "model": "FM",
                "setting": setting,
                "patience": patience,
                "seed": seed,
                "epochs trained": epochs,
            }
            results.add(row, terms)
    (claim,) = advice_claims.defaults_claims(results, "test")
    assert claim.effect.estimate == pytest.approx(-0.01, abs=2e-3)  # patience 5's recipe, not patience 1's
    assert claim.verdict == "contradicted"  # loses more than half a point
    assert claim.notes["runs that reached the 40-epoch cap"] == {"recipe": "0 of 3", "tuned": "2 of 3"}
