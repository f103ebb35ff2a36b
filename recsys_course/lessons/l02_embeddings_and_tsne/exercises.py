"""Lesson 02's exercises: neighbour agreement for one label, its exact chance level, and the embedding-size sweep.

References come from the package's own metric, from ML-100K itself (an exact count, tiny tolerance) and from
the committed full-size sweep (results/02_embeddings_and_tsne/dimensions_ml-100k.csv): 3 standard deviations
over its five seeds, at least 0.01.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...check import Choice, Exercise, Function, Measured, NotMeasurable, Number
from ...evaluation.metrics import neighbour_agreement
from . import LESSON

MIN_RATINGS = 20  # exercise 2: the movies section 4 scores, those with at least 20 training ratings
SWEEP_DIM = 64  # exercise 4: the embedding size whose test NDCG@10 the learner measures


def label_agreement(vectors, labels, k: int) -> float:
    """The package's neighbour agreement with one label per row (a one-hot label is a one-genre movie)."""
    _, codes = np.unique(np.asarray(labels), return_inverse=True)
    return neighbour_agreement(vectors, np.eye(codes.max() + 1)[codes], k)


def _agreement_cases():
    r = np.random.default_rng(2)
    centres = r.normal(size=(3, 5))
    clustered = np.repeat(centres, 20, axis=0) + 0.6 * r.normal(size=(60, 5))
    directions = np.repeat(np.eye(2), 15, axis=0) + 0.3 * r.normal(size=(30, 2))
    lengths = np.exp(r.uniform(-3, 3, size=(30, 1)))  # same directions, wildly different lengths
    return [
        ("three labelled clusters, k = 5", (clustered, np.repeat([0, 1, 2], 20), 5)),
        ("a single nearest neighbour (k = 1)", (clustered, np.repeat([0, 1, 2], 20), 1)),
        ("labels given as genre names", (clustered, np.repeat(["Drama", "Comedy", "Horror"], 20), 4)),
        ("vectors whose lengths vary a thousandfold", (directions * lengths, np.repeat([0, 1], 15), 5)),
        ("random vectors and labels", (r.normal(size=(40, 8)), r.integers(0, 4, 40), 10)),
    ]


@lru_cache(maxsize=1)
def chance_agreement() -> tuple[float, float]:
    """The share of ordered pairs of two different well-rated ML-100K movies that share a genre: exact."""
    from ...data import load_movielens
    from ...tasks.splits import leave_one_out, to_implicit

    ml = load_movielens("ml-100k")
    train, _, _ = leave_one_out(to_implicit(ml.ratings), validation=True)
    counts = np.bincount(train["item"], minlength=ml.n_items)
    genres = (ml.item_genres[counts >= MIN_RATINGS] > 0).astype(np.int64)
    share = (genres @ genres.T) > 0
    n = len(share)
    return float((share.sum() - n) / (n * (n - 1))), 1e-4


@lru_cache(maxsize=1)
def sweep_ndcg() -> tuple[float, float]:
    """Mean test NDCG@10 of MF at SWEEP_DIM over the full-size sweep's seeds; 3 standard deviations, >= 0.01."""
    from ...evidence import Results

    results = Results.required(LESSON, "dimensions_ml-100k", f"{LESSON[:2]}/dimensions")
    values = results.runs(factors=SWEEP_DIM)["ndcg@10"].to_numpy(dtype=float)
    return float(values.mean()), max(3 * float(values.std(ddof=1)), 0.01)


def _ndcg_at_64(model, loo=None, **_) -> float:
    """The model's mean test NDCG@10 on the split's 99 sampled negatives per user; it must be MF at SWEEP_DIM."""
    from ...evaluation import sampled

    if loo is None:
        raise NotMeasurable(
            "pass the split too, so that the check can score the model: check(4, model_64, loo=loo)."
        )
    dim = dict(model.named_parameters())["user_emb.weight"].shape[-1]
    if dim != SWEEP_DIM:
        raise NotMeasurable(f"this model's embeddings have d = {dim}; the exercise asks for d = {SWEEP_DIM}.")
    return sampled.means(model, loo.test["user"].to_numpy(), loo.test_candidates)["ndcg@10"]


def exercises() -> list[Exercise]:
    return [
        Function(
            1,
            "Neighbour agreement for one label",
            reference=label_agreement,
            cases=_agreement_cases,
            mistakes=(
                "Counts a vector as its own nearest neighbour.",
                "Finds neighbours by Euclidean distance or a raw dot product instead of cosine similarity.",
                "Returns the number of agreeing neighbours instead of their share.",
            ),
        ),
        Number(
            2,
            "The exact chance level",
            dataset="ml-100k",
            reference=chance_agreement,
            exact=True,
            hints=(
                (
                    lambda a, v: v < a < v + 0.002,
                    "count only pairs of two different movies: a movie always shares a genre with itself.",
                ),
                (
                    lambda a, v: abs(a - v) < 0.015,
                    "compute the share over all pairs exactly; a shuffled-label "
                    "run only estimates it, with random error.",
                ),
                (lambda a, v: a > 1, "give a share between 0 and 1, not a count of pairs."),
                (
                    lambda a, v: a < v,
                    "keep only the movies with at least 20 training ratings, and count a "
                    "pair when the two movies have any genre in common.",
                ),
            ),
            mistakes=(
                "Counts each movie paired with itself.",
                "Reports the shuffled baseline's random estimate instead of the exact share.",
                "Uses the whole catalogue instead of the movies with at least 20 training ratings.",
                "Counts a pair only when the two movies have identical genre sets.",
            ),
        ),
        Choice(
            3,
            "A stricter agreement criterion",
            options={
                "a": "both fall, and the trained embeddings still beat shuffled labels by more than 10 "
                "percentage points",
                "b": "the trained number falls but the shuffled one stays put, since shuffling ignores "
                "the criterion",
                "c": "both fall, and the trained embeddings no longer beat shuffled labels by more than "
                "10 percentage points",
                "d": "the trained number rises, since one label per movie is cleaner than a set of genres",
            },
            correct="a",
            hints={
                "b": "the shuffled baseline is the chance that two movies agree under the criterion you "
                "chose; a stricter criterion changes that chance too.",
                "c": "measure it: compute the gap between the trained and the shuffled numbers.",
                "d": "two movies with the same colour genre almost always share a genre (only the 'other' "
                "group can agree without one), so the stricter criterion can hardly agree more often.",
            },
            mistakes=(
                "Treats the shuffled baseline as fixed rather than as the chance level of the criterion.",
                "Reads a lower raw agreement as less structure without comparing it with its baseline.",
            ),
        ),
        Measured(
            4,
            "NDCG@10 at d = 64",
            dataset="ml-100k",
            reference=sweep_ndcg,
            measure=_ndcg_at_64,
            full_size=True,
            hints=(
                (
                    lambda a, v: a < 0.2,
                    "did the model train? Train it with dimensions.train_mf at the chosen rate and decay.",
                ),
            ),
            mistakes=(
                "Hands over a model of another size from the sweep.",
                "Trains at the lesson's rate instead of the one the sweep chose for d = 64.",
                "Hands over an untrained model.",
            ),
        ),
    ]
