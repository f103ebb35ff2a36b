"""Batches for the training loop: arrays to shuffled tensor batches, and fresh negatives per epoch.

:func:`tensor_batches` is a light DataLoader over equally long arrays;
:func:`epoch_batches` gives :func:`recsys_course.training.fit` a function that
draws new negatives every epoch and batches them; :func:`ctr_batches` batches
what a CTR model reads from a task's split.
"""

from __future__ import annotations

import numpy as np
import torch

from ..tasks.ctr import CTRSplit
from ..tasks.negatives import InteractionSet, training_pairs


def tensor_batches(
    *arrays,
    batch_size: int = 1024,
    shuffle: bool = True,
    generator: torch.Generator | None = None,
    dtypes=None,
):
    """Split equally long arrays into batches of tensors (a light DataLoader).

    ``dtypes`` gives each array's torch dtype (default: long for integer arrays,
    float32 otherwise). With ``shuffle``, rows are permuted with ``generator``.
    """
    tensors = []
    for i, a in enumerate(arrays):
        t = torch.tensor(np.asarray(a))  # a copy: pandas arrays may be read-only
        dtype = (
            dtypes[i] if dtypes is not None else (torch.long if not t.is_floating_point() else torch.float32)
        )
        tensors.append(t.to(dtype))
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError("all arrays must have the same length")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield tuple(t[idx] for t in tensors)


def epoch_batches(
    users,
    items,
    seen: InteractionSet,
    n_neg: int,
    rng: np.random.Generator,
    batch_size: int = 1024,
    probs: np.ndarray | None = None,
):
    """A ``batches(epoch)`` function for :func:`recsys_course.training.fit`.

    Each call draws fresh negatives (:func:`training_pairs`) and yields
    shuffled ``(users, items, labels)`` tensor batches.
    """

    def batches(epoch: int):
        u, i, y = training_pairs(users, items, seen, n_neg, rng, probs)
        return tensor_batches(u, i, y, batch_size=batch_size, shuffle=False)  # already shuffled

    return batches


def ctr_batches(
    split: CTRSplit,
    names,
    batch_size: int = 1024,
    generator: torch.Generator | None = None,
    shuffle: bool = True,
):
    """Tensor batches of the inputs a CTR model reads (``names``), with the label last."""
    return tensor_batches(
        *split.inputs(names),
        split.label,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        dtypes=split.dtypes(names),
    )
