"""Lesson 06's exercise checks: the right answers pass, common mistakes fail with a hint that keeps the answer."""

from __future__ import annotations

import functools
import operator

import pytest
from hints import fails_with_hint

from recsys_course import lessons
from recsys_course.lessons.l06_training_discipline import exercises as lesson06


@pytest.fixture
def checker():
    return lessons.exercises("06", "ml-100k")


def test_mf_auc(checker):
    value, _ = checker.exercises[1].reference()
    assert checker(1, value).passed
    fails_with_hint(checker(1, 0.6759), value)  # the user-weighted AUC
    fails_with_hint(checker(1, 0.5820), value)  # the LogLoss
    fails_with_hint(checker(1, 0.8600), value)  # the training rows' AUC


def test_stopping_point_right_and_wrong(checker):
    def replay(values, patience, improves=operator.gt):
        best, kept, since = float("-inf"), 0, 0
        for epoch, value in enumerate(values, start=1):
            if improves(value, best):
                best, kept, since = value, epoch, 0
            else:
                since += 1
                if since >= patience:
                    return epoch, kept
        return len(values), kept

    right = replay
    ties_improve = functools.partial(replay, improves=operator.ge)  # an equal value counted as better

    def zero_based(values, patience):
        return tuple(e - 1 for e in right(values, patience))

    def stop_twice(values, patience):
        return (right(values, patience)[0],) * 2

    def no_end(values, patience):  # forgets the curve that never stalls
        stop, kept = right(values, patience)
        return (stop, kept) if stop < len(values) else (kept + patience, kept)

    assert checker(2, right).passed
    for wrong in (ties_improve, zero_based, stop_twice, no_end):
        fails_with_hint(checker(2, wrong))


def test_temperature(checker):
    value, tolerance = checker.exercises[3].reference()
    assert checker(3, value).passed and tolerance < abs(value - 1)  # "never fitted" (T = 1) must fail
    fails_with_hint(checker(3, 1 / value), value)  # 1/T
    fails_with_hint(checker(3, 1.0), value)  # never fitted
    fails_with_hint(checker(3, value + 2 * tolerance), value)


def test_cold_start_choice(checker):
    exercise = checker.exercises[4]
    assert checker(4, exercise.correct).passed
    for wrong in set(exercise.options) - {exercise.correct}:
        outcome = checker(4, wrong)
        fails_with_hint(outcome, exercise.options[exercise.correct])
        assert f"'{exercise.correct}'" not in outcome.message


def test_batch_speedup(checker):
    value, _ = checker.exercises[5].reference()
    big = lesson06.speed_rows(4096)["examples per second"]
    assert checker(5, value).passed
    fails_with_hint(checker(5, value / 4), value)  # steps per second
    fails_with_hint(checker(5, big / lesson06.speed_rows(256)["examples per second"]), value)  # 256 below
    # 1024 over 256
    fails_with_hint(
        checker(
            5,
            lesson06.speed_rows(1024)["examples per second"]
            / lesson06.speed_rows(256)["examples per second"],
        ),
        value,
    )
