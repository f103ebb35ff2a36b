"""Pair scorers: small ``nn.Module``s that give one logit per (user, item) pair.

Every model's ``forward(users, items)`` takes two LongTensors of ids and
returns one logit per pair (apply a sigmoid for a probability). Items are
ids by default; given ``item_features`` (a multi-hot matrix), an item is the
sum of its features' vectors instead (:class:`~recsys_course.models.embeddings.FeatureSum`).

- :class:`Popularity` - the baseline every model must beat: score = how often
  the item appears in the training data, the same for every user.
- :class:`Additive` - global bias + user bias + item bias: logistic regression
  on one-hot user and one-hot item. No interaction at all.
- :class:`MF` - matrix factorisation: the dot product of a user and an item
  vector, plus the biases. The interaction is multiplicative and fixed.
- :class:`MLP` - an MLP over the concatenated user and item embeddings
  (NCF's MLP path): the interaction is learned.
- :class:`GMF` and :class:`NeuMF` - He et al. (2017)'s generalised MF and its
  fusion with the MLP, with separate or shared embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .embeddings import FeatureSum


def check_ids(ids: torch.Tensor, n: int, what: str) -> None:
    """Raise a clear error for ids outside [0, n) instead of an opaque index error."""
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= n):
        raise IndexError(
            f"{what} ids must lie in [0, {n}) but range over [{int(ids.min())}, {int(ids.max())}]. "
            f"Map ids to contiguous 0-based indices (load_movielens does) and size the model "
            f"with the dataset's n_users/n_items."
        )


class PairModel(nn.Module):
    """Base class: remembers the id ranges, validates inputs and builds the embedding tables."""

    inputs = ("user", "item")  # what it reads from a CTR task's split (lessons 05-06)

    def __init__(self, n_users: int, n_items: int, item_features=None):
        super().__init__()
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.item_features = None if item_features is None else np.asarray(item_features, dtype=np.float32)
        if self.item_features is not None and self.item_features.shape[0] != self.n_items:
            raise ValueError(f"item_features has {self.item_features.shape[0]} rows for {self.n_items} items")

    def check(self, users: torch.Tensor, items: torch.Tensor) -> None:
        check_ids(users, self.n_users, "user")
        check_ids(items, self.n_items, "item")

    def add_embeddings(self, dim: int, init_std: float) -> None:
        """Create ``user_emb`` and ``item_emb`` tables of size ``dim``, initialised N(0, init_std^2)."""
        self.user_emb = nn.Embedding(self.n_users, dim)
        nn.init.normal_(self.user_emb.weight, std=init_std)
        self.item_emb = self.item_table(dim, init_std)

    def item_table(self, dim: int, init_std: float) -> nn.Module:
        """Item vectors of size ``dim``: one row per item id, or a :class:`FeatureSum` over item features."""
        if self.item_features is not None:
            return FeatureSum(self.item_features, dim, init_std)
        table = nn.Embedding(self.n_items, dim)
        nn.init.normal_(table.weight, std=init_std)
        return table


class Popularity(PairModel):
    """score = log(1 + training count of the item): no learning, no personalisation."""

    def __init__(self, n_users: int, item_counts):
        counts = torch.tensor(np.asarray(item_counts), dtype=torch.float32)
        super().__init__(n_users, len(counts))
        self.register_buffer("log_counts", torch.log1p(counts))

    @classmethod
    def from_interactions(cls, frame, n_users: int, n_items: int) -> Popularity:
        return cls(n_users, np.bincount(frame["item"].to_numpy(), minlength=n_items))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        self.check(users, items)
        return self.log_counts[items]


class Additive(PairModel):
    """logit = b + b_user + b_item. Logistic regression on one-hot ids."""

    def __init__(self, n_users: int, n_items: int, item_features=None):
        super().__init__(n_users, n_items, item_features)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = self.item_table(1, init_std=0.0)
        self.bias = nn.Parameter(torch.zeros(1))
        nn.init.zeros_(self.user_bias.weight)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        self.check(users, items)
        return self.bias + self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1)


class MF(Additive):
    """logit = b + b_user + b_item + <p_user, q_item>: a plain dot product, with biases."""

    def __init__(self, n_users: int, n_items: int, dim: int = 32, init_std: float = 0.1, item_features=None):
        super().__init__(n_users, n_items, item_features)
        self.add_embeddings(dim, init_std)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        biases = super().forward(users, items)  # checks the ids before any embedding lookup
        return biases + (self.user_emb(users) * self.item_emb(items)).sum(-1)


def mlp_tower(sizes: Sequence[int], dropout: float = 0.0) -> nn.Sequential:
    """Linear -> ReLU (-> Dropout) for each consecutive pair in ``sizes``."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class MLP(PairModel):
    """logit = w . tower([p_user ; q_item]) + b: the interaction is learned by ReLU layers."""

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int = 32,
        layers: Sequence[int] = (64, 32, 16),
        dropout: float = 0.0,
        init_std: float = 0.1,
        item_features=None,
    ):
        super().__init__(n_users, n_items, item_features)
        self.add_embeddings(dim, init_std)
        self.tower = mlp_tower([2 * dim, *layers], dropout)
        self.head = nn.Linear(layers[-1] if layers else 2 * dim, 1)

    def features(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """The last hidden layer (NeuMF concatenates it with GMF's product)."""
        self.check(users, items)
        return self.tower(torch.cat([self.user_emb(users), self.item_emb(items)], dim=-1))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(users, items)).squeeze(-1)


class GMF(PairModel):
    """Generalised MF (NCF): logit = h . (p_user * q_item) + b, the product weighted per dimension.

    With h fixed to all ones and b = 0 this is a plain dot product; learning h
    lets some factors count more than others.
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 8, init_std: float = 0.01):
        super().__init__(n_users, n_items)
        self.add_embeddings(dim, init_std)
        self.head = nn.Linear(dim, 1)

    def features(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """The element-wise product (NeuMF concatenates it with the MLP's last layer)."""
        self.check(users, items)
        return self.user_emb(users) * self.item_emb(items)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(users, items)).squeeze(-1)


class NeuMF(PairModel):
    """NeuMF (He et al. 2017): a GMF path and an MLP path with *separate* embeddings,
    their last layers concatenated into one sigmoid head.

    ``factors`` is the GMF embedding size; ``mlp_layers`` the MLP tower, whose
    input is the concatenation of two embeddings of ``mlp_layers[0] // 2``.

    ``shared_embeddings=True`` builds the variant the paper argues against
    (section 3.4): both paths read one user and one item table, of the MLP's
    size ``mlp_layers[0] // 2``, so the GMF product has that size too and
    ``factors`` is ignored. The MLP path is unchanged.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        factors: int = 8,
        mlp_layers: Sequence[int] = (32, 16, 8),
        dropout: float = 0.0,
        shared_embeddings: bool = False,
    ):
        super().__init__(n_users, n_items)
        if mlp_layers[0] % 2:
            raise ValueError("mlp_layers[0] must be even: it is the concatenation of two embeddings")
        self.shared_embeddings = bool(shared_embeddings)
        mlp_dim = mlp_layers[0] // 2
        self.mlp = MLP(n_users, n_items, dim=mlp_dim, layers=mlp_layers[1:], dropout=dropout, init_std=0.01)
        self.gmf = GMF(n_users, n_items, dim=mlp_dim if shared_embeddings else factors)
        if shared_embeddings:  # one table per side, read by both paths
            self.gmf.user_emb, self.gmf.item_emb = self.mlp.user_emb, self.mlp.item_emb
        self.head = nn.Linear(self.gmf.user_emb.embedding_dim + mlp_layers[-1], 1)
        del self.gmf.head, self.mlp.head  # NeuMF has one head over both paths

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        joint = torch.cat([self.gmf.features(users, items), self.mlp.features(users, items)], dim=-1)
        return self.head(joint).squeeze(-1)

    @classmethod
    def from_pretrained(cls, gmf: GMF, mlp: MLP, alpha: float = 0.5) -> NeuMF:
        """Initialise from trained GMF and MLP models (NCF section 3.4.1).

        Embeddings and tower weights are copied; the head is
        ``[alpha * h_gmf, (1 - alpha) * h_mlp]`` with bias
        ``alpha * b_gmf + (1 - alpha) * b_mlp``, so at initialisation the
        fused logit equals ``alpha * gmf_logit + (1 - alpha) * mlp_logit``.
        """
        if (gmf.n_users, gmf.n_items) != (mlp.n_users, mlp.n_items):
            raise ValueError("GMF and MLP must be trained on the same users and items")
        layer_sizes = [mlp.user_emb.embedding_dim * 2] + [
            m.out_features for m in mlp.tower if isinstance(m, nn.Linear)
        ]
        model = cls(gmf.n_users, gmf.n_items, factors=gmf.user_emb.embedding_dim, mlp_layers=layer_sizes)
        model.gmf.load_state_dict({k: v for k, v in gmf.state_dict().items() if not k.startswith("head")})
        model.mlp.load_state_dict({k: v for k, v in mlp.state_dict().items() if not k.startswith("head")})
        with torch.no_grad():
            model.head.weight.copy_(
                torch.cat([alpha * gmf.head.weight, (1 - alpha) * mlp.head.weight], dim=1)
            )
            model.head.bias.copy_(alpha * gmf.head.bias + (1 - alpha) * mlp.head.bias)
        return model
