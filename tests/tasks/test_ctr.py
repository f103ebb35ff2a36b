"""Tests for the CTR task of lessons 05-06 on small synthetic MovieLens data: labels, histories, wide ids."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_course.data import synthetic_movielens
from recsys_course.tasks.ctr import movielens_ctr
from recsys_course.tasks.features import cross


@pytest.fixture(scope="module")
def ml():
    return synthetic_movielens(seed=3, n_users=80, n_items=120, n_ratings=4000)


@pytest.fixture(scope="module")
def task(ml):
    return movielens_ctr(ml, history_len=5, cross_buckets=2**12)


def test_labels_are_ratings_of_four_or_five_and_every_test_user_has_training_rows(ml, task):
    for split in (task.train, task.valid, task.test):
        assert np.array_equal(split.label, (split.rows["rating"].to_numpy() >= 4).astype(np.float32))
        assert len(split.wide) == len(split.deep) == len(split.dense) == len(split.history) == len(split)
    assert set(task.test.user) <= set(task.train.user)
    assert len(task.train) + len(task.valid) + len(task.test) == ml.n_ratings


def test_histories_hold_only_liked_items_rated_strictly_before(ml, task):
    columns = ml.ratings[["user", "item", "rating", "timestamp"]]
    when = {(u, i): (t, r) for u, i, r, t in columns.itertuples(index=False)}
    checked = 0
    for split in (task.train, task.valid, task.test):
        for user, stamp, history in zip(split.user, split.rows["timestamp"], split.history):
            for item in history[history != ml.n_items]:
                rated_at, rating = when[(user, item)]
                assert rated_at < stamp and rating >= 4
                checked += 1
    assert checked > 1000


def test_vocabularies_come_from_training_rows_only(task):
    train_items = set(task.train.item)
    unseen = ~np.isin(task.test.item, list(train_items))
    assert (task.test.deep[unseen, 1] == 0).all()  # the movie field: OOV for a movie train never showed
    assert (task.test.deep[~unseen, 1] > 0).all()
    sizes = np.array(list(task.deep_fields.values()))
    for split in (task.train, task.valid, task.test):
        assert ((split.deep >= 0) & (split.deep < sizes)).all()
        assert ((split.wide >= 0) & (split.wide <= task.wide_size)).all()


def test_wide_ids_fall_in_their_fields_ranges(task):
    starts = np.cumsum([0, *task.wide_fields.values()])
    names = list(task.wide_fields)
    k = int(np.flatnonzero((task.train.history != task.n_items).any(axis=1))[0])  # a row with a liked history
    row = task.train.wide[k]
    fields_of_row = [names[np.searchsorted(starts, i, side="right") - 1] for i in row[row < task.wide_size]]
    for name in ("user", "movie", "age", "gender", "occupation", "year"):
        assert fields_of_row.count(name) == 1
    assert fields_of_row.count("genre") == fields_of_row.count("gender x genre") >= 1
    liked = (task.train.history[k] != task.n_items).sum()
    assert (
        0 < fields_of_row.count("liked movie x movie") <= liked
    )  # fewer only where two pairs share a bucket
    assert list(task.crosses["cross"]) == [
        "gender x genre",
        "age x genre",
        "occupation x genre",
        "liked movie x movie",
    ]
    assert task.crosses["collision rate"].between(0, 1).all()


def test_with_wide_keeps_only_the_named_fields(task):
    ids = task.with_wide(["user", "movie"])
    assert ids.wide_size == task.wide_fields["user"] + task.wide_fields["movie"]
    assert ids.train.wide.shape == (len(task.train), 2)
    n_ids = ids.wide_size
    kept = np.sort(np.where(task.train.wide < n_ids, task.train.wide, -1), axis=1)[
        :, -2:
    ]  # user and movie ids
    assert np.array_equal(np.sort(ids.train.wide, axis=1), kept)  # unmoved
    assert np.array_equal(ids.train.deep, task.train.deep)
    with pytest.raises(KeyError, match="no wide field"):
        task.with_wide(["user", "zip code"])


def test_with_extra_wide_appends_a_field_and_moves_the_padding(task):
    parts = [cross(s.deep[:, 5], s.item, 64) for s in (task.train, task.valid, task.test)]
    more = task.with_extra_wide("year x movie", 64, parts)
    assert more.wide_size == task.wide_size + 64
    extra = more.train.wide[(more.train.wide >= task.wide_size) & (more.train.wide < more.wide_size)]
    assert len(extra) == len(task.train)  # one per row
    kept = np.where(task.train.wide < task.wide_size, task.train.wide, -1)
    assert np.array_equal(
        np.sort(kept[kept >= 0]), np.sort(more.train.wide[more.train.wide < task.wide_size])
    )
    with pytest.raises(ValueError, match="already has"):
        more.with_extra_wide("year x movie", 64, parts)


def test_tensors_are_writable_copies_with_the_models_dtypes(task):
    import torch

    wide, dense, label = task.train.tensors(("wide", "dense"))
    assert (wide.dtype, dense.dtype, label.dtype) == (torch.long, torch.float32, torch.float32)
    assert torch.equal(wide, torch.as_tensor(task.train.wide)) and len(label) == len(task.train)
    wide[0, 0] = -5  # a copy: the split is untouched
    assert task.train.wide[0, 0] != -5
    assert task.n_users == 80
