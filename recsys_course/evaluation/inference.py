"""Running a trained model over many inputs: the scores every protocol ranks or judges.

:func:`score_pairs` scores (user, item) pairs with a pair model, in batches and in eval mode;
:func:`all_item_scores` scores every item for each user; :func:`predict_logits` gives a CTR
model's logit for every impression of a task's split, in row order.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

CTR_INPUTS = ("wide", "deep", "dense")  # what a CTR model reads unless it names its own ``inputs``


@torch.no_grad()
def score_pairs(model: torch.nn.Module, users, items, batch_size: int = 65_536) -> np.ndarray:
    """Run ``model(users, items)`` over 1-D id arrays in batches; return the raw scores."""
    # a parameter-free model (e.g. a popularity baseline) runs on the CPU or where its buffers are
    tensors = itertools.chain(model.parameters(), model.buffers())
    device = next(tensors, torch.empty(0)).device
    users = torch.tensor(np.asarray(users), dtype=torch.long)  # a copy: pandas arrays may be read-only
    items = torch.tensor(np.asarray(items), dtype=torch.long)
    was_training = model.training
    model.eval()
    out = [
        model(users[s : s + batch_size].to(device), items[s : s + batch_size].to(device)).float().cpu()
        for s in range(0, len(users), batch_size)
    ]
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def all_item_scores(model: torch.nn.Module, users, n_items: int) -> np.ndarray:
    """A pair model's score of every item for each of ``users``: ``[len(users), n_items]``."""
    users = np.asarray(users)
    scores = score_pairs(model, np.repeat(users, n_items), np.tile(np.arange(n_items), len(users)))
    return scores.reshape(len(users), n_items)


@torch.no_grad()
def predict_logits(model: torch.nn.Module, split, batch_size: int = 16_384) -> np.ndarray:
    """A CTR model's logits for every impression of a :class:`~recsys_course.tasks.ctr.CTRSplit`, in row order.

    The model reads the inputs it names in ``model.inputs`` (default :data:`CTR_INPUTS`); it is left in eval mode.
    """
    model.eval()
    device = next(model.parameters()).device
    inputs = split.tensors(getattr(model, "inputs", CTR_INPUTS))[:-1]  # the label is last
    out = [
        model(*(t[start : start + batch_size].to(device) for t in inputs)).cpu()
        for start in range(0, len(split), batch_size)
    ]
    return torch.cat(out).numpy().astype(np.float64)
