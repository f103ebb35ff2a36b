"""Lesson 06's exercises (training discipline) and their checks.

Numbers come from the full-size runs committed under ``results/06_training_discipline/`` (the CTR benchmark,
calibration and speed);
each tolerance is the spread of those runs: three standard deviations over seeds, or the range of the seeds or repeats.
"""

from __future__ import annotations

import pandas as pd

from ...check import Choice, Exercise, Function, Number
from ...evidence import Results, committed_file
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
    model the same way), within 0.02."""
    runs = Results.required(LESSON, "calibration_ml-100k", "06/metric_choice")
    return float(runs.runs(setting="tuned + temperature", seed=1)["temperature"].iloc[0]), 0.02


def speed_rows(batch: int) -> pd.Series:
    """The committed CPU row of DeepFM at ``batch``, with the most threads and the plain tensor loader."""
    speed = pd.read_csv(committed_file(LESSON, "speed_ml-100k.csv", "06/speed"))
    cpu = speed[(speed["device"] == "cpu") & (speed["model"] == "DeepFM") & (speed["loader"] == "tensors")]
    cpu = cpu[cpu["threads"] == cpu["threads"].max()]
    return cpu[cpu["batch"] == batch].iloc[0]


def _batch_speedup():
    """Median speed at batch 4096 over that at 1024; tolerance: how far the slowest and fastest repeats move it."""
    big, small = speed_rows(4096), speed_rows(1024)
    value = big["examples per second"] / small["examples per second"]
    extremes = (big["low"] / small["high"], big["high"] / small["low"])
    return float(value), float(max(abs(e - value) for e in extremes))


def exercises() -> list[Exercise]:
    return [
        Number(
            1,
            "Your own benchmark row",
            dataset="ml-100k",
            reference=_mf_auc,
            full_size=True,
            mistakes=(
                "Reporting the user-weighted AUC instead of the AUC.",
                "Reporting the LogLoss instead of the AUC.",
                "Scoring the training rows instead of the test rows.",
            ),
            hints=(
                (lambda a, v: a > 1, "an AUC lies between 0 and 1."),
                (lambda a, v: a < 0.65, "that looks like a LogLoss; the exercise asks for the AUC."),
                (
                    lambda a, v: a < v,
                    "that looks like the user-weighted AUC; the exercise asks for the AUC "
                    "over all test impressions.",
                ),
                (
                    lambda a, v: a > v + 0.02,
                    "that is too good for test rows: did you score the training split?",
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
        Number(
            3,
            "Calibrate DeepFM on another seed",
            dataset="ml-100k",
            reference=_temperature,
            full_size=True,
            mistakes=(
                "Reporting 1/T instead of T.",
                "Reporting the temperature before fitting it (T = 1).",
                "Training DeepFM at another setting or patience than the exercise names.",
            ),
            hints=(
                (lambda a, v: a <= 0, "a temperature is a positive divisor of the logits."),
                (lambda a, v: a == 1, "T = 1 leaves the logits as they are: fit T on the validation logits."),
                (
                    lambda a, v: (a < 1) != (v < 1),
                    "check the direction: the fitted T divides the logits (sigmoid(logits / T)).",
                ),
                (
                    lambda a, v: True,
                    "check that DeepFM was trained with defaults.train at SETTINGS['DeepFM'] and "
                    "defaults.settings() (patience 5) on seed 1, and that T was fitted on the validation split.",
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
        Number(
            5,
            "Bigger batches on the committed machine's CPU",
            reference=_batch_speedup,
            mistakes=(
                "Comparing with batch 256 instead of 1024.",
                "Comparing steps per second instead of examples per second.",
                "Reading the rows of another loader or thread count.",
            ),
            hints=(
                (
                    lambda a, v: a < 0.5,
                    "compare examples per second, not steps per second: a step at batch "
                    "4096 holds 4 times the examples of a step at 1024.",
                ),
                (
                    lambda a, v: a > 1.3,
                    "check the denominator: the exercise compares batch 4096 with batch "
                    "1024, not with a smaller batch.",
                ),
                (
                    lambda a, v: True,
                    "use the 'examples per second' column of the DeepFM rows with the plain "
                    "tensor loader and the most threads.",
                ),
            ),
        ),
    ]
