"""Lesson 06: the article's training recipe, as written, against each model's tuned setting - and what patience buys.

The recipe: Adam at 1e-3 with weight decay 1e-5; ReduceLROnPlateau(mode="min",
factor 0.5, patience 3) on the validation *loss*; gradients clipped at norm 5.0;
dropout 0.2 in the MLP tower; early stopping on validation AUC with patience 5.
The tuned setting: the rate and weight decay each model's validation AUC chose in
:mod:`.ctr_benchmark`, constant, unclipped, no dropout, stopped with the same
patience. Both train on the same seeds and are scored on the same test users.
The recipe's runs go on to patience 10, and the test terms of every weight early
stopping could keep are recorded, so one run gives patience 1, 3, 5 and 10 exactly.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ... import config
from ...evaluation.ctr import scored, validation
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...tasks.ctr import CTRTask
from ...training import History, stopping_point
from . import LESSON
from . import ctr_benchmark as ctr

# The article's recipe, as it writes it
RECIPE = {
    "lr": 1e-3,
    "weight_decay": 1e-5,
    "lr_patience": 3,  # ReduceLROnPlateau(mode="min", factor=0.5, patience=3) ...
    "lr_monitor": "logloss",  # ... on the validation loss
    "lr_mode": "min",
    "clip_norm": 5.0,
}
DROPOUT = 0.2  # the low end of the article's 0.2-0.3 ...
DROPOUT_MODELS = (
    "DeepFM",
    "DCN",
)  # ... in the MLP towers that have dropout layers (DIN's PReLU towers have none)
PATIENCE = 5  # the low end of the article's 5-10: both settings of the comparison stop with it
PATIENCES = (1, 3, 5, 10)  # replayed on the recipe's runs, which train on to the longest
# The Adam models of the article's chart (LR and Wide & Deep keep lesson 05's own optimizers), on three seeds: each
# recipe run goes on to patience 10, and more models or seeds would not fit the 20-minute budget
MODELS = ("MF", "FM", "DeepFM", "DIN")


def settings() -> ctr.Settings:
    """The benchmark's settings with room for the schedule and the longest patience: 40 epochs at most."""
    return replace(ctr.Settings(), max_epochs=40, patience=PATIENCE)


def train(
    name: str,
    task: CTRTask,
    s: ctr.Settings,
    *,
    lr: float,
    weight_decay: float = 0.0,
    dropout: float = 0.0,
    seed: int = 0,
    evaluate=None,
    **fit_kwargs,
) -> tuple[nn.Module, History]:
    """One Adam-trained benchmark model; returns ``(model with its best weights, history)``.

    Other keyword arguments (``lr_patience``, ``lr_monitor``, ``clip_norm``, ``patience``) go to the loop.
    """
    torch.manual_seed(seed)
    model = ctr.build_model(name, task, s, dropout=dropout)
    history = ctr.fit_with_adam(model, task, s, lr, seed, desc=name, weight_decay=weight_decay, **fit_kwargs)
    return model, history


def recipe(name: str) -> dict:
    """The recipe's keyword arguments for :func:`train` (dropout only where the model has a ReLU tower that takes it:
    DeepFM's and DCN's)."""
    return {**RECIPE, "dropout": DROPOUT if name in DROPOUT_MODELS else 0.0}


def train_recipe(
    name: str, task: CTRTask, s: ctr.Settings, *, seed: int = 0, patiences=PATIENCES
) -> tuple[dict[int, tuple[int, int, dict, object]], History]:
    """The recipe trained until the longest patience stops it, keeping the test terms of every new best epoch.

    Returns ``({patience: (epochs trained, epoch kept, metrics, per-user terms)}, history)``: what early
    stopping with each patience would have kept. The run is the same whatever the patience - the schedule
    watches the validation loss, and stopping only ends it - so the replay is exact.
    """
    validate = validation(task)
    kept_terms: dict[int, tuple[dict, object]] = {}
    best = {"auc": -np.inf, "epoch": 0}

    def evaluate(model: nn.Module) -> dict:
        metrics = validate(model)
        best["epoch"] += 1  # this call's epoch
        if metrics["auc"] > best["auc"]:  # a new best: a weight some patience may keep
            best["auc"] = metrics["auc"]
            kept_terms[best["epoch"]] = scored(task.test, predict_logits(model, task.test))
        return metrics

    torch.manual_seed(seed)
    model = ctr.build_model(name, task, s, dropout=recipe(name)["dropout"])
    kwargs = {k: v for k, v in recipe(name).items() if k not in ("lr", "weight_decay", "dropout")}
    history = ctr.fit_with_adam(
        model,
        task,
        replace(s, patience=max(patiences)),
        RECIPE["lr"],
        seed,
        desc=f"{name} recipe",
        weight_decay=RECIPE["weight_decay"],
        evaluate=evaluate,
        **kwargs,
    )
    curve = history.frame()["auc"].to_numpy()
    out = {}
    for patience in patiences:
        stop, kept = stopping_point(curve, patience)
        out[patience] = (stop, kept, *kept_terms[kept])
    return out, history


def run_models(
    task: CTRTask, s: ctr.Settings, tuned: dict[str, dict], seeds=(0,), models=MODELS, log=print
) -> Results:
    """Each model with the recipe (one row per replayed patience) and with its tuned setting, on every seed."""
    results = Results()
    for seed in seeds:
        for name in models:
            kept, history = train_recipe(name, task, s, seed=seed)
            rates = history.frame()["lr"].to_numpy()  # the rate each epoch trained at
            for patience, (stop, epoch, metrics, terms) in kept.items():
                row = {
                    "model": name,
                    "setting": "recipe",
                    "patience": patience,
                    "seed": seed,
                    "lr": RECIPE["lr"],
                    "weight_decay": RECIPE["weight_decay"],
                    "epochs trained": stop,
                    "best epoch": epoch,
                    "final lr": float(rates[stop - 1]),
                    "seconds to patience 10": history.seconds,  # the one run every patience is replayed on
                    **metrics,
                }
                results.add(row, terms)
            short = kept[PATIENCE]
            log(f"{name:>10} |   recipe | seed {seed} | keeps epoch {short[1]} | AUC {short[2]['auc']:.4f}")
            model, history = train(name, task, s, seed=seed, **tuned[name])
            metrics, terms = scored(task.test, predict_logits(model, task.test))
            row = {
                "model": name,
                "setting": "tuned",
                "patience": PATIENCE,
                "seed": seed,
                **tuned[name],
                "epochs trained": len(history),
                "best epoch": history.best_epoch,
                "final lr": tuned[name]["lr"],
                "seconds": history.seconds,
                **metrics,
            }
            results.add(row, terms)
            log(
                f"{name:>10} |    tuned | seed {seed} | keeps epoch {history.best_epoch} | AUC {metrics['auc']:.4f}"
            )
    return results


def run(dataset: str = "ml-100k", seeds=(0, 1, 2), out: Path | None = None) -> list:
    """Each model with the recipe and with the benchmark's tuned setting (``06/ctr_benchmark`` runs first);
    FAST mode shrinks the models and epochs."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    tuned = ctr.benchmark_settings(dataset, out)
    s = ctr.fast_settings(settings()) if config.fast_mode() else settings()
    task = movielens_ctr(load_movielens(dataset, verbose=False))
    results = run_models(task, s, tuned, tuple(seeds))
    return results.save(out or config.results_dir(LESSON), f"defaults_{dataset}")
