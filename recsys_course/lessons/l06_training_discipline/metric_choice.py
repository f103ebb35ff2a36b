"""Lesson 06's metric table, measured: which metric chooses the model changes which model you ship.

1. :func:`calibration`: DeepFM at its tuned setting ranks better than with the
   article's recipe but is calibrated worse; temperature scaling, fitted on
   validation, mends its LogLoss and cannot move its AUC, and Platt scaling adds
   an intercept for the click rate's shift from the training rows.
2. :func:`selection`: a grid of MF rating regressors (squared error on 1-5
   stars), each stopped early on validation RMSE or on validation AUC of the
   click label, then chosen by one metric or the other.
``python -m recsys_course run 06/metric_choice`` writes ``results/06_training_discipline/calibration_*``
and ``selection_*``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evaluation.metrics import auc, ctr_per_user, fit_platt, fit_temperature, rmse
from ...evidence import Results
from ...models import MF
from ...tasks.ctr import CTRSplit, CTRTask
from ...training import History, fit
from ...training.batches import tensor_batches
from . import LESSON, defaults
from . import ctr_benchmark as ctr

DIMS = (4, 16, 64)  # the regressors' grid: embedding size x weight decay
DECAYS = (0.0, 1e-4, 1e-3)


def calibration(
    task: CTRTask, s: ctr.Settings, setting: dict, seeds=(0,), model: str = "DeepFM", log=print
) -> Results:
    """``model`` with the article's recipe, at its tuned ``setting`` (rate and weight decay), and at its tuned
    setting rescaled on validation: by a temperature, and by Platt's scale and intercept."""
    results = Results()
    for seed in seeds:
        for label, kwargs in (("recipe", defaults.recipe(model)), ("tuned", setting)):
            trained, history = defaults.train(model, task, s, seed=seed, **kwargs)
            logits = predict_logits(trained, task.test)
            versions = [(label, 1.0, 0.0)]
            if label == "tuned":
                valid = predict_logits(trained, task.valid)
                versions.append(("tuned + temperature", 1 / fit_temperature(task.valid.label, valid), 0.0))
                versions.append(("tuned + Platt", *fit_platt(task.valid.label, valid)))
            for name, scale, shift in versions:
                metrics, terms = scored(task.test, scale * logits + shift)
                row = {
                    "model": model,
                    "setting": name,
                    "seed": seed,
                    "temperature": 1 / scale,
                    "intercept": shift,
                    "lr": kwargs["lr"],
                    "weight_decay": kwargs["weight_decay"],
                    "best epoch": history.best_epoch,
                    "seconds": history.seconds,
                    **metrics,
                }
                results.add(row, terms)
                log(
                    f"{name:>20} | seed {seed} | T {1 / scale:.3f} | AUC {row['auc']:.4f} "
                    f"| LogLoss {row['logloss']:.4f}"
                )
    return results


def stars(split: CTRSplit) -> np.ndarray:
    return split.rows["rating"].to_numpy(np.float32)


def regression_terms(split: CTRSplit, predictions: np.ndarray) -> pd.DataFrame:
    """Per-user terms whose means are the test MSE (take its square root for RMSE), AUC and user-weighted AUC.

    The predicted stars score the click label (4-5 stars) for the AUCs; a
    logistic squash keeps their order, which is all an AUC reads.
    """
    frame = ctr_per_user(split.user, split.label, 1 / (1 + np.exp(-(predictions - 3.5))))[
        ["user", "auc", "uauc"]
    ]
    errors = pd.Series((predictions - stars(split)) ** 2).groupby(split.user).sum()
    return frame.assign(mse=len(frame) * errors.to_numpy() / len(split))


def train_regressor(
    task: CTRTask,
    *,
    dim: int,
    weight_decay: float,
    seed: int = 0,
    monitor: str = "rmse",
    lr: float = 1e-2,
    epochs: int = 30,
    patience: int = 2,
    batch_size: int = 1024,
) -> tuple[MF, History]:
    """MF predicting stars with squared error, stopped early on validation ``monitor`` ("rmse" or "auc").

    Returns ``(model with the best epoch's weights, history)``. Validation reads the predicted stars
    as a regression (RMSE) and as a ranking of the click label (AUC).
    """
    torch.manual_seed(seed)
    model = MF(task.n_users, task.n_items, dim=dim)
    nn.init.constant_(model.bias, float(stars(task.train).mean()))
    generator = torch.Generator().manual_seed(seed)
    train = task.train

    def batches(epoch: int):
        return tensor_batches(
            train.user, train.item, stars(train), batch_size=batch_size, generator=generator
        )

    def evaluate(m: nn.Module) -> dict:
        predicted = predict_logits(m, task.valid)
        return {"rmse": rmse(stars(task.valid), predicted), "auc": auc(task.valid.label, predicted)}

    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = fit(
        model,
        batches,
        epochs=epochs,
        optimizer=optimizer,
        loss_fn=nn.functional.mse_loss,
        evaluate=evaluate,
        monitor=monitor,
        mode="min" if monitor == "rmse" else "max",
        patience=patience,
        lr_patience=None,
        desc=f"MF d={dim} wd={weight_decay:g}",
    )
    return model, history


def selection(
    task: CTRTask, seeds=(0,), dims=DIMS, decays=DECAYS, monitors=("rmse", "auc"), epochs: int = 30, log=print
) -> Results:
    """Every regressor of the grid, stopped on each monitor, on every seed: validation RMSE and AUC, and test terms.

    Stopping on one metric or the other keeps different epochs of the same
    training run, so the candidates differ in size, weight decay and epoch.
    """
    results = Results()
    for seed in seeds:
        for dim in dims:
            for decay in decays:
                for monitor in monitors:
                    add_regressor(results, task, dim, decay, seed, monitor, log, epochs=epochs)
    return results


def add_regressor(
    results: Results,
    task: CTRTask,
    dim: int,
    decay: float,
    seed: int,
    monitor: str,
    log=print,
    epochs: int = 30,
) -> None:
    """Train one regressor of the grid and record its validation and test numbers in ``results``."""
    model, history = train_regressor(
        task, dim=dim, weight_decay=decay, seed=seed, monitor=monitor, epochs=epochs
    )
    best = history.frame().query("epoch == @history.best_epoch").iloc[0]
    terms = regression_terms(task.test, predict_logits(model, task.test))
    row = {
        "model": f"MF d={dim} wd={decay:g}, stopped on {monitor.upper()}",
        "dim": dim,
        "weight decay": decay,
        "stopped on": monitor,
        "seed": seed,
        "valid rmse": float(best["rmse"]),
        "valid auc": float(best["auc"]),
        "best epoch": history.best_epoch,
        "seconds": history.seconds,
        "rmse": float(np.sqrt(terms["mse"].mean())),
        "auc": float(terms["auc"].mean()),
        "uauc": float(terms["uauc"].mean()),
    }
    results.add(row, terms)
    log(
        f"{row['model']:>36} | seed {seed} | epoch {history.best_epoch} | valid RMSE {row['valid rmse']:.4f} "
        f"AUC {row['valid auc']:.4f} | test RMSE {row['rmse']:.4f} AUC {row['auc']:.4f}"
    )


def choices(results: Results) -> dict[str, str]:
    """The regressor each validation metric chooses, by its mean over seeds: ``{"rmse": model, "auc": model}``."""
    means = results.frame().groupby("model")[["valid rmse", "valid auc"]].mean()
    return {"rmse": str(means["valid rmse"].idxmin()), "auc": str(means["valid auc"].idxmax())}


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list:
    """Calibration at DeepFM's benchmark setting (``06/ctr_benchmark`` runs first) and the regressors' grid, on every
    seed; FAST mode shrinks DeepFM, the grid and the epochs."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    setting = ctr.benchmark_settings(dataset, out)["DeepFM"]
    task = movielens_ctr(load_movielens(dataset, verbose=False))
    out = Path(out or config.results_dir(LESSON))
    fast = config.fast_mode()
    seeds = tuple(seeds)
    calibrated = calibration(
        task, ctr.fast_settings(defaults.settings()) if fast else defaults.settings(), setting, seeds
    )
    chosen = selection(task, seeds, dims=DIMS[:1] if fast else DIMS, epochs=3 if fast else 30)
    return calibrated.save(out, f"calibration_{dataset}") + chosen.save(out, f"selection_{dataset}")
