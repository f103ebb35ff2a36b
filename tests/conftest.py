"""Fixtures shared across the test folders: a small synthetic MovieLens and its next-watch examples.

``twin`` is the synthetic twin (60 users, 150 movies); ``next_watch`` its examples for lesson 04's task, used by the
tests of tasks, models, evaluation, serving and lesson 04.
"""

from __future__ import annotations

import pytest

from recsys_course.data import synthetic_movielens
from recsys_course.tasks.next_watch import prepare_next_watch


@pytest.fixture(scope="module")
def twin():
    return synthetic_movielens(n_users=60, n_items=150, n_ratings=3_000, seed=3)


@pytest.fixture(scope="module")
def next_watch(twin):
    return prepare_next_watch(twin.ratings, twin.users, twin.n_items, history_len=5)
