"""Lesson 05, Wide & Deep: its experiments on MovieLens and UCI Adult (:mod:`.wide_deep`; the model, settings and
optimizers are :mod:`recsys_course.training.wide_deep`'s), the tuning alike (:mod:`.tuning`), the full-size runs
(:mod:`.full_size`), the claims, the architecture diagram and the exercises."""

from .. import Experiment

LESSON = "05_wide_and_deep"
EXPERIMENTS = (
    Experiment(
        "wide_deep_tuning",
        "full_size:run_tuning",
        "each kind of model's settings chosen on validation, every optimizer on one 5 x 5 grid: the halves (LR "
        "on ids, wide, deep), then --kinds joint",
        options={
            "--kinds": dict(
                nargs="+",
                choices=["ids", "wide", "deep", "joint"],
                help="which kinds of model to tune (the joint model needs the wide and deep models' settings)",
            )
        },
    ),
    Experiment(
        "wide_deep",
        "full_size:run",
        "LR on ids, wide, deep, joint (with and without the liked x movie "
        "cross), three optimizers and an ensemble on MovieLens at 05/wide_deep_tuning's settings; linear vs "
        "Wide & Deep on UCI Adult",
    ),
    Experiment(
        "input_scaling",
        "full_size:run_input_scaling",
        "Wide & Deep on UCI Adult with its five numbers raw (TensorFlow's tutorial) against log1p and standardised "
        "(the course), three seeds, at 05/wide_deep's Adult settings",
    ),
)
