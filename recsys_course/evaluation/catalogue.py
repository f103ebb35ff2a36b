"""The whole-catalogue protocol: each held-out item ranked against every item the user had not seen.

:func:`per_user` is the protocol: from a score of every item for each user, one row per user (rank,
Recall@k, NDCG@10 and the AUC against all unseen items). :func:`on_next_watch` applies it to lesson
04's next-watch examples, and :func:`validation` gives :func:`recsys_course.training.fit` its means on
the validation examples. Unlike the sampled protocol, no negatives are drawn: no item can hide.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from ..tasks.next_watch import Examples, NextWatch
from .metrics import catalogue_metrics, catalogue_ranks


def per_user(scores, users, targets, exclude=None, ks=(10, 50, 100)) -> pd.DataFrame:
    """Rank each row's target among all items, with ``exclude`` (what the user had seen) left out; one row per user.

    ``scores`` is [n, n_items], one row per user in ``users``; the target itself
    is never excluded. Columns: user, rank, Recall@k for each ``k``, NDCG@10 and
    AUC (the share of the other unseen items the target outscores) - the
    per-user values :func:`recsys_course.evidence.paired_bootstrap` compares.
    """
    scores = np.asarray(scores)
    ranks = catalogue_ranks(scores, targets, exclude)
    frame = catalogue_metrics(ranks, ks)
    frame.insert(0, "rank", ranks)
    frame.insert(0, "user", np.asarray(users))
    excluded = 0 if exclude is None else np.asarray(exclude).sum(axis=1)
    unseen = scores.shape[1] - excluded  # the target and every other item still to rank
    frame["auc"] = 1.0 - ranks / np.maximum(unseen - 1, 1)
    return frame


def on_next_watch(data: NextWatch, scores, split: str = "test", ks=(10, 50, 100)) -> pd.DataFrame:
    """:func:`per_user` for the ``split`` ("valid" or "test") examples of a :class:`NextWatch`.

    ``scores`` is [n_examples, n_items] for ``data.valid`` or ``data.test`` in
    order; every item the user rated before the target is left out.
    """
    if split not in ("valid", "test"):
        raise ValueError(f"split must be 'valid' or 'test', got {split!r}")
    examples = data.valid if split == "valid" else data.test
    seen = data.seen_before_valid if split == "valid" else data.seen_before_test
    scores = np.asarray(scores)
    if scores.shape != (len(examples), data.n_items):
        raise ValueError(
            f"scores must be [{len(examples)}, {data.n_items}] (one row per {split} example, one "
            f"column per item); got {scores.shape}"
        )
    return per_user(scores, examples.user, examples.target, seen.table[examples.user], ks)


def validation(
    data: NextWatch, scores_of: Callable[[torch.nn.Module, Examples], np.ndarray], ks=(10, 50, 100)
) -> Callable[[torch.nn.Module], dict]:
    """``evaluate(model)`` for :func:`recsys_course.training.fit`: the means over the validation examples.

    ``scores_of(model, examples)`` scores every item for each example (e.g. a
    candidate tower's ``catalogue_scores``, or :func:`~recsys_course.evaluation.inference.all_item_scores`).
    """

    def evaluate(model: torch.nn.Module) -> dict:
        rows = on_next_watch(data, scores_of(model, data.valid), "valid", ks)
        return {name: float(rows[name].mean()) for name in rows.columns if name not in ("user", "rank")}

    return evaluate
