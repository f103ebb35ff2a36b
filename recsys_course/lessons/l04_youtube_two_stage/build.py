"""Lesson 04's build-it steps: masked mean pooling, the candidate tower as an ``nn.Module``, the in-batch
softmax with the logQ correction, one training step with it, and brute-force top-k retrieval.

Each is written by the learner in the lesson and run beside the course's own
(:class:`~recsys_course.models.CandidateTower`, :class:`~recsys_course.models.SoftmaxLoss`) on hidden cases;
the usual mistakes are recognised by name.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...build import Builder, function_step, module_step, update_step
from ...models import CandidateTower


class Tower(CandidateTower):
    """The course's tower as the lesson's scaffold makes it: ``Tower(n_items, user_fields, dim, hidden,
    field_dim)``, the history mean-pooled, temperature 0.05."""

    def __init__(self, n_items: int, user_fields, dim: int, hidden, field_dim: int = 8):
        super().__init__(n_items, user_fields, dim=dim, hidden=hidden, field_dim=field_dim)


def masked_mean(vectors: torch.Tensor, history: torch.Tensor, pad: int) -> torch.Tensor:
    """The mean of each row's vectors [batch, L, d] over the positions whose id in ``history`` [batch, L] is not
    ``pad``; a history of padding only gives zeros."""
    mask = (history != pad).unsqueeze(-1).float()
    return (vectors * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def outputs(model, inputs) -> list:
    """What the tower step compares: the user vectors for ``inputs`` and the unit item vectors."""
    return [model(*inputs), model.item_vectors()]


def in_batch_loss(user_vectors, target_vectors, targets, log_q, temperature: float) -> torch.Tensor:
    """Cross-entropy of each row's own target against the batch's other targets: logits U T^T / temperature,
    each column j lowered by log q of its item (the logQ correction), a repeat of the row's target masked out."""
    logits = user_vectors @ target_vectors.T / temperature - log_q[targets][None, :]
    repeated = (targets[:, None] == targets[None, :]) & ~torch.eye(len(targets), dtype=torch.bool)
    return F.cross_entropy(logits.masked_fill(repeated, -torch.inf), torch.arange(len(targets)))


def train_step(model, optimizer, users, history, user_features, targets, log_q) -> float:
    """One in-batch training step: the batch's user vectors against its targets' item vectors, the corrected
    softmax at the model's temperature, backward, step; returns the batch's loss."""
    optimizer.zero_grad()
    vectors = model(users, history, user_features)
    loss = in_batch_loss(vectors, model.item_vectors()[targets], targets, log_q, model.temperature)
    loss.backward()
    optimizer.step()
    return loss.item()


def top_k(user_vectors, item_vectors, k: int, seen) -> torch.Tensor:
    """Each user's ``k`` best items by inner product, best first, among the items ``seen`` [users, items] marks
    False: brute force, every item scored."""
    scores = (user_vectors @ item_vectors.T).masked_fill(seen, -torch.inf)
    return scores.topk(k, dim=1).indices


# Known mistakes.
def _padding_counted(vectors, history, pad):
    return vectors.mean(dim=1)


def _divided_by_length(vectors, history, pad):
    return (vectors * (history != pad).unsqueeze(-1)).sum(dim=1) / history.shape[1]


def _empty_is_nan(vectors, history, pad):
    mask = (history != pad).unsqueeze(-1).float()
    return (vectors * mask).sum(dim=1) / mask.sum(dim=1)


def _tower_with(forward):
    """The course's tower with ``forward`` in place of its own: a known mistake in the learner's module."""
    return type(forward.__name__, (Tower,), {"forward": forward})


@_tower_with
def _not_normalised(model, users, history, user_features):
    pooled = masked_mean(model.history(history), history, model.pad)
    return model.tower(torch.cat([pooled, model.fields(user_features).flatten(start_dim=1)], dim=1))


@_tower_with
def _demographics_first(model, users, history, user_features):
    pooled = masked_mean(model.history(history), history, model.pad)
    return F.normalize(
        model.tower(torch.cat([model.fields(user_features).flatten(start_dim=1), pooled], 1)), dim=1
    )


@_tower_with
def _plain_mean(model, users, history, user_features):
    x = torch.cat(
        [model.history(history).mean(dim=1), model.fields(user_features).flatten(start_dim=1)], dim=1
    )
    return F.normalize(model.tower(x), dim=1)


class _ItemsRaw(Tower):
    def item_vectors(self):
        return self.items.weight


def _log_q_per_row(user_vectors, target_vectors, targets, log_q, temperature):
    logits = user_vectors @ target_vectors.T / temperature - log_q[targets][:, None]
    repeated = (targets[:, None] == targets[None, :]) & ~torch.eye(len(targets), dtype=torch.bool)
    return F.cross_entropy(logits.masked_fill(repeated, -torch.inf), torch.arange(len(targets)))


def _log_q_added(user_vectors, target_vectors, targets, log_q, temperature):
    return in_batch_loss(user_vectors, target_vectors, targets, -log_q, temperature)


def _repeats_kept(user_vectors, target_vectors, targets, log_q, temperature):
    logits = user_vectors @ target_vectors.T / temperature - log_q[targets][None, :]
    return F.cross_entropy(logits, torch.arange(len(targets)))


def _grads_kept(model, optimizer, users, history, user_features, targets, log_q):
    vectors = model(users, history, user_features)
    loss = in_batch_loss(vectors, model.item_vectors()[targets], targets, log_q, model.temperature)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_with(loss_of):
    def step(model, optimizer, users, history, user_features, targets, log_q):
        optimizer.zero_grad()
        loss = loss_of(model, model(users, history, user_features), targets, log_q)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


_raw_items = _step_with(lambda m, u, t, q: in_batch_loss(u, m.items.weight[t], t, q, m.temperature))
_no_temperature = _step_with(lambda m, u, t, q: in_batch_loss(u, m.item_vectors()[t], t, q, 1.0))
_no_log_q = _step_with(
    lambda m, u, t, q: in_batch_loss(u, m.item_vectors()[t], t, torch.zeros_like(q), m.temperature)
)


def _seen_kept(user_vectors, item_vectors, k, seen):
    return (user_vectors @ item_vectors.T).topk(k, dim=1).indices


def _worst_first(user_vectors, item_vectors, k, seen):
    scores = (user_vectors @ item_vectors.T).masked_fill(seen, torch.inf)
    return scores.topk(k, dim=1, largest=False).indices


def _unsorted(user_vectors, item_vectors, k, seen):
    return top_k(user_vectors, item_vectors, k, seen).sort(dim=1).values


def _masked_by_zero(user_vectors, item_vectors, k, seen):
    return ((user_vectors @ item_vectors.T) * ~seen).topk(k, dim=1).indices


def _pool_cases() -> list:
    generator = torch.Generator().manual_seed(8)
    history = torch.tensor([[3, 1, 9, 9], [2, 9, 9, 9], [9, 9, 9, 9], [4, 5, 6, 7]])  # 9 pads
    return [
        (
            "four histories, one of them empty",
            dict(args=(torch.randn(4, 4, 3, generator=generator), history, 9)),
        ),
        (
            "full histories only",
            dict(args=(torch.randn(2, 3, 5, generator=generator), torch.tensor([[0, 1, 2], [2, 2, 1]]), 7)),
        ),
        (
            "one history of one item",
            dict(args=(torch.randn(1, 5, 2, generator=generator), torch.tensor([[4, 0, 0, 0, 0]]), 0)),
        ),
    ]


def _tower_cases() -> list:
    generator = torch.Generator().manual_seed(9)

    def case(seed, hidden, rows):
        history = torch.randint(13, (rows, 5), generator=generator)  # id 12 pads
        history[0] = 12  # a user with no history yet
        features = torch.stack(
            [torch.randint(4, (rows,), generator=generator), torch.randint(2, (rows,), generator=generator)],
            1,
        )
        return dict(
            args=(12, {"age": 4, "gender": 2}, 6, hidden, 3),
            seed=seed,
            inputs=(torch.arange(rows), history, features),
        )

    return [
        ("a tower of 16-8, 5 users", case(1, (16, 8), 5)),
        ("no hidden layer, 3 users", case(2, (), 3)),
        ("one layer of 10, 7 users", case(3, (10,), 7)),
    ]


def _train_cases() -> list:
    def case(seed, hidden, batches, rows):
        generator = torch.Generator().manual_seed(seed)
        log_q = torch.log(torch.softmax(torch.randn(12, generator=generator), dim=0))

        def model():
            torch.manual_seed(seed)
            return Tower(12, {"age": 4}, 6, hidden, 3)

        def batch():
            history = torch.randint(13, (rows, 4), generator=generator)
            features = torch.randint(4, (rows, 1), generator=generator)
            targets = torch.randint(12, (rows,), generator=generator)
            return torch.arange(rows), history, features, targets, log_q

        return dict(
            model=model,
            optimizers=lambda m: (torch.optim.Adam(m.parameters(), lr=0.01),),
            batches=[batch() for _ in range(batches)],
        )

    return [
        ("three batches of 8 through a tower of 16", case(1, (16,), 3, 8)),
        ("two batches of 5, no hidden layer", case(2, (), 2, 5)),
    ]


def _loss_cases() -> list:
    def case(seed, batch, targets, temperature):
        generator = torch.Generator().manual_seed(seed)
        users = F.normalize(torch.randn(batch, 4, generator=generator), dim=1)
        items = F.normalize(torch.randn(20, 4, generator=generator), dim=1)
        log_q = torch.log(torch.softmax(torch.randn(20, generator=generator), dim=0))
        targets = torch.tensor(targets)
        return dict(args=(users, items[targets], targets, log_q, temperature))

    return [
        ("a batch of 6 distinct targets", case(1, 6, [3, 0, 7, 19, 4, 11], 0.1)),
        ("a batch where a popular target repeats", case(2, 5, [2, 8, 2, 5, 2], 0.2)),
        ("two rows, temperature 1", case(3, 2, [1, 9], 1.0)),
    ]


def _top_k_cases() -> list:
    def case(seed, users, items, k):
        generator = torch.Generator().manual_seed(seed)
        seen = torch.rand(users, items, generator=generator) < 0.3
        return dict(
            args=(
                torch.randn(users, 5, generator=generator),
                torch.randn(items, 5, generator=generator),
                k,
                seen,
            )
        )

    generator = torch.Generator().manual_seed(4)
    user = torch.randn(1, 5, generator=generator)
    disliked = -user * 2 + 0.1 * torch.randn(15, 5, generator=generator)  # every item scores below 0
    every_score_negative = dict(args=(user, disliked, 4, torch.rand(1, 15, generator=generator) < 0.5))
    return [
        ("a user whose every item scores below zero", every_score_negative),
        ("4 users, 30 items, top 5", case(1, 4, 30, 5)),
        ("one user, 12 items, top 3", case(2, 1, 12, 3)),
        ("6 users, 50 items, top 10", case(3, 6, 50, 10)),
    ]


def steps() -> list:
    return [
        function_step(
            "pool",
            "masked mean",
            masked_mean,
            _pool_cases,
            known_mistakes=(
                ("padding is not a movie: average only the positions whose id is not pad.", _padding_counted),
                (
                    "divide by the number of real items in each row, not by the padded length.",
                    _divided_by_length,
                ),
                (
                    "a user with no history yet would divide 0 by 0: clamp the count to at least 1.",
                    _empty_is_nan,
                ),
            ),
            mistakes=("padding counted", "divided by the padded length", "0 / 0 for an empty history"),
        ),
        module_step(
            "tower",
            "candidate tower",
            Tower,
            _tower_cases,
            known_mistakes=(
                (
                    "the user vector is a unit vector: F.normalize(..., dim=1) after the tower.",
                    _not_normalised,
                ),
                ("the tower reads [pooled history ; demographics], history first.", _demographics_first),
                ("pool the history with your masked mean: padding is not a movie.", _plain_mean),
                ("item_vectors() gives unit vectors too: normalise each row of the item table.", _ItemsRaw),
            ),
            mistakes=("not normalised", "demographics first", "padding in the mean", "raw item vectors"),
            call=outputs,
        ),
        function_step(
            "in_batch",
            "in-batch softmax",
            in_batch_loss,
            _loss_cases,
            known_mistakes=(
                (
                    "subtract each *column*'s log q, log_q[targets][None, :] - the chance that column's item is drawn "
                    "as a negative; a shift per row, or none, leaves the softmax as it was.",
                    _log_q_per_row,
                ),
                (
                    "subtract log q: popular items are drawn as negatives more often, so their logits come down.",
                    _log_q_added,
                ),
                (
                    "a repeat of the row's own target elsewhere in the batch is not a negative: mask it to -inf.",
                    _repeats_kept,
                ),
            ),
            mistakes=("log q per row", "log q added", "repeats kept"),
        ),
        update_step(
            "train",
            "training step",
            train_step,
            _train_cases,
            known_mistakes=(
                (
                    "zero the gradients before each backward (optimizer.zero_grad()); otherwise each step adds "
                    "the earlier batches' gradients to its own.",
                    _grads_kept,
                ),
                (
                    "score against model.item_vectors(), the unit item vectors, not the raw table.",
                    _raw_items,
                ),
                ("divide the logits by model.temperature: a cosine alone lies in [-1, 1].", _no_temperature),
                ("pass log_q to the loss: the correction is part of the step.", _no_log_q),
            ),
            mistakes=("gradients not zeroed", "raw item vectors", "temperature left out", "logQ left out"),
        ),
        function_step(
            "top_k",
            "top-k retrieval",
            top_k,
            _top_k_cases,
            known_mistakes=(
                ("leave out the items each user has seen: set their scores to -inf first.", _seen_kept),
                (
                    "a seen item must fall below every unseen one, and scores can be negative: set seen scores to "
                    "-inf, not 0.",
                    _masked_by_zero,
                ),
                ("the best items have the *largest* inner products.", _worst_first),
                ("return the items best first (topk sorts them), not sorted by id.", _unsorted),
            ),
            mistakes=("seen items kept", "seen items set to 0", "the smallest scores", "sorted by id"),
        ),
    ]


def builder() -> Builder:
    return Builder("04", steps())
