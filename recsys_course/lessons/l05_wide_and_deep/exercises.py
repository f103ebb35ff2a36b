"""Lesson 05's exercises (Wide & Deep) and their checks.

The numbers are read from the full-size run committed under ``results/05_wide_and_deep/`` or computed exactly
from the data; a tolerance from seeds is three standard deviations over the committed seeds, with a floor.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...check import Choice, Exercise, Function, Measured, NotMeasurable, Number
from ...evidence import Results
from ...training.wide_deep import PAPER
from . import LESSON
from . import wide_deep as wd

EXPERIMENT = "05/wide_deep"  # the full-size run that wrote results/05_wide_and_deep/


def _cases():
    rng = np.random.default_rng(5)
    items, labels = rng.integers(0, 30, 400), rng.integers(0, 2, 400)
    return [
        ("thirty movies, four hundred impressions, 10 pseudo-views", (items, labels, 30, 10.0)),
        ("a movie nobody saw in training", (np.array([0, 0, 2, 2, 2]), np.array([1, 0, 1, 1, 0]), 4, 10.0)),
        ("no pseudo-views (the raw click rate)", (np.array([0, 1, 1, 2]), np.array([1, 0, 1, 0]), 3, 0.0)),
        ("a movie every viewer clicked", (np.array([0, 0, 0, 1, 1]), np.array([1, 1, 1, 0, 0]), 2, 3.0)),
        ("a strong prior", (items, labels, 30, 1000.0)),
    ]


@lru_cache(maxsize=1)
def _collision_rate_2_16():
    """Exact: the liked-movie x movie collision rate with 2**16 buckets, from the ML-100K task."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    crosses = movielens_ctr(load_movielens("ml-100k"), cross_buckets=2**16).crosses.set_index("cross")
    return float(crosses.loc[wd.LIKED_CROSS, "collision rate"]), 1e-4


def _from_runs(name: str, column: str, floor: float, **where):
    """Mean over the committed seeds, and 3 standard deviations of them (at least ``floor``)."""
    values = Results.required(LESSON, name, EXPERIMENT).runs(**where)[column]
    return float(values.mean()), max(3 * float(values.std()), floor)


def _zero_share_cases():
    """Small wide models on a synthetic click task, some weights exactly zero: which ones count is the point."""
    import torch

    from ...data import synthetic_movielens
    from ...tasks.ctr import movielens_ctr
    from ...training.wide_deep import Settings, make_model

    task = movielens_ctr(
        synthetic_movielens(seed=3, n_users=40, n_items=60, n_ratings=1000),
        history_len=5,
        cross_buckets=2**10,
    )
    used = np.unique(task.train.wide)
    used = used[used < task.wide_size]
    cases = []
    for name, zeroed in (
        ("a model whose used weights are all zero but some unused ones are not", "unused"),
        ("every third used weight zero, the padding row nonzero", "third"),
        ("no weight zero", "none"),
    ):
        model = make_model(task, Settings(dim=4, hidden=(8,)), deep=False)
        generator = torch.Generator().manual_seed(len(cases))
        with torch.no_grad():
            model.wide.weight.copy_(torch.randn(model.wide.weight.shape, generator=generator))
            if zeroed == "unused":
                model.wide.weight[torch.from_numpy(used)] = 0.0
            elif zeroed == "third":
                model.wide.weight[torch.from_numpy(used[::3])] = 0.0
        cases.append((name, (model, task)))
    return cases


def _census_accuracy(model, task=None, **_) -> float:
    """The share of the task's test rows whose probability, cut at 0.5, matches the label; linear models only."""
    from ...evaluation.inference import predict_logits

    if task is None:
        raise NotMeasurable("pass the census task too: check(5, linear, task=adult).")
    if getattr(model, "deep", None) is not None:
        raise NotMeasurable("this model has a deep part: train the linear model alone (deep=False).")
    predicted = predict_logits(model, task.test) >= 0  # a probability of 0.5 or more
    return float((predicted == task.test.label.astype(bool)).mean())


def best_epochs() -> dict:
    """Mean over the committed seeds of the epoch early stopping kept, for the wide, deep and joint models."""
    runs = Results.required(LESSON, "wide_deep_ml-100k", EXPERIMENT).runs(
        model=["wide", "deep", "joint"], optimizer=["FTRL+L1", "AdaGrad", PAPER]
    )
    return runs.groupby("model")["best epoch"].mean().to_dict()


def _joint_stops_with() -> str:
    """Measured: the half alone whose mean kept epoch is closest to the joint model's."""
    epochs = best_epochs()
    return "b" if abs(epochs["joint"] - epochs["deep"]) < abs(epochs["joint"] - epochs["wide"]) else "a"


def exercises() -> list[Exercise]:
    options = {
        "a": "the wide half's: the joint model keeps about the epoch the wide model alone keeps",
        "b": "the deep half's: the joint model keeps about the epoch the deep model alone keeps",
        "c": "neither: the joint model keeps a later epoch than both halves alone",
    }
    return [
        Function(
            1,
            "A movie's shrunk click rate",
            reference=wd.shrunk_click_rates,
            cases=_cases,
            mistakes=(
                "Shrinking towards one half instead of the global training click rate.",
                "Dividing by the views alone, so an unseen movie gives 0/0.",
                "Returning rates only for the movies seen in training instead of one per movie id.",
            ),
        ),
        Number(
            2,
            "Collisions with fewer buckets",
            dataset="ml-100k",
            reference=_collision_rate_2_16,
            exact=True,
            mistakes=(
                "Reporting the collision rate of the default 2**22 buckets.",
                "Giving a percentage instead of a share.",
            ),
            hints=(
                (lambda a, v: a > 1, "give a share between 0 and 1, not a percentage."),
                (
                    lambda a, v: a < 0.05,
                    "that is another cross's row: read the 'liked movie x movie' row of task16.crosses.",
                ),
                (
                    lambda a, v: a < 0.2,
                    "that is the collision rate of the task built with the default "
                    "number of buckets; rebuild it with the buckets the exercise asks for.",
                ),
            ),
        ),
        Function(
            3,
            "Which wide weights FTRL leaves at zero",
            reference=wd.zero_share,
            cases=_zero_share_cases,
            mistakes=(
                "Counting every row of the hashed table, not only the ids the training rows use.",
                "Counting the padding id, which marks an absent feature and is never learned.",
                "Counting an id once per training row that holds it instead of once.",
                "Returning the share of weights that are not zero.",
            ),
        ),
        Choice(
            4,
            "Early stopping for two parts",
            options=options,
            correct=_joint_stops_with,
            mistakes=(
                "Reading the epochs trained instead of the epoch whose weights early stopping keeps.",
                "Comparing one seed instead of the means over the five committed seeds.",
            ),
            hints={
                key: "the 'best epoch' column is the epoch early stopping keeps; average it over the seeds "
                "for each of the three models and compare again."
                for key in options
            },
        ),
        Measured(
            5,
            "The linear census model",
            full_size=True,
            reference=lambda: _from_runs("wide_deep_adult", "accuracy", 0.003, model="linear"),
            measure=_census_accuracy,
            handed="linear model",
            mistakes=(
                "Handing over Wide & Deep instead of the linear model.",
                "Training at the MovieLens settings instead of Adult's.",
                "Training on the task without its crosses.",
            ),
            hints=((lambda a, v: a < 0.8, "did it train? Use adult_settings['wide'] and deep=False."),),
        ),
    ]
