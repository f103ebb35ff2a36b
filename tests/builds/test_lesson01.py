"""Lesson 01's build-it steps: the course's code passes, a scaffold is not attempted, each known mistake is named."""

import pytest
import torch
from torch import nn

from recsys_course import check
from recsys_course.lessons.l01_mlp_vs_dot_product import build
from recsys_course.models import MF, Additive


@pytest.fixture
def builder():
    return build.builder()


@pytest.mark.parametrize(
    "step, answer",
    [("additive", Additive), ("mf", MF), ("mlp", build.OneHiddenLayerMLP), ("loop", build.train_loop)],
)
def test_the_course_own_code_passes(builder, step, answer):
    assert builder(step, answer).passed


@pytest.mark.parametrize(
    "step, wrong, words",
    [
        ("additive", build._AdditiveNoGlobalBias, "global bias"),
        ("additive", build._AdditiveColumn, "squeeze"),
        ("additive", build._AdditiveProbability, "logit itself"),
        ("mf", build._MFNoBiases, "biases"),
        ("mf", build._MFUnsummed, ".sum(-1)"),
        ("mf", build._MFProbability, "logit itself"),
        ("mlp", build._MLPNoReLU, "ReLU"),
        ("mlp", build._MLPItemFirst, "user's vector first"),
        ("mlp", build._MLPColumn, "squeeze"),
        ("loop", build._no_zero_grad, "zero_grad"),
        ("loop", build._one_step_per_epoch, "one step per batch"),
        ("loop", build._squared_error, "cross-entropy"),
        ("loop", build._optimizer_per_step, "optimizer once"),
        ("loop", build._summed_loss, "not their sum"),
        ("loop", build._plain_sgd, "Adam"),
    ],
)
def test_each_known_mistake_is_named(builder, step, wrong, words):
    outcome = builder(step, wrong)
    assert outcome.status == check.FAILED and words in outcome.message, outcome


class Scaffold(nn.Module):
    def __init__(self, n_users, n_items, dim):
        super().__init__()
        self.user_emb = ...

    def forward(self, users, items):
        raise NotImplementedError


def scaffold_loop(model, users, items, labels, *, epochs, lr, batch_size):
    raise NotImplementedError


def test_a_scaffold_is_not_attempted_and_the_rest_goes_on_with_the_reference(builder, capsys):
    assert builder("mf", Scaffold).status == check.NOT_ATTEMPTED
    assert builder("loop", scaffold_loop).status == check.NOT_ATTEMPTED
    assert builder("mlp", None).status == check.NOT_ATTEMPTED
    assert builder.use("mf", Scaffold) is MF
    assert "the course's MF" in capsys.readouterr().out
    assert builder.use("additive", Additive) is Additive


def test_wrong_names_are_listed_and_an_unnamed_mistake_names_the_case(builder):
    class WrongNames(nn.Module):
        def __init__(self, n_users, n_items, dim):
            super().__init__()
            self.P, self.Q = nn.Embedding(n_users, dim), nn.Embedding(n_items, dim)

        def forward(self, users, items):
            return (self.P(users) * self.Q(items)).sum(-1)

    outcome = builder("mf", WrongNames)
    assert (
        outcome.status == check.FAILED
        and "user_emb.weight [7, 3]" in outcome.message
        and "P.weight" in outcome.message
    )

    class Doubled(MF):
        def forward(self, users, items):
            return 2 * super().forward(users, items)

    outcome = builder("mf", Doubled)
    assert outcome.status == check.FAILED and "a single pair" in outcome.message

    def still(model, users, items, labels, *, epochs, lr, batch_size):
        return model

    assert "did not move" in builder("loop", still).message


def test_a_tensor_that_training_cannot_move_is_named(builder):
    class BufferBias(Additive):
        def __init__(self, n_users, n_items):
            super().__init__(n_users, n_items)
            del self.bias
            self.register_buffer("bias", torch.zeros(1))

    outcome = builder("additive", BufferBias)
    assert outcome.status == check.FAILED and "bias must be learned" in outcome.message


def test_a_shape_slip_is_shown(builder):
    class Column(Additive):
        def forward(self, users, items):
            return 2 * super().forward(users, items)[:, None]

    outcome = builder("additive", Column)
    assert "yours has shape [16, 1] where the course's has [16]" in outcome.message


def test_a_crashing_answer_is_reported_not_raised(builder):
    class Crashes(MF):
        def forward(self, users, items):
            return self.user_emb(users) @ self.item_emb(items)  # [B, d] @ [B, d] does not multiply

    outcome = builder("mf", Crashes)
    assert outcome.status == check.FAILED and "RuntimeError" in outcome.message
    assert torch.is_grad_enabled()


def test_a_check_leaves_the_global_generator_as_it_was(builder):
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    builder("mf", MF)  # builds and randomises models for every hidden case
    builder("mlp", Scaffold)
    torch.testing.assert_close(torch.rand(2), expected)
