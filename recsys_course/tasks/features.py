"""CTR features, explicit and small: what Wide & Deep, FM, DeepFM and DIN (lessons 05-06) read.

Categorical values to ids fitted on training rows (:class:`Vocabulary`),
buckets of numbers, multi-hot fields as padded id lists, hashed crosses with
their collision rate, and each impression's liked items strictly before it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

OOV = 0  # the id of a value the training rows never showed


class Vocabulary:
    """A categorical field's values as contiguous ids, fitted on training rows only.

    Ids run from 1 in the sorted order of the values; id 0
    (:data:`OOV`) is every value not seen in training - or seen fewer than
    ``min_count`` times - so validation and test rows never see an id the
    model could not have learned. ``size`` counts the OOV id.
    """

    def __init__(self, min_count: int = 1):
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        self.min_count = int(min_count)
        self.ids: dict | None = None

    def fit(self, values: Iterable) -> Vocabulary:
        counts = pd.Series(list(values)).value_counts()
        kept = sorted(counts.index[counts >= self.min_count].tolist(), key=str)
        self.ids = {value: i + 1 for i, value in enumerate(kept)}
        return self

    def transform(self, values) -> np.ndarray:
        if self.ids is None:
            raise ValueError("fit the vocabulary on the training rows before transforming")
        return pd.Series(np.asarray(values)).map(self.ids).fillna(OOV).to_numpy(dtype=np.int64)

    def fit_transform(self, values) -> np.ndarray:
        return self.fit(values).transform(values)

    @property
    def size(self) -> int:
        if self.ids is None:
            raise ValueError("the vocabulary has not been fitted")
        return len(self.ids) + 1


def quantile_edges(values, n_buckets: int) -> np.ndarray:
    """Bucket edges at the training values' quantiles (duplicates dropped), for :func:`bucketize`."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if n_buckets < 2 or len(values) == 0:
        raise ValueError("quantile edges need n_buckets >= 2 and at least one finite value")
    return np.unique(np.quantile(values, np.linspace(0, 1, n_buckets + 1)[1:-1]))


def bucketize(values, edges) -> np.ndarray:
    """Ids of the buckets ``edges`` cut the number line into: 1..len(edges)+1, and 0 for a missing value."""
    values = np.asarray(values, dtype=np.float64)
    ids = np.digitize(values, np.asarray(edges, dtype=np.float64)) + 1
    return np.where(np.isfinite(values), ids, OOV).astype(np.int64)


def padded_ids(multi_hot, pad: int | None = None) -> np.ndarray:
    """A multi-hot matrix [n, k] as the ids of its set columns, one row each, padded to the longest row.

    ``pad`` defaults to ``k`` (one past the last column), ready for an
    ``nn.EmbeddingBag`` or ``nn.Embedding`` with ``padding_idx=k``.
    """
    multi_hot = np.asarray(multi_hot).astype(bool)
    pad = multi_hot.shape[1] if pad is None else int(pad)
    width = max(int(multi_hot.sum(axis=1).max(initial=0)), 1)
    rows, cols = np.nonzero(multi_hot)
    slot = np.arange(len(rows)) - np.searchsorted(rows, rows)  # position of each set column within its row
    out = np.full((len(multi_hot), width), pad, dtype=np.int64)
    out[rows, slot] = cols
    return out


def offset_fields(columns, sizes) -> tuple[np.ndarray, int]:
    """Id columns, column k in [0, sizes[k]), as one [n, n_fields] array of ids in one shared range.

    Column k is shifted by the sum of the sizes before it, so every field
    (and every hashed cross) has its own rows in a single wide table.
    Returns ``(ids, total size)``.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    ids = np.stack([np.asarray(c, dtype=np.int64) for c in columns], axis=1)
    if len(sizes) != ids.shape[1]:
        raise ValueError(f"{ids.shape[1]} columns but {len(sizes)} sizes")
    if ids.size and ((ids < 0).any() or (ids >= sizes[None, :]).any()):
        field = int(np.flatnonzero(((ids < 0) | (ids >= sizes[None, :])).any(axis=0))[0])
        raise ValueError(f"column {field} holds ids outside [0, {sizes[field]})")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return ids + offsets[None, :], int(sizes.sum())


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: scrambles 64-bit integers so that nearby inputs land far apart."""
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def cross(a, b, buckets: int, seed: int = 0) -> np.ndarray:
    """The hashed cross of two id columns: each (a, b) pair to a bucket in [0, buckets), the same in every run.

    Hashing bounds the wide model's size whatever the number of pairs, at
    the price of collisions - see :func:`collision_rate`.
    """
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    a = np.asarray(a, dtype=np.int64).astype(np.uint64)
    b = np.asarray(b, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = _mix(_mix(a + np.uint64(seed)) ^ b)
    return (key % np.uint64(buckets)).astype(np.int64)


def collision_rate(a, b, buckets: int, seed: int = 0) -> float:
    """The share of distinct (a, b) pairs that share their bucket with another distinct pair."""
    pairs = np.unique(np.stack([np.asarray(a, np.int64), np.asarray(b, np.int64)], axis=1), axis=0)
    if len(pairs) == 0:
        return 0.0
    hashed = cross(pairs[:, 0], pairs[:, 1], buckets, seed)
    _, inverse, counts = np.unique(hashed, return_inverse=True, return_counts=True)
    return float((counts[inverse] > 1).mean())


def liked_before(
    impressions: pd.DataFrame, ratings: pd.DataFrame, length: int, pad: int, min_rating: int = 4
) -> np.ndarray:
    """For each impression (user, timestamp), the user's latest ``length`` liked items rated strictly earlier.

    ``ratings`` holds user, item, rating, timestamp; an item is liked at
    ``rating >= min_rating``. Column 0 is the latest; rows with fewer are
    padded with ``pad``. A rating in the same second as the impression - the
    impression itself included - is *not* before it, so nothing of the
    impression's own moment leaks in.
    """
    liked = ratings[ratings["rating"] >= min_rating].sort_values(["user", "timestamp", "item"], kind="stable")
    scale = (
        np.int64(int(max(liked["timestamp"].max(), impressions["timestamp"].max())) + 1) if len(liked) else 1
    )
    liked_keys = liked["user"].to_numpy(np.int64) * scale + liked["timestamp"].to_numpy(np.int64)
    liked_items = liked["item"].to_numpy(np.int64)
    users = impressions["user"].to_numpy(np.int64)
    before = np.searchsorted(
        liked_keys, users * scale + impressions["timestamp"].to_numpy(np.int64), side="left"
    )
    first = np.searchsorted(liked_keys, users * scale, side="left")  # the user's first liked row
    out = np.full((len(impressions), length), pad, dtype=np.int64)
    for lag in range(1, length + 1):
        rows = np.flatnonzero(before - lag >= first)
        out[rows, lag - 1] = liked_items[before[rows] - lag]
    return out


def pair_frequency(history, items, train_history, train_items, pad: int) -> np.ndarray:
    """For each row, how often its most frequent (history item, candidate) pair occurred in training rows.

    A row's pairs are its history's items (``pad`` excluded) each with the
    row's candidate ``items``; the training rows' pairs are counted exactly,
    without hashing. 0 means none of the row's pairs was ever seen - nothing
    a cross feature could have memorised.
    """

    def keys(hist, cand):
        hist, cand = np.asarray(hist, np.int64), np.asarray(cand, np.int64)
        return np.where(hist != pad, hist * (pad + 1) + cand[:, None], -1)

    train_keys = keys(train_history, train_items)
    seen, counts = np.unique(train_keys[train_keys >= 0], return_counts=True)
    query = keys(history, items)
    if len(seen) == 0:
        return np.zeros(len(query), dtype=np.int64)
    slot = np.minimum(np.searchsorted(seen, query), len(seen) - 1)
    found = (query >= 0) & (seen[slot] == query)
    return np.where(found, counts[slot], 0).max(axis=1, initial=0)
