"""Tests for recsys_course.training.batches: tensor batches, and fresh negatives every epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_course.tasks.negatives import InteractionSet
from recsys_course.training.batches import epoch_batches, tensor_batches


def test_tensor_batches_cover_all_rows_once():
    """Shuffled batches hold every row exactly once, with rows of all arrays kept aligned."""
    ids = np.arange(103)
    values = ids * 2.5
    batches = list(tensor_batches(ids, values, batch_size=10, generator=torch.Generator().manual_seed(0)))
    assert [len(b[0]) for b in batches] == [10] * 10 + [3]
    got_ids = torch.cat([b[0] for b in batches])
    got_values = torch.cat([b[1] for b in batches])
    assert sorted(got_ids.tolist()) == ids.tolist()
    assert not torch.equal(got_ids, torch.arange(103))  # really shuffled
    torch.testing.assert_close(got_values, got_ids.float() * 2.5)


def test_tensor_batches_dtypes_and_order():
    """Integers become long, floats float32; shuffle=False keeps the order; dtypes overrides."""
    first = next(tensor_batches(np.array([3, 1, 2]), np.array([0.5, 1.5, 2.5]), shuffle=False))
    assert first[0].dtype == torch.long and first[1].dtype == torch.float32
    assert first[0].tolist() == [3, 1, 2]
    forced = next(tensor_batches(np.array([1, 0]), dtypes=[torch.float32], shuffle=False))
    assert forced[0].dtype == torch.float32


def test_tensor_batches_deterministic_with_generator():
    """The same generator seed gives the same batches."""
    a = [
        b[0].tolist()
        for b in tensor_batches(np.arange(50), batch_size=7, generator=torch.Generator().manual_seed(3))
    ]
    b = [
        b[0].tolist()
        for b in tensor_batches(np.arange(50), batch_size=7, generator=torch.Generator().manual_seed(3))
    ]
    assert a == b


def test_tensor_batches_length_mismatch_raises():
    """Arrays of different lengths are an error."""
    with pytest.raises(ValueError):
        list(tensor_batches(np.arange(5), np.arange(4)))


def test_epoch_batches_resample_negatives_each_epoch():
    """Every call gives all positives plus n_neg fresh negatives each, in batches."""
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(20), 3)
    items = rng.integers(0, 50, size=60)
    seen = InteractionSet(users, items, 50)
    batches = epoch_batches(users, items, seen, n_neg=2, rng=rng, batch_size=32)
    first = [b for b in batches(1)]
    second = [b for b in batches(2)]
    u1, i1, y1 = (torch.cat(parts) for parts in zip(*first))
    u2, i2, y2 = (torch.cat(parts) for parts in zip(*second))
    assert len(u1) == 180 and all(len(b[0]) <= 32 for b in first)
    assert y1.sum() == 60 and y2.sum() == 60
    negatives = y1 == 0
    assert not seen.contains(u1[negatives].numpy(), i1[negatives].numpy()).any()
    assert not torch.equal(i1[y1 == 0].sort().values, i2[y2 == 0].sort().values)  # fresh draws
