"""Lesson 06's exercise checks: the right answers pass, common mistakes fail with a hint that keeps the answer."""

from __future__ import annotations

import functools
import operator

import numpy as np
import pandas as pd
import pytest
import torch
from hints import fails_with_hint, judged_by_measurement, refuses_a_number

from recsys_course import lessons
from recsys_course.evaluation.inference import predict_logits
from recsys_course.evaluation.metrics import auc, fit_temperature
from recsys_course.evidence import committed_file
from recsys_course.lessons.l06_training_discipline import exercises as lesson06
from recsys_course.models import FM


@pytest.fixture
def checker():
    return lessons.exercises("06", "ml-100k")


def _fm(task):
    torch.manual_seed(0)
    model = FM(task.deep_fields, dim=4, n_dense=len(task.dense_names), history_items=task.n_items)
    with torch.no_grad():
        model.bias.fill_(0.2)
        model.dense_weights.normal_()  # scores that differ from row to row
    return model


def test_mf_auc_is_measured_on_the_model_itself(checker, monkeypatch, ctr_task):
    value, tolerance = checker.exercises[1].reference()
    assert 0.7 < value < 0.85 and tolerance >= 0.003
    model = _fm(ctr_task)
    measured = auc(ctr_task.test.label, predict_logits(model, ctr_task.test))
    judged_by_measurement(checker, 1, model, measured, monkeypatch, task=ctr_task)
    refuses_a_number(checker, 1, value)
    assert "task=task" in checker(1, model).message


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


def test_temperature_is_fitted_on_the_model_itself_and_must_be_the_learners(checker, monkeypatch, ctr_task):
    value, tolerance = checker.exercises[3].reference()
    assert 0.02 <= tolerance < 0.5 and 0.5 < value < 2
    model = _fm(ctr_task)
    own = fit_temperature(ctr_task.valid.label, predict_logits(model, ctr_task.valid).astype(np.float64))
    judged_by_measurement(checker, 3, model, own, monkeypatch, T=own, task=ctr_task)
    refuses_a_number(checker, 3, value)
    for wrong, words in ((1 / own, "1/T"), (own * 1.5, "not the one"), (None, "T=t")):
        outcome = checker(3, model, T=wrong, task=ctr_task)
        fails_with_hint(outcome)
        assert words in outcome.message, outcome


def test_cold_start_choice(checker):
    exercise = checker.exercises[4]
    assert checker(4, exercise.correct).passed
    for wrong in set(exercise.options) - {exercise.correct}:
        outcome = checker(4, wrong)
        fails_with_hint(outcome, exercise.options[exercise.correct])
        assert f"'{exercise.correct}'" not in outcome.message


def test_batch_speedup_function_right_and_wrong(checker):
    assert checker(5, lesson06.batch_speedup).passed

    def inverted(speed, big, small):
        return 1 / lesson06.batch_speedup(speed, big, small)

    def steps_per_second(speed, big, small):
        return lesson06.batch_speedup(speed, big, small) * small / big

    def two_threads(speed, big, small):
        rows = speed[(speed["model"] == "DeepFM") & (speed["loader"] == "tensors") & (speed["threads"] == 2)]
        rows = rows[rows["device"] == "cpu"].set_index("batch")["examples per second"]
        return float(rows[big] / rows[small])

    for wrong in (inverted, steps_per_second, two_threads):
        fails_with_hint(checker(5, wrong))


def test_the_committed_machine_gains_little_from_bigger_batches():
    """What the exercise's follow-up reads off the committed table: batch 4096 against 1024 on the 2-core CPU."""
    speed = pd.read_csv(committed_file("06_training_discipline", "speed_ml-100k.csv", "06/speed"))
    assert 0.7 < lesson06.batch_speedup(speed, 4096, 1024) < 1.5
