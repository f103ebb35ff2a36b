"""Tests for lesson 05's experiments: the Wide & Deep ladder end to end, its claims, FTRL's L1, and the diagram."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from recsys_course.evidence import verdict


def test_experiment_runs_end_to_end_and_judges(ctr_task, small_wide_deep):
    task = ctr_task
    from recsys_course.lessons.l05_wide_and_deep import claims as wide_deep_claims
    from recsys_course.lessons.l05_wide_and_deep import wide_deep
    from recsys_course.training.wide_deep import OPTIMIZERS

    results = wide_deep.run_movielens(task, small_wide_deep, seeds=(0, 1), log=lambda *_: None)
    frame = results["all"].frame()
    assert {"global rate", "item mean", "LR on ids", "wide", "deep", "joint", "ensemble"} <= set(
        frame["model"]
    )
    assert set(frame.loc[frame["model"] == "joint", "optimizer"]) == set(OPTIMIZERS)
    assert frame.loc[frame["model"] == "global rate", "auc"].item() == pytest.approx(0.5)
    assert frame["zero share"].dropna().between(0, 1).all()
    slices = {k: v for k, v in results.items() if k != "all"}
    assert slices and set(slices) <= set(wide_deep.SLICES)
    for part in slices.values():  # every slice records every run, on its own users
        assert len(part.rows) == len(frame) and set(part.users) <= set(results["all"].users)
    claims = wide_deep_claims.movielens_claims(results["all"], slices, "test")
    assert len(claims) == 5 + (list(wide_deep.SLICES)[-1] in slices)
    assert all(c.verdict == verdict(c.effect, c.threshold, c.direction)[0] for c in claims)  # by the rule


def test_ftrl_l1_zeroes_more_wide_weights(ctr_task, small_wide_deep):
    from dataclasses import replace

    from recsys_course.lessons.l05_wide_and_deep import wide_deep

    task, s = ctr_task, small_wide_deep["wide"]
    shares = [
        wide_deep.zero_share(wide_deep.train(task, replace(s, ftrl_l1=l1), deep=False)[0], task)
        for l1 in (0.0, 50.0)
    ]
    assert shares[0] < 0.05 < shares[1]


def test_wide_deep_diagram_reads_fields_sizes_and_optimizers_from_the_objects():
    import torch

    from recsys_course.lessons.l05_wide_and_deep import figures as wide_deep_figures
    from recsys_course.models import WideAndDeep
    from recsys_course.training.optim import FTRL, Joint

    model = WideAndDeep(120, {"user": 30, "movie": 40}, dim=5, hidden=(12, 7), n_dense=3, history_items=40)
    optimizer = Joint(
        FTRL(model.wide_parameters(), alpha=0.3, l1=0.02),
        torch.optim.Adagrad(model.deep_parameters(), lr=0.05),
    )
    fig, ax = plt.subplots()
    try:
        wide_deep_figures.wide_deep_diagram(
            model, {"user": 30, "movie": 40, "user x movie": 50}, optimizer, ax
        )
        texts = " | ".join(t.get_text() for t in ax.texts)
        for expected in [
            "user x movie (50)",
            "120 weights",
            "FTRL (alpha 0.3, L1 0.02)",
            "Adagrad (lr 0.05)",
            "user 30, movie 40",
            "liked history (40 items)",
            "2 embeddings x 5 + liked-history mean 5\n+ 3 dense = 18",
            "-> 12",
            "-> 7",
            "sigmoid",
        ]:
            assert expected in texts, (expected, texts)
    finally:
        plt.close(fig)
    deep_only = WideAndDeep(10, {"user": 30}, dim=4, hidden=(8,), wide=False)
    fig, ax = plt.subplots()
    try:
        wide_deep_figures.wide_deep_diagram(
            deep_only, {}, torch.optim.Adam(deep_only.parameters(), lr=0.001), ax
        )
        texts = " | ".join(t.get_text() for t in ax.texts)
        assert "Adam (lr 0.001)" in texts and "EmbeddingBag" not in texts
    finally:
        plt.close(fig)


def test_edges_check_every_tuned_setting_against_its_grid():
    """Each kind's tuned settings are set against the grid `tune` tries; only values at an end are named."""
    from dataclasses import replace

    from recsys_course.lessons.l05_wide_and_deep import wide_deep as wd
    from recsys_course.training.wide_deep import KINDS, Settings

    inside = replace(
        Settings(),
        ftrl_alpha=0.2,
        ftrl_l1=4.0,
        adagrad_lr=0.03,
        adam_lr=1e-3,
        split_wide_lr=1e-2,
        split_deep_lr=1e-3,
    )
    tuned = {kind: inside for kind in KINDS}
    tuned["wide"] = replace(inside, ftrl_l1=wd.GRIDS["ftrl_l1"][-1])
    report = wd.edges(tuned)
    assert list(report.index[report["at edge"] != ""]) == ["wide: ftrl_l1"]
    assert len(report) == sum(len(names) for kind, names in wd.TUNED_SETTINGS.items() if kind in tuned)
