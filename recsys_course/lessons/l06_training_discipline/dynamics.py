"""Lesson 06's chart 6: MF, NeuMF and Wide & Deep trained for up to 50 epochs, with where early stopping would stop.

Each model trains on lesson 05's CTR task with no early stopping, recording
its training BCE and validation AUC every epoch; :func:`recsys_course.training.stopping_point`
replays early stopping on the recorded curve, so one run shows every patience.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import torch

from ... import config
from ...models import MF, NeuMF
from ...tasks.ctr import CTRTask
from ...training import fit_ctr, stopping_point, wide_deep
from . import LESSON
from . import ctr_benchmark as ctr

MODELS = ("MF", "NeuMF", "Wide & Deep")
NEUMF = {"lr": 1e-3, "weight_decay": 0.0}  # NeuMF is not in the benchmark: Adam's default rate, stated


def curves(
    task: CTRTask,
    *,
    epochs: int = 50,
    seed: int = 0,
    settings: dict | None = None,
    wide_deep_settings: dict | None = None,
    models=MODELS,
    dim: int = 16,
) -> pd.DataFrame:
    """One row per model and epoch: training BCE, validation AUC and LogLoss, and test AUC; no early stopping.

    MF and NeuMF use Adam at ``settings[name]``'s rate and weight decay
    (default: 1e-3 and none); Wide & Deep is lesson 05's joint model with its
    optimizers and settings.
    """
    settings = settings or {}
    frames = []
    for name in models:
        torch.manual_seed(seed)
        if name == "Wide & Deep":
            tuned = wide_deep_settings or wide_deep.committed_settings()
            joint = replace(tuned["joint"], max_epochs=epochs)
            _, history = wide_deep.train(task, joint, seed=seed, record_test=True, patience=None)
        else:
            model = (
                MF(task.n_users, task.n_items, dim=dim)
                if name == "MF"
                else NeuMF(task.n_users, task.n_items, factors=dim, mlp_layers=(4 * dim, 2 * dim, dim))
            )
            chosen = {"lr": 1e-3, "weight_decay": 0.0, **settings.get(name, {})}
            optimizer = torch.optim.Adam(model.parameters(), **chosen)
            history = fit_ctr(
                model,
                task,
                optimizer=optimizer,
                epochs=epochs,
                patience=None,
                seed=seed,
                desc=name,
                record_test=True,
            )
        frame = history.frame()[["epoch", "train_loss", "auc", "logloss", "test auc"]]
        frames.append(frame[frame["epoch"] >= 1].assign(model=name, seed=seed))
    return pd.concat(frames, ignore_index=True)


def patience_table(frame: pd.DataFrame, patiences=(1, 3, 5, 10)) -> pd.DataFrame:
    """What each patience costs and gains, replayed on the recorded curves: one row per model, seed and patience.

    ``epochs trained`` is where early stopping would stop; ``test AUC`` is
    that of the weights it keeps. ``never`` (patience = the whole run) keeps
    the run's best validation epoch, found only by training to the end.
    """
    rows = []
    for (name, seed), part in frame.groupby(["model", "seed"], sort=False):
        part = part.sort_values("epoch")
        for patience in (*patiences, len(part)):
            stop, kept = stopping_point(part["auc"].to_numpy(), patience)
            rows.append(
                {
                    "model": name,
                    "seed": seed,
                    "patience": patience if patience < len(part) else "never",
                    "epochs trained": stop,
                    "keeps epoch": kept,
                    "test AUC": float(part["test auc"].iloc[kept - 1]),
                }
            )
    return pd.DataFrame(rows)


def run(dataset: str = "ml-100k", seeds=(0,), out: Path | None = None, epochs: int = 50) -> list:
    """Train MF, NeuMF and Wide & Deep for ``epochs`` epochs on each seed (FAST: 3); writes the curves, what each
    patience would cost, and chart 6. MF uses the benchmark's rate and weight decay when it has run; NeuMF,
    which the benchmark does not train, Adam's default rate 1e-3 and no weight decay (:data:`NEUMF`)."""
    import matplotlib.pyplot as plt

    from ... import plots
    from ...data import load_movielens
    from ...tasks import movielens_ctr
    from . import figures

    out = Path(out or config.results_dir(LESSON))
    epochs = 3 if config.fast_mode() else epochs
    task = movielens_ctr(load_movielens(dataset, verbose=False))
    out.mkdir(parents=True, exist_ok=True)
    settings = {"NeuMF": NEUMF, **ctr.benchmark_settings(dataset, out, required=False)}  # MF's, where chosen
    print("Adam settings:", {name: settings.get(name) for name in MODELS if name != "Wide & Deep"})
    tuned = wide_deep.committed_settings(dataset)
    frame = pd.concat(
        [
            curves(task, epochs=epochs, seed=seed, settings=settings, wide_deep_settings=tuned)
            for seed in seeds
        ],
        ignore_index=True,
    )
    frame.to_csv(out / f"dynamics_{dataset}_curves.csv", index=False)
    table = patience_table(frame)
    table.to_csv(out / f"dynamics_{dataset}_patience.csv", index=False)
    print(table.groupby(["model", "patience"], sort=False)[["epochs trained", "test AUC"]].mean().round(4))
    plots.use_course_style()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    figures.dynamics_chart(frame[frame["seed"] == seeds[0]], axes)
    fig.tight_layout()
    picture = plots.save_fig(fig, f"06_dynamics_{dataset}")
    plt.close(fig)
    return [out / f"dynamics_{dataset}_curves.csv", out / f"dynamics_{dataset}_patience.csv", *picture]
