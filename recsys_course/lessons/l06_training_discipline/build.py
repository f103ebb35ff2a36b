"""Lesson 06's build-it steps: FM's O(kn) pairwise sum, FM as an ``nn.Module``, and the article's training loop.

The learner writes Rendle's identity for the sum of every pair of feature vectors' dot products, the
factorization machine around it (bias + one weight per feature + the pairwise sum), and a loop
with the article's discipline - clipping, ReduceLROnPlateau on validation loss, early stopping on validation
AUC that keeps the best weights; each runs beside the course's own (:func:`recsys_course.training.fit`
behaves as :func:`recipe_fit` does) on hidden cases.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from ...build import Builder, function_step, loop_step, module_step, randomised
from ...evaluation.metrics import auc
from ...models import FM, MF


class FMShape(FM):
    """The course's FM as the lesson's scaffold makes it: ``FMShape(fields, dim, n_dense, history_items)``."""

    def __init__(self, fields, dim: int, n_dense: int, history_items: int):
        super().__init__(fields, dim=dim, n_dense=n_dense, history_items=history_items)


def fm_pairs(v: torch.Tensor) -> torch.Tensor:
    """sum_{i<j} <v_i, v_j> for each row of ``v`` [batch, n, k], in O(kn): 1/2 (|sum_i v_i|^2 - sum_i |v_i|^2)."""
    return 0.5 * (v.sum(dim=1).pow(2) - v.pow(2).sum(dim=1)).sum(dim=-1)


def fm_pairs_slowly(v: torch.Tensor) -> torch.Tensor:
    """The same sum pair by pair, in O(k n^2): every dot product, above the diagonal."""
    dots = v @ v.transpose(1, 2)
    return torch.triu(dots, diagonal=1).sum(dim=(1, 2))


def _fm_with(forward):
    """The course's FM with ``forward`` in place of its own: a known mistake in the learner's module."""
    return type(forward.__name__, (FMShape,), {"forward": forward})


@_fm_with
def _pairs_only(model, deep_ids, dense, history):
    return fm_pairs(model.vectors(deep_ids, dense, history))


@_fm_with
def _no_bias(model, deep_ids, dense, history):
    return FM.forward(model, deep_ids, dense, history) - model.bias


@_fm_with
def _dense_unscaled(model, deep_ids, dense, history):
    v = torch.cat(
        [
            model.fields(deep_ids),
            model.dense_vectors.expand(len(deep_ids), -1, -1),
            model.history(history).unsqueeze(1),
        ],
        dim=1,
    )
    return model.linear(deep_ids, dense, history) + fm_pairs(v)


@_fm_with
def _history_not_paired(model, deep_ids, dense, history):
    v = torch.cat([model.fields(deep_ids), dense.unsqueeze(-1) * model.dense_vectors], dim=1)
    return model.linear(deep_ids, dense, history) + fm_pairs(v)


def recipe_fit(model, batches, validate, *, epochs, lr, weight_decay, patience, clip_norm) -> int:
    """The article's loop: Adam; gradients clipped to ``clip_norm``; after each epoch ``validate(model)`` gives
    {"auc", "logloss"}, the rate halves after 3 epochs without a lower logloss (ReduceLROnPlateau), and training
    stops after ``patience`` epochs without a higher AUC. The best epoch's weights are put back; returns it."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=3)
    best_auc, best_epoch, best_state, since_best = -float("inf"), 0, None, 0
    for epoch in range(1, epochs + 1):
        for *inputs, labels in batches:
            optimizer.zero_grad()
            F.binary_cross_entropy_with_logits(model(*inputs), labels).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
        metrics = validate(model)
        scheduler.step(metrics["logloss"])
        if metrics["auc"] > best_auc:
            best_auc, best_epoch, best_state, since_best = (
                metrics["auc"],
                epoch,
                copy.deepcopy(model.state_dict()),
                0,
            )
        else:
            since_best += 1
            if since_best >= patience:
                break
    model.load_state_dict(best_state)
    return best_epoch


# Known mistakes.
def _no_half(v):
    return 2 * fm_pairs(v)


def _per_dimension(v):
    return 0.5 * (v.sum(dim=1).pow(2) - v.pow(2).sum(dim=1))


def _squares_of_dots(v):
    return 0.5 * (v.sum(dim=1).pow(2).sum(-1) - v.sum(dim=-1).pow(2).sum(-1))


def _variant(
    *, restore=True, schedule_on="logloss", clip=True, reset=True, deep=True, by_value=False, validations=1
):
    def fit(model, batches, validate, *, epochs, lr, weight_decay, patience, clip_norm):
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        mode = "min" if schedule_on == "logloss" else "max"
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=0.5, patience=3)
        best_auc, best_epoch, best_state, since_best = -float("inf"), 0, None, 0
        for epoch in range(1, epochs + 1):
            for *inputs, labels in batches:
                optimizer.zero_grad()
                F.binary_cross_entropy_with_logits(model(*inputs), labels).backward()
                if clip and by_value:
                    torch.nn.utils.clip_grad_value_(model.parameters(), clip_norm)
                elif clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
                optimizer.step()
            metrics = validate(model)
            for _ in range(validations - 1):  # the same numbers again: only the trace of validations grows
                metrics = validate(model)
            scheduler.step(metrics[schedule_on])
            if metrics["auc"] > best_auc:
                state = copy.deepcopy(model.state_dict()) if deep else model.state_dict()
                best_auc, best_epoch, best_state = metrics["auc"], epoch, state
                since_best = 0 if reset else since_best
            else:
                since_best += 1
                if since_best >= patience:
                    break
        if restore:
            model.load_state_dict(best_state)
        return best_epoch

    return fit


_no_restore = _variant(restore=False)
_shallow_copy = _variant(deep=False)
_schedule_on_auc = _variant(schedule_on="auc")
_no_clipping = _variant(clip=False)
_never_reset = _variant(reset=False)
_clip_values = _variant(by_value=True)
_validates_twice = _variant(validations=2)


def _fm_cases() -> list:
    generator = torch.Generator().manual_seed(7)
    return [
        (
            "a batch of 6 rows, 5 features of 4 numbers",
            dict(args=(torch.randn(6, 5, 4, generator=generator),)),
        ),
        ("one row, two features", dict(args=(torch.randn(1, 2, 3, generator=generator),))),
        ("3 rows, 12 features of one number", dict(args=(torch.randn(3, 12, 1, generator=generator),))),
    ]


def _fm_model_cases() -> list:
    generator = torch.Generator().manual_seed(11)

    def case(seed, rows, fields, n_dense, dim):
        deep_ids = torch.stack(
            [torch.randint(size, (rows,), generator=generator) for size in fields.values()], 1
        )
        dense = (torch.rand(rows, n_dense, generator=generator) < 0.4).float() * torch.rand(rows, n_dense)
        history = torch.randint(8, (rows, 4), generator=generator)  # id 7 pads
        history[0] = 7  # a user who liked nothing yet
        return dict(args=(fields, dim, n_dense, 7), seed=seed, inputs=(deep_ids, dense, history))

    return [
        ("6 rows, two fields, three numbers, k = 4", case(1, 6, {"user": 5, "movie": 9}, 3, 4)),
        ("one row, three fields, one number, k = 2", case(2, 1, {"a": 3, "b": 4, "c": 2}, 1, 2)),
        ("9 rows, one field, two numbers, k = 5", case(3, 9, {"movie": 6}, 2, 5)),
    ]


def _loop_cases() -> list:
    def case(seed: int, patience: int, clip_norm: float, lr: float):
        generator = torch.Generator().manual_seed(seed)
        users, items = (
            torch.randint(8, (160,), generator=generator),
            torch.randint(10, (160,), generator=generator),
        )
        taste = (
            torch.randn(8, 2, generator=generator)[users] * torch.randn(10, 2, generator=generator)[items]
        ).sum(-1)
        labels = (
            torch.rand(160, generator=generator) < torch.sigmoid(2 * taste)
        ).float()  # a pattern, plus noise
        batches = [(users[s : s + 16], items[s : s + 16], labels[s : s + 16]) for s in range(0, 136, 16)]
        valid_u, valid_i, valid_y = users[136:], items[136:], labels[136:].numpy()
        trace = []  # the weights' sum at every validation: the path the loop took, not only where it ended

        def validate(model):
            with torch.no_grad():
                logits = model(valid_u, valid_i)
                trace.append(float(sum(p.sum() for p in model.parameters())))
            loss = F.binary_cross_entropy_with_logits(logits, torch.as_tensor(valid_y)).item()
            return {"auc": auc(valid_y, logits.numpy()), "logloss": loss}

        settings = dict(epochs=30, lr=lr, weight_decay=1e-4, patience=patience, clip_norm=clip_norm)
        model = lambda: randomised(MF(8, 10, dim=3), seed)  # noqa: E731
        return dict(model=model, data=(batches, validate), settings=settings, trace=trace)

    return [
        ("MF on noisy clicks, patience 8, clipped at 0.5", case(1, 8, 0.5, 0.05)),
        ("a larger rate, patience 10, clipped at 1", case(2, 10, 1.0, 0.1)),
        ("patience 3, clipped at 0.5", case(3, 3, 0.5, 0.1)),
        ("patience 4, clipped at 0.3", case(4, 4, 0.3, 0.2)),
    ]


def steps() -> list:
    return [
        function_step(
            "fm",
            "FM pairwise sum",
            fm_pairs,
            _fm_cases,
            known_mistakes=(
                ("each pair counts once: the identity has a factor 1/2.", _no_half),
                ("sum over the k dimensions too: one number per row, shape [batch].", _per_dimension),
                (
                    "square each feature's vector coordinate by coordinate: sum over features of v_i^2, then over k.",
                    _squares_of_dots,
                ),
            ),
            mistakes=("no 1/2", "no sum over k", "squares of the wrong sums"),
        ),
        module_step(
            "fm_model",
            "factorization machine",
            FMShape,
            _fm_model_cases,
            known_mistakes=(
                (
                    "the logit is linear part + pairwise part: add the bias and the features' weights.",
                    _pairs_only,
                ),
                ("the linear part starts with the bias, one learned number.", _no_bias),
                (
                    "a number's vector is scaled by its value (x_i v_i): dense[..., None] * dense_vectors.",
                    _dense_unscaled,
                ),
                (
                    "the liked history is a feature like the others: its mean vector joins the pairwise sum.",
                    _history_not_paired,
                ),
            ),
            mistakes=("no linear part", "no bias", "numbers not scaled", "history left out of the pairs"),
        ),
        loop_step(
            "loop",
            "training loop",
            recipe_fit,
            _loop_cases,
            known_mistakes=(
                (
                    "put a *copy* of the best epoch's weights back at the end: copy.deepcopy(model.state_dict()) "
                    "when the AUC improves, load_state_dict after the loop (a bare state_dict shares its tensors "
                    "with the model and moves on with it).",
                    _no_restore,
                ),
                (
                    "the schedule watches the validation *loss* (mode='min'); early stopping watches the AUC.",
                    _schedule_on_auc,
                ),
                (
                    "clip the gradients' joint norm (clip_grad_norm_), not each value on its own "
                    "(clip_grad_value_): the article clips the norm.",
                    _clip_values,
                ),
                (
                    "clip the gradients' joint norm after backward() and before step(): "
                    "clip_grad_norm_(params, clip_norm).",
                    _no_clipping,
                ),
                (
                    "start the count again whenever the AUC improves: patience counts epochs in a row.",
                    _never_reset,
                ),
                (
                    "call validate(model) once per epoch and read both numbers from what it returns: each call "
                    "scores the whole validation split again.",
                    _validates_twice,
                ),
            ),
            mistakes=(
                "no restore",
                "a shallow copy",
                "the schedule on AUC",
                "no clipping",
                "a count never reset",
                "validating twice an epoch",
            ),
            returns=True,
        ),
    ]


def builder() -> Builder:
    return Builder("06", steps())
