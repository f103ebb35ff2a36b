"""Lesson 05, Wide & Deep: its experiments on MovieLens and UCI Adult (:mod:`.wide_deep`; the model, settings and
optimizers are :mod:`recsys_course.training.wide_deep`'s), the claims, the architecture diagram and the exercises."""

from .. import Experiment

LESSON = "05_wide_and_deep"
EXPERIMENTS = (
    Experiment(
        "wide_deep",
        "wide_deep:run",
        "LR on ids, wide, deep, joint (with and without the liked x movie "
        "cross), three optimizers and an ensemble on MovieLens; linear vs Wide & Deep on UCI Adult",
    ),
)
