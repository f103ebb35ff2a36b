"""Lesson 04's two stages served end to end: user vector -> ANN retrieval -> ranker -> titles.

:class:`TwoStageRecommender` holds a trained candidate tower, an index over its
item vectors and a ranker; :meth:`~TwoStageRecommender.recommend` answers one
user and says how long each stage took.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from ..models import CandidateTower, RankingTower
from ..tasks.next_watch import Examples, NextWatch
from ..tasks.ranker_impressions import Impressions, RankingFeatures
from ..tasks.splits import time_order


class TwoStageRecommender:
    """Retrieve ``n_candidates`` with ``index`` (any :mod:`recsys_course.serving.indexes` index over the tower's
    item vectors), rerank them with ``ranker``, and return the top ``k`` titles.

    ``ratings`` are all known ratings (user, item, timestamp): a user's
    history at serving time is their latest ``data.history_len`` items, and
    everything they rated is left out of the results.
    """

    def __init__(
        self,
        tower: CandidateTower,
        index,
        ranker: RankingTower,
        features: RankingFeatures,
        data: NextWatch,
        ratings: pd.DataFrame,
        titles,
        n_candidates: int = 100,
    ):
        self.tower, self.index, self.ranker, self.features = tower, index, ranker, features
        self.data, self.titles, self.n_candidates = data, np.asarray(titles), int(n_candidates)
        ordered = time_order(ratings[["user", "item", "timestamp"]])  # the split's order, ties included
        self.histories = {user: group["item"].to_numpy() for user, group in ordered.groupby("user")}

    def serving_example(self, user: int) -> Examples:
        """The user as a next-watch example with the target unknown (-1), served right after their
        latest rating (so the time since their previous rating is 0)."""
        if user not in self.histories:
            raise KeyError(f"user {user} has no ratings; known users are 0..{self.data.n_users - 1}")
        recent = self.histories[user][::-1][: self.data.history_len]
        history = np.full((1, self.data.history_len), self.data.pad, dtype=np.int64)
        history[0, : len(recent)] = recent
        return Examples(
            user=np.array([user]),
            history=history,
            target=np.array([-1]),
            timestamp=np.array([0]),
            gap=np.array([0]),
            rating=np.array([0.0]),
        )

    @torch.no_grad()
    def recommend(self, user: int, k: int = 10) -> tuple[pd.DataFrame, dict]:
        """``(top k as a frame, milliseconds per stage)`` for one user."""
        timings, clock = {}, time.perf_counter()

        def lap(stage):
            nonlocal clock
            now = time.perf_counter()
            timings[stage] = 1e3 * (now - clock)
            clock = now

        example = self.serving_example(user)
        vector = self.tower.user_vectors(example.user, example.history, self.data.user_features[example.user])
        lap("user vector")
        seen = self.histories[user]
        _, ids = self.index.search(vector, min(self.n_candidates + len(seen), self.index.n_items))
        candidates = ids[0][(ids[0] >= 0) & ~np.isin(ids[0], seen)][: self.n_candidates]
        lap("retrieval")
        impressions = Impressions(
            example=np.zeros(len(candidates), dtype=np.int64),
            item=candidates,
            label=np.zeros(len(candidates), np.float32),
            weight=np.ones(len(candidates), np.float32),
        )
        dense = self.features.dense(example, impressions, vector)
        users = np.repeat(self.data.user_features[example.user], len(candidates), axis=0)
        lap("features")
        self.ranker.eval()
        device = next(self.ranker.parameters()).device
        logits = (
            self.ranker(*(torch.as_tensor(a).to(device) for a in (candidates, users, dense))).cpu().numpy()
        )
        order = np.argsort(-logits, kind="stable")[:k]
        lap("ranking")
        top = pd.DataFrame(
            {
                "title": self.titles[candidates[order]],
                "retrieval rank": order + 1,
                "ranker score": logits[order],
            }
        )
        top.index = pd.RangeIndex(1, len(top) + 1, name="rank")
        return top, timings

    def recent_titles(self, user: int, n: int = 5) -> list[str]:
        """The titles of the user's ``n`` latest ratings, latest first."""
        return list(self.titles[self.histories[user][::-1][:n]])
