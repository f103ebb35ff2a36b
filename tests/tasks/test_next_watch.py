"""Tests for lesson 04's task: next-watch examples, their histories and the leave-one-out cut they share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_course.tasks.next_watch import prepare_next_watch, previous_items, split_latest


def test_no_history_holds_the_target_or_anything_not_strictly_earlier(twin, next_watch):
    """Every history item was rated in a strictly earlier second than the target, latest first."""
    when = {(u, i): t for u, i, t in twin.ratings[["user", "item", "timestamp"]].itertuples(index=False)}
    for examples in (next_watch.train, next_watch.valid, next_watch.test):
        for user, history, target in zip(examples.user, examples.history, examples.target):
            earlier = [when[user, item] for item in history if item != next_watch.pad]
            assert all(t < when[user, target] for t in earlier)
            assert earlier == sorted(earlier, reverse=True)  # latest first


def test_histories_are_full_up_to_the_targets_second(twin, next_watch):
    """A history is padded only when the user has no more strictly earlier items."""
    when = twin.ratings.groupby("user")["timestamp"].apply(np.sort)
    for examples in (next_watch.train, next_watch.test):
        filled = (examples.history != next_watch.pad).sum(axis=1)
        earlier = [int(np.searchsorted(when[u], t)) for u, t in zip(examples.user, examples.timestamp)]
        np.testing.assert_array_equal(filled, np.minimum(earlier, next_watch.history_len))


def test_split_matches_leave_one_out(twin, next_watch):
    from recsys_course.tasks.splits import leave_one_out

    _, valid, test = leave_one_out(twin.ratings, validation=True)
    assert np.array_equal(next_watch.test.user, test["user"].to_numpy())
    assert np.array_equal(next_watch.test.target, test["item"].to_numpy())
    assert np.array_equal(next_watch.valid.target, valid["item"].to_numpy())
    # the test history ends with the validation item, unless the two share a second
    apart = next_watch.valid.timestamp < next_watch.test.timestamp
    assert np.array_equal(next_watch.test.history[apart, 0], next_watch.valid.target[apart])
    assert len(next_watch.train) + len(next_watch.valid) + len(next_watch.test) == len(twin.ratings)


def test_a_validation_item_in_the_test_items_second_is_not_in_its_history():
    """User 0 rated 1, then 2 and 3 in one second: whichever is held out, the other is not its history."""
    ratings = pd.DataFrame(
        {"user": [0, 0, 0, 1, 1, 1], "item": [1, 2, 3, 1, 2, 3], "timestamp": [5, 9, 9, 1, 2, 3]}
    ).assign(rating=4)
    users = pd.DataFrame({"age": [30, 40], "gender": ["F", "M"], "occupation": ["x", "y"]})
    data = prepare_next_watch(ratings, users, n_items=4, history_len=3)
    assert data.test.history[0].tolist() == [1, 4, 4]  # only item 1 is strictly earlier
    assert data.test.gap[0] == 4  # seconds since item 1, not 0
    assert data.test.history[1].tolist() == [2, 1, 4]  # user 1: no tie, the validation item first


def test_previous_items_pads_orders_and_skips_the_same_second():
    frame = pd.DataFrame(
        {"user": [0, 0, 0, 0, 1, 1], "item": [5, 6, 7, 4, 8, 9], "timestamp": [1, 2, 2, 3, 1, 1]}
    )
    history = previous_items(frame, 2, pad=99)
    assert history.tolist() == [[99, 99], [5, 99], [5, 99], [7, 6], [99, 99], [99, 99]]


def test_split_latest_holds_out_each_users_latest(next_watch):
    cut, later = split_latest(next_watch, 2)
    assert len(cut.train) + len(later) == len(next_watch.train)
    assert (np.bincount(later.user) <= 2).all()
    assert cut.item_counts.sum() == len(cut.train)
    for user in np.unique(later.user):  # every held-out example is later than every kept one
        assert later.timestamp[later.user == user].min() >= cut.train.timestamp[cut.train.user == user].max()
