"""Next-watch data for the two-stage recommender of lesson 04 (Covington et al. 2016).

Each user's ratings in time order are a watch sequence; an example is the last
``history_len`` items before a target (padded) plus the user's demographics,
and the label is the target item. The split is the leave-one-out cut of lessons 02-03.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .negatives import InteractionSet
from .splits import leave_one_out

AGE_EDGES = (18, 25, 35, 45, 50, 56)  # MovieLens 1M's age groups: <18, 18-24, ..., 56+
USER_FIELDS = ("age", "gender", "occupation")


@dataclass
class Examples:
    """Next-watch examples, one row each: who, what they watched before, and what came next.

    ``history`` is [n, history_len] with the most recent item in column 0 and
    the padding id (``n_items``) where the user had watched fewer items.
    ``gap`` is the seconds since the user's latest strictly earlier rating
    (-1 where there is none); ``rating`` is the target's rating, the engagement signal.
    """

    user: np.ndarray
    history: np.ndarray
    target: np.ndarray
    timestamp: np.ndarray
    gap: np.ndarray
    rating: np.ndarray

    def __len__(self) -> int:
        return len(self.target)

    def subset(self, rows) -> Examples:
        return Examples(*(getattr(self, name)[rows] for name in self.__dataclass_fields__))


@dataclass
class NextWatch:
    """Training, validation and test examples, the user features, and what each user had seen.

    ``user_features`` is [n_users, 3] ids for :data:`USER_FIELDS` with the
    field sizes in ``user_fields``. ``seen_before_valid`` / ``seen_before_test``
    hold every item a user rated before the validation / test target: full
    catalogue evaluation ranks all other items. ``item_counts`` counts each
    item among the training targets (popularity, sampling probabilities).
    """

    train: Examples
    valid: Examples
    test: Examples
    user_features: np.ndarray
    user_fields: dict
    seen_before_valid: InteractionSet
    seen_before_test: InteractionSet
    item_counts: np.ndarray
    n_users: int
    n_items: int
    history_len: int

    @property
    def pad(self) -> int:
        """The padding id of histories: one past the last item."""
        return self.n_items

    def describe(self) -> str:
        filled = (self.train.history != self.pad).sum(1)
        return (
            f"next-watch: {len(self.train):,} training examples (history of up to {self.history_len} items, "
            f"median {int(np.median(filled))}), {len(self.valid):,} validation and {len(self.test):,} test "
            f"users, each ranked against the whole catalogue of {self.n_items:,} items"
        )


def user_feature_ids(users: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """Demographics as ids: age group (MovieLens 1M's 7 groups), gender, occupation (sorted names)."""
    age = np.digitize(users["age"].to_numpy(), AGE_EDGES)
    gender = pd.Categorical(users["gender"], categories=sorted(users["gender"].unique())).codes
    occupation = pd.Categorical(users["occupation"], categories=sorted(users["occupation"].unique())).codes
    ids = np.stack([age, gender, occupation], axis=1).astype(np.int64)
    sizes = {
        "age": len(AGE_EDGES) + 1,
        "gender": int(gender.max()) + 1,
        "occupation": int(occupation.max()) + 1,
    }
    return ids, sizes


def _earlier_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``frame`` (sorted by user, then time): ``(user's first row, first row of its second)``.

    The rows from the first to just before the second are those the user made
    strictly earlier: rows of the same second are an unordered set, so none of
    them counts as earlier than another.
    """
    n = np.arange(len(frame))
    user = frame["user"].to_numpy()
    times = frame["timestamp"].to_numpy()
    new_user = np.r_[True, user[1:] != user[:-1]]
    new_second = new_user | np.r_[True, times[1:] != times[:-1]]
    user_start = np.maximum.accumulate(np.where(new_user, n, 0))
    second_start = np.maximum.accumulate(np.where(new_second, n, 0))
    return user_start, second_start


def previous_items(frame: pd.DataFrame, history_len: int, pad: int) -> np.ndarray:
    """For each row of ``frame`` (sorted by user, then time), the user's ``history_len`` items before it.

    Column 0 is the latest strictly earlier item; rows with fewer earlier items
    are padded with ``pad``. Only rows of the same user with an earlier
    timestamp are read, so no history holds its own target, an item rated in
    the same second, or anything after it.
    """
    items = frame["item"].to_numpy()
    user_start, second_start = _earlier_rows(frame)
    earlier = second_start - user_start
    history = np.full((len(frame), history_len), pad, dtype=np.int64)
    for lag in range(1, history_len + 1):
        rows = np.flatnonzero(earlier >= lag)
        history[rows, lag - 1] = items[second_start[rows] - lag]
    return history


def _gaps(frame: pd.DataFrame) -> np.ndarray:
    """Seconds since the user's latest strictly earlier rating; -1 where there is none."""
    times = frame["timestamp"].to_numpy()
    user_start, second_start = _earlier_rows(frame)
    has_earlier = second_start > user_start
    gaps = np.full(len(frame), -1, dtype=np.int64)
    gaps[has_earlier] = times[has_earlier] - times[second_start[has_earlier] - 1]
    return gaps


def _examples(sequence: pd.DataFrame, rows: np.ndarray, history_len: int, pad: int) -> Examples:
    history = previous_items(sequence, history_len, pad)[rows]
    picked = sequence.iloc[rows]
    return Examples(
        user=picked["user"].to_numpy(),
        history=history,
        target=picked["item"].to_numpy(),
        timestamp=picked["timestamp"].to_numpy(),
        gap=_gaps(sequence)[rows],
        rating=picked["rating"].to_numpy(),
    )


def prepare_next_watch(
    ratings: pd.DataFrame, users: pd.DataFrame, n_items: int, history_len: int = 20
) -> NextWatch:
    """Build :class:`NextWatch` from a MovieLens ``ratings`` frame and its ``users``.

    The split is :func:`recsys_course.tasks.splits.leave_one_out` with validation:
    each user's latest rating is the test target and the one before it the
    validation target, with the same tie rule, so the numbers line up with
    lessons 02-03. Training examples are every rating in the training part;
    every history holds only items rated strictly before its target's second,
    so the test history ends with the validation item unless the two share a
    second.
    """
    if history_len < 1:
        raise ValueError(f"history_len must be at least 1, got {history_len}")
    frame = ratings[["user", "item", "timestamp", "rating"]]
    train, valid, test = leave_one_out(frame, validation=True)  # each sorted by user, then time
    n_users = len(users)
    # a stable sort by user keeps each user's rows in time order: train, then valid, then test
    parts = pd.concat(
        [train.assign(part="train"), valid.assign(part="valid"), test.assign(part="test")], ignore_index=True
    )
    upto_valid = parts[parts["part"] != "test"].sort_values("user", kind="stable").reset_index(drop=True)
    upto_test = parts.sort_values("user", kind="stable").reset_index(drop=True)
    features, fields = user_feature_ids(users)
    both = pd.concat([train, valid], ignore_index=True)
    return NextWatch(
        train=_examples(train, np.arange(len(train)), history_len, n_items),
        valid=_examples(upto_valid, np.flatnonzero(upto_valid["part"] == "valid"), history_len, n_items),
        test=_examples(upto_test, np.flatnonzero(upto_test["part"] == "test"), history_len, n_items),
        user_features=features,
        user_fields=fields,
        seen_before_valid=InteractionSet.from_frame(train, n_items, n_users),
        seen_before_test=InteractionSet.from_frame(both, n_items, n_users),
        item_counts=np.bincount(train["item"].to_numpy(), minlength=n_items),
        n_users=n_users,
        n_items=n_items,
        history_len=history_len,
    )


def rating_times(data: NextWatch, *more: Examples) -> np.ndarray:
    """[n_users, n_items]: when each user rated each item (the largest int64 where they never did).

    Read from the training, validation and test examples, and from ``more``
    (examples cut out of ``data``, such as :func:`split_latest`'s held-out ones).
    """
    when = np.full((data.n_users, data.n_items), np.iinfo(np.int64).max, dtype=np.int64)
    for examples in (data.train, data.valid, data.test, *more):
        when[examples.user, examples.target] = examples.timestamp
    return when


def strictly_before(data: NextWatch, split: str) -> InteractionSet:
    """What a user had rated in a second strictly before their ``split`` ("valid" or "test") target.

    It is what a history holds at that target (all of it, not only the latest
    ``history_len``), so a model that reads no history - popularity's users,
    MF's user vectors, EASE's input row - can be given exactly that.
    """
    if split not in ("valid", "test"):
        raise ValueError(f"split must be 'valid' or 'test', got {split!r}")
    examples = getattr(data, split)
    when = rating_times(data)
    cutoff = np.full(data.n_users, np.iinfo(np.int64).min, dtype=np.int64)
    cutoff[examples.user] = examples.timestamp
    users, items = np.nonzero(when < cutoff[:, None])
    return InteractionSet(users, items, data.n_items, data.n_users)


def concat_examples(*parts: Examples) -> Examples:
    """Several :class:`Examples` as one, in the order given."""
    return Examples(
        *(np.concatenate([getattr(p, name) for p in parts]) for name in Examples.__dataclass_fields__)
    )


def example_arrays(data: NextWatch, examples: Examples) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate tower's inputs for ``examples``: (user ids, histories, user feature ids)."""
    return examples.user, examples.history, data.user_features[examples.user]


def split_latest(data: NextWatch, per_user: int) -> tuple[NextWatch, Examples]:
    """Hold each user's ``per_user`` latest training examples out: ``(data without them, held-out examples)``.

    Two stages trained on the same examples would let the ranker learn from
    candidate scores that are too good (the candidate model has seen those
    targets). A production ranker learns from impressions logged *after* the
    candidate model was trained; this is the same cut in time, per user.
    """
    train = data.train
    from_end = pd.Series(train.user).groupby(train.user).cumcount(ascending=False).to_numpy()
    later = from_end < per_user
    earlier = train.subset(~later)
    counts = np.bincount(earlier.target, minlength=data.n_items)
    return replace(data, train=earlier, item_counts=counts), train.subset(later)
