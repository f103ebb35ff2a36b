"""Lesson 06's metric table, measured: which metric chooses the model changes which model you ship.

1. :func:`calibration`: DeepFM at its tuned rate ranks better than with the
   article's defaults but is calibrated worse; temperature scaling, fitted on
   validation, mends its LogLoss and cannot move its AUC.
2. :func:`selection`: a grid of MF rating regressors (squared error on 1-5
   stars), each stopped early on validation RMSE or on validation AUC of the
   click label, then chosen by one metric or the other.
``python -m recsys_course.experiments.metric_choice`` writes ``figures/metric_choice/``.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..batching import tensor_batches
from ..ctr_task import CTRSplit, CTRTask
from ..metrics import auc, ctr_per_user, fit_temperature, rmse
from ..models import MF
from ..train import fit, predict_logits
from . import ctr, defaults
from .results import Results
from .wide_deep import per_user

DIMS = (4, 16, 64)                      # the regressors' grid: embedding size x weight decay
DECAYS = (0.0, 1e-4, 1e-3)


def calibration(task: CTRTask, s: ctr.Settings, lr: float, seeds=(0,), model: str = "DeepFM", log=print) -> Results:
    """``model`` with the defaults, at its tuned rate, and at its tuned rate with a validation-fitted temperature."""
    results = Results()
    for seed in seeds:
        for setting, kwargs in (("defaults", defaults.DEFAULTS), ("tuned", {"lr": lr})):
            trained, history, seconds = defaults.train(model, task, s, seed=seed, **kwargs)
            logits = predict_logits(trained, task.test)
            versions = [(setting, 1.0)]
            if setting == "tuned":
                versions.append(("tuned + temperature", fit_temperature(task.valid.label, predict_logits(trained, task.valid))))
            for name, t in versions:
                terms = per_user(task.test, logits / t).drop(columns="accuracy")
                row = {"model": model, "setting": name, "seed": seed, "temperature": t, "lr": kwargs["lr"],
                       "best epoch": history.best_epoch, "seconds": seconds,
                       **{m: float(terms[m].mean()) for m in ("auc", "uauc", "logloss")}}
                results.add(row, terms)
                log(f"{name:>20} | seed {seed} | T {t:.3f} | AUC {row['auc']:.4f} | LogLoss {row['logloss']:.4f}")
    return results


def stars(split: CTRSplit) -> np.ndarray:
    return split.rows["rating"].to_numpy(np.float32)


def regression_terms(split: CTRSplit, predictions: np.ndarray) -> pd.DataFrame:
    """Per-user terms whose means are the test MSE (take its square root for RMSE), AUC and user-weighted AUC.

    The predicted stars score the click label (4-5 stars) for the AUCs; a
    logistic squash keeps their order, which is all an AUC reads.
    """
    frame = ctr_per_user(split.user, split.label, 1 / (1 + np.exp(-(predictions - 3.5))))[["user", "auc", "uauc"]]
    errors = pd.Series((predictions - stars(split)) ** 2).groupby(split.user).sum()
    return frame.assign(mse=len(frame) * errors.to_numpy() / len(split))


def train_regressor(task: CTRTask, *, dim: int, weight_decay: float, seed: int = 0, monitor: str = "rmse",
                    lr: float = 1e-2, epochs: int = 30, patience: int = 2, batch_size: int = 1024):
    """MF predicting stars with squared error, stopped early on validation ``monitor`` ("rmse" or "auc").

    Returns ``(model with the best epoch's weights, history, seconds)``.
    """
    torch.manual_seed(seed)
    model = MF(task.n_users, task.n_items, dim=dim)
    nn.init.constant_(model.bias, float(stars(task.train).mean()))
    generator = torch.Generator().manual_seed(seed)
    train = task.train

    def batches(epoch: int):
        return tensor_batches(train.user, train.item, stars(train), batch_size=batch_size, generator=generator)

    def evaluate(m: nn.Module) -> dict:
        predicted = predict_logits(m, task.valid)
        return {"rmse": rmse(stars(task.valid), predicted), "auc": auc(task.valid.label, predicted)}

    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    start = time.perf_counter()
    history = fit(model, batches, epochs=epochs, optimizer=optimizer, loss_fn=nn.functional.mse_loss,
                  evaluate=evaluate, monitor=monitor, mode="min" if monitor == "rmse" else "max", patience=patience,
                  lr_patience=None, desc=f"MF d={dim} wd={weight_decay:g}")
    return model, history, time.perf_counter() - start


def selection(task: CTRTask, seeds=(0,), dims=DIMS, decays=DECAYS, monitors=("rmse", "auc"), log=print) -> Results:
    """Every regressor of the grid, stopped on each monitor, on every seed: validation RMSE and AUC, and test terms.

    Stopping on one metric or the other keeps different epochs of the same
    training run, so the candidates differ in size, weight decay and epoch.
    """
    results = Results()
    for seed in seeds:
        for dim in dims:
            for decay in decays:
                for monitor in monitors:
                    add_regressor(results, task, dim, decay, seed, monitor, log)
    return results


def add_regressor(results: Results, task: CTRTask, dim: int, decay: float, seed: int, monitor: str, log=print) -> None:
    """Train one regressor of the grid and record its validation and test numbers in ``results``."""
    model, history, seconds = train_regressor(task, dim=dim, weight_decay=decay, seed=seed, monitor=monitor)
    best = history.frame().query("epoch == @history.best_epoch").iloc[0]
    terms = regression_terms(task.test, predict_logits(model, task.test))
    row = {"model": f"MF d={dim} wd={decay:g}, stopped on {monitor.upper()}", "dim": dim, "weight decay": decay,
           "stopped on": monitor, "seed": seed,
           "valid rmse": float(best["rmse"]), "valid auc": float(best["auc"]), "best epoch": history.best_epoch,
           "seconds": seconds, "rmse": float(np.sqrt(terms["mse"].mean())), "auc": float(terms["auc"].mean()),
           "uauc": float(terms["uauc"].mean())}
    results.add(row, terms)
    log(f"{row['model']:>36} | seed {seed} | epoch {history.best_epoch} | valid RMSE {row['valid rmse']:.4f} "
        f"AUC {row['valid auc']:.4f} | test RMSE {row['rmse']:.4f} AUC {row['auc']:.4f}")


def choices(results: Results) -> dict[str, str]:
    """The regressor each validation metric chooses, by its mean over seeds: ``{"rmse": model, "auc": model}``."""
    means = results.frame().groupby("model")[["valid rmse", "valid auc"]].mean()
    return {"rmse": str(means["valid rmse"].idxmin()), "auc": str(means["valid auc"].idxmax())}


def main(argv=None) -> int:
    import argparse
    from pathlib import Path

    from .. import config
    from ..ctr_task import movielens_ctr
    from ..data import load_movielens

    parser = argparse.ArgumentParser(description="Calibration and model choice by RMSE or AUC (lesson 06).")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/metric_choice/)")
    args = parser.parse_args(argv)
    rates_file = ctr.folder() / f"rates_{args.dataset}.json"
    if not rates_file.is_file():
        raise SystemExit(f"{rates_file} is missing: run `python -m recsys_course.experiments.ctr` first")
    task = movielens_ctr(load_movielens(args.dataset, verbose=False))
    out = Path(args.out or config.figures_dir() / "metric_choice")
    seeds = tuple(args.seeds)
    for name, results in (("calibration", calibration(task, defaults.settings(),
                                                      json.loads(rates_file.read_text())["DeepFM"], seeds)),
                          ("selection", selection(task, seeds))):
        for path in results.save(out, f"{name}_{args.dataset}"):
            print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
