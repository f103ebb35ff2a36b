"""Tests for lesson 04's task: next-watch examples, their histories and the leave-one-out cut they share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_course.tasks.next_watch import previous_items, split_latest


def test_no_history_holds_the_target_or_anything_later(twin, next_watch):
    """Every history item was rated strictly earlier in the user's time order than the target."""
    order = twin.ratings.sort_values(["user", "timestamp"], kind="stable")
    from recsys_course.tasks.splits import leave_one_out

    train, valid, test = leave_one_out(twin.ratings[["user", "item", "timestamp", "rating"]], validation=True)
    sequence = pd.concat([train, valid, test]).sort_values("user", kind="stable")
    position = {(u, i): p for p, (u, i) in enumerate(zip(sequence["user"], sequence["item"]))}
    assert len(position) == len(order)
    for examples in (next_watch.train, next_watch.valid, next_watch.test):
        for user, history, target in zip(examples.user, examples.history, examples.target):
            target_at = position[user, target]
            earlier = [position[user, item] for item in history if item != next_watch.pad]
            assert all(at < target_at for at in earlier)
            assert target not in history
            assert earlier == sorted(earlier, reverse=True)  # latest first


def test_split_matches_leave_one_out(twin, next_watch):
    from recsys_course.tasks.splits import leave_one_out

    _, valid, test = leave_one_out(twin.ratings, validation=True)
    assert np.array_equal(next_watch.test.user, test["user"].to_numpy())
    assert np.array_equal(next_watch.test.target, test["item"].to_numpy())
    assert np.array_equal(next_watch.valid.target, valid["item"].to_numpy())
    # the test history ends with the validation item
    assert np.array_equal(next_watch.test.history[:, 0], next_watch.valid.target)
    assert len(next_watch.train) + len(next_watch.valid) + len(next_watch.test) == len(twin.ratings)


def test_previous_items_pads_and_orders():
    frame = pd.DataFrame({"user": [0, 0, 0, 1, 1], "item": [5, 6, 7, 8, 9]})
    history = previous_items(frame, 2, pad=99)
    assert history.tolist() == [[99, 99], [5, 99], [6, 5], [99, 99], [8, 99]]


def test_split_latest_holds_out_each_users_latest(next_watch):
    cut, later = split_latest(next_watch, 2)
    assert len(cut.train) + len(later) == len(next_watch.train)
    assert (np.bincount(later.user) <= 2).all()
    assert cut.item_counts.sum() == len(cut.train)
    for user in np.unique(later.user):  # every held-out example is later than every kept one
        assert later.timestamp[later.user == user].min() >= cut.train.timestamp[cut.train.user == user].max()
