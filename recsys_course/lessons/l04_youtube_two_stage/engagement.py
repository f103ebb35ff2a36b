"""What weighted logistic regression learns, and what it does to a ranking, on simulated logs whose truth is known.

:func:`group_logits` fits one logit per context (the closed form, checked); :func:`feature_watch_log` shows
kinds of videos to kinds of users, and :func:`fit_additive` fits plain or weighted LR with one weight per user
kind and per video kind, so it must generalise to pairs it never saw; :func:`ranking_gain` scores its ranking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ...evaluation.metrics import ndcg_at_k_graded
from ...models import weighted_bce
from ...training import fit

INTERACTION = 0.3  # standard deviation of the pair effects no additive model can learn
MAX_BIAS = (
    0.15  # the odds claim holds where odds / E[T] - 1 stays below this (the derivation: about P / (1 - P))
)


def fit_to_convergence(model: nn.Module, inputs: torch.Tensor, target: torch.Tensor, loss_fn=weighted_bce):
    """``model`` fitted on the whole of ``inputs`` at once by L-BFGS, in one step of
    :func:`~recsys_course.training.fit`, until the gradient vanishes: for the small convex models here."""
    optimizer = torch.optim.LBFGS(
        model.parameters(),
        max_iter=500,
        tolerance_grad=1e-12,
        tolerance_change=1e-14,
        line_search_fn="strong_wolfe",
    )
    fit(model, [(inputs, target)], epochs=1, optimizer=optimizer, loss_fn=loss_fn, progress=False)
    return model


class GroupLogits(nn.Module):
    """One learned logit per group, starting at 0 (float64): ``forward(groups)`` looks each row's up."""

    def __init__(self, n_groups: int):
        super().__init__()
        self.logit = nn.Parameter(torch.zeros(n_groups, dtype=torch.float64))

    def forward(self, groups: torch.Tensor) -> torch.Tensor:
        return self.logit[groups]


def group_logits(groups, labels, weights, n_groups: int) -> np.ndarray:
    """Logistic regression with one logit per group, fitted to convergence by L-BFGS on
    :func:`~recsys_course.models.weighted_bce`, in one step of :func:`~recsys_course.training.fit`.

    The simplest model weighted LR can be checked with: on a log where each
    impression belongs to a group (a context), the fitted ``exp(logit)`` of a
    group is its weighted odds, ``sum of positive weights / sum of negative
    weights``. Returns the ``n_groups`` logits as a NumPy array.
    """
    groups = torch.tensor(np.asarray(groups), dtype=torch.long)  # copies: pandas arrays may be read-only
    # float64: a loss averaged over millions of rows loses a rare group's gradient in float32 rounding
    target = torch.stack(
        [
            torch.tensor(np.asarray(labels), dtype=torch.float64),
            torch.tensor(np.asarray(weights), dtype=torch.float64),
        ],
        dim=1,
    )
    return fit_to_convergence(GroupLogits(n_groups), groups, target).logit.detach().numpy()


@dataclass
class FeatureLog:
    """An impression log summed per (user kind, video kind) pair: ``impressions``, ``clicks`` and the
    ``minutes`` watched after those clicks; ``truth`` holds each pair's click rate, mean watch time per
    click and expected watch time per impression, and whether the pair was ever shown."""

    log: pd.DataFrame
    truth: pd.DataFrame
    n_users: int
    n_videos: int


def feature_watch_log(
    n_impressions: int = 2_000_000,
    n_users: int = 10,
    n_videos: int = 24,
    *,
    held_out: float = 0.25,
    interaction: float = INTERACTION,
    seed: int = 0,
) -> FeatureLog:
    """A log where a user kind ``u`` is shown a video kind ``v``; ``held_out`` of each user kind's video kinds
    are never shown to it.

    The click rate is sigmoid(-3 + a_u + b_v + e_uv) (about 1-15%) and a click
    is watched for an exponential time with mean exp(log 5 + c_u + d_v + f_uv)
    minutes, with all effects drawn independently: which videos are clicked most
    and which are watched longest disagree, as they do in practice. The pair
    effects e_uv and f_uv (standard deviation ``interaction``) are what no model
    with one weight per user kind and per video kind can learn, so on unseen
    pairs such a model is wrong by about that much. The log is
    drawn already summed per pair (binomial clicks, gamma-distributed sums of
    exponential watch times), which is what logistic regression on these two
    features needs.
    """
    if not 0 <= held_out < 1:
        raise ValueError(f"held_out must lie in [0, 1); got {held_out}")
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, 0.4, n_users), rng.normal(0, 0.6, n_videos)
    c, d = rng.normal(0, 0.3, n_users), rng.normal(0, 0.8, n_videos)
    user, video = (
        grid.ravel() for grid in np.meshgrid(np.arange(n_users), np.arange(n_videos), indexing="ij")
    )
    e, f = rng.normal(0, interaction, len(user)), rng.normal(0, interaction, len(user))
    p_click = 1 / (1 + np.exp(-(-3.0 + a[user] + b[video] + e)))
    mean_watch = np.exp(np.log(5.0) + c[user] + d[video] + f)
    hidden_per_user = int(round(held_out * n_videos))
    shown = np.ones(len(user), dtype=bool)
    for u in range(n_users):
        shown[u * n_videos + rng.choice(n_videos, size=hidden_per_user, replace=False)] = False
    impressions = np.zeros(len(user), dtype=np.int64)
    impressions[shown] = rng.multinomial(n_impressions, np.full(shown.sum(), 1 / shown.sum()))
    clicks = rng.binomial(impressions, p_click)
    minutes = np.where(clicks > 0, rng.gamma(np.maximum(clicks, 1), mean_watch), 0.0)
    log = pd.DataFrame(
        {"user": user, "video": video, "impressions": impressions, "clicks": clicks, "minutes": minutes}
    )
    truth = pd.DataFrame(
        {
            "user": user,
            "video": video,
            "p_click": p_click,
            "mean_watch_if_clicked": mean_watch,
            "expected_watch": p_click * mean_watch,
            "shown": shown,
        }
    )
    return FeatureLog(log[shown].reset_index(drop=True), truth, n_users, n_videos)


class AdditiveLogit(nn.Module):
    """logit = bias + w_user[u] + w_video[v]: logistic regression on one-hot user and video kinds (float64)."""

    def __init__(self, n_users: int, n_videos: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.user = nn.Parameter(torch.zeros(n_users, dtype=torch.float64))
        self.video = nn.Parameter(torch.zeros(n_videos, dtype=torch.float64))

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return self.bias + self.user[pairs[:, 0]] + self.video[pairs[:, 1]]


def fit_additive(data: FeatureLog, *, weighted: bool, l2: float = 1e-6) -> AdditiveLogit:
    """Plain or weighted LR on the summed log, fitted to convergence by L-BFGS.

    Each pair enters as two rows: its clicks as positives (weight: the minutes
    watched when ``weighted``, else the number of clicks) and its unclicked
    impressions as negatives (weight: their number) - the same loss as one row
    per impression, up to a constant factor. A tiny ridge penalty ``l2`` pins
    the direction the two one-hot groups share with the bias.
    """
    log = data.log
    pairs = torch.tensor(np.concatenate([log[["user", "video"]].to_numpy()] * 2), dtype=torch.long)
    positive = log["minutes"] if weighted else log["clicks"]
    labels = np.r_[np.ones(len(log)), np.zeros(len(log))]
    weights = np.r_[
        positive.to_numpy(dtype=float), (log["impressions"] - log["clicks"]).to_numpy(dtype=float)
    ]
    target = torch.tensor(np.stack([labels, weights / weights.mean()], axis=1), dtype=torch.float64)
    model = AdditiveLogit(data.n_users, data.n_videos)

    def loss_fn(logits, y):
        return weighted_bce(logits, y) + l2 * (model.user.square().sum() + model.video.square().sum())

    return fit_to_convergence(model, pairs, target, loss_fn)


@torch.no_grad()
def pair_logits(model: AdditiveLogit, truth: pd.DataFrame) -> np.ndarray:
    """The model's logit for every (user kind, video kind) pair of ``truth``."""
    return model(torch.tensor(truth[["user", "video"]].to_numpy(), dtype=torch.long)).numpy()


def ranking_gain(truth: pd.DataFrame, scores: np.ndarray, k: int = 3) -> float:
    """Mean over user kinds of NDCG@``k`` of the video kinds never shown to them, ranked by ``scores``, with
    each one's expected watch time per impression as its gain: how much watch time the ranking finds
    among pairs the model had to generalise to."""
    hidden = truth.assign(score=scores)[~truth["shown"]]
    return float(
        np.mean(
            [
                ndcg_at_k_graded(group["expected_watch"].to_numpy(), group["score"].to_numpy(), k)
                for _, group in hidden.groupby("user")
            ]
        )
    )


def compare_on_logs(seeds, k: int = 3, **log_options) -> pd.DataFrame:
    """Per simulated log (one per seed), on the pairs never shown: NDCG@``k`` by expected watch time of plain
    and of weighted LR, and of ranking by the true click rate and by the true expected watch time; weighted
    LR's odds over the true expected watch time (their geometric mean - 1: the bias the derivation predicts,
    apart from each pair's own error; and the mean absolute log ratio: that error), and the mean click rate."""
    rows = []
    for seed in seeds:
        data = feature_watch_log(seed=seed, **log_options)
        truth = data.truth
        weighted = pair_logits(fit_additive(data, weighted=True), truth)
        unseen = ~truth["shown"].to_numpy()
        log_ratio = weighted[unseen] - np.log(truth["expected_watch"].to_numpy()[unseen])  # log(odds / E[T])
        rows.append(
            {
                "seed": seed,
                "plain LR": ranking_gain(truth, pair_logits(fit_additive(data, weighted=False), truth), k),
                "weighted LR": ranking_gain(truth, weighted, k),
                "true click rate": ranking_gain(truth, truth["p_click"].to_numpy(), k),
                "true expected watch": ranking_gain(truth, truth["expected_watch"].to_numpy(), k),
                "odds / E[T] - 1": float(np.expm1(log_ratio.mean())),  # geometric mean over the pairs
                "|log(odds / E[T])|": float(np.abs(log_ratio).mean()),
                "click rate": float(truth["p_click"].to_numpy()[unseen].mean()),
            }
        )
    return pd.DataFrame(rows)
