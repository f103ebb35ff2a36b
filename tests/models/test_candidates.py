"""Tests for the candidate tower and its softmax losses (full, sampled, in-batch; logQ)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from recsys_course.models import CandidateTower, SoftmaxLoss

FIELDS = {"age": 7, "gender": 2, "occupation": 5}


def _tower(n_items=12, pool="mean", hidden=(8,)):
    torch.manual_seed(0)
    return CandidateTower(n_items, FIELDS, dim=4, hidden=hidden, pool=pool, n_users=5, field_dim=2)


def _inputs(n=6, n_items=12, length=4):
    gen = torch.Generator().manual_seed(1)
    history = torch.randint(0, n_items, (n, length), generator=gen)
    history[0, 2:] = n_items  # padding at the end, as next_watch writes it
    history[1, :] = n_items  # no history at all
    features = torch.stack([torch.randint(0, size, (n,), generator=gen) for size in FIELDS.values()], dim=1)
    return torch.arange(n) % 5, history, features


def test_masked_mean_ignores_padding():
    tower = _tower()
    users, history, features = _inputs()
    before = tower.pooled_history(users, history)
    with torch.no_grad():
        tower.history.weight[tower.pad] = 100.0  # a padding row that is not zero must still not count
    after = tower.pooled_history(users, history)
    torch.testing.assert_close(before, after)
    expected = tower.history.weight[history[0, :2]].mean(dim=0)
    torch.testing.assert_close(after[0], expected)
    assert torch.all(after[1] == 0)  # no history: the zero vector


def test_user_vectors_are_unit_and_pools_differ():
    users, history, features = _inputs()
    for pool in ("mean", "last", "none"):
        vectors = _tower(pool=pool)(users, history, features)
        torch.testing.assert_close(vectors.norm(dim=1), torch.ones(len(users)))
    with pytest.raises(ValueError, match="n_users"):
        CandidateTower(12, FIELDS, pool="none")


def test_sampled_softmax_over_all_items_equals_full_softmax():
    tower = _tower()
    users, history, features = _inputs()
    targets = torch.tensor([0, 3, 3, 7, 11, 5])
    vectors = tower(users, history, features)
    full = SoftmaxLoss(tower, "full")(vectors, targets)
    every_item = SoftmaxLoss(tower, "sampled", samples=np.arange(12))(vectors, targets)
    torch.testing.assert_close(full, every_item)
    torch.testing.assert_close(
        full, F.cross_entropy(vectors @ tower.item_vectors().T / tower.temperature, targets)
    )


def test_in_batch_logq_loss_by_hand():
    """Three examples; items 0, 1, 2 as targets; q = (0.5, 0.3, 0.2); row 2 repeats row 0's target."""
    tower = _tower(n_items=3, hidden=())
    with torch.no_grad():
        tower.items.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0.6, 0.8, 0, 0]]))
    user_vectors = F.normalize(torch.tensor([[1.0, 0.2, 0, 0], [0.1, 1.0, 0, 0], [0.5, 0.5, 0.1, 0]]), dim=1)
    targets = torch.tensor([0, 1, 0])
    q = np.array([0.5, 0.3, 0.2])
    loss = SoftmaxLoss(tower, "in-batch", probs=q, logq=True)(user_vectors, targets)
    items = F.normalize(tower.items.weight, dim=1).detach().numpy()
    u = user_vectors.numpy()
    total = 0.0
    for row in range(3):
        logits = np.array([u[row] @ items[t] / tower.temperature - np.log(q[t]) for t in targets.tolist()])
        keep = [j for j in range(3) if j == row or targets[j] != targets[row]]  # repeats are masked
        total += -(logits[row] - np.log(np.exp(logits[keep]).sum()))
    assert loss.item() == pytest.approx(total / 3, rel=1e-5)
    uncorrected = SoftmaxLoss(tower, "in-batch", probs=q, logq=False)(user_vectors, targets)
    assert uncorrected.item() != pytest.approx(loss.item())


def test_sampled_logq_needs_probs_and_masks_accidental_hits():
    tower = _tower()
    with pytest.raises(ValueError, match="probs"):
        SoftmaxLoss(tower, "sampled", logq=True)
    users, history, features = _inputs()
    vectors = tower(users, history, features)
    targets = torch.tensor([2, 2, 2, 2, 2, 2])
    loss = SoftmaxLoss(tower, "sampled", samples=np.array([2, 2, 2]))
    logits, _ = loss.logits(vectors, targets)
    assert torch.isinf(logits[:, 1:]).all()  # every sample is the target: all masked


def test_tower_learns_next_item(next_watch):
    """A few epochs of full softmax beat popularity on the training users' validation targets."""
    torch.manual_seed(0)
    from recsys_course.training import fit_next_item

    tower = CandidateTower(next_watch.n_items, next_watch.user_fields, dim=16, hidden=(32,))
    history = fit_next_item(
        tower,
        next_watch,
        SoftmaxLoss(tower, "full"),
        epochs=8,
        lr=1e-2,
        batch_size=128,
        patience=None,
        progress=False,
    )
    assert history.best_value > 0
    assert history["train_loss"][-1] < history["train_loss"][0]
