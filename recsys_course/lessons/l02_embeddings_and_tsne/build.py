"""Lesson 02's build-it steps: an embedding lookup as a one-hot product, and one SGD step on a click by hand.

The learner writes :func:`one_hot_lookup` (a one-hot matrix times the table, which must equal indexing it)
and :func:`sgd_step` (the logistic loss of a dot product, one step for the user's and the item's vectors);
each is run beside the reference below on hidden cases, and the usual mistakes are recognised by name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...build import Builder, function_step


def one_hot_lookup(ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """The rows of ``table`` [n_ids, d] for ``ids`` [batch], as a one-hot [batch, n_ids] matrix times the table."""
    return F.one_hot(ids, num_classes=table.shape[0]).to(table.dtype) @ table


def sgd_step(
    p: torch.Tensor, q: torch.Tensor, clicked: float, lr: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step on the logistic loss of the logit p . q for a label ``clicked`` (1 or 0): the new (p, q).

    The loss -[y log s + (1 - y) log(1 - s)], s = sigmoid(p . q), has gradient (s - y) q for p and (s - y) p
    for q; both vectors step from their old values.
    """
    error = torch.sigmoid(p @ q) - clicked
    return p - lr * error * q, q - lr * error * p


def _no_num_classes(ids, table):
    return F.one_hot(ids).to(table.dtype) @ table


def _integer_one_hot(ids, table):
    return F.one_hot(ids, num_classes=table.shape[0]) @ table


def _transposed(ids, table):
    return table.T @ F.one_hot(ids, num_classes=table.shape[0]).to(table.dtype).T


def _q_from_new_p(p, q, clicked, lr):
    error = torch.sigmoid(p @ q) - clicked
    p = p - lr * error * q
    return p, q - lr * (torch.sigmoid(p @ q) - clicked) * p


def _no_sigmoid(p, q, clicked, lr):
    error = p @ q - clicked
    return p - lr * error * q, q - lr * error * p


def _uphill(p, q, clicked, lr):
    error = torch.sigmoid(p @ q) - clicked
    return p + lr * error * q, q + lr * error * p


def _lookup_cases() -> list:
    generator = torch.Generator().manual_seed(2)
    table = torch.randn(12, 5, generator=generator)
    return [
        ("a batch of ids that includes the last row", dict(args=(torch.tensor([0, 11, 4, 4]), table))),
        ("ids that never reach the last row", dict(args=(torch.tensor([1, 3, 2]), table))),
        ("a single id", dict(args=(torch.tensor([7]), torch.randn(30, 3, generator=generator)))),
    ]


def _step_cases() -> list:
    generator = torch.Generator().manual_seed(3)

    def pair(dim: int):
        return torch.randn(dim, generator=generator), torch.randn(dim, generator=generator)

    return [
        ("a click, d = 4", dict(args=(*pair(4), 1.0, 0.5))),
        ("no click, d = 4", dict(args=(*pair(4), 0.0, 0.5))),
        (
            "a click on a pair the model already likes, d = 8",
            dict(args=(*[v.abs() for v in pair(8)], 1.0, 0.1)),
        ),
        ("no click, a large rate, d = 2", dict(args=(*pair(2), 0.0, 3.0))),
    ]


def steps() -> list:
    return [
        function_step(
            "lookup",
            "one-hot lookup",
            one_hot_lookup,
            _lookup_cases,
            known_mistakes=(
                (
                    "F.one_hot(ids) makes only as many columns as the largest id present: pass num_classes, the "
                    "table's number of rows.",
                    _no_num_classes,
                ),
                (
                    "F.one_hot gives integers: turn the matrix into floats before the product.",
                    _integer_one_hot,
                ),
                (
                    "a batch of rows is one_hot [batch, n_ids] @ table [n_ids, d]: the result is [batch, d].",
                    _transposed,
                ),
            ),
            mistakes=("no num_classes", "an integer one-hot matrix", "the product transposed"),
        ),
        function_step(
            "sgd",
            "SGD step",
            sgd_step,
            _step_cases,
            known_mistakes=(
                (
                    "update q from the *old* p: both gradients are taken before either vector moves.",
                    _q_from_new_p,
                ),
                (
                    "the error is sigmoid(p . q) - y: the loss reads a probability, not the raw logit.",
                    _no_sigmoid,
                ),
                ("a step goes *against* the gradient: subtract lr x gradient.", _uphill),
            ),
            mistakes=("q updated from the new p", "no sigmoid", "a step up the gradient"),
        ),
    ]


def builder() -> Builder:
    return Builder("02", steps())
