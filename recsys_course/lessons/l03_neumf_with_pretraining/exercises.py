"""Lesson 03's exercises (NeuMF with pretraining): their checks, hidden cases and hints.

Numbers come from the committed full-size run (results/03_neumf_with_pretraining/ncf_ml-100k.csv): a
deterministic quantity within 1e-5, a trained model within 3 standard deviations over its five seeds (at least 0.02).
"""

from __future__ import annotations

import numpy as np

from ...check import Choice, Exercise, Function, Measured, NotMeasurable, Number
from ...evaluation.metrics import ndcg_at_k, rank_of_positive
from ...evidence import Results
from . import LESSON

NAME, EXPERIMENT = "ncf_ml-100k", "03/ncf"


def _runs(**where):
    return Results.required(LESSON, NAME, EXPERIMENT).runs(**where)


def popularity_validation_ndcg() -> tuple[float, float]:
    """The popularity baseline's validation NDCG@10 (the monitored metric): deterministic, so 1e-5."""
    return float(_runs(model="Popularity")["valid"].iloc[0]), 1e-5


def fused_hr() -> tuple[float, float]:
    """GMF+MLP fused with alpha = 0.5 at 32 factors: mean test HR@10, 3 std over seeds (at least 0.02)."""
    hr = _runs(model="GMF+MLP (fused, not fine-tuned)", factors=32)["hr@10"]
    return float(hr.mean()), max(3 * float(hr.std(ddof=1)), 0.02)


def _ndcg_cases():
    rng = np.random.default_rng(3)
    return [
        ("one user ranked at the top", (np.array([0]), 10)),
        ("one user just inside the cut-off (rank k - 1)", (np.array([9]), 10)),
        ("one user at rank k, just outside the top k", (np.array([10]), 10)),
        ("several users, hits and misses", (np.array([0, 3, 12, 5, 40]), 10)),
        ("a smaller cut-off, k = 5", (np.array([0, 4, 5, 6, 2]), 5)),
        ("a thousand users", (rng.integers(0, 100, 1000), 10)),
    ]


def _rank_cases():
    rng = np.random.default_rng(4)
    ties = rng.integers(0, 4, (50, 100)).astype(float)  # few distinct scores: many ties
    return [
        ("the positive scored highest", (np.array([[0.9, 0.1, 0.5, 0.2]]),)),
        ("the positive scored lowest", (np.array([[0.1, 0.9, 0.5, 0.2]]),)),
        ("one negative tied with the positive", (np.array([[0.5, 0.5, 0.1, 0.2]]),)),
        ("every candidate scored the same", (np.ones((1, 5)),)),
        ("many rows of 100 candidates with ties", (ties,)),
    ]


def _fused_model_hr(model, loo=None, **_) -> float:
    """The model's mean test HR@10 on the split's 99 sampled negatives per user."""
    from ...evaluation import sampled
    from ...models import NeuMF

    if loo is None:
        raise NotMeasurable(
            "pass the split too, so that the check can score the model: check(4, fused, loo=loo)."
        )
    if not isinstance(model, NeuMF):
        raise NotMeasurable(
            f"this is a {type(model).__name__}; hand over the NeuMF that NeuMF.from_pretrained(gmf, mlp, alpha=0.5) "
            "makes from the two trained models."
        )
    return sampled.means(model, loo.test["user"].to_numpy(), loo.test_candidates)["hr@10"]


def exercises() -> list[Exercise]:
    return [
        Function(
            1,
            "NDCG@k from ranks",
            mistakes=(
                "No log2 discount: that is the hit rate.",
                "Discount 1/log2(rank + 1) with 0-based ranks: infinite at the top.",
                "Counting rank k as a hit (rank <= k instead of rank < k).",
            ),
            reference=ndcg_at_k,
            cases=_ndcg_cases,
        ),
        Function(
            2,
            "The rank of the held-out item",
            mistakes=(
                "Ties counted in the positive's favour (> instead of >=).",
                "Ranks counted from 1 instead of 0.",
            ),
            reference=rank_of_positive,
            cases=_rank_cases,
        ),
        Number(
            3,
            "Popularity on the validation items",
            dataset="ml-100k",
            exact=True,
            mistakes=(
                "A hit rate reported instead of NDCG@10.",
                "The test candidates scored instead of the validation candidates.",
                "Item counts taken from every rating, validation and test included.",
                "Ties counted in the positive's favour.",
            ),
            reference=popularity_validation_ndcg,
            hints=(
                (lambda a, v: a > 0.7, "that looks like a sampled AUC: the exercise asks for NDCG@10."),
                (
                    lambda a, v: a > 0.3,
                    "that looks like a hit rate: NDCG@10 gives a hit at rank r only 1/log2(r + 2).",
                ),
                (
                    lambda a, v: a < v,
                    "a little low: score loo.valid_candidates (the validation item is "
                    "column 0), not the test candidates, and count ranks from 0.",
                ),
                (
                    lambda a, v: a > v,
                    "a little high: count items in loo.train only, and let a tie with "
                    "a negative count against the validation item.",
                ),
            ),
        ),
        Measured(
            4,
            "Fused GMF + MLP, before fine-tuning",
            dataset="ml-100k",
            full_size=True,
            mistakes=(
                "Untrained GMF and MLP fused.",
                "The fused model fine-tuned before it is handed over.",
                "GMF and MLP trained at other settings than the lesson's.",
            ),
            reference=fused_hr,
            measure=_fused_model_hr,
            handed="fused model",
            hints=(
                (
                    lambda a, v: a < 0.2,
                    "that is close to chance: fuse the trained GMF and MLP, not fresh models.",
                ),
            ),
        ),
        Choice(
            5,
            "What SGD fine-tuning did",
            dataset="ml-100k",
            mistakes=(
                "Reading the fine-tuned row as an improvement without looking at its best epoch.",
                "Confusing the SGD runs with the Adam runs.",
            ),
            options={
                "a": "Its validation NDCG@10 improved in most seeds, and its test HR@10 rose clearly "
                "(by 0.01 or more) above the fused model's.",
                "b": "At 32 factors, in most seeds no SGD epoch beat the fused start on validation, so the kept "
                "model is the fused average itself; where one did, the test HR@10 moved by less than 0.002.",
                "c": "SGD diverged at the tuned learning rate, and its test HR@10 fell far below NeuMF "
                "from scratch.",
            },
            correct="b",
            hints={
                "a": "look at the 'best epoch' column of the SGD rows at 32 factors: what does its value "
                "say about the epochs after the start?",
                "c": "compare the SGD rows' test HR@10 with the NeuMF (scratch) rows at 32 factors.",
            },
        ),
    ]
