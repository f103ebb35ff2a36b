"""Tests for recsys_course.evaluation: metrics (CTR against scikit-learn, ranking by hand), inference, the sampled
protocol."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from torch import nn

from recsys_course.evaluation import sampled
from recsys_course.evaluation.inference import score_pairs
from recsys_course.evaluation.metrics import (
    auc,
    hit_rate_at_k,
    log_loss,
    ndcg_at_k,
    neighbour_agreement,
    rank_of_positive,
    recall_at_k,
    rmse,
    sampled_auc_per_user,
)


class ItemIdScore(nn.Module):
    """Scores a pair by its item id, negated for odd users: rankings known in advance."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(()))  # gives the model a device

    def forward(self, users, items):
        sign = 1.0 - 2.0 * (users % 2).float()
        return sign * items.float() + 0.0 * self.dummy


class NoParams(nn.Module):
    """A parameter-free scorer (like a popularity baseline): score = item id."""

    def forward(self, users, items):
        return items.float()


@pytest.mark.parametrize("seed", range(4))
def test_auc_matches_sklearn_with_ties(seed):
    """auc equals roc_auc_score, including heavily tied (rounded) scores."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 500)
    scores = np.round(rng.normal(size=500) + 0.8 * labels, 1)
    assert len(np.unique(scores)) < 200  # ties really happen
    assert auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)


def test_auc_hand_cases():
    """Perfect, reversed and all-tied scores give 1, 0 and 0.5."""
    labels = [0, 0, 1, 1]
    assert auc(labels, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auc(labels, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert auc(labels, [0.5] * 4) == 0.5
    assert auc([1, 0, 1, 0], [0.3, 0.3, 0.9, 0.1]) == pytest.approx(0.875)


@pytest.mark.parametrize("labels", [[1, 1, 1], [0, 0], []])
def test_auc_needs_both_classes(labels):
    """With one class AUC is undefined: ValueError."""
    with pytest.raises(ValueError):
        auc(labels, np.linspace(0, 1, len(labels)))


@pytest.mark.parametrize("seed", range(3))
def test_log_loss_matches_sklearn(seed):
    """log_loss equals sklearn's on random labels and probabilities."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 300)
    probs = rng.uniform(0.01, 0.99, 300)
    assert log_loss(labels, probs) == pytest.approx(skm.log_loss(labels, probs), rel=1e-10)


def test_log_loss_clips_extremes():
    """Probabilities of exactly 0 or 1 are clipped, so the loss stays finite."""
    value = log_loss([1, 0], [0.0, 1.0], eps=1e-7)
    assert math.isfinite(value)
    assert value == pytest.approx(-math.log(1e-7), rel=1e-6)
    assert log_loss([1, 0], [1.0, 0.0]) == pytest.approx(0.0, abs=1e-6)


def test_rmse():
    """rmse by hand and against sklearn."""
    assert rmse([1, 2, 3], [1, 2, 3]) == 0.0
    assert rmse([0, 0], [3, 4]) == pytest.approx(math.sqrt(12.5))
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert rmse(a, b) == pytest.approx(math.sqrt(skm.mean_squared_error(a, b)))


def test_rank_of_positive_basic():
    """The rank is the number of negatives scoring at least as high as column 0."""
    scores = np.array(
        [
            [5.0, 1.0, 2.0, 3.0],  # best: rank 0
            [2.0, 5.0, 1.0, 0.0],  # one above: rank 1
            [0.0, 1.0, 2.0, 3.0],  # worst: rank 3
        ]
    )
    np.testing.assert_array_equal(rank_of_positive(scores), [0, 1, 3])


def test_rank_of_positive_ties_count_against_positive():
    """A constant-score row ranks the positive last; a partial tie counts too."""
    np.testing.assert_array_equal(rank_of_positive(np.full((3, 100), 0.5)), [99, 99, 99])
    np.testing.assert_array_equal(rank_of_positive(np.array([[2.0, 2.0, 1.0, 3.0]])), [2])


def test_hit_rate_and_ndcg_hand_case():
    """ranks [0, 3, 12] with k=10: HR = 2/3, NDCG = (1/log2(2) + 1/log2(5) + 0) / 3."""
    ranks = [0, 3, 12]
    assert hit_rate_at_k(ranks, k=10) == pytest.approx(2 / 3)
    assert ndcg_at_k(ranks, k=10) == pytest.approx((1 / math.log2(2) + 1 / math.log2(5)) / 3)


def test_hit_rate_and_ndcg_cutoff():
    """rank k is outside the top k; rank k-1 is inside."""
    assert hit_rate_at_k([9], k=10) == 1.0
    assert hit_rate_at_k([10], k=10) == 0.0
    assert ndcg_at_k([10], k=10) == 0.0
    assert ndcg_at_k([9], k=10) == pytest.approx(1 / math.log2(11))
    assert hit_rate_at_k([0, 1, 2, 3], k=2) == 0.5


def test_recall_at_k_hand_case():
    """Share of relevant items in each top-k list, averaged; users with none relevant are skipped."""
    top = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    relevant = [{1, 3, 9}, {6}, set()]
    # k=2: user 0 finds 1 of 3, user 1 finds 0 of 1 (6 is 3rd); user 2 skipped
    assert recall_at_k(top, relevant, k=2) == pytest.approx((1 / 3 + 0) / 2)
    # k=3: user 0 finds 2 of 3, user 1 finds 1 of 1
    assert recall_at_k(top, relevant, k=3) == pytest.approx((2 / 3 + 1) / 2)


def test_score_pairs_batches_in_order():
    """Batched scoring returns scores in input order and restores the training flag."""
    model = ItemIdScore()
    model.train()
    users = np.array([0, 1, 2, 3, 4, 5, 6] * 3)
    items = np.arange(21)
    scores = score_pairs(model, users, items, batch_size=4)
    expected = np.where(users % 2 == 0, items, -items).astype(np.float32)
    np.testing.assert_array_equal(scores, expected)
    assert model.training


def test_score_pairs_empty():
    """No pairs, no scores."""
    assert score_pairs(ItemIdScore(), [], []).shape == (0,)


def test_score_pairs_model_without_parameters():
    """A parameter-free model (e.g. a popularity baseline) can be scored too."""
    scores = score_pairs(NoParams(), [0, 1, 2], [7, 8, 9])
    np.testing.assert_array_equal(scores, [7, 8, 9])


def _candidates_with_ranks(ranks, n_neg=99, positive=200):
    """Rows whose positive has `ranks[r]` negatives with a higher item id (the model's score)."""
    rows = []
    for r in ranks:
        above = positive + 1 + np.arange(r)
        below = np.arange(n_neg - r)
        rows.append(np.concatenate([[positive], above, below]))
    return np.array(rows)


def test_sampled_means_known_scores():
    """With scores = item id, ranks [0, 3, 12] give HR@10 = 2/3 and the hand NDCG."""
    cand = _candidates_with_ranks([0, 3, 12])
    users = np.array([0, 2, 4])  # even users: score = +item id
    out = sampled.means(ItemIdScore(), users, cand, k=10)
    assert set(out) == {"hr@10", "ndcg@10", "auc"}
    assert out["hr@10"] == pytest.approx(2 / 3)
    assert out["ndcg@10"] == pytest.approx((1 + 1 / math.log2(5)) / 3)
    assert out["auc"] == pytest.approx(np.mean([(99 - r) / 99 for r in (0, 3, 12)]))


def test_sampled_means_pair_each_row_with_its_user():
    """Rows are scored with their own user: odd users (negated scores) rank the positive differently."""
    cand = _candidates_with_ranks([0, 0, 0, 0], n_neg=20)
    # even users: positive (200) is the top item -> rank 0; odd users: it is the bottom -> rank 20
    out = sampled.means(ItemIdScore(), np.array([0, 1, 2, 3]), cand, k=5)
    assert out == {"hr@5": 0.5, "ndcg@5": 0.5, "auc": 0.5}


def test_sampled_means_of_a_constant_model_are_zero():
    """A model that scores everything equal cannot look good: HR@10 = 0."""

    class Constant(ItemIdScore):
        def forward(self, users, items):
            return torch.zeros(len(items)) + 0.0 * self.dummy

    cand = _candidates_with_ranks([0, 0])
    assert sampled.means(Constant(), [0, 2], cand, k=10) == {"hr@10": 0.0, "ndcg@10": 0.0, "auc": 0.5}


def test_sampled_auc_per_user_hand_cases():
    """Per-row AUC: share of negatives below the positive, ties counting one half."""
    scores = np.array(
        [
            [3.0, 1.0, 2.0, 5.0],  # 2 of 3 below -> 2/3
            [1.0, 1.0, 0.0, 0.0],  # 2 below, 1 tie -> 2.5/3
        ]
    )
    np.testing.assert_allclose(sampled_auc_per_user(scores), [2 / 3, 2.5 / 3])


def test_sampled_auc_per_user_matches_sklearn():
    """Each row's sampled AUC is the ordinary AUC of one positive against its negatives."""
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, size=(6, 12)).astype(float)
    expected = [skm.roc_auc_score([1] + [0] * 11, row) for row in scores]
    np.testing.assert_allclose(sampled_auc_per_user(scores), expected)


def test_neighbour_agreement_finds_planted_clusters():
    """Vectors clustered by label agree with their neighbours; shuffled labels do not."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.eye(4, dtype=bool), 25, axis=0)  # 100 items, 4 one-label groups
    centres = rng.normal(size=(4, 8)) * 5
    vectors = centres[labels.argmax(1)] + rng.normal(size=(100, 8))
    assert neighbour_agreement(vectors, labels, k=5) > 0.95
    shuffled = labels[rng.permutation(100)]
    assert neighbour_agreement(vectors, shuffled, k=5) < 0.45  # chance is about 0.24


def test_neighbour_agreement_excludes_self_and_counts_shared_labels():
    """A row never counts itself; sharing any one label is agreement."""
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    labels = np.array([[1, 1], [0, 1], [1, 0]], dtype=bool)
    # neighbours with k=1: 0 -> 1 (shares label 1), 1 -> 0 (shares), 2 -> 1 (no common label)
    assert neighbour_agreement(vectors, labels, k=1) == pytest.approx(2 / 3)


def test_sampled_per_user_rows_average_to_the_means():
    """One row per user (rank, hit, NDCG gain, AUC) whose means are sampled.means' numbers."""
    cand = _candidates_with_ranks([0, 3, 12, 40])
    users = np.array([0, 2, 4, 6])
    rows = sampled.per_user(ItemIdScore(), users, cand, k=10)
    assert rows["user"].tolist() == users.tolist() and rows["rank"].tolist() == [0, 3, 12, 40]
    assert rows["hr@10"].tolist() == [1, 1, 0, 0]
    np.testing.assert_allclose(rows["ndcg@10"], [1, 1 / math.log2(5), 0, 0])
    np.testing.assert_allclose(rows["auc"], [(99 - r) / 99 for r in (0, 3, 12, 40)])
    means = sampled.means(ItemIdScore(), users, cand, k=10)
    assert means == pytest.approx(rows[["hr@10", "ndcg@10", "auc"]].mean().to_dict())


def test_per_user_means_groups_rows_by_user():
    from recsys_course.evaluation.metrics import per_user_means

    means = per_user_means([0, 0, 2, 2, 2], [1.0, 0.0, 3.0, 3.0, 0.0], n_users=4)
    np.testing.assert_allclose(means[[0, 2]], [0.5, 2.0])
    assert np.isnan(means[1]) and np.isnan(means[3])


def test_user_weighted_auc_by_hand():
    from recsys_course.evaluation.metrics import auc, user_weighted_auc

    users = [0, 0, 0, 1, 1, 1, 1, 2, 2]
    labels = [1, 0, 0, 1, 1, 0, 0, 1, 1]  # user 2 has no negative: no AUC of their own
    scores = [0.9, 0.5, 0.95, 0.2, 0.8, 0.1, 0.8, 0.3, 0.4]
    user0 = 0.5  # the positive beats one of two negatives
    user1 = (1 + 0 + 1 + 0.5) / 4  # 0.2 > 0.1; 0.2 < 0.8; 0.8 > 0.1; 0.8 ties 0.8
    expected = (3 * user0 + 4 * user1) / 7
    assert user_weighted_auc(users, labels, scores) == pytest.approx(expected)
    # a score that only separates users (not items within a user) earns 0.5, however good its global AUC
    by_user = [0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5]
    assert user_weighted_auc(users, labels, by_user) == pytest.approx(0.5)
    assert auc(labels, by_user) > 0.5
    with pytest.raises(ValueError, match="both a positive and a negative"):
        user_weighted_auc([0, 0], [1, 1], [0.1, 0.2])


def _clustered_log(seed: int, n_users: int = 150):
    """Impressions of users with their own base rate and their own number of rows; scores carry signal."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 40, n_users)
    users = np.repeat(np.arange(n_users), sizes)
    base = rng.normal(0, 1, n_users)[users]
    labels = (rng.random(len(users)) < 1 / (1 + np.exp(-base))).astype(int)
    probs = 1 / (1 + np.exp(-(0.8 * base + rng.normal(0, 1, len(users)) + labels)))
    probs = np.round(probs, 2)  # ties, which count one half
    return users, labels, probs


def test_ctr_per_user_columns_average_to_the_metrics():
    from recsys_course.evaluation.metrics import ctr_metrics, ctr_per_user, user_weighted_auc

    users, labels, probs = _clustered_log(0)
    terms = ctr_per_user(users, labels, probs)
    assert list(terms["user"]) == sorted(set(users))
    assert terms["auc"].mean() == pytest.approx(skm.roc_auc_score(labels, probs), abs=1e-12)
    assert terms["uauc"].mean() == pytest.approx(user_weighted_auc(users, labels, probs), abs=1e-12)
    assert terms["logloss"].mean() == pytest.approx(log_loss(labels, probs), abs=1e-12)
    assert ctr_metrics(users, labels, probs)["auc"] == pytest.approx(terms["auc"].mean())
    with pytest.raises(ValueError, match="positive and one negative"):
        ctr_per_user([0, 1], [1, 1], [0.3, 0.4])


def test_ctr_per_user_auc_terms_give_the_spread_of_a_user_bootstrap():
    """Resampling the per-user AUC terms spreads like recomputing the AUC on resampled users."""
    from recsys_course.evaluation.metrics import ctr_per_user

    users, labels, probs = _clustered_log(1)
    terms = ctr_per_user(users, labels, probs)["auc"].to_numpy()
    rng = np.random.default_rng(2)
    n_users = len(terms)
    rows_of = [np.flatnonzero(users == u) for u in range(n_users)]
    exact, linear = [], []
    for _ in range(400):
        drawn = rng.integers(0, n_users, n_users)
        rows = np.concatenate([rows_of[u] for u in drawn])
        exact.append(skm.roc_auc_score(labels[rows], probs[rows]))
        linear.append(terms[drawn].mean())
    assert np.std(linear) == pytest.approx(np.std(exact), rel=0.2)
    assert np.mean(linear) == pytest.approx(np.mean(exact), abs=0.01)


def test_temperature_scaling_mends_logloss_and_leaves_auc_alone():
    from recsys_course.evaluation.metrics import fit_temperature

    rng = np.random.default_rng(3)
    true_logits = rng.normal(0, 1.5, 5000)
    labels = (rng.random(5000) < 1 / (1 + np.exp(-true_logits))).astype(int)
    overconfident = 3.0 * true_logits  # the right order, probabilities far too sure
    t = fit_temperature(labels, overconfident)
    assert t == pytest.approx(3.0, rel=0.15)  # it finds the factor that was applied
    before = log_loss(labels, 1 / (1 + np.exp(-overconfident)))
    after = log_loss(labels, 1 / (1 + np.exp(-overconfident / t)))
    assert after < before - 0.05
    assert auc(labels, overconfident / t) == pytest.approx(auc(labels, overconfident), abs=1e-12)
    # a calibrated model keeps T ~ 1
    assert fit_temperature(labels, true_logits) == pytest.approx(1.0, rel=0.15)


def test_graded_ndcg_rewards_the_larger_gain_on_top():
    from recsys_course.evaluation.metrics import ndcg_at_k_graded

    gains = np.array([5.0, 2.0, 0.0])
    assert ndcg_at_k_graded(gains, np.array([3.0, 2.0, 1.0]), k=3) == pytest.approx(1.0)
    swapped = ndcg_at_k_graded(gains, np.array([2.0, 3.0, 1.0]), k=3)
    assert swapped == pytest.approx((2 + 5 / np.log2(3)) / (5 + 2 / np.log2(3)))
    assert ndcg_at_k_graded(np.zeros(3), np.arange(3.0), k=2) == 0.0
    with pytest.raises(ValueError, match="non-negative gain per score"):
        ndcg_at_k_graded(np.array([1.0, -1.0]), np.array([0.0, 1.0]))
