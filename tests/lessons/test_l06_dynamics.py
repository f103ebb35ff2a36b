"""Tests for lesson 06's training dynamics (chart 6): early stopping replayed on a recorded curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from recsys_course.lessons.l06_training_discipline import dynamics, figures  # noqa: E402


def test_curves_record_every_epoch_and_the_chart_marks_the_stops(small_wide_deep):
    from recsys_course.data import synthetic_movielens
    from recsys_course.tasks.ctr import movielens_ctr

    task = movielens_ctr(synthetic_movielens(seed=4, n_users=60, n_items=90, n_ratings=2500), history_len=5)
    frame = dynamics.curves(task, epochs=4, wide_deep_settings=small_wide_deep, dim=4)
    assert sorted(frame.groupby("model").size().tolist()) == [4, 4, 4]  # no model stopped early
    assert frame[["train_loss", "auc", "test auc"]].notna().all().all()
    fig, axes = plt.subplots(1, 2)
    try:
        stops = figures.dynamics_chart(frame, axes, patience=1)
    finally:
        plt.close(fig)
    assert list(stops["model"]) == list(dynamics.MODELS)
    assert (stops["keeps epoch"] <= stops["stops at"]).all()
    assert (stops["validation AUC kept"] <= stops["best validation AUC"]).all()


def test_patience_table_replays_every_patience_on_the_recorded_curve():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "model": "m",
            "seed": 0,
            "epoch": range(1, 9),
            "auc": [0.60, 0.70, 0.72, 0.71, 0.73, 0.72, 0.71, 0.70],
            "test auc": [0.61, 0.69, 0.70, 0.71, 0.74, 0.73, 0.72, 0.71],
        }
    )
    table = dynamics.patience_table(frame, patiences=(1, 2))
    assert table["patience"].tolist() == [1, 2, "never"]
    assert table["epochs trained"].tolist() == [4, 7, 8] and table["keeps epoch"].tolist() == [3, 5, 5]
    assert table["test AUC"].tolist() == [0.70, 0.74, 0.74]
