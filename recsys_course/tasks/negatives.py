"""Negative sampling, vectorised.

Implicit feedback has only positives; training and evaluation need items the
user did *not* interact with. Everything here draws many candidates at once
with NumPy, rejects the ones the user has seen, and redraws only those - never
a Python loop over users or items (``benchmarks/sampler_speed.py`` measures the
difference).
"""

from __future__ import annotations

import numpy as np


class InteractionSet:
    """Which (user, item) pairs were seen, with a vectorised membership test.

    The pairs live in a dense boolean table [n_users, n_items]: one byte per
    cell (1.6 MB for MovieLens 100K, 22 MB for 1M), and ``contains`` answers a
    whole array of queries with one fancy-indexing lookup.
    """

    MAX_CELLS = 2_000_000_000  # beyond this a dense table is the wrong tool

    def __init__(self, users, items, n_items: int, n_users: int | None = None):
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        if len(items) and (items.min() < 0 or items.max() >= n_items):
            raise ValueError(f"item ids must lie in [0, {n_items}); got {items.min()}..{items.max()}")
        if len(users) and users.min() < 0:
            raise ValueError(f"user ids must be >= 0; got {users.min()}")
        self.n_items = int(n_items)
        self.n_users = int(n_users) if n_users is not None else (int(users.max()) + 1 if len(users) else 0)
        if self.n_users * self.n_items > self.MAX_CELLS:
            raise ValueError(f"{self.n_users:,} x {self.n_items:,} cells is too many for a dense table")
        self.table = np.zeros((self.n_users, self.n_items), dtype=bool)
        self.table[users, items] = True
        # how many distinct items each user has seen (to spot users with no negatives left)
        self.counts = self.table.sum(axis=1)

    @classmethod
    def from_frame(cls, frame, n_items: int, n_users: int | None = None) -> InteractionSet:
        return cls(frame["user"].to_numpy(), frame["item"].to_numpy(), n_items, n_users)

    def contains(self, users, items) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        known = users < self.n_users  # users never seen have no interactions
        if known.all():  # the fast path: one lookup in the flattened table
            return self.table.ravel()[users * self.n_items + items]
        out = np.zeros(np.broadcast(users, items).shape, dtype=bool)
        users, items = np.broadcast_arrays(users, items)
        out[known] = self.table[users[known], items[known]]
        return out

    def seen_count(self, users) -> np.ndarray:
        users = np.asarray(users, dtype=np.int64)
        out = np.zeros(users.shape, dtype=np.int64)
        known = users < self.n_users
        out[known] = self.counts[users[known]]
        return out


def popularity_probs(item_counts, alpha: float = 0.75) -> np.ndarray:
    """Sampling distribution proportional to count**alpha (word2vec's 0.75 smooths it)."""
    weights = np.asarray(item_counts, dtype=np.float64) ** alpha
    if weights.sum() <= 0:
        raise ValueError("item_counts must contain a positive count")
    return weights / weights.sum()


def _draw(rng: np.random.Generator, n_items: int, size, probs) -> np.ndarray:
    if probs is None:
        return rng.integers(0, n_items, size=size)
    cdf = np.cumsum(probs)
    return np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right").clip(max=n_items - 1)


def sample_negatives(
    users,
    n_neg: int,
    seen: InteractionSet,
    rng: np.random.Generator,
    probs: np.ndarray | None = None,
    max_rounds: int = 100,
) -> np.ndarray:
    """For each user, ``n_neg`` items the user has not interacted with: shape [len(users), n_neg].

    Uniform over items by default; ``probs`` (e.g. :func:`popularity_probs`)
    weights the draw. Draws may repeat within a row (fine for training).
    """
    users = np.asarray(users, dtype=np.int64)
    n_items = seen.n_items
    _check_room(users, seen, n_items, 1, probs)
    flat_users = np.repeat(users, n_neg)
    out = _draw(rng, n_items, len(flat_users), probs)
    redo = np.flatnonzero(seen.contains(flat_users, out))  # positions to draw again
    for _ in range(max_rounds):
        if redo.size == 0:
            return out.reshape(len(users), n_neg)
        out[redo] = _draw(rng, n_items, redo.size, probs)
        redo = redo[seen.contains(flat_users[redo], out[redo])]
    raise RuntimeError(
        "negative sampling did not converge; are some users' unseen items given (almost) zero probability?"
    )


def _check_room(users, seen: InteractionSet, n_items: int, needed: int, probs) -> None:
    free = n_items - seen.seen_count(users)
    if (free < needed).any():
        first = int(np.argmax(free < needed))
        raise ValueError(
            f"user {int(users[first])} has only {int(free[first])} unseen items; {needed} are needed"
        )
    if probs is not None and len(probs) != n_items:
        raise ValueError(f"probs has {len(probs)} entries for {n_items} items")


def training_pairs(
    users, items, seen: InteractionSet, n_neg: int, rng: np.random.Generator, probs: np.ndarray | None = None
):
    """Positives plus ``n_neg`` sampled negatives each: ``(users, items, labels)``, shuffled.

    Call it once per epoch so every epoch sees fresh negatives (as NCF does).
    """
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    negatives = sample_negatives(users, n_neg, seen, rng, probs)
    all_users = np.concatenate([users, np.repeat(users, n_neg)])
    all_items = np.concatenate([items, negatives.ravel()])
    labels = np.concatenate([np.ones(len(users), np.float32), np.zeros(negatives.size, np.float32)])
    order = rng.permutation(len(all_users))
    return all_users[order], all_items[order], labels[order]


def pick_hard(scores, n_pick: int, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """Column indices of ``n_pick`` distinct entries per row, drawn with probability softmax(scores / temperature).

    The hard-negative step: ``scores`` is the current model's score of a pool
    of candidate negatives per positive, [n_rows, pool]. A low temperature
    picks the highest-scored (hardest) ones, a high one approaches uniform.
    Sampling without replacement uses the Gumbel-top-k trick: add Gumbel
    noise to ``scores / temperature`` and keep each row's ``n_pick`` largest.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or not 0 < n_pick <= scores.shape[1]:
        raise ValueError(
            f"need a [rows, pool] score array with pool >= n_pick={n_pick}; got shape {scores.shape}"
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    keys = scores / temperature + rng.gumbel(size=scores.shape)
    return np.argpartition(-keys, n_pick - 1, axis=1)[:, :n_pick]


def evaluation_candidates(
    users, positives, seen: InteractionSet, rng: np.random.Generator, n_neg: int = 99, max_rounds: int = 100
) -> np.ndarray:
    """Fixed ranking candidates: column 0 the held-out positive, then ``n_neg`` distinct negatives.

    ``seen`` should hold *all* of a user's interactions (train and test) so no
    negative is secretly a positive. Draw once with a fixed seed and reuse,
    so every model is ranked against the same items (NCF protocol: 99).
    """
    users = np.asarray(users, dtype=np.int64)
    positives = np.asarray(positives, dtype=np.int64)
    _check_room(users, seen, seen.n_items, n_neg, None)
    negs = rng.integers(0, seen.n_items, size=(len(users), n_neg))
    row_users = np.broadcast_to(users[:, None], negs.shape)
    for _ in range(max_rounds):
        # invalid: seen by the user, equal to the positive, or a repeat within the row
        negs.sort(axis=1)
        bad = seen.contains(row_users, negs) | (negs == positives[:, None])
        bad[:, 1:] |= negs[:, 1:] == negs[:, :-1]
        if not bad.any():
            break
        negs[bad] = rng.integers(0, seen.n_items, size=int(bad.sum()))
    else:
        raise RuntimeError("could not draw distinct evaluation negatives")
    negs = rng.permuted(negs, axis=1)  # sorted order would leak nothing, but random is clearer
    return np.concatenate([positives[:, None], negs], axis=1)
