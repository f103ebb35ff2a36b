"""From ratings to train/test: implicit feedback, leave-one-out by time, global and per-user time splits.

Leave-one-out (He et al. 2017, NCF): each user's latest interaction is held out
for testing. Many MovieLens users rated several movies in the same second, so
the latest timestamp is often shared. Rows of one second are an unordered set:
:func:`tie_draws` orders them by a seeded random draw per row, so which of them
is held out depends neither on the item id nor on any fixed per-item key (a key
shared by every user would teach a history model "the next item has a larger
key", a pattern of the split and not of the users).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def to_implicit(ratings: pd.DataFrame, min_rating: int | None = None) -> pd.DataFrame:
    """Keep (user, item, timestamp) of interactions; optionally only ratings >= min_rating.

    NCF treats every rating as an interaction (``min_rating=None``); a "liked"
    signal uses e.g. ``min_rating=4``.
    """
    frame = ratings if min_rating is None else ratings[ratings["rating"] >= min_rating]
    return frame[["user", "item", "timestamp"]].reset_index(drop=True)


def tie_break_key(items, seed: int = 0) -> np.ndarray:
    """A fixed scrambled key per item id (Knuth's multiplicative hash), the same in every run.

    It depends on the item id alone, so the order of tied items does not
    change with the dataset's size or row order.
    """
    items = np.asarray(items, dtype=np.uint64) + np.uint64(seed)
    return (items * np.uint64(2654435761)) % np.uint64(2**32)


def tie_draws(interactions: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """One seeded uniform draw per row, to order the rows a user made in the same second.

    The draws are dealt in (user, timestamp, item) order, so they do not depend
    on the order rows are stored in; each is an independent draw, so the order
    it gives one user's tied items says nothing of their ids and differs from
    user to user.
    """
    canonical = np.lexsort(
        (
            interactions["item"].to_numpy(),
            interactions["timestamp"].to_numpy(),
            interactions["user"].to_numpy(),
        )
    )
    draws = np.empty(len(interactions))
    draws[canonical] = np.random.default_rng(seed).random(len(interactions))
    return draws


def time_order(interactions: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The rows sorted by user, then time, with timestamp ties ordered by :func:`tie_draws`."""
    keyed = interactions.assign(_tie=tie_draws(interactions, seed))
    ordered = keyed.sort_values(["user", "timestamp", "_tie"], kind="stable")
    return ordered.drop(columns="_tie").reset_index(drop=True)


def _order_by_item_key(interactions: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The rows sorted by user, then time, with ties broken by :func:`tie_break_key` (the CTR split's rule)."""
    keyed = interactions.assign(_tie=tie_break_key(interactions["item"].to_numpy(), seed))
    ordered = keyed.sort_values(["user", "timestamp", "_tie"], kind="stable")
    return ordered.drop(columns="_tie").reset_index(drop=True)


def leave_one_out(interactions: pd.DataFrame, *, validation: bool = False, seed: int = 0):
    """Hold out each user's latest interaction as test (and the one before as validation).

    Returns ``(train, test)`` or, with ``validation=True``, ``(train, valid, test)``.
    Users with too few interactions to hold one out keep all of them in train.
    Where a user's latest rows share a timestamp, the held-out one is chosen among
    them by :func:`tie_draws` with ``seed`` - a per-user random draw.
    """
    ordered = time_order(interactions, seed)
    # position from the end within each user: 0 = latest
    from_end = ordered.groupby("user").cumcount(ascending=False).to_numpy()
    size = ordered.groupby("user")["item"].transform("size").to_numpy()
    held = 2 if validation else 1
    eligible = size > held  # keep at least one training interaction per user
    test_mask = eligible & (from_end == 0)
    valid_mask = eligible & (from_end == 1) if validation else np.zeros(len(ordered), bool)
    train = ordered[~test_mask & ~valid_mask].reset_index(drop=True)
    test = ordered[test_mask].reset_index(drop=True)
    if validation:
        return train, ordered[valid_mask].reset_index(drop=True), test
    return train, test


def temporal_split(interactions: pd.DataFrame, valid_frac: float = 0.1, test_frac: float = 0.1):
    """Split by global time: the oldest rows train, the newest test (no peeking at the future).

    Cut points are quantiles of the (timestamp, user, item)-sorted rows, so the
    result is deterministic. Returns ``(train, valid, test)``.
    """
    if not (0 <= valid_frac < 1 and 0 < test_frac < 1 and valid_frac + test_frac < 1):
        raise ValueError("valid_frac and test_frac must be fractions that sum to less than 1")
    ordered = interactions.sort_values(["timestamp", "user", "item"], kind="stable").reset_index(drop=True)
    n = len(ordered)
    train_end = int(round(n * (1 - valid_frac - test_frac)))
    valid_end = int(round(n * (1 - test_frac)))
    return (
        ordered.iloc[:train_end].reset_index(drop=True),
        ordered.iloc[train_end:valid_end].reset_index(drop=True),
        ordered.iloc[valid_end:].reset_index(drop=True),
    )


def per_user_time_split(
    interactions: pd.DataFrame, valid_frac: float = 0.1, test_frac: float = 0.1, seed: int = 0
):
    """Split each user's own timeline: their oldest rows train, the next validate, the newest test.

    Every user with at least three rows has at least one in each part (a
    part's size is its fraction of the user's rows, rounded, and at least one);
    users with fewer keep everything in train. Ties in time are broken by
    :func:`tie_break_key`, one fixed key per item (lessons 05-06's results were
    measured with it; ``docs/methods.md`` says what that costs). Unlike :func:`temporal_split`, every test user has
    a training history - at the price that one user's test rows may be older
    than another user's training rows. Returns ``(train, valid, test)``.
    """
    if not (0 < valid_frac < 1 and 0 < test_frac < 1 and valid_frac + test_frac < 1):
        raise ValueError("valid_frac and test_frac must be fractions that sum to less than 1")
    ordered = _order_by_item_key(interactions, seed)
    grouped = ordered.groupby("user")
    size = grouped["item"].transform("size").to_numpy()
    from_end = grouped.cumcount(ascending=False).to_numpy()
    n_test = np.maximum(np.round(size * test_frac), 1)
    n_valid = np.maximum(np.round(size * valid_frac), 1)
    split = size >= 3
    test = split & (from_end < n_test)
    valid = split & ~test & (from_end < n_test + n_valid)
    pick = lambda mask: ordered[mask].reset_index(drop=True)  # noqa: E731
    return pick(~test & ~valid), pick(valid), pick(test)
