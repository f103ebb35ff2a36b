"""DCN-V2, the Deep & Cross Network (Wang et al., WWW 2021): explicit feature crosses learned layer by layer.

Each cross layer multiplies the input vector x0 element-wise by a linear map of the
previous layer, x_{l+1} = x0 * (W_l x_l + b_l) + x_l, so layer l holds crosses up to
degree l + 1 with no hand-made cross features; a ReLU tower runs beside it on the same x0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .ctr import FM
from .pairs import mlp_tower


class CrossLayer(nn.Module):
    """x_{l+1} = x0 * (W x_l + b) + x_l, with a full-rank ``width`` x ``width`` matrix W (DCN-V2's cross layer)."""

    def __init__(self, width: int):
        super().__init__()
        self.linear = nn.Linear(width, width)

    def forward(self, x0: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return x0 * self.linear(x) + x


class DCN(FM):
    """logit = w . [cross(x0) ; tower(x0)] + b: DCN-V2's parallel structure over the fields' vectors.

    x0 is the same input FM and DeepFM read - every field's vector, each
    dense number times its vector and, with ``history_items``, the mean
    vector of the liked history - flattened. DCN-V2 has no FM part, so FM's
    first-order weights are removed: the cross network's residual path
    carries x0 itself to the output layer. ``dropout`` follows each hidden
    layer of the tower.
    """

    def __init__(
        self,
        fields: Mapping[str, int],
        dim: int = 16,
        n_dense: int = 0,
        hidden: Sequence[int] = (256, 128, 64),
        cross_layers: int = 3,
        dropout: float = 0.0,
        init_std: float = 0.01,
        history_items: int | None = None,
    ):
        super().__init__(fields, dim, n_dense, init_std, history_items)
        del self.weights, self.history_weights, self.dense_weights, self.bias  # FM's linear part
        width = self.n_features * dim
        self.hidden = tuple(hidden)
        self.cross = nn.ModuleList(CrossLayer(width) for _ in range(cross_layers))
        self.tower = mlp_tower([width, *self.hidden], dropout)
        self.out = nn.Linear(width + (self.hidden[-1] if self.hidden else width), 1)

    def forward(
        self, deep_ids: torch.Tensor, dense: torch.Tensor | None = None, history: torch.Tensor | None = None
    ) -> torch.Tensor:
        x0 = self.vectors(deep_ids, dense, history).flatten(start_dim=1)
        x = x0
        for layer in self.cross:
            x = layer(x0, x)
        return self.out(torch.cat([x, self.tower(x0)], dim=1)).squeeze(-1)
