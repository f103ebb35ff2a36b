"""Tests for lesson 04's engagement simulation: weighted LR with shared features, scored on pairs it never saw."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_course.lessons.l04_youtube_two_stage import engagement


def test_the_feature_log_hides_a_quarter_of_each_user_kinds_videos_and_is_seeded():
    data = engagement.feature_watch_log(n_impressions=100_000, n_users=4, n_videos=8, seed=3)
    hidden = data.truth.groupby("user")["shown"].apply(lambda shown: int((~shown).sum()))
    assert hidden.tolist() == [2, 2, 2, 2]
    assert len(data.log) == 24 and data.log["impressions"].sum() == 100_000
    assert (data.log["clicks"] <= data.log["impressions"]).all()
    assert (data.log.loc[data.log["clicks"] == 0, "minutes"] == 0).all()
    again = engagement.feature_watch_log(n_impressions=100_000, n_users=4, n_videos=8, seed=3)
    assert data.log.equals(again.log)
    with pytest.raises(ValueError, match="held_out"):
        engagement.feature_watch_log(held_out=1.0)


def test_weighted_lr_on_the_summed_log_equals_one_row_per_impression():
    """Summing impressions per pair changes the loss only by a constant factor: the same logits come out
    as from the per-impression log (checked through group_logits' closed form on a one-pair-per-group
    model: with only video kinds, the additive model's odds are the weighted odds of each video kind)."""
    data = engagement.feature_watch_log(n_impressions=400_000, n_users=1, n_videos=6, held_out=0.0, seed=1)
    model = engagement.fit_additive(data, weighted=True, l2=0.0)
    odds = np.exp(engagement.pair_logits(model, data.truth))
    log = data.log
    np.testing.assert_allclose(odds, log["minutes"] / (log["impressions"] - log["clicks"]), rtol=1e-4)


def test_weighted_lr_generalises_to_unseen_pairs_and_ranks_by_watch_time():
    """With an additive truth, weighted LR's odds on unseen pairs are off only by the P/(1-P) bias and noise;
    pair effects it cannot learn add their own error, and its ranking still finds more watch time than
    plain LR's, which ranks by clicks."""
    exact = engagement.compare_on_logs(range(3), interaction=0.0)
    assert (exact["|log(odds / E[T])|"] < 0.15).all()
    noisy = engagement.compare_on_logs(range(3))
    assert (noisy["|log(odds / E[T])|"] > exact["|log(odds / E[T])|"]).all()
    assert (noisy["weighted LR"] > noisy["plain LR"]).mean() >= 2 / 3
    assert (noisy["true expected watch"] == 1.0).all()
    assert (noisy[["plain LR", "weighted LR", "true click rate"]] <= 1.0 + 1e-12).all().all()


def test_ranking_gain_is_ndcg_over_the_hidden_pairs():
    data = engagement.feature_watch_log(n_impressions=10_000, n_users=3, n_videos=8, seed=0)
    truth = data.truth
    assert engagement.ranking_gain(truth, truth["expected_watch"].to_numpy()) == pytest.approx(1.0)
    assert engagement.ranking_gain(truth, -truth["expected_watch"].to_numpy()) < 1.0
