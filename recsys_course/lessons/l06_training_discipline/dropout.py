"""Lesson 06: the article's "dropout 0.2-0.3; higher hurts ranking quality", as a sweep from 0 to 0.5.

DeepFM, the benchmark's best model, is trained at its validation-chosen Adam
rate with dropout after each hidden layer at every rate of :data:`RATES`, on
the same seeds and test users; ``python -m recsys_course run 06/dropout``
writes ``results/06_training_discipline/dropout_<dataset>.csv``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...models import DeepFM
from ...tasks.ctr import CTRTask
from ...training import History
from . import LESSON
from . import ctr_benchmark as ctr

RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def train(
    task: CTRTask, s: ctr.Settings, *, dropout: float, lr: float, seed: int = 0
) -> tuple[DeepFM, History]:
    """DeepFM with ``dropout`` after each hidden layer; returns ``(model with its best weights, history)``."""
    torch.manual_seed(seed)
    model = DeepFM(
        task.deep_fields, dim=s.dim, n_dense=len(task.dense_names), hidden=s.hidden, dropout=dropout
    )
    return model, ctr.fit_with_adam(model, task, s, lr, seed, desc=f"dropout {dropout:g}")


def sweep(task: CTRTask, s: ctr.Settings, lr: float, seeds=(0,), rates=RATES, log=print) -> Results:
    """Every dropout rate on every seed, scored on the test users."""
    results = Results()
    for seed in seeds:
        for rate in rates:
            model, history = train(task, s, dropout=rate, lr=lr, seed=seed)
            metrics, terms = scored(task.test, predict_logits(model, task.test))
            row = {
                "dropout": rate,
                "seed": seed,
                "lr": lr,
                "best epoch": history.best_epoch,
                "valid": history.best_value,
                "seconds": history.seconds,
                **metrics,
            }
            results.add(row, terms)
            log(f"dropout {rate:.1f} | seed {seed} | AUC {row['auc']:.4f} | user-weighted {row['uauc']:.4f}")
    return results


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list:
    """The sweep at DeepFM's benchmark rate (``06/ctr_benchmark`` runs first); FAST mode shrinks DeepFM."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    lr = ctr.benchmark_rates(dataset, out)["DeepFM"]
    task = movielens_ctr(load_movielens(dataset, verbose=False))
    s = ctr.fast_settings(ctr.Settings()) if config.fast_mode() else ctr.Settings()
    return sweep(task, s, lr, tuple(seeds)).save(out or config.results_dir(LESSON), f"dropout_{dataset}")
