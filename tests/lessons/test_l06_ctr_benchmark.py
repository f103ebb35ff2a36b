"""Tests for lesson 06's CTR benchmark: every model tuned and trained, chart 1 drawn, its claims judged."""

from __future__ import annotations

from recsys_course.evidence import verdict


def test_the_benchmark_runs_every_model_and_draws_chart_1(small_wide_deep):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recsys_course.data import synthetic_movielens
    from recsys_course.evidence import seed_summary
    from recsys_course.lessons.l06_training_discipline import ctr_benchmark as ctr
    from recsys_course.lessons.l06_training_discipline import figures as ctr_figure
    from recsys_course.tasks.ctr import movielens_ctr

    task = movielens_ctr(synthetic_movielens(seed=6, n_users=80, n_items=120, n_ratings=4000), history_len=5)
    s = ctr.fast_settings(ctr.Settings(dim=4))
    s = ctr.replace(s, decays=(0.0, 1e-4))
    chosen, grid = ctr.tune(task, s, log=lambda *_: None)
    assert set(chosen) == set(ctr.ADAM_MODELS) and len(grid) == 2 * len(ctr.ADAM_MODELS)
    for name, setting in chosen.items():  # each model's choice is its grid's best validation AUC
        rows = grid[grid["model"] == name]
        best = rows.loc[rows["valid"].idxmax()]
        assert setting == {"lr": best["lr"], "weight_decay": best["weight_decay"]}
    report = ctr.edges(grid, chosen, s)
    assert list(report.index) == [f"{m} {k}" for m in chosen for k in ("lr", "weight_decay")]
    results = ctr.run_models(
        task, s, chosen, seeds=(0, 1), log=lambda *_: None, wide_deep_settings=small_wide_deep
    )
    frame = results.frame()
    assert list(frame["model"]) == list(ctr.MODELS) * 2
    assert frame[["auc", "uauc", "logloss"]].notna().all().all()
    table = seed_summary(results, "model", ctr_figure.BENCHMARK_METRICS)
    assert len(table) == len(ctr.MODELS) and (table["seeds"] == 2).all() and (table["auc ±"] >= 0).all()
    fig, axes = plt.subplots(1, 3)
    drawn = ctr_figure.benchmark_chart(results, ctr.CHART, axes, trend=ctr.CHART[1:])
    assert list(drawn.index) == list(ctr.CHART) and "trend" in axes[0].get_legend().get_texts()[0].get_text()
    plt.close(fig)
    from recsys_course.lessons.l06_training_discipline import claims as ctr_claims

    claims = ctr_claims.benchmark_claims(results, "test")
    assert len(claims) == 3 + 4 + 1 + 2  # caption, ladder steps, DCN over Wide & Deep, the DIN paper's steps
    assert all(c.verdict == verdict(c.effect, c.threshold, c.direction)[0] for c in claims)  # by the rule
    assert claims[0].threshold == 0.04 and claims[0].effect.relative  # the caption: 4% relative
    # RelaImpr, the DIN paper's reading, beside the plain ratio: (AUC_A - 0.5) / (AUC_MF - 0.5) - 1
    means = results.frame().groupby("model")["auc"].mean()
    relaimpr = (means["Wide & Deep"] - 0.5) / (means["MF"] - 0.5) - 1
    assert claims[0].notes["RelaImpr"].split(" ")[0] == f"{relaimpr:+.2%}"
    assert all("what else the step changes" in c.notes for c in claims[3:7])


def test_lr_reads_only_the_user_and_movie_ids_and_the_models_above_mf_read_the_history():
    from recsys_course.data import synthetic_movielens
    from recsys_course.lessons.l06_training_discipline import ctr_benchmark as ctr
    from recsys_course.tasks.ctr import movielens_ctr

    task = movielens_ctr(synthetic_movielens(seed=6, n_users=40, n_items=60, n_ratings=1000), history_len=5)
    assert list(ctr.task_for("LR", task).wide_fields) == list(ctr.ID_FIELDS)
    assert ctr.task_for("FM", task) is task
    s = ctr.fast_settings(ctr.Settings(dim=4))
    for name in ("FM", "DeepFM", "DIN", "BaseModel"):
        assert "history" in ctr.build_model(name, task, s).inputs, name
    assert "history" not in getattr(ctr.build_model("MF", task, s), "inputs", ())


def test_a_tuning_run_for_some_models_keeps_the_other_models_rows():
    import pandas as pd

    from recsys_course.lessons.l06_training_discipline import ctr_benchmark as ctr

    def rows(model, values):
        return pd.DataFrame({"model": model, "lr": [1e-3, 3e-3], "weight_decay": 0.0, "valid": values})

    saved = pd.concat([rows("DIN", [0.7, 0.8]), rows("MF", [0.6, 0.5])], ignore_index=True)
    merged = ctr.merged_grid(saved, rows("MF", [0.5, 0.9]))
    assert list(merged["model"]) == ["MF", "MF", "DIN", "DIN"]  # the models' order, the new MF rows
    assert ctr.choices(merged) == {
        "MF": {"lr": 3e-3, "weight_decay": 0.0},
        "DIN": {"lr": 3e-3, "weight_decay": 0.0},
    }
    assert ctr.merged_grid(None, saved).equals(ctr.merged_grid(saved, saved))
    # saved rows off the current grid (an older grid's) are dropped
    s = ctr.replace(ctr.Settings(), rates=(3e-3,), decays=(0.0,))
    assert list(ctr.merged_grid(saved, rows("MF", [0.5, 0.9]), s)["model"]) == ["MF", "MF", "DIN"]
