"""Lesson 01's toy preference matrices, cell by cell: every (user, item) cell of a matrix, a pair model
trained on some cells with the course's fit() loop, and which cells a model puts on the right side.

The lesson and its solutions notebook share these three helpers, so that both train exactly alike.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import config
from ...evaluation.inference import score_pairs
from ...training import fit
from ...training.batches import tensor_batches


def all_cells(n_users: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (user, item) pair of an n_users x n_items matrix, as two flat id arrays (row by row)."""
    u, i = np.meshgrid(np.arange(n_users), np.arange(n_items), indexing="ij")
    return u.ravel(), i.ravel()


def train_pairs(
    model,
    users,
    items,
    labels,
    *,
    epochs: int,
    lr: float = 1e-2,
    batch_size: int = 512,
    loss: str = "bce",
    seed: int = 0,
    optimizer=None,
):
    """Fit ``model`` on (users, items, labels) with Adam (unless ``optimizer`` is given); returns fit()'s history.

    ``loss="bce"`` treats the labels as likes (0/1) and the output as a logit; ``loss="mse"`` regresses them.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    loss_fn = (
        torch.nn.functional.binary_cross_entropy_with_logits
        if loss == "bce"
        else torch.nn.functional.mse_loss
    )
    return fit(
        model.to(config.get_device()),
        lambda epoch: tensor_batches(users, items, labels, batch_size=batch_size, generator=gen),
        epochs=epochs,
        lr=lr,
        loss_fn=loss_fn,
        optimizer=optimizer,
        progress=False,
    )


def correct(model, users, items, labels) -> np.ndarray:
    """Per cell: 1.0 where the model's side of 0.5 (a logit above or below 0) matches the label."""
    return ((score_pairs(model, users, items) > 0) == (np.asarray(labels) > 0.5)).astype(float)
