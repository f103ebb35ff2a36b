"""Tests for recsys_course.tasks.negatives: InteractionSet and vectorised negative sampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from recsys_course.tasks.negatives import (
    InteractionSet,
    evaluation_candidates,
    pick_hard,
    popularity_probs,
    sample_negatives,
    training_pairs,
)

N_USERS, N_ITEMS = 50, 40


@pytest.fixture
def dense():
    """A 50 x 40 boolean interaction matrix with ~70% density (each user keeps >= 8 unseen items)."""
    rng = np.random.default_rng(0)
    matrix = rng.random((N_USERS, N_ITEMS)) < 0.7
    for user in range(N_USERS):  # guarantee room for the tests that need several negatives
        while (~matrix[user]).sum() < 8:
            matrix[user, rng.choice(np.flatnonzero(matrix[user]))] = False
    return matrix


def _seen(matrix: np.ndarray) -> InteractionSet:
    users, items = np.nonzero(matrix)
    return InteractionSet(users, items, matrix.shape[1])


def test_dense_fixture_really_forces_rejection(dense):
    """Sanity: the matrix is dense enough that most uniform draws must be rejected."""
    assert 0.6 < dense.mean() < 0.8


def test_interaction_set_contains_matches_python_set():
    """contains() agrees with a Python set of pairs on random queries (hits and misses)."""
    rng = np.random.default_rng(1)
    users = rng.integers(0, 100, 2000)
    items = rng.integers(0, 300, 2000)
    seen = InteractionSet(users, items, 300)
    pairs = set(zip(users.tolist(), items.tolist()))
    q_users = np.concatenate([users[:500], rng.integers(0, 120, 5000)])  # some users never seen
    q_items = np.concatenate([items[:500], rng.integers(0, 300, 5000)])
    expected = np.array([(u, i) in pairs for u, i in zip(q_users.tolist(), q_items.tolist())])
    got = seen.contains(q_users, q_items)
    np.testing.assert_array_equal(got, expected)
    assert expected.sum() > 500  # the queries hit as well as miss


def test_interaction_set_contains_keeps_shape():
    """contains() works elementwise on 2-D query arrays."""
    seen = InteractionSet([0, 1], [2, 3], 5)
    got = seen.contains(np.array([[0, 0], [1, 1]]), np.array([[2, 3], [2, 3]]))
    np.testing.assert_array_equal(got, [[True, False], [False, True]])


def test_interaction_set_empty():
    """An empty set contains nothing and has counted nothing."""
    seen = InteractionSet([], [], 10)
    assert not seen.contains([0, 3], [1, 2]).any()
    np.testing.assert_array_equal(seen.seen_count([0, 5]), [0, 0])


def test_interaction_set_seen_count_dedupes():
    """seen_count counts distinct items per user; unknown users have seen nothing."""
    seen = InteractionSet([0, 0, 0, 2], [1, 1, 4, 0], 5)
    np.testing.assert_array_equal(seen.seen_count([0, 1, 2, 9]), [2, 0, 1, 0])


def test_interaction_set_rejects_out_of_range_items():
    """Item ids must lie in [0, n_items)."""
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        InteractionSet([0, 1], [2, 5], 5)
    with pytest.raises(ValueError):
        InteractionSet([0], [-1], 5)


def test_sample_negatives_never_returns_seen_items(dense):
    """On a dense matrix no drawn negative is an item the user interacted with."""
    seen = _seen(dense)
    users = np.repeat(np.arange(N_USERS), 10)
    negs = sample_negatives(users, 20, seen, np.random.default_rng(2))
    assert negs.shape == (len(users), 20)
    assert negs.min() >= 0 and negs.max() < N_ITEMS
    assert not dense[users[:, None], negs].any()


def test_sample_negatives_popularity_never_returns_seen_items(dense):
    """The same holds with popularity-weighted draws."""
    seen = _seen(dense)
    probs = popularity_probs(dense.sum(axis=0) + 1)
    users = np.arange(N_USERS)
    negs = sample_negatives(users, 30, seen, np.random.default_rng(3), probs=probs)
    assert not dense[users[:, None], negs].any()


def test_sample_negatives_uniform_over_unseen_items():
    """Uniform draws for a user cover that user's unseen items evenly (loose chi-square)."""
    n_items = 30
    seen = InteractionSet([0] * 10, range(10), n_items)  # user 0 has seen items 0..9
    negs = sample_negatives(np.zeros(20_000, dtype=np.int64), 5, seen, np.random.default_rng(4))
    counts = np.bincount(negs.ravel(), minlength=n_items)
    assert counts[:10].sum() == 0
    assert chisquare(counts[10:]).pvalue > 1e-3
    assert counts[10:].min() > 0.9 * counts[10:].mean()


def test_sample_negatives_uniform_for_new_user():
    """A user absent from the interaction set draws from all items evenly."""
    n_items = 25
    seen = InteractionSet([0, 0], [1, 2], n_items)
    negs = sample_negatives(np.full(10_000, 3), 4, seen, np.random.default_rng(5))
    counts = np.bincount(negs.ravel(), minlength=n_items)
    assert chisquare(counts).pvalue > 1e-3


def test_popularity_probs():
    """popularity_probs is count**alpha, normalised; all-zero counts raise."""
    counts = np.array([0, 1, 16, 81])
    np.testing.assert_allclose(popularity_probs(counts, alpha=1.0), counts / counts.sum())
    probs = popularity_probs(counts, alpha=0.75)
    np.testing.assert_allclose(probs, np.array([0, 1, 8, 27]) / 36)
    with pytest.raises(ValueError):
        popularity_probs([0, 0, 0])


def test_sample_negatives_follows_popularity_weights():
    """Weighted draws for a new user match the weights (loose frequency check)."""
    n_items = 12
    counts = np.arange(n_items) ** 2  # item 0 has zero weight: never drawn
    probs = popularity_probs(counts, alpha=1.0)
    seen = InteractionSet([0], [0], n_items)
    negs = sample_negatives(np.full(50_000, 1), 4, seen, np.random.default_rng(6), probs=probs)
    freq = np.bincount(negs.ravel(), minlength=n_items) / negs.size
    assert freq[0] == 0
    np.testing.assert_allclose(freq, probs, atol=0.005)


def test_sample_negatives_popularity_conditional_on_unseen():
    """With seen items rejected, draws follow the weights renormalised over unseen items."""
    n_items = 8
    probs = popularity_probs(np.array([8, 1, 1, 2, 4, 8, 16, 32]), alpha=1.0)
    seen = InteractionSet([0, 0, 0], [0, 7, 3], n_items)
    negs = sample_negatives(np.zeros(40_000, dtype=np.int64), 3, seen, np.random.default_rng(7), probs=probs)
    freq = np.bincount(negs.ravel(), minlength=n_items) / negs.size
    expected = probs.copy()
    expected[[0, 7, 3]] = 0
    expected /= expected.sum()
    np.testing.assert_allclose(freq, expected, atol=0.006)


def test_sample_negatives_user_who_saw_everything_raises():
    """A user with no unseen item left cannot get a negative: ValueError naming the user."""
    seen = InteractionSet([0, 0, 0, 1], [0, 1, 2, 0], 3)
    with pytest.raises(ValueError, match="user 0"):
        sample_negatives([1, 0, 1], 2, seen, np.random.default_rng(0))


def test_sample_negatives_rejects_wrong_probs_length():
    """probs must have one entry per item."""
    seen = InteractionSet([0], [0], 5)
    with pytest.raises(ValueError):
        sample_negatives([0], 2, seen, np.random.default_rng(0), probs=np.full(4, 0.25))


def test_sample_negatives_deterministic_given_seed(dense):
    """Same seed, same negatives."""
    seen = _seen(dense)
    users = np.arange(N_USERS)
    a = sample_negatives(users, 6, seen, np.random.default_rng(11))
    b = sample_negatives(users, 6, seen, np.random.default_rng(11))
    np.testing.assert_array_equal(a, b)


@pytest.fixture
def sparse():
    """30 users x 500 items; each user has seen 60 items; the first seen item is the positive."""
    rng = np.random.default_rng(8)
    n_users, n_items = 30, 500
    seen_items = [rng.choice(n_items, size=60, replace=False) for _ in range(n_users)]
    users = np.repeat(np.arange(n_users), 60)
    items = np.concatenate(seen_items)
    positives = np.array([s[0] for s in seen_items])
    return InteractionSet(users, items, n_items), np.arange(n_users), positives, seen_items


def test_evaluation_candidates_protocol(sparse):
    """Column 0 is the positive, then 99 distinct unseen negatives, none equal to the positive."""
    seen, users, positives, seen_items = sparse
    cand = evaluation_candidates(users, positives, seen, np.random.default_rng(9))
    assert cand.shape == (len(users), 100)
    np.testing.assert_array_equal(cand[:, 0], positives)
    for row, user_seen in zip(cand, seen_items):
        negs = row[1:]
        assert len(set(negs.tolist())) == 99
        assert not set(negs.tolist()) & set(user_seen.tolist())
        assert row[0] not in negs


def test_evaluation_candidates_dense_matrix(dense):
    """On the dense matrix (heavy rejection) negatives are still distinct and unseen."""
    seen = _seen(dense)
    users = np.arange(N_USERS)
    positives = np.array([np.flatnonzero(row)[-1] for row in dense])
    cand = evaluation_candidates(users, positives, seen, np.random.default_rng(10), n_neg=5)
    assert cand.shape == (N_USERS, 6)
    np.testing.assert_array_equal(cand[:, 0], positives)
    negs = cand[:, 1:]
    assert not dense[users[:, None], negs].any()
    assert all(len(set(row.tolist())) == 5 for row in negs)


def test_evaluation_candidates_positive_not_in_seen():
    """Even if the positive is missing from `seen`, it is never drawn as a negative."""
    seen = InteractionSet([0, 0], [0, 1], 8)
    for seed in range(20):
        cand = evaluation_candidates([0], [5], seen, np.random.default_rng(seed), n_neg=5)
        assert cand[0, 0] == 5
        assert sorted(cand[0, 1:].tolist()) == [2, 3, 4, 6, 7]


def test_evaluation_candidates_deterministic(sparse):
    """Same seed, same candidates; another seed, other candidates."""
    seen, users, positives, _ = sparse
    a = evaluation_candidates(users, positives, seen, np.random.default_rng(42))
    b = evaluation_candidates(users, positives, seen, np.random.default_rng(42))
    c = evaluation_candidates(users, positives, seen, np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_evaluation_candidates_not_enough_room():
    """A user with fewer unseen items than n_neg raises ValueError with the user's true count."""
    seen = InteractionSet([0] * 2 + [1] * 6, [0, 1, 0, 1, 2, 3, 4, 5], 10)
    # user 0 has 8 unseen items, user 1 has 4: both are short of 9; user 0 is reported first
    with pytest.raises(ValueError, match="user 0 has only 8 unseen items"):
        evaluation_candidates([0, 1], [0, 0], seen, np.random.default_rng(0), n_neg=9)


def test_training_pairs_shapes_and_labels(dense):
    """1 positive : n_neg negatives, positives kept as given, negatives never seen."""
    seen = _seen(dense)
    users, items = np.nonzero(dense)
    n_neg = 4
    out_users, out_items, labels = training_pairs(users, items, seen, n_neg, np.random.default_rng(12))
    n = len(users) * (1 + n_neg)
    assert out_users.shape == out_items.shape == labels.shape == (n,)
    assert labels.dtype == np.float32
    assert labels.sum() == len(users)
    assert (labels == 0).sum() == n_neg * len(users)
    pos = labels == 1
    assert sorted(zip(out_users[pos].tolist(), out_items[pos].tolist())) == sorted(
        zip(users.tolist(), items.tolist())
    )
    assert dense[out_users[pos], out_items[pos]].all()
    assert not dense[out_users[~pos], out_items[~pos]].any()
    # each user gets n_neg negatives per positive
    np.testing.assert_array_equal(np.bincount(out_users[~pos], minlength=N_USERS), n_neg * dense.sum(axis=1))


def test_training_pairs_are_shuffled(dense):
    """The output is shuffled: labels are not all positives first."""
    seen = _seen(dense)
    users, items = np.nonzero(dense)
    _, _, labels = training_pairs(users, items, seen, 1, np.random.default_rng(13))
    assert labels[: len(users)].mean() < 0.9


def test_pick_hard_picks_distinct_columns_and_the_top_ones_when_cold():
    rng = np.random.default_rng(0)
    scores = np.tile(np.arange(20.0), (500, 1))
    cold = pick_hard(scores, 3, 0.01, rng)
    assert (np.sort(cold, axis=1) == [17, 18, 19]).all()  # near zero temperature: the three best
    warm = pick_hard(scores, 3, 1e6, rng)
    assert all(len(set(row)) == 3 for row in warm)  # without replacement
    counts = np.bincount(warm.ravel(), minlength=20) / warm.size
    assert counts.min() > 0.02 and counts.max() < 0.09  # near uniform (1/20 each) when hot
    with pytest.raises(ValueError, match="temperature"):
        pick_hard(scores, 3, 0.0, rng)
    with pytest.raises(ValueError, match="pool"):
        pick_hard(scores, 21, 1.0, rng)


def test_pick_hard_follows_the_softmax():
    rng = np.random.default_rng(1)
    scores = np.tile(np.log([1.0, 2.0, 7.0]), (20_000, 1))  # softmax at T=1: 0.1, 0.2, 0.7
    picked = pick_hard(scores, 1, 1.0, rng).ravel()
    assert np.bincount(picked, minlength=3) / len(picked) == pytest.approx([0.1, 0.2, 0.7], abs=0.015)
