"""From ratings to train/test: implicit feedback, leave-one-out by time, temporal splits.

Leave-one-out (He et al. 2017, NCF): each user's latest interaction is held out
for testing. Ties in the timestamp are broken by item id, so the split never
depends on the order rows happen to be stored in.
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


def _time_order(interactions: pd.DataFrame) -> pd.DataFrame:
    return interactions.sort_values(["user", "timestamp", "item"], kind="stable").reset_index(drop=True)


def leave_one_out(interactions: pd.DataFrame, *, validation: bool = False):
    """Hold out each user's latest interaction as test (and the one before as validation).

    Returns ``(train, test)`` or, with ``validation=True``, ``(train, valid, test)``.
    Users with too few interactions to hold one out keep all of them in train.
    """
    ordered = _time_order(interactions)
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
    return (ordered.iloc[:train_end].reset_index(drop=True),
            ordered.iloc[train_end:valid_end].reset_index(drop=True),
            ordered.iloc[valid_end:].reset_index(drop=True))
