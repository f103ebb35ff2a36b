"""YouTube DNN's ranking stage (Covington et al. 2016, section 4): a deeper tower trained by weighted LR.

:class:`RankingTower` scores (user, candidate) impressions from ids and dense
features; :func:`weighted_bce` is the loss - positives weighted by engagement,
negatives by 1 - whose odds estimate the expected watch time of an impression.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .embeddings import MultiFieldEmbedding


class RankingTower(nn.Module):
    """Candidate id, user demographics and dense pair features -> ReLU layers -> one logit.

    ``user_fields`` maps demographic names to sizes (as for the candidate
    tower); ``n_dense`` is the width of the dense features (see
    :class:`recsys_course.tasks.ranker_impressions.RankingFeatures`), whose *last* column
    is a prior logit - the candidate tower's score. The output is the
    tower's logit plus a learned multiple of that prior: the ranker refines
    the candidate stage's order instead of learning it again from a few
    thousand impressions. Its last layer starts at zero, so before training
    it ranks exactly as the candidate stage. ``hidden`` lists the ReLU layers.
    """

    def __init__(
        self,
        n_items: int,
        user_fields: Mapping[str, int],
        n_dense: int,
        *,
        dim: int = 16,
        hidden: Sequence[int] = (128, 64, 32),
    ):
        super().__init__()
        self.hidden = tuple(int(h) for h in hidden)
        self.items = nn.Embedding(n_items, dim)
        nn.init.normal_(self.items.weight, std=0.05)
        self.fields = MultiFieldEmbedding(user_fields, dim)
        width, layers = dim * (1 + len(user_fields)) + n_dense, []
        for size in self.hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, 1))
        # untrained, the tower adds nothing: the ranking starts as the prior's
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.tower = nn.Sequential(*layers)
        self.n_dense = int(n_dense)
        self.prior_weight = nn.Parameter(torch.tensor(0.1))  # small: the prior logit is not a calibrated one

    def forward(self, items: torch.Tensor, user_features: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.items(items), self.fields(user_features).flatten(start_dim=1), dense], dim=1)
        return self.tower(x).squeeze(-1) + self.prior_weight * dense[:, -1]


def weighted_bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Weighted logistic regression: ``target`` is [batch, 2] = (label, weight).

    Each row's binary cross-entropy is multiplied by its weight. With positives
    weighted by watch time ``T`` and negatives by 1, the learned odds
    ``exp(logit)`` of an impression approach ``sum T / (N - k)`` - the
    expected watch time per impression divided by ``1 - P(click)``, which is
    about ``E[T]`` when clicks are rare (the paper's section 4.2).
    """
    if target.dim() != 2 or target.shape[1] != 2:
        raise ValueError(f"target must be [batch, 2] (label, weight); got {tuple(target.shape)}")
    labels, weights = target[:, 0], target[:, 1]
    losses = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    return (weights * losses).sum() / weights.sum()
