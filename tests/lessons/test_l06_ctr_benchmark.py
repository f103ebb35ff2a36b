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
    rates = ctr.tune(task, s, log=lambda *_: None)
    assert set(rates) == set(ctr.MODELS) - {"Wide & Deep"}
    results = ctr.run_models(
        task, s, rates, seeds=(0, 1), log=lambda *_: None, wide_deep_settings=small_wide_deep
    )
    frame = results.frame()
    assert list(frame["model"]) == list(ctr.MODELS) * 2
    assert frame[["auc", "uauc", "logloss"]].notna().all().all()
    table = seed_summary(results, "model", ctr_figure.BENCHMARK_METRICS)
    assert len(table) == len(ctr.MODELS) and (table["seeds"] == 2).all() and (table["auc ±"] >= 0).all()
    fig, axes = plt.subplots(1, 3)
    drawn = ctr_figure.benchmark_chart(results, ctr.CHART, axes)
    assert list(drawn.index) == list(ctr.CHART) and "trend" in axes[0].get_legend().get_texts()[0].get_text()
    plt.close(fig)
    from recsys_course.lessons.l06_training_discipline import claims as ctr_claims

    claims = ctr_claims.benchmark_claims(results, "test")
    assert len(claims) == 3 + 4 + 2
    assert all(c.verdict == verdict(c.effect, c.threshold, c.direction)[0] for c in claims)  # by the rule
    assert claims[0].threshold == 0.04 and claims[0].effect.relative  # the caption: 4% relative
