"""Tests for the whole-catalogue protocol: ranks against every unseen item, seen items left out."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_course.evaluation import catalogue
from recsys_course.evaluation.metrics import catalogue_ranks


def test_catalogue_ranks_by_hand():
    scores = np.array(
        [
            [0.9, 0.5, 0.7, 0.1],  # target 1: items 0 and 2 above it, item 0 excluded -> rank 1
            [0.2, 0.2, 0.1, 0.3],  # target 0: item 3 above, item 1 tied (counts against) -> 2
        ]
    )
    exclude = np.array([[True, False, False, False], [False, False, False, False]])
    assert catalogue_ranks(scores, [1, 0], exclude).tolist() == [1, 2]
    # the target itself is never excluded
    assert catalogue_ranks(scores, [1, 0], np.ones_like(exclude)).tolist() == [0, 0]


def test_catalogue_evaluation_excludes_seen_items(next_watch):
    # score every item by its id: seen items would otherwise push the target down
    scores = np.tile(np.arange(next_watch.n_items, dtype=np.float32), (len(next_watch.test), 1))
    frame = catalogue.on_next_watch(next_watch, scores, "test")
    seen = next_watch.seen_before_test.table[next_watch.test.user]
    above = np.arange(next_watch.n_items)[None, :] > next_watch.test.target[:, None]
    assert np.array_equal(frame["rank"].to_numpy(), (above & ~seen).sum(axis=1))
    with pytest.raises(ValueError, match="one row per test example"):
        catalogue.on_next_watch(next_watch, scores[:3], "test")
