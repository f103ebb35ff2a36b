"""Lesson 06: the article's "dropout 0.2-0.3; higher hurts ranking quality", as a sweep from 0 to 0.5.

DeepFM, the benchmark's best model, is trained at the Adam rate and weight decay
the benchmark chose (without dropout), stopping with the article's patience 5,
with dropout after each hidden layer at every rate of :data:`RATES`, on the same
seeds and test users; ``python -m recsys_course run 06/dropout`` writes
``results/06_training_discipline/dropout_<dataset>.csv``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ... import config
from ...evaluation.ctr import scored
from ...evaluation.inference import predict_logits
from ...evidence import Results
from ...models import DeepFM  # noqa: F401 (what train returns)
from ...tasks.ctr import CTRTask
from ...training import History
from . import LESSON, defaults
from . import ctr_benchmark as ctr

RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def train(
    task: CTRTask, s: ctr.Settings, *, dropout: float, setting: dict, seed: int = 0
) -> tuple[DeepFM, History]:
    """DeepFM with ``dropout`` after each hidden layer, at ``setting``'s rate and weight decay; returns
    ``(model with its best weights, history)``."""
    torch.manual_seed(seed)
    model = ctr.build_model("DeepFM", task, s, dropout=dropout)
    history = ctr.fit_with_adam(
        model, task, s, setting["lr"], seed, desc=f"dropout {dropout:g}", weight_decay=setting["weight_decay"]
    )
    return model, history


def sweep(task: CTRTask, s: ctr.Settings, setting: dict, seeds=(0,), rates=RATES, log=print) -> Results:
    """Every dropout rate on every seed, scored on the test users."""
    results = Results()
    for seed in seeds:
        for rate in rates:
            model, history = train(task, s, dropout=rate, setting=setting, seed=seed)
            metrics, terms = scored(task.test, predict_logits(model, task.test))
            row = {
                "dropout": rate,
                "seed": seed,
                "lr": setting["lr"],
                "weight_decay": setting["weight_decay"],
                "best epoch": history.best_epoch,
                "valid": history.best_value,
                "seconds": history.seconds,
                **metrics,
            }
            results.add(row, terms)
            log(f"dropout {rate:.1f} | seed {seed} | AUC {row['auc']:.4f} | user-weighted {row['uauc']:.4f}")
    return results


def run(dataset: str = "ml-100k", seeds=(0, 1, 2, 3, 4), out: Path | None = None) -> list:
    """The sweep at DeepFM's benchmark setting (``06/ctr_benchmark`` runs first); FAST mode shrinks DeepFM."""
    from ...data import load_movielens
    from ...tasks import movielens_ctr

    setting = ctr.benchmark_settings(dataset, out)["DeepFM"]
    task = movielens_ctr(load_movielens(dataset, verbose=False))
    # patience 5, the article's: a run with dropout learns more slowly, and the benchmark's 2 would cut it short
    s = ctr.fast_settings(defaults.settings()) if config.fast_mode() else defaults.settings()
    return sweep(task, s, setting, tuple(seeds)).save(out or config.results_dir(LESSON), f"dropout_{dataset}")
