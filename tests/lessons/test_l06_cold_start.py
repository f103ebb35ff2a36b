"""Tests for lesson 06's cold-start experiment: held-out movies never train, and the genre-mean start is a mean."""

from __future__ import annotations

import numpy as np
import torch

from recsys_course.data import synthetic_movielens
from recsys_course.lessons.l06_training_discipline import cold_start
from recsys_course.models import MF
from recsys_course.tasks.ctr import movielens_ctr


def test_genre_mean_start_by_hand():
    model = MF(2, 4, dim=2)
    genres = np.array([[1, 0], [1, 1], [0, 1], [1, 1]])  # item 3 is cold, in both genres
    with torch.no_grad():
        model.item_emb.weight[:3] = torch.tensor([[1.0, 0.0], [3.0, 2.0], [0.0, 4.0]])
        model.item_bias.weight[:3] = torch.tensor([[1.0], [2.0], [3.0]])
    cold_start.genre_mean_start(model, genres, np.array([3]))
    # genre 0: items 0, 1 -> (2, 1); genre 1: items 1, 2 -> (1.5, 3); item 3: their mean
    assert torch.allclose(model.item_emb.weight[3], torch.tensor([1.75, 2.0]))
    assert torch.isclose(model.item_bias.weight[3, 0], torch.tensor((1.5 + 2.5) / 2))
    assert torch.allclose(model.item_emb.weight[0], torch.tensor([1.0, 0.0]))  # warm items untouched


def test_held_out_movies_leave_training_and_both_starts_are_scored():
    ml = synthetic_movielens(seed=7, n_users=80, n_items=150, n_ratings=5000)
    task = movielens_ctr(ml, history_len=5)
    cold = cold_start.cold_items(task.n_items, 0.2, seed=0)
    warm = cold_start.without(task, cold)
    assert not np.isin(warm.train.item, cold).any() and not np.isin(warm.valid.item, cold).any()
    assert len(warm.test) == len(task.test)
    results, per_item = cold_start.compare_starts(
        task, ml.item_genres, seeds=(0, 1), share=0.2, epochs=2, dim=4, log=lambda *_: None
    )
    frame = results.frame()
    assert list(frame["model"]) == ["random start", "all-movies mean start", "genre-mean start"] * 2
    assert (frame["impressions"] == np.isin(task.test.item, cold).sum()).all()
    assert frame["auc"].between(0, 1).all()
    # the same runs, kept per held-out movie: the units an interval over movies resamples
    tested = np.unique(task.test.item[np.isin(task.test.item, cold)])
    assert np.array_equal(per_item.users, tested)
    assert np.allclose(per_item.per_user("auc").mean(1), frame["auc"])  # the terms still average to the AUC
    from recsys_course.lessons.l06_training_discipline import advice_claims

    claims = advice_claims.cold_start_claims(results, per_item, "test")
    assert all(c.effect.n_users == len(tested) for c in claims)
    assert all("interval over test users" in c.notes for c in claims)


def test_the_random_start_keeps_its_vector_and_gets_the_warm_items_mean_bias():
    model = MF(2, 4, dim=2)
    before = model.item_emb.weight[3].clone()
    with torch.no_grad():
        model.item_bias.weight[:3] = torch.tensor([[1.0], [2.0], [6.0]])
    cold_start.mean_bias_start(model, np.array([3]))
    assert torch.equal(model.item_emb.weight[3], before) and model.item_bias.weight[3].item() == 3.0


def test_overall_mean_start_is_the_mean_of_the_warm_items():
    model = MF(2, 4, dim=2)
    with torch.no_grad():
        model.item_emb.weight[:3] = torch.tensor([[1.0, 0.0], [3.0, 2.0], [2.0, 4.0]])
    cold_start.overall_mean_start(model, np.array([3]))
    assert torch.allclose(model.item_emb.weight[3], torch.tensor([2.0, 2.0]))
