"""Tests for recsys_course.splits: implicit feedback, leave-one-out and temporal splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_course.splits import leave_one_out, temporal_split, to_implicit


def _rows(frame: pd.DataFrame) -> list[tuple]:
    """The (user, item, timestamp) rows of a frame as a sorted list (a multiset)."""
    return sorted(map(tuple, frame[["user", "item", "timestamp"]].to_numpy().tolist()))


@pytest.fixture
def small():
    """A hand-made log with a timestamp tie and a single-interaction user.

    user 0: items 1 (t=50), 5, 9, 3 (all t=100) -> test item 9 (tie broken by item id)
    user 1: items 2 (t=10), 4 (t=20), 7 (t=30)  -> test 7, valid 4
    user 2: item 6 only                          -> stays in train
    """
    return pd.DataFrame({
        "user":      [0, 0, 0, 0, 1, 1, 1, 2],
        "item":      [1, 5, 9, 3, 7, 2, 4, 6],
        "timestamp": [50, 100, 100, 100, 30, 10, 20, 5],
    })


@pytest.fixture
def random_log():
    """A random log of 60 users with many timestamp ties and varied lengths (1..15)."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(60):
        n = int(rng.integers(1, 16))
        items = rng.choice(200, size=n, replace=False)
        times = rng.integers(0, 5, size=n)  # few distinct times: lots of ties
        rows += [(user, int(i), int(t)) for i, t in zip(items, times)]
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"])


def test_to_implicit_keeps_columns_and_all_rows():
    """Without a threshold every rating becomes an interaction; the rating column is dropped."""
    ratings = pd.DataFrame({"user": [0, 1, 1], "item": [2, 3, 4], "rating": [1, 5, 3],
                            "timestamp": [10, 20, 30]}, index=[7, 8, 9])
    out = to_implicit(ratings)
    assert list(out.columns) == ["user", "item", "timestamp"]
    assert list(out.index) == [0, 1, 2]
    assert out["item"].tolist() == [2, 3, 4]


def test_to_implicit_min_rating():
    """min_rating keeps ratings >= the threshold only, and leaves the input unchanged."""
    ratings = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": [1, 2, 3, 4, 5],
                            "rating": [4, 3, 5, 1, 4], "timestamp": [1, 2, 3, 4, 5]})
    before = ratings.copy()
    out = to_implicit(ratings, min_rating=4)
    assert out["item"].tolist() == [1, 3, 5]
    assert list(out.index) == [0, 1, 2]
    pd.testing.assert_frame_equal(ratings, before)


def test_leave_one_out_holds_out_latest(small):
    """Each user's latest interaction is the test row; ties go to the highest item id."""
    train, test = leave_one_out(small)
    assert dict(zip(test["user"], test["item"])) == {0: 9, 1: 7}
    assert set(train.loc[train["user"] == 0, "item"]) == {1, 3, 5}


def test_leave_one_out_single_interaction_user_stays_in_train(small):
    """A user with one interaction has nothing to hold out: it stays in train."""
    for split in (leave_one_out(small), leave_one_out(small, validation=True)):
        train, test = split[0], split[-1]
        assert 2 not in set(test["user"])
        assert train.loc[train["user"] == 2, "item"].tolist() == [6]


def test_leave_one_out_validation(small):
    """validation=True holds out the second-latest as the validation row."""
    train, valid, test = leave_one_out(small, validation=True)
    assert dict(zip(test["user"], test["item"])) == {0: 9, 1: 7}
    assert dict(zip(valid["user"], valid["item"])) == {0: 5, 1: 4}
    assert _rows(pd.concat([train, valid, test])) == _rows(small)


@pytest.mark.parametrize("seed", range(5))
def test_leave_one_out_independent_of_row_order(random_log, seed):
    """Shuffling the input rows gives exactly the same split."""
    ref_train, ref_valid, ref_test = leave_one_out(random_log, validation=True)
    shuffled = random_log.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    train, valid, test = leave_one_out(shuffled, validation=True)
    assert _rows(train) == _rows(ref_train)
    assert _rows(valid) == _rows(ref_valid)
    assert _rows(test) == _rows(ref_test)


def test_leave_one_out_test_item_is_latest_then_highest_item(random_log):
    """On a random log the test row is the max of (timestamp, item) for each user."""
    train, test = leave_one_out(random_log)
    counts = random_log.groupby("user").size()
    expected = {}
    for user, group in random_log.groupby("user"):
        if counts[user] > 1:
            latest = max(zip(group["timestamp"], group["item"]))
            expected[user] = latest[1]
    assert dict(zip(test["user"], test["item"])) == expected
    assert test["user"].is_unique


def test_leave_one_out_union_is_input(random_log):
    """train and test partition the input: nothing lost, nothing duplicated."""
    train, test = leave_one_out(random_log)
    assert _rows(pd.concat([train, test])) == _rows(random_log)
    assert len(train) + len(test) == len(random_log)


def test_leave_one_out_keeps_training_rows_for_every_user(random_log):
    """With or without validation, every user keeps at least one training interaction."""
    for split in (leave_one_out(random_log), leave_one_out(random_log, validation=True)):
        assert set(split[0]["user"]) == set(random_log["user"])


def test_leave_one_out_held_out_rows_are_not_older_than_train(random_log):
    """No training interaction of a user is later than that user's held-out ones."""
    train, valid, test = leave_one_out(random_log, validation=True)
    last_train = train.groupby("user")["timestamp"].max()
    for held in (valid, test):
        for user, ts in zip(held["user"], held["timestamp"]):
            assert ts >= last_train[user]
    valid_ts = dict(zip(valid["user"], valid["timestamp"]))
    for user, ts in zip(test["user"], test["timestamp"]):
        assert ts >= valid_ts[user]


def test_leave_one_out_keeps_extra_columns(small):
    """Extra columns (e.g. rating) travel with their rows."""
    frame = small.assign(rating=np.arange(len(small)))
    train, test = leave_one_out(frame)
    assert "rating" in test.columns
    row = test[test["user"] == 0].iloc[0]
    assert row["rating"] == 2  # the (0, 9) row is the third in `small`


def test_temporal_split_time_order_and_fractions():
    """Oldest rows train, newest test, sizes follow the fractions."""
    rng = np.random.default_rng(1)
    n = 1000
    log = pd.DataFrame({"user": rng.integers(0, 50, n), "item": rng.integers(0, 80, n),
                        "timestamp": rng.integers(0, 300, n)})
    train, valid, test = temporal_split(log, valid_frac=0.1, test_frac=0.2)
    assert (len(train), len(valid), len(test)) == (700, 100, 200)
    assert train["timestamp"].max() <= valid["timestamp"].min()
    assert valid["timestamp"].max() <= test["timestamp"].min()
    assert _rows(pd.concat([train, valid, test])) == _rows(log)


def test_temporal_split_deterministic_under_shuffle():
    """Ties in time are cut by (user, item), so row order does not matter."""
    log = pd.DataFrame({"user": [3, 1, 2, 0, 4, 5, 6, 7, 8, 9],
                        "item": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                        "timestamp": [1] * 10})
    ref = temporal_split(log, valid_frac=0.2, test_frac=0.3)
    out = temporal_split(log.sample(frac=1.0, random_state=3), valid_frac=0.2, test_frac=0.3)
    for a, b in zip(ref, out):
        assert _rows(a) == _rows(b)
    assert ref[2]["user"].tolist() == [7, 8, 9]


def test_temporal_split_zero_validation():
    """valid_frac=0 gives an empty validation frame."""
    log = pd.DataFrame({"user": range(10), "item": range(10), "timestamp": range(10)})
    train, valid, test = temporal_split(log, valid_frac=0.0, test_frac=0.3)
    assert len(valid) == 0
    assert train["timestamp"].tolist() == list(range(7))
    assert test["timestamp"].tolist() == [7, 8, 9]


@pytest.mark.parametrize("valid_frac, test_frac", [
    (-0.1, 0.1), (0.1, 0.0), (0.1, 1.0), (1.0, 0.1), (0.5, 0.5), (0.7, 0.4), (0.1, -0.2),
])
def test_temporal_split_rejects_bad_fractions(valid_frac, test_frac):
    """Fractions outside [0, 1) / (0, 1) or summing to 1 or more raise ValueError."""
    log = pd.DataFrame({"user": [0, 1], "item": [0, 1], "timestamp": [0, 1]})
    with pytest.raises(ValueError):
        temporal_split(log, valid_frac=valid_frac, test_frac=test_frac)
