"""Lesson 04's exercises (the YouTube two-stage recommender): their checks, hidden cases and hints.

The tower's number comes from the committed full-size run (results/04_youtube_two_stage/towers_ml-100k.csv):
its mean over the four seeds, within 3 standard deviations over seeds (at least 0.02). The index question is
answered from the committed scaling sweep (results/04_youtube_two_stage/retrieval_scaling_ml-100k.csv), whose
latencies depend on the machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...check import Choice, Exercise, Function, Measured, NotMeasurable
from ...evaluation.metrics import catalogue_ranks
from ...evidence import Results, committed_file
from . import LESSON

EXPERIMENT = "04/towers"
SERVING = "04/serving"


def last_item_recall() -> tuple[float, float]:
    """The 'last item only' tower's test Recall@50 over the whole catalogue: mean and 3 std over seeds, at least
    0.03 (the seed-0 run alone moves by 0.02 from one machine's arithmetic to another's)."""
    towers = Results.required(LESSON, "towers_ml-100k", EXPERIMENT)
    recall = towers.runs(model="last item only")["recall@50"]
    return float(recall.mean()), max(3 * float(recall.std(ddof=1)), 0.03)


def hnsw_first_faster() -> str:
    """The smallest catalogue size at which HNSW's cheapest setting with recall@10 >= 0.95 beats IVF's at batch 1."""
    sweep = pd.read_csv(committed_file(LESSON, "retrieval_scaling_ml-100k.csv", SERVING))
    good = sweep[sweep["index"].isin(["hnsw", "ivf"]) & (sweep["recall@10"] >= 0.95)]
    cheapest = good.groupby(["items", "index"])["ms/query, batch 1"].min().unstack("index")
    faster = cheapest.index[cheapest["hnsw"] < cheapest["ivf"]]
    return str(int(faster.min())) if len(faster) else "never"


def catalogue_rank(scores, target, seen) -> int:
    """The reference: the package's full-catalogue rank, for one user."""
    return int(catalogue_ranks(np.asarray(scores)[None], [target], np.asarray(seen)[None])[0])


def logq_corrected(logits, q):
    return np.asarray(logits, dtype=float) - np.log(q)


def weighted_lr_odds(clicked, minutes) -> float:
    clicked = np.asarray(clicked) == 1
    return float(np.asarray(minutes, dtype=float)[clicked].sum() / (~clicked).sum())


def _rank_cases():
    rng = np.random.default_rng(5)
    none_seen = np.zeros(5, dtype=bool)
    big_seen = rng.random(1682) < 0.1
    big_seen[7] = False
    return [
        ("nothing seen, the target scored highest", (np.array([0.1, 0.9, 0.3, 0.2, 0.0]), 1, none_seen)),
        ("nothing seen, two items above the target", (np.array([0.8, 0.4, 0.9, 0.2, 0.0]), 1, none_seen)),
        (
            "a seen item scored above the target",
            (np.array([0.8, 0.4, 0.9, 0.2, 0.0]), 1, np.array([True, False, False, False, False])),
        ),
        ("an unseen item tied with the target", (np.array([0.4, 0.4, 0.3, 0.2, 0.0]), 1, none_seen)),
        ("a catalogue of 1,682 items", (rng.normal(size=1682), 7, big_seen)),
    ]


def _logq_cases():
    rng = np.random.default_rng(6)
    counts = rng.integers(1, 500, 20)
    return [
        ("every item equally likely to be drawn", (np.array([2.0, -1.0, 0.5]), np.full(3, 1 / 3))),
        ("one very popular item", (np.array([1.0, 1.0, 1.0]), np.array([0.9, 0.05, 0.05]))),
        ("a batch of rows over 20 items", (rng.normal(size=(4, 20)), counts / counts.sum())),
    ]


def _odds_cases():
    rng = np.random.default_rng(7)
    clicks = (rng.random(5000) < 0.08).astype(int)
    return [
        ("four impressions, one click", (np.array([1, 0, 0, 0]), np.array([6.0, 0.0, 0.0, 0.0]))),
        ("no click at all", (np.zeros(6, dtype=int), np.zeros(6))),
        (
            "minutes logged on unclicked impressions too",
            (np.array([1, 1, 0, 0, 0]), np.array([3.0, 5.0, 2.0, 0.0, 1.0])),
        ),
        ("a log of 5,000 impressions", (clicks, clicks * rng.exponential(8.0, 5000))),
    ]


def _last_item_tower_recall(model, data=None, **_) -> float:
    """The tower's mean test Recall@50 over the whole catalogue; it must read the last movie only."""
    from ...evaluation import catalogue
    from .towers import tower_scores

    if data is None:
        raise NotMeasurable(
            "pass the task too, so that the check can score the tower: check(3, model, data=data)."
        )
    if not hasattr(model, "pool"):
        raise NotMeasurable(
            "hand over the tower that towers.train_tower returns for the 'last item only' variant."
        )
    if model.pool != "last":
        raise NotMeasurable(
            f"this tower pools its history by {model.pool!r}; the exercise asks for the "
            "'last item only' variant."
        )
    return catalogue.on_next_watch(data, tower_scores(model, data))["recall@50"].mean()


def exercises() -> list[Exercise]:
    return [
        Function(
            1,
            "Rank against the whole catalogue",
            mistakes=(
                "Items the user had already seen left in the ranking.",
                "Ties counted in the target's favour.",
                "The target counted against itself, so the top is rank 1.",
            ),
            reference=catalogue_rank,
            cases=_rank_cases,
        ),
        Function(
            2,
            "The logQ correction",
            mistakes=("log q added instead of subtracted.", "q itself subtracted instead of its logarithm."),
            reference=logq_corrected,
            cases=_logq_cases,
        ),
        Measured(
            3,
            "A tower that reads only the last movie",
            dataset="ml-100k",
            full_size=True,
            mistakes=(
                "Another variant of section 2 handed over (a tower that pools the whole history).",
                "A tower trained at other settings or on another seed.",
                "An untrained tower.",
            ),
            reference=last_item_recall,
            measure=_last_item_tower_recall,
            handed="tower",
            hints=((lambda a, v: a < 0.1, "that is close to chance: hand over the trained tower."),),
        ),
        Choice(
            4,
            "Where HNSW overtakes IVF",
            dataset="ml-100k",
            mistakes=(
                "Comparing recall at one setting instead of the cheapest setting that reaches 0.95.",
                "Comparing the batched latency instead of batch 1.",
                "Reading the build time as the query time.",
            ),
            options={
                "10000": "already at 10,000 items",
                "100000": "at 100,000 items",
                "1000000": "only at 1,000,000 items",
                "never": "at none of the measured sizes",
            },
            correct=hnsw_first_faster,
            hints={
                "10000": "at that size, compare the batch-1 latency of each index's cheapest setting "
                "with recall@10 >= 0.95 once more.",
                "100000": "at that size, compare the batch-1 latency of each index's cheapest setting "
                "with recall@10 >= 0.95 once more, and look at the smaller size too.",
                "1000000": "look at the sizes below it too: the question asks for the smallest.",
                "never": "compare the two indexes at each size, each at its own cheapest setting that "
                "reaches recall@10 >= 0.95 (not at equal parameter values).",
            },
        ),
        Function(
            5,
            "What weighted LR's odds converge to",
            mistakes=(
                "Dividing by every impression (the watch time per impression, E[T]).",
                "The plain click odds, clicks over non-clicks, with no watch time.",
                "Counting minutes logged on impressions that were not clicked.",
            ),
            reference=weighted_lr_odds,
            cases=_odds_cases,
        ),
    ]
