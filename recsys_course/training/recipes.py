"""The one loop, set up for each of the course's three kinds of task: :func:`fit_implicit`,
:func:`fit_next_item` and :func:`fit_ctr`.

Each builds the epoch's batches from its task, picks its protocol's validation
(:mod:`recsys_course.evaluation`) for early stopping, and hands both to :func:`~.loop.fit`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from ..evaluation import catalogue, ctr, sampled
from ..evaluation.inference import CTR_INPUTS
from ..tasks.ctr import CTRTask
from ..tasks.leave_one_out import LeaveOneOut
from ..tasks.next_watch import NextWatch, example_arrays
from .batches import ctr_batches, epoch_batches, tensor_batches
from .loop import History, fit


def fit_implicit(
    model: nn.Module,
    loo: LeaveOneOut,
    *,
    n_neg: int = 4,
    batch_size: int = 2048,
    seed: int = 0,
    probs=None,
    monitor: str = "hr@10",
    validate: bool = True,
    evaluate: Callable[[nn.Module], dict] | None = None,
    **fit_kwargs,
) -> History:
    """Train a (user, item) scorer on implicit feedback with the leave-one-out protocol.

    Each epoch draws ``n_neg`` fresh negatives per training positive (uniform,
    or by ``probs``), minimises BCE, and evaluates HR@10 / NDCG@10 / AUC on the
    validation users (:func:`recsys_course.evaluation.sampled.validation`);
    early stopping watches ``monitor``. With ``validate=False`` (e.g. on
    ``loo.merged_for_test()``, which has no validation users) it trains for a
    fixed number of epochs. Other keyword arguments (``epochs``, ``lr``,
    ``optimizer``, ``patience``, ...) go to :func:`~.loop.fit`. ``evaluate``
    replaces the sampled validation (lesson 06 ranks the validation item
    against the whole catalogue).
    """
    rng = np.random.default_rng(seed)
    batches = epoch_batches(
        loo.train["user"].to_numpy(),
        loo.train["item"].to_numpy(),
        loo.train_seen,
        n_neg,
        rng,
        batch_size=batch_size,
        probs=probs,
    )
    if not validate:
        return fit(model, batches, **fit_kwargs)
    if len(loo.valid) == 0:
        raise ValueError("loo has no validation users; pass validate=False to train a fixed number of epochs")
    return fit(model, batches, evaluate=evaluate or sampled.validation(loo), monitor=monitor, **fit_kwargs)


def fit_next_item(
    model: nn.Module,
    data: NextWatch,
    loss_fn: Callable,
    *,
    batch_size: int = 512,
    seed: int = 0,
    monitor: str = "recall@50",
    validate: bool = True,
    **fit_kwargs,
) -> History:
    """Train a :class:`recsys_course.models.CandidateTower` on next-watch examples.

    ``loss_fn`` is a :class:`recsys_course.models.SoftmaxLoss` over ``model``.
    After each epoch the validation targets are ranked against the whole
    catalogue (:func:`recsys_course.evaluation.catalogue.validation`) and early
    stopping watches ``monitor``; with ``validate=False`` (a refit for a number
    of epochs already chosen) nothing is evaluated and every epoch runs.
    Other keyword arguments go to :func:`~.loop.fit`.
    """
    generator = torch.Generator().manual_seed(seed)
    inputs = example_arrays(data, data.train)

    def batches(epoch: int):
        return tensor_batches(*inputs, data.train.target, batch_size=batch_size, generator=generator)

    def scores_of(m: nn.Module, examples) -> np.ndarray:
        return m.catalogue_scores(*example_arrays(data, examples))

    if not validate:
        return fit(model, batches, loss_fn=loss_fn, **{**fit_kwargs, "patience": None})
    return fit(
        model,
        batches,
        loss_fn=loss_fn,
        evaluate=catalogue.validation(data, scores_of),
        monitor=monitor,
        **fit_kwargs,
    )


def fit_ctr(
    model: nn.Module,
    task: CTRTask,
    *,
    batch_size: int = 1024,
    seed: int = 0,
    monitor: str = "auc",
    patience: int | None = 2,
    lr_patience: int | None = None,
    record_test: bool = False,
    evaluate: Callable[[nn.Module], dict] | None = None,
    **fit_kwargs,
) -> History:
    """Train a CTR model on a :class:`recsys_course.tasks.ctr.CTRTask`'s training impressions.

    The model reads the inputs it names in ``model.inputs`` (default
    ``("wide", "deep", "dense")``). After each epoch the validation AUC and
    LogLoss are measured (:func:`recsys_course.evaluation.ctr.validation`);
    early stopping watches ``monitor``. The learning rate is constant unless
    ``lr_patience`` is given. With ``record_test`` the test AUC is recorded
    every epoch too - to study early stopping afterwards, never to choose
    anything. ``evaluate`` replaces the validation function (one that wraps
    it, say, to keep more than the loop keeps). Other keyword arguments (``optimizer``, ``lr``, ``epochs``...) go
    to :func:`~.loop.fit`.
    """
    generator = torch.Generator().manual_seed(seed)
    names = getattr(model, "inputs", CTR_INPUTS)

    def batches(epoch: int):
        return ctr_batches(task.train, names, batch_size, generator)

    return fit(
        model,
        batches,
        evaluate=evaluate or ctr.validation(task, record_test),
        monitor=monitor,
        mode="min" if monitor == "logloss" else "max",
        patience=patience,
        lr_patience=lr_patience,
        **fit_kwargs,
    )
