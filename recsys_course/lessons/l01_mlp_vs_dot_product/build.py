"""Lesson 01's build-it steps: the three pair scorers and a training loop, checked against the course's own.

The learner writes ``Additive``, ``MF`` and a one-hidden-layer ``MLP`` as ``nn.Module``s with the parameter
names the scaffold gives, then a training loop; each is run beside :mod:`recsys_course.models` (and
:func:`train_loop`) on hidden cases, and the usual mistakes below are recognised by name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...build import Builder, loop_step, module_step, randomised
from ...models import MF, MLP, Additive


class OneHiddenLayerMLP(MLP):
    """The course's MLP with one hidden layer: ``OneHiddenLayerMLP(n_users, n_items, dim, hidden)``."""

    def __init__(self, n_users: int, n_items: int, dim: int, hidden: int):
        super().__init__(n_users, n_items, dim=dim, layers=(hidden,))


def train_loop(model, users, items, labels, *, epochs: int, lr: float, batch_size: int):
    """The loop the lesson asks for: Adam, batches in the order given, binary cross-entropy on the logits."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            u, i, y = (
                users[start : start + batch_size],
                items[start : start + batch_size],
                labels[start : start + batch_size],
            )
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(u, i), y)
            loss.backward()
            optimizer.step()
    return model


# Known mistakes: each is the reference with one thing wrong, so a learner's code that matches it is named.
class _AdditiveNoGlobalBias(Additive):
    def forward(self, users, items):
        return self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1)


class _AdditiveColumn(Additive):
    def forward(self, users, items):
        return self.bias + self.user_bias(users) + self.item_bias(items)


class _AdditiveProbability(Additive):
    def forward(self, users, items):
        return torch.sigmoid(super().forward(users, items))


class _MFNoBiases(MF):
    def forward(self, users, items):
        return (self.user_emb(users) * self.item_emb(items)).sum(-1)


class _MFUnsummed(MF):
    def forward(self, users, items):
        return Additive.forward(self, users, items)[:, None] + self.user_emb(users) * self.item_emb(items)


class _MFProbability(MF):
    def forward(self, users, items):
        return torch.sigmoid(super().forward(users, items))


class _MLPNoReLU(OneHiddenLayerMLP):
    def forward(self, users, items):
        return self.head(self.tower[0](torch.cat([self.user_emb(users), self.item_emb(items)], -1))).squeeze(
            -1
        )


class _MLPItemFirst(OneHiddenLayerMLP):
    def forward(self, users, items):
        return self.head(self.tower(torch.cat([self.item_emb(items), self.user_emb(users)], -1))).squeeze(-1)


class _MLPColumn(OneHiddenLayerMLP):
    def forward(self, users, items):
        return self.head(self.features(users, items))


class _MLPProbability(OneHiddenLayerMLP):
    def forward(self, users, items):
        return torch.sigmoid(super().forward(users, items))


PROBABILITY = "return the logit itself, not a sigmoid of it: the loss applies the sigmoid."
COLUMN = "return one logit per pair, shape [batch]: squeeze the last dimension (.squeeze(-1))."


def _pairs(n_users: int, n_items: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(n_users, (n,), generator=generator), torch.randint(
        n_items, (n,), generator=generator
    )


def _scorer_cases(*extra) -> list:
    every_item = (torch.full((9,), 2), torch.arange(9))
    return [
        (
            "a batch of 16 pairs (7 users, 9 items)",
            dict(args=(7, 9, *extra), inputs=_pairs(7, 9, 16, 1), seed=1),
        ),
        ("a single pair", dict(args=(7, 9, *extra), inputs=_pairs(7, 9, 1, 2), seed=2)),
        ("one user against every item", dict(args=(7, 9, *extra), inputs=every_item, seed=3)),
        ("a batch with repeated users", dict(args=(3, 40, *extra), inputs=_pairs(3, 40, 30, 4), seed=4)),
    ]


def _loop_cases() -> list:
    def case(seed: int, n: int, epochs: int, batch_size: int, model):
        generator = torch.Generator().manual_seed(seed)
        users, items = (
            torch.randint(6, (n,), generator=generator),
            torch.randint(5, (n,), generator=generator),
        )
        labels = torch.randint(2, (n,), generator=generator).float()
        return dict(
            model=lambda: randomised(model(), seed),
            data=(users, items, labels),
            settings=dict(epochs=epochs, lr=0.05, batch_size=batch_size),
        )

    return [
        ("MF, two epochs of three batches", case(1, 24, 2, 8, lambda: MF(6, 5, dim=2))),
        (
            "the MLP, one epoch with a short last batch",
            case(2, 20, 1, 8, lambda: OneHiddenLayerMLP(6, 5, 2, 4)),
        ),
        ("the additive model, three epochs", case(3, 12, 3, 4, lambda: Additive(6, 5))),
    ]


def _no_zero_grad(model, users, items, labels, *, epochs, lr, batch_size):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            rows = slice(start, start + batch_size)
            F.binary_cross_entropy_with_logits(model(users[rows], items[rows]), labels[rows]).backward()
            optimizer.step()


def _one_step_per_epoch(model, users, items, labels, *, epochs, lr, batch_size):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(model(users, items), labels).backward()
        optimizer.step()


def _squared_error(model, users, items, labels, *, epochs, lr, batch_size):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            rows = slice(start, start + batch_size)
            optimizer.zero_grad()
            F.mse_loss(torch.sigmoid(model(users[rows], items[rows])), labels[rows]).backward()
            optimizer.step()


def _summed_loss(model, users, items, labels, *, epochs, lr, batch_size):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            rows = slice(start, start + batch_size)
            optimizer.zero_grad()
            scores = model(users[rows], items[rows])
            F.binary_cross_entropy_with_logits(scores, labels[rows], reduction="sum").backward()
            optimizer.step()


def _optimizer_per_step(model, users, items, labels, *, epochs, lr, batch_size):
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            rows = slice(start, start + batch_size)
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(model(users[rows], items[rows]), labels[rows]).backward()
            optimizer.step()


def _plain_sgd(model, users, items, labels, *, epochs, lr, batch_size):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        for start in range(0, len(labels), batch_size):
            rows = slice(start, start + batch_size)
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(model(users[rows], items[rows]), labels[rows]).backward()
            optimizer.step()


def steps() -> list:
    return [
        module_step(
            "additive",
            "additive scorer",
            Additive,
            lambda: _scorer_cases(),
            known_mistakes=(
                (
                    "the score has a global bias b as well as the two id biases: b + b_u + c_i.",
                    _AdditiveNoGlobalBias,
                ),
                (COLUMN, _AdditiveColumn),
                (PROBABILITY, _AdditiveProbability),
            ),
            mistakes=("leaving out the global bias", "returning [batch, 1]", "returning a probability"),
        ),
        module_step(
            "mf",
            "dot-product scorer",
            MF,
            lambda: _scorer_cases(3),
            known_mistakes=(
                ("MF keeps the additive model's three biases and adds the dot product to them.", _MFNoBiases),
                ("a dot product sums the coordinate-by-coordinate products: .sum(-1).", _MFUnsummed),
                (PROBABILITY, _MFProbability),
            ),
            mistakes=("leaving out the biases", "not summing the product", "returning a probability"),
        ),
        module_step(
            "mlp",
            "MLP scorer",
            OneHiddenLayerMLP,
            lambda: _scorer_cases(3, 5),
            known_mistakes=(
                ("the hidden layer needs its ReLU: without it the tower is one linear map.", _MLPNoReLU),
                ("concatenate the user's vector first: [p_u ; q_i].", _MLPItemFirst),
                (COLUMN, _MLPColumn),
                (PROBABILITY, _MLPProbability),
            ),
            mistakes=(
                "no ReLU",
                "concatenating item before user",
                "returning [batch, 1]",
                "returning a probability",
            ),
        ),
        loop_step(
            "loop",
            "training loop",
            train_loop,
            _loop_cases,
            known_mistakes=(
                (
                    "call optimizer.zero_grad() before each backward(): otherwise gradients add up step after step.",
                    _no_zero_grad,
                ),
                (
                    "take one step per batch of batch_size rows, in the order given - not one per epoch.",
                    _one_step_per_epoch,
                ),
                (
                    "the loss is binary cross-entropy on the logits: F.binary_cross_entropy_with_logits.",
                    _squared_error,
                ),
                (
                    "take the mean of the batch's losses (the default reduction), not their sum: a sum weighs "
                    "a short last batch differently.",
                    _summed_loss,
                ),
                (
                    "create the optimizer once, before the loop: Adam keeps running averages from step to step.",
                    _optimizer_per_step,
                ),
                ("use torch.optim.Adam, as the scaffold says; plain SGD takes different steps.", _plain_sgd),
            ),
            mistakes=(
                "no zero_grad",
                "one step per epoch",
                "squared error",
                "a summed loss",
                "a new optimizer",
                "SGD",
            ),
        ),
    ]


def builder() -> Builder:
    return Builder("01", steps())
