"""Lesson 04's build-it steps: the references are the course's own, a scaffold is not attempted, mistakes are named."""

import numpy as np
import pytest
import torch

from recsys_course import check
from recsys_course.lessons import builds
from recsys_course.lessons.l04_youtube_two_stage import build
from recsys_course.models import CandidateTower, MultiFieldEmbedding, SoftmaxLoss
from recsys_course.serving.indexes import ExactIndex


@pytest.fixture
def builder():
    return builds("04")


@pytest.mark.parametrize(
    "step, answer",
    [
        ("pool", build.masked_mean),
        ("tower", build.Tower),
        ("in_batch", build.in_batch_loss),
        ("train", build.train_step),
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
    mine = build.Tower(10, {"age": 3}, 4, (8,), 2)
    mine.load_state_dict(tower.state_dict())
    torch.testing.assert_close(mine(users, history, features), vectors)
    assert mine.temperature == tower.temperature
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
        ("tower", build._ItemsRaw, "item table"),
        ("train", build._grads_kept, "zero_grad"),
        ("train", build._raw_items, "unit item vectors"),
        ("train", build._no_temperature, "temperature"),
        ("train", build._no_log_q, "log_q"),
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

    for step in ("pool", "in_batch", "train", "top_k"):
        assert builder(step, scaffold).status == check.NOT_ATTEMPTED


def test_a_module_scaffold_is_not_attempted_and_a_frozen_table_is_named(builder):
    class Scaffold(torch.nn.Module):
        def __init__(self, n_items, user_fields, dim, hidden, field_dim=8):
            super().__init__()
            self.history = ...

    assert builder("tower", Scaffold).status == check.NOT_ATTEMPTED

    class Frozen(build.Tower):
        def __init__(self, *args):
            super().__init__(*args)
            weight = self.items.weight.detach().clone()
            del self.items
            self.register_buffer("items_weight", weight)

        def item_vectors(self):
            return torch.nn.functional.normalize(self.items_weight, dim=1)

    outcome = builder("tower", Frozen)
    assert outcome.status == check.FAILED and "must be learned" in outcome.message, outcome


def test_a_step_that_never_steps_is_told_so(builder):
    def no_step(model, optimizer, users, history, features, targets, log_q):
        vectors = model(users, history, features)
        loss = build.in_batch_loss(vectors, model.item_vectors()[targets], targets, log_q, model.temperature)
        loss.backward()
        return loss.item()

    outcome = builder("train", no_step)
    assert outcome.status == check.FAILED and "optimizer.step()" in outcome.message, outcome


def test_a_step_that_returns_the_loss_tensor_is_told_to_return_a_number(builder):
    def keeps_the_graph(model, optimizer, users, history, features, targets, log_q):
        optimizer.zero_grad()
        vectors = model(users, history, features)
        loss = build.in_batch_loss(vectors, model.item_vectors()[targets], targets, log_q, model.temperature)
        loss.backward()
        optimizer.step()
        return loss

    outcome = builder("train", keeps_the_graph)
    assert outcome.status == check.FAILED and "loss.item()" in outcome.message, outcome


def test_with_weights_runs_a_learner_model_on_the_course_weights_even_with_its_own_layer_names(builder):
    class OwnNames(torch.nn.Module):  # the course's layers, in its order, under names of the learner's own
        def __init__(self, n_items, user_fields, dim, hidden, field_dim):
            super().__init__()
            self.pad, self.temperature = n_items, 0.05
            self.past = torch.nn.Embedding(n_items + 1, dim, padding_idx=n_items)
            self.fields = MultiFieldEmbedding(user_fields, field_dim)
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(dim + field_dim, hidden[0]), torch.nn.ReLU(), torch.nn.Linear(hidden[0], dim)
            )
            self.out = torch.nn.Embedding(n_items, dim)

        def forward(self, users, history, user_features):
            pooled = build.masked_mean(self.past(history), history, self.pad)
            x = torch.cat([pooled, self.fields(user_features).flatten(start_dim=1)], dim=1)
            return torch.nn.functional.normalize(self.mlp(x), dim=1)

    torch.manual_seed(0)
    course = build.Tower(10, {"age": 3}, 4, (8,), 2)
    mine = builder.with_weights(OwnNames, course, 10, {"age": 3}, 4, (8,), 2)
    users, history, features = torch.arange(2), torch.tensor([[1, 10], [3, 4]]), torch.tensor([[0], [2]])
    torch.testing.assert_close(mine(users, history, features), course(users, history, features))
