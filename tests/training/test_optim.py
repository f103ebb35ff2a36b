"""Tests for recsys_course.training.optim.FTRL: Algorithm 1 by hand, exact zeros, sparse rows, a fit that works."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from recsys_course.evaluation.metrics import auc
from recsys_course.models import MF
from recsys_course.training.optim import FTRL, adam_with_weight_decay


def _by_hand(gradients, alpha, beta, l1, l2):
    """McMahan et al. (2013), Algorithm 1 for one coordinate, in plain floats: the weight after each step."""
    w = z = n = 0.0
    weights = []
    for g in gradients:
        sigma = (math.sqrt(n + g * g) - math.sqrt(n)) / alpha
        z += g - sigma * w
        n += g * g
        w = 0.0 if abs(z) <= l1 else -(z - math.copysign(l1, z)) / ((beta + math.sqrt(n)) / alpha + l2)
        weights.append(w)
    return weights


@pytest.mark.parametrize("l1", [0.0, 0.3])
def test_steps_match_the_algorithm_by_hand(l1):
    gradients = [0.5, -0.2, 0.8, 0.1, -1.5]
    alpha, beta, l2 = 0.1, 1.0, 0.01
    expected = _by_hand(gradients, alpha, beta, l1, l2)
    w = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = FTRL([w], alpha=alpha, beta=beta, l1=l1, l2=l2)
    for g, want in zip(gradients, expected):
        w.grad = torch.tensor([g], dtype=torch.float64)
        optimizer.step()
        assert w.item() == pytest.approx(want, abs=1e-12)
    assert any(e != 0 for e in expected)  # the sequence moves the weight at least once


def test_weights_are_exactly_zero_where_z_is_within_l1():
    w = nn.Parameter(torch.zeros(4))
    optimizer = FTRL([w], alpha=0.5, l1=1.0)
    for _ in range(3):
        w.grad = torch.tensor([0.1, -0.2, 2.0, -3.0])  # small, small, large, large evidence
        optimizer.step()
    z = optimizer.state[w]["z"]
    assert torch.equal(w[z.abs() <= 1.0], torch.zeros(int((z.abs() <= 1.0).sum())))
    assert (z.abs() <= 1.0).tolist() == [True, True, False, False]
    assert w[2] < 0 < w[3]  # the weight opposes the gradient's sign


def test_sparse_gradients_update_only_their_rows_and_match_dense():
    torch.manual_seed(0)
    sparse = nn.Embedding(10, 1, sparse=True)
    dense = nn.Embedding(10, 1)
    for table in (sparse, dense):
        nn.init.zeros_(table.weight)
    optimizers = [FTRL(sparse.parameters(), alpha=0.2, l1=0.01), FTRL(dense.parameters(), alpha=0.2, l1=0.01)]
    ids = torch.tensor([1, 3, 3, 7])
    target = torch.tensor([1.0, 0.0, 1.0, 1.0])
    for _ in range(5):
        for table, optimizer in zip((sparse, dense), optimizers):
            optimizer.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(table(ids).squeeze(1), target)
            loss.backward()
            optimizer.step()
    assert sparse.weight.grad.is_sparse
    torch.testing.assert_close(sparse.weight, dense.weight)
    untouched = [0, 2, 4, 5, 6, 8, 9]
    assert torch.all(sparse.weight[untouched] == 0)
    assert torch.all(optimizers[0].state[sparse.weight]["n"][untouched] == 0)
    assert torch.all(sparse.weight[[1, 7]] > 0)


def test_l1_logistic_regression_learns_and_zeroes_noise_features():
    rng = np.random.default_rng(0)
    n, useful, noise = 4000, 3, 20
    x = rng.standard_normal((n, useful + noise)).astype(np.float32)
    logits = x[:, :useful] @ np.array([2.0, -1.5, 1.0], dtype=np.float32)
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.float32)
    model = nn.Linear(useful + noise, 1, bias=False)
    nn.init.zeros_(model.weight)
    optimizer = FTRL(model.parameters(), alpha=0.5, l1=20.0)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for start in range(0, n, 32):  # one pass, small batches: online learning
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(
            model(xt[start : start + 32]).squeeze(1), yt[start : start + 32], reduction="sum"
        )
        loss.backward()
        optimizer.step()
    weights = model.weight.detach().numpy().ravel()
    assert (weights[:useful] != 0).all()
    assert (weights[useful:] == 0).mean() > 0.5  # most noise features exactly zero
    with torch.no_grad():
        assert auc(y, model(xt).squeeze(1).numpy()) > 0.8


def test_bad_hyperparameters_are_named():
    w = nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="alpha > 0"):
        FTRL([w], alpha=0.0)
    with pytest.raises(ValueError, match="l1 >= 0"):
        FTRL([w], l1=-1.0)


def test_joint_steps_each_part_with_its_own_optimizer():
    from recsys_course.training.optim import Joint

    wide, deep = nn.Parameter(torch.zeros(3)), nn.Parameter(torch.ones(2))
    joint = Joint(FTRL([wide], alpha=0.1), torch.optim.SGD([deep], lr=0.5))
    (wide.sum() * 2 + (deep**2).sum()).backward()
    joint.step()
    assert torch.allclose(deep.detach(), torch.zeros(2))  # SGD: 1 - 0.5 * 2
    # FTRL: -z / ((beta + sqrt(n)) / alpha), z=2, n=4
    assert torch.allclose(wide.detach(), torch.full((3,), -2 / 30))
    joint.zero_grad()
    assert wide.grad is None and deep.grad is None
    assert len(joint.param_groups) == 2 and "Joint(FTRL, SGD)" == repr(joint)
    with pytest.raises(ValueError, match="two of the joint"):
        Joint(torch.optim.SGD([deep], lr=1.0), torch.optim.SGD([deep], lr=1.0))


def test_mf_optimizer_parameter_groups():
    """Biases sit in their own group, with weight decay only when asked for."""
    model = MF(5, 6, dim=3)
    for decay_biases, expected in ((True, 1e-4), (False, 0.0)):
        opt = adam_with_weight_decay(model, lr=1e-3, weight_decay=1e-4, decay_biases=decay_biases)
        embeddings, biases = opt.param_groups
        assert embeddings["weight_decay"] == 1e-4 and biases["weight_decay"] == expected
        assert {id(p) for p in biases["params"]} == {
            id(model.user_bias.weight),
            id(model.item_bias.weight),
            id(model.bias),
        }
        assert len(embeddings["params"]) == 2
