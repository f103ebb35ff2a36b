"""The sampled leave-one-out protocol (He et al. 2017): each held-out item ranked against its fixed negatives.

:func:`per_user` is the protocol: one row per user (rank, HR@k, NDCG@k, sampled AUC), the rows
:func:`recsys_course.evidence.paired_bootstrap` compares; :func:`per_row` is the same on scores already
computed. :func:`means` averages it, :func:`validation` gives :func:`recsys_course.training.fit` the
validation users' means after each epoch, and :func:`report` scores a trained model's test users.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from ..tasks.leave_one_out import LeaveOneOut
from .inference import score_pairs
from .metrics import hits_at_k, ndcg_gains_at_k, rank_of_positive, sampled_auc_per_user


def per_user(model: torch.nn.Module, users, candidates, k: int = 10) -> pd.DataFrame:
    """One row per user: the rank of the held-out item among its candidates, HR@k, NDCG@k and sampled AUC.

    ``candidates`` is [n_users, 1 + n_negatives] with the held-out item in
    column 0 (see :func:`recsys_course.tasks.negatives.evaluation_candidates`),
    so every model is ranked against the same items.
    """
    candidates = np.asarray(candidates)
    users = np.asarray(users)
    scores = score_pairs(model, np.repeat(users, candidates.shape[1]), candidates.ravel()).reshape(
        candidates.shape
    )
    rows = per_row(scores, k)
    rows.insert(0, "user", users)
    return rows


def per_row(scores, k: int = 10) -> pd.DataFrame:
    """The protocol on scores already computed: one row per row of ``scores`` [n, 1 + n_negatives], whose
    column 0 is the held-out item - its rank, HR@k, NDCG@k and sampled AUC (ties count against it)."""
    scores = np.asarray(scores)
    ranks = rank_of_positive(scores)
    return pd.DataFrame(
        {
            "rank": ranks,
            f"hr@{k}": hits_at_k(ranks, k),
            f"ndcg@{k}": ndcg_gains_at_k(ranks, k),
            "auc": sampled_auc_per_user(scores),
        }
    )


def means(model: torch.nn.Module, users, candidates, k: int = 10) -> dict:
    """HR@k, NDCG@k and sampled AUC, averaged over users."""
    rows = per_user(model, users, candidates, k)
    return {name: float(rows[name].mean()) for name in (f"hr@{k}", f"ndcg@{k}", "auc")}


def validation(loo: LeaveOneOut, k: int = 10) -> Callable[[torch.nn.Module], dict]:
    """``evaluate(model)`` for :func:`recsys_course.training.fit`: the means on the validation users."""
    users = loo.valid["user"].to_numpy()
    return lambda model: means(model, users, loo.valid_candidates, k)


def report(
    model: torch.nn.Module, loo: LeaveOneOut, history=None, monitor: str = "ndcg@10"
) -> tuple[dict, pd.DataFrame]:
    """Rank every test user's candidates: ``(row of means and training facts, per-user frame)``.

    The row also holds the validation value of ``monitor`` (``valid``), the
    number a choice between runs may use without touching the test set, and
    - given the run's :class:`~recsys_course.training.History` - its best
    epoch, epochs run, training examples up to the best epoch and seconds.
    """
    rows = per_user(model, loo.test["user"].to_numpy(), loo.test_candidates)
    row = rows[["hr@10", "ndcg@10", "auc"]].mean().to_dict()
    if history is not None and history.best_value is not None:
        row["valid"] = history.best_value
    elif len(loo.valid):
        row["valid"] = means(model, loo.valid["user"].to_numpy(), loo.valid_candidates)[monitor]
    if history is not None and len(history):
        frame = history.frame()
        trained = frame[frame["epoch"] >= 1]
        row.update(
            {
                "best epoch": history.best_epoch,
                "epochs run": int(trained["epoch"].max()) if len(trained) else 0,
                # without validation there is no best epoch: the last epoch's weights are the ones kept
                "examples to best": int(
                    trained["examples"].sum()
                    if history.best_epoch is None
                    else trained.loc[trained["epoch"] <= history.best_epoch, "examples"].sum()
                ),
                "seconds": float(trained["seconds"].sum()),
            }
        )
    return row, rows
