"""Deep Interest Network (Zhou et al., KDD 2018): the user's history weighted by its relevance to the candidate.

A *local activation unit* scores each item of the liked history against the
candidate; the history is pooled with those weights (not a softmax: the sum
keeps how much of the history is relevant), and a tower reads it with the
candidate and the other fields. :class:`Dice` is the paper's activation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .embeddings import MultiFieldEmbedding


class Dice(nn.Module):
    """Dice: f(s) = p(s) s + (1 - p(s)) alpha s, with p(s) = sigmoid((s - E[s]) / sqrt(Var[s] + eps)).

    A PReLU whose switch from the ``alpha`` slope to slope 1 is smooth and
    sits at the batch mean of each unit: the mean and variance are the
    batch's in training and running averages at evaluation, as in batch
    normalisation. ``alpha`` is learned per unit, starting at 0.
    """

    def __init__(self, width: int, eps: float = 1e-8):
        super().__init__()
        self.norm = nn.BatchNorm1d(width, eps=eps, affine=False)
        self.alpha = nn.Parameter(torch.zeros(width))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        flat = s.reshape(-1, s.shape[-1])  # [batch (x history), width]
        p = torch.sigmoid(self.norm(flat)).reshape(s.shape)
        return p * s + (1 - p) * self.alpha * s


class PReLU(nn.PReLU):
    """PReLU with one slope per unit of the *last* dimension, for inputs of any rank."""

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return super().forward(s.reshape(-1, s.shape[-1])).reshape(s.shape)


def _tower(sizes: Sequence[int], activation: str) -> nn.Sequential:
    """Linear -> PReLU or Dice for each consecutive pair of ``sizes``, then Linear -> 1."""
    if activation not in ("prelu", "dice"):
        raise ValueError(f"activation must be 'prelu' or 'dice', got {activation!r}")
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), PReLU(fan_out) if activation == "prelu" else Dice(fan_out)]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 1))


class DIN(nn.Module):
    """logit = tower([sum_j a(h_j, c) h_j ; c ; field embeddings ; dense]).

    ``h_j`` are the embeddings of the user's liked items (``history``, padded
    with ``n_items``) and ``c`` that of the candidate (``item``), from one
    shared table. The activation unit ``a`` reads ``[h, c, h - c, h * c]``
    through ``attention_hidden`` layers to one weight per history item; padded
    slots weigh nothing. ``attention=False`` gives the paper's *BaseModel*:
    the history summed with equal weights. ``activation`` is "prelu" or "dice".
    """

    inputs = ("deep", "dense", "history", "item")

    def __init__(
        self,
        n_items: int,
        fields: Mapping[str, int],
        dim: int = 16,
        n_dense: int = 0,
        attention_hidden: Sequence[int] = (64, 32),
        hidden: Sequence[int] = (128, 64),
        activation: str = "prelu",
        attention: bool = True,
    ):
        super().__init__()
        self.n_items, self.n_dense, self.attention = int(n_items), int(n_dense), bool(attention)
        self.items = nn.Embedding(self.n_items + 1, dim, padding_idx=self.n_items)
        nn.init.normal_(self.items.weight, std=0.05)
        with torch.no_grad():
            self.items.weight[self.n_items].zero_()
        self.fields = MultiFieldEmbedding(fields, dim)
        self.unit = _tower([4 * dim, *attention_hidden], activation) if attention else None
        self.tower = _tower([2 * dim + len(fields) * dim + self.n_dense, *hidden], activation)

    def history_weights(self, history: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        """One weight per history slot, ``[batch, length]``: the activation unit's output, 0 on padding."""
        h, c = self.items(history), self.items(item).unsqueeze(1).expand(-1, history.shape[1], -1)
        mask = (history != self.n_items).float()
        if self.unit is None:
            return mask
        return self.unit(torch.cat([h, c, h - c, h * c], dim=-1)).squeeze(-1) * mask

    def forward(
        self, deep_ids: torch.Tensor, dense: torch.Tensor, history: torch.Tensor, item: torch.Tensor
    ) -> torch.Tensor:
        pooled = (self.history_weights(history, item).unsqueeze(-1) * self.items(history)).sum(dim=1)
        parts = [pooled, self.items(item), self.fields(deep_ids).flatten(start_dim=1)]
        if self.n_dense:
            parts.append(dense)
        return self.tower(torch.cat(parts, dim=1)).squeeze(-1)
