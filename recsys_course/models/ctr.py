"""Click-through-rate models over many sparse fields: Wide & Deep (Cheng et al., DLRS 2016) and its halves.

:class:`WideAndDeep` sums a wide linear model over one-hot ids and hashed
crosses with a deep ReLU tower over field embeddings into one logit;
``wide=False`` or ``deep=False`` leaves the deep-only or wide-only model.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import nn

from ..embeddings import MultiFieldEmbedding
from .pairs import mlp_tower


class WideAndDeep(nn.Module):
    """logit = wide(x) + deep(x), trained jointly through one sigmoid.

    **Wide**: a linear model over sparse features. ``wide_size`` ids -
    each field's values and each hashed cross in its own range (see
    :func:`recsys_course.features.offset_fields`) - index a table of one
    weight each, summed per row by an ``nn.EmbeddingBag``: a sparse linear
    layer that never builds the huge one-hot vector. Id ``wide_size`` is
    padding (an absent feature). With ``sparse_wide`` the table's gradient is
    sparse, so FTRL touches only the rows a batch used.

    **Deep**: :class:`~recsys_course.embeddings.MultiFieldEmbedding` over
    ``deep_fields`` (name -> number of ids), flattened, joined by
    ``n_dense`` numeric inputs, through ReLU layers ``hidden`` (the paper:
    three, 1024-512-256) to one output.
    """

    inputs = ("wide", "deep", "dense")     # what it reads from a CTR task's split

    def __init__(self, wide_size: int, deep_fields: Mapping[str, int], *, dim: int = 8,
                 hidden: Sequence[int] = (256, 128, 64), n_dense: int = 0, wide: bool = True, deep: bool = True,
                 sparse_wide: bool = True):
        super().__init__()
        if not (wide or deep):
            raise ValueError("a model needs a wide part, a deep part, or both")
        self.wide_size, self.n_dense, self.hidden = int(wide_size), int(n_dense), tuple(hidden)
        self.wide = self.deep = None
        if wide:
            self.wide = nn.EmbeddingBag(self.wide_size + 1, 1, mode="sum", sparse=sparse_wide,
                                        padding_idx=self.wide_size)
            nn.init.zeros_(self.wide.weight)                 # a linear model starts at "no evidence"
        if deep:
            self.fields = MultiFieldEmbedding(deep_fields, dim)
            width = len(deep_fields) * dim + self.n_dense
            self.deep = nn.Sequential(mlp_tower([width, *self.hidden]), nn.Linear(self.hidden[-1] if self.hidden
                                                                                  else width, 1))
        self.bias = nn.Parameter(torch.zeros(()))

    def wide_logit(self, wide_ids: torch.Tensor) -> torch.Tensor:
        return self.wide(wide_ids).squeeze(-1)

    def deep_logit(self, deep_ids: torch.Tensor, dense: torch.Tensor | None = None) -> torch.Tensor:
        x = self.fields(deep_ids).flatten(start_dim=1)
        if self.n_dense:
            if dense is None or dense.shape[-1] != self.n_dense:
                raise ValueError(f"the deep part expects {self.n_dense} dense inputs per row")
            x = torch.cat([x, dense], dim=1)
        return self.deep(x).squeeze(-1)

    def forward(self, wide_ids: torch.Tensor, deep_ids: torch.Tensor, dense: torch.Tensor | None = None):
        logit = self.bias.expand(len(wide_ids) if wide_ids is not None else len(deep_ids))
        if self.wide is not None:
            logit = logit + self.wide_logit(wide_ids)
        if self.deep is not None:
            logit = logit + self.deep_logit(deep_ids, dense)
        return logit

    def wide_parameters(self) -> list[nn.Parameter]:
        """The wide table (and the bias, when there is a wide part): what the paper trains with FTRL."""
        return [] if self.wide is None else [self.wide.weight, self.bias]

    def deep_parameters(self) -> list[nn.Parameter]:
        """Embeddings and tower (and the bias of a deep-only model): what the paper trains with AdaGrad."""
        if self.deep is None:
            return []
        return list(self.fields.parameters()) + list(self.deep.parameters()) + ([self.bias] if self.wide is None else [])
