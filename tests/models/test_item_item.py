"""Tests for recsys_course.models.item_item: EASE's closed form and its scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_course.models import EASE
from recsys_course.models.item_item import ease_weights


@pytest.fixture
def interactions():
    return (np.random.default_rng(0).random((40, 12)) < 0.3).astype(float)


def test_ease_weights_solve_the_constrained_ridge_regression(interactions):
    """Each column j is the ridge regression of item j on the other items (its own weight held at zero)."""
    l2 = 5.0
    weights = ease_weights(interactions, l2)
    assert np.allclose(np.diag(weights), 0.0)
    for j in range(interactions.shape[1]):
        others = np.delete(np.arange(interactions.shape[1]), j)
        x = interactions[:, others]
        ridge = np.linalg.solve(x.T @ x + l2 * np.eye(len(others)), x.T @ interactions[:, j])
        np.testing.assert_allclose(weights[others, j], ridge, atol=1e-10)


def test_ease_scores_are_the_users_items_times_the_weights(interactions):
    model = EASE.fit(interactions, l2=5.0)
    users = torch.tensor([0, 3, 3, 39])
    items = torch.tensor([1, 0, 11, 5])
    expected = (interactions @ ease_weights(interactions, 5.0))[users.numpy(), items.numpy()]
    np.testing.assert_allclose(model(users, items).numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(IndexError, match="item ids"):
        model(torch.tensor([0]), torch.tensor([12]))


def test_ease_needs_a_positive_penalty(interactions):
    with pytest.raises(ValueError, match="positive l2"):
        ease_weights(interactions, 0.0)
