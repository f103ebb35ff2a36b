"""Lesson 05's exercise checks: the right answers pass, common mistakes fail with a hint that keeps the answer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hints import fails_with_hint, judged_by_measurement, refuses_a_number

from recsys_course import check, lessons
from recsys_course.evaluation.inference import predict_logits
from recsys_course.lessons.l05_wide_and_deep import exercises as lesson05
from recsys_course.lessons.l05_wide_and_deep.wide_deep import zero_share
from recsys_course.training import wide_deep as recipe


@pytest.fixture
def checker():
    return lessons.exercises("05", "ml-100k")


def test_click_rate_right_and_wrong(checker):
    def right(items, labels, n_items, prior):
        labels = np.asarray(labels, dtype=float)
        clicks = np.bincount(items, weights=labels, minlength=n_items)
        views = np.bincount(items, minlength=n_items)
        return (clicks + prior * labels.mean()) / (views + prior)

    def towards_half(items, labels, n, prior):
        return (np.bincount(items, weights=np.asarray(labels, float), minlength=n) + prior * 0.5) / (
            np.bincount(items, minlength=n) + prior
        )

    def unshrunk(items, labels, n_items, prior):  # an unseen movie gives 0/0
        with np.errstate(invalid="ignore"):
            return right(items, labels, n_items, 0.0)

    def seen_only(items, labels, n, prior):
        return right(items, labels, n, prior)[np.unique(items)]

    assert checker(1, right).passed
    for wrong in (towards_half, unshrunk, seen_only):
        fails_with_hint(checker(1, wrong))


def test_collision_rate(checker):
    value, tolerance = lesson05._collision_rate_2_16()
    assert tolerance < 1e-3 and 0.9 < value <= 1
    assert checker(2, value).passed
    fails_with_hint(checker(2, 0.0956), value)  # the default 2**22 buckets' rate
    fails_with_hint(checker(2, 100 * value), value)  # a percentage


def test_zero_share_function_right_and_wrong(checker):
    assert checker(3, zero_share).passed

    def every_row(model, task):  # the whole table, ids no training row uses included
        return float((model.wide.weight.detach()[:-1] == 0).float().mean())

    def with_padding(model, task):
        used = torch.from_numpy(np.unique(task.train.wide))
        return float((model.wide.weight.detach().squeeze(1)[used] == 0).float().mean())

    def per_row(model, task):  # an id counted once per training row that holds it
        ids = task.train.wide.ravel()
        ids = torch.from_numpy(ids[ids < task.wide_size])
        return float((model.wide.weight.detach().squeeze(1)[ids] == 0).float().mean())

    def not_zero(model, task):
        return 1 - zero_share(model, task)

    for wrong in (every_row, with_padding, per_row, not_zero):
        fails_with_hint(checker(3, wrong))


def test_early_stopping_choice(checker):
    epochs = lesson05.best_epochs()
    assert abs(epochs["joint"] - epochs["deep"]) < abs(epochs["joint"] - epochs["wide"])  # what the data say
    exercise = checker.exercises[4]
    right = exercise.answer()
    assert checker(4, right).passed
    for wrong in set(exercise.options) - {right}:
        outcome = checker(4, wrong)
        fails_with_hint(outcome, exercise.options[right])
        assert f"'{right}'" not in outcome.message
    assert checker(4, "z").status == check.FAILED


def test_census_accuracy_is_measured_on_the_linear_model_itself(
    checker, monkeypatch, ctr_task, small_wide_deep
):
    value, tolerance = checker.exercises[5].reference()
    assert 0.8 < value < 0.9 and tolerance == 0.003
    linear = recipe.make_model(ctr_task, small_wide_deep["wide"], deep=False)
    with torch.no_grad():
        linear.bias.fill_(0.3)
    logits = predict_logits(linear, ctr_task.test)
    measured = float(((logits >= 0) == ctr_task.test.label.astype(bool)).mean())
    judged_by_measurement(checker, 5, linear, measured, monkeypatch, task=ctr_task)
    # Adult's answer does not depend on the MovieLens data the notebook runs on
    judged_by_measurement(lessons.exercises("05", "ml-1m"), 5, linear, measured, monkeypatch, task=ctr_task)
    refuses_a_number(checker, 5, value)
    outcome = checker(5, recipe.make_model(ctr_task, small_wide_deep["joint"]), task=ctr_task)
    fails_with_hint(outcome)
    assert "deep part" in outcome.message


def test_movielens_numbers_are_not_judged_on_other_data():
    other = lessons.exercises("05", "ml-1m")
    assert other(2, 0.5).status == check.CANNOT_CHECK


def test_without_the_committed_run_the_checks_say_so(monkeypatch, ctr_task, small_wide_deep):
    """A pip-installed package has no results/: the checks that read them answer 'cannot check here'."""
    from recsys_course import config

    monkeypatch.setattr(config, "repo_root", lambda: None)
    bare = lessons.exercises("05", "ml-100k")
    wide = recipe.make_model(ctr_task, small_wide_deep["wide"], deep=False)
    for number, answer in ((4, "b"), (5, wide)):
        outcome = bare(number, answer, task=ctr_task)
        assert outcome.status == check.CANNOT_CHECK and "results/05_wide_and_deep" in outcome.message, outcome
