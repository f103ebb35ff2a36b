"""Lesson 06: gradient clipping, on a long run that overfits.

Lesson 05's joint Wide & Deep, trained for 50 epochs with no early stopping,
overfits (chart 6); :func:`largest_rise` finds where its training BCE went up
instead of down. The same runs are repeated with the gradients' joint norm
clipped (:func:`recsys_course.training.clip_gradients`);
``python -m recsys_course run 06/clipping`` writes ``results/06_training_discipline/clipping_<dataset>*``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...models import WideAndDeep
from ...tasks.ctr import CTRTask
from ...training import History, fit, wide_deep
from ...training.batches import ctr_batches
from . import LESSON

NORMS = (None, 5.0, 1.0, 0.1)  # None: no clipping; 5.0: the article's norm; :func:`gradient_norms` shows the
# sizes they compare with


def largest_rise(losses) -> tuple[float, int]:
    """The largest epoch-on-epoch increase of a training-loss curve (epoch 1 first), and the epoch it ends at."""
    losses = np.asarray(losses, dtype=float)
    if len(losses) < 2:
        return 0.0, 1
    rises = np.diff(losses)
    k = int(np.argmax(rises))
    return float(rises[k]), k + 2


def train(
    task: CTRTask, *, clip: float | None, epochs: int = 50, seed: int = 0, settings=None
) -> tuple[WideAndDeep, History]:
    """The joint model for ``epochs`` epochs with gradients clipped to norm ``clip`` (None: not clipped).

    Returns ``(model with its best-validation weights, history)``; the
    history records test AUC per epoch, for study only.
    """
    tuned = settings or wide_deep.committed_settings()
    s = replace(tuned["joint"], max_epochs=epochs)
    return wide_deep.train(
        task, s, seed=seed, record_test=True, patience=None, clip_norm=clip, desc=f"clip {clip}"
    )


def gradient_norms(task: CTRTask, *, epochs: int = 1, seed: int = 0, settings=None) -> np.ndarray:
    """The joint gradient norm of every training step of the unclipped model's first ``epochs`` epochs.

    :func:`~recsys_course.training.fit` keeps each step's norm when it clips; clipping at an infinite
    norm measures and never clips.
    """
    s = (settings or wide_deep.committed_settings())["joint"]
    model = wide_deep.make_model(task, s, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    history = fit(
        model,
        lambda epoch: ctr_batches(task.train, model.inputs, s.batch_size, generator),
        epochs=epochs,
        optimizer=wide_deep.make_optimizer(model, wide_deep.PAPER, s),
        clip_norm=float("inf"),
        progress=False,
    )
    return np.array(history.grad_norms)


def run_norms(
    task: CTRTask, *, seeds=(0,), norms=NORMS, epochs: int = 50, settings=None, log=print
) -> Results:
    """Each clipping norm on each seed: the loss curve, its largest rise, and the test terms of the kept weights."""
    results = Results()
    for seed in seeds:
        for clip in norms:
            model, history = train(task, clip=clip, epochs=epochs, seed=seed, settings=settings)
            curve = history.frame()
            curve = curve[curve["epoch"] >= 1]
            rise, at = largest_rise(curve["train_loss"])
            label = "none" if clip is None else f"{clip:g}"
            metrics, terms = scored(task.test, predict_logits(model, task.test))
            row = {
                "clip": label,
                "seed": seed,
                "largest rise": rise,
                "rise at epoch": at,
                "lowest loss": float(curve["train_loss"].min()),
                "best epoch": history.best_epoch,
                "valid": history.best_value,
                "final valid": float(curve["auc"].iloc[-1]),
                "final test auc": float(curve["test auc"].iloc[-1]),
                "seconds": history.seconds,
                **metrics,
            }
            results.add(row, terms)
            results.curves.append(
                curve[["epoch", "train_loss", "auc", "test auc"]].assign(clip=label, seed=seed)
            )
            log(
                f"clip {label:>4} | seed {seed} | largest loss rise {rise:+.3f} at epoch {at} | "
                f"kept test AUC {row['auc']:.4f}"
            )
    return results


def rises(results: Results) -> pd.DataFrame:
    """The largest training-loss rise per clipping norm and seed, as a table."""
    frame = results.frame()
    return frame.pivot(index="seed", columns="clip", values="largest rise")


def run(dataset: str = "ml-100k", seeds=(0, 1, 2), out: Path | None = None) -> list:
    """Each clipping norm on each seed for 50 epochs (FAST: 3), with lesson 05's committed rates."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    task = movielens_ctr(load_movielens(dataset, verbose=False))
    epochs = 3 if config.fast_mode() else 50
    results = run_norms(
        task, seeds=tuple(seeds), epochs=epochs, settings=wide_deep.committed_settings(dataset)
    )
    return results.save(out or config.results_dir(LESSON), f"clipping_{dataset}")
