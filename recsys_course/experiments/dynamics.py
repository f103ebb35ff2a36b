"""Lesson 06's chart 6: MF, NeuMF and Wide & Deep trained for up to 50 epochs, with where early stopping would stop.

Each model trains on lesson 05's CTR task with no early stopping, recording
its training BCE and validation AUC every epoch; :func:`stopping_point`
replays early stopping on the recorded curve, so one run shows every patience.
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..ctr_task import CTRTask
from ..models import MF, NeuMF
from ..train import fit_ctr
from . import wide_deep

MODELS = ("MF", "NeuMF", "Wide & Deep")


def stopping_point(values, patience: int, mode: str = "max") -> tuple[int, int]:
    """Replay early stopping on a per-epoch curve (epoch 1 first): ``(epoch it stops at, epoch whose weights it keeps)``.

    It stops after ``patience`` epochs in a row without a new best, as
    :func:`recsys_course.train.fit` does; a curve that never stalls that long
    stops at its last epoch.
    """
    sign = 1.0 if mode == "max" else -1.0
    best, best_epoch, since = -np.inf, 0, 0
    for epoch, value in enumerate(values, start=1):
        if sign * value > best:
            best, best_epoch, since = sign * value, epoch, 0
        else:
            since += 1
            if since >= max(patience, 1):
                return epoch, best_epoch
    return len(values), best_epoch


def curves(task: CTRTask, *, epochs: int = 50, seed: int = 0, rates: dict | None = None,
           wide_deep_settings: dict | None = None, models=MODELS, dim: int = 16) -> pd.DataFrame:
    """One row per model and epoch: training BCE, validation AUC and LogLoss, and test AUC; no early stopping.

    MF and NeuMF use Adam at ``rates[name]`` (default 1e-3); Wide & Deep is
    lesson 05's joint model with its optimisers and rates.
    """
    rates = rates or {}
    frames = []
    for name in models:
        torch.manual_seed(seed)
        if name == "Wide & Deep":
            tuned = wide_deep_settings or wide_deep.committed_settings()
            joint = replace(tuned["joint"], max_epochs=epochs, patience=10 ** 9)
            _, history, _ = wide_deep.train(task, joint, seed=seed, record_test=True)
        else:
            model = MF(task.n_users, task.n_items, dim=dim) if name == "MF" else \
                NeuMF(task.n_users, task.n_items, factors=dim, mlp_layers=(4 * dim, 2 * dim, dim))
            optimizer = torch.optim.Adam(model.parameters(), lr=rates.get(name, 1e-3))
            history = fit_ctr(model, task, optimizer=optimizer, epochs=epochs, patience=None, seed=seed, desc=name,
                              record_test=True)
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
            rows.append({"model": name, "seed": seed, "patience": patience if patience < len(part) else "never",
                         "epochs trained": stop, "keeps epoch": kept,
                         "test AUC": float(part["test auc"].iloc[kept - 1])})
    return pd.DataFrame(rows)


def chart(frame: pd.DataFrame, axes, patience: int = 5) -> pd.DataFrame:
    """Chart 6 on two axes: training BCE per epoch, and validation AUC with each model's early-stopping point.

    Returns the stopping points: per model, the epoch early stopping with
    ``patience`` stops at, the epoch it keeps, and the best epoch of the whole run.
    """
    rows = []
    for k, (name, part) in enumerate(frame.groupby("model", sort=False)):
        colour = f"C{k}"
        part = part.sort_values("epoch")
        axes[0].plot(part["epoch"], part["train_loss"], color=colour, label=name)
        axes[1].plot(part["epoch"], part["auc"], color=colour, label=name)
        stop, kept = stopping_point(part["auc"].to_numpy(), patience)
        kept_auc = part.loc[part["epoch"] == kept, "auc"].item()
        axes[1].plot([kept], [kept_auc], marker="*", markersize=13, color=colour, markeredgecolor="black")
        axes[1].axvline(stop, color=colour, lw=0.8, ls=":")
        rows.append({"model": name, "stops at": stop, "keeps epoch": kept, "validation AUC kept": kept_auc,
                     "best epoch of the run": int(part.loc[part["auc"].idxmax(), "epoch"]),
                     "best validation AUC": float(part["auc"].max())})
    axes[0].set(xlabel="epoch", ylabel="training BCE", title="training loss")
    axes[1].set(xlabel="epoch", ylabel="validation AUC",
                title=f"validation AUC; star: weights kept, dotted: stop (patience {patience})")
    for ax in axes:
        ax.legend(fontsize=8)
    return pd.DataFrame(rows)


def draw(frame: pd.DataFrame, path, patience: int = 5):
    from .. import plots

    plots.use_course_style()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    chart(frame, axes, patience)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def main(argv=None) -> int:
    import argparse
    import json
    from pathlib import Path

    from .. import config
    from ..ctr_task import movielens_ctr
    from ..data import load_movielens

    parser = argparse.ArgumentParser(description="Train MF, NeuMF and Wide & Deep for up to 50 epochs (chart 6).")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/dynamics/)")
    args = parser.parse_args(argv)
    out = Path(args.out or config.figures_dir() / "dynamics")
    out.mkdir(parents=True, exist_ok=True)
    task = movielens_ctr(load_movielens(args.dataset, verbose=False))
    rates_file = config.figures_dir() / "ctr" / f"rates_{args.dataset}.json"    # MF's rate from the benchmark
    rates = json.loads(rates_file.read_text()) if rates_file.is_file() else {}
    frame = pd.concat([curves(task, epochs=args.epochs, seed=seed, rates=rates) for seed in args.seeds],
                      ignore_index=True)
    frame.to_csv(out / f"curves_{args.dataset}.csv", index=False)
    print("wrote", out / f"curves_{args.dataset}.csv")
    print("wrote", draw(frame[frame["seed"] == args.seeds[0]], out / f"curves_{args.dataset}.png"))
    table = patience_table(frame)
    table.to_csv(out / f"patience_{args.dataset}.csv", index=False)
    print("wrote", out / f"patience_{args.dataset}.csv")
    print(table.groupby(["model", "patience"], sort=False)[["epochs trained", "test AUC"]].mean().round(4))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
