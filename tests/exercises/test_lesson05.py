"""Lesson 05's exercise checks: the right answers pass, common mistakes fail with a hint that keeps the answer."""

from __future__ import annotations

import numpy as np
import pytest
from hints import fails_with_hint

from recsys_course import check, lessons
from recsys_course.lessons.l05_wide_and_deep import exercises as lesson05


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


def test_zero_share(checker):
    value, tolerance = checker.exercises[3].reference()
    assert checker(3, value).passed
    fails_with_hint(checker(3, 1 - value), value)  # the share of weights that are not zero
    fails_with_hint(checker(3, 100 * value), value)  # a percentage
    fails_with_hint(checker(3, value + 2 * tolerance), value)  # every bucket of the table counted


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


def test_census_accuracy(checker):
    value, _ = checker.exercises[5].reference()
    assert checker(5, value).passed
    fails_with_hint(checker(5, 1 - value), value)  # the error rate
    fails_with_hint(checker(5, 0.8856), value)  # the linear model's AUC
    fails_with_hint(checker(5, 0.8540), value)  # the Wide & Deep model's accuracy
    assert lessons.exercises("05", "ml-1m")(5, value).passed  # Adult's answer does not depend on MovieLens


def test_movielens_numbers_are_not_judged_on_other_data():
    other = lessons.exercises("05", "ml-1m")
    for number in (2, 3):
        assert other(number, 0.5).status == check.CANNOT_CHECK


def test_without_the_committed_run_the_checks_say_so(monkeypatch):
    """A pip-installed package has no results/: the checks that read them answer 'cannot check here'."""
    from recsys_course import config

    monkeypatch.setattr(config, "repo_root", lambda: None)
    bare = lessons.exercises("05", "ml-100k")
    for number, answer in ((3, 0.9), (4, "b"), (5, 0.8)):
        outcome = bare(number, answer)
        assert outcome.status == check.CANNOT_CHECK and "results/05_wide_and_deep" in outcome.message, outcome
