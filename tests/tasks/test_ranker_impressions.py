"""Tests for the ranker's impressions: what retrieval showed each example, and its labels and weights."""

from __future__ import annotations

import numpy as np

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
