"""The CTR protocol of lessons 05-06: every impression of a split scored, judged per user.

:func:`per_user` is the protocol: from a model's logits, one row per user with the terms of
AUC, the DIN paper's user-weighted AUC, LogLoss and accuracy (each column's mean is the metric,
and resampling users gives it an interval). :func:`scored` gives the three metrics with their terms,
:func:`means` a model's metrics on a split, and :func:`validation` gives
:func:`recsys_course.training.fit` the validation AUC and LogLoss.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from ..tasks.ctr import CTRSplit, CTRTask
from .inference import predict_logits
from .metrics import auc, ctr_per_user, log_loss


def per_user(split: CTRSplit, logits: np.ndarray, rows=None) -> pd.DataFrame:
    """Per-user terms of AUC, user-weighted AUC and LogLoss (and accuracy at 0.5) on ``split`` or its ``rows``."""
    rows = np.arange(len(split)) if rows is None else rows
    probs = 1 / (1 + np.exp(-logits[rows]))
    terms = ctr_per_user(split.user[rows], split.label[rows], probs)
    correct = pd.Series((probs >= 0.5) == (split.label[rows] == 1)).groupby(split.user[rows]).sum()
    return terms.assign(accuracy=len(terms) * correct.to_numpy() / len(rows))


METRICS = ("auc", "uauc", "logloss")


def scored(split: CTRSplit, logits: np.ndarray, rows=None) -> tuple[dict, pd.DataFrame]:
    """``(metrics, terms)``: AUC, user-weighted AUC and LogLoss of ``logits`` on ``split`` (or its ``rows``), and
    the per-user terms whose column means they are - what a paired interval resamples."""
    terms = per_user(split, logits, rows).drop(columns="accuracy")
    return {m: float(terms[m].mean()) for m in METRICS}, terms


def means(model: torch.nn.Module, split: CTRSplit) -> dict:
    """A trained model's AUC, user-weighted AUC and LogLoss on ``split``."""
    return scored(split, predict_logits(model, split))[0]


def validation(task: CTRTask, record_test: bool = False) -> Callable[[torch.nn.Module], dict]:
    """``evaluate(model)`` for :func:`recsys_course.training.fit`: validation AUC and LogLoss over all impressions.

    With ``record_test`` the test AUC is recorded every epoch too - to study
    early stopping afterwards, never to choose anything.
    """

    def evaluate(model: torch.nn.Module) -> dict:
        logits = predict_logits(model, task.valid)
        record = {
            "auc": auc(task.valid.label, logits),
            "logloss": log_loss(task.valid.label, 1 / (1 + np.exp(-logits))),
        }
        if record_test:
            record["test auc"] = auc(task.test.label, predict_logits(model, task.test))
        return record

    return evaluate
