"""Embedding tables: the learned dense vectors that replace one-hot ids.

- :class:`IdEmbedding` - one table for one id field (users, or items), with
  Xavier initialisation and an optional padding id whose row stays zero.
- :class:`MultiFieldEmbedding` - one table per categorical field (user id,
  age bucket, occupation, ...), looked up together into ``[batch, fields, dim]``.
- :class:`FeatureSum` - an item described by its features (genres, say): its
  vector is the sum of its features' vectors, so there is no per-item row.

A lookup ``table[id]`` gives exactly the same vector as ``one_hot(id) @ table``,
without ever building the one-hot vector (lesson 02 checks this numerically).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn


class IdEmbedding(nn.Module):
    """A table of ``num_ids`` learned vectors of size ``dim``.

    ``padding_idx`` (optional) names an id that means "nothing here" (e.g. the
    filler in a padded watch history): its row starts at zero and receives no
    gradient, so it stays zero through training.
    """

    def __init__(self, num_ids: int, dim: int, padding_idx: int | None = None):
        super().__init__()
        if num_ids < 1 or dim < 1:
            raise ValueError(f"num_ids and dim must be positive, got {num_ids} and {dim}")
        self.num_ids, self.dim = int(num_ids), int(dim)
        self.table = nn.Embedding(num_ids, dim, padding_idx=padding_idx)
        nn.init.xavier_uniform_(self.table.weight)
        if padding_idx is not None:
            with torch.no_grad():
                self.table.weight[padding_idx].zero_()

    @property
    def weight(self) -> torch.Tensor:
        return self.table.weight

    @property
    def padding_idx(self) -> int | None:
        return self.table.padding_idx

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.num_ids):
            raise IndexError(
                f"ids must lie in [0, {self.num_ids}) but range over [{int(ids.min())}, {int(ids.max())}]"
            )
        return self.table(ids)


class MultiFieldEmbedding(nn.Module):
    """One :class:`IdEmbedding` per categorical field, all of the same ``dim``.

    ``fields`` maps a field name to its number of distinct values, e.g.
    ``{"user": 943, "age_bucket": 7, "occupation": 21}``. ``forward`` takes a
    LongTensor ``[batch, n_fields]`` whose columns follow that order and
    returns ``[batch, n_fields, dim]`` - the input that FM, DeepFM and the
    deep part of Wide & Deep all start from.
    """

    def __init__(self, fields: Mapping[str, int], dim: int):
        super().__init__()
        if not fields:
            raise ValueError("fields must name at least one field")
        self.field_names = list(fields)
        self.dim = int(dim)
        self.tables = nn.ModuleDict({name: IdEmbedding(size, dim) for name, size in fields.items()})

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dim() != 2 or ids.shape[1] != len(self.field_names):
            raise ValueError(
                f"expected ids of shape [batch, {len(self.field_names)}] (fields {self.field_names}), "
                f"got {tuple(ids.shape)}"
            )
        return torch.stack([self.tables[name](ids[:, k]) for k, name in enumerate(self.field_names)], dim=1)


class FeatureSum(nn.Module):
    """Vectors of items described by features: ``vector(item) = features[item] @ table``.

    ``features`` is a fixed multi-hot matrix ``[n_items, n_features]`` (a
    movie's genres, say). The model learns one vector per *feature*, and an
    item's vector is the sum of the vectors of the features it has: items with
    the same features are indistinguishable. It answers like an
    ``nn.Embedding`` over item ids (``forward(ids)``, ``weight``,
    ``embedding_dim``), so any pair model can use it in place of one.
    """

    def __init__(self, features, dim: int, init_std: float = 0.1):
        super().__init__()
        features = torch.as_tensor(np.asarray(features), dtype=torch.float32)
        if features.dim() != 2 or features.shape[0] < 1 or features.shape[1] < 1:
            raise ValueError(
                f"features must be a 2-D [n_items, n_features] matrix, got shape {tuple(features.shape)}"
            )
        self.register_buffer("features", features)
        self.num_embeddings, self.embedding_dim = features.shape[0], int(dim)
        self.table = nn.Parameter(torch.randn(features.shape[1], dim) * init_std)

    @property
    def weight(self) -> torch.Tensor:
        """The vector of every item, ``[n_items, dim]`` (computed, not stored)."""
        return self.features @ self.table

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.features[ids] @ self.table
