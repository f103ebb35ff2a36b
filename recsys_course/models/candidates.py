"""YouTube DNN's candidate generator (Covington et al. 2016) and the softmax losses it is trained with.

:class:`CandidateTower` turns a watch history and demographics into a unit
user vector scored against a table of unit item vectors; :class:`SoftmaxLoss`
trains it as next-item classification - full, sampled, or in-batch softmax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .embeddings import MultiFieldEmbedding

POOLS = ("mean", "last", "none")


class CandidateTower(nn.Module):
    """History and demographics -> ReLU layers -> an L2-normalised user vector.

    ``pool`` says how the history becomes one vector: ``"mean"`` (the masked
    mean of its item embeddings, the paper's choice), ``"last"`` (the latest
    item only) or ``"none"`` (no history: a learned vector per user id,
    which needs ``n_users``). Demographic ids (``user_fields``, name -> size)
    get ``field_dim``-sized embeddings, concatenated to the pooled history.
    ``hidden`` lists the ReLU layers; a last linear layer maps to ``dim``.
    With ``hidden=()`` the tower is linear - the paper's "no hidden layer".

    The score of item ``j`` is ``cos(user, item_j) / temperature``: both sides
    are unit vectors, so an inner-product index (faiss) finds the top items.
    The output item table is separate from the history embeddings, as in the
    paper; :meth:`item_vectors` gives it normalised.
    """

    def __init__(
        self,
        n_items: int,
        user_fields: Mapping[str, int],
        *,
        dim: int = 64,
        hidden: Sequence[int] = (256, 128),
        pool: str = "mean",
        n_users: int | None = None,
        field_dim: int = 8,
        temperature: float = 0.05,
    ):
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        if pool == "none" and not n_users:
            raise ValueError("pool='none' represents each user by an id vector: pass n_users")
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.n_items, self.pad, self.dim, self.pool = int(n_items), int(n_items), int(dim), pool
        self.hidden, self.temperature = tuple(int(h) for h in hidden), float(temperature)
        if pool == "none":
            self.user_ids = nn.Embedding(n_users, dim)
            nn.init.normal_(self.user_ids.weight, std=0.1)
        else:
            self.history = nn.Embedding(n_items + 1, dim, padding_idx=n_items)
            nn.init.normal_(self.history.weight, std=0.1)
        self.fields = MultiFieldEmbedding(user_fields, field_dim)
        width, layers = dim + len(user_fields) * field_dim, []
        for size in self.hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, dim))
        self.tower = nn.Sequential(*layers)
        self.items = nn.Embedding(n_items, dim)
        nn.init.normal_(self.items.weight, std=0.1)

    def pooled_history(self, users: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        """[batch, dim]: the history as one vector (see ``pool``); padding never counts."""
        if self.pool == "none":
            return self.user_ids(users)
        mask = (history != self.pad).unsqueeze(-1).float()  # [batch, L, 1]
        if self.pool == "last":  # column 0 is the latest item
            return self.history(history[:, 0]) * mask[:, 0]
        summed = (self.history(history) * mask).sum(dim=1)
        return summed / mask.sum(dim=1).clamp(min=1.0)

    def forward(
        self, users: torch.Tensor, history: torch.Tensor, user_features: torch.Tensor
    ) -> torch.Tensor:
        """Unit user vectors [batch, dim]."""
        demographics = self.fields(user_features).flatten(start_dim=1)
        x = torch.cat([self.pooled_history(users, history), demographics], dim=1)
        return F.normalize(self.tower(x), dim=1)

    def item_vectors(self) -> torch.Tensor:
        """Unit item vectors [n_items, dim]: what the retrieval index holds."""
        return F.normalize(self.items.weight, dim=1)

    @torch.no_grad()
    def catalogue_scores(self, users, history, user_features, batch_size: int = 4096) -> np.ndarray:
        """Scores of every item for each example, [n, n_items] (numpy), in eval mode."""
        items = self.item_vectors().cpu()
        out = [
            torch.from_numpy(
                self.user_vectors(
                    users[s : s + batch_size], history[s : s + batch_size], user_features[s : s + batch_size]
                )
            )
            @ items.T
            / self.temperature
            for s in range(0, len(users), batch_size)
        ]
        return torch.cat(out).numpy()

    @torch.no_grad()
    def user_vectors(self, users, history, user_features) -> np.ndarray:
        """Unit user vectors (numpy) for a batch of examples: the queries sent to the index."""
        device = self.items.weight.device
        was_training = self.training
        self.eval()
        arrays = [
            torch.tensor(np.asarray(a), dtype=torch.long).to(device) for a in (users, history, user_features)
        ]
        vectors = self(*arrays).cpu().numpy()
        self.train(was_training)
        return vectors


class SoftmaxLoss:
    """Next-item cross-entropy for a :class:`CandidateTower`, as ``loss_fn(user_vectors, targets)``.

    ``kind``:

    - ``"full"``: a softmax over every item - exact, and affordable for a
      catalogue of thousands;
    - ``"sampled"``: the target against ``n_samples`` items drawn (shared by
      the batch) from ``probs`` (uniform when ``None``);
    - ``"in-batch"``: each example's target against the other examples'
      targets (Yi et al., RecSys 2019), so the negatives follow popularity.

    With ``logq=True`` every logit of item ``j`` is lowered by ``log q_j``, the
    log-probability that ``j`` appears as a sampled (or in-batch) item; this
    corrects the bias towards popular items that popularity-shaped negatives
    bring. ``probs`` gives ``q``: the sampling distribution for ``"sampled"``,
    each item's share of training targets for ``"in-batch"``. A sample that
    equals the target (an "accidental hit") is masked out; so is a repeated
    target in the batch. ``samples=`` fixes the sampled items (for tests).
    """

    KINDS = ("full", "sampled", "in-batch")

    def __init__(
        self,
        model: CandidateTower,
        kind: str = "full",
        *,
        n_samples: int = 256,
        probs=None,
        logq: bool = False,
        seed: int = 0,
        samples=None,
    ):
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, got {kind!r}")
        if logq and probs is None:
            raise ValueError("the logQ correction needs probs: the chance of each item being sampled")
        self.model, self.kind, self.n_samples, self.logq = model, kind, int(n_samples), bool(logq)
        self.probs = None if probs is None else torch.as_tensor(np.asarray(probs), dtype=torch.float32)
        self.generator = torch.Generator().manual_seed(seed)
        self.samples = None if samples is None else torch.as_tensor(np.asarray(samples), dtype=torch.long)

    def _log_q(self, items: torch.Tensor) -> torch.Tensor:
        return torch.log(self.probs[items.cpu()].clamp(min=1e-12)).to(items.device)

    def _draw(self) -> torch.Tensor:
        if self.samples is not None:
            return self.samples
        if self.probs is None:
            return torch.randint(0, self.model.n_items, (self.n_samples,), generator=self.generator)
        return torch.multinomial(self.probs, self.n_samples, replacement=True, generator=self.generator)

    def logits(self, user_vectors: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits, labels)`` for :func:`torch.nn.functional.cross_entropy`."""
        # rows are gathered with F.embedding, whose backward pass is deterministic on the CPU
        # (indexing's scatter-add of repeated ids is not, and in-batch targets repeat)
        items = self.model.item_vectors()
        temperature = self.model.temperature
        if self.kind == "full":
            return user_vectors @ items.T / temperature, targets
        if self.kind == "in-batch":
            # [B, B]: column j = row j's target
            logits = user_vectors @ F.embedding(targets, items).T / temperature
            if self.logq:
                logits = logits - self._log_q(targets)[None, :]
            repeated = (targets[:, None] == targets[None, :]) & ~torch.eye(
                len(targets), dtype=torch.bool, device=targets.device
            )
            return logits.masked_fill(repeated, -torch.inf), torch.arange(len(targets), device=targets.device)
        sampled = self._draw().to(targets.device)
        positive = (user_vectors * F.embedding(targets, items)).sum(dim=1, keepdim=True) / temperature
        negative = user_vectors @ F.embedding(sampled, items).T / temperature  # [B, n_samples]
        if self.logq:
            positive = positive - self._log_q(targets)[:, None]
            negative = negative - self._log_q(sampled)[None, :]
        negative = negative.masked_fill(sampled[None, :] == targets[:, None], -torch.inf)
        labels = torch.zeros(len(targets), dtype=torch.long, device=targets.device)
        return torch.cat([positive, negative], dim=1), labels

    def __call__(self, user_vectors: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits, labels = self.logits(user_vectors, targets)
        return F.cross_entropy(logits, labels)
