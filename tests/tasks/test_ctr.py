"""Tests for the CTR task of lessons 05-06 on small synthetic MovieLens data: labels, histories, wide ids."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_course.tasks.features import cross


def test_labels_are_ratings_of_four_or_five_and_every_test_user_has_training_rows(ctr_twin, ctr_task):
    for split in (ctr_task.train, ctr_task.valid, ctr_task.test):
        assert np.array_equal(split.label, (split.rows["rating"].to_numpy() >= 4).astype(np.float32))
        assert len(split.wide) == len(split.deep) == len(split.dense) == len(split.history) == len(split)
    assert set(ctr_task.test.user) <= set(ctr_task.train.user)
    assert len(ctr_task.train) + len(ctr_task.valid) + len(ctr_task.test) == ctr_twin.n_ratings


def test_histories_hold_only_liked_items_rated_strictly_before(ctr_twin, ctr_task):
    columns = ctr_twin.ratings[["user", "item", "rating", "timestamp"]]
    when = {(u, i): (t, r) for u, i, r, t in columns.itertuples(index=False)}
    checked = 0
    for split in (ctr_task.train, ctr_task.valid, ctr_task.test):
        for user, stamp, history in zip(split.user, split.rows["timestamp"], split.history):
            for item in history[history != ctr_twin.n_items]:
                rated_at, rating = when[(user, item)]
                assert rated_at < stamp and rating >= 4
                checked += 1
    assert checked > 1000


def test_vocabularies_come_from_training_rows_only(ctr_task):
    train_items = set(ctr_task.train.item)
    unseen = ~np.isin(ctr_task.test.item, list(train_items))
    assert (ctr_task.test.deep[unseen, 1] == 0).all()  # the movie field: OOV for a movie train never showed
    assert (ctr_task.test.deep[~unseen, 1] > 0).all()
    sizes = np.array(list(ctr_task.deep_fields.values()))
    for split in (ctr_task.train, ctr_task.valid, ctr_task.test):
        assert ((split.deep >= 0) & (split.deep < sizes)).all()
        assert ((split.wide >= 0) & (split.wide <= ctr_task.wide_size)).all()


def test_wide_ids_fall_in_their_fields_ranges(ctr_task):
    starts = np.cumsum([0, *ctr_task.wide_fields.values()])
    names = list(ctr_task.wide_fields)
    k = int(
        np.flatnonzero((ctr_task.train.history != ctr_task.n_items).any(axis=1))[0]
    )  # a row with a liked history
    row = ctr_task.train.wide[k]
    fields_of_row = [
        names[np.searchsorted(starts, i, side="right") - 1] for i in row[row < ctr_task.wide_size]
    ]
    for name in ("user", "movie", "age", "gender", "occupation", "year"):
        assert fields_of_row.count(name) == 1
    assert fields_of_row.count("genre") == fields_of_row.count("gender x genre") >= 1
    liked = (ctr_task.train.history[k] != ctr_task.n_items).sum()
    # fewer only where two pairs share a bucket
    assert 0 < fields_of_row.count("liked movie x movie") <= liked
    assert list(ctr_task.crosses["cross"]) == [
        "gender x genre",
        "age x genre",
        "occupation x genre",
        "liked movie x movie",
    ]
    assert ctr_task.crosses["collision rate"].between(0, 1).all()


def test_with_wide_keeps_only_the_named_fields(ctr_task):
    ids = ctr_task.with_wide(["user", "movie"])
    assert ids.wide_size == ctr_task.wide_fields["user"] + ctr_task.wide_fields["movie"]
    assert ids.train.wide.shape == (len(ctr_task.train), 2)
    n_ids = ids.wide_size
    kept = np.sort(np.where(ctr_task.train.wide < n_ids, ctr_task.train.wide, -1), axis=1)[
        :, -2:
    ]  # user and movie ids
    assert np.array_equal(np.sort(ids.train.wide, axis=1), kept)  # unmoved
    assert np.array_equal(ids.train.deep, ctr_task.train.deep)
    with pytest.raises(KeyError, match="no wide field"):
        ctr_task.with_wide(["user", "zip code"])


def test_with_extra_wide_appends_a_field_and_moves_the_padding(ctr_task):
    parts = [cross(s.deep[:, 5], s.item, 64) for s in (ctr_task.train, ctr_task.valid, ctr_task.test)]
    more = ctr_task.with_extra_wide("year x movie", 64, parts)
    assert more.wide_size == ctr_task.wide_size + 64
    extra = more.train.wide[(more.train.wide >= ctr_task.wide_size) & (more.train.wide < more.wide_size)]
    assert len(extra) == len(ctr_task.train)  # one per row
    kept = np.where(ctr_task.train.wide < ctr_task.wide_size, ctr_task.train.wide, -1)
    assert np.array_equal(
        np.sort(kept[kept >= 0]), np.sort(more.train.wide[more.train.wide < ctr_task.wide_size])
    )
    with pytest.raises(ValueError, match="already has"):
        more.with_extra_wide("year x movie", 64, parts)


def test_tensors_are_writable_copies_with_the_models_dtypes(ctr_task):
    import torch

    wide, dense, label = ctr_task.train.tensors(("wide", "dense"))
    assert (wide.dtype, dense.dtype, label.dtype) == (torch.long, torch.float32, torch.float32)
    assert torch.equal(wide, torch.as_tensor(ctr_task.train.wide)) and len(label) == len(ctr_task.train)
    wide[0, 0] = -5  # a copy: the split is untouched
    assert ctr_task.train.wide[0, 0] != -5
    assert ctr_task.n_users == 80
