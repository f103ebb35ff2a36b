"""Lesson 06's exercises (training discipline) and their checks.

Numbers come from the full-size runs committed under ``results/06_training_discipline/`` (the CTR benchmark,
calibration and speed);
each tolerance is the spread of those runs: three standard deviations over seeds, or the range of the seeds or repeats.
"""

from __future__ import annotations

import pandas as pd

from ...check import Choice, Exercise, Function, Measured, NotMeasurable
from ...evidence import Results
from ...training import stopping_point
from . import LESSON


def _mf_auc():
    """MF's test AUC: the mean over the five committed seeds, 3 standard deviations of them (at least 0.003)."""
    values = Results.required(LESSON, "ctr_benchmark_ml-100k", "06/ctr_benchmark").runs(model="MF")["auc"]
    return float(values.mean()), max(3 * float(values.std()), 0.003)


def _patience_cases():
    return [
        ("a curve that peaks early and then falls", ([0.70, 0.74, 0.73, 0.72, 0.71, 0.70], 2)),
        ("a curve that climbs at every epoch", ([0.60, 0.65, 0.70, 0.72], 3)),
        ("a curve that dips and recovers within the patience", ([0.70, 0.69, 0.75, 0.74, 0.73, 0.72], 2)),
        ("an epoch that only equals the best so far", ([0.70, 0.72, 0.72, 0.72, 0.71], 2)),
        ("patience 1", ([0.70, 0.72, 0.71, 0.73, 0.74], 1)),
        ("a patience longer than the curve", ([0.80, 0.79, 0.78], 10)),
    ]


def _temperature():
    """DeepFM's temperature on seed 1, as the committed full-size run fitted it (the exercise trains the same
    model the same way), within 3 standard deviations of the seeds' temperatures (at least 0.02): another
    machine's arithmetic trains a slightly different model, and the check has already confirmed the fit."""
    runs = Results.required(LESSON, "calibration_ml-100k", "06/metric_choice").runs(
        setting="tuned + temperature"
    )
    seed_1 = float(runs[runs["seed"] == 1]["temperature"].iloc[0])
    return seed_1, max(3 * float(runs["temperature"].std()), 0.02)


def _test_auc(model, task=None, **_) -> float:
    """The model's AUC over every test impression of the click task."""
    from ...evaluation.inference import predict_logits
    from ...evaluation.metrics import auc

    if task is None:
        raise NotMeasurable(
            "pass the task too, so that the check can score the model: check(1, model, task=task)."
        )
    return auc(task.test.label, predict_logits(model, task.test))


def _fitted_temperature(model, T=None, task=None, **_) -> float:
    """The temperature that fits the model's validation logits best, once the learner's T is shown to be it."""
    import numpy as np

    from ...evaluation.inference import predict_logits
    from ...evaluation.metrics import fit_temperature

    if task is None or T is None:
        raise NotMeasurable("pass your fitted temperature and the task too: check(3, model, T=t, task=task).")
    own = fit_temperature(task.valid.label, predict_logits(model, task.valid).astype(np.float64))
    if abs(1 / float(T) - own) <= 1e-3 * own and abs(float(T) - own) > 1e-3 * own:
        raise NotMeasurable("that is 1/T: the temperature divides the logits, sigmoid(logits / T).")
    if abs(float(T) - own) > 1e-3 * own:
        raise NotMeasurable(
            "your T is not the one that fits this model's validation logits best: fit it on the validation "
            "split of the model you hand over."
        )
    return own


def batch_speedup(speed: pd.DataFrame, big: int, small: int) -> float:
    """Examples per second at batch ``big`` over those at batch ``small``, for DeepFM on the CPU with the plain
    tensor loader and the most threads the table holds."""
    cpu = speed[(speed["device"] == "cpu") & (speed["model"] == "DeepFM") & (speed["loader"] == "tensors")]
    per_batch = cpu[cpu["threads"] == cpu["threads"].max()].set_index("batch")["examples per second"]
    return float(per_batch[big] / per_batch[small])


def _speed_cases():
    """Speed tables shaped like section 9's, with made-up numbers: rows of other models, loaders and thread counts
    at the same batch sizes, so that only the right rows give the right ratio."""
    import numpy as np

    rng = np.random.default_rng(6)
    rows = []
    for model in ("DeepFM", "FM"):
        for loader, threads_list in (("tensors", (1, 2, 4)), ("dataloader", (4,))):
            for threads in threads_list:
                for batch in (256, 1024, 4096):
                    rows.append(
                        {
                            "device": "cpu",
                            "model": model,
                            "loader": loader,
                            "threads": threads,
                            "batch": batch,
                            "examples per second": float(rng.uniform(5e4, 5e5)),
                        }
                    )
    rows.append(
        {
            "device": "cuda",
            "model": "DeepFM",
            "loader": "tensors",
            "threads": 4,
            "batch": 4096,
            "examples per second": 9e6,
        }
    )
    table = pd.DataFrame(rows)
    two_threads = table[table["threads"] <= 2].copy()
    return [
        ("batch 4096 over batch 1024, four threads at most", (table, 4096, 1024)),
        ("batch 1024 over batch 256", (table, 1024, 256)),
        ("a table whose most threads is 2", (two_threads, 4096, 256)),
    ]


def exercises() -> list[Exercise]:
    return [
        Measured(
            1,
            "Your own benchmark row",
            dataset="ml-100k",
            reference=_mf_auc,
            measure=_test_auc,
            full_size=True,
            mistakes=(
                "MF trained at another rate or weight decay than the benchmark chose.",
                "Another model of the benchmark handed over.",
                "An untrained model handed over.",
            ),
            hints=(
                (lambda a, v: a < 0.6, "that is close to chance: hand over the trained model."),
                (
                    lambda a, v: True,
                    "check that you trained MF with ctr_benchmark.train_model at SETTINGS['MF'] on seed 0.",
                ),
            ),
        ),
        Function(
            2,
            "Replay early stopping",
            reference=stopping_point,
            cases=_patience_cases,
            mistakes=(
                "Counting an epoch that only equals the best as an improvement.",
                "Returning the epoch it stops at as the epoch whose weights it keeps.",
                "Numbering epochs from 0 instead of 1.",
                "Forgetting that a curve that never stalls stops at its last epoch.",
            ),
        ),
        Measured(
            3,
            "Calibrate DeepFM on another seed",
            dataset="ml-100k",
            reference=_temperature,
            measure=_fitted_temperature,
            full_size=True,
            mistakes=(
                "Reporting 1/T instead of T.",
                "Fitting T on the test logits, or on another model's.",
                "Training DeepFM at another setting or patience than the exercise names.",
            ),
            hints=(
                (
                    lambda a, v: True,
                    "your T fits your model, but the model differs from the committed run's: train DeepFM with "
                    "defaults.train at SETTINGS['DeepFM'] and defaults.settings() (patience 5) on seed 1.",
                ),
            ),
        ),
        Choice(
            4,
            "A cold start with no genres",
            options={
                "a": "every cold movie gets the same vector and bias, so within one user every cold movie "
                "gets the same score",
                "b": "the vectors of the cold movies were never trained, so their scores are random",
                "c": "every cold test user clicked all of their cold movies, so there is nothing to order",
                "d": "the mean of the trained vectors is zero, so every score in the test is the same",
            },
            correct="a",
            mistakes=(
                "Reading a user-weighted AUC of exactly one half (tied scores within each user) as random guessing.",
                "Forgetting that the user's own vector and bias still differ from user to user.",
            ),
            hints={
                "b": "a random score would move from seed to seed; look at the column over the five seeds.",
                "c": "users with only clicks are left out of the user-weighted AUC; the others remain.",
                "d": "if every score were the same, the AUC over all impressions would also sit at one half.",
            },
        ),
        Function(
            5,
            "Bigger batches on the committed machine's CPU",
            reference=batch_speedup,
            cases=_speed_cases,
            mistakes=(
                "Reading the rows of another loader or thread count.",
                "Reading another model's rows.",
                "Comparing steps per second instead of examples per second.",
                "Dividing the small batch by the big one.",
            ),
        ),
    ]
