"""Lesson 06: the article's "dropout 0.2-0.3; higher hurts ranking quality", as a sweep from 0 to 0.5.

DeepFM, the benchmark's best model, is trained at its validation-chosen Adam
rate with dropout after each hidden layer at every rate of :data:`RATES`, on
the same seeds and test users; ``python -m recsys_course.experiments.dropout``
writes ``figures/dropout/``.
"""

from __future__ import annotations

import json
import time

import torch

from ..ctr_task import CTRTask
from ..models import DeepFM
from ..train import fit_ctr, predict_logits
from . import ctr
from .results import Results
from .wide_deep import per_user

RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def train(task: CTRTask, s: ctr.Settings, *, dropout: float, lr: float, seed: int = 0):
    """DeepFM with ``dropout`` after each hidden layer; returns ``(model, history, seconds)``."""
    torch.manual_seed(seed)
    model = DeepFM(task.deep_fields, dim=s.dim, n_dense=len(task.dense_names), hidden=s.hidden, dropout=dropout)
    start = time.perf_counter()
    history = fit_ctr(model, task, optimizer=torch.optim.Adam(model.parameters(), lr=lr), epochs=s.max_epochs,
                      patience=s.patience, batch_size=s.batch_size, seed=seed, desc=f"dropout {dropout:g}")
    return model, history, time.perf_counter() - start


def run(task: CTRTask, s: ctr.Settings, lr: float, seeds=(0,), rates=RATES, log=print) -> Results:
    """Every dropout rate on every seed, scored on the test users."""
    results = Results()
    for seed in seeds:
        for rate in rates:
            model, history, seconds = train(task, s, dropout=rate, lr=lr, seed=seed)
            terms = per_user(task.test, predict_logits(model, task.test)).drop(columns="accuracy")
            row = {"dropout": rate, "seed": seed, "lr": lr, "best epoch": history.best_epoch,
                   "valid": history.best_value, "seconds": seconds,
                   **{m: float(terms[m].mean()) for m in ("auc", "uauc", "logloss")}}
            results.add(row, terms)
            log(f"dropout {rate:.1f} | seed {seed} | AUC {row['auc']:.4f} | user-weighted {row['uauc']:.4f}")
    return results


def main(argv=None) -> int:
    import argparse
    from pathlib import Path

    from .. import config
    from ..ctr_task import movielens_ctr
    from ..data import load_movielens

    parser = argparse.ArgumentParser(description="A dropout sweep on DeepFM, lesson 06's CTR benchmark.")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: figures/dropout/)")
    args = parser.parse_args(argv)
    rates_file = ctr.folder() / f"rates_{args.dataset}.json"
    if not rates_file.is_file():
        raise SystemExit(f"{rates_file} is missing: run `python -m recsys_course.experiments.ctr` first")
    task = movielens_ctr(load_movielens(args.dataset, verbose=False))
    lr = json.loads(rates_file.read_text())["DeepFM"]
    results = run(task, ctr.Settings(), lr, tuple(args.seeds))
    for path in results.save(Path(args.out or config.figures_dir() / "dropout"), args.dataset):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
