"""Tests for the served two-stage pipeline: retrieval, features and ranking behind one call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_course.models import CandidateTower, RankingTower
from recsys_course.tasks.ranker_impressions import (
    RankingFeatures,
)


def test_recommend_leaves_out_what_the_user_rated(twin, next_watch):
    from recsys_course.serving.indexes import ExactIndex
    from recsys_course.serving.two_stage import TwoStageRecommender

    torch.manual_seed(0)
    tower = CandidateTower(next_watch.n_items, next_watch.user_fields, dim=8, hidden=(16,))
    vectors = tower.item_vectors().detach().numpy()
    features = RankingFeatures(
        next_watch,
        twin.item_genres,
        twin.movies["year"].to_numpy(dtype=float, na_value=np.nan),
        vectors,
        tower.temperature,
    )
    ranker = RankingTower(next_watch.n_items, next_watch.user_fields, features.n_dense)
    recommender = TwoStageRecommender(
        tower,
        ExactIndex(vectors),
        ranker,
        features,
        next_watch,
        twin.ratings,
        twin.movies["title"],
        n_candidates=30,
    )
    top, timings = recommender.recommend(3, k=7)
    assert len(top) == 7
    rated = set(twin.movies["title"].to_numpy()[twin.ratings.loc[twin.ratings["user"] == 3, "item"]])
    assert not rated & set(top["title"])
    assert set(timings) == {"user vector", "retrieval", "features", "ranking"}
    assert (top["retrieval rank"] <= 30).all()
    with pytest.raises(KeyError, match="no ratings"):
        recommender.recommend(10_000)
