"""Tests for the results store: where committed results are looked up, what a missing one says, and joining parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_course.evidence import Results


def test_a_missing_committed_result_names_its_experiment():
    with pytest.raises(FileNotFoundError, match="python -m recsys_course run 99/nothing"):
        Results.required("99_nothing", "nothing_ml-100k", "99/nothing")


def _part(users, ranks, model) -> Results:
    part = Results()
    for seed, rank in enumerate(ranks):
        part.add(
            {"model": model, "seed": seed}, pd.DataFrame({"user": users, "rank": rank, "auc": rank / 100})
        )
    return part


def test_joined_results_keep_every_run_and_its_per_user_numbers():
    users = np.array([3, 1, 2])
    a = _part(users, [np.array([0, 5, 20]), np.array([1, 2, 3])], "A")
    b = _part(users, [np.array([9, 9, 0])], "B")
    b.curves.append(pd.DataFrame({"epoch": [1]}))
    whole = Results.joined(a, b)
    assert list(whole.frame()["run"]) == [0, 1, 2] and list(whole.frame()["model"]) == ["A", "A", "B"]
    np.testing.assert_array_equal(whole.per_user("hr@10", model="B"), [[1, 1, 1]])
    np.testing.assert_array_equal(whole.per_user("auc", model="A", seed=1), [[0.01, 0.02, 0.03]])
    assert len(whole.curves) == 1 and list(a.frame()["run"]) == [0, 1]  # the parts are left as they were


def test_a_subset_keeps_the_chosen_runs_and_their_per_user_numbers():
    users = np.array([3, 1, 2])
    whole = Results.joined(
        _part(users, [np.array([0, 5, 20]), np.array([1, 2, 3])], "A"),
        _part(users, [np.array([9, 9, 0])], "B"),
    )
    only_b = whole.subset(model="B")
    assert list(only_b.frame()["run"]) == [0] and list(only_b.frame()["model"]) == ["B"]
    np.testing.assert_array_equal(only_b.per_user("hr@10"), whole.per_user("hr@10", model="B"))
    np.testing.assert_array_equal(only_b.users, users)
    with pytest.raises(KeyError, match="no run matches"):
        whole.subset(model="C")


def test_joining_results_of_other_users_is_an_error():
    a = _part(np.array([1, 2]), [np.array([0, 1])], "A")
    b = _part(np.array([2, 1]), [np.array([0, 1])], "B")
    with pytest.raises(ValueError, match="different test users"):
        Results.joined(a, b)
