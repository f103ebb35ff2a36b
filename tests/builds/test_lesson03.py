"""Lesson 03's build-it steps: the references pass, a scaffold is not attempted, each known mistake is named."""

import pytest
import torch

from recsys_course import check
from recsys_course.lessons import builds
from recsys_course.lessons.l03_neumf_with_pretraining import build
from recsys_course.models import GMF, MLP, NeuMF


@pytest.fixture
def builder():
    return builds("03")


@pytest.mark.parametrize(
    "step, answer",
    [("gmf", GMF), ("neumf", build.neumf_logit), ("loss", build.sampled_bce), ("fuse", build.fused_head)],
)
def test_the_references_pass(builder, step, answer):
    assert builder(step, answer).passed


def test_the_references_are_the_models_own():
    torch.manual_seed(0)
    model = NeuMF(5, 7, factors=2, mlp_layers=(8, 4))
    users, items = torch.tensor([0, 4, 2]), torch.tensor([6, 1, 1])
    torch.testing.assert_close(build.neumf_logit(model, users, items), model(users, items))
    gmf, mlp = GMF(5, 7, dim=2), MLP(5, 7, dim=4, layers=(4,))
    fused = NeuMF.from_pretrained(gmf, mlp, alpha=0.3)
    weight, bias = build.fused_head(gmf.head, mlp.head, 0.3)
    torch.testing.assert_close(weight, fused.head.weight.detach())
    torch.testing.assert_close(bias, fused.head.bias.detach())


@pytest.mark.parametrize(
    "step, wrong, words",
    [
        ("gmf", build._GMFDot, "not a plain sum"),
        ("gmf", build._GMFColumn, "squeeze"),
        ("gmf", build._GMFProbability, "logit itself"),
        ("neumf", build._mlp_first, "GMF first"),
        ("neumf", build._gmf_tables_for_both, "own tables"),
        ("neumf", build._no_tower, "tower's output"),
        ("neumf", build._calls_the_model, "model's parts"),
        ("loss", build._users_tiled, "repeat_interleave"),
        ("loss", build._two_means, "one mean"),
        ("loss", build._summed, "not a sum"),
        ("loss", build._flipped, "label 1"),
        ("fuse", build._mlp_unscaled, "1 - alpha"),
        ("fuse", build._gmf_bias_only, "bias is fused"),
        ("fuse", build._alpha_swapped, "alpha weighs"),
    ],
)
def test_each_known_mistake_is_named(builder, step, wrong, words):
    outcome = builder(step, wrong)
    assert outcome.status == check.FAILED and words in outcome.message, outcome


def test_a_scaffold_is_not_attempted(builder):
    def scaffold(*args):
        raise NotImplementedError

    for step in ("neumf", "loss", "fuse"):
        assert builder(step, scaffold).status == check.NOT_ATTEMPTED
    assert builder.use("loss", scaffold) is build.sampled_bce
