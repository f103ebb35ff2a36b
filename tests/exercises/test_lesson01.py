"""Lesson 01's exercise checks: unanswered is not an error, the right answers pass, common mistakes fail with a hint."""

import math

import numpy as np
import pytest
from hints import fails_with_hint

from recsys_course import check, lessons
from recsys_course.lessons.l01_mlp_vs_dot_product import exercises as lesson01


@pytest.fixture
def checker():
    return lessons.exercises("01")


def test_four_numbered_exercises_of_several_kinds():
    items = lesson01.exercises()
    assert [e.number for e in items] == [1, 2, 3, 4]
    assert {type(e) for e in items} == {check.Function, check.Choice}
    assert all(e.title and e.mistakes and e.dataset is None for e in items)


# exercise 1: parameters of MLP(n_users, n_items, dim=d, layers=(h,))
def right_count(n_users, n_items, dim, hidden):
    return (n_users + n_items) * dim + (2 * dim * hidden + hidden) + (hidden + 1)


def no_linear_biases(n_users, n_items, dim, hidden):
    return (n_users + n_items) * dim + 2 * dim * hidden + hidden


def input_of_size_d(n_users, n_items, dim, hidden):
    return (n_users + n_items) * dim + (dim * hidden + hidden) + (hidden + 1)


def no_output_bias(n_users, n_items, dim, hidden):
    return (n_users + n_items) * dim + (2 * dim * hidden + hidden) + hidden


def one_shared_table(n_users, n_items, dim, hidden):
    return max(n_users, n_items) * dim + (2 * dim * hidden + hidden) + (hidden + 1)


def test_parameter_count_passes_when_right(checker):
    assert checker(1, right_count).passed


@pytest.mark.parametrize("wrong", [no_linear_biases, input_of_size_d, no_output_bias, one_shared_table])
def test_parameter_count_mistakes_fail(checker, wrong):
    outcome = checker(1, wrong)
    fails_with_hint(outcome)
    assert "2 * dim" not in outcome.message


def test_a_function_still_raising_is_not_attempted(checker):
    def stub(n_users, n_items, dim, hidden):
        raise NotImplementedError

    assert checker(1, stub).status == check.NOT_ATTEMPTED


# exercise 2: the cross feature
def test_cross_feature_choice(checker):
    exercise = next(e for e in lesson01.exercises() if e.number == 2)
    assert checker(2, exercise.correct).passed
    right_text = exercise.options[exercise.correct]
    for wrong in set(exercise.options) - {exercise.correct}:
        outcome = checker(2, wrong)
        fails_with_hint(outcome)
        assert right_text not in outcome.message and f"'{exercise.correct}'" not in outcome.message


# exercise 3: the parity pattern
def right_parity(k):
    kinds = np.arange(2**k)
    shared = kinds[:, None] & kinds[None, :]
    return np.vectorize(lambda x: bin(x).count("1") % 2)(shared)


def parity_of_differences(k):
    kinds = np.arange(2**k)
    return np.vectorize(lambda x: bin(x).count("1") % 2)(kinds[:, None] ^ kinds[None, :])


def any_shared(k):
    kinds = np.arange(2**k)
    return ((kinds[:, None] & kinds[None, :]) > 0).astype(int)


def count_not_parity(k):
    traits = (np.arange(2**k)[:, None] >> np.arange(k)) & 1
    return traits @ traits.T


def test_parity_passes_when_right(checker):
    assert checker(3, right_parity).passed


@pytest.mark.parametrize("wrong", [parity_of_differences, any_shared, count_not_parity])
def test_parity_mistakes_fail(checker, wrong):
    fails_with_hint(checker(3, wrong))


# exercise 4: Forster's bound for 2^k kinds
def right_bound(k):
    return math.ceil(math.sqrt(2**k)) - 2


def test_forster_reference_passes_and_is_exact(checker):
    assert lesson01.smallest_allowed_dim(5) == math.ceil(math.sqrt(32)) - 2 == 4
    assert lesson01.smallest_allowed_dim(1) == 0
    assert checker(4, right_bound).passed


@pytest.mark.parametrize(
    "wrong",
    [
        lambda k: math.ceil(math.sqrt(2**k)),  # the rank, forgetting MF's two bias terms
        lambda k: math.floor(math.sqrt(2**k)) - 2,  # rounded down
        lambda k: math.sqrt(2**k) - 2,  # not rounded
        lambda k: 2**k - 2,  # the number of kinds instead of its square root
    ],
)
def test_forster_mistakes_fail(checker, wrong):
    fails_with_hint(checker(4, wrong))


def test_a_number_is_not_a_function(checker):
    assert checker(4, 4).status == check.FAILED
