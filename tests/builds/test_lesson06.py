"""Lesson 06's build-it steps: the references are the course's own, a scaffold is not attempted, mistakes are named."""

import pytest
import torch

from recsys_course import check
from recsys_course.lessons import builds
from recsys_course.lessons.l06_training_discipline import build
from recsys_course.models import FM
from recsys_course.training import fit


@pytest.fixture
def builder():
    return builds("06")


def course_fit(model, batches, validate, *, epochs, lr, weight_decay, patience, clip_norm):
    """The package's fit() set up as the article's recipe, behind the step's signature."""
    history = fit(
        model,
        batches,
        epochs=epochs,
        optimizer=torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay),
        evaluate=validate,
        monitor="auc",
        patience=patience,
        lr_patience=3,
        lr_factor=0.5,
        lr_monitor="logloss",
        lr_mode="min",
        clip_norm=clip_norm,
        progress=False,
    )
    return history.best_epoch


def test_the_references_pass_and_are_the_course_own(builder):
    assert builder("fm", build.fm_pairs).passed
    assert builder("fm", build.fm_pairs_slowly).passed  # the O(k n^2) sum is the same number
    assert builder("fm_model", build.FMShape).passed
    assert builder("loop", build.recipe_fit).passed
    assert builder(
        "loop", course_fit
    ).passed  # the package's loop, run as the recipe, is the step's reference


def test_the_identity_is_the_fm_model_own():
    shaped = build.FMShape({"user": 5}, 3, 2, 6)
    assert shaped.history is not None and shaped.n_dense == 2 and shaped.fields.dim == 3
    torch.manual_seed(0)
    model = FM({"user": 5, "movie": 7, "age": 3}, dim=4, n_dense=2)
    deep, dense = torch.tensor([[1, 2, 0], [4, 6, 2]]), torch.randn(2, 2)
    pairs = model(deep, dense) - model.linear(deep, dense)
    torch.testing.assert_close(build.fm_pairs(model.vectors(deep, dense)), pairs)


@pytest.mark.parametrize(
    "step, wrong, words",
    [
        ("fm", build._no_half, "1/2"),
        ("fm", build._per_dimension, "shape [batch]"),
        ("fm", build._squares_of_dots, "coordinate by coordinate"),
        ("fm_model", build._pairs_only, "linear part"),
        ("fm_model", build._no_bias, "bias"),
        ("fm_model", build._dense_unscaled, "scaled by its value"),
        ("fm_model", build._history_not_paired, "pairwise sum"),
        ("loop", build._no_restore, "*copy*"),
        ("loop", build._shallow_copy, "*copy*"),
        ("loop", build._schedule_on_auc, "*loss*"),
        ("loop", build._no_clipping, "clip_grad_norm_"),
        ("loop", build._never_reset, "in a row"),
        ("loop", build._clip_values, "clip_grad_value_"),
        ("loop", build._validates_twice, "once per epoch"),
    ],
)
def test_each_known_mistake_is_named(builder, step, wrong, words):
    outcome = builder(step, wrong)
    assert outcome.status == check.FAILED and words in outcome.message, outcome


def test_a_scaffold_is_not_attempted(builder):
    def scaffold(*args, **kwargs):
        raise NotImplementedError

    assert builder("fm", scaffold).status == check.NOT_ATTEMPTED
    assert builder("loop", scaffold).status == check.NOT_ATTEMPTED

    class Scaffold(torch.nn.Module):
        def __init__(self, fields, dim, n_dense, history_items):
            super().__init__()
            self.inputs = ("deep", "dense", "history")
            self.fields = ...

    assert builder("fm_model", Scaffold).status == check.NOT_ATTEMPTED
