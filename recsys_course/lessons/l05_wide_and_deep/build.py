"""Lesson 05's build-it steps: a hashed cross's collision rate, one FTRL-Proximal update, Wide & Deep as an
``nn.Module``, and one joint training step with the paper's two optimisers.

The learner measures how often a hashed cross merges distinct pairs, writes one per-coordinate step of McMahan
et al.'s Algorithm 1, a model with the parts of a :class:`~recsys_course.models.WideAndDeep` (logit = bias +
wide + deep) and the step that trains it (FTRL on the wide part, AdaGrad on the deep part, from one loss); each
runs beside the course's own on hidden cases.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ...build import Builder, function_step, module_step, update_step
from ...models import WideAndDeep
from ...tasks.features import collision_rate, cross
from ...training.optim import FTRL


class WideDeep(WideAndDeep):
    """The course's model as the lesson's scaffold makes it: ``WideDeep(wide_size, deep_fields, dim, hidden,
    n_dense, history_items)``, both parts, the wide table's gradient sparse."""

    def __init__(self, wide_size: int, deep_fields, dim: int, hidden, n_dense: int, history_items: int):
        super().__init__(
            wide_size,
            deep_fields,
            dim=dim,
            hidden=hidden,
            n_dense=n_dense,
            history_items=history_items,
        )


def wide_deep_logit(model: WideAndDeep, wide_ids, deep_ids, dense, history) -> torch.Tensor:
    """bias + the wide part's sum of weights + the deep part's output, one logit per row; the deep part reads
    [field embeddings, flattened ; numbers ; mean embedding of the history]."""
    wide = model.wide(wide_ids).squeeze(-1)
    deep_input = torch.cat(
        [model.fields(deep_ids).flatten(start_dim=1), dense, model.history(history)], dim=1
    )
    return model.bias + wide + model.deep(deep_input).squeeze(-1)


def train_step(model, wide_optimizer, deep_optimizer, wide_ids, deep_ids, dense, history, labels) -> float:
    """One joint step: both optimisers zeroed, binary cross-entropy of the one logit, backward, both stepped;
    returns the batch's loss."""
    wide_optimizer.zero_grad()
    deep_optimizer.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(wide_ids, deep_ids, dense, history), labels)
    loss.backward()
    wide_optimizer.step()
    deep_optimizer.step()
    return loss.item()


def paper_optimizers(model, alpha: float = 0.2, l1: float = 0.01, lr: float = 0.05) -> tuple:
    """FTRL-Proximal with L1 on the wide table and the bias, AdaGrad on everything else: the paper's pair."""
    wide = [model.wide.weight, model.bias]
    deep = [p for name, p in model.named_parameters() if name not in ("wide.weight", "bias")]
    return FTRL(wide, alpha=alpha, beta=1.0, l1=l1), torch.optim.Adagrad(deep, lr=lr)


def ftrl_update(w, z, n, g, alpha: float, beta: float, l1: float, l2: float):
    """One FTRL-Proximal step per coordinate (McMahan et al. 2013, Algorithm 1): the new (w, z, n)."""
    return FTRL._update(w, z, n, g, alpha, beta, l1, l2)


# Known mistakes.
def _rows_not_pairs(a, b, buckets):
    hashed = cross(a, b, buckets)
    _, inverse, counts = np.unique(hashed, return_inverse=True, return_counts=True)
    return float((counts[inverse] > 1).mean())


def _buckets_used(a, b, buckets):
    pairs = np.unique(np.stack([np.asarray(a), np.asarray(b)], axis=1), axis=0)
    return 1.0 - len(np.unique(cross(pairs[:, 0], pairs[:, 1], buckets))) / len(pairs)


def _model_with(logit):
    """The course's model with ``logit`` in place of its forward: a known mistake in the learner's module."""
    return type(logit.__name__, (WideDeep,), {"forward": logit})


@_model_with
def _no_bias(model, wide_ids, deep_ids, dense, history):
    return wide_deep_logit(model, wide_ids, deep_ids, dense, history) - model.bias


@_model_with
def _deep_only(model, wide_ids, deep_ids, dense, history):
    return wide_deep_logit(model, wide_ids, deep_ids, dense, history) - model.wide(wide_ids).squeeze(-1)


@_model_with
def _dense_first(model, wide_ids, deep_ids, dense, history):
    deep_input = torch.cat(
        [dense, model.fields(deep_ids).flatten(start_dim=1), model.history(history)], dim=1
    )
    return model.bias + model.wide(wide_ids).squeeze(-1) + model.deep(deep_input).squeeze(-1)


@_model_with
def _no_history(model, wide_ids, deep_ids, dense, history):
    deep_input = torch.cat([model.fields(deep_ids).flatten(start_dim=1), dense], dim=1)
    return model.bias + model.wide(wide_ids).squeeze(-1) + model.deep(deep_input).squeeze(-1)


@_model_with
def _wide_unsqueezed(model, wide_ids, deep_ids, dense, history):
    deep_input = torch.cat(
        [model.fields(deep_ids).flatten(start_dim=1), dense, model.history(history)], dim=1
    )
    return model.bias + model.wide(wide_ids) + model.deep(deep_input).squeeze(-1)


def _two_optimisers(zeroed=(True, True), stepped=(True, True), logits=lambda x: x):
    def step(model, wide_optimizer, deep_optimizer, wide_ids, deep_ids, dense, history, labels):
        for optimizer, zero in zip((wide_optimizer, deep_optimizer), zeroed):
            if zero:
                optimizer.zero_grad()
        logit = logits(model(wide_ids, deep_ids, dense, history))
        loss = F.binary_cross_entropy_with_logits(logit, labels)
        loss.backward()
        for optimizer, move in zip((wide_optimizer, deep_optimizer), stepped):
            if move:
                optimizer.step()
        return loss.item()

    return step


_deep_never_stepped = _two_optimisers(stepped=(True, False))
_wide_never_stepped = _two_optimisers(stepped=(False, True))
_wide_never_zeroed = _two_optimisers(zeroed=(False, True))
_probabilities_as_logits = _two_optimisers(logits=torch.sigmoid)


def _sigma_from_new_n(w, z, n, g, alpha, beta, l1, l2):
    n = n + g * g
    sigma = (torch.sqrt(n + g * g) - torch.sqrt(n)) / alpha
    z = z + g - sigma * w
    w = -(z - torch.sign(z) * l1) / ((beta + torch.sqrt(n)) / alpha + l2)
    return torch.where(z.abs() <= l1, torch.zeros_like(w), w), z, n


def _no_difference(w, z, n, g, alpha, beta, l1, l2):
    sigma = torch.sqrt(n + g * g) / alpha
    z, n = z + g - sigma * w, n + g * g
    w = -(z - torch.sign(z) * l1) / ((beta + torch.sqrt(n)) / alpha + l2)
    return torch.where(z.abs() <= l1, torch.zeros_like(w), w), z, n


def _old_n(w, z, n, g, alpha, beta, l1, l2):
    sigma = (torch.sqrt(n + g * g) - torch.sqrt(n)) / alpha
    z = z + g - sigma * w
    w = -(z - torch.sign(z) * l1) / ((beta + torch.sqrt(n)) / alpha + l2)
    return torch.where(z.abs() <= l1, torch.zeros_like(w), w), z, n + g * g


def _no_zeroing(w, z, n, g, alpha, beta, l1, l2):
    sigma = (torch.sqrt(n + g * g) - torch.sqrt(n)) / alpha
    z, n = z + g - sigma * w, n + g * g
    return -(z - torch.sign(z) * l1) / ((beta + torch.sqrt(n)) / alpha + l2), z, n


def _plus_sign(w, z, n, g, alpha, beta, l1, l2):
    new_w, z, n = ftrl_update(w, z, n, g, alpha, beta, l1, l2)
    return -new_w, z, n


def _cross_cases() -> list:
    rng = np.random.default_rng(4)
    return [
        (
            "2,000 rows of 40 x 30 ids into 512 buckets",
            dict(args=(rng.integers(40, size=2000), rng.integers(30, size=2000), 512)),
        ),
        ("every pair seen once, 100 buckets", dict(args=(*np.divmod(np.arange(300), 20), 100))),
        ("few pairs, many buckets", dict(args=(rng.integers(3, size=50), rng.integers(3, size=50), 10_000))),
    ]


def _wide_deep_cases() -> list:
    generator = torch.Generator().manual_seed(5)

    def case(seed, rows, fields, n_dense, hidden):
        wide_ids = torch.randint(31, (rows, 4), generator=generator)  # id 30 pads
        deep_ids = torch.stack(
            [torch.randint(size, (rows,), generator=generator) for size in fields.values()], 1
        )
        history = torch.randint(16, (rows, 5), generator=generator)  # id 15 pads
        dense = torch.randn(rows, n_dense, generator=generator)
        return dict(
            args=(30, fields, 3, hidden, n_dense, 15), seed=seed, inputs=(wide_ids, deep_ids, dense, history)
        )

    return [
        ("5 rows, two fields, two numbers, layers 8-4", case(1, 5, {"user": 6, "movie": 9}, 2, (8, 4))),
        ("one row, three fields, one number, one layer", case(2, 1, {"a": 3, "b": 4, "c": 5}, 1, (6,))),
        ("9 rows, one field, three numbers", case(3, 9, {"movie": 12}, 3, (5, 5))),
    ]


def _train_cases() -> list:
    def case(seed, batches, rows):
        generator = torch.Generator().manual_seed(seed)

        def model():
            torch.manual_seed(seed)
            return WideDeep(30, {"user": 6, "movie": 9}, 3, (8,), 2, 15)

        def batch():
            wide_ids = torch.randint(31, (rows, 4), generator=generator)
            deep_ids = torch.stack(
                [
                    torch.randint(6, (rows,), generator=generator),
                    torch.randint(9, (rows,), generator=generator),
                ],
                1,
            )
            history = torch.randint(16, (rows, 5), generator=generator)
            dense = torch.randn(rows, 2, generator=generator)
            labels = (torch.rand(rows, generator=generator) < 0.4).float()
            return wide_ids, deep_ids, dense, history, labels

        return dict(model=model, optimizers=paper_optimizers, batches=[batch() for _ in range(batches)])

    return [("three batches of 8", case(1, 3, 8)), ("two batches of 5", case(2, 2, 5))]


def _ftrl_cases() -> list:
    generator = torch.Generator().manual_seed(6)

    def case(size, l1, l2, fresh=False):
        z = torch.zeros(size) if fresh else torch.randn(size, generator=generator) * 3
        n = torch.zeros(size) if fresh else torch.rand(size, generator=generator) * 4
        w, g = torch.randn(size, generator=generator), torch.randn(size, generator=generator)
        return dict(args=(w, z, n, g, 0.1, 1.0, l1, l2))

    return [
        ("ten coordinates with some history, L1 1", case(10, 1.0, 0.0)),
        ("a coordinate's first gradient (z = n = 0), no L1", case(6, 0.0, 0.0, fresh=True)),
        ("strong L1 and some L2", case(12, 2.5, 0.5)),
    ]


def steps() -> list:
    return [
        function_step(
            "collisions",
            "collision rate",
            collision_rate,
            _cross_cases,
            known_mistakes=(
                (
                    "count distinct (a, b) pairs, not rows: a pair seen twice does not collide with itself.",
                    _rows_not_pairs,
                ),
                (
                    "a colliding pair is one whose bucket also holds another distinct pair; the share of "
                    "buckets lost is another number.",
                    _buckets_used,
                ),
            ),
            mistakes=("counting rows", "counting buckets lost"),
        ),
        function_step(
            "ftrl",
            "FTRL update",
            ftrl_update,
            _ftrl_cases,
            known_mistakes=(
                (
                    "sigma reads n as it was *before* this gradient: (sqrt(n + g^2) - sqrt(n)) / alpha, then n += g^2.",
                    _sigma_from_new_n,
                ),
                (
                    "sigma is the *change* in the per-coordinate rate: (sqrt(n + g^2) - sqrt(n)) / alpha.",
                    _no_difference,
                ),
                ("compute the weight from the updated n (n + g^2), as Algorithm 1 does.", _old_n),
                (
                    "a coordinate with |z| <= l1 has weight exactly 0: that is where FTRL's sparsity comes from.",
                    _no_zeroing,
                ),
                (
                    "the weight has the opposite sign of z - sign(z) l1: w = -(z - sign(z) l1) / (...).",
                    _plus_sign,
                ),
            ),
            mistakes=(
                "sigma from the new n",
                "sigma without the difference",
                "the old n",
                "no zeroing",
                "the sign",
            ),
        ),
        module_step(
            "wide_deep",
            "Wide & Deep model",
            WideDeep,
            _wide_deep_cases,
            known_mistakes=(
                ("add the bias: logit = b + wide + deep.", _no_bias),
                (
                    "self.wide(wide_ids) is [batch, 1]: squeeze it to [batch] before adding, or it broadcasts "
                    "to [batch, batch].",
                    _wide_unsqueezed,
                ),
                ("the wide part's weights count too: self.wide(wide_ids) sums them per row.", _deep_only),
                (
                    "the deep part reads [field embeddings, flattened ; numbers ; history], in that order.",
                    _dense_first,
                ),
                (
                    "the deep part also reads the liked history: self.history(history), its mean embedding.",
                    _no_history,
                ),
            ),
            mistakes=(
                "no bias",
                "the wide logit unsqueezed",
                "no wide part",
                "numbers before embeddings",
                "no history",
            ),
        ),
        update_step(
            "train",
            "joint training step",
            train_step,
            _train_cases,
            known_mistakes=(
                (
                    "step the deep part's optimiser too: one loss, two optimisers, both stepped.",
                    _deep_never_stepped,
                ),
                (
                    "step the wide part's optimiser (FTRL) too: both halves learn from the one loss.",
                    _wide_never_stepped,
                ),
                (
                    "zero both optimisers' gradients before the backward pass, FTRL's as well as AdaGrad's.",
                    _wide_never_zeroed,
                ),
                (
                    "binary_cross_entropy_with_logits takes the logit itself: do not pass it through a sigmoid first.",
                    _probabilities_as_logits,
                ),
            ),
            mistakes=(
                "deep part never stepped",
                "wide part never stepped",
                "wide gradients kept",
                "sigmoid twice",
            ),
        ),
    ]


def builder() -> Builder:
    return Builder("05", steps())
