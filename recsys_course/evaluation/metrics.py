"""Pure metrics: numbers in, a number (or one number per user) out - no models, no data loading.

Classification / CTR (one prediction per (user, item) pair): :func:`auc`,
:func:`user_weighted_auc`, :func:`log_loss`, :func:`rmse` for ratings, and
:func:`ctr_per_user` - all three split into per-user terms, for intervals;
:func:`fit_temperature` recalibrates a model's probabilities.

Ranking (which items should the user see?): :func:`rank_of_positive` among
sampled candidates, :func:`catalogue_ranks` among all items, and from ranks
:func:`hit_rate_at_k`, :func:`ndcg_at_k`, :func:`catalogue_metrics`; the
protocols that run a model and call these live beside this module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.stats import rankdata


def auc(labels, scores) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Computed from ranks (Mann-Whitney U); ties count one half.
    """
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    n_pos, n_neg = labels.sum(), (~labels).sum()
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs at least one positive and one negative label")
    ranks = rankdata(scores)  # average ranks for ties
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def user_weighted_auc(users, labels, scores) -> float:
    """The DIN paper's user-weighted AUC: each user's own AUC, weighted by the user's number of impressions.

    Zhou et al. (KDD 2018) average per-user AUCs so that a model is judged on
    ordering each user's items, not on telling active users from quiet ones;
    users whose impressions are all positive or all negative have no AUC and
    are left out.
    """
    frame = pd.DataFrame(
        {
            "user": np.asarray(users),
            "label": np.asarray(labels).astype(bool),
            "score": np.asarray(scores, dtype=np.float64),
        }
    )
    ranks = frame.groupby("user")["score"].rank(method="average")  # within each user; ties share
    frame["pos_rank"] = ranks.where(frame["label"], 0.0)
    per_user = frame.groupby("user").agg(
        n=("label", "size"), pos=("label", "sum"), pos_rank=("pos_rank", "sum")
    )
    per_user = per_user[(per_user["pos"] > 0) & (per_user["pos"] < per_user["n"])]
    if per_user.empty:
        raise ValueError("user-weighted AUC needs a user with both a positive and a negative impression")
    neg = per_user["n"] - per_user["pos"]
    aucs = (per_user["pos_rank"] - per_user["pos"] * (per_user["pos"] + 1) / 2) / (per_user["pos"] * neg)
    return float((aucs * per_user["n"]).sum() / per_user["n"].sum())


def ctr_per_user(users, labels, probs, eps: float = 1e-7) -> pd.DataFrame:
    """Per-user terms of a CTR model's test AUC, user-weighted AUC and LogLoss: each column's mean is the metric.

    One row per user (sorted). The three metrics are ratios over all test
    impressions, not means over users, so each user's term is the metric
    plus ``U`` (the number of users) times the user's *influence*: how much
    the metric moves, to first order, when that user's impressions join the
    test set. The influences sum to zero, so each column's mean is the
    metric exactly; and resampling users resamples the influences, so
    :func:`recsys_course.evidence.paired_bootstrap` over these rows gives each
    metric an interval that treats one user's impressions as one unit.

    - ``logloss``: the user's summed cross-entropy minus LogLoss times their
      impressions, over all impressions;
    - ``uauc`` (:func:`user_weighted_auc`): the user's impressions times
      their own AUC minus the metric, over the impressions of users with both
      labels (0 for a user with one label only);
    - ``auc``: placement values (DeLong et al. 1988) - each positive's share
      of all negatives ranked below it, over the positives, plus each
      negative's share of all positives ranked above it, over the negatives -
      summed over the user's impressions, minus the AUC times the user's
      share of positives and of negatives.
    """
    frame = pd.DataFrame(
        {
            "user": np.asarray(users),
            "label": np.asarray(labels).astype(bool),
            "p": np.clip(np.asarray(probs, dtype=np.float64), eps, 1 - eps),
        }
    )
    y, p = frame["label"].to_numpy(), frame["p"].to_numpy()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("CTR metrics need at least one positive and one negative impression")
    ranks = rankdata(p)  # 1..n, ties share the mean rank
    placement = np.empty(len(p))
    placement[y] = (ranks[y] - rankdata(p[y])) / n_neg / n_pos  # negatives below (ties 1/2)
    placement[~y] = (n_pos - (ranks[~y] - rankdata(p[~y]))) / n_pos / n_neg  # positives above (ties 1/2)
    total_auc = float(placement[y].sum())
    frame["placement"] = placement
    frame["loss"] = -(y * np.log(p) + (~y) * np.log(1 - p))
    frame["pos_rank"] = frame.groupby("user")["p"].rank(method="average").where(frame["label"], 0.0)
    per_user = frame.groupby("user").agg(
        n=("label", "size"),
        pos=("label", "sum"),
        pos_rank=("pos_rank", "sum"),
        placement=("placement", "sum"),
        loss=("loss", "sum"),
    )
    n_users, n, pos = len(per_user), per_user["n"], per_user["pos"]
    both = (pos > 0) & (pos < n)
    own_auc = ((per_user["pos_rank"] - pos * (pos + 1) / 2) / (pos * (n - pos)).where(both, 1.0)).where(
        both, 0.0
    )
    weight = n.where(both, 0)
    total_loss = float(per_user["loss"].sum() / len(frame))
    total_uauc = float((weight * own_auc).sum() / max(weight.sum(), 1))
    influence = {
        "auc": per_user["placement"] - total_auc * (pos / n_pos + (n - pos) / n_neg),
        "uauc": weight * (own_auc - total_uauc) / max(weight.sum(), 1),
        "logloss": (per_user["loss"] - total_loss * n) / len(frame),
    }
    totals = {"auc": total_auc, "uauc": total_uauc, "logloss": total_loss}
    return pd.DataFrame(
        {
            "user": per_user.index.to_numpy(),
            **{k: (totals[k] + n_users * v).to_numpy() for k, v in influence.items()},
        }
    )


def ctr_metrics(users, labels, probs) -> dict:
    """A CTR model's test AUC, user-weighted AUC and LogLoss: the means of :func:`ctr_per_user`'s columns."""
    return ctr_per_user(users, labels, probs)[["auc", "uauc", "logloss"]].mean().to_dict()


def log_loss(labels, probs, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy of predicted probabilities (clipped to [eps, 1-eps])."""
    labels = np.asarray(labels, dtype=np.float64).ravel()
    p = np.clip(np.asarray(probs, dtype=np.float64).ravel(), eps, 1 - eps)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def fit_temperature(labels, logits, bounds=(0.05, 20.0)) -> float:
    """Temperature scaling (Guo et al., ICML 2017): the T > 0 for which ``sigmoid(logits / T)`` has the least LogLoss.

    Fit it on validation rows and divide test logits by it: dividing by a
    positive number keeps every ordering, so AUC is unchanged, while the
    probabilities move towards (T > 1) or away from (T < 1) one half.
    """
    from scipy.optimize import minimize_scalar

    labels = np.asarray(labels, dtype=np.float64).ravel()
    logits = np.asarray(logits, dtype=np.float64).ravel()

    def loss(log_t: float) -> float:
        z = logits / np.exp(log_t)
        return float(np.mean(np.logaddexp(0.0, z) - labels * z))  # cross-entropy of sigmoid(z), stable

    found = minimize_scalar(loss, bounds=np.log(bounds), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(found.x))


def fit_platt(labels, logits) -> tuple[float, float]:
    """Platt scaling (Platt, 1999): the ``(a, b)`` for which ``sigmoid(a * logit + b)`` has the least LogLoss.

    Temperature scaling is the case b = 0 (a = 1 / T). The intercept ``b``
    also moves every probability up or down together, which mends a shift of
    the click rate between the rows it is fitted on and the rows the model
    learned from; with a > 0 every ordering, and so the AUC, is kept.
    """
    from scipy.optimize import minimize

    labels = np.asarray(labels, dtype=np.float64).ravel()
    logits = np.asarray(logits, dtype=np.float64).ravel()

    def loss_and_grad(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = ab[0] * logits + ab[1]
        residual = 1 / (1 + np.exp(-z)) - labels  # d loss / d z of the cross-entropy of sigmoid(z)
        loss = float(np.mean(np.logaddexp(0.0, z) - labels * z))
        return loss, np.array([np.mean(residual * logits), np.mean(residual)])

    # a > 0: a negative scale would reverse the order of the scores
    bounds = [(1e-6, None), (None, None)]
    found = minimize(loss_and_grad, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=bounds)
    return float(found.x[0]), float(found.x[1])


def rmse(targets, predictions) -> float:
    diff = np.asarray(targets, dtype=np.float64) - np.asarray(predictions, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def per_user_means(users, values, n_users: int) -> np.ndarray:
    """The mean of ``values`` over each user's rows, for users 0..n_users-1 (NaN for a user with no rows).

    Turns per-cell results (a correct prediction, a squared error) into the
    per-user numbers :func:`recsys_course.evidence.paired_bootstrap` compares.
    """
    users = np.asarray(users, dtype=np.int64)
    counts = np.bincount(users, minlength=n_users)
    sums = np.bincount(users, weights=np.asarray(values, dtype=np.float64), minlength=n_users)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def rank_of_positive(scores) -> np.ndarray:
    """0-based rank of column 0 (the positive) within each row of ``scores``.

    Ties count against the positive: a model that scores everything equal
    ranks it last, so constant scores cannot look good.
    """
    scores = np.asarray(scores)
    return (scores[:, 1:] >= scores[:, :1]).sum(axis=1)


def hits_at_k(ranks, k: int = 10) -> np.ndarray:
    """Per user: 1.0 if the held-out item is among the top ``k`` (rank < k), else 0.0."""
    return (np.asarray(ranks) < k).astype(np.float64)


def ndcg_gains_at_k(ranks, k: int = 10) -> np.ndarray:
    """Per user, with one relevant item: 1/log2(rank + 2) if rank < k, else 0."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)


def hit_rate_at_k(ranks, k: int = 10) -> float:
    """Share of users whose held-out item is among the top ``k`` (rank < k)."""
    return float(hits_at_k(ranks, k).mean())


def ndcg_at_k(ranks, k: int = 10) -> float:
    """NDCG with one relevant item, averaged over users (see :func:`ndcg_gains_at_k`)."""
    return float(ndcg_gains_at_k(ranks, k).mean())


def ndcg_at_k_graded(gains, scores, k: int = 10) -> float:
    """NDCG@k of one list with graded relevance: the items ordered by ``scores`` (ties keep their order),
    each counting its ``gain`` (>= 0) discounted by log2(position + 1), over the best possible order's."""
    gains, scores = np.asarray(gains, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    if gains.shape != scores.shape or gains.ndim != 1 or (gains < 0).any():
        raise ValueError(f"need one non-negative gain per score; got shapes {gains.shape} and {scores.shape}")
    discount = 1.0 / np.log2(np.arange(2, min(k, len(gains)) + 2))
    ideal = (np.sort(gains)[::-1][: len(discount)] * discount).sum()
    found = (gains[np.argsort(-scores, kind="stable")][: len(discount)] * discount).sum()
    return float(found / ideal) if ideal > 0 else 0.0


def recall_at_k(top_items, relevant: list[set], k: int = 10) -> float:
    """Mean share of each user's relevant items found in the user's top ``k`` list."""
    top_items = np.asarray(top_items)[:, :k]
    shares = [len(set(row.tolist()) & rel) / len(rel) for row, rel in zip(top_items, relevant) if rel]
    return float(np.mean(shares))


def catalogue_ranks(scores, targets, exclude=None) -> np.ndarray:
    """0-based rank of each row's target among *all* items, with ``exclude`` (bool, same shape) left out.

    ``scores`` is [n, n_items]; excluded items (what the user had already
    seen) cannot outrank the target, and the target itself is never
    excluded. Ties count against the target, as in :func:`rank_of_positive`.
    """
    scores = torch.as_tensor(np.asarray(scores), dtype=torch.float32).clone()
    targets = torch.tensor(np.asarray(targets), dtype=torch.long)
    rows = torch.arange(len(targets))
    target_scores = scores[rows, targets].clone()
    if exclude is not None:
        scores[torch.tensor(np.asarray(exclude), dtype=torch.bool)] = -torch.inf
    scores[rows, targets] = -torch.inf  # the target is counted once, below
    return (scores >= target_scores[:, None]).sum(dim=1).numpy()


def catalogue_metrics(ranks, ks=(10, 50, 100), ndcg_k: int = 10) -> pd.DataFrame:
    """Per user, from full-catalogue ranks: Recall@k for each ``k`` and NDCG@``ndcg_k``.

    With one held-out item per user, Recall@k is the hit rate at k.
    """
    ranks = np.asarray(ranks)
    columns = {f"recall@{k}": hits_at_k(ranks, k) for k in ks}
    columns[f"ndcg@{ndcg_k}"] = ndcg_gains_at_k(ranks, ndcg_k)
    return pd.DataFrame(columns)


def sampled_auc_per_user(scores) -> np.ndarray:
    """Per row: the AUC of column 0 (the positive) against the other columns; ties count 1/2.

    With sampled negatives this is a *sampled* AUC: the chance that the
    held-out item outscores one of the user's sampled negatives.
    """
    scores = np.asarray(scores)
    below = (scores[:, 1:] < scores[:, :1]).sum(axis=1)
    ties = (scores[:, 1:] == scores[:, :1]).sum(axis=1)
    return (below + 0.5 * ties) / (scores.shape[1] - 1)


def neighbour_agreement(vectors, labels, k: int = 10) -> float:
    """How often a vector's ``k`` nearest neighbours (cosine) share a label with it.

    ``labels`` is multi-hot [n, n_labels] (e.g. a movie's genres). For each row,
    the share of its k neighbours that have at least one label in common;
    averaged over rows. Compare with the same number for shuffled labels to see
    how much of it is chance.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)  # a vector is not its own neighbour
    neighbours = np.argpartition(-similarity, k, axis=1)[:, :k]  # [n, k]
    shared = (labels[:, None, :] & labels[neighbours]).any(axis=2)  # [n, k]
    return float(shared.mean())
