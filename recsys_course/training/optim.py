"""Optimizers beyond ``torch.optim``'s defaults: FTRL-Proximal, a joint step, and Adam that spares the biases.

:class:`FTRL` follows McMahan et al. (KDD 2013), Algorithm 1, one coordinate
at a time; its L1 term sets weights to exactly zero, and sparse gradients (an
``nn.Embedding(..., sparse=True)``) update only the rows they touch.
:class:`Joint` steps several optimizers as one: FTRL on the wide part, AdaGrad on the deep.
:func:`adam_with_weight_decay` puts the biases in a parameter group of their own.
"""

from __future__ import annotations

import torch


class FTRL(torch.optim.Optimizer):
    """FTRL-Proximal ("Follow The Regularized Leader") with per-coordinate learning rates.

    Each coordinate keeps two numbers: ``z``, the sum of its gradients
    corrected for how the weight moved, and ``n``, the sum of its squared
    gradients. After every gradient ``g`` (McMahan et al. 2013, Algorithm 1)::

        sigma = (sqrt(n + g^2) - sqrt(n)) / alpha
        z    += g - sigma * w
        n    += g^2
        w     = 0                                                  if |z| <= l1
        w     = -(z - sign(z) * l1) / ((beta + sqrt(n)) / alpha + l2)   otherwise

    so a coordinate whose accumulated evidence ``|z|`` stays below ``l1`` is
    exactly zero - the sparsity that made FTRL the choice for billions of
    wide weights. ``alpha`` and ``beta`` set the per-coordinate learning rate
    ``alpha / (beta + sqrt(n))``, large for rarely seen coordinates; ``l2``
    shrinks the rest. The weight is a function of ``(z, n)``: a parameter's
    starting value enters only its first ``z`` update, so start wide weights
    at zero, as the paper does.

    A sparse gradient updates only the rows it holds; a dense gradient
    updates every coordinate, and a coordinate with a zero gradient keeps
    its ``z`` and ``n``.
    """

    def __init__(self, params, alpha: float = 0.1, beta: float = 1.0, l1: float = 0.0, l2: float = 0.0):
        for name, value, low in (
            ("alpha", alpha, 0.0),
            ("beta", beta, 0.0),
            ("l1", l1, 0.0),
            ("l2", l2, 0.0),
        ):
            if not value >= low or (name == "alpha" and value == 0):
                raise ValueError(f"FTRL needs {name} {'> 0' if name == 'alpha' else '>= 0'}; got {value}")
        super().__init__(params, dict(alpha=alpha, beta=beta, l1=l1, l2=l2))

    @staticmethod
    def _update(w, z, n, g, alpha, beta, l1, l2):
        """One Algorithm-1 step on matching tensors; returns the new (w, z, n)."""
        sigma = (torch.sqrt(n + g * g) - torch.sqrt(n)) / alpha
        z = z + g - sigma * w
        n = n + g * g
        w = -(z - torch.sign(z) * l1) / ((beta + torch.sqrt(n)) / alpha + l2)
        return torch.where(z.abs() <= l1, torch.zeros_like(w), w), z, n

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            hyper = (group["alpha"], group["beta"], group["l1"], group["l2"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["z"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["n"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                z, n = state["z"], state["n"]
                if p.grad.is_sparse:
                    grad = p.grad.coalesce()
                    rows, values = grad.indices()[0], grad.values()
                    w, z_rows, n_rows = self._update(p[rows], z[rows], n[rows], values, *hyper)
                    p.index_copy_(0, rows, w)
                    z.index_copy_(0, rows, z_rows)
                    n.index_copy_(0, rows, n_rows)
                else:
                    w, z_new, n_new = self._update(p, z, n, p.grad, *hyper)
                    p.copy_(w)
                    z.copy_(z_new)
                    n.copy_(n_new)
        return loss


class Joint:
    """Several optimizers, each over its own parameters, used as one by a training loop.

    Wide & Deep's paper trains the wide part with FTRL and the deep part
    with AdaGrad, from the gradients of one joint loss: ``Joint(FTRL(wide),
    Adagrad(deep))`` zeroes and steps both. A parameter may belong to one
    optimizer only. It is not a ``torch.optim.Optimizer``, so a learning-rate
    scheduler cannot drive it; give each part its own if one is needed.
    """

    def __init__(self, *optimizers: torch.optim.Optimizer):
        if not optimizers:
            raise ValueError("Joint needs at least one optimizer")
        seen = set()
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if id(p) in seen:
                        raise ValueError(
                            "a parameter is in two of the joint optimizers; give each part its own"
                        )
                    seen.add(id(p))
        self.optimizers = list(optimizers)

    @property
    def param_groups(self) -> list[dict]:
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for optimizer in self.optimizers:
            optimizer.step()
        return loss

    def state_dict(self) -> list[dict]:
        return [optimizer.state_dict() for optimizer in self.optimizers]

    def load_state_dict(self, states: list[dict]) -> None:
        for optimizer, state in zip(self.optimizers, states, strict=True):
            optimizer.load_state_dict(state)

    def __repr__(self) -> str:
        return "Joint(" + ", ".join(type(o).__name__ for o in self.optimizers) + ")"


def adam_with_weight_decay(
    model: torch.nn.Module, lr: float, weight_decay: float, decay_biases: bool = True
) -> torch.optim.Adam:
    """Adam with L2 weight decay on the weights, and on the biases only if ``decay_biases``.

    Parameter groups let one optimizer treat parameters differently: the
    parameters whose name contains "bias" go into a group of their own,
    with ``weight_decay=0`` unless ``decay_biases``.
    """
    biases = [p for n, p in model.named_parameters() if "bias" in n]
    others = [p for n, p in model.named_parameters() if "bias" not in n]
    return torch.optim.Adam(
        [
            {"params": others, "weight_decay": weight_decay},
            {"params": biases, "weight_decay": weight_decay if decay_biases else 0.0},
        ],
        lr=lr,
    )
