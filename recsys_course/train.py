"""One training loop for every model in the course: :func:`fit`.

What it does each epoch:

1. gets the epoch's batches from ``batches(epoch)`` (a function, so negatives
   can be re-sampled every epoch) or from a re-iterable such as a DataLoader;
2. for each batch ``(*inputs, target)``: ``loss_fn(model(*inputs), target)``,
   backward, optional gradient clipping (each step's norm is kept), optimizer step;
3. calls ``evaluate(model)`` for validation metrics, steps ReduceLROnPlateau on
   the monitored one, keeps a copy of the best weights, and stops early when
   the monitored metric has not improved for ``patience`` epochs in a row.

At the end the best weights are loaded back into the model, and the returned
:class:`History` holds one row per epoch for plotting. ``fit_implicit``,
``fit_next_item`` and ``fit_ctr`` wrap it for the course's three kinds of task.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm  # plain text bar: no widget needed, renders the same everywhere

from .batching import epoch_batches, tensor_batches  # noqa: F401  (tensor_batches: re-exported)
from .metrics import evaluate_ranking


@dataclass
class History:
    """Per-epoch records of a :func:`fit` run, plus where the best epoch was."""

    records: list[dict] = field(default_factory=list)
    monitor: str | None = None
    best_epoch: int | None = None
    best_value: float | None = None
    stopped_early: bool = False
    grad_norms: list[float] = field(default_factory=list)    # every step's norm before clipping, when clip_norm is set

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records)

    def __getitem__(self, key: str) -> list:
        return [r.get(key) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return os.environ.get("RECSYS_COURSE_QUIET", "") not in {"1", "true", "yes"}


def fit(
    model: nn.Module,
    batches: Callable[[int], Iterable] | Iterable,
    *,
    epochs: int = 20,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    loss_fn: Callable = nn.functional.binary_cross_entropy_with_logits,
    evaluate: Callable[[nn.Module], dict] | None = None,
    monitor: str | None = None,
    mode: str = "max",
    patience: int | None = 3,
    min_delta: float = 0.0,
    lr_patience: int | None = 1,
    lr_factor: float = 0.5,
    clip_norm: float | None = None,
    device: torch.device | str | None = None,
    progress: bool | None = None,
    desc: str = "fit",
    evaluate_start: bool = False,
) -> History:
    """Train ``model`` and return its :class:`History` (see the module docstring).

    ``monitor`` names a key of ``evaluate``'s dict (default: its first key);
    ``mode`` is "max" for AUC/HR, "min" for losses. Training stops after
    ``patience`` epochs in a row without improvement (``None``: never);
    ReduceLROnPlateau multiplies the learning rate by ``lr_factor`` once more
    than ``lr_patience`` such epochs have passed (PyTorch's convention;
    ``None``: constant learning rate).
    With ``evaluate_start``, the model is also evaluated before any training,
    as epoch 0: when no epoch beats that start (fine-tuning a model that is
    already good, say), the starting weights are the ones kept.
    The progress bar shows epochs and metrics, not timings, so notebook
    outputs stay the same from run to run; ``RECSYS_COURSE_QUIET=1`` hides it.
    """
    if mode not in {"max", "min"}:
        raise ValueError("mode must be 'max' or 'min'")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = None
    if evaluate is not None and lr_patience is not None:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=mode, factor=lr_factor, patience=lr_patience)
    history = History()
    best_state, since_best = None, 0
    sign = 1.0 if mode == "max" else -1.0

    def track(record: dict, epoch: int) -> None:
        """Add the validation metrics to ``record``; keep the best weights; count epochs since the best."""
        nonlocal best_state, since_best
        metrics = evaluate(model)
        record.update(metrics)
        key = monitor or next(iter(metrics))
        history.monitor = key
        value = float(metrics[key])
        if history.best_value is None or sign * (value - history.best_value) > min_delta:
            history.best_value, history.best_epoch, since_best = value, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
        if scheduler is not None:
            scheduler.step(value)

    if evaluate is not None and evaluate_start:
        start_record = {"epoch": 0, "train_loss": float("nan"), "examples": 0,
                        "lr": optimizer.param_groups[0].get("lr", float("nan")), "seconds": 0.0}
        track(start_record, 0)
        history.records.append(start_record)
    bar = tqdm(range(1, epochs + 1), desc=desc, disable=not _show_progress(progress),
               bar_format="{desc}: {n_fmt}/{total_fmt} epochs |{bar:20}| {postfix}")
    for epoch in bar:
        start = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        epoch_batches = batches(epoch) if callable(batches) else batches
        for batch in epoch_batches:
            *inputs, target = (t.to(device) for t in batch)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(*inputs), target)
            loss.backward()
            if clip_norm is not None:
                history.grad_norms.append(clip_gradients(model.parameters(), clip_norm))
            optimizer.step()
            total += loss.item() * len(target)
            count += len(target)
        record = {"epoch": epoch, "train_loss": total / max(count, 1), "examples": count,
                  "lr": optimizer.param_groups[0].get("lr", float("nan")), "seconds": time.perf_counter() - start}
        if evaluate is not None:
            track(record, epoch)
        history.records.append(record)
        bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if k not in {"epoch", "seconds", "lr", "examples"}})
        if evaluate is not None and patience is not None and since_best >= max(patience, 1):
            history.stopped_early = True
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def clip_gradients(parameters, max_norm: float) -> float:
    """Scale all gradients together so their joint L2 norm is at most ``max_norm``; returns the norm before.

    :func:`torch.nn.utils.clip_grad_norm_` does the same for dense gradients;
    this also takes the sparse ones a sparse embedding (Wide & Deep's FTRL
    part) produces, whose norm is that of their coalesced values.
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    squares = [(g.coalesce().values() if g.is_sparse else g).pow(2).sum() for g in grads]
    total = float(torch.stack(squares).sum().sqrt()) if squares else 0.0
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + 1e-6))
    return total


def fit_implicit(model: nn.Module, loo, *, n_neg: int = 4, batch_size: int = 2048, seed: int = 0,
                 probs=None, monitor: str = "hr@10", validate: bool = True, **fit_kwargs) -> History:
    """Train a (user, item) scorer on implicit feedback with the leave-one-out protocol.

    ``loo`` is a :class:`recsys_course.splits.LeaveOneOut`. Each epoch draws
    ``n_neg`` fresh negatives per training positive (uniform, or by ``probs``),
    minimises BCE, and evaluates HR@10 / NDCG@10 / AUC on the validation
    users; early stopping watches ``monitor``. With ``validate=False`` (e.g.
    on ``loo.merged_for_test()``, which has no validation users) it trains for
    a fixed number of epochs. Other keyword arguments (``epochs``, ``lr``,
    ``optimizer``, ``patience``, ...) go to :func:`fit`.
    """
    rng = np.random.default_rng(seed)
    batches = epoch_batches(loo.train["user"].to_numpy(), loo.train["item"].to_numpy(), loo.train_seen,
                            n_neg, rng, batch_size=batch_size, probs=probs)
    valid_users = loo.valid["user"].to_numpy()

    def evaluate(m: nn.Module) -> dict:
        return evaluate_ranking(m, valid_users, loo.valid_candidates)

    if not validate:
        return fit(model, batches, **fit_kwargs)
    if len(valid_users) == 0:
        raise ValueError("loo has no validation users; pass validate=False to train a fixed number of epochs")
    return fit(model, batches, evaluate=evaluate, monitor=monitor, **fit_kwargs)


def fit_next_item(model: nn.Module, data, loss_fn: Callable, *, batch_size: int = 512, seed: int = 0,
                  monitor: str = "recall@50", **fit_kwargs) -> History:
    """Train a :class:`recsys_course.models.CandidateTower` on next-watch examples.

    ``data`` is a :class:`recsys_course.sequences.NextWatch`; ``loss_fn`` a
    :class:`recsys_course.models.SoftmaxLoss` over ``model``. After each epoch
    the validation targets are ranked against the whole catalogue and early
    stopping watches ``monitor``. Other keyword arguments go to :func:`fit`.
    """
    from .sequences import catalogue_evaluation, example_arrays

    generator = torch.Generator().manual_seed(seed)
    inputs = example_arrays(data, data.train)

    def batches(epoch: int):
        return tensor_batches(*inputs, data.train.target, batch_size=batch_size, generator=generator)

    def evaluate(m: nn.Module) -> dict:
        scores = m.catalogue_scores(*example_arrays(data, data.valid))
        per_user = catalogue_evaluation(data, scores, "valid")
        return {name: float(per_user[name].mean()) for name in per_user.columns if name not in ("user", "rank")}

    return fit(model, batches, loss_fn=loss_fn, evaluate=evaluate, monitor=monitor, **fit_kwargs)


CTR_INPUTS = ("wide", "deep", "dense")   # what a CTR model reads unless it names its own ``inputs``


@torch.no_grad()
def predict_logits(model: nn.Module, split, batch_size: int = 16_384) -> np.ndarray:
    """A CTR model's logits for every impression of a :class:`recsys_course.ctr_task.CTRSplit`, in row order."""
    model.eval()
    device = next(model.parameters()).device
    out = [model(*(t.to(device) for t in batch[:-1])).cpu()
           for batch in split.batches(getattr(model, "inputs", CTR_INPUTS), batch_size, shuffle=False)]
    return torch.cat(out).numpy().astype(np.float64)


def fit_ctr(model: nn.Module, task, *, batch_size: int = 1024, seed: int = 0, monitor: str = "auc",
            patience: int | None = 2, lr_patience: int | None = None, record_test: bool = False,
            **fit_kwargs) -> History:
    """Train a CTR model on a :class:`recsys_course.ctr_task.CTRTask`'s training impressions.

    The model reads the inputs it names in ``model.inputs`` (default
    :data:`CTR_INPUTS`). After each epoch the validation AUC and LogLoss
    are measured; early stopping watches ``monitor``. The learning rate is
    constant unless ``lr_patience`` is given. With ``record_test`` the test
    AUC is recorded every epoch too - to study early stopping afterwards,
    never to choose anything. Other keyword arguments (``optimizer``, ``lr``,
    ``epochs``...) go to :func:`fit`.
    """
    from .metrics import auc, log_loss

    generator = torch.Generator().manual_seed(seed)
    names = getattr(model, "inputs", CTR_INPUTS)

    def batches(epoch: int):
        return task.train.batches(names, batch_size, generator)

    def evaluate(m: nn.Module) -> dict:
        logits = predict_logits(m, task.valid)
        record = {"auc": auc(task.valid.label, logits),
                  "logloss": log_loss(task.valid.label, 1 / (1 + np.exp(-logits)))}
        if record_test:
            record["test auc"] = auc(task.test.label, predict_logits(m, task.test))
        return record

    return fit(model, batches, evaluate=evaluate, monitor=monitor, mode="min" if monitor == "logloss" else "max",
               patience=patience, lr_patience=lr_patience, **fit_kwargs)
