"""Impressions and features for the ranking stage of lesson 04's two-stage recommender.

An impression is a (next-watch example, candidate item) pair: what the candidate
stage put in front of the user. :func:`training_impressions` labels them,
:class:`RankingFeatures` describes each pair with the features the ranker sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .next_watch import Examples, NextWatch


@dataclass
class Impressions:
    """Rows of (example, item): ``example`` indexes an :class:`~recsys_course.tasks.next_watch.Examples`;
    ``label`` is 1 for the watched target; ``weight`` is the engagement for a positive, 1 for a negative."""

    example: np.ndarray
    item: np.ndarray
    label: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.item)


def training_impressions(
    examples: Examples,
    retrieved: np.ndarray,
    n_negatives: int,
    rng: np.random.Generator,
    engagement=None,
    negatives_from: int | None = None,
) -> Impressions:
    """Impressions as a log would hold them: items the candidate stage showed, watched or not.

    ``retrieved`` is [n_examples, K]: the candidate stage's top K for each
    example, the items the user was shown. Only examples whose target is
    among them are kept - a watched item the stage never retrieved was not an
    impression. Each kept example gives its target (label 1, weighted by
    ``engagement``, default the rating) and ``n_negatives`` of its other shown
    items, drawn at random (label 0, weight 1) - from the top ``negatives_from``
    of the list only, when given: the items that compete for the first places,
    where reordering matters. Taking positives from outside the shown list
    would teach the ranker that a *high* candidate score means "not watched",
    since every negative was retrieved for scoring high.
    """
    retrieved = np.asarray(retrieved)
    pool = retrieved.shape[1] if negatives_from is None else int(negatives_from)
    if retrieved.shape[0] != len(examples) or min(pool, retrieved.shape[1]) <= n_negatives:
        raise ValueError(
            f"retrieved must be [{len(examples)}, K] with K > n_negatives={n_negatives}, and negatives_from "
            f"(if given) > n_negatives; got {retrieved.shape} and negatives_from={negatives_from}"
        )
    shown = retrieved == examples.target[:, None]
    kept = np.flatnonzero(shown.any(axis=1))
    keys = rng.random((len(kept), retrieved.shape[1]))
    keys[:, pool:] = np.inf  # below the pool: never a negative
    keys[shown[kept]] = np.inf  # the target is never its own negative
    columns = np.argsort(keys, axis=1)[:, :n_negatives]
    negatives = np.take_along_axis(retrieved[kept], columns, axis=1)
    n = len(kept)
    weights = np.asarray(examples.rating if engagement is None else engagement, dtype=np.float32)
    return Impressions(
        example=np.r_[kept, np.repeat(kept, n_negatives)],
        item=np.r_[examples.target[kept], negatives.ravel()],
        label=np.r_[np.ones(n, np.float32), np.zeros(n * n_negatives, np.float32)],
        weight=np.r_[weights[kept], np.ones(n * n_negatives, np.float32)],
    )


def candidate_impressions(examples: Examples, candidates: np.ndarray) -> Impressions:
    """Every candidate of every example, labelled 1 where it is the example's target (for evaluation)."""
    candidates = np.asarray(candidates)
    n, k = candidates.shape
    label = (candidates == examples.target[:, None]).astype(np.float32).ravel()
    return Impressions(
        example=np.repeat(np.arange(n), k),
        item=candidates.ravel(),
        label=label,
        weight=np.ones(n * k, np.float32),
    )


class RankingFeatures:
    """The ranker's dense features of an (example, item) pair, beyond what the candidate tower saw.

    Per item: its genres (multi-hot), release year and popularity. Per pair:
    the user's affinity to the item's genres (the share of the item's genres
    among the genres of the user's history), the time since the user's
    previous rating, the cosine of the item's vector with the mean of the
    history's item vectors, and - last, as the ranker's prior - the candidate
    tower's own logit (cosine / ``temperature``). Item vectors and user
    vectors come from the trained candidate tower.
    """

    NAMES_AFTER_GENRES = (
        "year",
        "popularity",
        "genre affinity",
        "days since previous rating",
        "cosine to history",
        "candidate score",
    )

    def __init__(
        self, data: NextWatch, item_genres: np.ndarray, years, item_vectors: np.ndarray, temperature: float
    ):
        self.pad, self.temperature = data.pad, float(temperature)
        self.genres = np.asarray(item_genres, dtype=np.float32)
        years = np.asarray(years, dtype=np.float64)
        self.year = np.nan_to_num((years - 1990.0) / 20.0).astype(np.float32)  # missing year -> the centre
        counts = data.item_counts.astype(np.float64)
        self.popularity = (np.log1p(counts) / np.log1p(counts.max())).astype(np.float32)
        self.item_vectors = np.asarray(item_vectors, dtype=np.float32)
        # a padding row of zeros, so histories can be looked up with their padding id
        self.genres_padded = np.vstack([self.genres, np.zeros((1, self.genres.shape[1]), np.float32)])
        self.vectors_padded = np.vstack(
            [self.item_vectors, np.zeros((1, self.item_vectors.shape[1]), np.float32)]
        )

    @property
    def n_dense(self) -> int:
        return self.genres.shape[1] + len(self.NAMES_AFTER_GENRES)

    def history_summary(self, examples: Examples) -> tuple[np.ndarray, np.ndarray]:
        """Per example: the mean genre vector and the unit mean item vector of its history."""
        n = len(examples)
        genres = np.empty((n, self.genres.shape[1]), np.float32)
        vectors = np.empty((n, self.item_vectors.shape[1]), np.float32)
        for start in range(0, n, 4096):  # in chunks: [n, L, dim] at once would take gigabytes
            history = examples.history[start : start + 4096]
            filled = np.maximum((history != self.pad).sum(axis=1, keepdims=True), 1)
            genres[start : start + 4096] = self.genres_padded[history].sum(axis=1) / filled
            vectors[start : start + 4096] = self.vectors_padded[history].sum(axis=1)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return genres, vectors

    def dense(
        self,
        examples: Examples,
        impressions: Impressions,
        user_vectors: np.ndarray,
        summary: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """[n_impressions, n_dense] float32 features; ``user_vectors`` are the tower's, one per example."""
        history_genres, history_vector = summary if summary is not None else self.history_summary(examples)
        rows, items = impressions.example, impressions.item
        genres = self.genres[items]
        affinity = (genres * history_genres[rows]).sum(axis=1) / np.maximum(genres.sum(axis=1), 1.0)
        gap_days = np.maximum(examples.gap[rows], 0) / 86_400.0
        cosine_history = (self.item_vectors[items] * history_vector[rows]).sum(axis=1)
        score = (self.item_vectors[items] * user_vectors[rows]).sum(axis=1) / self.temperature
        extra = np.stack(
            [
                self.year[items],
                self.popularity[items],
                affinity,
                np.log1p(gap_days) / np.log1p(365.0),
                cosine_history,
                score,
            ],
            axis=1,
        )
        return np.concatenate([genres, extra.astype(np.float32)], axis=1)
