"""Tests for recsys_course.tasks.features: vocabularies from training rows, buckets, crosses, leak-free histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_course.tasks.features import (
    OOV,
    Vocabulary,
    bucketize,
    collision_rate,
    cross,
    liked_before,
    offset_fields,
    padded_ids,
    pair_frequency,
    quantile_edges,
)


def test_vocabulary_maps_unseen_and_rare_values_to_oov():
    vocab = Vocabulary(min_count=2).fit(["a", "b", "b", "c", "c", "c"])
    assert vocab.size == 3  # b, c and the OOV id
    assert vocab.transform(["c", "b", "a", "zzz"]).tolist() == [2, 1, OOV, OOV]
    with pytest.raises(ValueError, match="fit the vocabulary"):
        Vocabulary().transform(["a"])


def test_buckets_cut_at_training_quantiles_and_keep_missing_apart():
    edges = quantile_edges(np.arange(100), 4)
    assert edges.tolist() == [24.75, 49.5, 74.25]
    assert bucketize([0, 30, 60, 99, np.nan], edges).tolist() == [1, 2, 3, 4, OOV]


def test_padded_ids_of_a_multi_hot_matrix():
    genres = np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 1]])
    assert padded_ids(genres).tolist() == [[0, 2, 4], [4, 4, 4], [1, 2, 3]]


def test_cross_is_deterministic_bounded_and_spreads_pairs():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 300, 5000), rng.integers(0, 300, 5000)
    ids = cross(a, b, 1000)
    assert ids.min() >= 0 and ids.max() < 1000
    assert np.array_equal(ids, cross(a, b, 1000))
    assert not np.array_equal(ids, cross(b, a, 1000))  # (a, b) and (b, a) are different pairs
    assert not np.array_equal(ids, cross(a, b, 1000, seed=1))
    counts = np.bincount(cross(np.arange(100_000) // 317, np.arange(100_000) % 317, 100), minlength=100)
    assert counts.min() > 800 and counts.max() < 1200  # close to uniform over the buckets


def test_collision_rate_by_hand_and_against_theory():
    assert collision_rate([1, 1, 2], [5, 5, 6], buckets=1) == 1.0  # two distinct pairs, one bucket
    assert collision_rate([1, 2], [5, 6], buckets=10**9) == 0.0
    n = 2000  # distinct pairs into m buckets:
    a, b = np.arange(n), np.zeros(n, dtype=int)  # P(collide) = 1 - (1 - 1/m)^(n-1)
    m = 10_000
    assert collision_rate(a, b, m) == pytest.approx(1 - (1 - 1 / m) ** (n - 1), abs=0.03)


@pytest.fixture
def ratings():
    rng = np.random.default_rng(3)
    n = 3000
    return pd.DataFrame(
        {
            "user": rng.integers(0, 30, n),
            "item": rng.integers(0, 200, n),
            "rating": rng.integers(1, 6, n),
            "timestamp": rng.integers(0, 500, n),
        }
    )


def test_liked_before_never_holds_the_future_or_the_same_second(ratings):
    history = liked_before(ratings, ratings, length=50, pad=-1)
    for row, (user, timestamp) in enumerate(zip(ratings["user"], ratings["timestamp"])):
        earlier = ratings[
            (ratings["user"] == user) & (ratings["rating"] >= 4) & (ratings["timestamp"] < timestamp)
        ]
        expected = earlier.sort_values(["timestamp", "item"], kind="stable")["item"].to_numpy()[::-1][:50]
        got = history[row][history[row] != -1]
        assert got.tolist() == expected.tolist(), f"row {row}"


def test_liked_before_pads_and_keeps_the_latest(ratings):
    short = liked_before(ratings, ratings, length=3, pad=999)
    long = liked_before(ratings, ratings, length=50, pad=999)
    assert np.array_equal(short, long[:, :3])
    first_ever = ratings["timestamp"] == ratings.groupby("user")["timestamp"].transform("min")
    assert (short[first_ever.to_numpy()] == 999).all()  # nothing is liked before a user's first moment


def test_pair_frequency_by_hand():
    pad = 9
    train_history = np.array([[1, 2], [1, pad], [2, 1]])
    train_items = np.array([5, 5, 6])  # pairs (1,5) x2, (2,5), (2,6), (1,6)
    history = np.array([[1, 2], [2, pad], [pad, pad], [3, 1]])
    items = np.array([5, 6, 5, 7])
    assert pair_frequency(history, items, train_history, train_items, pad).tolist() == [2, 1, 0, 0]


def test_offset_fields_gives_each_field_its_own_range():
    ids, size = offset_fields([[0, 4], [0, 6], [2, 0]], [5, 7, 3])
    assert size == 15
    assert ids.tolist() == [[0, 5, 14], [4, 11, 12]]
    with pytest.raises(ValueError, match="column 1 holds ids outside"):
        offset_fields([[0], [7]], [5, 7])
