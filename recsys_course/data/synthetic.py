"""A synthetic twin of MovieLens: the same schema and size, planted structure, no download.

It stands in when the real data cannot be fetched (offline, with a banner
saying so) and in tests. Its genres and tastes are planted, so an embedding
has genre clusters to find. :func:`simulated_watch_log` is a second kind of
synthetic data: an impression log whose true watch times are known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .movielens import ML1M_GENRES, MovieLens, tidy

# How many ML-100K movies carry each genre of ML1M_GENRES: the twin's genre mix.
TWIN_GENRE_MIX = np.array(
    [251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27], dtype=float
)


def synthetic_movielens(
    like: str = "ml-100k",
    seed: int = 0,
    n_users: int | None = None,
    n_items: int | None = None,
    n_ratings: int | None = None,
) -> MovieLens:
    """A MovieLens look-alike with planted structure, for offline use and tests.

    Planted: every movie has 1-3 genres; every user has a taste over genres;
    a user's chance of rating a movie grows with taste match and with the
    movie's (long-tailed) popularity, and the rating is higher when the
    genres match. So genre clusters are there to be found by an embedding.
    """
    sizes = {"ml-100k": (943, 1682, 100_000), "ml-1m": (6040, 3706, 1_000_209)}
    default_users, default_items, default_ratings = sizes.get(like, sizes["ml-100k"])
    n_users = n_users or default_users
    n_items = n_items or default_items
    n_ratings = n_ratings or default_ratings
    if n_ratings > n_users * n_items // 2:
        raise ValueError("n_ratings must be at most half of n_users * n_items")
    rng = np.random.default_rng(seed)
    genres = list(ML1M_GENRES)  # ML-100K's genres less "unknown"
    n_genres = len(genres)

    # Movies: a main genre plus 0-2 others, drawn with ML-100K's genre mix
    # (Drama and Comedy common, Film-Noir and Fantasy rare).
    genre_weight = TWIN_GENRE_MIX / TWIN_GENRE_MIX.sum()
    item_genres = np.zeros((n_items, n_genres), dtype=bool)
    main = rng.choice(n_genres, size=n_items, p=genre_weight)
    item_genres[np.arange(n_items), main] = True
    extra = rng.choice(n_genres, size=(n_items, 2), p=genre_weight)
    keep = rng.random((n_items, 2)) < np.array([0.45, 0.15])
    for col in range(2):
        item_genres[np.arange(n_items)[keep[:, col]], extra[keep[:, col], col]] = True
    popularity = rng.zipf(1.5, size=n_items).clip(max=1000).astype(float) ** 0.6  # long tail

    # Users: taste concentrated on one or two genres; demographics loosely tied to it.
    taste = rng.dirichlet(np.full(n_genres, 0.15), size=n_users)
    affinity = taste @ (item_genres / item_genres.sum(1, keepdims=True)).T  # [users, items]
    weight = (affinity + 0.002) * popularity[None, :]
    # Weighted sampling without replacement of (user, movie) cells: Gumbel top-k.
    keys = np.log(weight.ravel()) + rng.gumbel(size=weight.size)
    flat = np.argpartition(-keys, n_ratings)[:n_ratings]
    user, item = np.divmod(flat, n_items)
    score = 2.6 + 6.0 * affinity[user, item] + rng.normal(0.0, 0.9, size=n_ratings)
    rating = np.clip(np.rint(score), 1, 5).astype(np.int64)
    start = 874_724_710  # Sept 1997, like ML-100K
    timestamp = start + np.sort(rng.integers(0, 215 * 86_400, size=n_ratings))
    rng.shuffle(timestamp)

    occupations = ["student", "engineer", "educator", "programmer", "writer", "artist", "other"]
    users = pd.DataFrame(
        {
            "user_id": np.arange(1, n_users + 1),
            "age": rng.integers(15, 70, size=n_users),
            "gender": np.where(taste[:, genres.index("Romance")] > rng.random(n_users) * 0.3, "F", "M"),
            "occupation": rng.choice(occupations, size=n_users),
            "zip": [f"{z:05d}" for z in rng.integers(1000, 99999, size=n_users)],
        }
    )
    years = rng.integers(1930, 1999, size=n_items)
    movies = pd.DataFrame(
        {
            "item_id": np.arange(1, n_items + 1),
            "title": [
                f"Synthetic {genres[m]} Movie {i + 1} ({y})" for i, (m, y) in enumerate(zip(main, years))
            ],
            "year": pd.array(years, dtype="Int64"),
        }
    )
    ratings = pd.DataFrame(
        {"user_id": user + 1, "item_id": item + 1, "rating": rating, "timestamp": timestamp}
    )
    data = tidy(f"{like} (synthetic twin)", ratings, users, movies, genres, item_genres, Path("."))
    data.source = "synthetic"
    data.path = None
    return data


def simulated_watch_log(
    n_impressions: int = 200_000, n_contexts: int = 40, *, max_click: float = 0.15, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An impression log with known truth, for checking what weighted logistic regression learns.

    Each impression has a context (think: a kind of user shown a kind of
    video), drawn uniformly from ``n_contexts``. Context ``c`` is clicked
    with probability ``p_c`` (between 1% and ``max_click``), and a click is
    watched for an exponential time with mean ``m_c`` (1 to 20 minutes).
    Returns ``(log, truth)``: the log has context, clicked, watch_minutes
    (0 without a click); the truth has, per context, p_click,
    mean_watch_if_clicked and expected_watch = p_click * mean_watch_if_clicked,
    the expected watch time of an impression.
    """
    if not 0 < max_click < 1:
        raise ValueError(f"max_click must lie in (0, 1), got {max_click}")
    rng = np.random.default_rng(seed)
    p_click = rng.uniform(0.01, max_click, size=n_contexts)
    mean_watch = rng.uniform(1.0, 20.0, size=n_contexts)
    context = rng.integers(0, n_contexts, size=n_impressions)
    clicked = rng.random(n_impressions) < p_click[context]
    minutes = np.where(clicked, rng.exponential(mean_watch[context]), 0.0)
    log = pd.DataFrame({"context": context, "clicked": clicked.astype(np.int64), "watch_minutes": minutes})
    truth = pd.DataFrame(
        {
            "context": np.arange(n_contexts),
            "p_click": p_click,
            "mean_watch_if_clicked": mean_watch,
            "expected_watch": p_click * mean_watch,
        }
    )
    return log, truth
