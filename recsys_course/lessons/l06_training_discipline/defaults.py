"""Lesson 06: the article's "sensible defaults" against a small validation-tuned grid, model by model.

The defaults: Adam at 1e-3 with weight decay 1e-5 and ReduceLROnPlateau
(halving the rate after each epoch whose validation AUC is no better). The
tuned setting: the Adam rate each model's validation AUC chose in :mod:`.ctr_benchmark`
(1e-3 to 3e-2), constant, no weight decay. Both stop early with the same
patience (:func:`settings`: long enough for the schedule to act first), train
on the same seeds and are scored on the same test users, so each model's gap
has a paired interval.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...tasks.ctr import CTRTask
from ...training import History
from . import LESSON
from . import ctr_benchmark as ctr

# Adam at 1e-3 with weight decay; ReduceLROnPlateau halving the rate after each flat epoch
DEFAULTS = {"lr": 1e-3, "weight_decay": 1e-5, "lr_patience": 0}
MODELS = tuple(m for m in ctr.MODELS if m != "Wide & Deep")  # Wide & Deep has lesson 05's own optimizers


def settings() -> ctr.Settings:
    """The benchmark's settings with room for the schedule: 40 epochs at most, stopping after 3 flat epochs.

    With PyTorch's ``patience=0`` the rate halves at the first epoch without a
    better validation AUC, so it has halved twice before early stopping ends
    a run; the tuned setting stops by the same rule.
    """
    return replace(ctr.Settings(), max_epochs=40, patience=3)


def train(
    name: str,
    task: CTRTask,
    s: ctr.Settings,
    *,
    lr: float,
    weight_decay: float = 0.0,
    lr_patience: int | None = None,
    seed: int = 0,
) -> tuple[nn.Module, History]:
    """One Adam-trained benchmark model; returns ``(model with its best weights, history)``."""
    torch.manual_seed(seed)
    model = ctr.build_model(name, task, s)
    history = ctr.fit_with_adam(
        model, task, s, lr, seed, desc=name, weight_decay=weight_decay, lr_patience=lr_patience
    )
    return model, history


def run_models(
    task: CTRTask, s: ctr.Settings, rates: dict[str, float], seeds=(0,), models=MODELS, log=print
) -> Results:
    """Each model with the defaults and with its tuned rate, on every seed."""
    results = Results()
    for seed in seeds:
        for name in models:
            settings = {"defaults": DEFAULTS, "tuned": {"lr": rates[name]}}
            for label, kwargs in settings.items():
                model, history = train(name, task, s, seed=seed, **kwargs)
                metrics, terms = scored(task.test, predict_logits(model, task.test))
                row = {
                    "model": name,
                    "setting": label,
                    "seed": seed,
                    "lr": kwargs["lr"],
                    "best epoch": history.best_epoch,
                    "valid": history.best_value,
                    "seconds": history.seconds,
                    **metrics,
                }
                results.add(row, terms)
                log(
                    f"{name:>10} | {label:>8} | seed {seed} | AUC {row['auc']:.4f} | LogLoss {row['logloss']:.4f}"
                )
    return results


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list:
    """Each model with the defaults and with the benchmark's tuned rate (``06/ctr_benchmark`` runs first);
    FAST mode shrinks the models and epochs."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    rates = ctr.benchmark_rates(dataset, out)
    s = ctr.fast_settings(settings()) if config.fast_mode() else settings()
    task = movielens_ctr(load_movielens(dataset, verbose=False))
    results = run_models(task, s, rates, tuple(seeds))
    return results.save(out or config.results_dir(LESSON), f"defaults_{dataset}")
