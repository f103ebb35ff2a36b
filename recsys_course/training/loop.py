"""One training loop for every model in the course: :func:`fit`.

What it does each epoch:

1. gets the epoch's batches from ``batches(epoch)`` (a function, so negatives
   can be re-sampled every epoch) or from a re-iterable such as a DataLoader;
2. for each batch ``(*inputs, target)``: ``loss_fn(model(*inputs), target)``
   (under mixed precision with ``amp``), backward, optional gradient clipping
   (each step's norm is kept), optimizer step;
3. calls ``evaluate(model)`` for validation metrics, steps ReduceLROnPlateau on
   the monitored one, keeps a copy of the best weights, and stops early when
   the monitored metric has not improved for ``patience`` epochs in a row.

At the end the best weights are loaded back into the model, and the returned
:class:`History` holds one row per epoch (loss, examples, seconds, metrics).
Every model of the course trains here - a DistributedDataParallel model, a
timed mixed-precision run and L-BFGS (which re-evaluates the loss itself) too;
:mod:`.recipes` sets it up for the course's three kinds of task.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn
from tqdm import tqdm  # plain text bar: no widget needed, renders the same everywhere


@dataclass
class History:
    """Per-epoch records of a :func:`fit` run, plus where the best epoch was."""

    records: list[dict] = field(default_factory=list)
    monitor: str | None = None
    best_epoch: int | None = None
    best_value: float | None = None
    stopped_early: bool = False
    # every step's norm before clipping, when clip_norm is set
    grad_norms: list[float] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole fit, validation included

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
    lr_monitor: str | None = None,
    lr_mode: str | None = None,
    clip_norm: float | None = None,
    amp: bool = False,
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
    ``None``: constant learning rate). The schedule watches ``monitor`` too,
    unless ``lr_monitor`` names another key (in ``lr_mode``: the article's
    recipe halves the rate on validation *loss* and stops on validation AUC).
    With ``evaluate_start``, the model is also evaluated before any training,
    as epoch 0: when no epoch beats that start (fine-tuning a model that is
    already good, say), the starting weights are the ones kept.
    ``clip_norm`` scales the gradients to at most that joint norm and keeps
    every step's norm before clipping in ``History.grad_norms`` (``inf``
    measures without clipping). ``amp`` runs the forward pass under
    automatic mixed precision (float16 with a gradient scaler on CUDA,
    bfloat16 on the CPU). An optimizer that re-evaluates the loss itself
    (:class:`torch.optim.LBFGS`) gets a closure (and neither ``amp`` nor
    ``clip_norm``, which would not reach its inner steps). Epoch seconds are measured
    after the device has finished its work.
    The progress bar shows epochs and metrics, not timings, so notebook
    outputs stay the same from run to run; ``RECSYS_COURSE_QUIET=1`` hides it.
    """
    if mode not in {"max", "min"} or lr_mode not in {None, "max", "min"}:
        raise ValueError("mode and lr_mode must be 'max' or 'min'")
    fit_start = time.perf_counter()
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = None
    if evaluate is not None and lr_patience is not None:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=lr_mode or mode, factor=lr_factor, patience=lr_patience
        )
    closure_step = isinstance(optimizer, torch.optim.LBFGS)
    if closure_step and (amp or clip_norm is not None):
        raise ValueError("L-BFGS re-evaluates the loss itself: train it without amp and clip_norm")
    scaler = torch.amp.GradScaler(device.type) if amp and device.type == "cuda" else None

    def autocast():
        if not amp:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=torch.float16 if device.type == "cuda" else torch.bfloat16)

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
            if lr_monitor is not None and lr_monitor not in metrics:
                raise KeyError(
                    f"lr_monitor {lr_monitor!r} is not among the evaluated metrics {sorted(metrics)}"
                )
            scheduler.step(value if lr_monitor is None else float(metrics[lr_monitor]))

    if evaluate is not None and evaluate_start:
        start_record = {
            "epoch": 0,
            "train_loss": float("nan"),
            "examples": 0,
            "lr": optimizer.param_groups[0].get("lr", float("nan")),
            "seconds": 0.0,
        }
        track(start_record, 0)
        history.records.append(start_record)
    bar = tqdm(
        range(1, epochs + 1),
        desc=desc,
        disable=not _show_progress(progress),
        bar_format="{desc}: {n_fmt}/{total_fmt} epochs |{bar:20}| {postfix}",
    )
    for epoch in bar:
        start = time.perf_counter()
        model.train()
        # the loss is summed on the device: no sync per step (clipping's norm, a Python float, syncs anyway)
        total = torch.zeros((), dtype=torch.float64, device=device)
        count = 0
        epoch_batches = batches(epoch) if callable(batches) else batches
        for batch in epoch_batches:
            *inputs, target = (t.to(device) for t in batch)
            optimizer.zero_grad(set_to_none=True)
            if closure_step:
                loss = optimizer.step(_closure(model, optimizer, loss_fn, inputs, target))
            else:
                with autocast():
                    loss = loss_fn(model(*inputs), target)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    if clip_norm is not None:
                        scaler.unscale_(optimizer)
                else:
                    loss.backward()
                if clip_norm is not None:
                    history.grad_norms.append(clip_gradients(model.parameters(), clip_norm))
                if scaler is not None:
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    optimizer.step()
            total += loss.detach().double() * len(target)
            count += len(target)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        record = {
            "epoch": epoch,
            "train_loss": total.item() / max(count, 1),
            "examples": count,
            "lr": optimizer.param_groups[0].get("lr", float("nan")),
            "seconds": time.perf_counter() - start,
        }
        if evaluate is not None:
            track(record, epoch)
        history.records.append(record)
        bar.set_postfix(
            {k: f"{v:.4f}" for k, v in record.items() if k not in {"epoch", "seconds", "lr", "examples"}}
        )
        if evaluate is not None and patience is not None and since_best >= max(patience, 1):
            history.stopped_early = True
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - fit_start
    return history


def stopping_point(values, patience: int, mode: str = "max") -> tuple[int, int]:
    """Replay early stopping on a per-epoch curve (epoch 1 first): ``(epoch it stops at, epoch it keeps)``.

    It stops after ``patience`` epochs in a row without a new best, as
    :func:`fit` does; a curve that never stalls that long stops at its last epoch.
    Replayed on one run recorded without early stopping, it shows what every patience would have cost.
    """
    sign = 1.0 if mode == "max" else -1.0
    best, best_epoch, since = -math.inf, 0, 0
    for epoch, value in enumerate(values, start=1):
        if sign * value > best:
            best, best_epoch, since = sign * value, epoch, 0
        else:
            since += 1
            if since >= max(patience, 1):
                return epoch, best_epoch
    return len(values), best_epoch


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


def _closure(model: nn.Module, optimizer, loss_fn: Callable, inputs, target) -> Callable[[], torch.Tensor]:
    """The closure an optimizer such as L-BFGS calls to re-evaluate the loss and its gradient."""

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(*inputs), target)
        loss.backward()
        return loss

    return closure
