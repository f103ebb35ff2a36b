"""Tests for recsys_course.models.WideAndDeep: the joint logit is the sum of its halves; sparse wide gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys_course.models import WideAndDeep
from recsys_course.tasks.features import offset_fields
from recsys_course.training.optim import FTRL

FIELDS = {"user": 5, "item": 7, "genre": 3}


def _batch(n=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    deep = torch.stack([torch.randint(0, size, (n,), generator=gen) for size in FIELDS.values()], dim=1)
    wide, size = offset_fields([deep[:, 0].numpy(), deep[:, 1].numpy()], [5, 7])
    return torch.as_tensor(wide), deep, size


def test_joint_logit_is_the_sum_of_the_wide_and_deep_logits():
    torch.manual_seed(0)
    wide_ids, deep_ids, size = _batch()
    model = WideAndDeep(size, FIELDS, dim=4, hidden=(8, 4))
    with torch.no_grad():
        model.wide.weight.normal_()
        model.bias.fill_(0.3)
        expected = 0.3 + model.wide.weight[wide_ids].sum(dim=(1, 2)) + model.deep_logit(deep_ids)
        torch.testing.assert_close(model(wide_ids, deep_ids), expected)


def test_halves_and_padding():
    torch.manual_seed(0)
    wide_ids, deep_ids, size = _batch()
    wide_only = WideAndDeep(size, FIELDS, deep=False)
    deep_only = WideAndDeep(size, FIELDS, wide=False, dim=4, hidden=(8,))
    assert wide_only.deep is None and deep_only.wide is None
    with torch.no_grad():
        wide_only.wide.weight.normal_()
        wide_only.wide.weight[size] = 0.0
        padded = torch.cat([wide_ids, torch.full((len(wide_ids), 1), size)], dim=1)  # an absent feature
        torch.testing.assert_close(wide_only(padded, deep_ids), wide_only(wide_ids, deep_ids))
    assert {id(p) for p in deep_only.deep_parameters()} == {id(p) for p in deep_only.parameters()}
    assert deep_only.wide_parameters() == []
    with pytest.raises(ValueError, match="wide part, a deep part"):
        WideAndDeep(size, FIELDS, wide=False, deep=False)


def test_two_optimizers_train_their_own_part_and_the_wide_gradient_is_sparse():
    torch.manual_seed(0)
    wide_ids, deep_ids, size = _batch(n=64)
    labels = (deep_ids[:, 0] % 2).float()
    model = WideAndDeep(size, FIELDS, dim=4, hidden=(8,))
    wide_opt = FTRL(model.wide_parameters(), alpha=0.5, l1=0.01)
    deep_opt = torch.optim.Adagrad(model.deep_parameters(), lr=0.05)
    params = model.wide_parameters() + model.deep_parameters()
    assert len({id(p) for p in params}) == len(list(model.parameters())) == len(params)  # each in one group
    losses = []
    for _ in range(30):
        wide_opt.zero_grad()
        deep_opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(wide_ids, deep_ids), labels)
        loss.backward()
        assert model.wide.weight.grad.is_sparse
        wide_opt.step()
        deep_opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    unused = np.setdiff1d(np.arange(size), wide_ids.unique().numpy())
    assert torch.all(model.wide.weight[torch.as_tensor(unused)] == 0)  # rows no batch touched stay zero


def test_the_deep_part_reads_the_mean_of_the_liked_history():
    torch.manual_seed(0)
    model = WideAndDeep(20, {"user": 5}, dim=3, hidden=(4,), history_items=9, wide=False)
    assert model.inputs == ("wide", "deep", "dense", "history")
    deep = torch.tensor([[1], [1], [1]])
    history = torch.tensor([[2, 4, 9], [4, 2, 9], [9, 9, 9]])  # 9 pads; the last row has no history
    with torch.no_grad():
        pooled = model.history(history)
        expected = (model.history.weight[2] + model.history.weight[4]) / 2
        assert torch.allclose(pooled[0], expected) and torch.allclose(pooled[1], expected)
        assert torch.count_nonzero(pooled[2]) == 0
        out = model(None, deep, None, history)
    assert torch.isclose(out[0], out[1]) and not torch.isclose(out[0], out[2])
    assert set(map(id, model.history.parameters())) <= set(map(id, model.deep_parameters()))
    with pytest.raises(ValueError, match="history"):
        model(None, deep, None, None)
