"""Lesson 04's build-it steps: the references are the course's own, a scaffold is not attempted, mistakes are named."""

import numpy as np
import pytest
import torch

from recsys_course import check
from recsys_course.lessons import builds
from recsys_course.lessons.l04_youtube_two_stage import build
from recsys_course.models import CandidateTower, SoftmaxLoss
from recsys_course.serving.indexes import ExactIndex


@pytest.fixture
def builder():
    return builds("04")


@pytest.mark.parametrize(
    "step, answer",
    [
        ("pool", build.masked_mean),
        ("tower", build.user_vector),
        ("in_batch", build.in_batch_loss),
        ("top_k", build.top_k),
    ],
)
def test_the_references_pass(builder, step, answer):
    assert builder(step, answer).passed


def test_the_references_are_the_course_own():
    torch.manual_seed(0)
    tower = CandidateTower(10, {"age": 3}, dim=4, hidden=(8,), field_dim=2)
    users, history = torch.arange(3), torch.tensor([[1, 2, 10], [10, 10, 10], [4, 4, 5]])
    features = torch.tensor([[0], [2], [1]])
    vectors = tower(users, history, features)
    torch.testing.assert_close(build.user_vector(tower, users, history, features), vectors)
    torch.testing.assert_close(
        build.masked_mean(tower.history(history), history, 10), tower.pooled_history(users, history)
    )
    targets = torch.tensor([3, 7, 3])
    share = np.full(10, 0.1)
    course = SoftmaxLoss(tower, "in-batch", probs=share, logq=True)(vectors, targets)
    log_q = torch.log(torch.as_tensor(share, dtype=torch.float32))
    torch.testing.assert_close(
        build.in_batch_loss(vectors, tower.item_vectors()[targets], targets, log_q, 0.05), course
    )
    items = tower.item_vectors().detach()
    mine = build.top_k(vectors.detach(), items, 4, torch.zeros(3, 10, dtype=torch.bool))
    np.testing.assert_array_equal(
        mine.numpy(), ExactIndex(items.numpy()).search(vectors.detach().numpy(), 4)[1]
    )


@pytest.mark.parametrize(
    "step, wrong, words",
    [
        ("pool", build._padding_counted, "not a movie"),
        ("pool", build._divided_by_length, "real items"),
        ("pool", build._empty_is_nan, "clamp"),
        ("tower", build._not_normalised, "unit vector"),
        ("tower", build._demographics_first, "history first"),
        ("tower", build._plain_mean, "masked mean"),
        ("in_batch", build._log_q_per_row, "*column*"),
        ("in_batch", build._log_q_added, "subtract log q"),
        ("in_batch", build._repeats_kept, "repeat"),
        ("top_k", build._seen_kept, "seen"),
        ("top_k", build._masked_by_zero, "not 0"),
        ("tower", build._calls_the_model, "model's parts"),
        ("top_k", build._worst_first, "*largest*"),
        ("top_k", build._unsorted, "best first"),
    ],
)
def test_each_known_mistake_is_named(builder, step, wrong, words):
    outcome = builder(step, wrong)
    assert outcome.status == check.FAILED and words in outcome.message, outcome


def test_a_scaffold_is_not_attempted(builder):
    def scaffold(*args):
        raise NotImplementedError

    for step in ("pool", "tower", "in_batch", "top_k"):
        assert builder(step, scaffold).status == check.NOT_ATTEMPTED
