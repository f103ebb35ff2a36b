"""Lesson 02's exercise checks: unanswered is not an error, the right answers pass, common mistakes fail with a hint."""

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from hints import fails_with_hint, judged_by_measurement, refuses_a_number

from recsys_course import check, lessons
from recsys_course.evaluation import sampled
from recsys_course.lessons.l02_embeddings_and_tsne import exercises as lesson02
from recsys_course.models import MF

REPO = Path(__file__).resolve().parents[2]
# the real datasets: $RECSYS_COURSE_DATA (relative to the repository) or ../shared/datasets
REAL_ROOT = REPO / os.environ.get("RECSYS_COURSE_DATA", str(REPO.parent / "shared" / "datasets"))
needs_real_ml100k = pytest.mark.skipif(
    not (REAL_ROOT / "ml-100k" / "u.data").is_file(),
    reason=f"the extracted ML-100K is not at {REAL_ROOT / 'ml-100k'}",
)


@pytest.fixture
def checker():
    return lessons.exercises("02", "ml-100k")


@pytest.fixture
def real_data(monkeypatch):
    """Exercise 2's reference reads ML-100K itself: the real files, never the synthetic fallback."""
    monkeypatch.setenv("RECSYS_COURSE_DATA", str(REAL_ROOT))
    monkeypatch.setenv("RECSYS_COURSE_STRICT_DATA", "1")
    lesson02.chance_agreement.cache_clear()
    yield
    lesson02.chance_agreement.cache_clear()


def test_four_numbered_exercises_of_several_kinds():
    items = lesson02.exercises()
    assert [e.number for e in items] == [1, 2, 3, 4]
    assert {type(e) for e in items} == {check.Function, check.Choice, check.Number, check.Measured}
    assert all(e.title and e.mistakes for e in items)
    assert all(e.dataset == "ml-100k" for e in items if isinstance(e, check.Number))


@pytest.mark.parametrize("number", [2, 4])
def test_numbers_cannot_be_checked_on_other_data(number):
    outcome = lessons.exercises("02", "ml-1m")(number, 0.5)
    assert outcome.status == check.CANNOT_CHECK


# exercise 1: neighbour agreement with one label per row
def _unit(vectors):
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _agreement(similarity, labels, k, share=True):
    labels = np.asarray(labels)
    neighbours = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    same = labels[neighbours] == labels[:, None]
    return float(same.mean()) if share else float(same.sum(axis=1).mean())


def right_agreement(vectors, labels, k):
    similarity = _unit(vectors) @ _unit(vectors).T
    np.fill_diagonal(similarity, -np.inf)
    return _agreement(similarity, labels, k)


def itself_included(vectors, labels, k):
    return _agreement(_unit(vectors) @ _unit(vectors).T, labels, k)


def euclidean(vectors, labels, k):
    distance = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    return _agreement(-distance, labels, k)


def raw_dot_product(vectors, labels, k):
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    return _agreement(similarity, labels, k)


def count_not_share(vectors, labels, k):
    similarity = _unit(vectors) @ _unit(vectors).T
    np.fill_diagonal(similarity, -np.inf)
    return _agreement(similarity, labels, k, share=False)


def test_agreement_passes_when_right(checker):
    assert checker(1, right_agreement).passed


@pytest.mark.parametrize("wrong", [itself_included, euclidean, raw_dot_product, count_not_share])
def test_agreement_mistakes_fail(checker, wrong):
    fails_with_hint(checker(1, wrong))


def test_a_value_instead_of_a_function_fails(checker):
    assert checker(1, 0.5).status == check.FAILED


# exercise 2: the exact chance level of "shares a genre" among well-rated movies
@needs_real_ml100k
def test_chance_level_reference_passes(checker, real_data):
    value, tolerance = lesson02.chance_agreement()
    assert 0 < value < 1 and tolerance <= 1e-3
    assert checker(2, value).passed


def _well_rated_genres():
    from recsys_course.data import load_movielens
    from recsys_course.tasks.splits import leave_one_out, to_implicit

    ml = load_movielens("ml-100k")
    train, _, _ = leave_one_out(to_implicit(ml.ratings), validation=True)
    counts = np.bincount(train["item"], minlength=ml.n_items)
    return (ml.item_genres > 0).astype(int), counts >= lesson02.MIN_RATINGS


@needs_real_ml100k
def test_chance_level_mistakes_fail_without_the_answer(checker, real_data):
    genres, well_rated = _well_rated_genres()
    value, _ = lesson02.chance_agreement()
    g = genres[well_rated]
    with_itself = float(((g @ g.T) > 0).mean())
    whole_catalogue = float(((genres @ genres.T) > 0).mean())
    identical_sets = float((g[:, None, :] == g[None]).all(axis=2).mean())
    shuffled_estimate = value + 0.008  # what a shuffled-label run gives, give or take
    for wrong in (with_itself, whole_catalogue, identical_sets, shuffled_estimate, 1000.0):
        outcome = checker(2, wrong)
        fails_with_hint(outcome)
        for digits in (2, 3, 4):
            assert f"{value:.{digits}f}" not in outcome.message


# exercise 3: the stricter criterion
def test_criterion_choice(checker):
    exercise = next(e for e in lesson02.exercises() if e.number == 3)
    assert checker(3, exercise.correct).passed
    right_text = exercise.options[exercise.correct]
    for wrong in set(exercise.options) - {exercise.correct}:
        outcome = checker(3, wrong)
        fails_with_hint(outcome)
        assert right_text not in outcome.message and f"'{exercise.correct}'" not in outcome.message


# exercise 4: test NDCG@10 of MF at d = 64, measured by the check, against the committed full-size sweep
def _tiny_split(users=6, items=30):
    rng = np.random.default_rng(0)
    return SimpleNamespace(
        test=pd.DataFrame({"user": np.arange(users)}), test_candidates=rng.integers(0, items, (users, 100))
    )


def test_ndcg_reference_comes_from_the_committed_sweep():
    value, tolerance = lesson02.sweep_ndcg()
    assert 0.2 < value < 0.6 and 0.01 <= tolerance < 0.05


def test_ndcg_check_measures_the_model_itself(checker, monkeypatch):
    torch.manual_seed(0)
    model, loo = MF(6, 30, dim=lesson02.SWEEP_DIM), _tiny_split()
    measured = sampled.means(model, loo.test["user"].to_numpy(), loo.test_candidates)["ndcg@10"]
    judged_by_measurement(checker, 4, model, measured, monkeypatch, loo=loo)


def test_ndcg_check_refuses_a_number_another_size_and_a_missing_split(checker):
    refuses_a_number(checker, 4, lesson02.sweep_ndcg()[0])
    outcome = checker(4, MF(6, 30, dim=32), loo=_tiny_split())
    fails_with_hint(outcome)
    assert "d = 32" in outcome.message
    assert "loo=loo" in checker(4, MF(6, 30, dim=lesson02.SWEEP_DIM)).message
