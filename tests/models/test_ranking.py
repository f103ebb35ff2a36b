"""Tests for the ranking tower (it starts in the candidate order) and weighted cross-entropy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from recsys_course.models import RankingTower, weighted_bce
from recsys_course.tasks.ranker_impressions import (
    RankingFeatures,
    candidate_impressions,
)


def test_ranker_starts_in_the_candidate_order(twin, next_watch):
    torch.manual_seed(0)
    examples = next_watch.test.subset(np.arange(5))
    candidates = np.stack([np.arange(20)] * 5)
    vectors = F.normalize(torch.randn(next_watch.n_items, 8), dim=1).numpy()
    features = RankingFeatures(
        next_watch,
        twin.item_genres,
        twin.movies["year"].to_numpy(dtype=float, na_value=np.nan),
        vectors,
        temperature=0.05,
    )
    user_vectors = F.normalize(torch.randn(5, 8), dim=1).numpy()
    impressions = candidate_impressions(examples, candidates)
    dense = features.dense(examples, impressions, user_vectors)
    ranker = RankingTower(next_watch.n_items, next_watch.user_fields, features.n_dense)
    with torch.no_grad():
        logits = ranker(
            torch.as_tensor(impressions.item),
            torch.as_tensor(next_watch.user_features[examples.user[impressions.example]]),
            torch.as_tensor(dense),
        )
    prior = dense[:, -1]
    assert np.array_equal(
        np.argsort(-logits.numpy().reshape(5, 20), axis=1, kind="stable"),
        np.argsort(-prior.reshape(5, 20), axis=1, kind="stable"),
    )
    assert np.allclose(
        prior, (vectors[impressions.item] * user_vectors[impressions.example]).sum(1) / 0.05, atol=1e-4
    )


def test_weighted_bce_checks_its_target():
    with pytest.raises(ValueError, match="label, weight"):
        weighted_bce(torch.zeros(3), torch.zeros(3))
    logits, labels = torch.tensor([0.3, -1.0]), torch.tensor([1.0, 0.0])
    plain = F.binary_cross_entropy_with_logits(logits, labels)
    assert weighted_bce(logits, torch.stack([labels, torch.ones(2)], 1)).item() == pytest.approx(plain.item())
