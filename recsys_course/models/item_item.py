"""EASE (Steck, WWW 2019): a linear item-to-item model with a closed-form fit - the strong simple baseline.

Each item's score for a user is a weighted sum of the items the user has interacted with;
the weights ``B`` solve a ridge regression of the user-item matrix on itself with the
diagonal held at zero (an item may not explain itself). No epochs, no negatives, one knob.
"""

from __future__ import annotations

import numpy as np
import torch

from .pairs import PairModel


def ease_weights(interactions: np.ndarray, l2: float) -> np.ndarray:
    """The item-item weights of EASE for a 0/1 user-item matrix ``interactions`` [n_users, n_items].

    ``B = argmin ||X - X B||^2 + l2 ||B||^2`` with ``diag(B) = 0`` has the closed
    form ``B[i, j] = -P[i, j] / P[j, j]`` (off the diagonal), ``P = (X'X + l2 I)^-1``
    (Steck 2019, eq. 8).
    """
    if not l2 > 0:
        raise ValueError(f"EASE needs a positive l2 (the ridge penalty that makes X'X invertible); got {l2}")
    x = np.asarray(interactions, dtype=np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += l2
    precision = np.linalg.inv(gram)
    weights = -precision / np.diag(precision)[None, :]
    weights[np.diag_indices_from(weights)] = 0.0
    return weights


class EASE(PairModel):
    """score(user, item) = sum over the user's items j of B[j, item], with B from :func:`ease_weights`.

    Fitted, not trained: :meth:`fit` computes ``B`` and keeps the score of every
    (user, item) pair of the interactions it was given, so ``forward`` is a lookup.
    """

    def __init__(self, n_users: int, n_items: int, l2: float):
        super().__init__(n_users, n_items)
        self.l2 = float(l2)
        self.register_buffer("weights", torch.zeros(n_items, n_items))
        self.register_buffer("scores", torch.zeros(n_users, n_items))

    @classmethod
    def fit(cls, interactions, l2: float, inputs=None) -> EASE:
        """EASE fitted on a 0/1 ``interactions`` matrix [n_users, n_items] (e.g. an ``InteractionSet``'s table).

        Each user is scored from their row of ``inputs`` (same shape; default:
        ``interactions``) - what the model may know of the user when it scores,
        which can be less than the rows the weights were fitted on.
        """
        x = np.asarray(interactions, dtype=np.float64)
        known = x if inputs is None else np.asarray(inputs, dtype=np.float64)
        if known.shape != x.shape:
            raise ValueError(f"inputs must have the interactions' shape {x.shape}; got {known.shape}")
        model = cls(*x.shape, l2=l2)
        weights = ease_weights(x, l2)
        model.weights.copy_(torch.from_numpy(weights))
        model.scores.copy_(torch.from_numpy(known @ weights))
        return model

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        self.check(users, items)
        return self.scores[users, items]
