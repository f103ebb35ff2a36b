"""The CTR tasks of lessons 05-06: MovieLens impressions (liked = rated 4 or 5), and UCI Adult.

:func:`movielens_ctr` splits each user's ratings by time, fits every
vocabulary and bucket on the training rows only, and builds what the CTR
models read: wide ids (one-hots and hashed crosses), deep field ids, dense
inputs and the liked history. :func:`adult_ctr` does the same for the census.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch

from ..data.adult import CATEGORICAL, Adult
from ..data.movielens import MovieLens
from .features import Vocabulary, bucketize, collision_rate, cross, liked_before, quantile_edges
from .splits import per_user_time_split

AGE_EDGES = (18, 25, 30, 35, 40, 45, 50, 55, 60, 65)  # TensorFlow's census tutorial's age buckets
LIKED = 4  # a rating of 4 or 5 is a click


@dataclass
class CTRSplit:
    """One part of a CTR task (train, valid or test): row k of every array is impression k."""

    wide: np.ndarray  # [n, w] ids into the wide table; the task's wide_size pads
    deep: np.ndarray  # [n, f] one id per deep field
    dense: np.ndarray  # [n, d] numbers for the deep part
    label: np.ndarray  # [n] 1 = a click (liked; income > 50K)
    user: np.ndarray  # [n] whose impression (Adult: the row itself), for per-user metrics
    item: np.ndarray  # [n] the candidate (Adult: zeros)
    history: np.ndarray  # [n, L] liked items strictly before, latest first, padded (Adult: L = 0)
    rows: pd.DataFrame = field(repr=False)  # the impressions as read

    def __len__(self) -> int:
        return len(self.label)

    def subset(self, rows) -> CTRSplit:
        """The impressions at ``rows`` (indices or a boolean mask), as a split of their own."""
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows, dtype=np.int64)
        return CTRSplit(
            wide=self.wide[rows],
            deep=self.deep[rows],
            dense=self.dense[rows],
            label=self.label[rows],
            user=self.user[rows],
            item=self.item[rows],
            history=self.history[rows],
            rows=self.rows.iloc[rows].reset_index(drop=True),
        )

    def inputs(self, names) -> tuple[np.ndarray, ...]:
        """The arrays a model reads, by name ("wide", "deep", "dense", "user", "item", "history")."""
        return tuple(getattr(self, name) for name in names)

    def dtypes(self, names) -> list[torch.dtype]:
        """The torch dtype of each named input and of the label (last): float for dense inputs and labels, else long."""
        return [torch.float32 if name == "dense" else torch.long for name in names] + [torch.float32]

    def tensors(self, names) -> list[torch.Tensor]:
        """The named inputs and the label (last) as whole tensors (copies), for loops that slice them themselves."""
        return [
            torch.tensor(a, dtype=d) for a, d in zip(self.inputs(names) + (self.label,), self.dtypes(names))
        ]


@dataclass
class CTRTask:
    """A CTR task: three splits and the sizes a model needs to read them."""

    name: str
    train: CTRSplit
    valid: CTRSplit
    test: CTRSplit
    wide_fields: dict[str, int]  # wide field or cross -> the ids it owns in the wide table, in order
    deep_fields: dict[str, int]  # deep field -> number of ids (OOV included)
    dense_names: list[str]
    crosses: pd.DataFrame  # name, buckets, distinct training pairs, collision rate
    n_items: int = 0  # the history's padding id (MovieLens)
    n_users: int = 0  # raw user ids run over [0, n_users) (MovieLens)
    positive: str = "clicks"  # what a label of 1 means

    @property
    def wide_size(self) -> int:
        return int(sum(self.wide_fields.values()))

    def with_wide(self, fields) -> CTRTask:
        """The same task with a wide table of only ``fields`` (in their order here), e.g. ids without crosses."""
        fields = list(fields)
        unknown = [f for f in fields if f not in self.wide_fields]
        if unknown:
            raise KeyError(f"no wide field {unknown}; the task has {list(self.wide_fields)}")
        kept = {name: size for name, size in self.wide_fields.items() if name in fields}
        new_size = sum(kept.values())
        mapping = np.full(self.wide_size + 1, -1, dtype=np.int64)  # old id -> new id (-1: dropped or pad)
        old_start, new_start = 0, 0
        for name, size in self.wide_fields.items():
            if name in kept:
                mapping[old_start : old_start + size] = np.arange(new_start, new_start + size)
                new_start += size
            old_start += size

        def narrowed(split: CTRSplit) -> CTRSplit:
            ids = -np.sort(-mapping[split.wide], axis=1)
            width = max(int((ids >= 0).sum(axis=1).max(initial=1)), 1)
            return replace(split, wide=np.where(ids[:, :width] >= 0, ids[:, :width], new_size))

        return replace(
            self,
            train=narrowed(self.train),
            valid=narrowed(self.valid),
            test=narrowed(self.test),
            wide_fields=kept,
            crosses=self.crosses[self.crosses["cross"].isin(fields)].reset_index(drop=True),
        )

    def with_extra_wide(self, name: str, size: int, parts) -> CTRTask:
        """The same task with one more wide field: ``parts`` gives train, valid and test ids in [0, size), -1 absent.

        The way to try a cross of your own: e.g. ``parts = [cross(s.deep[:, 5], s.item, 4096) for s in
        (task.train, task.valid, task.test)]`` for release year x movie.
        """
        if name in self.wide_fields:
            raise ValueError(f"the task already has a wide field {name!r}")
        wide = _Wide()
        wide.add(
            "existing",
            self.wide_size,
            [np.where(s.wide < self.wide_size, s.wide, -1) for s in (self.train, self.valid, self.test)],
        )
        wide.add(name, size, parts)
        tables = wide.tables()
        splits = [replace(s, wide=t) for s, t in zip((self.train, self.valid, self.test), tables)]
        return replace(
            self,
            train=splits[0],
            valid=splits[1],
            test=splits[2],
            wide_fields={**self.wide_fields, name: int(size)},
        )

    def describe(self) -> str:
        parts = ", ".join(
            f"{s}: {len(getattr(self, s)):,} ({getattr(self, s).label.mean():.1%} {self.positive})"
            for s in ("train", "valid", "test")
        )
        return (
            f"{self.name}: {parts}; wide table {self.wide_size:,} weights over {len(self.wide_fields)} "
            f"fields and crosses; {len(self.deep_fields)} deep fields, {len(self.dense_names)} dense inputs"
        )


class _Wide:
    """Collects wide fields - [n, k] local ids, -1 where absent - into one padded table of offset ids."""

    def __init__(self):
        self.fields: dict[str, int] = {}
        self.columns: list[list[np.ndarray]] = [[], [], []]  # per split

    def add(self, name: str, size: int, parts) -> None:
        offset = sum(self.fields.values())
        self.fields[name] = int(size)
        for store, ids in zip(self.columns, parts):
            ids = np.asarray(ids, dtype=np.int64).reshape(len(ids), -1)
            if ((ids < -1) | (ids >= size)).any():
                raise ValueError(f"wide field {name!r} has ids outside [0, {size})")
            store.append(np.where(ids >= 0, ids + offset, -1))

    def tables(self) -> list[np.ndarray]:
        pad = sum(self.fields.values())
        out = []
        for store in self.columns:
            ids = np.concatenate(store, axis=1)
            ids = -np.sort(-ids, axis=1)  # present ids first, absent (-1) last
            width = max(int((ids >= 0).sum(axis=1).max(initial=1)), 1)
            out.append(np.where(ids[:, :width] >= 0, ids[:, :width], pad))
        return out


def _crossed(name, a_parts, b_parts, buckets, wide: _Wide, report: list) -> None:
    """Add the hashed cross of two id columns (-1 = absent), and report its collision rate on training pairs."""
    hashed = []
    for a, b in zip(a_parts, b_parts):
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        present = (a >= 0) & (b >= 0)
        hashed.append(np.where(present, cross(np.maximum(a, 0), np.maximum(b, 0), buckets), -1))
    train_a, train_b = np.broadcast_arrays(np.asarray(a_parts[0]), np.asarray(b_parts[0]))
    present = (train_a >= 0) & (train_b >= 0)
    pairs = np.unique(np.stack([train_a[present], train_b[present]], axis=1), axis=0)
    report.append(
        {
            "cross": name,
            "buckets": buckets,
            "training pairs": len(pairs),
            "collision rate": collision_rate(pairs[:, 0], pairs[:, 1], buckets),
        }
    )
    wide.add(name, buckets, hashed)


def movielens_ctr(
    ml: MovieLens,
    *,
    history_len: int = 20,
    cross_buckets: int = 2**22,
    demographic_buckets: int = 2**14,
    valid_frac: float = 0.1,
    test_frac: float = 0.1,
    seed: int = 0,
) -> CTRTask:
    """Every rating as an impression, clicked when rated 4 or 5, split per user by time.

    Wide (a linear model over ids): user, movie, its genres, age bucket,
    gender, occupation, release-year bucket; gender x genre, age x genre and
    occupation x genre; and the paper's kind of cross, every movie among the
    user's ``history_len`` latest liked ones x the candidate movie, hashed
    into ``cross_buckets``. Deep (embeddings): user, movie, age, gender,
    occupation, year and popularity buckets; dense: the 19 genre flags.
    Vocabularies, buckets and popularity come from training rows only.
    """
    ratings = ml.ratings.assign(label=(ml.ratings["rating"] >= LIKED).astype(np.float32))
    splits = per_user_time_split(ratings, valid_frac, test_frac, seed=seed)
    train_rows = splits[0]
    users = ml.users.set_index("user")
    wide, report = _Wide(), []

    def column(fn):
        return [fn(rows) for rows in splits]

    user_vocab = Vocabulary().fit(train_rows["user"])
    item_vocab = Vocabulary().fit(train_rows["item"])
    user_ids = column(lambda r: user_vocab.transform(r["user"]))
    item_ids = column(lambda r: item_vocab.transform(r["item"]))
    age_ids = column(lambda r: bucketize(users.loc[r["user"], "age"].to_numpy(), AGE_EDGES))
    gender_vocab = Vocabulary().fit(users.loc[train_rows["user"], "gender"])
    occupation_vocab = Vocabulary().fit(users.loc[train_rows["user"], "occupation"])
    gender_ids = column(lambda r: gender_vocab.transform(users.loc[r["user"], "gender"]))
    occupation_ids = column(lambda r: occupation_vocab.transform(users.loc[r["user"], "occupation"]))
    year_edges = quantile_edges(ml.movies["year"].to_numpy()[train_rows["item"]], 10)
    year_ids = column(lambda r: bucketize(ml.movies["year"].to_numpy()[r["item"]], year_edges))
    counts = np.bincount(train_rows["item"], minlength=ml.n_items)
    pop_edges = quantile_edges(counts[counts > 0], 10)
    pop_ids = column(lambda r: bucketize(counts[r["item"]], pop_edges))
    genre_flags = [ml.item_genres[r["item"]].astype(np.float32) for r in splits]
    genre_ids = [
        np.where(f > 0, np.arange(f.shape[1])[None, :], -1) for f in genre_flags
    ]  # [n, 19], -1 absent
    histories = [liked_before(r, ratings, history_len, pad=ml.n_items, min_rating=LIKED) for r in splits]

    for name, ids, size in (
        ("user", user_ids, user_vocab.size),
        ("movie", item_ids, item_vocab.size),
        ("age", age_ids, len(AGE_EDGES) + 2),
        ("gender", gender_ids, gender_vocab.size),
        ("occupation", occupation_ids, occupation_vocab.size),
        ("year", year_ids, len(year_edges) + 2),
    ):
        wide.add(name, size, ids)
    wide.add("genre", len(ml.genres), genre_ids)
    for name, ids in (
        ("gender x genre", gender_ids),
        ("age x genre", age_ids),
        ("occupation x genre", occupation_ids),
    ):
        _crossed(name, [i[:, None] for i in ids], genre_ids, demographic_buckets, wide, report)
    liked = [np.where(h < ml.n_items, h, -1) for h in histories]
    _crossed(
        "liked movie x movie",
        liked,
        [r["item"].to_numpy()[:, None] for r in splits],
        cross_buckets,
        wide,
        report,
    )

    deep_fields = {
        "user": user_vocab.size,
        "movie": item_vocab.size,
        "age": len(AGE_EDGES) + 2,
        "gender": gender_vocab.size,
        "occupation": occupation_vocab.size,
        "year": len(year_edges) + 2,
        "popularity": len(pop_edges) + 2,
    }
    parts = []
    for k, (rows, wide_ids) in enumerate(zip(splits, wide.tables())):
        deep = np.stack(
            [user_ids[k], item_ids[k], age_ids[k], gender_ids[k], occupation_ids[k], year_ids[k], pop_ids[k]],
            axis=1,
        )
        parts.append(
            CTRSplit(
                wide=wide_ids,
                deep=deep,
                dense=genre_flags[k],
                label=rows["label"].to_numpy(),
                user=rows["user"].to_numpy(),
                item=rows["item"].to_numpy(),
                history=histories[k],
                rows=rows,
            )
        )
    return CTRTask(
        f"{ml.name} CTR",
        *parts,
        wide_fields=wide.fields,
        deep_fields=deep_fields,
        dense_names=[f"genre: {g}" for g in ml.genres],
        crosses=pd.DataFrame(report),
        n_items=ml.n_items,
        n_users=ml.n_users,
    )


# TensorFlow 1.x's census tutorial (wide_n_deep_tutorial.py): the wide part's columns and crosses (buckets),
# and the columns its deep part embedded.
ADULT_WIDE = ["sex", "native_country", "education", "occupation", "workclass", "relationship"]
ADULT_CROSSES = {
    "education x occupation": 10_000,
    "age x education x occupation": 1_000_000,
    "native country x occupation": 10_000,
}
ADULT_DEEP = ["workclass", "education", "sex", "relationship", "native_country", "occupation"]


ADULT_NUMBERS = ("log", "raw")


def adult_ctr(adult: Adult, *, valid_frac: float = 0.1, seed: int = 0, numbers: str = "log") -> CTRTask:
    """UCI Adult as a CTR task, with the wide and deep columns of TensorFlow 1.x's census tutorial.

    Wide: :data:`ADULT_WIDE` and age buckets, and the crosses of
    :data:`ADULT_CROSSES` hashed into the tutorial's bucket counts. Deep: an
    embedding per column of :data:`ADULT_DEEP`; dense: age, years of
    education, capital gain and loss (log1p) and hours per week, standardised
    on training rows; ``numbers="raw"`` feeds them as the tutorial did, unscaled.
    A seeded ``valid_frac`` of adult.data is held out for early stopping;
    adult.test is the test set.
    """
    if numbers not in ADULT_NUMBERS:
        raise ValueError(f"numbers must be one of {ADULT_NUMBERS}, got {numbers!r}")
    order = np.random.default_rng(seed).permutation(len(adult.train))
    n_valid = int(round(len(order) * valid_frac))
    splits = [
        adult.train.iloc[np.sort(order[n_valid:])].reset_index(drop=True),
        adult.train.iloc[np.sort(order[:n_valid])].reset_index(drop=True),
        adult.test,
    ]
    vocabs = {c: Vocabulary().fit(splits[0][c]) for c in CATEGORICAL}
    ids = {c: [vocabs[c].transform(s[c]) for s in splits] for c in CATEGORICAL}
    ids["age"] = [bucketize(s["age"], AGE_EDGES) for s in splits]
    wide, report = _Wide(), []
    for c in ADULT_WIDE:
        wide.add(c, vocabs[c].size, ids[c])
    wide.add("age", len(AGE_EDGES) + 2, ids["age"])
    n_occ = vocabs["occupation"].size
    edu_occ = [e * n_occ + o for e, o in zip(ids["education"], ids["occupation"])]
    pairs = {
        "education x occupation": (ids["education"], ids["occupation"]),
        "age x education x occupation": (ids["age"], edu_occ),
        "native country x occupation": (ids["native_country"], ids["occupation"]),
    }
    for name, (a, b) in pairs.items():
        _crossed(name, a, b, ADULT_CROSSES[name], wide, report)

    squash = np.log1p if numbers == "log" else np.asarray

    def columns(s: pd.DataFrame) -> np.ndarray:
        return np.stack(
            [
                s["age"],
                s["education_num"],
                squash(s["capital_gain"]),
                squash(s["capital_loss"]),
                s["hours_per_week"],
            ],
            axis=1,
        ).astype(np.float64)

    mean, std = columns(splits[0]).mean(0), columns(splits[0]).std(0)
    std = np.where(std > 0, std, 1.0)  # a column without spread (a tiny sample) is centred, not divided by 0
    if numbers == "raw":
        mean, std = np.zeros_like(mean), np.ones_like(std)
    parts = []
    for k, (rows, wide_ids) in enumerate(zip(splits, wide.tables())):
        n = len(rows)
        parts.append(
            CTRSplit(
                wide=wide_ids,
                deep=np.stack([ids[c][k] for c in ADULT_DEEP], axis=1),
                dense=((columns(rows) - mean) / std).astype(np.float32),
                label=rows["label"].to_numpy(np.float32),
                user=np.arange(n),
                item=np.zeros(n, np.int64),
                history=np.zeros((n, 0), np.int64),
                rows=rows,
            )
        )
    return CTRTask(
        "UCI Adult",
        *parts,
        wide_fields=wide.fields,
        deep_fields={c: vocabs[c].size for c in ADULT_DEEP},
        dense_names=["age", "education years", "log capital gain", "log capital loss", "hours per week"],
        crosses=pd.DataFrame(report),
        positive="earn >50K",
    )


__all__ = ["CTRSplit", "CTRTask", "movielens_ctr", "adult_ctr"]
