"""Lesson 03's exercise checks: the right answers pass, common mistakes fail with a hint that keeps the answer."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from hints import fails_with_hint, judged_by_measurement, refuses_a_number

from recsys_course import check, lessons
from recsys_course.evaluation import sampled
from recsys_course.lessons.l03_neumf_with_pretraining import exercises as lesson03
from recsys_course.models import GMF, MLP, NeuMF


@pytest.fixture
def checker():
    return lessons.exercises("03", "ml-100k")


def test_a_function_left_as_shipped_is_not_attempted(checker):
    def shipped(*args): ...

    assert checker(1, shipped).status == check.NOT_ATTEMPTED
    assert checker(2, shipped).status == check.NOT_ATTEMPTED


def test_ndcg_right_and_wrong(checker):
    def right(ranks, k):
        ranks = np.asarray(ranks, dtype=float)
        return np.mean(np.where(ranks < k, 1 / np.log2(ranks + 2), 0.0))

    def no_discount(ranks, k):
        return np.mean(np.asarray(ranks) < k)  # the hit rate

    def one_based(ranks, k):
        return right(np.asarray(ranks) + 1, k)

    def inclusive(ranks, k):
        return np.mean(np.where(np.asarray(ranks) <= k, 1 / np.log2(np.asarray(ranks) + 2.0), 0))

    assert checker(1, right).passed
    for wrong in (no_discount, one_based, inclusive):
        fails_with_hint(checker(1, wrong))


def test_rank_right_and_wrong(checker):
    def right(s):
        return (np.asarray(s)[:, 1:] >= np.asarray(s)[:, :1]).sum(axis=1)

    def ties_in_favour(s):
        return (np.asarray(s)[:, 1:] > np.asarray(s)[:, :1]).sum(axis=1)

    def one_based(s):
        return right(s) + 1

    assert checker(2, right).passed
    for wrong in (ties_in_favour, one_based):
        fails_with_hint(checker(2, wrong))


def test_popularity_validation_ndcg(checker):
    value, tolerance = lesson03.popularity_validation_ndcg()
    assert tolerance <= 1e-5
    assert checker(3, value).passed and checker(3, np.float32(value)).passed
    # the test candidates, a hit rate, counts over every rating, ties in the item's favour, 1-based ranks
    for wrong in (0.2395042, 0.4326617, 0.2447027, 0.2429677, 0.1804262):
        fails_with_hint(checker(3, wrong), value)
    assert "Give a single number" in checker(3, "0.24").message


def test_fused_hr_reference_comes_from_the_committed_run():
    value, tolerance = lesson03.fused_hr()
    assert 0.4 < value < 0.8 and 0.02 <= tolerance < 0.1


def test_fused_hr_is_measured_on_the_model_itself(checker, monkeypatch):
    torch.manual_seed(0)
    gmf, mlp = GMF(6, 30, dim=4), MLP(6, 30, dim=8, layers=(8, 4))
    fused = NeuMF.from_pretrained(gmf, mlp, alpha=0.5)
    rng = np.random.default_rng(0)
    loo = SimpleNamespace(
        test=pd.DataFrame({"user": np.arange(6)}), test_candidates=rng.integers(0, 30, (6, 100))
    )
    measured = sampled.means(fused, np.arange(6), loo.test_candidates)["hr@10"]
    judged_by_measurement(checker, 4, fused, measured, monkeypatch, loo=loo)
    refuses_a_number(checker, 4, lesson03.fused_hr()[0])
    assert "loo=loo" in checker(4, fused).message


def test_fine_tuning_choice(checker):
    exercise = checker.exercises[5]
    assert checker(5, exercise.correct).passed and checker(5, f" {exercise.correct.upper()} ").passed
    for wrong in set(exercise.options) - {exercise.correct}:
        outcome = checker(5, wrong)
        fails_with_hint(outcome, exercise.options[exercise.correct])
        assert f"'{exercise.correct}'" not in outcome.message


def test_the_choice_agrees_with_the_committed_run():
    """Option b says most SGD runs at 32 factors kept the fused start (the same test numbers), and the rest
    moved test HR@10 by less than 0.002; a and c are false."""
    frame = lesson03._runs(factors=32).set_index(["model", "seed"])
    sgd, fused = frame.loc["NeuMF (pretrained, SGD)"], frame.loc["GMF+MLP (fused, not fine-tuned)"]
    kept = sgd["best epoch"] == 0
    assert kept.sum() > len(kept) / 2
    assert np.allclose(sgd.loc[kept, "hr@10"], fused.loc[kept, "hr@10"])
    assert (abs(sgd["hr@10"] - fused["hr@10"]) < 0.002).all()
    scratch = frame.loc["NeuMF (scratch)"]
    assert sgd["hr@10"].mean() > scratch["hr@10"].mean() - 0.02  # no divergence (c)


def test_other_data_cannot_be_checked():
    on_1m = lessons.exercises("03", "ml-1m")
    assert on_1m(4, object()).status == check.CANNOT_CHECK
    assert on_1m(1, lambda ranks, k: 0.0).status == check.FAILED  # a function is checked on any data


def test_only_a_neumf_is_measured(checker):
    rng = np.random.default_rng(0)
    loo = SimpleNamespace(
        test=pd.DataFrame({"user": np.arange(6)}), test_candidates=rng.integers(0, 30, (6, 100))
    )
    outcome = checker(4, GMF(6, 30, dim=4), loo=loo)
    fails_with_hint(outcome)
    assert "GMF" in outcome.message and "from_pretrained" in outcome.message
