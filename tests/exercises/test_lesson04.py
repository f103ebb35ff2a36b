"""Lesson 04's exercise checks: the right answers pass, common mistakes fail with a hint that keeps the answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hints import fails_with_hint, judged_by_measurement, refuses_a_number

from recsys_course import check, config, lessons
from recsys_course.evaluation import catalogue
from recsys_course.lessons.l04_youtube_two_stage import exercises as lesson04
from recsys_course.lessons.l04_youtube_two_stage import towers
from recsys_course.models import CandidateTower


@pytest.fixture
def checker():
    return lessons.exercises("04", "ml-100k")


def test_a_function_left_as_shipped_is_not_attempted(checker):
    def shipped(*args): ...

    for number in (1, 2, 5):
        assert checker(number, shipped).status == check.NOT_ATTEMPTED


def _rank(scores, target, seen, ties_against=True, drop_seen=True, drop_target=True):
    scores, seen = np.asarray(scores), np.asarray(seen, dtype=bool).copy()
    keep = ~seen if drop_seen else np.ones_like(seen)
    if drop_target:
        keep[target] = False
    above = scores[keep] >= scores[target] if ties_against else scores[keep] > scores[target]
    return int(above.sum())


def test_catalogue_rank_right_and_wrong(checker):
    assert checker(1, _rank).passed
    for mistake in (dict(drop_seen=False), dict(ties_against=False), dict(drop_target=False)):
        fails_with_hint(checker(1, lambda s, t, seen, m=mistake: _rank(s, t, seen, **m)))


def test_logq_right_and_wrong(checker):
    assert checker(2, lambda logits, q: np.asarray(logits) - np.log(q)).passed
    assert checker(2, lambda logits, q: torch.as_tensor(logits) - torch.as_tensor(np.log(q))).passed
    for wrong in (
        lambda logits, q: np.asarray(logits) + np.log(q),  # the sign
        lambda logits, q: np.asarray(logits) - np.asarray(q),  # q instead of log q
        lambda logits, q: np.asarray(logits),  # no correction
    ):
        fails_with_hint(checker(2, wrong))


def test_weighted_odds_right_and_wrong(checker):
    def right(clicked, minutes):
        clicked = np.asarray(clicked) == 1
        return np.asarray(minutes)[clicked].sum() / (~clicked).sum()

    def per_impression(c, m):
        return np.asarray(m)[np.asarray(c) == 1].sum() / len(c)  # E[T]

    def plain_odds(c, m):
        return np.sum(c) / (len(c) - np.sum(c))

    def every_minute(c, m):
        return np.sum(m) / (len(c) - np.sum(c))

    assert checker(5, right).passed
    for wrong in (per_impression, plain_odds, every_minute):
        fails_with_hint(checker(5, wrong))


def test_last_item_tower_reference_comes_from_the_committed_run():
    value, tolerance = lesson04.last_item_recall()
    assert 0.2 < value < 0.6 and 0.02 <= tolerance < 0.1


def test_last_item_tower_is_measured_on_the_tower_itself(checker, monkeypatch, next_watch):
    torch.manual_seed(0)
    tower = CandidateTower(next_watch.n_items, next_watch.user_fields, dim=4, hidden=(8,), pool="last")
    measured = catalogue.on_next_watch(next_watch, towers.tower_scores(tower, next_watch))["recall@50"].mean()
    judged_by_measurement(checker, 3, tower, measured, monkeypatch, data=next_watch)
    refuses_a_number(checker, 3, lesson04.last_item_recall()[0])
    pooled = CandidateTower(next_watch.n_items, next_watch.user_fields, dim=4, hidden=(8,))
    outcome = checker(3, pooled, data=next_watch)
    fails_with_hint(outcome)
    assert "'mean'" in outcome.message and "'last item only'" in outcome.message
    assert "data=data" in checker(3, tower).message


def test_index_choice(checker):
    exercise = checker.exercises[4]
    right = exercise.answer()
    assert checker(4, int(right)).passed and checker(4, right).passed
    for wrong in set(exercise.options) - {right}:
        answer = int(wrong) if wrong.isdigit() else wrong
        outcome = checker(4, answer)
        fails_with_hint(outcome, exercise.options[right])
        assert right not in outcome.message


def test_the_choice_is_read_off_the_committed_sweep():
    """At 10^4 items IVF is faster at batch 1 and at 10^5 HNSW is: the answer follows the CSV row by row."""
    sweep = pd.read_csv(
        config.repo_root() / "results" / "04_youtube_two_stage" / "retrieval_scaling_ml-100k.csv"
    )
    good = sweep[sweep["index"].isin(["hnsw", "ivf"]) & (sweep["recall@10"] >= 0.95)]
    cheapest = good.groupby(["items", "index"])["ms/query, batch 1"].min().unstack("index")
    first = int(lessons.exercises("04").exercises[4].answer())
    assert cheapest.loc[first, "hnsw"] < cheapest.loc[first, "ivf"]
    assert all(
        cheapest.loc[size, "hnsw"] >= cheapest.loc[size, "ivf"] for size in cheapest.index if size < first
    )


def test_other_data_cannot_be_checked():
    on_1m = lessons.exercises("04", "ml-1m")
    assert on_1m(3, 0.42).status == check.CANNOT_CHECK
