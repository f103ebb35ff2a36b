"""Click-through-rate models over many sparse fields: Wide & Deep, factorization machines and DeepFM.

:class:`WideAndDeep` (Cheng et al., DLRS 2016) sums a wide linear model over
one-hot ids and hashed crosses with a deep ReLU tower over field embeddings;
:class:`FM` (Rendle, ICDM 2010) adds every pairwise dot product of the
features' vectors; :class:`DeepFM` (Guo et al., IJCAI 2017) puts a deep tower
on the same vectors. Each reads the inputs it names in ``inputs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .embeddings import MultiFieldEmbedding
from .pairs import mlp_tower


class WideAndDeep(nn.Module):
    """logit = wide(x) + deep(x), trained jointly through one sigmoid.

    **Wide**: a linear model over sparse features. ``wide_size`` ids -
    each field's values and each hashed cross in its own range (a CTR task's
    ``wide_fields``, :class:`recsys_course.tasks.ctr.CTRTask`) - index a table of one
    weight each, summed per row by an ``nn.EmbeddingBag``: a sparse linear
    layer that never builds the huge one-hot vector. Id ``wide_size`` is
    padding (an absent feature). With ``sparse_wide`` the table's gradient is
    sparse, so FTRL touches only the rows a batch used.

    **Deep**: :class:`~recsys_course.models.embeddings.MultiFieldEmbedding` over
    ``deep_fields`` (name -> number of ids), flattened, joined by
    ``n_dense`` numeric inputs and - with ``history_items`` - the mean
    embedding of a padded list of item ids (the user's liked movies, as the
    paper's deep part embedded the user's installed apps; id
    ``history_items`` pads), through ReLU layers ``hidden`` (the paper:
    three, 1024-512-256) to one output.

    The bias belongs to the wide part when there is one (as in a linear
    model), so FTRL trains it too.
    """

    def __init__(
        self,
        wide_size: int,
        deep_fields: Mapping[str, int],
        *,
        dim: int = 8,
        hidden: Sequence[int] = (256, 128, 64),
        n_dense: int = 0,
        history_items: int | None = None,
        wide: bool = True,
        deep: bool = True,
        sparse_wide: bool = True,
    ):
        super().__init__()
        if not (wide or deep):
            raise ValueError("a model needs a wide part, a deep part, or both")
        self.wide_size, self.n_dense, self.hidden = int(wide_size), int(n_dense), tuple(hidden)
        self.wide = self.deep = self.history = None
        # what it reads from a CTR task's split
        self.inputs = ("wide", "deep", "dense") + (("history",) if deep and history_items is not None else ())
        if wide:
            self.wide = nn.EmbeddingBag(
                self.wide_size + 1, 1, mode="sum", sparse=sparse_wide, padding_idx=self.wide_size
            )
            nn.init.zeros_(self.wide.weight)  # a linear model starts at "no evidence"
        if deep:
            self.fields = MultiFieldEmbedding(deep_fields, dim)
            width = len(deep_fields) * dim + self.n_dense
            if history_items is not None:
                self.history = nn.EmbeddingBag(history_items + 1, dim, mode="mean", padding_idx=history_items)
                width += dim
            self.deep = nn.Sequential(
                mlp_tower([width, *self.hidden]), nn.Linear(self.hidden[-1] if self.hidden else width, 1)
            )
        self.bias = nn.Parameter(torch.zeros(()))

    def wide_logit(self, wide_ids: torch.Tensor) -> torch.Tensor:
        return self.wide(wide_ids).squeeze(-1)

    def deep_logit(
        self, deep_ids: torch.Tensor, dense: torch.Tensor | None = None, history: torch.Tensor | None = None
    ) -> torch.Tensor:
        parts = [self.fields(deep_ids).flatten(start_dim=1)]
        if self.n_dense:
            if dense is None or dense.shape[-1] != self.n_dense:
                raise ValueError(f"the deep part expects {self.n_dense} dense inputs per row")
            parts.append(dense)
        if self.history is not None:
            if history is None:
                raise ValueError("the deep part expects a history of item ids per row")
            parts.append(self.history(history))  # padding is left out of the mean; none at all gives 0
        return self.deep(torch.cat(parts, dim=1)).squeeze(-1)

    def forward(
        self,
        wide_ids: torch.Tensor,
        deep_ids: torch.Tensor,
        dense: torch.Tensor | None = None,
        history: torch.Tensor | None = None,
    ):
        logit = self.bias.expand(len(wide_ids) if wide_ids is not None else len(deep_ids))
        if self.wide is not None:
            logit = logit + self.wide_logit(wide_ids)
        if self.deep is not None:
            logit = logit + self.deep_logit(deep_ids, dense, history)
        return logit

    def wide_parameters(self) -> list[nn.Parameter]:
        """The wide table (and the bias, when there is a wide part): what the paper trains with FTRL."""
        return [] if self.wide is None else [self.wide.weight, self.bias]

    def deep_parameters(self) -> list[nn.Parameter]:
        """Embeddings and tower (and the bias of a deep-only model): what the paper trains with AdaGrad."""
        if self.deep is None:
            return []
        history = list(self.history.parameters()) if self.history is not None else []
        return (
            list(self.fields.parameters())
            + history
            + list(self.deep.parameters())
            + ([self.bias] if self.wide is None else [])
        )


class FM(nn.Module):
    """A factorization machine: logit = b + sum_i w_i x_i + sum_{i<j} <v_i, v_j> x_i x_j.

    The features are one id per field (``fields``: name -> number of ids;
    x = 1 for the id present) and ``n_dense`` numbers (x = the value, e.g. a
    genre flag). Every feature has a weight ``w_i`` and a vector ``v_i``. The
    pairwise sum over n features costs O(k n), not O(k n^2), by Rendle's
    identity: sum_{i<j} <v_i x_i, v_j x_j> = 1/2 (|sum_i v_i x_i|^2 - sum_i |v_i x_i|^2).

    With ``history_items`` the user's liked movies (a padded list of item ids,
    padding ``history_items``) make one more field, pooled as Wide & Deep's
    deep part pools them: its vector is the mean of the liked movies' vectors
    and its weight the mean of their weights (no history at all gives 0).
    """

    def __init__(
        self,
        fields: Mapping[str, int],
        dim: int = 16,
        n_dense: int = 0,
        init_std: float = 0.01,
        history_items: int | None = None,
    ):
        super().__init__()
        self.n_dense = int(n_dense)
        self.fields = MultiFieldEmbedding(fields, dim)
        self.weights = MultiFieldEmbedding(fields, 1)
        tables = [*self.fields.tables.values(), *self.weights.tables.values()]
        self.history = self.history_weights = None
        if history_items is not None:
            pad = int(history_items)
            self.history = nn.EmbeddingBag(pad + 1, dim, mode="mean", padding_idx=pad)
            self.history_weights = nn.EmbeddingBag(pad + 1, 1, mode="mean", padding_idx=pad)
            tables += [self.history, self.history_weights]
        for table in tables:
            nn.init.normal_(table.weight, std=init_std)
            if getattr(table, "padding_idx", None) is not None:
                with torch.no_grad():
                    table.weight[table.padding_idx].zero_()
        self.dense_vectors = nn.Parameter(torch.randn(self.n_dense, dim) * init_std)
        self.dense_weights = nn.Parameter(torch.zeros(self.n_dense))
        self.bias = nn.Parameter(torch.zeros(()))
        # what it reads from a CTR task's split
        self.inputs = ("deep", "dense") + (("history",) if self.history is not None else ())

    @property
    def n_features(self) -> int:
        """How many vectors :meth:`vectors` returns per row: fields, dense numbers and the pooled history."""
        return len(self.fields.tables) + self.n_dense + (self.history is not None)

    def _history(self, history: torch.Tensor | None) -> torch.Tensor:
        if history is None:
            raise ValueError("the model reads the liked history: pass a padded [batch, L] tensor of item ids")
        return history

    def vectors(
        self, deep_ids: torch.Tensor, dense: torch.Tensor | None = None, history: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Every feature's vector times its value, ``[batch, n_features, dim]``."""
        v = self.fields(deep_ids)
        if self.n_dense:
            if dense is None or dense.shape[-1] != self.n_dense:
                raise ValueError(f"the model expects {self.n_dense} dense inputs per row")
            v = torch.cat([v, dense.unsqueeze(-1) * self.dense_vectors], dim=1)
        if self.history is not None:
            v = torch.cat([v, self.history(self._history(history)).unsqueeze(1)], dim=1)
        return v

    def linear(
        self, deep_ids: torch.Tensor, dense: torch.Tensor | None = None, history: torch.Tensor | None = None
    ) -> torch.Tensor:
        out = self.bias + self.weights(deep_ids).sum(dim=(1, 2))
        if self.n_dense:
            out = out + dense @ self.dense_weights
        if self.history_weights is not None:
            out = out + self.history_weights(self._history(history)).squeeze(-1)
        return out

    @staticmethod
    def pairwise(v: torch.Tensor) -> torch.Tensor:
        """sum_{i<j} <v_i, v_j> for ``v`` of shape [batch, n, dim], in O(n dim)."""
        return 0.5 * (v.sum(dim=1).pow(2) - v.pow(2).sum(dim=1)).sum(dim=-1)

    def forward(
        self, deep_ids: torch.Tensor, dense: torch.Tensor | None = None, history: torch.Tensor | None = None
    ) -> torch.Tensor:
        v = self.vectors(deep_ids, dense, history)  # checks the inputs first
        return self.linear(deep_ids, dense, history) + self.pairwise(v)


class DeepFM(FM):
    """An FM and a ReLU tower over the *same* feature vectors, their logits summed (Guo et al. 2017).

    The FM part models pairwise interactions explicitly; the tower, reading
    the flattened vectors, learns higher-order ones. ``dropout`` follows
    every hidden layer.
    """

    def __init__(
        self,
        fields: Mapping[str, int],
        dim: int = 16,
        n_dense: int = 0,
        hidden: Sequence[int] = (256, 128, 64),
        dropout: float = 0.0,
        init_std: float = 0.01,
        history_items: int | None = None,
    ):
        super().__init__(fields, dim, n_dense, init_std, history_items)
        width = self.n_features * dim
        self.hidden = tuple(hidden)
        self.tower = nn.Sequential(
            mlp_tower([width, *self.hidden], dropout), nn.Linear(self.hidden[-1] if self.hidden else width, 1)
        )

    def forward(
        self, deep_ids: torch.Tensor, dense: torch.Tensor | None = None, history: torch.Tensor | None = None
    ) -> torch.Tensor:
        v = self.vectors(deep_ids, dense, history)
        return (
            self.linear(deep_ids, dense, history)
            + self.pairwise(v)
            + self.tower(v.flatten(start_dim=1)).squeeze(-1)
        )
