"""Lesson 02's build-it steps: the reference passes, a scaffold is not attempted, each known mistake is named."""

import pytest
import torch

from recsys_course import check
from recsys_course.lessons import builds
from recsys_course.lessons.l02_embeddings_and_tsne import build


@pytest.fixture
def builder():
    return builds("02")


def test_the_references_pass_and_indexing_is_the_same_lookup(builder):
    assert builder("lookup", build.one_hot_lookup).passed
    assert builder("lookup", lambda ids, table: table[ids]).passed  # the point of the section: the same rows
    assert builder("sgd", build.sgd_step).passed


def test_the_step_is_the_gradient_autograd_gives():
    p, q = torch.randn(5, requires_grad=True), torch.randn(5, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(p @ q, torch.tensor(1.0)).backward()
    new_p, new_q = build.sgd_step(p.detach(), q.detach(), 1.0, 0.3)
    torch.testing.assert_close(new_p, p.detach() - 0.3 * p.grad)
    torch.testing.assert_close(new_q, q.detach() - 0.3 * q.grad)


@pytest.mark.parametrize(
    "step, wrong, words",
    [
        ("lookup", build._no_num_classes, "num_classes"),
        ("lookup", build._integer_one_hot, "floats"),
        ("lookup", build._transposed, "[batch, d]"),
        ("sgd", build._q_from_new_p, "old* p"),
        ("sgd", build._no_sigmoid, "sigmoid"),
        ("sgd", build._uphill, "against"),
    ],
)
def test_each_known_mistake_is_named(builder, step, wrong, words):
    outcome = builder(step, wrong)
    assert outcome.status == check.FAILED and words in outcome.message, outcome


def test_a_scaffold_is_not_attempted(builder):
    def scaffold(*args):
        raise NotImplementedError

    assert builder("lookup", scaffold).status == check.NOT_ATTEMPTED
    forgot = builder("sgd", lambda p, q, clicked, lr: None)  # a body without its return
    assert forgot.status == check.FAILED and "`return`" in forgot.message
    assert builder.use("sgd", scaffold) is build.sgd_step
