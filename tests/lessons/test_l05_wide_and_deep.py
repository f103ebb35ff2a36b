"""Tests for lesson 05's experiments: the Wide & Deep ladder end to end, its claims, and FTRL's L1."""

from __future__ import annotations

import pytest

from recsys_course.data import synthetic_movielens
from recsys_course.tasks.ctr import movielens_ctr


@pytest.fixture(scope="module")
def task():
    return movielens_ctr(
        synthetic_movielens(seed=3, n_users=80, n_items=120, n_ratings=4000),
        history_len=5,
        cross_buckets=2**12,
    )


def test_experiment_runs_end_to_end_and_judges(task):
    from recsys_course.lessons.l05_wide_and_deep import claims as wide_deep_claims
    from recsys_course.lessons.l05_wide_and_deep import wide_deep
    from recsys_course.training.wide_deep import KINDS, OPTIMIZERS

    s = wide_deep.fast_settings(wide_deep.Settings(dim=4))
    results = wide_deep.run_movielens(task, {kind: s for kind in KINDS}, seeds=(0, 1), log=lambda *_: None)
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
    assert all(c.verdict in ("supported", "contradicted", "inconclusive") for c in claims)


def test_ftrl_l1_zeroes_more_wide_weights(task):
    from dataclasses import replace

    from recsys_course.lessons.l05_wide_and_deep import wide_deep

    s = wide_deep.fast_settings(wide_deep.Settings(dim=4))
    shares = [
        wide_deep.zero_share(wide_deep.train(task, replace(s, ftrl_l1=l1), deep=False)[0], task)
        for l1 in (0.0, 50.0)
    ]
    assert shares[0] < 0.05 < shares[1]
