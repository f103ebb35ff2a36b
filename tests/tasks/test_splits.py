"""Tests for recsys_course.tasks.splits: implicit feedback, leave-one-out and temporal splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_course.tasks import prepare_leave_one_out
from recsys_course.tasks.splits import (
    leave_one_out,
    per_user_time_split,
    temporal_split,
    tie_break_key,
    tie_draws,
    time_order,
    to_implicit,
)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    """The (user, item, timestamp) rows of a frame as a sorted list (a multiset)."""
    return sorted(map(tuple, frame[["user", "item", "timestamp"]].to_numpy().tolist()))


@pytest.fixture
def small():
    """A hand-made log with a timestamp tie and a single-interaction user.

    user 0: items 1 (t=50), 5, 9, 3 (all t=100) -> test and valid among 5, 9, 3 (tie)
    user 1: items 2 (t=10), 4 (t=20), 7 (t=30)  -> test 7, valid 4
    user 2: item 6 only                          -> stays in train
    """
    return pd.DataFrame(
        {
            "user": [0, 0, 0, 0, 1, 1, 1, 2],
            "item": [1, 5, 9, 3, 7, 2, 4, 6],
            "timestamp": [50, 100, 100, 100, 30, 10, 20, 5],
        }
    )


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
    ratings = pd.DataFrame(
        {"user": [0, 1, 1], "item": [2, 3, 4], "rating": [1, 5, 3], "timestamp": [10, 20, 30]},
        index=[7, 8, 9],
    )
    out = to_implicit(ratings)
    assert list(out.columns) == ["user", "item", "timestamp"]
    assert list(out.index) == [0, 1, 2]
    assert out["item"].tolist() == [2, 3, 4]


def test_to_implicit_min_rating():
    """min_rating keeps ratings >= the threshold only, and leaves the input unchanged."""
    ratings = pd.DataFrame(
        {
            "user": [0, 0, 1, 1, 2],
            "item": [1, 2, 3, 4, 5],
            "rating": [4, 3, 5, 1, 4],
            "timestamp": [1, 2, 3, 4, 5],
        }
    )
    before = ratings.copy()
    out = to_implicit(ratings, min_rating=4)
    assert out["item"].tolist() == [1, 3, 5]
    assert list(out.index) == [0, 1, 2]
    pd.testing.assert_frame_equal(ratings, before)


def _tied_order(frame, user, items, seed=0):
    """The tied ``items`` of ``user``, from first to last in the split's order (by :func:`tie_draws`)."""
    draws = dict(zip(zip(frame["user"], frame["item"]), tie_draws(frame, seed)))
    return sorted(items, key=lambda item: draws[user, item])


def test_leave_one_out_holds_out_latest(small):
    """Each user's latest interaction is the test row; a tie goes by the per-row draws."""
    train, test = leave_one_out(small)
    tied = _tied_order(small, 0, [5, 9, 3])
    assert dict(zip(test["user"], test["item"])) == {0: tied[-1], 1: 7}
    assert set(train.loc[train["user"] == 0, "item"]) == {1, 5, 9, 3} - {tied[-1]}


def _tied_log(n_users=3000, tied=(3, 10, 17, 40, 41)):
    """Every user rated item 0 first, then all of ``tied`` in one later second."""
    rows = [(u, 0, 1) for u in range(n_users)] + [(u, i, 2) for u in range(n_users) for i in tied]
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"])


@pytest.mark.parametrize("seed", [0, 1])
def test_held_out_item_among_ties_does_not_follow_any_item_key(seed):
    """Among tied latest items each is held out about equally often, across users: the choice does not
    follow the item id or any fixed per-item key (a key would hold out the same item for every user)."""
    log = _tied_log()
    _, valid, test = leave_one_out(log, validation=True, seed=seed)
    for part in (test, valid):
        counts = part["item"].value_counts()
        assert set(counts.index) == {3, 10, 17, 40, 41}
        # 3000 users, 5 items: 600 each; a binomial sd of 22, so 480..720 fails ~1e-7 of the time
        assert counts.between(480, 720).all(), counts.to_dict()
        rank = part["item"].map({3: 0, 10: 1, 17: 2, 40: 3, 41: 4})
        assert abs(rank.mean() - 2.0) < 0.1  # no drift towards high or low ids
    key_rank = pd.Series(tie_break_key(np.array([3, 10, 17, 40, 41])).astype(float)).rank().to_numpy() - 1
    held_key = test["item"].map(dict(zip([3, 10, 17, 40, 41], key_rank)))
    assert abs(held_key.mean() - 2.0) < 0.1  # nor towards high or low values of a hashed key


def test_tie_draws_do_not_depend_on_row_order(random_log):
    shuffled = random_log.sample(frac=1.0, random_state=3)
    draws = dict(zip(zip(random_log["user"], random_log["item"]), tie_draws(random_log)))
    again = dict(zip(zip(shuffled["user"], shuffled["item"]), tie_draws(shuffled)))
    assert draws == again
    assert time_order(random_log).equals(time_order(shuffled))


def test_tie_break_key_is_fixed_and_not_item_order():
    """The key is fixed: same every call, distinct per item, different per seed, not sorted by id."""
    items = np.arange(50)
    key = tie_break_key(items)
    np.testing.assert_array_equal(key, tie_break_key(items))
    assert len(set(key.tolist())) == 50
    assert not (np.diff(key.astype(np.int64)) > 0).all()
    assert not np.array_equal(key, tie_break_key(items, seed=1))


def test_leave_one_out_single_interaction_user_stays_in_train(small):
    """A user with one interaction has nothing to hold out: it stays in train."""
    for split in (leave_one_out(small), leave_one_out(small, validation=True)):
        train, test = split[0], split[-1]
        assert 2 not in set(test["user"])
        assert train.loc[train["user"] == 2, "item"].tolist() == [6]


def test_leave_one_out_validation(small):
    """validation=True holds out the second-latest as the validation row."""
    train, valid, test = leave_one_out(small, validation=True)
    tied = _tied_order(small, 0, [5, 9, 3])
    assert dict(zip(test["user"], test["item"])) == {0: tied[-1], 1: 7}
    assert dict(zip(valid["user"], valid["item"])) == {0: tied[-2], 1: 4}
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


def test_leave_one_out_test_item_is_latest_then_last_in_tie_order(random_log):
    """On a random log the test row is the max of (timestamp, tie draw) for each user."""
    train, test = leave_one_out(random_log)
    counts = random_log.groupby("user").size()
    keyed = random_log.assign(draw=tie_draws(random_log))
    expected = {}
    for user, group in keyed.groupby("user"):
        if counts[user] > 1:
            expected[user] = max(zip(group["timestamp"], group["draw"], group["item"]))[2]
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
    # the rating column still belongs to the same (user, item) row as in `small`
    assert row["rating"] == frame.index[(frame["user"] == 0) & (frame["item"] == row["item"])][0]


def test_temporal_split_time_order_and_fractions():
    """Oldest rows train, newest test, sizes follow the fractions."""
    rng = np.random.default_rng(1)
    n = 1000
    log = pd.DataFrame(
        {"user": rng.integers(0, 50, n), "item": rng.integers(0, 80, n), "timestamp": rng.integers(0, 300, n)}
    )
    train, valid, test = temporal_split(log, valid_frac=0.1, test_frac=0.2)
    assert (len(train), len(valid), len(test)) == (700, 100, 200)
    assert train["timestamp"].max() <= valid["timestamp"].min()
    assert valid["timestamp"].max() <= test["timestamp"].min()
    assert _rows(pd.concat([train, valid, test])) == _rows(log)


def test_temporal_split_deterministic_under_shuffle():
    """Ties in time are cut by (user, item), so row order does not matter."""
    log = pd.DataFrame(
        {
            "user": [3, 1, 2, 0, 4, 5, 6, 7, 8, 9],
            "item": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            "timestamp": [1] * 10,
        }
    )
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


@pytest.mark.parametrize(
    "valid_frac, test_frac",
    [
        (-0.1, 0.1),
        (0.1, 0.0),
        (0.1, 1.0),
        (1.0, 0.1),
        (0.5, 0.5),
        (0.7, 0.4),
        (0.1, -0.2),
    ],
)
def test_temporal_split_rejects_bad_fractions(valid_frac, test_frac):
    """Fractions outside [0, 1) / (0, 1) or summing to 1 or more raise ValueError."""
    log = pd.DataFrame({"user": [0, 1], "item": [0, 1], "timestamp": [0, 1]})
    with pytest.raises(ValueError):
        temporal_split(log, valid_frac=valid_frac, test_frac=test_frac)


def test_prepare_leave_one_out_candidates_and_seen_sets(random_log):
    """Candidates hold the held-out item first; negatives are unseen; train_seen excludes held-out rows."""
    loo = prepare_leave_one_out(random_log, n_users=60, n_items=200, n_neg=20, seed=0)
    assert loo.test_candidates.shape == (len(loo.test), 21)
    np.testing.assert_array_equal(loo.test_candidates[:, 0], loo.test["item"].to_numpy())
    np.testing.assert_array_equal(loo.valid_candidates[:, 0], loo.valid["item"].to_numpy())
    users = np.repeat(loo.test["user"].to_numpy(), 20)
    assert not loo.seen.contains(users, loo.test_candidates[:, 1:].ravel()).any()
    # held-out interactions are in `seen` but not in `train_seen`
    assert loo.seen.contains(loo.test["user"], loo.test["item"]).all()
    assert not loo.train_seen.contains(loo.test["user"], loo.test["item"]).any()
    assert not loo.train_seen.contains(loo.valid["user"], loo.valid["item"]).any()
    again = prepare_leave_one_out(random_log, n_users=60, n_items=200, n_neg=20, seed=0)
    np.testing.assert_array_equal(again.test_candidates, loo.test_candidates)
    assert "leave-one-out" in loo.describe()


def test_merged_for_test_folds_validation_into_training(random_log):
    """The final-fit bundle trains on train + valid, has no validation users, keeps the test candidates."""
    loo = prepare_leave_one_out(random_log, n_users=60, n_items=200, n_neg=20, seed=0)
    final = loo.merged_for_test()
    assert len(final.train) == len(loo.train) + len(loo.valid)
    assert len(final.valid) == 0 and len(final.valid_candidates) == 0
    np.testing.assert_array_equal(final.test_candidates, loo.test_candidates)
    assert final.train_seen.contains(loo.valid["user"], loo.valid["item"]).all()
    assert not final.train_seen.contains(loo.test["user"], loo.test["item"]).any()


def test_per_user_time_split_keeps_each_users_timeline_in_order(random_log):
    """Per user: every train row is no newer than any valid row, valid no newer than test; rows kept once."""
    train, valid, test = per_user_time_split(random_log, valid_frac=0.1, test_frac=0.2)
    assert _rows(pd.concat([train, valid, test])) == _rows(random_log)
    for user, rows in random_log.groupby("user"):
        parts = [p[p["user"] == user] for p in (train, valid, test)]
        if len(rows) < 3:
            assert len(parts[0]) == len(rows) and parts[1].empty and parts[2].empty
            continue
        assert len(parts[2]) == max(round(len(rows) * 0.2), 1)
        assert len(parts[1]) == max(round(len(rows) * 0.1), 1)
        assert parts[0]["timestamp"].max() <= parts[1]["timestamp"].min()
        assert parts[1]["timestamp"].max() <= parts[2]["timestamp"].min()


def test_per_user_time_split_does_not_depend_on_row_order(random_log):
    ref = per_user_time_split(random_log)
    out = per_user_time_split(random_log.sample(frac=1.0, random_state=5))
    for a, b in zip(ref, out):
        assert _rows(a) == _rows(b)


def test_per_user_time_split_rejects_bad_fractions(random_log):
    with pytest.raises(ValueError, match="fractions"):
        per_user_time_split(random_log, valid_frac=0.6, test_frac=0.5)
