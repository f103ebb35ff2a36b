"""Lesson 06: gradient clipping, on a run whose training loss spikes.

Lesson 05's joint Wide & Deep, trained for 50 epochs with no early stopping,
overfits until its training BCE jumps back up (chart 6). The same runs are
repeated with the gradients' joint norm clipped (:func:`recsys_course.train.clip_gradients`);
``python -m recsys_course.experiments.clipping`` writes ``figures/clipping/``.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from ..ctr_task import CTRTask
from ..train import fit_ctr, predict_logits
from . import wide_deep
from .results import Results
from .wide_deep import per_user

NORMS = (None, 1.0, 0.1)     # None: no clipping; :func:`gradient_norms` shows the sizes they compare with


def largest_rise(losses) -> tuple[float, int]:
    """The largest epoch-on-epoch increase of a training-loss curve (epoch 1 first), and the epoch it ends at."""
    losses = np.asarray(losses, dtype=float)
    if len(losses) < 2:
        return 0.0, 1
    rises = np.diff(losses)
    k = int(np.argmax(rises))
    return float(rises[k]), k + 2


def train(task: CTRTask, *, clip: float | None, epochs: int = 50, seed: int = 0, settings=None):
    """The joint model for ``epochs`` epochs with gradients clipped to norm ``clip`` (None: not clipped).

    Returns ``(model with its best-validation weights, history, seconds)``;
    the history records test AUC per epoch, for study only.
    """
    tuned = settings or wide_deep.committed_settings()
    s = replace(tuned["joint"], max_epochs=epochs)
    model = wide_deep.make_model(task, s, seed=seed)
    start = time.perf_counter()
    history = fit_ctr(model, task, optimizer=wide_deep.make_optimiser(model, wide_deep.PAPER, s), epochs=epochs,
                      patience=None, batch_size=s.batch_size, seed=seed, clip_norm=clip, record_test=True,
                      desc=f"clip {clip}")
    return model, history, time.perf_counter() - start


def gradient_norms(task: CTRTask, *, epochs: int = 1, seed: int = 0, settings=None) -> np.ndarray:
    """The joint gradient norm of every training step of the unclipped model's first ``epochs`` epochs."""
    import torch

    from ..train import clip_gradients

    s = (settings or wide_deep.committed_settings())["joint"]
    model = wide_deep.make_model(task, s, seed=seed)
    optimiser = wide_deep.make_optimiser(model, wide_deep.PAPER, s)
    generator = torch.Generator().manual_seed(seed)
    norms = []
    for _ in range(epochs):
        for *inputs, target in task.train.batches(model.inputs, s.batch_size, generator):
            optimiser.zero_grad(set_to_none=True)
            torch.nn.functional.binary_cross_entropy_with_logits(model(*inputs), target).backward()
            norms.append(clip_gradients(model.parameters(), float("inf")))     # measures, never clips
            optimiser.step()
    return np.array(norms)


def run(task: CTRTask, *, seeds=(0,), norms=NORMS, epochs: int = 50, settings=None, log=print) -> Results:
    """Each clipping norm on each seed: the loss curve, its largest rise, and the test terms of the kept weights."""
    results = Results()
    for seed in seeds:
        for clip in norms:
            model, history, seconds = train(task, clip=clip, epochs=epochs, seed=seed, settings=settings)
            curve = history.frame()
            curve = curve[curve["epoch"] >= 1]
            rise, at = largest_rise(curve["train_loss"])
            label = "none" if clip is None else f"{clip:g}"
            terms = per_user(task.test, predict_logits(model, task.test)).drop(columns="accuracy")
            row = {"clip": label, "seed": seed, "largest rise": rise, "rise at epoch": at,
                   "lowest loss": float(curve["train_loss"].min()), "best epoch": history.best_epoch,
                   "valid": history.best_value, "final valid": float(curve["auc"].iloc[-1]),
                   "final test auc": float(curve["test auc"].iloc[-1]), "seconds": seconds,
                   **{m: float(terms[m].mean()) for m in ("auc", "uauc", "logloss")}}
            results.add(row, terms)
            results.curves.append(curve[["epoch", "train_loss", "auc", "test auc"]].assign(clip=label, seed=seed))
            log(f"clip {label:>4} | seed {seed} | largest loss rise {rise:+.3f} at epoch {at} | "
                f"kept test AUC {row['auc']:.4f}")
    return results


def rises(results: Results) -> pd.DataFrame:
    """The largest training-loss rise per clipping norm and seed, as a table."""
    frame = results.frame()
    return frame.pivot(index="seed", columns="clip", values="largest rise")


def main(argv=None) -> int:
    import argparse
    from pathlib import Path

    from .. import config
    from ..ctr_task import movielens_ctr
    from ..data import load_movielens

    parser = argparse.ArgumentParser(description="Gradient clipping on Wide & Deep's spiking 50-epoch run.")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/clipping/)")
    args = parser.parse_args(argv)
    task = movielens_ctr(load_movielens(args.dataset, verbose=False))
    results = run(task, seeds=tuple(args.seeds))
    for path in results.save(Path(args.out or config.figures_dir() / "clipping"), args.dataset):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
