"""Tests for the ranker's impressions: what retrieval showed each example, and its labels and weights."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_course.tasks.ranker_impressions import (
    training_impressions,
)


def test_training_impressions_come_from_what_was_shown(next_watch):
    examples = next_watch.train.subset(np.arange(40))
    rng = np.random.default_rng(0)
    retrieved = np.stack([rng.permutation(next_watch.n_items)[:10] for _ in range(40)])
    retrieved[::2, 3] = examples.target[::2]  # shown to every other example
    retrieved[1::2] = np.where(retrieved[1::2] == examples.target[1::2, None], 0, retrieved[1::2])
    impressions = training_impressions(examples, retrieved, 4, rng)
    positives = impressions.label == 1
    assert set(impressions.example[positives]) == set(range(0, 40, 2))
    assert np.array_equal(impressions.weight[positives], examples.rating[::2].astype(np.float32))
    negatives = ~positives
    assert (impressions.item[negatives] != examples.target[impressions.example[negatives]]).all()
    assert (impressions.weight[negatives] == 1).all()
    shown = [set(retrieved[e]) for e in impressions.example[negatives]]
    assert all(item in s for item, s in zip(impressions.item[negatives], shown))


def test_negatives_can_come_from_the_top_of_the_list_only(next_watch):
    """With negatives_from=5, every negative is one of the example's first five retrieved items, while
    the example still counts when its target sits lower in the list."""
    examples = next_watch.train.subset(np.arange(40))
    rng = np.random.default_rng(1)
    retrieved = np.stack([rng.permutation(next_watch.n_items)[:10] for _ in range(40)])
    retrieved = np.where(retrieved == examples.target[:, None], 0, retrieved)
    retrieved[:, 8] = examples.target  # every target shown, below the pool
    impressions = training_impressions(examples, retrieved, 3, rng, negatives_from=5)
    negatives = impressions.label == 0
    assert set(impressions.example[impressions.label == 1]) == set(range(40))
    top = [set(retrieved[e, :5]) for e in impressions.example[negatives]]
    assert all(item in s for item, s in zip(impressions.item[negatives], top))
    with pytest.raises(ValueError, match="negatives_from"):
        training_impressions(examples, retrieved, 3, rng, negatives_from=3)
