"""Fixtures shared across the test folders: small synthetic MovieLens data, its tasks, small Wide & Deep settings.

``twin`` (60 users, 150 movies) and ``next_watch``, its examples for lesson 04's task, serve the tests of tasks,
models, evaluation and serving; ``ctr_twin`` and ``ctr_task`` (lessons 05-06's CTR task) the CTR tests;
``small_wide_deep`` gives every kind of Wide & Deep model small, fast settings.
"""

from __future__ import annotations

import pytest

from recsys_course.data import synthetic_movielens
from recsys_course.tasks.ctr import movielens_ctr
from recsys_course.tasks.next_watch import prepare_next_watch
from recsys_course.training.wide_deep import KINDS, Settings, fast_settings


@pytest.fixture(scope="module")
def twin():
    return synthetic_movielens(n_users=60, n_items=150, n_ratings=3_000, seed=3)


@pytest.fixture(scope="module")
def next_watch(twin):
    return prepare_next_watch(twin.ratings, twin.users, twin.n_items, history_len=5)


@pytest.fixture(scope="module")
def ctr_twin():
    return synthetic_movielens(seed=3, n_users=80, n_items=120, n_ratings=4000)


@pytest.fixture(scope="module")
def ctr_task(ctr_twin):
    return movielens_ctr(ctr_twin, history_len=5, cross_buckets=2**12)


@pytest.fixture
def small_wide_deep():
    """Every kind of Wide & Deep model with embeddings of 4 and FAST mode's epochs and layers."""
    return {kind: fast_settings(Settings(dim=4)) for kind in KINDS}
