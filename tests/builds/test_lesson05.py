"""Lesson 05's build-it steps: the references pass, a scaffold is not attempted, each known mistake is named."""

import pytest
import torch

from recsys_course import check
from recsys_course.lessons import builds
from recsys_course.lessons.l05_wide_and_deep import build
from recsys_course.models import WideAndDeep
from recsys_course.tasks.features import collision_rate
from recsys_course.training.optim import FTRL


@pytest.fixture
def builder():
    return builds("05")


@pytest.mark.parametrize(
    "step, answer",
    [
        ("collisions", collision_rate),
        ("ftrl", build.ftrl_update),
        ("wide_deep", build.WideDeep),
        ("train", build.train_step),
    ],
)
def test_the_references_pass(builder, step, answer):
    assert builder(step, answer).passed


def test_the_logit_is_the_model_own_and_the_update_is_the_optimizer_own():
    torch.manual_seed(0)
    model = WideAndDeep(20, {"user": 4, "movie": 6}, dim=3, hidden=(5,), n_dense=2, history_items=9)
    inputs = (
        torch.tensor([[1, 19], [3, 20]]),
        torch.tensor([[0, 5], [3, 2]]),
        torch.randn(2, 2),
        torch.tensor([[1, 9, 9], [9, 9, 9]]),
    )
    with torch.no_grad():
        model.wide.weight.normal_()
    torch.testing.assert_close(build.wide_deep_logit(model, *inputs), model(*inputs))
    shaped = build.WideDeep(20, {"user": 4, "movie": 6}, 3, (5,), 2, 9)
    shaped.load_state_dict(model.state_dict())
    torch.testing.assert_close(shaped(*inputs), model(*inputs))
    weight = torch.nn.Parameter(torch.zeros(4))
    optimizer = FTRL([weight], alpha=0.1, beta=1.0, l1=0.2, l2=0.1)
    grad = torch.tensor([0.5, -0.1, 0.3, 0.0])
    weight.grad = grad.clone()
    optimizer.step()
    w, _, _ = build.ftrl_update(torch.zeros(4), torch.zeros(4), torch.zeros(4), grad, 0.1, 1.0, 0.2, 0.1)
    torch.testing.assert_close(weight.detach(), w)


@pytest.mark.parametrize(
    "step, wrong, words",
    [
        ("collisions", build._rows_not_pairs, "distinct (a, b) pairs"),
        ("collisions", build._buckets_used, "buckets lost"),
        ("wide_deep", build._no_bias, "bias"),
        ("wide_deep", build._deep_only, "wide part's weights"),
        ("wide_deep", build._dense_first, "in that order"),
        ("wide_deep", build._no_history, "liked history"),
        ("wide_deep", build._wide_unsqueezed, "[batch, batch]"),
        ("train", build._deep_never_stepped, "deep part's optimiser"),
        ("train", build._wide_never_stepped, "wide part's optimiser"),
        ("train", build._wide_never_zeroed, "zero both"),
        ("train", build._probabilities_as_logits, "sigmoid"),
        ("ftrl", build._sigma_from_new_n, "*before*"),
        ("ftrl", build._no_difference, "*change*"),
        ("ftrl", build._old_n, "updated n"),
        ("ftrl", build._no_zeroing, "exactly 0"),
        ("ftrl", build._plus_sign, "opposite sign"),
    ],
)
def test_each_known_mistake_is_named(builder, step, wrong, words):
    outcome = builder(step, wrong)
    assert outcome.status == check.FAILED and words in outcome.message, outcome


def test_a_scaffold_is_not_attempted(builder):
    def scaffold(*args):
        raise NotImplementedError

    for step in ("collisions", "ftrl", "train"):
        assert builder(step, scaffold).status == check.NOT_ATTEMPTED

    class Scaffold(torch.nn.Module):
        def __init__(self, wide_size, deep_fields, dim, hidden, n_dense, history_items):
            super().__init__()
            self.wide = ...

    assert builder("wide_deep", Scaffold).status == check.NOT_ATTEMPTED


def test_the_joint_step_moves_both_halves_and_the_paper_pair_splits_them_whole():
    model = build.WideDeep(30, {"user": 6, "movie": 9}, 3, (8,), 2, 15)
    wide, deep = build.paper_optimizers(model)
    params = [p for group in (*wide.param_groups, *deep.param_groups) for p in group["params"]]
    assert sorted(map(id, params)) == sorted(id(p) for p in model.parameters())
    assert isinstance(wide, FTRL) and isinstance(deep, torch.optim.Adagrad)
